//! Airlock's extension AST.
//!
//! One enum, [`Statement`]: a variant per statement Airlock owns, plus
//! [`Statement::Sql`] carrying any other statement exactly as `sqlparser` parsed it.
//! Names are stored folded the PostgreSQL way ([`Ident`]), option names are closed enums
//! with one spelling each, and values keep the order the user gave (so the planner, not
//! the parser, decides what a repeated option means).
//!
//! Printing lives in [`crate::display`]: every node prints back to SQL that parses to the
//! same tree, in full or redacted form.

use std::fmt;

pub use sqlparser::ast::Statement as SqlStatement;

/// An identifier after PostgreSQL's folding: unquoted words are lower-cased, quoted
/// identifiers keep their case. `Display` quotes it again wherever that is needed to
/// read back the same name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ident(String);

impl Ident {
    /// An identifier exactly as given (already folded).
    pub fn new(name: impl Into<String>) -> Self {
        Ident(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for Ident {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::display::write_ident(f, &self.0)
    }
}

/// A possibly qualified object name: `name`, `schema.name` or `database.schema.name`.
/// Airlock has one namespace (by default `materialize.public`); the planner accepts the
/// qualifiers that name it and refuses others, as Materialize refuses an unknown
/// database or schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemName {
    pub database: Option<Ident>,
    pub schema: Option<Ident>,
    pub name: Ident,
}

impl ItemName {
    /// An unqualified name.
    pub fn bare(name: impl Into<String>) -> Self {
        ItemName {
            database: None,
            schema: None,
            name: Ident::new(name),
        }
    }

    /// The object's own name, without qualifiers.
    pub fn as_str(&self) -> &str {
        self.name.as_str()
    }

    /// Every part, outermost first.
    pub fn parts(&self) -> impl Iterator<Item = &Ident> {
        self.database
            .iter()
            .chain(self.schema.iter())
            .chain(std::iter::once(&self.name))
    }
}

impl From<Ident> for ItemName {
    fn from(name: Ident) -> Self {
        ItemName {
            database: None,
            schema: None,
            name,
        }
    }
}

impl fmt::Display for ItemName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{part}")?;
        }
        Ok(())
    }
}

/// The kinds of object the catalog holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectType {
    Secret,
    Connection,
}

impl ObjectType {
    pub const fn as_str(self) -> &'static str {
        match self {
            ObjectType::Secret => "SECRET",
            ObjectType::Connection => "CONNECTION",
        }
    }
}

/// `CASCADE` or `RESTRICT` after `DROP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropBehavior {
    Cascade,
    Restrict,
}

/// A statement of Airlock's dialect, or any other statement passed through.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    CreateSecret(CreateSecret),
    AlterSecret(AlterSecret),
    CreateConnection(CreateConnection),
    AlterConnection(AlterConnection),
    /// `DROP SECRET ...` and `DROP CONNECTION ...`.
    DropObjects(DropObjects),
    /// `ALTER {SECRET | CONNECTION} ... RENAME TO ...`.
    RenameObject(RenameObject),
    ValidateConnection(ValidateConnection),
    /// `SHOW CONNECTIONS` and `SHOW SECRETS`.
    ShowObjects(ShowObjects),
    ShowCreateConnection(ShowCreateConnection),
    /// `COMMENT ON {SECRET | CONNECTION} name IS ...`.
    Comment(Comment),
    /// `SELECT ... FROM (SHOW [REDACTED] CREATE CONNECTION name)`.
    SelectFromShowCreate(SelectFromShowCreate),
    /// `SHOW aws_principal` and `SHOW aws_external_id_prefix`.
    ShowVariable(ShowVariable),
    AlterSystem(AlterSystem),
    CreateRole(CreateRole),
    AlterRole(AlterRole),
    DropRoles(DropRoles),
    /// `GRANT role TO role` and `REVOKE role FROM role`.
    GrantRole(GrantRole),
    /// `GRANT|REVOKE privilege ON {SECRET | CONNECTION | SCHEMA | ALL ...}`.
    GrantPrivileges(GrantPrivileges),
    /// `ALTER {SECRET | CONNECTION} ... OWNER TO role`.
    AlterOwner(AlterOwner),
    /// `SET ROLE`, `RESET ROLE`.
    SetRole(SetRole),
    /// Everything else, untouched: the host decides what to do with it.
    Sql(Box<SqlStatement>),
}

/// ```text
/// CREATE SECRET [IF NOT EXISTS] name AS value_expression
/// CREATE SECRET [IF NOT EXISTS] name = value_expression   -- the design document's form
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSecret {
    pub if_not_exists: bool,
    pub name: ItemName,
    pub value: SecretValue,
}

/// ```text
/// ALTER SECRET [IF EXISTS] name AS value_expression
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AlterSecret {
    pub if_exists: bool,
    pub name: ItemName,
    pub value: SecretValue,
}

/// The value of a secret as written in SQL: a constant `bytea` expression, as in
/// Materialize (`'text'`, `decode('c2VjcmV0Cg==', 'base64')`, `('a' || 'b')::bytea`).
/// The planner evaluates it. Its `Debug` redacts, so an AST can be logged; the full
/// printer ([`Statement`]'s `Display`) is the one place that writes it out, and the
/// redacted printer replaces the whole expression.
#[derive(Clone, PartialEq)]
pub struct SecretValue(Box<sqlparser::ast::Expr>);

impl SecretValue {
    pub fn new(expr: sqlparser::ast::Expr) -> Self {
        SecretValue(Box::new(expr))
    }

    /// A plain string literal.
    pub fn literal(value: impl Into<String>) -> Self {
        SecretValue::new(sqlparser::ast::Expr::Value(
            sqlparser::ast::Value::SingleQuotedString(value.into()).into(),
        ))
    }

    /// The expression itself, for the planner.
    pub fn expose_expr(&self) -> &sqlparser::ast::Expr {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

/// ```text
/// CREATE CONNECTION [IF NOT EXISTS] name TO AWS ( aws_option [, ...] )
///     [WITH ( VALIDATE [[=] true | false] )]
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CreateConnection {
    pub if_not_exists: bool,
    pub name: ItemName,
    /// In the order given; repeats are kept for the planner to reject.
    pub options: Vec<AwsOption>,
    /// `WITH (VALIDATE ...)`; `None` when the clause is absent.
    pub validate: Option<bool>,
}

/// ```text
/// ALTER CONNECTION [IF EXISTS] name
///     { SET ( aws_option ) | RESET ( option_name ) | DROP ( option_name ) } [, ...]
///     [WITH ( VALIDATE [[=] true | false] )]
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AlterConnection {
    pub if_exists: bool,
    pub name: ItemName,
    pub actions: Vec<AlterConnectionAction>,
    pub validate: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlterConnectionAction {
    Set(AwsOption),
    /// `RESET (name)`.
    Reset(AwsOptionName),
    /// `DROP (name)`: the same as `RESET`, kept apart so the statement prints as written.
    Drop(AwsOptionName),
}

impl AlterConnectionAction {
    pub fn option_name(&self) -> AwsOptionName {
        match self {
            AlterConnectionAction::Set(o) => o.name,
            AlterConnectionAction::Reset(n) | AlterConnectionAction::Drop(n) => *n,
        }
    }
}

/// One `name [=] value` inside `TO AWS ( ... )`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsOption {
    pub name: AwsOptionName,
    pub value: OptionValue,
}

/// The options of an AWS connection. One variant each, one spelling each
/// ([`AwsOptionName::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AwsOptionName {
    AccessKeyId,
    SecretAccessKey,
    SessionToken,
    AssumeRoleArn,
    AssumeRoleSessionName,
    Endpoint,
    Region,
    /// `ASSUME ROLE SESSION DURATION`: an interval, 15 minutes to 12 hours.
    AssumeRoleSessionDuration,
    /// `STS ENDPOINT`: where STS calls go, apart from the service's `ENDPOINT`.
    StsEndpoint,
    /// `STS REGION`: the region STS calls are signed for.
    StsRegion,
    /// `SCOPE 's3://bucket[/prefix]'`: which URLs the connection serves (one per
    /// connection).
    Scope,
    /// `USE DEFAULT CREDENTIALS`, written without a value ([`OptionValue::Flag`]): the
    /// connection acts as Airlock's own identity from the AWS default credential chain.
    UseDefaultCredentials,
}

impl AwsOptionName {
    /// Every option, in the order the documentation lists them.
    pub const ALL: [AwsOptionName; 12] = [
        AwsOptionName::AccessKeyId,
        AwsOptionName::SecretAccessKey,
        AwsOptionName::SessionToken,
        AwsOptionName::AssumeRoleArn,
        AwsOptionName::AssumeRoleSessionName,
        AwsOptionName::Endpoint,
        AwsOptionName::Region,
        AwsOptionName::AssumeRoleSessionDuration,
        AwsOptionName::StsEndpoint,
        AwsOptionName::StsRegion,
        AwsOptionName::Scope,
        AwsOptionName::UseDefaultCredentials,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AwsOptionName::AccessKeyId => "ACCESS KEY ID",
            AwsOptionName::SecretAccessKey => "SECRET ACCESS KEY",
            AwsOptionName::SessionToken => "SESSION TOKEN",
            AwsOptionName::AssumeRoleArn => "ASSUME ROLE ARN",
            AwsOptionName::AssumeRoleSessionName => "ASSUME ROLE SESSION NAME",
            AwsOptionName::Endpoint => "ENDPOINT",
            AwsOptionName::Region => "REGION",
            AwsOptionName::AssumeRoleSessionDuration => "ASSUME ROLE SESSION DURATION",
            AwsOptionName::StsEndpoint => "STS ENDPOINT",
            AwsOptionName::StsRegion => "STS REGION",
            AwsOptionName::Scope => "SCOPE",
            AwsOptionName::UseDefaultCredentials => "USE DEFAULT CREDENTIALS",
        }
    }

    /// The words of the name, for matching against input.
    pub fn words(self) -> impl Iterator<Item = &'static str> {
        self.as_str().split(' ')
    }

    /// Whether the option is a switch written without a value (`USE DEFAULT
    /// CREDENTIALS`): its value is always [`OptionValue::Flag`].
    pub const fn is_flag(self) -> bool {
        matches!(self, AwsOptionName::UseDefaultCredentials)
    }

    /// Whether a literal value of this option is a credential, which the redacted
    /// printer hides.
    pub const fn is_sensitive(self) -> bool {
        matches!(
            self,
            AwsOptionName::SecretAccessKey | AwsOptionName::SessionToken
        )
    }
}

impl fmt::Display for AwsOptionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An option's value: a string literal or a reference to a secret. A value written as
/// an identifier (`REGION us_east`, `ENDPOINT "https://…"`) is its text, as in
/// Materialize; it prints back as a string literal.
#[derive(Clone, PartialEq, Eq)]
pub enum OptionValue {
    String(String),
    Secret(ItemName),
    /// No value: the option is a switch ([`AwsOptionName::is_flag`]), on when written.
    Flag,
}

impl fmt::Debug for OptionValue {
    // Literal values may be credentials given where they should not be (a literal
    // SECRET ACCESS KEY is rejected by the planner, but it is in the tree until then).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::String(_) => f.write_str("String(<redacted>)"),
            OptionValue::Secret(name) => f.debug_tuple("Secret").field(name).finish(),
            OptionValue::Flag => f.write_str("Flag"),
        }
    }
}

/// ```text
/// DROP {SECRET | CONNECTION} [IF EXISTS] name [, ...] [CASCADE | RESTRICT]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropObjects {
    pub object_type: ObjectType,
    pub if_exists: bool,
    pub names: Vec<ItemName>,
    /// `None` when neither word was given (which means `RESTRICT`).
    pub behavior: Option<DropBehavior>,
}

/// ```text
/// ALTER {SECRET | CONNECTION} [IF EXISTS] name RENAME TO new_name
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameObject {
    pub object_type: ObjectType,
    pub if_exists: bool,
    pub name: ItemName,
    /// Unqualified: an object stays in its schema.
    pub new_name: Ident,
}

/// ```text
/// VALIDATE CONNECTION name
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidateConnection {
    pub name: ItemName,
}

/// ```text
/// SHOW {CONNECTIONS | SECRETS} [LIKE 'pattern']
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowObjects {
    pub object_type: ObjectType,
    pub like: Option<String>,
}

/// ```text
/// SHOW [REDACTED] CREATE CONNECTION name
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowCreateConnection {
    pub redacted: bool,
    pub name: ItemName,
}

/// ```text
/// SELECT { * | column [, ...] } FROM (SHOW [REDACTED] CREATE CONNECTION name) [[AS] alias]
/// ```
///
/// Materialize's way to read one column of `SHOW CREATE`: the `SHOW` is a relation of
/// `name` and `create_sql`. A column may be qualified by the alias (`s.create_sql`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectFromShowCreate {
    /// `None` for `*`.
    pub columns: Option<Vec<Ident>>,
    pub show: ShowCreateConnection,
    pub alias: Option<Ident>,
}

/// ```text
/// COMMENT ON {SECRET | CONNECTION} name IS {'text' | NULL}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub object_type: ObjectType,
    pub name: ItemName,
    /// `None` for `IS NULL`, which removes the comment.
    pub comment: Option<String>,
}

/// The settings Airlock owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemVariable {
    /// The IAM principal Airlock acts as; changeable.
    AwsPrincipal,
    /// The UUID in every external ID; fixed when the catalog is created.
    AwsExternalIdPrefix,
    /// Endpoints beyond AWS STS that may receive credentials; changeable.
    AwsAllowedEndpoints,
    /// Whether connections may `USE DEFAULT CREDENTIALS` (Airlock's own identity);
    /// off unless a superuser turns it on.
    AwsAllowDefaultCredentials,
}

impl SystemVariable {
    pub const ALL: [SystemVariable; 4] = [
        SystemVariable::AwsPrincipal,
        SystemVariable::AwsExternalIdPrefix,
        SystemVariable::AwsAllowedEndpoints,
        SystemVariable::AwsAllowDefaultCredentials,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            SystemVariable::AwsPrincipal => "aws_principal",
            SystemVariable::AwsExternalIdPrefix => "aws_external_id_prefix",
            SystemVariable::AwsAllowedEndpoints => "aws_allowed_endpoints",
            SystemVariable::AwsAllowDefaultCredentials => "aws_allow_default_credentials",
        }
    }

    pub fn from_name(name: &str) -> Option<SystemVariable> {
        Self::ALL.into_iter().find(|v| v.as_str() == name)
    }
}

impl fmt::Display for SystemVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// ```text
/// SHOW aws_principal | aws_external_id_prefix | aws_allowed_endpoints
///    | aws_allow_default_credentials
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowVariable {
    pub variable: SystemVariable,
}

/// ```text
/// ALTER SYSTEM SET name {= | TO} {'value' | DEFAULT}
/// ALTER SYSTEM RESET name
/// ```
///
/// The name is kept as written (folded): an unknown parameter is the planner's
/// `unrecognized configuration parameter`, as in PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterSystem {
    pub name: Ident,
    /// `None` for `RESET` and `SET ... = DEFAULT`.
    pub value: Option<String>,
    /// Which form was written, so the statement prints back as given.
    pub form: AlterSystemForm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlterSystemForm {
    /// `ALTER SYSTEM SET name = value`; also accepts `TO`.
    Set,
    /// `ALTER SYSTEM RESET name`.
    Reset,
}

/// ```text
/// CREATE ROLE name [[WITH] role_option [...]]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRole {
    pub name: Ident,
    /// In the order given; the planner rejects conflicting or repeated ones.
    pub options: Vec<RoleOption>,
}

/// ```text
/// ALTER ROLE name [WITH] role_option [...]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterRole {
    pub name: Ident,
    pub options: Vec<RoleOption>,
}

/// `SUPERUSER | NOSUPERUSER | LOGIN | NOLOGIN | INHERIT | NOINHERIT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleOption {
    SuperUser(bool),
    Login(bool),
    Inherit(bool),
}

impl RoleOption {
    pub const fn as_str(self) -> &'static str {
        match self {
            RoleOption::SuperUser(true) => "SUPERUSER",
            RoleOption::SuperUser(false) => "NOSUPERUSER",
            RoleOption::Login(true) => "LOGIN",
            RoleOption::Login(false) => "NOLOGIN",
            RoleOption::Inherit(true) => "INHERIT",
            RoleOption::Inherit(false) => "NOINHERIT",
        }
    }

    /// Every option, for the parser.
    pub const ALL: [RoleOption; 6] = [
        RoleOption::SuperUser(true),
        RoleOption::SuperUser(false),
        RoleOption::Login(true),
        RoleOption::Login(false),
        RoleOption::Inherit(true),
        RoleOption::Inherit(false),
    ];
}

/// ```text
/// DROP ROLE [IF EXISTS] name [, ...]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropRoles {
    pub if_exists: bool,
    pub names: Vec<Ident>,
}

/// ```text
/// GRANT role [, ...] TO member [, ...]
/// REVOKE role [, ...] FROM member [, ...]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRole {
    pub revoke: bool,
    pub roles: Vec<Ident>,
    pub members: Vec<Ident>,
}

/// ```text
/// GRANT { privilege [, ...] | ALL [PRIVILEGES] } ON target TO grantee [, ...]
/// REVOKE { privilege [, ...] | ALL [PRIVILEGES] } ON target FROM grantee [, ...]
///
/// target:  { SECRET | CONNECTION } name [, ...]
///        | ALL { SECRETS | CONNECTIONS } [IN SCHEMA schema_name [, ...]]
///        | SCHEMA schema_name [, ...]
///        | SYSTEM
/// grantee: role_name | PUBLIC
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantPrivileges {
    pub revoke: bool,
    /// `None` for `ALL [PRIVILEGES]`.
    pub privileges: Option<Vec<Privilege>>,
    pub target: GrantTarget,
    pub grantees: Vec<Grantee>,
}

/// The privileges Airlock's objects have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Privilege {
    Usage,
    Create,
    /// On `SYSTEM`: creating, altering and dropping roles.
    CreateRole,
}

impl Privilege {
    pub const fn as_str(self) -> &'static str {
        match self {
            Privilege::Usage => "USAGE",
            Privilege::Create => "CREATE",
            Privilege::CreateRole => "CREATEROLE",
        }
    }
}

/// What a `GRANT` or `REVOKE` of privileges is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantTarget {
    Objects {
        object_type: ObjectType,
        names: Vec<ItemName>,
    },
    /// `ALL SECRETS` / `ALL CONNECTIONS`, optionally `IN SCHEMA ...`.
    AllObjects {
        object_type: ObjectType,
        schemas: Vec<SchemaName>,
    },
    Schemas(Vec<SchemaName>),
    /// `SYSTEM`: the system privileges (`CREATEROLE`).
    System,
}

/// A schema name: `schema` or `database.schema`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaName {
    pub database: Option<Ident>,
    pub schema: Ident,
}

/// A role named in `GRANT ... TO`, or `PUBLIC`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Grantee {
    Public,
    Role(Ident),
}

/// ```text
/// ALTER {SECRET | CONNECTION} [IF EXISTS] name OWNER TO role
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterOwner {
    pub object_type: ObjectType,
    pub if_exists: bool,
    pub name: ItemName,
    pub new_owner: Ident,
}

/// ```text
/// SET ROLE name
/// SET ROLE NONE
/// RESET ROLE
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetRole {
    /// `None` for `RESET ROLE` and `SET ROLE NONE`: back to the session's user.
    pub role: Option<Ident>,
    /// `RESET ROLE` rather than `SET ROLE NONE`, so that it prints as written.
    pub reset: bool,
}
