//! PostgreSQL's [`ChangeWatch`]: a thread with a connection of its own that `LISTEN`s
//! on the channel the catalog's triggers notify (`migrations/postgres/0003_change_notify.sql`),
//! and counts what it hears.
//!
//! The number is known only while that connection is listening and has answered lately:
//! it waits for notifications at most [`HEARTBEAT`] at a time, then checks that the
//! server still answers; with no answer for [`SILENCE`] (a server gone, a network
//! partition, a connection killed), [`Watch::version`] says `None` and callers read the
//! catalog every time. The thread connects again; once it listens, the number moves, so
//! that whatever committed while nobody listened is read again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::postgres::Target;
use crate::changes::{ChangeWatch, Watch};
use ::postgres::fallible_iterator::FallibleIterator;

/// The channel the catalog's triggers notify.
pub(crate) const CHANNEL: &str = "airlock_catalog";

/// How long the listening connection waits for a notification before it checks that
/// the server still answers.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// How long after the server last answered the number stops being known.
const SILENCE: Duration = Duration::from_secs(3);

/// The pause between attempts to connect again.
const RECONNECT: Duration = Duration::from_millis(250);

/// The `application_name` of the listening connection (in `pg_stat_activity`).
pub(crate) const APPLICATION_NAME: &str = "airlock-watch";

struct Shared {
    version: AtomicU64,
    /// When the listening connection last answered, in milliseconds since `epoch`
    /// (at least 1); 0 while it is not listening.
    answered: AtomicU64,
    epoch: Instant,
    /// Set when the watch is dropped: the thread ends.
    stop: AtomicBool,
}

impl Shared {
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

struct Listener {
    shared: Arc<Shared>,
}

impl Watch for Listener {
    fn version(&self) -> Option<u64> {
        let shared = &self.shared;
        let answered = shared.answered.load(Ordering::SeqCst);
        let silent_for = shared.now().saturating_sub(answered);
        if answered == 0 || u128::from(silent_for) > SILENCE.as_millis() {
            return None;
        }
        Some(shared.version.load(Ordering::SeqCst))
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

/// Starts listening to the catalog at `target`; a watch that never knows when no thread
/// can be started.
pub(crate) fn start(target: &Target) -> ChangeWatch {
    let mut target = target.clone();
    target.config.application_name(APPLICATION_NAME);
    let shared = Arc::new(Shared {
        version: AtomicU64::new(0),
        answered: AtomicU64::new(0),
        epoch: Instant::now(),
        stop: AtomicBool::new(false),
    });
    let theirs = Arc::clone(&shared);
    let spawned = std::thread::Builder::new()
        .name("airlock-catalog-watch".to_owned())
        .spawn(move || run(&target, &theirs));
    match spawned {
        Ok(_) => ChangeWatch(Box::new(Listener { shared })),
        Err(_) => ChangeWatch::blind(),
    }
}

fn run(target: &Target, shared: &Shared) {
    while !shared.stopped() {
        // Returns when the connection fails (or never came up): the next attempt is
        // the answer to any error.
        let _ = listen(target, shared);
        // Unknown until listening again; and moved, so that a caller who read the
        // catalog before the loss reads it again.
        shared.answered.store(0, Ordering::SeqCst);
        shared.version.fetch_add(1, Ordering::SeqCst);
        let mut waited = Duration::ZERO;
        while waited < RECONNECT && !shared.stopped() {
            std::thread::sleep(Duration::from_millis(50));
            waited += Duration::from_millis(50);
        }
    }
}

/// Listens until the connection fails or the watch is dropped.
fn listen(target: &Target, shared: &Shared) -> Result<(), ::postgres::Error> {
    let mut client = target.connect(&format!("LISTEN {CHANNEL}"))?;
    // Listening from here on: a commit before this point is covered by the move.
    shared.version.fetch_add(1, Ordering::SeqCst);
    shared.answered.store(shared.now(), Ordering::SeqCst);
    while !shared.stopped() {
        {
            let mut notifications = client.notifications();
            let mut heard = notifications.timeout_iter(HEARTBEAT);
            while heard.next()?.is_some() {
                shared.version.fetch_add(1, Ordering::SeqCst);
                shared.answered.store(shared.now(), Ordering::SeqCst);
            }
        }
        // Quiet for a while, or the server went away: does it still answer?
        client.batch_execute("SELECT 1")?;
        shared.answered.store(shared.now(), Ordering::SeqCst);
    }
    Ok(())
}
