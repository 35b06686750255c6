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
    /// `0A000`
    FeatureNotSupported,
    /// `22023`
    InvalidParameterValue,
    /// `22P02`
    InvalidTextRepresentation,
    /// `22021` — bytes that are not valid UTF-8.
    CharacterNotInRepertoire,
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
}

impl SqlState {
    /// The five-character SQLSTATE.
    pub const fn code(self) -> &'static str {
        match self {
            SqlState::SuccessfulCompletion => "00000",
            SqlState::Warning => "01000",
            SqlState::FeatureNotSupported => "0A000",
            SqlState::InvalidParameterValue => "22023",
            SqlState::InvalidTextRepresentation => "22P02",
            SqlState::CharacterNotInRepertoire => "22021",
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
            SqlState::CantChangeRuntimeParam => "55P02",
            SqlState::LockNotAvailable => "55P03",
            SqlState::QueryCanceled => "57014",
            SqlState::SystemError => "58000",
            SqlState::IoError => "58030",
            SqlState::InternalError => "XX000",
            SqlState::DataCorrupted => "XX001",
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
}
