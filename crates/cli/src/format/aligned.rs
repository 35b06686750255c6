//! psql's default output: a port of `print_aligned_text` for `border 1`, `linestyle ascii`.
//!
//! ```text
//!  id |  name   | note
//! ----+---------+------
//!   1 | one    +| x
//!     | two     |
//! (1 row)
//!
//! ```
//!
//! Numbers are right-aligned, everything else left-aligned; a value with newlines takes
//! several lines, each but the last marked with `+` in the gap after its column.

use std::borrow::Cow;

use super::width::{Line, format_lines, size};
use super::{PrintOptions, Table, footer, pad};

pub(super) fn print(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    let ncols = table.ncols();

    // Column widths: the widest line of the header or of any value.
    let mut widths: Vec<usize> = table.headers.iter().map(|h| size(h).0).collect();
    for row in table.rows() {
        for (width, cell) in widths.iter_mut().zip(row.iter()) {
            *width = (*width).max(size(cell).0);
        }
    }

    if !options.tuples_only {
        print_header(table, &widths, out);
        print_rule(&widths, out);
    }

    // Without columns psql has no cells, so no lines, whatever the row count.
    if ncols > 0 {
        for row in table.rows() {
            print_row(table, row, &widths, out);
        }
    }

    if !options.tuples_only {
        out.push_str(&footer(table.nrows));
        out.push('\n');
    }
    out.push('\n');
}

/// Centered headers; a header with newlines spans several lines, marked by `+`.
fn print_header(table: &Table<'_>, widths: &[usize], out: &mut String) {
    let ncols = table.ncols();
    let headers: Vec<Vec<Line>> = table.headers.iter().map(|h| format_lines(h)).collect();
    let mut line_no = 0;
    while headers.iter().any(|lines| line_no < lines.len()) {
        for (i, lines) in headers.iter().enumerate() {
            out.push(' ');
            match lines.get(line_no) {
                Some(line) => {
                    let spare = widths[i] - line.width;
                    pad(out, spare / 2);
                    out.push_str(&line.text);
                    pad(out, spare.div_ceil(2));
                }
                None => pad(out, widths[i]),
            }
            // psql prints the space even after the last column.
            out.push(if line_no + 1 < lines.len() { '+' } else { ' ' });
            if i + 1 < ncols {
                out.push('|');
            }
        }
        out.push('\n');
        line_no += 1;
    }
}

/// The `---+---` line under the header.
fn print_rule(widths: &[usize], out: &mut String) {
    out.push('-');
    for (i, &width) in widths.iter().enumerate() {
        out.extend(std::iter::repeat_n('-', width));
        if i + 1 < widths.len() {
            out.push_str("-+-");
        }
    }
    out.push_str("-\n");
}

/// One result row, as many display lines as its tallest value.
fn print_row(table: &Table<'_>, row: &[Cow<'_, str>], widths: &[usize], out: &mut String) {
    let ncols = table.ncols();
    let cells: Vec<Vec<Line>> = row.iter().map(|v| format_lines(v)).collect();
    let height = cells.iter().map(Vec::len).max().unwrap_or(1);
    for line_no in 0..height {
        for (j, lines) in cells.iter().enumerate() {
            let last_col = j + 1 == ncols;
            let continues = line_no + 1 < lines.len();
            out.push(' ');
            match lines.get(line_no) {
                // Past this value's last line: blank, unless nothing follows on the line.
                None => {
                    if !last_col {
                        pad(out, widths[j]);
                    }
                }
                Some(line) => {
                    let spare = widths[j] - line.width;
                    if table.right_aligned[j] {
                        pad(out, spare);
                        out.push_str(&line.text);
                    } else {
                        out.push_str(&line.text);
                        // Trailing spaces only where something follows: another column
                        // or the `+` continuation mark.
                        if !last_col || continues {
                            pad(out, spare);
                        }
                    }
                }
            }
            if continues {
                out.push('+');
            } else if !last_col {
                out.push(' ');
            }
            if !last_col {
                out.push('|');
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use airlock_core::{Column, ColumnType, Rows};

    use crate::format::{PrintOptions, format_rows};

    fn rows(columns: &[(&str, ColumnType)], data: &[&[Option<&str>]]) -> Rows {
        Rows {
            columns: columns.iter().map(|(n, t)| Column::new(*n, *t)).collect(),
            rows: data
                .iter()
                .map(|r| r.iter().map(|v| v.map(str::to_owned)).collect())
                .collect(),
        }
    }

    #[test]
    fn header_rule_rows_and_footer() {
        let r = rows(
            &[("a", ColumnType::Int4), ("bb", ColumnType::Text)],
            &[&[Some("1"), Some("x")], &[Some("22"), None]],
        );
        assert_eq!(
            format_rows(&r, &PrintOptions::default()),
            " a  | bb \n----+----\n  1 | x\n 22 | \n(2 rows)\n\n"
        );
    }

    #[test]
    fn multi_line_values_and_headers() {
        // psql 15: `SELECT * FROM (VALUES (1, E'a\nbb\nc', 'x'), (22, NULL, E'p\nq'))
        //  t(n, "long<newline>hdr", z)`
        let r = rows(
            &[
                ("n", ColumnType::Int4),
                ("long\nhdr", ColumnType::Text),
                ("z", ColumnType::Text),
            ],
            &[
                &[Some("1"), Some("a\nbb\nc"), Some("x")],
                &[Some("22"), None, Some("p\nq")],
            ],
        );
        assert_eq!(
            format_rows(&r, &PrintOptions::default()),
            " n  | long+| z \n    | hdr  |   \n----+------+---\n  1 | a   +| x\n    | bb  +| \n    | c    | \n 22 |      | p+\n    |      | q\n(2 rows)\n\n"
        );
    }

    #[test]
    fn tuples_only_keeps_the_blank_line() {
        let r = rows(&[("a", ColumnType::Text)], &[&[Some("x")]]);
        let options = PrintOptions {
            tuples_only: true,
            ..PrintOptions::default()
        };
        assert_eq!(format_rows(&r, &options), " x\n\n");
    }

    #[test]
    fn zero_rows_and_zero_columns() {
        let r = rows(&[("a", ColumnType::Int4)], &[]);
        assert_eq!(
            format_rows(&r, &PrintOptions::default()),
            " a \n---\n(0 rows)\n\n"
        );
        let r = rows(&[], &[&[], &[]]);
        assert_eq!(
            format_rows(&r, &PrintOptions::default()),
            "--\n(2 rows)\n\n"
        );
    }

    #[test]
    fn wide_characters_and_controls() {
        // psql 15: `SELECT E'a\tb\r\n\x01\x7f' AS c, U&'\0085x' AS d, 'e'||U&'\0301' AS e,
        //  '日本' AS "名前"`
        let r = rows(
            &[
                ("c", ColumnType::Text),
                ("d", ColumnType::Text),
                ("e", ColumnType::Text),
                ("名前", ColumnType::Text),
            ],
            &[&[
                Some("a\tb\r\n\u{1}\u{7f}"),
                Some("\u{85}x"),
                Some("e\u{301}"),
                Some("日本"),
            ]],
        );
        assert_eq!(
            format_rows(&r, &PrintOptions::default()),
            "      c      |    d    | e | 名前 \n\
             -------------+---------+---+------\n \
             a       b\\r+| \\u0085x | e\u{301} | 日本\n \
             \\x01\\x7F    |         |   | \n\
             (1 row)\n\n"
        );
    }
}
