//! Airlock's AWS side: the STS validator behind `VALIDATE CONNECTION` and the credentials
//! provider hosts use to act through a connection.
//!
//! The engine reads a connection's secrets, derives its external ID, and hands this crate a
//! [`ResolvedConnection`]; nothing here touches the catalog.
//!
//! ```no_run
//! # async fn demo() {
//! use airlock_aws::{AwsConfig, ResolvedConnection, Validator};
//!
//! let config = AwsConfig::from_env().await; // Airlock's identity: the default chain
//! let validator = Validator::new(&config);
//! let conn = ResolvedConnection::assume_role(
//!     "arn:aws:iam::123456789012:role/Reader",
//!     "mz_eb5cb59b-e2fe-41f3-87ca-d2176a495345_u3",
//! );
//! let report = validator
//!     .validate(&conn, Some("arn:aws:iam::000000000000:role/AirlockConnection"))
//!     .await;
//! match report.into_result() {
//!     Ok(report) => println!("{:?}", report.rows()),
//!     Err(err) => eprintln!("{}", airlock_core::Diagnostic::from(err).render()),
//! }
//! # }
//! ```
//!
//! See `docs/aws.md` for the principal chain, the probes and how to read each outcome.

mod config;
mod connection;
mod credentials;
pub mod endpoints;
mod http;
mod identity;
mod probes;
mod report;
mod scrub;
mod session;
mod sts;
mod validate;

pub use config::{AwsConfig, DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT};
pub use connection::{
    AccessKey, AssumeRoleTarget, DEFAULT_SESSION_NAME, ResolvedAuth, ResolvedConnection,
};
pub use credentials::{CredentialsError, sdk_config};
pub use endpoints::{AllowedEndpoints, EndpointError, EndpointUse};
pub use http::https_client;
pub use identity::PRINCIPAL_SESSION_NAME;
pub use report::{Check, CheckName, Status, ValidationError, ValidationReport};
pub use scrub::{MAX_MESSAGE_BYTES, MIN_SCRUBBED_LEN, SCRUBBED, scrub};
pub use session::{RoleSession, SessionBroker, connection_sdk_config, static_credentials};
pub use sts::CallError;
pub use validate::Validator;
