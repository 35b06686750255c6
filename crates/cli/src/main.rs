//! The `airlock` binary: a thin shell over [`airlock_cli::app`].

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(airlock_cli::app::main(std::env::args_os()))
}
