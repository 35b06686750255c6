//! The interactive shell: a prompt with line editing (`rustyline`), psql's prompts, and
//! a history that holds only redacted statements.
//!
//! - `airlock=> ` starts a statement; `airlock-> ` continues one, or `airlock'> `,
//!   `airlock"> `, `airlock*> `, `airlock(> ` inside a string, quoted name, comment or
//!   parentheses (psql's `%R`).
//! - Ctrl-C clears the statement being typed; Ctrl-D on an empty line exits (psql
//!   prints `\q`).
//! - Rustyline's automatic history is off: an entry is added only after a statement
//!   parsed, in its redacted form ([`crate::history`]), and appended to the file at once,
//!   so neither the file nor the up-arrow recall ever holds what was typed verbatim.

use std::path::PathBuf;

use airlock_engine::parser::sqlparser::dialect::PostgreSqlDialect;
use airlock_engine::parser::sqlparser::tokenizer::{Token, Tokenizer};
use airlock_engine::parser::{is_blank, split_complete};
use rustyline::config::Config;
use rustyline::error::ReadlineError;
use rustyline::history::{FileHistory, History};
use rustyline::{DefaultEditor, Editor};

use crate::history::history_path;
use crate::run::{EXIT_FAILURE, EXIT_SUCCESS, Locus, Runner, write_stderr, write_stdout};

/// The prompt name; psql shows the database name there.
const NAME: &str = "airlock";

/// Runs the interactive loop until `\q` or Ctrl-D; returns the exit status.
pub fn run(runner: &mut Runner, catalog_label: &str) -> u8 {
    let config = Config::builder()
        .auto_add_history(false)
        .history_ignore_space(false)
        .build();
    let mut editor: DefaultEditor = match Editor::with_config(config) {
        Ok(editor) => editor,
        Err(e) => {
            write_stderr(&format!("airlock: error: cannot start line editing: {e}\n"));
            return EXIT_FAILURE;
        }
    };
    let history_file = history_path();
    if let Some(path) = &history_file
        && path.exists()
    {
        // A history file we cannot read is no reason not to start.
        let _ = editor.load_history(path);
    }

    if !runner.settings.quiet {
        write_stdout(&format!(
            "{NAME} {} ({catalog_label})\nType \"\\?\" for help, \"\\q\" to quit.\n\n",
            env!("CARGO_PKG_VERSION")
        ));
    }

    let mut buffer = String::new();
    let mut entries = Vec::new();
    loop {
        let prompt = prompt_for(&buffer);
        match editor.readline(&prompt) {
            Ok(line) => {
                runner.clear_interrupt();
                let step = runner.feed_line(
                    &mut buffer,
                    &line,
                    Locus {
                        file: None,
                        line: 0,
                    },
                    &mut entries,
                );
                for entry in entries.drain(..) {
                    remember(&mut editor, history_file.as_ref(), entry);
                }
                if step.quit {
                    return EXIT_SUCCESS;
                }
            }
            Err(ReadlineError::Interrupted) => {
                // Ctrl-C: forget the statement being typed, as psql does.
                buffer.clear();
            }
            Err(ReadlineError::Eof) => {
                if !runner.settings.quiet {
                    write_stdout("\\q\n");
                }
                return EXIT_SUCCESS;
            }
            Err(e) => {
                write_stderr(&format!("airlock: error: reading input: {e}\n"));
                return EXIT_FAILURE;
            }
        }
    }
}

/// Adds a (redacted) entry to the in-memory history and appends it to the file.
fn remember(editor: &mut Editor<(), FileHistory>, file: Option<&PathBuf>, entry: String) {
    let added = editor.add_history_entry(entry).unwrap_or(false);
    if added && let Some(path) = file {
        // Appending after every entry keeps history across a crash or a kill; a file we
        // cannot write must not end the session.
        let _ = editor.history_mut().append(path);
    }
}

/// psql's prompt for the state of the statement buffer (`%R`).
pub fn prompt_for(buffer: &str) -> String {
    if is_blank(buffer) {
        return format!("{NAME}=> ");
    }
    // Only the unfinished tail matters: complete statements have already run.
    let rest = split_complete(buffer).rest;
    let marker = match Tokenizer::new(&PostgreSqlDialect {}, rest).tokenize() {
        Ok(tokens) => {
            let depth = tokens.iter().fold(0i64, |depth, t| match t {
                Token::LParen => depth + 1,
                Token::RParen => depth - 1,
                _ => depth,
            });
            if depth > 0 { '(' } else { '-' }
        }
        Err(e) if e.message.contains("delimiter") => '"',
        Err(e) if e.message.contains("comment") => '*',
        Err(e) if e.message.contains("dollar") => '$',
        Err(_) => '\'',
    };
    format!("{NAME}{marker}> ")
}

#[cfg(test)]
mod tests {
    use super::prompt_for;

    #[test]
    fn prompts_follow_the_buffer() {
        assert_eq!(prompt_for(""), "airlock=> ");
        assert_eq!(prompt_for("  \n"), "airlock=> ");
        assert_eq!(prompt_for("SELECT 1\n"), "airlock-> ");
        assert_eq!(prompt_for("SELECT 'a\n"), "airlock'> ");
        assert_eq!(prompt_for("SELECT \"a\n"), "airlock\"> ");
        assert_eq!(prompt_for("SELECT /* a\n"), "airlock*> ");
        assert_eq!(prompt_for("SELECT (1,\n"), "airlock(> ");
    }
}
