//! The real `airlock-server` process on an ephemeral loopback port, and clients for it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running server with its own catalog in a temporary directory.
pub struct TestServer {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    child: Child,
    /// Everything the server wrote to standard error so far.
    pub stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
}

impl TestServer {
    /// `airlock-server --auth trust` plus `args`.
    pub fn trust(args: &[&str]) -> TestServer {
        let mut all = vec!["--auth", "trust"];
        all.extend_from_slice(args);
        TestServer::start(&all)
    }

    pub fn start(args: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        TestServer::start_in(dir, args)
    }

    pub fn start_in(dir: tempfile::TempDir, args: &[&str]) -> TestServer {
        let catalog = dir.path().join("catalog.db");
        let mut child = Command::new(env!("CARGO_BIN_EXE_airlock-server"))
            .args(["--listen", "127.0.0.1:0", "--catalog"])
            .arg(&catalog)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let err = BufReader::new(child.stderr.take().unwrap());
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in err.lines().map_while(Result::ok) {
                if let Some(addr) = line.split("listening on ").nth(1) {
                    let addr = addr
                        .split(' ')
                        .next()
                        .unwrap()
                        .parse::<SocketAddr>()
                        .unwrap();
                    let _ = tx.send(addr);
                }
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let out = BufReader::new(child.stdout.take().unwrap());
        let sink = stdout.clone();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not start: {}", stderr.lock().unwrap());
            }
        };
        TestServer {
            addr,
            dir,
            child,
            stderr,
            stdout,
        }
    }

    pub fn port(&self) -> String {
        self.addr.port().to_string()
    }

    pub fn catalog(&self) -> PathBuf {
        self.dir.path().join("catalog.db")
    }

    /// A tokio-postgres connection string for `user`.
    pub fn conninfo(&self, user: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={user} dbname=airlock connect_timeout=30",
            self.addr.port()
        )
    }

    /// Sends SIGTERM and waits (bounded) for the process to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader threads drain the pipes.
                std::thread::sleep(Duration::from_millis(100));
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the server did not stop"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The log once it contains `needle` (a connection's line is written when the
    /// server has closed it, which may be after the client has gone): bounded by a
    /// count of short waits, then the log as it is.
    pub fn log_with(&self, needle: &str) -> String {
        for _ in 0..500 {
            let log = self.stderr();
            if log.contains(needle) {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stderr()
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Runs psql against the server as `user` with `args`; `stdin` is its input.
    pub fn psql(&self, user: &str, args: &[&str], stdin: &str) -> Output {
        psql(self.addr, user, args, stdin, &[])
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// psql (no ~/.psqlrc, no password prompt) at `addr`.
pub fn psql(
    addr: SocketAddr,
    user: &str,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
) -> Output {
    use std::io::Write;
    let mut child = Command::new("/usr/bin/psql")
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &addr.port().to_string(),
            "-U",
            user,
            "-d",
            "airlock",
            "-w",
        ])
        .args(args)
        .env("PGCONNECT_TIMEOUT", "30")
        .env_remove("PGPASSWORD")
        .env_remove("PGSSLMODE")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Connects tokio-postgres (no TLS) and drives its connection in the background.
pub async fn connect(conninfo: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(conninfo, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// The project's test virtual environment's Python (scripts/install-test-deps.sh makes
/// it), or `$AIRLOCK_TEST_VENV/bin/python`.
pub fn venv_python() -> PathBuf {
    if let Ok(venv) = std::env::var("AIRLOCK_TEST_VENV") {
        return Path::new(&venv).join("bin/python");
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-venv/bin/python")
}

/// psycopg's session: parameters, prepared statements, transactions, binary results.
const PSYCOPG_SCRIPT: &str = r#"
import sys, psycopg
port, value = int(sys.argv[1]), sys.argv[2]
with psycopg.connect(host="127.0.0.1", port=port, user="carol", dbname="airlock", application_name="py") as conn:
    print("version", conn.info.server_version, conn.info.parameter_status("server_encoding"))
    with conn.cursor() as cur:
        cur.execute("CREATE SECRET py AS %s", (value,))
        cur.execute("ALTER SECRET py AS %s", (value + "-2",))
        cur.execute("SELECT name, oid, created_at FROM mz_secrets WHERE name = %s", ("py",))
        name, oid, created = cur.fetchone()
        print("row", name, type(oid).__name__, type(created).__name__, created.tzinfo is not None)
        for _ in range(3):
            cur.execute("SELECT count(*) FROM mz_secrets WHERE name = %s", ("py",), prepare=True)
            print("count", cur.fetchone()[0])
        try:
            cur.execute("CREATE SECRET py AS %s", (value,))
        except psycopg.errors.DuplicateObject as e:
            print("error", e.sqlstate)
    conn.rollback()
    with conn.cursor(binary=True) as cur:
        cur.execute("SELECT true, 2::int8, 0.5::float8, 'x'::text")
        print("binary", cur.fetchone())
    print("status", conn.info.transaction_status.name)
    conn.commit()
    print("status", conn.info.transaction_status.name)
"#;

/// Runs the script against `server` with `value` as the secret.
pub fn run_psycopg(server: &TestServer, value: &str) -> String {
    let python = venv_python();
    assert!(
        python.exists(),
        "psycopg's venv is missing: run scripts/install-test-deps.sh (or set AIRLOCK_TEST_VENV)"
    );
    let out = Command::new(python)
        .args(["-c", PSYCOPG_SCRIPT, &server.port(), value])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}
