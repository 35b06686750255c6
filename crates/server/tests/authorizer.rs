//! Each session's user reaches the engine's authorizer hook: the library API
//! (`Server::bind` + `Server::run`) with an `Authorizer` that refuses one user.

use std::sync::{Arc, Mutex};

use airlock_core::{Diagnostic, SqlState};
use airlock_engine::Authorizer;
use airlock_engine::hooks::Request;
use airlock_server::{Auth, Server, ServerConfig};

#[derive(Debug, Default)]
struct OnlyAlice {
    seen: Mutex<Vec<String>>,
}

impl Authorizer for OnlyAlice {
    fn authorize(&self, request: &Request<'_>) -> Result<(), Diagnostic> {
        let user = request.user.unwrap_or("<none>").to_owned();
        self.seen.lock().unwrap().push(user.clone());
        if user == "alice" {
            Ok(())
        } else {
            Err(Diagnostic::error(
                SqlState::InsufficientPrivilege,
                format!("permission denied for user {user}"),
            ))
        }
    }
}

#[tokio::test]
async fn the_session_user_reaches_the_authorizer() {
    let dir = tempfile::tempdir().unwrap();
    let authorizer = Arc::new(OnlyAlice::default());
    let mut config = ServerConfig::new(dir.path().join("catalog.db"));
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.auth = Auth::Trust;
    config.log.quiet = true;
    config.engine.authorizer = Some(authorizer.clone());
    let server = Server::bind(config).await.unwrap();
    let port = server.local_addr().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));

    let connect = |user: &str| {
        let conninfo = format!("host=127.0.0.1 port={port} user={user} dbname=airlock");
        async move {
            let (client, connection) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            client
        }
    };
    let alice = connect("alice").await;
    alice
        .execute("CREATE SECRET s AS $1", &[&"v"])
        .await
        .unwrap();
    let bob = connect("bob").await;
    let e = bob
        .query("SELECT name FROM mz_secrets", &[])
        .await
        .unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "42501");
    assert_eq!(db.message(), "permission denied for user bob");
    // The server's own statements are not the engine's: no authorizer call.
    bob.batch_execute("SET application_name = 'x'")
        .await
        .unwrap();
    let seen = authorizer.seen.lock().unwrap().clone();
    assert!(
        seen.contains(&"alice".to_owned()) && seen.contains(&"bob".to_owned()),
        "{seen:?}"
    );
    assert!(!seen.contains(&"<none>".to_owned()), "{seen:?}");

    drop((alice, bob));
    stop.send(()).unwrap();
    running.await.unwrap();
}
