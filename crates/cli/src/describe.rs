//! The `\d` family: catalog queries run through the engine, as psql's `describe.c` runs
//! queries over `pg_catalog`.
//!
//! Going through SQL, rather than reading the catalog directly, keeps the shell on the
//! same read-only path as a user's `SELECT` (so `\d` can never show a secret value), and
//! makes each command a query a user can read here and run by hand.
//!
//! Results come back as a [`Listing`]: a title, a result set and footers, printed the
//! way psql prints a titled table (`List of relations`, `Table "public.t"` with its
//! `Indexes:` footer).

use airlock_engine::core::{Column, ColumnType, Diagnostic, Rows, SqlState};

use crate::backend::Backend;
use crate::format::{Expanded, PrintOptions, format_table};
use crate::meta::Name;

/// A titled result set with footers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub title: String,
    pub rows: Rows,
    /// Lines printed after the rows.
    pub footers: Vec<String>,
    /// Whether psql's `(N rows)` footer is printed (lists: yes; one object: no).
    pub row_count: bool,
}

/// What a `\d`-family command found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Described {
    Listing(Listing),
    /// Nothing matched: psql's message (on standard error), and whether that makes the
    /// command fail (psql: `\d NAME` fails, a list does not).
    Nothing {
        message: String,
        failed: bool,
    },
}

/// `\d`: every object, connections and secrets alike.
pub fn list_objects(session: &mut dyn Backend) -> Result<Described, Diagnostic> {
    let rows = query(
        session,
        "SELECT name AS \"Name\", 'connection' AS \"Type\" FROM mz_connections \
         UNION ALL SELECT name, 'secret' FROM mz_secrets ORDER BY 1, 2",
    )?;
    if rows.rows.is_empty() {
        return Ok(Described::Nothing {
            message: "Did not find any objects.".to_owned(),
            failed: false,
        });
    }
    Ok(listing("List of objects", rows))
}

/// `\dc [PATTERN]`: connections, with how they authenticate.
pub fn list_connections(
    session: &mut dyn Backend,
    pattern: Option<&Name>,
) -> Result<Described, Diagnostic> {
    let rows = query(
        session,
        "SELECT c.name AS \"Name\", c.type AS \"Type\", \
           CASE WHEN a.assume_role_arn IS NOT NULL THEN 'assume role' \
             WHEN a.secret_access_key_secret_id IS NOT NULL THEN 'access key' \
             ELSE 'default credentials' END \
             AS \"Authentication\", \
           a.region AS \"Region\" \
         FROM mz_connections c JOIN mz_aws_connections a ON a.id = c.id ORDER BY 1",
    )?;
    let rows = filter_by_name(rows, pattern);
    Ok(listing("List of connections", rows))
}

/// `\ds [PATTERN]`: secrets — names and dates, there is no value column to show.
pub fn list_secrets(
    session: &mut dyn Backend,
    pattern: Option<&Name>,
) -> Result<Described, Diagnostic> {
    let rows = query(
        session,
        "SELECT name AS \"Name\", id AS \"Id\", created_at AS \"Created\", \
           updated_at AS \"Updated\" \
         FROM mz_secrets ORDER BY 1",
    )?;
    let rows = filter_by_name(rows, pattern);
    Ok(listing("List of secrets", rows))
}

/// `\d NAME`: one connection (options, principal, external ID, trust policy) or one
/// secret (id, dates, dependents).
pub fn describe(session: &mut dyn Backend, name: &Name) -> Result<Described, Diagnostic> {
    if let Some(listing) = describe_connection(session, &name.text)? {
        return Ok(Described::Listing(listing));
    }
    if let Some(listing) = describe_secret(session, &name.text)? {
        return Ok(Described::Listing(listing));
    }
    Ok(Described::Nothing {
        message: format!("Did not find any object named \"{}\".", name.text),
        failed: true,
    })
}

fn describe_connection(
    session: &mut dyn Backend,
    name: &str,
) -> Result<Option<Listing>, Diagnostic> {
    let rows = query(
        session,
        &format!(
            "SELECT c.id, c.type, a.access_key_id, ak.name, sk.name, a.session_token, st.name, \
               a.assume_role_arn, a.assume_role_session_name, a.endpoint, a.region, \
               a.principal, a.external_id, a.example_trust_policy \
             FROM mz_connections c JOIN mz_aws_connections a ON a.id = c.id \
             LEFT JOIN mz_secrets ak ON ak.id = a.access_key_id_secret_id \
             LEFT JOIN mz_secrets sk ON sk.id = a.secret_access_key_secret_id \
             LEFT JOIN mz_secrets st ON st.id = a.session_token_secret_id \
             WHERE c.name = {}",
            literal(name)
        ),
    )?;
    let Some(row) = rows.rows.into_iter().next() else {
        return Ok(None);
    };
    let [
        id,
        ty,
        access_key_id,
        access_key_id_secret,
        secret_access_key_secret,
        session_token,
        session_token_secret,
        assume_role_arn,
        session_name,
        endpoint,
        region,
        principal,
        external_id,
        trust_policy,
    ]: [Option<String>; 14] = row
        .try_into()
        .map_err(|_| internal("connection row shape"))?;

    // Neither a role nor keys: the connection acts as Airlock's own identity.
    let default_credentials = assume_role_arn.is_none() && secret_access_key_secret.is_none();
    let secret_ref = |name: Option<String>| name.map(|n| format!("SECRET {n}"));
    let mut props = Properties::default();
    props.push("Id", id.clone());
    props.push("Type", ty);
    props.push(
        "ACCESS KEY ID",
        access_key_id.or(secret_ref(access_key_id_secret)),
    );
    props.push("SECRET ACCESS KEY", secret_ref(secret_access_key_secret));
    props.push(
        "SESSION TOKEN",
        session_token.or(secret_ref(session_token_secret)),
    );
    let assumes_role = assume_role_arn.is_some();
    props.push(
        "USE DEFAULT CREDENTIALS",
        default_credentials.then(|| "yes (Airlock's own identity)".to_owned()),
    );
    props.push("ASSUME ROLE ARN", assume_role_arn);
    props.push("ASSUME ROLE SESSION NAME", session_name);
    props.push("ENDPOINT", endpoint.filter(|e| !e.is_empty()));
    props.push("REGION", region);
    if assumes_role {
        props.push(
            "Principal",
            Some(principal.unwrap_or_else(|| "(not set)".to_owned())),
        );
        props.push("External ID", external_id);
    }
    if let Some(id) = &id {
        props.push("Last validation", last_validation(session, id)?);
    }

    let mut footers = Vec::new();
    if assumes_role {
        match trust_policy {
            Some(policy) => {
                footers.push("Example trust policy:".to_owned());
                footers.extend(pretty_json(&policy).lines().map(str::to_owned));
            }
            None => footers.push(
                "No example trust policy: aws_principal is not set \
                 (ALTER SYSTEM SET aws_principal = 'arn:aws:iam::<account>:role/<name>')."
                    .to_owned(),
            ),
        }
    }
    Ok(Some(Listing {
        title: format!("Connection \"{name}\""),
        rows: props.into_rows(),
        footers,
        row_count: false,
    }))
}

fn describe_secret(session: &mut dyn Backend, name: &str) -> Result<Option<Listing>, Diagnostic> {
    let rows = query(
        session,
        &format!(
            "SELECT id, created_at, updated_at FROM mz_secrets WHERE name = {}",
            literal(name)
        ),
    )?;
    let Some(row) = rows.rows.into_iter().next() else {
        return Ok(None);
    };
    let [id, created_at, updated_at]: [Option<String>; 3] =
        row.try_into().map_err(|_| internal("secret row shape"))?;
    let mut footers = Vec::new();
    if let Some(id) = &id {
        let users = query(
            session,
            &format!(
                "SELECT c.name FROM mz_object_dependencies d \
                 JOIN mz_connections c ON c.id = d.object_id \
                 WHERE d.referenced_object_id = {} ORDER BY 1",
                literal(id)
            ),
        )?;
        if !users.rows.is_empty() {
            footers.push("Referenced by:".to_owned());
            footers.extend(
                users
                    .rows
                    .into_iter()
                    .filter_map(|r| r.into_iter().next().flatten())
                    .map(|n| format!("    connection \"{n}\"")),
            );
        }
    }
    let mut props = Properties::default();
    props.push("Id", id);
    props.push("Type", Some("secret".to_owned()));
    props.push("Created", created_at);
    props.push("Updated", updated_at);
    Ok(Some(Listing {
        title: format!("Secret \"{name}\""),
        rows: props.into_rows(),
        footers,
        row_count: false,
    }))
}

/// The newest `VALIDATE` run of a connection, as `status at time`.
fn last_validation(session: &mut dyn Backend, id: &str) -> Result<Option<String>, Diagnostic> {
    let rows = query(
        session,
        &format!(
            "SELECT status, validated_at FROM mz_aws_connection_validations \
             WHERE connection_id = {} ORDER BY validated_at DESC LIMIT 1",
            literal(id)
        ),
    )?;
    Ok(rows.rows.into_iter().next().map(|row| {
        let mut values = row.into_iter().map(Option::unwrap_or_default);
        let status = values.next().unwrap_or_default();
        let at = values.next().unwrap_or_default();
        format!("{status} at {at}")
    }))
}

/// `Property | Value` rows; properties without a value are left out.
#[derive(Default)]
struct Properties(Vec<(&'static str, String)>);

impl Properties {
    fn push(&mut self, name: &'static str, value: Option<String>) {
        if let Some(value) = value {
            self.0.push((name, value));
        }
    }

    fn into_rows(self) -> Rows {
        Rows {
            columns: vec![
                Column::new("Property", ColumnType::Text),
                Column::new("Value", ColumnType::Text),
            ],
            rows: self
                .0
                .into_iter()
                .map(|(name, value)| vec![Some(name.to_owned()), Some(value)])
                .collect(),
        }
    }
}

fn listing(title: &str, rows: Rows) -> Described {
    Described::Listing(Listing {
        title: title.to_owned(),
        rows,
        footers: Vec::new(),
        row_count: true,
    })
}

/// Runs one catalog query and returns its rows.
fn query(session: &mut dyn Backend, sql: &str) -> Result<Rows, Diagnostic> {
    session.query(sql)
}

fn internal(what: &str) -> Diagnostic {
    Diagnostic::error(SqlState::InternalError, format!("internal error: {what}"))
}

/// A SQL string literal.
fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Keeps the rows whose first column (the name) matches a psql pattern: `*` any text,
/// `?` one character, everything else literal and case-sensitive (the pattern is already
/// folded unless it was double-quoted, in which case `*` and `?` are literal too).
///
/// Matching here rather than in SQL keeps psql's semantics exactly: SQLite's `LIKE`
/// ignores case, and the query dialect has no `GLOB`.
fn filter_by_name(mut rows: Rows, pattern: Option<&Name>) -> Rows {
    if let Some(pattern) = pattern {
        rows.rows.retain(|row| {
            let name = row.first().and_then(|v| v.as_deref()).unwrap_or_default();
            if pattern.quoted {
                name == pattern.text
            } else {
                wildcard_match(&pattern.text, name)
            }
        });
    }
    rows
}

/// Whether `text` matches `pattern` with psql's `*` and `?` wildcards.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matching with one backtrack point for the last `*`: linear in practice,
    // and no recursion for a hostile pattern to exhaust.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The trust policy indented for reading and pasting; the stored text if it is somehow
/// not JSON.
fn pretty_json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// Prints a listing as psql prints a titled table: its title (in place of `\pset
/// title`), the rows, then its footers in place of `(N rows)` — in every format, as
/// psql's printers place them; tuples-only and CSV output print the rows alone.
///
/// One object's details are never expanded: psql turns `\x` off for them ("this output
/// looks confusing in expanded mode").
pub fn render(listing: &Listing, options: &PrintOptions) -> String {
    if listing.row_count {
        return format_table(&listing.rows, options, Some(&listing.title), None);
    }
    let options = PrintOptions {
        expanded: Expanded::Off,
        ..options.clone()
    };
    let footers = Some(listing.footers.as_slice());
    format_table(&listing.rows, &options, Some(&listing.title), footers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str, quoted: bool) -> Name {
        Name {
            text: text.to_owned(),
            quoted,
        }
    }

    #[test]
    fn psql_wildcards() {
        assert!(wildcard_match("aws_*", "aws_conn"));
        assert!(wildcard_match("aws_*", "aws_"));
        assert!(!wildcard_match("aws_*", "aw"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("*c*n*", "connection"));
        assert!(!wildcard_match("x", "X"));
        assert!(wildcard_match("*", ""));
        let rows = Rows {
            columns: vec![Column::new("Name", ColumnType::Text)],
            rows: vec![vec![Some("a*".to_owned())], vec![Some("ab".to_owned())]],
        };
        assert_eq!(
            filter_by_name(rows.clone(), Some(&pattern("a*", false)))
                .rows
                .len(),
            2
        );
        assert_eq!(
            filter_by_name(rows, Some(&pattern("a*", true))).rows.len(),
            1
        );
    }

    #[test]
    fn titles_are_centred_and_footers_replace_the_count() {
        let listing = Listing {
            title: "Secret \"s\"".to_owned(),
            rows: Rows {
                columns: vec![
                    Column::new("Property", ColumnType::Text),
                    Column::new("Value", ColumnType::Text),
                ],
                rows: vec![vec![Some("Id".to_owned()), Some("u1".to_owned())]],
            },
            footers: vec![
                "Referenced by:".to_owned(),
                "    connection \"c\"".to_owned(),
            ],
            row_count: false,
        };
        assert_eq!(
            render(&listing, &PrintOptions::default()),
            "    Secret \"s\"\n Property | Value \n----------+-------\n Id       | u1\n\
             Referenced by:\n    connection \"c\"\n\n"
        );
    }
}
