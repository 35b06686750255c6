//! PostgreSQL's semantics where SQLite's differ, as functions on the query connection.
//! The engine lowers a catalog query's AST onto them before SQLite sees it (see
//! `crates/engine/src/query/lower.rs`):
//!
//! | PostgreSQL | SQLite alone | lowered to |
//! |---|---|---|
//! | `1/0`, `1 % 0`: error 22012 | NULL | `airlock_div`, `airlock_mod` |
//! | integer overflow: error 22003 | a double | `airlock_add`, `airlock_sub`, `airlock_mul` |
//! | `2 ^ 3` = 8 | syntax error | `airlock_pow` |
//! | `x::int4` checks its input (22P02, 22003) | `CAST` never fails | `airlock_cast(x, 'int4', source type)` |
//! | `now()`, `current_timestamp`: one `timestamptz` per statement | no `now()`; text without zone | `now()` |
//! | `version()` | none | `version()` |
//!
//! An error is reported through SQLite as a message that starts with [`MARK`] and the
//! SQLSTATE; [`decode_error`] reads it back.

use std::sync::{Arc, Mutex, PoisonError};

use airlock_core::SqlState;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, Error, Result};

use super::text::float8;

/// Starts the message of an error these functions raise: `\u{1}SQLSTATE message`.
const MARK: char = '\u{1}';

#[derive(Debug)]
struct PgError(String);

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PgError {}

fn fail(code: SqlState, message: impl std::fmt::Display) -> Error {
    Error::UserFunctionError(Box::new(PgError(format!("{MARK}{}{message}", code.code()))))
}

/// The SQLSTATE and message of an error raised here, from SQLite's message.
pub(super) fn decode_error(message: &str) -> Option<(SqlState, String)> {
    let rest = message.strip_prefix(MARK)?;
    let code = SqlState::from_code(rest.get(..5)?)?;
    Some((code, rest[5..].to_owned()))
}

/// What `version()` answers: the PostgreSQL version Airlock's SQL follows, and Airlock's.
pub const VERSION: &str = concat!("PostgreSQL 15.0 (Airlock ", env!("CARGO_PKG_VERSION"), ")");

/// The statement's time, read by `now()`: set once per statement, as PostgreSQL fixes
/// `now()` for a transaction.
pub(super) type StatementTime = Arc<Mutex<String>>;

pub(super) fn install(conn: &Connection, time: &StatementTime) -> Result<()> {
    let pure = FunctionFlags::SQLITE_UTF8
        | FunctionFlags::SQLITE_DETERMINISTIC
        | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_scalar_function("airlock_add", 2, pure, |ctx| arith(ctx, Op::Add))?;
    conn.create_scalar_function("airlock_sub", 2, pure, |ctx| arith(ctx, Op::Sub))?;
    conn.create_scalar_function("airlock_mul", 2, pure, |ctx| arith(ctx, Op::Mul))?;
    conn.create_scalar_function("airlock_div", 2, pure, |ctx| arith(ctx, Op::Div))?;
    conn.create_scalar_function("airlock_mod", 2, pure, |ctx| arith(ctx, Op::Mod))?;
    conn.create_scalar_function("airlock_pow", 2, pure, pow)?;
    conn.create_scalar_function("airlock_cast", 2, pure, cast)?;
    conn.create_scalar_function("airlock_cast", 3, pure, cast)?;
    conn.create_scalar_function("version", 0, pure, |_| Ok(VERSION))?;
    let time = Arc::clone(time);
    conn.create_scalar_function(
        "now",
        0,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_INNOCUOUS,
        move |_| Ok(time.lock().unwrap_or_else(PoisonError::into_inner).clone()),
    )?;
    Ok(())
}

/// A number SQLite handed over: integers stay exact.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i64),
    Real(f64),
}

impl Num {
    fn real(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Real(f) => f,
        }
    }
}

/// An operand as a number; text must spell one (PostgreSQL reads an unknown literal as
/// the other operand's type).
fn number(v: ValueRef<'_>, what: &str) -> Result<Option<Num>> {
    Ok(Some(match v {
        ValueRef::Null => return Ok(None),
        ValueRef::Integer(i) => Num::Int(i),
        ValueRef::Real(f) => Num::Real(f),
        ValueRef::Text(t) => {
            let s = String::from_utf8_lossy(t);
            let s = s.trim();
            match s.parse::<i64>() {
                Ok(i) => Num::Int(i),
                Err(_) => Num::Real(parse_float(s).ok_or_else(|| {
                    fail(
                        SqlState::InvalidTextRepresentation,
                        format!("invalid input syntax for type {what}: \"{s}\""),
                    )
                })?),
            }
        }
        ValueRef::Blob(_) => {
            return Err(fail(
                SqlState::CannotCoerce,
                format!("cannot cast type bytea to {what}"),
            ));
        }
    }))
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

fn arith(ctx: &Context<'_>, op: Op) -> Result<Option<Value>> {
    let (Some(a), Some(b)) = (
        number(ctx.get_raw(0), "numeric")?,
        number(ctx.get_raw(1), "numeric")?,
    ) else {
        return Ok(None);
    };
    if matches!(op, Op::Div | Op::Mod) && b.real() == 0.0 {
        return Err(fail(SqlState::DivisionByZero, "division by zero"));
    }
    let overflow = || fail(SqlState::NumericValueOutOfRange, "bigint out of range");
    Ok(Some(match (a, b, op) {
        (Num::Int(a), Num::Int(b), Op::Add) => {
            Value::Integer(a.checked_add(b).ok_or_else(overflow)?)
        }
        (Num::Int(a), Num::Int(b), Op::Sub) => {
            Value::Integer(a.checked_sub(b).ok_or_else(overflow)?)
        }
        (Num::Int(a), Num::Int(b), Op::Mul) => {
            Value::Integer(a.checked_mul(b).ok_or_else(overflow)?)
        }
        (a, b, Op::Add) => Value::Real(a.real() + b.real()),
        (a, b, Op::Sub) => Value::Real(a.real() - b.real()),
        (a, b, Op::Mul) => Value::Real(a.real() * b.real()),
        (Num::Int(a), Num::Int(b), Op::Div) => Value::Integer(
            a.checked_div(b)
                .ok_or_else(|| fail(SqlState::NumericValueOutOfRange, "bigint out of range"))?,
        ),
        // i64::MIN % -1 is 0 in PostgreSQL.
        (Num::Int(a), Num::Int(b), Op::Mod) => Value::Integer(a.checked_rem(b).unwrap_or(0)),
        (a, b, Op::Div) => Value::Real(a.real() / b.real()),
        (a, b, Op::Mod) => Value::Real(a.real() % b.real()),
    }))
}

fn pow(ctx: &Context<'_>) -> Result<Option<f64>> {
    let (Some(a), Some(b)) = (
        number(ctx.get_raw(0), "double precision")?,
        number(ctx.get_raw(1), "double precision")?,
    ) else {
        return Ok(None);
    };
    let (a, b) = (a.real(), b.real());
    if a == 0.0 && b < 0.0 {
        return Err(fail(
            SqlState::InvalidArgumentForPowerFunction,
            "zero raised to a negative power is undefined",
        ));
    }
    if a < 0.0 && b.fract() != 0.0 {
        return Err(fail(
            SqlState::InvalidArgumentForPowerFunction,
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    let r = a.powf(b);
    if r.is_infinite() && a.is_finite() && b.is_finite() {
        return Err(fail(
            SqlState::NumericValueOutOfRange,
            "value out of range: overflow",
        ));
    }
    Ok(Some(r))
}

/// `airlock_cast(value, target[, source])`: PostgreSQL's cast of `value` (whose type
/// was `source`, when the engine knew it) to `target`.
fn cast(ctx: &Context<'_>) -> Result<Option<Value>> {
    let target: String = ctx.get(1)?;
    let source: Option<String> = if ctx.len() > 2 { ctx.get(2)? } else { None };
    let v = ctx.get_raw(0);
    if let ValueRef::Null = v {
        return Ok(None);
    }
    let text = |v: ValueRef<'_>| -> String {
        match v {
            ValueRef::Text(t) => String::from_utf8_lossy(t).trim().to_owned(),
            ValueRef::Integer(i) => i.to_string(),
            ValueRef::Real(f) => float8(f),
            ValueRef::Blob(_) | ValueRef::Null => String::new(),
        }
    };
    let invalid = |name: &str, s: &str| {
        fail(
            SqlState::InvalidTextRepresentation,
            format!("invalid input syntax for type {name}: \"{s}\""),
        )
    };
    let is_bool = source.as_deref() == Some("bool");
    // PostgreSQL rounds a numeric half away from zero, a double half to even.
    let from_numeric = source.as_deref() == Some("numeric");
    let source_name = match source.as_deref() {
        Some("numeric") => "numeric",
        Some("int4") => "integer",
        Some("int8") => "bigint",
        Some("bool") => "boolean",
        Some("text") => "text",
        _ => "double precision",
    };
    Ok(Some(match target.as_str() {
        "bool" => match v {
            ValueRef::Integer(i) => Value::Integer(i64::from(i != 0)),
            ValueRef::Text(_) => {
                let s = text(v);
                Value::Integer(i64::from(
                    parse_bool(&s).ok_or_else(|| invalid("boolean", &s))?,
                ))
            }
            _ => {
                return Err(fail(
                    SqlState::CannotCoerce,
                    format!("cannot cast type {source_name} to boolean"),
                ));
            }
        },
        "int2" | "int4" | "int8" => {
            let (name, min, max) = match target.as_str() {
                "int2" => ("smallint", i64::from(i16::MIN), i64::from(i16::MAX)),
                "int4" => ("integer", i64::from(i32::MIN), i64::from(i32::MAX)),
                _ => ("bigint", i64::MIN, i64::MAX),
            };
            let out_of_range = || {
                fail(
                    SqlState::NumericValueOutOfRange,
                    format!("{name} out of range"),
                )
            };
            let text_out_of_range = |s: &str| {
                fail(
                    SqlState::NumericValueOutOfRange,
                    format!("value \"{s}\" is out of range for type {name}"),
                )
            };
            let i = match v {
                ValueRef::Integer(i) => i,
                ValueRef::Real(f) => {
                    let r = if from_numeric {
                        f.round()
                    } else {
                        f.round_ties_even()
                    };
                    if !r.is_finite() || r < min as f64 || r > max as f64 {
                        return Err(out_of_range());
                    }
                    r as i64
                }
                ValueRef::Text(_) => {
                    let s = text(v);
                    match s.parse::<i64>() {
                        Ok(i) => i,
                        Err(e)
                            if matches!(
                                e.kind(),
                                std::num::IntErrorKind::PosOverflow
                                    | std::num::IntErrorKind::NegOverflow
                            ) =>
                        {
                            return Err(text_out_of_range(&s));
                        }
                        Err(_) => return Err(invalid(name, &s)),
                    }
                }
                _ => {
                    return Err(fail(
                        SqlState::CannotCoerce,
                        format!("cannot cast type bytea to {name}"),
                    ));
                }
            };
            if i < min || i > max {
                return Err(match v {
                    ValueRef::Text(_) => text_out_of_range(&text(v)),
                    _ => out_of_range(),
                });
            }
            Value::Integer(i)
        }
        "float4" | "float8" => match v {
            ValueRef::Integer(i) => Value::Real(i as f64),
            ValueRef::Real(f) => Value::Real(f),
            _ => {
                let s = text(v);
                Value::Real(parse_float(&s).ok_or_else(|| invalid("double precision", &s))?)
            }
        },
        "numeric" => match v {
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            _ => {
                let s = text(v);
                if !is_decimal(&s) {
                    return Err(invalid("numeric", &s));
                }
                // The text itself keeps its scale (`'1.50'::numeric` prints 1.50).
                Value::Text(s)
            }
        },
        "text" => match v {
            ValueRef::Integer(i) if is_bool => {
                Value::Text(if i != 0 { "true" } else { "false" }.to_owned())
            }
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            _ => Value::Text(text(v)),
        },
        "timestamptz" | "jsonb" | "oid" => match (target.as_str(), v) {
            ("oid", ValueRef::Integer(i)) if (0..=i64::from(u32::MAX)).contains(&i) => {
                Value::Integer(i)
            }
            ("oid", _) => {
                let s = text(v);
                match s.parse::<u32>() {
                    Ok(i) => Value::Integer(i64::from(i)),
                    Err(_) => return Err(invalid("oid", &s)),
                }
            }
            ("jsonb", ValueRef::Text(t)) => {
                if serde_json::from_slice::<serde_json::Value>(t).is_err() {
                    return Err(invalid("json", &String::from_utf8_lossy(t)));
                }
                Value::Text(String::from_utf8_lossy(t).into_owned())
            }
            (_, ValueRef::Text(t)) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            (name, _) => {
                return Err(fail(
                    SqlState::CannotCoerce,
                    format!("cannot cast a number to type {name}"),
                ));
            }
        },
        other => {
            return Err(fail(
                SqlState::FeatureNotSupported,
                format!("casts to type {other} are not supported in catalog queries"),
            ));
        }
    }))
}

/// PostgreSQL's boolean input: `t`, `true`, `yes`, `on`, `1` and their false
/// counterparts, any case, and any unique prefix of the words.
fn parse_bool(s: &str) -> Option<bool> {
    let s = s.to_ascii_lowercase();
    if s.is_empty() {
        return None;
    }
    let prefix_of = |word: &str, min: usize| s.len() >= min && word.starts_with(&s);
    if prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2) || s == "1" {
        Some(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || s == "0" {
        Some(false)
    } else {
        None
    }
}

/// `double precision` input: a decimal number, `NaN`, `Infinity` or `inf`, any case.
fn parse_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    let named = ["nan", "infinity", "inf"].contains(&body);
    if !named && !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    lower.parse::<f64>().ok()
}

/// `numeric` input: `[+-]digits[.digits][e[+-]digits]`, or `NaN`.
fn is_decimal(s: &str) -> bool {
    if s.eq_ignore_ascii_case("nan") {
        return true;
    }
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(k) => (&s[..k], Some(&s[k + 1..])),
        None => (s, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    !(int.is_empty() && frac.is_empty()) && digits(int) && digits(frac) && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_read_like_postgres() {
        for t in ["t", "TRUE", "yes", "on", "1", "tr", "y"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["f", "false", "NO", "off", "0", "of"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for bad in ["", "o", "maybe", "2", "truee"] {
            assert_eq!(parse_bool(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers_read_like_postgres() {
        assert!(is_decimal("1.50") && is_decimal("-.5") && is_decimal("1e3") && is_decimal("5."));
        assert!(!is_decimal("") && !is_decimal(".") && !is_decimal("1e") && !is_decimal("abc"));
        assert_eq!(parse_float("Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_float("-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_float("1e-5"), Some(1e-5));
        assert_eq!(parse_float("abc"), None);
    }

    #[test]
    fn errors_carry_their_sqlstate_through_sqlite() {
        let time = StatementTime::default();
        let conn = Connection::open_in_memory().unwrap();
        install(&conn, &time).unwrap();
        let err = conn
            .query_row("SELECT airlock_div(1, 0)", [], |r| r.get::<_, i64>(0))
            .unwrap_err();
        let rusqlite::Error::SqliteFailure(_, Some(msg)) = err else {
            panic!("{err:?}")
        };
        assert_eq!(
            decode_error(&msg),
            Some((SqlState::DivisionByZero, "division by zero".to_owned()))
        );
        let v: i64 = conn
            .query_row("SELECT airlock_cast(' 42 ', 'int4')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 42);
    }
}
