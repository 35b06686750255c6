//! The real `airlock` binary against golden output: every flag and output mode, psql's
//! exit codes, errors with the caret, NOTICEs on standard error, scripts with and
//! without `ON_ERROR_STOP`, standard input, `:memory:` and a catalog file.
//!
//! Each golden file under `tests/golden/` shows one run: the command line, standard
//! input if any, then standard output, standard error and the exit status. Run with
//! `AIRLOCK_REWRITE=1` to rewrite them after an intended change, and read the diff.
//!
//! Every run happens in a fresh temporary directory holding the fixture scripts below;
//! the external-ID prefix is fixed so that external IDs are stable, and timestamps are
//! masked as `<time>` (only in output where no column width depends on them).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PREFIX: &str = "eb5cb59b-e2fe-41f3-87ca-d2176a495345";
const PRINCIPAL: &str = "arn:aws:iam::000000000000:role/Airlock";

/// Fixture scripts written into each run's directory.
const FIXTURES: &[(&str, &str)] = &[
    (
        "setup.sql",
        "-- Two connections and the secret one of them uses.\n\
         CREATE SECRET aws_secret AS 'canary-setup-value';\n\
         CREATE CONNECTION aws_conn TO AWS (\n\
         \x20   ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader',\n\
         \x20   REGION = 'us-east-1'\n\
         );\n\
         CREATE CONNECTION key_conn TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET aws_secret);\n",
    ),
    (
        "errors.sql",
        "SELECT name FROM mz_connections ORDER BY name;\n\
         DROP CONNECTION IF EXISTS nope;\n\
         SELECT\n\
         \x20 name FRM mz_connections;\n\
         SELECT 'after the error' AS still_running;\n",
    ),
    (
        "meta.sql",
        "\\x\n\
         SELECT name, type FROM mz_connections ORDER BY name;\n\
         \\x off\n\
         \\dc\n\
         SELECT 'last statement without a semicolon' AS note\n",
    ),
    (
        "include.sql",
        "\\i setup.sql\nSELECT count(*) FROM mz_connections;\n",
    ),
];

/// One run's outcome, printed the way the golden files hold it.
struct Run {
    stdout: String,
    stderr: String,
    status: i32,
}

fn airlock_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_airlock"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("AIRLOCK_CATALOG")
        .env_remove("AIRLOCK_AWS_PRINCIPAL")
        .env_remove("AIRLOCK_SECRET_KEY")
        .env_remove("AIRLOCK_ROLE")
        .env("AIRLOCK_HISTORY", dir.join("history"));
    let output = airlock_testkit::process::output_of(&mut command, stdin.unwrap_or_default());
    Run {
        stdout: mask_times(&String::from_utf8_lossy(&output.stdout)),
        stderr: mask_times(&String::from_utf8_lossy(&output.stderr)),
        status: output.status.code().unwrap_or(-1),
    }
}

fn fixture_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in FIXTURES {
        fs::write(dir.path().join(name), text).expect("write fixture");
    }
    dir
}

/// The flags every golden run starts with: a throwaway catalog with a fixed prefix.
fn base_args() -> Vec<&'static str> {
    vec![
        "--catalog",
        ":memory:",
        "--aws-external-id-prefix",
        PREFIX,
        "--aws-principal",
        PRINCIPAL,
    ]
}

/// Replaces `YYYY-MM-DD HH:MM:SS[.ffffff]+00` with `<time>`.
fn mask_times(text: &str) -> String {
    let bytes = text.as_bytes();
    let shape = b"dddd-dd-dd dd:dd:dd";
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let matches_shape = bytes.len() - i >= shape.len()
            && shape.iter().zip(&bytes[i..]).all(|(s, b)| match s {
                b'd' => b.is_ascii_digit(),
                _ => s == b,
            });
        if matches_shape {
            let mut j = i + shape.len();
            if bytes.get(j) == Some(&b'.') {
                j += 1;
                while bytes.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
            }
            if bytes[j..].starts_with(b"+00") {
                out.push_str("<time>");
                i = j + 3;
                continue;
            }
        }
        let ch = text[i..].chars().next().unwrap_or_default();
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    out
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"))
}

/// Runs `airlock` with the base flags plus `args` and compares with the golden file.
fn golden(name: &str, args: &[&str], stdin: Option<&str>) {
    golden_with(name, true, args, stdin);
}

/// [`golden`], optionally without the base flags.
fn golden_with(name: &str, base: bool, args: &[&str], stdin: Option<&str>) {
    let dir = fixture_dir();
    let mut all = if base { base_args() } else { Vec::new() };
    all.extend_from_slice(args);
    let run = airlock_in(dir.path(), &all, stdin);
    let shown: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
    let base_flags = if base { "<base flags> " } else { "" };
    let mut text = format!("$ airlock {base_flags}{}\n", shown.join(" "));
    if let Some(input) = stdin {
        text.push_str("--- stdin\n");
        text.push_str(input);
    }
    text.push_str("--- stdout\n");
    text.push_str(&run.stdout);
    text.push_str("--- stderr\n");
    text.push_str(&run.stderr);
    text.push_str(&format!("--- exit status {}\n", run.status));

    let path = golden_path(name);
    if std::env::var_os("AIRLOCK_REWRITE").is_some() {
        fs::create_dir_all(path.parent().expect("golden dir")).expect("mkdir golden");
        fs::write(&path, &text).expect("write golden");
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with AIRLOCK_REWRITE=1 to create it",
            path.display()
        )
    });
    assert!(
        expected == text,
        "{} differs (AIRLOCK_REWRITE=1 rewrites it)\n--- expected\n{expected}\n--- actual\n{text}",
        path.display()
    );
}

fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=.,:/".contains(c))
    {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

const CONNECTIONS: &str = "SELECT c.name, c.type, a.region, a.external_id \
                           FROM mz_connections c JOIN mz_aws_connections a ON a.id = c.id \
                           ORDER BY c.name";

// --- output modes -------------------------------------------------------------------

#[test]
fn aligned_output_and_command_tags() {
    golden(
        "aligned",
        &[
            "-f",
            "setup.sql",
            "-c",
            CONNECTIONS,
            "-c",
            "SELECT 42 AS answer",
        ],
        None,
    );
}

#[test]
fn unaligned_output() {
    golden(
        "unaligned",
        &["-f", "setup.sql", "-A", "-c", CONNECTIONS],
        None,
    );
}

#[test]
fn tuples_only() {
    golden(
        "tuples_only",
        &["-f", "setup.sql", "-t", "-c", CONNECTIONS],
        None,
    );
}

#[test]
fn unaligned_tuples_only_with_a_field_separator() {
    golden(
        "field_separator",
        &["-f", "setup.sql", "-A", "-t", "-F", ";", "-c", CONNECTIONS],
        None,
    );
}

#[test]
fn csv_output() {
    golden(
        "csv",
        &["-f", "setup.sql", "--csv", "-c", CONNECTIONS],
        None,
    );
}

#[test]
fn expanded_output() {
    golden(
        "expanded",
        &["-f", "setup.sql", "-x", "-c", CONNECTIONS],
        None,
    );
}

#[test]
fn quiet_hides_command_tags() {
    golden(
        "quiet",
        &[
            "-q",
            "-f",
            "setup.sql",
            "-c",
            "SELECT count(*) FROM mz_connections",
        ],
        None,
    );
}

// --- errors, notices and exit codes -----------------------------------------------------

#[test]
fn syntax_error_with_caret_exits_1() {
    golden(
        "syntax_error",
        &["-c", "SELECT name\nFROM mz_connections WHERE name = = 'x'"],
        None,
    );
}

#[test]
fn planning_error_with_hint() {
    golden(
        "plan_error",
        &[
            "-c",
            "CREATE CONNECTION c TO AWS (SECRET ACCESS KEY = 'literal')",
        ],
        None,
    );
}

#[test]
fn exit_status_is_the_last_commands() {
    golden(
        "last_command_wins",
        &["-c", "SELEC 1", "-c", "SELECT 2 AS two"],
        None,
    );
}

#[test]
fn on_error_stop_stops_at_a_failed_command() {
    golden(
        "command_on_error_stop",
        &[
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            "SELEC 1",
            "-c",
            "SELECT 2 AS two",
        ],
        None,
    );
}

#[test]
fn notices_go_to_stderr() {
    golden(
        "notices",
        &[
            "-c",
            "DROP SECRET IF EXISTS nope",
            "-c",
            "CREATE SECRET s AS 'x'",
            "-c",
            "CREATE SECRET IF NOT EXISTS s AS 'y'",
        ],
        None,
    );
}

#[test]
fn script_errors_are_prefixed_and_do_not_stop_it() {
    golden(
        "script_errors",
        &["-f", "setup.sql", "-f", "errors.sql"],
        None,
    );
}

#[test]
fn script_stops_under_on_error_stop_with_status_3() {
    golden(
        "script_on_error_stop",
        &[
            "--set=ON_ERROR_STOP=on",
            "-f",
            "errors.sql",
            "-c",
            "SELECT 'not reached' AS never",
        ],
        None,
    );
}

#[test]
fn missing_script_file_exits_1() {
    golden("missing_file", &["-f", "nope.sql"], None);
}

// --- standard input -----------------------------------------------------------------

#[test]
fn statements_from_piped_stdin() {
    golden(
        "stdin",
        &[],
        Some(
            "CREATE SECRET s AS 'x';\nSELECT name\n  FROM mz_secrets;\nSELEC 1;\nSELECT 1 AS one\n",
        ),
    );
}

#[test]
fn piped_stdin_under_on_error_stop_exits_3() {
    golden(
        "stdin_on_error_stop",
        &["-v", "ON_ERROR_STOP=1"],
        Some("SELECT 1 AS one;\nSELEC 2;\nSELECT 3 AS three;\n"),
    );
}

#[test]
fn file_dash_reads_stdin_with_a_prefix() {
    golden(
        "file_dash",
        &["-f", "-"],
        Some("SELECT 1 AS one;\nSELEC 2;\n"),
    );
}

// --- backslash commands in -c and -f ------------------------------------------------------

#[test]
fn describe_commands() {
    golden(
        "describe",
        &[
            "-f",
            "setup.sql",
            "-c",
            "\\d",
            "-c",
            "\\dc",
            "-c",
            "\\dc aws*",
            "-c",
            "\\d aws_conn",
            "-c",
            "\\d key_conn",
            "-c",
            "\\d nope",
        ],
        None,
    );
}

#[test]
fn describe_a_secret_and_list_secrets() {
    // Unaligned, so that the masked timestamps leave no column widths behind.
    golden(
        "describe_secret",
        &[
            "-f",
            "setup.sql",
            "-A",
            "-c",
            "\\ds",
            "-c",
            "\\d aws_secret",
        ],
        None,
    );
}

#[test]
fn describe_names_default_credentials_as_such() {
    let dir = fixture_dir();
    let run = airlock_in(
        dir.path(),
        &[
            "--catalog",
            ":memory:",
            "-q",
            "-c",
            "ALTER SYSTEM SET aws_allow_default_credentials = true",
            "-c",
            "CREATE CONNECTION own TO AWS (USE DEFAULT CREDENTIALS, REGION = 'us-east-1')",
            "-A",
            "-c",
            "\\dc",
            "-c",
            "\\d own",
        ],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    // Neither a role nor keys: never listed as "access key".
    assert!(
        run.stdout
            .contains("own|aws|default credentials|us-east-1\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("USE DEFAULT CREDENTIALS|yes (Airlock's own identity)\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn describe_without_principal_says_how_to_set_it() {
    let dir = fixture_dir();
    let run = airlock_in(
        dir.path(),
        &[
            "--catalog",
            ":memory:",
            "-q",
            "-c",
            "CREATE CONNECTION c TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R')",
            "-c",
            "\\d c",
        ],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(" Principal       | (not set)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("No example trust policy: aws_principal is not set"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("NOTICE:  aws_principal is not set"),
        "{}",
        run.stderr
    );
}

#[test]
fn meta_commands_in_scripts() {
    golden("meta_script", &["-f", "setup.sql", "-f", "meta.sql"], None);
}

/// `-e` prints each statement before it runs and `-b` a failed one after its error, both
/// masked as error excerpts are: a secret value never reaches the output.
#[test]
fn echo_queries_and_errors_mask_secret_values() {
    let script = "CREATE SECRET s AS 'canary-echo-5a1';\nSELECT 'shown' AS v;\nCREATE SECRET t AS 'canary-echo-6b2' BOGUS;\n";
    for (name, flag) in [("echo_queries", "-e"), ("echo_errors", "-b")] {
        golden(name, &["-e", flag, "-f", "-"], Some(script));
        let text = fs::read_to_string(golden_path(name)).expect("golden");
        let (_, output) = text.split_once("--- stdout").expect("stdout section");
        assert!(!output.contains("canary"), "{output}");
    }
}

#[test]
fn include_and_help() {
    golden("include", &["-c", "\\i include.sql", "-c", "\\?"], None);
}

#[test]
fn unknown_meta_command() {
    golden("unknown_meta", &["-c", "\\dq"], None);
}

#[test]
fn timing() {
    let dir = fixture_dir();
    let run = airlock_in(
        dir.path(),
        &[
            "--catalog",
            ":memory:",
            "-c",
            "\\timing",
            "-c",
            "SELECT 1 AS one",
        ],
        None,
    );
    assert_eq!(run.status, 0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[..5],
        ["Timing is on.", " one ", "-----", "   1", "(1 row)"]
    );
    assert_eq!(lines[5], "");
    let time = lines[6];
    assert!(
        time.starts_with("Time: ") && time.ends_with(" ms") && time.contains('.'),
        "{time}"
    );
}

// --- flags, catalogs and the principal ------------------------------------------------------

#[test]
fn version_and_help() {
    let dir = fixture_dir();
    let run = airlock_in(dir.path(), &["--version"], None);
    assert_eq!(run.status, 0);
    assert_eq!(
        run.stdout,
        format!("airlock {}\n", env!("CARGO_PKG_VERSION"))
    );
    let run = airlock_in(dir.path(), &["--help"], None);
    assert_eq!(run.status, 0);
    for flag in [
        "--catalog",
        "--command",
        "--file",
        "--set",
        "--no-align",
        "--tuples-only",
        "--field-separator",
        "--csv",
        "--expanded",
        "--quiet",
        "--aws-principal",
        "--aws-external-id-prefix",
        "--version",
        "--help",
        "AIRLOCK_CATALOG",
        "AIRLOCK_AWS_PRINCIPAL",
    ] {
        assert!(
            run.stdout.contains(flag),
            "--help lacks {flag}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn bad_flags_exit_1_with_a_hint() {
    golden_with("bad_flag", false, &["--bogus"], None);
    golden_with("missing_value", false, &["-c"], None);
    golden_with(
        "bad_variable",
        false,
        &["-v", "ON_ERROR_STOP=maybe", "-c", "SELECT 1"],
        None,
    );
    golden_with(
        "bad_prefix",
        false,
        &["--aws-external-id-prefix", "not-a-uuid"],
        None,
    );
}

#[test]
fn catalog_file_persists_and_defaults_to_airlock_db() {
    let dir = fixture_dir();
    // No --catalog: airlock.db in the current directory.
    let run = airlock_in(dir.path(), &["-q", "-f", "setup.sql"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(dir.path().join("airlock.db").exists());
    let run = airlock_in(
        dir.path(),
        &["-A", "-t", "-c", "SELECT count(*) FROM mz_connections"],
        None,
    );
    assert_eq!(
        (run.status, run.stdout.as_str()),
        (0, "2\n"),
        "{}",
        run.stderr
    );

    // AIRLOCK_CATALOG names another file.
    let other = dir.path().join("other.db");
    let output = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["-A", "-t", "-c", "SELECT count(*) FROM mz_connections"])
        .current_dir(dir.path())
        .env("AIRLOCK_CATALOG", &other)
        .env_remove("AIRLOCK_AWS_PRINCIPAL")
        .output()
        .expect("run airlock");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "0\n");
    assert!(other.exists());
}

#[test]
fn principal_is_applied_to_an_existing_catalog_with_a_notice() {
    let dir = fixture_dir();
    let catalog = dir.path().join("c.db");
    let catalog = catalog.to_str().expect("utf-8 path");
    let run = airlock_in(
        dir.path(),
        &[
            "--catalog",
            catalog,
            "--aws-principal",
            PRINCIPAL,
            "-q",
            "-f",
            "setup.sql",
        ],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    // The same principal again: nothing to do, nothing said.
    let run = airlock_in(
        dir.path(),
        &[
            "--catalog",
            catalog,
            "--aws-principal",
            PRINCIPAL,
            "-c",
            "SHOW aws_principal",
        ],
        None,
    );
    assert_eq!((run.status, run.stderr.as_str()), (0, ""));
    // A new one, from the environment: applied with ALTER SYSTEM, and its NOTICE shown.
    let new = "arn:aws:iam::000000000000:role/Other";
    let output = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args([
            "--catalog",
            catalog,
            "-A",
            "-t",
            "-c",
            "SELECT principal FROM mz_aws_connections WHERE principal IS NOT NULL",
        ])
        .current_dir(dir.path())
        .env("AIRLOCK_AWS_PRINCIPAL", new)
        .output()
        .expect("run airlock");
    assert_eq!(String::from_utf8_lossy(&output.stdout), format!("{new}\n"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("NOTICE:  "), "{stderr}");
}

#[test]
fn external_id_prefix_only_when_creating() {
    let dir = fixture_dir();
    let catalog = dir.path().join("c.db");
    let catalog = catalog.to_str().expect("utf-8 path");
    let run = airlock_in(
        dir.path(),
        &[
            "--catalog",
            catalog,
            "--aws-external-id-prefix",
            PREFIX,
            "-c",
            "SHOW aws_external_id_prefix",
        ],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains(PREFIX), "{}", run.stdout);
    // The same prefix again is fine; another one is the catalog's error, exit 2.
    let run = airlock_in(
        dir.path(),
        &[
            "--catalog",
            catalog,
            "--aws-external-id-prefix",
            PREFIX,
            "-c",
            "SELECT 1",
        ],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run = airlock_in(
        dir.path(),
        &[
            "--catalog",
            catalog,
            "--aws-external-id-prefix",
            "11111111-2222-4333-8444-555555555555",
            "-c",
            "SELECT 1",
        ],
        None,
    );
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.starts_with(
            "airlock: error: cannot change the external-ID prefix of an existing catalog\n"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn a_file_that_is_not_a_catalog_exits_2() {
    let dir = fixture_dir();
    // setup.sql is a text file, not a SQLite catalog.
    let run = airlock_in(
        dir.path(),
        &["--catalog", "setup.sql", "-c", "SELECT 1"],
        None,
    );
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("airlock: error: setup.sql is not an Airlock catalog"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    // The file was not touched.
    assert_eq!(
        fs::read_to_string(dir.path().join("setup.sql")).expect("read"),
        FIXTURES[0].1
    );
}

#[test]
fn output_to_a_closed_pipe_does_not_panic() {
    let dir = fixture_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["--catalog", ":memory:", "-f", "setup.sql", "-c", "\\?"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start airlock");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The shell's session acts as the operating-system user, the first user (a superuser)
/// of the catalog it creates; `--role` acts as another role, which must exist.
#[test]
fn the_shell_acts_as_the_os_user_or_the_role_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |role: Option<&str>, sql: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_airlock"));
        command
            .args(["--catalog", "roles.db", "-A", "-t", "-c", sql])
            .current_dir(dir.path())
            .env_remove("AIRLOCK_CATALOG")
            .env_remove("AIRLOCK_AWS_PRINCIPAL")
            .env_remove("AIRLOCK_SECRET_KEY")
            .env_remove("AIRLOCK_ROLE")
            .env("AIRLOCK_HISTORY", dir.path().join("history"))
            .env("USER", "ops");
        if let Some(role) = role {
            command.args(["--role", role]);
        }
        let output = command.output().expect("run airlock");
        (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
            output.status.code(),
        )
    };
    let (out, err, status) = run(None, "SELECT id, name, rolsuper FROM mz_roles ORDER BY id");
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        ("s1|mz_system|t\nu1|ops|t\n", "", Some(0))
    );
    // (A secret value given with -c earns a WARNING on standard error, no ERROR.)
    let (_, err, status) = run(
        None,
        "CREATE ROLE joe LOGIN; GRANT CREATE ON SCHEMA public TO joe; CREATE SECRET admin_only AS 'x'",
    );
    assert!(!err.contains("ERROR") && status == Some(0), "{err}");
    let (_, err, status) = run(Some("joe"), "CREATE SECRET s AS 'x'");
    assert!(!err.contains("ERROR") && status == Some(0), "{err}");
    let (_, err, status) = run(Some("joe"), "DROP SECRET admin_only");
    assert_eq!(status, Some(1));
    assert!(
        err.contains("must be owner of SECRET materialize.public.admin_only"),
        "{err}"
    );
    let (out, _, _) = run(None, "SELECT name, owner_id FROM mz_secrets ORDER BY name");
    assert_eq!(out, "admin_only|u1\ns|u2\n");
    let (_, err, status) = run(Some("nobody"), "SELECT 1");
    assert_eq!(status, Some(1));
    assert!(err.contains("role \"nobody\" does not exist"), "{err}");
}
