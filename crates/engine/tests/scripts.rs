//! Issue 10, item 12: a multi-statement `execute` is parsed as a whole, then each
//! statement commits on its own. Not one transaction, unlike a PostgreSQL simple query;
//! `docs/architecture.md` says why. These tests pin the documented behaviour.

use airlock_engine::core::SqlState;
use airlock_engine::{Engine, EngineConfig, Response};

fn names(session: &mut airlock_engine::Session) -> Vec<String> {
    let result = session.execute("SHOW SECRETS").pop().unwrap().unwrap();
    let Response::Rows(rows) = result.response else {
        panic!("rows expected")
    };
    rows.rows
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect()
}

#[test]
fn statements_before_a_failure_stay_committed_and_the_rest_do_not_run() {
    let engine = Engine::open(":memory:", EngineConfig::default()).unwrap();
    let mut session = engine.session();
    let results =
        session.execute("CREATE SECRET a AS 'x'; CREATE SECRET a AS 'y'; CREATE SECRET b AS 'z'");
    assert_eq!(results.len(), 2, "stops at the failure");
    assert!(results[0].is_ok());
    assert_eq!(
        results[1].as_ref().unwrap_err().code,
        SqlState::DuplicateObject
    );
    assert_eq!(names(&mut session), ["a"], "a committed, b never ran");
}

#[test]
fn a_syntax_error_anywhere_runs_nothing() {
    let engine = Engine::open(":memory:", EngineConfig::default()).unwrap();
    let mut session = engine.session();
    let results = session.execute("CREATE SECRET a AS 'x'; CREATE SECRET AS");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].as_ref().unwrap_err().code, SqlState::SyntaxError);
    assert!(names(&mut session).is_empty());
}
