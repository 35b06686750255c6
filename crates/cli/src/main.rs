//! The `airlock` binary: a thin shell over [`airlock_cli::app`].

use std::process::ExitCode;

fn main() -> ExitCode {
    airlock_cli::hardening::no_core_dumps();
    ExitCode::from(airlock_cli::app::main(std::env::args_os()))
}
