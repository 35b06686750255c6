//! The engine as a host embeds it: foreign statements come back untouched, errors carry
//! PostgreSQL's side channels, scripts stop at the first error.

use airlock_engine::core::SqlState;
use airlock_engine::parser::sqlparser::ast::Statement as SqlStatement;
use airlock_engine::{Engine, EngineConfig, ForeignStatements, Response};

fn engine(foreign_statements: ForeignStatements) -> Engine {
    Engine::open(
        ":memory:",
        EngineConfig {
            foreign_statements,
            ..EngineConfig::default()
        },
    )
    .unwrap()
}

#[test]
fn foreign_statements_are_returned_to_the_host_untouched() {
    let mut session = engine(ForeignStatements::ReturnToHost).session();
    let results = session.execute("CREATE TABLE t (a INT); INSERT INTO t VALUES (1)");
    assert_eq!(results.len(), 2);
    for result in results {
        let Response::PassThrough(statement) = result.unwrap().response else {
            panic!("expected pass-through")
        };
        assert!(matches!(
            *statement,
            SqlStatement::CreateTable(_) | SqlStatement::Insert(_)
        ));
    }
}

#[test]
fn the_standalone_engine_refuses_them() {
    let mut session = engine(ForeignStatements::Reject).session();
    let results = session.execute("CREATE TABLE t (a INT)");
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(err.code, SqlState::FeatureNotSupported);
    assert!(err.detail.is_some());
}

#[test]
fn scripts_stop_at_the_first_error_and_syntax_errors_run_nothing() {
    let mut session = engine(ForeignStatements::Reject).session();
    let results =
        session.execute("CREATE SECRET a AS 'x'; DROP SECRET nope; CREATE SECRET b AS 'y'");
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert_eq!(
        results[1].as_ref().unwrap_err().code,
        SqlState::UndefinedObject
    );

    let results = session.execute("CREATE SECRET c AS 'x'; CREATE SECRET");
    assert_eq!(results.len(), 1);
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(err.code, SqlState::SyntaxError);
    assert_eq!(err.position.map(|p| (p.line, p.column)), Some((1, 38)));
    let shown = session.execute("SHOW SECRETS");
    let rows = shown[0].as_ref().unwrap().rows().unwrap();
    assert_eq!(
        rows.rows,
        vec![vec![Some("a".to_owned()), Some(String::new())]],
        "neither b nor c was created"
    );
}

#[test]
fn sessions_share_the_catalog() {
    let engine = engine(ForeignStatements::Reject);
    let mut one = engine.session();
    let mut two = engine.session();
    assert!(one.execute("CREATE SECRET s AS 'x'")[0].is_ok());
    let err = two.execute("CREATE SECRET s AS 'x'").remove(0).unwrap_err();
    assert_eq!(err.code, SqlState::DuplicateObject);
}

#[test]
fn command_tags_are_postgres_style() {
    let mut session = engine(ForeignStatements::Reject).session();
    let tags: Vec<String> = session
        .execute(
            "CREATE SECRET s AS 'x'; ALTER SECRET s AS 'y';
             CREATE CONNECTION c TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET s);
             ALTER CONNECTION c SET (REGION = 'us-east-1'); SHOW CONNECTIONS; SELECT 1;
             DROP CONNECTION c; DROP SECRET s; ALTER SYSTEM RESET aws_principal",
        )
        .into_iter()
        .map(|r| r.unwrap().tag().unwrap())
        .collect();
    assert_eq!(
        tags,
        [
            "CREATE SECRET",
            "ALTER SECRET",
            "CREATE CONNECTION",
            "ALTER CONNECTION",
            "SELECT 1",
            "SELECT 1",
            "DROP CONNECTION",
            "DROP SECRET",
            "ALTER SYSTEM"
        ]
    );
}
