//! The terminal's width, for `\pset format wrapped` and `\x auto`: psql's rule, the
//! `COLUMNS` environment variable, else the size the terminal reports, and nothing when
//! standard output is not a terminal.

use std::io::IsTerminal;

/// The screen width to print for, when standard output is a terminal.
pub fn stdout_columns() -> Option<usize> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return Some(columns);
    }
    size(&stdout)
}

/// The terminal's height, when standard output is a terminal that reports it.
pub fn stdout_rows() -> Option<usize> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    window(&stdout).map(|(_, rows)| rows).filter(|&r| r > 0)
}

fn size(stdout: &std::io::Stdout) -> Option<usize> {
    window(stdout)
        .map(|(columns, _)| columns)
        .filter(|&c| c > 0)
}

/// Columns and rows.
#[cfg(unix)]
fn window(stdout: &std::io::Stdout) -> Option<(usize, usize)> {
    rustix::termios::tcgetwinsize(stdout)
        .ok()
        .map(|size| (usize::from(size.ws_col), usize::from(size.ws_row)))
}

#[cfg(not(unix))]
fn window(_: &std::io::Stdout) -> Option<(usize, usize)> {
    None
}
