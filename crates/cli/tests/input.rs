//! The shell applies the engine's input checks at every entry point (`-c`, `-f`,
//! standard input, `\i`), reads input with a bounded buffer, fails on read errors, and
//! hardens its process: regression tests for the attacks of issue 10 (items 7, 9, 11,
//! 13 and 16).

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn airlock(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_airlock"));
    command
        .arg("--catalog")
        .arg(dir.join("c.db"))
        .current_dir(dir)
        .env_remove("AIRLOCK_CATALOG")
        .env_remove("AIRLOCK_AWS_PRINCIPAL")
        .env_remove("AIRLOCK_SECRET_KEY")
        .env("AIRLOCK_HISTORY", "");
    command
}

fn run(command: &mut Command, stdin: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start airlock");
    let mut pipe = child.stdin.take().expect("stdin");
    // A write error means the shell stopped reading early, which some tests expect.
    let _ = pipe.write_all(stdin);
    drop(pipe);
    child.wait_with_output().expect("wait")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The names of the secrets in the catalog, through the shell.
fn secrets(dir: &Path) -> String {
    let out = run(
        airlock(dir).args([
            "-A",
            "-t",
            "-c",
            "SELECT name FROM mz_secrets ORDER BY name",
        ]),
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn nul_bytes_from_files_and_stdin_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = b"CREATE SECRET \"a\0b\" AS 'x';\nCREATE SECRET n AS 'v\0w';\nCREATE SECRET ok AS 'fine';\n";
    let file = dir.path().join("nul.sql");
    fs::write(&file, script).expect("write");
    let out = run(airlock(dir.path()).arg("-f").arg(&file), b"");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(
        err.matches("invalid byte sequence for encoding \"UTF8\": 0x00")
            .count(),
        2,
        "{err}"
    );
    let out = run(&mut airlock(dir.path()), script);
    assert_eq!(
        text(&out.stderr)
            .matches("invalid byte sequence for encoding \"UTF8\": 0x00")
            .count(),
        2
    );
    assert_eq!(secrets(dir.path()), "ok\n");
}

#[test]
fn invalid_utf8_is_refused_not_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = b"CREATE SECRET bad AS 'caf\xe9';\nCREATE SECRET good AS 'caf\xc3\xa9';\n";
    let file = dir.path().join("latin1.sql");
    fs::write(&file, script).expect("write");
    for (label, out) in [
        ("-f", run(airlock(dir.path()).arg("-f").arg(&file), b"")),
        ("stdin", run(&mut airlock(dir.path()), script)),
    ] {
        let err = text(&out.stderr);
        assert!(
            err.contains("ERROR:  invalid byte sequence for encoding \"UTF8\": 0xe9 0x27 0x3b"),
            "{label}: {err}"
        );
        assert!(!err.contains('\u{fffd}'), "{label}: {err}");
    }
    let out = run(
        airlock(dir.path())
            .args(["-v", "ON_ERROR_STOP=1", "-f"])
            .arg(&file),
        b"",
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).starts_with(&format!(
        "airlock:{}:1: ERROR:  invalid byte",
        file.display()
    )));
    // The bad statement never ran; the good one did, its value intact.
    assert_eq!(secrets(dir.path()), "good\n");
}

/// Runs and times a child: input past the bound must be refused quickly, not after
/// reading gigabytes.
fn bounded_run(command: &mut Command, stdin: &[u8]) -> (Output, Duration) {
    let start = std::time::Instant::now();
    let out = run(command, stdin);
    (out, start.elapsed())
}

#[test]
fn huge_statements_are_refused_with_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A 9 MB statement over many lines, from a file and from standard input.
    let mut big = String::from("CREATE SECRET big AS '");
    while big.len() < 9_000_000 {
        big.push_str("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
    }
    big.push_str("';\n");
    let file = dir.path().join("big.sql");
    fs::write(&file, &big).expect("write");
    let (out, took) = bounded_run(airlock(dir.path()).arg("-f").arg(&file), b"");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("ERROR:  statement text exceeds 4 MiB"),
        "{err}"
    );
    assert!(
        err.starts_with(&format!("airlock:{}:", file.display())),
        "{err}"
    );
    assert!(took < Duration::from_secs(60), "{took:?}");
    let (out, _) = bounded_run(&mut airlock(dir.path()), big.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("statement text exceeds 4 MiB"));

    // A 2 GB sparse file without a newline, and `\i /dev/zero`: at most the bound plus
    // one byte is read, then the input is refused.
    let sparse = dir.path().join("sparse.sql");
    fs::File::create(&sparse)
        .and_then(|f| f.set_len(2 << 30))
        .expect("sparse file");
    let (out, took) = bounded_run(
        airlock(dir.path())
            .args(["-v", "ON_ERROR_STOP=1", "-f"])
            .arg(&sparse),
        b"",
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("statement text exceeds 4 MiB"), "{err}");
    assert!(took < Duration::from_secs(60), "{took:?}");
    let (out, _) = bounded_run(&mut airlock(dir.path()), b"\\i /dev/zero\nSELECT 1;\n");
    let err = text(&out.stderr);
    assert!(
        err.starts_with("airlock:/dev/zero:1: ERROR:  statement text exceeds 4 MiB"),
        "{err}"
    );
    // The including script goes on after the failed `\i`, as after a missing file.
    assert!(text(&out.stdout).contains("(1 row)"));
    assert_eq!(secrets(dir.path()), "");
}

#[test]
fn read_errors_fail_with_the_file_prefix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = dir.path().join("a_directory");
    fs::create_dir(&sub).expect("mkdir");
    let name = sub.display().to_string();
    let out = run(airlock(dir.path()).args(["-f", &name]), b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("airlock:{name}:0: error: could not read from input file: Is a directory\n")
    );
    let out = run(
        airlock(dir.path()).args(["-v", "ON_ERROR_STOP=1", "-f", &name, "-c", "SELECT 1"]),
        b"",
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stdout),
        "",
        "ON_ERROR_STOP stops at the read error"
    );
    // `\i` of a directory fails like `\i` of a missing file: the script goes on, and
    // stops under ON_ERROR_STOP.
    let outer = dir.path().join("outer.sql");
    fs::write(&outer, format!("SELECT 1;\n\\i {name}\nSELECT 2;\n")).expect("write");
    let out = run(airlock(dir.path()).arg("-f").arg(&outer), b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("could not read from input file: Is a directory"));
    assert!(text(&out.stdout).contains(" 2\n"));
    let out = run(
        airlock(dir.path())
            .args(["-v", "ON_ERROR_STOP=1", "-f"])
            .arg(&outer),
        b"",
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(!text(&out.stdout).contains(" 2\n"));
}

#[test]
fn secrets_in_argv_are_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(
        airlock(dir.path()).args([
            "-c",
            "create secret s as 'v'",
            "-c",
            "ALTER SECRET s AS 'w'",
        ]),
        b"",
    );
    let err = text(&out.stderr);
    assert_eq!(
        err.matches("WARNING:  a secret value given with -c is visible")
            .count(),
        1,
        "{err}"
    );
    let out = run(airlock(dir.path()).args(["-c", "SHOW SECRETS"]), b"");
    assert_eq!(text(&out.stderr), "");
    let out = run(&mut airlock(dir.path()), b"ALTER SECRET s AS 'x';\n");
    assert_eq!(text(&out.stderr), "", "standard input is not argv");
}

#[cfg(unix)]
#[test]
fn a_shared_key_file_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(airlock(dir.path()).args(["-c", "SHOW SECRETS"]), b"");
    assert_eq!(text(&out.stderr), "", "a new key file is private");
    let key = dir.path().join("c.db.key");
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = run(airlock(dir.path()).args(["-c", "SHOW SECRETS"]), b"");
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "WARNING:  secret key file \"{}\" is readable by other users (mode 0644)",
            key.display()
        )),
        "{err}"
    );
    assert!(out.status.success());
}

#[cfg(target_os = "linux")]
#[test]
fn the_process_leaves_no_core_dump() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Standard input is a pipe held open: the shell waits on it, alive, while its
    // limits are read from /proc.
    let mut child = airlock(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"SELECT 1;\n").expect("write");
    let pid = child.id();
    let mut limits = String::new();
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(50));
        limits = fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
        let stat = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if !stat.is_empty() && core_limit(&limits) == Some(("0", "0")) {
            break;
        }
    }
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(core_limit(&limits), Some(("0", "0")), "{limits}");
}

#[cfg(target_os = "linux")]
fn core_limit(limits: &str) -> Option<(&str, &str)> {
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))?;
    let mut fields = line["Max core file size".len()..].split_whitespace();
    Some((fields.next()?, fields.next()?))
}

/// The same hardening, checked from inside a process (this test binary): the kernel's
/// own answer to `PR_GET_DUMPABLE`, which another process cannot ask.
#[cfg(target_os = "linux")]
#[test]
fn hardening_makes_the_process_non_dumpable() {
    airlock_cli::hardening::no_core_dumps();
    assert!(!airlock_cli::hardening::is_dumpable());
    assert_eq!(airlock_cli::hardening::core_limit(), Some((0, 0)));
}

/// A long string over many lines, each with a `;` and a backslash: they are string
/// text, not statement ends or backslash commands, and the statement runs whole.
#[test]
fn semicolons_and_backslashes_inside_a_long_string_are_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines: Vec<String> = (0..20_000).map(|i| format!("a; \\x {i}")).collect();
    let value = format!("start\n{}\nend", lines.join("\n"));
    let script = format!("SELECT '{value}' AS v;\nSELECT 'after' AS w;\n");
    let output = run(airlock(dir.path()).args(["-A", "-t"]), script.as_bytes());
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), format!("{value}\nafter\n"));
    assert_eq!(text(&output.stderr), "");
}
