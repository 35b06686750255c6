//! The `airlock` binary: a thin shell over [`airlock_cli::app`]; `airlock serve …` runs
//! the PostgreSQL wire-protocol server ([`airlock_server::command`]).

use std::process::ExitCode;

fn main() -> ExitCode {
    airlock_cli::hardening::no_core_dumps();
    let mut args = std::env::args_os();
    if std::env::args_os().nth(1).is_some_and(|a| a == "serve") {
        // `airlock serve --listen …`: the server's own command line, named `airlock serve`.
        args.next();
        return airlock_server::command::main(args);
    }
    ExitCode::from(airlock_cli::app::main(std::env::args_os()))
}
