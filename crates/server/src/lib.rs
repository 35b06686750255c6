//! `airlock serve`: Airlock's engine over the PostgreSQL wire protocol, for psql and
//! every PostgreSQL driver. Built on [`pgwire`]: see `docs/server.md`.
//!
//! ```no_run
//! use airlock_server::{Auth, ServerConfig, serve};
//!
//! let mut config = ServerConfig::new("catalog.db");
//! config.auth = Auth::Trust; // loopback only
//! serve(config).unwrap(); // until SIGTERM
//! ```

pub mod auth;
pub mod command;
mod handler;
mod limit;
pub mod local;
pub mod log;
mod server;
mod tls;
mod wire;

pub use auth::{Users, Verifier};
pub use log::Log;
pub use server::{Auth, Server, ServerConfig, serve};
