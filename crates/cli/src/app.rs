//! The `airlock` program: arguments in, exit status out. `main.rs` only calls [`main`].

use std::ffi::OsString;
use std::io::{self, IsTerminal};

use airlock_engine::catalog::CatalogConfig;
use airlock_engine::core::Diagnostic;
use airlock_engine::{Engine, EngineConfig, ForeignStatements, NewUsers, Session};

use crate::args::{self, Action, Options, Parsed};
use crate::backend::{Backend, Local};
use crate::diagnostic::render_diagnostic;
use crate::remote::Remote;
use crate::repl;
use crate::run::{
    EXIT_BADCONN, EXIT_FAILURE, EXIT_SUCCESS, EXIT_USER, Runner, ScriptEnd, Settings, echo_setting,
    io_message, write_stderr, write_stdout,
};
use crate::variables::Variables;

/// Runs `airlock` with `args` (the program name first) and returns its exit status:
/// psql's 0 (success), 1 (a failed `-c`, an unreadable file, a bad flag), 2 (the
/// catalog could not be opened), 3 (a script stopped under `ON_ERROR_STOP`).
pub fn main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    main_with(args, open)
}

/// [`main`] on the backend `open` makes from the options: a host (a DataFusion shell)
/// runs the same shell, with the same flags and output, on its own [`Backend`]. `open`
/// prints its own failure and returns the exit status.
pub fn main_with<I, T>(args: I, open: impl FnOnce(&Options) -> Result<Box<dyn Backend>, u8>) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let options = match args::parse(args) {
        Parsed::Run(options) => *options,
        Parsed::Print(text) => {
            write_stdout(&text);
            return EXIT_SUCCESS;
        }
        Parsed::Error(message) => {
            write_stderr(&message);
            return EXIT_FAILURE;
        }
    };

    let backend = match open(&options) {
        Ok(backend) => backend,
        Err(status) => return status,
    };
    let mut variables = Variables::default();
    for (name, value) in &options.variables {
        let set = match value {
            Some(value) => variables.set(name, value),
            None => {
                variables.unset(name);
                Ok(())
            }
        };
        if let Err(e) = set {
            write_stderr(&format!("airlock: error: {e}\n"));
            return EXIT_FAILURE;
        }
    }
    let mut runner = Runner::new(
        backend,
        Settings {
            print: options.print.clone(),
            variables,
            timing: false,
            quiet: options.quiet,
            on_error_stop: options.on_error_stop,
            echo: echo_setting(
                options
                    .variables
                    .iter()
                    .rev()
                    .find(|(name, _)| name == "ECHO")
                    .and_then(|(_, value)| value.as_deref()),
            ),
        },
    );
    if let Some(path) = &options.output
        && !runner.set_output_file(path)
    {
        return EXIT_FAILURE;
    }

    runner.catch_interrupts();
    if !options.actions.is_empty() {
        return run_actions(&mut runner, &options.actions);
    }
    // psql is interactive only when both ends are a terminal.
    if io::stdin().is_terminal() && io::stdout().is_terminal() {
        let label = match &options.server {
            Some(target) => format!("server {}:{}", target.host, target.port),
            None => format!(
                "catalog {}",
                airlock_engine::catalog::display_location(&options.catalog)
            ),
        };
        return repl::run(&mut runner, &label);
    }
    let stdin = io::stdin();
    let mut reader = stdin.lock();
    let end = runner.run_script(&mut reader, None);
    script_status(end, runner.settings.on_error_stop)
}

/// The exit status of a script (`-f`, standard input): psql's rule, errors that did not
/// stop it do not count; input that could not be read to its end does.
fn script_status(end: ScriptEnd, on_error_stop: bool) -> u8 {
    match end {
        ScriptEnd::Stopped => EXIT_USER,
        ScriptEnd::ReadError if on_error_stop => EXIT_USER,
        ScriptEnd::ReadError => EXIT_FAILURE,
        ScriptEnd::Finished { .. } | ScriptEnd::Quit => EXIT_SUCCESS,
    }
}

/// Whether a `-c` string holds a statement that carries a secret value (`CREATE SECRET`,
/// `ALTER SECRET … AS`): command-line arguments are visible to every user of the
/// machine (`ps`, `/proc/PID/cmdline`).
fn holds_secret_value(text: &str) -> bool {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    words
        .windows(2)
        .any(|w| (w[0] == "CREATE" || w[0] == "ALTER") && w[1] == "SECRET")
}

/// The warning printed before a `-c` that [`holds_secret_value`].
pub const ARGV_SECRET_WARNING: &str = "WARNING:  a secret value given with -c is visible to other users of this machine (ps, /proc/PID/cmdline)\n\
HINT:  Pass statements that hold secret values with -f FILE or on standard input instead.\n";

/// psql's loop over `-c` and `-f`: each runs in order; the exit status is the last
/// one's, and under `ON_ERROR_STOP` the first failure ends the run.
fn run_actions(runner: &mut Runner, actions: &[Action]) -> u8 {
    let mut status = EXIT_SUCCESS;
    let mut warned = false;
    for action in actions {
        let quit;
        (status, quit) = match action {
            Action::Command(text) => {
                if !warned && holds_secret_value(text) {
                    // Once: the arguments were public from the start.
                    write_stderr(ARGV_SECRET_WARNING);
                    warned = true;
                }
                let step = runner.run_command_string(text);
                let status = if step.failed {
                    EXIT_FAILURE
                } else {
                    EXIT_SUCCESS
                };
                (status, step.quit)
            }
            Action::File(path) => match runner.run_file(path) {
                Err(e) => {
                    write_stderr(&format!("airlock: error: {path}: {}\n", io_message(&e)));
                    (EXIT_FAILURE, false)
                }
                Ok(ScriptEnd::Quit) => (EXIT_SUCCESS, true),
                Ok(end) => (script_status(end, runner.settings.on_error_stop), false),
            },
        };
        if quit || (status != EXIT_SUCCESS && runner.settings.on_error_stop) {
            break;
        }
    }
    status
}

/// A warning when the catalog's key file (`<catalog>.key`) can be read by the file's
/// group or by everyone: whoever can read it can decrypt every secret in the catalog.
pub fn key_file_warning(catalog: &std::path::Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut name = catalog.as_os_str().to_owned();
        name.push(".key");
        let path = std::path::PathBuf::from(name);
        let mode = std::fs::metadata(&path).ok()?.permissions().mode() & 0o777;
        (mode & 0o044 != 0).then(|| {
            format!(
                "WARNING:  secret key file \"{}\" is readable by other users (mode {mode:04o})\n\
                 HINT:  Anyone who can read it can decrypt every secret in the catalog: chmod 600 \"{}\"\n",
                path.display(),
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = catalog;
        None
    }
}

/// Connects to the server of `-h`, or opens the catalog and applies `--aws-principal`
/// to it. A failure is printed and comes back as the exit status (2, psql's "connection
/// failed").
pub fn open(options: &Options) -> Result<Box<dyn Backend>, u8> {
    if let Some(target) = &options.server {
        return match Remote::connect(target.clone()) {
            Ok(remote) => Ok(Box::new(remote)),
            Err(message) => {
                write_stderr(&format!("airlock: error: {message}\n"));
                Err(EXIT_BADCONN)
            }
        };
    }
    let (engine, role) = open_engine(options, ForeignStatements::Reject)?;
    Ok(Box::new(Local::new(
        engine.session_for(role),
        airlock_engine::catalog::display_location(&options.catalog),
    )))
}

/// The operating-system user's name, as psql takes it for its default user.
fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .into_iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| airlock_engine::catalog::DEFAULT_BOOTSTRAP_ROLE.to_owned())
}

/// Opens the catalog of `--catalog` with the `--aws-*` flags, warns about a readable key
/// file, and applies `--aws-principal` as the session's role. Returns the engine and
/// that role: `--role` (which must exist), else the operating-system user, who may read
/// the catalog's file and key and so is a superuser of it anyway. A failure is printed
/// and comes back as exit status 2.
pub fn open_engine(options: &Options, foreign: ForeignStatements) -> Result<(Engine, String), u8> {
    let (role, new_users) = match &options.role {
        Some(role) => (role.clone(), NewUsers::Refuse),
        None => (os_user(), NewUsers::Superuser),
    };
    let config = EngineConfig {
        catalog: CatalogConfig {
            external_id_prefix: options.aws_external_id_prefix,
            // Used only if the catalog is created now; see below for an existing one.
            aws_principal: options.aws_principal.clone(),
            bootstrap_role: Some(role.clone()),
            ..CatalogConfig::default()
        },
        foreign_statements: foreign,
        aws_allowed_endpoints: options.aws_allowed_endpoints.clone(),
        new_users,
        ..EngineConfig::default()
    };
    let engine = Engine::open(&options.catalog, config).map_err(|e| connection_error(&e))?;
    if let Some(warning) = key_file_warning(&options.catalog) {
        write_stderr(&warning);
    }
    if let Some(principal) = &options.aws_principal {
        apply_principal(&mut engine.session_for(role.clone()), principal)?;
    }
    Ok((engine, role))
}

/// An existing catalog keeps its principal when opened; a different `--aws-principal`
/// is applied the way a user would, with `ALTER SYSTEM SET`, and its NOTICE (rows
/// rewritten) is shown.
fn apply_principal(session: &mut Session, principal: &str) -> Result<(), u8> {
    let current = session
        .execute("SHOW aws_principal")
        .pop()
        .and_then(Result::ok)
        .and_then(|r| {
            r.rows()
                .and_then(|rows| rows.rows.first()?.first().cloned())
        })
        .flatten();
    if current.as_deref() == Some(principal) {
        return Ok(());
    }
    let sql = format!(
        "ALTER SYSTEM SET aws_principal = '{}'",
        principal.replace('\'', "''")
    );
    for result in session.execute(&sql) {
        match result {
            Ok(result) => {
                for notice in &result.notices {
                    write_stderr(&render_diagnostic(notice, None));
                }
            }
            Err(e) => return Err(connection_error(&e)),
        }
    }
    Ok(())
}

/// Prints why the catalog could not be used, psql style (`psql: error: …`), and
/// returns exit status 2.
pub fn connection_error(e: &Diagnostic) -> u8 {
    let rendered = render_diagnostic(e, None);
    let rendered = rendered.strip_prefix("ERROR:  ").unwrap_or(&rendered);
    write_stderr(&format!("airlock: error: {rendered}"));
    EXIT_BADCONN
}
