//! Command-line arguments, with psql's spellings and conventions.
//!
//! `clap` (derive) declares the flags and writes `--help`; two psql conventions need a
//! little more than a derive:
//! - `-c` and `-f` may be mixed and repeated, and run in the order given (psql 10+), so
//!   the order is recovered from clap's argument indices;
//! - `-v NAME=VALUE` sets a psql variable; the ones Airlock understands
//!   (`ON_ERROR_STOP`, `QUIET`) take psql's boolean spellings (`1`, `on`, `true`, `yes`, …).
//!
//! - as with psql's `getopt`, a flag may be repeated (`-x -x`, `-F a -F b`: the last
//!   value wins), an option's value may start with `-` (`-F --`, `-c '-- note'`), and
//!   the output flags (`-A`, `--csv`, `-H`, `-F`, `-P`, …) apply in command-line order,
//!   so the later of `--csv` and `-A` wins.
//!
//! Parsing never exits the process and never panics: every outcome, `--help` included,
//! comes back as a value that `app` prints.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, ArgMatches, CommandFactory, FromArgMatches, Parser};

use crate::format::{Expanded, OutputFormat, PrintOptions, Separator};
use crate::pset;
use crate::remote::{DEFAULT_PORT, PasswordPrompt, Target};

/// The catalog used when neither `--catalog` nor `AIRLOCK_CATALOG` names one.
pub const DEFAULT_CATALOG: &str = "airlock.db";

/// The flags as clap sees them; [`parse`] turns them into [`Options`].
#[derive(Debug, Parser)]
#[command(
    name = "airlock",
    version,
    args_override_self = true,
    // psql's `-h` is the host; help is `-?` and `--help`, as in psql.
    disable_help_flag = true,
    about = "Airlock is a SQL-dialect connection manager for AWS connections, with a psql-like shell.",
    after_help = "With no -c or -f, statements are read from standard input: interactively \
                  (prompt, line editing, history) when it is a terminal, as a script otherwise.\n\
                  Exit status: 0 ok; 1 a -c command failed or a file could not be read; \
                  2 the catalog could not be opened; 3 a script stopped under ON_ERROR_STOP."
)]
struct Cli {
    /// Print this help and exit
    #[arg(short = '?', long = "help", action = ArgAction::Help)]
    _help: Option<bool>,

    /// Connect to an `airlock serve` server on HOST instead of opening a catalog file
    #[arg(short = 'h', long = "host", value_name = "HOST")]
    host: Option<String>,

    /// The server's port (default 6875); needs -h
    #[arg(short = 'p', long = "port", value_name = "PORT")]
    port: Option<u16>,

    /// User name on the server (default: $PGUSER, else the login name); needs -h
    #[arg(short = 'U', long = "username", value_name = "USER")]
    username: Option<String>,

    /// Database name sent to the server; needs -h
    #[arg(short = 'd', long = "dbname", value_name = "DBNAME")]
    dbname: Option<String>,

    /// Never ask for a password (PGPASSWORD still applies); needs -h
    #[arg(short = 'w', long = "no-password")]
    no_password: bool,

    /// Ask for the password before connecting; needs -h
    #[arg(short = 'W', long = "password")]
    password: bool,

    /// Catalog file to open or create (`:memory:` for a throwaway catalog), or a
    /// postgres://user@host/dbname URL of a PostgreSQL catalog shared by many nodes
    /// (its secret key from AIRLOCK_SECRET_KEY)
    #[arg(long, value_name = "PATH", env = "AIRLOCK_CATALOG", default_value = DEFAULT_CATALOG)]
    catalog: PathBuf,

    /// Run one command string (SQL, or a single backslash command) and exit; repeatable
    #[arg(
        short = 'c',
        long = "command",
        value_name = "COMMAND",
        allow_hyphen_values = true,
        action = ArgAction::Append
    )]
    command: Vec<String>,

    /// Run the commands in FILE (`-` for standard input) and exit; repeatable
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        allow_hyphen_values = true,
        action = ArgAction::Append
    )]
    file: Vec<String>,

    /// Set a variable, psql style (`-v ON_ERROR_STOP=1`; `:NAME` interpolates it)
    #[arg(
        short = 'v',
        long = "set",
        visible_alias = "variable",
        value_name = "NAME=VALUE",
        allow_hyphen_values = true,
        action = ArgAction::Append
    )]
    set: Vec<String>,

    /// Unaligned output (values separated by the field separator)
    #[arg(short = 'A', long = "no-align")]
    no_align: bool,

    /// Print rows only: no header, no row-count footer
    #[arg(short = 't', long = "tuples-only")]
    tuples_only: bool,

    /// Field separator for unaligned output (default "|")
    #[arg(
        short = 'F',
        long = "field-separator",
        value_name = "SEP",
        allow_hyphen_values = true
    )]
    field_separator: Option<String>,

    /// Record separator for unaligned output (default: newline)
    #[arg(
        short = 'R',
        long = "record-separator",
        value_name = "SEP",
        allow_hyphen_values = true
    )]
    record_separator: Option<String>,

    /// Field separator for unaligned output: a zero byte
    #[arg(short = 'z', long = "field-separator-zero")]
    field_separator_zero: bool,

    /// Record separator for unaligned output: a zero byte
    #[arg(short = '0', long = "record-separator-zero")]
    record_separator_zero: bool,

    /// CSV output
    #[arg(long)]
    csv: bool,

    /// HTML table output
    #[arg(short = 'H', long)]
    html: bool,

    /// Attributes for the HTML <table> tag (width, border, …)
    #[arg(
        short = 'T',
        long = "table-attr",
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    table_attr: Option<String>,

    /// Set a printing option, as \pset does (`-P border=2`, `-P null=(null)`)
    #[arg(
        short = 'P',
        long = "pset",
        value_name = "NAME[=VALUE]",
        allow_hyphen_values = true,
        action = ArgAction::Append
    )]
    pset: Vec<String>,

    /// Expanded output: one line per column, one block per row
    #[arg(short = 'x', long)]
    expanded: bool,

    /// Quiet: no command tags and no messages from backslash commands
    #[arg(short = 'q', long)]
    quiet: bool,

    /// Print each statement before running it (literals of writing statements masked)
    #[arg(short = 'e', long = "echo-queries")]
    echo_queries: bool,

    /// Print a failed statement after its error (masked as errors are)
    #[arg(short = 'b', long = "echo-errors")]
    echo_errors: bool,

    /// Send query results to FILE, as \o FILE does
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        allow_hyphen_values = true
    )]
    output: Option<String>,

    /// Accepted and ignored: Airlock reads no startup file (psql's `-X` habit)
    #[arg(short = 'X', long = "no-psqlrc", hide = true)]
    _no_psqlrc: bool,

    /// IAM principal Airlock acts as; applied to an existing catalog with ALTER SYSTEM
    #[arg(long, value_name = "ARN", env = "AIRLOCK_AWS_PRINCIPAL")]
    aws_principal: Option<String>,

    /// External-ID prefix (a UUID) for a catalog being created
    #[arg(long, value_name = "UUID")]
    aws_external_id_prefix: Option<String>,

    /// Endpoints beyond AWS STS that may receive credentials: comma-separated URL
    /// prefixes, added to the catalog's aws_allowed_endpoints
    #[arg(long, value_name = "URLS", env = "AIRLOCK_AWS_ALLOWED_ENDPOINTS")]
    aws_allowed_endpoints: Option<String>,

    /// Role to act as (it must exist); the first user of a catalog created now.
    /// Default: the operating-system user, a superuser of the catalogs it creates
    #[arg(long, value_name = "NAME", env = "AIRLOCK_ROLE")]
    role: Option<String>,
}

/// One `-c` or `-f`, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `-c`: a command string, sent whole (or one backslash command).
    Command(String),
    /// `-f`: a script file; `-` is standard input.
    File(String),
}

/// Everything the command line asks for.
#[derive(Debug, Clone)]
pub struct Options {
    pub catalog: PathBuf,
    pub actions: Vec<Action>,
    pub print: PrintOptions,
    /// `-v`: variables set (`Some`) or unset (`None`), in command-line order.
    pub variables: Vec<(String, Option<String>)>,
    /// `-o FILE`: query results to FILE.
    pub output: Option<String>,
    pub on_error_stop: bool,
    pub quiet: bool,
    pub aws_principal: Option<String>,
    pub aws_external_id_prefix: Option<uuid::Uuid>,
    /// `--aws-allowed-endpoints` / `AIRLOCK_AWS_ALLOWED_ENDPOINTS`, parsed.
    pub aws_allowed_endpoints: airlock_engine::aws::AllowedEndpoints,
    /// `-h HOST`: run on a server instead of the catalog file.
    pub server: Option<Target>,
    /// `--role` / `AIRLOCK_ROLE`.
    pub role: Option<String>,
}

/// What parsing the command line came to.
#[derive(Debug)]
pub enum Parsed {
    /// Run with these options.
    Run(Box<Options>),
    /// Print this text on standard output and exit 0 (`--help`, `--version`).
    Print(String),
    /// A usage error: print this message on standard error and exit 1, as psql does.
    Error(String),
}

/// Parses `args` (the program name first).
pub fn parse<I, T>(args: I) -> Parsed
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = match Cli::command().try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Parsed::Print(e.to_string()),
                _ => Parsed::Error(usage_error(&e.to_string())),
            };
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return Parsed::Error(usage_error(&e.to_string())),
    };
    match options(cli, &matches) {
        Ok(options) => Parsed::Run(Box::new(options)),
        Err(Failure::Usage(message)) => Parsed::Error(usage_error(&message)),
        Err(Failure::Printed(message)) => Parsed::Error(message),
    }
}

/// psql's two-line usage error: the message, then where to look.
fn usage_error(message: &str) -> String {
    // clap's rendering is "error: <message>\n\nUsage: ..."; the first line is the news.
    let first = message.lines().next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    format!(
        "airlock: error: {first}\nairlock: hint: Try \"airlock --help\" for more information.\n"
    )
}

fn options(cli: Cli, matches: &ArgMatches) -> Result<Options, Failure> {
    let mut on_error_stop = false;
    let mut quiet = cli.quiet;
    let mut variables = Vec::new();
    for assignment in &cli.set {
        match assignment.split_once('=') {
            Some(("", _)) => {
                return Err(Failure::Printed(
                    "airlock: error: invalid variable name: \"\"\n".to_owned(),
                ));
            }
            Some((name, value)) => {
                match name {
                    "ON_ERROR_STOP" => on_error_stop = parse_bool(name, value)?,
                    "QUIET" => quiet = parse_bool(name, value)?,
                    _ => {}
                }
                variables.push((name.to_owned(), Some(value.to_owned())));
            }
            // psql: a name without `=` unsets the variable.
            None => {
                match assignment.as_str() {
                    "ON_ERROR_STOP" => on_error_stop = false,
                    "QUIET" => quiet = cli.quiet,
                    _ => {}
                }
                variables.push((assignment.clone(), None));
            }
        }
    }

    let print = print_options(&cli, matches).map_err(Failure::Printed)?;
    // `-e` and `-b` set psql's ECHO variable; the later one wins.
    let last = |id: &str| matches.indices_of(id).and_then(Iterator::max);
    let echo = [
        (cli.echo_queries, last("echo_queries"), "queries"),
        (cli.echo_errors, last("echo_errors"), "errors"),
    ]
    .into_iter()
    .filter(|(set, _, _)| *set)
    .max_by_key(|(_, index, _)| *index)
    .map(|(_, _, value)| value);
    if let Some(echo) = echo {
        variables.insert(0, ("ECHO".to_owned(), Some(echo.to_owned())));
    }
    let aws_external_id_prefix = cli
        .aws_external_id_prefix
        .as_deref()
        .map(|s| {
            uuid::Uuid::parse_str(s)
                .map_err(|e| format!("invalid value \"{s}\" for --aws-external-id-prefix: {e}"))
        })
        .transpose()?;

    let aws_allowed_endpoints = airlock_engine::aws::AllowedEndpoints::parse(
        cli.aws_allowed_endpoints.as_deref().unwrap_or(""),
    )
    .map_err(|e| format!("invalid value for --aws-allowed-endpoints: {e}"))?;

    let server = server_target(&cli, matches)?;
    Ok(Options {
        catalog: cli.catalog,
        actions: ordered_actions(cli.command, cli.file, matches),
        print,
        variables,
        output: cli.output,
        on_error_stop,
        quiet,
        aws_principal: cli.aws_principal.filter(|p| !p.is_empty()),
        aws_external_id_prefix,
        aws_allowed_endpoints,
        server,
        role: cli.role.filter(|r| !r.is_empty()),
    })
}

/// `-h` and its companions. The flags that shape a local catalog make no sense with a
/// server (it has its own catalog and settings), and the server flags make no sense
/// without `-h`: either is a usage error rather than a silent choice.
fn server_target(cli: &Cli, matches: &ArgMatches) -> Result<Option<Target>, Failure> {
    let given = |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    let Some(host) = cli.host.clone() else {
        if let Some(flag) = [
            ("port", "-p"),
            ("username", "-U"),
            ("dbname", "-d"),
            ("no_password", "-w"),
            ("password", "-W"),
        ]
        .into_iter()
        .find_map(|(id, flag)| given(id).then_some(flag))
        {
            return Err(Failure::Usage(format!(
                "{flag} needs -h HOST: without a server, airlock opens the catalog file (--catalog)"
            )));
        }
        return Ok(None);
    };
    if let Some(flag) = [
        ("catalog", "--catalog"),
        ("aws_principal", "--aws-principal"),
        ("aws_external_id_prefix", "--aws-external-id-prefix"),
        ("aws_allowed_endpoints", "--aws-allowed-endpoints"),
        ("role", "--role"),
    ]
    .into_iter()
    .find_map(|(id, flag)| given(id).then_some(flag))
    {
        return Err(Failure::Usage(format!(
            "{flag} applies to a local catalog; with -h the server's catalog and settings are used"
        )));
    }
    let user = cli
        .username
        .clone()
        .or_else(|| std::env::var("PGUSER").ok().filter(|u| !u.is_empty()))
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "airlock".to_owned());
    let prompt = if cli.password {
        PasswordPrompt::Always
    } else if cli.no_password {
        PasswordPrompt::Never
    } else {
        PasswordPrompt::IfNeeded
    };
    Ok(Some(Target {
        host,
        port: cli.port.unwrap_or(DEFAULT_PORT),
        user,
        database: cli.dbname.clone(),
        prompt,
    }))
}

/// Why the flags cannot run.
enum Failure {
    /// A usage error: printed with psql's `Try "… --help"` hint.
    Usage(String),
    /// A `-P` that `\pset` refuses: printed as it is, as psql does.
    Printed(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Usage(message)
    }
}

/// One output flag, to be applied in command-line order.
enum PrintFlag<'a> {
    Format(OutputFormat),
    TuplesOnly,
    Expanded,
    FieldSep(&'a str),
    RecordSep(&'a str),
    FieldSepZero,
    RecordSepZero,
    TableAttr(&'a str),
    Pset(&'a str),
}

/// The output flags applied in the order given, as psql's `getopt` loop does: the later
/// of `-A`, `--csv` and `-H` wins, and `-P` sees what came before it.
fn print_options(cli: &Cli, matches: &ArgMatches) -> Result<PrintOptions, String> {
    let mut flags: Vec<(usize, PrintFlag<'_>)> = Vec::new();
    let last = |id: &str| matches.indices_of(id).and_then(Iterator::max);
    let mut push_if = |id: &str, set: bool, flag: PrintFlag<'static>| {
        if set && let Some(index) = last(id) {
            flags.push((index, flag));
        }
    };
    push_if(
        "no_align",
        cli.no_align,
        PrintFlag::Format(OutputFormat::Unaligned),
    );
    push_if("csv", cli.csv, PrintFlag::Format(OutputFormat::Csv));
    push_if("html", cli.html, PrintFlag::Format(OutputFormat::Html));
    push_if("tuples_only", cli.tuples_only, PrintFlag::TuplesOnly);
    push_if("expanded", cli.expanded, PrintFlag::Expanded);
    push_if(
        "field_separator_zero",
        cli.field_separator_zero,
        PrintFlag::FieldSepZero,
    );
    push_if(
        "record_separator_zero",
        cli.record_separator_zero,
        PrintFlag::RecordSepZero,
    );
    let valued = [
        ("field_separator", cli.field_separator.as_deref()),
        ("record_separator", cli.record_separator.as_deref()),
        ("table_attr", cli.table_attr.as_deref()),
    ];
    for (id, value) in valued {
        if let (Some(value), Some(index)) = (value, last(id)) {
            let flag = match id {
                "field_separator" => PrintFlag::FieldSep(value),
                "record_separator" => PrintFlag::RecordSep(value),
                _ => PrintFlag::TableAttr(value),
            };
            flags.push((index, flag));
        }
    }
    let pset_indices = matches.indices_of("pset").into_iter().flatten();
    flags.extend(pset_indices.zip(cli.pset.iter().map(|p| PrintFlag::Pset(p))));
    flags.sort_by_key(|(index, _)| *index);

    let mut print = PrintOptions::default();
    for (_, flag) in flags {
        match flag {
            PrintFlag::Format(format) => print.format = format,
            PrintFlag::TuplesOnly => print.tuples_only = true,
            PrintFlag::Expanded => print.expanded = Expanded::On,
            PrintFlag::FieldSep(sep) => print.field_sep = Separator::new(sep),
            PrintFlag::RecordSep(sep) => print.record_sep = Separator::new(sep),
            PrintFlag::FieldSepZero => print.field_sep = Separator::zero(),
            PrintFlag::RecordSepZero => print.record_sep = Separator::zero(),
            PrintFlag::TableAttr(attr) => print.table_attr = Some(attr.to_owned()),
            PrintFlag::Pset(assignment) => {
                let (name, value) = match assignment.split_once('=') {
                    Some((name, value)) => (name, Some(value)),
                    None => (assignment, None),
                };
                if let Err(e) = pset::apply(&mut print, name, value) {
                    return Err(format!(
                        "airlock: error: {e}\nairlock: error: could not set printing parameter \"{name}\"\n"
                    ));
                }
            }
        }
    }
    Ok(print)
}

/// `-c` and `-f` values merged back into command-line order.
fn ordered_actions(commands: Vec<String>, files: Vec<String>, matches: &ArgMatches) -> Vec<Action> {
    let indices = |id: &str| -> Vec<usize> {
        matches
            .indices_of(id)
            .map(|i| i.collect())
            .unwrap_or_default()
    };
    let mut actions: Vec<(usize, Action)> = indices("command")
        .into_iter()
        .zip(commands.into_iter().map(Action::Command))
        .chain(
            indices("file")
                .into_iter()
                .zip(files.into_iter().map(Action::File)),
        )
        .collect();
    actions.sort_by_key(|(index, _)| *index);
    actions.into_iter().map(|(_, action)| action).collect()
}

/// psql's `ParseVariableBool`: case-insensitive, unambiguous prefixes of `true`, `false`,
/// `yes`, `no`, `on`, `off`, and `1`/`0`.
pub fn parse_bool(name: &str, value: &str) -> Result<bool, String> {
    let v = value.to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| v.len() >= min && word.starts_with(v.as_str());
    if prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2) || v == "1" {
        Ok(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || v == "0" {
        Ok(false)
    } else {
        Err(format!(
            "unrecognized value \"{value}\" for \"{name}\": Boolean expected"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Options {
        match parse(std::iter::once("airlock").chain(args.iter().copied())) {
            Parsed::Run(options) => *options,
            other => panic!("expected options, got {other:?}"),
        }
    }

    #[test]
    fn commands_and_files_keep_their_order() {
        let o = run(&["-c", "a", "-f", "x", "--command=b", "-fy"]);
        assert_eq!(
            o.actions,
            vec![
                Action::Command("a".into()),
                Action::File("x".into()),
                Action::Command("b".into()),
                Action::File("y".into()),
            ]
        );
    }

    #[test]
    fn allowed_endpoints_flag() {
        let o = run(&[
            "--aws-allowed-endpoints",
            "http://127.0.0.1:4566,https://minio.internal/",
        ]);
        assert_eq!(
            o.aws_allowed_endpoints.to_setting(),
            "http://127.0.0.1:4566/,https://minio.internal/"
        );
        let Parsed::Error(message) =
            parse(["airlock", "--aws-allowed-endpoints", "http://u:s3cret@h/"])
        else {
            panic!("expected a usage error")
        };
        assert!(message.contains("--aws-allowed-endpoints"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
    }

    #[test]
    fn psql_booleans() {
        for v in ["1", "on", "ON", "t", "true", "y", "yes"] {
            assert_eq!(parse_bool("X", v), Ok(true), "{v}");
        }
        for v in ["0", "off", "of", "f", "FALSE", "n", "no"] {
            assert_eq!(parse_bool("X", v), Ok(false), "{v}");
        }
        for v in ["", "o", "maybe", "2"] {
            assert!(parse_bool("X", v).is_err(), "{v}");
        }
        assert!(run(&["-v", "ON_ERROR_STOP=1"]).on_error_stop);
        assert!(run(&["--set=ON_ERROR_STOP=on", "-v", "OTHER=x"]).on_error_stop);
        assert!(!run(&["-v", "ON_ERROR_STOP=1", "-v", "ON_ERROR_STOP"]).on_error_stop);
    }

    #[test]
    fn usage_errors_are_values() {
        for args in [
            &["--bogus"][..],
            &["-c"],
            &["-v", "ON_ERROR_STOP=maybe"],
            &["--aws-external-id-prefix", "nope"],
        ] {
            let parsed = parse(std::iter::once("airlock").chain(args.iter().copied()));
            let Parsed::Error(message) = parsed else {
                panic!("{args:?}: expected a usage error, got {parsed:?}");
            };
            assert!(message.starts_with("airlock: error: "), "{message}");
        }
    }
}
