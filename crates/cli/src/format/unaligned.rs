//! `-A`: ports of psql's `print_unaligned_text` and `print_unaligned_vertical`.
//!
//! Values are printed untouched (newlines and all), joined by the field separator, one
//! record per record separator; the last record ends in a newline (a zero byte with
//! `-0`), whatever the record separator. Expanded unaligned output (`-A -x`) prints
//! `column<sep>value` records with an empty record between rows, and no footer at all,
//! not even for an empty result.

use super::{PrintOptions, Table, explicit_footers, footers_with_default};

pub(super) fn print(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    let mut need_record_sep = false;
    if !options.tuples_only {
        if let Some(title) = table.title {
            out.push_str(title);
            options.record_sep.push_to(out);
        }
        for (i, header) in table.headers.iter().enumerate() {
            if i > 0 {
                options.field_sep.push_to(out);
            }
            out.push_str(header);
        }
        need_record_sep = true;
    }
    let ncols = table.ncols();
    for (i, cell) in table.cells.iter().enumerate() {
        if need_record_sep {
            options.record_sep.push_to(out);
            need_record_sep = false;
        }
        out.push_str(cell);
        if (i + 1) % ncols != 0 {
            options.field_sep.push_to(out);
        } else {
            need_record_sep = true;
        }
    }
    if !options.tuples_only {
        for footer in footers_with_default(table, options) {
            if need_record_sep {
                options.record_sep.push_to(out);
            }
            out.push_str(&footer);
            need_record_sep = true;
        }
    }
    end_last_record(need_record_sep, options, out);
}

pub(super) fn print_expanded(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    let mut need_record_sep = false;
    if !options.tuples_only
        && let Some(title) = table.title
    {
        out.push_str(title);
        need_record_sep = true;
    }
    let ncols = table.ncols();
    for (i, cell) in table.cells.iter().enumerate() {
        if need_record_sep {
            // Rows are set apart by an empty record.
            options.record_sep.push_to(out);
            options.record_sep.push_to(out);
            need_record_sep = false;
        }
        out.push_str(&table.headers[i % ncols]);
        options.field_sep.push_to(out);
        out.push_str(cell);
        if (i + 1) % ncols != 0 {
            options.record_sep.push_to(out);
        } else {
            need_record_sep = true;
        }
    }
    let footers = explicit_footers(table);
    if !options.tuples_only && !footers.is_empty() {
        options.record_sep.push_to(out);
        for footer in footers {
            options.record_sep.push_to(out);
            out.push_str(footer);
        }
    }
    end_last_record(need_record_sep, options, out);
}

/// The last record ends in a newline whatever the record separator, or in a zero byte
/// when the record separator is one (for `xargs -0`).
fn end_last_record(need_record_sep: bool, options: &PrintOptions, out: &mut String) {
    if need_record_sep {
        if options.record_sep.zero {
            out.push('\0');
        } else {
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use airlock_core::{Column, ColumnType, Rows};

    use crate::format::{Expanded, OutputFormat, PrintOptions, Separator, format_rows};

    fn options(expanded: bool, tuples_only: bool, field_sep: &str) -> PrintOptions {
        PrintOptions {
            format: OutputFormat::Unaligned,
            expanded: if expanded {
                Expanded::On
            } else {
                Expanded::Off
            },
            tuples_only,
            field_sep: Separator::new(field_sep),
            ..PrintOptions::default()
        }
    }

    fn sample() -> Rows {
        Rows {
            columns: vec![
                Column::new("n", ColumnType::Int4),
                Column::new("t", ColumnType::Text),
            ],
            rows: vec![
                vec![Some("1".into()), Some("a\nb".into())],
                vec![Some("22".into()), None],
            ],
        }
    }

    #[test]
    fn rows_joined_by_the_separator() {
        assert_eq!(
            format_rows(&sample(), &options(false, false, "|")),
            "n|t\n1|a\nb\n22|\n(2 rows)\n"
        );
        assert_eq!(
            format_rows(&sample(), &options(false, true, ";;")),
            "1;;a\nb\n22;;\n"
        );
    }

    #[test]
    fn expanded_has_no_footer() {
        let expected = "n|1\nt|a\nb\n\nn|22\nt|\n";
        assert_eq!(format_rows(&sample(), &options(true, false, "|")), expected);
        assert_eq!(format_rows(&sample(), &options(true, true, "|")), expected);
    }

    #[test]
    fn empty_results() {
        let mut empty = sample();
        empty.rows.clear();
        assert_eq!(
            format_rows(&empty, &options(false, false, "|")),
            "n|t\n(0 rows)\n"
        );
        assert_eq!(format_rows(&empty, &options(false, true, "|")), "");
        assert_eq!(format_rows(&empty, &options(true, false, "|")), "");
        let no_columns = Rows {
            columns: vec![],
            rows: vec![vec![], vec![]],
        };
        assert_eq!(
            format_rows(&no_columns, &options(false, false, "|")),
            "\n(2 rows)\n"
        );
    }
}
