//! Errors and notices printed as psql prints a server's ErrorResponse (libpq's
//! `pqBuildErrorMessage3` at the default verbosity):
//!
//! ```text
//! ERROR:  syntax error at or near "FORM"
//! LINE 2: SELECT 1 FORM t
//!                  ^
//! HINT:  ...
//! ```
//!
//! The caret display is a port of libpq's `reportErrorPosition`: the line holding the
//! error, cut to about 60 screen columns around the error with `...` marks, and a `^`
//! under the error's first character.

use airlock_core::{Diagnostic, Position};
use airlock_engine::parser::mask_statement;

use crate::format::width::char_width;

/// libpq's `DISPLAY_SIZE`: longer lines are cut.
const DISPLAY_SIZE: usize = 60;
/// libpq's `MIN_RIGHT_CUT`: columns kept right of the caret when cutting a long line.
const MIN_RIGHT_CUT: usize = 10;

/// Renders `diagnostic` as psql writes it to standard error, every line ending in a
/// newline: `ERROR:  message`, then — when the diagnostic has a position and the
/// `statement` it points into is known — the `LINE n:` line with a caret under it, then
/// `DETAIL:  …` and `HINT:  …`.
///
/// A position past the end of its line points just after the line's last character,
/// where "unexpected end of input" errors belong; a position on a line the statement
/// does not have draws no caret.
pub fn render_diagnostic(diagnostic: &Diagnostic, statement: Option<&str>) -> String {
    // The statement is echoed masked (every literal, unless it is one read-only
    // query), in the `LINE n:` excerpt and in the message (`found: '…'`).
    let masked = statement.map(mask_statement);
    let message = match &masked {
        Some(masked) => masked.mask_message(&diagnostic.message),
        None => diagnostic.message.clone(),
    };
    let mut out = format!("{}:  {}\n", diagnostic.severity.as_str(), message);
    if let (Some(position), Some(statement), Some(masked)) =
        (diagnostic.position, statement, &masked)
        && let Some(loc) = char_index(statement, position)
    {
        out.push_str(&error_position(&masked.text, masked.char_index(loc)));
    }
    if let Some(detail) = &diagnostic.detail {
        out.push_str("DETAIL:  ");
        out.push_str(detail);
        out.push('\n');
    }
    if let Some(hint) = &diagnostic.hint {
        out.push_str("HINT:  ");
        out.push_str(hint);
        out.push('\n');
    }
    out
}

/// The 0-based character index of a 1-based line and column (lines end at `\n`).
fn char_index(statement: &str, position: Position) -> Option<usize> {
    let line_no = usize::try_from(position.line).ok()?.checked_sub(1)?;
    let column = usize::try_from(position.column)
        .unwrap_or(usize::MAX)
        .max(1)
        - 1;
    let mut start = 0;
    for (i, line) in statement.split('\n').enumerate() {
        let len = line.chars().count();
        if i == line_no {
            return Some(start + column.min(len));
        }
        start += len + 1;
    }
    None
}

/// libpq's `reportErrorPosition` for a UTF-8 query and a 0-based character index `loc`:
/// the `LINE n: ...` line and the caret line, or nothing when `loc` is past the end.
fn error_position(query: &str, loc: usize) -> String {
    let chars: Vec<char> = query.chars().collect();
    // Screen column where each character starts; libpq counts control and zero-width
    // characters as one column, and shows tabs as single spaces.
    let mut scr = Vec::with_capacity(chars.len() + 1);
    let mut scroffset = 0;
    let mut loc_line = 1;
    let mut ibeg = 0;
    let mut iend = None;
    for (cno, &ch) in chars.iter().enumerate() {
        scr.push(scroffset);
        if ch == '\r' || ch == '\n' {
            if cno < loc {
                // "\r\n" counts as one line break, a lone '\r' or '\n' as one each.
                if ch == '\r' || cno == 0 || chars[cno - 1] != '\r' {
                    loc_line += 1;
                }
                ibeg = cno + 1;
            } else {
                iend = Some(cno);
                break;
            }
        }
        scroffset += match ch {
            '\t' => 1,
            _ => char_width(ch).filter(|&w| w > 0).unwrap_or(1),
        };
    }
    let mut iend = match iend {
        Some(iend) => iend,
        None => {
            scr.push(scroffset);
            chars.len()
        }
    };
    if loc > iend {
        return String::new();
    }

    let mut beg_trunc = false;
    let mut end_trunc = false;
    if scr[iend] - scr[ibeg] > DISPLAY_SIZE {
        if scr[ibeg] + DISPLAY_SIZE >= scr[loc] + MIN_RIGHT_CUT {
            // Cutting the right end is enough.
            while scr[iend] - scr[ibeg] > DISPLAY_SIZE {
                iend -= 1;
            }
            end_trunc = true;
        } else {
            // Keep some text right of the error, then cut the left end as needed.
            while scr[loc] + MIN_RIGHT_CUT < scr[iend] {
                iend -= 1;
                end_trunc = true;
            }
            while scr[iend] - scr[ibeg] > DISPLAY_SIZE {
                ibeg += 1;
                beg_trunc = true;
            }
        }
    }

    let mut prefix = format!("LINE {loc_line}: ");
    if beg_trunc {
        prefix.push_str("...");
    }
    let mut out = prefix.clone();
    out.extend(
        chars[ibeg..iend]
            .iter()
            .map(|&c| if c == '\t' { ' ' } else { c }),
    );
    if end_trunc {
        out.push_str("...");
    }
    out.push('\n');
    // The prefix is ASCII, one column per byte.
    let caret_column = prefix.len() + scr[loc] - scr[ibeg];
    out.extend(std::iter::repeat_n(' ', caret_column));
    out.push_str("^\n");
    out
}

#[cfg(test)]
mod tests {
    use airlock_core::{Diagnostic, Position, SqlState};

    use super::render_diagnostic;

    fn syntax_error(message: &str, line: u64, column: u64) -> Diagnostic {
        let mut d = Diagnostic::error(SqlState::SyntaxError, message);
        d.position = Some(Position { line, column });
        d
    }

    #[test]
    fn caret_under_the_error() {
        // psql 15: `psql -c 'select 1 +* from'`
        let d = syntax_error("syntax error at or near \"from\"", 1, 13);
        assert_eq!(
            render_diagnostic(&d, Some("select 1 +* from")),
            "ERROR:  syntax error at or near \"from\"\n\
             LINE 1: select 1 +* from\n                    ^\n"
        );
    }

    #[test]
    fn later_lines_and_side_channels() {
        let d = syntax_error("syntax error at end of input", 2, 9)
            .with_detail("d")
            .with_hint("h");
        assert_eq!(
            render_diagnostic(&d, Some("SELECT 1,\n  2 + \n")),
            "ERROR:  syntax error at end of input\n\
             LINE 2:   2 + \n              ^\nDETAIL:  d\nHINT:  h\n"
        );
    }

    #[test]
    fn without_statement_or_position() {
        let d = syntax_error("boom", 1, 1);
        assert_eq!(render_diagnostic(&d, None), "ERROR:  boom\n");
        let d = Diagnostic::notice("hello");
        assert_eq!(render_diagnostic(&d, Some("x")), "NOTICE:  hello\n");
        let d = syntax_error("boom", 3, 1);
        assert_eq!(render_diagnostic(&d, Some("a\nb")), "ERROR:  boom\n");
    }

    #[test]
    fn long_lines_are_cut() {
        // psql 15: `psql -c "SELECT 1, 1, …, 1 FORM t"` (31 ones).
        let query = format!("SELECT {}1 FORM t", "1, ".repeat(30));
        let d = syntax_error("syntax error at or near \"t\"", 1, 105);
        assert_eq!(
            render_diagnostic(&d, Some(&query)),
            "ERROR:  syntax error at or near \"t\"\n\
             LINE 1: ... 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 FORM t\n\
             \x20                                                                     ^\n"
        );
        // psql 15: `psql -c "SELECT a, a, …, a, FORM t"` (column "a" does not exist).
        let query = format!("SELECT {}FORM t", "a, ".repeat(30));
        let d = syntax_error("column \"a\" does not exist", 1, 8);
        assert_eq!(
            render_diagnostic(&d, Some(&query)),
            "ERROR:  column \"a\" does not exist\n\
             LINE 1: SELECT a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a,...\n               ^\n"
        );
    }

    #[test]
    fn literals_of_non_queries_are_masked_and_the_caret_follows() {
        let mut d = Diagnostic::error(SqlState::SyntaxError, "Expected: AS or =, found: 'k-1'");
        d.position = Some(Position { line: 2, column: 3 });
        assert_eq!(
            render_diagnostic(&d, Some("CREATE SECRET s\n  'k-1' x")),
            "ERROR:  Expected: AS or =, found: '<REDACTED>'\n\
             LINE 2:   '<REDACTED>' x\n\
             \x20         ^\n"
        );
        // Queries are echoed as psql echoes them.
        let mut d = Diagnostic::error(SqlState::SyntaxError, "boom");
        d.position = Some(Position { line: 1, column: 8 });
        assert_eq!(
            render_diagnostic(&d, Some("SELECT 'v' x y")),
            "ERROR:  boom\nLINE 1: SELECT 'v' x y\n               ^\n"
        );
    }
}
