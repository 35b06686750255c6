//! A throwaway PostgreSQL 15 cluster for tests: Debian's `postgresql` server programs
//! (`scripts/install-test-deps.sh` installs them), a data directory in a temporary
//! directory, listening only on a Unix socket there; stopped and removed when dropped.
//! Without the server programs a test that needs one fails rather than skips, so a green
//! run always means the comparison was made.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The user the server runs as when the test runs as root (postgres refuses root).
const SERVER_USER: &str = "postgres";
/// Only names the socket file: the server listens on a Unix socket in its own
/// directory, no TCP port, so parallel runs cannot collide.
pub const PORT: &str = "5432";

/// A PostgreSQL cluster in a temporary directory, stopped when dropped (also when the
/// test panics).
#[derive(Debug)]
pub struct Server {
    bin: PathBuf,
    dir: tempfile::TempDir,
    as_root: bool,
}

impl Server {
    /// Starts a new cluster (initdb, then pg_ctl start), owned by `postgres` when the
    /// test runs as root.
    pub fn start() -> Server {
        let bin = find_bin_dir().unwrap_or_else(|| {
            panic!(
                "PostgreSQL server binaries (initdb, pg_ctl) not found under \
                 /usr/lib/postgresql/*/bin or via pg_config: Airlock's tests need a \
                 real server. Install Debian's `postgresql` package, e.g. by running \
                 scripts/install-test-deps.sh"
            )
        });
        let as_root = is_root();
        // The server user must reach the directory, so keep it out of a private $TMPDIR.
        let dir = tempfile::Builder::new()
            .prefix("airlock-postgres-")
            .tempdir_in(if as_root {
                PathBuf::from("/tmp")
            } else {
                std::env::temp_dir()
            })
            .expect("create a temporary directory for PostgreSQL");
        let server = Server { bin, dir, as_root };
        if as_root {
            run(Command::new("chown")
                .arg(format!("{SERVER_USER}:"))
                .arg(server.dir.path()));
        }
        let data = server.data_dir();
        run(server
            .as_server_user("initdb")
            .args([
                "--auth=trust",
                "--no-locale",
                "--encoding=UTF8",
                "-U",
                "postgres",
                "-D",
            ])
            .arg(&data));
        let mut conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        write!(
            conf,
            "\nlisten_addresses = ''\nunix_socket_directories = '{}'\nport = {PORT}\n\
             fsync = off\nTimeZone = 'UTC'\n",
            server.dir.path().display()
        )
        .unwrap();
        std::fs::write(data.join("postgresql.conf"), conf).unwrap();
        run(server
            .as_server_user("pg_ctl")
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(&data)
            .arg("-l")
            .arg(server.dir.path().join("server.log")));
        server
    }

    /// The directory of the server's Unix socket (a `host` for clients).
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A `postgres://` URL of database `dbname` on this server, as user `postgres`, over
    /// the Unix socket (the directory percent-encoded as the host).
    pub fn url(&self, dbname: &str) -> String {
        let dir = self
            .dir
            .path()
            .to_string_lossy()
            .replace('%', "%25")
            .replace('/', "%2F");
        format!("postgres://postgres@{dir}:{PORT}/{dbname}")
    }

    /// Creates database `dbname` (a fresh catalog per test) and returns its URL.
    pub fn create_database(&self, dbname: &str) -> String {
        let out = self.psql(&[], &format!("CREATE DATABASE \"{dbname}\""));
        assert!(
            out.status.success(),
            "CREATE DATABASE {dbname}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url(dbname)
    }

    /// Stops the server (`pg_ctl stop -m fast`), for tests of a catalog whose server
    /// goes away.
    pub fn stop(&self) {
        run(self
            .as_server_user("pg_ctl")
            .args(["stop", "-m", "fast", "-w", "-D"])
            .arg(self.data_dir()));
    }

    /// Starts the stopped server again.
    pub fn restart(&self) {
        run(self
            .as_server_user("pg_ctl")
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.dir.path().join("server.log")));
    }

    /// Serves TLS over TCP too, with certificate `cert` and key `key` (PEM), on a loopback
    /// address of its own (`127.x.y.z`, port [`PORT`]: another server's or the machine's
    /// PostgreSQL on 127.0.0.1 cannot collide with it), trusting every loopback client;
    /// restarts the server and returns the address. The Unix socket stays as it was.
    pub fn enable_tls(&self, cert: &Path, key: &Path) -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let seed = std::process::id()
            .wrapping_mul(2_654_435_761)
            .wrapping_add(NEXT.fetch_add(1, Ordering::SeqCst).wrapping_mul(40_503))
            .wrapping_add(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.subsec_nanos())
                    .unwrap_or_default(),
            );
        let [a, b, c, _] = seed.to_le_bytes();
        let address = format!("127.{}.{}.{}", a.clamp(2, 254), b, c.clamp(1, 254));
        for (from, name) in [(cert, "tls.crt"), (key, "tls.key")] {
            let to = self.dir.path().join(name);
            std::fs::copy(from, &to).expect("copy the TLS files");
            run(Command::new("chmod").arg("600").arg(&to));
            if self.as_root {
                run(Command::new("chown")
                    .arg(format!("{SERVER_USER}:"))
                    .arg(&to));
            }
        }
        let data = self.data_dir();
        let mut conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        write!(
            conf,
            "\nlisten_addresses = '{address}'\nssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
            self.dir.path().join("tls.crt").display(),
            self.dir.path().join("tls.key").display()
        )
        .unwrap();
        std::fs::write(data.join("postgresql.conf"), conf).unwrap();
        let mut hba = std::fs::read_to_string(data.join("pg_hba.conf")).unwrap();
        hba.push_str("\nhost all all 127.0.0.0/8 trust\n");
        std::fs::write(data.join("pg_hba.conf"), hba).unwrap();
        self.stop();
        self.restart();
        address
    }

    /// The cluster's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A server program, run as the server user when the test runs as root.
    pub fn as_server_user(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_root {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", SERVER_USER, "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        }
    }

    /// `psql -X -q -v ON_ERROR_STOP=1` against this server, in a fixed environment:
    /// UTF-8 client encoding, English messages, no psqlrc, no pager (standard output is
    /// a pipe).
    pub fn psql(&self, flags: &[&str], sql: &str) -> Output {
        self.psql_many(flags, &[sql.to_owned()])
    }

    /// [`Server::psql`] with one `-c` per statement, run in order.
    pub fn psql_many(&self, flags: &[&str], sqls: &[String]) -> Output {
        self.psql_command()
            .args(["-q", "-v", "ON_ERROR_STOP=1"])
            .args(flags)
            .args(sqls.iter().flat_map(|sql| ["-c", sql.as_str()]))
            .output()
            .expect("run psql")
    }

    /// `psql -X` against this server with no other flag, in the fixed environment, run
    /// in `dir`; the caller adds arguments and standard input.
    pub fn psql_command(&self) -> Command {
        let psql = [self.bin.join("psql"), PathBuf::from("/usr/bin/psql")]
            .into_iter()
            .find(|p| p.exists())
            .expect("psql not found");
        let mut command = Command::new(psql);
        command
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("LC_ALL", "C.UTF-8")
            .env("PGCLIENTENCODING", "UTF8")
            .env("PGTZ", "UTC")
            .arg("-X")
            .arg("-h")
            .arg(self.dir.path())
            .args(["-p", PORT, "-U", "postgres", "-d", "postgres"]);
        command
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self
            .as_server_user("pg_ctl")
            .args(["stop", "-m", "immediate", "-w", "-D"])
            .arg(self.data_dir())
            .output();
    }
}

fn find_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .collect();
    dirs.sort();
    let found = dirs.into_iter().map(|(_, d)| d).rev();
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    found
        .chain(from_pg_config)
        .find(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
}

fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        == Some("0")
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
