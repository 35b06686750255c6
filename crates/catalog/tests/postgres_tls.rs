//! TLS to a PostgreSQL catalog: libpq's `sslmode` and `sslrootcert` in the catalog's
//! URL, against a real PostgreSQL 15 serving TLS on a loopback address, with
//! certificates made by the openssl CLI.

mod common;

use airlock_catalog::{Catalog, CatalogError};
use airlock_core::SqlError;
use airlock_testkit::postgres::{PORT, Server};
use airlock_testkit::tls;
use common::*;

/// The name the server's certificate is for (reached through `hostaddr`).
const NAME: &str = "airlock-catalog.test";

/// The catalog URL of database `db` reached over TCP at `address` under host name
/// `host`, with `params` (`sslmode=…&sslrootcert=…`).
fn url(host: &str, address: &str, db: &str, params: &str) -> String {
    format!("postgres://postgres@{host}:{PORT}/{db}?hostaddr={address}&{params}")
}

/// How many of the server's sessions named `application_name` are encrypted, and how
/// many there are.
fn encrypted(server: &Server, application_name: &str) -> (String, String) {
    let out = server.psql(
        &["-At"],
        &format!(
            "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_activity a \
             JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = '{application_name}'"
        ),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (tls, all) = text.trim().split_once('|').unwrap();
    (tls.to_owned(), all.to_owned())
}

fn refused(url: &str) -> CatalogError {
    match Catalog::open(url, config()) {
        Ok(_) => panic!("{url} was accepted"),
        Err(e) => e,
    }
}

#[test]
fn sslmode_and_sslrootcert_work_as_in_libpq() {
    let dir = tempfile::tempdir().unwrap();
    tls::self_signed(dir.path(), "test-root", "ca");
    tls::self_signed(dir.path(), "another-root", "other_ca");
    let (cert, key) = tls::signed(dir.path(), "ca", NAME, "server");
    let server = Server::start();
    let address = server.enable_tls(&cert, &key);
    server.create_database("tls");
    let ca = dir.path().join("ca.crt");
    let ca = ca.to_str().unwrap();

    // verify-full: encrypted, the certificate signed by the root and for the host name;
    // every connection of the catalog (its writer, its query pool, its change watch).
    let catalog = Catalog::open(
        url(
            NAME,
            &address,
            "tls",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        config(),
    )
    .unwrap();
    catalog
        .query("SELECT count(*) FROM mz_catalog.mz_secrets")
        .unwrap();
    let watch = catalog.change_watch();
    assert_eq!(
        encrypted(&server, "airlock"),
        ("1".to_owned(), "1".to_owned())
    );
    airlock_testkit::eventually(
        "the change watch to connect",
        std::time::Duration::from_secs(10),
        || (encrypted(&server, "airlock-watch").1 == "1").then_some(()),
    );
    assert_eq!(
        encrypted(&server, "airlock-watch"),
        ("1".to_owned(), "1".to_owned())
    );
    drop((watch, catalog));

    // require: encrypted, the certificate not checked (as libpq without a root file).
    let catalog = Catalog::open(
        url("wrong.test", &address, "tls", "sslmode=require"),
        config(),
    )
    .unwrap();
    assert_eq!(
        encrypted(&server, "airlock"),
        ("1".to_owned(), "1".to_owned())
    );
    drop(catalog);

    // The default (prefer) takes TLS when the server offers it.
    let catalog =
        Catalog::open(url(NAME, &address, "tls", "connect_timeout=10"), config()).unwrap();
    assert_eq!(
        encrypted(&server, "airlock"),
        ("1".to_owned(), "1".to_owned())
    );
    drop(catalog);

    // A certificate for another name: refused by verify-full, accepted by verify-ca.
    let other_name = url(
        "wrong.test",
        &address,
        "tls",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let err = refused(&other_name);
    assert_eq!(err.code().code(), "08006", "{err}");
    let chain = format!("{err} {:?}", std::error::Error::source(&err));
    assert!(
        chain.contains("certificate") || chain.contains("Certificate"),
        "{chain}"
    );
    Catalog::open(
        url(
            "wrong.test",
            &address,
            "tls",
            &format!("sslmode=verify-ca&sslrootcert={ca}"),
        ),
        config(),
    )
    .unwrap();

    // Signed by a root the URL does not name: refused by verify-ca, and by require with
    // that root (libpq: require with a root file checks the chain).
    let other = dir.path().join("other_ca.crt");
    let other = other.to_str().unwrap();
    for mode in ["verify-ca", "verify-full", "require"] {
        let err = refused(&url(
            NAME,
            &address,
            "tls",
            &format!("sslmode={mode}&sslrootcert={other}"),
        ));
        assert_eq!(err.code().code(), "08006", "{mode}: {err}");
    }

    // A server that offers no TLS (the Unix socket): require fails, prefer goes on.
    let socket = server.url("tls");
    let err = refused(&format!("{socket}?sslmode=require"));
    assert_eq!(err.code().code(), "08006", "{err}");
    Catalog::open(format!("{socket}?sslmode=prefer"), config()).unwrap();
}

#[test]
fn tls_settings_that_cannot_work_are_refused_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.crt");
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    // No server is listening: every refusal below comes from reading the URL.
    let base = "postgres://postgres:url-password-9b1e@127.0.0.1:1/db";
    for (params, says) in [
        ("sslmode=verify-full", "sslrootcert"),
        ("sslmode=verify-ca", "sslrootcert"),
        ("sslmode=sometimes", "sometimes"),
        (
            &*format!("sslmode=verify-full&sslrootcert={}", missing.display()),
            "cannot be read",
        ),
        (
            &*format!("sslmode=verify-full&sslrootcert={}", not_pem.display()),
            "no usable certificate",
        ),
    ] {
        let err = refused(&format!("{base}?{params}"));
        let text = err.to_string();
        assert!(
            matches!(err, CatalogError::InvalidUrl { .. }),
            "{params}: {err:?}"
        );
        assert!(text.contains(says), "{params}: {text}");
        assert!(
            !text.contains("url-password-9b1e"),
            "the password in {text}"
        );
    }
}
