//! TLS to the catalog database, as libpq's `sslmode` and `sslrootcert` ask.
//!
//! The client library knows three modes (`disable`, `prefer`, `require`) and leaves the
//! checking of certificates to its TLS connector; a PostgreSQL URL written for psql or
//! libpq says more. The catalog reads both parameters from the URL itself and hands the
//! client the rest:
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow`, `prefer` (the default) | when the server offers it | not checked |
//! | `require` | always | not checked; with `sslrootcert`, as `verify-ca` (libpq's rule) |
//! | `verify-ca` | always | signed by a root of `sslrootcert` |
//! | `verify-full` | always | signed by a root of `sslrootcert`, and for the URL's host |
//!
//! `sslrootcert` is a PEM file of root certificates, or `system` for the operating
//! system's roots; the two `verify-` modes need it (libpq would look for
//! `~/.postgresql/root.crt`; the catalog asks for it to be named). A certificate that is
//! "not checked" still encrypts the connection, against a passive eavesdropper only, as
//! libpq's modes do. `allow` (plaintext first) is not something the client can do: it
//! acts as `prefer`.
//!
//! TLS runs over TCP only: PostgreSQL offers none on a Unix socket, where `prefer`
//! carries on in plaintext and `require` fails.

use std::fmt;
use std::sync::Arc;

use ::postgres::config::SslMode;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

/// The TLS connector every connection to the catalog database is made with.
pub(crate) type Tls = MakeRustlsConnect;

/// What the URL asks of TLS: the URL without `sslmode` and `sslrootcert`, the client's
/// mode, and the connector.
pub(crate) struct Settings {
    pub(crate) url: String,
    pub(crate) mode: SslMode,
    pub(crate) tls: Tls,
}

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Where the roots that sign the server's certificate come from.
enum Roots {
    File(String),
    System,
}

/// Reads `sslmode` and `sslrootcert` off `url` (a `postgres://` URL). The error is
/// what is wrong, for the caller's "invalid catalog URL" message; it never quotes the
/// URL (which may hold a password).
pub(crate) fn settings(url: &str) -> Result<Settings, String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, query),
        None => (url, ""),
    };
    let (mut mode, mut roots) = (None, None);
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| format!("the value of {key} is not UTF-8"))?;
        match key {
            "sslmode" => {
                mode = Some(match &*value {
                    "disable" => Mode::Disable,
                    "allow" | "prefer" => Mode::Prefer,
                    "require" => Mode::Require,
                    "verify-ca" => Mode::VerifyCa,
                    "verify-full" => Mode::VerifyFull,
                    other => {
                        return Err(format!(
                            "sslmode \"{other}\" is not one of disable, allow, prefer, require, verify-ca, verify-full"
                        ));
                    }
                });
            }
            "sslrootcert" => {
                roots = Some(match &*value {
                    "system" => Roots::System,
                    path => Roots::File(path.to_owned()),
                });
            }
            _ => kept.push(pair),
        }
    }
    let mode = match (mode.unwrap_or(Mode::Prefer), &roots) {
        // libpq: with a root certificate, `require` checks the chain as `verify-ca` does.
        (Mode::Require, Some(_)) => Mode::VerifyCa,
        (Mode::VerifyCa | Mode::VerifyFull, None) => {
            return Err(
                "sslmode verify-ca and verify-full need the roots that sign the server's certificate: add sslrootcert=/path/to/root.crt, or sslrootcert=system"
                    .to_owned(),
            );
        }
        (mode, _) => mode,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match (mode, roots) {
        (Mode::VerifyCa | Mode::VerifyFull, Some(roots)) => {
            let full = WebPkiServerVerifier::builder_with_provider(
                Arc::new(root_store(&roots)?),
                Arc::clone(&provider),
            )
            .build()
            .map_err(|e| format!("the roots of sslrootcert cannot be used: {e}"))?;
            if mode == Mode::VerifyFull {
                full
            } else {
                Arc::new(Lenient {
                    chain: Some(full),
                    provider: Arc::clone(&provider),
                })
            }
        }
        _ => Arc::new(Lenient {
            chain: None,
            provider: Arc::clone(&provider),
        }),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS cannot be set up: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(Settings {
        url,
        mode: match mode {
            Mode::Disable => SslMode::Disable,
            Mode::Prefer => SslMode::Prefer,
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
        },
        tls: MakeRustlsConnect::new(config),
    })
}

fn root_store(roots: &Roots) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::File(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("sslrootcert {path} cannot be read: {e}"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    format!("sslrootcert {path} is not a PEM file of certificates: {e}")
                })?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!("sslrootcert {path} holds no usable certificate"));
            }
        }
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err("sslrootcert=system: the system has no root certificates".to_owned());
            }
        }
    }
    Ok(store)
}

/// The modes that check less than `verify-full`. With `chain` (`verify-ca`), the chain
/// must lead to a root, whatever name the certificate is for: webpki checks the chain
/// first and the name last, so "not valid for this name" means that the chain was good.
/// Without (`prefer`, `require`), the certificate is not checked at all. Either way the
/// handshake's own signatures are, with the provider's algorithms (as webpki's verifier
/// checks them).
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl fmt::Debug for Lenient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lenient")
            .field("chain", &self.chain.is_some())
            .finish_non_exhaustive()
    }
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
