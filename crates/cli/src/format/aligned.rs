//! psql's default output and `\pset format wrapped`: a port of `print_aligned_text`
//! with `linestyle ascii`, for borders 0, 1 and 2.
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
//! several lines, each but the last marked with `+` in the gap after its column. In the
//! wrapped format a value wider than its share of the screen continues on the next
//! line, marked with `.` on both sides of the break.

use super::width::{Line, char_width, format_lines, size};
use super::{Expanded, OutputFormat, PrintOptions, Table, expanded, footers_with_default, pad};

/// Why a display line of a column continues on the next one (psql's `printTextLineWrap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Continues {
    No,
    /// Cut to fit the column (`.`).
    Cut,
    /// The value holds a newline (`+`).
    Newline,
}

pub(super) fn print(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    let border = options.border.min(2);
    let ncols = table.ncols();

    // Widths of the headers, of the widest value and the average value of each column.
    let width_header: Vec<usize> = table.headers.iter().map(|h| size(h).0).collect();
    let mut max_width = width_header.clone();
    let mut width_average = vec![0usize; ncols];
    for row in table.rows() {
        for (j, cell) in row.iter().enumerate() {
            let width = size(cell).0;
            max_width[j] = max_width[j].max(width);
            width_average[j] += width;
        }
    }
    if ncols > 0 && !table.cells.is_empty() {
        let nrows = table.cells.len() / ncols;
        for average in &mut width_average {
            *average /= nrows;
        }
    }

    let mut width_total = match border {
        0 => ncols,
        1 => (ncols * 3).saturating_sub(1),
        _ => ncols * 3 + 1,
    };
    let total_header_width = width_total + width_header.iter().sum::<usize>();
    width_total += max_width.iter().sum::<usize>();

    let mut width_wrap = max_width.clone();
    let output_columns = options.columns;
    if options.format == OutputFormat::Wrapped
        && output_columns > 0
        && output_columns >= total_header_width
    {
        // Shrink, one column at a time, the column with the highest ratio of widest to
        // average value (slightly biased against wide columns) until the table fits.
        while width_total > output_columns {
            let mut max_ratio = 0.0;
            let mut worst = None;
            for j in 0..ncols {
                if width_average[j] > 0 && width_wrap[j] > width_header[j] {
                    let ratio =
                        width_wrap[j] as f64 / width_average[j] as f64 + max_width[j] as f64 * 0.01;
                    if ratio > max_ratio {
                        max_ratio = ratio;
                        worst = Some(j);
                    }
                }
            }
            let Some(worst) = worst else { break };
            width_wrap[worst] -= 1;
            width_total -= 1;
        }
    }

    // `\x auto`: a table wider than the screen is printed expanded (never one column).
    if options.expanded == Expanded::Auto
        && output_columns > 0
        && ncols > 1
        && (output_columns < total_header_width || output_columns < width_total)
    {
        expanded::print(table, options, out);
        return;
    }

    if !options.tuples_only {
        if let Some(title) = table.title {
            let (width, _) = size(title);
            if width < width_total {
                pad(out, (width_total - width) / 2);
            }
            out.push_str(title);
            out.push('\n');
        }
        if border == 2 {
            print_rule(&width_wrap, border, out);
        }
        print_header(table, &width_wrap, border, out);
        print_rule(&width_wrap, border, out);
    }

    // Without columns psql has no cells, so no lines, whatever the row count.
    if ncols > 0 {
        for row in table.rows() {
            print_row(table, row, &width_wrap, border, out);
        }
    }

    if border == 2 {
        print_rule(&width_wrap, border, out);
    }
    if !options.tuples_only {
        for footer in footers_with_default(table, options) {
            out.push_str(&footer);
            out.push('\n');
        }
    }
    out.push('\n');
}

/// psql's `_print_horizontal_line` in ASCII: `+` joints, `-` rules.
fn print_rule(widths: &[usize], border: u16, out: &mut String) {
    match border {
        1 => out.push('-'),
        2 => out.push_str("+-"),
        _ => {}
    }
    for (i, &width) in widths.iter().enumerate() {
        out.extend(std::iter::repeat_n('-', width));
        if i + 1 < widths.len() {
            out.push_str(if border == 0 { " " } else { "-+-" });
        }
    }
    match border {
        1 => out.push('-'),
        2 => out.push_str("-+"),
        _ => {}
    }
    out.push('\n');
}

/// Centered headers; a header with newlines spans several lines, marked by `+`.
fn print_header(table: &Table<'_>, widths: &[usize], border: u16, out: &mut String) {
    let ncols = table.ncols();
    let headers: Vec<Vec<Line>> = table.headers.iter().map(|h| format_lines(h)).collect();
    let mut done = vec![false; ncols];
    let mut remaining = ncols;
    let mut line_no = 0;
    while remaining > 0 {
        if border == 2 {
            out.push('|');
        }
        for (i, lines) in headers.iter().enumerate() {
            // psql's ASCII style has `wrap_right_border`, so border 0 adds no left space.
            if border != 0 {
                out.push(' ');
            }
            if done[i] {
                pad(out, widths[i]);
            } else {
                let line = &lines[line_no];
                let spare = widths[i].saturating_sub(line.width);
                pad(out, spare / 2);
                out.push_str(&line.text);
                pad(out, spare.div_ceil(2));
                if line_no + 1 >= lines.len() {
                    remaining -= 1;
                    done[i] = true;
                }
            }
            // psql prints the space even after the last column.
            out.push(if done[i] { ' ' } else { '+' });
            if border != 0 && i + 1 < ncols {
                out.push('|');
            }
        }
        line_no += 1;
        if border == 2 {
            out.push('|');
        }
        out.push('\n');
    }
}

/// One result row: as many display lines as its tallest (or most wrapped) value.
fn print_row(
    table: &Table<'_>,
    row: &[std::borrow::Cow<'_, str>],
    widths: &[usize],
    border: u16,
    out: &mut String,
) {
    let ncols = table.ncols();
    let cells: Vec<Vec<Line>> = row.iter().map(|v| format_lines(v)).collect();
    let mut line_of = vec![0usize; ncols];
    let mut bytes_output = vec![0usize; ncols];
    let mut wrap = vec![Continues::No; ncols];
    loop {
        let mut more_lines = false;
        if border == 2 {
            out.push('|');
        }
        for j in 0..ncols {
            let last_col = j + 1 == ncols;
            let finalspaces = border == 2 || !last_col;
            if border != 0 {
                out.push(if wrap[j] == Continues::Cut { '.' } else { ' ' });
            }
            let mut chars_to_output = widths[j];
            match cells[j].get(line_of[j]) {
                None => {
                    if finalspaces {
                        pad(out, chars_to_output);
                    }
                }
                Some(line) => {
                    let rest = &line.text[bytes_output[j]..];
                    let (bytes, width) = prefix_within(rest, widths[j]);
                    chars_to_output = width.min(widths[j]);
                    if table.right_aligned[j] {
                        pad(out, widths[j] - chars_to_output);
                    }
                    out.push_str(&rest[..bytes]);
                    bytes_output[j] += bytes;
                    if bytes_output[j] < line.text.len() {
                        more_lines = true;
                    } else {
                        line_of[j] += 1;
                        if line_of[j] < cells[j].len() {
                            more_lines = true;
                        }
                        bytes_output[j] = 0;
                    }
                }
            }
            wrap[j] = Continues::No;
            if line_of[j] < cells[j].len() {
                if bytes_output[j] != 0 {
                    wrap[j] = Continues::Cut;
                } else if line_of[j] != 0 {
                    wrap[j] = Continues::Newline;
                }
            }
            if !table.right_aligned[j] && (finalspaces || wrap[j] != Continues::No) {
                pad(out, widths[j] - chars_to_output);
            }
            match wrap[j] {
                Continues::Cut => out.push('.'),
                Continues::Newline => out.push('+'),
                Continues::No if finalspaces => out.push(' '),
                Continues::No => {}
            }
            // The column divider; ASCII uses `|` whatever comes next.
            if border != 0 && !last_col {
                out.push('|');
            }
        }
        if border == 2 {
            out.push('|');
        }
        out.push('\n');
        if !more_lines {
            break;
        }
    }
}

/// psql's `strlen_max_width`: the bytes of `text` that fit in `target` columns, and
/// their width. The first character is always taken, even when it is wider.
pub(super) fn prefix_within(text: &str, target: usize) -> (usize, usize) {
    let mut width = 0;
    for (at, c) in text.char_indices() {
        let w = char_width(c).unwrap_or(0);
        if target < width + w && width != 0 {
            return (at, width);
        }
        width += w;
    }
    (text.len(), width)
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
