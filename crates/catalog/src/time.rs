//! Timestamps in PostgreSQL's `timestamptz` text form, in UTC.
//!
//! Stored as text so that a `SELECT` shows what psql would show, without a date library:
//! the civil-date arithmetic is `airlock_core::time::civil_from_days`.

use std::time::{SystemTime, UNIX_EPOCH};

use airlock_core::time::civil_from_days;

/// Now, as `YYYY-MM-DD HH:MM:SS[.ffffff]+00`.
pub(crate) fn now() -> String {
    // A clock before 1970 is a broken clock; the epoch is as good an answer as any.
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format_unix_micros(since.as_secs(), since.subsec_micros())
}

/// A point in time as `timestamptz` text (times before 1970 as the epoch).
pub(crate) fn format_system_time(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    format_unix_micros(since.as_secs(), since.subsec_micros())
}

/// Formats like PostgreSQL: microseconds, trailing zeros of the fraction dropped, no
/// fraction at all on a whole second.
pub(crate) fn format_unix_micros(secs: u64, micros: u32) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if micros > 0 {
        let fraction = format!("{micros:06}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push_str("+00");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_postgres() {
        assert_eq!(format_unix_micros(0, 0), "1970-01-01 00:00:00+00");
        // 2024-02-29 12:34:56.5 UTC, a leap day.
        assert_eq!(
            format_unix_micros(1_709_210_096, 500_000),
            "2024-02-29 12:34:56.5+00"
        );
        assert_eq!(
            format_unix_micros(1_709_210_096, 123_456),
            "2024-02-29 12:34:56.123456+00"
        );
        assert_eq!(format_unix_micros(951_782_400, 0), "2000-02-29 00:00:00+00");
        assert_eq!(
            format_unix_micros(4_102_444_799, 1),
            "2099-12-31 23:59:59.000001+00"
        );
    }

    #[test]
    fn now_has_the_shape() {
        let s = now();
        assert!(s.ends_with("+00"), "{s}");
        assert_eq!(&s[4..5], "-");
        assert_eq!(&s[10..11], " ");
    }
}
