//! `airlock -h HOST -p PORT -U USER`: the shell as a client of a real `airlock serve`
//! (this crate's own binary) on a loopback port, compared with the same shell on a local
//! catalog file — and the shell on a PostgreSQL catalog, compared the same way.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CANARY: &str = "remote-canary-8d1f0c";

/// `airlock serve` on an ephemeral loopback port, with its own catalog.
struct Server {
    addr: SocketAddr,
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(dir: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
            .args(["serve", "--listen", "127.0.0.1:0", "--catalog"])
            .arg(dir.join("server.db"))
            .args(args)
            .env_remove("AIRLOCK_CATALOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start airlock serve");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = BufReader::new(child.stderr.take().expect("stderr"));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1)
                    && let Some(Ok(addr)) = rest.split(' ').next().map(str::parse::<SocketAddr>)
                {
                    let _ = tx.send(addr);
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let Ok(addr) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!("the server did not start: {}", log.lock().unwrap());
        };
        Server { addr, child, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// `airlock -h 127.0.0.1 -p PORT -U alice` plus `args`.
    fn shell(&self, dir: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
        let port = self.addr.port().to_string();
        let mut all = vec!["-h", "127.0.0.1", "-p", &port, "-U", "alice"];
        all.extend_from_slice(args);
        airlock(dir, &all, stdin, env)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Run {
    stdout: String,
    stderr: String,
    status: i32,
}

fn airlock(dir: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_airlock"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("AIRLOCK_CATALOG")
        .env_remove("AIRLOCK_AWS_PRINCIPAL")
        .env_remove("PGPASSWORD")
        .env_remove("PGUSER")
        .env("AIRLOCK_HISTORY", dir.join("history"))
        .envs(env.iter().copied());
    let output = airlock_testkit::process::output_of(&mut command, stdin);
    Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        status: output.status.code().unwrap_or(-1),
    }
}

/// Statements whose output does not depend on the catalog's random parts (environment
/// id, external-ID prefix, creation times): every kind of result the shell prints.
fn script() -> String {
    format!(
        "CREATE SECRET key_id AS '{CANARY}';\n\
         CREATE CONNECTION static_conn TO AWS (ACCESS KEY ID = 'AKIAEXAMPLE', SECRET ACCESS KEY = SECRET key_id, REGION = 'us-east-1');\n\
         CREATE CONNECTION role_conn TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader');\n\
         SELECT id, oid, name, type FROM mz_connections ORDER BY id;\n\
         SELECT name, region, access_key_id, assume_role_arn FROM mz_aws_connections a JOIN mz_connections c USING (id) ORDER BY name;\n\
         SELECT 1 AS one, 2.50 AS two, true AS t, NULL AS n, 'x' || 'y' AS xy;\n\
         SHOW CONNECTIONS;\n\
         SHOW SECRETS;\n\
         DROP SECRET IF EXISTS missing;\n\
         DROP SECRET key_id;\n\
         SELECT name\n  FROM mz_connections WHERE;\n\
         CREATE CONNECTION bad TO AWS (REGION = 'us-east-1', ASSUME ROLE ARN = 'not-an-arn');\n\
         \\d\n\
         \\d static_conn\n\
         COMMENT ON CONNECTION role_conn IS 'reads';\n\
         SHOW CONNECTIONS;\n"
    )
}

#[test]
fn the_shell_on_a_server_prints_what_it_prints_locally() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--auth", "trust"]);
    let script = script();
    for flags in [
        &[][..],
        &["-A"][..],
        &["--csv"][..],
        &["-x"][..],
        &["-t", "-v", "ON_ERROR_STOP=0"][..],
    ] {
        let local_dir = tempfile::tempdir().unwrap();
        let local = airlock(
            local_dir.path(),
            &[&["--catalog", "local.db"][..], flags].concat(),
            &script,
            &[],
        );
        // A fresh server catalog for each run, so ids are the same as locally.
        let server_dir = tempfile::tempdir().unwrap();
        let server = Server::start(server_dir.path(), &["--auth", "trust"]);
        let remote = server.shell(dir.path(), flags, &script, &[]);
        assert_eq!(remote.stdout, local.stdout, "stdout with {flags:?}");
        assert_eq!(remote.stderr, local.stderr, "stderr with {flags:?}");
        assert_eq!(remote.status, local.status, "status with {flags:?}");
        for out in [&remote.stdout, &remote.stderr, &server.log()] {
            assert!(!out.contains(CANARY), "the secret value leaked: {out}");
        }
    }
    // The comparison is not empty: rows, tags, NOTICEs, errors with DETAIL and HINT, a
    // syntax error shown at its line.
    let run = server.shell(dir.path(), &[], &script, &[]);
    assert!(run.stdout.contains("static_conn"), "{}", run.stdout);
    assert!(run.stdout.contains("CREATE CONNECTION"), "{}", run.stdout);
    assert!(run.stderr.contains("NOTICE:  "), "{}", run.stderr);
    assert!(run.stderr.contains("LINE 2:"), "{}", run.stderr);
    assert!(run.stderr.contains("ERROR:  "), "{}", run.stderr);
}

#[test]
fn conninfo_and_the_banner_name_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--auth", "trust"]);
    let run = server.shell(
        dir.path(),
        &["-d", "materialize", "-c", "\\conninfo"],
        "",
        &[],
    );
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "You are connected to database \"materialize\" as user \"alice\" on host \"127.0.0.1\" at port \"{}\".\n",
            server.addr.port()
        )
    );
    let run = server.shell(dir.path(), &["-c", "\\backup copy.db"], "", &[]);
    assert_eq!(run.status, 1, "{run:?}");
    assert!(
        run.stderr.contains("copies a local catalog file"),
        "{run:?}"
    );
    assert!(!dir.path().join("copy.db").exists());
}

#[test]
fn scram_needs_the_right_password() {
    let dir = tempfile::tempdir().unwrap();
    // The verifier, as an operator makes it.
    let verifier = airlock(
        dir.path(),
        &["serve", "--print-verifier"],
        "s3cret-pw\n",
        &[],
    );
    assert_eq!(verifier.status, 0, "{verifier:?}");
    std::fs::write(
        dir.path().join("users"),
        format!("alice:{}", verifier.stdout.trim()),
    )
    .unwrap();
    let users = dir.path().join("users");
    let server = Server::start(
        dir.path(),
        &["--auth", "scram", "--users", users.to_str().unwrap()],
    );

    let ok = server.shell(
        dir.path(),
        &["-c", "SELECT 1 AS x"],
        "",
        &[("PGPASSWORD", "s3cret-pw")],
    );
    assert_eq!(ok.status, 0, "{ok:?}");
    assert_eq!(ok.stdout, " x \n---\n 1\n(1 row)\n\n");

    let wrong = server.shell(
        dir.path(),
        &["-c", "SELECT 1"],
        "",
        &[("PGPASSWORD", "nope")],
    );
    assert_eq!(wrong.status, 2, "{wrong:?}");
    assert!(
        wrong
            .stderr
            .starts_with(&format!("airlock: error: connection to server at \"127.0.0.1\", port {} failed: FATAL:  password authentication failed for user \"alice\"", server.addr.port())),
        "{wrong:?}"
    );
    assert!(!wrong.stderr.contains("nope"), "{wrong:?}");
    assert!(!server.log().contains("s3cret-pw") && !server.log().contains("nope"));

    // No terminal to ask on, no PGPASSWORD: psql's message.
    let none = server.shell(dir.path(), &["-w", "-c", "SELECT 1"], "", &[]);
    assert_eq!(none.status, 2, "{none:?}");
    assert!(
        none.stderr.contains("fe_sendauth: no password supplied"),
        "{none:?}"
    );
}

#[test]
fn a_server_that_is_not_there_is_a_connection_error() {
    let dir = tempfile::tempdir().unwrap();
    // A port nobody listens on: bound, then released.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let run = airlock(
        dir.path(),
        &["-h", "127.0.0.1", "-p", &port, "-c", "SELECT 1"],
        "",
        &[],
    );
    assert_eq!(run.status, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "airlock: error: connection to server at \"127.0.0.1\", port {port} failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n"
        )
    );
    assert!(
        !dir.path().join("airlock.db").exists(),
        "no local catalog was made"
    );
}

#[test]
fn server_and_catalog_flags_do_not_mix() {
    let dir = tempfile::tempdir().unwrap();
    for (args, message) in [
        (&["-p", "6875", "-c", "SELECT 1"][..], "-p needs -h HOST"),
        (&["-U", "bob", "-c", "SELECT 1"][..], "-U needs -h HOST"),
        (
            &["-h", "127.0.0.1", "--catalog", "x.db", "-c", "SELECT 1"][..],
            "--catalog applies to a local catalog",
        ),
        (
            &[
                "-h",
                "127.0.0.1",
                "--aws-principal",
                "arn:aws:iam::1:role/x",
            ][..],
            "--aws-principal applies to a local catalog",
        ),
    ] {
        let run = airlock(dir.path(), args, "", &[]);
        assert_eq!(run.status, 1, "{args:?}: {run:?}");
        assert!(run.stderr.contains(message), "{args:?}: {run:?}");
        assert!(run.stderr.contains("Try \"airlock --help\""), "{run:?}");
    }
    assert!(!dir.path().join("airlock.db").exists());
    // psql's help flags: `-?` and `--help`; `-h` is the host.
    let help = airlock(dir.path(), &["-?"], "", &[]);
    assert_eq!(help.status, 0, "{help:?}");
    assert!(help.stdout.contains("--host"), "{help:?}");
}

#[test]
fn a_server_that_goes_away_is_an_error_then_a_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--auth", "trust"]);
    let port = server.addr.port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["-h", "127.0.0.1", "-p", &port, "-U", "alice", "-A", "-t"])
        .current_dir(dir.path())
        .env("AIRLOCK_HISTORY", dir.path().join("history"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdin.write_all(b"SELECT 'before' AS x;\n").unwrap();
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "before\n");
    let _ = server.child.kill();
    let _ = server.child.wait();
    // The server is gone: the next statement fails, the one after tries again (and
    // fails: nothing listens); the shell carries on and ends normally.
    stdin
        .write_all(b"SELECT 'after';\nSELECT 'again';\n")
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ERROR:  server closed the connection unexpectedly"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ERROR:  no connection to the server"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn ctrl_c_cancels_the_statement_on_the_server() {
    use std::net::TcpListener;
    use std::sync::mpsc;

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--auth", "trust"]);
    // An endpoint that accepts and never answers: VALIDATE waits on it until cancelled.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (accepted, wait) = mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(8).flatten() {
            held.push(stream);
            let _ = accepted.send(());
        }
    });
    let port = server.addr.port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["-h", "127.0.0.1", "-p", &port, "-U", "alice"])
        .current_dir(dir.path())
        .env("AIRLOCK_HISTORY", dir.path().join("history"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(
            format!(
                "ALTER SYSTEM SET aws_allowed_endpoints = '{endpoint}';\n\
                 CREATE SECRET k AS 'x';\n\
                 CREATE CONNECTION c TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET k, ENDPOINT = '{endpoint}', REGION = 'us-east-1');\n\
                 VALIDATE CONNECTION c;\n\
                 SELECT 'after' AS x;\n"
            )
            .as_bytes(),
        )
        .unwrap();
    // VALIDATE is waiting on the endpoint: Ctrl-C.
    wait.recv_timeout(Duration::from_secs(120))
        .expect("VALIDATE reached the endpoint");
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Cancel request sent"), "{stderr}");
    assert!(
        stderr.contains("ERROR:  canceling statement due to user request"),
        "{stderr}"
    );
    // The script stopped there, as psql's does: exit 3, nothing after it ran.
    assert!(!stdout.contains("after"), "{stdout}");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
}

/// The same script on a PostgreSQL catalog (a throwaway server): every result, tag,
/// notice and error reads as it does on a catalog file, and the secret value is in
/// neither the output nor the database.
#[test]
fn the_shell_on_a_postgres_catalog_prints_what_it_prints_on_a_file() {
    let pg = airlock_testkit::postgres::Server::start();
    let url = pg.create_database("shell");
    // Every statement Airlock sends, with its bound parameters, goes to the server's
    // log: the canary must be in none of them.
    let set = pg.psql_many(
        &[],
        &[
            "ALTER SYSTEM SET log_statement = 'all'".to_owned(),
            "SELECT pg_reload_conf()".to_owned(),
        ],
    );
    assert!(set.status.success());
    let key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let script = script();
    let dir = tempfile::tempdir().unwrap();
    let file = airlock(dir.path(), &["--catalog", "local.db"], &script, &[]);
    let on_pg = airlock(
        dir.path(),
        &[],
        &script,
        &[
            ("AIRLOCK_CATALOG", url.as_str()),
            ("AIRLOCK_SECRET_KEY", key),
        ],
    );
    assert_eq!(on_pg.stdout, file.stdout);
    assert_eq!(on_pg.stderr, file.stderr);
    assert_eq!(on_pg.status, file.status);
    assert!(!on_pg.stdout.contains(CANARY) && !on_pg.stderr.contains(CANARY));
    let dump = pg
        .psql_command()
        .args(["-At", "-d", "shell", "-c"])
        .arg("SELECT string_agg(t::text, ' ') FROM airlock.secret_ciphertexts t")
        .output()
        .unwrap();
    assert!(dump.status.success());
    assert!(!String::from_utf8_lossy(&dump.stdout).contains(CANARY));
    // Nor in the server's log (which logs the failing statements of the script).
    let log = std::fs::read_to_string(pg.socket_dir().join("server.log")).unwrap();
    assert!(
        log.contains("secret_ciphertexts") && log.contains("parameters: $1"),
        "the log records the statements and their parameters:\n{log}"
    );
    assert!(
        !log.contains(CANARY) && !log.contains(key),
        "a secret in the server log"
    );

    // A password in the catalog's URL (the test server trusts the socket, so any
    // password connects) is in no output: not \conninfo, not an error.
    let with_password = url.replacen("postgres@", "postgres:url-password-7f3a@", 1);
    let run = airlock(
        dir.path(),
        &[
            "--catalog",
            &with_password,
            "-c",
            "\\conninfo",
            "-c",
            "SELECT nope FROM mz_secrets",
        ],
        "",
        &[("AIRLOCK_SECRET_KEY", key)],
    );
    assert!(run.stdout.contains("/shell"), "{run:?}");
    assert!(
        run.stderr.contains("column \"nope\" does not exist"),
        "{run:?}"
    );
    assert!(
        !run.stdout.contains("url-password-7f3a") && !run.stderr.contains("url-password-7f3a"),
        "the URL's password in the shell's output: {run:?}"
    );
}
