//! Secret values never leave Airlock through DataFusion: a mistyped secret statement,
//! however it starts, fails with Airlock's error, which never quotes a literal — not
//! with DataFusion's parser error, which quotes the token it stopped at.

use airlock_datafusion::AirlockContext;

const CANARY: &str = "canary-datafusion-7c1";

#[tokio::test]
async fn mistyped_secret_statements_never_echo_the_value() {
    let mut ctx = AirlockContext::open(":memory:", Default::default()).unwrap();
    for sql in [
        format!("CREATE SECRET s AS '{CANARY}' BOGUS"),
        format!("/* note */ CREATE SECRET s AS '{CANARY}' BOGUS"),
        format!("-- note\nALTER SECRET s AS '{CANARY}', '{CANARY}'"),
        format!("CREATE CONNECTION c TO AWS (SECRET ACCESS KEY = '{CANARY}' x)"),
        format!("CREATE SECRET s AS '{CANARY}'; SELECT nope FROM"),
    ] {
        let err = ctx.sql(&sql).await.unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(CANARY), "{sql}: {shown}");
    }
    // The one statement that ran holds the value, and only the catalog has it.
    let outputs = ctx.sql("SELECT name FROM mz_secrets").await.unwrap();
    assert!(!format!("{outputs:?}").contains(CANARY));
}
