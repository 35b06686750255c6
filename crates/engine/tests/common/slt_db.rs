//! The sqllogictest database behind `tests/slt.rs` and `tests/slt_aws.rs`: a fresh
//! catalog file per test file, with a fixed external-ID prefix so external IDs and trust
//! policies are exact.
//!
//! Conventions beyond plain sqllogictest:
//! - Errors read like `psql` with `VERBOSITY verbose` (single spaces, as slt folds runs of
//!   spaces): `ERROR: <SQLSTATE>: message`, then `DETAIL:` and `HINT:` lines.
//!   `statement error (42704)` matches a SQLSTATE alone.
//! - A statement whose SQL starts with the line `-- notices` returns its NOTICEs as
//!   rows (`query T`), so files can assert them.
//! - After every failing statement the harness checks that every row of every table in
//!   the catalog file is what it was before — an error changes nothing — except for the
//!   two documented traces of a validation: `VALIDATE CONNECTION` records its run, and
//!   `WITH (VALIDATE = true)` consumes the id it validated with (ids are never reused).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use airlock_engine::catalog::{CatalogConfig, SecretBackend, SecretKey};
use airlock_engine::core::{Diagnostic, Rows};
use airlock_engine::{AwsSetup, Engine, EngineConfig, Response, Session};
use sqllogictest::harness::{Arguments, Failed, Trial};
use sqllogictest::{DBOutput, DefaultColumnType, Runner};

/// The external-ID prefix of every test catalog.
pub const PREFIX: &str = "eb5cb59b-e2fe-41f3-87ca-d2176a495345";

/// Where each test file's catalog lives (each harness binary uses one of them).
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on this PostgreSQL server.
    Postgres(Arc<airlock_testkit::postgres::Server>),
}

/// Names each file's PostgreSQL database.
static DATABASES: AtomicUsize = AtomicUsize::new(0);

enum Store {
    File {
        path: PathBuf,
        _dir: tempfile::TempDir,
    },
    Postgres {
        url: String,
    },
}

pub struct AirlockDb {
    session: Session,
    store: Store,
}

#[derive(Debug)]
pub struct SltError {
    diagnostic: Diagnostic,
}

impl fmt::Display for SltError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.diagnostic;
        write!(f, "ERROR: {}: {}", d.code, d.message)?;
        if let Some(detail) = &d.detail {
            write!(f, "\nDETAIL: {detail}")?;
        }
        if let Some(hint) = &d.hint {
            write!(f, "\nHINT: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SltError {}

impl AirlockDb {
    pub fn new(aws: AwsSetup, backend: &Backend) -> AirlockDb {
        let store = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                Store::File {
                    path: dir.path().join("catalog.db"),
                    _dir: dir,
                }
            }
            Backend::Postgres(server) => {
                let n = DATABASES.fetch_add(1, Ordering::SeqCst);
                Store::Postgres {
                    url: server.create_database(&format!("slt_{n}")),
                }
            }
        };
        let config = EngineConfig {
            catalog: CatalogConfig {
                external_id_prefix: Some(PREFIX.parse().expect("uuid")),
                // A PostgreSQL catalog takes its key from the host (or the
                // environment); a file catalog makes its own key file.
                secrets: match &store {
                    Store::File { .. } => SecretBackend::Embedded,
                    Store::Postgres { .. } => SecretBackend::EmbeddedWithKey(SecretKey::generate()),
                },
                ..CatalogConfig::default()
            },
            aws,
            ..EngineConfig::default()
        };
        let location = match &store {
            Store::File { path, .. } => path.clone(),
            Store::Postgres { url } => PathBuf::from(url),
        };
        let engine = Engine::open(&location, config).expect("open catalog");
        AirlockDb {
            session: engine.session(),
            store,
        }
    }

    fn dump(&self) -> Vec<(String, Vec<String>)> {
        match &self.store {
            Store::File { path, .. } => crate::dump::dump(path),
            Store::Postgres { url } => crate::dump::dump_postgres(url),
        }
    }
}

/// Checks that a failing statement left the catalog as it was, but for a validation's
/// documented traces.
fn check_unchanged(sql: &str, before: &[(String, Vec<String>)], after: &[(String, Vec<String>)]) {
    let upper = sql.to_uppercase();
    let validates = upper.contains("VALIDATE CONNECTION");
    let validates_first = upper.contains("VALIDATE = TRUE") || upper.contains("(VALIDATE)");
    for ((table, rows_before), (_, rows_after)) in before.iter().zip(after) {
        let allowed = match table.as_str() {
            "aws_connection_validations" if validates => rows_after.len() == rows_before.len() + 1,
            "id_sequence" if validates_first && upper.contains("CREATE CONNECTION") => true,
            _ => false,
        };
        if !allowed {
            assert_eq!(
                rows_before, rows_after,
                "a failing statement changed table {table}:\n{sql}"
            );
        }
    }
    assert_eq!(
        before.len(),
        after.len(),
        "a failing statement changed the tables:\n{sql}"
    );
}

fn output(rows: &Rows) -> DBOutput<DefaultColumnType> {
    DBOutput::Rows {
        types: rows
            .columns
            .iter()
            .map(|c| {
                if c.ty.is_numeric() {
                    DefaultColumnType::Integer
                } else {
                    DefaultColumnType::Text
                }
            })
            .collect(),
        rows: rows
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|v| match v.as_deref() {
                        None => "NULL".to_owned(),
                        Some("") => "(empty)".to_owned(),
                        Some(v) => v.to_owned(),
                    })
                    .collect()
            })
            .collect(),
    }
}

impl sqllogictest::DB for AirlockDb {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let want_notices = sql.trim_start().starts_with("-- notices");
        let before = self.dump();
        let mut results = self.session.execute(sql);
        let last = results.pop().expect("at least one result");
        let result = match last {
            Ok(result) => result,
            Err(diagnostic) => {
                check_unchanged(sql, &before, &self.dump());
                return Err(SltError { diagnostic });
            }
        };
        if want_notices {
            let notices = results
                .iter()
                .flatten()
                .chain([&result])
                .flat_map(|r| r.notices.iter());
            return Ok(DBOutput::Rows {
                types: vec![DefaultColumnType::Text],
                rows: notices
                    .map(|n| vec![n.render().replace('\n', " ")])
                    .collect(),
            });
        }
        Ok(match &result.response {
            Response::Rows(rows) => output(rows),
            Response::Command(_) | Response::PassThrough(_) => DBOutput::StatementComplete(0),
        })
    }

    fn error_sql_state(err: &SltError) -> Option<String> {
        Some(err.diagnostic.code.code().to_owned())
    }

    fn engine_name(&self) -> &str {
        "airlock"
    }
}

/// Polls a future that never waits: the DB above is synchronous.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Runs (or, with `AIRLOCK_REWRITE=1`, rewrites) one file.
fn run_file(
    path: &Path,
    aws: AwsSetup,
    vars: &[(String, String)],
    backend: &Backend,
) -> Result<(), Failed> {
    let for_db = backend.clone();
    let mut runner = Runner::new(move || {
        let aws = aws.clone();
        let backend = for_db.clone();
        async move { Ok(AirlockDb::new(aws, &backend)) }
    });
    for (key, value) in vars {
        runner.set_var(key.clone(), value.clone());
    }
    // `onlyif postgres` / `skipif postgres`: where PostgreSQL itself answers a catalog
    // query differently (its jsonb output, its own function errors).
    runner.add_label(match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres(_) => "postgres",
    });
    if std::env::var_os("AIRLOCK_REWRITE").is_some() {
        block_on(runner.update_test_file(
            path,
            " ",
            sqllogictest::default_validator,
            sqllogictest::default_normalizer,
            sqllogictest::default_column_validator,
        ))
        .map_err(|e| Failed::from(e.to_string()))?;
    } else {
        runner
            .run_file(path)
            .map_err(|e| Failed::from(e.display(true).to_string()))?;
    }
    Ok(())
}

/// One test per `.slt` file in each of `dirs` (not recursive), run with libtest's
/// arguments. Tests of the first directory are named by file; of the others, by
/// `directory/file`.
pub fn main(
    dirs: &[&str],
    aws: impl Fn() -> AwsSetup + Send + Sync + 'static,
    vars: Vec<(String, String)>,
    backend: Backend,
) {
    let aws = std::sync::Arc::new(aws);
    let vars = std::sync::Arc::new(vars);
    let mut tests = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "slt"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no .slt files in {}", dir.display());
        let prefix = match (i, dir.file_name()) {
            (0, _) | (_, None) => String::new(),
            (_, Some(name)) => format!("{}/", name.to_string_lossy()),
        };
        for path in files {
            let name = path
                .file_stem()
                .map(|s| format!("{prefix}{}", s.to_string_lossy()))
                .unwrap_or_default();
            let (aws, vars, backend) = (aws.clone(), vars.clone(), backend.clone());
            tests.push(Trial::test(name, move || {
                run_file(&path, aws(), &vars, &backend)
            }));
        }
    }
    let conclusion = sqllogictest::harness::run(&Arguments::from_args(), tests);
    // The server (if any) stops and its directory goes before the process exits.
    drop(backend);
    conclusion.exit();
}

/// The offline suite (`tests/slt.rs`, `tests/slt_postgres.rs`): every file of
/// `testdata/slt/`, `materialize/` and `privileges/`, with an AWS client that points at a
/// closed loopback port listed in `aws_allowed_endpoints`, on `backend`.
#[allow(dead_code)]
pub fn offline_suite(backend: Backend) {
    let sdk = airlock_testkit::offline_sdk_config();
    let listed =
        airlock_engine::aws::AllowedEndpoints::parse(sdk.endpoint_url().expect("offline endpoint"))
            .expect("a loopback URL");
    let offline = airlock_engine::aws::AwsConfig::new(sdk)
        .with_timeout(std::time::Duration::from_secs(1))
        .with_allowed_endpoints(&listed);
    main(
        &[
            "../../testdata/slt",
            "../../testdata/slt/materialize",
            "../../testdata/slt/privileges",
        ],
        move || AwsSetup::Config(Box::new(offline.clone())),
        Vec::new(),
        backend,
    );
}
