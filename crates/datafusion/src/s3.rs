//! DataFusion's statements, with `s3://` tables bound to Airlock connections.
//!
//! `CREATE EXTERNAL TABLE … LOCATION 's3://bucket/…' OPTIONS ('aws.connection' 'name')`
//! registers, for that bucket, an object store that acts through connection `name`
//! (`CredentialsHandle::s3_store`): its region and endpoint, and its credentials handle
//! on every request — one role session per connection, revoked by `DROP` or `ALTER` of
//! the connection at the next request. An `s3://` location with no connection bound to
//! its bucket is refused with how to bind one: DataFusion never falls back to ambient
//! AWS credentials.

use std::sync::Arc;

use airlock_core::{Diagnostic, SqlState};
use airlock_engine::Engine;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement;
use url::Url;

/// The `OPTIONS` key that names the Airlock connection of an external table.
pub const CONNECTION_OPTION: &str = "aws.connection";

/// Plans and runs one statement of DataFusion's dialect, binding its `s3://` location
/// to an Airlock connection first when it names one.
pub(crate) async fn run(
    ctx: &SessionContext,
    engine: &Engine,
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
                        Some(other) if *other != folded => {
                            return Err(already_bound(&bucket, other, &folded).into());
                        }
                        _ => {}
                    }
                    bound.insert(bucket.clone(), folded);
                    let engine = engine.clone();
                    let bucket_name = bucket.clone();
                    let store = tokio::task::spawn_blocking(move || {
                        engine.credentials(&name)?.s3_store(&bucket_name)
                    })
                    .await
                    .map_err(|e| DataFusionError::External(Box::new(e)))??;
                    ctx.register_object_store(&root, Arc::new(store));
                }
                None if ctx
                    .runtime_env()
                    .object_store(ObjectStoreUrl::parse(root.as_str())?)
                    .is_err() =>
                {
                    return Err(unbound(&bucket).into());
                }
                None => {}
            }
        }
    }
    let plan = state.statement_to_plan(statement).await?;
    Ok(ctx.execute_logical_plan(plan).await?.collect().await?)
}

/// Which connection each bucket of this session reads through. DataFusion keeps one
/// object store per bucket, so a bucket is bound to one connection for the session.
pub(crate) type Bindings = std::collections::HashMap<String, String>;

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

fn unbound(bucket: &str) -> Diagnostic {
    Diagnostic::error(
        SqlState::InvalidParameterValue,
        format!("no Airlock connection is bound to s3://{bucket}"),
    )
    .with_detail("Airlock reads S3 only through a connection's credentials, never DataFusion's ambient AWS credentials.")
    .with_hint(format!(
        "Name one in the table's options: OPTIONS ('{CONNECTION_OPTION}' 'connection_name')."
    ))
}
