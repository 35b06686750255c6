//! The engine's way to AWS: a lazily started Tokio runtime and one shared
//! [`Validator`], so that `Session::execute` stays synchronous for hosts and the REPL,
//! and nothing touches the network until the first `VALIDATE`.

use std::sync::OnceLock;
use std::time::Duration;

use airlock_aws::{
    AllowedEndpoints, AwsConfig, DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT, EndpointUse,
    ResolvedConnection, SessionBroker, ValidationReport, Validator,
};
use airlock_core::{Diagnostic, SqlState};

use crate::hooks::CancelHandle;
use aws_config::SdkConfig;

/// How the engine reaches AWS.
#[derive(Debug, Clone)]
pub enum AwsSetup {
    /// Airlock's identity from the AWS default chain (environment, profile, web identity,
    /// instance metadata; `AWS_ENDPOINT_URL` honoured), loaded at the first validation.
    FromEnv {
        /// The limit for one AWS call, retries included.
        timeout: Duration,
        /// Attempts per call.
        max_attempts: u32,
    },
    /// A ready configuration (a host's own identity, or an emulator in tests).
    Config(Box<AwsConfig>),
}

impl Default for AwsSetup {
    fn default() -> Self {
        AwsSetup::FromEnv {
            timeout: DEFAULT_TIMEOUT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

/// The runtime and validator, started on first use.
#[derive(Debug)]
pub(crate) struct Aws {
    setup: AwsSetup,
    /// Started on first use, apart from `state`: a credentials handle of an access-key
    /// connection needs the runtime but never AWS's configuration.
    runtime: OnceLock<Result<Runtime, String>>,
    /// The process's `aws_allowed_endpoints` (`EngineConfig` and the `AwsConfig`'s own).
    allowed: AllowedEndpoints,
    state: OnceLock<Result<State, String>>,
}

#[derive(Debug)]
struct State {
    config: AwsConfig,
    validator: Validator,
    broker: SessionBroker,
}

impl Aws {
    pub(crate) fn new(setup: AwsSetup, allowed: &AllowedEndpoints) -> Aws {
        let allowed = match &setup {
            AwsSetup::Config(config) => config.allowed_endpoints.union(allowed),
            AwsSetup::FromEnv { .. } => allowed.clone(),
        };
        Aws {
            setup,
            runtime: OnceLock::new(),
            allowed,
            state: OnceLock::new(),
        }
    }

    /// The process's part of the allow-list.
    pub(crate) fn allowed_endpoints(&self) -> &AllowedEndpoints {
        &self.allowed
    }

    /// Validates a connection; blocks the calling thread until the report is in. An
    /// endpoint that may not receive credentials is refused first (42501), with nothing
    /// sent and nothing to record.
    pub(crate) fn validate(
        &self,
        connection: &ResolvedConnection,
        principal: Option<&str>,
        cancel: &CancelHandle,
    ) -> Result<(ValidationReport, EndpointUse), Diagnostic> {
        let state = self.state()?;
        let endpoint = state
            .validator
            .check_endpoint(connection)
            .map_err(Diagnostic::from)?;
        let cancelled = async {
            while !cancel.is_requested() {
                tokio::time::sleep(CANCEL_POLL).await;
            }
        };
        let report = self.runtime()?.block_on(async {
            tokio::select! {
                report = state.validator.validate(connection, principal) => Some(report),
                () = cancelled => None,
            }
        });
        match report {
            Some(report) => Ok((report, endpoint)),
            // The probes in flight are dropped: nothing is recorded.
            None => Err(cancel.consume()),
        }
    }

    /// An SDK configuration that acts through `connection` (see
    /// [`airlock_aws::sdk_config`]).
    pub(crate) fn sdk_config(
        &self,
        connection: &ResolvedConnection,
        principal: Option<&str>,
    ) -> Result<SdkConfig, Diagnostic> {
        let state = self.state()?;
        self.runtime()?
            .block_on(airlock_aws::sdk_config(
                &state.config,
                connection,
                principal,
            ))
            .map_err(|e| Diagnostic::from_error(&e))
    }

    /// The role-session broker behind credentials handles.
    pub(crate) fn broker(&self) -> Result<&SessionBroker, Diagnostic> {
        Ok(&self.state()?.broker)
    }

    /// Airlock's AWS settings.
    pub(crate) fn config(&self) -> Result<&AwsConfig, Diagnostic> {
        Ok(&self.state()?.config)
    }

    /// Runs `future` on the engine's runtime, blocking the calling thread.
    pub(crate) fn block_on<F: Future + Send>(&self, future: F) -> Result<F::Output, Diagnostic>
    where
        F::Output: Send,
    {
        Ok(self.runtime()?.block_on(future))
    }

    fn runtime(&self) -> Result<&Runtime, Diagnostic> {
        self.runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("airlock-aws")
                    .enable_all()
                    .build()
                    .map(|runtime| Runtime(Some(runtime)))
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|reason| {
                Diagnostic::error(SqlState::SystemError, "cannot start the AWS client")
                    .with_detail(reason.clone())
            })
    }

    fn state(&self) -> Result<&State, Diagnostic> {
        self.state
            .get_or_init(|| self.start())
            .as_ref()
            .map_err(|reason| {
                Diagnostic::error(SqlState::SystemError, "cannot start the AWS client")
                    .with_detail(reason.clone())
            })
    }

    fn start(&self) -> Result<State, String> {
        let runtime = self.runtime().map_err(|d| d.detail.unwrap_or(d.message))?;
        let config = match &self.setup {
            AwsSetup::Config(config) => (**config).clone(),
            AwsSetup::FromEnv {
                timeout,
                max_attempts,
            } => runtime
                .block_on(AwsConfig::from_env())
                .with_timeout(*timeout)
                .with_max_attempts(*max_attempts),
        }
        .with_allowed_endpoints(&self.allowed);
        let validator = Validator::new(&config);
        let broker = SessionBroker::new(&config);
        Ok(State {
            config,
            validator,
            broker,
        })
    }
}

/// A Tokio runtime that can be used and dropped from anywhere — including from inside a
/// host's own async runtime, where `block_on` and a plain drop would panic.
#[derive(Debug)]
struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    fn block_on<F: Future + Send>(&self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        let Some(runtime) = &self.0 else {
            unreachable!("the runtime is only taken in drop")
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return runtime.block_on(future);
        }
        // Inside a host's runtime: block a helper thread instead of a runtime worker.
        std::thread::scope(
            |scope| match scope.spawn(|| runtime.block_on(future)).join() {
                Ok(output) => output,
                Err(panic) => std::panic::resume_unwind(panic),
            },
        )
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// How often a waiting `VALIDATE` looks at its session's cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(20);
