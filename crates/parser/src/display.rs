//! The two printers: full (round trip: `parse(print(ast)) == ast`) and redacted (secret
//! values become `'<REDACTED>'`; the result still parses).
//!
//! Both are one function, [`write_statement`], with a [`Mode`]: a printer that is written
//! twice drifts.

use std::fmt;
use std::ops::ControlFlow;

use airlock_core::aws::{redact_userinfo, redact_userinfo_list};
use sqlparser::ast::{
    CastKind, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Value,
    ValueWithSpan, VisitMut, VisitorMut,
};

use crate::ast::*;

/// What the redacted printer writes in place of a secret value.
pub const REDACTED: &str = "<REDACTED>";

/// Which printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything, secret values included: the round-trip form.
    Full,
    /// Secret values (and, in statements Airlock does not own, every string literal
    /// outside queries) replaced by `'<REDACTED>'`: for logs, history and catalog text.
    Redacted,
}

/// A statement printed in a given mode, for `format!`.
#[derive(Debug, Clone, Copy)]
pub struct Printed<'a> {
    statement: &'a Statement,
    mode: Mode,
}

impl Statement {
    /// The redacted form: safe for logs, errors, history and `SHOW REDACTED CREATE`.
    pub fn to_redacted_string(&self) -> String {
        self.printed(Mode::Redacted).to_string()
    }

    pub fn printed(&self, mode: Mode) -> Printed<'_> {
        Printed {
            statement: self,
            mode,
        }
    }
}

impl fmt::Display for Printed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_statement(f, self.statement, self.mode)
    }
}

/// The full form. Contains secret values: never log it.
impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_statement(f, self, Mode::Full)
    }
}

/// PostgreSQL's reserved keywords (Appendix C of its manual, "reserved" column, plus
/// the reserved-but-usable-as-function-or-type names). `quote_ident` quotes these.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// Writes a name, quoted where it would not read back as the same identifier unquoted
/// (PostgreSQL's `quote_ident` rule: anything but lower-case letters, digits, `_` and
/// `$`, a leading digit, or a reserved keyword).
pub(crate) fn write_ident(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !RESERVED.contains(&name)
        // Words the parser reads as part of the statement where a name could stand.
        && !matches!(name, "if" | "exists" | "secret");
    if plain {
        f.write_str(name)
    } else {
        f.write_str("\"")?;
        f.write_str(&name.replace('"', "\"\""))?;
        f.write_str("\"")
    }
}

/// Writes a standard string literal (`'it''s'`).
pub(crate) fn write_string(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    f.write_str("'")?;
    f.write_str(&value.replace('\'', "''"))?;
    f.write_str("'")
}

fn write_if(f: &mut fmt::Formatter<'_>, cond: bool, words: &str) -> fmt::Result {
    if cond { f.write_str(words) } else { Ok(()) }
}

fn write_option(f: &mut fmt::Formatter<'_>, option: &AwsOption, mode: Mode) -> fmt::Result {
    if option.value == OptionValue::Flag {
        return write!(f, "{}", option.name);
    }
    write!(f, "{} = ", option.name)?;
    match &option.value {
        OptionValue::String(_) if mode == Mode::Redacted && option.name.is_sensitive() => {
            write_string(f, REDACTED)
        }
        OptionValue::String(s)
            if mode == Mode::Redacted
                && matches!(
                    option.name,
                    AwsOptionName::Endpoint | AwsOptionName::StsEndpoint
                ) =>
        {
            write_string(f, &redact_userinfo(s))
        }
        OptionValue::String(s) => write_string(f, s),
        OptionValue::Secret(name) => write!(f, "SECRET {name}"),
        OptionValue::Flag => Ok(()),
    }
}

fn write_validate(f: &mut fmt::Formatter<'_>, validate: Option<bool>) -> fmt::Result {
    match validate {
        Some(v) => write!(f, " WITH (VALIDATE = {v})"),
        None => Ok(()),
    }
}

/// A secret's value expression: in full, or replaced whole by `'<REDACTED>'` (every part
/// of `decode('…', 'base64')` may be the secret).
fn write_secret_value(f: &mut fmt::Formatter<'_>, value: &SecretValue, mode: Mode) -> fmt::Result {
    match mode {
        Mode::Full => write_value_expr(f, value.expose_expr()),
        Mode::Redacted => write_string(f, REDACTED),
    }
}

/// Prints a value expression so that it parses back to the same tree. sqlparser's own
/// printer guesses whether a quote in a string is "already escaped" (`'\''` prints as
/// `'\''`, which reads back as another value), so the shapes a secret value takes
/// (literals, casts, `||`, function calls, parentheses) are printed here, with
/// [`write_string`]; anything else (which the planner refuses) is left to sqlparser.
pub(crate) fn write_value_expr(f: &mut fmt::Formatter<'_>, expr: &Expr) -> fmt::Result {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => write_string(f, s),
            other => write!(f, "{other}"),
        },
        Expr::Nested(inner) => {
            f.write_str("(")?;
            write_value_expr(f, inner)?;
            f.write_str(")")
        }
        Expr::Cast {
            kind: CastKind::DoubleColon,
            expr,
            data_type,
            format: None,
        } => {
            write_value_expr(f, expr)?;
            write!(f, "::{data_type}")
        }
        Expr::Cast {
            kind: CastKind::Cast,
            expr,
            data_type,
            format: None,
        } => {
            f.write_str("CAST(")?;
            write_value_expr(f, expr)?;
            write!(f, " AS {data_type})")
        }
        Expr::BinaryOp { left, op, right } => {
            write_value_expr(f, left)?;
            write!(f, " {op} ")?;
            write_value_expr(f, right)
        }
        Expr::Function(function) => match plain_call_args(function) {
            Some(args) => {
                write!(f, "{}(", function.name)?;
                for (i, arg) in args.into_iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_value_expr(f, arg)?;
                }
                f.write_str(")")
            }
            None => write!(f, "{function}"),
        },
        other => write!(f, "{other}"),
    }
}

/// The arguments of `name(a, b, …)`, when the call is nothing more than that.
pub fn plain_call_args(function: &Function) -> Option<Vec<&Expr>> {
    let plain = !function.uses_odbc_syntax
        && matches!(function.parameters, FunctionArguments::None)
        && function.within_group.is_empty()
        && function.filter.is_none()
        && function.null_treatment.is_none()
        && function.over.is_none();
    if !plain {
        return None;
    }
    match &function.args {
        FunctionArguments::List(list)
            if list.duplicate_treatment.is_none() && list.clauses.is_empty() =>
        {
            list.args
                .iter()
                .map(|arg| match arg {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                    _ => None,
                })
                .collect()
        }
        _ => None,
    }
}

fn write_list<T>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    mut each: impl FnMut(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        each(f, item)?;
    }
    Ok(())
}

fn write_show_create(f: &mut fmt::Formatter<'_>, s: &ShowCreateConnection) -> fmt::Result {
    f.write_str("SHOW ")?;
    write_if(f, s.redacted, "REDACTED ")?;
    write!(f, "CREATE CONNECTION {}", s.name)
}

/// The one printer behind both modes.
pub fn write_statement(f: &mut fmt::Formatter<'_>, stmt: &Statement, mode: Mode) -> fmt::Result {
    match stmt {
        Statement::CreateSecret(s) => {
            f.write_str("CREATE SECRET ")?;
            write_if(f, s.if_not_exists, "IF NOT EXISTS ")?;
            write!(f, "{} AS ", s.name)?;
            write_secret_value(f, &s.value, mode)
        }
        Statement::AlterSecret(s) => {
            f.write_str("ALTER SECRET ")?;
            write_if(f, s.if_exists, "IF EXISTS ")?;
            write!(f, "{} AS ", s.name)?;
            write_secret_value(f, &s.value, mode)
        }
        Statement::CreateConnection(c) => {
            f.write_str("CREATE CONNECTION ")?;
            write_if(f, c.if_not_exists, "IF NOT EXISTS ")?;
            write!(f, "{} TO AWS (", c.name)?;
            write_list(f, &c.options, |f, o| write_option(f, o, mode))?;
            f.write_str(")")?;
            write_validate(f, c.validate)
        }
        Statement::AlterConnection(a) => {
            f.write_str("ALTER CONNECTION ")?;
            write_if(f, a.if_exists, "IF EXISTS ")?;
            write!(f, "{} ", a.name)?;
            write_list(f, &a.actions, |f, action| match action {
                AlterConnectionAction::Set(o) => {
                    f.write_str("SET (")?;
                    write_option(f, o, mode)?;
                    f.write_str(")")
                }
                AlterConnectionAction::Reset(n) => write!(f, "RESET ({n})"),
                AlterConnectionAction::Drop(n) => write!(f, "DROP ({n})"),
            })?;
            write_validate(f, a.validate)
        }
        Statement::DropObjects(d) => {
            write!(f, "DROP {} ", d.object_type.as_str())?;
            write_if(f, d.if_exists, "IF EXISTS ")?;
            write_list(f, &d.names, |f, n| write!(f, "{n}"))?;
            match d.behavior {
                Some(DropBehavior::Cascade) => f.write_str(" CASCADE"),
                Some(DropBehavior::Restrict) => f.write_str(" RESTRICT"),
                None => Ok(()),
            }
        }
        Statement::RenameObject(r) => {
            write!(f, "ALTER {} ", r.object_type.as_str())?;
            write_if(f, r.if_exists, "IF EXISTS ")?;
            write!(f, "{} RENAME TO {}", r.name, r.new_name)
        }
        Statement::ValidateConnection(v) => write!(f, "VALIDATE CONNECTION {}", v.name),
        Statement::ShowObjects(s) => {
            let what = match s.object_type {
                ObjectType::Secret => "SECRETS",
                ObjectType::Connection => "CONNECTIONS",
            };
            write!(f, "SHOW {what}")?;
            if let Some(pattern) = &s.like {
                f.write_str(" LIKE ")?;
                write_string(f, pattern)?;
            }
            Ok(())
        }
        Statement::ShowCreateConnection(s) => write_show_create(f, s),
        Statement::SelectFromShowCreate(s) => {
            f.write_str("SELECT ")?;
            match &s.columns {
                None => f.write_str("*")?,
                Some(columns) => write_list(f, columns, |f, c| write!(f, "{c}"))?,
            }
            f.write_str(" FROM (")?;
            write_show_create(f, &s.show)?;
            f.write_str(")")?;
            match &s.alias {
                Some(alias) => write!(f, " AS {alias}"),
                None => Ok(()),
            }
        }
        Statement::Comment(c) => {
            write!(f, "COMMENT ON {} {} IS ", c.object_type.as_str(), c.name)?;
            match &c.comment {
                // A comment is documentation, not a credential: printed in both modes.
                Some(text) => write_string(f, text),
                None => f.write_str("NULL"),
            }
        }
        Statement::ShowVariable(s) => write!(f, "SHOW {}", s.variable),
        Statement::AlterSystem(a) => match (a.form, &a.value) {
            (AlterSystemForm::Reset, _) => write!(f, "ALTER SYSTEM RESET {}", a.name),
            (AlterSystemForm::Set, None) => write!(f, "ALTER SYSTEM SET {} = DEFAULT", a.name),
            (AlterSystemForm::Set, Some(v)) => {
                write!(f, "ALTER SYSTEM SET {} = ", a.name)?;
                match mode {
                    Mode::Full => write_string(f, v),
                    // aws_allowed_endpoints is a list of URLs: a password typed into one
                    // stays out of history and errors.
                    Mode::Redacted => write_string(f, &redact_userinfo_list(v)),
                }
            }
        },
        Statement::CreateRole(r) => {
            write!(f, "CREATE ROLE {}", r.name)?;
            write_role_options(f, &r.options)
        }
        Statement::AlterRole(r) => {
            write!(f, "ALTER ROLE {}", r.name)?;
            write_role_options(f, &r.options)
        }
        Statement::DropRoles(d) => {
            f.write_str("DROP ROLE ")?;
            write_if(f, d.if_exists, "IF EXISTS ")?;
            write_list(f, &d.names, |f, n| write!(f, "{n}"))
        }
        Statement::GrantRole(g) => {
            f.write_str(if g.revoke { "REVOKE " } else { "GRANT " })?;
            write_list(f, &g.roles, |f, n| write!(f, "{n}"))?;
            f.write_str(if g.revoke { " FROM " } else { " TO " })?;
            write_list(f, &g.members, |f, n| write!(f, "{n}"))
        }
        Statement::GrantPrivileges(g) => write_grant_privileges(f, g),
        Statement::AlterOwner(a) => {
            write!(f, "ALTER {} ", a.object_type.as_str())?;
            write_if(f, a.if_exists, "IF EXISTS ")?;
            write!(f, "{} OWNER TO {}", a.name, a.new_owner)
        }
        Statement::SetRole(s) => match (&s.role, s.reset) {
            (Some(role), _) if role.as_str() == "none" => f.write_str("SET ROLE \"none\""),
            (Some(role), _) => write!(f, "SET ROLE {role}"),
            (None, true) => f.write_str("RESET ROLE"),
            (None, false) => f.write_str("SET ROLE NONE"),
        },
        Statement::Sql(s) => match mode {
            Mode::Full => write!(f, "{s}"),
            Mode::Redacted => write!(f, "{}", redact_foreign(s)),
        },
    }
}

fn write_role_options(f: &mut fmt::Formatter<'_>, options: &[RoleOption]) -> fmt::Result {
    for option in options {
        write!(f, " {}", option.as_str())?;
    }
    Ok(())
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(database) = &self.database {
            write!(f, "{database}.")?;
        }
        write!(f, "{}", self.schema)
    }
}

impl fmt::Display for Grantee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grantee::Public => f.write_str("PUBLIC"),
            // Quoted, so that it reads back as a role and not as the keyword.
            Grantee::Role(name) if name.as_str() == "public" => f.write_str("\"public\""),
            Grantee::Role(name) => write!(f, "{name}"),
        }
    }
}

fn write_grant_privileges(f: &mut fmt::Formatter<'_>, g: &GrantPrivileges) -> fmt::Result {
    f.write_str(if g.revoke { "REVOKE " } else { "GRANT " })?;
    match &g.privileges {
        None => f.write_str("ALL PRIVILEGES")?,
        Some(list) => write_list(f, list, |f, p| f.write_str(p.as_str()))?,
    }
    f.write_str(" ON ")?;
    match &g.target {
        GrantTarget::Objects { object_type, names } => {
            write!(f, "{} ", object_type.as_str())?;
            write_list(f, names, |f, n| write!(f, "{n}"))?;
        }
        GrantTarget::AllObjects {
            object_type,
            schemas,
        } => {
            write!(f, "ALL {}S", object_type.as_str())?;
            if !schemas.is_empty() {
                f.write_str(" IN SCHEMA ")?;
                write_list(f, schemas, |f, s| write!(f, "{s}"))?;
            }
        }
        GrantTarget::Schemas(schemas) => {
            f.write_str("SCHEMA ")?;
            write_list(f, schemas, |f, s| write!(f, "{s}"))?;
        }
        GrantTarget::System => f.write_str("SYSTEM")?,
    }
    f.write_str(if g.revoke { " FROM " } else { " TO " })?;
    write_list(f, &g.grantees, |f, g| write!(f, "{g}"))
}

/// A statement Airlock does not own may carry credentials anywhere (`CREATE USER ...
/// PASSWORD '...'`), so its redacted form hides every string literal — except in plain
/// queries, which cannot store anything and whose literals users want in their history.
fn redact_foreign(stmt: &SqlStatement) -> SqlStatement {
    struct Redactor;
    impl VisitorMut for Redactor {
        type Break = ();
        fn pre_visit_value(&mut self, value: &mut ValueWithSpan) -> ControlFlow<()> {
            // Every kind of literal but numbers, booleans, NULL and placeholders is text
            // that might be a credential.
            let is_text = !matches!(
                value.value,
                Value::Number(..) | Value::Boolean(_) | Value::Null | Value::Placeholder(_)
            );
            if is_text {
                value.value = Value::SingleQuotedString(REDACTED.to_owned());
            }
            ControlFlow::Continue(())
        }
    }
    let mut copy = stmt.clone();
    if !matches!(copy, SqlStatement::Query(_)) {
        let _ = copy.visit(&mut Redactor);
    }
    copy
}
