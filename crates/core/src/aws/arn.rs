//! IAM ARNs for roles and users, checked the way IAM checks them, so that a typo is
//! caught at `CREATE CONNECTION` rather than at the first AWS call.

use std::fmt;

/// The partitions whose IAM ARNs Airlock accepts.
const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

/// IAM caps a role or user name at 64 characters.
const MAX_NAME_LEN: usize = 64;
/// IAM caps a path at 512 characters.
const MAX_PATH_LEN: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IamArnKind {
    Role,
    User,
}

impl IamArnKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            IamArnKind::Role => "role",
            IamArnKind::User => "user",
        }
    }
}

/// A parsed `arn:<partition>:iam::<account>:{role|user}/<path/>name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamArn {
    pub partition: String,
    pub account: String,
    pub kind: IamArnKind,
    /// The path between the kind and the name, with its slashes (`/` when none).
    pub path: String,
    pub name: String,
}

/// Why a string is not an acceptable IAM ARN. `Display` says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    #[error("expected an ARN of the form arn:aws:iam::<12-digit account id>:{expected}/<name>")]
    Shape { expected: &'static str },
    #[error("unknown partition {0:?}: expected aws, aws-cn or aws-us-gov")]
    Partition(String),
    #[error("expected service iam, found {0:?}")]
    Service(String),
    #[error("IAM ARNs have no region, found {0:?}")]
    Region(String),
    #[error("account id must be 12 digits, found {0:?}")]
    Account(String),
    #[error("expected a {expected} ARN, found resource {found:?}")]
    Kind {
        expected: &'static str,
        found: String,
    },
    #[error(
        "invalid {kind} name {name:?}: names are 1 to 64 characters of letters, digits and +=,.@_-"
    )]
    Name { kind: &'static str, name: String },
    #[error(
        "invalid path {0:?}: path segments are letters, digits and +=,.@_-, at most 512 characters"
    )]
    Path(String),
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

impl IamArn {
    /// Parses a role ARN (`ASSUME ROLE ARN`).
    pub fn parse_role(s: &str) -> Result<IamArn, ArnError> {
        Self::parse_kinds(s, &[IamArnKind::Role], "role")
    }

    /// Parses a role or user ARN (the `aws_principal` setting).
    pub fn parse_principal(s: &str) -> Result<IamArn, ArnError> {
        Self::parse_kinds(s, &[IamArnKind::Role, IamArnKind::User], "role or user")
    }

    fn parse_kinds(
        s: &str,
        kinds: &[IamArnKind],
        expected: &'static str,
    ) -> Result<IamArn, ArnError> {
        let shape = || ArnError::Shape { expected };
        let mut parts = s.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return Err(shape());
        };
        if !PARTITIONS.contains(&partition) {
            return Err(ArnError::Partition(partition.to_owned()));
        }
        if service != "iam" {
            return Err(ArnError::Service(service.to_owned()));
        }
        if !region.is_empty() {
            return Err(ArnError::Region(region.to_owned()));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ArnError::Account(account.to_owned()));
        }
        let (kind_text, rest) = resource.split_once('/').ok_or_else(|| ArnError::Kind {
            expected,
            found: resource.to_owned(),
        })?;
        let kind = kinds
            .iter()
            .copied()
            .find(|k| k.as_str() == kind_text)
            .ok_or_else(|| ArnError::Kind {
                expected,
                found: resource.to_owned(),
            })?;
        let (path_inner, name) = match rest.rsplit_once('/') {
            Some((path, name)) => (Some(path), name),
            None => (None, rest),
        };
        if name.is_empty() || name.chars().count() > MAX_NAME_LEN || !name.chars().all(is_name_char)
        {
            return Err(ArnError::Name {
                kind: kind.as_str(),
                name: name.to_owned(),
            });
        }
        let path = match path_inner {
            None => "/".to_owned(),
            Some(inner) => {
                let path = format!("/{inner}/");
                let ok = path.len() <= MAX_PATH_LEN
                    && inner
                        .split('/')
                        .all(|seg| !seg.is_empty() && seg.chars().all(is_name_char));
                if !ok {
                    return Err(ArnError::Path(path));
                }
                path
            }
        };
        Ok(IamArn {
            partition: partition.to_owned(),
            account: account.to_owned(),
            kind,
            path,
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for IamArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:iam::{}:{}{}{}",
            self.partition,
            self.account,
            self.kind.as_str(),
            self.path,
            self.name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_role_arns_in_every_partition() {
        for arn in [
            "arn:aws:iam::001234567890:role/Reader",
            "arn:aws-cn:iam::001234567890:role/Reader",
            "arn:aws-us-gov:iam::001234567890:role/service-role/team/Reader+x=y,z.w@v_-",
        ] {
            let parsed = IamArn::parse_role(arn).unwrap();
            assert_eq!(parsed.to_string(), arn);
        }
        let parsed = IamArn::parse_role("arn:aws:iam::001234567890:role/a/b/Reader").unwrap();
        assert_eq!(parsed.path, "/a/b/");
        assert_eq!(parsed.name, "Reader");
    }

    #[test]
    fn rejects_what_iam_would_reject() {
        let cases = [
            ("", "expected an ARN"),
            ("arn:aws:iam::001234567890", "expected an ARN"),
            ("arn:aws-xx:iam::001234567890:role/R", "unknown partition"),
            ("arn:aws:s3::001234567890:role/R", "expected service iam"),
            ("arn:aws:iam:us-east-1:001234567890:role/R", "no region"),
            ("arn:aws:iam::1234:role/R", "12 digits"),
            ("arn:aws:iam::00123456789a:role/R", "12 digits"),
            ("arn:aws:iam::001234567890:user/R", "expected a role ARN"),
            ("arn:aws:iam::001234567890:role", "expected a role ARN"),
            ("arn:aws:iam::001234567890:role/", "invalid role name"),
            (
                "arn:aws:iam::001234567890:role/has space",
                "invalid role name",
            ),
            ("arn:aws:iam::001234567890:role//R", "invalid path"),
        ];
        for (arn, want) in cases {
            let err = IamArn::parse_role(arn).unwrap_err().to_string();
            assert!(err.contains(want), "{arn:?}: {err}");
        }
        let long = format!("arn:aws:iam::001234567890:role/{}", "r".repeat(65));
        assert!(IamArn::parse_role(&long).is_err());
    }

    #[test]
    fn principals_may_be_roles_or_users() {
        assert_eq!(
            IamArn::parse_principal("arn:aws:iam::123456789012:user/airlock")
                .unwrap()
                .kind,
            IamArnKind::User
        );
        assert!(IamArn::parse_principal("arn:aws:iam::123456789012:root").is_err());
    }
}
