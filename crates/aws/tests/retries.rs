//! Throttling and 5xx answers are retried, with the SDK's standard backoff, a bounded
//! number of times; what is still not an answer after that is inconclusive, never a
//! pass, and an `AccessDenied` is an answer that is never retried.
//!
//! The ministack emulator never throttles nor fails with a 5xx, so these tests talk to a
//! scripted STS endpoint on loopback that answers each request from a list.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlock_aws::{AllowedEndpoints, AwsConfig, ResolvedConnection, Status, Validator};
use airlock_core::SecretString;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const ATTEMPTS: u32 = 3;

/// An STS answer: HTTP status and XML body.
type Answer = (u16, String);

fn error(status: u16, code: &str) -> Answer {
    (
        status,
        format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>scripted {code}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        ),
    )
}

fn caller_identity() -> Answer {
    (
        200,
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:user/scripted</Arn><UserId>AIDASCRIPTED</UserId><Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>".to_owned(),
    )
}

/// A loopback endpoint that answers the n-th request with `script[n]` (the last entry
/// repeats) and counts the requests.
async fn scripted(script: Vec<Answer>) -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(Mutex::new(0usize));
    let served = count.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (script, served) = (script.clone(), served.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    // One request: the head, then Content-Length bytes of body.
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        let mut chunk = [0u8; 4096];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + length {
                        let mut chunk = [0u8; 4096];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..head_end + length);
                    let n = {
                        let mut served = served.lock().unwrap();
                        *served += 1;
                        *served - 1
                    };
                    let (status, body) = &script[n.min(script.len() - 1)];
                    let response = format!(
                        "HTTP/1.1 {status} Scripted\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if stream.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (endpoint, count)
}

/// A validator that may send to the scripted STS at `endpoint` (listed, as an operator
/// lists an emulator: it is not AWS STS).
async fn validator(endpoint: &str) -> Validator {
    let base = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDSCRIPTED",
            "scripted",
            None,
            None,
            "test",
        )))
        .load()
        .await;
    Validator::new(
        &AwsConfig::new(base)
            .with_timeout(Duration::from_secs(20))
            .with_max_attempts(ATTEMPTS)
            .with_allowed_endpoints(&AllowedEndpoints::parse(endpoint).expect("a loopback URL")),
    )
}

fn keys(endpoint: &str) -> ResolvedConnection {
    ResolvedConnection::access_key("minioadmin", SecretString::new("minioadmin"), None)
        .with_endpoint(endpoint)
}

#[tokio::test]
async fn throttling_is_retried_then_answered() {
    let (endpoint, count) = scripted(vec![
        error(400, "Throttling"),
        error(400, "Throttling"),
        caller_identity(),
    ])
    .await;
    let report = validator(&endpoint)
        .await
        .validate(&keys(&endpoint), None)
        .await;
    assert_eq!(report.status, Status::Ok, "{report:#?}");
    assert_eq!(*count.lock().unwrap(), 3);
}

#[tokio::test]
async fn persistent_throttling_is_inconclusive_after_bounded_retries() {
    let (endpoint, count) = scripted(vec![error(400, "Throttling")]).await;
    let started = Instant::now();
    let report = validator(&endpoint)
        .await
        .validate(&keys(&endpoint), None)
        .await;
    assert_eq!(report.status, Status::Inconclusive, "{report:#?}");
    assert_eq!(report.error_code.as_deref(), Some("Throttling"));
    assert!(
        report
            .message
            .as_deref()
            .unwrap()
            .starts_with("connection validation is inconclusive: Throttling: "),
        "{report:#?}"
    );
    assert!(report.into_result().is_err(), "inconclusive never passes");
    assert_eq!(*count.lock().unwrap(), ATTEMPTS as usize, "bounded");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn server_errors_are_retried_then_inconclusive() {
    let (endpoint, count) = scripted(vec![error(503, "ServiceUnavailable")]).await;
    let report = validator(&endpoint)
        .await
        .validate(&keys(&endpoint), None)
        .await;
    assert_eq!(report.status, Status::Inconclusive, "{report:#?}");
    assert_eq!(report.error_code.as_deref(), Some("ServiceUnavailable"));
    assert_eq!(*count.lock().unwrap(), ATTEMPTS as usize);
}

#[tokio::test]
async fn a_refusal_is_an_answer_and_not_retried() {
    let (endpoint, count) = scripted(vec![error(403, "InvalidClientTokenId")]).await;
    let report = validator(&endpoint)
        .await
        .validate(&keys(&endpoint), None)
        .await;
    assert_eq!(report.status, Status::Failed, "{report:#?}");
    assert_eq!(report.error_code.as_deref(), Some("InvalidClientTokenId"));
    assert_eq!(*count.lock().unwrap(), 1);
}
