//! Result sets printed byte for byte as psql 15 prints them.
//!
//! Each file ports one printer of psql's `src/fe_utils/print.c` with the settings psql
//! starts with (`border 1`, `linestyle ascii`, `\pset null ''`, no title, no pager, no
//! `wrapped` format, no `numericlocale`):
//!
//! | psql flags        | printer                                  |
//! |-------------------|------------------------------------------|
//! | (none)            | [`aligned`] — `print_aligned_text`        |
//! | `-x`              | [`expanded`] — `print_aligned_vertical`   |
//! | `-A`, `-A -x`     | [`unaligned`] — `print_unaligned_*`       |
//! | `--csv`, `--csv -x` | [`csv`] — `print_csv_*`                 |
//!
//! The ports keep psql's structure (and its quirks, such as a trailing space after the
//! last header, or no `(N rows)` footer in expanded mode) because the contract is the
//! output bytes: `tests/psql_parity.rs` compares them with the real psql.

mod aligned;
mod csv;
mod expanded;
mod unaligned;
pub(crate) mod width;
mod width_tables;

use std::borrow::Cow;

use airlock_core::Rows;

/// psql's `--csv` field separator (`\pset csv_fieldsep`).
pub const DEFAULT_CSV_FIELD_SEP: char = ',';
/// psql's unaligned field separator (`-F`, `\pset fieldsep`).
pub const DEFAULT_FIELD_SEP: &str = "|";

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
}

/// How to print a result set; the psql flags each field stands for are named on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintOptions {
    /// `-A` / `--csv` (aligned otherwise).
    pub format: OutputFormat,
    /// `-x` / `\x`: one `column | value` line per column, one block per row.
    pub expanded: bool,
    /// `-t`: no header and no `(N rows)` footer.
    pub tuples_only: bool,
    /// `-F`: the separator between fields in unaligned output.
    pub field_sep: String,
    /// `\pset csv_fieldsep`: the separator between fields in CSV output. psql keeps it
    /// apart from `-F`, so `--csv -F ';'` still prints commas.
    pub csv_field_sep: char,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions {
            format: OutputFormat::Aligned,
            expanded: false,
            tuples_only: false,
            field_sep: DEFAULT_FIELD_SEP.to_owned(),
            csv_field_sep: DEFAULT_CSV_FIELD_SEP,
        }
    }
}

/// Prints `rows` as psql would print the same result, newlines included: the returned
/// text is exactly what psql writes to standard output.
///
/// Every row is expected to hold one value per column; a missing value prints as NULL
/// and surplus values are ignored.
pub fn format_rows(rows: &Rows, options: &PrintOptions) -> String {
    let table = Table::new(rows);
    let mut out = String::new();
    match (options.format, options.expanded) {
        (OutputFormat::Aligned, false) => aligned::print(&table, options, &mut out),
        (OutputFormat::Aligned, true) => expanded::print(&table, options, &mut out),
        (OutputFormat::Unaligned, false) => unaligned::print(&table, options, &mut out),
        (OutputFormat::Unaligned, true) => unaligned::print_expanded(&table, options, &mut out),
        (OutputFormat::Csv, false) => csv::print(&table, options, &mut out),
        (OutputFormat::Csv, true) => csv::print_expanded(&table, options, &mut out),
    }
    out
}

/// A result set in the shape psql's printers walk: headers, alignments and a flat list
/// of cells (row after row), NULL already shown as the empty string.
///
/// The flat list matters for results without columns (`SELECT FROM t`): psql then has
/// rows but no cells, and prints only the footer.
struct Table<'a> {
    headers: Vec<Cow<'a, str>>,
    right_aligned: Vec<bool>,
    cells: Vec<Cow<'a, str>>,
    nrows: usize,
}

impl<'a> Table<'a> {
    fn new(rows: &'a Rows) -> Self {
        let ncols = rows.columns.len();
        let cells = rows
            .rows
            .iter()
            .flat_map(|row| (0..ncols).map(move |i| row.get(i).and_then(|v| v.as_deref())))
            // psql's default `\pset null` is the empty string.
            .map(|v| validated(v.unwrap_or("")))
            .collect();
        Table {
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
