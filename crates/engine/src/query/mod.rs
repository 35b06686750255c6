//! Catalog queries: a `SELECT` is checked and rewritten here, then executed by SQLite
//! over the catalog's read-only views.
//!
//! This is the first wall: only plain queries, naming only the catalog relations
//! ([`RELATIONS`], schema-qualified or not) and the query's own CTEs. The catalog's query connection —
//! read-only, with an authorizer — is the second.
//!
//! The rewrite makes SQLite answer the way PostgreSQL would: schema qualifiers dropped
//! (SQLite has no schemas), unquoted identifiers folded to lower case, unnamed result
//! columns named as PostgreSQL names them; then every result column is typed
//! ([`types`]) and the query lowered onto SQLite with PostgreSQL's semantics
//! ([`lower`]).

use std::ops::ControlFlow;

use airlock_core::ColumnType;
use airlock_parser::sqlparser::ast::{
    Expr, Ident, ObjectName, ObjectNamePart, Query, SelectItem, SetExpr, Statement, UnaryOperator,
    Value, Visit, VisitMut, Visitor, VisitorMut,
};

use crate::error::{PlanError, Result};

pub use airlock_catalog::{RELATIONS, Relation};

mod lower;
mod postgres;
pub(crate) mod types;

/// A catalog query ready for SQLite: its text, and the PostgreSQL type of each result
/// column where the analysis knows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prepared {
    pub(crate) sql: String,
    pub(crate) types: Vec<Option<ColumnType>>,
}

/// Expressions a query may have and still be prepared on the caller's stack.
const SMALL_QUERY_EXPRESSIONS: usize = 64;

/// The stack a larger query is prepared on. Typing and lowering nest deeper than the
/// parsed tree (every operator becomes a function call), and a query may be as deep as
/// the parser allows: on a 2 MiB thread of an unoptimized build that is too much. Only
/// the pages used are committed.
const DEEP_QUERY_STACK: usize = 64 << 20;

/// Where a catalog query runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// SQLite, which needs the query rewritten to answer as PostgreSQL would.
    Sqlite,
    /// PostgreSQL itself: the query is checked, its relations qualified with their
    /// schemas, and run as written.
    Postgres,
}

impl Target {
    pub(crate) fn of(runner: &airlock_catalog::QueryRunner) -> Target {
        if runner.runs_on_postgres() {
            Target::Postgres
        } else {
            Target::Sqlite
        }
    }
}

/// Checks a pass-through statement and, if it is a catalog query, returns the SQL text
/// `target` should run and its result types. `Ok(None)`: not a query. A large query is
/// prepared on a thread with a stack of its own ([`DEEP_QUERY_STACK`]).
pub(crate) fn prepare(statement: &Statement, target: Target) -> Result<Option<Prepared>> {
    if expressions(statement) <= SMALL_QUERY_EXPRESSIONS {
        return prepare_here(statement, target);
    }
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("airlock-query-prepare".to_owned())
            .stack_size(DEEP_QUERY_STACK)
            .spawn_scoped(scope, || prepare_here(statement, target));
        match worker {
            Ok(worker) => worker.join().unwrap_or_else(|_| {
                Err(PlanError::Unsupported("the query could not be prepared".to_owned()).into())
            }),
            Err(e) => {
                Err(PlanError::Unsupported(format!("the query could not be prepared: {e}")).into())
            }
        }
    })
}

/// How many expressions `statement` has, up to a little past the small-query bound.
fn expressions(statement: &Statement) -> usize {
    struct Count(usize);
    impl Visitor for Count {
        type Break = ();
        fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
            self.0 += 1;
            if self.0 > SMALL_QUERY_EXPRESSIONS {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut count = Count(0);
    let _ = Visit::visit(statement, &mut count);
    count.0
}

fn prepare_here(statement: &Statement, target: Target) -> Result<Option<Prepared>> {
    let Statement::Query(query) = statement else {
        return Ok(None);
    };
    let mut query = query.clone();
    check_shape(&query)?;

    let mut resolver = Resolve {
        scopes: Vec::new(),
        error: None,
        qualify: target == Target::Postgres,
    };
    let _ = VisitMut::visit(&mut *query, &mut resolver);
    if let Some(e) = resolver.error {
        return Err(e.into());
    }
    if target == Target::Postgres {
        postgres::check_functions(&query)?;
        return Ok(Some(Prepared {
            sql: query.to_string(),
            types: Vec::new(),
        }));
    }
    let _ = VisitMut::visit(&mut *query, &mut Fold);
    name_columns(&mut query.body);
    let types = types::analyze(&mut query)?;
    lower::lower(&mut query)?;
    keep_numeric_literals(&mut query.body, &types);
    Ok(Some(Prepared {
        sql: query.to_string(),
        types,
    }))
}

/// A result column that is a numeric literal (`SELECT 1.50`) is sent as its text, so
/// that it keeps its scale: SQLite would read it as a double (`1.5`).
fn keep_numeric_literals(body: &mut SetExpr, types: &[Option<ColumnType>]) {
    let SetExpr::Select(select) = body else {
        return;
    };
    if select
        .projection
        .iter()
        .any(|item| !matches!(item, SelectItem::ExprWithAlias { .. }))
    {
        // A wildcard moves the positions the types are known by.
        return;
    }
    for (item, ty) in select.projection.iter_mut().zip(types) {
        let SelectItem::ExprWithAlias { expr, .. } = item else {
            continue;
        };
        if *ty != Some(ColumnType::Numeric) {
            continue;
        }
        let text = match &*expr {
            // With an exponent PostgreSQL prints the number written out (`1e3` is
            // `1000`): only plain decimals are kept as written.
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) if !n.contains(['e', 'E']) => n.clone(),
                _ => continue,
            },
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr: inner,
            } => match inner.as_ref() {
                Expr::Value(v) => match &v.value {
                    Value::Number(n, _) if !n.contains(['e', 'E']) => format!("-{n}"),
                    _ => continue,
                },
                _ => continue,
            },
            _ => continue,
        };
        *expr = Expr::value(Value::SingleQuotedString(text));
    }
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

/// One query's `WITH` while the query is being walked.
struct Scope {
    /// The query, by address: the visitor hands out `&mut` without identity.
    query: usize,
    /// Its CTEs' names and, by address, their queries.
    names: Vec<String>,
    ctes: Vec<usize>,
    recursive: bool,
    /// How many of `names` are visible now: those before the CTE being walked (all of
    /// them once the CTEs are done, and always all of them under `WITH RECURSIVE`).
    visible: usize,
}

impl Scope {
    fn visible(&self) -> &[String] {
        if self.recursive {
            &self.names
        } else {
            &self.names[..self.visible]
        }
    }
}

fn address(query: &Query) -> usize {
    std::ptr::from_ref(query) as usize
}

/// Resolves every relation to one of [`RELATIONS`] (or a CTE in scope) and drops its
/// schema. CTE names are scoped as in PostgreSQL: a CTE is visible in the body of its
/// own query (subqueries included) and in the CTEs after it in the same `WITH` — every
/// CTE of a `WITH RECURSIVE` — and nowhere else.
struct Resolve {
    scopes: Vec<Scope>,
    error: Option<PlanError>,
    /// Keep (or add) the schema: PostgreSQL has the schemas, SQLite does not.
    qualify: bool,
}

impl Resolve {
    fn cte_in_scope(&self, name: &str) -> bool {
        self.scopes
            .iter()
            .any(|s| s.visible().iter().any(|n| n == name))
    }
}

impl VisitorMut for Resolve {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let here = address(query);
        if let Some(parent) = self.scopes.last_mut()
            && let Some(k) = parent.ctes.iter().position(|c| *c == here)
        {
            parent.visible = k;
        }
        let (names, ctes, recursive) = match &query.with {
            Some(with) => (
                with.cte_tables
                    .iter()
                    .map(|c| fold(&c.alias.name))
                    .collect(),
                with.cte_tables.iter().map(|c| address(&c.query)).collect(),
                with.recursive,
            ),
            None => (Vec::new(), Vec::new(), false),
        };
        self.scopes.push(Scope {
            query: here,
            // Nothing is walked before the WITH, and the body after every CTE.
            visible: ctes.len(),
            names,
            ctes,
            recursive,
        });
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let here = address(query);
        if self.scopes.last().is_some_and(|s| s.query == here) {
            self.scopes.pop();
        }
        if let Some(parent) = self.scopes.last_mut()
            && let Some(k) = parent.ctes.iter().position(|c| *c == here)
        {
            parent.visible = k + 1;
        }
        ControlFlow::Continue(())
    }

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
            Some([name]) if self.cte_in_scope(name) => return ControlFlow::Continue(()),
            Some([name]) => RELATIONS.iter().find(|r| r.name == name),
            Some([schema, name]) => {
                let found = RELATIONS
                    .iter()
                    .find(|r| r.schema == schema && r.name == name);
                // Without its schema the name would reach the CTE instead.
                if found.is_some() && self.cte_in_scope(name) {
                    self.error = Some(PlanError::UnsupportedQuery(
                        "a schema-qualified relation shadowed by a CTE of the same name",
                    ));
                    return ControlFlow::Break(());
                }
                found
            }
            _ => None,
        };
        match known {
            Some(r) if self.qualify => {
                *relation = ObjectName::from(vec![Ident::new(r.schema), Ident::new(r.name)]);
                ControlFlow::Continue(())
            }
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

/// Folds unquoted identifiers.
struct Fold;

impl VisitorMut for Fold {
    type Break = ();
    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Identifier(ident) => fold_in_place(ident),
            Expr::CompoundIdentifier(idents) => idents.iter_mut().for_each(fold_in_place),
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
        prepare(&statement, Target::Sqlite)
            .map(|p| p.map(|p| p.sql))
            .map_err(|e| e.into_diagnostic().message)
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

    /// Issue 10, item 8: a CTE is visible only in its own query (and the CTEs after it),
    /// as in PostgreSQL, so a CTE name in one subquery cannot let another reach a
    /// storage table.
    #[test]
    fn cte_names_are_scoped_by_query() {
        let unknown = |sql: &str| {
            let err = rewrite(sql).unwrap_err();
            assert!(
                err.starts_with("relation ") && err.ends_with("does not exist"),
                "{sql}: {err}"
            );
            err
        };
        // The reproduction.
        let err = unknown(
            "SELECT * FROM (WITH objects AS (SELECT 1) SELECT 1) q, (WITH mz_secrets AS (SELECT id, kind, name FROM objects) SELECT * FROM mz_secrets) z",
        );
        assert_eq!(err, "relation \"objects\" does not exist");
        for bad in [
            // A CTE is not visible in the CTEs before it, nor (without RECURSIVE) in itself.
            "WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a",
            "WITH objects AS (SELECT * FROM objects) SELECT * FROM objects",
            // Nor outside its query: in a sibling subquery, an outer query, a later
            // scalar subquery.
            "SELECT (WITH objects AS (SELECT 1) SELECT 1), (SELECT count(*) FROM objects)",
            "SELECT * FROM (WITH settings AS (SELECT 1) SELECT 1) q JOIN settings ON true",
            "SELECT * FROM mz_connections WHERE id IN (WITH x AS (SELECT 1) SELECT 1) AND name IN (SELECT * FROM x)",
            // Nested: an inner WITH does not leak to the outer body.
            "WITH a AS (WITH objects AS (SELECT 1) SELECT 1) SELECT * FROM objects",
            "SELECT * FROM (SELECT * FROM (WITH connections AS (SELECT 1) SELECT 1) i) o, connections",
        ] {
            unknown(bad);
        }
        // What PostgreSQL accepts is accepted.
        for good in [
            "WITH a AS (SELECT 1), b AS (SELECT * FROM a) SELECT * FROM b",
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
            "WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a",
            "WITH a AS (SELECT 1) SELECT * FROM (SELECT * FROM a) q WHERE EXISTS (SELECT * FROM a)",
            "WITH a AS (WITH b AS (SELECT 1) SELECT * FROM b) SELECT * FROM a",
            // A CTE may shadow a relation's name, as in PostgreSQL: the CTE wins.
            "WITH mz_secrets AS (SELECT name FROM mz_connections) SELECT * FROM mz_secrets",
            // A CTE named like a storage table is only itself.
            "WITH objects AS (SELECT name FROM mz_secrets) SELECT * FROM objects",
        ] {
            assert!(rewrite(good).unwrap().is_some(), "{good}");
        }
        // Outside the CTE's scope, the name means the relation again.
        assert!(
            rewrite(
                "SELECT (WITH mz_secrets AS (SELECT 1) SELECT 1), (SELECT count(*) FROM mz_secrets)"
            )
            .unwrap()
            .is_some()
        );
        // Qualified, the name means the relation; without its schema SQLite would read
        // the CTE instead, so that is refused.
        let err = rewrite("WITH mz_secrets AS (SELECT 1) SELECT * FROM mz_catalog.mz_secrets")
            .unwrap_err();
        assert!(err.contains("shadowed by a CTE"), "{err}");
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
            "SELECT count(*) AS \"count\", 1 AS \"?column?\", name, name AS \"N\", airlock_cast(id, 'text', 'text') AS \"id\", upper(name) AS \"up\" FROM mz_connections"
        );
    }
}
