//! The emulator harness lives in `airlock-testkit`, shared with the engine's tests.

pub use airlock_testkit::*;

use airlock_aws::{AllowedEndpoints, AwsConfig};
use aws_config::SdkConfig;

/// Airlock's AWS settings for a test: `sdk`, with its own endpoint and the shared emulator
/// listed in `aws_allowed_endpoints`, as an operator running against an emulator would
/// list it (neither is AWS STS, so the endpoint rule refuses them otherwise).
#[allow(dead_code)]
pub fn aws_config(sdk: SdkConfig) -> AwsConfig {
    let mut listed = vec![shared().endpoint.clone()];
    listed.extend(sdk.endpoint_url().map(str::to_owned));
    let listed = AllowedEndpoints::parse(&listed.join(",")).expect("loopback URLs");
    AwsConfig::new(sdk).with_allowed_endpoints(&listed)
}
