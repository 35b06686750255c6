//! Whether the catalog changed since the last look, cheaply, whoever changed it.
//!
//! What a process caches from the catalog (a credentials handle's connection, the
//! connections that own S3 scopes) must be read again after any commit — of this
//! process, of another process on the same file, of another node on the same
//! PostgreSQL database, or by hand — and only then. A [`ChangeWatch`] gives a number
//! that moves with every such commit; each backend supplies its own way of knowing:
//!
//! - a SQLite file: `PRAGMA data_version` on a read-only connection of the watch's own
//!   (it moves when another connection, the catalog's own writer included, commits);
//! - PostgreSQL: a connection that `LISTEN`s on the channel `airlock_catalog`, which
//!   triggers on every storage table notify when a writing transaction commits
//!   (`migrations/postgres/0003_change_notify.sql`). Another node's commit is seen
//!   once its notification arrives (milliseconds on a working network). While that
//!   connection is down or has not answered a heartbeat lately, the number is unknown,
//!   and callers read the catalog every time, as they would without a watch; once it
//!   is back the number moves, so that what was missed meanwhile is read again;
//! - an in-memory catalog: only its own process writes to it, and the caller counts its
//!   own writes, so the number never moves.

use std::fmt;

/// A number that changes whenever the catalog may have changed; see the module's
/// documentation. Made by [`crate::Catalog::change_watch`].
pub struct ChangeWatch(pub(crate) Box<dyn Watch>);

/// A backend's way of knowing that the catalog changed.
pub(crate) trait Watch: Send + Sync {
    /// The current number, or `None` when it cannot be known now.
    fn version(&self) -> Option<u64>;
}

impl ChangeWatch {
    /// The current number; `None` when it cannot be known now (treat the catalog as
    /// changed). Two equal answers mean that no commit came between them.
    pub fn version(&self) -> Option<u64> {
        self.0.version()
    }

    /// A watch that never knows: every call reads the catalog again.
    pub(crate) fn blind() -> ChangeWatch {
        ChangeWatch(Box::new(Blind))
    }

    /// A watch for a catalog only this process writes: the number never moves.
    pub(crate) fn fixed() -> ChangeWatch {
        ChangeWatch(Box::new(Fixed))
    }
}

impl fmt::Debug for ChangeWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ChangeWatch").field(&self.version()).finish()
    }
}

struct Blind;

impl Watch for Blind {
    fn version(&self) -> Option<u64> {
        None
    }
}

struct Fixed;

impl Watch for Fixed {
    fn version(&self) -> Option<u64> {
        Some(0)
    }
}
