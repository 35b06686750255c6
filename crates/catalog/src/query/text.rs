//! Values in PostgreSQL's text output form, by the column's PostgreSQL type.
//!
//! SQLite has five storage classes; clients expect what PostgreSQL prints for the type
//! the query's column has (known before the query runs): `t`/`f` for a boolean SQLite
//! computed as 0/1, `1e+20` for a double, a numeric without an exponent.

use airlock_core::ColumnType;
use rusqlite::types::ValueRef;

/// `v` as PostgreSQL prints a value of type `ty`; `None` for NULL.
pub(super) fn text(v: ValueRef<'_>, ty: ColumnType) -> Option<String> {
    Some(match (v, ty) {
        (ValueRef::Null, _) => return None,
        (ValueRef::Integer(i), ColumnType::Bool) => if i != 0 { "t" } else { "f" }.to_owned(),
        (ValueRef::Real(f), ColumnType::Bool) => if f != 0.0 { "t" } else { "f" }.to_owned(),
        (ValueRef::Integer(i), ColumnType::Float8) => float8(i as f64),
        (ValueRef::Real(f), ColumnType::Numeric) => numeric(f),
        (ValueRef::Real(f), _) => float8(f),
        (ValueRef::Integer(i), _) => i.to_string(),
        (ValueRef::Text(t), _) => String::from_utf8_lossy(t).into_owned(),
        (ValueRef::Blob(b), _) => bytea(b),
    })
}

/// How many bytes [`text`] makes of `v` at most, without making them.
pub(super) fn text_len(v: ValueRef<'_>) -> usize {
    match v {
        ValueRef::Null => 0,
        ValueRef::Integer(_) | ValueRef::Real(_) => 24,
        ValueRef::Text(t) => t.len(),
        ValueRef::Blob(b) => 2 + 2 * b.len(),
    }
}

/// bytea's hex output.
fn bytea(b: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 + b.len() * 2);
    out.push_str("\\x");
    for byte in b {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

/// `double precision` output as PostgreSQL 12 and later print it: the shortest digits
/// that read back exactly, in exponent form when the exponent is below -4 or at least
/// 15 (`1e+20`, `1e-05`), `NaN`, `Infinity`, `-Infinity`.
pub fn float8(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's `{:e}` is the shortest round-trip form: `d.ddde±x`.
    let (sign, digits, exp) = scientific(&format!("{f:e}"));
    if !(-4..15).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{rest}e{esign}{:02}", exp.abs());
    }
    format!("{sign}{}", positional(&digits, exp))
}

/// `numeric` output of a value SQLite computed in binary floating point: 15
/// significant digits (what a double holds exactly), never an exponent.
fn numeric(f: f64) -> String {
    if !f.is_finite() {
        return float8(f);
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    let (sign, digits, exp) = scientific(&format!("{f:.14e}"));
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    format!("{sign}{}", positional(digits, exp))
}

/// The sign, the significant digits and the exponent of Rust's `{:e}` form
/// (`-1.25e-7` is `("-", "125", -7)`).
fn scientific(sci: &str) -> (&'static str, String, i32) {
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits = mantissa.chars().filter(char::is_ascii_digit).collect();
    (sign, digits, exp)
}

/// Significant `digits` (the first before the point) times 10^`exp`, written out.
fn positional(digits: &str, exp: i32) -> String {
    let n = digits.len() as i32;
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        format!("0.{zeros}{digits}")
    } else if exp + 1 >= n {
        let zeros = "0".repeat((exp + 1 - n) as usize);
        format!("{digits}{zeros}")
    } else {
        let (int, frac) = digits.split_at((exp + 1) as usize);
        format!("{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_postgres() {
        for (f, want) in [
            (1e20, "1e+20"),
            (1e-5, "1e-05"),
            (1.5, "1.5"),
            (100000.0, "100000"),
            (1e15, "1e+15"),
            (123456789012345.0, "123456789012345"),
            (0.0001, "0.0001"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-2.5e-7, "-2.5e-07"),
            (1.2345678901234567e20, "1.2345678901234567e+20"),
            (-0.0, "-0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(float8(f), want, "{f:?}");
        }
    }

    #[test]
    fn numerics_never_use_an_exponent() {
        for (f, want) in [
            (0.1 + 0.2, "0.3"),
            (2.5, "2.5"),
            (1e20, "100000000000000000000"),
            (-0.000125, "-0.000125"),
            (3.0, "3"),
        ] {
            assert_eq!(numeric(f), want, "{f:?}");
        }
    }

    #[test]
    fn values_follow_the_column_type() {
        assert_eq!(
            text(ValueRef::Integer(1), ColumnType::Bool).as_deref(),
            Some("t")
        );
        assert_eq!(
            text(ValueRef::Integer(0), ColumnType::Bool).as_deref(),
            Some("f")
        );
        assert_eq!(
            text(ValueRef::Integer(-3), ColumnType::Int8).as_deref(),
            Some("-3")
        );
        assert_eq!(
            text(ValueRef::Integer(2), ColumnType::Float8).as_deref(),
            Some("2")
        );
        assert_eq!(
            text(ValueRef::Blob(&[0, 255]), ColumnType::Text).as_deref(),
            Some("\\x00ff")
        );
        assert_eq!(text(ValueRef::Null, ColumnType::Bool), None);
    }
}
