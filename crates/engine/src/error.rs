//! The engine's errors: planning rules (one variant per message, so the messages of the
//! `TO AWS` option rules in `docs/sql/create-connection.md` live in one place), and a wrapper that carries errors of the layers below up
//! to the API, where everything becomes a [`Diagnostic`].

use airlock_catalog::CatalogError;
use airlock_core::{Diagnostic, SqlError, SqlState};
use airlock_parser::ParseError;
use airlock_parser::ast::AwsOptionName;

/// A statement that parsed but breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    // ---- The TO AWS option rules, in the order they are checked -------------------------
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
    #[error("must specify ASSUME ROLE ARN with optional ASSUME ROLE SESSION DURATION")]
    SessionDurationWithoutArn,
    #[error("must specify either ASSUME ROLE ARN or ACCESS KEY ID and SECRET ACCESS KEY")]
    NoAuthentication,
    #[error("cannot specify both ACCESS KEY ID and ASSUME ROLE ARN")]
    BothAuthentications,
    /// `USE DEFAULT CREDENTIALS` with the option named (`ASSUME ROLE ARN` or `ACCESS KEY
    /// ID`).
    #[error("cannot specify both USE DEFAULT CREDENTIALS and {0}")]
    DefaultCredentialsAndOther(AwsOptionName),
    /// A switch (`USE DEFAULT CREDENTIALS`) given a value, which a statement built in
    /// code rather than parsed could do.
    #[error("invalid {0}: takes no value")]
    OptionTakesNoValue(AwsOptionName),
    /// An option that takes a value given none.
    #[error("invalid {0}: must provide a value")]
    OptionNeedsValue(AwsOptionName),
    /// `USE DEFAULT CREDENTIALS` while `aws_allow_default_credentials` is off: at
    /// `CREATE`/`ALTER CONNECTION` (`None`), or when the named connection is validated or
    /// used.
    #[error("{}", match .0 {
        None => "USE DEFAULT CREDENTIALS is disabled".to_owned(),
        Some(name) => format!("connection \"{name}\" uses USE DEFAULT CREDENTIALS, which is disabled"),
    })]
    DefaultCredentialsDisabled(Option<String>),

    // ---- value checks -------------------------------------------------------------------
    #[error("invalid {option} {value:?}: {reason}")]
    InvalidOptionValue {
        option: AwsOptionName,
        value: String,
        reason: String,
    },
    /// Materialize's message; every option both set and reset is listed.
    #[error("cannot both SET and DROP/RESET options {}", list(.0))]
    SetAndReset(Vec<AwsOptionName>),
    #[error("identifier length exceeds {MAX_NAME_BYTES} bytes")]
    NameTooLong,
    #[error("{what} exceeds {MAX_VALUE_BYTES} bytes")]
    ValueTooLong { what: String },

    // ---- names --------------------------------------------------------------------------
    /// A qualified name whose database is not the catalog's.
    #[error("unknown database '{0}'")]
    UnknownDatabase(String),
    /// A qualified name whose schema is not the catalog's.
    #[error("unknown schema '{0}'")]
    UnknownSchema(String),
    /// `SECRET name` in a connection names an object that is not a secret (the name
    /// qualified, as Materialize prints it).
    #[error("{0} is not a secret")]
    NotASecret(String),
    /// `ALTER ... RENAME TO` a name another object holds.
    #[error("{name} is already taken by item in schema {schema}")]
    NameTaken { name: String, schema: String },

    // ---- secret values (Materialize's messages where it has them) -----------------------
    #[error("AS does not allow subqueries")]
    SecretSubquery,
    #[error("AS does not allow column references")]
    SecretColumnReference,
    #[error("AS must have type bytea, not type {0}")]
    SecretType(&'static str),
    #[error("secret value can not be null")]
    SecretNull,
    #[error("secrets can not be bigger than 512KiB")]
    SecretTooBig,
    #[error("a secret value expression exceeds {} MiB while it is evaluated", crate::plan::secret::MAX_EVAL_BYTES >> 20)]
    SecretEvalTooBig,
    #[error("{0} is not supported in secret values")]
    UnsupportedInSecret(String),
    #[error("function {0} does not exist")]
    FunctionDoesNotExist(String),
    #[error("operator does not exist: {0}")]
    OperatorDoesNotExist(String),
    #[error("CAST does not support casting from {from} to {to}")]
    CannotCast {
        from: &'static str,
        to: &'static str,
    },
    /// Bad input to `bytea`, `decode` or an integer cast; never quotes the input.
    #[error("{0}")]
    InvalidInput(&'static str),
    #[error("unrecognized encoding")]
    UnrecognizedEncoding,
    #[error("invalid source encoding name")]
    InvalidSourceEncoding,
    #[error("invalid byte sequence for encoding \"UTF8\"")]
    InvalidUtf8,
    #[error("comment exceeds {MAX_VALUE_BYTES} bytes")]
    CommentTooLong,

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
    #[error("column \"{0}\" does not exist")]
    UnknownColumn(String),
    /// A function a catalog query on PostgreSQL may not call.
    #[error("function {0} does not exist")]
    UnknownFunction(String),
    #[error("{0} is not supported in catalog queries")]
    UnsupportedQuery(&'static str),
    #[error("{0}")]
    Unsupported(String),
}

/// The longest name Airlock accepts, in bytes: Materialize's `max_identifier_length`,
/// enforced by the parser for every part of a name.
pub const MAX_NAME_BYTES: usize = airlock_parser::MAX_IDENT_BYTES;

/// The largest secret value, in bytes: Materialize's bound (`secrets can not be bigger
/// than 512KiB`).
pub const MAX_SECRET_BYTES: usize = 512 << 10;

/// The longest option value or comment Airlock accepts, in bytes. AWS credentials, ARNs,
/// regions and URLs are far shorter; a connection's `create_sql` (seven options) stays
/// well under the 1 MiB a catalog query may return in one value.
pub const MAX_VALUE_BYTES: usize = 64 << 10;

fn list(options: &[AwsOptionName]) -> String {
    options
        .iter()
        .map(|o| o.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl SqlError for PlanError {
    fn code(&self) -> SqlState {
        use PlanError::*;
        match self {
            OptionRepeated(_) | SetAndReset(_) => SqlState::SyntaxError,
            UnknownDatabase(_) | UnknownSchema(_) => SqlState::UndefinedObject,
            NotASecret(_) => SqlState::WrongObjectType,
            NameTaken { .. } => SqlState::DuplicateObject,
            SecretSubquery | UnsupportedInSecret(_) => SqlState::FeatureNotSupported,
            SecretColumnReference => SqlState::UndefinedColumn,
            SecretType(_)
            | SecretNull
            | CannotCast { .. }
            | UnrecognizedEncoding
            | InvalidSourceEncoding => SqlState::InvalidParameterValue,
            FunctionDoesNotExist(_) | OperatorDoesNotExist(_) => SqlState::UndefinedObject,
            InvalidInput(_) => SqlState::InvalidTextRepresentation,
            InvalidUtf8 => SqlState::CharacterNotInRepertoire,
            SecretTooBig | SecretEvalTooBig | CommentTooLong => SqlState::ProgramLimitExceeded,
            SecretAccessKeyLiteral
            | OptionNeedsString(_)
            | IncompleteCredentials
            | SessionNameWithoutArn
            | SessionDurationWithoutArn
            | NoAuthentication
            | BothAuthentications
            | DefaultCredentialsAndOther(_)
            | OptionTakesNoValue(_)
            | OptionNeedsValue(_)
            | InvalidOptionValue { .. }
            | InvalidParameterValue { .. } => SqlState::InvalidParameterValue,
            NameTooLong => SqlState::NameTooLong,
            ValueTooLong { .. } => SqlState::ProgramLimitExceeded,
            UnknownParameter(_) => SqlState::UndefinedObject,
            ReadOnlyParameter(_) => SqlState::CantChangeRuntimeParam,
            UnknownRelation(_) => SqlState::UndefinedTable,
            UnknownColumn(_) => SqlState::UndefinedColumn,
            UnknownFunction(_) => SqlState::UndefinedFunction,
            UnsupportedQuery(_) | Unsupported(_) => SqlState::FeatureNotSupported,
            // A feature the operator turned off, as Materialize's disabled features: no
            // GRANT can allow it, only `ALTER SYSTEM`.
            DefaultCredentialsDisabled(_) => SqlState::FeatureNotSupported,
        }
    }

    fn detail(&self) -> Option<String> {
        use PlanError::*;
        match self {
            InvalidParameterValue { reason, .. } => Some(capitalize(reason)),
            UnknownDatabase(_) | UnknownSchema(_) => Some(
                "Airlock has one namespace of secrets and connections: qualified names must name its database and schema."
                    .to_owned(),
            ),
            DefaultCredentialsDisabled(_) => Some(
                "A connection with USE DEFAULT CREDENTIALS acts as Airlock's own AWS identity, which the operator allows only with the setting aws_allow_default_credentials (off)."
                    .to_owned(),
            ),
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
            UnknownFunction(_) => Some(
                "Catalog queries may call PostgreSQL's built-in aggregates, window functions and functions of text, numbers, times, JSON and arrays (see docs/catalog.md).".to_owned(),
            ),
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
            DefaultCredentialsAndOther(other) => Some(format!(
                "A connection with USE DEFAULT CREDENTIALS acts as Airlock's own identity and takes no {other}: remove one of them."
            )),
            OptionTakesNoValue(option) => Some(format!("Write {option} alone.")),
            OptionNeedsValue(option) => Some(format!("Write {option} = '...'.")),
            DefaultCredentialsDisabled(_) => Some(
                "A superuser can allow it with ALTER SYSTEM SET aws_allow_default_credentials = true. Prefer ASSUME ROLE ARN, which keeps the external-ID protection."
                    .to_owned(),
            ),
            SessionDurationWithoutArn => Some(
                "ASSUME ROLE SESSION DURATION sets how long a role session lasts; access keys have no session. Remove it, or use ASSUME ROLE ARN.".to_owned(),
            ),
            SetAndReset(options) => Some(format!(
                "Remove either SET ({0} = ...) or RESET ({0}).",
                options.first().map_or("", |o| o.as_str())
            )),
            NameTooLong => Some("Use a shorter name.".to_owned()),
            UnknownColumn(_) => Some("SHOW CREATE CONNECTION has the columns name and create_sql.".to_owned()),
            UnknownDatabase(_) | UnknownSchema(_) => Some(
                "Leave the name unqualified, or qualify it as SHOW CREATE CONNECTION does.".to_owned(),
            ),
            NotASecret(_) => Some("Name a secret: CREATE SECRET name AS '...' makes one.".to_owned()),
            NameTaken { .. } => Some("Choose another name.".to_owned()),
            SecretColumnReference | SecretType(_) => Some(
                "A secret's value is a string literal ('...') or a bytea expression such as decode('...', 'base64').".to_owned(),
            ),
            SecretSubquery
            | UnsupportedInSecret(_)
            | FunctionDoesNotExist(_)
            | OperatorDoesNotExist(_)
            | CannotCast { .. } => Some(
                "A secret's value is a constant bytea expression of string literals, ::bytea and ::text casts, ||, decode, encode, repeat and convert_from."
                    .to_owned(),
            ),
            UnrecognizedEncoding => Some("decode and encode take 'base64', 'hex' or 'escape'.".to_owned()),
            InvalidSourceEncoding => Some("convert_from takes 'utf8'.".to_owned()),
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
