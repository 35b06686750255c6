//! Running backslash commands: what each [`MetaCommand`] does to the session, the
//! settings, the query buffer and the output. Parsing is `crate::meta`'s; the printing
//! settings are `crate::pset`'s.

use std::fs::File;
use std::io::{self, Write};

use airlock_engine::core::Diagnostic;
use airlock_engine::parser::is_blank;

use super::{
    Locus, MAX_INCLUDE_DEPTH, QueryTarget, Runner, ScriptEnd, Step, echo_setting, io_message,
    write_stderr, write_stdout,
};
use crate::args::parse_bool;
use crate::describe::{self, Described};
use crate::format::OutputFormat;
use crate::meta::{self, EchoTo, MetaCommand};
use crate::{pset, watch};

impl Runner {
    /// Runs one backslash command line; `buffer` is the statement typed so far.
    ///
    /// Several commands may share the line (`\\x \\t`): each runs in turn.
    pub(super) fn run_meta(
        &mut self,
        line: &str,
        locus: Locus<'_>,
        buffer: &mut String,
        history: &mut Vec<String>,
    ) -> Step {
        let mut step = Step::default();
        let mut rest = line;
        loop {
            let parsed = match meta::parse_with(rest, &self.settings.variables) {
                Ok(parsed) => parsed,
                Err(e) => {
                    self.print_error_line(&e.0, locus);
                    step.merge(Step::failed());
                    return step;
                }
            };
            for warning in &parsed.warnings {
                self.print_warning_line(warning, locus);
            }
            step.merge(self.run_command(parsed.command, locus, buffer, history));
            match parsed.next {
                Some(at) if !step.quit => rest = &rest[at..],
                _ => return step,
            }
        }
    }

    /// Runs one parsed backslash command.
    fn run_command(
        &mut self,
        command: MetaCommand,
        locus: Locus<'_>,
        buffer: &mut String,
        history: &mut Vec<String>,
    ) -> Step {
        match command {
            MetaCommand::Help => write_stdout(&meta::help_text()),
            MetaCommand::Quit => return Step::quit(),
            MetaCommand::Describe(None) => {
                let result = describe::list_objects(self.backend.as_mut());
                return self.print_described(result, locus);
            }
            MetaCommand::Describe(Some(name)) => {
                let result = describe::describe(self.backend.as_mut(), &name);
                return self.print_described(result, locus);
            }
            MetaCommand::ListConnections(pattern) => {
                let result = describe::list_connections(self.backend.as_mut(), pattern.as_ref());
                return self.print_described(result, locus);
            }
            MetaCommand::ListSecrets(pattern) => {
                let result = describe::list_secrets(self.backend.as_mut(), pattern.as_ref());
                return self.print_described(result, locus);
            }
            MetaCommand::Expanded(value) => return self.pset("expanded", value.as_deref(), locus),
            MetaCommand::TuplesOnly(value) => {
                return self.pset("tuples_only", value.as_deref(), locus);
            }
            MetaCommand::Title(value) => return self.pset("title", value.as_deref(), locus),
            MetaCommand::FieldSep(value) => return self.pset("fieldsep", value.as_deref(), locus),
            MetaCommand::TableAttr(value) => {
                return self.pset("tableattr", value.as_deref(), locus);
            }
            MetaCommand::ToggleAligned => {
                let format = if self.settings.print.format == OutputFormat::Aligned {
                    "unaligned"
                } else {
                    "aligned"
                };
                return self.pset("format", Some(format), locus);
            }
            MetaCommand::ToggleHtml => {
                let format = if self.settings.print.format == OutputFormat::Html {
                    "aligned"
                } else {
                    "html"
                };
                return self.pset("format", Some(format), locus);
            }
            MetaCommand::Pset(None, _) => write_stdout(&pset::all(&self.settings.print)),
            MetaCommand::Pset(Some(name), value) => {
                return self.pset(&name, value.as_deref(), locus);
            }
            MetaCommand::Timing(value) => {
                // psql reports the setting even after refusing a value.
                let mut step = Step::default();
                match value {
                    None => self.settings.timing = !self.settings.timing,
                    Some(v) => match parse_bool("\\timing", &v) {
                        Ok(on) => self.settings.timing = on,
                        Err(e) => {
                            self.print_error_line(&e, locus);
                            step = Step::failed();
                        }
                    },
                }
                self.say(if self.settings.timing {
                    "Timing is on.\n"
                } else {
                    "Timing is off.\n"
                });
                return step;
            }
            MetaCommand::Include(path) => return self.include(&path, locus),
            MetaCommand::Backup(path) => return self.backup(&path, locus),
            MetaCommand::Output(path) => return self.set_output(path.as_deref(), locus),
            MetaCommand::Go { file, expanded } => {
                let text = self.take_query(buffer);
                if is_blank(&text) {
                    return Step::default();
                }
                let target = QueryTarget { file, expanded };
                let (step, entry) = self.run_sql(&text, locus, true, &target);
                history.extend(entry);
                return step;
            }
            MetaCommand::Watch(seconds) => {
                let text = self.take_query(buffer);
                return self.watch(&text, &seconds, locus, history);
            }
            MetaCommand::Edit(file) => {
                // psql hands the editor a file that ends in a newline.
                let mut text = self.take_query(buffer);
                if !text.is_empty() {
                    text.push('\n');
                }
                let edited = match crate::edit::edit(&text, file.as_deref()) {
                    Ok(edited) => edited,
                    Err(e) => {
                        buffer.push_str(&text);
                        self.print_error_line(&e, locus);
                        return Step::failed();
                    }
                };
                // The edited text is read as typed lines: complete statements run now,
                // the rest stays in the buffer.
                buffer.clear();
                let mut step = Step::default();
                for line in edited.lines() {
                    step.merge(self.feed_line(buffer, line, locus, history));
                    if step.quit || step.fatal {
                        break;
                    }
                }
                return step;
            }
            MetaCommand::Reset => {
                buffer.clear();
                self.say("Query buffer reset (cleared).\n");
            }
            MetaCommand::PrintBuffer => {
                // An empty buffer shows the last query sent, as `\g` would run it.
                let text = if is_blank(buffer) {
                    self.last_query.as_deref().unwrap_or_default()
                } else {
                    buffer.as_str()
                };
                if is_blank(text) {
                    write_stdout("Query buffer is empty.\n");
                } else {
                    write_stdout(&format!("{}\n", text.trim_end_matches('\n')));
                }
            }
            MetaCommand::Set(args) => return self.set_variable(&args, locus),
            MetaCommand::Unset(name) => {
                self.settings.variables.unset(&name);
                self.variable_changed(&name, None);
            }
            MetaCommand::Echo(to, args) => {
                let (newline, words) = match args.first().map(String::as_str) {
                    Some("-n") => (false, &args[1..]),
                    _ => (true, &args[..]),
                };
                let mut text = words.join(" ");
                if newline {
                    text.push('\n');
                }
                match to {
                    EchoTo::Stdout => write_stdout(&text),
                    EchoTo::QueryOutput => self.emit(None, &text),
                    EchoTo::Stderr => write_stderr(&text),
                }
            }
            MetaCommand::ConnInfo => write_stdout(&self.backend.conninfo()),
            MetaCommand::Shell(command) => return self.shell(command.as_deref(), locus),
        }
        Step::default()
    }

    /// `\watch`: runs `text` every interval, titled with the time, until Ctrl-C (or
    /// an error). The pager is off meanwhile, as in psql.
    fn watch(
        &mut self,
        text: &str,
        seconds: &Option<String>,
        locus: Locus<'_>,
        history: &mut Vec<String>,
    ) -> Step {
        if is_blank(text) {
            self.print_error_line("\\watch cannot be used with an empty query", locus);
            return Step::failed();
        }
        let interval = watch::interval(seconds.as_deref());
        let saved = self.settings.print.clone();
        let mut step = Step::default();
        let mut remembered = false;
        loop {
            let user_title = saved.title.as_deref();
            self.settings.print.title = Some(watch::title(
                user_title,
                std::time::SystemTime::now(),
                interval,
            ));
            self.settings.print.pager = crate::format::Pager::Off;
            let (result, entry) = self.run_sql(text, locus, true, &QueryTarget::default());
            if !remembered {
                history.extend(entry);
                remembered = true;
            }
            if result.failed {
                step = result;
                break;
            }
            if watch::wait(interval, &self.interrupt) {
                break;
            }
        }
        self.settings.print = saved;
        step
    }

    /// The query `\g`, `\watch` and `\e` work on: the buffer (emptied), else the last
    /// query sent — without the buffer's last newline, as psql's buffer has none.
    fn take_query(&mut self, buffer: &mut String) -> String {
        let mut text = if is_blank(buffer) {
            self.last_query.clone().unwrap_or_default()
        } else {
            std::mem::take(buffer)
        };
        if text.ends_with('\n') {
            text.pop();
        }
        text
    }

    /// `\pset NAME [VALUE]` and the commands that are shorthands for it.
    fn pset(&mut self, name: &str, value: Option<&str>, locus: Locus<'_>) -> Step {
        match pset::apply(&mut self.settings.print, name, value) {
            Ok(pset::Outcome::Show) => {
                self.say(&format!("{}\n", pset::info(&self.settings.print, name)));
                Step::default()
            }
            Ok(pset::Outcome::Silent) => Step::default(),
            Err(e) => {
                self.print_error_line(&e, locus);
                Step::failed()
            }
        }
    }

    /// `\set`: lists the variables, or sets one to its arguments joined.
    fn set_variable(&mut self, args: &[String], locus: Locus<'_>) -> Step {
        let Some((name, values)) = args.split_first() else {
            write_stdout(&self.settings.variables.listing());
            return Step::default();
        };
        let value = values.concat();
        // psql checks the variables it gives a meaning to before setting them.
        if matches!(name.as_str(), "ON_ERROR_STOP" | "QUIET")
            && let Err(e) = parse_bool(name, &value)
        {
            self.print_error_line(&e, locus);
            return Step::failed();
        }
        if let Err(e) = self.settings.variables.set(name, &value) {
            self.print_error_line(&e, locus);
            return Step::failed();
        }
        self.variable_changed(name, Some(&value));
        Step::default()
    }

    /// The variables psql gives a meaning to.
    pub(super) fn variable_changed(&mut self, name: &str, value: Option<&str>) {
        let flag = value.map(|v| parse_bool(name, v).unwrap_or(false));
        match name {
            "ON_ERROR_STOP" => self.settings.on_error_stop = flag.unwrap_or(false),
            "QUIET" => self.settings.quiet = flag.unwrap_or(false),
            "ECHO" => self.settings.echo = echo_setting(value),
            _ => {}
        }
    }

    /// `\o [FILE]`: results to FILE from now on, or back to standard output.
    pub(super) fn set_output(&mut self, path: Option<&str>, locus: Locus<'_>) -> Step {
        self.output = None;
        let Some(path) = path else {
            return Step::default();
        };
        if path.starts_with('|') {
            self.print_error_line("\\o: piping to a command is not supported", locus);
            return Step::failed();
        }
        match File::create(path) {
            Ok(file) => {
                self.output = Some(file);
                Step::default()
            }
            Err(e) => {
                self.print_error_line(&format!("{path}: {}", io_message(&e)), locus);
                Step::failed()
            }
        }
    }

    /// `\! [COMMAND]`: runs COMMAND with `/bin/sh -c`, or an interactive `$SHELL`.
    fn shell(&mut self, command: Option<&str>, locus: Locus<'_>) -> Step {
        let _ = io::stdout().lock().flush();
        let status = match command {
            Some(command) => std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(command)
                .status(),
            None => {
                let shell = std::env::var_os("SHELL").unwrap_or_else(|| "/bin/sh".into());
                std::process::Command::new(shell).status()
            }
        };
        match status {
            Ok(status) if status.success() => Step::default(),
            _ => {
                self.print_error_line("\\!: failed", locus);
                Step::failed()
            }
        }
    }

    /// `\backup FILE`: copies the live catalog, and its key file, to a new FILE.
    fn backup(&mut self, path: &str, locus: Locus<'_>) -> Step {
        match self.backend.backup(std::path::Path::new(path)) {
            Ok(()) => {
                self.say(&format!("Catalog copied to {path}.\n"));
                Step::default()
            }
            Err(e) => {
                self.print_diagnostic(&e, None, locus);
                Step::failed()
            }
        }
    }

    /// `\i FILE`: runs the file as a script nested in this one. An error that stops it
    /// under `ON_ERROR_STOP` stops the includer too.
    fn include(&mut self, path: &str, locus: Locus<'_>) -> Step {
        if self.include_depth >= MAX_INCLUDE_DEPTH {
            self.print_error_line(
                &format!("{path}: \\i nested more than {MAX_INCLUDE_DEPTH} levels deep"),
                locus,
            );
            return Step::failed();
        }
        self.include_depth += 1;
        let end = self.run_file(path);
        self.include_depth -= 1;
        match end {
            Err(e) => {
                self.print_error_line(&format!("{path}: {}", io_message(&e)), locus);
                Step::failed()
            }
            // A file that could not be read to its end is an error of the `\\i`, as a
            // missing file is.
            Ok(ScriptEnd::Stopped | ScriptEnd::ReadError) => Step::failed(),
            Ok(ScriptEnd::Finished { .. }) => Step::default(),
            Ok(ScriptEnd::Quit) => Step::quit(),
        }
    }

    fn print_described(&mut self, result: Result<Described, Diagnostic>, locus: Locus<'_>) -> Step {
        match result {
            Ok(Described::Listing(listing)) => {
                write_stdout(&describe::render(&listing, &self.settings.print));
                Step::default()
            }
            Ok(Described::Nothing { message, failed }) => {
                self.print_error_line(&message, locus);
                Step {
                    failed,
                    ..Step::default()
                }
            }
            Err(e) => {
                self.print_diagnostic(&e, None, locus);
                Step::failed()
            }
        }
    }
}
