//! Syntax checks for the free-form AWS options, each failing with what was expected.

/// `ASSUME ROLE SESSION NAME`: AWS requires 2 to 64 characters of `[\w+=,.@-]`.
pub fn check_session_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if (2..=64).contains(&len) && chars_ok {
        Ok(())
    } else {
        Err("expected 2 to 64 characters of letters, digits and +=,.@_-".to_owned())
    }
}

/// The placeholders `ASSUME ROLE SESSION NAME` may use, so that CloudTrail shows who used
/// a connection: the connection's name and the session's user.
pub const SESSION_NAME_PLACEHOLDERS: [&str; 2] = ["{connection}", "{user}"];

/// `ASSUME ROLE SESSION NAME` with placeholders: the text around them follows AWS's
/// rules; the whole is checked again once expanded ([`expand_session_name`]).
pub fn check_session_name_template(name: &str) -> Result<(), String> {
    if !name.contains(['{', '}']) {
        return check_session_name(name);
    }
    let mut literal = String::new();
    let mut rest = name;
    while let Some(start) = rest.find('{') {
        literal.push_str(&rest[..start]);
        let Some(placeholder) = SESSION_NAME_PLACEHOLDERS
            .into_iter()
            .find(|p| rest[start..].starts_with(p))
        else {
            return Err(
                "expected {connection} or {user} between braces, and otherwise 2 to 64 characters of letters, digits and +=,.@_-"
                    .to_owned(),
            );
        };
        rest = &rest[start + placeholder.len()..];
    }
    literal.push_str(rest);
    let chars_ok = literal
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if chars_ok && literal.chars().count() <= 64 {
        Ok(())
    } else {
        Err("expected {connection} or {user} between braces, and otherwise 2 to 64 characters of letters, digits and +=,.@_-".to_owned())
    }
}

/// Expands the placeholders of a session name and checks the result against AWS's rules.
/// `user` is `None` where no user is known; a name that needs one is then refused.
pub fn expand_session_name(
    template: &str,
    connection: &str,
    user: Option<&str>,
) -> Result<String, String> {
    if !template.contains("{user}") && !template.contains("{connection}") {
        return Ok(template.to_owned());
    }
    let expanded = template.replace("{connection}", connection);
    let expanded = match user {
        Some(user) => expanded.replace("{user}", user),
        None if expanded.contains("{user}") => {
            return Err("{user} needs a user, and this session has none".to_owned());
        }
        None => expanded,
    };
    check_session_name(&expanded)
        .map_err(|reason| format!("expands to {expanded:?}, which AWS refuses: {reason}"))?;
    Ok(expanded)
}

/// `ACCESS KEY ID`: any non-empty value of up to 128 printable ASCII characters. AWS's
/// own keys are 16 to 128 upper-case letters and digits (`AKIA…`, `ASIA…`), but
/// S3-compatible services and emulators use other shapes (MinIO's `minioadmin`,
/// LocalStack's and ministack's `test`), and Materialize accepts any string; AWS itself
/// judges the key when the connection is validated or used. Control characters and
/// anything beyond ASCII are refused: the value goes into the `Authorization` header.
pub fn check_access_key_id(id: &str) -> Result<(), String> {
    let len = id.chars().count();
    if (1..=128).contains(&len) && id.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        Ok(())
    } else {
        Err("expected 1 to 128 printable ASCII characters".to_owned())
    }
}

/// Whether an access key ID has the shape of AWS's own: 16 to 128 upper-case letters
/// and digits. Only advice: a value that does not is still a valid `ACCESS KEY ID`.
pub fn looks_like_aws_access_key_id(id: &str) -> bool {
    (16..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `REGION`: lower-case words and digits joined by hyphens, starting with a letter and
/// ending with a digit (`us-east-1`, `us-gov-west-1`, `cn-north-1`). No list is
/// hard-coded, so new regions need no release.
pub fn check_region(region: &str) -> Result<(), String> {
    let segments: Vec<&str> = region.split('-').collect();
    let ok = segments.len() >= 2
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && segments[0].bytes().all(|b| b.is_ascii_lowercase())
        && segments
            .last()
            .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err("expected a region name such as us-east-1".to_owned())
    }
}

/// `ENDPOINT`: an absolute `http` or `https` URL with a host, and without user
/// information (credentials in a URL would end up in the catalog and in logs).
pub fn check_endpoint(endpoint: &str) -> Result<(), String> {
    let expected =
        "expected an http:// or https:// URL such as https://sts.us-east-1.amazonaws.com";
    let url = url::Url::parse(endpoint).map_err(|e| format!("{expected} ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(expected.to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("an endpoint URL must not contain a user name or password".to_owned());
    }
    if url.fragment().is_some() || url.query().is_some() {
        return Err(format!("{expected}, without a query or fragment"));
    }
    Ok(())
}

/// `ENDPOINT` as stored: [`check_endpoint`], then the URL in its normalized serialization
/// (scheme and host lower-cased, default port dropped, `.` and `..` segments resolved, an
/// empty path written `/`), so that what is stored, shown and compared is one spelling.
pub fn normalize_endpoint(endpoint: &str) -> Result<String, String> {
    check_endpoint(endpoint)?;
    url::Url::parse(endpoint)
        .map(String::from)
        .map_err(|e| e.to_string())
}

/// What [`redact_userinfo`] writes in place of a URL's user name and password.
pub const REDACTED_USERINFO: &str = "<redacted>";

/// `text` with the user information of a URL (`http://user:password@host/`) replaced by
/// `<redacted>`: for every place an endpoint is displayed (errors, notices, the REPL
/// history, the validation history), so that a password typed into a URL is never echoed.
///
/// Works on text that does not parse as a URL too: the authority is what follows the
/// scheme and its slashes, up to the first `/`, `\`, `?` or `#`, and the user information
/// is everything in it before its last `@` (where URL parsers split it).
pub fn redact_userinfo(text: &str) -> std::borrow::Cow<'_, str> {
    // Leading blanks are not part of the scheme (list items are often written `a, b`).
    let lead = text.len() - text.trim_start().len();
    let Some(colon) = text[lead..].find(':').map(|c| c + lead) else {
        return text.into();
    };
    let scheme = &text[lead..colon];
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return text.into();
    }
    let rest = &text[colon + 1..];
    let authority_start = colon + 1 + (rest.len() - rest.trim_start_matches(['/', '\\']).len());
    let after = &text[authority_start..];
    let authority_len = after.find(['/', '\\', '?', '#']).unwrap_or(after.len());
    match after[..authority_len].rfind('@') {
        Some(at) => format!(
            "{}{REDACTED_USERINFO}{}",
            &text[..authority_start],
            &after[at..]
        )
        .into(),
        None => text.into(),
    }
}

/// [`redact_userinfo`] for each item of a comma-separated list of URLs.
pub fn redact_userinfo_list(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('@') {
        return text.into();
    }
    text.split(',')
        .map(redact_userinfo)
        .collect::<Vec<_>>()
        .join(",")
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_redacted_wherever_it_hides() {
        for (text, redacted) in [
            ("http://user:pw@127.0.0.1/", "http://<redacted>@127.0.0.1/"),
            ("http://pw@host", "http://<redacted>@host"),
            ("https://a@b:c@host:1/p@q", "https://<redacted>@host:1/p@q"),
            ("http:user:pw@host/", "http:<redacted>@host/"),
            ("http:\\\\u:p@host\\x", "http:\\\\<redacted>@host\\x"),
            (
                "HTTP://u:p@host:notaport/",
                "HTTP://<redacted>@host:notaport/",
            ),
            ("http://host/?a=b@c", "http://host/?a=b@c"),
            ("http://host/#x@y", "http://host/#x@y"),
            ("http://127.0.0.1:4566/", "http://127.0.0.1:4566/"),
            ("no url here", "no url here"),
            ("", ""),
        ] {
            assert_eq!(redact_userinfo(text), redacted, "{text}");
        }
        assert_eq!(
            redact_userinfo_list("http://a:b@x/,https://y/, http://c@z"),
            "http://<redacted>@x/,https://y/, http://<redacted>@z"
        );
        // Whatever a URL parser makes of it, the password is gone.
        for text in [
            "http://user:s3cret@host/",
            "http:user:s3cret@host",
            "http://x@user:s3cret@host",
        ] {
            assert!(!redact_userinfo(text).contains("s3cret"), "{text}");
        }
    }

    #[test]
    fn endpoints_are_stored_normalized() {
        for (given, stored) in [
            ("http://127.0.0.1:4566", "http://127.0.0.1:4566/"),
            (
                "HTTPS://STS.US-EAST-1.AMAZONAWS.COM:443",
                "https://sts.us-east-1.amazonaws.com/",
            ),
            ("http://localhost:80/a/../b/./", "http://localhost/b/"),
            ("http://[0:0::1]:4566", "http://[::1]:4566/"),
            ("http://0x7f.1:9/", "http://127.0.0.1:9/"),
        ] {
            assert_eq!(normalize_endpoint(given).as_deref(), Ok(stored), "{given}");
        }
        assert!(normalize_endpoint("http://u:p@host/").is_err());
    }

    #[test]
    fn session_names() {
        assert!(check_session_name("airlock").is_ok());
        assert!(check_session_name("a=b,c.d@e_f-g+h").is_ok());
        assert!(check_session_name("a").is_err());
        assert!(check_session_name(&"a".repeat(65)).is_err());
        assert!(check_session_name("has space").is_err());
    }

    #[test]
    fn access_key_ids() {
        for ok in [
            "AKIAIOSFODNN7EXAMPLE",
            "ASIAV2KIV5LP3RAKAZUY",
            "minioadmin",
            "test",
            "access_key",
            "k",
            "with space and punctuation !~",
            &"A".repeat(128),
        ] {
            assert!(check_access_key_id(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "",
            "tab\there",
            "new\nline",
            "nul\0",
            "café",
            &"A".repeat(129),
        ] {
            assert!(check_access_key_id(bad).is_err(), "{bad:?}");
        }
        assert!(looks_like_aws_access_key_id("AKIAIOSFODNN7EXAMPLE"));
        assert!(looks_like_aws_access_key_id("ASIAV2KIV5LP3RAKAZUY"));
        for not_aws in [
            "minioadmin",
            "test",
            "access_key",
            "akiaiosfodnn7example",
            "AKIA",
        ] {
            assert!(!looks_like_aws_access_key_id(not_aws), "{not_aws}");
        }
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "cn-north-1",
            "eu-isoe-west-1",
            "ap-southeast-2",
        ] {
            assert!(check_region(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "US-EAST-1",
            "us-east",
            "us_east_1",
            "useast1",
            "-us-1",
            "us--1",
            "1-us-1",
        ] {
            assert!(check_region(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn endpoints() {
        for ok in [
            "http://127.0.0.1:4566",
            "https://sts.us-east-1.amazonaws.com",
            "http://[::1]:80/",
        ] {
            assert!(check_endpoint(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "sts.amazonaws.com",
            "ftp://example.com",
            "file:///etc/passwd",
            "http://user:pw@example.com",
            "http://example.com/?a=b",
            "unix:/tmp/sock",
        ] {
            assert!(check_endpoint(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn session_name_placeholders() {
        assert!(check_session_name_template("airlock-{connection}-{user}").is_ok());
        assert!(check_session_name_template("{connection}").is_ok());
        assert!(check_session_name_template("x{host}").is_err());
        assert!(check_session_name_template("a b{user}").is_err());
        assert!(check_session_name_template("{user").is_err());
        assert_eq!(
            expand_session_name("al-{connection}-{user}", "lake", Some("alice@corp")),
            Ok("al-lake-alice@corp".to_owned())
        );
        assert_eq!(
            expand_session_name("plain", "c", None),
            Ok("plain".to_owned())
        );
        assert_eq!(
            expand_session_name("{user}", "c", None).unwrap_err(),
            "{user} needs a user, and this session has none"
        );
        // Checked after expansion: a quoted name with a space, or too long.
        assert!(
            expand_session_name("{connection}", "My Lake", None)
                .unwrap_err()
                .starts_with("expands to \"My Lake\", which AWS refuses")
        );
        assert!(expand_session_name("{user}", "c", Some(&"u".repeat(65))).is_err());
        assert!(
            expand_session_name("{connection}", "c", None).is_err(),
            "too short"
        );
    }
}
