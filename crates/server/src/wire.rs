//! Airlock's values and diagnostics in the PostgreSQL wire format: type OIDs, text and
//! binary encodings of result values, decoding of bound parameters, and
//! `ErrorResponse`/`NoticeResponse` fields.

use std::sync::Arc;

use airlock_core::{Column, ColumnType, Diagnostic, Position, Row};
use airlock_engine::params::ParamValue;
use bytes::{BufMut, BytesMut};
use pgwire::api::Type;
use pgwire::api::portal::Format;
use pgwire::api::results::{FieldFormat, FieldInfo};
use pgwire::error::{ErrorInfo, PgWireError};
use pgwire::messages::data::DataRow;

/// The PostgreSQL type of a result column.
pub fn pg_type(ty: ColumnType) -> Type {
    match ty {
        ColumnType::Text => Type::TEXT,
        ColumnType::Bool => Type::BOOL,
        ColumnType::Int4 => Type::INT4,
        ColumnType::Int8 => Type::INT8,
        ColumnType::Float8 => Type::FLOAT8,
        ColumnType::Numeric => Type::NUMERIC,
        ColumnType::Oid => Type::OID,
        ColumnType::TimestampTz => Type::TIMESTAMPTZ,
        ColumnType::Jsonb => Type::JSONB,
    }
}

/// The `RowDescription` fields of `columns`, in `format` (text unless a `Bind` asked
/// for binary).
pub fn fields(columns: &[Column], format: &Format) -> Arc<Vec<FieldInfo>> {
    Arc::new(
        columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                FieldInfo::new(
                    c.name.clone(),
                    None,
                    None,
                    pg_type(c.ty),
                    format_of(format, i),
                )
            })
            .collect(),
    )
}

/// A column's format; a format list shorter than the columns means text for the rest
/// (a client error PostgreSQL refuses, which must not panic here).
fn format_of(format: &Format, i: usize) -> FieldFormat {
    match format {
        Format::Individual(codes) if i >= codes.len() => FieldFormat::Text,
        _ => format.format_for(i),
    }
}

/// One `DataRow`: each value in its column's format.
pub fn data_row(row: &Row, fields: &[FieldInfo]) -> Result<DataRow, PgWireError> {
    let mut data = BytesMut::new();
    for (value, field) in row.iter().zip(fields) {
        match value {
            None => data.put_i32(-1),
            Some(text) if field.format() == FieldFormat::Text => {
                data.put_i32(text.len() as i32);
                data.put_slice(text.as_bytes());
            }
            Some(text) => {
                let bytes = binary(field.datatype(), text).ok_or_else(|| {
                    user_error(&Diagnostic::error(
                        airlock_core::SqlState::InternalError,
                        format!(
                            "cannot encode a value of type {} in binary",
                            field.datatype().name()
                        ),
                    ))
                })?;
                data.put_i32(bytes.len() as i32);
                data.put_slice(&bytes);
            }
        }
    }
    Ok(DataRow::new(data, row.len() as i16))
}

/// A value's binary encoding, from its PostgreSQL text form.
fn binary(ty: &Type, text: &str) -> Option<Vec<u8>> {
    Some(match *ty {
        Type::BOOL => vec![u8::from(text == "t")],
        Type::INT4 => text.parse::<i32>().ok()?.to_be_bytes().to_vec(),
        Type::INT8 => text.parse::<i64>().ok()?.to_be_bytes().to_vec(),
        Type::OID => text.parse::<u32>().ok()?.to_be_bytes().to_vec(),
        Type::FLOAT8 => parse_float(text)?.to_be_bytes().to_vec(),
        Type::NUMERIC => numeric_binary(text)?,
        Type::TIMESTAMPTZ => timestamptz_micros(text)?.to_be_bytes().to_vec(),
        Type::JSONB => {
            let mut v = vec![1];
            v.extend_from_slice(text.as_bytes());
            v
        }
        _ => text.as_bytes().to_vec(),
    })
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => text.parse().ok(),
    }
}

/// PostgreSQL's binary `numeric`: digit count, weight, sign, display scale, then base
/// 10000 digits.
fn numeric_binary(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let header = |out: &mut Vec<u8>, ndigits: i16, weight: i16, sign: u16, dscale: i16| {
        out.extend_from_slice(&ndigits.to_be_bytes());
        out.extend_from_slice(&weight.to_be_bytes());
        out.extend_from_slice(&sign.to_be_bytes());
        out.extend_from_slice(&dscale.to_be_bytes());
    };
    match text {
        "NaN" => {
            header(&mut out, 0, 0, 0xC000, 0);
            return Some(out);
        }
        "Infinity" => {
            header(&mut out, 0, 0, 0xD000, 0);
            return Some(out);
        }
        "-Infinity" => {
            header(&mut out, 0, 0, 0xF000, 0);
            return Some(out);
        }
        _ => {}
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int_part, frac_part) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let dscale = i16::try_from(frac_part.len()).ok()?;
    // Pad the integer part on the left and the fraction on the right to groups of 4.
    let int_pad = (4 - int_part.len() % 4) % 4;
    let frac_pad = (4 - frac_part.len() % 4) % 4;
    let digits: String = "0".repeat(int_pad) + int_part + frac_part + &"0".repeat(frac_pad);
    let groups: Vec<i16> = digits
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).ok()?.parse().ok())
        .collect::<Option<_>>()?;
    let int_groups = (int_part.len() + int_pad) / 4;
    let mut weight = int_groups as i16 - 1;
    // Strip leading and trailing zero groups.
    let first = groups.iter().position(|&g| g != 0);
    let Some(first) = first else {
        header(&mut out, 0, 0, 0, dscale);
        return Some(out);
    };
    let last = groups.iter().rposition(|&g| g != 0).unwrap_or(first);
    weight -= first as i16;
    let kept = &groups[first..=last];
    header(
        &mut out,
        kept.len() as i16,
        weight,
        if negative { 0x4000 } else { 0 },
        dscale,
    );
    for g in kept {
        out.extend_from_slice(&g.to_be_bytes());
    }
    Some(out)
}

/// Microseconds since 2000-01-01 00:00:00 UTC of `YYYY-MM-DD HH:MM:SS[.ffffff]+00`.
fn timestamptz_micros(text: &str) -> Option<i64> {
    let body = text.strip_suffix("+00")?;
    let (date, time) = body.split_once(' ')?;
    let mut d = date.splitn(3, '-');
    let (y, m, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.splitn(3, ':');
    let (h, mi, s): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    let micros: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}").get(..6)?.parse().ok()?
    };
    let days = days_from_civil(y, m, day) - days_from_civil(2000, 1, 1);
    Some(((days * 24 + h) * 60 + mi) * 60_000_000 + s * 1_000_000 + micros)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Decodes bound parameter `i` of type `ty` (text when the client left it to the
/// server) from its wire bytes.
pub fn decode_parameter(
    ty: &Type,
    binary: bool,
    value: Option<&[u8]>,
) -> Result<ParamValue, Diagnostic> {
    let Some(bytes) = value else {
        return Ok(ParamValue::Null);
    };
    let invalid = || {
        Diagnostic::error(
            airlock_core::SqlState::InvalidParameterValue,
            format!("invalid value for a parameter of type {}", ty.name()),
        )
    };
    if !binary {
        let text = std::str::from_utf8(bytes).map_err(|_| {
            Diagnostic::error(
                airlock_core::SqlState::CharacterNotInRepertoire,
                "invalid byte sequence for encoding \"UTF8\"",
            )
        })?;
        return Ok(match ty {
            &Type::INT2 | &Type::INT4 | &Type::INT8 | &Type::OID => {
                ParamValue::Int(text.trim().parse().map_err(|_| invalid())?)
            }
            &Type::FLOAT4 | &Type::FLOAT8 => {
                ParamValue::Float(parse_float(text.trim()).ok_or_else(invalid)?)
            }
            &Type::BOOL => ParamValue::Bool(matches!(
                text.trim().to_ascii_lowercase().as_str(),
                "t" | "true" | "on" | "yes" | "y" | "1"
            )),
            _ => ParamValue::Text(text.to_owned()),
        });
    }
    let fixed = |n: usize| -> Result<&[u8], Diagnostic> {
        (bytes.len() == n).then_some(bytes).ok_or_else(invalid)
    };
    Ok(match ty {
        &Type::BOOL => ParamValue::Bool(fixed(1)?[0] != 0),
        &Type::INT2 => ParamValue::Int(i16::from_be_bytes(array(fixed(2)?)).into()),
        &Type::INT4 => ParamValue::Int(i32::from_be_bytes(array(fixed(4)?)).into()),
        &Type::OID => ParamValue::Int(u32::from_be_bytes(array(fixed(4)?)).into()),
        &Type::INT8 => ParamValue::Int(i64::from_be_bytes(array(fixed(8)?))),
        &Type::FLOAT4 => ParamValue::Float(f32::from_be_bytes(array(fixed(4)?)).into()),
        &Type::FLOAT8 => ParamValue::Float(f64::from_be_bytes(array(fixed(8)?))),
        &Type::TEXT | &Type::VARCHAR | &Type::BPCHAR | &Type::NAME | &Type::UNKNOWN => {
            ParamValue::Text(String::from_utf8(bytes.to_vec()).map_err(|_| {
                Diagnostic::error(
                    airlock_core::SqlState::CharacterNotInRepertoire,
                    "invalid byte sequence for encoding \"UTF8\"",
                )
            })?)
        }
        _ => {
            return Err(Diagnostic::error(
                airlock_core::SqlState::FeatureNotSupported,
                format!("binary parameters of type {} are not supported", ty.name()),
            )
            .with_hint("Send the parameter as text, or as text, integer, float or boolean."));
        }
    })
}

fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(bytes);
    out
}

/// PostgreSQL's error position: a 1-based character index in the query text. Parse
/// errors carry a line and column of `text`, which starts at character `offset` of the
/// query string.
pub fn char_position(text: &str, offset: usize, position: Position) -> usize {
    let mut index = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == position.line {
            return offset + index + position.column as usize;
        }
        index += line.chars().count();
    }
    offset + index + 1
}

/// The `ErrorResponse` (or `NoticeResponse`) fields of a diagnostic; `position` is the
/// character index [`char_position`] computed, if any.
pub fn error_info(d: &Diagnostic, position: Option<usize>) -> ErrorInfo {
    let mut info = ErrorInfo::new(
        d.severity.as_str().to_owned(),
        d.code.code().to_owned(),
        d.message.clone(),
    );
    info.detail = d.detail.clone();
    info.hint = d.hint.clone();
    info.position = position.map(|p| p.to_string());
    info
}

/// A diagnostic as a handler's error.
pub fn user_error(d: &Diagnostic) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(d, None)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_binary_matches_postgresql() {
        // SELECT numeric_send(12345.678) = 0003 0001 0000 0003 0001 0929 1a7c
        assert_eq!(
            numeric_binary("12345.678").unwrap(),
            vec![0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]
        );
        // numeric_send(-0.5) = 0001 ffff 4000 0001 1388
        assert_eq!(
            numeric_binary("-0.5").unwrap(),
            vec![0, 1, 0xff, 0xff, 0x40, 0, 0, 1, 0x13, 0x88]
        );
        assert_eq!(numeric_binary("0").unwrap(), vec![0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(numeric_binary("1e5").is_none());
        assert!(numeric_binary("-").is_none());
    }

    #[test]
    fn timestamps_count_from_2000() {
        assert_eq!(timestamptz_micros("2000-01-01 00:00:00+00"), Some(0));
        assert_eq!(
            timestamptz_micros("2000-01-02 00:00:01.5+00"),
            Some(86_400_000_000 + 1_500_000)
        );
        assert_eq!(
            timestamptz_micros("1970-01-01 00:00:00+00"),
            Some(-946_684_800_000_000)
        );
        assert_eq!(timestamptz_micros("garbage"), None);
    }

    #[test]
    fn positions_are_character_indexes() {
        let p = Position { line: 2, column: 3 };
        assert_eq!(char_position("ab\ncdé", 0, p), 6);
        assert_eq!(char_position("ab\ncdé", 10, p), 16);
    }
}
