//! psycopg 3 (from PyPI, installed by scripts/install-test-deps.sh into the test venv)
//! against the real server: its connect-time statements, BEGIN/COMMIT around
//! statements (psycopg's default), bound parameters, server-side prepared statements.

mod common;

use common::{TestServer, run_psycopg};

#[test]
fn psycopg_binds_parameters_prepares_and_wraps_statements_in_transactions() {
    let server = TestServer::trust(&[]);
    let out = run_psycopg(&server, "psycopg-value");
    assert_eq!(
        out,
        "version 150000 UTF8\n\
         row py int datetime True\n\
         count 1\ncount 1\ncount 1\n\
         error 42710\n\
         binary (True, 2, 0.5, 'x')\n\
         status INTRANS\n\
         status IDLE\n"
    );
    let log = server.log_with("application_name=\"py\"");
    assert!(
        log.contains("user=\"carol\" application_name=\"py\""),
        "{log}"
    );
}
