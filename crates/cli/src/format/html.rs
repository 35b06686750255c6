//! `-H` / `\pset format html`: ports of psql's `print_html_text` and
//! `print_html_vertical`.
//!
//! ```text
//! <table border="1">
//!   <tr>
//!     <th align="center">n</th>
//!   </tr>
//!   <tr valign="top">
//!     <td align="right">1</td>
//!   </tr>
//! </table>
//! <p>(1 row)<br />
//! </p>
//! ```
//!
//! `&`, `<`, `>` and `"` are escaped, newlines become `<br />`, leading spaces `&nbsp;`,
//! and a value of only blanks prints as `&nbsp; `. Expanded output has a `Record n` row
//! per row and no footer.

use super::{PrintOptions, Table, explicit_footers, footers_with_default};

pub(super) fn print(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    open_table(table, options, out);
    if !options.tuples_only {
        out.push_str("  <tr>\n");
        for header in &table.headers {
            out.push_str("    <th align=\"center\">");
            escaped(header, out);
            out.push_str("</th>\n");
        }
        out.push_str("  </tr>\n");
    }
    let ncols = table.ncols();
    for (i, cell) in table.cells.iter().enumerate() {
        if i % ncols == 0 {
            out.push_str("  <tr valign=\"top\">\n");
        }
        out.push_str("    <td align=\"");
        out.push_str(alignment(table, i % ncols));
        out.push_str("\">");
        value(cell, out);
        out.push_str("</td>\n");
        if (i + 1) % ncols == 0 {
            out.push_str("  </tr>\n");
        }
    }
    out.push_str("</table>\n");
    if !options.tuples_only {
        print_footers(&footers_with_default(table, options), out);
    }
    out.push('\n');
}

pub(super) fn print_expanded(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    open_table(table, options, out);
    let ncols = table.ncols();
    for (i, cell) in table.cells.iter().enumerate() {
        let column = i % ncols;
        if column == 0 {
            if options.tuples_only {
                out.push_str("\n  <tr><td colspan=\"2\">&nbsp;</td></tr>\n");
            } else {
                out.push_str(&format!(
                    "\n  <tr><td colspan=\"2\" align=\"center\">Record {}</td></tr>\n",
                    i / ncols + 1
                ));
            }
        }
        out.push_str("  <tr valign=\"top\">\n    <th>");
        escaped(&table.headers[column], out);
        out.push_str("</th>\n    <td align=\"");
        out.push_str(alignment(table, column));
        out.push_str("\">");
        value(cell, out);
        out.push_str("</td>\n  </tr>\n");
    }
    out.push_str("</table>\n");
    if !options.tuples_only {
        print_footers(explicit_footers(table), out);
    }
    out.push('\n');
}

/// `<p>footer<br />…</p>`, when there are footers.
fn print_footers(footers: &[String], out: &mut String) {
    if footers.is_empty() {
        return;
    }
    out.push_str("<p>");
    for footer in footers {
        escaped(footer, out);
        out.push_str("<br />\n");
    }
    out.push_str("</p>");
}

/// `<table border="n" ATTRS>` and the title as its caption.
fn open_table(table: &Table<'_>, options: &PrintOptions, out: &mut String) {
    out.push_str(&format!("<table border=\"{}\"", options.border));
    if let Some(attr) = &options.table_attr {
        out.push(' ');
        out.push_str(attr);
    }
    out.push_str(">\n");
    if !options.tuples_only
        && let Some(title) = table.title
    {
        out.push_str("  <caption>");
        escaped(title, out);
        out.push_str("</caption>\n");
    }
}

fn alignment(table: &Table<'_>, column: usize) -> &'static str {
    if table.right_aligned[column] {
        "right"
    } else {
        "left"
    }
}

/// A cell: `&nbsp; ` when it holds only spaces and tabs (or nothing).
fn value(cell: &str, out: &mut String) {
    if cell.chars().all(|c| c == ' ' || c == '\t') {
        out.push_str("&nbsp; ");
    } else {
        escaped(cell, out);
    }
}

/// psql's `html_escaped_print`.
fn escaped(text: &str, out: &mut String) {
    let mut leading_space = true;
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("<br />\n"),
            '"' => out.push_str("&quot;"),
            // Leading spaces are kept visible (for EXPLAIN output).
            ' ' if leading_space => out.push_str("&nbsp;"),
            other => out.push(other),
        }
        if c != ' ' {
            leading_space = false;
        }
    }
}
