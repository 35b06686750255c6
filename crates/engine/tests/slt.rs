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
    slt_db::main(
        &[
            "../../testdata/slt",
            "../../testdata/slt/materialize",
            "../../testdata/slt/privileges",
        ],
        move || AwsSetup::Config(Box::new(offline.clone())),
        Vec::new(),
        slt_db::Backend::Sqlite,
    );
}
