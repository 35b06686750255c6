//! The relations users may query, with the PostgreSQL type of every column.
//!
//! The catalog's views (`migrations/`) decide the columns; this table says what type
//! clients see for each, so that a result's types are known before it runs — from the
//! schema, never from the values. A test checks it against the views of the newest
//! schema, column for column.

use airlock_core::ColumnType;

/// A relation users may name in a catalog query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relation {
    /// `mz_catalog` or `mz_internal`: the schema a qualified name must use.
    pub schema: &'static str,
    pub name: &'static str,
    /// The columns, in order, with their PostgreSQL types.
    pub columns: &'static [(&'static str, ColumnType)],
}

impl Relation {
    /// The type of column `name`, if the relation has it.
    pub fn column(&self, name: &str) -> Option<ColumnType> {
        self.columns
            .iter()
            .find(|(column, _)| *column == name)
            .map(|(_, ty)| *ty)
    }
}

use ColumnType::{Bool, Int4, Jsonb, Oid, Text, TimestampTz};

/// Every queryable relation, in the order `\d` lists them.
pub const RELATIONS: [Relation; 9] = [
    Relation {
        schema: "mz_catalog",
        name: "mz_connections",
        columns: &[
            ("id", Text),
            ("oid", Oid),
            ("name", Text),
            ("type", Text),
            ("create_sql", Text),
            ("redacted_create_sql", Text),
            ("created_at", TimestampTz),
            ("owner_id", Text),
            ("privileges", Text),
        ],
    },
    Relation {
        schema: "mz_catalog",
        name: "mz_secrets",
        columns: &[
            ("id", Text),
            ("oid", Oid),
            ("name", Text),
            ("created_at", TimestampTz),
            ("updated_at", TimestampTz),
            ("owner_id", Text),
            ("privileges", Text),
        ],
    },
    Relation {
        schema: "mz_internal",
        name: "mz_aws_connections",
        columns: &[
            ("id", Text),
            ("endpoint", Text),
            ("region", Text),
            ("access_key_id", Text),
            ("access_key_id_secret_id", Text),
            ("secret_access_key_secret_id", Text),
            ("session_token", Text),
            ("session_token_secret_id", Text),
            ("assume_role_arn", Text),
            ("assume_role_session_name", Text),
            ("principal", Text),
            ("external_id", Text),
            ("example_trust_policy", Jsonb),
        ],
    },
    Relation {
        schema: "mz_internal",
        name: "mz_object_dependencies",
        columns: &[("object_id", Text), ("referenced_object_id", Text)],
    },
    Relation {
        schema: "mz_internal",
        name: "mz_aws_connection_validations",
        columns: &[
            ("connection_id", Text),
            ("validated_at", TimestampTz),
            ("status", Text),
            ("caller_arn", Text),
            ("error_code", Text),
            ("message", Text),
            ("non_aws_endpoint", Text),
        ],
    },
    Relation {
        schema: "mz_internal",
        name: "mz_aws_connection_scopes",
        columns: &[("connection_id", Text), ("scope", Text)],
    },
    Relation {
        schema: "mz_internal",
        name: "mz_aws_connection_credentials",
        columns: &[
            ("connection_id", Text),
            ("last_assumed_at", TimestampTz),
            ("expires_at", TimestampTz),
            ("last_refresh_error", Text),
            ("last_error_at", TimestampTz),
            ("session_duration_seconds", Int4),
            ("chained", Bool),
        ],
    },
    Relation {
        schema: "mz_catalog",
        name: "mz_roles",
        columns: &[
            ("id", Text),
            ("oid", Oid),
            ("name", Text),
            ("inherit", Bool),
            ("rolcanlogin", Bool),
            ("rolsuper", Bool),
        ],
    },
    Relation {
        schema: "mz_catalog",
        name: "mz_role_members",
        columns: &[("role_id", Text), ("member", Text), ("grantor", Text)],
    },
];

/// The relation a query names as `parts` (`name` or `schema.name`, already folded).
pub fn relation(parts: &[&str]) -> Option<&'static Relation> {
    match parts {
        [name] => RELATIONS.iter().find(|r| r.name == *name),
        [schema, name] => RELATIONS
            .iter()
            .find(|r| r.schema == *schema && r.name == *name),
        _ => None,
    }
}
