//! tokio-postgres against the real server: extended query (prepared statements,
//! Describe with parameter and column types, binary results), bound parameters for
//! secrets and catalog queries, errors, transactions, cancel and statement timeout,
//! SCRAM-SHA-256.

mod common;

use std::time::SystemTime;

use common::{TestServer, connect};
use tokio_postgres::SimpleQueryMessage;
use tokio_postgres::types::{FromSql, Type};

/// A never-ending catalog query (a recursive CTE without a bound).
const ENDLESS: &str =
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r";

/// A value's raw binary encoding, for the types tokio-postgres decodes only with
/// optional features (numeric, jsonb).
struct Raw(Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw.to_vec()))
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC || *ty == Type::JSONB
    }
}

#[tokio::test]
async fn prepared_statements_describe_types_and_return_binary_values() {
    let server = TestServer::trust(&[]);
    let client = connect(&server.conninfo("alice")).await;
    client
        .batch_execute("CREATE SECRET a AS 'x'; CREATE SECRET b AS 'y'")
        .await
        .unwrap();

    let statement = client
        .prepare("SELECT name, id, oid FROM mz_secrets WHERE name = $1")
        .await
        .unwrap();
    assert_eq!(statement.params(), &[Type::TEXT]);
    let types: Vec<_> = statement
        .columns()
        .iter()
        .map(|c| (c.name(), c.type_().clone()))
        .collect();
    assert_eq!(
        types,
        vec![("name", Type::TEXT), ("id", Type::TEXT), ("oid", Type::OID)]
    );
    // The same prepared statement, bound twice.
    for name in ["a", "b"] {
        let rows = client.query(&statement, &[&name]).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get::<_, &str>("name"), name);
        assert!(rows[0].get::<_, u32>("oid") > 0);
    }

    // Every type the engine returns, in binary (tokio-postgres asks for binary results).
    let row = client
        .query_one(
            "SELECT true, 7::int4, 9000000000::int8, 1.5::float8, 12345.678::numeric, 'x'::text, 26::oid, '{\"a\": 1}'::jsonb",
            &[],
        )
        .await
        .unwrap();
    let types: Vec<Type> = row.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(
        types,
        vec![
            Type::BOOL,
            Type::INT4,
            Type::INT8,
            Type::FLOAT8,
            Type::NUMERIC,
            Type::TEXT,
            Type::OID,
            Type::JSONB
        ]
    );
    assert!(row.get::<_, bool>(0));
    assert_eq!(row.get::<_, i32>(1), 7);
    assert_eq!(row.get::<_, i64>(2), 9_000_000_000);
    assert_eq!(row.get::<_, f64>(3), 1.5);
    // PostgreSQL's numeric_send(12345.678).
    assert_eq!(
        row.get::<_, Raw>(4).0,
        vec![0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]
    );
    assert_eq!(row.get::<_, &str>(5), "x");
    assert_eq!(row.get::<_, u32>(6), 26);
    let jsonb = row.get::<_, Raw>(7).0;
    assert_eq!(jsonb[0], 1);
    assert_eq!(std::str::from_utf8(&jsonb[1..]).unwrap(), "{\"a\": 1}");

    // timestamptz in binary (microseconds since 2000), decoded by tokio-postgres, and
    // the same instant in text.
    let row = client
        .query_one(
            "SELECT created_at, created_at::text FROM mz_secrets WHERE name = 'a'",
            &[],
        )
        .await
        .unwrap();
    let at: SystemTime = row.get(0);
    let text: &str = row.get(1);
    let seconds = at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    let days = seconds / 86_400;
    // The text form's time of day agrees with the binary instant.
    let time = &text[11..19];
    let s = seconds % 86_400;
    assert_eq!(
        time,
        format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60),
        "{text}"
    );
    assert!(days > 20_000, "{text}");
}

#[tokio::test]
async fn a_secret_is_created_and_altered_with_a_bound_parameter() {
    let server = TestServer::trust(&[]);
    let client = connect(&server.conninfo("alice")).await;
    let create = client.prepare("CREATE SECRET s AS $1").await.unwrap();
    assert_eq!(create.params(), &[Type::TEXT]);
    assert!(create.columns().is_empty());
    let value = "it's a 'quoted' value; DROP SECRET s; --";
    assert_eq!(client.execute(&create, &[&value]).await.unwrap(), 0);
    client
        .execute("ALTER SECRET s AS $1", &[&"another value"])
        .await
        .unwrap();
    let rows = client
        .query("SELECT name FROM mz_secrets", &[])
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, &str>(0), "s");
    // NULL is not a secret.
    let e = client
        .execute("CREATE SECRET t AS $1", &[&None::<&str>])
        .await
        .unwrap_err();
    assert_eq!(e.code().unwrap().code(), "22023");
}

#[tokio::test]
async fn simple_queries_answer_each_statement_and_stop_at_the_first_error() {
    let server = TestServer::trust(&[]);
    let client = connect(&server.conninfo("alice")).await;
    let messages = client
        .simple_query("CREATE SECRET a AS 'x'; SELECT name FROM mz_secrets; SHOW statement_timeout")
        .await
        .unwrap();
    let tags: Vec<String> = messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(format!("complete {n}")),
            SimpleQueryMessage::Row(r) => Some(format!("row {}", r.get(0).unwrap())),
            _ => None,
        })
        .collect();
    // `SHOW`'s tag is PostgreSQL's: `SHOW`, without a count.
    assert_eq!(
        tags,
        vec!["complete 0", "row a", "complete 1", "row 0", "complete 0"]
    );
    let e = client
        .simple_query("CREATE SECRET b AS 'x'; CREATE SECRET a AS 'y'; CREATE SECRET c AS 'z'")
        .await
        .unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "42710");
    let rows = client
        .query("SELECT name FROM mz_secrets ORDER BY name", &[])
        .await
        .unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(names, vec!["a", "b"]);
}

#[tokio::test]
async fn errors_carry_sqlstate_detail_hint_and_position() {
    let server = TestServer::trust(&[]);
    let client = connect(&server.conninfo("alice")).await;
    let e = client
        .simple_query("CREATE CONNECTION c TO AWS (REGION = 'us-east-1')")
        .await
        .unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "22023");
    assert!(db.hint().unwrap().starts_with("Use ASSUME ROLE ARN"));
    let e = client
        .simple_query("CREATE TABLE t (a int)")
        .await
        .unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "0A000");
    assert!(
        db.detail()
            .unwrap()
            .starts_with("Airlock runs its own statements")
    );
    let e = client.simple_query("SELECT 1;\nSELEC 2").await.unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "42601");
    assert_eq!(db.severity(), "ERROR");
    assert_eq!(
        db.position(),
        Some(&tokio_postgres::error::ErrorPosition::Original(11))
    );
    // Parse errors of a prepared statement too.
    let e = client.prepare("SELECT 1 FROM").await.unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "42601");
    // The connection is still usable.
    assert_eq!(
        client
            .query_one("SELECT 1", &[])
            .await
            .unwrap()
            .get::<_, i32>(0),
        1
    );
}

#[tokio::test]
async fn transactions_report_their_status() {
    let server = TestServer::trust(&[]);
    let mut client = connect(&server.conninfo("alice")).await;
    let tx = client.transaction().await.unwrap();
    tx.execute("CREATE SECRET a AS $1", &[&"x"]).await.unwrap();
    tx.commit().await.unwrap();
    let tx = client.transaction().await.unwrap();
    let e = tx.batch_execute("SELEC").await.unwrap_err();
    assert_eq!(e.code().unwrap().code(), "42601");
    let e = tx.batch_execute("SELECT 1").await.unwrap_err();
    assert_eq!(e.code().unwrap().code(), "25P02");
    tx.rollback().await.unwrap();
    assert_eq!(
        client
            .query("SELECT name FROM mz_secrets", &[])
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_cancel_request_stops_the_running_statement() {
    let server = TestServer::trust(&[]);
    let client = connect(&server.conninfo("alice")).await;
    let token = client.cancel_token();
    let running = tokio::spawn(async move { client.simple_query(ENDLESS).await.map(|_| client) });
    // Cancel until the statement has stopped (a cancel before it starts is forgotten).
    let client = loop {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        token.cancel_query(tokio_postgres::NoTls).await.unwrap();
        if running.is_finished() {
            break running.await.unwrap();
        }
    };
    let e = client.err().unwrap();
    assert_eq!(e.code().unwrap().code(), "57014");
}

#[tokio::test]
async fn a_statement_timeout_cancels_a_long_statement() {
    let server = TestServer::trust(&[]);
    let client = connect(&server.conninfo("alice")).await;
    client
        .batch_execute("SET statement_timeout = 100")
        .await
        .unwrap();
    let e = client.simple_query(ENDLESS).await.unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "57014");
    assert_eq!(db.message(), "canceling statement due to statement timeout");
    // The session goes on.
    assert_eq!(
        client
            .query_one("SELECT 2", &[])
            .await
            .unwrap()
            .get::<_, i32>(0),
        2
    );
}

#[tokio::test]
async fn scram_authenticates_users_from_the_users_file() {
    let dir = tempfile::tempdir().unwrap();
    let verifier = std::process::Command::new(env!("CARGO_BIN_EXE_airlock-server"))
        .arg("--print-verifier")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"pencil\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let verifier = String::from_utf8(verifier.stdout).unwrap();
    assert!(verifier.starts_with("SCRAM-SHA-256$4096:"), "{verifier}");
    assert!(!verifier.contains("pencil"));
    let users = dir.path().join("users");
    std::fs::write(&users, format!("alice:{verifier}")).unwrap();
    let server = TestServer::start_in(
        dir,
        &["--auth", "scram", "--users", users.to_str().unwrap()],
    );

    let ok = format!("{} password=pencil", server.conninfo("alice"));
    let client = connect(&ok).await;
    assert_eq!(
        client
            .query_one("SHOW session_authorization", &[])
            .await
            .unwrap()
            .get::<_, &str>(0),
        "alice"
    );
    for conninfo in [
        format!("{} password=wrong", server.conninfo("alice")),
        format!("{} password=pencil", server.conninfo("mallory")),
    ] {
        let e = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
            .await
            .err()
            .unwrap();
        assert_eq!(e.code().map(|c| c.code()), Some("28P01"), "{e}");
    }
    let log = server.stderr();
    assert!(!log.contains("pencil"), "{log}");
}
