//! Credentials handles against ministack's STS: one role session per connection however
//! often it is used, one `AssumeRole` for many concurrent callers, renewal before expiry
//! by the handle's clock, and revocation — DROP, ALTER CONNECTION, ALTER SECRET, a new
//! aws_principal — at the very next call, also when another engine on the same catalog
//! file made the change.
//!
//! Issue 18: a session lasts the connection's `ASSUME ROLE SESSION DURATION` (never more
//! than AWS grants a chained principal), `STS ENDPOINT` serves STS and `ENDPOINT` the
//! service, and `mz_internal.mz_aws_connection_credentials` records every session and
//! failure.
//!
//! `AssumeRole` calls are counted on the wire: Airlock's base configuration gets an HTTP
//! client that wraps the SDK's own and records the body of every request (STS's query
//! protocol puts `Action=AssumeRole&RoleArn=...` there).

#[path = "common/dump.rs"]
mod dump;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use airlock_engine::aws::{AllowedEndpoints, AwsConfig};
use airlock_engine::catalog::{CatalogConfig, SecretBackend, SecretKey};
use airlock_engine::core::SqlState;
use airlock_engine::credentials::fold_name;
use airlock_engine::scopes::CatalogGeneration;
use airlock_engine::{
    AwsSetup, Clock, CredentialsHandle, CredentialsOptions, Engine, EngineConfig, Session,
};
use airlock_testkit as kit;
use aws_config::SdkConfig;
use aws_sdk_sts::config::{Credentials, ProvideCredentials};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

const PREFIX: &str = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9";

/// Every request body Airlock's AWS clients sent.
#[derive(Debug, Clone, Default)]
struct Wire(Arc<Mutex<Vec<String>>>);

impl Wire {
    /// The `DurationSeconds` of every `AssumeRole` of role `arn`, in order (`None`:
    /// none was sent).
    fn durations_of(&self, arn: &str) -> Vec<Option<u32>> {
        let encoded = arn.replace(':', "%3A").replace('/', "%2F");
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|body| body.contains("Action=AssumeRole&") && body.contains(&encoded))
            .map(|body| {
                body.split('&')
                    .find_map(|pair| pair.strip_prefix("DurationSeconds="))
                    .map(|d| d.parse().unwrap())
            })
            .collect()
    }

    /// `AssumeRole` calls of role `arn` so far.
    fn assume_roles_of(&self, arn: &str) -> usize {
        let encoded = arn.replace(':', "%3A").replace('/', "%2F");
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|body| {
                body.contains("Action=AssumeRole&")
                    && (body.contains(&format!("RoleArn={encoded}&"))
                        || body.ends_with(&format!("RoleArn={encoded}")))
            })
            .count()
    }
}

#[derive(Debug)]
struct CountingClient {
    inner: SharedHttpClient,
    wire: Wire,
}

#[derive(Debug)]
struct CountingConnector {
    inner: SharedHttpConnector,
    wire: Wire,
}

impl HttpClient for CountingClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(CountingConnector {
            inner: self.inner.http_connector(settings, components),
            wire: self.wire.clone(),
        })
    }
}

impl HttpConnector for CountingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if let Some(body) = request.body().bytes() {
            self.wire
                .0
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(body).into_owned());
        }
        self.inner.call(request)
    }
}

/// A clock the test moves.
#[derive(Debug, Default)]
struct TestClock {
    ahead: AtomicU64,
}

impl TestClock {
    fn advance(&self, by: Duration) {
        self.ahead.fetch_add(by.as_secs(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(self.ahead.load(Ordering::SeqCst))
    }
}

struct Host {
    runtime: tokio::runtime::Runtime,
    wire: Wire,
    clock: Arc<TestClock>,
    base: SdkConfig,
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Host {
    fn new() -> Host {
        Host::acting_as(None)
    }

    /// A host whose Airlock identity is `credentials` (default: the emulator's root).
    fn acting_as(credentials: Option<Credentials>) -> Host {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let ms = kit::shared();
        let wire = Wire::default();
        let base = runtime.block_on(async {
            match credentials {
                Some(credentials) => ms.config_with(credentials).await,
                None => ms.base_config().await,
            }
        });
        // The SDK's own hyper client, plain HTTP (the emulator is on loopback).
        let inner = aws_smithy_http_client::Builder::new().build_http();
        let base = base
            .to_builder()
            .http_client(CountingClient {
                inner,
                wire: wire.clone(),
            })
            .build();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.db");
        Host {
            runtime,
            wire,
            clock: Arc::default(),
            base,
            _dir: dir,
            path,
        }
    }

    /// An engine on the test's catalog file: every call opens another "process".
    fn engine(&self, refuse_failed_validation: bool) -> Engine {
        Engine::open(&self.path, self.config(refuse_failed_validation)).unwrap()
    }

    /// An engine on the PostgreSQL catalog at `url` with secret key `key` (hex): every
    /// call opens another node.
    fn node(&self, url: &str, key: &str) -> Engine {
        let mut config = self.config(false);
        config.catalog.secrets = SecretBackend::EmbeddedWithKey(SecretKey::from_hex(key).unwrap());
        Engine::open(url, config).unwrap()
    }

    fn config(&self, refuse_failed_validation: bool) -> EngineConfig {
        EngineConfig {
            catalog: CatalogConfig {
                external_id_prefix: Some(PREFIX.parse().unwrap()),
                ..CatalogConfig::default()
            },
            aws: AwsSetup::Config(Box::new(
                AwsConfig::new(self.base.clone()).with_timeout(Duration::from_secs(5)),
            )),
            // The emulator is not AWS STS: listed, as an operator would list it.
            aws_allowed_endpoints: AllowedEndpoints::parse(&kit::shared().endpoint)
                .expect("a loopback URL"),
            credentials: CredentialsOptions {
                refuse_failed_validation,
                clock: self.clock.clone(),
                ..CredentialsOptions::default()
            },
            ..EngineConfig::default()
        }
    }

    fn role(&self, name: &str, external_id: Option<&str>) -> String {
        self.runtime.block_on(async {
            let iam = kit::shared().iam().await;
            let principals =
                serde_json::json!([kit::principal_arn(), kit::role_arn(SECOND_PRINCIPAL)]);
            let mut statement = serde_json::json!({
                "Effect": "Allow",
                "Principal": { "AWS": principals },
                "Action": "sts:AssumeRole",
            });
            if let Some(id) = external_id {
                statement["Condition"] = kit::secure_condition(id);
            }
            let policy = serde_json::json!({ "Version": "2012-10-17", "Statement": [statement] });
            kit::create_role(&iam, name, &policy.to_string()).await
        })
    }

    fn credentials(
        &self,
        handle: &CredentialsHandle,
    ) -> Result<Credentials, airlock_engine::core::Diagnostic> {
        self.runtime.block_on(handle.credentials())
    }

    /// Who AWS says these credentials are.
    fn caller(&self, handle: &CredentialsHandle) -> String {
        let config = handle.sdk_config().unwrap();
        self.runtime.block_on(async {
            aws_sdk_sts::Client::new(&config)
                .get_caller_identity()
                .send()
                .await
                .map(|out| out.arn.unwrap_or_default())
                .unwrap_or_else(|e| panic!("{}", aws_sdk_sts::error::DisplayErrorContext(e)))
        })
    }
}

/// A second principal role, for the principal-change test.
const SECOND_PRINCIPAL: &str = "AirlockPrincipalTwo";

fn second_principal(host: &Host) -> String {
    static MADE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    MADE.get_or_init(|| {
        host.runtime.block_on(async {
            let iam = kit::shared().iam().await;
            let root = format!("arn:aws:iam::{}:root", kit::ACCOUNT);
            let arn =
                kit::create_role(&iam, SECOND_PRINCIPAL, &kit::trust_policy(&root, None)).await;
            iam.put_role_policy()
                .role_name(SECOND_PRINCIPAL)
                .policy_name("assume-connection-roles")
                .policy_document(kit::assume_any_role_policy())
                .send()
                .await
                .expect("put_role_policy");
            arn
        })
    })
    .clone()
}

fn run(session: &mut Session, sql: &str) {
    for result in session.execute(sql) {
        result.unwrap_or_else(|e| panic!("{sql}: {}", e.render()));
    }
}

/// An engine with the principal set and one assume-role connection `name` whose role
/// trusts only its external ID; returns the role's ARN.
fn assume_role_connection(host: &Host, session: &mut Session, name: &str, id: u64) -> String {
    let role = kit::unique("HandleRole");
    let arn = host.role(&role, Some(&format!("mz_{PREFIX}_u{id}")));
    run(
        session,
        &format!(
            "ALTER SYSTEM SET aws_principal = '{}'",
            kit::principal_arn()
        ),
    );
    run(
        session,
        &format!(
            "CREATE CONNECTION {name} TO AWS (ASSUME ROLE ARN = '{arn}', ENDPOINT = '{}')",
            kit::shared().endpoint
        ),
    );
    arn
}

#[test]
fn a_hundred_uses_cost_one_assume_role_and_act_as_the_role() {
    let host = Host::new();
    let engine = host.engine(false);
    let mut session = engine.session();
    let arn = assume_role_connection(&host, &mut session, "c", 1);
    let handle = engine.credentials("c").unwrap();
    let first = host.credentials(&handle).unwrap();
    assert!(first.expiry().is_some(), "a role session expires");
    for _ in 0..99 {
        let again = host.credentials(&handle).unwrap();
        assert_eq!(again.access_key_id(), first.access_key_id());
    }
    // Unrelated catalog changes re-read the connection but keep the session.
    run(&mut session, "CREATE SECRET unrelated AS 'x'");
    let clone = handle.clone();
    let other = engine.credentials("C").unwrap();
    for h in [&clone, &other] {
        assert_eq!(
            host.credentials(h).unwrap().access_key_id(),
            first.access_key_id()
        );
    }
    assert_eq!(
        host.wire.assume_roles_of(&arn),
        1,
        "one AssumeRole for 102 uses"
    );
    assert_eq!(
        host.wire.assume_roles_of(&kit::principal_arn()),
        1,
        "the principal hop is shared"
    );
    let role = arn.rsplit('/').next().unwrap();
    assert_eq!(
        host.caller(&handle),
        format!("arn:aws:sts::{}:assumed-role/{role}/airlock", kit::ACCOUNT)
    );
}

#[test]
fn concurrent_callers_share_one_assume_role() {
    let host = Host::new();
    let engine = host.engine(false);
    let mut session = engine.session();
    let arn = assume_role_connection(&host, &mut session, "c", 1);
    let handle = engine.credentials("c").unwrap();
    let keys: Vec<String> = host.runtime.block_on(async {
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let handle = handle.clone();
                tokio::spawn(async move { handle.provide_credentials().await })
            })
            .collect();
        let mut keys = Vec::new();
        for task in tasks {
            keys.push(task.await.unwrap().unwrap().access_key_id().to_owned());
        }
        keys
    });
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "one session for all");
    assert_eq!(host.wire.assume_roles_of(&arn), 1);
}

#[test]
fn sessions_are_renewed_before_they_expire_by_the_handles_clock() {
    let host = Host::new();
    let engine = host.engine(false);
    let mut session = engine.session();
    let arn = assume_role_connection(&host, &mut session, "c", 1);
    let handle = engine.credentials("c").unwrap();
    let first = host.credentials(&handle).unwrap();
    let left = first
        .expiry()
        .unwrap()
        .duration_since(SystemTime::now())
        .unwrap();
    // Still more than the 5-minute margin left: kept.
    host.clock.advance(left - Duration::from_secs(360));
    host.credentials(&handle).unwrap();
    assert_eq!(host.wire.assume_roles_of(&arn), 1);
    // Inside the margin: renewed, once.
    host.clock.advance(Duration::from_secs(120));
    host.credentials(&handle).unwrap();
    assert_eq!(host.wire.assume_roles_of(&arn), 2);
}

#[test]
fn drop_alter_and_a_new_principal_revoke_at_the_next_call() {
    let host = Host::new();
    let engine = host.engine(false);
    let mut session = engine.session();
    let arn = assume_role_connection(&host, &mut session, "c", 1);
    let handle = engine.credentials("c").unwrap();
    host.credentials(&handle).unwrap();

    run(
        &mut session,
        "ALTER CONNECTION c SET (ASSUME ROLE SESSION NAME = 'moved')",
    );
    host.credentials(&handle).unwrap();
    assert_eq!(
        host.wire.assume_roles_of(&arn),
        2,
        "ALTER CONNECTION drops the session"
    );
    assert!(host.caller(&handle).ends_with("/moved"));

    let principal = second_principal(&host);
    run(
        &mut session,
        &format!("ALTER SYSTEM SET aws_principal = '{principal}'"),
    );
    host.credentials(&handle).unwrap();
    assert_eq!(
        host.wire.assume_roles_of(&arn),
        3,
        "a new principal drops the session"
    );
    assert_eq!(host.wire.assume_roles_of(&principal), 1);

    run(&mut session, "DROP CONNECTION c");
    let err = host.credentials(&handle).unwrap_err();
    assert_eq!(err.code, SqlState::UndefinedObject);
    assert_eq!(err.message, "unknown connection \"c\"");
    // A new connection of the same name is another connection: the old handle stays dead.
    assume_role_connection(&host, &mut session, "c", 2);
    assert_eq!(
        host.credentials(&handle).unwrap_err().code,
        SqlState::UndefinedObject
    );
    assert!(host.credentials(&engine.credentials("c").unwrap()).is_ok());
}

#[test]
fn alter_secret_revokes_access_key_credentials() {
    let host = Host::new();
    let engine = host.engine(false);
    let mut session = engine.session();
    run(
        &mut session,
        "CREATE SECRET k AS 'first-secret-key';
         CREATE CONNECTION keys TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET k)",
    );
    let handle = engine.credentials("keys").unwrap();
    assert_eq!(
        host.credentials(&handle).unwrap().secret_access_key(),
        "first-secret-key"
    );
    run(&mut session, "ALTER SECRET k AS 'second-secret-key'");
    assert_eq!(
        host.credentials(&handle).unwrap().secret_access_key(),
        "second-secret-key"
    );
    assert!(!format!("{handle:?}").contains("secret-key"));
}

/// Connection `c` (assume role) and `keys` (access keys from secret `k`) on `engine`,
/// and a handle of each that has been used once; returns `c`'s role ARN too.
fn two_handles(host: &Host, engine: &Engine) -> (String, CredentialsHandle, CredentialsHandle) {
    let mut session = engine.session();
    let arn = assume_role_connection(host, &mut session, "c", 1);
    run(
        &mut session,
        "CREATE SECRET k AS 'first-secret-key';
         CREATE CONNECTION keys TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET k)",
    );
    let role_handle = engine.credentials("c").unwrap();
    let key_handle = engine.credentials("keys").unwrap();
    host.credentials(&role_handle).unwrap();
    host.credentials(&key_handle).unwrap();
    (arn, role_handle, key_handle)
}

#[test]
fn changes_made_by_another_process_revoke_too() {
    let host = Host::new();
    let engine = host.engine(false);
    let (arn, role_handle, key_handle) = two_handles(&host, &engine);
    // Another engine on the same file stands for another process; its commits show in
    // `PRAGMA data_version` at once.
    let other = host.engine(false);
    changes_elsewhere_revoke(&host, &other, &arn, [&role_handle, &key_handle], || {});
}

/// Changes committed through `other` (another process or node) reach the handles of
/// connections `c` and `keys` ([`two_handles`]): `ALTER SECRET` of the key's secret,
/// `ALTER CONNECTION`, a new principal, `DROP CONNECTION`. `arrived` waits, after each,
/// until the handles' engine can know of it.
fn changes_elsewhere_revoke(
    host: &Host,
    other: &Engine,
    arn: &str,
    [role_handle, key_handle]: [&CredentialsHandle; 2],
    arrived: impl Fn(),
) {
    let mut elsewhere = other.session();
    let mut change = |sql: &str| {
        run(&mut elsewhere, sql);
        arrived();
    };
    change("ALTER SECRET k AS 'second-secret-key'");
    assert_eq!(
        host.credentials(key_handle).unwrap().secret_access_key(),
        "second-secret-key"
    );
    change("ALTER CONNECTION c SET (ASSUME ROLE SESSION NAME = 'moved')");
    host.credentials(role_handle).unwrap();
    assert_eq!(host.wire.assume_roles_of(arn), 2);
    change(&format!(
        "ALTER SYSTEM SET aws_principal = '{}'",
        second_principal(host)
    ));
    host.credentials(role_handle).unwrap();
    assert_eq!(host.wire.assume_roles_of(arn), 3);
    change("DROP CONNECTION c");
    assert_eq!(
        host.credentials(role_handle).unwrap_err().code,
        SqlState::UndefinedObject
    );
}

/// Asks `engine` until its catalog generation is known and other than `than` (at most
/// 20 s; another node's commit arrives as a notification within milliseconds).
fn generation_moved(engine: &Engine, than: Option<CatalogGeneration>) -> CatalogGeneration {
    kit::eventually(
        &format!("the catalog generation to move from {than:?}"),
        Duration::from_secs(20),
        || engine.catalog_generation().filter(|now| Some(*now) != than),
    )
}

#[test]
fn changes_made_by_another_node_on_postgres_revoke_too() {
    let host = Host::new();
    let server = airlock_testkit::postgres::Server::start();
    let url = server.create_database("handles");
    let key = SecretKey::generate().to_hex();
    let engine = host.node(&url, &key);
    let (arn, role_handle, key_handle) = two_handles(&host, &engine);

    // Between changes the generation is known and stays put (the node's watch listens
    // for commits; no catalog read per call), and the handles reuse what they have. The
    // handle's own record of its role session is a commit too, whose notification may
    // still be on its way: so the first window of 200 calls that no commit interrupted
    // counts. A node that could not know (every call reading the catalog) has none.
    let mut quiet = None;
    for _ in 0..10 {
        let before = generation_moved(&engine, None);
        for _ in 0..100 {
            host.credentials(&role_handle).unwrap();
            host.credentials(&key_handle).unwrap();
        }
        if engine.catalog_generation() == Some(before) {
            quiet = Some(before);
            break;
        }
    }
    let quiet = quiet.expect("no quiet window: the generation moved without a commit");
    assert_eq!(host.wire.assume_roles_of(&arn), 1);

    // Another engine on the same database stands for another node: each change it
    // commits reaches this node's handles once its notification has arrived (the
    // generation moves; the handles read the catalog again only then).
    let other = host.node(&url, &key);
    let seen = std::cell::Cell::new(quiet);
    changes_elsewhere_revoke(&host, &other, &arn, [&role_handle, &key_handle], || {
        seen.set(generation_moved(&engine, Some(seen.get())));
    });
}

#[test]
fn a_failed_validation_can_refuse_credentials() {
    let host = Host::new();
    let engine = host.engine(true);
    let mut session = engine.session();
    run(
        &mut session,
        &format!(
            "ALTER SYSTEM SET aws_principal = '{}'",
            kit::principal_arn()
        ),
    );
    // Trusts the principal without an external ID: the confused-deputy check fails.
    let arn = host.role(&kit::unique("InsecureRole"), None);
    run(
        &mut session,
        &format!(
            "CREATE CONNECTION weak TO AWS (ASSUME ROLE ARN = '{arn}', ENDPOINT = '{}')",
            kit::shared().endpoint
        ),
    );
    let handle = engine.credentials("weak").unwrap();
    host.credentials(&handle).unwrap();
    let validated = session.execute("VALIDATE CONNECTION weak").remove(0);
    assert!(validated.is_err(), "the insecure role fails validation");
    let err = host.credentials(&handle).unwrap_err();
    assert_eq!(err.code, SqlState::ObjectNotInPrerequisiteState);
    assert_eq!(
        engine.credentials("weak").unwrap_err().code,
        SqlState::ObjectNotInPrerequisiteState
    );
    // Without the option, the same catalog hands them out.
    let lenient = host.engine(false);
    assert!(
        host.credentials(&lenient.credentials("weak").unwrap())
            .is_ok()
    );
}

#[test]
fn names_fold_like_identifiers() {
    let host = Host::new();
    let engine = host.engine(false);
    let mut session = engine.session();
    run(
        &mut session,
        "CREATE SECRET k AS 'x';
         CREATE CONNECTION Conn_A TO AWS (ACCESS KEY ID = 'AKIAONE000000000', SECRET ACCESS KEY = SECRET k);
         CREATE CONNECTION \"Conn_A\" TO AWS (ACCESS KEY ID = 'AKIATWO000000000', SECRET ACCESS KEY = SECRET k)",
    );
    let folded = engine.credentials("Conn_A").unwrap();
    let quoted = engine.credentials("\"Conn_A\"").unwrap();
    assert_eq!(
        host.credentials(&folded).unwrap().access_key_id(),
        "AKIAONE000000000"
    );
    assert_eq!(
        host.credentials(&quoted).unwrap().access_key_id(),
        "AKIATWO000000000"
    );
    assert_eq!(fold_name("\"a\"\"b\"").unwrap(), "a\"b");
    for bad in ["", "\"", "\"\"", "a\"b", "\"open", "x\0y"] {
        assert!(fold_name(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        engine.credentials("nope").unwrap_err().code,
        SqlState::UndefinedObject
    );
    assert_eq!(
        engine.credentials("k").unwrap_err().code,
        SqlState::WrongObjectType
    );
}

#[test]
fn async_hosts_get_handles_without_blocking_their_runtime() {
    let host = Host::new();
    let engine = host.engine(false);
    let mut session = engine.session();
    assume_role_connection(&host, &mut session, "c", 1);
    let current_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = current_thread.block_on(async {
        let handle = engine.credentials_async("c").await.unwrap();
        handle
            .credentials()
            .await
            .unwrap()
            .access_key_id()
            .to_owned()
    });
    assert!(!key.is_empty());
    // And synchronous hosts block only their own thread.
    let handle = engine.credentials("c").unwrap();
    assert_eq!(handle.blocking_credentials().unwrap().access_key_id(), key);
}

// ---- issue 18: durations, chaining, STS ENDPOINT, health ---------------------------------

/// Rows of a query, as text.
fn query(session: &mut Session, sql: &str) -> Vec<Vec<Option<String>>> {
    let mut results = session.execute(sql);
    let result = results
        .remove(0)
        .unwrap_or_else(|e| panic!("{sql}: {}", e.render()));
    result.rows().expect("rows").rows.clone()
}

const HEALTH: &str = "SELECT c.name, h.session_duration_seconds, h.chained, \
     h.last_assumed_at IS NOT NULL, h.expires_at > h.last_assumed_at, h.last_refresh_error \
     FROM mz_catalog.mz_connections AS c \
     JOIN mz_internal.mz_aws_connection_credentials AS h ON h.connection_id = c.id";

/// A user with a key, allowed to assume any role: Airlock's identity when the principal
/// is a user, so that assuming a connection's role is not role chaining.
fn user_host() -> (Host, String, String) {
    let made = Host::new();
    let (arn, key, secret) = made.runtime.block_on(async {
        let iam = kit::shared().iam().await;
        let name = kit::unique("AirlockUser");
        let (arn, key, secret) = kit::create_user_with_key(&iam, &name).await;
        iam.put_user_policy()
            .user_name(&name)
            .policy_name("assume-connection-roles")
            .policy_document(kit::assume_any_role_policy())
            .send()
            .await
            .expect("put_user_policy");
        (arn, key, secret)
    });
    let host = Host::acting_as(Some(Credentials::new(key, &secret, None, None, "user")));
    (host, arn, secret)
}

/// `aws_principal` set to `user` and connection `c` (u1) on the emulator, with
/// `options`, assuming a role that trusts `user` with the external ID of `u<trusted>`;
/// returns the role's ARN.
fn user_connection(
    host: &Host,
    session: &mut Session,
    user: &str,
    trusted: u64,
    options: &str,
) -> String {
    let arn = host.runtime.block_on(async {
        let iam = kit::shared().iam().await;
        let condition = kit::secure_condition(&format!("mz_{PREFIX}_u{trusted}"));
        let policy = kit::trust_policy(user, Some(condition));
        kit::create_role(&iam, &kit::unique("DurationRole"), &policy).await
    });
    run(
        session,
        &format!("ALTER SYSTEM SET aws_principal = '{user}'"),
    );
    run(
        session,
        &format!(
            "CREATE CONNECTION c TO AWS (ASSUME ROLE ARN = '{arn}', ENDPOINT = '{}'{options})",
            kit::shared().endpoint
        ),
    );
    arn
}

#[test]
fn a_session_lasts_its_duration_and_is_renewed_by_the_handles_clock() {
    let (host, user, _) = user_host();
    let engine = host.engine(false);
    let mut session = engine.session();
    let arn = user_connection(
        &host,
        &mut session,
        &user,
        1,
        ", ASSUME ROLE SESSION DURATION = '2 hours'",
    );
    let handle = engine.credentials("c").unwrap();
    let first = host.credentials(&handle).unwrap();
    assert_eq!(host.wire.durations_of(&arn), [Some(7200)]);
    let left = first
        .expiry()
        .unwrap()
        .duration_since(SystemTime::now())
        .unwrap();
    assert!(
        left > Duration::from_secs(3600),
        "{left:?}: the emulator honours DurationSeconds"
    );
    // An hour on, a default session would have been renewed; this one is kept.
    host.clock.advance(Duration::from_secs(3600));
    host.credentials(&handle).unwrap();
    assert_eq!(host.wire.durations_of(&arn).len(), 1);
    // Inside the 5-minute margin of its own expiry: renewed, for the same duration.
    host.clock.advance(left - Duration::from_secs(3600 + 120));
    host.credentials(&handle).unwrap();
    assert_eq!(host.wire.durations_of(&arn), [Some(7200), Some(7200)]);
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        query(&mut session, HEALTH),
        [vec![s("c"), s("7200"), s("f"), s("t"), s("t"), None]]
    );
    // The row follows the handle's clock: the last session was asked for after the move.
    let assumed = query(
        &mut session,
        "SELECT last_assumed_at FROM mz_internal.mz_aws_connection_credentials",
    );
    let at = assumed[0][0].clone().unwrap();
    assert!(at.as_str() > kit_now_text().as_str(), "{at}");

    // VALIDATE reports the duration as a passing check.
    let rows = query(&mut session, "VALIDATE CONNECTION c");
    let duration = rows
        .iter()
        .find(|r| r[0].as_deref() == Some("session_duration"))
        .expect("a session_duration check");
    assert_eq!(duration[1].as_deref(), Some("ok"), "{duration:?}");
    assert_eq!(
        duration[2].as_deref(),
        Some("AWS granted a session of 2 hours")
    );
}

/// Now, as the catalog writes timestamps, to compare with times the test clock made.
fn kit_now_text() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (y, m, d) = airlock_engine::core::time::civil_from_days(secs / 86_400);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// [`assume_role_connection`] `c`, then `ALTER CONNECTION c SET (option)`.
fn role_connection_with(host: &Host, session: &mut Session, option: &str) -> String {
    let arn = assume_role_connection(host, session, "c", 1);
    run(session, &format!("ALTER CONNECTION c SET ({option})"));
    arn
}

#[test]
fn a_chained_principal_never_asks_for_more_than_an_hour() {
    let host = Host::new();
    let engine = host.engine(false);
    let mut session = engine.session();
    let arn = role_connection_with(
        &host,
        &mut session,
        "ASSUME ROLE SESSION DURATION = '3 hours'",
    );
    let handle = engine.credentials("c").unwrap();
    host.credentials(&handle).unwrap();
    assert_eq!(
        host.wire.durations_of(&arn),
        [Some(3600)],
        "the principal is a role: capped at AWS's limit for role chaining"
    );
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        query(&mut session, HEALTH),
        [vec![s("c"), s("3600"), s("t"), s("t"), s("t"), None]]
    );

    // VALIDATE says so, as a failed check with a way out.
    let err = session
        .execute("VALIDATE CONNECTION c")
        .remove(0)
        .unwrap_err();
    assert_eq!(
        err.message,
        "the connection's ASSUME ROLE SESSION DURATION is longer than AWS grants"
    );
    let detail = err.detail.clone().unwrap();
    assert!(
        detail.starts_with("session_duration: 3 hours asked, but Airlock's principal is a role session, and AWS caps role chaining at 1 hour."),
        "{detail}"
    );
    assert!(detail.contains("\nsession_duration: failed ("), "{detail}");
    assert!(
        err.hint.clone().unwrap().contains("1 hour or less"),
        "{err:?}"
    );
    let recorded = query(
        &mut session,
        "SELECT status, error_code FROM mz_internal.mz_aws_connection_validations",
    );
    assert_eq!(
        recorded,
        [vec![s("failed"), s("SessionDurationNotAllowed")]]
    );
    // Within the limit, it passes.
    run(
        &mut session,
        "ALTER CONNECTION c SET (ASSUME ROLE SESSION DURATION = '45 minutes')",
    );
    run(&mut session, "VALIDATE CONNECTION c");
    assert!(host.wire.durations_of(&arn).contains(&Some(2700)));
}

#[test]
fn failures_are_recorded_without_secret_values() {
    let (host, user, secret) = user_host();
    let engine = host.engine(false);
    let mut session = engine.session();
    // The role trusts another connection's external ID: AWS refuses.
    user_connection(&host, &mut session, &user, 99, "");
    let handle = engine.credentials("c").unwrap();
    let err = host.credentials(&handle).unwrap_err();
    assert!(err.message.starts_with("AWS refused"), "{err:?}");
    let rows = query(
        &mut session,
        "SELECT last_assumed_at, last_refresh_error, last_error_at IS NOT NULL, chained \
         FROM mz_internal.mz_aws_connection_credentials",
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], None, "never assumed");
    let error = rows[0][1].clone().unwrap();
    assert!(error.contains("AccessDenied"), "{error}");
    assert_eq!(rows[0][2].as_deref(), Some("t"));
    assert_eq!(rows[0][3], None, "not known before a session");
    // Canary: the principal's secret key is nowhere in the catalog file.
    drop(session);
    drop(engine);
    let dump = format!("{:?}", dump::dump(&host.path));
    assert!(!dump.contains(&secret), "the principal's secret key leaked");
}

#[test]
fn sts_endpoint_serves_sts_and_endpoint_serves_the_service() {
    let host = Host::new();
    let engine = host.engine(false);
    let mut session = engine.session();
    let arn = assume_role_connection(&host, &mut session, "c", 1);
    // The service: an endpoint that answers every request, records it, and is not STS.
    let service = kit::fake_sts("arn:aws:iam::000000000000:user/Service");
    // A service endpoint nobody listed: credentials would go there, so nothing is sent.
    run(
        &mut session,
        &format!(
            "ALTER CONNECTION c SET (ENDPOINT = '{}'), SET (STS ENDPOINT = '{}')",
            service.endpoint,
            kit::shared().endpoint
        ),
    );
    let handle = engine.credentials("c").unwrap();
    let refused = host.credentials(&handle).unwrap_err();
    assert_eq!(refused.code, SqlState::InsufficientPrivilege, "{refused:?}");
    assert_eq!(host.wire.assume_roles_of(&arn), 0);

    // Listed by the operator: STS calls go to STS ENDPOINT, the service's to ENDPOINT.
    run(
        &mut session,
        &format!(
            "ALTER SYSTEM SET aws_allowed_endpoints = '{}'",
            service.endpoint
        ),
    );
    host.credentials(&handle).unwrap();
    assert_eq!(host.wire.assume_roles_of(&arn), 1);
    run(&mut session, "VALIDATE CONNECTION c");
    let config = handle.sdk_config().unwrap();
    assert_eq!(config.endpoint_url(), Some(service.endpoint.as_str()));
    // A service call through the handle's configuration reaches ENDPOINT, and only it.
    let answered = host
        .runtime
        .block_on(
            aws_sdk_sts::Client::new(&config)
                .get_caller_identity()
                .send(),
        )
        .unwrap();
    assert_eq!(
        answered.arn(),
        Some("arn:aws:iam::000000000000:user/Service")
    );
    let received = service.finish();
    assert_eq!(received.len(), 1, "STS calls never went to ENDPOINT");
}

#[test]
fn session_names_carry_the_connection_and_the_user() {
    let host = Host::new();
    let engine = host.engine(false);
    let mut session = engine.session();
    let arn = role_connection_with(
        &host,
        &mut session,
        "ASSUME ROLE SESSION NAME = 'airlock-{connection}'",
    );
    let handle = engine.credentials("c").unwrap();
    let role = arn.rsplit('/').next().unwrap();
    assert_eq!(
        host.caller(&handle),
        format!(
            "arn:aws:sts::{}:assumed-role/{role}/airlock-c",
            kit::ACCOUNT
        )
    );
    // A rename changes what CloudTrail would show: a new session.
    run(&mut session, "ALTER CONNECTION c RENAME TO lake");
    assert!(host.caller(&handle).ends_with("/airlock-lake"));

    // {user}: the session's user, for VALIDATE.
    run(
        &mut session,
        "ALTER CONNECTION lake SET (ASSUME ROLE SESSION NAME = '{connection}.{user}')",
    );
    run(
        &mut session,
        "CREATE ROLE \"alice@corp\"; GRANT USAGE ON CONNECTION lake TO \"alice@corp\"",
    );
    let mut alice = engine.session_for("alice@corp");
    run(&mut alice, "VALIDATE CONNECTION lake");
    let named = host.wire.0.lock().unwrap().iter().any(|body| {
        body.contains("Action=AssumeRole&") && body.contains("RoleSessionName=lake.alice%40corp")
    });
    assert!(
        named,
        "the probe's session is named for the connection and the user"
    );
    // A session's credentials handle acts for its user: one session per user, named
    // for them, while the other users' handles keep theirs.
    run(
        &mut session,
        "CREATE ROLE bob; GRANT USAGE ON CONNECTION lake TO bob",
    );
    let alice_handle = alice.credentials("lake").unwrap();
    let bob_handle = engine.session_for("bob").credentials("lake").unwrap();
    assert!(host.caller(&alice_handle).ends_with("/lake.alice@corp"));
    assert!(host.caller(&bob_handle).ends_with("/lake.bob"));
    assert!(host.caller(&alice_handle).ends_with("/lake.alice@corp"));
    // A session without a user, and an engine's handle, have no user to put there.
    let err = session
        .execute("VALIDATE CONNECTION lake")
        .remove(0)
        .unwrap_err();
    assert_eq!(err.code, SqlState::InvalidParameterValue);
    assert_eq!(
        err.message,
        "invalid ASSUME ROLE SESSION NAME \"{connection}.{user}\" of connection \"lake\": {user} needs a user, and this session has none"
    );
    assert_eq!(
        host.credentials(&handle).unwrap_err().code,
        SqlState::InvalidParameterValue
    );
    // Checked against AWS's rules once expanded.
    run(
        &mut session,
        "ALTER CONNECTION lake SET (ASSUME ROLE SESSION NAME = '{connection}'); ALTER CONNECTION lake RENAME TO \"Lake House\"",
    );
    let err = engine.credentials("\"Lake House\"").unwrap_err();
    assert!(
        err.message.ends_with(
            "expands to \"Lake House\", which AWS refuses: expected 2 to 64 characters of letters, digits and +=,.@_-"
        ),
        "{err:?}"
    );
}

// ---- issue 18: USE DEFAULT CREDENTIALS ---------------------------------------------------

/// `AssumeRole` calls of any role so far.
fn assume_roles(host: &Host) -> usize {
    host.wire
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|body| body.contains("Action=AssumeRole&"))
        .count()
}

#[test]
fn default_credentials_act_as_airlock_itself_only_while_allowed() {
    // Airlock's own identity (its default chain) is an IAM user with a key.
    let (host, user, secret) = user_host();
    let engine = host.engine(false);
    let mut session = engine.session();
    let create = format!(
        "CREATE CONNECTION own TO AWS (USE DEFAULT CREDENTIALS, ENDPOINT = '{}')",
        kit::shared().endpoint
    );
    let refused = session.execute(&create).remove(0).unwrap_err();
    assert_eq!(refused.code, SqlState::FeatureNotSupported, "{refused:?}");
    assert_eq!(refused.message, "USE DEFAULT CREDENTIALS is disabled");
    assert!(
        refused
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("ALTER SYSTEM SET aws_allow_default_credentials = true")),
        "{refused:?}"
    );
    assert!(engine.credentials("own").is_err(), "nothing was created");

    run(
        &mut session,
        "ALTER SYSTEM SET aws_allow_default_credentials = true",
    );
    run(&mut session, &create);

    // The handle hands out the default chain's credentials: no role is assumed.
    let handle = engine.credentials("own").unwrap();
    let credentials = host.credentials(&handle).unwrap();
    assert_eq!(credentials.secret_access_key(), secret);
    assert_eq!(host.caller(&handle), user);
    assert_eq!(
        assume_roles(&host),
        0,
        "no AssumeRole for the default chain"
    );

    // VALIDATE checks what can be checked (who the chain is, at the connection's
    // endpoint) and says that the confused-deputy checks do not apply: never "ok".
    let rows = query(&mut session, "VALIDATE CONNECTION own");
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        rows,
        [
            vec![
                s("endpoint"),
                s("ok"),
                s(
                    "not AWS STS: these checks went to an endpoint listed in aws_allowed_endpoints, not to AWS"
                ),
            ],
            vec![
                s("get_caller_identity"),
                s("ok"),
                s(&format!(
                    "authenticated as {user}, Airlock's own identity from the default credential chain"
                )),
            ],
            vec![
                s("external_id"),
                s("not applicable"),
                s(
                    "not checked: the connection uses Airlock's own identity (USE DEFAULT CREDENTIALS), so there is no customer role and no external ID, and no confused-deputy protection to check"
                ),
            ],
        ]
    );
    assert!(
        !rows.iter().any(|r| r[0]
            .as_deref()
            .is_some_and(|c| c.starts_with("assume_role"))),
        "no external-ID probe is reported"
    );
    assert_eq!(
        query(
            &mut session,
            "SELECT status, caller_arn FROM mz_internal.mz_aws_connection_validations"
        ),
        [vec![s("ok"), Some(user.clone())]]
    );
    assert_eq!(assume_roles(&host), 0, "VALIDATE assumed no role either");

    // Turned off again: the connection stays, but every use is refused — the handle
    // already made, a new handle, VALIDATE, an SDK configuration, and another process.
    run(
        &mut session,
        "ALTER SYSTEM RESET aws_allow_default_credentials",
    );
    let err = host.credentials(&handle).unwrap_err();
    assert_eq!(err.code, SqlState::FeatureNotSupported, "{err:?}");
    assert_eq!(
        err.message,
        "connection \"own\" uses USE DEFAULT CREDENTIALS, which is disabled"
    );
    assert_eq!(
        engine.credentials("own").unwrap_err().code,
        SqlState::FeatureNotSupported
    );
    let err = session
        .execute("VALIDATE CONNECTION own")
        .remove(0)
        .unwrap_err();
    assert_eq!(err.code, SqlState::FeatureNotSupported);
    assert_eq!(
        session.aws_sdk_config("own").unwrap_err().code,
        SqlState::FeatureNotSupported
    );
    let other = host.engine(false);
    assert_eq!(
        other.credentials("own").unwrap_err().code,
        SqlState::FeatureNotSupported
    );
    assert_eq!(
        query(&mut session, "SELECT name FROM mz_connections"),
        [vec![s("own")]],
        "the connection stays in the catalog"
    );

    // On again, the same handle works again.
    run(
        &mut session,
        "ALTER SYSTEM SET aws_allow_default_credentials = on",
    );
    assert_eq!(
        host.credentials(&handle).unwrap().secret_access_key(),
        secret
    );
}

#[test]
fn validating_default_credentials_without_any_fails_and_says_why() {
    let mut host = Host::new();
    // A default chain that finds nothing.
    let mut builder = host.base.to_builder();
    builder.set_credentials_provider(None);
    host.base = builder.build();
    let engine = host.engine(false);
    let mut session = engine.session();
    run(
        &mut session,
        "ALTER SYSTEM SET aws_allow_default_credentials = true",
    );
    run(
        &mut session,
        &format!(
            "CREATE CONNECTION own TO AWS (USE DEFAULT CREDENTIALS, ENDPOINT = '{}')",
            kit::shared().endpoint
        ),
    );
    let err = session
        .execute("VALIDATE CONNECTION own")
        .remove(0)
        .unwrap_err();
    assert_eq!(err.code, SqlState::SystemError, "{err:?}");
    assert_eq!(
        err.message,
        "cannot validate: Airlock has no AWS identity of its own"
    );
    let detail = err.detail.unwrap_or_default();
    assert!(detail.contains("principal: failed"), "{detail}");
    assert!(detail.contains("external_id: not applicable"), "{detail}");
    assert!(!detail.contains(": ok"), "nothing passed: {detail}");
    assert!(
        !detail.contains("endpoint:"),
        "no call reached it: {detail}"
    );
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        query(
            &mut session,
            "SELECT status, error_code FROM mz_internal.mz_aws_connection_validations"
        ),
        [vec![s("failed"), s("NoCredentials")]]
    );
    let handle = engine.credentials("own").unwrap();
    assert!(host.credentials(&handle).is_err());
}
