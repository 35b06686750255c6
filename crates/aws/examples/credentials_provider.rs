//! A host using an Airlock connection's credentials: build an `SdkConfig` for an
//! assume-role connection and call AWS with it.
//!
//! Airlock's own identity comes from the AWS default chain (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE`, …; `AWS_ENDPOINT_URL` and `AWS_REGION` apply).
//! The connection comes from these variables:
//!
//! | variable | meaning |
//! |---|---|
//! | `AIRLOCK_PRINCIPAL` | the `aws_principal` setting (role or user ARN) |
//! | `AIRLOCK_ROLE_ARN` | the connection's `ASSUME ROLE ARN` |
//! | `AIRLOCK_EXTERNAL_ID` | the connection's external ID |
//! | `AIRLOCK_ENDPOINT` | optional `ENDPOINT` |
//! | `AIRLOCK_REGION` | optional `REGION` |
//!
//! Against the ministack emulator, see `docs/aws.md` ("Trying it on the emulator"):
//!
//! ```sh
//! AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
//! AWS_ENDPOINT_URL=http://127.0.0.1:4566 \
//! AIRLOCK_PRINCIPAL=arn:aws:iam::000000000000:role/AirlockPrincipal \
//! AIRLOCK_ROLE_ARN=arn:aws:iam::000000000000:role/Customer AIRLOCK_EXTERNAL_ID=mz_demo_u1 \
//! cargo run -p airlock-aws --example credentials_provider
//! ```

use std::process::ExitCode;

use airlock_aws::{AwsConfig, ResolvedConnection, sdk_config};
use airlock_core::Diagnostic;

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let principal = var("AIRLOCK_PRINCIPAL")?;
    let mut conn =
        ResolvedConnection::assume_role(var("AIRLOCK_ROLE_ARN")?, var("AIRLOCK_EXTERNAL_ID")?);
    if let Ok(endpoint) = var("AIRLOCK_ENDPOINT") {
        conn = conn.with_endpoint(endpoint);
    }
    if let Ok(region) = var("AIRLOCK_REGION") {
        conn = conn.with_region(region);
    }

    let config = AwsConfig::from_env().await;
    let sdk = sdk_config(&config, &conn, Some(&principal))
        .await
        .map_err(|e| Diagnostic::from_error(&e).render())?;

    // Any AWS SDK client can be built from `sdk`; STS keeps the example small. The
    // second call is served from the SDK's credentials cache: same session.
    let sts = aws_sdk_sts::Client::new(&sdk);
    for attempt in 1..=2 {
        let who = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| aws_sdk_sts::error::DisplayErrorContext(e).to_string())?;
        println!("call {attempt}: acting as {}", who.arn().unwrap_or("?"));
    }
    Ok(())
}
