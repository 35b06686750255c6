//! Parse errors: a message that says what was expected, and where.

use airlock_core::{Position, SqlError, SqlState};
use sqlparser::parser::ParserError;

/// A statement that could not be parsed.
///
/// The message keeps `sqlparser`'s shape (`Expected: X, found: Y`) so errors read the same
/// for Airlock's statements and for everything else; the position is split off into
/// [`ParseError::position`] so clients can draw a caret under it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
    pub position: Option<Position>,
    pub hint: Option<String>,
    pub code: SqlState,
}

impl ParseError {
    pub(crate) fn new(message: impl Into<String>, position: Option<Position>) -> Self {
        ParseError {
            message: message.into(),
            position,
            hint: None,
            code: SqlState::SyntaxError,
        }
    }

    pub(crate) fn with_code(
        code: SqlState,
        message: impl Into<String>,
        position: Option<Position>,
    ) -> Self {
        ParseError {
            code,
            ..ParseError::new(message, position)
        }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Converts `sqlparser`'s error, whose position is a suffix of its message
    /// (` at Line: 3, Column: 7`), or absent at the end of input — where `end` is used.
    pub(crate) fn from_sqlparser(err: ParserError, end: Position) -> Self {
        let text = match err {
            ParserError::RecursionLimitExceeded => {
                return ParseError {
                    message: "statement is too deeply nested".to_owned(),
                    position: None,
                    hint: Some(
                        "Simplify the statement: split nested expressions apart.".to_owned(),
                    ),
                    code: SqlState::StatementTooComplex,
                };
            }
            ParserError::TokenizerError(text) | ParserError::ParserError(text) => text,
        };
        match split_location(&text) {
            Some((message, position)) => ParseError::new(redact_found(message), Some(position)),
            None => ParseError::new(redact_found(&text), Some(end)),
        }
    }
}

/// sqlparser's own messages quote the token they found (`found: 'hunter2'`); a string
/// literal's text may be a secret value, so it is named instead, as Airlock's own
/// messages do.
fn redact_found(message: &str) -> String {
    const FOUND: &str = ", found: ";
    if let Some(at) = message.find(FOUND) {
        let found = &message[at + FOUND.len()..];
        let quoted = [
            "'", "\"", "$", "E'", "e'", "N'", "n'", "X'", "x'", "B'", "b'", "U&'", "u&'", "R'",
            "r'",
        ]
        .iter()
        .any(|p| found.starts_with(p));
        if quoted {
            return format!("{}{FOUND}a string literal", &message[..at]);
        }
    }
    message.to_owned()
}

/// Splits `message at Line: l, Column: c` into its parts.
fn split_location(text: &str) -> Option<(&str, Position)> {
    let (message, location) = text.rsplit_once(" at Line: ")?;
    let (line, column) = location.split_once(", Column: ")?;
    let position = Position {
        line: line.parse().ok()?,
        column: column.parse().ok()?,
    };
    (position.line > 0).then_some((message, position))
}

impl SqlError for ParseError {
    fn code(&self) -> SqlState {
        self.code
    }
    fn hint(&self) -> Option<String> {
        self.hint.clone()
    }
    fn position(&self) -> Option<Position> {
        self.position
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sqlparser_locations() {
        let end = Position { line: 9, column: 9 };
        let e = ParseError::from_sqlparser(
            ParserError::ParserError("Expected: x, found: y at Line: 2, Column: 14".into()),
            end,
        );
        assert_eq!(e.message, "Expected: x, found: y");
        assert_eq!(
            e.position,
            Some(Position {
                line: 2,
                column: 14
            })
        );
        let e = ParseError::from_sqlparser(
            ParserError::ParserError("Expected: x, found: EOF".into()),
            end,
        );
        assert_eq!(e.position, Some(end));
        let e = ParseError::from_sqlparser(
            ParserError::ParserError(
                "Expected: end of statement, found: 'hunter2' at Line: 1, Column: 9".into(),
            ),
            end,
        );
        assert_eq!(
            e.message,
            "Expected: end of statement, found: a string literal"
        );
        let e = ParseError::from_sqlparser(ParserError::RecursionLimitExceeded, end);
        assert_eq!(e.code(), SqlState::StatementTooComplex);
    }
}
