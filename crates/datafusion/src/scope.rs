//! One bucket's object store, dispatching each request to the connection whose `SCOPE`
//! is the longest prefix of the object's URL.
//!
//! DataFusion keeps one object store per bucket (`s3://bucket`), but scopes may split a
//! bucket between connections (`s3://lake` for one, `s3://lake/restricted` for another).
//! So the store registered for a bucket holds no credentials itself: every request
//! (`get`, `head`, `list`, `put`, …) takes its path, picks the connection by the
//! longest-prefix rule ([`longest_scope`], on path-segment boundaries) and forwards to that
//! connection's own store (`CredentialsHandle::s3_store`: its region, endpoint and
//! credentials handle).
//!
//! The scopes are read from the catalog again whenever its generation moved (any
//! statement of this engine, any commit of another process or node), so that `DROP
//! CONNECTION`, `ALTER CONNECTION … SET (SCOPE …)` and a new connection are seen at the
//! next request; between changes a request costs one `PRAGMA data_version` on a SQLite
//! file and no query on PostgreSQL. A connection's store is
//! kept while its endpoint and region stay the same; its credentials handle revokes on
//! its own.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

use airlock_core::aws::{ScopeMatch, longest_scope};
use airlock_core::{ConnectionId, Diagnostic, SqlState};
use airlock_engine::scopes::{CatalogGeneration, ScopedConnection};
use airlock_engine::{Engine, Session};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

/// The store DataFusion gets for a bucket read through connection scopes. Clones share
/// one cache.
#[derive(Debug, Clone)]
pub struct ScopedS3Store {
    engine: Engine,
    /// Whose credentials requests these are: its role needs USAGE on the connection.
    session: Session,
    bucket: String,
    cache: Arc<Mutex<Cache>>,
}

#[derive(Debug, Default)]
struct Cache {
    /// The generation `scopes` was read at; `None`: read them on the next request.
    seen: Option<CatalogGeneration>,
    scopes: Vec<ScopedConnection>,
    stores: HashMap<ConnectionId, Built>,
}

/// A connection's store, with the endpoint and region it was built for.
#[derive(Debug)]
struct Built {
    endpoint: Option<String>,
    region: Option<String>,
    store: Arc<dyn ObjectStore>,
}

impl ScopedS3Store {
    pub fn new(engine: Engine, session: Session, bucket: impl Into<String>) -> ScopedS3Store {
        ScopedS3Store {
            engine,
            session,
            bucket: bucket.into(),
            cache: Arc::default(),
        }
    }

    /// The connection whose scope is the longest prefix of `s3://bucket/key`, if any
    /// (the scopes as the catalog holds them now).
    pub async fn connection_for(&self, key: &str) -> Result<Option<ScopedConnection>, Diagnostic> {
        let scopes = self.scopes().await?;
        match longest_scope(scopes.iter().map(|c| (&c.scope, c)), &self.bucket, key) {
            ScopeMatch::None => Ok(None),
            ScopeMatch::One(connection) => Ok(Some(connection.clone())),
            ScopeMatch::Tie(a, b) => Err(tie(&self.bucket, key, a, b)),
        }
    }

    /// The connections with a scope, read again when the catalog changed.
    async fn scopes(&self) -> Result<Vec<ScopedConnection>, Diagnostic> {
        let now = self.engine.catalog_generation();
        {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            if now.is_some() && cache.seen == now {
                return Ok(cache.scopes.clone());
            }
        }
        let engine = self.engine.clone();
        let scopes = blocking(move || engine.scoped_connections()).await?;
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.seen = now;
        cache.scopes = scopes.clone();
        // The catalog changed: stores are built again, so that a REVOKE of USAGE (or any
        // change to a connection) is seen by the next request. The credentials handles
        // behind them are the engine's, shared: no new role session.
        cache.stores.clear();
        Ok(scopes)
    }

    /// The store of the connection that serves `key`.
    async fn store_for(&self, key: &Path) -> object_store::Result<Arc<dyn ObjectStore>> {
        let connection = self
            .connection_for(key.as_ref())
            .await
            .map_err(generic)?
            .ok_or_else(|| generic(crate::s3::unbound(&self.bucket, key.as_ref())))?;
        {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(built) = cache.stores.get(&connection.id)
                && built.endpoint == connection.endpoint
                && built.region == connection.region
            {
                return Ok(Arc::clone(&built.store));
            }
        }
        let session = self.session.clone();
        let bucket = self.bucket.clone();
        let name = connection.quoted_name();
        let store: Arc<dyn ObjectStore> = Arc::new(
            blocking(move || session.credentials(&name)?.s3_store(&bucket))
                .await
                .map_err(generic)?,
        );
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stores
            .insert(
                connection.id,
                Built {
                    endpoint: connection.endpoint,
                    region: connection.region,
                    store: Arc::clone(&store),
                },
            );
        Ok(store)
    }
}

/// Catalog work on the runtime's blocking pool, so that a worker thread stays free.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Diagnostic> + Send + 'static,
) -> Result<T, Diagnostic> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        Diagnostic::error(SqlState::InternalError, "a catalog task failed")
            .with_detail(e.to_string())
    })?
}

fn generic(diagnostic: Diagnostic) -> object_store::Error {
    object_store::Error::Generic {
        store: "S3",
        source: Box::new(diagnostic),
    }
}

fn tie(bucket: &str, key: &str, a: &ScopedConnection, b: &ScopedConnection) -> Diagnostic {
    Diagnostic::error(
        SqlState::InvalidParameterValue,
        format!(
            "s3://{bucket}/{key} is in the scope of two connections, \"{}\" and \"{}\"",
            a.name, b.name
        ),
    )
    .with_detail(format!("Both have SCOPE '{}'; Airlock does not guess between them.", a.scope))
    .with_hint(format!(
        "Give one of them another scope, or name one in the table's options: OPTIONS ('{}' 'connection_name').",
        crate::s3::CONNECTION_OPTION
    ))
}

impl fmt::Display for ScopedS3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AirlockScopedS3({})", self.bucket)
    }
}

#[async_trait::async_trait]
impl ObjectStore for ScopedS3Store {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.store_for(location)
            .await?
            .put_opts(location, payload, opts)
            .await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.store_for(location)
            .await?
            .put_multipart_opts(location, opts)
            .await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.store_for(location)
            .await?
            .get_opts(location, options)
            .await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<bytes::Bytes>> {
        self.store_for(location)
            .await?
            .get_ranges(location, ranges)
            .await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let this = self.clone();
        locations
            .and_then(move |location| {
                let this = this.clone();
                async move {
                    let store = this.store_for(&location).await?;
                    let deleted = store
                        .delete_stream(futures::stream::once(async { Ok(location) }).boxed())
                        .try_collect::<Vec<Path>>()
                        .await?;
                    deleted
                        .into_iter()
                        .next()
                        .ok_or_else(|| object_store::Error::Generic {
                            store: "S3",
                            source: "the store deleted nothing".into(),
                        })
                }
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let this = self.clone();
        let prefix = prefix.cloned();
        futures::stream::once(async move {
            let store = this.store_for(&prefix.clone().unwrap_or_default()).await?;
            Ok::<_, object_store::Error>(store.list(prefix.as_ref()))
        })
        .try_flatten()
        .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.store_for(&prefix.cloned().unwrap_or_default())
            .await?
            .list_with_delimiter(prefix)
            .await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        let source = self.connection_for(from.as_ref()).await.map_err(generic)?;
        let target = self.connection_for(to.as_ref()).await.map_err(generic)?;
        if source.as_ref().map(|c| c.id) != target.as_ref().map(|c| c.id) {
            return Err(object_store::Error::NotSupported {
                source: "a copy between the scopes of two connections".into(),
            });
        }
        self.store_for(from)
            .await?
            .copy_opts(from, to, options)
            .await
    }
}
