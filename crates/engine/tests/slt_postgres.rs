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
use std::time::Duration;

use airlock_engine::AwsSetup;
use airlock_engine::aws::{AllowedEndpoints, AwsConfig};

fn main() {
    let sdk = airlock_testkit::offline_sdk_config();
    let listed = AllowedEndpoints::parse(sdk.endpoint_url().expect("offline endpoint"))
        .expect("a loopback URL");
    let offline = AwsConfig::new(sdk)
        .with_timeout(Duration::from_secs(1))
        .with_allowed_endpoints(&listed);
    let server = Arc::new(airlock_testkit::postgres::Server::start());
    slt_db::main(
        &[
            "../../testdata/slt",
            "../../testdata/slt/materialize",
            "../../testdata/slt/privileges",
        ],
        move || AwsSetup::Config(Box::new(offline.clone())),
        Vec::new(),
        slt_db::Backend::Postgres(server),
    );
}
