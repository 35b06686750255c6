//! Process hardening done first thing in `main`: the process holds the catalog's key
//! and decrypted secret values in memory, so it must not leave them in a core file or
//! let another process of the same user read its memory through `/proc/PID/mem` or
//! `ptrace` — both of which a non-dumpable process refuses.

/// Sets `RLIMIT_CORE` to 0 (soft and hard: no core file, and none can be re-enabled)
/// and, on Linux, `PR_SET_DUMPABLE` to 0. Best effort: a platform that refuses either
/// still runs, as the key is also wiped from memory when dropped.
pub fn no_core_dumps() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, setrlimit};
        let _ = setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        );
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{DumpableBehavior, set_dumpable_behavior};
        let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    }
}

/// Whether the kernel would dump this process's memory (`PR_GET_DUMPABLE`); `true` where
/// it cannot be asked.
pub fn is_dumpable() -> bool {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{DumpableBehavior, dumpable_behavior};
        !matches!(dumpable_behavior(), Ok(DumpableBehavior::NotDumpable))
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// `RLIMIT_CORE` as (soft, hard); `None` for unlimited or where it cannot be read.
pub fn core_limit() -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Core);
        Some((limit.current?, limit.maximum?))
    }
    #[cfg(not(unix))]
    {
        None
    }
}
