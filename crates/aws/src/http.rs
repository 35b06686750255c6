//! The one HTTP client Airlock's AWS calls use: hyper with rustls on the `ring` crypto
//! provider, trusting the system's certificate store.
//!
//! The SDK's default client uses rustls on `aws-lc-rs`, whose C build alone costs more
//! than two minutes of a first `cargo build` on a small machine. `ring` is rustls' other
//! supported provider, with the same TLS 1.2/1.3 cipher suites the SDK allows; Airlock
//! needs no FIPS mode and no post-quantum key exchange towards STS. Plain `http://`
//! (an emulator on loopback, when the operator lists it) goes through the same client.

use aws_sdk_sts::config::SharedHttpClient;
use aws_smithy_http_client::Builder;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// A new HTTPS client. Each configuration gets one; clients built from that
/// configuration share its connection pool.
pub fn https_client() -> SharedHttpClient {
    Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}
