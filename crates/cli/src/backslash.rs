//! Where a backslash command starts in a line of input, as psql's lexer finds it: the
//! first `\` outside string literals (`'…'`, `E'…'` with its escapes), quoted names,
//! dollar-quoted strings and comments. What comes before it is statement text, so
//! `SELECT 1 \gx` runs `SELECT 1` expanded and `SELECT 1; \x` runs, then toggles.
//!
//! A line is scanned from the state the statement typed so far ends in ([`Lex`]), which
//! the runner keeps up to date line by line, so a long statement is scanned once.

/// Where the text scanned so far ends: outside any quote, or inside one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Lex {
    #[default]
    Outside,
    /// In a `'…'` string (`escapes`: an `E'…'` one) or a `"…"` name.
    Quoted { quote: u8, escapes: bool },
    /// In a `/* … */` comment, this deep.
    Comment(usize),
    /// In a `$tag$ … $tag$` string.
    Dollar(String),
}

/// What scanning some text found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// The offset of the first backslash outside quotes and comments: a command.
    pub command: Option<usize>,
    /// Whether a `;` outside quotes and comments was seen (a statement may end).
    pub semicolon: bool,
    /// The state at the end of the text.
    pub end: Lex,
}

/// The byte offset of the first backslash command in `line` scanned from outside any
/// quote, if any.
pub fn command_start(line: &str) -> Option<usize> {
    scan(line, Lex::Outside).command
}

/// Scans `text` from `state`, to its end.
pub fn scan(text: &str, mut state: Lex) -> Scan {
    let bytes = text.as_bytes();
    let mut first = None;
    let mut semicolon = false;
    let mut i = 0;
    while i < bytes.len() {
        match state {
            Lex::Outside => match bytes[i] {
                b'\\' => {
                    first.get_or_insert(i);
                    i += 1;
                }
                b';' => {
                    semicolon = true;
                    i += 1;
                }
                b'\'' | b'"' => {
                    let escapes = bytes[i] == b'\''
                        && i > 0
                        && matches!(bytes[i - 1], b'E' | b'e')
                        && !word_before(bytes, i - 1);
                    state = Lex::Quoted {
                        quote: bytes[i],
                        escapes,
                    };
                    i += 1;
                }
                b'-' if bytes.get(i + 1) == Some(&b'-') => {
                    // A line comment: to the end of the line.
                    i = text[i..].find('\n').map_or(bytes.len(), |at| i + at + 1);
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    state = Lex::Comment(1);
                    i += 2;
                }
                b'$' => match dollar_tag(text, i) {
                    Some(tag) => {
                        i += tag.len();
                        state = Lex::Dollar(tag);
                    }
                    None => i += 1,
                },
                _ => i += 1,
            },
            Lex::Quoted { quote, escapes } => {
                if escapes && bytes[i] == b'\\' {
                    i += 2;
                } else if bytes[i] == quote {
                    if bytes.get(i + 1) == Some(&quote) {
                        i += 2;
                    } else {
                        state = Lex::Outside;
                        i += 1;
                    }
                } else {
                    i += 1;
                }
            }
            Lex::Comment(depth) => {
                if bytes[i..].starts_with(b"/*") {
                    state = Lex::Comment(depth + 1);
                    i += 2;
                } else if bytes[i..].starts_with(b"*/") {
                    state = if depth <= 1 {
                        Lex::Outside
                    } else {
                        Lex::Comment(depth - 1)
                    };
                    i += 2;
                } else {
                    i += 1;
                }
            }
            Lex::Dollar(ref tag) => match text[i..].find(tag.as_str()) {
                Some(at) => {
                    i += at + tag.len();
                    state = Lex::Outside;
                }
                None => i = bytes.len(),
            },
        }
    }
    Scan {
        command: first,
        semicolon,
        end: state,
    }
}

/// Whether the byte before `at` continues a word (so `E` at `at` is part of a name, not
/// an escape-string prefix; `$` after a name letter is part of the name).
fn word_before(bytes: &[u8], at: usize) -> bool {
    at > 0
        && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] >= 0x80)
}

/// The `$tag$` opening a dollar-quoted string at `open`, if one does (`$1` and a `$`
/// inside a name do not).
fn dollar_tag(text: &str, open: usize) -> Option<String> {
    let bytes = text.as_bytes();
    if word_before(bytes, open) || bytes.get(open + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let tag_len = bytes[open + 1..]
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80))
        .unwrap_or(bytes.len() - open - 1);
    (bytes.get(open + 1 + tag_len) == Some(&b'$'))
        .then(|| text[open..open + tag_len + 2].to_owned())
}

#[cfg(test)]
mod tests {
    use super::{Lex, command_start, scan};

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

    #[test]
    fn state_carries_over_lines() {
        let found = scan("SELECT 'open\n", Lex::Outside);
        assert_eq!(found.command, None);
        let state = found.end;
        assert_eq!(
            state,
            Lex::Quoted {
                quote: b'\'',
                escapes: false
            }
        );
        // The string closes on the next line; the command after it counts.
        assert_eq!(scan("\\x' \\g", state.clone()).command, Some(4));
        assert!(!scan("a;b'", state).semicolon);
        assert!(scan("SELECT 1; SELECT 'x", Lex::Outside).semicolon);
        assert_eq!(scan("/* a /* b */", Lex::Outside).end, Lex::Comment(1));
        assert_eq!(
            scan("$f$ x", Lex::Outside).end,
            Lex::Dollar("$f$".to_owned())
        );
        assert_eq!(
            scan("x $f$ y", Lex::Dollar("$f$".to_owned())).end,
            Lex::Outside
        );
        assert_eq!(scan("-- \\x\nSELECT 1 \\g", Lex::Outside).command, Some(15));
    }
}
