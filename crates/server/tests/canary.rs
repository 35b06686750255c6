//! A secret canary over the wire: whichever way the value is sent — a bound parameter
//! (tokio-postgres, psycopg), a literal in a simple query (psql), a failing statement —
//! it never appears in the server's standard output, standard error (its log), any
//! response, or the catalog's files.

mod common;

use common::{TestServer, connect, run_psycopg, text};
use tokio_postgres::SimpleQueryMessage;

#[tokio::test]
async fn a_secret_value_is_never_echoed_logged_or_stored_in_plaintext() {
    let canary = format!("canary-{}", uuid::Uuid::new_v4().simple());
    let mut server = TestServer::trust(&[]);
    let mut responses = String::new();

    // Bound parameters, created, altered, refused (a duplicate) and malformed.
    let client = connect(&server.conninfo("alice")).await;
    client
        .execute("CREATE SECRET p AS $1", &[&canary])
        .await
        .unwrap();
    client
        .execute("ALTER SECRET p AS $1", &[&canary])
        .await
        .unwrap();
    let e = client
        .execute("CREATE SECRET p AS $1", &[&canary])
        .await
        .unwrap_err();
    responses.push_str(&format!("{e:?}\n"));
    let e = client
        .execute("CREATE SECRET q AS $1 garbage", &[&canary])
        .await
        .unwrap_err();
    responses.push_str(&format!("{e:?}\n"));
    // As a literal, and as a literal in failing statements.
    let out = server.psql(
        "bob",
        &[],
        &format!(
            "CREATE SECRET l AS '{canary}';\nCREATE SECRET l AS '{canary}';\nCREATE SECRET m AS '{canary}' nonsense;\nCREATE CONNECTION c TO AWS (ACCESS KEY ID = '{canary}', SECRET ACCESS KEY = '{canary}');\n"
        ),
    );
    responses.push_str(&text(&out.stdout));
    // psql echoes its own input around an error position (`LINE 1: …`): that is the
    // client's text, not the server's response.
    for line in text(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("LINE "))
    {
        responses.push_str(line);
        responses.push('\n');
    }
    // psycopg's bound parameters.
    responses.push_str(&run_psycopg(&server, &canary));

    // Everything a client can read back.
    for query in [
        "SELECT * FROM mz_secrets",
        "SELECT * FROM mz_connections",
        "SHOW SECRETS",
        "SELECT * FROM mz_internal.mz_aws_connections",
    ] {
        for message in client.simple_query(query).await.unwrap() {
            if let SimpleQueryMessage::Row(row) = message {
                for i in 0..row.len() {
                    responses.push_str(row.get(i).unwrap_or(""));
                    responses.push('\n');
                }
            }
        }
    }
    drop(client);
    assert!(responses.contains("already exists"), "{responses}");
    assert!(responses.contains("p\n"), "the secrets exist: {responses}");

    server.terminate();
    let log = server.stderr() + &server.stdout();
    assert!(log.contains("sqlstate=42710"), "errors are logged: {log}");
    assert!(!log.contains(&canary), "in the log: {log}");
    assert!(!responses.contains(&canary), "in a response: {responses}");
    for entry in std::fs::read_dir(server.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
            "in {}",
            path.display()
        );
    }
}
