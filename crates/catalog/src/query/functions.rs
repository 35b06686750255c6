//! Replacements, on the query connection only, for the SQLite built-ins whose work is
//! the *product* of their arguments' sizes inside one virtual-machine step, where
//! neither the progress handler nor an interrupt can stop them: `instr`, `replace`,
//! `trim`, `ltrim` and `rtrim`. SQLite's own versions compare the needle (or every
//! character of the trim set) at every position of the haystack: `instr` of a 1 MiB
//! haystack and a 512 KiB needle is 2.7·10¹¹ byte comparisons (8 s at the 34 GB/s
//! measured here), `trim` of 512 KiB by a 512 KiB set some 20 minutes. These do the same
//! job in time linear in their input (Knuth–Morris–Pratt search, a hash set of
//! characters) and give the same answers, which the tests compare with SQLite's.
//!
//! `LIKE` and `GLOB` stay SQLite's: their pattern is bounded instead
//! (`SQLITE_LIMIT_LIKE_PATTERN_LENGTH`, see [`super::MAX_LIKE_PATTERN_BYTES`]).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, Error, Result};

use super::MAX_VALUE_BYTES;

/// Member comparisons the fallback `trim` (a trim set that is not valid UTF-8) may make
/// before giving up with 54000; about 0.1 s.
const TRIM_BUDGET: u64 = 32 << 20;

/// Installs the replacements on `conn`.
pub(super) fn install(conn: &Connection) -> Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8
        | FunctionFlags::SQLITE_DETERMINISTIC
        | FunctionFlags::SQLITE_INNOCUOUS;
    let reals = Reals::new()?;
    let r = reals.clone();
    conn.create_scalar_function("instr", 2, flags, move |ctx| instr(ctx, &r))?;
    let r = reals.clone();
    conn.create_scalar_function("replace", 3, flags, move |ctx| replace(ctx, &r))?;
    for (name, side) in [
        ("trim", Side::Both),
        ("ltrim", Side::Left),
        ("rtrim", Side::Right),
    ] {
        for args in [1, 2] {
            let r = reals.clone();
            conn.create_scalar_function(name, args, flags, move |ctx| trim(ctx, side, &r))?;
        }
    }
    Ok(())
}

/// A TEXT result made of bytes SQLite gave us (not necessarily UTF-8, as in SQLite).
struct RawText(Vec<u8>);

impl ToSql for RawText {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(&self.0)))
    }
}

fn too_big() -> Error {
    Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_TOOBIG),
        None,
    )
}

/// SQLite's text form of a REAL (`CAST(x AS TEXT)`), which only SQLite knows how to
/// spell digit for digit: asked of a private in-memory connection.
#[derive(Clone)]
struct Reals(Arc<Mutex<Connection>>);

impl Reals {
    fn new() -> Result<Reals> {
        Ok(Reals(Arc::new(Mutex::new(Connection::open_in_memory()?))))
    }

    fn text(&self, f: f64) -> Result<String> {
        let conn = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        conn.query_row("SELECT CAST(?1 AS TEXT)", [f], |r| r.get(0))
    }

    /// A value as SQLite's `sqlite3_value_text` would give it; `None` for NULL.
    fn text_of<'v>(&self, value: ValueRef<'v>) -> Result<Option<Cow<'v, [u8]>>> {
        Ok(Some(match value {
            ValueRef::Null => return Ok(None),
            ValueRef::Integer(i) => Cow::Owned(i.to_string().into_bytes()),
            ValueRef::Real(f) => Cow::Owned(self.text(f)?.into_bytes()),
            ValueRef::Text(t) | ValueRef::Blob(t) => Cow::Borrowed(t),
        }))
    }
}

/// Knuth–Morris–Pratt search for one needle: O(haystack + needle).
struct Searcher<'n> {
    needle: &'n [u8],
    fail: Vec<usize>,
}

impl<'n> Searcher<'n> {
    fn new(needle: &'n [u8]) -> Searcher<'n> {
        let mut fail = vec![0; needle.len()];
        let mut k = 0;
        for i in 1..needle.len() {
            while k > 0 && needle[i] != needle[k] {
                k = fail[k - 1];
            }
            if needle[i] == needle[k] {
                k += 1;
            }
            fail[i] = k;
        }
        Searcher { needle, fail }
    }

    /// The first match starting at or after `from`. The needle is not empty.
    fn find(&self, haystack: &[u8], from: usize) -> Option<usize> {
        let n = self.needle;
        let mut k = 0;
        for (i, &b) in haystack.iter().enumerate().skip(from) {
            while k > 0 && b != n[k] {
                k = self.fail[k - 1];
            }
            if b == n[k] {
                k += 1;
            }
            if k == n.len() {
                return Some(i + 1 - n.len());
            }
        }
        None
    }
}

fn is_continuation(b: u8) -> bool {
    b & 0xc0 == 0x80
}

/// `instr(X, Y)`: 1 + the characters before the first Y in X (bytes if both are
/// blobs), 0 if none, NULL if either is NULL.
fn instr(ctx: &Context<'_>, reals: &Reals) -> Result<Option<i64>> {
    let (a, b) = (ctx.get_raw(0), ctx.get_raw(1));
    let bytes = matches!((a, b), (ValueRef::Blob(_), ValueRef::Blob(_)));
    let (Some(haystack), Some(needle)) = (reals.text_of(a)?, reals.text_of(b)?) else {
        return Ok(None);
    };
    if needle.is_empty() {
        return Ok(Some(1));
    }
    let searcher = Searcher::new(&needle);
    let mut from = 0;
    loop {
        let Some(at) = searcher.find(&haystack, from) else {
            return Ok(Some(0));
        };
        // SQLite tries text matches only where a character starts.
        if bytes || at == 0 || !is_continuation(haystack[at]) {
            let before = if bytes {
                at
            } else {
                usize::from(at > 0)
                    + haystack[1..at.max(1)]
                        .iter()
                        .filter(|b| !is_continuation(**b))
                        .count()
            };
            return Ok(Some(before as i64 + 1));
        }
        from = at + 1;
    }
}

/// `replace(X, Y, Z)`: every non-overlapping Y in X, left to right, replaced by Z.
fn replace(ctx: &Context<'_>, reals: &Reals) -> Result<Option<RawText>> {
    let Some(input) = reals.text_of(ctx.get_raw(0))? else {
        return Ok(None);
    };
    let Some(pattern) = reals.text_of(ctx.get_raw(1))? else {
        return Ok(None);
    };
    if pattern.first().is_none_or(|b| *b == 0) {
        return Ok(Some(RawText(input.into_owned())));
    }
    let Some(with) = reals.text_of(ctx.get_raw(2))? else {
        return Ok(None);
    };
    let limit = MAX_VALUE_BYTES as usize;
    let searcher = Searcher::new(&pattern);
    let mut out = Vec::with_capacity(input.len().min(limit));
    let mut from = 0;
    while let Some(at) = searcher.find(&input, from) {
        out.extend_from_slice(&input[from..at]);
        if out.len() + with.len() > limit {
            return Err(too_big());
        }
        out.extend_from_slice(&with);
        from = at + pattern.len();
    }
    out.extend_from_slice(&input[from..]);
    if out.len() > limit {
        return Err(too_big());
    }
    Ok(Some(RawText(out)))
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Left,
    Right,
    Both,
}

/// `trim(X[, Y])`, `ltrim`, `rtrim`: the characters of Y (a space when absent) removed
/// from the ends of X.
fn trim(ctx: &Context<'_>, side: Side, reals: &Reals) -> Result<Option<RawText>> {
    let Some(input) = reals.text_of(ctx.get_raw(0))? else {
        return Ok(None);
    };
    let set: Cow<'_, [u8]> = if ctx.len() == 1 {
        Cow::Borrowed(b" ")
    } else {
        match reals.text_of(ctx.get_raw(1))? {
            Some(set) => set,
            None => return Ok(None),
        }
    };
    // SQLite reads the set as a C string.
    let set = &set[..set.iter().position(|b| *b == 0).unwrap_or(set.len())];
    let (left, right) = (
        matches!(side, Side::Left | Side::Both),
        matches!(side, Side::Right | Side::Both),
    );
    let (start, end) = match std::str::from_utf8(set) {
        Ok(chars) => trim_chars(&input, &chars.chars().collect(), left, right),
        Err(_) => trim_members(&input, &members(set), left, right)?,
    };
    Ok(Some(RawText(input[start..end].to_vec())))
}

/// The valid UTF-8 character at the start of `bytes`, and its length.
fn char_at(bytes: &[u8]) -> Option<(char, usize)> {
    let len = match *bytes.first()? {
        b if b < 0x80 => 1,
        b if b >= 0xf0 => 4,
        b if b >= 0xe0 => 3,
        b if b >= 0xc0 => 2,
        _ => return None,
    };
    let s = std::str::from_utf8(bytes.get(..len)?).ok()?;
    s.chars().next().map(|c| (c, len))
}

/// Trimming by a set of valid characters. A valid character of the set can only match
/// where X holds that same character (UTF-8 is prefix-free), so one lookup per
/// character of X is SQLite's answer.
fn trim_chars(input: &[u8], set: &HashSet<char>, left: bool, right: bool) -> (usize, usize) {
    let (mut start, mut end) = (0, input.len());
    if left {
        while let Some((c, len)) = char_at(&input[start..end]) {
            if !set.contains(&c) {
                break;
            }
            start += len;
        }
    }
    if right {
        while end > start {
            let mut lead = end - 1;
            while lead > start && end - lead < 4 && is_continuation(input[lead]) {
                lead -= 1;
            }
            match char_at(&input[lead..end]) {
                Some((c, len)) if lead + len == end && set.contains(&c) => end = lead,
                _ => break,
            }
        }
    }
    (start, end)
}

/// The characters of a set as SQLite splits them, first occurrences only.
fn members(set: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut seen = HashMap::new();
    let mut i = 0;
    while i < set.len() {
        let start = i;
        i += 1;
        if set[start] >= 0xc0 {
            while i < set.len() && is_continuation(set[i]) {
                i += 1;
            }
        }
        let member = &set[start..i];
        if seen.insert(member, ()).is_none() {
            out.push(member);
        }
    }
    out
}

/// SQLite's own loop, for a set that is not valid UTF-8, within [`TRIM_BUDGET`].
fn trim_members(
    input: &[u8],
    members: &[&[u8]],
    left: bool,
    right: bool,
) -> Result<(usize, usize)> {
    let mut steps = 0u64;
    let mut step = || {
        steps += 1;
        if steps > TRIM_BUDGET {
            Err(Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_TOOBIG),
                Some("trim character set too complex".to_owned()),
            ))
        } else {
            Ok(())
        }
    };
    let (mut start, mut end) = (0, input.len());
    if left {
        'outer: while start < end {
            for m in members {
                step()?;
                if input[start..end].starts_with(m) {
                    start += m.len();
                    continue 'outer;
                }
            }
            break;
        }
    }
    if right {
        'outer: while start < end {
            for m in members {
                step()?;
                if input[start..end].ends_with(m) {
                    end -= m.len();
                    continue 'outer;
                }
            }
            break;
        }
    }
    Ok((start, end))
}
