//! `ASSUME ROLE SESSION DURATION`: how long a role session lasts, written the way
//! PostgreSQL writes an interval (`'15 minutes'`, `'1h'`, `'3600s'`, `'1 hour 30 min'`,
//! `'01:30:00'`), kept as whole seconds.
//!
//! AWS's `DurationSeconds` takes 900 to 43200 seconds (15 minutes to 12 hours, and no
//! more than the role's `MaxSessionDuration`); a session assumed with role-session
//! credentials (role chaining) lasts at most one hour whatever is asked.

/// The shortest session AWS grants: 15 minutes.
pub const MIN_SESSION_SECONDS: u32 = 900;
/// The longest session AWS grants (a role's `MaxSessionDuration` can be at most this).
pub const MAX_SESSION_SECONDS: u32 = 43_200;
/// The longest session AWS grants to role chaining: one hour.
pub const CHAINED_SESSION_LIMIT_SECONDS: u32 = 3_600;

/// Parses an interval into seconds and checks it against AWS's range.
pub fn parse_session_duration(text: &str) -> Result<u32, String> {
    let seconds = parse_interval_seconds(text)?;
    if (u64::from(MIN_SESSION_SECONDS)..=u64::from(MAX_SESSION_SECONDS)).contains(&seconds) {
        Ok(seconds as u32)
    } else {
        Err(format!(
            "must be between 15 minutes and 12 hours (AWS's DurationSeconds range), not {}",
            describe_seconds(seconds)
        ))
    }
}

/// Seconds as the shortest readable interval: `1 hour`, `1 hour 30 minutes`,
/// `15 minutes 10 seconds`. [`parse_session_duration`] reads it back.
pub fn session_duration_text(seconds: u32) -> String {
    describe_seconds(u64::from(seconds))
}

fn describe_seconds(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut parts = Vec::new();
    for (n, unit) in [(h, "hour"), (m, "minute"), (s, "second")] {
        if n > 0 {
            parts.push(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }));
        }
    }
    if parts.is_empty() {
        "0 seconds".to_owned()
    } else {
        parts.join(" ")
    }
}

const EXPECTED: &str = "expected an interval such as '15 minutes', '1h', '3600s' or '01:30:00'";

/// PostgreSQL's interval input, for the units a session duration needs: `<n> <unit>`
/// pairs (the space optional, units `s`/`sec`/`second`, `m`/`min`/`minute`,
/// `h`/`hr`/`hour`, `d`/`day`, singular or plural), a bare number of seconds, or
/// `hh:mm[:ss]`.
fn parse_interval_seconds(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.is_empty() || text.len() > 64 {
        return Err(EXPECTED.to_owned());
    }
    if text.contains(':') {
        return parse_clock(text);
    }
    let mut total: u64 = 0;
    let mut rest = text;
    let mut any = false;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return Err(EXPECTED.to_owned());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| EXPECTED.to_owned())?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = rest[..unit_len].to_ascii_lowercase();
        rest = rest[unit_len..].trim_start();
        let scale = match unit.as_str() {
            // A bare number is seconds, as in PostgreSQL (`'3600'::interval`), but only
            // alone: `1 30` means nothing.
            "" if !any && rest.is_empty() => 1,
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            _ => return Err(EXPECTED.to_owned()),
        };
        total = total.saturating_add(n.saturating_mul(scale));
        any = true;
    }
    Ok(total)
}

/// `hh:mm` or `hh:mm:ss`.
fn parse_clock(text: &str) -> Result<u64, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let numbers: Option<Vec<u64>> = parts
        .iter()
        .map(|p| {
            (!p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect();
    match (numbers.as_deref(), parts.len()) {
        (Some([h, m]), 2) if *m < 60 => Ok(h * 3600 + m * 60),
        (Some([h, m, s]), 3) if *m < 60 && *s < 60 => Ok(h * 3600 + m * 60 + s),
        _ => Err(EXPECTED.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_spellings() {
        for (text, seconds) in [
            ("15 minutes", 900),
            ("1h", 3600),
            ("3600s", 3600),
            ("3600", 3600),
            ("1 hour 30 minutes", 5400),
            ("1hr30min", 5400),
            ("01:30:00", 5400),
            ("01:30", 5400),
            ("12 HOURS", 43_200),
            (" 2 hours ", 7200),
        ] {
            assert_eq!(parse_session_duration(text), Ok(seconds), "{text}");
        }
    }

    #[test]
    fn out_of_range_and_malformed() {
        assert_eq!(
            parse_session_duration("14 minutes").unwrap_err(),
            "must be between 15 minutes and 12 hours (AWS's DurationSeconds range), not 14 minutes"
        );
        assert!(parse_session_duration("1 day").is_err());
        assert!(parse_session_duration("99999999999 hours").is_err());
        for bad in [
            "",
            "hour",
            "1 fortnight",
            "1 30",
            "-1 hour",
            "1.5 hours",
            "1:99",
            "::",
            "1 hour x",
        ] {
            assert_eq!(
                parse_session_duration(bad).unwrap_err(),
                EXPECTED,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn text_reads_back() {
        for seconds in [900, 910, 3600, 5400, 43_200, 4000] {
            let text = session_duration_text(seconds);
            assert_eq!(parse_session_duration(&text), Ok(seconds), "{text}");
        }
        assert_eq!(session_duration_text(5400), "1 hour 30 minutes");
    }
}
