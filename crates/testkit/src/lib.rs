//! Test support shared by Airlock's crates: the `ministack` STS/IAM emulator on a free
//! loopback port, and endpoints that refuse or never answer.
//!
//! Started with `AUTH=true`, so it checks SigV4 signatures and evaluates identity and trust
//! policies (including `sts:ExternalId` conditions). If it is not installed or does not
//! start, the caller panics with a message that says how to install it: these tests must
//! never be skipped silently.
//!
//! A small Python watchdog owns the emulator and stops it when its standard input closes,
//! which happens when the test process exits for any reason — so a shared emulator held
//! in a `static` (which is never dropped) does not outlive the tests.
pub mod postgres;
pub mod process;
pub mod tls;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};

/// The emulator's account and root credentials.
pub const ACCOUNT: &str = "000000000000";
pub const ROOT_KEY: &str = "test";
pub const REGION: &str = "us-east-1";
/// The principal role every test acts as, created by [`shared`].
pub const PRINCIPAL_ROLE: &str = "AirlockPrincipal";

/// How long the emulator may take to answer its health check.
const START_DEADLINE: Duration = Duration::from_secs(45);

/// Runs `python -m ministack` and stops it when standard input reaches EOF.
const WATCHDOG: &str = r#"
import subprocess, sys
child = subprocess.Popen([sys.executable, "-m", "ministack"])
try:
    sys.stdin.read()
finally:
    child.terminate()
    try:
        child.wait(5)
    except subprocess.TimeoutExpired:
        child.kill()
"#;

/// A running emulator.
#[derive(Debug)]
pub struct Ministack {
    pub endpoint: String,
    watchdog: Child,
    stdin: Option<ChildStdin>,
    /// The emulator's output: a file already unlinked, so that nothing is left behind
    /// however the test process ends.
    log: File,
}

/// The Python that runs the emulator: `$PYTHON`, else the virtual environment that
/// `make test-deps` creates under the workspace's `target/`, else `python3`.
fn python() -> String {
    if let Ok(python) = std::env::var("PYTHON") {
        return python;
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-venv/bin/python");
    if venv.exists() {
        return venv.to_string_lossy().into_owned();
    }
    "python3".to_owned()
}

/// The HTTP client Airlock itself uses (`airlock_aws::https_client`, which this crate
/// cannot name without a dependency cycle): rustls on ring.
fn http_client() -> aws_sdk_sts::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("cannot bind a loopback port")
        .port()
}

impl Ministack {
    /// Starts an emulator on a free loopback port and waits until it answers.
    pub fn start() -> Ministack {
        let installed = Command::new(python())
            .args(["-c", "import ministack"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match installed {
            Ok(status) if status.success() => {}
            other => panic!(
                "the ministack STS/IAM emulator is not installed ({other:?}); these tests need it: \
                 run `make test-deps` (scripts/install-test-deps.sh) or \
                 `python3 -m pip install ministack==1.5.33`"
            ),
        }
        // A port taken between probing and binding shows up as a failed start; try anew.
        let mut last_log = String::new();
        for _ in 0..3 {
            match Ministack::try_start() {
                Ok(ms) => return ms,
                Err(log) => last_log = log,
            }
        }
        panic!("the ministack emulator did not start; its log:\n{last_log}");
    }

    fn try_start() -> Result<Ministack, String> {
        let port = free_port();
        let path = std::env::temp_dir().join(format!(
            "airlock-ministack-{}-{port}.log",
            std::process::id()
        ));
        let log_file = File::create(&path).expect("cannot create the emulator log");
        let log = File::open(&path).expect("cannot reopen the emulator log");
        // Unlinked at once: the emulator writes and we read through open handles, and no
        // file outlives the test process (the shared emulator's `Drop` never runs).
        let _ = std::fs::remove_file(&path);
        let watchdog = Command::new(python())
            .args(["-c", WATCHDOG])
            .env("AUTH", "true")
            // Its default listens on every interface; tests stay on loopback.
            .env("BIND_HOST", "127.0.0.1")
            .env("GATEWAY_PORT", port.to_string())
            .env("SERVICES", "sts,iam,s3")
            // Otherwise it also opens an MQTT listener on 0.0.0.0:8883 and an SFTP one.
            .env("IOT_MTLS_ENABLED", "0")
            .env("SFTP_ENABLED", "0")
            .env("LOG_LEVEL", "WARNING")
            .env_remove("LOCALSTACK_PERSISTENCE")
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::piped())
            .stdout(log_file.try_clone().expect("log handle"))
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", python()))?;
        let mut ms = Ministack {
            endpoint: format!("http://127.0.0.1:{port}"),
            stdin: None,
            watchdog,
            log,
        };
        ms.stdin = ms.watchdog.stdin.take();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + START_DEADLINE;
        while Instant::now() < deadline {
            if healthy(addr) {
                return Ok(ms);
            }
            if let Ok(Some(status)) = ms.watchdog.try_wait() {
                return Err(format!("exited with {status}:\n{}", ms.log_text()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "no answer on {addr} within {START_DEADLINE:?}:\n{}",
            ms.log_text()
        ))
    }

    fn log_text(&self) -> String {
        let mut text = String::new();
        let mut log = &self.log;
        let _ = log.seek(SeekFrom::Start(0));
        let _ = log.read_to_string(&mut text);
        text
    }

    /// Airlock's own identity: the emulator's root credentials, the emulator as endpoint
    /// (what `AWS_ENDPOINT_URL` would give).
    pub async fn base_config(&self) -> SdkConfig {
        self.config_with(Credentials::new(ROOT_KEY, ROOT_KEY, None, None, "test"))
            .await
    }

    /// A base configuration with other credentials.
    pub async fn config_with(&self, credentials: Credentials) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .load()
            .await
    }

    pub async fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.base_config().await)
    }
}

impl Drop for Ministack {
    fn drop(&mut self) {
        // Closing stdin lets the watchdog stop the emulator; kill it only if it hangs.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.watchdog.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

fn healthy(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /_ministack/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b"200")
}

/// One emulator per test binary, with the principal role created.
pub fn shared() -> &'static Ministack {
    static SHARED: OnceLock<Ministack> = OnceLock::new();
    SHARED.get_or_init(|| {
        let ms = Ministack::start();
        // Set-up runs on its own runtime: the caller may be inside a test's runtime.
        std::thread::scope(|s| {
            s.spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(create_principal(&ms))
            })
            .join()
            .unwrap()
        });
        ms
    })
}

pub fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

pub fn principal_arn() -> String {
    role_arn(PRINCIPAL_ROLE)
}

/// A trust policy letting `principal` assume the role, with an optional condition.
pub fn trust_policy(principal: &str, condition: Option<serde_json::Value>) -> String {
    let mut statement = serde_json::json!({
        "Effect": "Allow",
        "Principal": { "AWS": principal },
        "Action": "sts:AssumeRole",
    });
    if let Some(condition) = condition {
        statement["Condition"] = condition;
    }
    serde_json::json!({ "Version": "2012-10-17", "Statement": [statement] }).to_string()
}

/// The identity policy that lets a role or user call `sts:AssumeRole` at all (the
/// emulator, like IAM, requires it beside the target's trust policy).
pub fn assume_any_role_policy() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*" }],
    })
    .to_string()
}

async fn create_principal(ms: &Ministack) {
    let iam = ms.iam().await;
    let root = format!("arn:aws:iam::{ACCOUNT}:root");
    create_role(&iam, PRINCIPAL_ROLE, &trust_policy(&root, None)).await;
    iam.put_role_policy()
        .role_name(PRINCIPAL_ROLE)
        .policy_name("assume-connection-roles")
        .policy_document(assume_any_role_policy())
        .send()
        .await
        .expect("put_role_policy");
}

pub async fn create_role(iam: &aws_sdk_iam::Client, name: &str, trust_policy: &str) -> String {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(trust_policy)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "create_role {name}: {}",
                aws_sdk_iam::error::DisplayErrorContext(e)
            )
        });
    role_arn(name)
}

/// The policy a customer pastes: only `external_id` opens the role to the principal.
pub fn secure_condition(external_id: &str) -> serde_json::Value {
    serde_json::json!({ "StringEquals": { "sts:ExternalId": external_id } })
}

/// A user with an access key: `(arn, access key id, secret access key)`.
pub async fn create_user_with_key(
    iam: &aws_sdk_iam::Client,
    name: &str,
) -> (String, String, String) {
    let user = iam
        .create_user()
        .user_name(name)
        .send()
        .await
        .expect("create_user");
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .expect("create_access_key")
        .access_key
        .expect("access key");
    (
        user.user.expect("user").arn,
        key.access_key_id,
        key.secret_access_key,
    )
}

/// A loopback port with nothing listening: connections are refused.
pub fn closed_port_endpoint() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

/// A loopback socket that accepts connections and never answers. The listener lives
/// as long as the returned guard.
#[derive(Debug)]
pub struct SilentEndpoint {
    pub endpoint: String,
    _thread: std::thread::JoinHandle<()>,
}

pub fn silent_endpoint() -> SilentEndpoint {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let thread = std::thread::spawn(move || {
        let mut held = Vec::new();
        // Bounded: a test makes a handful of connections at most.
        for stream in listener.incoming().take(64) {
            match stream {
                Ok(stream) => held.push(stream),
                Err(_) => break,
            }
        }
    });
    SilentEndpoint {
        endpoint,
        _thread: thread,
    }
}

/// Asks `probe` every 10 ms until it answers `Some`, for at most `within`, and returns the
/// answer: for a change that arrives from another process, node or thread (in
/// milliseconds; the bound only keeps a broken run from hanging). Panics, saying `what`
/// was awaited, when it never does.
pub fn eventually<T>(what: &str, within: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(Instant::now() < deadline, "waited {within:?} for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A unique name per test, since tests share one emulator.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("{prefix}{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A base configuration whose every call goes to a closed loopback port, with dummy
/// credentials: for test engines that must never reach a network.
pub fn offline_sdk_config() -> SdkConfig {
    let endpoint = closed_port_endpoint();
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(
                    aws_config::defaults(BehaviorVersion::latest())
                        .http_client(http_client())
                        .region(Region::new(REGION))
                        .endpoint_url(endpoint)
                        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                            "AKIDOFFLINE",
                            "offline",
                            None,
                            None,
                            "offline",
                        )))
                        .load(),
                )
        })
        .join()
        .expect("offline config")
    })
}

/// A loopback listener that records every byte that reaches it — for tests that prove
/// nothing was sent — and, as a fake STS, may answer each request with `answer` (a full
/// HTTP response). Bounded: it accepts at most 16 connections, reads at most 64 KiB from
/// each with a 1 s read timeout, and stops when [`Recorder::finish`] is called or after
/// 60 s.
#[derive(Debug)]
pub struct Recorder {
    pub endpoint: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<Vec<u8>>>,
}

/// A [`Recorder`] that never answers.
pub fn recording_listener() -> Recorder {
    recorder(None)
}

/// A [`Recorder`] that answers every request as STS would answer `GetCallerIdentity`,
/// naming `arn` as the caller: an endpoint that would make a validation pass if Airlock
/// believed it.
pub fn fake_sts(arn: &str) -> Recorder {
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AIDAFAKE</UserId>\
         <Account>000000000000</Account></GetCallerIdentityResult>\
         <ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>\
         </GetCallerIdentityResponse>"
    );
    recorder(Some(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )))
}

fn recorder(answer: Option<String>) -> Recorder {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let endpoint = format!("http://{}/", listener.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let thread = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut received = Vec::new();
        while !stopped.load(Ordering::SeqCst) && Instant::now() < deadline && received.len() < 16 {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    let _ = stream.set_nonblocking(false);
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
                    let mut bytes = Vec::new();
                    let mut buf = [0u8; 4096];
                    while bytes.len() < 64 * 1024 {
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => bytes.extend_from_slice(&buf[..n]),
                        }
                        if answer.is_some() && request_complete(&bytes) {
                            break;
                        }
                    }
                    if let Some(answer) = &answer {
                        let _ = stream.write_all(answer.as_bytes());
                    }
                    received.push(bytes);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        received
    });
    Recorder {
        endpoint,
        stop,
        thread,
    }
}

/// Whether `bytes` hold a whole HTTP request (headers and a `Content-Length` body).
fn request_complete(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some(end) = text.find("\r\n\r\n") else {
        return false;
    };
    let length = text[..end]
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    bytes.len() >= end + 4 + length
}

impl Recorder {
    /// Stops listening and returns what each connection sent, in order.
    pub fn finish(self) -> Vec<Vec<u8>> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.thread.join().expect("recorder thread")
    }
}

/// Creates S3 bucket `bucket` on the emulator at `endpoint` with a plain `PUT /bucket`
/// (the emulator needs no signature for it); objects then go in through the code under
/// test.
pub fn create_bucket(endpoint: &str, bucket: &str) {
    let addr = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut stream = TcpStream::connect(&addr).expect("connect to the emulator");
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    write!(
        stream,
        "PUT /{bucket} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("send CreateBucket");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "CreateBucket {bucket}: {response}"
    );
}
