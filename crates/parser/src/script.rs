//! Splitting input into statements the way psql does: a `;` ends a statement unless it
//! is inside a string, a quoted identifier, a comment or parentheses.
//!
//! The REPL asks [`split_complete`] after every line whether its buffer holds complete
//! statements yet. The tokens come from `sqlparser`'s own tokenizer, so the REPL and the
//! parser never disagree about where a string ends.

use sqlparser::tokenizer::{Location, Token, Tokenizer};

use crate::parser::DIALECT;

/// Statements ended by `;` at the top level, each with its `;`, and the rest of the
/// buffer that does not end a statement yet (possibly only whitespace and comments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    pub complete: Vec<&'a str>,
    pub rest: &'a str,
}

impl Split<'_> {
    /// Whether the rest holds nothing but whitespace and comments.
    pub fn rest_is_blank(&self) -> bool {
        is_blank(self.rest)
    }
}

/// Splits `buffer` into complete statements and an unfinished rest.
///
/// Text the tokenizer rejects for a reason other than running out of input (an
/// unterminated string or comment) is returned as complete when it ends with `;`, so
/// the parser gets to report the error.
pub fn split_complete(buffer: &str) -> Split<'_> {
    let lines = LineIndex::new(buffer);
    let mut limit = buffer.len();
    loop {
        let text = &buffer[..limit];
        match Tokenizer::new(&DIALECT, text).tokenize_with_location() {
            Ok(tokens) => {
                let mut complete = Vec::new();
                let mut start = 0;
                let mut depth = 0usize;
                for token in tokens {
                    match token.token {
                        Token::LParen => depth += 1,
                        Token::RParen => depth = depth.saturating_sub(1),
                        Token::SemiColon if depth == 0 => {
                            let end = lines.offset(token.span.end).min(limit);
                            complete.push(&buffer[start..end]);
                            start = end;
                        }
                        _ => {}
                    }
                }
                return Split {
                    complete,
                    rest: &buffer[start..],
                };
            }
            Err(e) if is_unterminated(&e.message) => {
                // Statements before the unterminated literal may be complete.
                let at = lines.offset(e.location);
                if at >= limit {
                    return Split {
                        complete: Vec::new(),
                        rest: buffer,
                    };
                }
                limit = at;
            }
            Err(_) => {
                let complete = if buffer.trim_end().ends_with(';') {
                    vec![buffer]
                } else {
                    Vec::new()
                };
                let rest = if complete.is_empty() { buffer } else { "" };
                return Split { complete, rest };
            }
        }
    }
}

/// Whether `buffer` holds at least one complete statement.
pub fn is_complete(buffer: &str) -> bool {
    !split_complete(buffer).complete.is_empty()
}

/// Whether `text` holds nothing but whitespace and comments.
pub fn is_blank(text: &str) -> bool {
    match Tokenizer::new(&DIALECT, text).tokenize() {
        Ok(tokens) => tokens.iter().all(|t| matches!(t, Token::Whitespace(_))),
        Err(_) => false,
    }
}

fn is_unterminated(message: &str) -> bool {
    message.starts_with("Unterminated")
        || message.starts_with("Unexpected EOF while in a multi-line comment")
        || (message.starts_with("Expected close delimiter") && message.ends_with("before EOF."))
}

/// Maps sqlparser's 1-based line/column (in characters) to byte offsets.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    pub(crate) fn offset(&self, location: Location) -> usize {
        let Some(&line_start) = usize::try_from(location.line)
            .ok()
            .and_then(|l| l.checked_sub(1))
            .and_then(|l| self.starts.get(l))
        else {
            return self.text.len();
        };
        let column = usize::try_from(location.column.saturating_sub(1)).unwrap_or(usize::MAX);
        self.text[line_start..]
            .char_indices()
            .nth(column)
            .map_or(self.text.len(), |(i, _)| line_start + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_semicolons() {
        let s = split_complete("SELECT 1; SELECT ';' ; SELECT (1;");
        assert_eq!(s.complete, vec!["SELECT 1;", " SELECT ';' ;"]);
        assert_eq!(s.rest, " SELECT (1;");
    }

    #[test]
    fn waits_for_unterminated_strings_and_comments() {
        assert!(!is_complete("CREATE SECRET s AS 'abc;"));
        assert!(is_complete("CREATE SECRET s AS 'abc;\n';"));
        assert!(!is_complete("SELECT 1 /* ; "));
        assert!(!is_complete("SELECT 1 -- ;"));
        assert!(!is_complete("SELECT \"a;"));
        assert!(!is_complete("SELECT $$ ; "));
        let s = split_complete("SELECT 1; SELECT 'open");
        assert_eq!(s.complete, vec!["SELECT 1;"]);
        assert_eq!(s.rest, " SELECT 'open");
    }

    #[test]
    fn multi_byte_text_keeps_offsets_right() {
        let s = split_complete("SELECT 'é;ü';\nSELECT 2;");
        assert_eq!(s.complete, vec!["SELECT 'é;ü';", "\nSELECT 2;"]);
        assert!(s.rest_is_blank());
    }

    #[test]
    fn blank_means_only_whitespace_and_comments() {
        assert!(is_blank("  -- hi\n /* x */ "));
        assert!(!is_blank(" SELECT"));
    }
}
