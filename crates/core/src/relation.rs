//! Result sets as clients see them: named, typed columns and rows of text values,
//! each value already in PostgreSQL's text output form (NULL is `None`).

/// The PostgreSQL type of a result column. It decides how clients show the values:
/// psql right-aligns numeric types in aligned output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    Text,
    Bool,
    Int4,
    Int8,
    Float8,
    Numeric,
    Oid,
    TimestampTz,
    Jsonb,
}

impl ColumnType {
    /// PostgreSQL's name for the type.
    pub const fn name(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Bool => "boolean",
            ColumnType::Int4 => "integer",
            ColumnType::Int8 => "bigint",
            ColumnType::Float8 => "double precision",
            ColumnType::Numeric => "numeric",
            ColumnType::Oid => "oid",
            ColumnType::TimestampTz => "timestamp with time zone",
            ColumnType::Jsonb => "jsonb",
        }
    }

    /// Whether psql right-aligns values of this type.
    pub const fn is_numeric(self) -> bool {
        matches!(
            self,
            ColumnType::Int4
                | ColumnType::Int8
                | ColumnType::Float8
                | ColumnType::Numeric
                | ColumnType::Oid
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
}

impl Column {
    pub fn new(name: impl Into<String>, ty: ColumnType) -> Self {
        Column {
            name: name.into(),
            ty,
        }
    }
}

/// One row: a text value per column, `None` for NULL.
pub type Row = Vec<Option<String>>;

/// A result set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rows {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}
