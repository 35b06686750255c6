//! Host hooks: the host's privilege check before each of Airlock's statements, sessions
//! bound to a user, and cancelling a session's script.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use airlock_core::{Diagnostic, SqlState};
use airlock_parser::Statement;

use crate::route::Owner;

/// What the engine asks the host's [`Authorizer`] about.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The session's user ([`crate::Engine::session_for`]); `None` for sessions made
    /// with [`crate::Engine::session`].
    pub user: Option<&'a str>,
    /// [`Owner::Airlock`] or [`Owner::Catalog`]: the host's own statements never reach
    /// the authorizer.
    pub owner: Owner,
    pub statement: &'a Statement,
}

/// The host's privilege check, consulted before each statement Airlock runs (its
/// dialect and catalog queries). An `Err` refuses the statement: it does not run, and
/// the script stops there with that error (PostgreSQL uses SQLSTATE 42501,
/// `permission denied ...`). Without an authorizer every session may run everything.
pub trait Authorizer: Send + Sync + fmt::Debug {
    fn authorize(&self, request: &Request<'_>) -> Result<(), Diagnostic>;
}

/// Cancels what a session is running, from any thread, as PostgreSQL's cancel request
/// does: a running catalog query stops at once, a `VALIDATE CONNECTION` (or `WITH
/// (VALIDATE = true)`) stops waiting for AWS and records nothing, and an Airlock
/// statement that is writing (one short catalog transaction) finishes; the statement
/// fails with SQLSTATE 57014 and the script stops there. A cancel that arrives while the
/// session is idle is forgotten when its next script starts.
#[derive(Debug, Clone, Default)]
pub struct CancelHandle {
    requested: Arc<AtomicBool>,
}

impl CancelHandle {
    pub fn cancel(&self) {
        self.requested.store(true, Ordering::SeqCst);
    }

    /// The flag a running query watches.
    pub(crate) fn flag(&self) -> &Arc<AtomicBool> {
        &self.requested
    }

    /// Whether a cancel is pending (without consuming it).
    pub(crate) fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Forgets an earlier cancel: a script is starting.
    pub(crate) fn reset(&self) {
        self.requested.store(false, Ordering::SeqCst);
    }

    /// The error for a cancelled statement, once per cancel.
    pub(crate) fn check(&self) -> Result<(), Diagnostic> {
        if self.requested.swap(false, Ordering::SeqCst) {
            return Err(self.consume());
        }
        Ok(())
    }

    /// Spends the cancel on the statement it stopped, and says so.
    pub(crate) fn consume(&self) -> Diagnostic {
        self.requested.store(false, Ordering::SeqCst);
        Diagnostic::error(
            SqlState::QueryCanceled,
            "canceling statement due to user request",
        )
    }
}
