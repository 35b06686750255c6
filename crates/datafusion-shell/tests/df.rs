//! The real `airlock-df` binary: `airlock`'s flags and output, DataFusion's statements,
//! Airlock's statements, in one script.

use std::path::Path;
use std::process::Command;

const CANARY: &str = "df-shell-canary-51c2";

#[derive(Debug)]
struct Run {
    stdout: String,
    stderr: String,
    status: i32,
}

fn airlock_df(dir: &Path, args: &[&str], stdin: &str) -> Run {
    let out = airlock_testkit::process::output_of(
        Command::new(env!("CARGO_BIN_EXE_airlock-df"))
            .args(args)
            .current_dir(dir)
            .env_remove("AIRLOCK_CATALOG")
            .env_remove("AIRLOCK_AWS_PRINCIPAL")
            .env("AIRLOCK_HISTORY", dir.join("history")),
        stdin,
    );
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        status: out.status.code().unwrap_or(-1),
    }
}

#[test]
fn datafusion_and_airlock_statements_print_as_airlock_prints() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("trips.csv"),
        "city,miles\nlisbon,3\nporto,5\nlisbon,7\n",
    )
    .unwrap();
    let script = format!(
        "CREATE SECRET key_id AS '{CANARY}';\n\
         CREATE CONNECTION lake TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET key_id, REGION = 'us-east-1');\n\
         CREATE EXTERNAL TABLE trips STORED AS CSV LOCATION '{}' OPTIONS ('format.has_header' 'true');\n\
         SELECT city, sum(miles) AS miles, sum(miles) > 5 AS far FROM trips GROUP BY city ORDER BY city;\n\
         SELECT city FROM trips WHERE miles > 100;\n\
         SELECT c.name, t.city FROM mz_connections c CROSS JOIN (SELECT DISTINCT city FROM trips) t ORDER BY t.city;\n\
         SHOW CONNECTIONS;\n\
         DROP SECRET key_id;\n\
         SELECT nope FROM trips;\n",
        dir.path().join("trips.csv").display()
    );
    let run = airlock_df(dir.path(), &["--catalog", "c.db"], &script);
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "CREATE SECRET\n\
         CREATE CONNECTION\n\
         CREATE EXTERNAL TABLE\n\
         \x20 city  | miles | far \n\
         --------+-------+-----\n\
         \x20lisbon |    10 | t\n\
         \x20porto  |     5 | f\n\
         (2 rows)\n\n\
         \x20city \n\
         ------\n\
         (0 rows)\n\n\
         \x20name |  city  \n\
         ------+--------\n\
         \x20lake | lisbon\n\
         \x20lake | porto\n\
         (2 rows)\n\n\
         \x20name | type | comment \n\
         ------+------+---------\n\
         \x20lake | aws  | \n\
         (1 row)\n\n",
        "{run:?}"
    );
    // Airlock's error for Airlock's statement, DataFusion's for DataFusion's.
    assert!(
        run.stderr.starts_with(
            "ERROR:  cannot drop secret \"key_id\": still depended upon by connection \"lake\"\n"
        ),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("ERROR:  Schema error: No field named nope"),
        "{run:?}"
    );
    assert!(!run.stdout.contains(CANARY) && !run.stderr.contains(CANARY));
    let catalog = std::fs::read(dir.path().join("c.db")).unwrap();
    assert!(
        !catalog
            .windows(CANARY.len())
            .any(|w| w == CANARY.as_bytes())
    );
}

#[test]
fn airlock_flags_apply() {
    let dir = tempfile::tempdir().unwrap();
    let csv = airlock_df(
        dir.path(),
        &[
            "--catalog",
            ":memory:",
            "--csv",
            "-c",
            "SELECT 1 + 1 AS two, 'a,b' AS s",
        ],
        "",
    );
    assert_eq!(csv.stdout, "two,s\n2,\"a,b\"\n", "{csv:?}");
    let tuples = airlock_df(
        dir.path(),
        &[
            "--catalog",
            ":memory:",
            "-A",
            "-t",
            "-c",
            "SELECT 42 AS answer",
        ],
        "",
    );
    assert_eq!(tuples.stdout, "42\n", "{tuples:?}");
    let expanded = airlock_df(
        dir.path(),
        &["--catalog", ":memory:", "-x", "-c", "SELECT 42 AS answer"],
        "",
    );
    assert_eq!(
        expanded.stdout, "-[ RECORD 1 ]\nanswer | 42\n\n",
        "{expanded:?}"
    );
    // ON_ERROR_STOP and the exit status, as airlock's.
    let stopped = airlock_df(
        dir.path(),
        &["--catalog", ":memory:", "-v", "ON_ERROR_STOP=1"],
        "SELECT * FROM nowhere;\nSELECT 1;\n",
    );
    assert_eq!(stopped.status, 3, "{stopped:?}");
    assert_eq!(stopped.stdout, "", "{stopped:?}");
    // `\d` asks Airlock's catalog.
    let described = airlock_df(
        dir.path(),
        &[
            "--catalog",
            "d.db",
            "-c",
            "CREATE CONNECTION c TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R')",
            "-c",
            "\\d",
        ],
        "",
    );
    assert_eq!(described.status, 0, "{described:?}");
    assert!(
        described.stdout.contains(" c    | connection"),
        "{described:?}"
    );
    // Not a client: -h is refused.
    let host = airlock_df(dir.path(), &["-h", "127.0.0.1", "-c", "SELECT 1"], "");
    assert_eq!(host.status, 1, "{host:?}");
    assert!(host.stderr.contains("-h is not supported"), "{host:?}");
}
