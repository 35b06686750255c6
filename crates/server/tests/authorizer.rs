//! Each session's user reaches the engine's authorizer hook, and each session acts as its
//! user's role: the library API (`Server::bind` + `Server::run`) with an `Authorizer`
//! that refuses one user, and with `new_users` at `Login`.

use std::sync::{Arc, Mutex};

use airlock_core::{Diagnostic, SqlState};
use airlock_engine::hooks::Request;
use airlock_engine::{Authorizer, NewUsers};
use airlock_server::{Auth, Server, ServerConfig};

/// A server on a loopback port, in this process.
struct Running {
    port: u16,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn start(dir: &tempfile::TempDir, configure: impl FnOnce(&mut ServerConfig)) -> Running {
        let mut config = ServerConfig::new(dir.path().join("catalog.db"));
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.auth = Auth::Trust;
        config.log.quiet = true;
        configure(&mut config);
        let server = Server::bind(config).await.unwrap();
        let port = server.local_addr().port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        Running { port, stop, task }
    }

    async fn connect(&self, user: &str) -> tokio_postgres::Client {
        let conninfo = format!(
            "host=127.0.0.1 port={} user={user} dbname=airlock",
            self.port
        );
        let (client, connection) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
    }

    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap();
    }
}

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
    let running = Running::start(&dir, |config| {
        config.engine.authorizer = Some(authorizer.clone())
    })
    .await;
    let alice = running.connect("alice").await;
    alice
        .execute("CREATE SECRET s AS $1", &[&"v"])
        .await
        .unwrap();
    let bob = running.connect("bob").await;
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
    running.stop().await;
}

/// With `new_users` at `Login` (`airlock serve --new-users login`), a user who is not a
/// role yet becomes one without privileges, owns what it is allowed to create, and is
/// refused the rest with Materialize's messages.
#[tokio::test]
async fn sessions_act_as_their_users_roles() {
    let dir = tempfile::tempdir().unwrap();
    let running = Running::start(&dir, |config| config.engine.new_users = NewUsers::Login).await;
    let connect = |user: &'static str| running.connect(user);

    // The catalog's first user is a superuser.
    let admin = connect("materialize").await;
    admin
        .batch_execute("CREATE SECRET admin_key AS 'v'")
        .await
        .unwrap();
    let bob = connect("bob").await;
    let e = bob
        .batch_execute("CREATE SECRET s AS 'v'")
        .await
        .unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "42501");
    assert_eq!(
        db.message(),
        "permission denied for SCHEMA \"materialize.public\""
    );
    let e = bob
        .batch_execute(
            "CREATE CONNECTION c TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET admin_key)",
        )
        .await
        .unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "42501");

    admin
        .batch_execute("GRANT CREATE ON SCHEMA public TO bob")
        .await
        .unwrap();
    bob.batch_execute("CREATE SECRET s AS 'v'").await.unwrap();
    let row = bob
        .query_one(
            "SELECT r.name, r.rolcanlogin, r.rolsuper, s.owner_id = r.id FROM mz_secrets s JOIN mz_roles r ON r.name = current_user WHERE s.name = 's'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "bob");
    assert!(row.get::<_, bool>(1) && !row.get::<_, bool>(2) && row.get::<_, bool>(3));
    let e = bob
        .batch_execute("DROP SECRET admin_key")
        .await
        .unwrap_err();
    assert_eq!(
        e.as_db_error().unwrap().message(),
        "must be owner of SECRET materialize.public.admin_key"
    );

    drop((admin, bob));
    running.stop().await;
}
