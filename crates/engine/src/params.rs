//! Bound parameters: `$n` in a statement prepared once and run with values (PostgreSQL's
//! extended query protocol: `Parse`, then `Bind` with the values). Values are bound by
//! substitution in the syntax tree, never by splicing them into SQL text, so a value can
//! neither change the statement's shape nor be echoed as part of its text: the text that
//! is logged or shown in an error is the prepared one, with its `$n`.
//!
//! ```
//! use airlock_engine::params::{ParamValue, prepare};
//!
//! let prepared = prepare("CREATE SECRET s AS $1").unwrap().unwrap();
//! assert_eq!(prepared.parameter_count(), 1);
//! let statement = prepared.bind(vec![ParamValue::Text("hunter2".into())]).unwrap();
//! assert!(!format!("{statement:?}").contains("hunter2"));
//! ```

use std::fmt;
use std::ops::ControlFlow;

use airlock_core::{Diagnostic, SqlState};
use airlock_parser::Statement;
use airlock_parser::ast::SecretValue;
use airlock_parser::sqlparser::ast::{Expr, Value, ValueWithSpan, VisitMut, VisitorMut};
use airlock_parser::sqlparser::dialect::PostgreSqlDialect;
use airlock_parser::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// One bound value, decoded from the wire by the server. Its `Debug` never shows text.
#[derive(Clone, PartialEq)]
pub enum ParamValue {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl fmt::Debug for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Null => f.write_str("Null"),
            ParamValue::Text(_) => f.write_str("Text(<redacted>)"),
            ParamValue::Int(i) => write!(f, "Int({i})"),
            ParamValue::Float(x) => write!(f, "Float({x})"),
            ParamValue::Bool(b) => write!(f, "Bool({b})"),
        }
    }
}

/// A statement with `$n` placeholders, parsed once, bound any number of times.
#[derive(Debug, Clone)]
pub struct Prepared {
    statement: Statement,
    parameters: usize,
    /// The `n` of `CREATE SECRET s AS $n` / `ALTER SECRET s AS $n`.
    secret_parameter: Option<usize>,
}

/// Parses the one statement of `sql`, which may use `$1` … `$n`; `Ok(None)` for an empty
/// statement. A text of several statements is refused, as PostgreSQL refuses to prepare
/// one.
pub fn prepare(sql: &str) -> Result<Option<Prepared>, Diagnostic> {
    airlock_parser::check_text(sql).map_err(|e| Diagnostic::from_error(&e))?;
    let dialect = PostgreSqlDialect {};
    // A text the tokenizer refuses is refused by the parser below with its position.
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .unwrap_or_default();
    let mut parameters = 0;
    for token in &tokens {
        if let Token::Placeholder(p) = &token.token {
            parameters = parameters.max(placeholder_number(p)?);
        }
    }
    let secret = secret_placeholder(&tokens);
    // The secret statements' grammar takes a string literal where the value goes: the
    // placeholder's token is parsed as an empty one, whose place `bind` fills. Only the
    // `$n` token is replaced, never by a value.
    let text = match &secret {
        Some((_, token)) => {
            let start = byte_offset(sql, token.span.start.line, token.span.start.column);
            let end = byte_offset(sql, token.span.end.line, token.span.end.column);
            format!("{}''{}", &sql[..start], &sql[end..])
        }
        None => sql.to_owned(),
    };
    let mut parsed =
        airlock_parser::parse_script(&text, &dialect).map_err(|e| Diagnostic::from_error(&e))?;
    if parsed.len() > 1 {
        return Err(Diagnostic::error(
            SqlState::SyntaxError,
            "cannot insert multiple commands into a prepared statement",
        ));
    }
    Ok(parsed.pop().map(|(statement, _)| Prepared {
        statement,
        parameters,
        secret_parameter: secret.map(|(n, _)| n),
    }))
}

/// `n` of a `$n` placeholder.
fn placeholder_number(placeholder: &str) -> Result<usize, Diagnostic> {
    placeholder
        .strip_prefix('$')
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| (1..=u16::MAX as usize).contains(n))
        .ok_or_else(|| {
            Diagnostic::error(
                SqlState::SyntaxError,
                format!("invalid parameter placeholder {placeholder}"),
            )
            .with_hint("Parameters are written $1, $2, … as in PostgreSQL.")
        })
}

/// The `$n` that stands for the value in `CREATE SECRET name AS $n` (or `= $n`) and
/// `ALTER SECRET name AS $n`, with its token.
fn secret_placeholder(tokens: &[TokenWithSpan]) -> Option<(usize, TokenWithSpan)> {
    let mut words = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)));
    let is_word = |t: Option<&TokenWithSpan>, word: &str| {
        matches!(t.map(|t| &t.token), Some(Token::Word(w))
            if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
    };
    let first = words.next();
    if !(is_word(first, "CREATE") || is_word(first, "ALTER")) || !is_word(words.next(), "SECRET") {
        return None;
    }
    let mut previous: Option<&TokenWithSpan> = None;
    for token in words {
        let after_as =
            is_word(previous, "AS") || matches!(previous.map(|t| &t.token), Some(Token::Eq));
        if after_as {
            return match &token.token {
                Token::Placeholder(p) => placeholder_number(p).ok().map(|n| (n, token.clone())),
                _ => None,
            };
        }
        previous = Some(token);
    }
    None
}

/// The byte offset of a 1-based line and character column in `text`.
fn byte_offset(text: &str, line: u64, column: u64) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == line {
            return offset
                + l.char_indices()
                    .nth(column.saturating_sub(1) as usize)
                    .map_or(l.len(), |(b, _)| b);
        }
        offset += l.len();
    }
    text.len()
}

impl Prepared {
    /// How many parameters `Bind` must supply: the highest `n` of the `$n` used.
    pub fn parameter_count(&self) -> usize {
        self.parameters
    }

    /// The statement as prepared, placeholders unbound (for describe and for logs).
    pub fn statement(&self) -> &Statement {
        &self.statement
    }

    /// The statement with `values` (`$1` first) in place of its placeholders.
    pub fn bind(&self, values: Vec<ParamValue>) -> Result<Statement, Diagnostic> {
        if values.len() != self.parameters {
            return Err(Diagnostic::error(
                SqlState::InvalidParameterValue,
                format!(
                    "bind message supplies {} parameters, but prepared statement requires {}",
                    values.len(),
                    self.parameters
                ),
            ));
        }
        let mut statement = self.statement.clone();
        if let Some(n) = self.secret_parameter {
            bind_secret_value(&mut statement, &values[n - 1])?;
        }
        if let Statement::Sql(sql) = &mut statement {
            let mut binder = Binder {
                values: &values,
                error: None,
            };
            let _ = sql.visit(&mut binder);
            if let Some(error) = binder.error {
                return Err(error);
            }
        }
        Ok(statement)
    }
}

/// Puts a bound value where a secret statement's value goes. The one place that knows
/// the secret value's syntax-tree type.
fn bind_secret_value(statement: &mut Statement, value: &ParamValue) -> Result<(), Diagnostic> {
    let text = match value {
        ParamValue::Text(text) => text.clone(),
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Float(x) => x.to_string(),
        ParamValue::Bool(b) => if *b { "t" } else { "f" }.to_owned(),
        ParamValue::Null => {
            return Err(Diagnostic::error(
                SqlState::InvalidParameterValue,
                "a secret's value cannot be NULL",
            ));
        }
    };
    // The value's bytes as they are: a string literal would be read as bytea escape
    // input (`\x…`, `\\`), so the bound value is given as `decode('<hex>', 'hex')`.
    let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
    let expr = crate::query::types::call(
        "decode",
        vec![
            Expr::value(Value::SingleQuotedString(hex)),
            Expr::value(Value::SingleQuotedString("hex".to_owned())),
        ],
    );
    match statement {
        Statement::CreateSecret(s) => s.value = SecretValue::new(expr),
        Statement::AlterSecret(s) => s.value = SecretValue::new(expr),
        _ => {}
    }
    Ok(())
}

/// Replaces each `$n` of a query with its value as a literal.
struct Binder<'a> {
    values: &'a [ParamValue],
    error: Option<Diagnostic>,
}

impl VisitorMut for Binder<'_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        let Expr::Value(ValueWithSpan {
            value: Value::Placeholder(p),
            ..
        }) = expr
        else {
            return ControlFlow::Continue(());
        };
        let n = match placeholder_number(p) {
            Ok(n) => n,
            Err(e) => {
                self.error = Some(e);
                return ControlFlow::Break(());
            }
        };
        let literal = match &self.values[n - 1] {
            ParamValue::Null => Value::Null,
            ParamValue::Text(text) => Value::SingleQuotedString(text.clone()),
            ParamValue::Int(i) => Value::Number(i.to_string(), false),
            ParamValue::Float(x) if x.is_finite() => Value::Number(x.to_string(), false),
            ParamValue::Float(x) => Value::SingleQuotedString(x.to_string()),
            ParamValue::Bool(b) => Value::Boolean(*b),
        };
        *expr = Expr::value(literal);
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes the planner makes of a bound secret statement's value.
    fn secret_of(statement: &Statement) -> Vec<u8> {
        let value = match statement {
            Statement::CreateSecret(s) => &s.value,
            Statement::AlterSecret(s) => &s.value,
            other => panic!("not a secret statement: {other:?}"),
        };
        crate::plan::secret::eval_secret(value.expose_expr())
            .unwrap()
            .expose_secret()
            .to_vec()
    }

    #[test]
    fn a_secret_value_is_bound_in_the_tree() {
        for sql in [
            "CREATE SECRET s AS $1",
            "create secret if not exists s = $1",
            "ALTER SECRET s AS $1;",
        ] {
            let prepared = prepare(sql).unwrap().unwrap();
            assert_eq!(prepared.parameter_count(), 1, "{sql}");
            let bound = prepared
                .bind(vec![ParamValue::Text("it's $2 -- not SQL".into())])
                .unwrap();
            assert_eq!(secret_of(&bound), b"it's $2 -- not SQL", "{sql}");
        }
        let prepared = prepare("CREATE SECRET s AS $1").unwrap().unwrap();
        let e = prepared.bind(vec![ParamValue::Null]).unwrap_err();
        assert_eq!(e.code, SqlState::InvalidParameterValue);
        let e = prepared.bind(vec![]).unwrap_err();
        assert_eq!(e.code, SqlState::InvalidParameterValue);
    }

    #[test]
    fn query_placeholders_become_literals() {
        let prepared = prepare("SELECT name FROM mz_secrets WHERE name = $2 OR $1")
            .unwrap()
            .unwrap();
        assert_eq!(prepared.parameter_count(), 2);
        let bound = prepared
            .bind(vec![
                ParamValue::Bool(false),
                ParamValue::Text("a'b".into()),
            ])
            .unwrap();
        assert_eq!(
            bound.to_string(),
            "SELECT name FROM mz_secrets WHERE name = 'a''b' OR false"
        );
    }

    #[test]
    fn several_statements_and_bad_placeholders_are_refused() {
        let e = prepare("SELECT 1; SELECT 2").unwrap_err();
        assert_eq!(e.code, SqlState::SyntaxError);
        assert!(prepare("SELECT $0").is_err());
        assert!(prepare("  ").unwrap().is_none());
    }

    #[test]
    fn a_literal_secret_is_untouched() {
        let prepared = prepare("CREATE SECRET s AS '$1'").unwrap().unwrap();
        assert_eq!(prepared.parameter_count(), 0);
        assert_eq!(secret_of(&prepared.bind(vec![]).unwrap()), b"$1");
    }
}
