//! The sqllogictest suite of `tests/slt.rs`, file for file, on a PostgreSQL catalog:
//! one throwaway PostgreSQL server (Debian's `postgresql`, on a Unix socket in a
//! temporary directory) for the run, and a fresh database per file. The same expected
//! output proves the same semantics on both backends; after every failing statement the
//! harness checks that no row of the `airlock` schema changed.
//!
//! `cargo test -p airlock-engine --test slt_postgres [-- FILTER]`

#[path = "common/dump.rs"]
mod dump;
#[path = "common/slt_db.rs"]
mod slt_db;

use std::sync::Arc;

fn main() {
    slt_db::offline_suite(slt_db::Backend::Postgres(Arc::new(
        airlock_testkit::postgres::Server::start(),
    )));
}
