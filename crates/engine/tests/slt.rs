//! The sqllogictest suite: one test per file in `testdata/slt/` and in
//! `testdata/slt/materialize/` (Materialize's own cases, restated; see
//! `tests/common/slt_db.rs` for the conventions). These files never reach AWS: the
//! engine's AWS client points at a closed loopback port, which the harness lists in the
//! process's `aws_allowed_endpoints` (the files test what happens after the endpoint
//! rule; `testdata/slt/endpoints.slt` tests the rule itself against an unlisted port).
//!
//! `cargo test -p airlock-engine --test slt [-- FILTER]` runs them;
//! `AIRLOCK_REWRITE=1 cargo test -p airlock-engine --test slt` rewrites the expected
//! output in place (review the diff).

#[path = "common/dump.rs"]
mod dump;
#[path = "common/slt_db.rs"]
mod slt_db;

fn main() {
    slt_db::offline_suite(slt_db::Backend::Sqlite);
}
