//! Result sets printed byte for byte as psql 15 prints them.
//!
//! Each file ports one printer of psql's `src/fe_utils/print.c`, with `linestyle ascii`
//! and no `numericlocale` (the settings Airlock does not offer):
//!
//! | `\pset format`        | printer                                                   |
//! |-----------------------|-----------------------------------------------------------|
//! | `aligned`, `wrapped`  | [`aligned`] — `print_aligned_text` (borders 0–2, wrapping) |
//! | … with `\x`           | [`expanded`] — `print_aligned_vertical`                     |
//! | `unaligned` (`-A`)    | [`unaligned`] — `print_unaligned_*`                        |
//! | `csv` (`--csv`)       | [`csv`] — `print_csv_*`                                    |
//! | `html` (`-H`)         | [`html`] — `print_html_*`                                  |
//! | `asciidoc`            | [`asciidoc`] — `print_asciidoc_*`                          |
//!
//! The ports keep psql's structure (and its quirks, such as a trailing space after the
//! last header, or no `(N rows)` footer in expanded mode) because the contract is the
//! output bytes: `tests/psql_parity.rs` compares them with the real psql.

mod aligned;
mod asciidoc;
mod csv;
mod expanded;
mod html;
mod unaligned;
pub(crate) mod width;
mod width_tables;

use std::borrow::Cow;

use airlock_core::Rows;

/// psql's `--csv` field separator (`\pset csv_fieldsep`).
pub const DEFAULT_CSV_FIELD_SEP: char = ',';
/// psql's unaligned field separator (`-F`, `\pset fieldsep`).
pub const DEFAULT_FIELD_SEP: &str = "|";
/// psql's unaligned record separator (`-R`, `\pset recordsep`).
pub const DEFAULT_RECORD_SEP: &str = "\n";

/// The output format, psql's `\pset format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OutputFormat {
    /// psql's default: padded columns under a centered header.
    #[default]
    Aligned,
    /// `-A`: values joined by the field separator, one row per line.
    Unaligned,
    /// `--csv`: RFC 4180-style quoting, no footer.
    Csv,
    /// `-H`: an HTML table.
    Html,
    /// An AsciiDoc table.
    Asciidoc,
    /// Aligned, with values wrapped to fit the screen (`\pset columns`).
    Wrapped,
}

impl OutputFormat {
    /// psql's name, as `\pset format` takes and shows it (in `\pset`'s order).
    pub const ALL: [(OutputFormat, &'static str); 6] = [
        (OutputFormat::Aligned, "aligned"),
        (OutputFormat::Asciidoc, "asciidoc"),
        (OutputFormat::Csv, "csv"),
        (OutputFormat::Html, "html"),
        (OutputFormat::Unaligned, "unaligned"),
        (OutputFormat::Wrapped, "wrapped"),
    ];

    pub fn name(self) -> &'static str {
        OutputFormat::ALL
            .iter()
            .find(|(format, _)| *format == self)
            .map_or("aligned", |(_, name)| name)
    }
}

/// `\x`: psql's `expanded` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Expanded {
    #[default]
    Off,
    On,
    /// Expanded only when a table is wider than the screen (aligned and wrapped formats).
    Auto,
}

/// `\pset pager`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Pager {
    Off,
    /// When the output is taller than the terminal.
    #[default]
    On,
    Always,
}

/// A field or record separator: a string, or a zero byte (`-z`, `-0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Separator {
    pub text: String,
    pub zero: bool,
}

impl Separator {
    pub fn new(text: &str) -> Separator {
        Separator {
            text: text.to_owned(),
            zero: false,
        }
    }

    pub fn zero() -> Separator {
        Separator {
            text: String::new(),
            zero: true,
        }
    }

    /// psql's `print_separator`.
    fn push_to(&self, out: &mut String) {
        if self.zero {
            out.push('\0');
        } else {
            out.push_str(&self.text);
        }
    }
}

/// How to print a result set: psql's `\pset` settings, with the flags that set them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintOptions {
    /// `\pset format`; `-A`, `--csv`, `-H`.
    pub format: OutputFormat,
    /// `\pset expanded`, `\x`, `-x`.
    pub expanded: Expanded,
    /// `\pset tuples_only`, `\t`, `-t`: no title, header or footer.
    pub tuples_only: bool,
    /// `\pset border`: 0, 1 (default) or 2 (larger values print as 2).
    pub border: u16,
    /// `\pset null`: how NULL is shown.
    pub null: String,
    /// `\pset fieldsep`, `-F`, `-z`: between fields in unaligned output.
    pub field_sep: Separator,
    /// `\pset recordsep`, `-R`, `-0`: between records in unaligned output.
    pub record_sep: Separator,
    /// `\pset csv_fieldsep`: between fields in CSV output. psql keeps it apart from
    /// `-F`, so `--csv -F ';'` still prints commas.
    pub csv_field_sep: char,
    /// `\pset footer`: the `(N rows)` footer.
    pub footer: bool,
    /// `\pset title`, `-T`'s sibling `\C`: a line above the table.
    pub title: Option<String>,
    /// `\pset tableattr`, `-T`: attributes of the HTML `<table>` tag.
    pub table_attr: Option<String>,
    /// `\pset columns`: the screen width for `wrapped` and `\x auto` (0: the
    /// terminal's, when printing to one).
    pub columns: usize,
    /// `\pset pager`.
    pub pager: Pager,
    /// `\pset pager_min_lines`: shorter results are never paged.
    pub pager_min_lines: usize,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions {
            format: OutputFormat::Aligned,
            expanded: Expanded::Off,
            tuples_only: false,
            border: 1,
            null: String::new(),
            field_sep: Separator::new(DEFAULT_FIELD_SEP),
            record_sep: Separator::new(DEFAULT_RECORD_SEP),
            csv_field_sep: DEFAULT_CSV_FIELD_SEP,
            footer: true,
            title: None,
            table_attr: None,
            columns: 0,
            pager: Pager::On,
            pager_min_lines: 0,
        }
    }
}

/// Prints `rows` as psql would print the same result, newlines included: the returned
/// text is exactly what psql writes to standard output.
///
/// Every row is expected to hold one value per column; a missing value prints as NULL
/// and surplus values are ignored.
pub fn format_rows(rows: &Rows, options: &PrintOptions) -> String {
    format_table(rows, options, options.title.as_deref(), None)
}

/// [`format_rows`] with a title and footers of the caller's, as psql's `\d` commands
/// print their listings: `footers` replace the `(N rows)` footer (`Some(&[])`: no
/// footer at all), and the vertical formats print them too.
pub fn format_table(
    rows: &Rows,
    options: &PrintOptions,
    title: Option<&str>,
    footers: Option<&[String]>,
) -> String {
    let mut table = Table::new(rows, options);
    table.title = title;
    table.footers = footers;
    let mut out = String::new();
    // Only `aligned` and `wrapped` know `auto` (psql's `expanded == 1` elsewhere).
    let expanded = options.expanded == Expanded::On;
    match options.format {
        OutputFormat::Aligned | OutputFormat::Wrapped => {
            if expanded {
                expanded::print(&table, options, &mut out);
            } else {
                aligned::print(&table, options, &mut out);
            }
        }
        OutputFormat::Unaligned if expanded => unaligned::print_expanded(&table, options, &mut out),
        OutputFormat::Unaligned => unaligned::print(&table, options, &mut out),
        OutputFormat::Csv if expanded => csv::print_expanded(&table, options, &mut out),
        OutputFormat::Csv => csv::print(&table, options, &mut out),
        OutputFormat::Html if expanded => html::print_expanded(&table, options, &mut out),
        OutputFormat::Html => html::print(&table, options, &mut out),
        OutputFormat::Asciidoc if expanded => asciidoc::print_expanded(&table, options, &mut out),
        OutputFormat::Asciidoc => asciidoc::print(&table, options, &mut out),
    }
    out
}

/// A result set in the shape psql's printers walk: headers, alignments and a flat list
/// of cells (row after row), NULL already shown as `\pset null`.
///
/// The flat list matters for results without columns (`SELECT FROM t`): psql then has
/// rows but no cells, and prints only the footer.
struct Table<'a> {
    /// psql's `cont->title`: `\pset title`, or a listing's own.
    title: Option<&'a str>,
    /// psql's `cont->footers`: `None` for a query result (the default footer applies).
    footers: Option<&'a [String]>,
    headers: Vec<Cow<'a, str>>,
    right_aligned: Vec<bool>,
    cells: Vec<Cow<'a, str>>,
    nrows: usize,
}

impl<'a> Table<'a> {
    fn new(rows: &'a Rows, options: &'a PrintOptions) -> Self {
        let ncols = rows.columns.len();
        let cells = rows
            .rows
            .iter()
            .flat_map(|row| (0..ncols).map(move |i| row.get(i).and_then(|v| v.as_deref())))
            .map(|v| validated(v.unwrap_or(&options.null)))
            .collect();
        Table {
            title: None,
            footers: None,
            headers: rows.columns.iter().map(|c| validated(&c.name)).collect(),
            right_aligned: rows.columns.iter().map(|c| c.ty.is_numeric()).collect(),
            cells,
            nrows: rows.rows.len(),
        }
    }

    fn ncols(&self) -> usize {
        self.headers.len()
    }

    /// The cells row by row; nothing when there are no columns.
    fn rows(&self) -> impl Iterator<Item = &[Cow<'a, str>]> {
        self.cells.chunks(self.ncols().max(1))
    }
}

/// A header or cell as psql keeps it (`mbvalidate`): without the code points psql drops.
fn validated(text: &str) -> Cow<'_, str> {
    if text.chars().any(width::is_dropped) {
        Cow::Owned(text.chars().filter(|&c| !width::is_dropped(c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// psql's `footers_with_default`: the table's footers, else the `(N rows)` footer unless
/// `\pset footer off`. (Vertical formats use it only for an empty result.)
fn footers_with_default(table: &Table<'_>, options: &PrintOptions) -> Vec<String> {
    match table.footers {
        Some(footers) => footers.to_vec(),
        None if options.footer => vec![footer(table.nrows)],
        None => Vec::new(),
    }
}

/// psql's `cont->footers`: what the vertical formats print after the records.
fn explicit_footers<'a>(table: &Table<'a>) -> &'a [String] {
    table.footers.unwrap_or_default()
}

/// psql's default footer, `(1 row)` / `(N rows)`.
fn footer(nrows: usize) -> String {
    if nrows == 1 {
        "(1 row)".to_owned()
    } else {
        format!("({nrows} rows)")
    }
}

/// Appends `n` spaces.
fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

#[cfg(test)]
mod tests {
    use airlock_core::{Column, ColumnType};

    use super::*;

    /// Every format, border, expanded mode and screen width over awkward values (wide,
    /// zero-width, control, multi-line, dropped): each prints, and stops.
    #[test]
    fn every_setting_prints_awkward_values() {
        const VALUES: &[&str] = &[
            "",
            "x",
            "日本語テキスト",
            "e\u{301}\u{301}",
            "\u{200B}\u{200B}",
            "\t\ttab",
            "a\nbb\n",
            "\r\n",
            "\u{1}\u{85}",
            "\u{10FFFF}",
            "\u{300}",
            "🏳️‍🌈🏳️‍🌈",
            "long value ",
        ];
        let rows = Rows {
            columns: vec![
                Column::new("h\u{301}", ColumnType::Text),
                Column::new("n", ColumnType::Numeric),
                Column::new("multi\nline", ColumnType::Text),
            ],
            rows: (0..VALUES.len())
                .map(|i| {
                    vec![
                        Some(VALUES[i].to_owned()),
                        (i % 3 != 0).then(|| i.to_string()),
                        Some(VALUES[(i * 7 + 3) % VALUES.len()].repeat(i % 4)),
                    ]
                })
                .collect(),
        };
        for (format, _) in OutputFormat::ALL {
            for border in 0..=3 {
                for expanded in [Expanded::Off, Expanded::On, Expanded::Auto] {
                    for columns in [0, 1, 2, 5, 12, 40] {
                        let options = PrintOptions {
                            format,
                            border,
                            expanded,
                            columns,
                            title: Some("t\u{301}itle".to_owned()),
                            ..PrintOptions::default()
                        };
                        let out = format_rows(&rows, &options);
                        assert!(!out.is_empty(), "{options:?}");
                        assert!(!out.contains('\u{10FFFF}'), "{options:?}");
                    }
                }
            }
        }
    }
}
