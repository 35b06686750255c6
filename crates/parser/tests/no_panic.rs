//! Property tests: no input makes the parser panic, and every Airlock statement it
//! accepts — or that can be built — prints back to the same tree. Bounded, so they run
//! in `cargo test`; the open-ended search is the `cargo fuzz` target in `fuzz/`.

use airlock_parser::ast::*;
use airlock_parser::{Statement, is_complete, parse_statements, split_complete};
use proptest::prelude::*;

/// Statements to mutate: every Airlock form and a few pass-through ones.
const SEEDS: &[&str] = &[
    "CREATE SECRET IF NOT EXISTS s AS 'v'",
    "ALTER SECRET s AS 'v'",
    "ALTER SECRET IF EXISTS s RENAME TO t",
    "DROP SECRET IF EXISTS a, b CASCADE",
    "CREATE CONNECTION c TO AWS (ACCESS KEY ID = 'a', SECRET ACCESS KEY = SECRET s, SESSION TOKEN = SECRET t, ASSUME ROLE ARN = 'arn', ASSUME ROLE SESSION NAME = 'n', ENDPOINT = 'e', REGION = 'r') WITH (VALIDATE = true)",
    "ALTER CONNECTION IF EXISTS c SET (REGION = 'r'), RESET (ENDPOINT), DROP (SESSION TOKEN) WITH (VALIDATE)",
    "ALTER CONNECTION c RENAME TO d",
    "DROP CONNECTION c RESTRICT",
    "VALIDATE CONNECTION c",
    "SHOW CONNECTIONS LIKE 'a%'",
    "SHOW SECRETS",
    "SHOW REDACTED CREATE CONNECTION c",
    "SHOW aws_principal",
    "ALTER SYSTEM SET aws_principal TO 'x'",
    "ALTER SYSTEM RESET aws_principal",
    "SELECT principal, external_id FROM mz_aws_connections aws JOIN mz_connections c ON aws.id = c.id WHERE c.name = 'aws_conn'",
    "SELECT count(*) FROM mz_catalog.mz_connections; SELECT 1",
];

/// Fragments a mutation may splice in: tokens that steer the parser down odd paths.
const FRAGMENTS: &[&str] = &[
    "'",
    "\"",
    "(",
    ")",
    ",",
    ";",
    "=",
    "--",
    "/*",
    "*/",
    "$$",
    "E'\\",
    "SECRET",
    "AWS",
    "TO",
    "IF",
    "NOT",
    "EXISTS",
    "WITH",
    "VALIDATE",
    "ASSUME",
    "ROLE",
    "ARN",
    "\0",
    "é",
    "\u{1F600}",
    "\n",
    " ",
    "CASCADE",
    "CREATE",
    "SHOW",
    ".",
    "1e999",
    "$1",
    "::",
    "[",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, fragment: usize },
    Truncate { at: usize },
    Duplicate { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..8usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..FRAGMENTS.len())
            .prop_map(|(at, fragment)| Mutation::Insert { at, fragment }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), 1..16usize).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

/// The nearest char boundary at or before `at % (len + 1)`.
fn boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(mut s: String, m: &Mutation) -> String {
    match *m {
        Mutation::Delete { at, len } => {
            let start = boundary(&s, at);
            let end = boundary(&s, start.saturating_add(len).min(s.len()));
            s.replace_range(start..end.max(start), "");
        }
        Mutation::Insert { at, fragment } => {
            let at = boundary(&s, at);
            s.insert_str(at, FRAGMENTS[fragment]);
        }
        Mutation::Truncate { at } => {
            let at = boundary(&s, at);
            s.truncate(at);
        }
        Mutation::Duplicate { at, len } => {
            let start = boundary(&s, at);
            let end = boundary(&s, start.saturating_add(len).min(s.len()));
            let piece = s[start..end.max(start)].to_owned();
            s.insert_str(end.max(start), &piece);
        }
    }
    s
}

/// What must hold for any input: no panic, and Airlock's statements round-trip.
fn check_input(sql: &str) {
    let _ = is_complete(sql);
    let split = split_complete(sql);
    assert!(split.complete.iter().map(|s| s.len()).sum::<usize>() + split.rest.len() <= sql.len());
    if let Ok(statements) = parse_statements(sql) {
        for statement in statements {
            if matches!(statement, Statement::Sql(_)) {
                // sqlparser's own printer is sqlparser's contract; just print it.
                let _ = statement.to_string();
                let _ = statement.to_redacted_string();
                continue;
            }
            let printed = statement.to_string();
            let reparsed =
                parse_statements(&printed).unwrap_or_else(|e| panic!("{printed:?}: {e}"));
            assert_eq!(
                reparsed,
                vec![statement.clone()],
                "round trip of {sql:?} via {printed:?}"
            );
            let redacted = statement.to_redacted_string();
            parse_statements(&redacted).unwrap_or_else(|e| panic!("{redacted:?}: {e}"));
        }
    }
}

fn ident() -> impl Strategy<Value = Ident> {
    prop_oneof![
        "[a-z_][a-z0-9_]{0,10}",
        // Anything a quoted identifier can hold, quotes, spaces and keywords included;
        // not NUL and not the bidirectional-text controls names may not hold.
        "[^\"\\x00\u{202a}-\u{202e}\u{2066}-\u{2069}\u{200e}\u{200f}\u{061c}]{1,12}",
        "\"[a-z]{1,3}\"",
        Just("select".to_owned()),
        Just("if".to_owned()),
    ]
    // `.` and `..` are not identifiers (Materialize's rule).
    .prop_filter("not . or ..", |name| name != "." && name != "..")
    .prop_map(Ident::new)
}

/// A name of one to three parts.
fn item_name() -> impl Strategy<Value = ItemName> {
    (
        prop::option::of((prop::option::of(ident()), ident())),
        ident(),
    )
        .prop_map(|(qualifiers, name)| match qualifiers {
            None => ItemName::from(name),
            Some((database, schema)) => ItemName {
                database,
                schema: Some(schema),
                name,
            },
        })
}

fn string_value() -> impl Strategy<Value = String> {
    // Any text, including quotes, backslashes and newlines, but no NUL (PostgreSQL
    // rejects it in text too).
    "[^\\x00]{0,24}"
}

fn option_value() -> impl Strategy<Value = OptionValue> {
    prop_oneof![
        string_value().prop_map(OptionValue::String),
        item_name().prop_map(OptionValue::Secret)
    ]
}

fn aws_option() -> impl Strategy<Value = AwsOption> {
    // A switch (`USE DEFAULT CREDENTIALS`) is written without a value, and only it is.
    (0..AwsOptionName::ALL.len(), option_value()).prop_map(|(i, value)| {
        let name = AwsOptionName::ALL[i];
        AwsOption {
            name,
            value: if name.is_flag() {
                OptionValue::Flag
            } else {
                value
            },
        }
    })
}

fn statement() -> impl Strategy<Value = Statement> {
    prop_oneof![
        (any::<bool>(), item_name(), string_value()).prop_map(|(if_not_exists, name, v)| {
            Statement::CreateSecret(CreateSecret {
                if_not_exists,
                name,
                value: SecretValue::literal(v),
            })
        }),
        (
            any::<bool>(),
            item_name(),
            prop::collection::vec(aws_option(), 0..8),
            prop::option::of(any::<bool>())
        )
            .prop_map(|(if_not_exists, name, options, validate)| {
                Statement::CreateConnection(CreateConnection {
                    if_not_exists,
                    name,
                    options,
                    validate,
                })
            }),
        (
            any::<bool>(),
            item_name(),
            prop::collection::vec((0..3u8, aws_option()), 1..5),
            prop::option::of(any::<bool>())
        )
            .prop_map(|(if_exists, name, actions, validate)| {
                let actions = actions
                    .into_iter()
                    .map(|(kind, o)| match kind {
                        0 => AlterConnectionAction::Set(o),
                        1 => AlterConnectionAction::Reset(o.name),
                        _ => AlterConnectionAction::Drop(o.name),
                    })
                    .collect();
                Statement::AlterConnection(AlterConnection {
                    if_exists,
                    name,
                    actions,
                    validate,
                })
            }),
        (
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(item_name(), 1..4),
            0..3u8
        )
            .prop_map(|(secret, if_exists, names, behavior)| {
                Statement::DropObjects(DropObjects {
                    object_type: if secret {
                        ObjectType::Secret
                    } else {
                        ObjectType::Connection
                    },
                    if_exists,
                    names,
                    behavior: [
                        None,
                        Some(DropBehavior::Cascade),
                        Some(DropBehavior::Restrict),
                    ][behavior as usize],
                })
            }),
        (any::<bool>(), prop::option::of(string_value())).prop_map(|(secret, like)| {
            Statement::ShowObjects(ShowObjects {
                object_type: if secret {
                    ObjectType::Secret
                } else {
                    ObjectType::Connection
                },
                like,
            })
        }),
        (ident(), prop::option::of(string_value()), any::<bool>()).prop_map(
            |(name, value, reset)| {
                Statement::AlterSystem(AlterSystem {
                    name,
                    value: if reset { None } else { value },
                    form: if reset {
                        AlterSystemForm::Reset
                    } else {
                        AlterSystemForm::Set
                    },
                })
            }
        ),
        (
            prop::option::of(prop::collection::vec(ident(), 1..3)),
            any::<bool>(),
            item_name(),
            prop::option::of(ident())
        )
            .prop_map(|(columns, redacted, name, alias)| {
                Statement::SelectFromShowCreate(SelectFromShowCreate {
                    columns,
                    show: ShowCreateConnection { redacted, name },
                    alias,
                })
            }),
        (any::<bool>(), item_name(), prop::option::of(string_value())).prop_map(
            |(secret, name, comment)| {
                Statement::Comment(Comment {
                    object_type: if secret {
                        ObjectType::Secret
                    } else {
                        ObjectType::Connection
                    },
                    name,
                    comment,
                })
            }
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(sql in "\\PC{0,80}") {
        check_input(&sql);
    }

    #[test]
    fn mutated_statements_never_panic(seed in 0..SEEDS.len(), mutations in prop::collection::vec(mutation(), 1..6)) {
        let sql = mutations.iter().fold(SEEDS[seed].to_owned(), apply);
        check_input(&sql);
    }

    #[test]
    fn built_statements_round_trip(statement in statement()) {
        let printed = statement.to_string();
        let reparsed = parse_statements(&printed).map_err(|e| TestCaseError::fail(format!("{printed:?}: {e}")))?;
        prop_assert_eq!(reparsed, vec![statement.clone()], "via {:?}", printed);
        let redacted = statement.to_redacted_string();
        prop_assert!(parse_statements(&redacted).is_ok(), "redacted {:?}", redacted);
    }
}

#[test]
fn hostile_inputs_get_errors_not_panics() {
    let deep_parens = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let deep_not = format!("SELECT {} 1", "NOT ".repeat(10_000));
    let long_ident = format!("DROP SECRET {}", "a".repeat(100_000));
    let many_options = format!(
        "CREATE CONNECTION c TO AWS ({})",
        vec!["REGION = 'r'"; 10_000].join(", ")
    );
    for sql in [deep_parens.as_str(), deep_not.as_str()] {
        assert!(parse_statements(sql).is_err(), "{} bytes parsed", sql.len());
    }
    // Names are at most 255 bytes, as in Materialize: a longer one is 42622, not a panic.
    let err = parse_statements(&long_ident).unwrap_err();
    assert_eq!(err.message, "identifier length exceeds 255 bytes");
    assert_eq!(err.code, airlock_core::SqlState::NameTooLong);
    assert!(parse_statements(&many_options).is_ok());
    for sql in [
        "\0",
        "CREATE SECRET s AS '\0'",
        "'",
        "\"",
        "$$",
        "/*",
        "E'\\",
        "CREATE CONNECTION c TO AWS (",
        "SHOW",
        "ALTER",
        "DROP",
    ] {
        check_input(sql);
    }
}
