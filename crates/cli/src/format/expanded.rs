//! `-x` / `\x`: a port of psql's `print_aligned_vertical` with `linestyle ascii`, for
//! borders 0, 1 and 2 and the wrapped format.
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
//! `column | value` line, or as the rule text itself when that is longer (psql 15
//! widens the data column for it only in the wrapped format with a known screen width;
//! later versions always do). There is no `(N rows)` footer, except for an empty
//! result, which prints only `(0 rows)`.

use super::aligned::prefix_within;
use super::width::{format_lines, size};
use super::{OutputFormat, PrintOptions, Table, explicit_footers, footers_with_default, pad};

pub(super) fn print(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    let border = options.border.min(2);
    if table.cells.is_empty() {
        if !options.tuples_only {
            for footer in footers_with_default(table, options) {
                out.push_str(&footer);
                out.push('\n');
            }
        }
        out.push('\n');
        return;
    }

    let header_sizes: Vec<(usize, usize)> = table.headers.iter().map(|h| size(h)).collect();
    let hwidth = header_sizes.iter().map(|s| s.0).max().unwrap_or(0);
    let hmultiline = header_sizes.iter().any(|s| s.1 > 1);
    let cell_sizes: Vec<(usize, usize)> = table.cells.iter().map(|c| size(c)).collect();
    let mut dwidth = cell_sizes.iter().map(|s| s.0).max().unwrap_or(0);
    let mut dmultiline = cell_sizes.iter().any(|s| s.1 > 1);

    if !options.tuples_only
        && let Some(title) = table.title
    {
        out.push_str(title);
        out.push('\n');
    }

    // The wrapped format fits the data column to the screen.
    let output_columns = options.columns;
    if options.format == OutputFormat::Wrapped && output_columns > 0 {
        let mut swidth = match border {
            0 => 1 + usize::from(hmultiline),
            1 => 3,
            _ => 7,
        };
        if dmultiline && border < 2 {
            swidth += 1;
        }
        let mut rwidth = 0;
        if !options.tuples_only {
            rwidth = table.nrows.max(1).to_string().len();
            rwidth += match border {
                0 => 9,
                1 => 12,
                _ => 15,
            };
        }
        loop {
            // Wide enough for the data and for the record header lines.
            let width = (hwidth + swidth + dwidth).max(rwidth);
            let min_width = (hwidth + swidth + 3).max(rwidth);
            let new_dwidth = if output_columns >= width {
                width - hwidth - swidth
            } else if output_columns < min_width {
                min_width - hwidth - swidth
            } else {
                output_columns - hwidth - swidth
            };
            if new_dwidth < dwidth && !dmultiline && border < 2 {
                dmultiline = true;
                swidth += 1;
            } else {
                dwidth = new_dwidth;
                break;
            }
        }
    }

    for (r, row) in table.rows().enumerate() {
        if !options.tuples_only {
            print_record_rule(Some(r + 1), hwidth, dwidth, border, out);
        } else if r > 0 || border == 2 {
            print_record_rule(None, hwidth, dwidth, border, out);
        }
        for (header, cell) in table.headers.iter().zip(row.iter()) {
            print_field(
                header, cell, hwidth, dwidth, border, hmultiline, dmultiline, out,
            );
        }
    }
    if border == 2 {
        print_record_rule(None, hwidth, dwidth, border, out);
    }
    let footers = explicit_footers(table);
    if !options.tuples_only && !footers.is_empty() {
        if border < 2 {
            out.push('\n');
        }
        for footer in footers {
            out.push_str(footer);
            out.push('\n');
        }
    }
    out.push('\n');
}

/// psql's `print_aligned_vertical_line`: `-[ RECORD n ]-----` (`* Record n` without a
/// border), or a plain rule, with psql's arithmetic: the `+` sits over the `|` unless
/// the record text is longer.
fn print_record_rule(
    record: Option<usize>,
    hwidth: usize,
    dwidth: usize,
    border: u16,
    out: &mut String,
) {
    let fill = if border > 0 { '-' } else { ' ' };
    match border {
        2 => out.push_str("+-"),
        1 => out.push('-'),
        _ => {}
    }
    let mut reclen: isize = 0;
    if let Some(record) = record {
        let text = if border == 0 {
            format!("* Record {record}")
        } else {
            format!("[ RECORD {record} ]")
        };
        out.push_str(&text);
        reclen = text.len() as isize;
    }
    if border != 2 {
        reclen += 1;
    }
    for _ in reclen.max(0) as usize..hwidth {
        out.push(fill);
    }
    reclen -= hwidth as isize;
    let marks: &[char] = if border > 0 { &['-', '+', '-'] } else { &[' '] };
    for &mark in marks {
        if reclen <= 0 {
            out.push(mark);
        }
        reclen -= 1;
    }
    for _ in reclen.max(0) as usize..dwidth {
        out.push(fill);
    }
    if border == 2 {
        out.push_str("-+");
    }
    out.push('\n');
}

/// One `column | value` entry; multi-line headers and values continue on further lines,
/// and in the wrapped format long values are cut to the data width.
#[allow(clippy::too_many_arguments)]
fn print_field(
    header: &str,
    value: &str,
    hwidth: usize,
    dwidth: usize,
    border: u16,
    hmultiline: bool,
    dmultiline: bool,
    out: &mut String,
) {
    let hlines = format_lines(header);
    let dlines = format_lines(value);
    let (mut hline, mut dline) = (0, 0);
    let (mut hcomplete, mut dcomplete) = (false, false);
    let mut offset = 0;
    let mut chars_to_output = dlines[0].width;
    while !dcomplete || !hcomplete {
        if border == 2 {
            out.push('|');
        }
        if !hcomplete {
            if border == 2 {
                out.push(' ');
            }
            let line = &hlines[hline];
            out.push_str(&line.text);
            pad(out, hwidth.saturating_sub(line.width));
            let marks = border > 0 || hmultiline;
            if hline + 1 < hlines.len() {
                if marks {
                    out.push('+');
                }
                hline += 1;
            } else {
                if marks {
                    out.push(' ');
                }
                hcomplete = true;
            }
        } else {
            let mut swidth = hwidth + usize::from(border);
            if border == 0 && hmultiline {
                swidth += 1;
            }
            // psql's `%*s` with " ": at least one space.
            pad(out, swidth.max(1));
        }

        if border > 0 {
            out.push('|');
        }

        if !dcomplete {
            out.push(if offset == 0 { ' ' } else { '.' });
            let line = &dlines[dline];
            let (bytes, width) = prefix_within(&line.text[offset..], dwidth);
            out.push_str(&line.text[offset..offset + bytes]);
            chars_to_output = chars_to_output.saturating_sub(width);
            offset += bytes;
            let spare = dwidth.saturating_sub(width);
            let marks = border > 1 || dmultiline;
            if chars_to_output > 0 {
                if marks {
                    pad(out, spare);
                    out.push('.');
                }
            } else if dline + 1 < dlines.len() {
                if marks {
                    pad(out, spare);
                    out.push('+');
                }
                dline += 1;
                offset = 0;
                chars_to_output = dlines[dline].width;
            } else {
                if border > 1 {
                    pad(out, spare);
                    out.push(' ');
                }
                dcomplete = true;
            }
            if border == 2 {
                out.push('|');
            }
            out.push('\n');
        } else if border < 2 {
            out.push('\n');
        } else {
            pad(out, dwidth);
            out.push_str("  |\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use airlock_core::{Column, ColumnType, Rows};

    use crate::format::{Expanded, PrintOptions, format_rows};

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
            expanded: Expanded::On,
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
