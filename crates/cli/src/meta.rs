//! Backslash commands: one enum, one table that both parsing and `\?` read.
//!
//! Arguments follow psql's rules where they matter here: words are separated by
//! whitespace, a `"double-quoted"` name keeps its case (an unquoted one is folded to
//! lower case, as SQL identifiers are), a `'single-quoted'` file name may hold spaces,
//! and trailing semicolons are dropped (`\d conn;` works as in psql).

use std::fmt::Write as _;

/// A parsed backslash command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaCommand {
    /// `\?`
    Help,
    /// `\q`
    Quit,
    /// `\d` (all objects) or `\d NAME` (one object in detail).
    Describe(Option<Name>),
    /// `\dc [PATTERN]`
    ListConnections(Option<Name>),
    /// `\ds [PATTERN]`
    ListSecrets(Option<Name>),
    /// `\x [on|off]` (toggles without an argument).
    Expanded(Option<bool>),
    /// `\timing [on|off]` (toggles without an argument).
    Timing(Option<bool>),
    /// `\i FILE`
    Include(String),
    /// `\backup FILE`: a copy of the live catalog, its key file beside it.
    Backup(String),
}

/// An object name or psql pattern from a backslash command, already case-folded unless
/// it was double-quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    /// Whether it was written in double quotes (then `*` and `?` are literal, as in psql).
    pub quoted: bool,
}

/// The kinds of backslash command, in the order `\?` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKind {
    Help,
    Quit,
    Describe,
    ListConnections,
    ListSecrets,
    Expanded,
    Timing,
    Include,
    Backup,
}

/// One row of the table: how a command is spelled and what `\?` says about it.
#[derive(Debug, Clone, Copy)]
pub struct MetaSpec {
    pub kind: MetaKind,
    /// The command name without the backslash; the first is the one `\?` shows.
    pub names: &'static [&'static str],
    /// The arguments as `\?` shows them.
    pub args: &'static str,
    pub help: &'static str,
    pub section: &'static str,
}

/// Every backslash command Airlock knows.
pub const COMMANDS: &[MetaSpec] = &[
    MetaSpec {
        kind: MetaKind::Help,
        names: &["?"],
        args: "",
        help: "show help on backslash commands",
        section: "General",
    },
    MetaSpec {
        kind: MetaKind::Quit,
        names: &["q", "quit"],
        args: "",
        help: "quit airlock",
        section: "General",
    },
    MetaSpec {
        kind: MetaKind::Describe,
        names: &["d"],
        args: "[NAME]",
        help: "list all objects, or describe a connection or secret",
        section: "Informational",
    },
    MetaSpec {
        kind: MetaKind::ListConnections,
        names: &["dc"],
        args: "[PATTERN]",
        help: "list connections",
        section: "Informational",
    },
    MetaSpec {
        kind: MetaKind::ListSecrets,
        names: &["ds"],
        args: "[PATTERN]",
        help: "list secrets (names and dates, never values)",
        section: "Informational",
    },
    MetaSpec {
        kind: MetaKind::Expanded,
        names: &["x"],
        args: "[on|off]",
        help: "toggle expanded output",
        section: "Formatting",
    },
    MetaSpec {
        kind: MetaKind::Timing,
        names: &["timing"],
        args: "[on|off]",
        help: "toggle timing of commands",
        section: "Formatting",
    },
    MetaSpec {
        kind: MetaKind::Include,
        names: &["i", "include"],
        args: "FILE",
        help: "execute commands from file",
        section: "Input/Output",
    },
    MetaSpec {
        kind: MetaKind::Backup,
        names: &["backup"],
        args: "FILE",
        help: "copy the catalog (and its key file) to a new FILE",
        section: "Input/Output",
    },
];

/// Why a backslash command line was refused; the text is what psql would print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaError(pub String);

impl std::fmt::Display for MetaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses one backslash command line (leading whitespace allowed).
pub fn parse(line: &str) -> Result<MetaCommand, MetaError> {
    let line = line.trim_start();
    let body = line.strip_prefix('\\').unwrap_or(line);
    let name_end = body
        .find(|c: char| c.is_whitespace() || c == '\\')
        .unwrap_or(body.len());
    let (name, rest) = body.split_at(name_end);
    let spec = COMMANDS
        .iter()
        .find(|spec| spec.names.contains(&name))
        .ok_or_else(|| MetaError(format!("invalid command \\{name}")))?;
    let args = split_args(rest)?;
    let mut args = args.into_iter();
    let command = match spec.kind {
        MetaKind::Help => MetaCommand::Help,
        MetaKind::Quit => MetaCommand::Quit,
        MetaKind::Describe => MetaCommand::Describe(args.next().map(Arg::into_name)),
        MetaKind::ListConnections => MetaCommand::ListConnections(args.next().map(Arg::into_name)),
        MetaKind::ListSecrets => MetaCommand::ListSecrets(args.next().map(Arg::into_name)),
        MetaKind::Expanded => MetaCommand::Expanded(toggle_arg(name, args.next())?),
        MetaKind::Timing => MetaCommand::Timing(toggle_arg(name, args.next())?),
        MetaKind::Include => match args.next() {
            Some(arg) => MetaCommand::Include(arg.text),
            None => return Err(MetaError(format!("\\{name}: missing required argument"))),
        },
        MetaKind::Backup => match args.next() {
            Some(arg) => MetaCommand::Backup(arg.text),
            None => return Err(MetaError(format!("\\{name}: missing required argument"))),
        },
    };
    // psql warns about and ignores surplus arguments.
    if let Some(extra) = args.next() {
        return Err(MetaError(format!(
            "\\{name}: extra argument \"{}\" ignored",
            extra.text
        )));
    }
    Ok(command)
}

/// `\?`'s text, grouped by section in table order.
pub fn help_text() -> String {
    let mut out = String::new();
    let mut section = "";
    for spec in COMMANDS {
        if spec.section != section {
            if !section.is_empty() {
                out.push('\n');
            }
            section = spec.section;
            let _ = writeln!(out, "{section}");
        }
        let usage = if spec.args.is_empty() {
            format!("\\{}", spec.names[0])
        } else {
            format!("\\{} {}", spec.names[0], spec.args)
        };
        let _ = writeln!(out, "  {usage:<22} {}", spec.help);
    }
    out.push('\n');
    out
}

/// One argument as written.
#[derive(Debug)]
struct Arg {
    text: String,
    quoted: bool,
}

impl Arg {
    fn into_name(self) -> Name {
        let text = if self.quoted {
            self.text
        } else {
            self.text.to_lowercase()
        };
        Name {
            text,
            quoted: self.quoted,
        }
    }
}

fn toggle_arg(name: &str, arg: Option<Arg>) -> Result<Option<bool>, MetaError> {
    arg.map(|arg| crate::args::parse_bool(&format!("\\{name}"), &arg.text).map_err(MetaError))
        .transpose()
}

/// Splits arguments on whitespace, honouring psql's quotes: `'…'` (with `''` for a
/// quote) and `"…"` (with `""`). An unquoted argument loses its trailing semicolons.
fn split_args(text: &str) -> Result<Vec<Arg>, MetaError> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else {
            break;
        };
        if first == '\\' {
            // A following backslash command on the same line: psql would run it; Airlock
            // reads one command per line.
            return Err(MetaError(
                "only one backslash command per line is supported".to_owned(),
            ));
        }
        let mut text = String::new();
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            if c == '\'' || c == '"' {
                quoted = true;
                loop {
                    match chars.next() {
                        Some(q) if q == c => {
                            if chars.next_if_eq(&c).is_some() {
                                text.push(c);
                            } else {
                                break;
                            }
                        }
                        Some(other) => text.push(other),
                        None => {
                            return Err(MetaError(format!(
                                "unterminated quoted string: {c}{text}"
                            )));
                        }
                    }
                }
            } else {
                text.push(c);
            }
        }
        if !quoted {
            let trimmed = text.trim_end_matches(';').len();
            text.truncate(trimmed);
            if text.is_empty() {
                continue;
            }
        }
        args.push(Arg { text, quoted });
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str, quoted: bool) -> Option<Name> {
        Some(Name {
            text: text.to_owned(),
            quoted,
        })
    }

    #[test]
    fn parses_every_command() {
        assert_eq!(parse("\\?"), Ok(MetaCommand::Help));
        assert_eq!(parse("  \\q"), Ok(MetaCommand::Quit));
        assert_eq!(parse("\\d"), Ok(MetaCommand::Describe(None)));
        assert_eq!(
            parse("\\d My_Conn;"),
            Ok(MetaCommand::Describe(name("my_conn", false)))
        );
        assert_eq!(
            parse("\\d \"My Conn\""),
            Ok(MetaCommand::Describe(name("My Conn", true)))
        );
        assert_eq!(
            parse("\\dc aws*"),
            Ok(MetaCommand::ListConnections(name("aws*", false)))
        );
        assert_eq!(parse("\\ds"), Ok(MetaCommand::ListSecrets(None)));
        assert_eq!(parse("\\x"), Ok(MetaCommand::Expanded(None)));
        assert_eq!(parse("\\x on"), Ok(MetaCommand::Expanded(Some(true))));
        assert_eq!(parse("\\timing off"), Ok(MetaCommand::Timing(Some(false))));
        assert_eq!(
            parse("\\i 'my file.sql'"),
            Ok(MetaCommand::Include("my file.sql".to_owned()))
        );
    }

    #[test]
    fn refuses_like_psql() {
        assert_eq!(
            parse("\\dq"),
            Err(MetaError("invalid command \\dq".to_owned()))
        );
        assert!(parse("\\i").is_err());
        assert!(parse("\\x maybe").is_err());
        assert!(parse("\\d a b").is_err());
        assert!(parse("\\i 'open").is_err());
        assert!(parse("\\").is_err());
    }

    #[test]
    fn help_lists_every_command() {
        let help = help_text();
        for spec in COMMANDS {
            assert!(help.contains(&format!("\\{}", spec.names[0])), "{help}");
        }
    }
}
