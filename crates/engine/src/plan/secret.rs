//! Planning `CREATE SECRET ... AS value` and `ALTER SECRET ... AS value`: the value is a
//! constant `bytea` expression, as in Materialize, evaluated here once, at plan time.
//!
//! The subset Materialize's users write: string literals (with PostgreSQL's `bytea`
//! escape input: `'\x736563'`, `'a\\b'`, `'\001'`), `::bytea` / `::text` (and `CAST`),
//! `||`, `decode(text, 'base64' | 'hex' | 'escape')`, `encode(bytea, …)`,
//! `repeat(text, n)` and `convert_from(bytea, 'utf8')`. Anything else gets Materialize's
//! error where it has one (`AS does not allow subqueries`, `AS must have type bytea, not
//! type integer`, `secret value can not be null`) and says what is supported otherwise.
//!
//! No error quotes the value or any part of it: a secret typed without quotes is a column
//! reference, a misplaced argument is an encoding name. Every intermediate value is
//! bounded ([`MAX_EVAL_BYTES`]) before it is allocated, and every buffer is zeroed when
//! dropped.

use airlock_parser::sqlparser::ast::{BinaryOperator, CastKind, DataType, Expr, Value};
use base64::Engine as _;
use zeroize::Zeroizing;

use airlock_catalog::SecretBytes;
use airlock_parser::display::plain_call_args;

use crate::error::{MAX_SECRET_BYTES, PlanError, Result};

/// The most any value inside a secret expression may hold: four times a secret's bound,
/// room for a secret in its longest text form (`encode(…, 'escape')` writes a byte as
/// `\ooo`). The statement itself is at most 4 MiB, so this bounds evaluation at a few
/// MiB whatever the expression.
pub const MAX_EVAL_BYTES: usize = 4 * MAX_SECRET_BYTES;

/// A value while the expression is evaluated, with PostgreSQL's types.
enum Val {
    Null,
    /// A string literal not yet given a type (PostgreSQL's `unknown`).
    Unknown(Zeroizing<String>),
    Text(Zeroizing<String>),
    Bytea(Zeroizing<Vec<u8>>),
    Int(i64),
    Numeric,
    Bool,
}

impl Val {
    fn type_name(&self) -> &'static str {
        match self {
            Val::Null | Val::Unknown(_) => "unknown",
            Val::Text(_) => "text",
            Val::Bytea(_) => "bytea",
            Val::Int(n) if i32::try_from(*n).is_ok() => "integer",
            Val::Int(_) => "bigint",
            Val::Numeric => "numeric",
            Val::Bool => "boolean",
        }
    }
}

/// Evaluates a secret's value expression to the bytes to store.
pub(crate) fn eval_secret(expr: &Expr) -> Result<SecretBytes> {
    let bytes = match eval(expr)? {
        Val::Null => return Err(PlanError::SecretNull.into()),
        Val::Unknown(s) => bytea_in(&s)?,
        Val::Bytea(b) => b,
        other => return Err(PlanError::SecretType(other.type_name()).into()),
    };
    if bytes.len() > MAX_SECRET_BYTES {
        return Err(PlanError::SecretTooBig.into());
    }
    Ok(SecretBytes::new(bytes.to_vec()))
}

fn eval(expr: &Expr) -> Result<Val> {
    match expr {
        Expr::Value(v) => literal(&v.value),
        Expr::Nested(inner) => eval(inner),
        Expr::Cast {
            kind: CastKind::Cast | CastKind::DoubleColon,
            expr,
            data_type,
            format: None,
        } => cast(eval(expr)?, data_type),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::StringConcat,
            right,
        } => concat(eval(left)?, eval(right)?),
        Expr::Function(function) => {
            let name = function.name.to_string().to_ascii_lowercase();
            let Some(args) = plain_call_args(function) else {
                return Err(PlanError::UnsupportedInSecret(format!("this call of {name}")).into());
            };
            let args = args.into_iter().map(eval).collect::<Result<Vec<_>>>()?;
            call(&name, args)
        }
        Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => {
            Err(PlanError::SecretSubquery.into())
        }
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
            Err(PlanError::SecretColumnReference.into())
        }
        _ => Err(PlanError::UnsupportedInSecret("this expression".to_owned()).into()),
    }
}

fn literal(value: &Value) -> Result<Val> {
    Ok(match value {
        Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) => {
            Val::Unknown(bounded_text(s.clone())?)
        }
        Value::DollarQuotedString(s) => Val::Unknown(bounded_text(s.value.clone())?),
        Value::Number(n, _) => match n.parse::<i64>() {
            Ok(n) => Val::Int(n),
            Err(_) => Val::Numeric,
        },
        Value::Boolean(_) => Val::Bool,
        Value::Null => Val::Null,
        _ => return Err(PlanError::UnsupportedInSecret("this kind of literal".to_owned()).into()),
    })
}

fn bounded_text(s: String) -> Result<Zeroizing<String>> {
    let s = Zeroizing::new(s);
    if s.len() > MAX_EVAL_BYTES {
        return Err(PlanError::SecretEvalTooBig.into());
    }
    Ok(s)
}

fn bounded_bytes(b: Vec<u8>) -> Result<Zeroizing<Vec<u8>>> {
    let b = Zeroizing::new(b);
    if b.len() > MAX_EVAL_BYTES {
        return Err(PlanError::SecretEvalTooBig.into());
    }
    Ok(b)
}

/// Fails before allocating a value of `len` bytes past the bound.
fn reserve(len: usize) -> Result<()> {
    if len > MAX_EVAL_BYTES {
        return Err(PlanError::SecretEvalTooBig.into());
    }
    Ok(())
}

/// The types a cast may name here.
enum Target {
    Bytea,
    Text,
    Int,
}

fn target(data_type: &DataType) -> Option<Target> {
    Some(match data_type {
        DataType::Bytea => Target::Bytea,
        DataType::Text
        | DataType::String(_)
        | DataType::Varchar(None)
        | DataType::CharacterVarying(None) => Target::Text,
        DataType::Int(_)
        | DataType::Integer(_)
        | DataType::Int4(_)
        | DataType::BigInt(_)
        | DataType::Int8(_) => Target::Int,
        _ => return None,
    })
}

fn cast(value: Val, data_type: &DataType) -> Result<Val> {
    let Some(to) = target(data_type) else {
        return Err(PlanError::UnsupportedInSecret(format!("a cast to {data_type}")).into());
    };
    let cannot = |from: &Val, to: &'static str| -> crate::error::ExecError {
        PlanError::CannotCast {
            from: from.type_name(),
            to,
        }
        .into()
    };
    Ok(match (to, value) {
        (_, Val::Null) => Val::Null,
        (Target::Bytea, Val::Unknown(s) | Val::Text(s)) => Val::Bytea(bytea_in(&s)?),
        (Target::Bytea, Val::Bytea(b)) => Val::Bytea(b),
        (Target::Bytea, other) => return Err(cannot(&other, "bytea")),
        (Target::Text, Val::Unknown(s) | Val::Text(s)) => Val::Text(s),
        (Target::Text, Val::Bytea(b)) => Val::Text(bytea_out(&b)?),
        (Target::Text, Val::Int(n)) => Val::Text(Zeroizing::new(n.to_string())),
        (Target::Text, other) => return Err(cannot(&other, "text")),
        (Target::Int, Val::Unknown(s) | Val::Text(s)) => Val::Int(
            s.trim()
                .parse()
                .map_err(|_| PlanError::InvalidInput("invalid input syntax for type integer"))?,
        ),
        (Target::Int, Val::Int(n)) => Val::Int(n),
        (Target::Int, other) => return Err(cannot(&other, "integer")),
    })
}

/// `a || b`, with PostgreSQL's rules: `bytea || bytea` is `bytea`, and text with
/// anything but `bytea` is text.
fn concat(left: Val, right: Val) -> Result<Val> {
    Ok(match (left, right) {
        (Val::Null, _) | (_, Val::Null) => Val::Null,
        (Val::Bytea(a), Val::Bytea(b)) => Val::Bytea(join_bytes(&a, &b)?),
        (Val::Bytea(a), Val::Unknown(b)) => Val::Bytea(join_bytes(&a, &bytea_in(&b)?)?),
        (Val::Unknown(a), Val::Bytea(b)) => Val::Bytea(join_bytes(&bytea_in(&a)?, &b)?),
        (left, right) => {
            let textual = |v: &Val| matches!(v, Val::Unknown(_) | Val::Text(_));
            if !textual(&left) && !textual(&right) {
                return Err(PlanError::OperatorDoesNotExist(format!(
                    "{} || {}",
                    left.type_name(),
                    right.type_name()
                ))
                .into());
            }
            let (a, b) = (text_out(left)?, text_out(right)?);
            reserve(a.len() + b.len())?;
            let mut joined = Zeroizing::new(String::with_capacity(a.len() + b.len()));
            joined.push_str(&a);
            joined.push_str(&b);
            Val::Text(joined)
        }
    })
}

fn join_bytes(a: &[u8], b: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    reserve(a.len() + b.len())?;
    let mut joined = Zeroizing::new(Vec::with_capacity(a.len() + b.len()));
    joined.extend_from_slice(a);
    joined.extend_from_slice(b);
    Ok(joined)
}

/// A value's text form, as PostgreSQL's output functions write it.
fn text_out(value: Val) -> Result<Zeroizing<String>> {
    Ok(match value {
        Val::Unknown(s) | Val::Text(s) => s,
        Val::Bytea(b) => bytea_out(&b)?,
        Val::Int(n) => Zeroizing::new(n.to_string()),
        other => {
            return Err(
                PlanError::UnsupportedInSecret(format!("{} values", other.type_name())).into(),
            );
        }
    })
}

fn call(name: &str, args: Vec<Val>) -> Result<Val> {
    let signature = format!(
        "{name}({})",
        args.iter()
            .map(Val::type_name)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let textual = |v: &Val| matches!(v, Val::Unknown(_) | Val::Text(_) | Val::Null);
    let binary = |v: &Val| matches!(v, Val::Unknown(_) | Val::Bytea(_) | Val::Null);
    let supported = match (name, args.as_slice()) {
        ("decode", [data, format]) => textual(data) && textual(format),
        ("encode", [data, format]) => binary(data) && textual(format),
        ("repeat", [text, count]) => {
            textual(text) && matches!(count, Val::Int(_) | Val::Unknown(_) | Val::Null)
        }
        ("convert_from", [data, encoding]) => binary(data) && textual(encoding),
        ("decode" | "encode" | "repeat" | "convert_from", _) => false,
        _ => return Err(PlanError::UnsupportedInSecret(format!("function {name}")).into()),
    };
    if !supported {
        return Err(PlanError::FunctionDoesNotExist(signature.clone()).into());
    }
    if args.iter().any(|a| matches!(a, Val::Null)) {
        return Ok(Val::Null);
    }
    let mut args = args.into_iter();
    let (Some(first), Some(second)) = (args.next(), args.next()) else {
        return Err(PlanError::FunctionDoesNotExist(signature.clone()).into());
    };
    match name {
        "decode" => Ok(Val::Bytea(decode(&text_out(first)?, &text_out(second)?)?)),
        "encode" => {
            let data = match first {
                Val::Unknown(s) => bytea_in(&s)?,
                Val::Bytea(b) => b,
                _ => return Err(PlanError::FunctionDoesNotExist(signature.clone()).into()),
            };
            Ok(Val::Text(encode(&data, &text_out(second)?)?))
        }
        "repeat" => {
            let count = match cast(second, &DataType::Int(None))? {
                Val::Int(n) => usize::try_from(n).unwrap_or(0),
                _ => 0,
            };
            let text = text_out(first)?;
            reserve(text.len().saturating_mul(count))?;
            Ok(Val::Text(Zeroizing::new(text.repeat(count))))
        }
        _ => {
            let data = match first {
                Val::Unknown(s) => bytea_in(&s)?,
                Val::Bytea(b) => b,
                _ => return Err(PlanError::FunctionDoesNotExist(signature.clone()).into()),
            };
            if !is_utf8_name(&text_out(second)?) {
                return Err(PlanError::InvalidSourceEncoding.into());
            }
            let text = std::str::from_utf8(&data).map_err(|_| PlanError::InvalidUtf8)?;
            Ok(Val::Text(Zeroizing::new(text.to_owned())))
        }
    }
}

/// PostgreSQL compares encoding names ignoring case and punctuation: `UTF8`, `utf-8`.
fn is_utf8_name(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    folded == "utf8" || folded == "unicode"
}

/// The formats of `decode` and `encode`.
enum Format {
    Base64,
    Hex,
    Escape,
}

fn format(name: &str) -> Result<Format> {
    match name.to_ascii_lowercase().as_str() {
        "base64" => Ok(Format::Base64),
        "hex" => Ok(Format::Hex),
        "escape" => Ok(Format::Escape),
        _ => Err(PlanError::UnrecognizedEncoding.into()),
    }
}

fn decode(data: &str, name: &str) -> Result<Zeroizing<Vec<u8>>> {
    match format(name)? {
        Format::Base64 => {
            // PostgreSQL skips whitespace (its encoder wraps lines at 76 characters).
            let compact: Zeroizing<Vec<u8>> =
                Zeroizing::new(data.bytes().filter(|b| !b.is_ascii_whitespace()).collect());
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(&*compact)
                .map_err(|e| match e {
                    base64::DecodeError::InvalidByte(..) => PlanError::InvalidInput(
                        "invalid symbol found while decoding base64 sequence",
                    ),
                    _ => PlanError::InvalidInput("invalid base64 end sequence"),
                })?;
            bounded_bytes(decoded)
        }
        Format::Hex => hex_decode(data),
        Format::Escape => escape_decode(data),
    }
}

fn encode(data: &[u8], name: &str) -> Result<Zeroizing<String>> {
    Ok(match format(name)? {
        Format::Base64 => {
            reserve(data.len().div_ceil(3) * 4 * 77 / 76 + 1)?;
            let flat = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(data));
            // PostgreSQL's lines of 76 characters.
            let mut wrapped = Zeroizing::new(String::with_capacity(flat.len() + flat.len() / 76));
            for (i, chunk) in flat.as_bytes().chunks(76).enumerate() {
                if i > 0 {
                    wrapped.push('\n');
                }
                wrapped.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            }
            wrapped
        }
        Format::Hex => {
            reserve(data.len() * 2)?;
            let mut out = Zeroizing::new(String::with_capacity(data.len() * 2));
            push_hex(&mut out, data);
            out
        }
        Format::Escape => {
            reserve(data.len() * 4)?;
            let mut out = Zeroizing::new(String::with_capacity(data.len()));
            for &b in data {
                match b {
                    b'\\' => out.push_str("\\\\"),
                    0 | 0x80..=0xff => {
                        out.push('\\');
                        out.push(char::from(b'0' + (b >> 6)));
                        out.push(char::from(b'0' + ((b >> 3) & 7)));
                        out.push(char::from(b'0' + (b & 7)));
                    }
                    b => out.push(char::from(b)),
                }
            }
            out
        }
    })
}

fn push_hex(out: &mut String, data: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in data {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
}

/// `bytea`'s output: `\x` and two hexadecimal digits a byte.
fn bytea_out(data: &[u8]) -> Result<Zeroizing<String>> {
    reserve(2 + data.len() * 2)?;
    let mut out = Zeroizing::new(String::with_capacity(2 + data.len() * 2));
    out.push_str("\\x");
    push_hex(&mut out, data);
    Ok(out)
}

/// `bytea`'s input: `\x` then hexadecimal digit pairs, or the escape format (`\\` is a
/// backslash, `\ooo` an octal byte, anything else as is).
pub(crate) fn bytea_in(text: &str) -> Result<Zeroizing<Vec<u8>>> {
    match text.strip_prefix("\\x") {
        Some(hex) => hex_decode(hex),
        None => escape_decode(text),
    }
}

fn hex_decode(text: &str) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() / 2));
    let mut digits = text.bytes().filter(|b| !b.is_ascii_whitespace());
    while let Some(high) = digits.next() {
        let Some(low) = digits.next() else {
            return Err(
                PlanError::InvalidInput("invalid hexadecimal data: odd number of digits").into(),
            );
        };
        let value = |d: u8| {
            char::from(d)
                .to_digit(16)
                .ok_or(PlanError::InvalidInput("invalid hexadecimal digit"))
        };
        // Both come from `to_digit(16)`: each fits in four bits.
        out.push(u8::try_from(value(high)? * 16 + value(low)?).unwrap_or_default());
    }
    Ok(out)
}

fn escape_decode(text: &str) -> Result<Zeroizing<Vec<u8>>> {
    let bytes = text.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
        } else if bytes.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else {
            let octal = bytes.get(i + 1..i + 4).filter(|d| {
                matches!(d[0], b'0'..=b'3')
                    && matches!(d[1], b'0'..=b'7')
                    && matches!(d[2], b'0'..=b'7')
            });
            let Some(d) = octal else {
                return Err(PlanError::InvalidInput("invalid input syntax for type bytea").into());
            };
            out.push(((d[0] - b'0') << 6) | ((d[1] - b'0') << 3) | (d[2] - b'0'));
            i += 4;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_parser::ast::Statement;

    fn eval_sql(value: &str) -> std::result::Result<Vec<u8>, String> {
        let sql = format!("CREATE SECRET s AS {value}");
        let Statement::CreateSecret(s) = airlock_parser::parse_statement(&sql).unwrap() else {
            panic!("{sql}")
        };
        eval_secret(s.value.expose_expr())
            .map(|b| b.expose_secret().to_vec())
            .map_err(|e| e.into_diagnostic().message)
    }

    #[test]
    fn materialize_examples() {
        assert_eq!(
            eval_sql("decode('c2VjcmV0Cg==', 'base64')").unwrap(),
            b"secret\n"
        );
        assert_eq!(
            eval_sql("decode(encode('supersecret', 'base64') , 'base64')").unwrap(),
            b"supersecret"
        );
        assert_eq!(eval_sql("'text'").unwrap(), b"text");
        assert_eq!(eval_sql("'text'::bytea").unwrap(), b"text");
        assert_eq!(eval_sql("('a' || 'b')::bytea").unwrap(), b"ab");
        assert_eq!(
            eval_sql("repeat('x', 1024)::bytea").unwrap(),
            vec![b'x'; 1024]
        );
        assert_eq!(
            eval_sql("123456").unwrap_err(),
            "AS must have type bytea, not type integer"
        );
        assert_eq!(
            eval_sql("NULL").unwrap_err(),
            "secret value can not be null"
        );
        assert_eq!(
            eval_sql("(SELECT 'x')").unwrap_err(),
            "AS does not allow subqueries"
        );
        assert_eq!(
            eval_sql("'a' || 'b'").unwrap_err(),
            "AS must have type bytea, not type text"
        );
    }

    #[test]
    fn bytea_input_and_output() {
        assert_eq!(eval_sql("'\\x00ff'").unwrap(), vec![0, 255]);
        assert_eq!(eval_sql("'a\\\\b\\001'").unwrap(), b"a\\b\x01");
        assert_eq!(
            eval_sql("'\\q'").unwrap_err(),
            "invalid input syntax for type bytea"
        );
        assert_eq!(eval_sql("decode('ff00', 'hex')").unwrap(), vec![255, 0]);
        // `'\xff'::bytea::text` is the text `\xff`, whose `::bytea` is the byte again.
        assert_eq!(
            eval_sql("('\\xff'::bytea::text)::bytea").unwrap(),
            vec![0xff]
        );
        assert_eq!(
            eval_sql("convert_from('\\xff', 'utf8')::bytea").unwrap_err(),
            "invalid byte sequence for encoding \"UTF8\""
        );
        // The escape form, read back as `bytea` escape input, is the bytes again.
        assert_eq!(
            eval_sql("encode('\\x00ff5c', 'escape')::bytea").unwrap(),
            vec![0, 0xff, b'\\']
        );
        assert_eq!(
            eval_sql("decode('YQ', 'base64')").unwrap_err(),
            "invalid base64 end sequence"
        );
        assert_eq!(
            eval_sql("decode('x', 'rot13')").unwrap_err(),
            "unrecognized encoding"
        );
    }

    #[test]
    fn nothing_is_echoed_and_everything_is_bounded() {
        let err = eval_sql("decode(hunter2, 'base64')").unwrap_err();
        assert_eq!(err, "AS does not allow column references");
        let err = eval_sql("decode('base64', 'hunter2')").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        assert_eq!(
            eval_sql("repeat('x', 1000000000)::bytea").unwrap_err(),
            format!(
                "a secret value expression exceeds {} MiB while it is evaluated",
                MAX_EVAL_BYTES >> 20
            )
        );
        assert_eq!(
            eval_sql(&format!("repeat('x', {})::bytea", MAX_SECRET_BYTES + 1)).unwrap_err(),
            "secrets can not be bigger than 512KiB"
        );
        assert_eq!(
            eval_sql(&format!("repeat('x', {})::bytea", MAX_SECRET_BYTES))
                .unwrap()
                .len(),
            MAX_SECRET_BYTES
        );
        assert_eq!(
            eval_sql("now()").unwrap_err(),
            "function now is not supported in secret values"
        );
        assert_eq!(
            eval_sql("decode(1, 'hex')").unwrap_err(),
            "function decode(integer, unknown) does not exist"
        );
        assert_eq!(
            eval_sql("1::bytea").unwrap_err(),
            "CAST does not support casting from integer to bytea"
        );
    }
}
