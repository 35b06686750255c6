//! Airlock's shared vocabulary.
//!
//! Every other crate speaks in these types: object ids ([`ConnectionId`], [`SecretId`]),
//! the AWS connection model ([`aws`]), secret values that refuse to print themselves
//! ([`SecretString`]), SQLSTATE codes ([`SqlState`]) and the PostgreSQL-style error
//! contract ([`SqlError`], [`Diagnostic`]). It depends on no other Airlock crate.

pub mod aws;
pub mod error;
pub mod ids;
pub mod relation;
pub mod secret;
pub mod sqlstate;
pub mod time;

pub use error::{Diagnostic, Position, Severity, SqlError};
pub use ids::{ConnectionId, ObjectId, SecretId};
pub use relation::{Column, ColumnType, Row, Rows};
pub use secret::SecretString;
pub use sqlstate::SqlState;
