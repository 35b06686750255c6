//! Issue 18 in the catalog: the session duration and STS options are stored and read
//! back, and `mz_aws_connection_credentials` (the engine qualifies it `mz_internal`) shows what credentials handles
//! record, for every process that opens the file.

mod common;

use std::time::{Duration, UNIX_EPOCH};

use airlock_catalog::{Catalog, CredentialsEvent, CredentialsHealth};
use airlock_core::aws::{AwsAuth, AwsSts};
use common::*;

fn rows(catalog: &Catalog, sql: &str) -> Vec<Vec<Option<String>>> {
    catalog.query(sql).unwrap().rows
}

#[test]
fn duration_and_sts_options_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut catalog = open(&path);
    let mut aws = assume_role();
    if let AwsAuth::AssumeRole(role) = &mut aws.auth {
        role.session_duration = Some(5400);
    }
    aws.sts = AwsSts {
        endpoint: Some("https://sts-fips.us-east-1.amazonaws.com/".to_owned()),
        region: Some("us-east-1".to_owned()),
    };
    let mut txn = catalog.begin().unwrap();
    let entry = create(&mut txn, "c", &aws).unwrap();
    txn.commit().unwrap();
    assert_eq!(entry.aws, aws);
    drop(catalog);
    // Another process reads the same options.
    let again = open(&path);
    assert_eq!(again.connection_by_name("c").unwrap().unwrap().aws, aws);
}

#[test]
fn the_schema_refuses_a_duration_out_of_range_or_without_a_role() {
    let dir = tempfile::tempdir().unwrap();
    let mut catalog = open(&db_path(&dir));
    let mut aws = assume_role();
    if let AwsAuth::AssumeRole(role) = &mut aws.auth {
        role.session_duration = Some(60);
    }
    let mut txn = catalog.begin().unwrap();
    assert!(create(&mut txn, "c", &aws).is_err());
}

#[test]
fn health_rows_are_upserted_and_dropped_with_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut catalog = open(&path);
    let mut txn = catalog.begin().unwrap();
    let entry = create(&mut txn, "c", &assume_role()).unwrap();
    txn.commit().unwrap();
    let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);

    let record = |catalog: &mut Catalog, event| {
        let mut txn = catalog.begin().unwrap();
        txn.record_credentials_health(&CredentialsHealth {
            connection_id: entry.id,
            event,
        })
        .unwrap();
        txn.commit().unwrap();
    };
    record(
        &mut catalog,
        CredentialsEvent::Failed {
            at,
            error: "AccessDenied: no".to_owned(),
        },
    );
    let sql = "SELECT connection_id, last_assumed_at, expires_at, last_refresh_error, \
               last_error_at, session_duration_seconds, chained \
               FROM mz_aws_connection_credentials";
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        rows(&catalog, sql),
        [vec![
            s("u1"),
            None,
            None,
            s("AccessDenied: no"),
            s("2023-11-14 22:13:20+00"),
            None,
            None
        ]]
    );
    record(
        &mut catalog,
        CredentialsEvent::Assumed {
            at: at + Duration::from_secs(60),
            expires_at: Some(at + Duration::from_secs(60 + 3600)),
            session_duration: Some(3600),
            chained: true,
        },
    );
    // Another process sees the row; the last error stays, older than the session.
    let other = open(&path);
    assert_eq!(
        rows(&other, sql),
        [vec![
            s("u1"),
            s("2023-11-14 22:14:20+00"),
            s("2023-11-14 23:14:20+00"),
            s("AccessDenied: no"),
            s("2023-11-14 22:13:20+00"),
            s("3600"),
            s("t")
        ]]
    );
    // The design document's JOIN style.
    assert_eq!(
        rows(
            &other,
            "SELECT c.name, h.chained FROM mz_connections c \
             JOIN mz_aws_connection_credentials h ON h.connection_id = c.id"
        ),
        [vec![s("c"), s("t")]]
    );
    let mut txn = catalog.begin().unwrap();
    txn.drop_connections(&[entry.id]).unwrap();
    txn.commit().unwrap();
    assert!(rows(&catalog, sql).is_empty());
    // A dropped connection's health is refused, not written.
    let mut txn = catalog.begin().unwrap();
    assert!(
        txn.record_credentials_health(&CredentialsHealth {
            connection_id: entry.id,
            event: CredentialsEvent::Failed {
                at,
                error: "x".into()
            },
        })
        .is_err()
    );
}
