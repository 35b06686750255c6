//! Roles, owners and ACLs as the catalog stores them: a new catalog's roles, an older
//! catalog gaining roles, and what ownership changes do to an object's privileges.

mod common;

use airlock_catalog::{
    AclTarget, Catalog, CatalogConfig, MIGRATIONS, RoleAttributes, RoleId, SecretEntry,
};
use airlock_core::SecretString;
use common::*;

fn rows(catalog: &Catalog, sql: &str) -> Vec<Vec<String>> {
    catalog
        .query(sql)
        .unwrap()
        .rows
        .into_iter()
        .map(|row| row.into_iter().map(|v| v.unwrap_or_default()).collect())
        .collect()
}

fn secret(catalog: &mut Catalog, owner: Option<RoleId>, name: &str) -> SecretEntry {
    let mut txn = catalog.begin().unwrap();
    if let Some(owner) = owner {
        txn.act_as(owner);
    }
    let secret = txn.create_secret(name, &SecretString::new("v")).unwrap();
    txn.commit().unwrap();
    secret
}

#[test]
fn a_new_catalog_has_mz_system_and_its_first_user() {
    let config = CatalogConfig {
        bootstrap_role: Some("alice".to_owned()),
        ..config()
    };
    let catalog = Catalog::open_in_memory(config).unwrap();
    assert_eq!(
        rows(
            &catalog,
            "SELECT id, oid, name, rolcanlogin, rolsuper FROM mz_roles ORDER BY id"
        ),
        [
            ["s1", "10001", "mz_system", "t", "t"],
            ["u1", "1073741825", "alice", "t", "t"],
        ]
    );
    // The schema's ACL: PUBLIC may use it, mz_system may create in it.
    let acl = catalog.roles().acl(AclTarget::Schema).unwrap();
    let items: Vec<String> = acl
        .iter()
        .map(|i| format!("{}={}/{}", i.grantee, i.privileges, i.grantor))
        .collect();
    assert_eq!(items, ["s1=UC/s1", "p=U/s1"]);
}

#[test]
fn objects_belong_to_their_creator_who_may_use_them() {
    let mut catalog = Catalog::open_in_memory(config()).unwrap();
    let joe = {
        let mut txn = catalog.begin().unwrap();
        let joe = txn.create_role("joe", RoleAttributes::default()).unwrap();
        txn.commit().unwrap();
        joe
    };
    assert_eq!(joe.id.as_str(), "u2");
    assert!(!joe.superuser && !joe.login);
    let s = secret(&mut catalog, Some(joe.id.clone()), "s");
    let t = secret(&mut catalog, None, "t");
    assert_eq!(
        rows(
            &catalog,
            "SELECT name, owner_id, privileges FROM mz_secrets ORDER BY name"
        ),
        [["s", "u2", "{u2=U/u2}"], ["t", "s1", "{s1=U/s1}"]]
    );
    assert_eq!(
        catalog.roles().owned_by(&joe.id).unwrap()[0].id,
        s.id.into()
    );
    // Giving t to joe: joe takes mz_system's place as grantee and grantor.
    let mut txn = catalog.begin().unwrap();
    txn.grant(
        AclTarget::Object(t.id.into()),
        &RoleId::public(),
        &RoleId::mz_system(),
        "U",
    )
    .unwrap();
    txn.set_owner(t.id.into(), &joe.id).unwrap();
    txn.commit().unwrap();
    assert_eq!(
        rows(
            &catalog,
            "SELECT privileges FROM mz_secrets WHERE name = 't'"
        ),
        [["{u2=U/u2,=U/u2}"]]
    );
}

#[test]
fn membership_is_transitive_and_public_counts() {
    let mut catalog = Catalog::open_in_memory(config()).unwrap();
    let mut txn = catalog.begin().unwrap();
    let a = txn.create_role("a", RoleAttributes::default()).unwrap();
    let b = txn.create_role("b", RoleAttributes::default()).unwrap();
    let c = txn.create_role("c", RoleAttributes::default()).unwrap();
    assert!(
        txn.grant_membership(&a.id, &b.id, &RoleId::mz_system())
            .unwrap()
    );
    assert!(
        txn.grant_membership(&b.id, &c.id, &RoleId::mz_system())
            .unwrap()
    );
    assert!(
        !txn.grant_membership(&b.id, &c.id, &RoleId::mz_system())
            .unwrap()
    );
    txn.commit().unwrap();
    let of_c: Vec<String> = catalog
        .roles()
        .member_of(&c.id)
        .unwrap()
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert_eq!(of_c, ["p", "u2", "u3", "u4"]);
    assert_eq!(
        rows(
            &catalog,
            "SELECT role_id, member, grantor FROM mz_role_members ORDER BY 1"
        ),
        [["u2", "u3", "s1"], ["u3", "u4", "s1"]]
    );
}

/// A catalog written before roles existed: its objects go to mz_system, with mz_system's
/// USAGE, and it gains its first user when this version opens it.
#[test]
fn an_older_catalog_gains_roles_and_keeps_its_objects() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        let tx = conn.transaction().unwrap();
        for m in MIGRATIONS.iter().take(6) {
            tx.execute_batch(m.sql).unwrap();
            tx.pragma_update(None, "user_version", m.version).unwrap();
        }
        tx.execute_batch(
            "INSERT INTO settings (singleton, environment_id, external_id_prefix) VALUES (1, 'e5d0a7a6-45e2-4b8e-9b0f-6b1f8a7c2d11', 'eb5cb59b-e2fe-41f3-87ca-d2176a495345');
             UPDATE id_sequence SET next_id = 2;
             INSERT INTO objects (id, kind, name, created_at) VALUES (1, 'secret', 'old', '2024-01-01 00:00:00+00');
             INSERT INTO secrets VALUES (1, '2024-01-01 00:00:00+00');",
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let config = CatalogConfig {
        bootstrap_role: Some("ops".to_owned()),
        ..config()
    };
    let catalog = Catalog::open(&path, config.clone()).unwrap();
    assert_eq!(
        rows(
            &catalog,
            "SELECT name, owner_id, privileges FROM mz_secrets"
        ),
        [["old", "s1", "{s1=U/s1}"]]
    );
    assert_eq!(
        rows(
            &catalog,
            "SELECT id, name, rolsuper FROM mz_roles ORDER BY id"
        ),
        [["s1", "mz_system", "t"], ["u1", "ops", "t"]]
    );
    drop(catalog);
    // Opened again (by another first user), it stays as it is.
    let again = Catalog::open(
        &path,
        CatalogConfig {
            bootstrap_role: Some("someone_else".to_owned()),
            ..config
        },
    )
    .unwrap();
    assert_eq!(rows(&again, "SELECT count(*) FROM mz_roles"), [["2"]]);
}
