//! Ctrl-C: cancels the statement running instead of ending the shell, as in psql.
//!
//! `signal-hook` receives SIGINT on a thread of its own (no code runs in the signal
//! handler itself); that thread records the press and, while a statement runs, asks the
//! engine to cancel it through the backend's [`Canceller`] and says
//! `Cancel request sent`. The runner checks the press between statements: the
//! statements after a cancelled one do not run, and a script (`-f`, `\i`, piped
//! standard input) stops there, exit status 3 as in psql. At the prompt, line editing
//! has the terminal in raw mode, so Ctrl-C is a key that clears the line.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::backend::Canceller;
use crate::run::write_stderr;

/// The state the signal thread shares with the runner.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    /// A statement is running: a Ctrl-C cancels it.
    running: Arc<AtomicBool>,
    /// Ctrl-C was pressed since the last [`Interrupt::clear`].
    pressed: Arc<AtomicBool>,
}

impl Interrupt {
    /// Starts listening for SIGINT; `cancel` cancels the session's running statement.
    /// Without signal support (or if it cannot start) Ctrl-C keeps its default effect.
    pub fn install(cancel: Canceller) -> Interrupt {
        let interrupt = Interrupt::default();
        listen(interrupt.clone(), cancel);
        interrupt
    }

    /// Whether Ctrl-C was pressed since the last [`Interrupt::clear`].
    pub fn pressed(&self) -> bool {
        self.pressed.load(Ordering::SeqCst)
    }

    /// Forgets a press: a new line is being read at the prompt.
    pub fn clear(&self) {
        self.pressed.store(false, Ordering::SeqCst);
    }

    /// Marks a statement as running (or not) for the signal thread.
    pub fn set_running(&self, running: bool) {
        self.running.store(running, Ordering::SeqCst);
    }

    /// What the signal thread does with one Ctrl-C.
    fn on_sigint(&self, cancel: &Canceller) {
        self.pressed.store(true, Ordering::SeqCst);
        if self.running.load(Ordering::SeqCst) {
            cancel();
            write_stderr("Cancel request sent\n");
        }
    }
}

#[cfg(unix)]
fn listen(interrupt: Interrupt, cancel: Canceller) {
    use signal_hook::consts::SIGINT;
    use signal_hook::iterator::Signals;

    let Ok(mut signals) = Signals::new([SIGINT]) else {
        return;
    };
    let handle = signals.handle();
    let spawned = std::thread::Builder::new()
        .name("airlock-sigint".to_owned())
        .spawn(move || {
            for _ in signals.forever() {
                interrupt.on_sigint(&cancel);
            }
        });
    // Without the thread, SIGINT would be caught and never acted on: give it back.
    if spawned.is_err() {
        handle.close();
    }
}

#[cfg(not(unix))]
fn listen(_: Interrupt, _: Canceller) {}
