//! User queries over the system-catalog views: the right columns, and nothing else.

mod common;

use airlock_catalog::{Catalog, CatalogConfig, CatalogError, SYSTEM_VIEWS};
use airlock_core::aws::StringOrSecret;
use airlock_core::{ColumnType, SecretString, SqlError, SqlState};
use common::*;

fn populated() -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    let mut catalog = Catalog::open(
        db_path(&dir),
        CatalogConfig {
            aws_principal: Some(PRINCIPAL.to_owned()),
            ..config()
        },
    )
    .unwrap();
    let mut txn = catalog.begin().unwrap();
    let secret = txn
        .create_secret("aws_secret", &SecretString::new("CANARY-query-secret"))
        .unwrap();
    create(&mut txn, "role_conn", &assume_role()).unwrap();
    create(
        &mut txn,
        "key_conn",
        &credentials(
            StringOrSecret::Inline("AKIAEXAMPLE".into()),
            secret.id,
            Some(StringOrSecret::Inline("token".into())),
        ),
    )
    .unwrap();
    txn.commit().unwrap();
    (dir, catalog)
}

fn column_names(catalog: &Catalog, view: &str) -> Vec<String> {
    catalog
        .query(&format!("SELECT * FROM {view}"))
        .unwrap()
        .columns
        .into_iter()
        .map(|c| c.name)
        .collect()
}

#[test]
fn views_have_exactly_the_spec_columns_in_order() {
    let (_dir, catalog) = populated();
    assert_eq!(
        column_names(&catalog, "mz_connections"),
        [
            "id",
            "oid",
            "name",
            "type",
            "create_sql",
            "redacted_create_sql",
            "created_at",
            "owner_id",
            "privileges"
        ]
    );
    assert_eq!(
        column_names(&catalog, "mz_secrets"),
        [
            "id",
            "oid",
            "name",
            "created_at",
            "updated_at",
            "owner_id",
            "privileges"
        ]
    );
    assert_eq!(
        column_names(&catalog, "mz_roles"),
        ["id", "oid", "name", "inherit", "rolcanlogin", "rolsuper"]
    );
    assert_eq!(
        column_names(&catalog, "mz_role_members"),
        ["role_id", "member", "grantor"]
    );
    assert_eq!(
        column_names(&catalog, "mz_aws_connections"),
        [
            "id",
            "endpoint",
            "region",
            "access_key_id",
            "access_key_id_secret_id",
            "secret_access_key_secret_id",
            "session_token",
            "session_token_secret_id",
            "assume_role_arn",
            "assume_role_session_name",
            "principal",
            "external_id",
            "example_trust_policy",
        ]
    );
    assert_eq!(
        column_names(&catalog, "mz_object_dependencies"),
        ["object_id", "referenced_object_id"]
    );
    assert_eq!(
        column_names(&catalog, "mz_aws_connection_validations"),
        [
            "connection_id",
            "validated_at",
            "status",
            "caller_arn",
            "error_code",
            "message",
            // Airlock's own addition (migration 4): at the end, so the first six keep
            // their positions.
            "non_aws_endpoint"
        ]
    );
}

#[test]
fn values_and_types_read_like_postgres() {
    let (_dir, catalog) = populated();
    let result = catalog
        .query("SELECT id, oid, name, type, created_at FROM mz_connections ORDER BY oid")
        .unwrap();
    let types: Vec<ColumnType> = result.columns.iter().map(|c| c.ty).collect();
    assert_eq!(
        types,
        [
            ColumnType::Text,
            ColumnType::Oid,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::TimestampTz
        ]
    );
    assert_eq!(result.columns[1].decl_type.as_deref(), Some("OID"));
    let first = &result.rows[0];
    assert_eq!(
        first[..4],
        [
            Some("u2".into()),
            Some("20002".into()),
            Some("role_conn".into()),
            Some("aws".into())
        ]
    );

    let aws = catalog
        .query("SELECT * FROM mz_aws_connections WHERE id = 'u3'")
        .unwrap();
    let row = &aws.rows[0];
    // access key inline, secret access key by id, token inline; no assume-role columns.
    assert_eq!(row[3].as_deref(), Some("AKIAEXAMPLE"));
    assert_eq!(row[4], None);
    assert_eq!(row[5].as_deref(), Some("u1"));
    assert_eq!(row[6].as_deref(), Some("token"));
    assert_eq!(row[7], None);
    assert_eq!(row[10..], [None, None, None]);
    assert_eq!(aws.columns[12].ty, ColumnType::Jsonb);

    // Types come from the schema or from the caller (the engine types expressions
    // before they run), never from the values.
    let counted = catalog
        .query_runner()
        .query(
            "SELECT count(*) AS n, max(oid), max(name) FROM mz_connections",
            &[Some(ColumnType::Int8)],
            None,
        )
        .unwrap();
    assert_eq!(counted.columns[0].ty, ColumnType::Int8);
    assert_eq!(counted.columns[1].ty, ColumnType::Text);
    let counted = catalog
        .query("SELECT count(*) AS n, max(oid) FROM mz_connections")
        .unwrap();
    assert_eq!(
        counted.rows,
        vec![vec![Some("2".into()), Some("20003".into())]]
    );
    let rows = counted.into_rows();
    assert_eq!(rows.columns[0].name, "n");

    // Joins, CTEs, subqueries and functions are fine.
    let joined = catalog
        .query(
            "WITH c AS (SELECT * FROM mz_connections)
             SELECT upper(c.name), s.name FROM c
             JOIN mz_object_dependencies d ON d.object_id = c.id
             JOIN (SELECT id, name FROM mz_secrets) s ON s.id = d.referenced_object_id",
        )
        .unwrap();
    assert_eq!(
        joined.rows,
        vec![vec![Some("KEY_CONN".into()), Some("aws_secret".into())]]
    );
    let counted = catalog
        .query("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n, (SELECT count(*) FROM mz_secrets) FROM r")
        .unwrap();
    assert_eq!(counted.rows.len(), 3);
    let policy = catalog
        .query("SELECT json_extract(example_trust_policy, '$.Statement[0].Principal.AWS') FROM mz_aws_connections WHERE id = 'u2'")
        .unwrap();
    assert_eq!(policy.rows, vec![vec![Some(PRINCIPAL.into())]]);
}

#[test]
fn queries_cannot_write_or_leave_the_views() {
    let (dir, catalog) = populated();
    let before = dump_rows(&db_path(&dir));
    let denied = [
        (
            "INSERT INTO objects (id, kind, name, created_at) VALUES (99, 'secret', 'x', 'now')",
            "writing table objects",
        ),
        (
            "UPDATE aws_connections SET principal = 'x'",
            "writing table aws_connections",
        ),
        ("DELETE FROM objects", "writing table objects"),
        ("DELETE FROM mz_connections", "writing table mz_connections"),
        ("PRAGMA writable_schema = ON", "PRAGMA writable_schema"),
        ("PRAGMA query_only = OFF", "PRAGMA query_only"),
        ("PRAGMA table_info(secret_ciphertexts)", "PRAGMA table_info"),
        (
            "SELECT * FROM pragma_table_info('objects')",
            "table pragma_table_info",
        ),
        ("ATTACH DATABASE '/tmp/x.db' AS x", "ATTACH"),
        ("DETACH DATABASE main", "DETACH"),
        ("BEGIN", "transaction control"),
        ("SAVEPOINT a", "transaction control"),
        ("CREATE TABLE t (x)", "changing the schema"),
        ("CREATE TEMP VIEW v AS SELECT 1", "changing the schema"),
        ("DROP VIEW mz_connections", "changing the schema"),
        (
            "CREATE TRIGGER t AFTER INSERT ON objects BEGIN SELECT 1; END",
            "changing the schema",
        ),
        (
            "SELECT * FROM secret_ciphertexts",
            "table secret_ciphertexts",
        ),
        (
            "SELECT count(*) FROM secret_ciphertexts",
            "table secret_ciphertexts",
        ),
        ("SELECT 1 FROM settings", "table settings"),
        (
            "SELECT nonce FROM mz_secrets JOIN secret_ciphertexts ON 1",
            "table secret_ciphertexts",
        ),
        ("SELECT * FROM settings", "table settings"),
        ("SELECT * FROM id_sequence", "table id_sequence"),
        ("SELECT name FROM objects", "table objects"),
        ("SELECT * FROM sqlite_master", "table sqlite_master"),
        ("SELECT * FROM sqlite_schema", "table sqlite_master"),
        ("SELECT * FROM dbstat", "table dbstat"),
        (
            "WITH mz_secrets AS (SELECT * FROM secret_ciphertexts) SELECT * FROM mz_secrets",
            "table secret_ciphertexts",
        ),
        (
            "SELECT * FROM temp.sqlite_master",
            "table sqlite_temp_master",
        ),
        ("SELECT load_extension('x')", "function load_extension"),
        ("VACUUM", "writing the catalog"),
        ("ANALYZE", "changing the schema"),
        ("REINDEX", "statement (Reindex)"),
    ];
    for (sql, what) in denied {
        let err = catalog.query(sql).unwrap_err();
        assert_eq!(
            err.code(),
            SqlState::InsufficientPrivilege,
            "{sql}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("permission denied for {what}"),
            "{sql}"
        );
        assert!(err.hint().unwrap().contains("read-only"));
    }
    // Two statements in one string: the second would escape the check.
    let err = catalog.query("SELECT 1; DELETE FROM objects").unwrap_err();
    assert_eq!(err.code(), SqlState::InsufficientPrivilege, "{err:?}");
    let err = catalog.query("SELECT 1; SELECT 2").unwrap_err();
    assert_eq!(err.code(), SqlState::SyntaxError, "{err:?}");
    assert_eq!(
        err.to_string(),
        "a catalog query must be a single statement"
    );
    assert_eq!(dump_rows(&db_path(&dir)), before, "nothing was written");
    // The same connection still answers afterwards.
    assert_eq!(
        catalog
            .query("SELECT count(*) FROM mz_secrets")
            .unwrap()
            .rows,
        vec![vec![Some("1".into())]]
    );
}

#[test]
fn query_errors_have_sqlstates() {
    let (_dir, catalog) = populated();
    let err = catalog
        .query("SELECT nope FROM mz_connections")
        .unwrap_err();
    assert_eq!(err.code(), SqlState::UndefinedColumn);
    assert_eq!(err.to_string(), "column \"nope\" does not exist");
    let err = catalog.query("SELECT * FROM mz_tables").unwrap_err();
    assert_eq!(err.code(), SqlState::UndefinedTable);
    let err = catalog.query("SELEKT 1").unwrap_err();
    assert_eq!(err.code(), SqlState::SyntaxError);
}

#[test]
fn runaway_queries_are_cancelled() {
    let mut config = config();
    config.query_timeout = std::time::Duration::from_millis(100);
    let catalog = Catalog::open_in_memory(config).unwrap();
    let err = catalog
        .query("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r")
        .unwrap_err();
    assert!(matches!(err, CatalogError::QueryTimeout), "{err:?}");
    assert_eq!(err.code(), SqlState::QueryCanceled);
    assert_eq!(
        catalog.query("SELECT 1").unwrap().rows,
        vec![vec![Some("1".into())]]
    );
}

#[test]
fn every_system_view_is_readable_in_memory_too() {
    let catalog = Catalog::open_in_memory(CatalogConfig::default()).unwrap();
    // A new catalog's only rows: its two roles, mz_system and its first user.
    let roles = catalog
        .query("SELECT id, name FROM mz_roles ORDER BY id")
        .unwrap();
    let role = |id: &str, name: &str| vec![Some(id.to_owned()), Some(name.to_owned())];
    assert_eq!(
        roles.rows,
        [role("s1", "mz_system"), role("u1", "materialize")]
    );
    for view in SYSTEM_VIEWS.into_iter().filter(|v| *v != "mz_roles") {
        assert!(
            catalog
                .query(&format!("SELECT * FROM {view}"))
                .unwrap()
                .rows
                .is_empty(),
            "{view}"
        );
    }
}

/// Issue 10, item 8: SQLite names a CTE as the accessor of the reads inside it, as it
/// names a view, so a CTE called like a system view used to read storage tables
/// "through" it. Only real views count now.
#[test]
fn a_cte_named_like_a_view_is_not_a_view() {
    let (_dir, catalog) = populated();
    let denied = [
        // The reproduction, as the engine would pass it on.
        "SELECT * FROM (WITH objects AS (SELECT 1) SELECT 1) q, (WITH mz_secrets AS (SELECT id, kind, name FROM objects) SELECT * FROM mz_secrets) z",
        "WITH mz_secrets AS (SELECT id, kind, name FROM objects) SELECT * FROM mz_secrets",
        "WITH MZ_SECRETS AS (SELECT name FROM objects) SELECT * FROM MZ_SECRETS",
        "WITH \"mz_secrets\" AS (SELECT name FROM objects) SELECT * FROM mz_secrets",
        "WITH [mz_connections] AS (SELECT name FROM objects) SELECT * FROM mz_connections",
        "WITH `mz_connections` AS (SELECT name FROM objects) SELECT * FROM mz_connections",
        "WITH 'mz_connections' AS (SELECT name FROM objects) SELECT * FROM mz_connections",
        "WITH mz_secrets(a, b) AS MATERIALIZED (SELECT id, name FROM objects) SELECT * FROM mz_secrets",
        "WITH mz_secrets AS NOT MATERIALIZED (SELECT name FROM objects) SELECT * FROM mz_secrets",
        "WITH mz_secrets /* c */ AS -- c\n (SELECT name FROM objects) SELECT * FROM mz_secrets",
        "WITH RECURSIVE mz_secrets(n) AS (SELECT name FROM objects UNION ALL SELECT n FROM mz_secrets WHERE 0) SELECT * FROM mz_secrets",
        "SELECT * FROM (WITH mz_aws_connections AS (SELECT * FROM aws_connections) SELECT * FROM mz_aws_connections)",
        "SELECT (WITH mz_connections AS (SELECT create_sql FROM connections) SELECT count(*) FROM mz_connections WHERE create_sql LIKE '%')",
        "WITH x AS (SELECT 1), mz_object_dependencies AS (SELECT * FROM object_dependencies) SELECT * FROM mz_object_dependencies",
        "WITH mz_secrets AS (SELECT * FROM mz_connections), y AS (SELECT * FROM objects) SELECT * FROM y",
    ];
    for sql in denied {
        let err = catalog.query(sql).unwrap_err();
        assert_eq!(
            err.code(),
            SqlState::InsufficientPrivilege,
            "{sql}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("permission denied for table "),
            "{sql}: {err}"
        );
    }
    // A CTE may still carry a view's name when it reads views, and CTEs over views work.
    let rows = catalog
        .query("WITH mz_secrets AS (SELECT name FROM mz_connections) SELECT * FROM mz_secrets ORDER BY name")
        .unwrap()
        .rows;
    assert_eq!(
        rows,
        vec![
            vec![Some("key_conn".into())],
            vec![Some("role_conn".into())]
        ]
    );
    let rows = catalog
        .query("WITH objects AS (SELECT name FROM mz_secrets) SELECT * FROM objects")
        .unwrap()
        .rows;
    assert_eq!(rows, vec![vec![Some("aws_secret".into())]]);
    assert_eq!(
        catalog
            .query("SELECT 'WITH mz_secrets AS (' AS s, name FROM mz_secrets")
            .unwrap()
            .rows
            .len(),
        1,
        "a name in a string literal defines nothing"
    );
}

/// The typed relation table the engine plans with is the newest schema's views, column
/// for column, in order.
#[test]
fn the_relation_table_matches_the_views() {
    let catalog = Catalog::open_in_memory(CatalogConfig::default()).unwrap();
    for relation in airlock_catalog::RELATIONS {
        let names: Vec<&str> = relation.columns.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            column_names(&catalog, relation.name),
            names,
            "{}",
            relation.name
        );
    }
}

#[test]
fn a_running_query_stops_when_its_session_cancels() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let catalog = Catalog::open_in_memory(CatalogConfig::default()).unwrap();
    let runner = catalog.query_runner();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        flag.store(true, Ordering::SeqCst);
    });
    let err = runner
        .query(
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
            &[],
            Some(&cancel),
        )
        .unwrap_err();
    canceller.join().unwrap();
    assert!(matches!(err, CatalogError::QueryCanceled), "{err:?}");
    assert_eq!(err.code(), SqlState::QueryCanceled);
    // The connection serves the next query.
    cancel.store(false, Ordering::SeqCst);
    assert_eq!(
        runner.query("SELECT 1", &[], Some(&cancel)).unwrap().rows,
        vec![vec![Some("1".into())]]
    );
}

#[test]
fn postgres_semantics_where_sqlite_differs() {
    let catalog = Catalog::open_in_memory(CatalogConfig::default()).unwrap();
    let err = catalog.query("SELECT airlock_div(1, 0)").unwrap_err();
    assert_eq!(err.code(), SqlState::DivisionByZero);
    assert_eq!(err.to_string(), "division by zero");
    let err = catalog
        .query("SELECT airlock_cast('abc', 'int4')")
        .unwrap_err();
    assert_eq!(err.code(), SqlState::InvalidTextRepresentation);
    assert_eq!(
        err.to_string(),
        "invalid input syntax for type integer: \"abc\""
    );
    let runner = catalog.query_runner();
    let result = runner
        .query(
            "SELECT 1 = 1, airlock_pow(2, 3), version()",
            &[Some(ColumnType::Bool), Some(ColumnType::Float8), None],
            None,
        )
        .unwrap();
    assert_eq!(
        result.rows,
        vec![vec![
            Some("t".into()),
            Some("8".into()),
            Some(airlock_catalog::VERSION.into())
        ]]
    );
    // now() is one value for the whole statement.
    let result = catalog
        .query("SELECT now() = now(), length(now()) > 19")
        .unwrap();
    assert_eq!(result.rows, vec![vec![Some("1".into()), Some("1".into())]]);
}
