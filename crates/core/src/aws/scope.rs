//! `SCOPE = 's3://bucket[/prefix]'`: the part of S3 a connection is for, and the rule
//! that picks a connection for a URL — the connection whose scope is the longest prefix
//! of it, as DuckDB picks a secret.
//!
//! Unlike DuckDB, whose scopes are plain string prefixes, a scope matches on path-segment
//! boundaries: `s3://lake/raw` covers `s3://lake/raw` and `s3://lake/raw/2024/x.csv`
//! but not `s3://lake/rawdata/x.csv`, and `s3://lake` does not cover `s3://lakehouse/x`.
//! A string prefix would hand one connection's credentials to requests for a bucket or a
//! folder nobody scoped it to.

use std::fmt;

/// A checked scope in its canonical spelling: `s3://` + bucket, then each non-empty
/// segment of the prefix after a `/` (no trailing `/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct S3Scope {
    text: String,
    /// Where the bucket ends in `text`.
    bucket_end: usize,
}

const SCHEME: &str = "s3://";

impl S3Scope {
    /// Checks `scope` and brings it to its canonical spelling: the scheme in lower case,
    /// empty segments and a trailing `/` dropped (S3 keys as `object_store` and
    /// DataFusion address them have neither).
    pub fn parse(scope: &str) -> Result<S3Scope, String> {
        let expected = "expected an S3 URL such as s3://bucket or s3://bucket/prefix";
        let rest = scope
            .get(..SCHEME.len())
            .filter(|s| s.eq_ignore_ascii_case(SCHEME))
            .map(|_| &scope[SCHEME.len()..])
            .ok_or_else(|| expected.to_owned())?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        // S3's bucket rules, as loose as its oldest (us-east-1) buckets: 3 to 255
        // letters, digits, `.`, `-` and `_`.
        let bucket_ok = (3..=255).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !bucket_ok {
            return Err(format!(
                "{expected}; a bucket name is 3 to 255 letters, digits, '.', '-' and '_'"
            ));
        }
        if let Some(c) = prefix
            .chars()
            .find(|c| c.is_control() || matches!(c, '?' | '#' | '%' | '\\'))
        {
            return Err(format!(
                "{expected}; the prefix is plain key text, without {c:?} (no query, fragment or percent-encoding)"
            ));
        }
        let mut text = format!("{SCHEME}{bucket}");
        let bucket_end = text.len();
        for segment in prefix.split('/').filter(|s| !s.is_empty()) {
            if segment == "." || segment == ".." {
                return Err(format!("{expected}; the prefix has a {segment:?} segment"));
            }
            text.push('/');
            text.push_str(segment);
        }
        Ok(S3Scope { text, bucket_end })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn bucket(&self) -> &str {
        &self.text[SCHEME.len()..self.bucket_end]
    }

    /// The prefix's segments, outermost first.
    fn segments(&self) -> impl Iterator<Item = &str> {
        self.text[self.bucket_end..]
            .split('/')
            .filter(|s| !s.is_empty())
    }

    /// How specific the scope is: its number of prefix segments.
    pub fn depth(&self) -> usize {
        self.segments().count()
    }

    /// Whether the scope covers `key` of `bucket`, on segment boundaries. `key` is an
    /// object key or key prefix as `object_store` writes it (`a/b/c`, `""` for the
    /// whole bucket).
    pub fn covers(&self, bucket: &str, key: &str) -> bool {
        if self.bucket() != bucket {
            return false;
        }
        let mut key = key.split('/').filter(|s| !s.is_empty());
        self.segments().all(|segment| key.next() == Some(segment))
    }
}

impl fmt::Display for S3Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What the longest-prefix rule gives for one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeMatch<T> {
    /// No scope covers it.
    None,
    /// The one most specific scope that covers it.
    One(T),
    /// Two scopes of the same depth cover it (two connections with the same scope):
    /// the rule cannot choose, and a host must not guess.
    Tie(T, T),
}

/// The longest-prefix rule: among `candidates`, the one whose scope covers `key` of
/// `bucket` with the most segments.
pub fn longest_scope<'a, T>(
    candidates: impl IntoIterator<Item = (&'a S3Scope, T)>,
    bucket: &str,
    key: &str,
) -> ScopeMatch<T> {
    let mut best: Option<(usize, T)> = None;
    let mut tie: Option<T> = None;
    for (scope, item) in candidates {
        if !scope.covers(bucket, key) {
            continue;
        }
        let depth = scope.depth();
        match &best {
            Some((d, _)) if *d > depth => {}
            Some((d, _)) if *d == depth => tie = Some(item),
            _ => {
                best = Some((depth, item));
                tie = None;
            }
        }
    }
    match (best, tie) {
        (None, _) => ScopeMatch::None,
        (Some((_, one)), None) => ScopeMatch::One(one),
        (Some((_, one)), Some(other)) => ScopeMatch::Tie(one, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_checked_and_stored_canonical() {
        for (given, stored) in [
            ("s3://lake", "s3://lake"),
            ("S3://lake/", "s3://lake"),
            ("s3://lake/raw/", "s3://lake/raw"),
            ("s3://lake//raw///2024", "s3://lake/raw/2024"),
            ("s3://Old_Bucket.x/a b/ü", "s3://Old_Bucket.x/a b/ü"),
        ] {
            let scope = S3Scope::parse(given).unwrap();
            assert_eq!(scope.as_str(), stored, "{given}");
            assert_eq!(S3Scope::parse(stored).unwrap(), scope, "{given}");
        }
        let scope = S3Scope::parse("s3://lake/raw/2024").unwrap();
        assert_eq!((scope.bucket(), scope.depth()), ("lake", 2));
        for bad in [
            "",
            "lake/raw",
            "https://lake.s3.amazonaws.com/raw",
            "s3:/lake",
            "s3://",
            "s3:///raw",
            "s3://ab",
            "s3://la ke/x",
            "s3://lake:9000/x",
            "s3://user@lake/x",
            "s3://lake/raw?x=1",
            "s3://lake/raw#x",
            "s3://lake/a%20b",
            "s3://lake/a/../b",
            "s3://lake/a\u{7}b",
        ] {
            assert!(S3Scope::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scopes_match_on_segment_boundaries() {
        let raw = S3Scope::parse("s3://lake/raw").unwrap();
        assert!(raw.covers("lake", "raw"));
        assert!(raw.covers("lake", "raw/2024/x.csv"));
        assert!(!raw.covers("lake", "rawdata/x.csv"));
        assert!(!raw.covers("lake", ""));
        assert!(!raw.covers("lakehouse", "raw/x.csv"));
        let bucket = S3Scope::parse("s3://lake").unwrap();
        assert!(bucket.covers("lake", ""));
        assert!(bucket.covers("lake", "anything/at/all"));
        assert!(!bucket.covers("lake2", "x"));
    }

    #[test]
    fn the_longest_scope_wins_and_ties_are_reported() {
        let scopes: Vec<(S3Scope, &str)> = [
            ("s3://lake", "bucket"),
            ("s3://lake/raw", "raw"),
            ("s3://lake/raw/secret", "secret"),
            ("s3://other/raw", "other"),
        ]
        .iter()
        .map(|(s, n)| (S3Scope::parse(s).unwrap(), *n))
        .collect();
        let pick = |bucket: &str, key: &str| {
            longest_scope(scopes.iter().map(|(s, n)| (s, *n)), bucket, key)
        };
        assert_eq!(pick("lake", "raw/secret/x"), ScopeMatch::One("secret"));
        assert_eq!(pick("lake", "raw/secrets/x"), ScopeMatch::One("raw"));
        assert_eq!(pick("lake", "curated/x"), ScopeMatch::One("bucket"));
        assert_eq!(pick("other", "x"), ScopeMatch::None);
        assert_eq!(pick("nowhere", ""), ScopeMatch::None);
        // Order does not matter.
        let reversed = longest_scope(scopes.iter().rev().map(|(s, n)| (s, *n)), "lake", "raw/x");
        assert_eq!(reversed, ScopeMatch::One("raw"));
        let twice = S3Scope::parse("s3://lake/raw/").unwrap();
        let tied = longest_scope(
            scopes
                .iter()
                .map(|(s, n)| (s, *n))
                .chain([(&twice, "again")]),
            "lake",
            "raw/x",
        );
        assert_eq!(tied, ScopeMatch::Tie("raw", "again"));
    }
}
