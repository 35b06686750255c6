//! Secret values as a type that cannot be printed by accident.

use std::fmt;

use zeroize::Zeroizing;

/// A secret value (an AWS secret access key, a session token, …).
///
/// `Debug` and `Display` print `<redacted>`; the only way to the text is
/// [`SecretString::expose_secret`], a name that is easy to find in review. The memory is
/// wiped on drop. Deliberately not `Serialize`, not `PartialEq` (no timing oracle, no
/// accidental `assert_eq!` output) and not `Clone` without intent (`clone` is explicit).
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(Zeroizing::new(value.into()))
    }

    /// The value itself. Call only where the value must leave Airlock (the secret store,
    /// an AWS request signer) — never to format a message.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Length in bytes, which reveals nothing a log reader could use.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Clone for SecretString {
    fn clone(&self) -> Self {
        SecretString::new(self.expose_secret().to_owned())
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        SecretString::new(value)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let s = SecretString::new("hunter2-canary");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{s:?}"), "SecretString(<redacted>)");
        assert_eq!(
            format!("{:?}", Some(s.clone())),
            "Some(SecretString(<redacted>))"
        );
        assert_eq!(s.expose_secret(), "hunter2-canary");
    }
}
