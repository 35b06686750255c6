//! The PostgreSQL error contract: every error Airlock shows a user has a message, an
//! optional DETAIL and HINT, a SQLSTATE and, for parse errors, a position.
//!
//! Each crate keeps its own `thiserror` enum and implements [`SqlError`] for it; callers
//! that only render or forward errors turn them into a [`Diagnostic`].

use std::fmt;

use crate::SqlState;

/// A place in the SQL text: 1-based line and column, counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// The side channels PostgreSQL clients expect beside an error message.
///
/// `Display` (from `std::error::Error`) is the primary message: one line, lower case,
/// no trailing period — PostgreSQL's style guide.
pub trait SqlError: std::error::Error {
    /// The SQLSTATE a client can match on.
    fn code(&self) -> SqlState;
    /// A secondary message with facts about the failure.
    fn detail(&self) -> Option<String> {
        None
    }
    /// What the user can do about it.
    fn hint(&self) -> Option<String> {
        None
    }
    /// Where in the statement text the error is, for parse errors.
    fn position(&self) -> Option<Position> {
        None
    }
}

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
    Notice,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
            Severity::Notice => "NOTICE",
        }
    }
}

/// An error or notice in the shape of PostgreSQL's ErrorResponse/NoticeResponse:
/// plain data, ready to render or to send to a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: SqlState,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    pub position: Option<Position>,
}

impl Diagnostic {
    /// An error with just a code and a message.
    pub fn error(code: SqlState, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            detail: None,
            hint: None,
            position: None,
        }
    }

    /// A NOTICE (SQLSTATE 00000 unless set otherwise).
    pub fn notice(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Notice,
            code: SqlState::SuccessfulCompletion,
            message: message.into(),
            detail: None,
            hint: None,
            position: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_code(mut self, code: SqlState) -> Self {
        self.code = code;
        self
    }

    /// Captures everything an error says about itself.
    pub fn from_error<E: SqlError + ?Sized>(err: &E) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code: err.code(),
            message: err.to_string(),
            detail: err.detail(),
            hint: err.hint(),
            position: err.position(),
        }
    }

    /// Renders like psql does: `ERROR:  message`, then `DETAIL:  …` and `HINT:  …`
    /// lines, without a trailing newline. The position is left to the caller, who has
    /// the statement text to draw the caret under.
    pub fn render(&self) -> String {
        let mut out = format!("{}:  {}", self.severity.as_str(), self.message);
        if let Some(detail) = &self.detail {
            out.push_str("\nDETAIL:  ");
            out.push_str(detail);
        }
        if let Some(hint) = &self.hint {
            out.push_str("\nHINT:  ");
            out.push_str(hint);
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl SqlError for Diagnostic {
    fn code(&self) -> SqlState {
        self.code
    }
    fn detail(&self) -> Option<String> {
        self.detail.clone()
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
    fn renders_like_psql() {
        let d = Diagnostic::error(
            SqlState::DependentObjectsStillExist,
            "cannot drop secret \"s\"",
        )
        .with_detail("connection \"c\" depends on secret \"s\"")
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too.");
        assert_eq!(
            d.render(),
            "ERROR:  cannot drop secret \"s\"\n\
             DETAIL:  connection \"c\" depends on secret \"s\"\n\
             HINT:  Use DROP ... CASCADE to drop the dependent objects too."
        );
        assert_eq!(Diagnostic::notice("x").render(), "NOTICE:  x");
    }

    #[test]
    fn from_error_keeps_side_channels() {
        let d = Diagnostic::error(SqlState::SyntaxError, "boom").with_hint("h");
        let again = Diagnostic::from_error(&d);
        assert_eq!(again, d);
    }
}
