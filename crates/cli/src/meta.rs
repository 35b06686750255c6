//! Backslash commands: one enum, one table that both parsing and `\?` read.
//!
//! Arguments follow psql's rules where they matter here: words are separated by
//! whitespace; a `'single-quoted'` argument may hold spaces (`''` is a quote); a
//! `"double-quoted"` name keeps its case (an unquoted one is folded to lower case, as SQL
//! identifiers are), while a value (`\set`, `\pset`, `\echo`) keeps its double quotes,
//! as psql's do; trailing semicolons of names and files are dropped (`\d conn;`). As in
//! psql, surplus arguments are warned about and ignored.

use std::fmt::Write as _;

use crate::variables::Variables;

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
    /// `\x [on|off|auto]` (toggles without an argument).
    Expanded(Option<String>),
    /// `\timing [on|off]` (toggles without an argument).
    Timing(Option<String>),
    /// `\pset [NAME [VALUE]]`
    Pset(Option<String>, Option<String>),
    /// `\t [on|off]`
    TuplesOnly(Option<String>),
    /// `\a`: aligned ⇄ unaligned.
    ToggleAligned,
    /// `\H`: HTML ⇄ aligned.
    ToggleHtml,
    /// `\C [TITLE]`
    Title(Option<String>),
    /// `\f [SEP]`
    FieldSep(Option<String>),
    /// `\T [ATTRIBUTES]`
    TableAttr(Option<String>),
    /// `\i FILE`
    Include(String),
    /// `\backup FILE`: a copy of the live catalog, its key file beside it.
    Backup(String),
    /// `\o [FILE]`: results to FILE (or back to standard output).
    Output(Option<String>),
    /// `\g [FILE]`, `\gx [FILE]`: run the query buffer (or the last query).
    Go {
        file: Option<String>,
        expanded: bool,
    },
    /// `\r`: empty the query buffer.
    Reset,
    /// `\watch [SEC]`: run the query buffer every SEC seconds until Ctrl-C.
    Watch(Option<String>),
    /// `\e [FILE]`: edit the query buffer (or FILE) in an editor.
    Edit(Option<String>),
    /// `\p`: show the query buffer.
    PrintBuffer,
    /// `\set [NAME [VALUE ...]]`
    Set(Vec<String>),
    /// `\unset NAME`
    Unset(String),
    /// `\echo [TEXT ...]` (standard output), `\qecho` (the query output, `\o`) and
    /// `\warn` (standard error).
    Echo(EchoTo, Vec<String>),
    /// `\conninfo`
    ConnInfo,
    /// `\! [COMMAND]`
    Shell(Option<String>),
}

/// Where `\echo` and its siblings write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EchoTo {
    Stdout,
    QueryOutput,
    Stderr,
}

/// A backslash command and the warnings its parsing produced (psql's
/// `\x: extra argument "y" ignored`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub command: MetaCommand,
    pub warnings: Vec<String>,
    /// Where the next backslash command on the same line starts (`\\x \\t`), as a byte
    /// offset into the line given to [`parse`].
    pub next: Option<usize>,
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
    ConnInfo,
    Echo,
    QueryEcho,
    Warn,
    Shell,
    Timing,
    Go,
    GoExpanded,
    PrintBuffer,
    Reset,
    Watch,
    Edit,
    Describe,
    ListConnections,
    ListSecrets,
    ToggleAligned,
    Title,
    FieldSep,
    ToggleHtml,
    Pset,
    TuplesOnly,
    TableAttr,
    Expanded,
    Include,
    Output,
    Backup,
    Set,
    Unset,
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

const fn spec(
    kind: MetaKind,
    names: &'static [&'static str],
    args: &'static str,
    help: &'static str,
    section: &'static str,
) -> MetaSpec {
    MetaSpec {
        kind,
        names,
        args,
        help,
        section,
    }
}

/// Every backslash command Airlock knows.
pub const COMMANDS: &[MetaSpec] = &[
    spec(
        MetaKind::Help,
        &["?"],
        "",
        "show help on backslash commands",
        "General",
    ),
    spec(
        MetaKind::Quit,
        &["q", "quit"],
        "",
        "quit airlock",
        "General",
    ),
    spec(
        MetaKind::ConnInfo,
        &["conninfo"],
        "",
        "show the catalog this session uses",
        "General",
    ),
    spec(
        MetaKind::Echo,
        &["echo"],
        "[STRING]",
        "write string to standard output",
        "General",
    ),
    spec(
        MetaKind::QueryEcho,
        &["qecho"],
        "[STRING]",
        "write string to \\o output stream",
        "General",
    ),
    spec(
        MetaKind::Warn,
        &["warn"],
        "[STRING]",
        "write string to standard error",
        "General",
    ),
    spec(
        MetaKind::Shell,
        &["!"],
        "[COMMAND]",
        "execute command in shell or start interactive shell",
        "General",
    ),
    spec(
        MetaKind::Timing,
        &["timing"],
        "[on|off]",
        "toggle timing of commands",
        "General",
    ),
    spec(
        MetaKind::Go,
        &["g"],
        "[FILE]",
        "execute query (and send results to file)",
        "Query Buffer",
    ),
    spec(
        MetaKind::GoExpanded,
        &["gx"],
        "[FILE]",
        "as \\g, but forces expanded output mode",
        "Query Buffer",
    ),
    spec(
        MetaKind::PrintBuffer,
        &["p"],
        "",
        "show the contents of the query buffer",
        "Query Buffer",
    ),
    spec(
        MetaKind::Reset,
        &["r"],
        "",
        "reset (clear) the query buffer",
        "Query Buffer",
    ),
    spec(
        MetaKind::Edit,
        &["e", "edit"],
        "[FILE]",
        "edit the query buffer (or file) with external editor",
        "Query Buffer",
    ),
    spec(
        MetaKind::Watch,
        &["watch"],
        "[SEC]",
        "execute query every SEC seconds",
        "Query Buffer",
    ),
    spec(
        MetaKind::Describe,
        &["d"],
        "[NAME]",
        "list all objects, or describe a connection or secret",
        "Informational",
    ),
    spec(
        MetaKind::ListConnections,
        &["dc"],
        "[PATTERN]",
        "list connections",
        "Informational",
    ),
    spec(
        MetaKind::ListSecrets,
        &["ds"],
        "[PATTERN]",
        "list secrets (names and dates, never values)",
        "Informational",
    ),
    spec(
        MetaKind::ToggleAligned,
        &["a"],
        "",
        "toggle between unaligned and aligned output mode",
        "Formatting",
    ),
    spec(
        MetaKind::Title,
        &["C"],
        "[STRING]",
        "set table title, or unset if none",
        "Formatting",
    ),
    spec(
        MetaKind::FieldSep,
        &["f"],
        "[STRING]",
        "show or set field separator for unaligned query output",
        "Formatting",
    ),
    spec(
        MetaKind::ToggleHtml,
        &["H"],
        "",
        "toggle HTML output mode",
        "Formatting",
    ),
    spec(
        MetaKind::Pset,
        &["pset"],
        "[NAME [VALUE]]",
        "set table output option",
        "Formatting",
    ),
    spec(
        MetaKind::TuplesOnly,
        &["t"],
        "[on|off]",
        "show only rows",
        "Formatting",
    ),
    spec(
        MetaKind::TableAttr,
        &["T"],
        "[STRING]",
        "set HTML <table> tag attributes, or unset if none",
        "Formatting",
    ),
    spec(
        MetaKind::Expanded,
        &["x"],
        "[on|off|auto]",
        "toggle expanded output",
        "Formatting",
    ),
    spec(
        MetaKind::Include,
        &["i", "include"],
        "FILE",
        "execute commands from file",
        "Input/Output",
    ),
    spec(
        MetaKind::Output,
        &["o", "out"],
        "[FILE]",
        "send all query results to file",
        "Input/Output",
    ),
    spec(
        MetaKind::Backup,
        &["backup"],
        "FILE",
        "copy the catalog (and its key file) to a new FILE",
        "Input/Output",
    ),
    spec(
        MetaKind::Set,
        &["set"],
        "[NAME [VALUE]]",
        "set internal variable, or list all if no parameters",
        "Variables",
    ),
    spec(
        MetaKind::Unset,
        &["unset"],
        "NAME",
        "unset (delete) internal variable",
        "Variables",
    ),
];

/// Why a backslash command line was refused; the text is what psql would print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaError(pub String);

impl std::fmt::Display for MetaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses one backslash command line (leading whitespace allowed), without variables.
pub fn parse(line: &str) -> Result<Parsed, MetaError> {
    parse_with(line, &Variables::default())
}

/// Parses one backslash command line, interpolating `:name`, `:'name'` and `:"name"`
/// outside quotes as psql does (the value is taken as it is, quotes and all).
pub fn parse_with(line: &str, variables: &Variables) -> Result<Parsed, MetaError> {
    let line = line.trim_start();
    let body = line.strip_prefix('\\').unwrap_or(line);
    // `\!` and `\?` need no space before what follows.
    let name_end = if body.starts_with(['!', '?']) {
        1
    } else {
        body.find(|c: char| c.is_whitespace() || c == '\\')
            .unwrap_or(body.len())
    };
    let (name, rest) = body.split_at(name_end);
    let spec = COMMANDS
        .iter()
        .find(|spec| spec.names.contains(&name))
        .ok_or_else(|| MetaError(format!("invalid command \\{name}")))?;
    if spec.kind == MetaKind::Shell {
        let command = rest.trim();
        return Ok(Parsed {
            command: MetaCommand::Shell((!command.is_empty()).then(|| command.to_owned())),
            warnings: Vec::new(),
            next: None,
        });
    }
    let (args, next) = split_args(rest, variables)?;
    // `rest` is a suffix of `line`.
    let next = next.map(|at| line.len() - rest.len() + at);
    let mut args = args.into_iter();
    let missing = || MetaError(format!("\\{name}: missing required argument"));
    let value = |args: &mut std::vec::IntoIter<Arg>| args.next().map(|a| a.raw);
    let command = match spec.kind {
        MetaKind::Help => MetaCommand::Help,
        MetaKind::Quit => MetaCommand::Quit,
        MetaKind::ConnInfo => MetaCommand::ConnInfo,
        MetaKind::Describe => MetaCommand::Describe(name_arg(&mut args)),
        MetaKind::ListConnections => MetaCommand::ListConnections(name_arg(&mut args)),
        MetaKind::ListSecrets => MetaCommand::ListSecrets(name_arg(&mut args)),
        MetaKind::Expanded => MetaCommand::Expanded(value(&mut args)),
        MetaKind::Timing => MetaCommand::Timing(value(&mut args)),
        MetaKind::Pset => {
            let name = value(&mut args);
            MetaCommand::Pset(name, value(&mut args))
        }
        MetaKind::TuplesOnly => MetaCommand::TuplesOnly(value(&mut args)),
        MetaKind::ToggleAligned => MetaCommand::ToggleAligned,
        MetaKind::ToggleHtml => MetaCommand::ToggleHtml,
        MetaKind::Title => MetaCommand::Title(value(&mut args)),
        MetaKind::FieldSep => MetaCommand::FieldSep(value(&mut args)),
        MetaKind::TableAttr => MetaCommand::TableAttr(value(&mut args)),
        MetaKind::Include => MetaCommand::Include(file_arg(&mut args).ok_or_else(missing)?),
        MetaKind::Backup => MetaCommand::Backup(file_arg(&mut args).ok_or_else(missing)?),
        MetaKind::Output => MetaCommand::Output(file_arg(&mut args)),
        MetaKind::Go | MetaKind::GoExpanded => MetaCommand::Go {
            file: file_arg(&mut args),
            expanded: spec.kind == MetaKind::GoExpanded,
        },
        MetaKind::PrintBuffer => MetaCommand::PrintBuffer,
        MetaKind::Reset => MetaCommand::Reset,
        MetaKind::Watch => MetaCommand::Watch(value(&mut args)),
        MetaKind::Edit => MetaCommand::Edit(file_arg(&mut args)),
        MetaKind::Set => MetaCommand::Set(args.by_ref().map(|a| a.raw).collect()),
        MetaKind::Unset => MetaCommand::Unset(args.next().ok_or_else(missing)?.raw),
        MetaKind::Echo | MetaKind::QueryEcho | MetaKind::Warn => {
            let to = match spec.kind {
                MetaKind::QueryEcho => EchoTo::QueryOutput,
                MetaKind::Warn => EchoTo::Stderr,
                _ => EchoTo::Stdout,
            };
            MetaCommand::Echo(to, args.by_ref().map(|a| a.raw).collect())
        }
        MetaKind::Shell => unreachable!("handled above"),
    };
    // psql warns about and ignores surplus arguments.
    let warnings = args
        .map(|extra| format!("\\{name}: extra argument \"{}\" ignored", extra.raw))
        .collect();
    Ok(Parsed {
        command,
        warnings,
        next,
    })
}

/// The length of a `:'name'` or `:"name"` reference at the start of `text`.
fn quoted_reference_len(text: &str) -> Option<usize> {
    let quote = text[1..]
        .chars()
        .next()
        .filter(|&q| q == '\'' || q == '"')?;
    let name_len = text[2..]
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii()))
        .map_or(text.len() - 2, |(i, _)| i);
    (name_len > 0 && text[2 + name_len..].starts_with(quote)).then_some(3 + name_len)
}

/// A name or pattern argument (`\d conn;` is `conn`).
fn name_arg(args: &mut std::vec::IntoIter<Arg>) -> Option<Name> {
    args.next()
        .filter(|a| !a.text.is_empty())
        .map(Arg::into_name)
}

/// A file argument, without trailing semicolons.
fn file_arg(args: &mut std::vec::IntoIter<Arg>) -> Option<String> {
    args.next().map(|a| a.text).filter(|t| !t.is_empty())
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
    /// Without its quotes: a name or a file.
    text: String,
    /// psql's `OT_NORMAL` form, for values: single quotes removed, double quotes kept.
    raw: String,
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

/// Splits arguments on whitespace, honouring psql's quotes: `'…'` (with `''` for a
/// quote, and `\t`-style escapes) and `"…"` (with `""`). An unquoted argument loses
/// its trailing semicolons. A variable reference outside quotes is replaced by its value.
///
/// Arguments end at a backslash that starts a word: the next command on the line, whose
/// offset comes back with them.
fn split_args(line: &str, variables: &Variables) -> Result<(Vec<Arg>, Option<usize>), MetaError> {
    let mut args = Vec::new();
    let mut at = 0;
    let next_char = |at: usize| line[at..].chars().next();
    loop {
        while let Some(c) = next_char(at).filter(|c| c.is_whitespace()) {
            at += c.len_utf8();
        }
        let Some(first) = next_char(at) else {
            break;
        };
        if first == '\\' {
            return Ok((args, Some(at)));
        }
        let mut text = String::new();
        let mut raw = String::new();
        let mut quoted = false;
        while let Some(c) = next_char(at) {
            if c.is_whitespace() {
                break;
            }
            if c == ':' {
                if let Some((len, value)) = variables.substitute(&line[at..]) {
                    text.push_str(&value);
                    raw.push_str(&value);
                    quoted = true;
                    at += len;
                    continue;
                }
                // `:'name'` or `:"name"` of a variable that is not set stays as written.
                if let Some(len) = quoted_reference_len(&line[at..]) {
                    text.push_str(&line[at..at + len]);
                    raw.push_str(&line[at..at + len]);
                    at += len;
                    continue;
                }
            }
            at += c.len_utf8();
            if c != '\'' && c != '"' {
                text.push(c);
                raw.push(c);
                continue;
            }
            quoted = true;
            if c == '"' {
                raw.push(c);
            }
            loop {
                let Some(q) = next_char(at) else {
                    return Err(MetaError(format!("unterminated quoted string: {c}{text}")));
                };
                at += q.len_utf8();
                if q == c {
                    if next_char(at) == Some(c) {
                        at += c.len_utf8();
                        text.push(c);
                        raw.push(c);
                        if c == '"' {
                            raw.push(c);
                        }
                        continue;
                    }
                    if c == '"' {
                        raw.push(c);
                    }
                    break;
                }
                let q = if q == '\\' && c == '\'' {
                    // psql's escapes inside single quotes: `'\t'` is a tab.
                    let escaped = next_char(at);
                    at += escaped.map_or(0, char::len_utf8);
                    match escaped {
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some(other) => other,
                        None => '\\',
                    }
                } else {
                    q
                };
                text.push(q);
                raw.push(q);
            }
        }
        // Names and files lose trailing semicolons (`\\d conn;`); values keep them
        // (`\\f ;`).
        if !quoted {
            let trimmed = text.trim_end_matches(';').len();
            text.truncate(trimmed);
        }
        args.push(Arg { text, raw, quoted });
    }
    Ok((args, None))
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

    fn command(line: &str) -> MetaCommand {
        parse(line).expect("parses").command
    }

    #[test]
    fn parses_every_command() {
        assert_eq!(command("\\?"), MetaCommand::Help);
        assert_eq!(command("  \\q"), MetaCommand::Quit);
        assert_eq!(command("\\d"), MetaCommand::Describe(None));
        assert_eq!(
            command("\\d My_Conn;"),
            MetaCommand::Describe(name("my_conn", false))
        );
        assert_eq!(
            command("\\d \"My Conn\""),
            MetaCommand::Describe(name("My Conn", true))
        );
        assert_eq!(
            command("\\dc aws*"),
            MetaCommand::ListConnections(name("aws*", false))
        );
        assert_eq!(command("\\ds"), MetaCommand::ListSecrets(None));
        assert_eq!(command("\\x"), MetaCommand::Expanded(None));
        assert_eq!(
            command("\\x auto"),
            MetaCommand::Expanded(Some("auto".into()))
        );
        assert_eq!(
            command("\\timing off"),
            MetaCommand::Timing(Some("off".into()))
        );
        assert_eq!(
            command("\\i 'my file.sql'"),
            MetaCommand::Include("my file.sql".to_owned())
        );
        assert_eq!(
            command("\\pset fieldsep '\\t'"),
            MetaCommand::Pset(Some("fieldsep".into()), Some("\t".into()))
        );
        assert_eq!(
            command("\\set v \"A b\" 'c d'"),
            MetaCommand::Set(vec!["v".into(), "\"A b\"".into(), "c d".into()])
        );
        assert_eq!(
            command("\\!ls -l"),
            MetaCommand::Shell(Some("ls -l".into()))
        );
        assert_eq!(
            command("\\gx out.txt"),
            MetaCommand::Go {
                file: Some("out.txt".into()),
                expanded: true
            }
        );
    }

    #[test]
    fn extra_arguments_are_warned_about() {
        let parsed = parse("\\x on extra").expect("parses");
        assert_eq!(parsed.command, MetaCommand::Expanded(Some("on".into())));
        assert_eq!(parsed.warnings, ["\\x: extra argument \"extra\" ignored"]);
    }

    #[test]
    fn refuses_like_psql() {
        assert_eq!(
            parse("\\dq"),
            Err(MetaError("invalid command \\dq".to_owned()))
        );
        assert!(parse("\\i").is_err());
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
