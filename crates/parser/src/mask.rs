//! Masking statement text before it is echoed in an error (`LINE 1: …` excerpts, and the
//! literals an error message quotes). The one masker for every client: the shell uses
//! it, and a server or host that echoes statements should too.
//!
//! It works on `sqlparser`'s own tokens, so it agrees with the parser about where every
//! string, comment and quoted name begins and ends (`E'\' '…'`, `$e$…$e$`, nested
//! comments). Unless the whole text is one read-only query, every literal is replaced by
//! `'<REDACTED>'`, and so is everything after `AS` (or `=`) in `CREATE SECRET` and
//! `ALTER SECRET`, quoted or not (a secret's value is a whole expression:
//! `decode('…', 'base64')`), and a `SECRET ACCESS KEY` or `SESSION TOKEN` value written
//! as an identifier. Text the tokenizer rejects (an unterminated string or
//! comment) is masked from where the tokenizer gave up to the end.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::parser::{DIALECT, is_literal_token};
use crate::script::LineIndex;

/// What a masked stretch of text shows.
pub const MASK: &str = "'<REDACTED>'";

/// A statement's text, masked.
#[derive(Clone, PartialEq, Eq)]
pub struct Masked {
    /// The text to show.
    pub text: String,
    /// Character index in the original → character index in `text` (one past the end
    /// included).
    map: Vec<usize>,
    /// The string literals that were masked, as written (quotes included), longest
    /// first: a message that quotes one (`found: '…'`) can be masked too.
    pub literals: Vec<String>,
}

impl std::fmt::Debug for Masked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Masked")
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

impl Masked {
    /// Where the character at `index` of the original text is in the masked text (an
    /// index past the end maps past the end).
    pub fn char_index(&self, index: usize) -> usize {
        let last = self.map.len() - 1;
        self.map[index.min(last)]
    }

    /// `message` with every masked literal it quotes replaced by [`MASK`].
    pub fn mask_message(&self, message: &str) -> String {
        let mut message = message.to_owned();
        for literal in &self.literals {
            message = message.replace(literal.as_str(), MASK);
        }
        message
    }
}

/// Words that begin statements other than read-only queries, or name what secrets are
/// made of. A text holding one of them is masked even when it starts like a query
/// (`EXPLAIN CREATE SECRET …`, `WITH x AS (SELECT 1) CREATE SECRET …`).
const WRITE_WORDS: &[Keyword] = &[
    Keyword::CREATE,
    Keyword::ALTER,
    Keyword::DROP,
    Keyword::INSERT,
    Keyword::UPDATE,
    Keyword::DELETE,
    Keyword::MERGE,
    Keyword::COPY,
    Keyword::SET,
    Keyword::SECRET,
    Keyword::CONNECTION,
    Keyword::GRANT,
    Keyword::CALL,
    Keyword::DO,
    Keyword::EXECUTE,
    Keyword::PREPARE,
];

/// The first words of read-only queries, whose literals are echoed as psql echoes them.
const QUERY_WORDS: &[Keyword] = &[
    Keyword::SELECT,
    Keyword::WITH,
    Keyword::VALUES,
    Keyword::TABLE,
    Keyword::SHOW,
    Keyword::EXPLAIN,
];

/// Masks `text` for display in an error (see the module documentation).
pub fn mask_statement(text: &str) -> Masked {
    let lines = LineIndex::new(text);
    let (tokens, tail) = tokenize_prefix(text, &lines);
    let spans: Vec<(usize, usize, &Token)> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
        .map(|t| {
            (
                lines.offset(t.span.start),
                lines.offset(t.span.end),
                &t.token,
            )
        })
        .collect();
    if tail == text.len() && is_one_query(&spans) {
        return unmasked(text);
    }

    // Byte ranges to mask, in order.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut literals = Vec::new();
    for statement in spans.split(|(_, _, t)| **t == Token::SemiColon) {
        let after_as = secret_value_start(statement);
        for (i, &(start, end, token)) in statement.iter().enumerate() {
            if after_as.is_some_and(|first| i >= first) {
                let last = statement.last().map_or(end, |s| s.1);
                ranges.push((start, last));
                break;
            }
            if is_credential_word(statement, i) {
                ranges.push((start, end));
                literals.push(text[start..end].to_owned());
                continue;
            }
            if is_literal_token(token) {
                ranges.push((start, end));
                literals.push(text[start..end].to_owned());
            }
        }
    }
    if tail < text.len() {
        ranges.push((tail, text.len()));
    }
    literals.sort_by_key(|l| std::cmp::Reverse(l.len()));
    literals.dedup();
    apply(text, &ranges, literals)
}

/// Tokens of the longest prefix the tokenizer accepts, and where that prefix ends.
fn tokenize_prefix(text: &str, lines: &LineIndex<'_>) -> (Vec<TokenWithSpan>, usize) {
    let mut limit = text.len();
    loop {
        match Tokenizer::new(&DIALECT, &text[..limit]).tokenize_with_location() {
            Ok(tokens) => return (tokens, limit),
            Err(e) => {
                let at = lines.offset(e.location).min(limit);
                limit = if at < limit {
                    at
                } else {
                    // Some errors point at the end of input (an unterminated dollar
                    // string): give up at the first character that can open one.
                    let open = ["'", "\"", "$", "/*", "`"]
                        .iter()
                        .filter_map(|p| text[..limit].find(p))
                        .min()
                        .unwrap_or(0);
                    if open < limit { open } else { 0 }
                };
                if limit == 0 {
                    return (Vec::new(), 0);
                }
            }
        }
    }
}

/// Whether the tokens are one read-only query: one statement, starting (after any
/// parentheses) with a query word, holding no word of [`WRITE_WORDS`].
fn is_one_query(spans: &[(usize, usize, &Token)]) -> bool {
    let statements: Vec<_> = spans
        .split(|(_, _, t)| **t == Token::SemiColon)
        .filter(|s| !s.is_empty())
        .collect();
    let [statement] = statements[..] else {
        return false;
    };
    let first = statement.iter().find(|(_, _, t)| **t != Token::LParen);
    let starts_as_query = matches!(
        first,
        Some((_, _, Token::Word(w))) if w.quote_style.is_none() && QUERY_WORDS.contains(&w.keyword)
    );
    starts_as_query
        && !statement.iter().any(|(_, _, t)| {
            matches!(t, Token::Word(w) if w.quote_style.is_none() && WRITE_WORDS.contains(&w.keyword))
        })
}

/// In `CREATE SECRET … name AS|= value` or `ALTER SECRET name AS|= value`, the index of
/// the first token after `AS` or `=`.
fn secret_value_start(statement: &[(usize, usize, &Token)]) -> Option<usize> {
    let word = |i: usize, k: Keyword| matches!(statement.get(i), Some((_, _, Token::Word(w))) if w.quote_style.is_none() && w.keyword == k);
    if !(word(0, Keyword::CREATE) || word(0, Keyword::ALTER)) || !word(1, Keyword::SECRET) {
        return None;
    }
    (2..statement.len())
        .find(|&i| word(i, Keyword::AS) || *statement[i].2 == Token::Eq)
        .map(|i| i + 1)
}

/// Whether token `i` is a credential written as an identifier: the value of `SECRET
/// ACCESS KEY` or `SESSION TOKEN` (`SESSION TOKEN = AQoDYXdz…`), which Materialize
/// accepts unquoted, so it is masked like a literal.
fn is_credential_word(statement: &[(usize, usize, &Token)], i: usize) -> bool {
    let word = |j: usize, w: &str| matches!(statement.get(j), Some((_, _, Token::Word(x))) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let Some((_, _, Token::Word(value))) = statement.get(i) else {
        return false;
    };
    if value.quote_style.is_none() && value.value.eq_ignore_ascii_case("SECRET") {
        return false;
    }
    let Some(mut name_end) = i.checked_sub(1) else {
        return false;
    };
    if matches!(statement[name_end].2, Token::Eq) {
        let Some(before) = name_end.checked_sub(1) else {
            return false;
        };
        name_end = before;
    }
    let ends = |words: &[&str]| {
        name_end + 1 >= words.len()
            && words
                .iter()
                .enumerate()
                .all(|(k, w)| word(name_end + 1 - words.len() + k, w))
    };
    ends(&["SECRET", "ACCESS", "KEY"]) || ends(&["SESSION", "TOKEN"])
}

fn unmasked(text: &str) -> Masked {
    Masked {
        text: text.to_owned(),
        map: (0..=text.chars().count()).collect(),
        literals: Vec::new(),
    }
}

/// `text` with each byte range replaced by [`MASK`] (overlapping ranges merge).
fn apply(text: &str, ranges: &[(usize, usize)], literals: Vec<String>) -> Masked {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    let mut count = 0usize; // characters in `out`
    let mut next = 0usize; // index into `ranges`
    let mut masked_until = 0usize; // byte offset where the current masked range ends
    let mut mask_start = 0usize; // character index of the current mask in `out`
    for (at, c) in text.char_indices() {
        while next < ranges.len() && ranges[next].0 <= at {
            let (start, end) = ranges[next];
            next += 1;
            if end <= at || end <= masked_until {
                continue;
            }
            if at >= masked_until {
                // A new masked stretch starts here.
                let _ = start;
                mask_start = count;
                out.push_str(MASK);
                count += MASK.len();
            }
            masked_until = end;
        }
        if at < masked_until {
            map.push(mask_start);
        } else {
            map.push(count);
            out.push(c);
            count += 1;
        }
    }
    map.push(count);
    Masked {
        text: out,
        map,
        literals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        mask_statement(text).text
    }

    #[test]
    fn read_only_queries_are_echoed() {
        for q in [
            "SELECT 'v' x y",
            "(SELECT 'v') x",
            "WITH x AS (SELECT 'v') SELECT * FROM x",
            "SHOW SECRETS LIKE 's%'",
            "EXPLAIN SELECT 'v'",
            "VALUES ('v');",
        ] {
            assert_eq!(masked(q), q);
        }
    }

    #[test]
    fn everything_else_is_masked() {
        let cases = [
            (
                "SHOW SECRETS; CREATE SECRET s AS 'CANARY' oops",
                "SHOW SECRETS; CREATE SECRET s AS '<REDACTED>'",
            ),
            (
                "SELECT 1; CREATE SECRET s AS 'CANARY",
                "SELECT 1; CREATE SECRET s AS '<REDACTED>'",
            ),
            (
                "EXPLAIN CREATE SECRET s AS 'CANARY'",
                "EXPLAIN CREATE SECRET s AS '<REDACTED>'",
            ),
            (
                "WITH x AS (SELECT 1) CREATE SECRET s AS 'CANARY'",
                "WITH x AS (SELECT 1) CREATE SECRET s AS '<REDACTED>'",
            ),
            (
                "(SELECT 1); CREATE SECRET s AS 'CANARY'",
                "(SELECT 1); CREATE SECRET s AS '<REDACTED>'",
            ),
            (
                "/* /* */ SELECT */ CREATE SECRET s AS 'CANARY'",
                "/* /* */ SELECT */ CREATE SECRET s AS '<REDACTED>'",
            ),
            (
                "CREATE SECRET s AS wJalrXUtnFEMI",
                "CREATE SECRET s AS '<REDACTED>'",
            ),
            (
                "CREATE SECRET s = wJalr XUtn FEMI;",
                "CREATE SECRET s = '<REDACTED>';",
            ),
            (
                "CREATE CONNECTION c TO AWS (SESSION TOKEN = 'CANARY') x",
                "CREATE CONNECTION c TO AWS (SESSION TOKEN = '<REDACTED>') x",
            ),
            (
                "SELECT 1; SELECT $e$CANARY",
                "SELECT 1; SELECT '<REDACTED>'",
            ),
            ("SELECT 1 /* CANARY", "SELECT 1 '<REDACTED>'"),
            // Secret values are expressions: everything after AS is masked, whatever
            // its shape.
            (
                "CREATE SECRET s AS decode('CANARY', 'base64') oops",
                "CREATE SECRET s AS '<REDACTED>'",
            ),
            (
                "CREATE SECRET materialize.public.s AS ('CAN' || 'ARY')::bytea x",
                "CREATE SECRET materialize.public.s AS '<REDACTED>'",
            ),
            (
                "ALTER SECRET s AS repeat(CANARY, 2) oops",
                "ALTER SECRET s AS '<REDACTED>'",
            ),
            (
                "CREATE SECRET s = convert_from(decode(E'CANARY', 'base64'), 'utf8')::bytea;",
                "CREATE SECRET s = '<REDACTED>';",
            ),
            // Credentials written as identifiers.
            (
                "CREATE CONNECTION c TO AWS (SESSION TOKEN = CANARY, REGION us) x",
                "CREATE CONNECTION c TO AWS (SESSION TOKEN = '<REDACTED>', REGION us) x",
            ),
            (
                "ALTER CONNECTION c SET (SECRET ACCESS KEY \"CANARY\") x",
                "ALTER CONNECTION c SET (SECRET ACCESS KEY '<REDACTED>') x",
            ),
            (
                "CREATE CONNECTION c TO AWS (SECRET ACCESS KEY = SECRET s) x",
                "CREATE CONNECTION c TO AWS (SECRET ACCESS KEY = SECRET s) x",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(masked(text), want, "{text}");
        }
    }

    #[test]
    fn the_tokenizer_decides_where_strings_end() {
        // `_e'\'` is a word `_e` then the string `'\'`; `$e'\'` likewise is not a
        // dollar quote. Either way the canary is inside a literal the tokenizer sees.
        for text in [
            "SHOW x; SELECT _e'\\' 'CANARY'",
            "SHOW x; SELECT $e'\\' 'CANARY'",
            "SHOW x; CREATE SECRET s AS E'\\' 'CANARY'",
            "SHOW x; SELECT E'\\'' 'CANARY'",
            "SHOW x; SELECT U&'\\' 'CANARY'",
            "SHOW x; SELECT \"'\" 'CANARY'",
        ] {
            let m = masked(text);
            assert!(!m.contains("CANARY"), "{text} → {m}");
        }
    }

    #[test]
    fn positions_follow_the_mask() {
        let m = mask_statement("CREATE SECRET s\n  'k-1' x");
        assert_eq!(m.text, "CREATE SECRET s\n  '<REDACTED>' x");
        // `x` is character 24 of the original and 31 of the masked text.
        assert_eq!(m.char_index(24), 31);
        assert_eq!(m.char_index(18), 18);
        assert_eq!(m.char_index(20), 18);
        assert_eq!(m.char_index(1000), m.text.chars().count());
        assert_eq!(m.mask_message("found: 'k-1'"), "found: '<REDACTED>'");
    }
}
