//! SQL `LIKE` as PostgreSQL matches it: case-sensitive, `%` any run, `_` one character,
//! `\` escapes the next character.
//!
//! `SHOW … LIKE` compiles its pattern once ([`Pattern::new`]) and matches every object
//! name with it. The pattern is at most [`MAX_PATTERN_BYTES`]; runs of `%` collapse to
//! one, and a pattern that needs more characters than a name can hold matches nothing
//! without looking at the name. Matching keeps one backtrack point, so a name of `n`
//! characters against `m` tokens costs at most `n·m` steps: with names of at most 255
//! bytes and at most 511 tokens left after those two rules (255 characters and the `%`
//! between them), about 130,000 steps a name.

use airlock_core::{Diagnostic, SqlState};

use crate::error::MAX_NAME_BYTES;

/// The longest `SHOW … LIKE` pattern, in bytes.
pub const MAX_PATTERN_BYTES: usize = 1024;

/// A compiled `LIKE` pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    tokens: Vec<Token>,
    /// The fewest characters a matching text has.
    min_chars: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Any,
    One,
    Char(char),
}

impl Pattern {
    /// Compiles `pattern`, refusing one longer than [`MAX_PATTERN_BYTES`] (54000).
    pub(crate) fn new(pattern: &str) -> Result<Pattern, Diagnostic> {
        if pattern.len() > MAX_PATTERN_BYTES {
            return Err(Diagnostic::error(
                SqlState::ProgramLimitExceeded,
                format!("LIKE pattern exceeds {MAX_PATTERN_BYTES} bytes"),
            )
            .with_detail(format!(
                "The pattern is {} bytes long; names are at most {MAX_NAME_BYTES} bytes.",
                pattern.len()
            )));
        }
        let mut tokens = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            let token = match c {
                '%' => Token::Any,
                '_' => Token::One,
                '\\' => Token::Char(chars.next().unwrap_or('\\')),
                c => Token::Char(c),
            };
            if token == Token::Any && tokens.last() == Some(&Token::Any) {
                continue;
            }
            tokens.push(token);
        }
        let min_chars = tokens.iter().filter(|t| **t != Token::Any).count();
        Ok(Pattern { tokens, min_chars })
    }

    /// Whether `text` matches.
    pub(crate) fn matches(&self, text: &str) -> bool {
        if self.min_chars > text.len() {
            // Every character is at least one byte.
            return false;
        }
        let text: Vec<char> = text.chars().collect();
        if self.min_chars > text.len() {
            return false;
        }
        let pattern = &self.tokens;
        // Classic wildcard matching with one backtrack point: never exponential.
        let (mut t, mut p) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match pattern.get(p) {
                Some(Token::Any) => {
                    star = Some((p, t));
                    p += 1;
                }
                Some(Token::One) => {
                    t += 1;
                    p += 1;
                }
                Some(Token::Char(c)) if *c == text[t] => {
                    t += 1;
                    p += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        p = sp + 1;
                        t = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        pattern[p..].iter().all(|tok| *tok == Token::Any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn like(text: &str, pattern: &str) -> bool {
        Pattern::new(pattern).unwrap().matches(text)
    }

    #[test]
    fn matches_like_postgres() {
        assert!(like("aws_conn", "aws%"));
        assert!(like("aws_conn", "%conn"));
        assert!(like("aws_conn", "aws_conn"));
        assert!(like("awsXconn", "aws_conn"));
        assert!(!like("awsXconn", "aws\\_conn"));
        assert!(like("aws_conn", "aws\\_conn"));
        assert!(!like("AWS_CONN", "aws%"), "case-sensitive");
        assert!(like("", "%"));
        assert!(like("", "%%%"));
        assert!(!like("", "_"));
        assert!(like("abcabd", "%ab_"));
        assert!(like("abcabd", "%%ab%%_"));
        assert!(like("é", "_"));
        assert!(!like("é", "__"));
        assert!(like("a%b", "a\\%b"));
        assert!(!like("axb", "a\\%b"));
        assert!(!like(
            &"a".repeat(10_000),
            &format!("{}b", "%a".repeat(100))
        ));
    }

    #[test]
    fn long_patterns_are_refused_and_impossible_ones_are_cheap() {
        let err = Pattern::new(&"a".repeat(MAX_PATTERN_BYTES + 1)).unwrap_err();
        assert_eq!(err.code, SqlState::ProgramLimitExceeded);
        assert!(err.message.contains("1024"), "{}", err.message);
        // 1,000 `%` are one token; more literal characters than a name holds never match.
        let p = Pattern::new(&"%".repeat(MAX_PATTERN_BYTES)).unwrap();
        assert_eq!(p.tokens.len(), 1);
        assert!(p.matches(&"x".repeat(MAX_NAME_BYTES)));
        let p = Pattern::new(&format!("%{}%", "a".repeat(MAX_NAME_BYTES + 1))).unwrap();
        assert!(!p.matches(&"a".repeat(MAX_NAME_BYTES)));
    }
}
