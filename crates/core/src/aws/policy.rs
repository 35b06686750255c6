//! The external ID and the trust policy a customer pastes into AWS.

use serde_json::json;
use uuid::Uuid;

use crate::ConnectionId;

/// `mz_<prefix>_<connection id>`: unique per catalog (the prefix) and per connection (the
/// id, never reused), so no two connections — here or in any other catalog — share one.
pub fn external_id(prefix: &Uuid, id: ConnectionId) -> String {
    format!("mz_{}_{}", prefix.hyphenated(), id)
}

/// The IAM trust policy that lets `principal` assume the customer's role only with
/// `external_id`: compact JSON, keys sorted, no `Sid`.
pub fn example_trust_policy(principal: &str, external_id: &str) -> String {
    // serde_json's `Map` is a `BTreeMap` (no `preserve_order` feature), so keys come out
    // sorted, and `to_string` is compact.
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": principal },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "sts:ExternalId": external_id } },
        }],
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_id_has_the_documented_shape() {
        let prefix = Uuid::parse_str("eb5cb59b-e2fe-41f3-87ca-d2176a495345").unwrap();
        assert_eq!(
            external_id(&prefix, ConnectionId(3)),
            "mz_eb5cb59b-e2fe-41f3-87ca-d2176a495345_u3"
        );
    }

    #[test]
    fn trust_policy_is_compact_sorted_and_exact() {
        assert_eq!(
            example_trust_policy(
                "arn:aws:iam::123456789012:role/AirlockConnection",
                "mz_x_u3"
            ),
            r#"{"Statement":[{"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"mz_x_u3"}},"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/AirlockConnection"}}],"Version":"2012-10-17"}"#
        );
    }

    #[test]
    fn trust_policy_escapes_its_inputs() {
        let policy = example_trust_policy("a\"b", "c\\d");
        let parsed: serde_json::Value = serde_json::from_str(&policy).unwrap();
        assert_eq!(parsed["Statement"][0]["Principal"]["AWS"], "a\"b");
        assert_eq!(
            parsed["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            "c\\d"
        );
    }
}
