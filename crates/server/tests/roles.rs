//! Each session acts as its authenticated user's role: with `new_users` at `Login`
//! (`airlock serve --new-users login`), a user who is not a role yet becomes one without
//! privileges, owns what it is allowed to create, and is refused the rest with
//! Materialize's messages.

use airlock_engine::NewUsers;
use airlock_server::{Auth, Server, ServerConfig};

#[tokio::test]
async fn sessions_act_as_their_users_roles() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::new(dir.path().join("catalog.db"));
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.auth = Auth::Trust;
    config.log.quiet = true;
    config.engine.new_users = NewUsers::Login;
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
    stop.send(()).unwrap();
    running.await.unwrap();
}
