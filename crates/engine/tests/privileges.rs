//! Privileges through the embedding API: which role a session acts as, what happens to a
//! host's user that is not a role yet, and USAGE on connections for credentials. The
//! statements themselves are covered by `testdata/slt/privileges/*.slt`.

use airlock_engine::core::SqlState;
use airlock_engine::{Engine, EngineConfig, NewUsers, Response};

fn engine(new_users: NewUsers) -> Engine {
    Engine::open(
        ":memory:",
        EngineConfig {
            new_users,
            ..EngineConfig::default()
        },
    )
    .unwrap()
}

fn code(
    results: Vec<Result<airlock_engine::StatementResult, airlock_engine::core::Diagnostic>>,
) -> SqlState {
    results.last().unwrap().as_ref().unwrap_err().code
}

fn role_names(engine: &Engine) -> Vec<String> {
    let results = engine
        .session()
        .execute("SELECT name FROM mz_roles ORDER BY id");
    match &results[0].as_ref().unwrap().response {
        Response::Rows(rows) => rows.rows.iter().map(|r| r[0].clone().unwrap()).collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_session_without_a_user_is_mz_system() {
    let engine = engine(NewUsers::Refuse);
    let mut session = engine.session();
    assert_eq!(session.current_role(), "mz_system");
    assert!(session.execute("CREATE SECRET s AS 'x'")[0].is_ok());
    assert!(session.execute("CREATE ROLE joe")[0].is_ok());
    assert!(session.execute("SET ROLE joe")[0].is_ok());
    // Clones share the role SET ROLE chose.
    let clone = session.clone();
    assert_eq!(clone.current_role(), "joe");
    assert_eq!(
        code(session.execute("DROP SECRET s")),
        SqlState::InsufficientPrivilege
    );
    assert!(session.execute("RESET ROLE")[0].is_ok());
    assert_eq!(clone.current_role(), "mz_system");
    assert!(session.execute("DROP SECRET s")[0].is_ok());
}

#[test]
fn new_users_become_login_roles_without_privileges_by_default() {
    let engine = engine(NewUsers::default());
    let mut dana = engine.session_for("dana");
    assert_eq!(dana.current_role(), "dana");
    // Reading the catalog is every role's; creating is not.
    assert!(dana.execute("SELECT name FROM mz_secrets")[0].is_ok());
    assert_eq!(
        code(dana.execute("CREATE SECRET s AS 'x'")),
        SqlState::InsufficientPrivilege
    );
    assert_eq!(role_names(&engine), ["mz_system", "materialize", "dana"]);
    let results = engine
        .session()
        .execute("SELECT rolcanlogin, rolsuper FROM mz_roles WHERE name = 'dana'");
    let Response::Rows(rows) = &results[0].as_ref().unwrap().response else {
        panic!()
    };
    assert_eq!(rows.rows, [[Some("t".to_owned()), Some("f".to_owned())]]);
    // Granted CREATE, dana creates and owns.
    engine
        .session()
        .execute("GRANT CREATE ON SCHEMA materialize.public TO dana");
    assert!(dana.execute("CREATE SECRET s AS 'x'")[0].is_ok());
    // SET ROLE needs membership of the session's user.
    assert_eq!(
        code(dana.execute("SET ROLE materialize")),
        SqlState::InsufficientPrivilege
    );
}

#[test]
fn unknown_users_can_be_refused_or_trusted() {
    let refusing = engine(NewUsers::Refuse);
    let results = refusing.session_for("erin").execute("SELECT 1");
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(err.code, SqlState::InvalidAuthorizationSpecification);
    assert_eq!(err.message, "role \"erin\" does not exist");
    assert_eq!(role_names(&refusing), ["mz_system", "materialize"]);
    // The first user exists, as a superuser.
    assert!(
        refusing
            .session_for("materialize")
            .execute("CREATE SECRET s AS 'x'")[0]
            .is_ok()
    );

    let trusting = engine(NewUsers::Superuser);
    assert!(
        trusting
            .session_for("root")
            .execute("ALTER SYSTEM RESET aws_principal")[0]
            .is_ok()
    );
}

#[test]
fn credentials_need_usage_on_the_connection() {
    let engine = engine(NewUsers::Refuse);
    let mut admin = engine.session();
    for sql in [
        "CREATE ROLE joe LOGIN",
        "CREATE CONNECTION c TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::000000000000:role/Reader')",
    ] {
        assert!(admin.execute(sql)[0].is_ok(), "{sql}");
    }
    let mut joe = engine.session_for("joe");
    let err = joe.credentials("c").unwrap_err();
    assert_eq!(err.code, SqlState::InsufficientPrivilege);
    assert_eq!(
        err.message,
        "permission denied for CONNECTION \"materialize.public.c\""
    );
    assert_eq!(
        joe.aws_sdk_config("c").unwrap_err().code,
        SqlState::InsufficientPrivilege
    );
    assert!(admin.execute("GRANT USAGE ON CONNECTION c TO joe")[0].is_ok());
    let handle = joe.credentials("c").unwrap();
    assert_eq!(handle.connection_name(), "c");
}
