//! The check a catalog query gets before it runs on a PostgreSQL catalog.
//!
//! On SQLite a query can only call what Airlock's query connection defines, and an
//! authorizer refuses the rest. PostgreSQL has thousands of functions, some of which
//! read files, signal backends or change settings. So a query may call only the
//! functions named here: PostgreSQL's built-in aggregates, window functions and pure
//! functions of their arguments (text, numbers, times, JSON, arrays), unqualified or
//! qualified with `pg_catalog`. Anything else is `function … does not exist`
//! (SQLSTATE 42883), as if the catalog had no such function. `repeat`, `lpad` and
//! `rpad` are left out on purpose: they build a value of any size from a few bytes of
//! query, and a value arrives whole before the result cap can count it.

use std::ops::ControlFlow;

use airlock_parser::sqlparser::ast::{Expr, ObjectNamePart, Query, Visit, Visitor};

use crate::error::{PlanError, Result};

/// The functions a catalog query may call on PostgreSQL.
const ALLOWED: &[&str] = &[
    // Aggregates.
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "bool_and",
    "bool_or",
    "every",
    "string_agg",
    "array_agg",
    "jsonb_agg",
    "jsonb_object_agg",
    "json_agg",
    // Window functions.
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
    // Conditionals.
    "coalesce",
    "nullif",
    "greatest",
    "least",
    // Text.
    "length",
    "char_length",
    "character_length",
    "octet_length",
    "bit_length",
    "lower",
    "upper",
    "initcap",
    "substr",
    "substring",
    "left",
    "right",
    "ltrim",
    "rtrim",
    "btrim",
    "replace",
    "strpos",
    "position",
    "concat",
    "concat_ws",
    "split_part",
    "starts_with",
    "reverse",
    "ascii",
    "chr",
    "translate",
    "format",
    "md5",
    "regexp_replace",
    "regexp_match",
    "regexp_like",
    "quote_ident",
    "quote_literal",
    "to_char",
    "to_hex",
    // Numbers.
    "abs",
    "round",
    "trunc",
    "ceil",
    "ceiling",
    "floor",
    "power",
    "pow",
    "sqrt",
    "exp",
    "ln",
    "log",
    "mod",
    "sign",
    "div",
    "random",
    // Times.
    "now",
    "statement_timestamp",
    "transaction_timestamp",
    "clock_timestamp",
    "date_trunc",
    "date_part",
    "age",
    "to_timestamp",
    "make_interval",
    // JSON.
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "to_jsonb",
    "jsonb_build_object",
    "jsonb_build_array",
    "jsonb_array_elements",
    "jsonb_array_elements_text",
    "jsonb_array_length",
    "jsonb_typeof",
    "jsonb_pretty",
    "jsonb_object_keys",
    "jsonb_strip_nulls",
    // Arrays.
    "array_length",
    "cardinality",
    "array_to_string",
    "string_to_array",
    "unnest",
    "array_position",
];

/// Refuses a call of any function not in [`ALLOWED`].
pub(super) fn check_functions(query: &Query) -> Result<()> {
    struct Functions(Option<PlanError>);
    impl Visitor for Functions {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            let Expr::Function(function) = expr else {
                return ControlFlow::Continue(());
            };
            let parts: Vec<String> = function
                .name
                .0
                .iter()
                .map(|p| match p {
                    ObjectNamePart::Identifier(i) => super::fold(i),
                    ObjectNamePart::Function(_) => String::new(),
                })
                .collect();
            let allowed = match parts.as_slice() {
                [name] => ALLOWED.contains(&name.as_str()),
                [schema, name] => schema == "pg_catalog" && ALLOWED.contains(&name.as_str()),
                _ => false,
            };
            if allowed {
                ControlFlow::Continue(())
            } else {
                self.0 = Some(PlanError::UnknownFunction(function.name.to_string()));
                ControlFlow::Break(())
            }
        }
    }
    let mut check = Functions(None);
    let _ = Visit::visit(query, &mut check);
    match check.0 {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
