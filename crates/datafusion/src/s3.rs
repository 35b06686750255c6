//! DataFusion's statements, with `s3://` tables bound to Airlock connections.
//!
//! `CREATE EXTERNAL TABLE … LOCATION 's3://bucket/…' OPTIONS ('aws.connection' 'name')`
//! registers, for that bucket, an object store that acts through connection `name`
//! (`CredentialsHandle::s3_store`): its region and endpoint, and its credentials handle
//! on every request — one role session per connection, revoked by `DROP` or `ALTER` of
//! the connection at the next request. A location without the option reads through the
//! connection whose `SCOPE` is the longest prefix of each request's URL
//! ([`ScopedS3Store`]). A location that neither binds is refused with how to bind one:
//! DataFusion never falls back to ambient AWS credentials.

use std::sync::Arc;

use airlock_core::{Diagnostic, SqlState};
use airlock_engine::{Engine, Session};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement;
use object_store::path::Path;
use url::Url;

use crate::scope::ScopedS3Store;

/// The `OPTIONS` key that names the Airlock connection of an external table.
pub const CONNECTION_OPTION: &str = "aws.connection";

/// Plans and runs one statement of DataFusion's dialect, binding its `s3://` location
/// to an Airlock connection first when it names one.
pub(crate) async fn run(
    ctx: &SessionContext,
    engine: &Engine,
    session: &Session,
    bound: &mut Bindings,
    text: &str,
) -> std::result::Result<Vec<RecordBatch>, crate::Error> {
    let state = ctx.state();
    let dialect = state.config().options().sql_parser.dialect;
    let mut statement = state.sql_to_statement(text, &dialect)?;
    if let Statement::CreateExternalTable(table) = &mut statement {
        let named = table
            .options
            .iter()
            .position(|(key, _)| key.eq_ignore_ascii_case(CONNECTION_OPTION));
        let connection = named.map(|k| table.options.remove(k).1);
        for location in &table.locations {
            let Ok(url) = Url::parse(location) else {
                continue;
            };
            if url.scheme() != "s3" {
                continue;
            }
            let bucket = url.host_str().unwrap_or_default().to_owned();
            let root = Url::parse(&format!("s3://{bucket}"))
                .map_err(|e| DataFusionError::External(Box::new(e)))?;
            match &connection {
                Some(name) => {
                    let name = option_text(name);
                    let folded = airlock_engine::credentials::fold_name(&name)?;
                    match bound.get(&bucket) {
                        Some(Binding::Connection(other)) if *other != folded => {
                            return Err(already_bound(&bucket, other, &folded).into());
                        }
                        Some(Binding::Scopes) => {
                            return Err(read_through_scopes(&bucket, &folded).into());
                        }
                        _ => {}
                    }
                    bound.insert(bucket.clone(), Binding::Connection(folded));
                    // The session's role needs USAGE on the connection.
                    let session = session.clone();
                    let bucket_name = bucket.clone();
                    let store = tokio::task::spawn_blocking(move || {
                        session.credentials(&name)?.s3_store(&bucket_name)
                    })
                    .await
                    .map_err(|e| DataFusionError::External(Box::new(e)))??;
                    ctx.register_object_store(&root, Arc::new(store));
                }
                // The bucket already reads through a connection or through scopes.
                None if bound.contains_key(&bucket) => {}
                // A store the host registered itself is the host's choice.
                None if ctx
                    .runtime_env()
                    .object_store(ObjectStoreUrl::parse(root.as_str())?)
                    .is_ok() => {}
                None => {
                    let key = Path::from_url_path(url.path())
                        .map_err(|e| DataFusionError::External(Box::new(e)))?;
                    let store = ScopedS3Store::new(engine.clone(), session.clone(), bucket.clone());
                    if store.connection_for(key.as_ref()).await?.is_none() {
                        return Err(unbound(&bucket, key.as_ref()).into());
                    }
                    bound.insert(bucket.clone(), Binding::Scopes);
                    ctx.register_object_store(&root, Arc::new(store));
                }
            }
        }
    }
    let plan = state.statement_to_plan(statement).await?;
    Ok(ctx.execute_logical_plan(plan).await?.collect().await?)
}

/// How each bucket of this session is read. DataFusion keeps one object store per
/// bucket, so a bucket named with `aws.connection` is bound to that connection for the
/// session, and a bucket first reached without one reads through the scopes.
pub(crate) type Bindings = std::collections::HashMap<String, Binding>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Binding {
    /// `OPTIONS ('aws.connection' 'name')`, folded: every path of the bucket.
    Connection(String),
    /// [`ScopedS3Store`]: each path by the longest-prefix rule.
    Scopes,
}

fn read_through_scopes(bucket: &str, wanted: &str) -> Diagnostic {
    Diagnostic::error(
        SqlState::InvalidParameterValue,
        format!("s3://{bucket} already reads through connection scopes"),
    )
    .with_detail(format!(
        "A bucket reads one way per session; binding it to \"{wanted}\" would change the credentials of the tables already on it."
    ))
    .with_hint(format!(
        "Give connection \"{wanted}\" a SCOPE that covers this table instead, or use another session."
    ))
}

fn already_bound(bucket: &str, connection: &str, wanted: &str) -> Diagnostic {
    Diagnostic::error(
        SqlState::InvalidParameterValue,
        format!("s3://{bucket} is already bound to connection \"{connection}\""),
    )
    .with_detail(format!(
        "A bucket reads through one connection per session; binding it to \"{wanted}\" would change the credentials of the tables already on it."
    ))
    .with_hint(format!("Name connection \"{connection}\" for this table too, or use another session."))
}

/// An option value as text: `'lake'` and `lake` both name connection `lake`.
fn option_text(value: &datafusion::sql::sqlparser::ast::Value) -> String {
    use datafusion::sql::sqlparser::ast::Value;
    match value {
        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
        other => other.to_string(),
    }
}

/// No `aws.connection` and no scope covers `s3://bucket/key`.
pub(crate) fn unbound(bucket: &str, key: &str) -> Diagnostic {
    let url = match key {
        "" => format!("s3://{bucket}"),
        key => format!("s3://{bucket}/{key}"),
    };
    Diagnostic::error(
        SqlState::InvalidParameterValue,
        format!("no Airlock connection is bound to {url}"),
    )
    .with_detail("Airlock reads S3 only through a connection's credentials, never DataFusion's ambient AWS credentials; no connection was named for the table and none has a SCOPE that covers this URL.")
    .with_hint(format!(
        "Name one in the table's options: OPTIONS ('{CONNECTION_OPTION}' 'connection_name'), or give one a scope: ALTER CONNECTION connection_name SET (SCOPE = 's3://{bucket}')."
    ))
}
