//! Planning `TO AWS ( ... )`: options in, an [`AwsConnection`] out, under the option
//! rules in their order (`docs/sql/create-connection.md`), then the value checks. `ALTER CONNECTION` goes through the
//! same function with the resulting option list, so it can never make a connection that
//! `CREATE CONNECTION` would refuse.

use std::collections::BTreeMap;

use airlock_core::aws::{
    AwsAssumeRole, AwsAuth, AwsConnection, AwsCredentials, AwsSts, IamArn, S3Scope, StringOrSecret,
    check_access_key_id, check_region, check_session_name_template, looks_like_aws_access_key_id,
    normalize_endpoint, parse_session_duration, redact_userinfo, session_duration_text,
};
use airlock_core::{Diagnostic, SecretId};
use airlock_parser::ast::{AwsOption, AwsOptionName, Ident, ItemName, OptionValue};

use crate::error::{PlanError, Result};

/// Resolves `SECRET name` to a secret id (rule 3: unknown, or not a secret).
pub(crate) trait SecretResolver {
    fn resolve_secret(&mut self, name: &ItemName) -> Result<SecretId>;
    /// The current name of a secret, qualified, to print a connection back.
    fn secret_name(&mut self, id: SecretId) -> Result<ItemName>;
    /// An object's name as a printed statement names it.
    fn qualify(&self, name: &Ident) -> ItemName {
        ItemName::from(name.clone())
    }
}

/// Plans a connection's complete option list.
pub(crate) fn plan_aws(
    options: &[AwsOption],
    secrets: &mut dyn SecretResolver,
) -> Result<AwsConnection> {
    // Values are bounded before anything looks at them.
    for option in options {
        if let OptionValue::String(value) = &option.value
            && value.len() > crate::error::MAX_VALUE_BYTES
        {
            return Err(PlanError::ValueTooLong {
                what: format!("the value of {}", option.name),
            }
            .into());
        }
    }

    // Rule 1: each option at most once.
    let mut by_name: BTreeMap<AwsOptionName, &OptionValue> = BTreeMap::new();
    for option in options {
        if by_name.insert(option.name, &option.value).is_some() {
            return Err(PlanError::OptionRepeated(option.name).into());
        }
    }

    // Rule 2: the secret access key only from a secret; the descriptive options only
    // as strings.
    for option in options {
        match (&option.value, option.name) {
            (OptionValue::String(_), AwsOptionName::SecretAccessKey) => {
                return Err(PlanError::SecretAccessKeyLiteral.into());
            }
            (
                OptionValue::Secret(_),
                name @ (AwsOptionName::AssumeRoleArn
                | AwsOptionName::AssumeRoleSessionName
                | AwsOptionName::Endpoint
                | AwsOptionName::Region
                | AwsOptionName::AssumeRoleSessionDuration
                | AwsOptionName::StsEndpoint
                | AwsOptionName::StsRegion
                | AwsOptionName::Scope),
            ) => return Err(PlanError::OptionNeedsString(name).into()),
            // `USE DEFAULT CREDENTIALS` is a switch; every other option has a value.
            (OptionValue::String(_) | OptionValue::Secret(_), name) if name.is_flag() => {
                return Err(PlanError::OptionTakesNoValue(name).into());
            }
            (OptionValue::Flag, name) if !name.is_flag() => {
                return Err(PlanError::OptionNeedsValue(name).into());
            }
            _ => {}
        }
    }

    // Rule 3: every referenced secret exists and is a secret, in option order.
    let mut resolved: BTreeMap<AwsOptionName, StringOrSecret> = BTreeMap::new();
    let mut use_default_credentials = false;
    for option in options {
        let value = match &option.value {
            OptionValue::String(s) => StringOrSecret::Inline(s.clone()),
            OptionValue::Secret(name) => StringOrSecret::Secret(secrets.resolve_secret(name)?),
            OptionValue::Flag => {
                use_default_credentials = true;
                continue;
            }
        };
        resolved.insert(option.name, value);
    }
    let mut take = |name| resolved.remove(&name);
    let string = |value: Option<StringOrSecret>| value.and_then(|v| v.inline().map(str::to_owned));

    // Rules 4–7, as Materialize checks them.
    let credentials = match (
        take(AwsOptionName::AccessKeyId),
        take(AwsOptionName::SecretAccessKey),
        take(AwsOptionName::SessionToken),
    ) {
        (Some(access_key_id), Some(StringOrSecret::Secret(secret_access_key)), session_token) => {
            Some(AwsCredentials {
                access_key_id,
                secret_access_key,
                session_token,
            })
        }
        (None, None, None) => None,
        _ => return Err(PlanError::IncompleteCredentials.into()),
    };
    let assume_role = match (
        string(take(AwsOptionName::AssumeRoleArn)),
        string(take(AwsOptionName::AssumeRoleSessionName)),
    ) {
        (Some(arn), session_name) => Some((arn, session_name)),
        (None, None) => None,
        (None, Some(_)) => return Err(PlanError::SessionNameWithoutArn.into()),
    };
    let session_duration = string(take(AwsOptionName::AssumeRoleSessionDuration));
    if session_duration.is_some() && assume_role.is_none() {
        return Err(PlanError::SessionDurationWithoutArn.into());
    }
    // `USE DEFAULT CREDENTIALS` is a third shape, exclusive with the other two.
    let auth = match (credentials, assume_role) {
        (None, None) if use_default_credentials => AwsAuth::DefaultChain,
        (None, Some(_)) if use_default_credentials => {
            return Err(PlanError::DefaultCredentialsAndOther(AwsOptionName::AssumeRoleArn).into());
        }
        (Some(_), _) if use_default_credentials => {
            return Err(PlanError::DefaultCredentialsAndOther(AwsOptionName::AccessKeyId).into());
        }
        (None, None) => return Err(PlanError::NoAuthentication.into()),
        (Some(_), Some(_)) => return Err(PlanError::BothAuthentications.into()),
        (Some(credentials), None) => {
            if let StringOrSecret::Inline(id) = &credentials.access_key_id {
                check_access_key_id_value(id)?;
            }
            AwsAuth::Credentials(credentials)
        }
        (None, Some((arn, session_name))) => {
            let parsed = IamArn::parse_role(&arn)
                .map_err(|e| invalid(AwsOptionName::AssumeRoleArn, &arn, e.to_string()))?;
            if let Some(name) = &session_name {
                check_session_name_template(name)
                    .map_err(|e| invalid(AwsOptionName::AssumeRoleSessionName, name, e))?;
            }
            let session_duration = session_duration
                .map(|text| {
                    parse_session_duration(&text)
                        .map_err(|e| invalid(AwsOptionName::AssumeRoleSessionDuration, &text, e))
                })
                .transpose()?;
            AwsAuth::AssumeRole(AwsAssumeRole {
                arn: parsed.to_string(),
                session_name,
                session_duration,
            })
        }
    };

    let endpoint = planned_endpoint(
        AwsOptionName::Endpoint,
        string(take(AwsOptionName::Endpoint)),
    )?;
    let region = planned_region(AwsOptionName::Region, string(take(AwsOptionName::Region)))?;
    // `STS ENDPOINT` and `STS REGION` follow the rules of `ENDPOINT` and `REGION`.
    let sts_endpoint = planned_endpoint(
        AwsOptionName::StsEndpoint,
        string(take(AwsOptionName::StsEndpoint)),
    )?;
    let sts_region = planned_region(
        AwsOptionName::StsRegion,
        string(take(AwsOptionName::StsRegion)),
    )?;
    // One SCOPE per connection, like every option (rule 1); `SCOPE = ''` means unset.
    let scope = string(take(AwsOptionName::Scope))
        .filter(|s| !s.is_empty())
        .map(|s| S3Scope::parse(&s).map_err(|e| invalid(AwsOptionName::Scope, &s, e)))
        .transpose()?;
    Ok(AwsConnection {
        endpoint,
        region,
        auth,
        sts: AwsSts {
            endpoint: sts_endpoint,
            region: sts_region,
        },
        scope,
    })
}

/// `ENDPOINT = ''` means "unset", as in Materialize. Stored normalized, so that the
/// catalog, `create_sql` and the endpoint rule see one spelling; an error never echoes a
/// password typed into the URL.
fn planned_endpoint(option: AwsOptionName, value: Option<String>) -> Result<Option<String>> {
    value
        .filter(|e| !e.is_empty())
        .map(|endpoint| {
            normalize_endpoint(&endpoint)
                .map_err(|e| invalid(option, &redact_userinfo(&endpoint), e))
        })
        .transpose()
}

fn planned_region(option: AwsOptionName, value: Option<String>) -> Result<Option<String>> {
    if let Some(region) = &value {
        check_region(region).map_err(|e| invalid(option, region, e))?;
    }
    Ok(value)
}

/// `ACCESS KEY ID`: any non-empty value of up to 128 printable characters (see
/// [`check_access_key_id`]); AWS judges the key itself when it is used.
fn check_access_key_id_value(id: &str) -> Result<()> {
    check_access_key_id(id).map_err(|reason| invalid(AwsOptionName::AccessKeyId, id, reason))
}

/// Advice about a planned connection that is not an error: an inline `ACCESS KEY ID`
/// that does not look like AWS's, on a connection that talks to AWS itself (no
/// `ENDPOINT`), is probably a key of another service.
pub(crate) fn notices(aws: &AwsConnection) -> Vec<Diagnostic> {
    let AwsAuth::Credentials(credentials) = &aws.auth else {
        return Vec::new();
    };
    match (&credentials.access_key_id, &aws.endpoint) {
        (StringOrSecret::Inline(id), None) if !looks_like_aws_access_key_id(id) => {
            vec![
                Diagnostic::notice("ACCESS KEY ID does not look like an AWS access key ID")
                    .with_detail("AWS access key IDs are 16 to 128 upper-case letters and digits, such as AKIAIOSFODNN7EXAMPLE, and the connection has no ENDPOINT, so it talks to AWS itself.")
                    .with_hint("For an S3-compatible service or an emulator (MinIO, Ceph, LocalStack), set ENDPOINT."),
            ]
        }
        _ => Vec::new(),
    }
}

fn invalid(option: AwsOptionName, value: &str, reason: String) -> crate::error::ExecError {
    PlanError::InvalidOptionValue {
        option,
        value: value.to_owned(),
        reason,
    }
    .into()
}

/// A planned connection as an option list, in canonical order, secrets by their current
/// names: what `ALTER CONNECTION` starts from and what `create_sql` prints.
pub(crate) fn options_of(
    aws: &AwsConnection,
    secrets: &mut dyn SecretResolver,
) -> Result<Vec<AwsOption>> {
    let mut options = Vec::new();
    let value = |v: &StringOrSecret, secrets: &mut dyn SecretResolver| -> Result<OptionValue> {
        Ok(match v {
            StringOrSecret::Inline(s) => OptionValue::String(s.clone()),
            StringOrSecret::Secret(id) => OptionValue::Secret(secrets.secret_name(*id)?),
        })
    };
    match &aws.auth {
        AwsAuth::Credentials(c) => {
            options.push(AwsOption {
                name: AwsOptionName::AccessKeyId,
                value: value(&c.access_key_id, secrets)?,
            });
            options.push(AwsOption {
                name: AwsOptionName::SecretAccessKey,
                value: value(&StringOrSecret::Secret(c.secret_access_key), secrets)?,
            });
            if let Some(token) = &c.session_token {
                options.push(AwsOption {
                    name: AwsOptionName::SessionToken,
                    value: value(token, secrets)?,
                });
            }
        }
        AwsAuth::AssumeRole(a) => {
            options.push(AwsOption {
                name: AwsOptionName::AssumeRoleArn,
                value: OptionValue::String(a.arn.clone()),
            });
            if let Some(name) = &a.session_name {
                options.push(AwsOption {
                    name: AwsOptionName::AssumeRoleSessionName,
                    value: OptionValue::String(name.clone()),
                });
            }
        }
        AwsAuth::DefaultChain => options.push(AwsOption {
            name: AwsOptionName::UseDefaultCredentials,
            value: OptionValue::Flag,
        }),
    }
    // Printed last, so that a connection without them prints exactly as before.
    let role_duration = aws.assume_role().and_then(|a| a.session_duration);
    let extra = [
        (
            AwsOptionName::AssumeRoleSessionDuration,
            role_duration.map(session_duration_text),
        ),
        (AwsOptionName::StsEndpoint, aws.sts.endpoint.clone()),
        (AwsOptionName::StsRegion, aws.sts.region.clone()),
    ];
    if let Some(endpoint) = &aws.endpoint {
        options.push(AwsOption {
            name: AwsOptionName::Endpoint,
            value: OptionValue::String(endpoint.clone()),
        });
    }
    if let Some(region) = &aws.region {
        options.push(AwsOption {
            name: AwsOptionName::Region,
            value: OptionValue::String(region.clone()),
        });
    }
    for (name, value) in extra {
        if let Some(value) = value {
            options.push(AwsOption {
                name,
                value: OptionValue::String(value),
            });
        }
    }
    if let Some(scope) = &aws.scope {
        options.push(AwsOption {
            name: AwsOptionName::Scope,
            value: OptionValue::String(scope.to_string()),
        });
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ExecError;
    use airlock_core::SqlError;
    use airlock_parser::ast::Statement;

    /// Secrets `s1`.. exist as ids 1..; `conn` is a connection.
    struct Fixture;

    impl SecretResolver for Fixture {
        fn resolve_secret(&mut self, name: &ItemName) -> Result<SecretId> {
            match name.as_str().strip_prefix('s').and_then(|n| n.parse().ok()) {
                Some(n) => Ok(SecretId(n)),
                None => Err(ExecError::Diagnostic(airlock_core::Diagnostic::error(
                    airlock_core::SqlState::UndefinedObject,
                    format!("unknown secret \"{}\"", name.as_str()),
                ))),
            }
        }
        fn secret_name(&mut self, id: SecretId) -> Result<ItemName> {
            Ok(ItemName::bare(format!("s{}", id.0)))
        }
    }

    fn plan(options: &str) -> std::result::Result<AwsConnection, String> {
        let sql = format!("CREATE CONNECTION c TO AWS ({options})");
        let Statement::CreateConnection(c) = airlock_parser::parse_statement(&sql).unwrap() else {
            panic!()
        };
        plan_aws(&c.options, &mut Fixture).map_err(|e| e.into_diagnostic().message)
    }

    const ARN: &str = "ASSUME ROLE ARN 'arn:aws:iam::001234567890:role/R'";
    const KEYS: &str = "ACCESS KEY ID 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY SECRET s1";

    #[test]
    fn rules_fire_in_spec_order() {
        // A statement that breaks every rule reports the first.
        let all_wrong =
            "REGION 'a', REGION 'b', SECRET ACCESS KEY 'lit', ACCESS KEY ID SECRET nope";
        assert_eq!(
            plan(all_wrong).unwrap_err(),
            "REGION specified more than once"
        );
        assert_eq!(
            plan("SECRET ACCESS KEY 'lit', ACCESS KEY ID SECRET nope").unwrap_err(),
            "invalid SECRET ACCESS KEY: must provide a secret value"
        );
        assert_eq!(
            plan("ACCESS KEY ID SECRET nope").unwrap_err(),
            "unknown secret \"nope\""
        );
        assert_eq!(
            plan(&format!("ACCESS KEY ID 'AKIAIOSFODNN7EXAMPLE', {ARN}")).unwrap_err(),
            "must specify both ACCESS KEY ID and SECRET ACCESS KEY with optional SESSION TOKEN"
        );
        assert_eq!(
            plan(&format!("{KEYS}, ASSUME ROLE SESSION NAME 'x1'")).unwrap_err(),
            "must specify ASSUME ROLE ARN with optional ASSUME ROLE SESSION NAME"
        );
        assert_eq!(
            plan("REGION 'us-east-1'").unwrap_err(),
            "must specify either ASSUME ROLE ARN or ACCESS KEY ID and SECRET ACCESS KEY"
        );
        assert_eq!(
            plan(&format!("{KEYS}, {ARN}")).unwrap_err(),
            "cannot specify both ACCESS KEY ID and ASSUME ROLE ARN"
        );
        assert_eq!(
            plan("SESSION TOKEN 'x'").unwrap_err(),
            "must specify both ACCESS KEY ID and SECRET ACCESS KEY with optional SESSION TOKEN"
        );
    }

    #[test]
    fn default_credentials_are_a_third_shape_exclusive_with_the_others() {
        let own = plan("USE DEFAULT CREDENTIALS, REGION 'us-east-1'").unwrap();
        assert_eq!(own.auth, AwsAuth::DefaultChain);
        assert!(own.referenced_secrets().is_empty());
        assert!(notices(&own).is_empty());
        // Printed as a switch, and planned back the same.
        let printed = options_of(&own, &mut Fixture).unwrap();
        assert_eq!(printed[0].name, AwsOptionName::UseDefaultCredentials);
        assert_eq!(printed[0].value, OptionValue::Flag);
        assert_eq!(plan_aws(&printed, &mut Fixture).unwrap(), own);
        assert_eq!(
            plan(&format!("USE DEFAULT CREDENTIALS, {ARN}")).unwrap_err(),
            "cannot specify both USE DEFAULT CREDENTIALS and ASSUME ROLE ARN"
        );
        assert_eq!(
            plan(&format!("{KEYS}, USE DEFAULT CREDENTIALS")).unwrap_err(),
            "cannot specify both USE DEFAULT CREDENTIALS and ACCESS KEY ID"
        );
        assert_eq!(
            plan("USE DEFAULT CREDENTIALS, ASSUME ROLE SESSION NAME 'x1'").unwrap_err(),
            "must specify ASSUME ROLE ARN with optional ASSUME ROLE SESSION NAME"
        );
        // Option lists built in code, not parsed: a switch with a value, a value missing.
        let with_value = [AwsOption {
            name: AwsOptionName::UseDefaultCredentials,
            value: OptionValue::String("true".into()),
        }];
        let err = plan_aws(&with_value, &mut Fixture)
            .unwrap_err()
            .into_diagnostic();
        assert_eq!(
            err.message,
            "invalid USE DEFAULT CREDENTIALS: takes no value"
        );
        let no_value = [AwsOption {
            name: AwsOptionName::Region,
            value: OptionValue::Flag,
        }];
        let err = plan_aws(&no_value, &mut Fixture)
            .unwrap_err()
            .into_diagnostic();
        assert_eq!(err.message, "invalid REGION: must provide a value");
        assert_eq!(err.code.code(), "22023");
    }

    #[test]
    fn values_are_checked_after_the_rules() {
        let err = plan("ASSUME ROLE ARN 'arn:aws:iam::1:role/R'").unwrap_err();
        assert!(
            err.starts_with("invalid ASSUME ROLE ARN \"arn:aws:iam::1:role/R\": account id"),
            "{err}"
        );
        let err = plan(&format!("{ARN}, ASSUME ROLE SESSION NAME 'a b'")).unwrap_err();
        assert!(err.starts_with("invalid ASSUME ROLE SESSION NAME"), "{err}");
        let err = plan(&format!("{ARN}, ENDPOINT 'ftp://x'")).unwrap_err();
        assert!(err.starts_with("invalid ENDPOINT"), "{err}");
        let err = plan(&format!("{ARN}, REGION 'US-EAST-1'")).unwrap_err();
        assert!(err.starts_with("invalid REGION"), "{err}");
        let err = plan("ACCESS KEY ID '', SECRET ACCESS KEY SECRET s1").unwrap_err();
        assert_eq!(
            err,
            "invalid ACCESS KEY ID \"\": expected 1 to 128 printable ASCII characters"
        );
        let err = plan("ACCESS KEY ID E'a\\tb', SECRET ACCESS KEY SECRET s1").unwrap_err();
        assert!(err.starts_with("invalid ACCESS KEY ID"), "{err}");
        assert_eq!(
            plan(&format!("{ARN}, REGION SECRET s1")).unwrap_err(),
            "invalid REGION: must provide a string value, not a secret"
        );
    }

    #[test]
    fn access_key_ids_as_users_type_them() {
        // Short keys of S3-compatible services and emulators, and the design document's
        // own example, are valid values; AWS judges them when they are used.
        for id in ["minioadmin", "test", "access_key", "AKIAIOSFODNN7EXAMPLE"] {
            let planned = plan(&format!(
                "ACCESS KEY ID '{id}', SECRET ACCESS KEY SECRET s1"
            ))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
            let raised = notices(&planned);
            if id.starts_with("AKIA") {
                assert!(raised.is_empty(), "{raised:?}");
            } else {
                // Without ENDPOINT: a NOTICE, never an error.
                assert_eq!(raised.len(), 1, "{id}");
                assert_eq!(
                    raised[0].render(),
                    "NOTICE:  ACCESS KEY ID does not look like an AWS access key ID\n\
                     DETAIL:  AWS access key IDs are 16 to 128 upper-case letters and digits, such as AKIAIOSFODNN7EXAMPLE, and the connection has no ENDPOINT, so it talks to AWS itself.\n\
                     HINT:  For an S3-compatible service or an emulator (MinIO, Ceph, LocalStack), set ENDPOINT."
                );
            }
            let with_endpoint = plan(&format!(
                "ACCESS KEY ID '{id}', SECRET ACCESS KEY SECRET s1, ENDPOINT 'http://127.0.0.1:9000'"
            ))
            .unwrap();
            assert!(notices(&with_endpoint).is_empty(), "{id}");
        }
        // A key from a secret is not looked at.
        let from_secret = plan("ACCESS KEY ID SECRET s2, SECRET ACCESS KEY SECRET s1").unwrap();
        assert!(notices(&from_secret).is_empty());
        assert!(
            plan(&format!(
                "ACCESS KEY ID '{}', SECRET ACCESS KEY SECRET s1",
                "k".repeat(129)
            ))
            .is_err()
        );
    }

    #[test]
    fn a_scope_is_one_s3_url_with_a_bucket() {
        let planned = plan(&format!("{ARN}, SCOPE = 'S3://lake/raw/'")).unwrap();
        assert_eq!(
            planned.scope.as_ref().map(S3Scope::as_str),
            Some("s3://lake/raw")
        );
        let printed = options_of(&planned, &mut Fixture).unwrap();
        let again = plan_aws(&printed, &mut Fixture).unwrap();
        assert_eq!(again, planned);
        assert_eq!(plan(&format!("{ARN}, SCOPE ''")).unwrap().scope, None);
        assert_eq!(
            plan(&format!("{ARN}, SCOPE 's3://a-1', SCOPE 's3://b-2'")).unwrap_err(),
            "SCOPE specified more than once"
        );
        assert_eq!(
            plan(&format!("{ARN}, SCOPE SECRET s1")).unwrap_err(),
            "invalid SCOPE: must provide a string value, not a secret"
        );
        for bad in ["https://lake.s3.amazonaws.com/", "s3://", "s3://lake/a?b"] {
            let err = plan(&format!("{ARN}, SCOPE '{bad}'")).unwrap_err();
            assert!(
                err.starts_with(&format!("invalid SCOPE \"{bad}\": expected an S3 URL")),
                "{err}"
            );
        }
    }

    #[test]
    fn plans_both_shapes_and_prints_them_back() {
        let role = plan(&format!("REGION 'us-east-1', ENDPOINT '', {ARN}")).unwrap();
        assert_eq!(role.endpoint, None, "'' means unset");
        assert_eq!(role.region.as_deref(), Some("us-east-1"));
        let keys = plan(&format!("{KEYS}, SESSION TOKEN SECRET s2")).unwrap();
        assert_eq!(keys.referenced_secrets(), vec![SecretId(1), SecretId(2)]);
        let printed: Vec<String> = options_of(&keys, &mut Fixture)
            .unwrap()
            .iter()
            .map(|o| format!("{} {:?}", o.name, o.value))
            .collect();
        assert_eq!(
            printed,
            [
                "ACCESS KEY ID String(<redacted>)",
                "SECRET ACCESS KEY Secret(ItemName { database: None, schema: None, name: Ident(\"s1\") })",
                "SESSION TOKEN Secret(ItemName { database: None, schema: None, name: Ident(\"s2\") })"
            ]
        );
        // Planning the printed options gives the same connection.
        let again = plan_aws(&options_of(&role, &mut Fixture).unwrap(), &mut Fixture).unwrap();
        assert_eq!(again, role);
        let e = ExecError::from(PlanError::SecretAccessKeyLiteral).into_diagnostic();
        assert!(e.hint.unwrap().contains("CREATE SECRET"));
        assert_eq!(
            PlanError::OptionRepeated(AwsOptionName::Region)
                .code()
                .code(),
            "42601"
        );
    }
}
