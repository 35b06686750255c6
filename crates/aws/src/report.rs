//! What a validation found: one entry per check, an overall status, and — when it did not
//! pass — the error a user sees (message, DETAIL, HINT) and what the history table
//! records.

use std::fmt;

use airlock_core::{Diagnostic, SqlError, SqlState};

/// The outcome of one check, and of a whole validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The check proved what it set out to prove.
    Ok,
    /// AWS answered, and the answer is wrong (or AWS refused what must work).
    Failed,
    /// AWS could not be asked or gave no usable answer (network, timeout, throttling,
    /// 5xx). Never a pass.
    Inconclusive,
    /// The check does not apply to the connection, and says why (the external-ID checks
    /// of a connection that has no external ID). Only a check can have it, never a
    /// whole validation; never a pass either.
    NotApplicable,
}

impl Status {
    /// The spelling in result rows and in `mz_aws_connection_validations.status`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Inconclusive => "inconclusive",
            Status::NotApplicable => "not applicable",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The checks a validation may run, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckName {
    /// The connection's calls went to an endpoint that is not AWS STS, allowed because
    /// the operator listed it: reported first, since the other checks prove only what
    /// that endpoint answered.
    Endpoint,
    /// Airlock can act as the configured principal (assume-role connections).
    Principal,
    /// Assuming the role with the external ID works, and `GetCallerIdentity` with the
    /// resulting session names the role.
    AssumeRoleWithExternalId,
    /// AWS grants the connection's `ASSUME ROLE SESSION DURATION`: not above one hour
    /// when the principal hop is role chaining, and within the role's maximum session
    /// duration (reported only when the connection sets a duration).
    SessionDuration,
    /// The negative probes (see `probes.rs` for the attacker model): each is an
    /// `AssumeRole` that must be refused with `AccessDenied`.
    ///
    /// No external ID at all.
    AssumeRoleWithoutExternalId,
    /// This environment's prefix and an id that starts with this connection's
    /// (`u3` → `u31`): a future connection.
    AssumeRoleWithLongerConnectionId,
    /// This environment's prefix and an id of the same length with its last digit
    /// changed (`u3` → `u4`).
    AssumeRoleWithSameLengthConnectionId,
    /// This environment's prefix and a longer id that shares no digit with this one
    /// (`u3` → `u11`).
    AssumeRoleWithUnrelatedConnectionId,
    /// This connection's id under a fresh random prefix: another environment.
    AssumeRoleWithOtherEnvironmentPrefix,
    /// A random string not of Airlock's shape.
    AssumeRoleWithRandomExternalId,
    /// `GetCallerIdentity` with the connection's keys (access-key connections), or with
    /// Airlock's own credentials (`USE DEFAULT CREDENTIALS`).
    GetCallerIdentity,
    /// Whether a customer's role requires the connection's external ID: not applicable
    /// to a `USE DEFAULT CREDENTIALS` connection, which has neither (reported so that
    /// nobody reads the validation as a confused-deputy check that passed).
    ExternalId,
}

impl CheckName {
    /// The value of the `check` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            CheckName::Endpoint => "endpoint",
            CheckName::Principal => "principal",
            CheckName::AssumeRoleWithExternalId => "assume_role_with_external_id",
            CheckName::SessionDuration => "session_duration",
            CheckName::AssumeRoleWithoutExternalId => "assume_role_without_external_id",
            CheckName::AssumeRoleWithLongerConnectionId => "assume_role_with_longer_connection_id",
            CheckName::AssumeRoleWithSameLengthConnectionId => {
                "assume_role_with_same_length_connection_id"
            }
            CheckName::AssumeRoleWithUnrelatedConnectionId => {
                "assume_role_with_unrelated_connection_id"
            }
            CheckName::AssumeRoleWithOtherEnvironmentPrefix => {
                "assume_role_with_other_environment_prefix"
            }
            CheckName::AssumeRoleWithRandomExternalId => "assume_role_with_random_external_id",
            CheckName::GetCallerIdentity => "get_caller_identity",
            CheckName::ExternalId => "external_id",
        }
    }
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's row: `check`, `status`, `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: CheckName,
    pub status: Status,
    /// What was observed, in a sentence a user can act on (no secret values).
    pub detail: String,
}

/// The result of `VALIDATE CONNECTION`.
///
/// On [`Status::Ok`], `message`, `detail`, `hint` and `error_code` are `None` and the
/// engine returns [`ValidationReport::rows`]. Otherwise the engine returns
/// [`ValidationReport::into_error`] and records the run either way (`status`,
/// `caller_arn`, `error_code`, `message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationReport {
    pub status: Status,
    pub checks: Vec<Check>,
    /// The ARN AWS reported for the connection's credentials (`GetCallerIdentity`), when
    /// a check got that far.
    pub caller_arn: Option<String>,
    /// AWS's error code for the decisive failure (`AccessDenied`,
    /// `SignatureDoesNotMatch`, …), or Airlock's name for it (`ExternalIdNotRequired`,
    /// `ExternalIdNotChecked`, `ExternalIdOfAnotherConnection`, `PrincipalNotConfigured`, `PrincipalMismatch`, `Timeout`,
    /// `ConnectionFailed`, …).
    pub error_code: Option<String>,
    /// The primary error message.
    pub message: Option<String>,
    /// Facts about the failure, before the list of checks.
    pub detail: Option<String>,
    /// What to change.
    pub hint: Option<String>,
}

impl ValidationReport {
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// `(check, status, detail)` per check, as result rows.
    pub fn rows(&self) -> Vec<[String; 3]> {
        self.checks
            .iter()
            .map(|c| {
                [
                    c.name.as_str().to_owned(),
                    c.status.as_str().to_owned(),
                    c.detail.clone(),
                ]
            })
            .collect()
    }

    /// The check list as DETAIL lines: `check: status (detail)`.
    pub fn checks_text(&self) -> String {
        self.checks
            .iter()
            .map(|c| format!("{}: {} ({})", c.name, c.status, c.detail))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// `Ok(self)` when every check passed, the user-facing error otherwise.
    pub fn into_result(self) -> Result<ValidationReport, ValidationError> {
        if self.is_ok() {
            Ok(self)
        } else {
            Err(self.into_error())
        }
    }

    /// The error for a report that did not pass. A passing report gives an error too
    /// (message `connection validation passed`), but callers should not ask for one.
    pub fn into_error(self) -> ValidationError {
        ValidationError {
            message: self
                .message
                .clone()
                .unwrap_or_else(|| format!("connection validation {}", self.status)),
            report: Box::new(self),
        }
    }

    pub(crate) fn from_checks(checks: Vec<Check>, caller_arn: Option<String>) -> Self {
        let status = overall(&checks);
        ValidationReport {
            status,
            checks,
            caller_arn,
            error_code: None,
            message: None,
            detail: None,
            hint: None,
        }
    }

    pub(crate) fn with_error(
        mut self,
        code: impl Into<String>,
        message: impl Into<String>,
        detail: Option<String>,
        hint: Option<String>,
    ) -> Self {
        self.error_code = Some(code.into());
        self.message = Some(message.into());
        self.detail = detail;
        self.hint = hint;
        self
    }
}

/// Failed beats inconclusive beats ok: one wrong answer is a definite failure even if
/// another probe could not be run. A check that does not apply proves nothing: a
/// validation passes only when at least one check passed and none failed or was
/// inconclusive.
fn overall(checks: &[Check]) -> Status {
    if checks.iter().any(|c| c.status == Status::Failed) {
        Status::Failed
    } else if checks.iter().any(|c| c.status == Status::Inconclusive)
        || !checks.iter().any(|c| c.status == Status::Ok)
    {
        Status::Inconclusive
    } else {
        Status::Ok
    }
}

/// A validation that did not pass, as a PostgreSQL-style error (SQLSTATE 58000). Its
/// DETAIL holds the report's detail followed by every check; its HINT says what to
/// change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    message: String,
    // Boxed: the report is large, and errors travel by value through `Result`s.
    report: Box<ValidationReport>,
}

impl ValidationError {
    /// The report this error was made from, e.g. to record it in the history table.
    pub fn report(&self) -> &ValidationReport {
        &self.report
    }

    pub fn into_report(self) -> ValidationReport {
        *self.report
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ValidationError {}

impl SqlError for ValidationError {
    fn code(&self) -> SqlState {
        // A refused endpoint is the operator's policy, not a failure of AWS: see
        // `EndpointError`.
        if self.report.error_code.as_deref() == Some(crate::endpoints::EndpointError::CODE) {
            SqlState::InsufficientPrivilege
        } else {
            SqlState::SystemError
        }
    }

    fn detail(&self) -> Option<String> {
        let checks = self.report.checks_text();
        match (&self.report.detail, checks.is_empty()) {
            (Some(detail), false) => Some(format!("{detail}\n{checks}")),
            (Some(detail), true) => Some(detail.clone()),
            (None, false) => Some(checks),
            (None, true) => None,
        }
    }

    fn hint(&self) -> Option<String> {
        self.report.hint.clone()
    }
}

impl From<ValidationError> for Diagnostic {
    fn from(err: ValidationError) -> Diagnostic {
        Diagnostic::from_error(&err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: CheckName, status: Status) -> Check {
        Check {
            name,
            status,
            detail: "d".into(),
        }
    }

    #[test]
    fn failed_beats_inconclusive_beats_ok() {
        use CheckName::*;
        let ok = ValidationReport::from_checks(vec![check(Principal, Status::Ok)], None);
        assert_eq!(ok.status, Status::Ok);
        let inc = ValidationReport::from_checks(
            vec![
                check(Principal, Status::Ok),
                check(AssumeRoleWithExternalId, Status::Inconclusive),
            ],
            None,
        );
        assert_eq!(inc.status, Status::Inconclusive);
        let failed = ValidationReport::from_checks(
            vec![
                check(AssumeRoleWithExternalId, Status::Inconclusive),
                check(AssumeRoleWithoutExternalId, Status::Failed),
            ],
            None,
        );
        assert_eq!(failed.status, Status::Failed);
        assert_eq!(
            ValidationReport::from_checks(vec![], None).status,
            Status::Inconclusive,
            "no checks prove nothing"
        );
        assert_eq!(
            ValidationReport::from_checks(vec![check(ExternalId, Status::NotApplicable)], None)
                .status,
            Status::Inconclusive,
            "a check that does not apply proves nothing"
        );
        assert_eq!(
            ValidationReport::from_checks(
                vec![
                    check(GetCallerIdentity, Status::Ok),
                    check(ExternalId, Status::NotApplicable)
                ],
                None
            )
            .status,
            Status::Ok
        );
    }

    #[test]
    fn error_lists_every_check_after_the_detail() {
        let report = ValidationReport::from_checks(
            vec![
                check(CheckName::AssumeRoleWithExternalId, Status::Ok),
                check(CheckName::AssumeRoleWithoutExternalId, Status::Failed),
            ],
            None,
        )
        .with_error("X", "bad", Some("why".into()), Some("fix".into()));
        let err = report.into_result().unwrap_err();
        assert_eq!(err.code(), SqlState::SystemError);
        assert_eq!(
            Diagnostic::from(err).render(),
            "ERROR:  bad\n\
             DETAIL:  why\n\
             assume_role_with_external_id: ok (d)\n\
             assume_role_without_external_id: failed (d)\n\
             HINT:  fix"
        );
    }
}
