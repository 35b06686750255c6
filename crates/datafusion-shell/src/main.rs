//! `airlock-df`: the `airlock` shell on DataFusion, with Airlock's statements inside.

use std::process::ExitCode;

fn main() -> ExitCode {
    airlock_cli::hardening::no_core_dumps();
    ExitCode::from(airlock_datafusion_shell::main(std::env::args_os()))
}
