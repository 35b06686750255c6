//! The secret canary: secrets hold unique canary values, then every statement kind,
//! output mode, error path, backslash command and input source (`-c`, `-f`, standard
//! input, the interactive shell) runs against them with the most verbose logging asked
//! for. Afterwards no output, history file or catalog file (main, WAL, shm, key) holds
//! a canary — not once.
//!
//! `VALIDATE CONNECTION` runs for real but never leaves loopback: Airlock's own AWS
//! identity and every connection's ENDPOINT point at a closed loopback port.
//!
//! The binary sets up no `tracing` subscriber, so `RUST_LOG=trace` adds no output; it is
//! set anyway so that a subscriber added later is scanned too.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use rexpect::session::spawn_command;

const PROMPT: &str = "airlock=> ";

fn random_hex() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64;
    let mut x = nanos ^ (u64::from(std::process::id()) << 32) ^ 0x9e37_79b9_7f4a_7c15;
    let mut out = String::new();
    for _ in 0..2 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out += &format!("{x:016x}");
    }
    out
}

struct World {
    dir: tempfile::TempDir,
    catalog: PathBuf,
    history: PathBuf,
    endpoint: String,
    /// Everything any run printed, to scan at the end.
    outputs: Vec<(String, Vec<u8>)>,
}

impl World {
    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_airlock"));
        command
            .arg("--catalog")
            .arg(&self.catalog)
            .current_dir(self.dir.path())
            .env_remove("AIRLOCK_CATALOG")
            .env_remove("AIRLOCK_AWS_PRINCIPAL")
            .env_remove("AIRLOCK_SECRET_KEY")
            .env("HOME", self.dir.path())
            .env("AIRLOCK_HISTORY", &self.history)
            .env("RUST_LOG", "trace")
            .env("RUST_BACKTRACE", "1")
            // Airlock's own identity: dummies, sent only to the closed loopback port.
            .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "dummy-airlock-identity")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            // The dead endpoint is listed, so the validations get as far as the network
            // (and its errors are scanned too); the endpoint rule is tested elsewhere.
            .env("AIRLOCK_AWS_ALLOWED_ENDPOINTS", &self.endpoint)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", self.dir.path().join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("no-aws-credentials"),
            )
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN");
        command
    }

    /// Runs `airlock` with `args` and `stdin`; keeps stdout and stderr for the scan.
    fn run(&mut self, label: &str, args: &[&str], stdin: &str) -> (String, String, i32) {
        let out = airlock_testkit::process::output_of(self.command().args(args), stdin);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{label}: {stderr}");
        self.outputs
            .push((format!("{label} stdout"), out.stdout.clone()));
        self.outputs.push((format!("{label} stderr"), out.stderr));
        (stdout, stderr, out.status.code().unwrap_or(-1))
    }

    /// The catalog's files as they are on disk now, raw bytes.
    fn catalog_files(&self) -> Vec<(String, Vec<u8>)> {
        ["", "-wal", "-shm", ".key"]
            .iter()
            .filter_map(|suffix| {
                let path = PathBuf::from(format!("{}{suffix}", self.catalog.display()));
                fs::read(&path)
                    .ok()
                    .map(|bytes| (path.display().to_string(), bytes))
            })
            .collect()
    }
}

/// A loopback port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn count(haystack: &[u8], needle: &str) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

fn assert_no_canary(canaries: &[String], what: &str, bytes: &[u8]) {
    for canary in canaries {
        assert_eq!(
            count(bytes, canary),
            0,
            "{what} holds {canary}:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, text).expect("write script");
    path.display().to_string()
}

#[test]
fn canary_values_never_leave_the_secret_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hex = random_hex();
    let [c1, c2, c3, c4] = ["one", "two", "token", "syntax"].map(|k| format!("canary-{k}-{hex}"));
    let canaries = vec![c1.clone(), c2.clone(), c3.clone(), c4.clone()];
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let mut w = World {
        catalog: dir.path().join("canary.db"),
        history: dir.path().join("history"),
        dir,
        endpoint: endpoint.clone(),
        outputs: Vec::new(),
    };
    let key = "ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE'";
    let arn = "arn:aws:iam::000000000000:role/Reader";

    // Every statement kind, from a file.
    let setup = format!(
        "CREATE SECRET sk AS '{c1}';\n\
         ALTER SECRET sk AS '{c2}';\n\
         CREATE SECRET sk2 = '{c1}';\n\
         CREATE SECRET IF NOT EXISTS sk2 AS '{c2}';\n\
         CREATE SECRET spare AS\n  '{c1}';\n\
         CREATE CONNECTION keyc TO AWS ({key}, SECRET ACCESS KEY = SECRET sk, \
         ENDPOINT = '{endpoint}', REGION = 'us-east-1');\n\
         CREATE CONNECTION tokc TO AWS ({key}, SECRET ACCESS KEY = SECRET sk, \
         SESSION TOKEN = SECRET sk2);\n\
         CREATE CONNECTION rolec TO AWS (ASSUME ROLE ARN = '{arn}', \
         ENDPOINT = '{endpoint}', REGION = 'us-east-1');\n\
         ALTER SYSTEM SET aws_principal = 'arn:aws:iam::000000000000:role/Airlock';\n\
         ALTER CONNECTION rolec SET (ASSUME ROLE SESSION NAME = 'canary-free'), RESET (REGION);\n\
         ALTER CONNECTION tokc SET (SESSION TOKEN = SECRET spare);\n\
         ALTER SECRET sk2 RENAME TO sk3;\n\
         ALTER CONNECTION tokc RENAME TO tokc2;\n\
         CREATE CONNECTION doomed TO AWS ({key}, SECRET ACCESS KEY = SECRET spare);\n\
         DROP SECRET spare CASCADE;\n\
         CREATE CONNECTION IF NOT EXISTS keyc TO AWS (ASSUME ROLE ARN = '{arn}');\n\
         SHOW CONNECTIONS;\nSHOW SECRETS;\nSHOW SECRETS LIKE 'sk%';\n\
         SHOW CREATE CONNECTION keyc;\nSHOW REDACTED CREATE CONNECTION keyc;\n\
         SHOW CREATE CONNECTION rolec;\n\
         SELECT * FROM mz_connections;\nSELECT * FROM mz_catalog.mz_secrets;\n\
         SELECT * FROM mz_internal.mz_aws_connections;\n\
         SELECT * FROM mz_object_dependencies;\n\
         SHOW aws_principal;\nSHOW aws_external_id_prefix;\n\
         VALIDATE CONNECTION keyc;\n\
         VALIDATE CONNECTION rolec;\n\
         CREATE CONNECTION v TO AWS ({key}, SECRET ACCESS KEY = SECRET sk, \
         ENDPOINT = '{endpoint}', REGION = 'us-east-1') WITH (VALIDATE = true);\n\
         SELECT * FROM mz_aws_connection_validations;\n\
         CREATE CONNECTION bad TO AWS (BOGUS = '{c1}');\n\
         CREATE CONNECTION bad TO AWS ({key}, SECRET ACCESS KEY = '{c1}');\n\
         CREATE CONNECTION bad TO AWS (SESSION TOKEN = '{c3}', REGION = 'us-east-1');\n\
         CREATE CONNECTION bad TO AWS ({key}, SECRET ACCESS KEY = SECRET sk, \
         SESSION TOKEN = '{c3}', ASSUME ROLE ARN = '{arn}');\n\
         CREATE CONNECTION bad TO AWS ({key}, SECRET ACCESS KEY = SECRET nope, SESSION TOKEN = '{c3}');\n\
         ALTER CONNECTION keyc SET (SESSION TOKEN = '{c3}'), DROP (SESSION TOKEN);\n\
         ALTER CONNECTION keyc SET (SESSION TOKEN = '{c3}', REGION = 'Not A Region');\n\
         CREATE SECRET sk AS '{c1}';\n\
         ALTER SECRET nope AS '{c1}';\n\
         DROP SECRET sk;\n\
         DROP SECRET sk RESTRICT;\n\
         CREATE SECRET s9 AS '{c4}' BOGUS;\n\
         CREATE SECRET s9 '{c4}';\n\
         ALTER SECRET sk AS '{c4}' , '{c4}';\n\
         CREATE SECRET \"s\\x\" AS '{c4}' oops;\n\
         INSERT INTO t VALUES ('{c4}');\n\
         SELECT name FROM mz_secrets ORDER BY name;\n"
    );
    let path = write(w.dir.path(), "setup.sql", &setup);
    let (out, err, status) = w.run("-f setup.sql", &["-f", &path], "");
    assert_eq!(status, 0, "{err}");
    // The statements did what they say; the scan below is not vacuous.
    assert!(out.contains("CREATE SECRET\nALTER SECRET\n"), "{out}");
    assert!(
        out.contains("SECRET ACCESS KEY = SECRET materialize.public.sk"),
        "{out}"
    );
    assert!(err.contains("connection validation"), "{err}");
    assert!(err.contains("still depended upon"), "{err}");
    assert!(err.contains("'<REDACTED>'"), "{err}");
    assert!(out.contains(" sk\n sk3\n(2 rows)"), "{out}");

    // Every output mode, with -c.
    for flags in [
        &[][..],
        &["-A"],
        &["-t"],
        &["--csv"],
        &["-x"],
        &["-A", "-F", "#"],
        &["-A", "-t", "-x"],
        &["-q"],
    ] {
        let mut args: Vec<&str> = flags.to_vec();
        for sql in [
            "SELECT * FROM mz_aws_connections",
            "SELECT * FROM mz_connections",
            "SELECT * FROM mz_secrets",
            "SHOW CREATE CONNECTION tokc2",
            "SHOW REDACTED CREATE CONNECTION keyc",
            "SHOW SECRETS",
            "\\d",
            "\\ds",
            "\\dc",
            "\\d keyc",
            "\\d tokc2",
            "\\d sk",
            "\\d rolec",
        ] {
            args.extend(["-c", sql]);
        }
        let label = format!("modes {flags:?}");
        let (out, err, status) = w.run(&label, &args, "");
        assert_eq!(status, 0, "{label}: {err}");
        assert!(out.contains("sk3"), "{label}: {out}");
    }

    // Errors through -c (status 1), and a script on standard input.
    for sql in [
        format!("CREATE SECRET cx AS '{c4}' oops"),
        format!("ALTER SECRET sk AS '{c1}'; CREATE SECRET q '{c4}'"),
        format!("CREATE CONNECTION bad TO AWS (SECRET ACCESS KEY = '{c1}')"),
        format!("CREATE SECRET sk AS '{c2}'"),
        "VALIDATE CONNECTION keyc".to_owned(),
        "\\d nosuch".to_owned(),
        "\\bogus".to_owned(),
    ] {
        let (_, _, status) = w.run("-c error", &["-c", &sql], "");
        assert_eq!(status, 1, "{sql}");
    }
    let stdin = format!(
        "ALTER SECRET sk AS '{c1}';\nALTER SECRET sk3 AS '{c2}';\n\
         CREATE SECRET piped '{c4}';\n\\ds\n\\d sk3\n\
         SELECT * FROM mz_aws_connections;\nVALIDATE CONNECTION keyc;\n\
         DROP SECRET sk3;\nDROP CONNECTION tokc2;\nDROP SECRET sk3, sk CASCADE;\n\
         CREATE SECRET sk AS '{c2}';\n"
    );
    let (out, err, status) = w.run("stdin", &[], &stdin);
    assert_eq!(status, 0, "{err}");
    assert!(out.contains("DROP SECRET\n"), "{out}");
    let (_, err, status) = w.run(
        "stdin stop",
        &["-v", "ON_ERROR_STOP=1", "-f", "-"],
        &format!("CREATE SECRET sk AS '{c1}';\n"),
    );
    assert_eq!(status, 3, "{err}");

    // The interactive shell, history in the tempdir. The terminal echoes what is typed,
    // so its screen is not scanned; what the shell keeps (the history file) is.
    let mut command = w.command();
    command.env("TERM", "xterm");
    let mut s = spawn_command(command, Some(20_000)).expect("start airlock in a pty");
    s.exp_string(PROMPT).expect("prompt");
    for line in [
        format!("CREATE SECRET p AS '{c1}';"),
        format!("ALTER SECRET p AS '{c2}';"),
        format!("CREATE SECRET q '{c4}';"),
        "CREATE SECRET r AS".to_owned(),
        format!("'{c1}';"),
        format!("CREATE CONNECTION pc TO AWS ({key}, SECRET ACCESS KEY = SECRET p);"),
        format!("CREATE CONNECTION bad TO AWS (SESSION TOKEN = '{c3}');"),
        "\\d pc".to_owned(),
        "\\x".to_owned(),
        "SELECT * FROM mz_aws_connections;".to_owned(),
        "SHOW CREATE CONNECTION pc;".to_owned(),
        "DROP SECRET p;".to_owned(),
    ] {
        s.send_line(&line).expect("type");
        // Type ahead of a prompt and rustyline may drop it: wait for each one.
        let prompt = if line.ends_with(" AS") {
            "airlock-> "
        } else {
            PROMPT
        };
        s.exp_string(prompt).expect("prompt after a line");
    }
    // While the shell holds the catalog open, its WAL and shm exist: scan them now.
    for (what, bytes) in w.catalog_files() {
        assert_no_canary(&canaries, &format!("{what} (shell open)"), &bytes);
    }
    s.send_line("\\q").expect("quit");
    s.exp_eof().expect("exit");

    // The scan.
    for (what, bytes) in &w.outputs {
        assert_no_canary(&canaries, what, bytes);
    }
    let history = fs::read(&w.history).expect("history file");
    let history_text = String::from_utf8_lossy(&history);
    assert!(history_text.contains("<REDACTED>"), "{history_text}");
    assert!(
        history_text.contains("CREATE CONNECTION pc"),
        "{history_text}"
    );
    assert_no_canary(&canaries, "history", &history);
    let files = w.catalog_files();
    assert!(files.iter().any(|(p, _)| p.ends_with(".key")));
    for (what, bytes) in &files {
        assert_no_canary(&canaries, what, bytes);
    }
    // Anything else left in the directory (a log file, a journal) too.
    for entry in fs::read_dir(w.dir.path()).expect("dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "sql") {
            continue; // our own scripts
        }
        assert_no_canary(
            &canaries,
            &path.display().to_string(),
            &fs::read(&path).expect("read"),
        );
    }
}

/// The attacks of issue 10 on error excerpts: text that starts like a read-only query,
/// or hides the value from a hand-written scanner, or types it without quotes. Each runs
/// through `-c`, `-f`, standard input and the interactive shell; no error output holds
/// the canary.
#[test]
fn error_excerpts_never_echo_secret_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hex = random_hex();
    let quoted = format!("canary-excerpt-{hex}");
    // A value typed without quotes is a word: letters and digits only.
    let bare = format!("CANARYbare{hex}");
    let canaries = vec![quoted.clone(), bare.clone()];
    let mut w = World {
        catalog: dir.path().join("excerpt.db"),
        history: dir.path().join("history"),
        dir,
        endpoint: format!("http://127.0.0.1:{}", closed_port()),
        outputs: Vec::new(),
    };
    let c = &quoted;
    let attacks = [
        format!("SHOW SECRETS; CREATE SECRET s AS '{c}' oops"),
        format!("SELECT 1; CREATE SECRET s AS '{c}"),
        format!("EXPLAIN CREATE SECRET s AS '{c}'"),
        format!("WITH x AS (SELECT 1) CREATE SECRET s AS '{c}'"),
        format!("(SELECT 1); CREATE SECRET s AS '{c}' oops"),
        format!("/* /* */ SELECT */ CREATE SECRET s AS '{c}' oops"),
        format!("SHOW SECRETS; CREATE SECRET s AS _e'\\' '{c}' oops"),
        format!("SHOW SECRETS; CREATE SECRET s AS $e'\\' '{c}' oops"),
        format!("CREATE SECRET s AS {bare}"),
        format!("ALTER SECRET s AS {bare} oops"),
        format!("CREATE SECRET s = {bare} {bare}"),
        format!("SELECT 1; CREATE CONNECTION k TO AWS (SESSION TOKEN = {bare})"),
        format!("SELECT 1; CREATE CONNECTION k TO AWS (SESSION TOKEN = '{c}') oops"),
    ];
    let mut errors = 0;
    for (i, sql) in attacks.iter().enumerate() {
        let (_, err, status) = w.run(&format!("-c attack {i}"), &["-c", sql], "");
        assert_eq!(status, 1, "{sql}: {err}");
        assert!(err.contains("ERROR:"), "{sql}: {err}");
        errors += 1;
        let file = write(w.dir.path(), &format!("attack{i}.sql"), &format!("{sql}\n"));
        let (_, err, _) = w.run(&format!("-f attack {i}"), &["-f", &file], "");
        assert!(err.contains("ERROR:"), "{sql}: {err}");
        let (_, err, _) = w.run(&format!("stdin attack {i}"), &[], &format!("{sql}\n"));
        assert!(err.contains("ERROR:"), "{sql}: {err}");
    }
    assert!(errors >= 13);

    // The interactive shell: what it prints after each line (errors, excerpts) is
    // scanned; the echo of what was typed is not.
    let mut command = w.command();
    command.env("TERM", "dumb");
    let mut s = spawn_command(command, Some(20_000)).expect("start airlock in a pty");
    s.exp_string(PROMPT).expect("prompt");
    for sql in &attacks {
        if sql.ends_with(&format!("'{c}")) {
            continue; // unterminated: the shell waits for the closing quote
        }
        s.send_line(&format!("{sql};")).expect("type");
        let screen = s.exp_string(PROMPT).expect("prompt after an attack");
        let printed: Vec<&str> = screen
            .lines()
            .map(str::trim)
            .filter(|l| {
                ["ERROR:", "LINE ", "HINT:", "DETAIL:"]
                    .iter()
                    .any(|p| l.starts_with(p))
            })
            .collect();
        assert!(!printed.is_empty(), "{sql}: {screen}");
        for canary in &canaries {
            for line in &printed {
                assert!(!line.contains(canary.as_str()), "{sql}: {line}");
            }
        }
    }
    s.send_line("\\q").expect("quit");
    s.exp_eof().expect("exit");

    for (what, bytes) in &w.outputs {
        assert_no_canary(&canaries, what, bytes);
    }
    if let Ok(history) = fs::read(&w.history) {
        assert_no_canary(&canaries, "history", &history);
    }
    for (what, bytes) in &w.catalog_files() {
        assert_no_canary(&canaries, what, bytes);
    }
}
