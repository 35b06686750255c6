//! Ctrl-C (SIGINT) while a script runs: psql's rule is that the running statement is
//! cancelled and a non-interactive script stops, with exit status 3 — the process does
//! not die of the signal.

use std::fs;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn sigint_stops_a_script_with_status_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script: String = (0..100_000)
        .map(|i| format!("SELECT {i} AS n;\n"))
        .collect();
    fs::write(dir.path().join("long.sql"), script).expect("write the script");
    let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["--catalog", ":memory:", "-f", "long.sql"])
        .current_dir(dir.path())
        .env_remove("AIRLOCK_CATALOG")
        .env("AIRLOCK_HISTORY", "")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start airlock");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    // Wait until the script is under way.
    let mut line = String::new();
    while !line.contains("(1 row)") {
        line.clear();
        assert!(stdout.read_line(&mut line).expect("read") > 0, "no output");
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success());
    let mut rest = String::new();
    for line in stdout.lines() {
        rest.push_str(&line.expect("read"));
        rest.push('\n');
    }
    let output = child.wait_with_output().expect("wait");
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!rest.contains(" 99999\n"), "the script ran to its end");
}
