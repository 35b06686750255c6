//! `-x` / `\x`: a port of psql's `print_aligned_vertical` for `border 1`, `linestyle ascii`.
//!
//! ```text
//! -[ RECORD 1 ]-
//! id   | 1
//! note | one +
//!      | two
//!
//! ```
//!
//! Each row becomes a block headed by a `-[ RECORD n ]-` rule as wide as the widest
//! `column | value` line, or as the rule text itself when that is longer (psql 15 does
//! not widen the data column for it; later versions do). There is no `(N rows)` footer,
//! except for an empty result, which prints only `(0 rows)`.

use super::width::{format_lines, size};
use super::{PrintOptions, Table, footer, pad};

pub(super) fn print(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    if table.cells.is_empty() {
        if !options.tuples_only {
            out.push_str(&footer(table.nrows));
            out.push('\n');
        }
        out.push('\n');
        return;
    }

    let header_width = table.headers.iter().map(|h| size(h).0).max().unwrap_or(0);
    let data_width = table.cells.iter().map(|c| size(c).0).max().unwrap_or(0);

    for (r, row) in table.rows().enumerate() {
        if !options.tuples_only {
            print_record_rule(Some(r + 1), header_width, data_width, out);
        } else if r > 0 {
            print_record_rule(None, header_width, data_width, out);
        }
        for (header, cell) in table.headers.iter().zip(row.iter()) {
            print_field(header, cell, header_width, data_width, out);
        }
    }
    out.push('\n');
}

/// `-[ RECORD n ]-----` (or, with `-t`, a plain `-----+-----` rule between records),
/// with psql's arithmetic: the `+` sits over the `|` unless the record text is longer.
fn print_record_rule(record: Option<usize>, hwidth: usize, dwidth: usize, out: &mut String) {
    out.push('-');
    let mut reclen = 0;
    if let Some(record) = record {
        let text = format!("[ RECORD {record} ]");
        out.push_str(&text);
        reclen = text.len();
    }
    reclen += 1;
    out.extend(std::iter::repeat_n('-', hwidth.saturating_sub(reclen)));
    // How far the record text reaches past the header column, into " | ".
    let mut over = reclen as isize - hwidth as isize;
    for mark in ['-', '+', '-'] {
        if over <= 0 {
            out.push(mark);
        }
        over -= 1;
    }
    let over = over.max(0) as usize;
    out.extend(std::iter::repeat_n('-', dwidth.saturating_sub(over)));
    out.push('\n');
}

/// One `column | value` entry; multi-line headers and values continue on further lines.
fn print_field(header: &str, value: &str, hwidth: usize, dwidth: usize, out: &mut String) {
    let hlines = format_lines(header);
    let dlines = format_lines(value);
    for i in 0..hlines.len().max(dlines.len()) {
        match hlines.get(i) {
            Some(line) => {
                out.push_str(&line.text);
                pad(out, hwidth - line.width);
                out.push(if i + 1 < hlines.len() { '+' } else { ' ' });
            }
            None => pad(out, hwidth + 1),
        }
        out.push('|');
        if let Some(line) = dlines.get(i) {
            out.push(' ');
            out.push_str(&line.text);
            if i + 1 < dlines.len() {
                pad(out, dwidth - line.width);
                out.push('+');
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use airlock_core::{Column, ColumnType, Rows};

    use crate::format::{PrintOptions, format_rows};

    /// psql 15: `SELECT * FROM (VALUES (1, E'a\nbb\nc', 'x'), (22, NULL, E'p\nq'))
    /// t(n, "long\nhdr", z)` (a backslash and an `n` in the header, not a newline).
    fn sample() -> Rows {
        Rows {
            columns: vec![
                Column::new("n", ColumnType::Int4),
                Column::new("long\\nhdr", ColumnType::Text),
                Column::new("z", ColumnType::Text),
            ],
            rows: vec![
                vec![Some("1".into()), Some("a\nbb\nc".into()), Some("x".into())],
                vec![Some("22".into()), None, Some("p\nq".into())],
            ],
        }
    }

    fn expanded(tuples_only: bool) -> PrintOptions {
        PrintOptions {
            expanded: true,
            tuples_only,
            ..PrintOptions::default()
        }
    }

    #[test]
    fn records_with_multi_line_values() {
        assert_eq!(
            format_rows(&sample(), &expanded(false)),
            "-[ RECORD 1 ]-\n\
             n         | 1\n\
             long\\nhdr | a +\n          | bb+\n          | c\n\
             z         | x\n\
             -[ RECORD 2 ]-\n\
             n         | 22\n\
             long\\nhdr | \n\
             z         | p +\n          | q\n\n"
        );
    }

    #[test]
    fn tuples_only_separates_records_with_a_rule() {
        assert_eq!(
            format_rows(&sample(), &expanded(true)),
            "n         | 1\n\
             long\\nhdr | a +\n          | bb+\n          | c\n\
             z         | x\n\
             ----------+---\n\
             n         | 22\n\
             long\\nhdr | \n\
             z         | p +\n          | q\n\n"
        );
    }

    #[test]
    fn record_rule_sets_the_minimum_width() {
        // psql 15: `\x` then `SELECT n FROM generate_series(1, 10) n`.
        let rows = Rows {
            columns: vec![Column::new("n", ColumnType::Int4)],
            rows: (1..=10).map(|n| vec![Some(n.to_string())]).collect(),
        };
        let out = format_rows(&rows, &expanded(false));
        assert!(
            out.starts_with("-[ RECORD 1 ]\nn | 1\n-[ RECORD 2 ]\n"),
            "{out}"
        );
        assert!(out.ends_with("-[ RECORD 10 ]\nn | 10\n\n"), "{out}");
    }

    #[test]
    fn empty_results_print_only_the_footer() {
        let mut rows = sample();
        rows.rows.clear();
        assert_eq!(format_rows(&rows, &expanded(false)), "(0 rows)\n\n");
        assert_eq!(format_rows(&rows, &expanded(true)), "\n");
    }
}
