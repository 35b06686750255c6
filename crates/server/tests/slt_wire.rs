//! The sqllogictest suite (`testdata/slt/`) a second time, over the wire: each file
//! against a fresh `airlock-server` (the library, on 127.0.0.1:0, with the engine
//! settings of `crates/engine/tests/slt.rs`: a fixed external-ID prefix and an offline
//! AWS endpoint), through tokio-postgres simple queries. Output conventions are the
//! in-process harness's (`crates/engine/tests/common/slt_db.rs`): errors as `ERROR:
//! <SQLSTATE>: message` with DETAIL and HINT lines, `-- notices` returns the NOTICEs.
//!
//! The one difference by design: statements the server answers itself
//! (`crates/server/src/local.rs`: `BEGIN`, `SET`, `SHOW` of a session parameter, …) are
//! skipped and counted, since the standalone engine refuses them and the server does
//! not.
//!
//! Every file runs twice: on a SQLite catalog file, and (tests named `postgres/…`) on
//! a fresh database of one throwaway PostgreSQL server — the server on a catalog many
//! nodes share.
//!
//! `cargo test -p airlock-server --test slt_wire [-- FILTER]`

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Names each file's PostgreSQL database.
static DATABASES: AtomicUsize = AtomicUsize::new(0);
use std::time::Duration;

use airlock_engine::aws::{AllowedEndpoints, AwsConfig};
use airlock_engine::catalog::{CatalogConfig, SecretBackend, SecretKey};
use airlock_engine::{AwsSetup, EngineConfig};
use airlock_server::{Auth, Server, ServerConfig};
use airlock_testkit::postgres::Server as PgServer;
use sqllogictest::harness::{Arguments, Failed, Trial};
use sqllogictest::{DBOutput, DefaultColumnType, Record, Runner};
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, SimpleQueryMessage};

/// The external-ID prefix of `crates/engine/tests/common/slt_db.rs`.
const PREFIX: &str = "eb5cb59b-e2fe-41f3-87ca-d2176a495345";

struct WireDb {
    client: tokio_postgres::Client,
    notices: mpsc::UnboundedReceiver<tokio_postgres::error::DbError>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

#[derive(Debug)]
struct WireError(String, Option<String>);

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WireError {}

fn error(e: &tokio_postgres::Error) -> WireError {
    let Some(db) = e.as_db_error() else {
        return WireError(format!("ERROR: {e}"), None);
    };
    let mut text = format!("ERROR: {}: {}", db.code().code(), db.message());
    if let Some(detail) = db.detail() {
        text.push_str(&format!("\nDETAIL: {detail}"));
    }
    if let Some(hint) = db.hint() {
        text.push_str(&format!("\nHINT: {hint}"));
    }
    WireError(text, Some(db.code().code().to_owned()))
}

fn engine_config(postgres: bool) -> EngineConfig {
    let sdk = airlock_testkit::offline_sdk_config();
    let listed = AllowedEndpoints::parse(sdk.endpoint_url().expect("offline endpoint"))
        .expect("a loopback URL");
    let offline = AwsConfig::new(sdk)
        .with_timeout(Duration::from_secs(1))
        .with_allowed_endpoints(&listed);
    EngineConfig {
        catalog: CatalogConfig {
            external_id_prefix: Some(PREFIX.parse().expect("uuid")),
            secrets: if postgres {
                SecretBackend::EmbeddedWithKey(SecretKey::generate())
            } else {
                SecretBackend::Embedded
            },
            ..CatalogConfig::default()
        },
        aws: AwsSetup::Config(Box::new(offline)),
        ..EngineConfig::default()
    }
}

impl WireDb {
    async fn start(postgres: Option<&PgServer>) -> WireDb {
        let dir = tempfile::tempdir().unwrap();
        let catalog = match postgres {
            Some(server) => {
                let n = DATABASES.fetch_add(1, Ordering::SeqCst);
                PathBuf::from(server.create_database(&format!("wire_{n}")))
            }
            None => dir.path().join("catalog.db"),
        };
        let mut config = ServerConfig::new(catalog);
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.auth = Auth::Trust;
        config.log.quiet = true;
        config.engine = engine_config(postgres.is_some());
        let server = Server::bind(config).await.unwrap();
        let port = server.local_addr().port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        let conninfo = format!("host=127.0.0.1 port={port} user=mz_system dbname=airlock");
        let (client, mut connection) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
            .await
            .unwrap();
        let (tx, notices) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                if let Ok(AsyncMessage::Notice(notice)) = message {
                    let _ = tx.send(notice);
                }
            }
        });
        WireDb {
            client,
            notices,
            stop: Some(stop),
            server: Some(server),
            _dir: dir,
        }
    }
}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for WireDb {
    type Error = WireError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, WireError> {
        while self.notices.try_recv().is_ok() {}
        let messages = self.client.simple_query(sql).await.map_err(|e| error(&e))?;
        if sql.trim_start().starts_with("-- notices") {
            let mut rows = Vec::new();
            while let Ok(n) = self.notices.try_recv() {
                let mut text = format!("{}:  {}", n.severity(), n.message());
                if let Some(detail) = n.detail() {
                    text.push_str(&format!(" DETAIL:  {detail}"));
                }
                if let Some(hint) = n.hint() {
                    text.push_str(&format!(" HINT:  {hint}"));
                }
                rows.push(vec![text]);
            }
            return Ok(DBOutput::Rows {
                types: vec![DefaultColumnType::Text],
                rows,
            });
        }
        // The last statement's result, as the in-process harness reports it.
        let mut rows: Option<Vec<Vec<String>>> = None;
        let mut last_rows = None;
        for message in messages {
            match message {
                SimpleQueryMessage::RowDescription(_) => rows = Some(Vec::new()),
                SimpleQueryMessage::Row(row) => {
                    let values = (0..row.len())
                        .map(|i| match row.get(i) {
                            None => "NULL".to_owned(),
                            Some("") => "(empty)".to_owned(),
                            Some(v) => v.to_owned(),
                        })
                        .collect();
                    rows.get_or_insert_with(Vec::new).push(values);
                }
                SimpleQueryMessage::CommandComplete(_) => last_rows = rows.take(),
                _ => {}
            }
        }
        Ok(match last_rows {
            Some(rows) => DBOutput::Rows {
                types: vec![DefaultColumnType::Any; rows.first().map_or(0, Vec::len)],
                rows,
            },
            None => DBOutput::StatementComplete(0),
        })
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    fn error_sql_state(err: &WireError) -> Option<String> {
        err.1.clone()
    }

    fn engine_name(&self) -> &str {
        "airlock"
    }
}

/// Whether the server answers `sql` itself (then the record is not the engine's).
fn answered_by_server(sql: &str) -> bool {
    airlock_parser::parse_statements(sql)
        .map(|statements| {
            statements
                .iter()
                .any(|s| airlock_server::local::classify(s).is_some())
        })
        .unwrap_or(false)
}

fn run_file(path: &Path, postgres: Option<Arc<PgServer>>) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut runner = Runner::new(|| {
            let postgres = postgres.clone();
            async move { Ok::<_, WireError>(WireDb::start(postgres.as_deref()).await) }
        });
        runner.add_label(if postgres.is_some() { "postgres" } else { "sqlite" });
        let records = sqllogictest::parse_file::<DefaultColumnType>(path)
            .map_err(|e| Failed::from(e.to_string()))?;
        let (mut ran, mut skipped) = (0, 0);
        for record in records {
            let sql = match &record {
                Record::Statement { sql, .. } | Record::Query { sql, .. } => Some(sql.as_str()),
                _ => None,
            };
            if sql.is_some_and(answered_by_server) {
                skipped += 1;
                continue;
            }
            let counts = sql.is_some();
            runner
                .run_async(record)
                .await
                .map_err(|e| Failed::from(e.display(true).to_string()))?;
            ran += usize::from(counts);
        }
        runner.shutdown_async().await;
        eprintln!(
            "{}: {ran} statements and queries over the wire, {skipped} the server answers itself skipped",
            path.display()
        );
        if ran == 0 {
            return Err(Failed::from("no record ran"));
        }
        Ok(())
    })
}

fn main() {
    // The top directory, and the privilege files (which switch roles with SET ROLE,
    // a statement the engine runs for the session over the wire too).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/slt");
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for (prefix, dir) in [("", root.clone()), ("privileges/", root.join("privileges"))] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "slt"))
            .collect();
        found.sort();
        assert!(!found.is_empty());
        files.extend(found.into_iter().map(|p| (prefix.to_owned(), p)));
    }
    let server = Arc::new(PgServer::start());
    let mut tests = Vec::new();
    for (prefix, path) in files {
        let name = format!("{prefix}{}", path.file_stem().unwrap().to_string_lossy());
        let path = Arc::new(path);
        let on_file = Arc::clone(&path);
        tests.push(Trial::test(name.clone(), move || run_file(&on_file, None)));
        let pg = Arc::clone(&server);
        tests.push(Trial::test(format!("postgres/{name}"), move || {
            run_file(&path, Some(Arc::clone(&pg)))
        }));
    }
    let conclusion = sqllogictest::harness::run(&Arguments::from_args(), tests);
    // The PostgreSQL server stops, and its directory goes, before the process exits.
    drop(server);
    conclusion.exit();
}
