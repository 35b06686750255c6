//! Certificates for TLS tests, made by the openssl CLI: ECDSA P-256 keys, valid for two
//! days, written into the test's own directory.

use std::path::{Path, PathBuf};
use std::process::Command;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed certificate `{stem}.crt` for common name `name`, and its key
/// `{stem}.key`, in `dir`: a server's own certificate, or a root that signs others
/// ([`signed`]). Returns their paths.
pub fn self_signed(dir: &Path, name: &str, stem: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (format!("{stem}.crt"), format!("{stem}.key"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &key,
            "-out",
            &cert,
        ],
    );
    (dir.join(cert), dir.join(key))
}

/// A certificate `{stem}.crt` for DNS name `name` (its subject alternative name),
/// signed by the root `{root}.crt` / `{root}.key` that [`self_signed`] made in `dir`,
/// and its key `{stem}.key`. Returns their paths.
pub fn signed(dir: &Path, root: &str, name: &str, stem: &str) -> (PathBuf, PathBuf) {
    let (cert, key, csr, ext) = (
        format!("{stem}.crt"),
        format!("{stem}.key"),
        format!("{stem}.csr"),
        format!("{stem}.ext"),
    );
    std::fs::write(dir.join(&ext), format!("subjectAltName=DNS:{name}\n"))
        .expect("write the extensions file");
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &key,
            "-out",
            &csr,
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &format!("{root}.crt"),
            "-CAkey",
            &format!("{root}.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    );
    (dir.join(cert), dir.join(key))
}
