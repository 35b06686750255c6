//! Object ids: `u1`, `u2`, … drawn from one sequence shared by every kind of object and
//! never reused, so that an id — and the external ID derived from it — names one object
//! for the life of the catalog.

use std::fmt;
use std::str::FromStr;

/// An id as the catalog hands it out, before it is known what kind of object holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(pub u64);

/// The text is not of the form `u<digits>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid object id {0:?}: expected u followed by a positive integer")]
pub struct InvalidId(pub String);

fn parse_user_id(s: &str) -> Result<u64, InvalidId> {
    s.strip_prefix('u')
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse::<u64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| InvalidId(s.to_owned()))
}

macro_rules! user_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "u{}", self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                parse_user_id(s).map($name)
            }
        }

        impl From<$name> for ObjectId {
            fn from(id: $name) -> ObjectId {
                ObjectId(id.0)
            }
        }

        impl From<ObjectId> for $name {
            fn from(id: ObjectId) -> $name {
                $name(id.0)
            }
        }
    };
}

user_id!(
    /// The id of a connection (`mz_connections.id`).
    ConnectionId
);
user_id!(
    /// The id of a secret (`mz_secrets.id`).
    SecretId
);

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "u{}", self.0)
    }
}

impl FromStr for ObjectId {
    type Err = InvalidId;
    fn from_str(s: &str) -> Result<Self, InvalidId> {
        parse_user_id(s).map(ObjectId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        assert_eq!(ConnectionId(3).to_string(), "u3");
        assert_eq!("u42".parse::<SecretId>(), Ok(SecretId(42)));
        assert_eq!("u7".parse::<ObjectId>(), Ok(ObjectId(7)));
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "",
            "u",
            "3",
            "u0",
            "u-1",
            "U3",
            "u3x",
            "s3",
            "u99999999999999999999999",
        ] {
            assert!(bad.parse::<ConnectionId>().is_err(), "{bad:?} parsed");
        }
    }
}
