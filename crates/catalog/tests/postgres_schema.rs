//! The PostgreSQL catalog schema (`migrations/postgres/`), applied to a throwaway
//! PostgreSQL the way the migration runner applies it: its views are exactly the typed
//! relation table, its schema matches the golden dump, and the rows of a SQLite catalog
//! copied into it show the same values through its views as through SQLite's.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, UNIX_EPOCH};

use airlock_catalog::{
    AclTarget, Catalog, CatalogConfig, CredentialsEvent, CredentialsHealth, RELATIONS,
    RoleAttributes, RoleId, Validation, ValidationStatus,
};
use airlock_core::aws::{AwsAuth, S3Scope, StringOrSecret};
use airlock_core::{ColumnType, ConnectionId, SecretString};
use airlock_testkit::postgres::{PORT, Server};
use common::*;

/// The directory of the PostgreSQL migrations.
const MIGRATIONS_DIR: &str = "migrations/postgres";

const GOLDEN: &str = "testdata/catalog/postgres_schema.sql";

/// The schemas the migrations create or fill.
const SCHEMAS: [&str; 3] = ["airlock", "mz_catalog", "mz_internal"];

/// The storage tables, parents before children (the order rows can be inserted in).
const TABLES: [&str; 14] = [
    "settings",
    "roles",
    "role_members",
    "objects",
    "object_privileges",
    "scope_privileges",
    "secrets",
    "secret_ciphertexts",
    "connections",
    "aws_connections",
    "aws_connection_scopes",
    "object_dependencies",
    "aws_connection_validations",
    "aws_connection_credentials",
];

/// SQLite's single-row counter tables, which are sequences on PostgreSQL.
const SEQUENCES: [&str; 2] = ["id_sequence", "role_id_sequence"];

/// Tables no view may read.
const PRIVATE_TABLES: [&str; 3] = ["secret_ciphertexts", "settings", "scope_privileges"];

/// PostgreSQL's name for each column type (`format_type` output), written out here
/// rather than taken from the code under test.
fn pg_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Text => "text",
        ColumnType::Bool => "boolean",
        ColumnType::Int4 => "integer",
        ColumnType::Int8 => "bigint",
        ColumnType::Float8 => "double precision",
        ColumnType::Numeric => "numeric",
        ColumnType::Oid => "oid",
        ColumnType::TimestampTz => "timestamp with time zone",
        ColumnType::Jsonb => "jsonb",
    }
}

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// The output of a finished client program, which must have succeeded.
fn success(what: &str, out: Output) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `sql` run by psql as the server's superuser in one transaction (`-1`), stopping at
/// the first error.
fn psql_script(server: &Server, sql: &str) -> Output {
    psql_script_as(server, "postgres", sql)
}

/// [`psql_script`] as database user `user`.
fn psql_script_as(server: &Server, user: &str, sql: &str) -> Output {
    let mut child = server
        .psql_command()
        .args(["-U", user, "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run psql");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The PostgreSQL migrations in the order they apply: every `NNNN_name.sql` of
/// [`MIGRATIONS_DIR`], numbered 0001, 0002, ... without a gap.
fn migrations() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(repo_path(MIGRATIONS_DIR))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no migrations in {MIGRATIONS_DIR}");
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let number = format!("{:04}_", i + 1);
            assert!(
                name.starts_with(&number) && name.ends_with(".sql"),
                "{MIGRATIONS_DIR}/{name}: expected {number}<name>.sql"
            );
            fs::read_to_string(repo_path(&format!("{MIGRATIONS_DIR}/{name}"))).unwrap()
        })
        .collect()
}

/// A new server with a new PostgreSQL catalog, migrated by its superuser.
fn migrated_server() -> Server {
    let server = Server::start();
    migrate_as(&server, "postgres");
    server
}

/// Migrates as the runner does, as database user `user`: schema `airlock` created
/// first, then each file in one transaction with `search_path` set.
fn migrate_as(server: &Server, user: &str) {
    success(
        "CREATE SCHEMA airlock",
        server.psql(&["-U", user], "CREATE SCHEMA airlock"),
    );
    for migration in migrations() {
        let script = format!("SET search_path = airlock;\n{migration}");
        success(
            "applying a migration",
            psql_script_as(server, user, &script),
        );
    }
}

/// The rows of `sql` as psql prints them (text), NULL as `None`.
fn pg_rows(server: &Server, sql: &str) -> Vec<Vec<Option<String>>> {
    const NULL: &str = "\u{1}";
    let out = success(
        sql,
        server.psql(
            &[
                "-A",
                "-t",
                "-F",
                "\u{1f}",
                "-R",
                "\u{1e}",
                "-P",
                "null=\u{1}",
            ],
            sql,
        ),
    );
    let out = out.strip_suffix('\n').unwrap_or(&out);
    if out.is_empty() {
        return Vec::new();
    }
    out.split('\u{1e}')
        .map(|row| {
            row.split('\u{1f}')
                .map(|v| (v != NULL).then(|| v.to_owned()))
                .collect()
        })
        .collect()
}

/// The single-column result of `sql`, NULLs dropped.
fn pg_column(server: &Server, sql: &str) -> Vec<String> {
    pg_rows(server, sql)
        .into_iter()
        .filter_map(|mut row| row.swap_remove(0))
        .collect()
}

/// The error psql reports for `sql`, which must fail.
fn pg_error(server: &Server, sql: &str) -> String {
    pg_error_as(server, "postgres", sql)
}

/// [`pg_error`] as database user `user`.
fn pg_error_as(server: &Server, user: &str, sql: &str) -> String {
    let out = server.psql(&["-U", user], sql);
    assert!(!out.status.success(), "{sql} succeeded");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn views_are_exactly_the_typed_relations() {
    let server = migrated_server();

    let mut actual: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for row in pg_rows(
        &server,
        "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
         FROM pg_class AS c
         JOIN pg_namespace AS n ON n.oid = c.relnamespace
         JOIN pg_attribute AS a ON a.attrelid = c.oid
         WHERE n.nspname IN ('mz_catalog', 'mz_internal') AND c.relkind = 'v'
           AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY n.nspname, c.relname, a.attnum",
    ) {
        let [schema, view, column, ty] = <[Option<String>; 4]>::try_from(row).unwrap();
        actual
            .entry((schema.unwrap(), view.unwrap()))
            .or_default()
            .push((column.unwrap(), ty.unwrap()));
    }
    let expected: BTreeMap<(String, String), Vec<(String, String)>> = RELATIONS
        .iter()
        .map(|r| {
            (
                (r.schema.to_owned(), r.name.to_owned()),
                r.columns
                    .iter()
                    .map(|(name, ty)| ((*name).to_owned(), pg_type(*ty).to_owned()))
                    .collect(),
            )
        })
        .collect();
    // Same views (no more, no fewer), same columns in the same order, same types.
    assert_eq!(actual, expected);

    // The two user-facing schemas hold the views and nothing else.
    assert_eq!(
        pg_column(
            &server,
            "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('mz_catalog', 'mz_internal') AND c.relkind <> 'v'
             UNION ALL
             SELECT p.proname FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
             WHERE n.nspname IN ('mz_catalog', 'mz_internal')"
        ),
        Vec::<String>::new()
    );

    // What the views read: the tables behind them, never the ciphertexts, the settings,
    // the sequences or the scope privileges.
    let read: BTreeSet<String> = pg_column(
        &server,
        "SELECT DISTINCT table_schema || '.' || table_name
         FROM information_schema.view_table_usage
         WHERE view_schema IN ('mz_catalog', 'mz_internal')",
    )
    .into_iter()
    .collect();
    let expected: BTreeSet<String> = [
        "objects",
        "connections",
        "secrets",
        "object_privileges",
        "aws_connections",
        "object_dependencies",
        "aws_connection_validations",
        "aws_connection_scopes",
        "aws_connection_credentials",
        "roles",
        "role_members",
    ]
    .iter()
    .map(|t| format!("airlock.{t}"))
    .collect();
    assert_eq!(read, expected);
    for private in PRIVATE_TABLES.iter().chain(&SEQUENCES) {
        assert!(!read.contains(&format!("airlock.{private}")), "{private}");
    }

    // The storage schema: SQLite's tables, and the two sequences instead of its counter
    // tables.
    let tables: BTreeSet<String> = pg_column(
        &server,
        "SELECT relname FROM pg_class WHERE relnamespace = 'airlock'::regnamespace AND relkind = 'r'",
    )
    .into_iter()
    .collect();
    assert_eq!(tables, TABLES.iter().map(|t| (*t).to_owned()).collect());
    assert_eq!(
        pg_column(
            &server,
            "SELECT sequencename || ' ' || start_value || ' ' || min_value || ' ' || cycle
             FROM pg_sequences WHERE schemaname = 'airlock' ORDER BY sequencename"
        ),
        [
            "aws_connection_validations_seq_seq 1 1 false",
            "id_sequence 1 1 false",
            "role_id_sequence 1 1 false",
        ]
    );

    // The constraint names the backend recognises in errors.
    assert_eq!(
        pg_column(
            &server,
            "SELECT conname FROM pg_constraint
             WHERE conrelid IN ('airlock.objects'::regclass, 'airlock.roles'::regclass,
                                'airlock.aws_connections'::regclass)
               AND contype IN ('p', 'u')
             ORDER BY conname"
        ),
        [
            "aws_connections_external_id_key",
            "aws_connections_pkey",
            "objects_name_key",
            "objects_pkey",
            "roles_name_key",
            "roles_oid_key",
            "roles_pkey",
        ]
    );
}

/// `pg_dump --schema-only` of the three schemas, without the lines that name pg_dump's
/// version or set its session (they vary between releases, not with the schema).
fn dump_schema(server: &Server) -> String {
    let out = server
        .as_server_user("pg_dump")
        .env("LC_ALL", "C.UTF-8")
        .arg("-h")
        .arg(server.socket_dir())
        .args(["-p", PORT, "-U", "postgres", "-d", "postgres"])
        .args(["--schema-only", "--no-owner", "--no-privileges"])
        .args(SCHEMAS.iter().flat_map(|s| ["-n", s]))
        .output()
        .expect("run pg_dump");
    let dump = success("pg_dump", out);
    let mut golden = String::from(
        "-- Golden dump of the Airlock catalog schema on PostgreSQL (migrations/postgres/).\n\
         -- Generated by crates/catalog/tests/postgres_schema.rs with pg_dump --schema-only\n\
         -- --no-owner --no-privileges, without its version, \\restrict and SET lines; rewrite\n\
         -- with AIRLOCK_REWRITE=1 cargo test -p airlock-catalog --test postgres_schema.\n",
    );
    let mut blank = false;
    for line in dump.lines() {
        let varies = line.starts_with("-- Dumped ")
            || line.starts_with("\\restrict ")
            || line.starts_with("\\unrestrict ")
            || line.starts_with("SET ")
            || line.starts_with("SELECT pg_catalog.set_config(");
        if varies || (blank && line.is_empty()) {
            continue;
        }
        blank = line.is_empty();
        golden.push_str(line);
        golden.push('\n');
    }
    golden
}

#[test]
fn schema_matches_the_golden_dump() {
    let server = migrated_server();
    let actual = dump_schema(&server);
    if std::env::var_os("AIRLOCK_REWRITE").is_some() {
        fs::write(repo_path(GOLDEN), &actual).unwrap();
    }
    let golden =
        fs::read_to_string(repo_path(GOLDEN)).expect("golden schema; run with AIRLOCK_REWRITE=1");
    assert_eq!(
        actual, golden,
        "schema drifted from {GOLDEN}; rerun with AIRLOCK_REWRITE=1 and review the diff"
    );
}

#[test]
fn every_storage_table_announces_its_changes() {
    let server = migrated_server();
    let tables = pg_column(
        &server,
        "SELECT c.relname FROM pg_class AS c
         JOIN pg_namespace AS n ON n.oid = c.relnamespace
         WHERE n.nspname = 'airlock' AND c.relkind = 'r' AND c.relname <> 'schema_migrations'
         ORDER BY c.relname",
    );
    let mut expected: Vec<String> = TABLES.iter().map(|t| (*t).to_owned()).collect();
    expected.sort();
    assert_eq!(tables, expected, "the storage tables");
    // A statement-level trigger for every kind of write, so that a node's change watch
    // (LISTEN airlock_catalog) hears of every commit, by Airlock or by hand.
    let without = pg_column(
        &server,
        "SELECT c.relname FROM pg_class AS c
         JOIN pg_namespace AS n ON n.oid = c.relnamespace
         WHERE n.nspname = 'airlock' AND c.relkind = 'r' AND c.relname <> 'schema_migrations'
           AND NOT EXISTS (
               SELECT 1 FROM pg_trigger AS t
               WHERE t.tgrelid = c.oid AND t.tgname = 'notify_change' AND t.tgenabled = 'O'
                 AND pg_get_triggerdef(t.oid) LIKE
                     '%AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE%FOR EACH STATEMENT EXECUTE FUNCTION airlock.notify_change()')
         ORDER BY c.relname",
    );
    assert!(
        without.is_empty(),
        "tables that notify no change: {without:?}"
    );
}

/// `value` as a PostgreSQL literal of unknown type: what a text-format parameter is.
fn literal(value: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    let text = match value {
        ValueRef::Null => return "NULL".to_owned(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8(t.to_vec()).unwrap(),
        ValueRef::Blob(b) => format!(
            "\\x{}",
            b.iter()
                .map(|byte| format!("{byte:02x}"))
                .collect::<String>()
        ),
    };
    format!("'{}'", text.replace('\'', "''"))
}

/// The stored columns of SQLite table `table` (generated ones marked), in order.
fn sqlite_columns(conn: &rusqlite::Connection, table: &str) -> Vec<(String, bool)> {
    conn.prepare(&format!(
        "SELECT name, hidden FROM pragma_table_xinfo('{table}')"
    ))
    .unwrap()
    .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? >= 2)))
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// INSERT statements that copy every row of SQLite's storage tables, and `setval`s that
/// carry its counters over to the sequences.
fn copy_script(conn: &rusqlite::Connection) -> String {
    let mut script = String::from("SET search_path = airlock;\n");
    for table in TABLES {
        let columns: Vec<String> = sqlite_columns(conn, table)
            .into_iter()
            .filter(|(_, generated)| !generated)
            .map(|(name, _)| name)
            .collect();
        let list = columns.join(", ");
        let mut stmt = conn
            .prepare(&format!("SELECT {list} FROM {table}"))
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let values: Vec<String> = (0..columns.len())
                .map(|i| literal(row.get_ref(i).unwrap()))
                .collect();
            script.push_str(&format!(
                "INSERT INTO {table} ({list}) VALUES ({});\n",
                values.join(", ")
            ));
        }
    }
    for sequence in SEQUENCES {
        let next: i64 = conn
            .query_row(&format!("SELECT next_id FROM {sequence}"), [], |r| r.get(0))
            .unwrap();
        script.push_str(&format!("SELECT setval('{sequence}', {next}, false);\n"));
    }
    script
}

/// A SQLite catalog holding a row in every relation: two secrets, a static-credentials
/// connection naming both, an assume-role connection with a scope, a session duration,
/// a validation history and credentials health, a second role that owns a secret and
/// holds USAGE, and a membership.
fn populated_sqlite_catalog(path: &Path) -> Catalog {
    let mut catalog = Catalog::open(
        path,
        CatalogConfig {
            aws_principal: Some(PRINCIPAL.to_owned()),
            external_id_prefix: Some(
                uuid::Uuid::parse_str("eb5cb59b-e2fe-41f3-87ca-d2176a495345").unwrap(),
            ),
            ..config()
        },
    )
    .unwrap();
    let mut txn = catalog.begin().unwrap();
    let key = txn
        .create_secret("key", &SecretString::new("wJalrXUtnFEMI"))
        .unwrap();
    assert_eq!(key.id.to_string(), "u1", "the first object id");
    let token = txn
        .create_secret("token", &SecretString::new("FwoGZXIvYXdzE"))
        .unwrap();
    let static_keys = credentials(
        StringOrSecret::Inline("AKIAIOSFODNN7EXAMPLE".to_owned()),
        key.id,
        Some(StringOrSecret::Secret(token.id)),
    );
    let static_conn = create(&mut txn, "static", &static_keys).unwrap();
    let mut assume = assume_role();
    assume.scope = Some(S3Scope::parse("s3://bucket/o'brien/x").unwrap());
    if let AwsAuth::AssumeRole(a) = &mut assume.auth {
        a.session_duration = Some(3600);
    }
    let assume_conn = create(&mut txn, "assume", &assume).unwrap();
    let reader = txn
        .create_role(
            "reader",
            RoleAttributes {
                superuser: None,
                login: Some(true),
            },
        )
        .unwrap();
    assert_eq!(
        reader.id.as_str(),
        "u2",
        "u1 is the bootstrap role the catalog's creator inserts"
    );
    let system = RoleId::mz_system();
    let target = AclTarget::Object(assume_conn.id.into());
    txn.grant(target, &reader.id, &system, "U").unwrap();
    txn.grant(target, &RoleId::public(), &system, "U").unwrap();
    let bootstrap = txn
        .roles()
        .by_name(airlock_catalog::DEFAULT_BOOTSTRAP_ROLE)
        .unwrap()
        .unwrap();
    txn.grant_membership(&reader.id, &bootstrap.id, &system)
        .unwrap();
    txn.act_as(reader.id.clone());
    txn.create_secret("owned", &SecretString::new("x")).unwrap();
    for (connection, validation) in [
        (
            assume_conn.id,
            (
                ValidationStatus::Ok,
                None,
                None,
                Some("http://127.0.0.1:4566"),
            ),
        ),
        (
            static_conn.id,
            (
                ValidationStatus::Failed,
                Some("AccessDenied"),
                Some("User: arn:… isn't authorized"),
                None,
            ),
        ),
    ] {
        let (status, error_code, message, endpoint) = validation;
        txn.record_validation(&Validation {
            connection_id: connection,
            status,
            caller_arn: Some(format!(
                "arn:aws:sts::001234567890:assumed-role/{connection}"
            )),
            error_code: error_code.map(str::to_owned),
            message: message.map(str::to_owned),
            non_aws_endpoint: endpoint.map(str::to_owned),
        })
        .unwrap();
    }
    let at = |micros: u64| UNIX_EPOCH + Duration::from_micros(micros);
    let health: [(ConnectionId, CredentialsEvent); 2] = [
        (
            assume_conn.id,
            CredentialsEvent::Assumed {
                at: at(1_764_900_000_123_400),
                expires_at: Some(at(1_764_903_600_000_000)),
                session_duration: Some(3600),
                chained: true,
            },
        ),
        (
            static_conn.id,
            CredentialsEvent::Failed {
                at: at(1_764_900_001_000_001),
                error: "ExpiredToken: the token's time is up".to_owned(),
            },
        ),
    ];
    for (connection_id, event) in health {
        txn.record_credentials_health(&CredentialsHealth {
            connection_id,
            event,
        })
        .unwrap();
    }
    txn.commit().unwrap();
    catalog
}

/// Rows sorted, JSON values normalised (jsonb prints keys in its own order and with
/// spaces; SQLite shows the stored text).
fn comparable(
    rows: Vec<Vec<Option<String>>>,
    columns: &[(&str, ColumnType)],
) -> Vec<Vec<Option<String>>> {
    let mut rows: Vec<Vec<Option<String>>> = rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(columns)
                .map(|(value, (_, ty))| match (value, ty) {
                    (Some(v), ColumnType::Jsonb) => Some(
                        serde_json::from_str::<serde_json::Value>(&v)
                            .unwrap()
                            .to_string(),
                    ),
                    (value, _) => value,
                })
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn views_show_what_sqlite_views_show() {
    let server = migrated_server();
    let dir = tempfile::tempdir().unwrap();

    // A new catalog on each side: the rows the migrations seed agree (SQLite's creator
    // adds only the bootstrap role u1 and the settings row, which the PostgreSQL
    // backend's creator must add the same way).
    let fresh_path = dir.path().join("fresh.db");
    drop(open(&fresh_path));
    let fresh = rusqlite::Connection::open(&fresh_path).unwrap();
    let sqlite_rows = |sql: &str| -> Vec<String> {
        fresh
            .prepare(sql)
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let roles = "SELECT id || ' ' || oid || ' ' || name || ' ' || inherit || superuser || login
                 FROM roles WHERE id <> 'u1' ORDER BY id";
    let scopes = "SELECT scope || ' ' || grantee || ' ' || grantor || ' ' || privileges
                  FROM scope_privileges ORDER BY scope, grantee, grantor";
    for (sqlite, pg) in [
        (roles, roles.replace("FROM roles", "FROM airlock.roles")),
        (
            scopes,
            scopes.replace("FROM scope_privileges", "FROM airlock.scope_privileges"),
        ),
    ] {
        let seeded = pg_column(&server, &pg);
        assert!(!seeded.is_empty(), "{pg}");
        assert_eq!(seeded, sqlite_rows(sqlite), "{pg}");
    }
    assert_eq!(
        sqlite_rows("SELECT id FROM roles WHERE id = 'u1'"),
        ["u1"],
        "the bootstrap role"
    );
    assert_eq!(
        pg_column(&server, "SELECT count(*) FROM airlock.settings"),
        ["0"]
    );
    for sequence in SEQUENCES {
        let first = pg_column(&server, &format!("SELECT nextval('airlock.{sequence}')"));
        assert_eq!(first, ["1"], "the first value of {sequence}");
    }

    // The same table and column names on both sides (objects.oid generated on both).
    let populated_path = dir.path().join("populated.db");
    let catalog = populated_sqlite_catalog(&populated_path);
    let conn = rusqlite::Connection::open(&populated_path).unwrap();
    let sqlite_tables: BTreeSet<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected_tables: BTreeSet<String> = TABLES
        .iter()
        .chain(&SEQUENCES)
        .map(|t| (*t).to_owned())
        .collect();
    assert_eq!(sqlite_tables, expected_tables);
    for table in TABLES {
        let sqlite: Vec<String> = sqlite_columns(&conn, table)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let pg = pg_column(
            &server,
            &format!(
                "SELECT column_name FROM information_schema.columns
                 WHERE table_schema = 'airlock' AND table_name = '{table}'
                 ORDER BY ordinal_position"
            ),
        );
        assert_eq!(pg, sqlite, "columns of {table}");
    }

    // Every stored row, copied as text literals (as the backend binds its parameters),
    // replacing the seeds, which SQLite's copy holds too.
    let script = format!(
        "DELETE FROM airlock.scope_privileges; DELETE FROM airlock.roles;\n{}",
        copy_script(&conn)
    );
    success("copying the rows", psql_script(&server, &script));

    for relation in RELATIONS {
        let sqlite = catalog
            .query(&format!("SELECT * FROM {}", relation.name))
            .unwrap()
            .rows;
        let pg = pg_rows(
            &server,
            &format!("SELECT * FROM {}.{}", relation.schema, relation.name),
        );
        assert!(!sqlite.is_empty(), "{} has rows", relation.name);
        assert_eq!(
            comparable(pg, relation.columns),
            comparable(sqlite, relation.columns),
            "{}.{}",
            relation.schema,
            relation.name
        );
    }

    // A few values spelled out, as users see them on PostgreSQL.
    assert_eq!(
        pg_rows(
            &server,
            "SELECT id, oid, owner_id, privileges FROM mz_catalog.mz_connections ORDER BY oid"
        ),
        [
            ["u3", "20003", "s1", "{s1=U/s1}"],
            ["u4", "20004", "s1", "{s1=U/s1,u2=U/s1,=U/s1}"],
        ]
        .map(|row| row.map(|v| Some(v.to_owned())).to_vec())
    );
    assert_eq!(
        pg_column(
            &server,
            "SELECT owner_id || ' ' || privileges FROM mz_catalog.mz_secrets WHERE name = 'owned'"
        ),
        ["u2 {u2=U/u2}"]
    );
    assert_eq!(
        pg_column(
            &server,
            "SELECT example_trust_policy #>> '{Statement,0,Condition,StringEquals,sts:ExternalId}'
             FROM mz_internal.mz_aws_connections WHERE id = 'u4'"
        ),
        ["mz_eb5cb59b-e2fe-41f3-87ca-d2176a495345_u4"]
    );
    assert_eq!(
        pg_column(
            &server,
            "SELECT last_assumed_at || ' ' || chained || ' ' || session_duration_seconds
             FROM mz_internal.mz_aws_connection_credentials WHERE connection_id = 'u4'"
        ),
        ["2025-12-05 02:00:00.1234+00 true 3600"]
    );

    // The counters carried over: the next ids are the ones SQLite would hand out.
    assert_eq!(
        pg_column(&server, "SELECT nextval('airlock.id_sequence')"),
        ["6"]
    );
    assert_eq!(
        pg_column(&server, "SELECT nextval('airlock.role_id_sequence')"),
        ["3"]
    );

    // The constraints the backend relies on hold, under their names.
    let error = pg_error(
        &server,
        "INSERT INTO airlock.objects (id, kind, name, created_at)
         VALUES (7, 'secret', 'key', now())",
    );
    assert!(error.contains("\"objects_name_key\""), "{error}");
    let error = pg_error(
        &server,
        "INSERT INTO airlock.objects (id, kind, name, created_at)
         VALUES (1, 'secret', 'other', now())",
    );
    assert!(error.contains("\"objects_pkey\""), "{error}");
    let error = pg_error(&server, "DELETE FROM airlock.objects WHERE id = 1");
    assert!(
        error.contains("\"object_dependencies_referenced_object_id_fkey\""),
        "a secret a connection names cannot be deleted: {error}"
    );
    let error = pg_error(&server, "DELETE FROM airlock.roles WHERE id = 'u2'");
    assert!(
        error.contains("\"objects_owner_id_fkey\""),
        "a role that owns an object cannot be deleted: {error}"
    );
    // Deleting a connection's object deletes everything that belongs to it.
    success(
        "dropping a connection",
        server.psql(&[], "DELETE FROM airlock.objects WHERE id = 3"),
    );
    assert_eq!(
        pg_column(
            &server,
            "SELECT (SELECT count(*) FROM mz_internal.mz_aws_connections WHERE id = 'u3')
                  + (SELECT count(*) FROM mz_internal.mz_object_dependencies)
                  + (SELECT count(*) FROM mz_internal.mz_aws_connection_validations
                     WHERE connection_id = 'u3')
                  + (SELECT count(*) FROM mz_internal.mz_aws_connection_credentials
                     WHERE connection_id = 'u3')"
        ),
        ["0"]
    );
}

/// The least a database user needs to create the catalog: CREATE on the database (for
/// the schemas), no superuser. A user that may only read the views (USAGE on the two
/// view schemas, SELECT on their views) reads every relation through them and nothing
/// of the storage schema.
#[test]
fn a_plain_owner_migrates_and_a_select_only_user_sees_only_the_views() {
    let server = Server::start();
    success(
        "creating the users",
        server.psql(
            &[],
            "CREATE ROLE airlock_owner LOGIN;
             GRANT CREATE ON DATABASE postgres TO airlock_owner;
             CREATE ROLE airlock_reader LOGIN",
        ),
    );
    migrate_as(&server, "airlock_owner");
    assert_eq!(
        pg_column(
            &server,
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class
             WHERE relnamespace IN ('airlock'::regnamespace, 'mz_catalog'::regnamespace,
                                    'mz_internal'::regnamespace)"
        ),
        ["airlock_owner"]
    );
    success(
        "granting the views",
        psql_script_as(
            &server,
            "airlock_owner",
            "GRANT USAGE ON SCHEMA mz_catalog, mz_internal TO airlock_reader;
             GRANT SELECT ON ALL TABLES IN SCHEMA mz_catalog, mz_internal TO airlock_reader;",
        ),
    );
    for relation in RELATIONS {
        let sql = format!("SELECT * FROM {}.{}", relation.schema, relation.name);
        success(&sql, server.psql(&["-U", "airlock_reader"], &sql));
    }
    for sql in [
        "SELECT * FROM airlock.settings",
        "SELECT * FROM airlock.secret_ciphertexts",
        "SELECT nextval('airlock.id_sequence')",
        "SELECT * FROM airlock.scope_privileges",
    ] {
        let error = pg_error_as(&server, "airlock_reader", sql);
        assert!(
            error.contains("permission denied for schema airlock"),
            "{sql}: {error}"
        );
    }
}
