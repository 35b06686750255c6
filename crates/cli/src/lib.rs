//! Airlock's command line, as a library first: the `airlock` binary (`src/main.rs`) only
//! hands its arguments to [`app::main`].
//!
//! - [`args`] reads psql-style flags (`-c`, `-f`, `-v ON_ERROR_STOP=1`, `-A`, `-t`, …).
//! - [`run`] runs `-c` strings, scripts and typed lines the way psql does, with psql's
//!   exit codes; [`repl`] is the interactive prompt on top of it.
//! - [`meta`] is the table of backslash commands; [`describe`] answers the `\d` family
//!   with catalog queries through the engine.
//! - [`history`] keeps the shell's history redacted.
//! - [`format`] prints a result set ([`Rows`](airlock_core::Rows)) exactly as psql 15 does
//!   in its aligned, unaligned, CSV and expanded modes, so a psql user's eyes and scripts
//!   (`-A -t`, `--csv`) work unchanged.
//! - [`diagnostic`] prints an error or notice as psql does, including the `LINE n:` caret
//!   display for errors that carry a position.

pub mod app;
pub mod args;
pub mod describe;
pub mod diagnostic;
pub mod edit;
pub mod format;
pub mod hardening;
pub mod history;
pub mod interrupt;
pub mod meta;
pub mod pager;
pub mod pset;
pub mod repl;
pub mod run;
pub mod terminal;
pub mod variables;
pub mod watch;
