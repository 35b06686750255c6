//! Types of a catalog query's result columns, known before it runs, as PostgreSQL's
//! parse analysis knows them: from the relations' declared types, from literals, casts,
//! operators and functions — never from the values.
//!
//! The same walk does what PostgreSQL's analysis does with what it learns:
//! - an untyped string literal compared with a typed expression takes that type
//!   (`oid = '20001'`, `1 = '1'`), and
//! - every cast becomes an explicit call of the catalog's `airlock_cast(value, target,
//!   source)`, so that it fails and converts as PostgreSQL's does (see
//!   `crates/catalog/src/query/semantics.rs`).
//!
//! What the walk does not reach (an expression form it does not know) is typed `text`;
//! `lower.rs` still makes its casts explicit.

use airlock_catalog::RELATIONS;
use airlock_core::ColumnType;
use airlock_parser::sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentList, FunctionArguments, Ident, ObjectName, ObjectNamePart, Query, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, TableFactor, TableWithJoins, TimezoneInfo,
    UnaryOperator, Value, ValueWithSpan,
};

use crate::error::{PlanError, Result};

/// A type during analysis: `None` is PostgreSQL's `unknown` (a string literal or NULL
/// not yet given a type), which a result column shows as `text`.
type Ty = Option<ColumnType>;

/// A column visible in a `FROM` scope.
#[derive(Debug, Clone)]
struct Col {
    /// The name it is qualified by: the relation's alias or name.
    qualifier: Option<String>,
    name: String,
    ty: Ty,
}

/// What is in scope while an expression is typed.
#[derive(Debug, Default)]
struct Env {
    /// CTEs visible now, innermost last: name and columns.
    ctes: Vec<(String, Vec<(String, Ty)>)>,
    /// `FROM` scopes, innermost last (correlated subqueries see the outer ones).
    scopes: Vec<Vec<Col>>,
}

/// Types the result columns of `query` (already resolved: relation names bare and
/// folded), rewriting its coercions and casts in place. Columns the walk cannot type
/// are `None` (text, unless SQLite knows a declared type).
pub(crate) fn analyze(query: &mut Query) -> Result<Vec<Ty>> {
    let mut env = Env::default();
    Ok(env.query(query)?.into_iter().map(|(_, ty)| ty).collect())
}

fn fold(ident: &Ident) -> String {
    match ident.quote_style {
        None => ident.value.to_lowercase(),
        Some(_) => ident.value.clone(),
    }
}

impl Env {
    fn query(&mut self, query: &mut Query) -> Result<Vec<(String, Ty)>> {
        let mark = self.ctes.len();
        if let Some(with) = &mut query.with {
            for cte in &mut with.cte_tables {
                let mut columns = self.query(&mut cte.query)?;
                for (column, alias) in columns.iter_mut().zip(&cte.alias.columns) {
                    column.0 = fold(&alias.name);
                }
                self.ctes.push((fold(&cte.alias.name), columns));
            }
        }
        let columns = self.set_expr(&mut query.body);
        self.ctes.truncate(mark);
        columns
    }

    fn set_expr(&mut self, body: &mut SetExpr) -> Result<Vec<(String, Ty)>> {
        Ok(match body {
            SetExpr::Select(select) => {
                let mut scope = Vec::new();
                for table in &mut select.from {
                    self.table_with_joins(table, &mut scope)?;
                }
                self.scopes.push(scope);
                let result = (|| -> Result<Vec<(String, Ty)>> {
                    if let Some(selection) = &mut select.selection {
                        self.expr(selection)?;
                    }
                    if let Some(having) = &mut select.having {
                        self.expr(having)?;
                    }
                    let mut columns = Vec::new();
                    for item in &mut select.projection {
                        match item {
                            SelectItem::UnnamedExpr(expr) => {
                                let ty = self.expr(expr)?;
                                columns.push((String::new(), ty));
                            }
                            SelectItem::ExprWithAlias { expr, alias } => {
                                let ty = self.expr(expr)?;
                                columns.push((fold(alias), ty));
                            }
                            SelectItem::Wildcard(_) => {
                                let scope = self.scopes.last().map(Vec::as_slice).unwrap_or(&[]);
                                columns.extend(scope.iter().map(|c| (c.name.clone(), c.ty)));
                            }
                            SelectItem::QualifiedWildcard(
                                SelectItemQualifiedWildcardKind::ObjectName(name),
                                _,
                            ) => {
                                let qualifier =
                                    name.0.last().and_then(ObjectNamePart::as_ident).map(fold);
                                let scope = self.scopes.last().map(Vec::as_slice).unwrap_or(&[]);
                                columns.extend(
                                    scope
                                        .iter()
                                        .filter(|c| c.qualifier == qualifier)
                                        .map(|c| (c.name.clone(), c.ty)),
                                );
                            }
                            _ => columns.push((String::new(), None)),
                        }
                    }
                    Ok(columns)
                })();
                self.scopes.pop();
                result?
            }
            SetExpr::Query(query) => self.query(query)?,
            SetExpr::SetOperation { left, right, .. } => {
                let mut left = self.set_expr(left)?;
                let right = self.set_expr(right)?;
                for (l, r) in left.iter_mut().zip(right) {
                    l.1 = l.1.or(r.1);
                }
                left
            }
            SetExpr::Values(values) => {
                let mut columns: Vec<(String, Ty)> = Vec::new();
                for row in &mut values.rows {
                    for (k, expr) in row.iter_mut().enumerate() {
                        let ty = self.expr(expr)?;
                        match columns.get_mut(k) {
                            Some(column) => column.1 = column.1.or(ty),
                            None => columns.push((format!("column{}", k + 1), ty)),
                        }
                    }
                }
                columns
            }
            _ => Vec::new(),
        })
    }

    fn table_with_joins(&mut self, table: &mut TableWithJoins, scope: &mut Vec<Col>) -> Result<()> {
        self.table_factor(&mut table.relation, scope)?;
        for join in &mut table.joins {
            self.table_factor(&mut join.relation, scope)?;
        }
        Ok(())
    }

    fn table_factor(&mut self, factor: &mut TableFactor, scope: &mut Vec<Col>) -> Result<()> {
        match factor {
            TableFactor::Table { name, alias, .. } => {
                let relation = name.0.last().and_then(ObjectNamePart::as_ident).map(fold);
                let Some(relation) = relation else {
                    return Ok(());
                };
                let columns: Vec<(String, Ty)> =
                    match self.ctes.iter().rev().find(|(cte, _)| *cte == relation) {
                        Some((_, columns)) => columns.clone(),
                        None => RELATIONS
                            .iter()
                            .find(|r| r.name == relation)
                            .map(|r| {
                                r.columns
                                    .iter()
                                    .map(|(c, ty)| ((*c).to_owned(), Some(*ty)))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    };
                push_columns(
                    scope,
                    columns,
                    alias.as_ref().map(|a| (&a.name, &a.columns)),
                    relation,
                );
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                let columns = self.query(subquery)?;
                let qualifier = alias.as_ref().map(|a| fold(&a.name)).unwrap_or_default();
                push_columns(
                    scope,
                    columns,
                    alias.as_ref().map(|a| (&a.name, &a.columns)),
                    qualifier,
                );
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => self.table_with_joins(table_with_joins, scope)?,
            _ => {}
        }
        Ok(())
    }

    fn column(&self, qualifier: Option<&str>, name: &str) -> Ty {
        for scope in self.scopes.iter().rev() {
            let mut found = scope.iter().filter(|c| {
                c.name == name && (qualifier.is_none() || c.qualifier.as_deref() == qualifier)
            });
            if let Some(column) = found.next() {
                return column.ty;
            }
        }
        None
    }

    /// The type of `expr`, rewriting coercions and casts inside it.
    fn expr(&mut self, expr: &mut Expr) -> Result<Ty> {
        use ColumnType::*;
        Ok(match expr {
            Expr::Identifier(ident) => self.column(None, &fold(ident)),
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [.., q, c] => self.column(Some(&fold(q)), &fold(c)),
                [c] => self.column(None, &fold(c)),
                [] => None,
            },
            Expr::Value(ValueWithSpan { value, .. }) => literal_type(value),
            Expr::Nested(inner) => self.expr(inner)?,
            Expr::Cast {
                kind,
                expr: inner,
                data_type,
                format: None,
            } if *kind != CastKind::TryCast && *kind != CastKind::SafeCast => {
                let source = self.expr(inner)?;
                let target = cast_target(data_type)?;
                let (name, ty) = target;
                let value = take(inner);
                *expr = cast_call(value, name, source);
                Some(ty)
            }
            Expr::TypedString(typed) => cast_target(&typed.data_type)?.1.into(),
            Expr::BinaryOp { left, op, right } => {
                let l = self.expr(left)?;
                let r = self.expr(right)?;
                match op {
                    BinaryOperator::Eq
                    | BinaryOperator::NotEq
                    | BinaryOperator::Lt
                    | BinaryOperator::LtEq
                    | BinaryOperator::Gt
                    | BinaryOperator::GtEq => {
                        coerce(left, l, r);
                        coerce(right, r, l);
                        Some(Bool)
                    }
                    BinaryOperator::And | BinaryOperator::Or | BinaryOperator::Xor => Some(Bool),
                    BinaryOperator::Plus
                    | BinaryOperator::Minus
                    | BinaryOperator::Multiply
                    | BinaryOperator::Divide
                    | BinaryOperator::Modulo => Some(arithmetic(l, r)),
                    BinaryOperator::PGExp => Some(match (l, r) {
                        (Some(Numeric), _) | (_, Some(Numeric)) => Numeric,
                        _ => Float8,
                    }),
                    BinaryOperator::StringConcat => Some(Text),
                    BinaryOperator::Arrow | BinaryOperator::HashArrow => Some(Jsonb),
                    BinaryOperator::LongArrow | BinaryOperator::HashLongArrow => Some(Text),
                    BinaryOperator::AtArrow
                    | BinaryOperator::ArrowAt
                    | BinaryOperator::Question
                    | BinaryOperator::QuestionAnd
                    | BinaryOperator::QuestionPipe
                    | BinaryOperator::PGRegexMatch
                    | BinaryOperator::PGRegexIMatch
                    | BinaryOperator::PGRegexNotMatch
                    | BinaryOperator::PGRegexNotIMatch
                    | BinaryOperator::PGLikeMatch
                    | BinaryOperator::PGILikeMatch
                    | BinaryOperator::PGNotLikeMatch
                    | BinaryOperator::PGNotILikeMatch
                    | BinaryOperator::Spaceship => Some(Bool),
                    _ => l.or(r),
                }
            }
            Expr::UnaryOp { op, expr: inner } => {
                let ty = self.expr(inner)?;
                match op {
                    UnaryOperator::Not => Some(Bool),
                    _ => ty,
                }
            }
            Expr::IsNull(inner)
            | Expr::IsNotNull(inner)
            | Expr::IsTrue(inner)
            | Expr::IsNotTrue(inner)
            | Expr::IsFalse(inner)
            | Expr::IsNotFalse(inner)
            | Expr::IsUnknown(inner)
            | Expr::IsNotUnknown(inner) => {
                self.expr(inner)?;
                Some(Bool)
            }
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                let (ta, tb) = (self.expr(a)?, self.expr(b)?);
                coerce(a, ta, tb);
                coerce(b, tb, ta);
                Some(Bool)
            }
            Expr::InList {
                expr: inner, list, ..
            } => {
                let ty = self.expr(inner)?;
                for item in list {
                    let item_ty = self.expr(item)?;
                    coerce(item, item_ty, ty);
                }
                Some(Bool)
            }
            Expr::Between {
                expr: inner,
                low,
                high,
                ..
            } => {
                let ty = self.expr(inner)?;
                for bound in [low, high] {
                    let bound_ty = self.expr(bound)?;
                    coerce(bound, bound_ty, ty);
                }
                Some(Bool)
            }
            Expr::Like {
                expr: a,
                pattern: b,
                ..
            }
            | Expr::ILike {
                expr: a,
                pattern: b,
                ..
            }
            | Expr::SimilarTo {
                expr: a,
                pattern: b,
                ..
            } => {
                self.expr(a)?;
                self.expr(b)?;
                Some(Bool)
            }
            Expr::InSubquery {
                expr: inner,
                subquery,
                ..
            } => {
                self.expr(inner)?;
                self.query(subquery)?;
                Some(Bool)
            }
            Expr::Exists { subquery, .. } => {
                self.query(subquery)?;
                Some(Bool)
            }
            Expr::Subquery(subquery) => self.query(subquery)?.first().and_then(|c| c.1),
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                if let Some(operand) = operand {
                    self.expr(operand)?;
                }
                let mut ty = None;
                for when in conditions {
                    self.expr(&mut when.condition)?;
                    ty = ty.or(self.expr(&mut when.result)?);
                }
                if let Some(other) = else_result {
                    ty = ty.or(self.expr(other)?);
                }
                ty
            }
            Expr::Function(function) => self.function(function)?,
            Expr::Position { .. } => Some(Int4),
            Expr::Substring { expr: inner, .. } | Expr::Trim { expr: inner, .. } => {
                self.expr(inner)?;
                Some(Text)
            }
            Expr::Ceil { expr: inner, .. } | Expr::Floor { expr: inner, .. } => self.expr(inner)?,
            _ => None,
        })
    }

    fn function(&mut self, function: &mut Function) -> Result<Ty> {
        use ColumnType::*;
        let name = function
            .name
            .0
            .last()
            .and_then(ObjectNamePart::as_ident)
            .map(fold)
            .unwrap_or_default();
        let mut args = Vec::new();
        if let FunctionArguments::List(FunctionArgumentList { args: list, .. }) = &mut function.args
        {
            for arg in list {
                let expr = match arg {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
                    | FunctionArg::Named {
                        arg: FunctionArgExpr::Expr(e),
                        ..
                    }
                    | FunctionArg::ExprNamed {
                        arg: FunctionArgExpr::Expr(e),
                        ..
                    } => e,
                    _ => {
                        args.push(None);
                        continue;
                    }
                };
                args.push(self.expr(expr)?);
            }
        }
        if let FunctionArguments::Subquery(subquery) = &mut function.args {
            self.query(subquery)?;
        }
        let first = args.first().copied().flatten();
        Ok(match name.as_str() {
            "count" => Some(Int8),
            "sum" => match first {
                Some(Int4 | Int8) => Some(Int8),
                Some(Float8) => Some(Float8),
                _ => Some(Numeric),
            },
            "avg" => match first {
                Some(Float8) => Some(Float8),
                _ => Some(Numeric),
            },
            "min" | "max" | "abs" | "coalesce" | "nullif" | "greatest" | "least" | "ifnull" => {
                args.iter().copied().flatten().next()
            }
            "round" | "trunc" => match first {
                Some(Float8) if args.len() == 1 => Some(Float8),
                _ => Some(Numeric),
            },
            "length" | "char_length" | "character_length" | "octet_length" | "bit_length"
            | "strpos" | "instr" | "ascii" => Some(Int4),
            "now" | "current_timestamp" | "statement_timestamp" | "transaction_timestamp" => {
                Some(TimestampTz)
            }
            "bool_and" | "bool_or" | "every" | "starts_with" => Some(Bool),
            "jsonb_extract_path" | "to_jsonb" | "jsonb_build_object" | "jsonb_build_array" => {
                Some(Jsonb)
            }
            "random" | "power" | "pow" | "sqrt" | "exp" | "ln" | "log" => Some(Float8),
            _ => Some(Text),
        })
    }
}

/// Adds a relation's columns to a `FROM` scope under its alias (renaming columns by the
/// alias's column list) or its own name.
fn push_columns(
    scope: &mut Vec<Col>,
    columns: Vec<(String, Ty)>,
    alias: Option<(
        &Ident,
        &Vec<airlock_parser::sqlparser::ast::TableAliasColumnDef>,
    )>,
    name: String,
) {
    let (qualifier, renames) = match alias {
        Some((alias, renames)) => (fold(alias), renames.as_slice()),
        None => (name, &[][..]),
    };
    for (k, (column, ty)) in columns.into_iter().enumerate() {
        scope.push(Col {
            qualifier: Some(qualifier.clone()),
            name: renames.get(k).map(|r| fold(&r.name)).unwrap_or(column),
            ty,
        });
    }
}

/// A literal's type: integers as `int4` or `int8` by size, other numbers `numeric`;
/// strings and NULL are `unknown`.
fn literal_type(value: &Value) -> Ty {
    match value {
        Value::Number(n, _) => Some(if n.parse::<i32>().is_ok() {
            ColumnType::Int4
        } else if n.parse::<i64>().is_ok() {
            ColumnType::Int8
        } else {
            ColumnType::Numeric
        }),
        Value::Boolean(_) => Some(ColumnType::Bool),
        _ => None,
    }
}

/// PostgreSQL's numeric promotion for `+ - * / %`.
fn arithmetic(l: Ty, r: Ty) -> ColumnType {
    use ColumnType::*;
    let rank = |t: Ty| match t {
        Some(Int4) => 1,
        Some(Int8) | Some(Oid) => 2,
        Some(Numeric) => 3,
        Some(Float8) => 4,
        _ => 0,
    };
    match rank(l).max(rank(r)) {
        4 => Float8,
        3 => Numeric,
        2 => Int8,
        1 => Int4,
        // An unknown literal with an unknown literal: PostgreSQL cannot choose; SQLite
        // computes a number.
        _ => Numeric,
    }
}

/// If `expr` is an untyped string literal (type `unknown`) and `other` a known type
/// other than text, casts it to that type, as PostgreSQL resolves `unknown`.
fn coerce(expr: &mut Expr, ty: Ty, other: Ty) {
    let Some(target) = other else { return };
    if ty.is_some() || target == ColumnType::Text {
        return;
    }
    let Expr::Value(ValueWithSpan {
        value: Value::SingleQuotedString(_) | Value::EscapedStringLiteral(_),
        ..
    }) = expr
    else {
        return;
    };
    let value = take(expr);
    *expr = cast_call(value, cast_name(target), None);
}

/// The name `airlock_cast` knows a type by.
fn cast_name(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Text => "text",
        ColumnType::Bool => "bool",
        ColumnType::Int4 => "int4",
        ColumnType::Int8 => "int8",
        ColumnType::Float8 => "float8",
        ColumnType::Numeric => "numeric",
        ColumnType::Oid => "oid",
        ColumnType::TimestampTz => "timestamptz",
        ColumnType::Jsonb => "jsonb",
    }
}

/// What a cast to `data_type` casts to: `airlock_cast`'s name for it and the result
/// column's type. Types catalog queries do not have are refused.
pub(crate) fn cast_target(data_type: &DataType) -> Result<(&'static str, ColumnType)> {
    use ColumnType::*;
    Ok(match data_type {
        DataType::Bool | DataType::Boolean => ("bool", Bool),
        DataType::SmallInt(_) | DataType::Int2(_) => ("int2", Int4),
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => ("int4", Int4),
        DataType::BigInt(_) | DataType::Int8(_) => ("int8", Int8),
        DataType::Real | DataType::Float4 => ("float4", Float8),
        DataType::Float8 | DataType::Double(_) | DataType::DoublePrecision | DataType::Float(_) => {
            ("float8", Float8)
        }
        DataType::Numeric(_) | DataType::Decimal(_) | DataType::Dec(_) => ("numeric", Numeric),
        DataType::Text
        | DataType::Varchar(_)
        | DataType::CharacterVarying(_)
        | DataType::CharVarying(_)
        | DataType::Char(_)
        | DataType::Character(_)
        | DataType::String(_) => ("text", Text),
        DataType::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => {
            ("timestamptz", TimestampTz)
        }
        DataType::JSON | DataType::JSONB => ("jsonb", Jsonb),
        DataType::Custom(name, _) if custom_is(name, "oid") => ("oid", Oid),
        DataType::Custom(name, _) if custom_is(name, "name") => ("text", Text),
        other => {
            return Err(PlanError::Unsupported(format!(
                "type {} is not supported in catalog queries",
                other.to_string().to_lowercase()
            ))
            .into());
        }
    })
}

fn custom_is(name: &ObjectName, wanted: &str) -> bool {
    matches!(name.0.as_slice(), [ObjectNamePart::Identifier(i)] if fold(i) == wanted)
}

/// Moves an expression out of the tree, leaving `NULL` in its place until the caller
/// puts what replaces it there.
pub(crate) fn take(expr: &mut Expr) -> Expr {
    std::mem::replace(expr, Expr::value(Value::Null))
}

/// `airlock_cast(value, 'target'[, 'source'])`.
pub(crate) fn cast_call(value: Expr, target: &str, source: Ty) -> Expr {
    let mut args = vec![
        value,
        Expr::value(Value::SingleQuotedString(target.to_owned())),
    ];
    if let Some(source) = source {
        args.push(Expr::value(Value::SingleQuotedString(
            cast_name(source).to_owned(),
        )));
    }
    call("airlock_cast", args)
}

/// A call of the catalog function `name`.
pub(crate) fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: Vec::new(),
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    })
}
