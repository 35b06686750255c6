//! A host SQL engine that embeds Airlock: it hands Airlock each script, runs its own
//! statements in their place between Airlock's, and gets AWS credentials for a
//! connection through a credentials handle.
//!
//! `cargo run -p airlock-engine --example host`
//! (`crates/engine/tests/example.rs` runs it too.)

use std::collections::BTreeMap;
use std::error::Error;

use airlock_engine::parser::sqlparser::ast::{SetExpr, Statement as SqlStatement, TableFactor};
use airlock_engine::{Engine, EngineConfig, ForeignStatements, Outcome, Response};

/// The host's own engine: it knows `CREATE TABLE`, `SELECT * FROM <its table>`,
/// `SELECT version()` and `SHOW search_path`.
#[derive(Default)]
struct Host {
    tables: BTreeMap<String, usize>,
}

impl Host {
    fn run(&mut self, statement: &SqlStatement) -> Result<String, String> {
        match statement {
            SqlStatement::CreateTable(create) => {
                self.tables.insert(create.name.to_string(), 0);
                Ok("CREATE TABLE".to_owned())
            }
            SqlStatement::ShowVariable { variable } => Ok(format!(
                "{} = \"$user\", public",
                variable
                    .iter()
                    .map(|v| v.value.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
            SqlStatement::Query(query) => match query.body.as_ref() {
                SetExpr::Select(select) if select.from.is_empty() => {
                    Ok("version = host 1.0 (with Airlock)".to_owned())
                }
                SetExpr::Select(select) => match &select.from[0].relation {
                    TableFactor::Table { name, .. } => match self.tables.get(&name.to_string()) {
                        Some(rows) => Ok(format!("SELECT {rows}")),
                        None => Err(format!("relation \"{name}\" does not exist")),
                    },
                    _ => Err("unsupported query".to_owned()),
                },
                _ => Err("unsupported query".to_owned()),
            },
            other => Err(format!("the host does not support: {other}")),
        }
    }
}

/// Runs the demo and returns what it did, one line per step.
pub fn run() -> Result<Vec<String>, Box<dyn Error>> {
    let engine = Engine::open(
        ":memory:",
        EngineConfig {
            foreign_statements: ForeignStatements::ReturnToHost,
            // The catalog's first user, a superuser: the host's application.
            catalog: airlock_engine::catalog::CatalogConfig {
                bootstrap_role: Some("app".to_owned()),
                ..Default::default()
            },
            ..EngineConfig::default()
        },
    )?;
    let mut session = engine.session_for("app");
    let mut host = Host::default();
    let mut log = Vec::new();

    let script = "
        SHOW search_path;
        CREATE TABLE events (id bigint, payload text);
        CREATE SECRET aws_secret AS 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
        CREATE CONNECTION Archive TO AWS (
            ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET aws_secret,
            REGION = 'eu-west-1');
        SELECT * FROM events;
        SELECT name, type FROM mz_catalog.mz_connections;
        SELECT version();
    ";
    // One statement at a time, in script order: the host runs its own before Airlock
    // sees the next one.
    for routed in session.statements(script) {
        let routed = routed.map_err(|e| e.diagnostic.render())?;
        let text = script[routed.span.clone()]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        match routed.outcome {
            Outcome::Host(statement) => {
                log.push(format!("host:    {text} -> {}", host.run(&statement)?));
            }
            Outcome::Done(result) => {
                // Never print a script's text blindly: it may hold a secret value.
                let shown = if text.starts_with("CREATE SECRET") {
                    "CREATE SECRET aws_secret AS '<REDACTED>'".to_owned()
                } else {
                    text
                };
                match &result.response {
                    Response::Rows(rows) => {
                        log.push(format!("airlock: {shown}"));
                        for row in &rows.rows {
                            let row: Vec<&str> =
                                row.iter().map(|v| v.as_deref().unwrap_or("")).collect();
                            log.push(format!("         {}", row.join(" | ")));
                        }
                    }
                    _ => log.push(format!(
                        "airlock: {shown} -> {}",
                        result.tag().unwrap_or_default()
                    )),
                }
            }
        }
    }

    // Credentials for AWS clients: `Archive` was created unquoted, so it is `archive`.
    let handle = engine.credentials("Archive")?;
    let credentials = handle.blocking_credentials()?;
    log.push(format!(
        "credentials for {}: access key {}",
        handle.connection_name(),
        credentials.access_key_id()
    ));
    // `handle.sdk_config()` gives an SdkConfig for any AWS SDK client; the handle is
    // also an `aws_credential_types::provider::ProvideCredentials`.
    assert_eq!(host.tables.len(), 1);
    Ok(log)
}

#[allow(dead_code)] // the test includes this file and calls `run`
fn main() -> Result<(), Box<dyn Error>> {
    for line in run()? {
        println!("{line}");
    }
    Ok(())
}
