//! SQL `LIKE` as PostgreSQL matches it: case-sensitive, `%` any run, `_` one character,
//! `\` escapes the next character.

/// Whether `text` matches `pattern`.
pub(crate) fn like(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern = tokens(pattern);
    // Classic wildcard matching with one backtrack point: linear in practice, never
    // exponential.
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
    pattern[p..].iter().all(|tok| matches!(tok, Token::Any))
}

enum Token {
    Any,
    One,
    Char(char),
}

fn tokens(pattern: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '%' => Token::Any,
            '_' => Token::One,
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            c => Token::Char(c),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::like;

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
        assert!(!like("", "_"));
        assert!(like("abcabd", "%ab_"));
        assert!(like("é", "_"));
        assert!(!like(
            &"a".repeat(10_000),
            &format!("{}b", "%a".repeat(100))
        ));
    }
}
