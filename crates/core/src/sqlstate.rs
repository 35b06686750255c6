//! SQLSTATE codes, as PostgreSQL assigns them (Appendix A of its manual).

use std::fmt;

/// The SQLSTATE codes Airlock reports. One variant per code; [`SqlState::code`] is the
/// five-character form clients match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlState {
    /// `00000`
    SuccessfulCompletion,
    /// `01000`
    Warning,
    /// `08006`: the connection to a server was lost (a client's error).
    ConnectionFailure,
    /// `08P01`
    ProtocolViolation,
    /// `0A000`
    FeatureNotSupported,
    /// `22023`
    InvalidParameterValue,
    /// `22P02`
    InvalidTextRepresentation,
    /// `22012`
    DivisionByZero,
    /// `22003` — a value outside its type's range.
    NumericValueOutOfRange,
    /// `2201F`
    InvalidArgumentForPowerFunction,
    /// `42846` — no cast between the two types.
    CannotCoerce,
    /// `22021` — bytes that are not valid UTF-8.
    CharacterNotInRepertoire,
    /// `0LP01`
    InvalidGrantOperation,
    /// `2BP01`
    DependentObjectsStillExist,
    /// `25006`
    ReadOnlySqlTransaction,
    /// `28000`
    InvalidAuthorizationSpecification,
    /// `42501`
    InsufficientPrivilege,
    /// `42601`
    SyntaxError,
    /// `42602`
    InvalidName,
    /// `42622`
    NameTooLong,
    /// `42704`
    UndefinedObject,
    /// `42710`
    DuplicateObject,
    /// `42P01`
    UndefinedTable,
    /// `42703`
    UndefinedColumn,
    /// `42809`
    WrongObjectType,
    /// `54000`
    ProgramLimitExceeded,
    /// `54001`
    StatementTooComplex,
    /// `55000`
    ObjectNotInPrerequisiteState,
    /// `55006`
    ObjectInUse,
    /// `55P02`
    CantChangeRuntimeParam,
    /// `55P03`
    LockNotAvailable,
    /// `57014`
    QueryCanceled,
    /// `58000`
    SystemError,
    /// `58030`
    IoError,
    /// `XX000`
    InternalError,
    /// `XX001`
    DataCorrupted,
    /// `57P01`: the server is shutting down or restarting (a PostgreSQL catalog's server).
    AdminShutdown,
    /// `40001`: a concurrent transaction conflicted; the statement can be retried.
    SerializationFailure,
    /// `40P01`
    DeadlockDetected,
    /// `21000`: a scalar subquery returned more than one row.
    CardinalityViolation,
    /// `22007`
    InvalidDatetimeFormat,
    /// `42804`
    DatatypeMismatch,
    /// `42803`
    GroupingError,
    /// `42702`
    AmbiguousColumn,
    /// `42883`
    UndefinedFunction,
}

impl SqlState {
    /// Every code, for [`SqlState::from_code`].
    const ALL: [SqlState; 45] = [
        SqlState::SuccessfulCompletion,
        SqlState::Warning,
        SqlState::ConnectionFailure,
        SqlState::ProtocolViolation,
        SqlState::FeatureNotSupported,
        SqlState::InvalidParameterValue,
        SqlState::InvalidTextRepresentation,
        SqlState::DivisionByZero,
        SqlState::NumericValueOutOfRange,
        SqlState::InvalidArgumentForPowerFunction,
        SqlState::CannotCoerce,
        SqlState::CharacterNotInRepertoire,
        SqlState::InvalidGrantOperation,
        SqlState::DependentObjectsStillExist,
        SqlState::ReadOnlySqlTransaction,
        SqlState::InvalidAuthorizationSpecification,
        SqlState::InsufficientPrivilege,
        SqlState::SyntaxError,
        SqlState::InvalidName,
        SqlState::NameTooLong,
        SqlState::UndefinedObject,
        SqlState::DuplicateObject,
        SqlState::UndefinedTable,
        SqlState::UndefinedColumn,
        SqlState::WrongObjectType,
        SqlState::ProgramLimitExceeded,
        SqlState::StatementTooComplex,
        SqlState::ObjectNotInPrerequisiteState,
        SqlState::ObjectInUse,
        SqlState::CantChangeRuntimeParam,
        SqlState::LockNotAvailable,
        SqlState::QueryCanceled,
        SqlState::SystemError,
        SqlState::IoError,
        SqlState::InternalError,
        SqlState::DataCorrupted,
        SqlState::AdminShutdown,
        SqlState::SerializationFailure,
        SqlState::DeadlockDetected,
        SqlState::CardinalityViolation,
        SqlState::InvalidDatetimeFormat,
        SqlState::DatatypeMismatch,
        SqlState::GroupingError,
        SqlState::AmbiguousColumn,
        SqlState::UndefinedFunction,
    ];

    /// The variant whose five-character code is `code`, if Airlock reports it.
    pub fn from_code(code: &str) -> Option<SqlState> {
        SqlState::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The five-character SQLSTATE.
    pub const fn code(self) -> &'static str {
        match self {
            SqlState::SuccessfulCompletion => "00000",
            SqlState::Warning => "01000",
            SqlState::ConnectionFailure => "08006",
            SqlState::ProtocolViolation => "08P01",
            SqlState::FeatureNotSupported => "0A000",
            SqlState::InvalidParameterValue => "22023",
            SqlState::InvalidTextRepresentation => "22P02",
            SqlState::DivisionByZero => "22012",
            SqlState::NumericValueOutOfRange => "22003",
            SqlState::InvalidArgumentForPowerFunction => "2201F",
            SqlState::CannotCoerce => "42846",
            SqlState::CharacterNotInRepertoire => "22021",
            SqlState::InvalidGrantOperation => "0LP01",
            SqlState::DependentObjectsStillExist => "2BP01",
            SqlState::ReadOnlySqlTransaction => "25006",
            SqlState::InvalidAuthorizationSpecification => "28000",
            SqlState::InsufficientPrivilege => "42501",
            SqlState::SyntaxError => "42601",
            SqlState::InvalidName => "42602",
            SqlState::NameTooLong => "42622",
            SqlState::UndefinedObject => "42704",
            SqlState::DuplicateObject => "42710",
            SqlState::UndefinedTable => "42P01",
            SqlState::UndefinedColumn => "42703",
            SqlState::WrongObjectType => "42809",
            SqlState::ProgramLimitExceeded => "54000",
            SqlState::StatementTooComplex => "54001",
            SqlState::ObjectNotInPrerequisiteState => "55000",
            SqlState::ObjectInUse => "55006",
            SqlState::CantChangeRuntimeParam => "55P02",
            SqlState::LockNotAvailable => "55P03",
            SqlState::QueryCanceled => "57014",
            SqlState::SystemError => "58000",
            SqlState::IoError => "58030",
            SqlState::InternalError => "XX000",
            SqlState::DataCorrupted => "XX001",
            SqlState::AdminShutdown => "57P01",
            SqlState::SerializationFailure => "40001",
            SqlState::DeadlockDetected => "40P01",
            SqlState::CardinalityViolation => "21000",
            SqlState::InvalidDatetimeFormat => "22007",
            SqlState::DatatypeMismatch => "42804",
            SqlState::GroupingError => "42803",
            SqlState::AmbiguousColumn => "42702",
            SqlState::UndefinedFunction => "42883",
        }
    }
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_five_characters() {
        for s in [
            SqlState::FeatureNotSupported,
            SqlState::DependentObjectsStillExist,
            SqlState::UndefinedObject,
            SqlState::SystemError,
        ] {
            assert_eq!(s.code().len(), 5);
        }
        assert_eq!(SqlState::DependentObjectsStillExist.to_string(), "2BP01");
    }

    #[test]
    fn codes_are_distinct_and_read_back() {
        for s in SqlState::ALL {
            assert_eq!(SqlState::from_code(s.code()), Some(s), "{s:?}");
        }
        assert_eq!(SqlState::from_code("99999"), None);
    }
}
