//! A pager for long results, psql's `PageOutput`: `\pset pager on` pages a result taller
//! than the terminal, `always` pages every result, `off` none; only when standard input
//! and output are both terminals. The program is `$AIRLOCK_PAGER`, else `$PAGER`, else
//! `more` (psql reads `PSQL_PAGER` and `PAGER`); an empty or blank one means no pager.
//! It runs with `/bin/sh -c` and reads the result on its standard input.

use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};

use crate::format::Pager;

/// The environment variable naming Airlock's pager (psql's `PSQL_PAGER`).
pub const PAGER_ENV: &str = "AIRLOCK_PAGER";

/// Shows `text` through the pager when `setting` asks for it; `false` when the caller
/// must print it itself (no pager wanted, or none could be started).
pub fn page(text: &str, setting: Pager, min_lines: usize) -> bool {
    if setting == Pager::Off || !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal()
    {
        return false;
    }
    if setting == Pager::On {
        if text.matches('\n').count() < min_lines {
            return false;
        }
        // A terminal that does not say how tall it is gets no pager (psql pages then).
        let Some(rows) = crate::terminal::stdout_rows() else {
            return false;
        };
        if text.matches('\n').count() < rows {
            return false;
        }
    }
    let program = std::env::var(PAGER_ENV)
        .or_else(|_| std::env::var("PAGER"))
        .unwrap_or_else(|_| "more".to_owned());
    if program.trim().is_empty() {
        return false;
    }
    let _ = std::io::stdout().lock().flush();
    let Ok(mut child) = Command::new("/bin/sh")
        .arg("-c")
        .arg(&program)
        .stdin(Stdio::piped())
        .spawn()
    else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A pager that quits early closes the pipe: the rest is not wanted.
        let _ = stdin.write_all(text.as_bytes());
    }
    let _ = child.wait();
    true
}
