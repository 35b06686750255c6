//! What the interactive shell remembers, on disk and in memory: only redacted statements.
//!
//! datafusion-cli writes raw input lines to its history file; a shell whose statements
//! carry credentials (`CREATE SECRET s AS '…'`) cannot. Every entry is built from the
//! parsed statement's redacted printer, so a secret value is replaced by `'<REDACTED>'`
//! before anything is remembered. Text that does not parse has no redacted form we can
//! trust (a value may sit anywhere in a broken statement), so it is not remembered at
//! all — not on disk, and not for up-arrow recall either.

use std::path::PathBuf;

use airlock_engine::parser::mask_statement;

use crate::backend::Planned;

/// The environment variable that overrides the history file's path (psql's `HISTFILE`).
pub const HISTORY_ENV: &str = "AIRLOCK_HISTORY";
/// The history file's name in the home directory.
pub const HISTORY_FILE_NAME: &str = ".airlock_history";

/// Where history is kept: `$AIRLOCK_HISTORY`, else `~/.airlock_history`. `None` when
/// there is no home directory, or when `AIRLOCK_HISTORY` is set but empty (no file).
pub fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(HISTORY_ENV) {
        return (!path.is_empty()).then(|| PathBuf::from(path));
    }
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(|home| PathBuf::from(home).join(HISTORY_FILE_NAME))
}

/// The history entry for statements a backend split out of `text`: those Airlock parsed
/// print redacted, the others (a host's statements) with their literals masked.
pub fn planned_entry(text: &str, planned: &[Planned]) -> Option<String> {
    if planned.is_empty() {
        return None;
    }
    let parts: Vec<String> = planned
        .iter()
        .map(|p| match &p.statement {
            Some(statement) => format!("{};", statement.to_redacted_string()),
            None => format!("{};", mask_statement(&text[p.span.clone()]).text),
        })
        .collect();
    Some(parts.join(" "))
}

/// The history entry for a backslash command line, kept as typed (trimmed) — except a
/// `\set` value, which may be a secret meant for `:'name'` and is stored as
/// `'<REDACTED>'`. (A value interpolated into a statement reaches history only through
/// the statement's redacted form.)
pub fn meta_entry(line: &str) -> Option<String> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    let mut words = line.split_whitespace();
    if words.next() == Some("\\set") {
        let name = words.next();
        if let Some(name) = name
            && words.next().is_some()
        {
            return Some(format!("\\set {name} '<REDACTED>'"));
        }
    }
    Some(line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::split_airlock;

    #[test]
    fn secrets_are_redacted() {
        let text = "CREATE SECRET s AS 'canary-1';\nALTER SECRET s AS 'canary-2'; SELECT 1";
        let statements = split_airlock(text).unwrap();
        let entry = planned_entry(text, &statements).unwrap();
        assert!(!entry.contains("canary"), "{entry}");
        assert!(entry.contains("<REDACTED>"), "{entry}");
        assert!(!entry.contains('\n'), "{entry}");
    }

    #[test]
    fn nothing_for_nothing() {
        assert_eq!(planned_entry("", &[]), None);
        assert_eq!(meta_entry("  "), None);
        assert_eq!(meta_entry(" \\d foo "), Some("\\d foo".to_owned()));
    }

    #[test]
    fn set_values_are_redacted() {
        assert_eq!(
            meta_entry("\\set pw 'canary-3' more"),
            Some("\\set pw '<REDACTED>'".to_owned())
        );
        assert_eq!(meta_entry("\\set pw"), Some("\\set pw".to_owned()));
        assert_eq!(meta_entry("\\set"), Some("\\set".to_owned()));
    }
}
