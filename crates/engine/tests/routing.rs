//! Routing that respects the host: per statement, who runs it and where it is in the
//! script; Airlock's statements run one at a time, in script order, between the host's.

use std::sync::{Arc, Mutex};

use airlock_engine::core::{Diagnostic, SqlState};
use airlock_engine::hooks::Request;
use airlock_engine::parser::parse_statement;
use airlock_engine::parser::sqlparser::ast::Statement as SqlStatement;
use airlock_engine::parser::sqlparser::dialect::MySqlDialect;
use airlock_engine::{
    Authorizer, Engine, EngineConfig, ForeignStatements, NewUsers, Outcome, Owner, Response,
    Session,
};

fn engine_with(config: EngineConfig) -> Engine {
    Engine::open(":memory:", config).unwrap()
}

fn host_engine() -> Engine {
    engine_with(EngineConfig {
        foreign_statements: ForeignStatements::ReturnToHost,
        ..EngineConfig::default()
    })
}

fn secret_names(session: &mut Session) -> Vec<String> {
    let results = session.execute("SHOW SECRETS");
    results[0]
        .as_ref()
        .unwrap()
        .rows()
        .unwrap()
        .rows
        .iter()
        .map(|r| r[0].clone().unwrap())
        .collect()
}

#[test]
fn host_queries_and_driver_shows_pass_through() {
    let mut session = host_engine().session();
    for sql in [
        "SELECT version()",
        "SELECT * FROM t",
        "SELECT 1",
        "SHOW search_path",
        "SHOW TIME ZONE",
        "VALUES (1, 2)",
    ] {
        let results = session.execute(sql);
        assert_eq!(results.len(), 1, "{sql}");
        let response = &results[0]
            .as_ref()
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .response;
        assert!(
            matches!(response, Response::PassThrough(_)),
            "{sql}: {response:?}"
        );
    }
    // A query over the catalog is still Airlock's, schema-qualified or not.
    let results = session.execute(
        "CREATE SECRET s AS 'x'; SELECT name FROM mz_catalog.mz_secrets; SELECT count(*) FROM mz_secrets",
    );
    let rows = results[1].as_ref().unwrap().rows().unwrap();
    assert_eq!(rows.rows, vec![vec![Some("s".to_owned())]]);
    assert!(results[2].as_ref().unwrap().rows().is_some());
}

#[test]
fn the_host_runs_its_statements_between_airlocks_in_script_order() {
    let engine = host_engine();
    let mut session = engine.session();
    let mut observer = engine.session();
    let script = "CREATE TABLE t (a int);\nCREATE SECRET one AS 'x';\nSELECT * FROM t;\nSELECT name FROM mz_secrets;\nCREATE SECRET two AS 'y'";
    let mut seen = Vec::new();
    for routed in session.statements(script) {
        let routed = routed.unwrap();
        let text = &script[routed.span.clone()];
        // What Airlock has run so far, as another session sees it at this very moment.
        let secrets = secret_names(&mut observer);
        match routed.outcome {
            Outcome::Host(statement) => {
                assert_eq!(routed.owner, Owner::Host);
                assert_eq!(statement.to_string().to_lowercase(), text.to_lowercase());
                seen.push(format!("host {text} with secrets {secrets:?}"));
            }
            Outcome::Done(result) => {
                seen.push(format!("{:?} {text} -> {:?}", routed.owner, result.tag()));
            }
        }
    }
    assert_eq!(
        seen,
        [
            "host CREATE TABLE t (a int) with secrets []",
            "Airlock CREATE SECRET one AS 'x' -> Some(\"CREATE SECRET\")",
            "host SELECT * FROM t with secrets [\"one\"]",
            "Catalog SELECT name FROM mz_secrets -> Some(\"SELECT 1\")",
            "Airlock CREATE SECRET two AS 'y' -> Some(\"CREATE SECRET\")",
        ]
    );
}

#[test]
fn spans_index_and_errors_say_where() {
    let engine = host_engine();
    let mut session = engine.session();
    let script = "SELECT 'é;' ;  CREATE SECRET a AS 'x';DROP SECRET nope; CREATE SECRET b AS 'y'";
    let routes = session.route(script).unwrap();
    let texts: Vec<(&str, Owner)> = routes
        .iter()
        .map(|(owner, span)| (&script[span.clone()], *owner))
        .collect();
    assert_eq!(
        texts,
        [
            ("SELECT 'é;'", Owner::Host),
            ("CREATE SECRET a AS 'x'", Owner::Airlock),
            ("DROP SECRET nope", Owner::Airlock),
            ("CREATE SECRET b AS 'y'", Owner::Airlock),
        ]
    );
    let results: Vec<_> = session.statements(script).collect();
    assert_eq!(
        results.len(),
        3,
        "the script stops at the failing statement"
    );
    let err = results[2].as_ref().unwrap_err();
    assert_eq!(err.index, Some(2));
    assert_eq!(&script[err.span.clone().unwrap()], "DROP SECRET nope");
    assert_eq!(err.diagnostic.code, SqlState::UndefinedObject);
    assert_eq!(secret_names(&mut session), ["a"]);

    // A syntax error runs nothing and names no statement.
    let results: Vec<_> = session
        .statements("CREATE SECRET c AS 'x'; CREATE SECRET")
        .collect();
    assert_eq!(results.len(), 1);
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(
        (err.index, err.diagnostic.code),
        (None, SqlState::SyntaxError)
    );
    assert_eq!(secret_names(&mut session), ["a"]);
}

#[test]
fn the_host_chooses_the_dialect() {
    let sql = "SELECT `weird col` FROM t; CREATE SECRET s AS 'x'";
    let mut postgres = host_engine().session();
    assert_eq!(
        postgres.execute(sql)[0].as_ref().unwrap_err().code,
        SqlState::SyntaxError
    );
    let mut mysql = engine_with(EngineConfig {
        foreign_statements: ForeignStatements::ReturnToHost,
        dialect: Some(Arc::new(MySqlDialect {})),
        ..EngineConfig::default()
    })
    .session();
    let results = mysql.execute(sql);
    let Response::PassThrough(statement) = &results[0].as_ref().unwrap().response else {
        panic!("expected pass-through")
    };
    assert!(matches!(**statement, SqlStatement::Query(_)));
    assert_eq!(
        results[1].as_ref().unwrap().tag().as_deref(),
        Some("CREATE SECRET")
    );
}

#[test]
fn every_entry_point_refuses_nul_bytes_and_huge_text() {
    let mut session = host_engine().session();
    for text in ["CREATE SECRET s AS 'a\0b'", "CREATE SECRET \"a\0b\" AS 'x'"] {
        let statement = parse_statement(text).unwrap();
        let err = session.execute_statement(statement).unwrap_err();
        assert_eq!(err.code, SqlState::CharacterNotInRepertoire, "{text:?}");
        let err = session.execute(text).remove(0).unwrap_err();
        assert_eq!(err.code, SqlState::CharacterNotInRepertoire);
        let err = session.route(text).unwrap_err();
        assert_eq!(err.code, SqlState::CharacterNotInRepertoire);
        let routed: Vec<_> = session.statements(text).collect();
        assert_eq!(routed.len(), 1);
        assert!(routed[0].is_err());
    }
    assert!(secret_names(&mut session).is_empty(), "nothing was created");
    let huge = format!("SELECT '{}'", "x".repeat(airlock_engine::MAX_SCRIPT_BYTES));
    let err = session.execute(&huge).remove(0).unwrap_err();
    assert_eq!(err.code, SqlState::ProgramLimitExceeded);
}

/// Lets everyone read, and only `admin` change anything; remembers what it was asked.
#[derive(Debug, Default)]
struct OnlyAdminWrites {
    asked: Mutex<Vec<(Option<String>, Owner)>>,
}

impl Authorizer for OnlyAdminWrites {
    fn authorize(&self, request: &Request<'_>) -> Result<(), Diagnostic> {
        self.asked
            .lock()
            .unwrap()
            .push((request.user.map(str::to_owned), request.owner));
        let reads = request.owner == Owner::Catalog
            || matches!(
                request.statement,
                airlock_engine::parser::Statement::ShowObjects(_)
            );
        if reads || request.user == Some("admin") {
            Ok(())
        } else {
            Err(Diagnostic::error(
                SqlState::InsufficientPrivilege,
                format!("permission denied for user {:?}", request.user),
            ))
        }
    }
}

#[test]
fn the_hosts_authorizer_decides_per_user_before_each_airlock_statement() {
    let authorizer = Arc::new(OnlyAdminWrites::default());
    let engine = engine_with(EngineConfig {
        foreign_statements: ForeignStatements::ReturnToHost,
        authorizer: Some(authorizer.clone()),
        // The host's authorizer decides; Airlock's privileges let every user through.
        new_users: NewUsers::Superuser,
        ..EngineConfig::default()
    });
    let mut admin = engine.session_for("admin");
    let mut bob = engine.session_for("bob");
    assert_eq!(bob.user(), Some("bob"));
    assert!(admin.execute("CREATE SECRET s AS 'x'")[0].is_ok());
    let results = bob.execute("SELECT 1; SELECT name FROM mz_secrets; DROP SECRET s; SHOW SECRETS");
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    assert_eq!(
        results[2].as_ref().unwrap_err().code,
        SqlState::InsufficientPrivilege
    );
    assert_eq!(secret_names(&mut admin), ["s"], "bob's DROP did not run");
    assert!(
        engine.session().execute("DROP SECRET s")[0].is_err(),
        "no user, no writes"
    );
    let asked = authorizer.asked.lock().unwrap().clone();
    let who = |u: &str| Some(u.to_owned());
    assert_eq!(
        asked[..4],
        [
            (who("admin"), Owner::Airlock),
            // The host's `SELECT 1` is not Airlock's business.
            (who("bob"), Owner::Catalog),
            (who("bob"), Owner::Airlock),
            (who("admin"), Owner::Airlock),
        ]
    );
}

#[test]
fn a_cancel_stops_the_script_at_the_next_statement() {
    let engine = host_engine();
    let mut session = engine.session();
    let cancel = session.cancel_handle();
    // A cancel while idle is forgotten when the next script starts.
    cancel.cancel();
    let mut statements = session.statements("CREATE SECRET a AS 'x'; CREATE SECRET b AS 'y'");
    assert!(statements.next().unwrap().is_ok());
    cancel.cancel();
    let err = statements.next().unwrap().unwrap_err();
    assert_eq!(err.diagnostic.code, SqlState::QueryCanceled);
    assert_eq!(err.index, Some(1));
    assert!(statements.next().is_none());
    drop(statements);
    assert_eq!(secret_names(&mut session), ["a"]);
    // The cancel was used up: the session works again.
    assert!(session.execute("CREATE SECRET c AS 'z'")[0].is_ok());
}

/// Holds up Airlock's first statement until the test's other task has run.
#[derive(Debug)]
struct WaitForTicker(Mutex<std::sync::mpsc::Receiver<()>>);

impl Authorizer for WaitForTicker {
    fn authorize(&self, _: &Request<'_>) -> Result<(), Diagnostic> {
        self.0
            .lock()
            .unwrap()
            .recv_timeout(std::time::Duration::from_secs(5))
            .map_err(|_| Diagnostic::error(SqlState::QueryCanceled, "the other task never ran"))
    }
}

#[test]
fn async_hosts_run_scripts_off_their_worker_thread() {
    let (tick, ticks) = std::sync::mpsc::channel();
    let engine = engine_with(EngineConfig {
        foreign_statements: ForeignStatements::ReturnToHost,
        authorizer: Some(Arc::new(WaitForTicker(Mutex::new(ticks)))),
        new_users: NewUsers::Superuser,
        ..EngineConfig::default()
    });
    let session = engine.session_for("app");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let results = runtime.block_on(async {
        // Another task on the same single-threaded runtime: if the script blocked the
        // runtime's only thread, this would never run and the authorizer would give up.
        let ticker = tokio::spawn(async move {
            for _ in 0..3 {
                tokio::task::yield_now().await;
                let _ = tick.send(());
            }
        });
        let results = session
            .execute_async("CREATE SECRET s AS 'x'; SELECT version(); SELECT name FROM mz_secrets")
            .await;
        ticker.await.unwrap();
        results
    });
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(matches!(
        results[1].as_ref().unwrap().response,
        Response::PassThrough(_)
    ));
    assert_eq!(
        results[2].as_ref().unwrap().rows().unwrap().rows,
        vec![vec![Some("s".to_owned())]]
    );
}

#[test]
fn a_file_engine_leaves_no_wal_files_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    {
        let engine = Engine::open(&path, EngineConfig::default()).unwrap();
        let mut session = engine.session();
        assert!(session.execute("CREATE SECRET s AS 'x'")[0].is_ok());
        // The credentials registry keeps a read-only connection of its own on the file.
        assert_eq!(
            engine.credentials("s").unwrap_err().code,
            SqlState::WrongObjectType
        );
    }
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with("-wal") || name.ends_with("-shm"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
