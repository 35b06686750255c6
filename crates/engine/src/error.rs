//! The engine's errors: planning rules (one variant per message, so the messages of
//! SPEC §3 live in one place), and a wrapper that carries errors of the layers below up
//! to the API, where everything becomes a [`Diagnostic`].

use airlock_catalog::CatalogError;
use airlock_core::{Diagnostic, SqlError, SqlState};
use airlock_parser::ParseError;
use airlock_parser::ast::AwsOptionName;

/// A statement that parsed but breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    // ---- SPEC §3 rules for TO AWS, in the order they are checked -----------------------
    #[error("{0} specified more than once")]
    OptionRepeated(AwsOptionName),
    #[error("invalid SECRET ACCESS KEY: must provide a secret value")]
    SecretAccessKeyLiteral,
    #[error("invalid {0}: must provide a string value, not a secret")]
    OptionNeedsString(AwsOptionName),
    #[error("must specify both ACCESS KEY ID and SECRET ACCESS KEY with optional SESSION TOKEN")]
    IncompleteCredentials,
    #[error("must specify ASSUME ROLE ARN with optional ASSUME ROLE SESSION NAME")]
    SessionNameWithoutArn,
    #[error("must specify either ASSUME ROLE ARN or ACCESS KEY ID and SECRET ACCESS KEY")]
    NoAuthentication,
    #[error("cannot specify both ACCESS KEY ID and ASSUME ROLE ARN")]
    BothAuthentications,

    // ---- value checks -------------------------------------------------------------------
    #[error("invalid {option} {value:?}: {reason}")]
    InvalidOptionValue {
        option: AwsOptionName,
        value: String,
        reason: String,
    },
    #[error("{0} cannot be both set and reset in one statement")]
    SetAndReset(AwsOptionName),
    #[error("identifier \"{0}…\" is too long")]
    NameTooLong(String),
    #[error("{what} exceeds {MAX_VALUE_BYTES} bytes")]
    ValueTooLong { what: String },

    // ---- settings -----------------------------------------------------------------------
    #[error("unrecognized configuration parameter \"{0}\"")]
    UnknownParameter(String),
    #[error("parameter \"{0}\" cannot be changed")]
    ReadOnlyParameter(String),
    #[error("invalid value for parameter \"{name}\": \"{value}\"")]
    InvalidParameterValue {
        name: String,
        value: String,
        reason: String,
    },

    // ---- queries and everything else ----------------------------------------------------
    #[error("relation \"{0}\" does not exist")]
    UnknownRelation(String),
    #[error("{0} is not supported in catalog queries")]
    UnsupportedQuery(&'static str),
    #[error("{0}")]
    Unsupported(String),
}

/// The longest name Airlock accepts, in bytes (PostgreSQL's NAMEDATALEN - 1).
pub const MAX_NAME_BYTES: usize = 63;

/// The longest secret value or option value Airlock accepts, in bytes. AWS credentials
/// are far shorter (AWS Secrets Manager caps a secret at 64 KiB too).
pub const MAX_VALUE_BYTES: usize = 64 << 10;

impl SqlError for PlanError {
    fn code(&self) -> SqlState {
        use PlanError::*;
        match self {
            OptionRepeated(_) | SetAndReset(_) => SqlState::SyntaxError,
            SecretAccessKeyLiteral
            | OptionNeedsString(_)
            | IncompleteCredentials
            | SessionNameWithoutArn
            | NoAuthentication
            | BothAuthentications
            | InvalidOptionValue { .. }
            | InvalidParameterValue { .. } => SqlState::InvalidParameterValue,
            NameTooLong(_) => SqlState::NameTooLong,
            ValueTooLong { .. } => SqlState::ProgramLimitExceeded,
            UnknownParameter(_) => SqlState::UndefinedObject,
            ReadOnlyParameter(_) => SqlState::CantChangeRuntimeParam,
            UnknownRelation(_) => SqlState::UndefinedTable,
            UnsupportedQuery(_) | Unsupported(_) => SqlState::FeatureNotSupported,
        }
    }

    fn detail(&self) -> Option<String> {
        use PlanError::*;
        match self {
            InvalidParameterValue { reason, .. } => Some(capitalize(reason)),
            NameTooLong(_) => Some(format!("Names are at most {MAX_NAME_BYTES} bytes long.")),
            UnknownRelation(_) => Some(format!(
                "Catalog queries may read {}.",
                crate::query::RELATIONS
                    .iter()
                    .map(|r| format!("{}.{}", r.schema, r.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => None,
        }
    }

    fn hint(&self) -> Option<String> {
        use PlanError::*;
        match self {
            SecretAccessKeyLiteral => Some(
                "Store the key with CREATE SECRET name AS '...' and reference it as SECRET ACCESS KEY = SECRET name."
                    .to_owned(),
            ),
            OptionNeedsString(option) => Some(format!("Write {option} = '...'.")),
            IncompleteCredentials | NoAuthentication => Some(
                "Use ASSUME ROLE ARN = '<role arn>' (recommended), or ACCESS KEY ID = '...' with SECRET ACCESS KEY = SECRET name."
                    .to_owned(),
            ),
            BothAuthentications => Some(
                "A connection either assumes a role or uses access keys: remove one of them.".to_owned(),
            ),
            SetAndReset(option) => Some(format!("Remove either SET ({option} = ...) or RESET ({option}).")),
            UnknownParameter(_) => Some("Airlock's parameters are aws_principal and aws_external_id_prefix.".to_owned()),
            ReadOnlyParameter(_) => Some(
                "The external-ID prefix is fixed when the catalog is created, because customers' trust policies name it."
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => format!(
            "{}{}.",
            first.to_uppercase(),
            chars.as_str().trim_end_matches('.')
        ),
        None => String::new(),
    }
}

/// Any error on the way through the engine.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExecError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("{0}")]
    Diagnostic(Diagnostic),
}

impl From<Diagnostic> for ExecError {
    fn from(d: Diagnostic) -> Self {
        ExecError::Diagnostic(d)
    }
}

impl ExecError {
    pub(crate) fn into_diagnostic(self) -> Diagnostic {
        match self {
            ExecError::Plan(e) => Diagnostic::from_error(&e),
            ExecError::Catalog(e) => Diagnostic::from_error(&e),
            ExecError::Parse(e) => Diagnostic::from_error(&e),
            ExecError::Diagnostic(d) => d,
        }
    }
}

pub(crate) type Result<T, E = ExecError> = std::result::Result<T, E>;
