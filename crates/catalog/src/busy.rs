//! Waiting for another process's write lock.
//!
//! SQLite's own busy timeout backs off to 100 ms sleeps. Against a process that commits
//! back to back, a waiter that wakes every 100 ms almost never finds the lock free and
//! gives up with "database is locked". Polling every millisecond or so, with jitter so
//! that two waiters do not wake in step, gets a turn within a few commits.

use std::time::Duration;

/// How long a statement waits for another process's lock before failing with
/// [`crate::CatalogError::Busy`]: about five seconds.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const AVERAGE_SLEEP_MICROS: u64 = 1_000;
const MAX_RETRIES: i32 = (BUSY_TIMEOUT.as_micros() as u64 / AVERAGE_SLEEP_MICROS) as i32;

/// SQLite's busy handler: sleeps about a millisecond and asks to retry, until about
/// [`BUSY_TIMEOUT`] has passed. `retries` counts earlier calls for the same lock.
pub(crate) fn handler(retries: i32) -> bool {
    if retries >= MAX_RETRIES {
        return false;
    }
    // 0.5 to 1.5 ms, varied by retry count and process: the waiters of two processes
    // drift apart instead of polling in lockstep.
    let seed = u64::try_from(retries)
        .unwrap_or(0)
        .wrapping_mul(7_919)
        .wrapping_add(u64::from(std::process::id()).wrapping_mul(104_729));
    let jitter = seed % AVERAGE_SLEEP_MICROS;
    std::thread::sleep(Duration::from_micros(AVERAGE_SLEEP_MICROS / 2 + jitter));
    true
}
