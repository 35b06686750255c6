//! `examples/host.rs` is run here, so that the documented host keeps working.

#[path = "../examples/host.rs"]
mod host;

#[test]
fn the_host_example_runs_its_script_in_order() {
    let log = host::run().expect("the example runs");
    assert_eq!(
        log,
        [
            "host:    SHOW search_path -> search_path = \"$user\", public",
            "host:    CREATE TABLE events (id bigint, payload text) -> CREATE TABLE",
            "airlock: CREATE SECRET aws_secret AS '<REDACTED>' -> CREATE SECRET",
            "airlock: CREATE CONNECTION Archive TO AWS ( ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET aws_secret, REGION = 'eu-west-1') -> CREATE CONNECTION",
            "host:    SELECT * FROM events -> SELECT 0",
            "airlock: SELECT name, type FROM mz_catalog.mz_connections",
            "         archive | aws",
            "host:    SELECT version() -> version = host 1.0 (with Airlock)",
            "credentials for archive: access key AKIAIOSFODNN7EXAMPLE",
        ]
    );
    assert!(
        log.iter().all(|line| !line.contains("wJalrXUtnFEMI")),
        "no secret value in the transcript"
    );
}
