//! `\pset NAME [VALUE]` and `-P NAME=VALUE`: a port of psql's `do_pset` and
//! `printPsetInfo` for the settings Airlock prints with.
//!
//! psql's quirks are kept: `\pset footer off`, `\pset tuples_only on` (and `\t on`) set
//! the value silently while the toggling forms say what they did; `\pset border x` is
//! `atoi` (0); a format may be abbreviated (`\pset format u`).

use std::fmt::Write as _;

use crate::args::parse_bool;
use crate::format::{Expanded, OutputFormat, Pager, PrintOptions, Separator};

/// One `\pset` parameter, by psql's name (and its one-letter aliases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    Border,
    Columns,
    CsvFieldSep,
    Expanded,
    FieldSep,
    FieldSepZero,
    Footer,
    Format,
    LineStyle,
    Null,
    NumericLocale,
    Pager,
    PagerMinLines,
    RecordSep,
    RecordSepZero,
    TableAttr,
    Title,
    TuplesOnly,
}

impl Param {
    pub fn parse(name: &str) -> Option<Param> {
        Some(match name {
            "border" => Param::Border,
            "columns" => Param::Columns,
            "csv_fieldsep" => Param::CsvFieldSep,
            "expanded" | "x" => Param::Expanded,
            "fieldsep" => Param::FieldSep,
            "fieldsep_zero" => Param::FieldSepZero,
            "footer" => Param::Footer,
            "format" => Param::Format,
            "linestyle" => Param::LineStyle,
            "null" => Param::Null,
            "numericlocale" => Param::NumericLocale,
            "pager" => Param::Pager,
            "pager_min_lines" => Param::PagerMinLines,
            "recordsep" => Param::RecordSep,
            "recordsep_zero" => Param::RecordSepZero,
            "tableattr" | "T" => Param::TableAttr,
            "title" | "C" => Param::Title,
            "tuples_only" | "t" => Param::TuplesOnly,
            _ => return None,
        })
    }
}

/// What a `\pset` did: whether psql would now print the setting (`printPsetInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Show,
    Silent,
}

/// psql's `do_pset`: sets `name` to `value` (`None`: toggle, or show). The error text is
/// psql's, possibly two lines.
pub fn apply(print: &mut PrintOptions, name: &str, value: Option<&str>) -> Result<Outcome, String> {
    let param = Param::parse(name).ok_or_else(|| format!("\\pset: unknown option: {name}"))?;
    match param {
        Param::Format => {
            if let Some(value) = value {
                print.format = parse_format(value)?;
            }
        }
        Param::Border => {
            if let Some(value) = value {
                // psql keeps atoi's int in an unsigned short.
                print.border = atoi(value) as u16;
            }
        }
        Param::Columns => {
            if let Some(value) = value {
                print.columns = usize::try_from(atoi(value)).unwrap_or(0);
            }
        }
        Param::Expanded => {
            print.expanded = match value {
                Some(v) if v.eq_ignore_ascii_case("auto") => Expanded::Auto,
                Some(v) => match parse_bool(name, v) {
                    Ok(true) => Expanded::On,
                    Ok(false) => Expanded::Off,
                    Err(_) => return Err(enum_error(name, v, "on, off, auto")),
                },
                None if print.expanded == Expanded::Off => Expanded::On,
                None => Expanded::Off,
            };
        }
        Param::CsvFieldSep => {
            if let Some(value) = value {
                let mut chars = value.chars();
                let (Some(c), None) = (chars.next(), chars.next()) else {
                    return Err("\\pset: csv_fieldsep must be a single one-byte character".into());
                };
                if !c.is_ascii() {
                    return Err("\\pset: csv_fieldsep must be a single one-byte character".into());
                }
                if matches!(c, '"' | '\n' | '\r') {
                    return Err(
                        "\\pset: csv_fieldsep cannot be a double quote, a newline, or a carriage return"
                            .into(),
                    );
                }
                print.csv_field_sep = c;
            }
        }
        Param::FieldSep => {
            if let Some(value) = value {
                print.field_sep = Separator::new(value);
            }
        }
        Param::FieldSepZero => print.field_sep = Separator::zero(),
        Param::RecordSep => {
            if let Some(value) = value {
                print.record_sep = Separator::new(value);
            }
        }
        Param::RecordSepZero => print.record_sep = Separator::zero(),
        Param::TuplesOnly => match value {
            Some(v) => {
                print.tuples_only = parse_bool(name, v)?;
                return Ok(Outcome::Silent);
            }
            None => print.tuples_only = !print.tuples_only,
        },
        Param::Title => print.title = value.map(str::to_owned),
        Param::TableAttr => print.table_attr = value.map(str::to_owned),
        Param::Pager => {
            print.pager = match value {
                Some(v) if v.eq_ignore_ascii_case("always") => Pager::Always,
                Some(v) => match parse_bool(name, v) {
                    Ok(true) => Pager::On,
                    Ok(false) => Pager::Off,
                    Err(_) => return Err(enum_error(name, v, "on, off, always")),
                },
                None if print.pager == Pager::On => Pager::Off,
                None => Pager::On,
            };
        }
        Param::Footer => match value {
            Some(v) => {
                print.footer = parse_bool(name, v)?;
                return Ok(Outcome::Silent);
            }
            None => print.footer = !print.footer,
        },
        Param::Null => {
            if let Some(value) = value {
                print.null = value.to_owned();
            }
        }
        // Airlock prints only psql's default line style and numbers as the engine gives
        // them: the other values are refused, the defaults accepted.
        Param::LineStyle => {
            if let Some(value) = value {
                let lower = value.to_ascii_lowercase();
                let style = ["ascii", "old-ascii", "unicode"]
                    .into_iter()
                    .find(|style| style.starts_with(&lower))
                    .ok_or("\\pset: allowed line styles are ascii, old-ascii, unicode")?;
                if style != "ascii" {
                    return Err(format!(
                        "\\pset: line style \"{style}\" is not supported by airlock"
                    ));
                }
            }
        }
        Param::NumericLocale => {
            let on = match value {
                Some(v) => parse_bool(name, v)?,
                None => true,
            };
            if on {
                return Err("\\pset: numericlocale is not supported by airlock".into());
            }
            if value.is_some() {
                return Ok(Outcome::Silent);
            }
        }
        Param::PagerMinLines => {
            if let Some(value) = value {
                print.pager_min_lines = usize::try_from(atoi(value)).unwrap_or(0);
            }
        }
    }
    Ok(Outcome::Show)
}

/// psql's `PsqlVarEnumError`.
pub fn enum_error(name: &str, value: &str, allowed: &str) -> String {
    format!("unrecognized value \"{value}\" for \"{name}\"\nAvailable values are: {allowed}.")
}

/// A format by its name or an unambiguous prefix, case-insensitively.
fn parse_format(value: &str) -> Result<OutputFormat, String> {
    let lower = value.to_ascii_lowercase();
    let mut found: Option<(OutputFormat, &str)> = None;
    // psql's list includes the formats Airlock does not print (LaTeX, troff).
    for name in [
        "aligned",
        "asciidoc",
        "csv",
        "html",
        "latex",
        "troff-ms",
        "unaligned",
        "wrapped",
    ] {
        if name.starts_with(&lower) {
            if let Some((_, first)) = found {
                return Err(format!(
                    "\\pset: ambiguous abbreviation \"{value}\" matches both \"{first}\" and \"{name}\""
                ));
            }
            let format = OutputFormat::ALL
                .iter()
                .find(|(_, n)| *n == name)
                .map(|(f, _)| *f);
            match format {
                Some(format) => found = Some((format, name)),
                None => {
                    return Err(format!(
                        "\\pset: format \"{name}\" is not supported by airlock; use aligned, asciidoc, csv, html, unaligned or wrapped"
                    ));
                }
            }
        }
    }
    match found {
        Some((format, _)) => Ok(format),
        None => Err("\\pset: allowed formats are aligned, asciidoc, csv, html, latex, latex-longtable, troff-ms, unaligned, wrapped".into()),
    }
}

/// C's `atoi`: leading blanks, an optional sign, digits; 0 when there are none.
fn atoi(text: &str) -> i64 {
    let text = text.trim_start();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let digits: String = digits
        .chars()
        .take_while(char::is_ascii_digit)
        .take(18)
        .collect();
    sign * digits.parse::<i64>().unwrap_or(0)
}

/// psql's `printPsetInfo`: the message after a `\pset`.
pub fn info(print: &PrintOptions, name: &str) -> String {
    let Some(param) = Param::parse(name) else {
        return String::new();
    };
    let on_off = |b: bool| if b { "on" } else { "off" };
    match param {
        Param::Border => format!("Border style is {}.", print.border),
        Param::Columns if print.columns == 0 => "Target width is unset.".into(),
        Param::Columns => format!("Target width is {}.", print.columns),
        Param::Expanded => match print.expanded {
            Expanded::On => "Expanded display is on.".into(),
            Expanded::Auto => "Expanded display is used automatically.".into(),
            Expanded::Off => "Expanded display is off.".into(),
        },
        Param::CsvFieldSep => format!("Field separator for CSV is \"{}\".", print.csv_field_sep),
        Param::FieldSep | Param::FieldSepZero if print.field_sep.zero => {
            "Field separator is zero byte.".into()
        }
        Param::FieldSep | Param::FieldSepZero => {
            format!("Field separator is \"{}\".", print.field_sep.text)
        }
        Param::Footer => format!("Default footer is {}.", on_off(print.footer)),
        Param::Format => format!("Output format is {}.", print.format.name()),
        Param::Null => format!("Null display is \"{}\".", print.null),
        Param::Pager => match print.pager {
            Pager::On => "Pager is used for long output.".into(),
            Pager::Always => "Pager is always used.".into(),
            Pager::Off => "Pager usage is off.".into(),
        },
        Param::RecordSep | Param::RecordSepZero if print.record_sep.zero => {
            "Record separator is zero byte.".into()
        }
        Param::RecordSep | Param::RecordSepZero if print.record_sep.text == "\n" => {
            "Record separator is <newline>.".into()
        }
        Param::RecordSep | Param::RecordSepZero => {
            format!("Record separator is \"{}\".", print.record_sep.text)
        }
        Param::TableAttr => match &print.table_attr {
            Some(attr) => format!("Table attributes are \"{attr}\"."),
            None => "Table attributes unset.".into(),
        },
        Param::Title => match &print.title {
            Some(title) => format!("Title is \"{title}\"."),
            None => "Title is unset.".into(),
        },
        Param::TuplesOnly => format!("Tuples only is {}.", on_off(print.tuples_only)),
        Param::LineStyle => "Line style is ascii.".into(),
        Param::NumericLocale => "Locale-adjusted numeric output is off.".into(),
        Param::PagerMinLines if print.pager_min_lines == 1 => {
            "Pager won't be used for less than 1 line.".into()
        }
        Param::PagerMinLines => format!(
            "Pager won't be used for less than {} lines.",
            print.pager_min_lines
        ),
    }
}

/// `\pset` without arguments: every setting, as psql lists them (the ones Airlock has no
/// choice for show psql's defaults).
pub fn all(print: &PrintOptions) -> String {
    let on_off = |b: bool| if b { "on" } else { "off" }.to_owned();
    let pager = match print.pager {
        Pager::Off => "0",
        Pager::On => "1",
        Pager::Always => "2",
    };
    let expanded = match print.expanded {
        Expanded::On => "on",
        Expanded::Off => "off",
        Expanded::Auto => "auto",
    };
    let rows: [(&str, String); 21] = [
        ("border", print.border.to_string()),
        ("columns", print.columns.to_string()),
        ("csv_fieldsep", quoted(&print.csv_field_sep.to_string())),
        ("expanded", expanded.to_owned()),
        ("fieldsep", quoted(&print.field_sep.text)),
        ("fieldsep_zero", on_off(print.field_sep.zero)),
        ("footer", on_off(print.footer)),
        ("format", print.format.name().to_owned()),
        ("linestyle", "ascii".to_owned()),
        ("null", quoted(&print.null)),
        ("numericlocale", "off".to_owned()),
        ("pager", pager.to_owned()),
        ("pager_min_lines", print.pager_min_lines.to_string()),
        ("recordsep", quoted(&print.record_sep.text)),
        ("recordsep_zero", on_off(print.record_sep.zero)),
        (
            "tableattr",
            print.table_attr.as_deref().map(quoted).unwrap_or_default(),
        ),
        (
            "title",
            print.title.as_deref().map(quoted).unwrap_or_default(),
        ),
        ("tuples_only", on_off(print.tuples_only)),
        ("unicode_border_linestyle", "single".to_owned()),
        ("unicode_column_linestyle", "single".to_owned()),
        ("unicode_header_linestyle", "single".to_owned()),
    ];
    let mut out = String::new();
    for (name, value) in rows {
        let _ = writeln!(out, "{name:<24} {value}");
    }
    out
}

/// psql's `pset_quoted_string`: single quotes, `\'` and `\n` escaped.
fn quoted(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\'' => out.push_str("\\'"),
            other => out.push(other),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_and_reports_like_psql() {
        let mut p = PrintOptions::default();
        assert_eq!(apply(&mut p, "format", Some("U")), Ok(Outcome::Show));
        assert_eq!(info(&p, "format"), "Output format is unaligned.");
        assert!(
            apply(&mut p, "format", Some("a"))
                .unwrap_err()
                .contains("ambiguous")
        );
        assert_eq!(apply(&mut p, "border", Some("x")), Ok(Outcome::Show));
        assert_eq!(p.border, 0);
        assert_eq!(apply(&mut p, "footer", Some("off")), Ok(Outcome::Silent));
        assert_eq!(apply(&mut p, "footer", None), Ok(Outcome::Show));
        assert_eq!(info(&p, "footer"), "Default footer is on.");
        assert_eq!(
            apply(&mut p, "expanded", Some("maybe")),
            Err("unrecognized value \"maybe\" for \"expanded\"\nAvailable values are: on, off, auto.".into())
        );
        apply(&mut p, "x", Some("auto")).unwrap();
        assert_eq!(info(&p, "x"), "Expanded display is used automatically.");
        apply(&mut p, "expanded", None).unwrap();
        assert_eq!(p.expanded, Expanded::Off);
        assert_eq!(
            apply(&mut p, "bogus", None),
            Err("\\pset: unknown option: bogus".into())
        );
        apply(&mut p, "fieldsep_zero", None).unwrap();
        assert_eq!(info(&p, "fieldsep"), "Field separator is zero byte.");
        assert!(all(&p).contains("fieldsep                 ''\n"));
        assert_eq!(
            info(&PrintOptions::default(), "recordsep"),
            "Record separator is <newline>."
        );
    }
}
