//! `\pset format asciidoc`: ports of psql's `print_asciidoc_text` and
//! `print_asciidoc_vertical`.
//!
//! ```text
//!
//! [options="header",cols=">l,<l",frame="none"]
//! |====
//! ^l|n ^l|t
//! |1 |x
//! |====
//!
//! ....
//! (1 row)
//! ....
//! ```
//!
//! `|` in a value is escaped as `\|`; a value of only blanks prints as nothing.

use super::{PrintOptions, Table, explicit_footers, footers_with_default};

pub(super) fn print(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    out.push('\n');
    title(table, options, out);
    out.push_str(if options.tuples_only {
        "[cols=\""
    } else {
        "[options=\"header\",cols=\""
    });
    let ncols = table.ncols();
    for column in 0..ncols {
        if column > 0 {
            out.push(',');
        }
        out.push_str(if table.right_aligned[column] {
            ">l"
        } else {
            "<l"
        });
    }
    out.push('"');
    frame(options, out);
    if !options.tuples_only {
        for (i, header) in table.headers.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str("^l|");
            escaped(header, out);
        }
        out.push('\n');
    }
    for (i, cell) in table.cells.iter().enumerate() {
        if i % ncols != 0 {
            out.push(' ');
        }
        out.push('|');
        if is_blank(cell) {
            // psql keeps the cells apart, but prints no trailing space on the line.
            if (i + 1) % ncols != 0 {
                out.push(' ');
            }
        } else {
            escaped(cell, out);
        }
        if (i + 1) % ncols == 0 {
            out.push('\n');
        }
    }
    out.push_str("|====\n");
    if !options.tuples_only {
        print_footers(&footers_with_default(table, options), out);
    }
}

/// The footers in a literal block, when there are any.
fn print_footers(footers: &[String], out: &mut String) {
    if footers.is_empty() {
        return;
    }
    out.push_str("\n....\n");
    for footer in footers {
        out.push_str(footer);
        out.push('\n');
    }
    out.push_str("....\n");
}

pub(super) fn print_expanded(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    out.push('\n');
    title(table, options, out);
    out.push_str("[cols=\"h,l\"");
    frame(options, out);
    let ncols = table.ncols();
    for (i, cell) in table.cells.iter().enumerate() {
        let column = i % ncols;
        if column == 0 {
            if options.tuples_only {
                out.push_str("2+|\n");
            } else {
                out.push_str(&format!("2+^|Record {}\n", i / ncols + 1));
            }
        }
        out.push_str("<l|");
        escaped(&table.headers[column], out);
        out.push_str(if table.right_aligned[column] {
            " >l|"
        } else {
            " <l|"
        });
        if is_blank(cell) {
            out.push(' ');
        } else {
            escaped(cell, out);
        }
        out.push('\n');
    }
    out.push_str("|====\n");
    if !options.tuples_only {
        print_footers(explicit_footers(table), out);
    }
}

fn title(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    if !options.tuples_only
        && let Some(title) = table.title
    {
        out.push('.');
        out.push_str(title);
        out.push('\n');
    }
}

/// The frame and grid for the border, then the end of the `[...]` line and the opening
/// `|====`.
fn frame(options: &PrintOptions, out: &mut String) {
    out.push_str(match options.border {
        0 => ",frame=\"none\",grid=\"none\"",
        1 => ",frame=\"none\"",
        2 => ",frame=\"all\",grid=\"all\"",
        _ => "",
    });
    out.push_str("]\n|====\n");
}

fn is_blank(cell: &str) -> bool {
    cell.chars().all(|c| c == ' ' || c == '\t')
}

/// psql's `asciidoc_escaped_print`.
fn escaped(text: &str, out: &mut String) {
    for c in text.chars() {
        if c == '|' {
            out.push_str("\\|");
        } else {
            out.push(c);
        }
    }
}
