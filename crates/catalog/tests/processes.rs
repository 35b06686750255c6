//! Several processes on one catalog file: concurrent writers, and a writer killed with
//! SIGKILL in the middle of a stream of writes.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

use airlock_catalog::{Catalog, DropBehavior};
use airlock_core::SecretString;
use airlock_core::aws::{AwsAuth, StringOrSecret};
use common::*;

const PER_PROCESS: usize = 500;

/// The child side of both tests. Does nothing in a normal test run.
#[test]
fn child_worker() {
    let Ok(role) = std::env::var(CHILD_ENV) else {
        return;
    };
    let path = std::env::var("AIRLOCK_TEST_PATH").unwrap();
    let tag = std::env::var("AIRLOCK_TEST_TAG").unwrap();
    let mut catalog = open(std::path::Path::new(&path));
    match role.as_str() {
        // One transaction per connection, as the engine commits one statement at a
        // time; every fifth one uses a fresh secret.
        "writer" => {
            for i in 0..PER_PROCESS {
                let mut txn = catalog.begin().unwrap();
                let aws = if i % 5 == 0 {
                    let s = txn
                        .create_secret(&format!("{tag}_s{i}"), &SecretString::new("v"))
                        .unwrap();
                    println!("@@ secret {}", s.id);
                    credentials(StringOrSecret::Inline("AKIA".into()), s.id, None)
                } else {
                    assume_role()
                };
                let c = create(&mut txn, &format!("{tag}_c{i}"), &aws).unwrap();
                txn.commit().unwrap();
                println!("@@ conn {}", c.id);
            }
        }
        // Writes until killed: creates, alters, cascading drops, principal changes.
        "endless" => {
            for i in 0.. {
                let mut txn = catalog.begin().unwrap();
                let s = txn
                    .create_secret(&format!("s{i}"), &SecretString::new("v"))
                    .unwrap();
                let a = create(
                    &mut txn,
                    &format!("a{i}"),
                    &credentials(StringOrSecret::Secret(s.id), s.id, None),
                )
                .unwrap();
                create(&mut txn, &format!("b{i}"), &assume_role()).unwrap();
                if i % 3 == 0 {
                    txn.alter_connection(a.id, &assume_role(), "altered", "altered")
                        .unwrap();
                }
                if i % 7 == 0 && i > 0 {
                    let old = txn.secret_by_name(&format!("s{}", i - 1)).unwrap().unwrap();
                    txn.drop_secrets(&[old.id], DropBehavior::Cascade).unwrap();
                }
                if i % 11 == 0 {
                    let principal = format!("arn:aws:iam::123456789012:role/P{i}");
                    txn.set_aws_principal(Some(&principal)).unwrap();
                }
                txn.commit().unwrap();
                println!("@@ committed {i}");
            }
        }
        other => panic!("unknown child role {other}"),
    }
}

#[test]
fn two_processes_writing_500_connections_each_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let p = path.to_str().unwrap();
    // The children race to create the file too.
    let children: Vec<_> = ["left", "right"]
        .into_iter()
        .map(|tag| {
            child_command(
                "child_worker",
                &[
                    (CHILD_ENV, "writer"),
                    ("AIRLOCK_TEST_PATH", p),
                    ("AIRLOCK_TEST_TAG", tag),
                ],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();

    let mut all_ids = BTreeSet::new();
    let mut total = 0;
    let mut ranges = Vec::new();
    for out in &outputs {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "child failed: {stderr}");
        assert!(!stderr.contains("locked"), "{stderr}");
        let lines = child_lines(out);
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("conn ")).count(),
            PER_PROCESS
        );
        let numbers: Vec<u64> = lines
            .iter()
            .map(|l| l.split(" u").nth(1).unwrap().parse().unwrap())
            .collect();
        ranges.push((
            *numbers.iter().min().unwrap(),
            *numbers.iter().max().unwrap(),
        ));
        for line in lines {
            let id = line.split(' ').nth(1).unwrap().to_owned();
            assert!(all_ids.insert(id.clone()), "id {id} handed out twice");
            total += 1;
        }
    }
    // The writers really contended: their id ranges interleave.
    assert!(
        ranges[0].0 < ranges[1].1 && ranges[1].0 < ranges[0].1,
        "{ranges:?}"
    );
    let catalog = open(&path);
    let connections = catalog.connections().unwrap();
    assert_eq!(connections.len(), 2 * PER_PROCESS, "no connection lost");
    assert_eq!(catalog.secrets().unwrap().len(), 2 * PER_PROCESS / 5);
    let stored: BTreeSet<String> = connections
        .iter()
        .map(|c| c.id.to_string())
        .chain(catalog.secrets().unwrap().iter().map(|s| s.id.to_string()))
        .collect();
    assert_eq!(
        stored, all_ids,
        "every id a child saw committed is in the catalog"
    );
    assert_eq!(total, all_ids.len());
    // Ids are dense: nothing was handed out that did not commit.
    assert_eq!(all_ids.len(), 2 * PER_PROCESS + 2 * PER_PROCESS / 5);
    assert_consistent(&catalog, &path);
}

#[test]
fn a_writer_killed_mid_stream_leaves_a_consistent_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    drop(open(&path));
    let p = path.to_str().unwrap();
    let mut child = child_command(
        "child_worker",
        &[
            (CHILD_ENV, "endless"),
            ("AIRLOCK_TEST_PATH", p),
            ("AIRLOCK_TEST_TAG", "k"),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // Kept open until the kill, so the child never sees a closed pipe first.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut last_committed = None;
    for line in lines.by_ref() {
        if let Some(n) = line.unwrap().strip_prefix("@@ committed ") {
            let n: u64 = n.parse().unwrap();
            last_committed = Some(n);
            if n >= 120 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix: no destructor, no checkpoint, mid-transaction.
    child.wait().unwrap();
    drop(lines);
    let last = last_committed.expect("the child committed something");

    let catalog = open(&path);
    // Every transaction the child saw commit is there.
    for i in 0..=last {
        assert!(
            catalog.object_by_name(&format!("b{i}")).unwrap().is_some(),
            "b{i} lost"
        );
    }
    assert_consistent(&catalog, &path);
}

/// The invariants a crash must not break.
fn assert_consistent(catalog: &Catalog, path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let fk_violations: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk_violations, 0);
    let next_id: i64 = conn
        .query_row("SELECT next_id FROM id_sequence", [], |r| r.get(0))
        .unwrap();
    let max_id: i64 = conn
        .query_row("SELECT coalesce(max(id), 0) FROM objects", [], |r| r.get(0))
        .unwrap();
    assert!(max_id < next_id, "the sequence is ahead of every id");
    let orphans: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM objects o WHERE kind = 'connection' AND NOT EXISTS (SELECT 1 FROM aws_connections a WHERE a.id = o.id))
                  + (SELECT count(*) FROM objects o WHERE kind = 'secret' AND NOT EXISTS (SELECT 1 FROM secret_ciphertexts c WHERE c.secret_id = o.id))",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        orphans, 0,
        "every connection has its AWS row, every secret its value"
    );

    let principal = catalog.settings().unwrap().aws_principal;
    let prefix = catalog.external_id_prefix();
    // Reading every connection rebuilds its model: that fails on a half-written row.
    for c in catalog.connections().unwrap() {
        let deps: BTreeSet<_> = catalog
            .dependencies(c.id)
            .unwrap()
            .into_iter()
            .map(|o| o.id)
            .collect();
        let expected: BTreeSet<_> = c
            .aws
            .referenced_secrets()
            .into_iter()
            .map(Into::into)
            .collect();
        assert_eq!(deps, expected, "dependency rows of {}", c.name);
        match &c.aws.auth {
            AwsAuth::AssumeRole(_) => {
                assert_eq!(
                    c.external_id,
                    Some(airlock_core::aws::external_id(&prefix, c.id))
                );
                assert_eq!(
                    c.principal, principal,
                    "{} follows the current principal",
                    c.name
                );
            }
            AwsAuth::Credentials(_) | AwsAuth::DefaultChain => assert_eq!(c.external_id, None),
        }
    }
    for s in catalog.secrets().unwrap() {
        catalog.read_secret(s.id).unwrap();
    }
}
