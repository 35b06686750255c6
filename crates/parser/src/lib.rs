//! Airlock's SQL dialect, as an extension over [`sqlparser`].
//!
//! ```
//! use airlock_parser::{parse_statements, Statement};
//!
//! let statements = parse_statements(
//!     "CREATE SECRET key AS 'hunter2';
//!      CREATE CONNECTION aws_conn TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader');
//!      SELECT 1",
//! )
//! .unwrap();
//! assert!(matches!(statements[0], Statement::CreateSecret(_)));
//! // Redacted printing hides the secret value and still parses.
//! assert_eq!(statements[0].to_redacted_string(), "CREATE SECRET key AS '<REDACTED>'");
//! // Statements Airlock does not own pass through as sqlparser's own.
//! assert!(matches!(statements[2], Statement::Sql(_)));
//! ```
//!
//! The grammar is in the doc comment of each AST node in [`ast`], and in `docs/sql/`.

pub mod ast;
pub mod display;
mod error;
pub mod input;
pub mod mask;
mod parser;
pub mod script;

pub use ast::Statement;
pub use display::{Mode, REDACTED};
pub use error::ParseError;
pub use input::{MAX_EXPRESSION_DEPTH, MAX_INPUT_BYTES, check_statement, check_text, check_utf8};
pub use mask::{Masked, mask_statement};
pub use parser::{AirlockParser, MAX_IDENT_BYTES, parse_script, parse_statement, parse_statements};
pub use script::{Split, is_blank, is_complete, split_complete};

/// The `sqlparser` Airlock is built on, so that hosts use the very same version.
pub use sqlparser;
