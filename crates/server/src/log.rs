//! The server's log: one line per connection and one per error, on standard error.
//! Statement text is masked (every literal, and everything after `AS` in a secret
//! statement, becomes `'<REDACTED>'`) and bound values are never written.

use std::net::SocketAddr;
use std::time::Duration;

use pgwire::error::ErrorInfo;

/// Where log lines go.
#[derive(Debug, Clone, Copy, Default)]
pub struct Log {
    pub quiet: bool,
}

impl Log {
    /// `airlock-server: listening on ADDR`, written even when quiet: it says which port
    /// was bound (`--listen 127.0.0.1:0`).
    pub fn listening(&self, addr: SocketAddr, tls: bool, auth: &str) {
        eprintln!(
            "airlock-server: {}",
            format_args!(
                "listening on {addr} (auth {auth}, tls {})",
                if tls { "on" } else { "off" }
            )
        );
    }

    /// A connection ended.
    pub fn connection(&self, peer: SocketAddr, summary: &ConnectionSummary) {
        self.line(&format!(
            "connection peer={peer} user={} application_name={} duration_ms={} statements={} errors={} end={}",
            quote(&summary.user),
            quote(&summary.application_name),
            summary.duration.as_millis(),
            summary.statements,
            summary.errors,
            summary.end,
        ));
    }

    /// A statement (or a protocol step) failed.
    pub fn error(&self, peer: SocketAddr, user: &str, text: &str, info: &ErrorInfo) {
        let masked = airlock_parser::mask_statement(text);
        self.line(&format!(
            "error peer={peer} user={} sqlstate={} message={} statement={}",
            quote(user),
            info.code,
            quote(&masked.mask_message(&info.message)),
            quote(&masked.text),
        ));
    }

    /// Anything else worth a line (refusals, shutdown).
    pub fn line(&self, line: &str) {
        if !self.quiet {
            eprintln!("airlock-server: {line}");
        }
    }
}

/// What [`Log::connection`] reports.
#[derive(Debug, Clone)]
pub struct ConnectionSummary {
    pub user: String,
    pub application_name: String,
    pub duration: Duration,
    pub statements: u64,
    pub errors: u64,
    pub end: &'static str,
}

/// A value in double quotes, on one line.
fn quote(s: &str) -> String {
    format!("{:?}", s.replace('\n', " "))
}
