//! Catalog queries: a `SELECT` is checked and rewritten here, then executed by SQLite
//! over the catalog's read-only views.
//!
//! This is the first wall: only plain queries, naming only the relations of SPEC §4
//! (schema-qualified or not) and the query's own CTEs. The catalog's query connection —
//! read-only, with an authorizer — is the second.
//!
//! The rewrite makes SQLite answer the way PostgreSQL would: schema qualifiers dropped
//! (SQLite has no schemas), unquoted identifiers folded to lower case, `x::type` spelled
//! `CAST(x AS type)`, and unnamed result columns named as PostgreSQL names them.

use std::collections::HashSet;
use std::ops::ControlFlow;

use airlock_parser::sqlparser::ast::{
    CastKind, Expr, Ident, ObjectName, ObjectNamePart, Query, SelectItem, SetExpr, Statement,
    Visit, VisitMut, Visitor, VisitorMut,
};

use crate::error::{PlanError, Result};

/// A relation users may query.
#[derive(Debug, Clone, Copy)]
pub struct Relation {
    pub schema: &'static str,
    pub name: &'static str,
}

/// SPEC §4's relations, in the order `\d` lists them.
pub const RELATIONS: [Relation; 5] = [
    Relation {
        schema: "mz_catalog",
        name: "mz_connections",
    },
    Relation {
        schema: "mz_catalog",
        name: "mz_secrets",
    },
    Relation {
        schema: "mz_internal",
        name: "mz_aws_connections",
    },
    Relation {
        schema: "mz_internal",
        name: "mz_object_dependencies",
    },
    Relation {
        schema: "mz_internal",
        name: "mz_aws_connection_validations",
    },
];

/// Checks a pass-through statement and, if it is a catalog query, returns the SQL text
/// SQLite should run. `Ok(None)`: not a query.
pub(crate) fn prepare(statement: &Statement) -> Result<Option<String>> {
    let Statement::Query(query) = statement else {
        return Ok(None);
    };
    let mut query = query.clone();
    check_shape(&query)?;

    let ctes = cte_names(&query);
    let mut resolver = Resolve { ctes, error: None };
    let _ = VisitMut::visit(&mut *query, &mut resolver);
    if let Some(e) = resolver.error {
        return Err(e.into());
    }
    let _ = VisitMut::visit(&mut *query, &mut Fold);
    name_columns(&mut query.body);
    Ok(Some(query.to_string()))
}

/// Refuses the parts of a query that write or lock.
fn check_shape(query: &Query) -> Result<()> {
    struct Shape(Option<PlanError>);
    impl Visitor for Shape {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            if !query.locks.is_empty() {
                self.0 = Some(PlanError::UnsupportedQuery("FOR UPDATE/FOR SHARE"));
                return ControlFlow::Break(());
            }
            if let SetExpr::Select(select) = query.body.as_ref()
                && select.into.is_some()
            {
                self.0 = Some(PlanError::UnsupportedQuery("SELECT INTO"));
                return ControlFlow::Break(());
            }
            if matches!(
                query.body.as_ref(),
                SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_)
            ) {
                self.0 = Some(PlanError::UnsupportedQuery("data modification"));
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut shape = Shape(None);
    let _ = Visit::visit(query, &mut shape);
    match shape.0 {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// PostgreSQL's folding of an identifier.
fn fold(ident: &Ident) -> String {
    match ident.quote_style {
        None => ident.value.to_lowercase(),
        Some(_) => ident.value.clone(),
    }
}

fn cte_names(query: &Query) -> HashSet<String> {
    struct Ctes(HashSet<String>);
    impl Visitor for Ctes {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            if let Some(with) = &query.with {
                self.0
                    .extend(with.cte_tables.iter().map(|cte| fold(&cte.alias.name)));
            }
            ControlFlow::Continue(())
        }
    }
    let mut ctes = Ctes(HashSet::new());
    let _ = Visit::visit(query, &mut ctes);
    ctes.0
}

/// Resolves every relation to one of [`RELATIONS`] (or a CTE) and drops its schema.
struct Resolve {
    ctes: HashSet<String>,
    error: Option<PlanError>,
}

impl VisitorMut for Resolve {
    type Break = ();
    fn pre_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<()> {
        let parts: Option<Vec<String>> = relation
            .0
            .iter()
            .map(|p| match p {
                ObjectNamePart::Identifier(i) => Some(fold(i)),
                ObjectNamePart::Function(_) => None,
            })
            .collect();
        let known = match parts.as_deref() {
            Some([name]) if self.ctes.contains(name) => return ControlFlow::Continue(()),
            Some([name]) => RELATIONS.iter().find(|r| r.name == name),
            Some([schema, name]) => RELATIONS
                .iter()
                .find(|r| r.schema == schema && r.name == name),
            _ => None,
        };
        match known {
            Some(r) => {
                *relation = ObjectName::from(vec![Ident::new(r.name)]);
                ControlFlow::Continue(())
            }
            None => {
                self.error = Some(PlanError::UnknownRelation(relation.to_string()));
                ControlFlow::Break(())
            }
        }
    }
}

/// Folds unquoted identifiers and rewrites `::` casts for SQLite.
struct Fold;

impl VisitorMut for Fold {
    type Break = ();
    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Identifier(ident) => fold_in_place(ident),
            Expr::CompoundIdentifier(idents) => idents.iter_mut().for_each(fold_in_place),
            Expr::Cast { kind, .. } if *kind == CastKind::DoubleColon => *kind = CastKind::Cast,
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

fn fold_in_place(ident: &mut Ident) {
    if ident.quote_style.is_none() {
        ident.value = ident.value.to_lowercase();
    }
}

/// Names result columns as PostgreSQL does: a column reference by its column, a
/// function call by its function, an alias folded, anything else `?column?`.
fn name_columns(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => {
            for item in &mut select.projection {
                match item {
                    SelectItem::UnnamedExpr(expr) => {
                        let name = match expr {
                            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => continue,
                            Expr::Function(f) => {
                                f.name.0.last().and_then(|p| p.as_ident()).map(fold)
                            }
                            Expr::Cast { expr: inner, .. } => match inner.as_ref() {
                                Expr::Identifier(i) => Some(fold(i)),
                                Expr::CompoundIdentifier(parts) => parts.last().map(fold),
                                _ => None,
                            },
                            _ => None,
                        };
                        let alias =
                            Ident::with_quote('"', name.unwrap_or_else(|| "?column?".to_owned()));
                        *item = SelectItem::ExprWithAlias {
                            expr: expr.clone(),
                            alias,
                        };
                    }
                    SelectItem::ExprWithAlias { alias, .. } => {
                        *alias = Ident::with_quote('"', fold(alias));
                    }
                    _ => {}
                }
            }
        }
        SetExpr::SetOperation { left, .. } => name_columns(left),
        SetExpr::Query(query) => name_columns(&mut query.body),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_parser::{Statement as AirlockStatement, parse_statement};

    fn rewrite(sql: &str) -> std::result::Result<Option<String>, String> {
        let AirlockStatement::Sql(statement) = parse_statement(sql).unwrap() else {
            panic!("{sql} is not pass-through")
        };
        prepare(&statement).map_err(|e| e.into_diagnostic().message)
    }

    #[test]
    fn the_design_doc_query_runs_as_written() {
        let sql = rewrite(
            "SELECT principal, external_id FROM mz_aws_connections aws JOIN mz_connections c ON aws.id = c.id WHERE c.name = 'aws_conn'",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            sql,
            "SELECT principal, external_id FROM mz_aws_connections aws JOIN mz_connections c ON aws.id = c.id WHERE c.name = 'aws_conn'"
        );
    }

    #[test]
    fn schemas_are_checked_then_dropped() {
        assert_eq!(
            rewrite("SELECT * FROM mz_catalog.mz_connections")
                .unwrap()
                .unwrap(),
            "SELECT * FROM mz_connections"
        );
        assert_eq!(
            rewrite("SELECT * FROM MZ_INTERNAL.MZ_AWS_CONNECTIONS")
                .unwrap()
                .unwrap(),
            "SELECT * FROM mz_aws_connections"
        );
        for bad in [
            "SELECT * FROM mz_internal.mz_connections",
            "SELECT * FROM sqlite_master",
            "SELECT * FROM secret_values",
            "SELECT * FROM \"MZ_CONNECTIONS\"",
            "SELECT * FROM main.mz_connections",
            "SELECT * FROM db.mz_catalog.mz_connections",
            "SELECT (SELECT count(*) FROM settings)",
            "SELECT * FROM mz_connections WHERE id IN (SELECT id FROM objects)",
        ] {
            let err = rewrite(bad).unwrap_err();
            assert!(
                err.starts_with("relation ") && err.ends_with("does not exist"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn ctes_are_relations_too() {
        assert!(
            rewrite("WITH x AS (SELECT id FROM mz_connections) SELECT * FROM x")
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn writes_and_locks_are_refused() {
        assert!(rewrite("SELECT * FROM mz_connections FOR UPDATE").is_err());
        assert!(rewrite("SELECT * INTO t FROM mz_connections").is_err());
        assert_eq!(
            rewrite("INSERT INTO mz_connections VALUES (1)").unwrap(),
            None
        );
    }

    #[test]
    fn columns_are_named_like_postgres() {
        assert_eq!(
            rewrite("SELECT count(*), 1, Name, name AS \"N\", id::text, upper(Name) AS Up FROM mz_connections")
                .unwrap()
                .unwrap(),
            "SELECT count(*) AS \"count\", 1 AS \"?column?\", name, name AS \"N\", CAST(id AS TEXT) AS \"id\", upper(name) AS \"up\" FROM mz_connections"
        );
    }
}
