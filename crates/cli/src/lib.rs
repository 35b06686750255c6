//! Airlock's command line, as a library first: the `airlock` binary (`src/main.rs`) only
//! hands its arguments to [`app::main`].
//!
//! - [`args`] reads psql-style flags (`-c`, `-f`, `-v`, `-A`, `-P`, …) in psql's order.
//! - [`run`] runs `-c` strings, scripts and typed lines the way psql does, with psql's
//!   exit codes; [`repl`] is the interactive prompt on top of it.
//! - [`meta`] is the table of backslash commands (run by `run::commands`); [`pset`] is
//!   `\pset`; [`variables`] holds `\set` variables and interpolates them; [`describe`]
//!   answers the `\d` family with catalog queries through the engine.
//! - [`history`] keeps the shell's history redacted.
//! - [`format`] prints a result set ([`Rows`](airlock_core::Rows)) exactly as psql 15 does
//!   in every format it shares with psql, with psql's own character widths.
//! - [`diagnostic`] prints an error or notice as psql does, including the `LINE n:` caret
//!   display for errors that carry a position.
//! - [`interrupt`] (Ctrl-C), [`pager`], [`watch`], [`edit`] (`\e`) and [`terminal`]
//!   (the screen's size) are the interactive conveniences.

pub mod app;
pub mod args;
pub mod backend;
pub mod backslash;
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
pub mod remote;
pub mod repl;
pub mod run;
pub mod terminal;
pub mod variables;
pub mod watch;
