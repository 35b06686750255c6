//! Every row of every table of a catalog file, for tests that check a failing statement
//! changed nothing.

use std::path::Path;

/// Every row of every table in the catalog file, as text, table by table.
pub fn dump(path: &Path) -> Vec<(String, Vec<String>)> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open catalog read-only");
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("list tables");
    tables.retain(|t| !t.starts_with("sqlite_"));
    tables
        .into_iter()
        .map(|table| {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
                .expect("select");
            let n = stmt.column_count();
            let mut rows = stmt.query([]).expect("query");
            let mut lines = Vec::new();
            while let Some(row) = rows.next().expect("row") {
                let values: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", row.get_ref(i).expect("value")))
                    .collect();
                lines.push(values.join(" | "));
            }
            (table, lines)
        })
        .collect()
}

/// Every row of every table of a PostgreSQL catalog's storage schema, as text, table by
/// table (each row in PostgreSQL's text form of a record).
#[allow(dead_code)]
pub fn dump_postgres(url: &str) -> Vec<(String, Vec<String>)> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let tables: Vec<String> = client
        .query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'airlock' ORDER BY tablename",
            &[],
        )
        .expect("list tables")
        .iter()
        .map(|r| r.get(0))
        .collect();
    tables
        .into_iter()
        .map(|table| {
            let rows = client
                .query(
                    &format!("SELECT t::text FROM airlock.\"{table}\" AS t ORDER BY 1"),
                    &[],
                )
                .expect("select");
            (table, rows.iter().map(|r| r.get::<_, String>(0)).collect())
        })
        .collect()
}
