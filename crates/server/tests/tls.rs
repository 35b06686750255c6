//! TLS (rustls on ring): psql with `sslmode=require` gets an encrypted session, SCRAM
//! over TLS works, and `--require-tls` refuses plaintext clients.

mod common;

use std::process::Command;

use common::{TestServer, psql, text};

/// A self-signed certificate and key for `localhost`, made by the openssl CLI.
fn certificate(dir: &std::path::Path) -> (String, String) {
    let (cert, key) = airlock_testkit::tls::self_signed(dir, "localhost", "server");
    (
        cert.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
    )
}

#[test]
fn sslmode_require_works_and_plaintext_can_be_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate(dir.path());
    let server = TestServer::start_in(
        dir,
        &[
            "--auth",
            "trust",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--require-tls",
        ],
    );
    let out = psql(
        server.addr,
        "alice",
        &["-A", "-t"],
        "SELECT name FROM mz_secrets;\nCREATE SECRET s AS 'x';\nSELECT name FROM mz_secrets;\n",
        &[("PGSSLMODE", "require")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "CREATE SECRET\ns\n");
    // psql's \conninfo says the session is encrypted.
    let out = psql(
        server.addr,
        "alice",
        &[],
        "\\conninfo\n",
        &[("PGSSLMODE", "require")],
    );
    assert!(
        text(&out.stdout).contains("SSL connection (protocol: TLSv1.3"),
        "{}",
        text(&out.stdout)
    );

    let out = psql(
        server.addr,
        "alice",
        &["-c", "SELECT 1"],
        "",
        &[("PGSSLMODE", "disable")],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("this server accepts TLS connections only"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn scram_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate(dir.path());
    let verifier = Command::new(env!("CARGO_BIN_EXE_airlock-server"))
        .arg("--print-verifier")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"s3cret\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let users = dir.path().join("users");
    std::fs::write(&users, format!("alice:{}", text(&verifier.stdout))).unwrap();
    let users = users.to_string_lossy().into_owned();
    let server = TestServer::start_in(
        dir,
        &["--users", &users, "--tls-cert", &cert, "--tls-key", &key],
    );
    let ok = psql(
        server.addr,
        "alice",
        &["-A", "-t", "-c", "SHOW session_authorization"],
        "",
        &[("PGSSLMODE", "require"), ("PGPASSWORD", "s3cret")],
    );
    assert!(
        ok.status.success(),
        "{}\n{}",
        text(&ok.stderr),
        server.stderr()
    );
    assert_eq!(text(&ok.stdout), "alice\n");
    let bad = psql(
        server.addr,
        "alice",
        &["-c", "SELECT 1"],
        "",
        &[("PGSSLMODE", "require"), ("PGPASSWORD", "wrong")],
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("password authentication failed for user \"alice\""),
        "{}",
        text(&bad.stderr)
    );
}
