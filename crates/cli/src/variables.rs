//! psql variables: `-v NAME=VALUE`, `\set`, `\unset`, and their interpolation into SQL
//! (`:name`, `:'name'` as a literal, `:"name"` as an identifier).
//!
//! As in psql, interpolation happens outside quotes and comments only, `::` is a cast,
//! and a name that is not set is left as written. A value lands in the statement before
//! it is parsed, so the history (which stores the parsed statement's redacted form)
//! never holds an interpolated secret, and neither does an error's `LINE n:` excerpt.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// The variables of a session, sorted by name as `\set` lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    values: BTreeMap<String, String>,
}

impl Variables {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Sets `name` (psql's `SetVariable`); refuses a name psql refuses.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        if !is_valid_name(name) {
            return Err(format!("invalid variable name: \"{name}\""));
        }
        self.values.insert(name.to_owned(), value.to_owned());
        Ok(())
    }

    pub fn unset(&mut self, name: &str) {
        self.values.remove(name);
    }

    /// `\set` without arguments: `NAME = 'value'` lines.
    pub fn listing(&self) -> String {
        self.values
            .iter()
            .map(|(name, value)| format!("{name} = '{value}'\n"))
            .collect()
    }

    /// `text` with `:name`, `:'name'` and `:"name"` replaced, psql's way.
    pub fn interpolate<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.values.is_empty() || !text.contains(':') {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut changed = false;
        while let Some(c) = rest.chars().next() {
            let skip = match c {
                '\'' => quoted_len(rest, '\''),
                '"' => quoted_len(rest, '"'),
                '-' if rest.starts_with("--") => rest.find('\n').unwrap_or(rest.len()),
                '/' if rest.starts_with("/*") => comment_len(rest),
                '$' => dollar_quoted_len(rest),
                ':' if rest.starts_with("::") => 2,
                ':' => match self.substitute(rest) {
                    Some((len, value)) => {
                        out.push_str(&value);
                        rest = &rest[len..];
                        changed = true;
                        continue;
                    }
                    None => 1,
                },
                _ => c.len_utf8(),
            };
            let skip = skip.max(1).min(rest.len());
            let skip = (skip..=rest.len())
                .find(|&i| rest.is_char_boundary(i))
                .unwrap_or(rest.len());
            out.push_str(&rest[..skip]);
            rest = &rest[skip..];
        }
        if changed {
            Cow::Owned(out)
        } else {
            Cow::Borrowed(text)
        }
    }

    /// At a `:`: the length of the reference and its replacement, if it names a
    /// variable.
    pub(crate) fn substitute(&self, text: &str) -> Option<(usize, String)> {
        let after = &text[1..];
        let (quote, name_start) = match after.chars().next()? {
            q @ ('\'' | '"') => (Some(q), 2),
            _ => (None, 1),
        };
        let name_len = text[name_start..]
            .char_indices()
            .find(|&(_, c)| !is_name_char(c))
            .map_or(text.len() - name_start, |(i, _)| i);
        if name_len == 0 {
            return None;
        }
        let name = &text[name_start..name_start + name_len];
        let end = name_start + name_len;
        match quote {
            None => Some((end, self.get(name)?.to_owned())),
            Some(q) => {
                if !text[end..].starts_with(q) {
                    return None;
                }
                let value = self.get(name)?;
                let quoted = if q == '\'' {
                    literal(value)
                } else {
                    identifier(value)
                };
                Some((end + 1, quoted))
            }
        }
    }
}

/// psql's `valid_variable_name`: ASCII letters, digits, `_`, and any non-ASCII letter.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_name_char)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii()
}

/// libpq's `PQescapeLiteral`: quotes doubled, and with a backslash `E'…'` with the
/// backslashes doubled.
fn literal(value: &str) -> String {
    let escaped = value.replace('\'', "''");
    if value.contains('\\') {
        format!(" E'{}'", escaped.replace('\\', "\\\\"))
    } else {
        format!("'{escaped}'")
    }
}

/// libpq's `PQescapeIdentifier`.
fn identifier(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// The length of a quoted string or name at the start of `text` (a doubled quote stays
/// inside; an unterminated one runs to the end).
fn quoted_len(text: &str, quote: char) -> usize {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            if chars.peek().is_some_and(|&(_, n)| n == quote) {
                chars.next();
            } else {
                return i + 1;
            }
        }
    }
    text.len()
}

/// The length of a (nested) `/* … */` comment at the start of `text`.
fn comment_len(text: &str) -> usize {
    let mut depth = 0usize;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        if bytes[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if bytes[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    text.len()
}

/// The length of a `$tag$ … $tag$` string at the start of `text`, or 1 for a lone `$`.
fn dollar_quoted_len(text: &str) -> usize {
    let tag_end = text[1..]
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map(|i| i + 1);
    match tag_end {
        Some(end) if text[end..].starts_with('$') => {
            let tag = &text[..=end];
            match text[end + 1..].find(tag) {
                Some(at) => end + 1 + at + tag.len(),
                None => text.len(),
            }
        }
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Variables {
        let mut v = Variables::default();
        v.set("n", "42").unwrap();
        v.set("pw", "it's").unwrap();
        v.set("t", "My Table").unwrap();
        v.set("bs", "a\\b").unwrap();
        v
    }

    #[test]
    fn interpolates_outside_quotes_and_comments() {
        let v = vars();
        assert_eq!(
            v.interpolate("SELECT :n, :'pw', :\"t\""),
            "SELECT 42, 'it''s', \"My Table\""
        );
        assert_eq!(
            v.interpolate("SELECT ':n', \":n\" -- :n\n/* :n */ $$:n$$"),
            "SELECT ':n', \":n\" -- :n\n/* :n */ $$:n$$"
        );
        assert_eq!(
            v.interpolate("SELECT 1::int, :nope, :'nope'"),
            "SELECT 1::int, :nope, :'nope'"
        );
        assert_eq!(v.interpolate("SELECT :'bs'"), "SELECT  E'a\\\\b'");
        assert_eq!(v.interpolate("SELECT :n日"), "SELECT :n日");
    }

    #[test]
    fn names_and_listing() {
        let mut v = vars();
        assert!(v.set("", "x").is_err());
        assert!(v.set("a-b", "x").is_err());
        v.unset("bs");
        v.unset("pw");
        assert_eq!(v.listing(), "n = '42'\nt = 'My Table'\n");
    }
}
