//! Scrubbing known secret values out of what AWS (or an endpoint pretending to be AWS)
//! answered, before anything of it is displayed or stored.
//!
//! AWS does not echo credentials, but an emulator or a listed endpoint may: an error
//! message that quotes the request's `Authorization` header would carry an access key ID
//! that came from a secret, or a session token. Every string of a validation report, and
//! every error message and ARN an STS call returns, goes through [`scrub`] with the values
//! that were used to sign: the connection's resolved secret values and the credentials of
//! the call.

use std::borrow::Cow;

use airlock_core::SecretString;
use aws_sdk_sts::config::Credentials;

use crate::connection::{ResolvedAuth, ResolvedConnection};
use crate::report::ValidationReport;
use crate::sts::CallError;

/// What a scrubbed value is replaced with.
pub const SCRUBBED: &str = "<REDACTED>";

/// The longest AWS message Airlock keeps (in bytes); longer ones are cut, so that an
/// endpoint cannot fill the validation history.
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// Values shorter than this are not scrubbed: a one- to three-character "secret" cannot be
/// told apart from ordinary text (scrubbing `s` would garble every message), and is no
/// secret anyway. Real credentials are 16 characters and more.
pub const MIN_SCRUBBED_LEN: usize = 4;

/// `text` with every occurrence of each of `secrets` — as is, and percent-encoded as in
/// a query string or form body — replaced by `<REDACTED>`. Longer values are replaced
/// first, so a value that contains another disappears whole. Values shorter than
/// [`MIN_SCRUBBED_LEN`] are ignored.
pub fn scrub<'a>(text: &'a str, secrets: &[&str]) -> Cow<'a, str> {
    let mut forms: Vec<String> = Vec::new();
    for secret in secrets.iter().filter(|s| s.len() >= MIN_SCRUBBED_LEN) {
        let encoded = percent_encode(secret);
        if encoded != *secret {
            forms.push(encoded);
        }
        forms.push((*secret).to_owned());
    }
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    let mut out = Cow::Borrowed(text);
    for form in &forms {
        if out.contains(form.as_str()) {
            out = Cow::Owned(out.replace(form.as_str(), SCRUBBED));
        }
    }
    out
}

/// `application/x-www-form-urlencoded`-style encoding (what an STS query body uses): the
/// spelling in which a secret would come back if an endpoint echoed the request body.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Cuts `text` to [`MAX_MESSAGE_BYTES`] on a character boundary.
pub(crate) fn bounded(mut text: String) -> String {
    if text.len() > MAX_MESSAGE_BYTES {
        let mut end = MAX_MESSAGE_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// The secret values a validation of `conn` may meet: its access key ID (it may come
/// from a secret), secret access key and session token.
pub(crate) fn connection_secrets(conn: &ResolvedConnection) -> Vec<SecretString> {
    match &conn.auth {
        ResolvedAuth::AccessKey(key) => {
            let mut values = vec![
                SecretString::new(key.access_key_id.clone()),
                key.secret_access_key.clone(),
            ];
            values.extend(key.session_token.clone());
            values
        }
        ResolvedAuth::AssumeRole(_) | ResolvedAuth::DefaultChain => Vec::new(),
    }
}

fn exposed(values: &[SecretString]) -> Vec<&str> {
    values.iter().map(SecretString::expose_secret).collect()
}

/// Scrubs every string of a report: message, detail, hint, each check's detail, the
/// caller ARN and the error code.
pub(crate) fn scrub_report(report: &mut ValidationReport, secrets: &[SecretString]) {
    let secrets = exposed(secrets);
    let apply = |s: &mut String| {
        if let Cow::Owned(clean) = scrub(s, &secrets) {
            *s = clean;
        }
    };
    for field in [
        &mut report.message,
        &mut report.detail,
        &mut report.hint,
        &mut report.caller_arn,
        &mut report.error_code,
    ]
    .into_iter()
    .flatten()
    {
        apply(field);
    }
    for check in &mut report.checks {
        apply(&mut check.detail);
    }
}

/// The values of credentials that signed a call.
fn credential_values(credentials: &Credentials) -> Vec<&str> {
    let mut values = vec![credentials.access_key_id(), credentials.secret_access_key()];
    values.extend(credentials.session_token());
    values
}

/// `text` without the values of `credentials`.
pub(crate) fn scrub_credentials(text: String, credentials: &Credentials) -> String {
    match scrub(&text, &credential_values(credentials)) {
        Cow::Borrowed(_) => text,
        Cow::Owned(clean) => clean,
    }
}

impl CallError {
    /// The error without the values of the credentials that signed the call, and its
    /// text bounded: what an STS call returns.
    pub(crate) fn sanitized(self, credentials: &Credentials) -> CallError {
        let clean = |text: String| bounded(scrub_credentials(text, credentials));
        match self {
            CallError::Refused { code, message } => CallError::Refused {
                code: clean(code),
                message: clean(message),
            },
            CallError::NoAnswer { code, reason } => CallError::NoAnswer {
                code: clean(code),
                reason: clean(reason),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Check, CheckName, Status};

    #[test]
    fn scrubs_every_known_value_and_its_encoded_form() {
        let key = "AKIAVICTIMSECRETVALUE";
        let token = "FwoG+ZXIv/YXdz==";
        let text = format!(
            "InvalidClientTokenId: Credential={key}/20260101/us-east-1/sts, X-Amz-Security-Token={} or {token}",
            percent_encode(token)
        );
        let clean = scrub(&text, &[key, token]);
        assert!(!clean.contains(key), "{clean}");
        assert!(!clean.contains(token), "{clean}");
        assert!(!clean.contains("FwoG"), "{clean}");
        assert_eq!(
            clean,
            "InvalidClientTokenId: Credential=<REDACTED>/20260101/us-east-1/sts, X-Amz-Security-Token=<REDACTED> or <REDACTED>"
        );
    }

    #[test]
    fn longer_values_first_and_short_values_ignored() {
        assert_eq!(
            scrub("abcdefgh abcd", &["abcd", "abcdefgh"]),
            "<REDACTED> <REDACTED>"
        );
        assert!(matches!(
            scrub("nothing here", &["", "zzzz"]),
            Cow::Borrowed(_)
        ));
        // Too short to tell from ordinary text.
        assert!(matches!(scrub("messages", &["s", "es"]), Cow::Borrowed(_)));
        assert_eq!(scrub("a1234a", &["1234"]), "a<REDACTED>a");
    }

    #[test]
    fn bounded_cuts_on_a_character_boundary() {
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let cut = bounded(long);
        assert!(cut.len() <= MAX_MESSAGE_BYTES + '…'.len_utf8());
        assert!(cut.ends_with('…'));
        assert_eq!(bounded("short".into()), "short");
    }

    #[test]
    fn every_string_of_a_report_is_scrubbed() {
        let canary = "CANARYSECRETVALUE123";
        let mut report = ValidationReport::from_checks(
            vec![Check {
                name: CheckName::GetCallerIdentity,
                status: Status::Failed,
                detail: format!("refused: InvalidClientTokenId: key {canary}"),
            }],
            Some(format!("arn:aws:iam::000000000000:user/{canary}")),
        )
        .with_error(
            format!("X{canary}"),
            format!("AWS said {canary}"),
            Some(format!("AWS STS answered {canary}.")),
            Some(format!("fix {canary}")),
        );
        scrub_report(&mut report, &[SecretString::new(canary)]);
        let text = format!("{report:?}");
        assert!(!text.contains(canary), "{text}");
        assert!(text.contains("<REDACTED>"), "{text}");
    }

    #[test]
    fn call_errors_lose_the_signing_credentials() {
        let creds = Credentials::new(
            "AKIDSIGNER",
            "signing-secret",
            Some("SESSIONTOKEN".into()),
            None,
            "t",
        );
        let err = CallError::Refused {
            code: "InvalidClientTokenId".into(),
            message: "unknown key AKIDSIGNER (secret signing-secret, token SESSIONTOKEN)".into(),
        }
        .sanitized(&creds);
        assert_eq!(
            err.to_string(),
            "InvalidClientTokenId: unknown key <REDACTED> (secret <REDACTED>, token <REDACTED>)"
        );
    }
}
