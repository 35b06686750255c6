//! Running input — `-c` strings, scripts, interactive lines — the way psql does.
//!
//! One [`Runner`] serves every source, so a statement behaves the same typed at the
//! prompt, piped in, or read with `-f`/`\i`:
//! - input is read line by line; a line starting with `\` (outside a statement) is a
//!   backslash command, anything else is SQL, split at top-level `;` by the parser's
//!   [`split_complete`];
//! - results go to standard output (result sets as psql prints them, command tags unless
//!   quiet), notices and errors to standard error, each error with psql's caret drawn
//!   into the statement's own text;
//! - errors read from a file are prefixed `airlock:FILE:LINE: `, as psql prefixes
//!   `psql:FILE:LINE: `; errors from `-c`, piped standard input and the prompt are not.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::time::{Duration, Instant};

use airlock_engine::Response;
use airlock_engine::core::Diagnostic;
use airlock_engine::parser::input::too_long;
use airlock_engine::parser::{
    MAX_INPUT_BYTES, check_text, check_utf8, is_blank, mask_statement, split_complete,
};

use crate::backend::Backend;
use crate::backslash::{Lex, Scan, scan};
use crate::diagnostic::render_diagnostic;
use crate::format::{PrintOptions, format_rows};
use crate::history;
use crate::interrupt::Interrupt;
use crate::variables::Variables;

mod commands;

/// psql's exit status when everything it ran succeeded.
pub const EXIT_SUCCESS: u8 = 0;
/// psql's exit status for a failed `-c`, an unreadable file or a bad flag.
pub const EXIT_FAILURE: u8 = 1;
/// psql's exit status when the connection failed; here: the catalog could not be opened.
pub const EXIT_BADCONN: u8 = 2;
/// psql's exit status when a script stopped at an error under `ON_ERROR_STOP`.
pub const EXIT_USER: u8 = 3;

/// How deep `\i` may nest: a file that includes itself stops here instead of
/// exhausting the stack.
const MAX_INCLUDE_DEPTH: usize = 32;

/// The settings psql keeps in variables and `\pset`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `\pset`, `-P` and the output flags.
    pub print: PrintOptions,
    /// `-v`, `\set`: the variables interpolated into statements.
    pub variables: Variables,
    /// `\timing`: print `Time: … ms` after each statement.
    pub timing: bool,
    /// `-q`: no command tags, no messages from `\x` and `\timing`.
    pub quiet: bool,
    /// `-v ON_ERROR_STOP=1`: a script stops at its first error.
    pub on_error_stop: bool,
    /// psql's `ECHO` (`-e`, `-b`): statements printed before they run, or after they fail.
    pub echo: Echo,
}

/// psql's `ECHO` variable, for the values Airlock has (`all`, which prints every input
/// line as read, would print secret values typed in scripts, so it is not offered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Echo {
    #[default]
    None,
    /// `-e`: each statement before it runs.
    Queries,
    /// `-b`: each failed statement after its error (`STATEMENT:  …`).
    Errors,
}

/// Where a line of input came from, for the `airlock:FILE:LINE: ` prefix.
#[derive(Debug, Clone, Copy)]
pub struct Locus<'a> {
    /// The file's name as given (`<stdin>` for `-f -`); `None` for input that psql
    /// does not prefix (the prompt, `-c`, piped standard input).
    pub file: Option<&'a str>,
    pub line: usize,
}

impl Locus<'_> {
    const NONE: Locus<'static> = Locus {
        file: None,
        line: 0,
    };
}

/// What running some input came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Step {
    /// Something failed (an error was printed).
    pub failed: bool,
    /// `\q`: stop reading input and exit.
    pub quit: bool,
    /// The input cannot be read on (a statement past the size bound): a script ends
    /// here, as at a read error.
    pub fatal: bool,
}

impl Step {
    fn merge(&mut self, other: Step) {
        self.failed |= other.failed;
        self.quit |= other.quit;
        self.fatal |= other.fatal;
    }

    fn failed() -> Step {
        Step {
            failed: true,
            ..Step::default()
        }
    }

    fn quit() -> Step {
        Step {
            quit: true,
            ..Step::default()
        }
    }
}

/// How a script ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptEnd {
    /// Read to the end (errors, if any, did not stop it).
    Finished { failed: bool },
    /// Stopped at an error under `ON_ERROR_STOP`.
    Stopped,
    /// `\q`.
    Quit,
    /// The input could not be read to its end: an I/O error (a directory, EIO), a line
    /// or statement past the size bound. Exit status 1 (3 under `ON_ERROR_STOP`).
    ReadError,
}

/// Where one statement's results go: `\g FILE` and `\gx` change them for one query.
#[derive(Debug, Clone, Default)]
struct QueryTarget {
    file: Option<String>,
    expanded: bool,
}

/// Runs statements and backslash commands on one backend.
#[derive(Debug)]
pub struct Runner {
    backend: Box<dyn Backend>,
    pub settings: Settings,
    include_depth: usize,
    /// `\o FILE`: where results go instead of standard output.
    output: Option<File>,
    /// The last statement text sent, for `\g` with an empty buffer.
    last_query: Option<String>,
    /// Ctrl-C while statements run (see [`crate::interrupt`]).
    interrupt: Interrupt,
    /// How long the statement buffer last was, and where its text ends lexically.
    lex: (usize, Lex),
}

impl Runner {
    pub fn new(backend: Box<dyn Backend>, settings: Settings) -> Runner {
        Runner {
            backend,
            settings,
            include_depth: 0,
            output: None,
            last_query: None,
            interrupt: Interrupt::default(),
            lex: (0, Lex::Outside),
        }
    }

    /// Lets Ctrl-C cancel the running statement instead of ending the process.
    pub fn catch_interrupts(&mut self) {
        self.interrupt = Interrupt::install(self.backend.canceller());
    }

    /// Forgets a Ctrl-C pressed before the line now read at the prompt.
    pub fn clear_interrupt(&self) {
        self.interrupt.clear();
    }

    /// The backend, for setup statements that print nothing.
    pub fn backend(&mut self) -> &mut dyn Backend {
        self.backend.as_mut()
    }

    /// Runs one `-c` string: a backslash command, or SQL sent whole — a syntax error
    /// anywhere runs none of it, as in psql, and the caret points into the whole string.
    ///
    /// As in psql, a `-c` string is not scanned for variables: it goes to the engine as
    /// written.
    pub fn run_command_string(&mut self, text: &str) -> Step {
        if text.trim_start().starts_with('\\') {
            let mut step = Step::default();
            let mut buffer = String::new();
            let mut history = Vec::new();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                step.merge(self.run_meta(line, Locus::NONE, &mut buffer, &mut history));
                if step.quit {
                    break;
                }
            }
            step
        } else {
            self.run_sql(text, Locus::NONE, false, &QueryTarget::default())
                .0
        }
    }

    /// Feeds one line (without its newline) into `buffer`, running any backslash
    /// command and every statement the line completes. The history entries of what ran
    /// (redacted) are pushed onto `history`.
    pub fn feed_line(
        &mut self,
        buffer: &mut String,
        line: &str,
        locus: Locus<'_>,
        history: &mut Vec<String>,
    ) -> Step {
        // The line is scanned from where the statement typed so far ends (inside a
        // string, a backslash is text), kept line by line so a long statement is
        // scanned once.
        let start = self.buffer_lex(buffer);
        let scanned = scan(line, start.clone());
        let Some(at) = scanned.command else {
            return self.feed_sql(buffer, line, scanned, locus, history);
        };
        // Statement text before the backslash goes to the buffer first (`SELECT 1 \gx`).
        let (sql, command) = line.split_at(at);
        let mut step = Step::default();
        if !is_blank(sql) {
            let scanned = scan(sql, start);
            step = self.feed_sql(buffer, sql, scanned, locus, history);
            if step.quit || step.fatal || (step.failed && self.settings.on_error_stop) {
                return step;
            }
        }
        // `\g` runs the statement typed so far; any other command leaves it in the
        // buffer, as psql does.
        if is_blank(buffer) {
            buffer.clear();
        }
        history.extend(history::meta_entry(command));
        step.merge(self.run_meta(command, locus, buffer, history));
        step
    }

    /// Where the text in `buffer` ends, lexically: from the record kept as lines are fed,
    /// or scanned again when the buffer changed elsewhere (cleared at the prompt, taken
    /// by `\g`).
    fn buffer_lex(&mut self, buffer: &str) -> Lex {
        if self.lex.0 != buffer.len() {
            self.lex = (buffer.len(), scan(buffer, Lex::Outside).end);
        }
        self.lex.1.clone()
    }

    /// Feeds statement text (a line, or the part before a backslash command) into
    /// `buffer`, running every statement it completes; `scanned` is the text's scan
    /// from where the buffer ended.
    fn feed_sql(
        &mut self,
        buffer: &mut String,
        line: &str,
        scanned: Scan,
        locus: Locus<'_>,
        history: &mut Vec<String>,
    ) -> Step {
        if buffer.len() + line.len() >= MAX_INPUT_BYTES {
            // One statement may not grow past the bound the engine applies to text.
            buffer.clear();
            self.print_diagnostic(&Diagnostic::from_error(&too_long()), None, locus);
            return Step {
                failed: true,
                fatal: true,
                quit: false,
            };
        }
        buffer.push_str(line);
        buffer.push('\n');
        self.lex = (buffer.len(), scanned.end.clone());
        // Only a `;` outside quotes and comments can complete a statement: other lines
        // add to the buffer (and re-splitting a long statement at every line would be
        // quadratic).
        if !scanned.semicolon {
            return Step::default();
        }
        let split = split_complete(buffer);
        let mut step = Step::default();
        let mut consumed = 0;
        for statement in &split.complete {
            consumed += statement.len();
            let (result, entry) = self.run_sql(statement, locus, true, &QueryTarget::default());
            history.extend(entry);
            step.merge(result);
            if result.failed && self.settings.on_error_stop {
                break;
            }
        }
        // Under ON_ERROR_STOP, statements after the failed one on the same line are
        // dropped, as psql drops the rest of its input.
        if (step.failed && self.settings.on_error_stop) || is_blank(split.rest) {
            buffer.clear();
            self.lex = (0, Lex::Outside);
        } else {
            buffer.drain(..consumed);
            self.lex = (buffer.len(), scanned.end);
        }
        step
    }

    /// Runs what is left in `buffer` at the end of a script: psql sends a last statement
    /// that lacks its `;`.
    pub fn finish_buffer(
        &mut self,
        buffer: &mut String,
        locus: Locus<'_>,
        history: &mut Vec<String>,
    ) -> Step {
        let text = std::mem::take(buffer);
        if is_blank(&text) {
            return Step::default();
        }
        let (step, entry) = self.run_sql(&text, locus, true, &QueryTarget::default());
        history.extend(entry);
        step
    }

    /// Runs a script read line by line from `reader`; `file` names it for error
    /// prefixes (`None`: no prefix, as for piped standard input).
    pub fn run_script(&mut self, reader: &mut dyn BufRead, file: Option<&str>) -> ScriptEnd {
        let mut buffer = String::new();
        let mut history = Vec::new();
        let mut failed = false;
        let mut line_no = 0;
        let mut raw = Vec::new();
        loop {
            raw.clear();
            // At most one byte past the bound is read into memory, whatever the source
            // (`/dev/zero`, a sparse file of gigabytes without a newline).
            let limit = MAX_INPUT_BYTES as u64 + 1;
            match (&mut *reader).take(limit).read_until(b'\n', &mut raw) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    let locus = Locus {
                        file: Some(file.unwrap_or("<stdin>")),
                        line: line_no,
                    };
                    self.print_error_line(
                        &format!("could not read from input file: {}", io_message(&e)),
                        locus,
                    );
                    return ScriptEnd::ReadError;
                }
            }
            line_no += 1;
            let locus = Locus {
                file,
                line: line_no,
            };
            if raw.len() > MAX_INPUT_BYTES {
                self.print_diagnostic(&Diagnostic::from_error(&too_long()), None, locus);
                return ScriptEnd::ReadError;
            }
            let line = match check_utf8(&raw) {
                Ok(text) => text,
                Err(e) => {
                    // Bytes that are not UTF-8 are refused, never replaced by U+FFFD: the
                    // statement they belong to does not run.
                    buffer.clear();
                    self.print_diagnostic(&Diagnostic::from_error(&e), None, locus);
                    failed = true;
                    if self.settings.on_error_stop {
                        return ScriptEnd::Stopped;
                    }
                    continue;
                }
            };
            let line = line
                .strip_suffix('\n')
                .map(|l| l.strip_suffix('\r').unwrap_or(l))
                .unwrap_or(line);
            let step = self.feed_line(&mut buffer, line, locus, &mut history);
            failed |= step.failed;
            if step.quit {
                return ScriptEnd::Quit;
            }
            // Ctrl-C stops a script, as in psql (exit status 3).
            if self.interrupt.pressed() {
                return ScriptEnd::Stopped;
            }
            if step.fatal {
                return ScriptEnd::ReadError;
            }
            if step.failed && self.settings.on_error_stop {
                return ScriptEnd::Stopped;
            }
        }
        let locus = Locus {
            file,
            line: line_no,
        };
        let step = self.finish_buffer(&mut buffer, locus, &mut history);
        failed |= step.failed;
        if step.failed && self.settings.on_error_stop {
            return ScriptEnd::Stopped;
        }
        ScriptEnd::Finished { failed }
    }

    /// Opens and runs a script file (`-` is standard input, named `<stdin>`). A file
    /// that cannot be opened is the caller's to report: psql words it differently for
    /// `-f` and `\\i`.
    pub fn run_file(&mut self, path: &str) -> io::Result<ScriptEnd> {
        if path == "-" {
            let stdin = io::stdin();
            let mut reader = stdin.lock();
            return Ok(self.run_script(&mut reader, Some("<stdin>")));
        }
        let file = File::open(path)?;
        Ok(self.run_script(&mut BufReader::new(file), Some(path)))
    }

    /// Parses and runs SQL text; returns the outcome and the history entry (the
    /// redacted statements, or `None` when the text does not parse).
    fn run_sql(
        &mut self,
        text: &str,
        locus: Locus<'_>,
        interpolate: bool,
        target: &QueryTarget,
    ) -> (Step, Option<String>) {
        // Variables are replaced before anything else sees the text: the parser, the
        // error excerpt and the (redacted) history all see the statement that runs.
        let interpolated = if interpolate {
            self.settings.variables.interpolate(text)
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        // psql does not send the whitespace and `--` comments before a statement, so
        // `LINE n:` counts from the statement's first line.
        let text = skip_leading_comments(&interpolated);
        self.last_query = Some(text.to_owned());
        if self.settings.echo == Echo::Queries {
            write_stdout(&format!("{}\n", mask_statement(text).text));
        }
        if let Err(e) = check_text(text) {
            let echo = (text.len() <= MAX_INPUT_BYTES).then_some(text);
            self.print_diagnostic(&Diagnostic::from_error(&e), echo, locus);
            return (Step::failed(), None);
        }
        let statements = match self.backend.split(text) {
            Ok(statements) => statements,
            Err(e) => {
                self.print_diagnostic(&e, Some(text), locus);
                self.echo_failed(text, locus);
                return (Step::failed(), None);
            }
        };
        let entry = history::planned_entry(text, &statements);
        let mut print = self.settings.print.clone();
        if target.expanded {
            print.expanded = crate::format::Expanded::On;
        }
        let mut file = match &target.file {
            Some(path) => match File::create(path) {
                Ok(file) => Some(file),
                Err(e) => {
                    self.print_error_line(&format!("{path}: {}", io_message(&e)), locus);
                    return (Step::failed(), entry);
                }
            },
            None => None,
        };
        for statement in statements {
            // A Ctrl-C that came after the last statement began stops the ones after it.
            if self.interrupt.pressed() {
                self.print_diagnostic(&cancelled(), None, locus);
                return (Step::failed(), entry);
            }
            let started = Instant::now();
            self.interrupt.set_running(true);
            let result = self.backend.execute(text, statement);
            self.interrupt.set_running(false);
            let elapsed = started.elapsed();
            match result {
                Ok(result) => {
                    for notice in &result.notices {
                        self.print_diagnostic(notice, Some(text), locus);
                    }
                    match &result.response {
                        Response::Rows(rows) => {
                            let print = self.screen_options(&print, file.is_some());
                            let text = format_rows(rows, &print);
                            // Only a result bound for the terminal may go to the pager.
                            let paged = file.is_none()
                                && self.output.is_none()
                                && crate::pager::page(&text, print.pager, print.pager_min_lines);
                            if !paged {
                                self.emit(file.as_mut(), &text);
                            }
                        }
                        Response::Command(tag) if !self.settings.quiet => {
                            self.emit(file.as_mut(), &format!("{tag}\n"));
                        }
                        Response::Command(_) | Response::PassThrough(_) => {}
                    }
                    if self.settings.timing {
                        write_stdout(&timing_line(elapsed));
                    }
                }
                Err(e) => {
                    self.print_diagnostic(&e, Some(text), locus);
                    self.echo_failed(text, locus);
                    return (Step::failed(), entry);
                }
            }
        }
        (Step::default(), entry)
    }

    /// `-b`: the failed statement after its error, masked as the error's excerpt is.
    fn echo_failed(&self, text: &str, locus: Locus<'_>) {
        if self.settings.echo == Echo::Errors {
            let masked = mask_statement(text).text;
            write_stderr(&with_locus(&format!("STATEMENT:  {masked}\n"), locus));
        }
    }

    /// `-o FILE`: results to FILE from the start, as `\o FILE`.
    pub fn set_output_file(&mut self, path: &str) -> bool {
        !self.set_output(Some(path), Locus::NONE).failed
    }

    /// Query results: to `\g FILE`'s file, else `\o`'s, else standard output.
    fn emit(&mut self, file: Option<&mut File>, text: &str) {
        let target = file.or(self.output.as_mut());
        match target {
            Some(file) => {
                let _ = file.write_all(text.as_bytes());
            }
            None => write_stdout(text),
        }
    }

    /// The print options for one result: `\pset columns 0` means the terminal's width
    /// when the result goes to a terminal (`COLUMNS`, else the terminal's size).
    fn screen_options<'p>(
        &self,
        print: &'p PrintOptions,
        to_file: bool,
    ) -> std::borrow::Cow<'p, PrintOptions> {
        if print.columns > 0 || to_file || self.output.is_some() {
            return std::borrow::Cow::Borrowed(print);
        }
        match crate::terminal::stdout_columns() {
            Some(columns) => {
                let mut print = print.clone();
                print.columns = columns;
                std::borrow::Cow::Owned(print)
            }
            None => std::borrow::Cow::Borrowed(print),
        }
    }

    /// A message from a backslash command, unless quiet.
    fn say(&self, message: &str) {
        if !self.settings.quiet {
            write_stdout(message);
        }
    }

    fn print_diagnostic(&self, diagnostic: &Diagnostic, statement: Option<&str>, locus: Locus<'_>) {
        write_stderr(&with_locus(
            &render_diagnostic(diagnostic, statement),
            locus,
        ));
    }

    /// A message on standard error (psql's `pg_log_error` in terse mode): with the
    /// `airlock:FILE:LINE: error: ` prefix when read from a file.
    fn print_error_line(&self, message: &str, locus: Locus<'_>) {
        write_stderr(&with_level(message, "error", locus));
    }

    /// psql's `pg_log_warning`: `airlock:FILE:LINE: warning: ` from a file.
    fn print_warning_line(&self, message: &str, locus: Locus<'_>) {
        write_stderr(&with_level(message, "warning", locus));
    }
}

/// `text` without its leading whitespace and `--` comment lines (psql's lexer drops
/// them until a statement starts; `/* */` comments stay).
fn skip_leading_comments(text: &str) -> &str {
    let mut rest = text.trim_start();
    while rest.starts_with("--") {
        rest = rest.find('\n').map_or("", |at| rest[at + 1..].trim_start());
    }
    rest
}

/// The `ECHO` values Airlock acts on; others (`all`, `none`, unset) print nothing.
pub fn echo_setting(value: Option<&str>) -> Echo {
    match value {
        Some("queries") => Echo::Queries,
        Some("errors") => Echo::Errors,
        _ => Echo::None,
    }
}

/// PostgreSQL's error for a cancelled statement.
fn cancelled() -> Diagnostic {
    Diagnostic::error(
        airlock_engine::core::SqlState::QueryCanceled,
        "canceling statement due to user request",
    )
}

/// psql's log line: from a file, the locus and the level word (`error: `, `warning: `)
/// before the first line; otherwise the message alone.
fn with_level(message: &str, level: &str, locus: Locus<'_>) -> String {
    match locus.file {
        Some(_) => with_locus(&format!("{level}: {message}\n"), locus),
        None => format!("{message}\n"),
    }
}

/// psql's `psql:FILE:LINE: ` prefix, on the first line only.
fn with_locus(text: &str, locus: Locus<'_>) -> String {
    match locus.file {
        Some(file) => format!("airlock:{file}:{}: {text}", locus.line),
        None => text.to_owned(),
    }
}

/// psql's `PrintTiming`: milliseconds, and from one second on also the clock form.
pub fn timing_line(elapsed: Duration) -> String {
    let ms = elapsed.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        return format!("Time: {ms:.3} ms\n");
    }
    let total_seconds = ms / 1000.0;
    let minutes = (total_seconds / 60.0).floor();
    let seconds = total_seconds - 60.0 * minutes;
    if minutes < 60.0 {
        return format!("Time: {ms:.3} ms ({:02}:{seconds:06.3})\n", minutes as u64);
    }
    let hours = (minutes / 60.0).floor();
    let minutes = minutes - 60.0 * hours;
    if hours < 24.0 {
        return format!(
            "Time: {ms:.3} ms ({:02}:{:02}:{seconds:06.3})\n",
            hours as u64, minutes as u64
        );
    }
    let days = (hours / 24.0).floor();
    let hours = hours - 24.0 * days;
    format!(
        "Time: {ms:.3} ms ({days:.0} d {:02}:{:02}:{seconds:06.3})\n",
        hours as u64, minutes as u64
    )
}

/// An I/O error as psql words it: the OS message without Rust's `(os error N)`.
pub fn io_message(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Writes to standard output. A closed pipe (`airlock … | head`) is not an error worth
/// a panic; the output is simply dropped, as psql drops it.
pub fn write_stdout(text: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Writes to standard error, after standard output is flushed so the two interleave in
/// the order things happened.
pub fn write_stderr(text: &str) {
    let _ = io::stdout().lock().flush();
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_like_psql() {
        assert_eq!(timing_line(Duration::from_micros(1234)), "Time: 1.234 ms\n");
        assert_eq!(
            timing_line(Duration::from_millis(61_500)),
            "Time: 61500.000 ms (01:01.500)\n"
        );
        assert_eq!(
            timing_line(Duration::from_secs(3 * 3600 + 2)),
            "Time: 10802000.000 ms (03:00:02.000)\n"
        );
        assert_eq!(
            timing_line(Duration::from_secs(86_400 + 1)),
            "Time: 86401000.000 ms (1 d 00:00:01.000)\n"
        );
    }

    #[test]
    fn locus_prefixes_the_first_line() {
        let locus = Locus {
            file: Some("s.sql"),
            line: 4,
        };
        assert_eq!(
            with_locus("ERROR:  x\nLINE 1: y\n", locus),
            "airlock:s.sql:4: ERROR:  x\nLINE 1: y\n"
        );
        assert_eq!(with_locus("ERROR:  x\n", Locus::NONE), "ERROR:  x\n");
    }
}
