//! The credentials provider hosts use: a connection becomes an `SdkConfig` that acts as
//! the customer's role (assumed with the external ID), through the real SDK against the
//! ministack emulator on loopback.

use std::time::Duration;

use airlock_engine::aws::{AllowedEndpoints, AwsConfig};
use airlock_engine::catalog::CatalogConfig;
use airlock_engine::core::SqlState;
use airlock_engine::{AwsSetup, Engine, EngineConfig, Session};
use airlock_testkit as kit;

const PREFIX: &str = "0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn session(runtime: &tokio::runtime::Runtime) -> Session {
    let ms = kit::shared();
    let base = runtime.block_on(ms.base_config());
    let config = EngineConfig {
        catalog: CatalogConfig {
            external_id_prefix: Some(PREFIX.parse().expect("uuid")),
            ..CatalogConfig::default()
        },
        aws: AwsSetup::Config(Box::new(
            AwsConfig::new(base).with_timeout(Duration::from_secs(5)),
        )),
        // The emulator is not AWS STS: listed, as an operator would (`--aws-allowed-endpoints`).
        aws_allowed_endpoints: AllowedEndpoints::parse(&ms.endpoint).expect("loopback URL"),
        ..EngineConfig::default()
    };
    let mut session = Engine::open(":memory:", config).expect("engine").session();
    let principal = kit::principal_arn();
    for result in session.execute(&format!("ALTER SYSTEM SET aws_principal = '{principal}'")) {
        result.expect("principal");
    }
    session
}

async fn caller_arn(config: &aws_config::SdkConfig) -> Result<String, String> {
    aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map(|out| out.arn.unwrap_or_default())
        .map_err(|e| aws_sdk_sts::error::DisplayErrorContext(e).to_string())
}

#[test]
fn an_assume_role_connection_acts_as_the_role_with_its_external_id() {
    let runtime = runtime();
    let mut session = session(&runtime);
    let ms = kit::shared();
    let role = kit::unique("HostRole");
    let external_id = format!("mz_{PREFIX}_u1");
    let arn = runtime.block_on(async {
        let iam = ms.iam().await;
        kit::create_role(
            &iam,
            &role,
            &kit::trust_policy(
                &kit::principal_arn(),
                Some(kit::secure_condition(&external_id)),
            ),
        )
        .await
    });
    for result in session.execute(&format!(
        "CREATE CONNECTION c TO AWS (ASSUME ROLE ARN = '{arn}', ASSUME ROLE SESSION NAME = 'host', ENDPOINT = '{}')",
        ms.endpoint
    )) {
        result.expect("create");
    }
    let config = session.aws_sdk_config("c").expect("sdk config");
    let caller = runtime
        .block_on(caller_arn(&config))
        .expect("acts as the role");
    assert_eq!(
        caller,
        format!("arn:aws:sts::{}:assumed-role/{role}/host", kit::ACCOUNT)
    );
}

#[test]
fn works_from_inside_a_hosts_async_runtime() {
    let runtime = runtime();
    let mut session = session(&runtime);
    let ms = kit::shared();
    let (user_arn, key_id, secret) = runtime.block_on(async {
        let iam = ms.iam().await;
        kit::create_user_with_key(&iam, &kit::unique("host-user")).await
    });
    for result in session.execute(&format!(
        "CREATE SECRET s AS '{secret}';
         CREATE CONNECTION k TO AWS (ACCESS KEY ID = '{key_id}', SECRET ACCESS KEY = SECRET s, ENDPOINT = '{}')",
        ms.endpoint
    )) {
        result.expect("create");
    }
    // A host calls the engine from async code: the engine must not start a runtime
    // inside this one.
    let caller = runtime.block_on(async {
        let config = session.aws_sdk_config("k").expect("sdk config");
        caller_arn(&config).await
    });
    assert_eq!(caller.expect("acts as the user"), user_arn);
}

#[test]
fn unknown_connections_and_other_objects_are_refused() {
    let runtime = runtime();
    let mut session = session(&runtime);
    let err = session.aws_sdk_config("nope").unwrap_err();
    assert_eq!(err.code, SqlState::UndefinedObject);
    session
        .execute("CREATE SECRET s AS 'x'")
        .remove(0)
        .expect("secret");
    let err = session.aws_sdk_config("s").unwrap_err();
    assert_eq!(err.code, SqlState::WrongObjectType);
}
