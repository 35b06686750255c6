//! `\watch [SEC]`: runs the query buffer (or the last query) every SEC seconds (2 by
//! default) until Ctrl-C, each result titled as psql 15 titles it:
//! `Fri Dec  4 22:19:20 2026 (every 2s)` — the time in C's `%c` form, here in UTC.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::interrupt::Interrupt;

/// psql 15's interval rule: `strtod`, and anything not positive is 1 second.
pub fn interval(arg: Option<&str>) -> f64 {
    match arg {
        None => 2.0,
        Some(text) => {
            let number: String = text
                .trim_start()
                .chars()
                .enumerate()
                .take_while(|&(i, c)| {
                    c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))
                })
                .map(|(_, c)| c)
                .collect();
            match number.parse::<f64>() {
                Ok(seconds) if seconds > 0.0 && seconds.is_finite() => seconds,
                _ => 1.0,
            }
        }
    }
}

/// The title above each result; psql puts `\pset title` (if any) and a tab before it.
pub fn title(user_title: Option<&str>, now: SystemTime, seconds: f64) -> String {
    let time = c_time(now);
    match user_title {
        Some(user) => format!("{user}\t{time} (every {seconds}s)\n"),
        None => format!("{time} (every {seconds}s)\n"),
    }
}

/// Sleeps `seconds`, or less if Ctrl-C is pressed; whether it was.
pub fn wait(seconds: f64, interrupt: &Interrupt) -> bool {
    let step = Duration::from_millis(50);
    let mut left = Duration::from_secs_f64(seconds.min(86_400.0 * 365.0));
    while !left.is_zero() {
        if interrupt.pressed() {
            return true;
        }
        let nap = left.min(step);
        std::thread::sleep(nap);
        left -= nap;
    }
    interrupt.pressed()
}

/// C's `%c` in the C locale (`Fri Dec  4 22:19:20 2026`), in UTC.
fn c_time(now: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // A clock before 1970 is a broken clock; the epoch is as good an answer as any.
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let of_day = secs % 86_400;
    let (year, month, day) = airlock_core::time::civil_from_days(days);
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02} {}",
        DAYS[((days + 4) % 7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        year
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_like_psql() {
        let at = UNIX_EPOCH + Duration::from_secs(1_796_422_760);
        assert_eq!(c_time(at), "Fri Dec  4 22:19:20 2026");
        assert_eq!(c_time(UNIX_EPOCH), "Thu Jan  1 00:00:00 1970");
        assert_eq!(
            title(None, at, 2.0),
            "Fri Dec  4 22:19:20 2026 (every 2s)\n"
        );
        assert_eq!(
            title(Some("t"), at, 0.5),
            "t\tFri Dec  4 22:19:20 2026 (every 0.5s)\n"
        );
    }

    #[test]
    fn intervals_like_psql_15() {
        assert_eq!(interval(None), 2.0);
        assert_eq!(interval(Some("0.5")), 0.5);
        assert_eq!(interval(Some("3s")), 3.0);
        assert_eq!(interval(Some("0")), 1.0);
        assert_eq!(interval(Some("-2")), 1.0);
        assert_eq!(interval(Some("x")), 1.0);
    }
}
