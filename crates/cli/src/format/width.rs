//! Display widths and the cell text psql's aligned printers show: a port of
//! `pg_wcssize`/`pg_wcsformat` (`src/fe_utils/mbprint.c`) for UTF-8.
//!
//! psql does not print control characters raw in aligned output: it splits a value into
//! lines at `\n`, shows `\r` as `\r`, expands tabs to the next multiple of 8 columns and
//! spells other control characters as `\xNN` (ASCII) or `\uNNNN` (C1 controls).
//! Unaligned and CSV output print values untouched.
//!
//! Widths are psql 15's own (`ucs_wcwidth` in `src/common/wchar.c`), not the terminal's
//! or a newer Unicode's: the tables in [`super::width_tables`] are generated from the
//! Unicode 14.0 data psql 15 was built from, and `tests/psql_parity.rs` compares every
//! code point with the real psql.

use super::width_tables::{COMBINING, EAST_ASIAN_FW};

/// One display line of a cell, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) text: String,
    /// Columns on screen, wide (East Asian) characters counting two.
    pub(crate) width: usize,
}

/// What psql's `PQdsplen` says about one UTF-8 character: `None` for the control
/// characters psql escapes (`ucs_wcwidth` returns -1 for them), else the column count.
///
/// psql 15's rule, in its order: NUL is 0; other C0/C1 controls and DEL are -1; a
/// non-spacing character (Mn, Me) is 0 — even one that is also wide; an East Asian
/// Wide or Fullwidth character is 2; everything else, format characters such as U+200B
/// and unassigned code points included, is 1.
pub(crate) fn char_width(c: char) -> Option<usize> {
    let cp = u32::from(c);
    if cp == 0 {
        return Some(0);
    }
    if cp < 0x20 || (0x7f..0xa0).contains(&cp) {
        return None;
    }
    if in_table(cp, COMBINING) {
        return Some(0);
    }
    if in_table(cp, EAST_ASIAN_FW) {
        return Some(2);
    }
    Some(1)
}

/// Whether `cp` lies in one of the sorted, non-overlapping ranges (psql's `mbbisearch`).
fn in_table(cp: u32, table: &[(u32, u32)]) -> bool {
    table
        .binary_search_by(|&(first, last)| {
            if last < cp {
                std::cmp::Ordering::Less
            } else if first > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Whether psql drops `c` from every header and cell before printing (its
/// `mbvalidate`): the last two code points of planes 1 to 16, U+1FFFE to U+10FFFF.
/// (Its test for U+FFFE and U+FFFF in the basic plane never matches.)
pub(crate) fn is_dropped(c: char) -> bool {
    let cp = u32::from(c);
    cp > 0xFFFF && cp & 0xFFFE == 0xFFFE
}

/// Splits `value` into the display lines psql's aligned printers show.
/// Always returns at least one line (an empty value is one empty line).
pub(crate) fn format_lines(value: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut text = String::new();
    let mut width = 0;
    for c in value.chars() {
        match c {
            '\n' => {
                lines.push(Line {
                    text: std::mem::take(&mut text),
                    width,
                });
                width = 0;
            }
            '\r' => {
                text.push_str("\\r");
                width += 2;
            }
            '\t' => loop {
                text.push(' ');
                width += 1;
                if width % 8 == 0 {
                    break;
                }
            },
            _ => match char_width(c) {
                Some(w) => {
                    text.push(c);
                    width += w;
                }
                None if c.is_ascii() => {
                    text.push_str(&format!("\\x{:02X}", u32::from(c)));
                    width += 4;
                }
                None => {
                    text.push_str(&format!("\\u{:04X}", u32::from(c)));
                    width += 6;
                }
            },
        }
    }
    lines.push(Line { text, width });
    lines
}

/// The widest line of `value` as psql shows it, and its number of lines.
pub(crate) fn size(value: &str) -> (usize, usize) {
    let lines = format_lines(value);
    let width = lines.iter().map(|l| l.width).max().unwrap_or(0);
    (width, lines.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(value: &str) -> Vec<(String, usize)> {
        format_lines(value)
            .into_iter()
            .map(|l| (l.text, l.width))
            .collect()
    }

    #[test]
    fn psql_15_widths() {
        // Format characters and Hangul jamo medials are 1 in psql 15, not 0.
        for c in [
            '\u{200B}', '\u{200D}', '\u{AD}', '\u{1160}', '\u{11FF}', '\u{17D8}',
        ] {
            assert_eq!(char_width(c), Some(1), "{c:?}");
        }
        // Unicode 15 emoji are unassigned in psql 15's Unicode 14 tables.
        assert_eq!(char_width('\u{1FAE8}'), Some(1));
        assert_eq!(char_width('\u{1FAE7}'), Some(2));
        // Combining wins over wide (U+3099 is both).
        assert_eq!(char_width('\u{3099}'), Some(0));
        assert_eq!(char_width('\u{0}'), Some(0));
        assert_eq!(char_width('\u{9F}'), None);
        assert!(is_dropped('\u{1FFFE}') && is_dropped('\u{10FFFF}'));
        assert!(!is_dropped('\u{FFFE}') && !is_dropped('\u{1FFFD}'));
    }

    #[test]
    fn wide_and_combining_characters() {
        assert_eq!(shown("日本"), [("日本".to_owned(), 4)]);
        assert_eq!(shown("e\u{301}"), [("e\u{301}".to_owned(), 1)]);
        assert_eq!(shown("ｶﾅ"), [("ｶﾅ".to_owned(), 2)]);
    }

    #[test]
    fn newlines_split_lines() {
        assert_eq!(
            shown("a\n\nbc\n"),
            [
                ("a".to_owned(), 1),
                (String::new(), 0),
                ("bc".to_owned(), 2),
                (String::new(), 0)
            ]
        );
        assert_eq!(size("a\nbcd"), (3, 2));
        assert_eq!(size(""), (0, 1));
    }

    #[test]
    fn control_characters_are_spelled_out() {
        assert_eq!(shown("a\tb"), [("a       b".to_owned(), 9)]);
        assert_eq!(shown("\t"), [("        ".to_owned(), 8)]);
        assert_eq!(shown("x\r"), [("x\\r".to_owned(), 3)]);
        assert_eq!(shown("\u{1}\u{7f}"), [("\\x01\\x7F".to_owned(), 8)]);
        assert_eq!(shown("\u{85}"), [("\\u0085".to_owned(), 6)]);
    }
}
