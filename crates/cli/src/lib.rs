//! Airlock's command line, as a library first: the `airlock` binary (to come) stays a thin
//! shell over these modules.
//!
//! - [`format`] prints a result set ([`Rows`](airlock_core::Rows)) exactly as psql 15 does
//!   in its aligned, unaligned, CSV and expanded modes, so a psql user's eyes and scripts
//!   (`-A -t`, `--csv`) work unchanged.
//! - [`diagnostic`] prints an error or notice as psql does, including the `LINE n:` caret
//!   display for errors that carry a position.

pub mod diagnostic;
pub mod format;
