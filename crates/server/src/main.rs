//! `airlock-server`: the `airlock serve` command as a binary of its own, until the
//! `airlock` shell hands its `serve` subcommand to [`airlock_server::command::main`].

fn main() -> std::process::ExitCode {
    airlock_server::command::main(std::env::args_os())
}
