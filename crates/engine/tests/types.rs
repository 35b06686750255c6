//! Typed results: every column's PostgreSQL type is known before the statement runs
//! (`Session::describe`), is the same type the rows come back with, and values print as
//! PostgreSQL prints them.

use airlock_engine::core::{ColumnType, SqlState};
use airlock_engine::{Description, Engine, EngineConfig, ForeignStatements};

fn engine(foreign_statements: ForeignStatements) -> Engine {
    let engine = Engine::open(
        ":memory:",
        EngineConfig {
            foreign_statements,
            ..EngineConfig::default()
        },
    )
    .unwrap();
    let mut session = engine.session();
    for result in session.execute(
        "CREATE SECRET s AS 'wJalrXUtnFEMI/K7MDENG';
         CREATE CONNECTION c TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET s);
         CREATE CONNECTION r TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader')",
    ) {
        result.unwrap();
    }
    engine
}

fn types(description: &Description) -> Vec<(String, ColumnType)> {
    match description {
        Description::Rows(columns) => columns.iter().map(|c| (c.name.clone(), c.ty)).collect(),
        other => panic!("not rows: {other:?}"),
    }
}

#[test]
fn catalog_queries_are_typed_before_they_run() {
    use ColumnType::*;
    let mut session = engine(ForeignStatements::Reject).session();
    for (sql, want) in [
        (
            "SELECT id, oid, name, created_at FROM mz_connections",
            vec![
                ("id", Text),
                ("oid", Oid),
                ("name", Text),
                ("created_at", TimestampTz),
            ],
        ),
        (
            "SELECT count(*), sum(length(c.name)), max(created_at), example_trust_policy FROM mz_aws_connections a JOIN mz_connections c ON a.id = c.id GROUP BY example_trust_policy",
            vec![
                ("count", Int8),
                ("sum", Int8),
                ("max", TimestampTz),
                ("example_trust_policy", Jsonb),
            ],
        ),
        (
            "SELECT true, 1, 3000000000, 1.50, 1e20::float8, 1::int4, '1', NULL, 1 = 1, oid::text AS o FROM mz_secrets",
            vec![
                ("bool", Bool),
                ("?column?", Int4),
                ("?column?", Int8),
                ("?column?", Numeric),
                ("float8", Float8),
                ("int4", Int4),
                ("?column?", Text),
                ("?column?", Text),
                ("?column?", Bool),
                ("o", Text),
            ],
        ),
        (
            "WITH x AS (SELECT oid AS n, name FROM mz_connections) SELECT n, q.* FROM x, (SELECT count(*) AS k FROM mz_secrets) q",
            vec![("n", Oid), ("k", Int8)],
        ),
        (
            "SELECT * FROM mz_object_dependencies",
            vec![("object_id", Text), ("referenced_object_id", Text)],
        ),
    ] {
        let described = types(&session.describe(sql).unwrap());
        let want: Vec<(String, ColumnType)> =
            want.into_iter().map(|(n, t)| (n.to_owned(), t)).collect();
        // Column names: PostgreSQL names a bare `true` `bool` and a cast by its type.
        let names_agree = described.iter().zip(&want).all(|(d, w)| d.1 == w.1);
        assert!(
            names_agree && described.len() == want.len(),
            "{sql}\n{described:?}\n{want:?}"
        );
        // Executing gives the same columns.
        let ran = session.execute(sql).pop().unwrap().unwrap();
        let ran: Vec<ColumnType> = ran.rows().unwrap().columns.iter().map(|c| c.ty).collect();
        let described: Vec<ColumnType> = described.into_iter().map(|(_, t)| t).collect();
        assert_eq!(ran, described, "{sql}");
    }
}

#[test]
fn values_print_as_postgres_prints_them() {
    let mut session = engine(ForeignStatements::Reject).session();
    let result = session
        .execute("SELECT true, 1 = 2, 1.50, 1e20::float8, 0.00001::float8, count(*) > 1 FROM mz_connections")
        .pop()
        .unwrap()
        .unwrap();
    assert_eq!(
        result.rows().unwrap().rows,
        vec![vec![
            Some("t".to_owned()),
            Some("f".to_owned()),
            Some("1.50".to_owned()),
            Some("1e+20".to_owned()),
            Some("1e-05".to_owned()),
            Some("t".to_owned()),
        ]]
    );
    let err = session.execute("SELECT 1/0").pop().unwrap().unwrap_err();
    assert_eq!(err.code, SqlState::DivisionByZero);
}

#[test]
fn airlock_statements_describe_without_running() {
    let engine = engine(ForeignStatements::ReturnToHost);
    let mut session = engine.session();
    assert_eq!(
        types(&session.describe("SHOW CONNECTIONS").unwrap())
            .into_iter()
            .map(|(n, _)| n)
            .collect::<Vec<_>>()[..2],
        ["name".to_owned(), "type".to_owned()]
    );
    assert_eq!(
        types(&session.describe("VALIDATE CONNECTION r").unwrap()).len(),
        3
    );
    assert_eq!(
        types(&session.describe("SHOW CREATE CONNECTION c").unwrap())[0].0,
        "name"
    );
    // DDL describes as a command and does not run.
    assert_eq!(
        session.describe("CREATE SECRET t AS 'x'").unwrap(),
        Description::Command
    );
    assert_eq!(
        session.describe("DROP CONNECTION c").unwrap(),
        Description::Command
    );
    let names = session
        .execute("SELECT name FROM mz_secrets UNION ALL SELECT name FROM mz_connections ORDER BY 1")
        .pop()
        .unwrap()
        .unwrap();
    assert_eq!(
        names.rows().unwrap().rows,
        vec![
            vec![Some("c".to_owned())],
            vec![Some("r".to_owned())],
            vec![Some("s".to_owned())]
        ]
    );
    // The host's statements are the host's to describe.
    assert!(matches!(
        session.describe("SELECT * FROM t").unwrap(),
        Description::Host(_)
    ));
    // One statement at a time, and errors as execution would give them.
    let err = session.describe("SELECT 1; SELECT 2").unwrap_err();
    assert_eq!(err.code, SqlState::SyntaxError);
    let err = session
        .describe("SELECT nope FROM mz_connections")
        .unwrap_err();
    assert_eq!(err.code, SqlState::UndefinedColumn);
    let err = session.describe("SELECT 'a\0'").unwrap_err();
    assert_eq!(err.code, SqlState::CharacterNotInRepertoire);
}
