//! Airlock's engine: the library a host SQL engine embeds, and the one the `airlock`
//! REPL and the sqllogictest suite drive.
//!
//! ```
//! use airlock_engine::{Engine, EngineConfig, Response};
//!
//! let engine = Engine::open(":memory:", EngineConfig::default()).unwrap();
//! let mut session = engine.session();
//! let results = session.execute(
//!     "CREATE CONNECTION aws_conn TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader');
//!      SELECT external_id FROM mz_aws_connections",
//! );
//! let rows = results[1].as_ref().unwrap().rows().unwrap();
//! assert!(rows.rows[0][0].as_deref().unwrap().ends_with("_u1"));
//! ```
//!
//! [`Session::execute`] parses a script, plans each statement under the option rules
//! (the messages live in [`PlanError`]) and runs it as one catalog transaction.
//! Catalog queries are checked, typed and rewritten ([`query`]) and run by SQLite over
//! read-only views, on connections of their own. [`Session::describe`] gives a
//! statement's result columns and their PostgreSQL types without running it.

mod aws_client;
pub mod credentials;
mod describe;
mod engine;
mod error;
mod execute;
pub mod hooks;
mod like;
#[cfg(feature = "object_store")]
pub mod object_store;
pub mod params;
mod plan;
mod privileges;
pub mod query;
mod response;
pub mod route;
pub mod scopes;

pub use airlock_aws as aws;
pub use airlock_catalog as catalog;
pub use airlock_core as core;
pub use airlock_parser as parser;
pub use aws_client::AwsSetup;
pub use credentials::{Clock, CredentialsHandle, CredentialsOptions, SystemClock};
pub use describe::Description;
pub use engine::{Engine, EngineConfig, ForeignStatements, MAX_SCRIPT_BYTES, Session};
pub use error::{MAX_NAME_BYTES, MAX_VALUE_BYTES, PlanError};
pub use hooks::{Authorizer, CancelHandle};
pub use privileges::NewUsers;
pub use response::{Response, StatementResult};
pub use route::{Outcome, Owner, Routed, StatementError, Statements};
