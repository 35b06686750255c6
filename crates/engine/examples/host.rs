//! A host SQL engine that embeds Airlock: it runs its own statements and hands
//! everything else to Airlock, which answers its own dialect and catalog queries and
//! returns the rest untouched.
//!
//! `cargo run -p airlock-engine --example host`

use airlock_engine::parser::parse_statements;
use airlock_engine::parser::sqlparser::ast::Statement as SqlStatement;
use airlock_engine::{Engine, EngineConfig, ForeignStatements, Response};

/// The host's own engine: here it only knows `CREATE TABLE`, and remembers the names.
#[derive(Default)]
struct Host {
    tables: Vec<String>,
}

impl Host {
    fn run(&mut self, statement: &SqlStatement) -> Result<String, String> {
        match statement {
            SqlStatement::CreateTable(create) => {
                self.tables.push(create.name.to_string());
                Ok("CREATE TABLE".to_owned())
            }
            other => Err(format!("the host does not support: {other}")),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::open(
        ":memory:",
        EngineConfig {
            foreign_statements: ForeignStatements::ReturnToHost,
            ..EngineConfig::default()
        },
    )?;
    let mut session = engine.session();
    let mut host = Host::default();

    let script = "
        CREATE TABLE events (id bigint, payload text);
        ALTER SYSTEM SET aws_principal = 'arn:aws:iam::123456789012:role/AirlockConnection';
        CREATE CONNECTION aws_conn TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader');
        SELECT external_id, example_trust_policy FROM mz_aws_connections;
    ";
    // Parse once with Airlock's parser (it re-exports sqlparser, so the host's AST types
    // are the same), then route each statement.
    for statement in parse_statements(script)? {
        let printed = statement.to_redacted_string();
        let result = session.execute_statement(statement)?;
        match result.response {
            Response::PassThrough(foreign) => {
                println!("host:    {printed} -> {}", host.run(&foreign)?)
            }
            Response::Command(tag) => println!("airlock: {printed} -> {tag}"),
            Response::Rows(rows) => {
                println!("airlock: {printed}");
                for row in rows.rows {
                    println!(
                        "         {}",
                        row.into_iter()
                            .map(Option::unwrap_or_default)
                            .collect::<Vec<_>>()
                            .join(" | ")
                    );
                }
            }
        }
        for notice in result.notices {
            println!("         {}", notice.render());
        }
    }
    assert_eq!(host.tables, ["events"]);
    Ok(())
}
