//! Printing is a contract: every statement prints to SQL that parses back to the same
//! tree, in full and redacted form (sqlparser's `verified_stmt` discipline).

use airlock_parser::ast::*;
use airlock_parser::{Mode, Statement, parse_statement, parse_statements};

/// Parses `sql`, checks that it prints back as `canonical`, that the printed text parses
/// to the same tree, and that the redacted form parses and is stable.
fn check(sql: &str, canonical: &str) -> Statement {
    let stmt =
        parse_statement(sql).unwrap_or_else(|e| panic!("{sql:?} failed: {e} at {:?}", e.position));
    let printed = stmt.to_string();
    assert_eq!(printed, canonical, "printing {sql:?}");
    let reparsed = parse_statement(&printed).unwrap_or_else(|e| panic!("{printed:?} failed: {e}"));
    assert_eq!(reparsed, stmt, "round trip of {sql:?}");

    let redacted = stmt.to_redacted_string();
    let redacted_stmt =
        parse_statement(&redacted).unwrap_or_else(|e| panic!("redacted {redacted:?} failed: {e}"));
    assert_eq!(
        redacted_stmt.to_redacted_string(),
        redacted,
        "redacted form is stable"
    );
    assert_eq!(redacted_stmt.printed(Mode::Redacted).to_string(), redacted);
    stmt
}

/// A statement already in canonical form.
fn verified(sql: &str) -> Statement {
    check(sql, sql)
}

fn redacted(sql: &str) -> String {
    parse_statement(sql).unwrap().to_redacted_string()
}

#[test]
fn create_secret() {
    let s = verified("CREATE SECRET aws_secret AS 'wJalrXUtnFEMI/K7MDENG'");
    let Statement::CreateSecret(c) = &s else {
        panic!()
    };
    assert_eq!(c.name.as_str(), "aws_secret");
    assert_eq!(c.value.expose_expr().to_string(), "'wJalrXUtnFEMI/K7MDENG'");
    assert!(!c.if_not_exists);
    verified("CREATE SECRET IF NOT EXISTS aws_secret AS 'x'");
    // The design document's form, any case, and quoting.
    check(
        "create secret Aws_Secret = 'secret';",
        "CREATE SECRET aws_secret AS 'secret'",
    );
    check(
        "CREATE SECRET \"Mixed\" AS 'it''s'",
        "CREATE SECRET \"Mixed\" AS 'it''s'",
    );
    // Escape and dollar-quoted strings print as written.
    verified("CREATE SECRET s AS E'a\\nb'");
    verified("CREATE SECRET s AS $$dollar'd$$");
    assert_eq!(
        redacted("CREATE SECRET s AS 'hunter2'"),
        "CREATE SECRET s AS '<REDACTED>'"
    );
    assert_eq!(
        redacted("CREATE SECRET IF NOT EXISTS s = 'hunter2'"),
        "CREATE SECRET IF NOT EXISTS s AS '<REDACTED>'"
    );
}

#[test]
fn alter_secret() {
    verified("ALTER SECRET s AS 'new'");
    verified("ALTER SECRET IF EXISTS s AS 'new'");
    verified("ALTER SECRET s RENAME TO t");
    verified("ALTER SECRET IF EXISTS s RENAME TO \"T\"");
    assert_eq!(
        redacted("ALTER SECRET s AS 'hunter2'"),
        "ALTER SECRET s AS '<REDACTED>'"
    );
    let Statement::RenameObject(r) = verified("ALTER SECRET s RENAME TO t") else {
        panic!()
    };
    assert_eq!(r.object_type, ObjectType::Secret);
}

#[test]
fn drop_objects() {
    for kind in ["SECRET", "CONNECTION"] {
        verified(&format!("DROP {kind} a"));
        verified(&format!("DROP {kind} IF EXISTS a, b, c"));
        verified(&format!("DROP {kind} a CASCADE"));
        verified(&format!("DROP {kind} a, b RESTRICT"));
    }
    let Statement::DropObjects(d) = verified("DROP SECRET IF EXISTS a, b CASCADE") else {
        panic!()
    };
    assert_eq!(d.names.len(), 2);
    assert_eq!(d.behavior, Some(DropBehavior::Cascade));
}

#[test]
fn create_connection_every_option() {
    let sql = "CREATE CONNECTION aws_conn TO AWS (\
        ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', \
        SECRET ACCESS KEY = SECRET aws_secret, \
        SESSION TOKEN = SECRET tok, \
        ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader', \
        ASSUME ROLE SESSION NAME = 'airlock', \
        ENDPOINT = 'http://127.0.0.1:4566', \
        REGION = 'us-east-1', \
        ASSUME ROLE SESSION DURATION = '1 hour', \
        STS ENDPOINT = 'https://sts-fips.us-east-1.amazonaws.com', \
        STS REGION = 'us-east-1', \
        SCOPE = 's3://lake', \
        USE DEFAULT CREDENTIALS)";
    let Statement::CreateConnection(c) = verified(sql) else {
        panic!()
    };
    let names: Vec<_> = c.options.iter().map(|o| o.name).collect();
    assert_eq!(names, AwsOptionName::ALL);
    assert_eq!(
        c.options[1].value,
        OptionValue::Secret(ItemName::bare("aws_secret"))
    );

    // `=` is optional, keywords are case-insensitive, order is kept.
    check(
        "create connection C to aws (region 'us-west-2', assume role arn 'arn:aws:iam::001234567890:role/R')",
        "CREATE CONNECTION c TO AWS (REGION = 'us-west-2', ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R')",
    );
    check(
        "CREATE CONNECTION c TO AWS (ACCESS KEY ID SECRET kid, SECRET ACCESS KEY SECRET sk, SESSION TOKEN 'tok')",
        "CREATE CONNECTION c TO AWS (ACCESS KEY ID = SECRET kid, SECRET ACCESS KEY = SECRET sk, SESSION TOKEN = 'tok')",
    );
    verified("CREATE CONNECTION IF NOT EXISTS c TO AWS (ASSUME ROLE ARN = 'a')");
    // Repeats and an empty list are the planner's to reject, so they print back as given.
    verified("CREATE CONNECTION c TO AWS (REGION = 'a', REGION = 'b')");
    verified("CREATE CONNECTION c TO AWS ()");
    // A literal secret access key parses (the planner rejects it with a hint) but is
    // redacted.
    assert_eq!(
        redacted(
            "CREATE CONNECTION c TO AWS (ACCESS KEY ID = 'AKIA', SECRET ACCESS KEY = 'oops', SESSION TOKEN = 'tok')"
        ),
        "CREATE CONNECTION c TO AWS (ACCESS KEY ID = 'AKIA', SECRET ACCESS KEY = '<REDACTED>', SESSION TOKEN = '<REDACTED>')"
    );
}

#[test]
fn use_default_credentials_is_a_switch_without_a_value() {
    let Statement::CreateConnection(c) = check(
        "create connection c to aws (use default credentials, region 'us-east-1')",
        "CREATE CONNECTION c TO AWS (USE DEFAULT CREDENTIALS, REGION = 'us-east-1')",
    ) else {
        panic!()
    };
    assert_eq!(c.options[0].name, AwsOptionName::UseDefaultCredentials);
    assert_eq!(c.options[0].value, OptionValue::Flag);
    verified("CREATE CONNECTION c TO AWS (USE DEFAULT CREDENTIALS)");
    verified("ALTER CONNECTION c SET (USE DEFAULT CREDENTIALS), RESET (ASSUME ROLE ARN)");
    verified("ALTER CONNECTION c RESET (USE DEFAULT CREDENTIALS), SET (ASSUME ROLE ARN = 'a')");
    // Nothing to hide in the redacted form.
    assert_eq!(
        redacted("CREATE CONNECTION c TO AWS (USE DEFAULT CREDENTIALS)"),
        "CREATE CONNECTION c TO AWS (USE DEFAULT CREDENTIALS)"
    );
    for bad in [
        "CREATE CONNECTION c TO AWS (USE DEFAULT CREDENTIALS = true)",
        "CREATE CONNECTION c TO AWS (USE DEFAULT CREDENTIALS 'yes')",
        "CREATE CONNECTION c TO AWS (USE DEFAULT)",
    ] {
        assert!(airlock_parser::parse_statement(bad).is_err(), "{bad}");
    }
}

#[test]
fn create_connection_with_validate() {
    let Statement::CreateConnection(c) =
        verified("CREATE CONNECTION c TO AWS (REGION = 'r') WITH (VALIDATE = true)")
    else {
        panic!()
    };
    assert_eq!(c.validate, Some(true));
    verified("CREATE CONNECTION c TO AWS (REGION = 'r') WITH (VALIDATE = false)");
    check(
        "CREATE CONNECTION c TO AWS (REGION = 'r') WITH (VALIDATE)",
        "CREATE CONNECTION c TO AWS (REGION = 'r') WITH (VALIDATE = true)",
    );
    check(
        "CREATE CONNECTION c TO AWS (REGION = 'r') WITH (validate false)",
        "CREATE CONNECTION c TO AWS (REGION = 'r') WITH (VALIDATE = false)",
    );
}

#[test]
fn alter_connection() {
    let Statement::AlterConnection(a) = verified(
        "ALTER CONNECTION c SET (REGION = 'us-east-1'), RESET (ENDPOINT), DROP (ASSUME ROLE SESSION NAME)",
    ) else {
        panic!()
    };
    assert_eq!(a.actions.len(), 3);
    assert_eq!(a.actions[1].option_name(), AwsOptionName::Endpoint);
    verified(
        "ALTER CONNECTION IF EXISTS c SET (SECRET ACCESS KEY = SECRET s2) WITH (VALIDATE = true)",
    );
    for option in AwsOptionName::ALL {
        verified(&format!("ALTER CONNECTION c RESET ({option})"));
        verified(&format!("ALTER CONNECTION c DROP ({option})"));
        if option.is_flag() {
            verified(&format!("ALTER CONNECTION c SET ({option})"));
            continue;
        }
        verified(&format!("ALTER CONNECTION c SET ({option} = 'v')"));
        verified(&format!("ALTER CONNECTION c SET ({option} = SECRET s)"));
    }
    verified("ALTER CONNECTION c RENAME TO d");
    verified("ALTER CONNECTION IF EXISTS c RENAME TO d");
    assert_eq!(
        redacted("ALTER CONNECTION c SET (SESSION TOKEN = 'tok')"),
        "ALTER CONNECTION c SET (SESSION TOKEN = '<REDACTED>')"
    );
}

#[test]
fn validate_and_show() {
    verified("VALIDATE CONNECTION aws_conn");
    verified("SHOW CONNECTIONS");
    verified("SHOW SECRETS");
    verified("SHOW CONNECTIONS LIKE 'aws%'");
    verified("SHOW SECRETS LIKE '%'");
    verified("SHOW CREATE CONNECTION c");
    let Statement::ShowCreateConnection(s) = verified("SHOW REDACTED CREATE CONNECTION c") else {
        panic!()
    };
    assert!(s.redacted);
    verified("SHOW aws_principal");
    check("SHOW AWS_EXTERNAL_ID_PREFIX", "SHOW aws_external_id_prefix");
}

#[test]
fn alter_system() {
    verified("ALTER SYSTEM SET aws_principal = 'arn:aws:iam::123456789012:role/AirlockConnection'");
    check(
        "alter system set aws_principal to 'arn:aws:iam::123456789012:role/X'",
        "ALTER SYSTEM SET aws_principal = 'arn:aws:iam::123456789012:role/X'",
    );
    verified("ALTER SYSTEM SET aws_principal = DEFAULT");
    verified("ALTER SYSTEM RESET aws_principal");
    verified(
        "ALTER SYSTEM SET aws_allowed_endpoints = 'http://127.0.0.1:4566/,https://minio.internal/'",
    );
    verified("ALTER SYSTEM RESET aws_allowed_endpoints");
    check("SHOW AWS_ALLOWED_ENDPOINTS", "SHOW aws_allowed_endpoints");
    // Unknown parameters are the planner's to reject, as in PostgreSQL.
    let Statement::AlterSystem(a) = verified("ALTER SYSTEM SET work_mem = '1'") else {
        panic!()
    };
    assert_eq!(a.name.as_str(), "work_mem");
}

#[test]
fn names_fold_and_quote_like_postgres() {
    check("DROP SECRET FOO", "DROP SECRET foo");
    verified("DROP SECRET \"FOO\"");
    verified("DROP SECRET \"has space\"");
    verified("DROP SECRET \"quo\"\"te\"");
    // Keywords and other words that would not read back unquoted are quoted.
    check("DROP SECRET \"select\"", "DROP SECRET \"select\"");
    verified("DROP SECRET \"if\"");
    verified("DROP SECRET \"1abc\"");
    verified("DROP SECRET \"é\"");
    verified("DROP SECRET a_b$1");
}

#[test]
fn other_statements_pass_through() {
    for sql in [
        "SELECT principal, external_id FROM mz_aws_connections AS aws JOIN mz_connections AS c ON aws.id = c.id WHERE c.name = 'aws_conn'",
        "CREATE TABLE t (a INT)",
        "SHOW search_path",
        "SHOW CREATE TABLE t",
        "ALTER TABLE t ADD COLUMN b INT",
        "DROP TABLE t",
        "CREATE INDEX i ON t(a)",
    ] {
        let stmt = verified(sql);
        assert!(
            matches!(stmt, Statement::Sql(_)),
            "{sql} should pass through"
        );
    }
}

#[test]
fn pass_through_redaction_hides_literals_outside_queries() {
    assert_eq!(
        redacted("CREATE ROLE r WITH PASSWORD 'hunter2'"),
        "CREATE ROLE r PASSWORD '<REDACTED>'"
    );
    assert_eq!(
        redacted("INSERT INTO t VALUES ('hunter2', 1)"),
        "INSERT INTO t VALUES ('<REDACTED>', 1)"
    );
    // Queries store nothing; their literals stay, so history recall stays useful.
    assert_eq!(redacted("SELECT 'x' FROM t"), "SELECT 'x' FROM t");
}

#[test]
fn scripts_hold_many_statements() {
    let stmts = parse_statements(
        "CREATE SECRET s AS 'v';\n\
         -- a comment\n\
         CREATE CONNECTION c TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R');;\n\
         /* block */ SELECT 1;",
    )
    .unwrap();
    assert_eq!(stmts.len(), 3);
    assert!(parse_statements("").unwrap().is_empty());
    assert!(parse_statements(" ; ;  -- nothing\n").unwrap().is_empty());
}

#[test]
fn debug_output_never_holds_values() {
    let stmts = parse_statements(
        "CREATE SECRET s AS 'canary-1'; ALTER SECRET s AS 'canary-2';
         CREATE CONNECTION c TO AWS (SECRET ACCESS KEY = 'canary-3', SESSION TOKEN = 'canary-4')",
    )
    .unwrap();
    let debug = format!("{stmts:?}");
    assert!(!debug.contains("canary"), "{debug}");
    let redacted: String = stmts.iter().map(Statement::to_redacted_string).collect();
    assert!(!redacted.contains("canary"), "{redacted}");
}

#[test]
fn syntax_errors_never_quote_string_literals() {
    for sql in [
        "CREATE SECRET s 'canary-5'",
        "CREATE SECRET s AS 'canary-5' extra",
        "CREATE CONNECTION c TO AWS ('canary-5')",
        "CREATE ROLE r PASSWORD 'canary-5' 'canary-5'",
        "SELECT 1 'canary-5' 'canary-5'",
    ] {
        let err = parse_statements(sql).unwrap_err();
        assert!(!err.message.contains("canary"), "{sql}: {}", err.message);
    }
}

/// A password typed into a URL never reaches the redacted form (REPL history, errors).
#[test]
fn redacted_form_drops_userinfo_from_urls() {
    for (sql, shown) in [
        (
            "CREATE CONNECTION c TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R', ENDPOINT = 'http://user:pw-CANARY@127.0.0.1:4566/')",
            "ENDPOINT = 'http://<redacted>@127.0.0.1:4566/'",
        ),
        (
            "ALTER CONNECTION c SET (ENDPOINT = 'https://u:pw-CANARY@minio.internal/') WITH (VALIDATE = true)",
            "ENDPOINT = 'https://<redacted>@minio.internal/'",
        ),
        (
            "ALTER SYSTEM SET aws_allowed_endpoints = 'https://ok/,http://u:pw-CANARY@x/'",
            "'https://ok/,http://<redacted>@x/'",
        ),
    ] {
        let text = redacted(sql);
        assert!(!text.contains("CANARY"), "{text}");
        assert!(text.contains(shown), "{text}");
        // The full form keeps what was typed (the planner refuses it).
        assert!(parse_statement(sql).unwrap().to_string().contains("CANARY"));
    }
}

#[test]
fn secret_values_are_expressions_redacted_whole() {
    for sql in [
        "CREATE SECRET s AS decode('c2VjcmV0Cg==', 'base64')",
        "CREATE SECRET s AS 'text'::BYTEA",
        "CREATE SECRET s AS ('a' || 'b')::BYTEA",
        "CREATE SECRET s AS repeat('x', 1024)::BYTEA",
        "CREATE SECRET s AS CAST('x' AS BYTEA)",
        "CREATE SECRET s AS convert_from(decode('aGk=', 'base64'), 'UTF8')::BYTEA",
        "CREATE SECRET IF NOT EXISTS s AS encode('\\x00', 'hex')::BYTEA",
        "ALTER SECRET s AS decode('c2VjcmV0Cg==', 'base64')",
        "CREATE SECRET s AS 'it''s' || '\\'",
        "CREATE SECRET s AS NULL",
        "CREATE SECRET s AS 123456",
    ] {
        let statement = verified(sql);
        let hidden = statement.to_redacted_string();
        assert!(
            hidden.ends_with(" AS '<REDACTED>'"),
            "{sql} redacted as {hidden}"
        );
        // Nothing of the expression survives in the redacted form or in Debug.
        for part in ["decode", "c2Vj", "base64", "repeat", "'a'", "x00", "123456"] {
            assert!(!hidden.contains(part), "{hidden}");
        }
        assert!(!format!("{statement:?}").contains("c2Vj"));
    }
    // The spacing and case of the input are not kept; the tree is.
    check(
        "create secret s as decode(encode('supersecret', 'base64') , 'base64');",
        "CREATE SECRET s AS decode(encode('supersecret', 'base64'), 'base64')",
    );
    check(
        "CREATE SECRET s AS 'text'::bytea",
        "CREATE SECRET s AS 'text'::BYTEA",
    );
}

#[test]
fn qualified_names() {
    let Statement::CreateSecret(s) = verified("CREATE SECRET materialize.public.s AS 'x'") else {
        panic!()
    };
    assert_eq!(
        s.name.database.as_ref().map(Ident::as_str),
        Some("materialize")
    );
    assert_eq!(s.name.schema.as_ref().map(Ident::as_str), Some("public"));
    assert_eq!(s.name.as_str(), "s");
    check(
        "CREATE SECRET \"materialize\".\"public\".\"S\" AS 'x'",
        "CREATE SECRET materialize.public.\"S\" AS 'x'",
    );
    verified(
        "CREATE CONNECTION materialize.public.a TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET materialize.public.s)",
    );
    verified("DROP CONNECTION IF EXISTS public.a, materialize.public.b, c CASCADE");
    verified("ALTER CONNECTION public.a SET (REGION = 'us-east-1')");
    verified("ALTER SECRET materialize.public.s RENAME TO t");
    verified("VALIDATE CONNECTION materialize.public.a");
    verified("SHOW REDACTED CREATE CONNECTION materialize.public.a");
    let Statement::CreateConnection(c) =
        verified("CREATE CONNECTION c TO AWS (SESSION TOKEN = SECRET public.tok)")
    else {
        panic!()
    };
    assert_eq!(
        c.options[0].value,
        OptionValue::Secret(ItemName {
            database: None,
            schema: Some(Ident::new("public")),
            name: Ident::new("tok"),
        })
    );
    assert_eq!(
        parse_statement("CREATE SECRET a.b.c.d AS 'x'")
            .unwrap_err()
            .message,
        "qualified name did not have between 1 and 3 components"
    );
}

#[test]
fn option_values_as_identifiers() {
    check(
        "CREATE CONNECTION c TO AWS (REGION object_reference)",
        "CREATE CONNECTION c TO AWS (REGION = 'object_reference')",
    );
    check(
        "CREATE CONNECTION c TO AWS (ENDPOINT \"https://localhost:8080\")",
        "CREATE CONNECTION c TO AWS (ENDPOINT = 'https://localhost:8080')",
    );
    check(
        "ALTER CONNECTION c SET (ACCESS KEY ID = AKIAIOSFODNN7EXAMPLE)",
        "ALTER CONNECTION c SET (ACCESS KEY ID = 'akiaiosfodnn7example')",
    );
    // A credential written as an identifier is redacted like a literal one.
    assert_eq!(
        redacted("CREATE CONNECTION c TO AWS (SESSION TOKEN = \"Tok3n\")"),
        "CREATE CONNECTION c TO AWS (SESSION TOKEN = '<REDACTED>')"
    );
}

#[test]
fn comment_on() {
    let Statement::Comment(c) = verified("COMMENT ON SECRET s IS 'supersecret'") else {
        panic!()
    };
    assert_eq!(c.object_type, ObjectType::Secret);
    assert_eq!(c.comment.as_deref(), Some("supersecret"));
    verified("COMMENT ON CONNECTION materialize.public.c IS 'it''s the reader'");
    let Statement::Comment(c) = check(
        "comment on connection c is null",
        "COMMENT ON CONNECTION c IS NULL",
    ) else {
        panic!()
    };
    assert_eq!(c.comment, None);
    // A comment is documentation: the redacted form keeps it.
    assert_eq!(
        redacted("COMMENT ON SECRET s IS 'rotated monthly'"),
        "COMMENT ON SECRET s IS 'rotated monthly'"
    );
    // Other objects' comments are sqlparser's.
    assert!(matches!(
        parse_statement("COMMENT ON TABLE t IS 'x'").unwrap(),
        Statement::Sql(_)
    ));
}

#[test]
fn select_from_show_create() {
    let Statement::SelectFromShowCreate(s) =
        verified("SELECT create_sql FROM (SHOW CREATE CONNECTION materialize.public.c)")
    else {
        panic!()
    };
    assert_eq!(s.columns, Some(vec![Ident::new("create_sql")]));
    assert!(!s.show.redacted);
    verified("SELECT * FROM (SHOW REDACTED CREATE CONNECTION c) AS s");
    check(
        "select s.name, create_sql from (show create connection c) s",
        "SELECT name, create_sql FROM (SHOW CREATE CONNECTION c) AS s",
    );
    // Other subqueries stay sqlparser's.
    assert!(matches!(
        parse_statement("SELECT * FROM (SELECT 1) AS s").unwrap(),
        Statement::Sql(_)
    ));
}

#[test]
fn role_and_privilege_statements() {
    verified("CREATE ROLE joe");
    check(
        "create role Joe with superuser login",
        "CREATE ROLE joe SUPERUSER LOGIN",
    );
    verified("CREATE ROLE joe NOSUPERUSER NOLOGIN INHERIT");
    check("ALTER ROLE joe WITH NOLOGIN", "ALTER ROLE joe NOLOGIN");
    verified("DROP ROLE joe");
    verified("DROP ROLE IF EXISTS joe, \"Mixed\"");
    verified("GRANT r1, r2 TO joe, ann");
    verified("REVOKE r1 FROM joe");
    verified("GRANT USAGE ON SECRET s TO joe");
    check(
        "grant all on connection materialize.public.c, d to public, joe",
        "GRANT ALL PRIVILEGES ON CONNECTION materialize.public.c, d TO PUBLIC, joe",
    );
    verified("REVOKE USAGE ON SECRET s FROM PUBLIC");
    verified("GRANT USAGE ON ALL SECRETS TO joe");
    verified("GRANT USAGE ON ALL CONNECTIONS IN SCHEMA materialize.public, public TO joe");
    verified("GRANT CREATE, USAGE ON SCHEMA materialize.public TO joe");
    verified("REVOKE CREATE ON SCHEMA public FROM joe");
    verified("GRANT CREATEROLE ON SYSTEM TO joe");
    // A role called "public" is not PUBLIC.
    let s = verified("GRANT USAGE ON SECRET s TO \"public\"");
    let Statement::GrantPrivileges(g) = &s else {
        panic!()
    };
    assert_eq!(g.grantees, [Grantee::Role(Ident::new("public"))]);
    verified("ALTER SECRET s OWNER TO joe");
    verified("ALTER CONNECTION IF EXISTS materialize.public.c OWNER TO joe");
    verified("SET ROLE joe");
    verified("SET ROLE NONE");
    verified("SET ROLE \"none\"");
    verified("RESET ROLE");
    // The host's grants stay the host's.
    assert!(matches!(
        parse_statement("GRANT SELECT ON TABLE t TO joe").unwrap(),
        Statement::Sql(_)
    ));
    for bad in [
        "ALTER ROLE joe",
        "CREATE ROLE joe WITH",
        "GRANT USAGE ON SECRET TO joe",
        "GRANT USAGE ON ALL TABLES TO joe",
        "ALTER SECRET s OWNER joe",
        "GRANT USAGE ON SCHEMA a.b.c TO joe",
    ] {
        assert!(parse_statement(bad).is_err(), "{bad}");
    }
}

#[test]
fn scope_option() {
    let s = check(
        "create connection lake to aws (assume role arn 'arn:aws:iam::001234567890:role/R', scope 's3://lake/raw')",
        "CREATE CONNECTION lake TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R', SCOPE = 's3://lake/raw')",
    );
    let Statement::CreateConnection(c) = &s else {
        panic!()
    };
    assert_eq!(c.options[1].name, AwsOptionName::Scope);
    assert_eq!(
        c.options[1].value,
        OptionValue::String("s3://lake/raw".into())
    );
    // A scope is no credential: the redacted form keeps it.
    assert!(redacted(&s.to_string()).contains("SCOPE = 's3://lake/raw'"));
    verified("ALTER CONNECTION lake SET (SCOPE = 's3://lake')");
    verified("ALTER CONNECTION lake RESET (SCOPE)");
    verified("ALTER CONNECTION lake DROP (SCOPE)");
}
