//! The negative probes of `VALIDATE CONNECTION`: the external IDs an attacker can make
//! Airlock send to the victim's role.

use crate::report::CheckName;

/// One negative probe: an `AssumeRole` of the connection's role that a safe trust policy
/// refuses with `AccessDenied`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Probe {
    pub name: CheckName,
    /// The external ID sent; `None` sends none.
    pub external_id: Option<String>,
    /// What was sent, for the check's row: the full ID when it is deterministic, a
    /// placeholder for its random part otherwise (so rows and errors are reproducible).
    pub sent: String,
    /// What an accepting policy lets happen, as a sentence fragment for DETAIL.
    pub consequence: String,
}

/// `mz_<prefix>_u<digits>` taken apart, when the external ID has Airlock's shape.
fn parse(external_id: &str) -> Option<(&str, &str)> {
    let rest = external_id.strip_prefix("mz_")?;
    let (prefix, id) = rest.rsplit_once('_')?;
    let digits = id.strip_prefix('u')?;
    let ok = !prefix.is_empty()
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    ok.then_some((prefix, digits))
}

/// The negative probes for a connection whose external ID is `external_id`, derived
/// from the attacker model.
///
/// **The attacker.** Airlock is one principal acting for many connections: every
/// connection of this environment (one catalog, one external-ID prefix), and every other
/// environment that runs with the same principal (as Materialize's regions do). Anyone
/// who can create a connection can point it at the victim's role, and Airlock itself then
/// calls `AssumeRole` on that role with *their* external ID. Airlock derives every
/// external ID as `mz_<prefix>_u<id>`, ids are handed out in increasing order and never
/// reused, and prefixes are random UUIDs. So the external IDs an attacker can make Airlock
/// send are exactly:
///
/// - `mz_<this prefix>_u<another id>`: any *future* id of this environment (the attacker
///   keeps creating connections until it has the one it wants) or an existing one;
/// - `mz_<another prefix>_u<any id>`, this connection's own id included: another
///   environment cannot choose its prefix, so only a policy that wildcards the whole
///   prefix lets it in;
/// - no external ID at all: any other software that signs as the principal;
/// - in a deployment that shares the principal with other tools, any string.
///
/// **The probes.** A trust policy is safe when it accepts this connection's external ID
/// and none of those. Conditions generalise through wildcards (`StringLike`'s `*` and
/// `?`), negated operators, `...IfExists`, `Null` and extra statements, so each probe is
/// the nearest external ID of one attacker kind, chosen so that every common way of
/// over-generalising accepts at least one of them. For `mz_<prefix>_u3`:
///
/// | probe | sends | rules out |
/// |---|---|---|
/// | [`CheckName::AssumeRoleWithoutExternalId`] | nothing | no condition, `StringEqualsIfExists`, `Null` `"true"`, a second open statement |
/// | [`CheckName::AssumeRoleWithLongerConnectionId`] | `mz_<prefix>_u31` | `mz_<prefix>_*`, `mz_<prefix>_u*`, `mz_<prefix>_u3*`, `mz_<prefix>_u3?`: the ids that start with this one (u30…u39, u300…) |
/// | [`CheckName::AssumeRoleWithSameLengthConnectionId`] | `mz_<prefix>_u4` | a `?` in place of the id's last digit (`mz_<prefix>_u?`, `mz_<prefix>_u1?` for u13) |
/// | [`CheckName::AssumeRoleWithUnrelatedConnectionId`] | `mz_<prefix>_u11` | a condition that accepts every connection of this environment, whatever it looks like |
/// | [`CheckName::AssumeRoleWithOtherEnvironmentPrefix`] | `mz_<random uuid>_u3` | `mz_*_u3`, `*_u3`, `mz_*`, `mz_????????-????-…_u3`: this id in every other environment |
/// | [`CheckName::AssumeRoleWithRandomExternalId`] | `airlock-probe-<random uuid>` | `StringLike "*"`, `Null` `"false"`, `StringNotEquals` anything else: any external ID |
///
/// An external ID not of Airlock's shape (a host's own) gets the probes that need no
/// shape: none, a longer one, one whose last character differs, and a random one.
pub(crate) fn attacker_probes(external_id: &str) -> Vec<Probe> {
    let random = uuid::Uuid::new_v4();
    let mut probes = vec![Probe {
        name: CheckName::AssumeRoleWithoutExternalId,
        external_id: None,
        sent: "no external ID".to_owned(),
        consequence: "any caller of the principal that sends no external ID could assume the role"
            .to_owned(),
    }];
    match parse(external_id) {
        Some((prefix, digits)) => {
            let same_env = |id: &str| format!("mz_{prefix}_u{id}");
            let longer = format!("{digits}1");
            let same_length = same_length_id(digits);
            let unrelated = unrelated_id(digits);
            probes.push(Probe {
                name: CheckName::AssumeRoleWithLongerConnectionId,
                sent: format!("external ID {}", same_env(&longer)),
                external_id: Some(same_env(&longer)),
                consequence: format!(
                    "any future connection of this environment (for example u{longer}) could assume the role"
                ),
            });
            probes.push(Probe {
                name: CheckName::AssumeRoleWithSameLengthConnectionId,
                sent: format!("external ID {}", same_env(&same_length)),
                external_id: Some(same_env(&same_length)),
                consequence: format!(
                    "other connections of this environment (for example u{same_length}) could assume the role"
                ),
            });
            probes.push(Probe {
                name: CheckName::AssumeRoleWithUnrelatedConnectionId,
                sent: format!("external ID {}", same_env(&unrelated)),
                external_id: Some(same_env(&unrelated)),
                consequence: format!(
                    "every connection of this environment (for example u{unrelated}) could assume the role"
                ),
            });
            probes.push(Probe {
                name: CheckName::AssumeRoleWithOtherEnvironmentPrefix,
                sent: format!("external ID mz_<another environment's prefix>_u{digits}"),
                external_id: Some(format!("mz_{}_u{digits}", uuid::Uuid::new_v4())),
                consequence: format!(
                    "connection u{digits} of every other environment that uses the same principal could assume the role"
                ),
            });
        }
        None => {
            probes.push(Probe {
                name: CheckName::AssumeRoleWithLongerConnectionId,
                sent: format!("external ID {external_id}1"),
                external_id: Some(format!("{external_id}1")),
                consequence: "an external ID that extends this one could assume the role"
                    .to_owned(),
            });
            let changed = last_char_changed(external_id);
            probes.push(Probe {
                name: CheckName::AssumeRoleWithSameLengthConnectionId,
                sent: format!("external ID {changed}"),
                external_id: Some(changed),
                consequence: "an external ID that differs from this one in its last character could assume the role".to_owned(),
            });
        }
    }
    probes.push(Probe {
        name: CheckName::AssumeRoleWithRandomExternalId,
        external_id: Some(format!("airlock-probe-{random}")),
        sent: "external ID airlock-probe-<random>".to_owned(),
        consequence:
            "a caller of the principal that sends any external ID at all could assume the role"
                .to_owned(),
    });
    probes
}

/// The id with its last digit changed: same length, never a leading zero.
fn same_length_id(digits: &str) -> String {
    let (head, last) = digits.split_at(digits.len() - 1);
    let d = last.as_bytes()[0] - b'0';
    let changed = if d < 9 { d + 1 } else { d - 1 };
    format!("{head}{changed}")
}

/// One digit longer and sharing no digit with the id where possible (u3 → u11,
/// u12 → u333), so that it matches no pattern written around this id.
fn unrelated_id(digits: &str) -> String {
    let free = (b'1'..=b'9')
        .find(|d| !digits.as_bytes().contains(d))
        .unwrap_or(if digits.starts_with('1') { b'2' } else { b'1' });
    (free as char).to_string().repeat(digits.len() + 1)
}

/// `external_id` with its last character replaced by another one of AWS's external-ID
/// alphabet.
fn last_char_changed(external_id: &str) -> String {
    let mut chars: Vec<char> = external_id.chars().collect();
    match chars.last_mut() {
        Some(c) => *c = if *c == 'x' { 'y' } else { 'x' },
        None => chars.push('x'),
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "eb5cb59b-e2fe-41f3-87ca-d2176a495345";

    fn sent(probes: &[Probe], name: CheckName) -> Option<String> {
        probes
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no {name} probe"))
            .external_id
            .clone()
    }

    #[test]
    fn probes_for_airlocks_external_ids() {
        let probes = attacker_probes(&format!("mz_{P}_u3"));
        let names: Vec<_> = probes.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                CheckName::AssumeRoleWithoutExternalId,
                CheckName::AssumeRoleWithLongerConnectionId,
                CheckName::AssumeRoleWithSameLengthConnectionId,
                CheckName::AssumeRoleWithUnrelatedConnectionId,
                CheckName::AssumeRoleWithOtherEnvironmentPrefix,
                CheckName::AssumeRoleWithRandomExternalId,
            ]
        );
        assert_eq!(sent(&probes, CheckName::AssumeRoleWithoutExternalId), None);
        assert_eq!(
            sent(&probes, CheckName::AssumeRoleWithLongerConnectionId).unwrap(),
            format!("mz_{P}_u31")
        );
        assert_eq!(
            sent(&probes, CheckName::AssumeRoleWithSameLengthConnectionId).unwrap(),
            format!("mz_{P}_u4")
        );
        assert_eq!(
            sent(&probes, CheckName::AssumeRoleWithUnrelatedConnectionId).unwrap(),
            format!("mz_{P}_u11")
        );
        let other = sent(&probes, CheckName::AssumeRoleWithOtherEnvironmentPrefix).unwrap();
        let (other_prefix, id) = parse(&other).unwrap();
        assert_eq!(id, "3");
        assert_ne!(other_prefix, P);
        assert!(uuid::Uuid::parse_str(other_prefix).is_ok(), "{other}");
        let random = sent(&probes, CheckName::AssumeRoleWithRandomExternalId).unwrap();
        assert!(random.starts_with("airlock-probe-") && !random.contains("mz_"));
        // Every external ID sent is one AWS accepts: 2 to 1224 of [\w+=,.@:/-].
        for id in probes.iter().filter_map(|p| p.external_id.as_deref()) {
            assert!((2..=1224).contains(&id.len()), "{id}");
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c)),
                "{id}"
            );
        }
        // Random parts are fresh each time.
        let again = attacker_probes(&format!("mz_{P}_u3"));
        assert_ne!(
            sent(&again, CheckName::AssumeRoleWithRandomExternalId),
            Some(random)
        );
    }

    #[test]
    fn sibling_ids_for_longer_ids() {
        assert_eq!(same_length_id("13"), "14");
        assert_eq!(same_length_id("9"), "8");
        assert_eq!(same_length_id("19"), "18");
        assert_eq!(unrelated_id("12"), "333");
        assert_eq!(unrelated_id("3"), "11");
        assert_eq!(unrelated_id("123456789"), "2222222222");
        let probes = attacker_probes("mz_test_u300");
        assert_eq!(
            sent(&probes, CheckName::AssumeRoleWithLongerConnectionId).as_deref(),
            Some("mz_test_u3001")
        );
        assert_eq!(
            sent(&probes, CheckName::AssumeRoleWithSameLengthConnectionId).as_deref(),
            Some("mz_test_u301")
        );
        // Prefixes with underscores (the benchmark's) still parse.
        assert_eq!(parse("mz_bench_rtt_u7"), Some(("bench_rtt", "7")));
    }

    #[test]
    fn foreign_external_ids_get_the_shapeless_probes() {
        for foreign in ["customer-chosen", "mz_x_u", "mz__u1", "mz_x_u01", "mz_x_v1"] {
            assert_eq!(parse(foreign), None, "{foreign}");
        }
        let probes = attacker_probes("customer-chosen");
        let ids: Vec<_> = probes.iter().map(|p| p.external_id.clone()).collect();
        assert_eq!(ids[0], None);
        assert_eq!(ids[1].as_deref(), Some("customer-chosen1"));
        assert_eq!(ids[2].as_deref(), Some("customer-chosex"));
        assert!(ids[3].as_deref().unwrap().starts_with("airlock-probe-"));
        assert_eq!(ids.len(), 4);
    }
}
