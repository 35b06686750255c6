//! `-A`: ports of psql's `print_unaligned_text` and `print_unaligned_vertical`.
//!
//! Values are printed untouched (newlines and all), joined by the field separator, one
//! record per line; the last line always ends in a newline. Expanded unaligned output
//! (`-A -x`) prints `column<sep>value` lines with a blank line between records, and no
//! footer at all, not even for an empty result.

use super::{PrintOptions, Table, footer};

/// psql's default record separator (`-R`), which Airlock does not let users change.
const RECORD_SEP: &str = "\n";

pub(super) fn print(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    let sep = options.field_sep.as_str();
    let mut lines: Vec<String> = Vec::new();
    if !options.tuples_only {
        lines.push(table.headers.join(sep));
    }
    if table.ncols() > 0 {
        lines.extend(table.rows().map(|row| row.join(sep)));
    }
    if !options.tuples_only {
        lines.push(footer(table.nrows));
    }
    // Records are separated, and the last one terminated, by the record separator:
    // nothing at all is printed for `-t` with no rows.
    for line in &lines {
        out.push_str(line);
        out.push_str(RECORD_SEP);
    }
}

pub(super) fn print_expanded(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    let sep = options.field_sep.as_str();
    for (r, row) in table.rows().enumerate() {
        // Records are set apart by an empty line.
        if r > 0 {
            out.push_str(RECORD_SEP);
        }
        for (header, cell) in table.headers.iter().zip(row.iter()) {
            out.push_str(header);
            out.push_str(sep);
            out.push_str(cell);
            out.push_str(RECORD_SEP);
        }
    }
}

#[cfg(test)]
mod tests {
    use airlock_core::{Column, ColumnType, Rows};

    use crate::format::{OutputFormat, PrintOptions, format_rows};

    fn options(expanded: bool, tuples_only: bool, field_sep: &str) -> PrintOptions {
        PrintOptions {
            format: OutputFormat::Unaligned,
            expanded,
            tuples_only,
            field_sep: field_sep.to_owned(),
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
