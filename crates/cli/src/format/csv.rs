//! `--csv`: ports of psql's `print_csv_text` and `print_csv_vertical`.
//!
//! A header line unless `-t`, never a footer. psql quotes a field only when it must: when
//! it holds the separator, a double quote, CR or LF, or is exactly `\.` (which COPY would
//! read as end-of-data); with `\` or `.` as the separator it quotes every field. Leading
//! and trailing spaces are left unquoted. Expanded CSV (`--csv -x`) prints one
//! `column,value` line per field and nothing between records.

use super::{PrintOptions, Table};

pub(super) fn print(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    let sep = options.csv_field_sep;
    if !options.tuples_only {
        print_record(&table.headers, sep, out);
    }
    if table.ncols() > 0 {
        for row in table.rows() {
            print_record(row, sep, out);
        }
    }
}

pub(super) fn print_expanded(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    let sep = options.csv_field_sep;
    for row in table.rows() {
        for (header, cell) in table.headers.iter().zip(row.iter()) {
            print_record(&[header.as_ref(), cell.as_ref()], sep, out);
        }
    }
}

fn print_record<S: AsRef<str>>(fields: &[S], sep: char, out: &mut String) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(sep);
        }
        print_field(field.as_ref(), sep, out);
    }
    out.push('\n');
}

fn print_field(field: &str, sep: char, out: &mut String) {
    let needs_quotes = field.contains(sep)
        || field.contains(['\r', '\n', '"'])
        || field == "\\."
        || sep == '\\'
        || sep == '.';
    if needs_quotes {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use airlock_core::{Column, ColumnType, Rows};

    use crate::format::{Expanded, OutputFormat, PrintOptions, format_rows};

    fn csv(expanded: bool, tuples_only: bool) -> PrintOptions {
        PrintOptions {
            format: OutputFormat::Csv,
            expanded: if expanded {
                Expanded::On
            } else {
                Expanded::Off
            },
            tuples_only,
            ..PrintOptions::default()
        }
    }

    fn sample() -> Rows {
        Rows {
            columns: vec![
                Column::new("a,b", ColumnType::Text),
                Column::new("n", ColumnType::Int8),
            ],
            rows: vec![
                vec![Some(" lead, \"q\"".into()), Some("1".into())],
                vec![Some("x\ny".into()), None],
                vec![Some("\\.".into()), Some("".into())],
                vec![Some(" plain |".into()), Some("-2".into())],
            ],
        }
    }

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(
            format_rows(&sample(), &csv(false, false)),
            "\"a,b\",n\n\" lead, \"\"q\"\"\",1\n\"x\ny\",\n\"\\.\",\n plain |,-2\n"
        );
        assert_eq!(
            format_rows(&sample(), &csv(false, true)),
            "\" lead, \"\"q\"\"\",1\n\"x\ny\",\n\"\\.\",\n plain |,-2\n"
        );
    }

    #[test]
    fn expanded_is_one_line_per_field() {
        let mut rows = sample();
        rows.rows.truncate(2);
        assert_eq!(
            format_rows(&rows, &csv(true, false)),
            "\"a,b\",\" lead, \"\"q\"\"\"\nn,1\n\"a,b\",\"x\ny\"\nn,\n"
        );
    }

    #[test]
    fn other_separators() {
        let rows = Rows {
            columns: vec![Column::new("a", ColumnType::Text)],
            rows: vec![vec![Some("x;y".into())], vec![Some("z".into())]],
        };
        let semicolon = PrintOptions {
            csv_field_sep: ';',
            ..csv(false, false)
        };
        assert_eq!(format_rows(&rows, &semicolon), "a\n\"x;y\"\nz\n");
        let dot = PrintOptions {
            csv_field_sep: '.',
            ..csv(false, false)
        };
        assert_eq!(format_rows(&rows, &dot), "\"a\"\n\"x;y\"\n\"z\"\n");
    }
}
