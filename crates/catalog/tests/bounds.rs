//! One catalog query is bounded in time and memory: the hostile queries of issue 10
//! (items 5 and 6) end with an error or an answer, never by running for minutes. The
//! assertions are on the outcome (the error's SQLSTATE, the answer), which only bounded
//! work can produce; the elapsed times are printed for the record.

mod common;

use std::time::Instant;

use airlock_catalog::{Catalog, CatalogError};
use airlock_core::{SqlError, SqlState};
use common::*;

fn catalog() -> Catalog {
    Catalog::open_in_memory(config()).unwrap()
}

fn timed(catalog: &Catalog, sql: &str) -> Result<Vec<Vec<Option<String>>>, CatalogError> {
    let start = Instant::now();
    let result = catalog.query(sql).map(|r| r.rows);
    let shown: String = sql.chars().take(90).collect();
    eprintln!("{:>8.3} s  {shown}", start.elapsed().as_secs_f64());
    result
}

fn limit_error(catalog: &Catalog, sql: &str) -> String {
    let err = timed(catalog, sql).unwrap_err();
    assert_eq!(err.code(), SqlState::ProgramLimitExceeded, "{sql}: {err:?}");
    err.to_string()
}

#[test]
fn the_reported_slow_calls_end_with_54000() {
    let c = catalog();
    // Ran past 20 minutes holding the catalog lock.
    let msg = limit_error(
        &c,
        "SELECT instr(printf('%.*c',16000000,'a'), printf('%.*c',1000000,'a')||'b')",
    );
    assert_eq!(msg, "a catalog query value exceeds 1 MiB");
    // A LIKE with a 20,000-character pattern ran past 5 minutes; GLOB is the same code.
    let msg = limit_error(
        &c,
        "SELECT printf('%.*c',1000000,'a') LIKE '%'||printf('%.*c',20000,'a')||'b'",
    );
    assert_eq!(
        msg,
        "a LIKE or GLOB pattern in a catalog query exceeds 256 bytes"
    );
    limit_error(
        &c,
        "SELECT printf('%.*c',1000000,'a') GLOB '*'||printf('%.*c',20000,'a')||'b'",
    );
}

#[test]
fn the_product_of_sizes_is_bounded_at_the_largest_sizes_allowed() {
    let c = catalog();
    let big = "printf('%.*c', 1048000, 'a')";
    let needle = "(printf('%.*c', 524000, 'a')||'b')";
    // SQLite's own instr and replace would compare 2.7·10^11 bytes here, its trim
    // some 10^11 pairs; these answer in one pass.
    assert_eq!(
        timed(&c, &format!("SELECT instr({big}, {needle})")).unwrap(),
        vec![vec![Some("0".into())]]
    );
    assert_eq!(
        timed(&c, &format!("SELECT length(replace({big}, {needle}, 'x'))")).unwrap(),
        vec![vec![Some("1048000".into())]]
    );
    assert_eq!(
        timed(
            &c,
            &format!("SELECT length(trim({big}, printf('%.*c', 524000, 'b')||'a'))")
        )
        .unwrap(),
        vec![vec![Some("0".into())]]
    );
    assert_eq!(
        timed(
            &c,
            &format!("SELECT length(rtrim({big}, printf('%.*c', 524000, 'é')||'a'))")
        )
        .unwrap(),
        vec![vec![Some("0".into())]]
    );
    // A set that is not UTF-8 runs SQLite's loop, on its distinct members, under a
    // budget: 100,000 distinct characters tried at each of a million positions is not
    // finished, it is refused.
    let distinct = "(WITH RECURSIVE r(i) AS (SELECT 19968 UNION ALL SELECT i + 1 FROM r WHERE i < 119968) SELECT group_concat(char(i), '') FROM r)";
    let msg = limit_error(
        &c,
        &format!("SELECT ltrim({big}, CAST(x'ff' AS TEXT) || {distinct} || 'a')"),
    );
    assert_eq!(msg, "trim character set too complex");
    assert_eq!(
        timed(
            &c,
            &format!("SELECT length(ltrim({big}, CAST(x'ff' AS TEXT) || printf('%.*c', 524000, 'b') || 'a'))")
        )
        .unwrap(),
        vec![vec![Some("0".into())]],
        "repeated members count once"
    );
    // LIKE at both bounds at once: a pattern of 256 bytes over a 1 MiB text.
    let pattern = format!("'%{}b'", "a".repeat(254));
    assert_eq!(
        timed(
            &c,
            &format!("SELECT printf('%.*c', 1048000, 'a') LIKE {pattern}")
        )
        .unwrap(),
        vec![vec![Some("0".into())]]
    );
    // replace cannot build past the value limit either.
    limit_error(
        &c,
        "SELECT replace(printf('%.*c', 1000, 'a'), 'a', printf('%.*c', 2000, 'b'))",
    );
}

#[test]
fn one_row_has_a_memory_bound() {
    let c = catalog();
    // 400 columns of 16 MB reached 15.6 GB and aborted.
    let wide: Vec<String> = (0..400)
        .map(|i| format!("printf('%.*c', 16000000, 'a') AS c{i}"))
        .collect();
    let err = timed(&c, &format!("SELECT {}", wide.join(", "))).unwrap_err();
    assert!(err.to_string().contains("too many columns"), "{err:?}");
    // 60 columns of zeroblob(16000000) took 312 s.
    let blobs: Vec<String> = (0..60)
        .map(|i| format!("zeroblob(16000000) AS b{i}"))
        .collect();
    limit_error(&c, &format!("SELECT {}", blobs.join(", ")));
    // Within the value limit: 100 blobs of 1 MB are 200 MB of hex; the result cap stops
    // the row at the 33rd value, before converting the rest.
    let blobs: Vec<String> = (0..100)
        .map(|i| format!("zeroblob(1000000) AS b{i}"))
        .collect();
    let msg = limit_error(&c, &format!("SELECT {}", blobs.join(", ")));
    assert_eq!(msg, "catalog query result exceeds 64 MiB");
    // Blobs still print as bytea hex.
    assert_eq!(
        timed(&c, "SELECT x'00ff10ab'").unwrap(),
        vec![vec![Some("\\x00ff10ab".into())]]
    );
    let hex = timed(&c, "SELECT zeroblob(500000)").unwrap();
    assert_eq!(hex[0][0].as_ref().unwrap().len(), 1_000_002);
}

#[test]
fn sorts_and_temporary_structures_stay_under_the_heap_limit() {
    let c = catalog();
    // 1,500 rows of 1 MB sorted in memory: 1.5 GB, past the 1 GiB heap limit.
    let msg = limit_error(
        &c,
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 1500)
         SELECT length(b) FROM (SELECT i, printf('%.*c', 1000000, 'a') AS b FROM r ORDER BY i DESC)",
    );
    assert_eq!(msg, "catalog query exceeds the memory limit of 1024 MiB");
    // The connection, and the process, go on.
    assert_eq!(
        timed(&c, "SELECT count(*) FROM mz_connections").unwrap(),
        vec![vec![Some("0".into())]]
    );
}

#[test]
fn function_calls_have_postgres_argument_limit() {
    let c = catalog();
    let args = vec!["1"; 101].join(", ");
    let err = timed(&c, &format!("SELECT max({args})")).unwrap_err();
    assert!(err.to_string().contains("too many arguments"), "{err:?}");
    let args = vec!["1"; 100].join(", ");
    assert!(timed(&c, &format!("SELECT max({args})")).is_ok());
}

/// The replacements answer exactly as SQLite's built-ins do.
#[test]
fn replaced_functions_answer_like_sqlite() {
    let c = catalog();
    let plain = rusqlite::Connection::open_in_memory().unwrap();
    let exprs = [
        "instr('abc', 'b')",
        "instr('abc', 'd')",
        "instr('abc', '')",
        "instr('', '')",
        "instr('', 'a')",
        "instr('héllo wörld', 'l')",
        "instr('héllo wörld', 'wö')",
        "instr('ééé', 'é')",
        "instr(x'00ff01ff01', x'ff01')",
        "instr(x'c3a9c3a9', 'é')",
        "instr('aé', CAST(x'a9' AS TEXT))",
        "instr(x'616263', 'c')",
        "instr(NULL, 'a')",
        "instr('a', NULL)",
        "instr(12345, 34)",
        "instr(1.5, '.')",
        "instr('aaaaab', 'aab')",
        "instr('abababac', 'ababac')",
        "replace('abcabc', 'b', 'XY')",
        "replace('aaaa', 'aa', 'b')",
        "replace('abc', '', 'x')",
        "replace('abc', 'b', '')",
        "replace('abc', 'b', NULL)",
        "replace('abc', '', NULL)",
        "replace(NULL, 'b', 'x')",
        "replace('abc', NULL, 'x')",
        "replace(x'00610062', x'61', 'z')",
        "replace('abc', x'0062', 'z')",
        "replace(12345, 3, 9)",
        "replace(0.1, '1', '2')",
        "replace(1e20, 'e', 'E')",
        "replace(1.0, '.', ',')",
        "replace(-0.0, 'x', 'y')",
        "replace(1.5e-7, 'x', 'y')",
        "replace(123456789.125, 'x', 'y')",
        "replace(1.0 / 3, 'x', 'y')",
        "replace(2e-5, 'x', 'y')",
        "replace(1e16, 'x', 'y')",
        "replace(1e17, 'x', 'y')",
        "replace(12345678901234567.0, 'x', 'y')",
        "replace(1.7976931348623157e308, 'x', 'y')",
        "replace(5e-324, 'x', 'y')",
        "replace(0.0001, 'x', 'y')",
        "replace(100.0, 'x', 'y')",
        "replace(9e15, 'x', 'y')",
        "replace('héllo', 'é', 'e')",
        "trim('  a b  ')",
        "ltrim('  a b  ')",
        "rtrim('  a b  ')",
        "trim('xxaxx', 'x')",
        "trim('xyaxy', 'yx')",
        "ltrim('ééaé', 'é')",
        "rtrim('aéé', 'é')",
        "rtrim('aé', 'e')",
        "trim('abc', '')",
        "trim(NULL, 'a')",
        "trim('abc', NULL)",
        "trim(NULL)",
        "trim(12321, 1)",
        "trim(x'20612020')",
        "trim(CAST(x'c3a9a9' AS TEXT), 'é')",
        "rtrim(CAST(x'61a9' AS TEXT), 'é')",
        "ltrim(CAST(x'ff61' AS TEXT), CAST(x'ff' AS TEXT))",
        "rtrim(CAST(x'61c3a9a9' AS TEXT), CAST(x'a9' AS TEXT))",
        "rtrim(CAST(x'61c3a9' AS TEXT), CAST(x'a9c3' AS TEXT))",
        "trim('abcba', 'ab' || char(0) || 'c')",
        "trim('€€x€', '€')",
        "trim('😀a😀', '😀')",
    ];
    for expr in exprs {
        let sql = format!("SELECT typeof({expr}) || ' ' || hex({expr})");
        let expected: String = plain.query_row(&sql, [], |r| r.get(0)).unwrap();
        let got = c.query(&sql).unwrap().rows[0][0].clone().unwrap();
        assert_eq!(got, expected, "{expr}");
    }
}
