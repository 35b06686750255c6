//! Where a backslash command starts in a line of input, as psql's lexer finds it: the
//! first `\` outside string literals (`'…'`, `E'…'` with its escapes), quoted names,
//! dollar-quoted strings and comments. What comes before it is statement text, so
//! `SELECT 1 \gx` runs `SELECT 1` expanded and `SELECT 1; \x` runs, then toggles.
//!
//! The line is scanned from outside any quote: the caller handles a line that continues
//! a string or comment opened on an earlier line as statement text.

/// The byte offset of the first backslash command in `line`, if any.
pub fn command_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => return Some(i),
            b'\'' => {
                let escapes =
                    i > 0 && matches!(bytes[i - 1], b'E' | b'e') && !word_before(bytes, i - 1);
                i = string_end(bytes, i, escapes)?;
            }
            b'"' => i = string_end(bytes, i, false)?,
            b'-' if bytes.get(i + 1) == Some(&b'-') => return None,
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = comment_end(bytes, i)?,
            b'$' => i = dollar_end(line, i)?,
            _ => i += 1,
        }
    }
    None
}

/// Whether the byte before `at` continues a word (so `E` at `at` is part of a name, not
/// an escape-string prefix).
fn word_before(bytes: &[u8], at: usize) -> bool {
    at > 0
        && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] >= 0x80)
}

/// Past the quote that closes the one at `open` (a doubled quote stays inside); `None`
/// when the line ends first.
fn string_end(bytes: &[u8], open: usize, escapes: bool) -> Option<usize> {
    let quote = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() {
        if escapes && bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// Past the `*/` that closes the (nested) comment at `open`.
fn comment_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Past a `$tag$ … $tag$` string at `open`, or just past a `$` that starts none
/// (`$1`, a `$` inside a name).
fn dollar_end(line: &str, open: usize) -> Option<usize> {
    let bytes = line.as_bytes();
    let tag_len = bytes[open + 1..]
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80))
        .unwrap_or(bytes.len() - open - 1);
    let starts_tag = bytes.get(open + 1).is_none_or(|b| !b.is_ascii_digit());
    if !starts_tag || bytes.get(open + 1 + tag_len) != Some(&b'$') || word_before(bytes, open) {
        return Some(open + 1);
    }
    let tag = &line[open..open + tag_len + 2];
    let body = open + tag.len();
    line[body..].find(tag).map(|at| body + at + tag.len())
}

#[cfg(test)]
mod tests {
    use super::command_start;

    #[test]
    fn finds_the_command_outside_quotes_and_comments() {
        assert_eq!(command_start("\\x"), Some(0));
        assert_eq!(command_start("SELECT 1 \\gx"), Some(9));
        assert_eq!(command_start("SELECT 1; \\x on"), Some(10));
        assert_eq!(command_start("SELECT 'a\\b' \\g"), Some(13));
        assert_eq!(command_start("SELECT E'it\\'s' \\g"), Some(16));
        assert_eq!(command_start("SELECT \"a\\b\" \\g"), Some(13));
        assert_eq!(command_start("SELECT $$a\\b$$, $q$\\$q$ \\g"), Some(24));
        assert_eq!(command_start("SELECT $1 \\g"), Some(10));
        assert_eq!(command_start("SELECT /* \\x */ 1 \\g"), Some(18));
    }

    #[test]
    fn nothing_inside_what_does_not_end_on_the_line() {
        assert_eq!(command_start("SELECT 1"), None);
        assert_eq!(command_start("SELECT 'open \\x"), None);
        assert_eq!(command_start("SELECT 1 -- \\x"), None);
        assert_eq!(command_start("SELECT /* \\x"), None);
        assert_eq!(command_start("SELECT $$ \\x"), None);
    }
}
