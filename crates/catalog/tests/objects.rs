//! Connections, secrets, ids, dependencies and settings through the transaction API.

mod common;

use airlock_catalog::{
    Catalog, CatalogConfig, CatalogError, DropBehavior, NewConnection, ObjectKind, Validation,
    ValidationStatus,
};
use airlock_core::aws::{example_trust_policy, external_id};
use airlock_core::{ConnectionId, ObjectId, SecretId, SecretString, SqlError, SqlState};
use common::*;

fn value(s: &str) -> SecretString {
    SecretString::new(s)
}

#[test]
fn ids_are_never_reused_even_after_drop_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut catalog = open(&path);
    let mut txn = catalog.begin().unwrap();
    let s = txn.create_secret("s", &value("v")).unwrap();
    let c = create(&mut txn, "c", &assume_role()).unwrap();
    txn.commit().unwrap();
    assert_eq!((s.id, c.id), (SecretId(1), ConnectionId(2)));
    assert_eq!((s.oid, c.oid), (20_001, 20_002));

    let mut txn = catalog.begin().unwrap();
    txn.drop_connections(&[c.id]).unwrap();
    txn.drop_secrets(&[s.id], DropBehavior::Restrict).unwrap();
    txn.commit().unwrap();

    // An allocation rolled back with its transaction never happened; a reserved id is
    // burned for good.
    let mut txn = catalog.begin().unwrap();
    assert_eq!(txn.allocate_id().unwrap(), ObjectId(3));
    drop(txn);
    assert_eq!(catalog.reserve_id().unwrap(), ObjectId(3));
    drop(catalog);

    let mut catalog = open(&path);
    let mut txn = catalog.begin().unwrap();
    let c2 = create(&mut txn, "c", &assume_role()).unwrap();
    let s2 = txn.create_secret("s", &value("v")).unwrap();
    txn.commit().unwrap();
    assert_eq!((c2.id, s2.id), (ConnectionId(4), SecretId(5)));
    assert_ne!(
        c2.external_id, c.external_id,
        "a new connection never inherits an external ID"
    );
}

#[test]
fn external_id_and_trust_policy_are_stored_exactly() {
    let prefix = uuid::Uuid::parse_str("eb5cb59b-e2fe-41f3-87ca-d2176a495345").unwrap();
    let config = CatalogConfig {
        external_id_prefix: Some(prefix),
        aws_principal: Some(PRINCIPAL.to_owned()),
        ..config()
    };
    let mut catalog = Catalog::open_in_memory(config).unwrap();
    let mut txn = catalog.begin().unwrap();
    txn.create_secret("pad1", &value("x")).unwrap();
    txn.create_secret("pad2", &value("x")).unwrap();
    let c = create(&mut txn, "aws_conn", &assume_role()).unwrap();
    txn.commit().unwrap();

    let expected_ext = "mz_eb5cb59b-e2fe-41f3-87ca-d2176a495345_u3";
    assert_eq!(external_id(&prefix, c.id), expected_ext);
    assert_eq!(catalog.external_id(c.id), expected_ext);
    let expected_policy = format!(
        r#"{{"Statement":[{{"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"{expected_ext}"}}}},"Effect":"Allow","Principal":{{"AWS":"{PRINCIPAL}"}}}}],"Version":"2012-10-17"}}"#
    );
    let stored = catalog.connection(c.id).unwrap().unwrap();
    assert_eq!(stored, c, "what create returns is what is stored");
    assert_eq!(stored.external_id.as_deref(), Some(expected_ext));
    assert_eq!(stored.principal.as_deref(), Some(PRINCIPAL));
    assert_eq!(
        stored.example_trust_policy.as_deref(),
        Some(expected_policy.as_str())
    );

    // The design document's query, as written.
    let rows = catalog
        .query("SELECT principal, external_id FROM mz_aws_connections aws JOIN mz_connections c ON aws.id = c.id WHERE c.name = 'aws_conn';")
        .unwrap();
    assert_eq!(
        rows.rows,
        vec![vec![
            Some(PRINCIPAL.to_owned()),
            Some(expected_ext.to_owned())
        ]]
    );
    let rows = catalog
        .query("SELECT example_trust_policy FROM mz_aws_connections WHERE id = 'u3'")
        .unwrap();
    assert_eq!(rows.rows[0][0].as_deref(), Some(expected_policy.as_str()));
}

#[test]
fn without_a_principal_assume_role_connections_still_get_an_external_id() {
    let mut catalog = Catalog::open_in_memory(config()).unwrap();
    let mut txn = catalog.begin().unwrap();
    let c = create(&mut txn, "c", &assume_role()).unwrap();
    txn.commit().unwrap();
    let prefix = catalog.external_id_prefix();
    assert_eq!(c.external_id, Some(external_id(&prefix, c.id)));
    assert_eq!((c.principal, c.example_trust_policy), (None, None));
}

#[test]
fn changing_the_principal_rewrites_every_assume_role_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut catalog = open(&path);
    let mut txn = catalog.begin().unwrap();
    let key = txn.create_secret("key", &value("k")).unwrap();
    let roles: Vec<_> = (0..3)
        .map(|i| create(&mut txn, &format!("role{i}"), &assume_role()).unwrap())
        .collect();
    let creds = create(
        &mut txn,
        "creds",
        &credentials(
            airlock_core::aws::StringOrSecret::Inline("AKIA".into()),
            key.id,
            None,
        ),
    )
    .unwrap();
    txn.commit().unwrap();

    let mut txn = catalog.begin().unwrap();
    assert_eq!(txn.set_aws_principal(Some(PRINCIPAL)).unwrap(), 3);
    // Inside the transaction the rows already changed; outside, not yet.
    assert_eq!(
        txn.connection(roles[0].id)
            .unwrap()
            .unwrap()
            .principal
            .as_deref(),
        Some(PRINCIPAL)
    );
    assert_eq!(catalog_principal_outside(&path), None);
    txn.commit().unwrap();

    for r in &roles {
        let stored = catalog.connection(r.id).unwrap().unwrap();
        let ext = stored.external_id.clone().unwrap();
        assert_eq!(
            ext,
            r.external_id.clone().unwrap(),
            "the external ID never changes"
        );
        assert_eq!(stored.principal.as_deref(), Some(PRINCIPAL));
        assert_eq!(
            stored.example_trust_policy,
            Some(example_trust_policy(PRINCIPAL, &ext))
        );
    }
    let stored = catalog.connection(creds.id).unwrap().unwrap();
    assert_eq!(
        (
            stored.principal,
            stored.external_id,
            stored.example_trust_policy
        ),
        (None, None, None)
    );
    assert_eq!(
        catalog.settings().unwrap().aws_principal.as_deref(),
        Some(PRINCIPAL)
    );

    // A rolled-back change changes nothing.
    let other = "arn:aws:iam::123456789012:user/airlock";
    let mut txn = catalog.begin().unwrap();
    txn.set_aws_principal(Some(other)).unwrap();
    drop(txn);
    assert_eq!(
        catalog
            .connection(roles[1].id)
            .unwrap()
            .unwrap()
            .principal
            .as_deref(),
        Some(PRINCIPAL)
    );

    // Unsetting clears both columns; an invalid ARN is refused.
    let mut txn = catalog.begin().unwrap();
    let err = txn
        .set_aws_principal(Some("arn:aws:iam::123:role/x"))
        .unwrap_err();
    assert_eq!(err.code(), SqlState::InvalidParameterValue);
    assert_eq!(txn.set_aws_principal(None).unwrap(), 3);
    txn.commit().unwrap();
    let stored = catalog.connection(roles[2].id).unwrap().unwrap();
    assert_eq!(
        (stored.principal, stored.example_trust_policy),
        (None, None)
    );
    assert!(stored.external_id.is_some());
}

fn catalog_principal_outside(path: &std::path::Path) -> Option<String> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row(
        "SELECT principal FROM aws_connections WHERE assume_role_arn IS NOT NULL LIMIT 1",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn names_are_one_namespace_with_kind_aware_errors() {
    let mut catalog = Catalog::open_in_memory(config()).unwrap();
    let mut txn = catalog.begin().unwrap();
    txn.create_secret("s", &value("v")).unwrap();
    create(&mut txn, "c", &assume_role()).unwrap();
    txn.commit().unwrap();

    let mut txn = catalog.begin().unwrap();
    // Materialize's message; the DETAIL names the kind of object that holds the name.
    let err = create(&mut txn, "s", &assume_role()).unwrap_err();
    assert_eq!(err.to_string(), "catalog item 's' already exists");
    assert_eq!(err.code(), SqlState::DuplicateObject);
    assert_eq!(
        err.detail().unwrap(),
        "Secrets and connections share one namespace: secret \"s\" holds the name."
    );
    assert!(err.hint().unwrap().contains("IF NOT EXISTS"));
    let err = txn.create_secret("c", &value("v")).unwrap_err();
    assert_eq!(err.to_string(), "catalog item 'c' already exists");
    assert!(err.detail().unwrap().contains("connection \"c\""));
    let err = create(&mut txn, "c", &assume_role()).unwrap_err();
    assert_eq!(err.to_string(), "catalog item 'c' already exists");
    // The transaction is still usable after a refused statement.
    create(&mut txn, "d", &assume_role()).unwrap();
    let c = txn.object_by_name("c").unwrap().unwrap();
    let s = txn.object_by_name("s").unwrap().unwrap();
    assert_eq!(
        (c.kind, s.kind),
        (ObjectKind::Connection, ObjectKind::Secret)
    );
    let err = txn.rename_secret(SecretId(s.id.0), "c").unwrap_err();
    assert_eq!(err.to_string(), "catalog item 'c' already exists");
    txn.commit().unwrap();
    assert_eq!(catalog.object_by_name("missing").unwrap(), None);
}

#[test]
fn references_must_be_existing_secrets() {
    let mut catalog = Catalog::open_in_memory(config()).unwrap();
    let mut txn = catalog.begin().unwrap();
    let c = create(&mut txn, "c", &assume_role()).unwrap();
    let inline = |s| airlock_core::aws::StringOrSecret::Inline(s);
    let err = create(
        &mut txn,
        "x",
        &credentials(inline("AKIA".into()), SecretId(99), None),
    )
    .unwrap_err();
    assert_eq!(err.code(), SqlState::UndefinedObject);
    assert_eq!(err.to_string(), "unknown secret u99");
    let err = create(
        &mut txn,
        "x",
        &credentials(inline("AKIA".into()), SecretId(c.id.0), None),
    )
    .unwrap_err();
    assert_eq!(err.code(), SqlState::WrongObjectType);
    assert_eq!(err.to_string(), "c is a connection not a secret");
    assert_eq!(txn.object_by_name("x").unwrap(), None);
}

#[test]
fn drop_secret_restrict_and_cascade() {
    let mut catalog = Catalog::open_in_memory(config()).unwrap();
    let mut txn = catalog.begin().unwrap();
    let key_id = txn.create_secret("key_id", &value("AKIA")).unwrap();
    let secret = txn.create_secret("secret", &value("wJal")).unwrap();
    let unused = txn.create_secret("unused", &value("x")).unwrap();
    let secret_ref = airlock_core::aws::StringOrSecret::Secret;
    let c1 = create(
        &mut txn,
        "c1",
        &credentials(secret_ref(key_id.id), secret.id, None),
    )
    .unwrap();
    let c2 = create(
        &mut txn,
        "c2",
        &credentials(
            airlock_core::aws::StringOrSecret::Inline("AKIA".into()),
            secret.id,
            Some(secret_ref(key_id.id)),
        ),
    )
    .unwrap();
    let c3 = create(&mut txn, "c3", &assume_role()).unwrap();
    txn.commit().unwrap();

    assert_eq!(
        catalog
            .dependents(secret.id)
            .unwrap()
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["c1", "c2"]
    );
    assert_eq!(
        catalog
            .dependencies(c2.id)
            .unwrap()
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["key_id", "secret"]
    );
    let deps = catalog
        .query("SELECT object_id, referenced_object_id FROM mz_object_dependencies ORDER BY 1, 2")
        .unwrap();
    let text = |a: &str, b: &str| vec![Some(a.to_owned()), Some(b.to_owned())];
    assert_eq!(
        deps.rows,
        vec![
            text("u4", "u1"),
            text("u4", "u2"),
            text("u5", "u1"),
            text("u5", "u2")
        ]
    );

    // RESTRICT: refused, with every dependent in DETAIL, and nothing dropped — not
    // even the unused secret named first in the same statement.
    let before = catalog
        .query("SELECT * FROM mz_secrets ORDER BY id")
        .unwrap();
    let mut txn = catalog.begin().unwrap();
    let err = txn
        .drop_secrets(&[unused.id, secret.id], DropBehavior::Restrict)
        .unwrap_err();
    drop(txn);
    assert_eq!(err.code(), SqlState::DependentObjectsStillExist);
    assert_eq!(
        err.to_string(),
        "cannot drop secret \"secret\": still depended upon by connection \"c1\""
    );
    assert_eq!(
        err.detail().unwrap(),
        "connection \"c1\" depends on secret \"secret\"\nconnection \"c2\" depends on secret \"secret\""
    );
    assert!(err.hint().unwrap().contains("CASCADE"));
    assert_eq!(
        catalog
            .query("SELECT * FROM mz_secrets ORDER BY id")
            .unwrap(),
        before
    );

    // CASCADE: the dependents go first, in the same transaction.
    let mut txn = catalog.begin().unwrap();
    let dropped = txn
        .drop_secrets(&[secret.id, secret.id], DropBehavior::Cascade)
        .unwrap();
    txn.commit().unwrap();
    assert_eq!(
        dropped
            .connections
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["c1", "c2"]
    );
    assert_eq!(
        dropped
            .secrets
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["secret"]
    );
    assert_eq!(
        catalog
            .connections()
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        [c3.id]
    );
    assert!(
        catalog.dependents(key_id.id).unwrap().is_empty(),
        "dependency rows went with c1 and c2"
    );
    assert_eq!(
        catalog
            .query("SELECT count(*) FROM mz_object_dependencies")
            .unwrap()
            .rows,
        vec![vec![Some("0".to_owned())]]
    );
    assert!(catalog.connection(c1.id).unwrap().is_none());

    // Dropping what is not there, or the wrong kind, names it.
    let mut txn = catalog.begin().unwrap();
    let err = txn
        .drop_secrets(&[secret.id], DropBehavior::Cascade)
        .unwrap_err();
    assert_eq!(err.code(), SqlState::UndefinedObject);
    let err = txn
        .drop_connections(&[ConnectionId(key_id.id.0)])
        .unwrap_err();
    assert!(
        matches!(
            err,
            CatalogError::WrongKind {
                expected: ObjectKind::Connection,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_failing_statement_leaves_everything_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut catalog = open(&path);
    let mut txn = catalog.begin().unwrap();
    let s = txn.create_secret("s", &value("v")).unwrap();
    create(&mut txn, "c", &assume_role()).unwrap();
    txn.commit().unwrap();
    let before = dump_rows(&path);

    // A multi-object statement that fails half way: the engine drops the handle.
    {
        let mut txn = catalog.begin().unwrap();
        txn.create_secret("new_secret", &value("v2")).unwrap();
        create(&mut txn, "new_conn", &assume_role()).unwrap();
        txn.set_aws_principal(Some(PRINCIPAL)).unwrap();
        txn.rotate_secret(s.id, &value("rotated")).unwrap();
        txn.drop_connections(&[ConnectionId(2)]).unwrap();
        let err = create(&mut txn, "s", &assume_role()).unwrap_err();
        assert_eq!(err.code(), SqlState::DuplicateObject);
    }
    assert_eq!(dump_rows(&path), before, "all rows or none");
    assert_eq!(catalog.read_secret(s.id).unwrap().expose_secret(), "v");
    drop(catalog);
    assert_eq!(dump_rows(&path), before);
}

#[test]
fn alter_rename_and_validations() {
    let mut catalog = Catalog::open_in_memory(CatalogConfig {
        aws_principal: Some(PRINCIPAL.to_owned()),
        ..config()
    })
    .unwrap();
    let mut txn = catalog.begin().unwrap();
    let key = txn.create_secret("key", &value("k")).unwrap();
    let c = create(&mut txn, "c", &assume_role()).unwrap();
    txn.commit().unwrap();

    // ALTER to static credentials: the assume-role columns go, a dependency appears.
    let creds = credentials(
        airlock_core::aws::StringOrSecret::Inline("AKIA".into()),
        key.id,
        None,
    );
    let mut txn = catalog.begin().unwrap();
    let altered = txn.alter_connection(c.id, &creds, "CREATE CONNECTION c TO AWS (ACCESS KEY ID = 'AKIA', SECRET ACCESS KEY = SECRET key)", "CREATE CONNECTION c TO AWS (ACCESS KEY ID = '<REDACTED>', SECRET ACCESS KEY = SECRET key)").unwrap();
    txn.commit().unwrap();
    assert_eq!(altered.aws, creds);
    assert_eq!((altered.external_id, altered.principal), (None, None));
    assert_eq!(altered.created_at, c.created_at);
    assert_eq!(catalog.dependents(key.id).unwrap().len(), 1);

    // And back: the external ID is the one the id always had.
    let mut txn = catalog.begin().unwrap();
    let back = txn
        .alter_connection(c.id, &assume_role(), "a", "b")
        .unwrap();
    txn.commit().unwrap();
    assert_eq!(back.external_id, c.external_id);
    assert_eq!(back.example_trust_policy, c.example_trust_policy);
    assert!(catalog.dependents(key.id).unwrap().is_empty());

    // Renames.
    let mut txn = catalog.begin().unwrap();
    txn.rename_connection(
        c.id,
        "c2",
        "CREATE CONNECTION c2 ...",
        "CREATE CONNECTION c2 ...",
    )
    .unwrap();
    txn.rename_secret(key.id, "key2").unwrap();
    txn.commit().unwrap();
    let renamed = catalog.connection_by_name("c2").unwrap().unwrap();
    assert_eq!(
        (renamed.id, renamed.create_sql.as_str()),
        (c.id, "CREATE CONNECTION c2 ...")
    );
    assert!(catalog.connection_by_name("c").unwrap().is_none());
    assert_eq!(catalog.secret_by_name("key2").unwrap().unwrap().id, key.id);

    // Validation history.
    let mut txn = catalog.begin().unwrap();
    txn.record_validation(&Validation {
        connection_id: c.id,
        status: ValidationStatus::Failed,
        caller_arn: None,
        error_code: Some("AccessDenied".into()),
        message: Some("denied".into()),
        non_aws_endpoint: None,
    })
    .unwrap();
    txn.record_validation(&Validation {
        connection_id: c.id,
        status: ValidationStatus::Ok,
        caller_arn: Some("arn:aws:sts::001234567890:assumed-role/Reader/airlock".into()),
        error_code: None,
        message: None,
        non_aws_endpoint: Some("http://127.0.0.1:4566/".into()),
    })
    .unwrap();
    let err = txn
        .record_validation(&Validation {
            connection_id: ConnectionId(key.id.0),
            status: ValidationStatus::Ok,
            caller_arn: None,
            error_code: None,
            message: None,
            non_aws_endpoint: None,
        })
        .unwrap_err();
    assert_eq!(err.code(), SqlState::WrongObjectType);
    txn.commit().unwrap();
    let history = catalog.validations(c.id).unwrap();
    assert_eq!(
        history
            .iter()
            .map(|v| v.validation.status)
            .collect::<Vec<_>>(),
        [ValidationStatus::Failed, ValidationStatus::Ok]
    );
    let rows = catalog.query("SELECT connection_id, status, caller_arn, error_code FROM mz_aws_connection_validations").unwrap();
    assert_eq!(
        rows.rows[0],
        vec![
            Some("u2".into()),
            Some("failed".into()),
            None,
            Some("AccessDenied".into())
        ]
    );
    // A validation against a listed endpoint that is not AWS says so in the history.
    let rows = catalog
        .query("SELECT status, non_aws_endpoint FROM mz_aws_connection_validations")
        .unwrap();
    assert_eq!(
        rows.rows,
        vec![
            vec![Some("failed".into()), None],
            vec![Some("ok".into()), Some("http://127.0.0.1:4566/".into())],
        ]
    );
    assert_eq!(
        history[1].validation.non_aws_endpoint.as_deref(),
        Some("http://127.0.0.1:4566/")
    );
}

#[test]
fn allowed_endpoints_setting_round_trips() {
    let mut catalog = Catalog::open_in_memory(config()).unwrap();
    assert_eq!(catalog.settings().unwrap().aws_allowed_endpoints, None);
    let mut txn = catalog.begin().unwrap();
    txn.set_aws_allowed_endpoints(Some("http://127.0.0.1:4566/,https://minio.internal/"))
        .unwrap();
    txn.commit().unwrap();
    assert_eq!(
        catalog.settings().unwrap().aws_allowed_endpoints.as_deref(),
        Some("http://127.0.0.1:4566/,https://minio.internal/")
    );
    let mut txn = catalog.begin().unwrap();
    txn.set_aws_allowed_endpoints(None).unwrap();
    txn.commit().unwrap();
    assert_eq!(catalog.settings().unwrap().aws_allowed_endpoints, None);
}

#[test]
fn insert_connection_takes_only_allocated_ids() {
    let mut catalog = Catalog::open_in_memory(config()).unwrap();
    let id = ConnectionId::from(catalog.reserve_id().unwrap());
    let mut txn = catalog.begin().unwrap();
    let aws = assume_role();
    let new = NewConnection {
        name: "c",
        aws: &aws,
        create_sql: "x",
        redacted_create_sql: "x",
    };
    let expected = catalog_external_id(&txn, id);
    let c = txn.insert_connection(id, &new).unwrap();
    assert_eq!(c.external_id, Some(expected));
    let err = txn
        .insert_connection(ConnectionId(7), &NewConnection { name: "d", ..new })
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidId { .. }), "{err:?}");
    let err = txn
        .insert_connection(id, &NewConnection { name: "d", ..new })
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidId { .. }), "{err:?}");
    txn.commit().unwrap();
}

fn catalog_external_id(txn: &airlock_catalog::Txn<'_>, id: ConnectionId) -> String {
    external_id(&txn.settings().unwrap().external_id_prefix, id)
}

#[test]
fn timestamps_look_like_postgres_timestamptz() {
    let mut catalog = Catalog::open_in_memory(config()).unwrap();
    let mut txn = catalog.begin().unwrap();
    let s = txn.create_secret("s", &value("v")).unwrap();
    txn.commit().unwrap();
    let ts = &s.created_at;
    assert!(ts.ends_with("+00") && ts.len() >= 22, "{ts}");
    assert_eq!(catalog.secret(s.id).unwrap().unwrap().updated_at, *ts);
    let mut txn = catalog.begin().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let now = txn.now().to_owned();
    txn.rotate_secret(s.id, &value("w")).unwrap();
    txn.commit().unwrap();
    let after = catalog.secret(s.id).unwrap().unwrap();
    assert_eq!(after.created_at, *ts);
    assert_eq!(after.updated_at, now);
    assert!(after.updated_at > after.created_at);
}

#[test]
fn catalog_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<Catalog>();
    assert_send::<CatalogError>();
    assert_send::<airlock_catalog::SecretBackend>();
    let catalog = Catalog::open_in_memory(config()).unwrap();
    let handle = std::thread::spawn(move || catalog.connections().unwrap().len());
    assert_eq!(handle.join().unwrap(), 0);
}

#[test]
fn comments_are_set_replaced_and_removed() {
    let mut catalog = Catalog::open_in_memory(config()).unwrap();
    let mut txn = catalog.begin().unwrap();
    let s = txn.create_secret("s", &value("v")).unwrap();
    let c = create(&mut txn, "c", &assume_role()).unwrap();
    assert_eq!((s.comment.clone(), c.comment.clone()), (None, None));
    txn.set_comment(s.id.into(), ObjectKind::Secret, Some("rotated monthly"))
        .unwrap();
    txn.set_comment(c.id.into(), ObjectKind::Connection, Some("it's the reader"))
        .unwrap();
    // The kind is checked: a secret's id is not a connection.
    let err = txn
        .set_comment(s.id.into(), ObjectKind::Connection, Some("x"))
        .unwrap_err();
    assert_eq!(err.code(), SqlState::WrongObjectType);
    txn.commit().unwrap();
    assert_eq!(
        catalog.secret(s.id).unwrap().unwrap().comment.as_deref(),
        Some("rotated monthly")
    );
    assert_eq!(
        catalog.connections().unwrap()[0].comment.as_deref(),
        Some("it's the reader")
    );
    let mut txn = catalog.begin().unwrap();
    txn.set_comment(s.id.into(), ObjectKind::Secret, None)
        .unwrap();
    txn.commit().unwrap();
    assert_eq!(catalog.secrets().unwrap()[0].comment, None);
}

/// `SCOPE` lives in `aws_connection_scopes` beside its connection: read back with it,
/// replaced or removed by ALTER, gone with DROP, and shown in `mz_aws_connection_scopes`.
#[test]
fn a_scope_is_stored_altered_and_dropped_with_its_connection() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut catalog = open(&path);
    let scoped = |scope: &str| airlock_core::aws::AwsConnection {
        scope: Some(airlock_core::aws::S3Scope::parse(scope).unwrap()),
        ..assume_role()
    };
    let scopes = |catalog: &Catalog| -> Vec<String> {
        catalog
            .query("SELECT connection_id || ' ' || scope FROM mz_aws_connection_scopes ORDER BY 1")
            .unwrap()
            .rows
            .into_iter()
            .map(|row| row[0].clone().unwrap())
            .collect()
    };
    let mut txn = catalog.begin().unwrap();
    let c = create(&mut txn, "c", &scoped("s3://lake/raw")).unwrap();
    let d = create(&mut txn, "d", &assume_role()).unwrap();
    txn.commit().unwrap();
    assert_eq!(c.aws, scoped("s3://lake/raw"));
    assert_eq!(catalog.connection(d.id).unwrap().unwrap().aws.scope, None);
    assert_eq!(scopes(&catalog), ["u1 s3://lake/raw"]);

    let mut txn = catalog.begin().unwrap();
    let altered = txn
        .alter_connection(c.id, &scoped("s3://lake"), "a", "b")
        .unwrap();
    txn.alter_connection(d.id, &scoped("s3://lake/raw/x"), "a", "b")
        .unwrap();
    txn.commit().unwrap();
    assert_eq!(altered.aws, scoped("s3://lake"));
    assert_eq!(scopes(&catalog), ["u1 s3://lake", "u2 s3://lake/raw/x"]);

    let mut txn = catalog.begin().unwrap();
    txn.alter_connection(c.id, &assume_role(), "a", "b")
        .unwrap();
    txn.drop_connections(&[d.id]).unwrap();
    txn.commit().unwrap();
    assert_eq!(catalog.connection(c.id).unwrap().unwrap().aws.scope, None);
    assert!(scopes(&catalog).is_empty());
}
