//! The interactive shell in a real pseudo-terminal (`rexpect`): prompts, multi-line
//! statements, Ctrl-C, Ctrl-D, history recall, backslash commands, and a history file
//! that never holds a secret value.
//!
//! Every wait is an `expect` on output with a 10-second limit; nothing sleeps.

use std::fs;
use std::path::Path;
use std::process::Command;

use rexpect::session::{PtySession, spawn_command};

const TIMEOUT_MS: u64 = 10_000;
const PROMPT: &str = "airlock=> ";
const UP: &str = "\x1b[A";

/// Starts `airlock` on a throwaway catalog in a terminal, history in `dir`.
fn start(dir: &Path, extra: &[&str]) -> PtySession {
    start_with_env(dir, extra, &[])
}

/// [`start`] with more environment variables.
fn start_with_env(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_airlock"));
    command.envs(env.iter().copied());
    command
        .args([
            "--catalog",
            ":memory:",
            "--aws-external-id-prefix",
            "eb5cb59b-e2fe-41f3-87ca-d2176a495345",
            "--aws-principal",
            "arn:aws:iam::000000000000:role/Airlock",
        ])
        .args(extra)
        .current_dir(dir)
        .env("HOME", dir)
        .env("AIRLOCK_HISTORY", dir.join("history"))
        .env("TERM", "xterm")
        .env_remove("AIRLOCK_CATALOG")
        .env_remove("AIRLOCK_AWS_PRINCIPAL");
    let mut session = spawn_command(command, Some(TIMEOUT_MS)).expect("start airlock in a pty");
    session.exp_string("Type \"\\?\" for help").expect("banner");
    session.exp_string(PROMPT).expect("first prompt");
    session
}

/// Presses the up arrow (`send` alone leaves the bytes in rexpect's buffer).
fn press_up(session: &mut PtySession) {
    session.send(UP).expect("up arrow");
    session.flush().expect("flush");
}

/// Sends `\q` and waits for the process to end with status 0.
fn quit(mut session: PtySession) {
    session.send_line("\\q").expect("send \\q");
    session.exp_eof().expect("exit after \\q");
    let status = format!("{:?}", session.process().wait().expect("wait"));
    // nix's `WaitStatus::Exited(pid, code)`.
    assert!(
        status.starts_with("Exited(") && status.ends_with(", 0)"),
        "{status}"
    );
}

#[test]
fn multi_line_statement_with_continuation_prompts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = start(dir.path(), &[]);
    s.send_line("SELECT 'multi' AS label,").expect("line 1");
    s.exp_string("airlock-> ").expect("continuation prompt");
    s.send_line("  'line").expect("line 2");
    s.exp_string("airlock'> ").expect("inside a string");
    s.send_line("value' AS v").expect("line 3");
    s.exp_string("airlock-> ")
        .expect("continuation prompt again");
    s.send_line(";").expect("end");
    s.exp_string(" label | ").expect("header");
    s.exp_string("(1 row)").expect("footer");
    s.exp_string(PROMPT).expect("back to the first prompt");
    quit(s);
}

#[test]
fn ctrl_c_clears_the_statement_and_ctrl_d_exits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = start(dir.path(), &[]);
    s.send_line("SELECT 'never run' AS").expect("line");
    s.exp_string("airlock-> ").expect("continuation");
    s.send_control('c').expect("ctrl-c");
    s.exp_string(PROMPT).expect("fresh prompt after ctrl-c");
    // Had the buffer survived, this would be `SELECT 'never run' AS SELECT …`: an error.
    s.send_line("SELECT 'fresh' AS after_ctrl_c;")
        .expect("line");
    let out = s.exp_string("(1 row)").expect("result");
    assert!(out.contains("after_ctrl_c"), "{out}");
    assert!(!out.contains("ERROR"), "{out}");
    s.exp_string(PROMPT).expect("prompt");
    s.send_control('d').expect("ctrl-d");
    s.exp_string("\\q").expect("psql prints \\q on Ctrl-D");
    s.exp_eof().expect("exit on ctrl-d");
}

#[test]
fn backslash_commands_and_expanded_display() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = start(dir.path(), &[]);
    s.send_line(
        "CREATE CONNECTION aws_conn TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader');",
    )
    .expect("create");
    s.exp_string("CREATE CONNECTION").expect("tag");
    s.exp_string(PROMPT).expect("prompt");

    s.send_line("\\d").expect("\\d");
    s.exp_string("List of objects").expect("title");
    s.exp_string(" aws_conn | connection").expect("row");
    s.exp_string(PROMPT).expect("prompt");

    s.send_line("\\dc").expect("\\dc");
    s.exp_string("List of connections").expect("title");
    s.exp_string(" aws_conn | aws  | assume role").expect("row");
    s.exp_string(PROMPT).expect("prompt");

    s.send_line("\\ds").expect("\\ds");
    s.exp_string("List of secrets").expect("title");
    s.exp_string("(0 rows)").expect("no secrets");
    s.exp_string(PROMPT).expect("prompt");

    s.send_line("\\d aws_conn").expect("\\d NAME");
    s.exp_string("Connection \"aws_conn\"").expect("title");
    s.exp_string("External ID     | mz_eb5cb59b-e2fe-41f3-87ca-d2176a495345_u1")
        .expect("external id");
    s.exp_string("Example trust policy:")
        .expect("policy footer");
    s.exp_string("\"sts:ExternalId\": \"mz_eb5cb59b-e2fe-41f3-87ca-d2176a495345_u1\"")
        .expect("pretty-printed policy");
    s.exp_string(PROMPT).expect("prompt");

    s.send_line("\\x").expect("\\x");
    s.exp_string("Expanded display is on.").expect("\\x on");
    s.exp_string(PROMPT).expect("prompt");
    s.send_line("SELECT name, type FROM mz_connections;")
        .expect("query");
    s.exp_string("-[ RECORD 1 ]").expect("expanded record");
    s.exp_string("name | aws_conn").expect("expanded value");
    s.exp_string(PROMPT).expect("prompt");

    s.send_line("\\timing").expect("\\timing");
    s.exp_string("Timing is on.").expect("timing on");
    s.exp_string(PROMPT).expect("prompt");
    s.send_line("SELECT 1 AS one;").expect("query");
    s.exp_string("Time: ").expect("timing line");
    s.exp_string(" ms").expect("milliseconds");
    s.exp_string(PROMPT).expect("prompt");

    s.send_line("\\?").expect("\\?");
    s.exp_string("\\timing [on|off]")
        .expect("help lists \\timing");
    s.exp_string(PROMPT).expect("prompt");

    s.send_line("\\nope").expect("unknown");
    s.exp_string("invalid command \\nope")
        .expect("psql's message");
    s.exp_string(PROMPT).expect("still running");
    quit(s);
}

#[test]
fn up_arrow_recalls_the_redacted_statement() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = start(dir.path(), &[]);
    s.send_line("SELECT 'recalled' AS r;").expect("query");
    s.exp_string("(1 row)").expect("first run");
    s.exp_string(PROMPT).expect("prompt");
    press_up(&mut s);
    s.send_line("").expect("enter");
    s.exp_string("recalled")
        .expect("second run of the recalled statement");
    s.exp_string("(1 row)").expect("second run");
    s.exp_string(PROMPT).expect("prompt");

    s.send_line("CREATE SECRET s AS 'canary-recall';")
        .expect("create secret");
    s.exp_string("CREATE SECRET").expect("tag");
    s.exp_string(PROMPT).expect("prompt");
    press_up(&mut s);
    s.exp_string("CREATE SECRET s AS '<REDACTED>';")
        .expect("the recalled line is the redacted one");
    s.send_control('c').expect("ctrl-c");
    s.exp_string(PROMPT).expect("prompt");
    quit(s);
}

#[test]
fn history_file_holds_no_secret_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = start(dir.path(), &[]);
    s.send_line("CREATE SECRET s AS 'canary-create-1f3a';")
        .expect("create");
    s.exp_string("CREATE SECRET").expect("tag");
    s.exp_string(PROMPT).expect("prompt");
    s.send_line("ALTER SECRET s AS").expect("alter, line 1");
    s.exp_string("airlock-> ").expect("continuation");
    s.send_line("  'canary-alter-2b4c';")
        .expect("alter, line 2");
    s.exp_string("ALTER SECRET").expect("tag");
    s.exp_string(PROMPT).expect("prompt");
    // A syntax error whose secret sits where the parser cannot tell it is one.
    s.send_line("CREATE SECRET t AS canary-syntax-3c5d 'canary-syntax-4d6e';")
        .expect("syntax error");
    s.exp_string("ERROR:").expect("error");
    s.exp_string(PROMPT).expect("prompt");
    s.send_line("CREATE CONNECTION k TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET s);")
        .expect("connection");
    s.exp_string("CREATE CONNECTION").expect("tag");
    s.exp_string(PROMPT).expect("prompt");
    s.send_line("\\ds").expect("\\ds");
    s.exp_string("List of secrets").expect("title");
    s.exp_string(PROMPT).expect("prompt");
    quit(s);

    let history = fs::read_to_string(dir.path().join("history")).expect("history file");
    assert!(
        !history.contains("canary"),
        "secret value in history:\n{history}"
    );
    assert!(
        history.contains("CREATE SECRET s AS '<REDACTED>';"),
        "{history}"
    );
    assert!(
        history.contains("ALTER SECRET s AS '<REDACTED>';"),
        "{history}"
    );
    assert!(history.contains("\\ds"), "{history}");
    assert!(history.contains("CREATE CONNECTION k TO AWS"), "{history}");

    // A new session loads the file: the newest entries come back, redacted as stored.
    let mut s = start(dir.path(), &[]);
    press_up(&mut s);
    s.exp_string("\\q")
        .expect("the previous session's last entry");
    press_up(&mut s);
    s.exp_string("\\ds").expect("the entry before it");
    s.send_control('c').expect("ctrl-c");
    s.exp_string(PROMPT).expect("prompt");
    quit(s);
}

#[test]
fn ctrl_c_cancels_a_running_script_and_keeps_the_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Long enough (seconds) that the Ctrl-C lands while it runs.
    let script: String = (0..100_000)
        .map(|i| format!("SELECT {i} AS n;\n"))
        .collect();
    fs::write(dir.path().join("long.sql"), script).expect("write the script");
    let mut s = start(dir.path(), &[]);
    s.send_line("\\i long.sql").expect("\\i");
    s.exp_string("(1 row)").expect("the script runs");
    s.send_control('c').expect("ctrl-c");
    // psql's rule: a statement running is cancelled (`Cancel request sent`, then the
    // cancel error for what had not run); between statements the script just stops.
    let out = s.exp_string(PROMPT).expect("back at the prompt");
    assert!(
        !out.contains(" 99999\r\n"),
        "the script ran to its end: {}",
        &out[out.len().saturating_sub(300)..]
    );
    s.send_line("SELECT 'alive' AS still;").expect("query");
    let out = s.exp_string("(1 row)").expect("the shell still runs");
    assert!(out.contains("alive"), "{out}");
    s.exp_string(PROMPT).expect("prompt");
    quit(s);
}

#[test]
fn expanded_auto_follows_the_screen_width() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = start_with_env(dir.path(), &[], &[("COLUMNS", "30")]);
    s.send_line("\\x auto").expect("\\x auto");
    s.exp_string("Expanded display is used automatically.")
        .expect("psql's wording");
    s.exp_string(PROMPT).expect("prompt");
    s.send_line("SELECT 'a value too wide for thirty columns' AS wide, 1 AS n;")
        .expect("wide query");
    s.exp_string("-[ RECORD 1 ]")
        .expect("expanded when too wide");
    s.exp_string("wide | a value too wide for thirty columns")
        .expect("expanded value");
    s.exp_string(PROMPT).expect("prompt");
    s.send_line("SELECT 'narrow' AS v, 2 AS n;")
        .expect("narrow query");
    s.exp_string("   v    | n ").expect("aligned when it fits");
    s.exp_string("(1 row)").expect("footer");
    s.exp_string(PROMPT).expect("prompt");
    quit(s);
}

#[test]
fn set_values_and_interpolated_secrets_stay_out_of_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = start(dir.path(), &[]);
    s.send_line("\\set pw 'canary-set-7e1f'").expect("\\set");
    s.exp_string(PROMPT).expect("prompt");
    s.send_line("CREATE SECRET v AS :'pw';").expect("create");
    s.exp_string("CREATE SECRET").expect("tag");
    s.exp_string(PROMPT).expect("prompt");
    s.send_line("\\echo :pw").expect("\\echo");
    s.exp_string("canary-set-7e1f")
        .expect("echoed on the terminal");
    s.exp_string(PROMPT).expect("prompt");
    quit(s);
    let history = fs::read_to_string(dir.path().join("history")).expect("history file");
    assert!(
        !history.contains("canary"),
        "secret value in history:\n{history}"
    );
    assert!(history.contains("\\set pw '<REDACTED>'"), "{history}");
    assert!(
        history.contains("CREATE SECRET v AS '<REDACTED>';"),
        "{history}"
    );
}

#[test]
fn pager_shows_results_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = start_with_env(dir.path(), &[], &[("AIRLOCK_PAGER", "sed 's/^/paged: /'")]);
    s.send_line("\\pset pager always").expect("\\pset pager");
    s.exp_string("Pager is always used.")
        .expect("psql's wording");
    s.exp_string(PROMPT).expect("prompt");
    s.send_line("SELECT 'through the pager' AS p;")
        .expect("query");
    s.exp_string("paged:  through the pager")
        .expect("the pager's output");
    s.exp_string("paged: (1 row)").expect("the footer too");
    s.exp_string(PROMPT).expect("prompt");
    s.send_line("\\pset pager off").expect("\\pset pager off");
    s.exp_string("Pager usage is off.").expect("psql's wording");
    s.exp_string(PROMPT).expect("prompt");
    s.send_line("SELECT 'straight' AS p;").expect("query");
    let out = s.exp_string("(1 row)").expect("printed directly");
    assert!(!out.contains("paged:"), "{out}");
    s.exp_string(PROMPT).expect("prompt");
    quit(s);
}

#[test]
fn watch_repeats_until_ctrl_c() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = start(dir.path(), &[]);
    s.send_line("SELECT 'again' AS w").expect("query without ;");
    s.exp_string("airlock-> ").expect("continuation");
    s.send_line("\\watch 0.1").expect("\\watch");
    for _ in 0..3 {
        s.exp_string("(every 0.1s)").expect("a titled run");
        s.exp_string(" again").expect("the result");
    }
    s.send_control('c').expect("ctrl-c");
    s.exp_string(PROMPT).expect("back at the prompt");
    s.send_line("SELECT 'after' AS a;").expect("query");
    s.exp_string("(1 row)").expect("the shell goes on");
    s.exp_string(PROMPT).expect("prompt");
    quit(s);
}

#[test]
fn edit_replaces_the_buffer_and_runs_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let editor = dir.path().join("editor.sh");
    fs::write(
        &editor,
        "#!/bin/sh\ncp \"$1\" seen.sql\nprintf '%s' \"$1\" > path.txt\nprintf 'SELECT 42 AS edited;\\n' > \"$1\"\n",
    )
    .expect("write the editor");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&editor, fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let tmp = dir.path().display().to_string();
    let editor = editor.display().to_string();
    let mut s = start_with_env(
        dir.path(),
        &[],
        &[
            ("AIRLOCK_EDITOR", editor.as_str()),
            ("TMPDIR", tmp.as_str()),
        ],
    );
    s.send_line("SELECT 1 AS before")
        .expect("a statement without ;");
    s.exp_string("airlock-> ").expect("continuation");
    s.send_line("\\e").expect("\\e");
    s.exp_string(" edited").expect("the edited statement ran");
    s.exp_string("     42").expect("its value");
    s.exp_string(PROMPT).expect("prompt");
    quit(s);
    let seen = fs::read_to_string(dir.path().join("seen.sql")).expect("the editor ran");
    assert_eq!(seen, "SELECT 1 AS before\n");
    let path = fs::read_to_string(dir.path().join("path.txt")).expect("path");
    assert!(!Path::new(&path).exists(), "temporary file left: {path}");
}
