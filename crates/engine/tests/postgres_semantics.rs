//! Catalog queries beside PostgreSQL: every query of `testdata/postgres/semantics.txt`
//! runs on Airlock's standalone engine and on a throwaway PostgreSQL 15 server, and both
//! answers are compared with the file. `AIRLOCK_REWRITE=1` rewrites the answers; the
//! `query:` lines are the cases.

use std::fmt::Write as _;

use airlock_engine::{Engine, EngineConfig};
use airlock_testkit::postgres::Server;

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/postgres/semantics.txt"
);

fn airlock(engine: &Engine, sql: &str) -> String {
    let mut session = engine.session();
    match session.execute(sql).pop() {
        Some(Ok(result)) => {
            let rows = result.rows().expect("a query returns rows");
            assert_eq!(rows.rows.len(), 1, "{sql}: one row");
            rows.columns
                .iter()
                .zip(&rows.rows[0])
                .map(|(c, v)| format!("{} {}", c.ty.name(), v.as_deref().unwrap_or("NULL")))
                .collect::<Vec<_>>()
                .join(", ")
        }
        Some(Err(d)) => format!("ERROR {} {}", d.code.code(), d.message),
        None => "nothing".to_owned(),
    }
}

fn postgres(server: &Server, sql: &str) -> String {
    // One column: its type and its value in output form, NULL spelled out.
    let wrapped = format!("SELECT pg_typeof(c)::text, c FROM ({sql}) AS q(c)");
    let out = server.psql(
        &[
            "-A",
            "-t",
            "-F",
            " ",
            "-P",
            "null=NULL",
            "-v",
            "VERBOSITY=verbose",
        ],
        &wrapped,
    );
    if out.status.success() {
        return String::from_utf8_lossy(&out.stdout).trim_end().to_owned();
    }
    // `ERROR:  22012: division by zero` (and a LOCATION line).
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find_map(|l| l.split_once("ERROR:  "))
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_else(|| panic!("{sql}: psql failed without an error: {err}"));
    let (code, message) = line.split_once(": ").unwrap_or(("?????", &line));
    format!("ERROR {code} {message}")
}

#[test]
fn catalog_queries_answer_as_postgres_or_as_documented() {
    let text = std::fs::read_to_string(GOLDEN).unwrap();
    let engine = Engine::open(":memory:", EngineConfig::default()).unwrap();
    let server = Server::start();
    let mut out = String::new();
    let mut same = 0;
    let mut cases = 0;
    for line in text.lines() {
        if line.starts_with("airlock: ") || line.starts_with("postgres: ") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        let Some(sql) = line.strip_prefix("query: ") else {
            continue;
        };
        cases += 1;
        let ours = airlock(&engine, sql);
        let theirs = postgres(&server, sql);
        writeln!(out, "airlock: {ours}").unwrap();
        if ours == theirs {
            same += 1;
            writeln!(out, "postgres: same").unwrap();
        } else {
            writeln!(out, "postgres: {theirs}").unwrap();
        }
    }
    eprintln!("{cases} queries, {same} answered as PostgreSQL answers them");
    if std::env::var_os("AIRLOCK_REWRITE").is_some() {
        std::fs::write(GOLDEN, &out).unwrap();
        return;
    }
    assert!(
        text == out,
        "testdata/postgres/semantics.txt differs from what Airlock and PostgreSQL answer now \
         (AIRLOCK_REWRITE=1 rewrites it):\n{}",
        diff(&text, &out)
    );
}

fn diff(want: &str, got: &str) -> String {
    want.lines()
        .zip(got.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("- {a}\n+ {b}\n"))
        .collect()
}
