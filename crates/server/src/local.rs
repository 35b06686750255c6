//! The statements the server answers itself: the session's parameters and transaction
//! block, which PostgreSQL drivers and tools send on connect and around statements
//! (`SET extra_float_digits = 3`, `SET application_name`, `SHOW transaction isolation
//! level`, `BEGIN` … `COMMIT`). The engine has no session parameters and no
//! transactions across statements; everything else goes to the engine.
//!
//! | statement | answer |
//! |---|---|
//! | `BEGIN`, `START TRANSACTION` | opens a transaction *block* (status `T`); Airlock's statements inside still commit one by one |
//! | `COMMIT`, `END`, `ROLLBACK`, `ABORT` | closes it (`ROLLBACK` undoes nothing: see `docs/server.md`) |
//! | `SET [SESSION \| LOCAL] name {TO \| =} value`, `SET TIME ZONE` | the parameters below |
//! | `RESET name`, `RESET ALL`, `DISCARD ALL` | back to the defaults |
//! | `DEALLOCATE [PREPARE] {name \| ALL}` | closes prepared statements (psycopg sends it) |
//! | `SHOW name` | the parameters below (others go to the engine: `SHOW aws_principal`) |

use std::time::Duration;

use airlock_core::{Column, ColumnType, Diagnostic, Rows, SqlState};
use airlock_parser::Statement;
use airlock_parser::sqlparser::ast::{
    Expr, Reset, Set, Statement as SqlStatement, UnaryOperator, Value, ValueWithSpan,
};

/// A statement the server answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Local {
    Begin,
    Commit,
    Rollback,
    Set {
        name: String,
        value: Option<String>,
    },
    Reset(Option<String>),
    Show(String),
    DiscardAll,
    /// `DEALLOCATE [PREPARE] name`, or `ALL` (`None`): closes prepared statements.
    Deallocate(Option<String>),
}

/// The session parameters: name (lower case), value, whether a client may change it,
/// and whether a change is reported with `ParameterStatus`.
struct Parameter {
    name: &'static str,
    /// The spelling `ParameterStatus` and `SHOW` use.
    display: &'static str,
    settable: bool,
    reported: bool,
}

const PARAMETERS: &[Parameter] = &[
    p("application_name", "application_name", true, true),
    p("client_encoding", "client_encoding", true, true),
    p("datestyle", "DateStyle", true, true),
    p(
        "default_transaction_isolation",
        "default_transaction_isolation",
        true,
        false,
    ),
    p("extra_float_digits", "extra_float_digits", true, false),
    p("idle_session_timeout", "idle_session_timeout", true, false),
    p("integer_datetimes", "integer_datetimes", false, true),
    p("intervalstyle", "IntervalStyle", true, true),
    p("is_superuser", "is_superuser", false, true),
    p("search_path", "search_path", true, false),
    p("server_encoding", "server_encoding", false, true),
    p("server_version", "server_version", false, true),
    p(
        "session_authorization",
        "session_authorization",
        false,
        true,
    ),
    p(
        "standard_conforming_strings",
        "standard_conforming_strings",
        true,
        true,
    ),
    p("statement_timeout", "statement_timeout", true, false),
    p("timezone", "TimeZone", true, true),
    p(
        "transaction_isolation",
        "transaction_isolation",
        false,
        false,
    ),
];

const fn p(name: &'static str, display: &'static str, settable: bool, reported: bool) -> Parameter {
    Parameter {
        name,
        display,
        settable,
        reported,
    }
}

/// The version drivers are told: PostgreSQL 15's protocol and behaviour.
pub const SERVER_VERSION: &str = "15.0";

/// One session's parameters.
#[derive(Debug, Clone)]
pub struct Settings {
    defaults: Vec<(&'static str, String)>,
    values: Vec<(&'static str, String)>,
    /// Custom `x.y` parameters (PostgreSQL accepts any dotted name).
    custom: Vec<(String, String)>,
}

/// What a local statement returns.
#[derive(Debug)]
pub struct Answer {
    pub rows: Option<Rows>,
    pub tag: String,
    pub notices: Vec<Diagnostic>,
    /// Reported parameters that changed: one `ParameterStatus` each.
    pub changed: Vec<(String, String)>,
}

impl Settings {
    /// The defaults of a session of `user`, with the startup's `application_name`.
    pub fn new(user: &str, application_name: &str, statement_timeout: Option<Duration>) -> Self {
        let ms = |d: Option<Duration>| d.map_or("0".to_owned(), |d| format!("{}ms", d.as_millis()));
        let defaults = vec![
            ("application_name", application_name.to_owned()),
            ("client_encoding", "UTF8".to_owned()),
            ("datestyle", "ISO, MDY".to_owned()),
            ("default_transaction_isolation", "serializable".to_owned()),
            ("extra_float_digits", "1".to_owned()),
            ("idle_session_timeout", "0".to_owned()),
            ("integer_datetimes", "on".to_owned()),
            ("intervalstyle", "postgres".to_owned()),
            ("is_superuser", "off".to_owned()),
            ("search_path", "mz_catalog, mz_internal".to_owned()),
            ("server_encoding", "UTF8".to_owned()),
            ("server_version", SERVER_VERSION.to_owned()),
            ("session_authorization", user.to_owned()),
            ("standard_conforming_strings", "on".to_owned()),
            ("statement_timeout", ms(statement_timeout)),
            ("timezone", "UTC".to_owned()),
            ("transaction_isolation", "serializable".to_owned()),
        ];
        Settings {
            values: defaults.clone(),
            defaults,
            custom: Vec::new(),
        }
    }

    /// The `ParameterStatus` messages sent after authentication.
    pub fn reported(&self) -> Vec<(String, String)> {
        PARAMETERS
            .iter()
            .filter(|p| p.reported)
            .map(|p| (p.display.to_owned(), self.get(p.name).unwrap_or_default()))
            .collect()
    }

    fn get(&self, name: &str) -> Option<String> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .or_else(|| {
                self.custom
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            })
    }

    /// The session's `statement_timeout` (none when 0).
    pub fn statement_timeout(&self) -> Option<Duration> {
        parse_duration(&self.get("statement_timeout")?).filter(|d| !d.is_zero())
    }

    /// Answers a local statement (the transaction statements are answered by
    /// [`transaction`]).
    pub fn answer(&mut self, local: &Local) -> Result<Answer, Diagnostic> {
        let mut answer = Answer {
            rows: None,
            tag: String::new(),
            notices: Vec::new(),
            changed: Vec::new(),
        };
        match local {
            Local::Set { name, value } => {
                answer.tag = "SET".to_owned();
                let value = match value {
                    Some(value) => value.clone(),
                    None => self.default_of(name)?,
                };
                self.set(name, value, &mut answer)?;
            }
            Local::Reset(Some(name)) => {
                answer.tag = "RESET".to_owned();
                let value = self.default_of(name)?;
                self.set(name, value, &mut answer)?;
            }
            Local::Reset(None) | Local::DiscardAll => {
                answer.tag = if *local == Local::DiscardAll {
                    "DISCARD ALL"
                } else {
                    "RESET"
                }
                .to_owned();
                for (name, value) in self.defaults.clone() {
                    if PARAMETERS.iter().any(|p| p.name == name && p.settable) {
                        self.set(name, value, &mut answer)?;
                    }
                }
                self.custom.clear();
            }
            Local::Show(name) => {
                let value = self.get(name).ok_or_else(|| unknown(name))?;
                let column = PARAMETERS
                    .iter()
                    .find(|p| p.name == name)
                    .map_or(name.as_str(), |p| p.display);
                answer.tag = "SHOW".to_owned();
                answer.rows = Some(Rows {
                    columns: vec![Column::new(column, ColumnType::Text)],
                    rows: vec![vec![Some(value)]],
                });
            }
            Local::Begin | Local::Commit | Local::Rollback | Local::Deallocate(_) => {}
        }
        Ok(answer)
    }

    fn default_of(&self, name: &str) -> Result<String, Diagnostic> {
        if name.contains('.') {
            return Ok(String::new());
        }
        self.defaults
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| unknown(name))
    }

    fn set(&mut self, name: &str, value: String, answer: &mut Answer) -> Result<(), Diagnostic> {
        if name.contains('.') {
            self.custom.retain(|(n, _)| n != name);
            self.custom.push((name.to_owned(), value));
            return Ok(());
        }
        let parameter = PARAMETERS
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| unknown(name))?;
        let current = self.get(name).unwrap_or_default();
        if !parameter.settable {
            if value == current {
                return Ok(());
            }
            return Err(Diagnostic::error(
                SqlState::CantChangeRuntimeParam,
                format!("parameter \"{name}\" cannot be changed"),
            ));
        }
        let value = check_value(name, value)?;
        if parameter.reported && value != current {
            answer
                .changed
                .push((parameter.display.to_owned(), value.clone()));
        }
        if let Some(slot) = self.values.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
        }
        Ok(())
    }
}

/// The values the server can honour: values are printed in UTF-8, ISO dates and UTC,
/// so only those are accepted.
fn check_value(name: &str, value: String) -> Result<String, Diagnostic> {
    let invalid = |hint: &str| {
        Diagnostic::error(
            SqlState::InvalidParameterValue,
            format!("invalid value for parameter \"{name}\": \"{value}\""),
        )
        .with_hint(hint.to_owned())
    };
    let upper = value.to_ascii_uppercase();
    Ok(match name {
        "client_encoding" => match upper.as_str() {
            "UTF8" | "UTF-8" | "UNICODE" => "UTF8".to_owned(),
            _ => return Err(invalid("Airlock's server speaks UTF8 only.")),
        },
        "timezone" => match upper.as_str() {
            "UTC" | "GMT" | "Z" | "ZULU" | "ETC/UTC" | "UCT" | "+00" | "0" | "00:00" => {
                "UTC".to_owned()
            }
            _ => {
                return Err(invalid(
                    "Airlock prints timestamps in UTC: use SET TIME ZONE 'UTC'.",
                ));
            }
        },
        "datestyle" if !upper.starts_with("ISO") => {
            return Err(invalid(
                "Airlock prints dates in ISO style: use SET DateStyle = 'ISO, MDY'.",
            ));
        }
        "standard_conforming_strings" => match upper.as_str() {
            "ON" | "TRUE" | "1" => "on".to_owned(),
            _ => return Err(invalid("Airlock's strings always conform to the standard.")),
        },
        "extra_float_digits" => match value.parse::<i32>() {
            Ok(n) if (-15..=3).contains(&n) => n.to_string(),
            _ => return Err(invalid("extra_float_digits is an integer from -15 to 3.")),
        },
        "statement_timeout" | "idle_session_timeout" => {
            parse_duration(&value).ok_or_else(|| {
                invalid("A timeout is a number of milliseconds, or has a unit: 5s, 500ms, 1min.")
            })?;
            value
        }
        _ => value,
    })
}

/// `1000`, `1000ms`, `5s`, `1min`, `1h` (a bare number is milliseconds).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let ms = match unit.trim() {
        "" | "ms" => n,
        "s" => n.checked_mul(1000)?,
        "min" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(ms))
}

fn unknown(name: &str) -> Diagnostic {
    Diagnostic::error(
        SqlState::UndefinedObject,
        format!("unrecognized configuration parameter \"{name}\""),
    )
}

/// Whether `statement` is one the server answers, and which.
pub fn classify(statement: &Statement) -> Option<Local> {
    let Statement::Sql(sql) = statement else {
        return None;
    };
    Some(match sql.as_ref() {
        SqlStatement::StartTransaction { .. } => Local::Begin,
        SqlStatement::Commit { .. } => Local::Commit,
        SqlStatement::Rollback {
            savepoint: None, ..
        } => Local::Rollback,
        SqlStatement::Set(set) => match set {
            Set::SingleAssignment {
                variable, values, ..
            } => Local::Set {
                name: fold(&variable.to_string()),
                value: set_value(values),
            },
            Set::SetTimeZone { value, .. } => Local::Set {
                name: "timezone".to_owned(),
                value: set_value(std::slice::from_ref(value)),
            },
            Set::SetNames { charset_name, .. } => Local::Set {
                name: "client_encoding".to_owned(),
                value: Some(charset_name.value.clone()),
            },
            _ => return None,
        },
        SqlStatement::ShowVariable { variable } => {
            let name = variable
                .iter()
                .map(|i| i.value.to_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            let name = match name.as_str() {
                "transaction isolation level" => "transaction_isolation".to_owned(),
                "time zone" => "timezone".to_owned(),
                _ => name,
            };
            if !PARAMETERS.iter().any(|p| p.name == name) {
                return None;
            }
            Local::Show(name)
        }
        SqlStatement::Reset(reset) => match &reset.reset {
            Reset::ALL => Local::Reset(None),
            Reset::ConfigurationParameter(name) => Local::Reset(Some(fold(&name.to_string()))),
            _ => return None,
        },
        SqlStatement::Deallocate { name, .. } => {
            if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") {
                Local::Deallocate(None)
            } else {
                Local::Deallocate(Some(name.value.clone()))
            }
        }
        SqlStatement::Discard { object_type } if object_type.to_string() == "ALL" => {
            Local::DiscardAll
        }
        _ => return None,
    })
}

/// A parameter name as PostgreSQL folds it.
fn fold(name: &str) -> String {
    name.trim_matches('"').to_lowercase()
}

/// `SET x = v1, v2` as PostgreSQL's text of the value; `None` for `DEFAULT`.
fn set_value(values: &[Expr]) -> Option<String> {
    let parts: Vec<String> = values
        .iter()
        .map(|v| match v {
            Expr::Value(ValueWithSpan { value, .. }) => match value {
                Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
                Value::Boolean(b) => if *b { "on" } else { "off" }.to_owned(),
                other => other.to_string(),
            },
            Expr::Identifier(i) => i.value.clone(),
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } => format!("-{expr}"),
            other => other.to_string(),
        })
        .collect();
    if parts.len() == 1 && parts[0].eq_ignore_ascii_case("DEFAULT") {
        return None;
    }
    Some(parts.join(", "))
}

/// The transaction block: PostgreSQL's `ReadyForQuery` status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    Idle,
    InTransaction,
    Failed,
}

/// A warning in PostgreSQL's terms: SQLSTATE and message.
pub type Warning = (&'static str, &'static str);

/// `BEGIN`/`COMMIT`/`ROLLBACK`: the new block status, the tag and a warning.
pub fn transaction(local: &Local, block: Block) -> (Block, &'static str, Option<Warning>) {
    const IN_PROGRESS: Warning = ("25001", "there is already a transaction in progress");
    const NONE: Warning = ("25P01", "there is no transaction in progress");
    match (local, block) {
        (Local::Begin, Block::Idle) => (Block::InTransaction, "BEGIN", None),
        (Local::Begin, b) => (b, "BEGIN", Some(IN_PROGRESS)),
        (Local::Commit, Block::InTransaction) => (Block::Idle, "COMMIT", None),
        // PostgreSQL answers COMMIT of a failed block with ROLLBACK.
        (Local::Commit, Block::Failed) => (Block::Idle, "ROLLBACK", None),
        (Local::Rollback, Block::InTransaction | Block::Failed) => (Block::Idle, "ROLLBACK", None),
        (Local::Commit, Block::Idle) => (Block::Idle, "COMMIT", Some(NONE)),
        _ => (Block::Idle, "ROLLBACK", Some(NONE)),
    }
}

/// The error for a statement in a failed transaction block (SQLSTATE 25P02).
pub const ABORTED: Warning = (
    "25P02",
    "current transaction is aborted, commands ignored until end of transaction block",
);

#[cfg(test)]
mod tests {
    use super::*;

    fn local(sql: &str) -> Option<Local> {
        classify(&airlock_parser::parse_statement(sql).unwrap())
    }

    #[test]
    fn driver_statements_are_answered_here() {
        assert_eq!(local("BEGIN"), Some(Local::Begin));
        assert_eq!(
            local("start transaction isolation level serializable"),
            Some(Local::Begin)
        );
        assert_eq!(local("COMMIT"), Some(Local::Commit));
        assert_eq!(local("ROLLBACK"), Some(Local::Rollback));
        assert_eq!(
            local("SET extra_float_digits = 3"),
            Some(Local::Set {
                name: "extra_float_digits".into(),
                value: Some("3".into())
            })
        );
        assert_eq!(
            local("SET application_name TO 'psql'"),
            Some(Local::Set {
                name: "application_name".into(),
                value: Some("psql".into())
            })
        );
        assert_eq!(
            local("SHOW transaction isolation level"),
            Some(Local::Show("transaction_isolation".into()))
        );
        assert_eq!(local("SHOW aws_principal"), None);
        assert_eq!(local("SELECT version()"), None);
        assert_eq!(local("CREATE SECRET s AS 'x'"), None);
    }

    #[test]
    fn settings_accept_what_the_server_honours() {
        let mut s = Settings::new("alice", "", None);
        let a = s
            .answer(&local("SET application_name = 'etl'").unwrap())
            .unwrap();
        assert_eq!(a.changed, vec![("application_name".into(), "etl".into())]);
        let e = s
            .answer(&local("SET TIME ZONE 'Europe/Paris'").unwrap())
            .unwrap_err();
        assert_eq!(e.code, SqlState::InvalidParameterValue);
        let e = s.answer(&local("SET nonsense = 1").unwrap()).unwrap_err();
        assert_eq!(e.code, SqlState::UndefinedObject);
        s.answer(&local("SET statement_timeout = '5s'").unwrap())
            .unwrap();
        assert_eq!(s.statement_timeout(), Some(Duration::from_secs(5)));
        s.answer(&local("RESET ALL").unwrap()).unwrap();
        assert_eq!(s.statement_timeout(), None);
        let a = s.answer(&Local::Show("datestyle".into())).unwrap();
        assert_eq!(
            a.rows.unwrap().rows,
            vec![vec![Some("ISO, MDY".to_owned())]]
        );
    }
}
