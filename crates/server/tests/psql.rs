//! The real psql against the real server: simple query, `\set` variables,
//! `ON_ERROR_STOP`, errors with DETAIL, HINT and position, notices, startup parameters.

mod common;

use common::{TestServer, psql, text};

#[test]
fn psql_runs_a_script_statement_by_statement() {
    let server = TestServer::trust(&[]);
    let out = server.psql(
        "alice",
        &["-A", "-t"],
        "SELECT version();\n\
         CREATE SECRET s AS 'v';\n\
         \\set conn_name 'my_secret'\n\
         CREATE SECRET :conn_name AS 'w';\n\
         SELECT name FROM mz_secrets ORDER BY name;\n\
         SHOW transaction isolation level;\n\
         SET extra_float_digits = 3;\n\
         SELECT 1.5::float8, true, 7::int4;\n",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert_eq!(
        stdout,
        "PostgreSQL 15.0 (Airlock 0.1.0)\n\
         CREATE SECRET\n\
         CREATE SECRET\n\
         my_secret\n\
         s\n\
         serializable\n\
         SET\n\
         1.5|t|7\n"
    );
}

#[test]
fn psql_shows_errors_with_detail_hint_and_position_and_notices() {
    let server = TestServer::trust(&[]);
    let out = server.psql(
        "alice",
        &[],
        "CREATE TABLE t (a int);\n\
         CREATE CONNECTION c TO AWS (REGION = 'us-east-1');\n\
         SELECT 1 FROM mz_secrets WHERE nonsense;\n\
         DROP SECRET IF EXISTS nope;\n",
    );
    let stderr = text(&out.stderr);
    // Without ON_ERROR_STOP psql goes on after each error.
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr
            .contains("ERROR:  statement not supported\nDETAIL:  Airlock runs its own statements"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ERROR:  must specify either ASSUME ROLE ARN or ACCESS KEY ID and SECRET ACCESS KEY\nHINT:  Use ASSUME ROLE ARN"),
        "{stderr}"
    );
    assert!(
        stderr.contains("NOTICE:  secret \"nope\" does not exist, skipping"),
        "{stderr}"
    );
    // A syntax error points at its place, as psql prints a server's position.
    let out = server.psql("alice", &[], "SELECT 1;\nSELEC 2;\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("LINE 1: SELEC 2;\n        ^"), "{stderr}");
}

#[test]
fn on_error_stop_stops_at_the_first_error() {
    let server = TestServer::trust(&[]);
    let out = server.psql(
        "alice",
        &["-v", "ON_ERROR_STOP=1", "-A", "-t"],
        "CREATE SECRET a AS 'x';\n\
         CREATE SECRET a AS 'y';\n\
         CREATE SECRET b AS 'z';\n",
    );
    // psql's exit status for a script stopped by an error.
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
    let out = server.psql(
        "alice",
        &[
            "-A",
            "-t",
            "-c",
            "SELECT name FROM mz_secrets ORDER BY name",
        ],
        "",
    );
    assert_eq!(text(&out.stdout), "a\n");
}

#[test]
fn one_simple_query_of_several_statements_stops_at_the_first_error() {
    let server = TestServer::trust(&[]);
    // `-c` sends the whole text as one simple query.
    let out = server.psql(
        "alice",
        &[
            "-c",
            "CREATE SECRET a AS 'x'; CREATE SECRET a AS 'y'; CREATE SECRET b AS 'z'",
        ],
        "",
    );
    assert!(!out.status.success());
    let out = server.psql(
        "alice",
        &[
            "-A",
            "-t",
            "-c",
            "SELECT name FROM mz_secrets ORDER BY name",
        ],
        "",
    );
    assert_eq!(text(&out.stdout), "a\n");
}

#[test]
fn startup_parameters_reach_the_session() {
    let server = TestServer::trust(&[]);
    let out = psql(
        server.addr,
        "bob",
        &["-A", "-t"],
        "SHOW application_name;\nSHOW server_version;\nSHOW client_encoding;\nSHOW DateStyle;\nSHOW TimeZone;\nSHOW session_authorization;\nSET application_name = 'other';\nSHOW application_name;\n",
        &[("PGAPPNAME", "nightly-etl")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "nightly-etl\n15.0\nUTF8\nISO, MDY\nUTC\nbob\nSET\nother\n"
    );
    let log = server.log_with("application_name=\"nightly-etl\"");
    assert!(
        log.contains("user=\"bob\" application_name=\"nightly-etl\""),
        "{log}"
    );
}

#[test]
fn the_transaction_block_is_tracked_and_failed_blocks_refuse_statements() {
    let server = TestServer::trust(&[]);
    let out = server.psql(
        "alice",
        &["-A", "-t"],
        "BEGIN;\nCREATE SECRET a AS 'x';\nSELEC;\nCREATE SECRET b AS 'y';\nROLLBACK;\nCOMMIT;\n",
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("ERROR:  current transaction is aborted, commands ignored until end of transaction block"),
        "{stderr}"
    );
    assert!(
        stderr.contains("WARNING:  there is no transaction in progress"),
        "{stderr}"
    );
    // Airlock's statements commit one by one: the block's ROLLBACK undoes nothing.
    let out = server.psql(
        "alice",
        &["-A", "-t", "-c", "SELECT name FROM mz_secrets"],
        "",
    );
    assert_eq!(text(&out.stdout), "a\n");
}
