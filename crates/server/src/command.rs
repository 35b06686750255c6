//! The `airlock serve` command line: its flags and what they start. The `airlock-server`
//! binary is this command; the `airlock` shell's `serve` subcommand hands its
//! arguments here (`airlock serve --listen …` → `command::main(["serve", "--listen", …])`).

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::{Auth, Log, ServerConfig, Users, Verifier};

/// Serves an Airlock catalog over the PostgreSQL wire protocol.
#[derive(Debug, Parser)]
#[command(name = "airlock serve", version)]
struct Args {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:6875")]
    listen: SocketAddr,
    /// The catalog file.
    #[arg(long, env = "AIRLOCK_CATALOG", default_value = "airlock.db")]
    catalog: PathBuf,
    /// How clients authenticate: SCRAM-SHA-256 with --users, or trust (loopback only).
    #[arg(long, value_enum, default_value_t = AuthMethod::Scram)]
    auth: AuthMethod,
    /// Users and their SCRAM verifiers, `name:SCRAM-SHA-256$…` per line.
    #[arg(long)]
    users: Option<PathBuf>,
    /// Print the SCRAM verifier of the password read from standard input, and exit.
    #[arg(long)]
    print_verifier: bool,
    /// PEM certificate chain: TLS is offered.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Refuse clients that do not negotiate TLS.
    #[arg(long)]
    require_tls: bool,
    /// Connections served at once.
    #[arg(long, default_value_t = 100)]
    max_connections: usize,
    /// Close sessions idle this many seconds (0: never).
    #[arg(long, default_value_t = 0)]
    idle_timeout: u64,
    /// Cancel statements running this many milliseconds (0: never).
    #[arg(long, default_value_t = 0)]
    statement_timeout: u64,
    /// The largest message a client may send, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_message_bytes: usize,
    /// Seconds running statements have to finish after SIGTERM.
    #[arg(long, default_value_t = 30)]
    shutdown_grace: u64,
    /// No log lines on standard error.
    #[arg(long)]
    quiet: bool,
    /// What an authenticated user that is not yet a role of the catalog becomes at its
    /// first statement: a superuser (every user may do everything), a login role with
    /// no privileges until granted some (Materialize's way), or refused.
    #[arg(long, value_enum, default_value_t = NewUsersArg::Superuser)]
    new_users: NewUsersArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum NewUsersArg {
    Superuser,
    Login,
    Refuse,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AuthMethod {
    Scram,
    Trust,
}

/// Runs the command with `args` (the first is the program's name, as in
/// `std::env::args_os()`); returns the process's exit code.
pub fn main<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = Args::parse_from(args);
    if args.print_verifier {
        let mut password = String::new();
        if std::io::stdin().read_line(&mut password).is_err() {
            eprintln!("airlock-server: cannot read the password from standard input");
            return ExitCode::FAILURE;
        }
        let password = password.trim_end_matches(['\n', '\r']);
        println!("{}", Verifier::for_password(password));
        return ExitCode::SUCCESS;
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("airlock-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let auth = match args.auth {
        AuthMethod::Trust => Auth::Trust,
        AuthMethod::Scram => {
            let path = args
                .users
                .ok_or("--auth scram needs --users FILE (make verifiers with --print-verifier)")?;
            Auth::Scram(Users::load(&path)?)
        }
    };
    let seconds = |s: u64| (s > 0).then(|| Duration::from_secs(s));
    let mut config = ServerConfig::new(args.catalog);
    config.listen = args.listen;
    config.auth = auth;
    config.tls = args.tls_cert.zip(args.tls_key);
    config.require_tls = args.require_tls;
    config.max_connections = args.max_connections;
    config.idle_timeout = seconds(args.idle_timeout);
    config.statement_timeout =
        (args.statement_timeout > 0).then(|| Duration::from_millis(args.statement_timeout));
    config.shutdown_grace = Duration::from_secs(args.shutdown_grace);
    config.max_message_bytes = args.max_message_bytes;
    config.log = Log { quiet: args.quiet };
    config.engine.new_users = match args.new_users {
        NewUsersArg::Superuser => airlock_engine::NewUsers::Superuser,
        NewUsersArg::Login => airlock_engine::NewUsers::Login,
        NewUsersArg::Refuse => airlock_engine::NewUsers::Refuse,
    };
    crate::serve(config)
}
