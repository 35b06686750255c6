//! Bad input, at scale: a corpus of well over 200 malformed or hostile scripts —
//! truncated statements, huge names and values, deep nesting, NUL bytes, option
//! injection, runaway queries, 10 MB scripts — each of which must get a clear error with
//! a SQLSTATE, never a panic or a stack overflow, leave every row of the catalog file as
//! it was, and keep the process's memory bounded.

#[path = "common/dump.rs"]
mod dump;

use std::path::PathBuf;
use std::time::Duration;

use airlock_engine::aws::AwsConfig;
use airlock_engine::catalog::CatalogConfig;
use airlock_engine::core::SqlState;
use airlock_engine::{AwsSetup, Engine, EngineConfig, Session};

const ARN: &str = "arn:aws:iam::001234567890:role/Reader";

/// Held by the tests that allocate hundreds of MB, so that the peak one of them measures
/// is its own, not the sum of tests running beside it.
static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Statements that are valid; every prefix of them that does not parse or plan joins
/// the corpus as a truncated statement.
const VALID: &[&str] = &[
    "CREATE SECRET IF NOT EXISTS aws_secret AS 'wJalrXUtnFEMI'",
    "ALTER SECRET IF EXISTS s RENAME TO s2",
    "CREATE CONNECTION conn2 TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET s, SESSION TOKEN = SECRET s, REGION = 'us-east-1', ENDPOINT = 'http://127.0.0.1:4566') WITH (VALIDATE = false)",
    "CREATE CONNECTION conn3 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader', ASSUME ROLE SESSION NAME = 'airlock')",
    "ALTER CONNECTION IF EXISTS c SET (REGION = 'eu-west-1'), RESET (ENDPOINT), DROP (ASSUME ROLE SESSION NAME)",
    "DROP CONNECTION IF EXISTS c, d CASCADE",
    "SHOW REDACTED CREATE CONNECTION c",
    "ALTER SYSTEM SET aws_principal TO 'arn:aws:iam::123456789012:role/AirlockConnection'",
    "SELECT principal, external_id FROM mz_aws_connections aws JOIN mz_connections c ON aws.id = c.id WHERE c.name = 'c'",
    "VALIDATE CONNECTION c",
];

fn malformed() -> Vec<String> {
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut cases = owned(&[
        // Grammar.
        "CREATE",
        "CREATE SECRET",
        "CREATE SECRET s",
        "CREATE SECRET s AS",
        "CREATE SECRET s AS s",
        "CREATE SECRET s AS 1",
        "CREATE SECRET s.t AS 'x'",
        "CREATE SECRET \"\" AS 'x'",
        "CREATE CONNECTION c2 TO S3 (REGION 'x')",
        "CREATE CONNECTION c2 TO AWS",
        "CREATE CONNECTION c2 TO AWS (",
        "CREATE CONNECTION c2 TO AWS ((REGION 'x'))",
        "CREATE CONNECTION c2 TO AWS (REGION 'x',,)",
        "CREATE CONNECTION c2 TO AWS (REGION = = 'x')",
        "CREATE CONNECTION c2 TO AWS (REGION 'x') WITH (VALIDATE = 1)",
        "CREATE CONNECTION c2 TO AWS (REGION 'x') WITH ()",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARM 'x')",
        "CREATE CONNECTION c2 TO AWS (ACCESS KEY 'x')",
        "CREATE CONNECTION c2 TO AWS (SECRET ACCESS KEY SECRET)",
        "ALTER CONNECTION c",
        "ALTER CONNECTION c SET ()",
        "ALTER CONNECTION c RESET (NOPE)",
        "ALTER CONNECTION c RENAME",
        "ALTER SYSTEM",
        "ALTER SYSTEM SET",
        "ALTER SYSTEM SET aws_principal",
        "DROP SECRET",
        "DROP SECRET ,",
        "VALIDATE",
        "SHOW CREATE",
        ";;;;CREATE SECRET;;;;",
        "CREATE SECRET a AS 'x' CREATE SECRET b AS 'y'",
        "SELECT FROM",
        "SELECT * FROM (",
        "SELECT 'unterminated",
        "SELECT \"unterminated",
        "SELECT $$unterminated",
        "SELECT /* unterminated",
        "SELECT E'\\",
        // Planning.
        "CREATE SECRET s AS 'again'",
        "CREATE CONNECTION c TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader')",
        "CREATE CONNECTION s TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader')",
        "CREATE CONNECTION c2 TO AWS ()",
        "CREATE CONNECTION c2 TO AWS (REGION 'us-east-1')",
        "CREATE CONNECTION c2 TO AWS (SECRET ACCESS KEY = 'literal')",
        "CREATE CONNECTION c2 TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET c)",
        "CREATE CONNECTION c2 TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET nope)",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R', ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R')",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:user/R')",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::0012345678901:role/R')",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/')",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/a//b')",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R', ENDPOINT = 'javascript:alert(1)')",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R', ENDPOINT = 'http://')",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R', ENDPOINT = 'http://a@b')",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R', REGION = '')",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R', REGION = 'us-east-1; DROP')",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R', ASSUME ROLE SESSION NAME = 'x')",
        "ALTER CONNECTION c SET (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE')",
        "ALTER CONNECTION c SET (REGION = 'us-east-1'), RESET (REGION)",
        "ALTER CONNECTION c RENAME TO s",
        "ALTER CONNECTION nope SET (REGION = 'us-east-1')",
        "ALTER SECRET nope AS 'x'",
        "ALTER SECRET c AS 'x'",
        "DROP SECRET s",
        "DROP SECRET c",
        "DROP CONNECTION s",
        "DROP CONNECTION nope",
        "VALIDATE CONNECTION nope",
        "VALIDATE CONNECTION s",
        "SHOW CREATE CONNECTION s",
        "ALTER SYSTEM SET aws_principal = 'arn:aws:iam::123456789012:root'",
        "ALTER SYSTEM SET aws_principal = ''",
        "ALTER SYSTEM SET aws_external_id_prefix = 'x'",
        "ALTER SYSTEM SET search_path = 'x'",
        "SHOW search_path",
        // Option injection: quotes inside values stay values, and are then refused.
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R'', REGION = ''us-east-1')",
        "CREATE CONNECTION c2 TO AWS (REGION = 'us-east-1'', ASSUME ROLE ARN = ''arn:aws:iam::001234567890:role/R')",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = E'arn:aws:iam::001234567890:role/R\\', REGION = \\'us-east-1')",
        // ACCESS KEY ID takes any printable value, so this one carries a line break too.
        "CREATE CONNECTION c2 TO AWS (ACCESS KEY ID = 'AKIA''),\n SECRET ACCESS KEY = SECRET s, (''', SECRET ACCESS KEY = SECRET s)",
        "CREATE CONNECTION \"c2\"\"; DROP SECRET s; --\" TO AWS (REGION 'x')",
        // Queries.
        "SELECT * FROM secret_ciphertexts",
        "SELECT * FROM settings",
        "SELECT * FROM id_sequence",
        "SELECT * FROM sqlite_schema",
        "SELECT * FROM pragma_table_info('objects')",
        "SELECT * FROM mz_connections, dbstat",
        "SELECT load_extension('/tmp/x.so')",
        "SELECT * FROM mz_connections; DELETE FROM objects",
        "WITH x AS (DELETE FROM objects RETURNING *) SELECT * FROM x",
        "INSERT INTO mz_secrets VALUES ('u9', 1, 'x', '', '')",
        "UPDATE objects SET name = 'x'",
        "DELETE FROM mz_connections",
        "CREATE TABLE t (a int)",
        "CREATE TEMP TABLE t AS SELECT * FROM mz_connections",
        "DROP TABLE objects",
        "ATTACH DATABASE ':memory:' AS m",
        "PRAGMA key = 'x'",
        "VACUUM",
        "BEGIN",
        "COMMIT",
        "SELECT randomblob(1000000000)",
        "SELECT zeroblob(1000000000)",
        "SELECT printf('%.*c', 1000000000, 'x')",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
        "SELECT * FROM mz_connections FOR UPDATE",
        "SELECT * INTO t FROM mz_connections",
    ]);

    // Huge names and values.
    let huge_name = "n".repeat(1 << 20);
    let huge_value = "v".repeat(10 << 20);
    cases.push(format!("CREATE SECRET {huge_name} AS 'x'"));
    cases.push(format!("CREATE SECRET \"{huge_name}\" AS 'x'"));
    cases.push(format!("CREATE SECRET big AS '{huge_value}'"));
    cases.push(format!("ALTER SECRET s AS '{huge_value}'"));
    cases.push(format!(
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = '{ARN}{huge_value}')"
    ));
    cases.push(format!(
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = '{ARN}', REGION = '{huge_value}')"
    ));
    cases.push(format!(
        "CREATE CONNECTION c2 TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET s, SESSION TOKEN = '{huge_value}')"
    ));
    cases.push(format!(
        "CREATE CONNECTION c2 TO AWS ({})",
        vec!["REGION = 'us-east-1'"; 10_000].join(", ")
    ));
    cases.push(format!("DROP SECRET {}", vec!["nope"; 10_000].join(", ")));

    // Secret value expressions that would allocate without bound: each is refused
    // (54000) before the big value exists; the largest literal the 4 MiB input allows
    // is refused too.
    cases.push("CREATE SECRET big AS repeat('x', 2147483647)::bytea".to_owned());
    cases.push("CREATE SECRET big AS repeat(repeat('x', 1000000), 1000000)::bytea".to_owned());
    cases.push(format!(
        "CREATE SECRET big AS ({})::bytea",
        ["repeat('x', 1048576)"; 8].join(" || ")
    ));
    cases.push(
        "CREATE SECRET big AS decode(encode(decode(encode(repeat('x', 1048576)::bytea, 'escape'), 'escape'), 'hex'), 'hex')"
            .to_owned(),
    );
    cases.push(format!("CREATE SECRET big AS '{}'", "v".repeat(3 << 20)));
    cases.push(format!(
        "CREATE SECRET big AS decode('{}', 'base64')",
        "QUFB".repeat(700_000)
    ));
    cases.push(format!(
        "CREATE SECRET big AS repeat('x', {})::bytea",
        (512 << 10) + 1
    ));
    cases.push("CREATE SECRET big AS (SELECT 'x')".to_owned());
    cases.push("CREATE SECRET big AS decode(hunter2, 'base64')".to_owned());
    cases.push("CREATE SECRET big AS NULL::bytea".to_owned());
    cases.push("CREATE SECRET big AS convert_from('\\xff', 'utf8')::bytea".to_owned());

    // Deep nesting, in every shape the expression parser recurses on.
    for depth in [100, 10_000, 100_000] {
        cases.push(format!(
            "SELECT {}1{}",
            "(".repeat(depth),
            ")".repeat(depth)
        ));
        cases.push(format!("SELECT {}1", "NOT ".repeat(depth)));
        cases.push(format!("SELECT {}1", "- ".repeat(depth)));
        cases.push(format!(
            "SELECT {} 1 {}",
            "CASE WHEN true THEN".repeat(depth / 10),
            "END ".repeat(depth / 10)
        ));
        if depth >= 10_000 {
            cases.push(format!(
                "SELECT * FROM {}mz_connections{}",
                "(SELECT * FROM ".repeat(depth / 10),
                ")".repeat(depth / 10)
            ));
        }
        cases.push(format!(
            "SELECT {}",
            "ARRAY[".repeat(depth) + &"]".repeat(depth)
        ));
    }

    // Long flat chains, refused before any syntax tree exists.
    for links in [1_000, 8_000] {
        cases.extend(chains(links));
    }
    // Names that display as something else.
    cases.push("CREATE SECRET \"evil\u{202e}lmth.exe\" AS 'x'".to_owned());
    cases.push("DROP SECRET s\u{200e}".to_owned());

    // NUL bytes, anywhere.
    for sql in [
        "\0",
        "CREATE SECRET s\0 AS 'x'",
        "CREATE SECRET s2 AS 'x\0y'",
        "CREATE SECRET \"s\0\" AS 'x'",
        "CREATE CONNECTION c2 TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R\0')",
        "SELECT 1 -- \0",
        "SELECT '\0'",
        "/* \0 */ SELECT 1",
        "CREATE SECRET s3 AS 'ok'; CREATE SECRET s4 AS '\0'",
        "DROP SECRET s\0",
    ] {
        cases.push(sql.to_owned());
    }

    // 10 MB scripts: valid statements, then one bad one — parsed first, so nothing runs.
    let mut script = String::with_capacity(11 << 20);
    let mut i = 0;
    while script.len() < 10 << 20 {
        script.push_str(&format!("CREATE SECRET bulk_{i} AS 'value';\n"));
        i += 1;
    }
    script.push_str("CREATE SECRET;");
    cases.push(script);
    cases.push("(".repeat(10 << 20));
    cases.push("(".repeat(airlock_engine::MAX_SCRIPT_BYTES));
    cases.push("'".to_owned() + &"x".repeat(10 << 20));
    cases.push(";".repeat(10 << 20) + "SELECT");
    cases
}

/// Every prefix (at a space) of the valid statements that fails.
fn truncations() -> Vec<String> {
    let mut out = Vec::new();
    for sql in VALID {
        for (i, _) in sql.match_indices(' ') {
            out.push(sql[..i].to_owned());
        }
    }
    out
}

fn engine() -> (tempfile::TempDir, PathBuf, Session) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.db");
    let aws = AwsConfig::new(airlock_testkit::offline_sdk_config())
        .with_timeout(Duration::from_millis(300))
        .with_max_attempts(1);
    let config = EngineConfig {
        catalog: CatalogConfig {
            query_timeout: Duration::from_millis(500),
            ..CatalogConfig::default()
        },
        aws: AwsSetup::Config(Box::new(aws)),
        ..EngineConfig::default()
    };
    let mut session = Engine::open(&path, config).expect("engine").session();
    for result in session.execute(&format!(
        "CREATE SECRET s AS 'secret';
         CREATE CONNECTION c TO AWS (ASSUME ROLE ARN = '{ARN}');
         CREATE CONNECTION k TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET s)"
    )) {
        result.expect("baseline");
    }
    (dir, path, session)
}

/// Peak resident memory of this process, from Linux's /proc.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}

#[test]
fn hostile_input_gets_clear_errors_and_changes_nothing() {
    let _heavy = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let (_dir, path, mut session) = engine();
    let mut cases = malformed();
    let truncated = truncations();
    let mut failures = Vec::new();
    let mut errors = 0;
    let mut codes = std::collections::BTreeMap::new();

    // Truncated statements may happen to be valid (`DROP CONNECTION IF EXISTS c`): those
    // are not part of the corpus, and run on a throwaway engine so the catalog under
    // test keeps its objects.
    let (_scratch_dir, _, mut scratch) = engine();
    for sql in truncated {
        let fails = scratch.execute(&sql).last().is_some_and(Result::is_err);
        if fails {
            cases.push(sql);
        }
    }

    for sql in &cases {
        let label: String = sql.chars().take(80).collect();
        let before = dump::dump(&path);
        let results = session.execute(sql);
        match results.last() {
            Some(Err(e)) => {
                errors += 1;
                *codes.entry(e.code.code()).or_insert(0) += 1;
                if e.message.is_empty() || e.code == SqlState::InternalError {
                    failures.push(format!("{label:?}: unclear error {e:?}"));
                }
                if e.message.len() > 4096 {
                    failures.push(format!("{label:?}: a {} byte message", e.message.len()));
                }
            }
            other => failures.push(format!("{label:?}: expected an error, got {other:?}")),
        }
        if dump::dump(&path) != before {
            failures.push(format!("{label:?}: changed the catalog"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(errors >= 200, "only {errors} hostile cases");

    // Still working, with the baseline intact.
    let shown = session.execute("SHOW CONNECTIONS");
    let rows = shown[0].as_ref().expect("show").rows().expect("rows");
    assert_eq!(rows.rows.len(), 2, "{codes:?}");

    // A pathological LIKE pattern is refused at once (54000), not matched against
    // every object; the longest one allowed is answered, not stuck: the matcher never
    // backtracks more than once per position.
    let pattern = format!("x{}", "%a".repeat(1 << 16));
    let results = session.execute(&format!("SHOW CONNECTIONS LIKE '{pattern}'"));
    assert_eq!(
        results[0].as_ref().unwrap_err().code,
        SqlState::ProgramLimitExceeded
    );
    let pattern = format!("x{}", "%a".repeat(511));
    let start = std::time::Instant::now();
    let results = session.execute(&format!("SHOW CONNECTIONS LIKE '{pattern}'"));
    assert!(results[0].is_ok());
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "LIKE took {:?}",
        start.elapsed()
    );

    // Bounded memory: inputs over MAX_SCRIPT_BYTES are refused before tokenizing, and
    // the worst input under it (4 MiB of parentheses) costs a few hundred MB of tokens.
    let peak = peak_rss_mib();
    println!("{errors} hostile scripts, errors by SQLSTATE {codes:?}, peak RSS {peak} MiB");
    assert!(peak < 768, "peak resident memory {peak} MiB");
}

#[test]
fn injection_stays_inside_values() {
    let (_dir, _path, mut session) = engine();
    // A value that looks like SQL is a value: the secret is created, nothing is dropped.
    for result in session.execute("CREATE SECRET inj AS 'x''; DROP SECRET s; --'") {
        result.expect("a value with quotes is fine");
    }
    let shown = session.execute("SHOW SECRETS");
    let names: Vec<_> = shown[0]
        .as_ref()
        .expect("show")
        .rows()
        .expect("rows")
        .rows
        .clone();
    // Names, and their (empty) comments.
    assert_eq!(
        names,
        vec![
            vec![Some("inj".to_owned()), Some(String::new())],
            vec![Some("s".to_owned()), Some(String::new())]
        ]
    );
    // A name with quotes is a name; printing it back quotes it.
    for result in session.execute("CREATE CONNECTION \"c\"\"; DROP SECRET s; --\" TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R')") {
        result.expect("a quoted name is fine");
    }
    let sql = session.execute("SELECT create_sql FROM mz_connections WHERE name LIKE 'c\"%'");
    let text = sql[0].as_ref().expect("query").rows().expect("rows").rows[0][0]
        .clone()
        .expect("sql");
    assert_eq!(
        text,
        "CREATE CONNECTION materialize.public.\"c\"\"; DROP SECRET s; --\" TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R')"
    );
    assert!(airlock_engine::parser::parse_statement(&text).is_ok());
}

/// Long flat chains, in every shape that builds a tree as deep as the chain is long.
fn chains(links: usize) -> Vec<String> {
    vec![
        format!("SELECT 1{}", "+1".repeat(links)),
        format!(
            "SELECT * FROM mz_connections WHERE true{}",
            " AND true".repeat(links)
        ),
        format!("SELECT 'a'{}", " || 'a'".repeat(links)),
        format!("SELECT 1{}", "::text".repeat(links)),
        format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(links)),
        format!("SELECT false{}", " OR false".repeat(links)),
        format!("SELECT 1 AS x{}", " IS NULL".repeat(links)),
        format!("SELECT 'a'{}", " COLLATE \"C\"".repeat(links)),
        format!("CREATE SECRET s AS 'x'{}", "||'x'".repeat(links)),
        format!("SELECT ({})", vec!["1+1"; links].join(")+(")),
    ]
}

/// The worst inputs — flat chains of 8,000 links, nesting 100,000 deep — on a thread with
/// a 2 MiB stack, the size of a test thread or a typical server worker: each is refused
/// with 54001 before any syntax tree exists. Statements just under the bound run there
/// too, in this unoptimized build, where every frame is several times larger than in a
/// release build.
#[test]
fn the_engine_runs_on_a_2_mib_thread() {
    let _heavy = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let worker = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let (_dir, path, mut session) = engine();
            let before = dump::dump(&path);
            let mut refused = 0;
            for links in [3_000, 8_000, 100_000] {
                for sql in chains(links) {
                    let label: String = sql.chars().take(60).collect();
                    let results = session.execute(&sql);
                    let last = results.last().expect("a result");
                    let e = last.as_ref().expect_err(&label);
                    assert_eq!(e.code, SqlState::StatementTooComplex, "{label}: {e:?}");
                    refused += 1;
                }
            }
            for sql in [
                format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
                format!("SELECT {}1", "NOT ".repeat(100_000)),
            ] {
                let results = session.execute(&sql);
                let e = results
                    .last()
                    .expect("a result")
                    .as_ref()
                    .expect_err("deep");
                assert_eq!(e.code, SqlState::StatementTooComplex);
            }
            assert_eq!(dump::dump(&path), before);
            // Just under the bound: these parse, plan, run (or are refused for what they
            // are, not for their depth) without overflowing the stack.
            let max = airlock_engine::parser::MAX_EXPRESSION_DEPTH;
            let accepted = [
                format!("SELECT 1{}", "+1".repeat(max - 1)),
                format!(
                    "SELECT 1 AS x FROM mz_connections WHERE true{}",
                    " AND true".repeat(max - 1)
                ),
                format!("SELECT 'a'{}", " || 'a'".repeat(max - 1)),
                format!("SELECT 1{}", "::text".repeat(max - 1)),
                format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(max / 4 - 1)),
                // Nesting has sqlparser's own bound (50 recursions); chains inside it add up.
                format!(
                    "SELECT {}1{}{}",
                    "(SELECT ".repeat(10),
                    "+1".repeat(max - 2 * 10 - 1),
                    ")".repeat(10)
                ),
            ];
            for sql in accepted {
                let label: String = sql.chars().take(60).collect();
                if let Some(Err(e)) = session.execute(&sql).last() {
                    assert_ne!(e.code, SqlState::StatementTooComplex, "{label}: {e:?}");
                }
            }
            refused
        })
        .expect("spawn");
    let refused = worker.join().expect("no stack overflow on a 2 MiB thread");
    assert_eq!(refused, 30);
}

/// A statement a host builds itself goes through `execute_statement`, which applies the
/// same checks as `execute`: no NUL in names and values, no bidirectional controls in
/// names.
#[test]
fn execute_statement_checks_what_execute_checks() {
    use airlock_engine::parser::Statement;
    use airlock_engine::parser::ast::{CreateSecret, Ident, SecretValue};
    let (_dir, path, mut session) = engine();
    let before = dump::dump(&path);
    let create = |name: &str, value: &str| {
        Statement::CreateSecret(CreateSecret {
            if_not_exists: false,
            name: Ident::new(name).into(),
            value: SecretValue::literal(value),
        })
    };
    for (statement, code) in [
        (create("nul\0name", "v"), SqlState::CharacterNotInRepertoire),
        (
            create("n", "nul\0value"),
            SqlState::CharacterNotInRepertoire,
        ),
        (create("admin\u{202e}txt", "v"), SqlState::InvalidName),
        (create("a\u{2066}b", "v"), SqlState::InvalidName),
    ] {
        let e = session.execute_statement(statement).expect_err("refused");
        assert_eq!(e.code, code, "{e:?}");
    }
    // And through text, every name position.
    for sql in [
        "CREATE SECRET \"admin\u{202e}txt\" AS 'v'",
        "CREATE SECRET a\u{200f}b AS 'v'",
        "CREATE CONNECTION \"c\u{061c}\" TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R')",
        "ALTER SECRET s RENAME TO \"s\u{2069}\"",
        "CREATE CONNECTION k2 TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET \"s\u{202a}\")",
    ] {
        let results = session.execute(sql);
        let e = results.last().expect("result").as_ref().expect_err(sql);
        assert_eq!(e.code, SqlState::InvalidName, "{sql}: {e:?}");
        assert!(e.message.contains("bidirectional"), "{e:?}");
    }
    assert_eq!(dump::dump(&path), before);
}
