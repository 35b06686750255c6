//! Process-level reliability of the real `airlock` binary on a catalog file:
//! - crash safety: a child streaming DDL on standard input is killed with SIGKILL at
//!   spread-out points, again and again; after each kill the catalog opens, its rows
//!   are consistent, ids never repeat, and every acknowledged statement is there;
//! - concurrency: four processes run 500 DDL statements each on one file;
//! - the same crash and concurrency tests on a PostgreSQL catalog (a throwaway server,
//!   `airlock_testkit::postgres`): four nodes sharing one database, SIGKILLs of a node
//!   mid-stream, and the server itself restarted mid-stream;
//! - files: a new catalog and its key are mode 0600; a damaged catalog is refused
//!   (exit 2) and left byte for byte as it was.
//!
//! Nothing here talks to AWS. Every wait is bounded.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const PRINCIPAL: &str = "arn:aws:iam::000000000000:role/Airlock";

/// A small deterministic generator (xorshift64*): spreads kill times without a crate.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The secret key every node of a PostgreSQL catalog is given (its key never is in the
/// database).
const PG_KEY: &str = "6b6579206f6620746865207465737420706f737467726573206361746c6f6721";

fn airlock(catalog: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_airlock"));
    command
        .arg("--catalog")
        .arg(catalog)
        .env_remove("AIRLOCK_CATALOG")
        .env_remove("AIRLOCK_AWS_PRINCIPAL")
        .env_remove("AIRLOCK_SECRET_KEY")
        .env("AIRLOCK_HISTORY", "");
    if catalog.to_string_lossy().starts_with("postgres://") {
        command.env("AIRLOCK_SECRET_KEY", PG_KEY);
    }
    command
}

fn run(command: &mut Command) -> Output {
    command.stdin(Stdio::null()).output().expect("run airlock")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The catalog as `airlock -A -t` shows it, one relation per letter.
#[derive(Debug, Default)]
struct Snapshot {
    /// name → id
    connections: BTreeMap<String, String>,
    secrets: BTreeMap<String, String>,
    /// id → (region, secret_access_key_secret_id, external_id, assume_role_arn)
    aws: BTreeMap<String, (String, String, String, String)>,
    /// (object, referenced)
    dependencies: BTreeSet<(String, String)>,
}

/// Opens the catalog through the binary and reads every relation that matters here.
/// Panics (with the binary's output) if the catalog does not open.
fn snapshot(catalog: &Path) -> Snapshot {
    let out = run(airlock(catalog).args([
        "-A",
        "-t",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        "SELECT 'C', id, name FROM mz_connections",
        "-c",
        "SELECT 'S', id, name FROM mz_secrets",
        "-c",
        "SELECT 'A', id, coalesce(region, '-'), coalesce(secret_access_key_secret_id, '-'), \
         coalesce(external_id, '-'), coalesce(assume_role_arn, '-') FROM mz_aws_connections",
        "-c",
        "SELECT 'D', object_id, referenced_object_id FROM mz_object_dependencies",
    ]));
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "the catalog does not open after a kill: {:?}\n{}\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    let mut snap = Snapshot::default();
    for line in text(&out.stdout).lines() {
        let f: Vec<&str> = line.split('|').collect();
        match f[0] {
            "C" => {
                snap.connections.insert(f[2].into(), f[1].into());
            }
            "S" => {
                snap.secrets.insert(f[2].into(), f[1].into());
            }
            "A" => {
                snap.aws.insert(
                    f[1].into(),
                    (f[2].into(), f[3].into(), f[4].into(), f[5].into()),
                );
            }
            "D" => {
                snap.dependencies.insert((f[1].into(), f[2].into()));
            }
            _ => panic!("unexpected line {line:?}"),
        }
    }
    snap
}

/// Rows agree with each other: every connection has exactly its AWS row and exactly
/// the dependency rows its options imply; nothing points at a missing object; ids and
/// external IDs are unique.
fn check_consistent(snap: &Snapshot) {
    let connection_ids: BTreeSet<&String> = snap.connections.values().collect();
    let secret_ids: BTreeSet<&String> = snap.secrets.values().collect();
    assert_eq!(
        connection_ids.len(),
        snap.connections.len(),
        "duplicate connection id"
    );
    assert!(
        connection_ids.is_disjoint(&secret_ids),
        "an id is both a connection and a secret"
    );
    assert_eq!(secret_ids.len(), snap.secrets.len(), "duplicate secret id");
    let aws_ids: BTreeSet<&String> = snap.aws.keys().collect();
    assert_eq!(
        aws_ids, connection_ids,
        "connections without their AWS row, or AWS rows without a connection"
    );
    let mut expected_deps = BTreeSet::new();
    let mut external_ids = BTreeSet::new();
    for (id, (_, secret, external_id, arn)) in &snap.aws {
        if secret != "-" {
            assert!(
                secret_ids.contains(secret),
                "{id} uses missing secret {secret}"
            );
            expected_deps.insert((id.clone(), secret.clone()));
        }
        if arn != "-" {
            assert_eq!(external_id.rsplit('_').next(), Some(id.as_str()));
            assert!(
                external_ids.insert(external_id.clone()),
                "{external_id} twice"
            );
        } else {
            assert_eq!(external_id, "-");
        }
    }
    assert_eq!(
        snap.dependencies, expected_deps,
        "dependency rows differ from the connections' options"
    );
}

fn id_number(id: &str) -> u64 {
    id.strip_prefix('u')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bad id {id}"))
}

/// The statements of run `r`, group by group: each group creates a secret and a
/// connection using it, alters the connection, then drops something or not.
fn crash_statement(r: usize, n: usize) -> (String, &'static str) {
    let g = n / 4;
    let (s, c) = (format!("s_{r}_{g}"), format!("c_{r}_{g}"));
    match n % 4 {
        0 => (
            format!("CREATE SECRET {s} AS 'value-{r}-{g}';"),
            "CREATE SECRET",
        ),
        1 if g.is_multiple_of(2) => (
            format!(
                "CREATE CONNECTION {c} TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', \
                 SECRET ACCESS KEY = SECRET {s}, REGION = 'us-east-1');"
            ),
            "CREATE CONNECTION",
        ),
        1 => (
            format!(
                "CREATE CONNECTION {c} TO AWS (ASSUME ROLE ARN = \
                 'arn:aws:iam::000000000000:role/R{g}', REGION = 'us-east-1');"
            ),
            "CREATE CONNECTION",
        ),
        2 => (
            format!("ALTER CONNECTION {c} SET (REGION = 'eu-west-1');"),
            "ALTER CONNECTION",
        ),
        _ => match g % 4 {
            0 => (format!("DROP SECRET {s} CASCADE;"), "DROP SECRET"),
            1 => (format!("DROP CONNECTION {c};"), "DROP CONNECTION"),
            2 => (
                format!("ALTER SECRET {s} AS 'new-{r}-{g}';"),
                "ALTER SECRET",
            ),
            _ => (format!("DROP SECRET {s};"), "DROP SECRET"),
        },
    }
}

/// What an acknowledged statement says about the catalog: `(kind, name, exists)`, and
/// for an ALTER CONNECTION the region it set.
fn effects(r: usize, n: usize) -> Vec<(&'static str, String, bool)> {
    let g = n / 4;
    let (s, c) = (format!("s_{r}_{g}"), format!("c_{r}_{g}"));
    match n % 4 {
        0 => vec![("secret", s, true)],
        1 => vec![("connection", c, true)],
        2 => vec![],
        _ => match g % 4 {
            // CASCADE drops the access-key connection (even groups use the secret).
            0 => vec![("secret", s, false), ("connection", c, false)],
            1 => vec![("connection", c, false)],
            2 => vec![],
            // Odd groups (g % 4 == 3) are assume-role: the secret has no dependents.
            _ => vec![("secret", s, false)],
        },
    }
}

/// An `airlock` child streaming run `r`'s statements on standard input, with its
/// tags and standard error collected as they come.
struct Stream {
    child: Child,
    writer: thread::JoinHandle<()>,
    reader: thread::JoinHandle<()>,
    err_reader: thread::JoinHandle<String>,
    tags: Arc<Mutex<Vec<String>>>,
}

impl Stream {
    fn start(catalog: &Path, r: usize, args: &[&str]) -> Stream {
        let mut child: Child = airlock(catalog)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start airlock");
        let mut stdin = child.stdin.take().expect("stdin");
        let writer = thread::spawn(move || {
            // Bounded: the pipe fills up and the write fails once the child is dead.
            for n in 0..4_000 {
                let (sql, _) = crash_statement(r, n);
                if writeln!(stdin, "{sql}").is_err() {
                    break;
                }
            }
        });
        let tags = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout");
        let reader = {
            let tags = Arc::clone(&tags);
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    tags.lock().unwrap().push(line);
                }
            })
        };
        let mut stderr = child.stderr.take().expect("stderr");
        let err_reader = thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
            s
        });
        Stream {
            child,
            writer,
            reader,
            err_reader,
            tags,
        }
    }

    /// How many tags it has printed so far.
    fn acknowledged(&self) -> usize {
        self.tags.lock().unwrap().len()
    }

    /// SIGKILLs it (if it still runs); its exit status, every tag it printed, and its
    /// standard error.
    fn kill(mut self) -> (std::process::ExitStatus, Vec<String>, String) {
        let _ = self.child.kill();
        let status = self.child.wait().expect("wait");
        self.reader.join().expect("reader");
        self.writer.join().expect("writer");
        let err = self.err_reader.join().expect("stderr reader");
        let tags = Arc::try_unwrap(self.tags).unwrap().into_inner().unwrap();
        (status, tags, err)
    }
}

/// Streams run `r`'s statements into a fresh `airlock` and kills it after `after`.
/// Returns the tags it printed (every one of them printed before the kill) and what
/// it wrote to standard error.
fn stream_and_kill(catalog: &Path, r: usize, after: Duration) -> (Vec<String>, String) {
    let stream = Stream::start(catalog, r, &[]);
    thread::sleep(after);
    let before_kill = stream.acknowledged();
    let (status, tags, err) = stream.kill();
    assert!(tags.len() >= before_kill);
    // It was killed, unless it finished all 4,000 statements first (it cannot in time).
    assert!(status.code().is_none(), "{status:?}");
    (tags, err)
}

#[test]
fn sigkill_at_random_points_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    sigkill_loses_nothing_acknowledged(&dir.path().join("crash.db"), 60, None);
}

#[test]
fn sigkill_of_nodes_and_a_server_restart_lose_nothing_acknowledged_on_postgres() {
    let server = airlock_testkit::postgres::Server::start();
    let url = server.create_database("crash");
    sigkill_loses_nothing_acknowledged(Path::new(&url), 50, Some(&server));
}

/// `kills` runs of streamed DDL, each SIGKILLed at a spread-out point, each followed by
/// a full check of the catalog. With `server`, the PostgreSQL server is also restarted
/// in the middle of one run (a node streaming while its database goes away).
fn sigkill_loses_nothing_acknowledged(
    catalog: &Path,
    kills: usize,
    server: Option<&airlock_testkit::postgres::Server>,
) {
    let started = Instant::now();
    let catalog = catalog.to_owned();
    let out = run(airlock(&catalog).args(["--aws-principal", PRINCIPAL, "-c", "SELECT 1"]));
    assert!(out.status.success(), "{}", text(&out.stderr));

    let mut rng = XorShift(0x5eed_1234_abcd_9876);
    // name → id, over all of history: an id never names a second object.
    let mut ever: HashMap<String, String> = HashMap::new();
    let mut owner_of: HashMap<String, String> = HashMap::new();
    let mut max_id = 0u64;
    // (kind, name) → must exist?
    let mut expected: HashMap<(&'static str, String), bool> = HashMap::new();
    // connection name → region an acknowledged ALTER set, while nothing later may change it
    let mut altered: HashMap<String, bool> = HashMap::new();
    let mut acknowledged_total = 0;
    let restart_at = kills / 2;
    for r in 0..kills {
        // 5–200 ms of streaming, spread by the generator; a few kills come very early
        // (before the catalog is even open) and a few late.
        let after = Duration::from_millis(5 + rng.below(196));
        let restarting = server.filter(|_| r == restart_at);
        let (lines, err) = match restarting {
            Some(server) => stream_and_restart(&catalog, r, server),
            None => stream_and_kill(&catalog, r, after),
        };
        if restarting.is_some() {
            eprintln!(
                "run {r} (server restarted): {} acknowledged, then: {err}",
                lines.len()
            );
            // The statement running when the server went away fails with a connection
            // error and nothing else does; the node then stops (ON_ERROR_STOP).
            assert!(!err.contains("panicked"), "run {r}: {err}");
            assert!(
                err.is_empty()
                    || err.contains("57P01")
                    || err.contains("08006")
                    || err.contains("catalog database"),
                "run {r}: {err}"
            );
        } else {
            assert!(
                !err.contains("ERROR") && !err.contains("panicked"),
                "run {r}: {err}"
            );
        }
        let in_flight = lines.len();
        for (n, line) in lines.iter().enumerate() {
            let (sql, tag) = crash_statement(r, n);
            assert_eq!(line, tag, "run {r}: output out of step at {sql}");
            for (kind, name, exists) in effects(r, n) {
                expected.insert((kind, name), exists);
            }
            if n % 4 == 2 {
                altered.insert(format!("c_{r}_{}", n / 4), true);
            }
        }
        acknowledged_total += lines.len();
        // Statements run one at a time and each prints its tag before the next starts,
        // so only the one after the last tag can have committed unacknowledged: what
        // it touches may be either way. Anything after it must not have happened.
        for (kind, name, _) in effects(r, in_flight) {
            expected.remove(&(kind, name));
        }
        for n in in_flight + 1..in_flight + 9 {
            match n % 4 {
                0 => expected.insert(("secret", format!("s_{r}_{}", n / 4)), false),
                1 => expected.insert(("connection", format!("c_{r}_{}", n / 4)), false),
                _ => None,
            };
        }

        let snap = snapshot(&catalog);
        check_consistent(&snap);
        let mut new_ids = Vec::new();
        for (kind, map) in [("connection", &snap.connections), ("secret", &snap.secrets)] {
            for (name, id) in map {
                let key = format!("{kind} {name}");
                match ever.get(&key) {
                    Some(old) => assert_eq!(old, id, "{key} changed id"),
                    None => {
                        ever.insert(key.clone(), id.clone());
                        new_ids.push(id_number(id));
                    }
                }
                let owner = owner_of.entry(id.clone()).or_insert_with(|| key.clone());
                assert_eq!(*owner, key, "id {id} reused");
            }
        }
        // Ids only grow: objects first seen now were made after everything seen before.
        for id in &new_ids {
            assert!(*id > max_id, "run {r}: new id u{id} not above u{max_id}");
        }
        max_id = max_id.max(new_ids.iter().copied().max().unwrap_or(0));
        for ((kind, name), exists) in &expected {
            let present = match *kind {
                "secret" => snap.secrets.contains_key(name),
                _ => snap.connections.contains_key(name),
            };
            assert_eq!(
                present, *exists,
                "run {r}: acknowledged {kind} {name} should exist: {exists}"
            );
        }
        for name in altered.keys() {
            if let Some(id) = snap.connections.get(name) {
                assert_eq!(
                    snap.aws[id].0, "eu-west-1",
                    "acknowledged ALTER of {name} lost"
                );
            }
        }
    }
    eprintln!(
        "{kills} kills, {acknowledged_total} statements acknowledged, max id u{max_id}, {:?}",
        started.elapsed()
    );
    assert!(
        acknowledged_total > kills,
        "too few statements ran to mean anything"
    );
}

/// Streams run `r`'s statements into a node (under ON_ERROR_STOP) and restarts the
/// PostgreSQL server under it after some have been acknowledged. Returns the tags it
/// printed and its standard error.
fn stream_and_restart(
    catalog: &Path,
    r: usize,
    server: &airlock_testkit::postgres::Server,
) -> (Vec<String>, String) {
    let stream = Stream::start(catalog, r, &["-v", "ON_ERROR_STOP=1"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while stream.acknowledged() < 20 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    server.stop();
    server.restart();
    // The node stopped at its failed statement, or (if it was between statements
    // when the server went) goes on after reconnecting: stop it either way.
    thread::sleep(Duration::from_millis(200));
    let (_, tags, err) = stream.kill();
    (tags, err)
}

#[test]
fn sigkill_while_creating_the_catalog_leaves_a_usable_or_refused_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = XorShift(0x0dd_ba11);
    let mut opened = 0;
    for i in 0..25 {
        let catalog = dir.path().join(format!("new-{i}.db"));
        let mut child = airlock(&catalog)
            .args(["-c", "CREATE SECRET s AS 'v'"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start");
        thread::sleep(Duration::from_micros(500 + rng.below(15_000)));
        let _ = child.kill();
        let _ = child.wait();
        let out =
            run(airlock(&catalog).args(["-A", "-t", "-c", "SELECT count(*) FROM mz_secrets"]));
        let err = text(&out.stderr);
        assert!(!err.contains("panicked"), "{err}");
        match out.status.code() {
            Some(0) => opened += 1,
            Some(2) => assert!(err.starts_with("airlock: error: "), "{err}"),
            other => panic!("{other:?}: {err}"),
        }
    }
    eprintln!("{opened} of 25 catalogs killed during creation opened afterwards");
}

/// One process's script for the concurrency test: 100 groups of five statements.
fn concurrent_script(p: usize) -> String {
    let mut sql = String::new();
    for g in 0..100usize {
        let (s, c) = (format!("s_{p}_{g}"), format!("c_{p}_{g}"));
        sql += &format!("CREATE SECRET {s} AS 'value-{p}-{g}';\n");
        if g.is_multiple_of(2) {
            sql += &format!(
                "CREATE CONNECTION {c} TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', \
                 SECRET ACCESS KEY = SECRET {s});\n"
            );
        } else {
            sql += &format!(
                "CREATE CONNECTION {c} TO AWS (ASSUME ROLE ARN = \
                 'arn:aws:iam::000000000000:role/P{p}G{g}');\n"
            );
        }
        sql += &format!("ALTER CONNECTION {c} SET (REGION = 'eu-west-1');\n");
        sql += &format!("ALTER SECRET {s} AS 'rotated-{p}-{g}';\n");
        sql += &match g % 4 {
            0 => format!("DROP SECRET {s} CASCADE;\n"),
            1 => format!("DROP CONNECTION {c};\n"),
            2 => format!("ALTER CONNECTION {c} RENAME TO {c}_renamed;\n"),
            _ => format!("DROP SECRET {s};\n"),
        };
    }
    sql
}

#[test]
fn four_processes_500_statements_each_on_one_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    four_processes_500_statements_each(&dir.path().join("shared.db"), &dir);
}

#[test]
fn four_nodes_500_statements_each_on_one_postgres_catalog() {
    let server = airlock_testkit::postgres::Server::start();
    let url = server.create_database("shared");
    let dir = tempfile::tempdir().expect("tempdir");
    four_processes_500_statements_each(Path::new(&url), &dir);
}

fn four_processes_500_statements_each(catalog: &Path, dir: &tempfile::TempDir) {
    const PROCESSES: usize = 4;
    let started = Instant::now();
    let catalog = catalog.to_owned();
    let out = run(airlock(&catalog).args(["--aws-principal", PRINCIPAL, "-c", "SELECT 1"]));
    assert!(out.status.success(), "{}", text(&out.stderr));

    let children: Vec<Child> = (0..PROCESSES)
        .map(|p| {
            let script = dir.path().join(format!("p{p}.sql"));
            fs::write(&script, concurrent_script(p)).expect("script");
            assert_eq!(concurrent_script(p).lines().count(), 500);
            airlock(&catalog)
                .args(["-v", "ON_ERROR_STOP=1", "-f"])
                .arg(&script)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start")
        })
        .collect();
    for (p, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().expect("wait");
        let err = text(&out.stderr);
        // NOTICEs (`drop cascades to …`) are expected; no error of any kind is.
        assert!(
            out.status.success()
                && !err.contains("ERROR")
                && !err.contains("locked")
                && !err.contains("panicked"),
            "process {p}: {:?}\n{err}",
            out.status
        );
        assert_eq!(text(&out.stdout).lines().count(), 500, "process {p}: tags");
    }
    let elapsed = started.elapsed();

    let snap = snapshot(&catalog);
    check_consistent(&snap);
    let mut expected_connections = BTreeSet::new();
    let mut expected_secrets = BTreeSet::new();
    for p in 0..PROCESSES {
        for g in 0..100 {
            match g % 4 {
                0 => {}
                1 => {
                    expected_secrets.insert(format!("s_{p}_{g}"));
                }
                2 => {
                    expected_secrets.insert(format!("s_{p}_{g}"));
                    expected_connections.insert(format!("c_{p}_{g}_renamed"));
                }
                _ => {
                    expected_connections.insert(format!("c_{p}_{g}"));
                }
            }
        }
    }
    assert_eq!(
        snap.connections.keys().cloned().collect::<BTreeSet<_>>(),
        expected_connections
    );
    assert_eq!(
        snap.secrets.keys().cloned().collect::<BTreeSet<_>>(),
        expected_secrets
    );
    for id in snap.connections.values() {
        assert_eq!(snap.aws[id].0, "eu-west-1", "lost ALTER of {id}");
    }

    // Every id ever handed out is distinct: 2 objects per group, none reused, none
    // skipped beyond what the sequence allows.
    let out = run(airlock(&catalog).args([
        "-A",
        "-t",
        "-c",
        "SELECT id FROM mz_connections UNION ALL SELECT id FROM mz_secrets",
    ]));
    let ids: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids");
    let max = ids.iter().map(|i| id_number(i)).max().unwrap_or(0);
    assert!(max >= (PROCESSES * 100 * 2) as u64 - 1, "max id u{max}");
    eprintln!(
        "{PROCESSES} processes x 500 statements in {elapsed:?}; {} connections, {} secrets left",
        snap.connections.len(),
        snap.secrets.len()
    );
}

#[test]
fn new_catalog_and_key_are_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = dir.path().join("fresh.db");
    let out = run(airlock(&catalog).args(["-c", "CREATE SECRET s AS 'v'"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    for path in [catalog.clone(), dir.path().join("fresh.db.key")] {
        let mode = fs::metadata(&path).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}: {mode:o}", path.display());
    }
}

#[test]
fn damaged_catalogs_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.db");
    let out = run(airlock(&good).args(["-c", "CREATE SECRET s AS 'v'"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Fold the WAL into the main file so that the copies below are the whole catalog.
    let out = run(airlock(&good).args(["-c", "SELECT 1"]));
    assert!(out.status.success());
    let bytes = fs::read(&good).expect("read");
    assert!(bytes.len() > 4096, "{}", bytes.len());

    let mut header_smashed = bytes.clone();
    header_smashed[..16].copy_from_slice(b"not a catalog!!\0");
    let mut page_smashed = bytes.clone();
    for b in &mut page_smashed[100..4096] {
        *b = 0xA5;
    }
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated-half", bytes[..bytes.len() / 2].to_vec()),
        ("truncated-100", bytes[..100].to_vec()),
        ("truncated-7", bytes[..7].to_vec()),
        ("header", header_smashed),
        ("first-page", page_smashed),
        ("text", b"CREATE SECRET s AS 'v';\n".repeat(300)),
    ];
    for (name, damaged) in cases {
        let path = dir.path().join(format!("{name}.db"));
        fs::write(&path, &damaged).expect("write");
        let out = run(airlock(&path).args(["-c", "SELECT count(*) FROM mz_secrets"]));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.starts_with("airlock: error: ") && !err.contains("panicked"),
            "{name}: {err}"
        );
        assert_eq!(
            fs::read(&path).expect("read"),
            damaged,
            "{name} was rewritten"
        );
        assert!(
            !Path::new(&format!("{}.key", path.display())).exists(),
            "{name}: key made"
        );
    }
}
