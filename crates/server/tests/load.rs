//! Load: 200 concurrent clients × 50 statements (DDL and catalog queries) on one
//! server — nothing lost, no duplicate id, no protocol error. Bounded by the statement
//! count, not by time.

mod common;

use std::collections::HashSet;

use common::TestServer;

const CLIENTS: usize = 200;
const STATEMENTS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_clients_lose_nothing() {
    let server = TestServer::trust(&["--max-connections", "250", "--quiet"]);
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let conninfo = server.conninfo(&format!("user{c}"));
        tasks.push(tokio::spawn(async move {
            let (client, connection) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
                .await
                .expect("connect");
            let driver = tokio::spawn(connection);
            let mut created = 0;
            for i in 0..STATEMENTS {
                if i % 2 == 0 {
                    // Half DDL, with a bound parameter or a literal.
                    let name = format!("s{c}x{i}");
                    if i % 4 == 0 {
                        client
                            .execute(&format!("CREATE SECRET {name} AS $1"), &[&"v"])
                            .await
                            .expect("create");
                    } else {
                        client
                            .batch_execute(&format!("CREATE SECRET {name} AS 'v'"))
                            .await
                            .expect("create");
                    }
                    created += 1;
                } else {
                    // Half catalog queries: this client's secrets are all there.
                    let row = client
                        .query_one(
                            "SELECT count(*) FROM mz_secrets WHERE name LIKE $1",
                            &[&format!("s{c}x%")],
                        )
                        .await
                        .expect("query");
                    assert_eq!(row.get::<_, i64>(0), created);
                }
            }
            drop(client);
            driver.await.unwrap().expect("no protocol error");
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let client = common::connect(&server.conninfo("check")).await;
    let rows = client
        .query("SELECT id, name FROM mz_secrets", &[])
        .await
        .unwrap();
    assert_eq!(rows.len(), CLIENTS * STATEMENTS / 2);
    let ids: HashSet<String> = rows.iter().map(|r| r.get(0)).collect();
    let names: HashSet<String> = rows.iter().map(|r| r.get(1)).collect();
    assert_eq!(ids.len(), rows.len(), "duplicate ids");
    assert_eq!(names.len(), rows.len());
    assert!(!server.stderr().contains("panicked"));
}
