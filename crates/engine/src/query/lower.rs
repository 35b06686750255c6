//! Lowering a typed catalog query onto SQLite, for PostgreSQL's semantics where
//! SQLite's differ: `+`, `-` and `*` fail on integer overflow (`airlock_add`, …), `/`
//! and `%` fail on a zero divisor (`airlock_div`, `airlock_mod`),
//! `^` is a power (`airlock_pow`), casts the analysis did not reach become
//! `airlock_cast` calls, and `current_timestamp` is `now()`. The functions live on the
//! catalog's query connections (`crates/catalog/src/query/semantics.rs`).

use std::ops::ControlFlow;

use airlock_parser::sqlparser::ast::helpers::attached_token::AttachedToken;
use airlock_parser::sqlparser::ast::{
    BinaryOperator, CastKind, Cte, Expr, FunctionArguments, Ident, ObjectName, ObjectNamePart,
    Query, SetExpr, TableAlias, TableFactor, VisitMut, VisitorMut, With,
};

use super::types::{call, cast_call, cast_target, take};
use crate::error::{ExecError, Result};

pub(crate) fn lower(query: &mut Query) -> Result<()> {
    let mut lower = Lower {
        error: None,
        derived: 0,
    };
    let _ = VisitMut::visit(query, &mut lower);
    match lower.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

struct Lower {
    error: Option<ExecError>,
    /// Derived tables moved into CTEs so far, for their names.
    derived: usize,
}

impl VisitorMut for Lower {
    type Break = ();

    /// SQLite takes no column list on a derived table's alias (`(VALUES (1)) AS v(x)`)
    /// but does on a CTE's: such a derived table becomes a CTE of its query (it cannot
    /// refer to the query's other tables, not being LATERAL) named `airlock_derived_N`,
    /// read under the alias.
    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let SetExpr::Select(select) = query.body.as_mut() else {
            return ControlFlow::Continue(());
        };
        let mut hoisted = Vec::new();
        for table in &mut select.from {
            let factors = std::iter::once(&mut table.relation)
                .chain(table.joins.iter_mut().map(|j| &mut j.relation));
            for factor in factors {
                let TableFactor::Derived {
                    lateral: false,
                    subquery,
                    alias: Some(alias),
                    sample: None,
                } = factor
                else {
                    continue;
                };
                if alias.columns.is_empty() {
                    continue;
                }
                self.derived += 1;
                let name = Ident::new(format!("airlock_derived_{}", self.derived));
                let columns = std::mem::take(&mut alias.columns);
                hoisted.push(Cte {
                    alias: TableAlias {
                        explicit: false,
                        name: name.clone(),
                        columns,
                        at: None,
                    },
                    query: subquery.clone(),
                    from: None,
                    materialized: None,
                    closing_paren_token: AttachedToken::empty(),
                });
                *factor = TableFactor::Table {
                    name: ObjectName::from(vec![name]),
                    alias: Some(alias.clone()),
                    args: None,
                    with_hints: Vec::new(),
                    version: None,
                    with_ordinality: false,
                    partitions: Vec::new(),
                    json_path: None,
                    sample: None,
                    index_hints: Vec::new(),
                };
            }
        }
        if !hoisted.is_empty() {
            query
                .with
                .get_or_insert_with(|| With {
                    with_token: AttachedToken::empty(),
                    recursive: false,
                    cte_tables: Vec::new(),
                })
                .cte_tables
                .extend(hoisted);
        }
        ControlFlow::Continue(())
    }

    // After the children, so that what replaces a node is not visited again.
    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::BinaryOp { left, op, right } => {
                let function = match op {
                    BinaryOperator::Plus => "airlock_add",
                    BinaryOperator::Minus => "airlock_sub",
                    BinaryOperator::Multiply => "airlock_mul",
                    BinaryOperator::Divide => "airlock_div",
                    BinaryOperator::Modulo => "airlock_mod",
                    BinaryOperator::PGExp => "airlock_pow",
                    _ => return ControlFlow::Continue(()),
                };
                let (l, r) = (take(left), take(right));
                *expr = call(function, vec![l, r]);
            }
            Expr::Cast {
                kind,
                expr: inner,
                data_type,
                format: None,
            } if *kind != CastKind::TryCast && *kind != CastKind::SafeCast => {
                match cast_target(data_type) {
                    Ok((name, _)) => {
                        let value = take(inner);
                        *expr = cast_call(value, name, None);
                    }
                    Err(e) => {
                        self.error = Some(e);
                        return ControlFlow::Break(());
                    }
                }
            }
            // PostgreSQL's LIKE escapes with a backslash unless told otherwise; SQLite's
            // has no escape character unless told.
            Expr::Like {
                escape_char: escape @ None,
                ..
            } => {
                *escape = Some(Box::new(Expr::value(
                    airlock_parser::sqlparser::ast::Value::SingleQuotedString("\\".to_owned()),
                )));
            }
            // SQLite has no ILIKE (and its LIKE is made case-sensitive, as PostgreSQL's).
            Expr::ILike {
                negated,
                any,
                expr: inner,
                pattern,
                escape_char,
            } => {
                let (l, r) = (take(inner), take(pattern));
                *expr = Expr::Like {
                    negated: *negated,
                    any: *any,
                    expr: Box::new(call("lower", vec![l])),
                    pattern: Box::new(call("lower", vec![r])),
                    escape_char: Some(escape_char.take().unwrap_or_else(|| {
                        Box::new(Expr::value(
                            airlock_parser::sqlparser::ast::Value::SingleQuotedString(
                                "\\".to_owned(),
                            ),
                        ))
                    })),
                };
            }
            Expr::Function(function)
                if matches!(function.args, FunctionArguments::None)
                    && matches!(
                        function.name.0.as_slice(),
                        [ObjectNamePart::Identifier(i)] if i.value.eq_ignore_ascii_case("current_timestamp")
                    ) =>
            {
                *expr = call("now", Vec::new());
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}
