//! The emulator harness lives in `airlock-testkit`, shared with the engine's tests.

pub use airlock_testkit::*;
