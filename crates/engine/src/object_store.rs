//! `object_store` support (cargo feature `object_store`): an S3 store that acts through a
//! connection, for hosts that read S3 with the `object_store` crate (DataFusion among
//! them).
//!
//! The store's credentials come from the connection's [`CredentialsHandle`] on every
//! request: one role session per connection however many requests and stores use it,
//! renewed before it expires, and gone the request after the connection is dropped or
//! changed (see `docs/embedding.md`).

use std::sync::Arc;

use airlock_core::{Diagnostic, SqlState};
use object_store::CredentialProvider;
use object_store::aws::{AmazonS3, AmazonS3Builder, AwsCredential};

use crate::credentials::CredentialsHandle;

/// An `object_store` credential provider backed by a connection's credentials handle.
#[derive(Debug, Clone)]
pub struct S3CredentialProvider {
    handle: CredentialsHandle,
}

#[async_trait::async_trait]
impl CredentialProvider for S3CredentialProvider {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let credentials =
            self.handle
                .credentials()
                .await
                .map_err(|diagnostic| object_store::Error::Generic {
                    store: "S3",
                    source: Box::new(diagnostic),
                })?;
        Ok(Arc::new(AwsCredential {
            key_id: credentials.access_key_id().to_owned(),
            secret_key: credentials.secret_access_key().to_owned(),
            token: credentials.session_token().map(str::to_owned),
        }))
    }
}

impl CredentialsHandle {
    /// This handle as an `object_store` credential provider.
    pub fn object_store_credentials(&self) -> S3CredentialProvider {
        S3CredentialProvider {
            handle: self.clone(),
        }
    }

    /// An S3 store for `bucket` that acts through the connection: its region, its
    /// `ENDPOINT` when it has one (path-style requests, plain HTTP allowed only for an
    /// `http://` endpoint, which the endpoint rule has already let through), and this
    /// handle's credentials.
    pub fn s3_store(&self, bucket: &str) -> Result<AmazonS3, Diagnostic> {
        let config = self.sdk_config()?;
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(
                config
                    .region()
                    .map(|r| r.as_ref().to_owned())
                    .unwrap_or_else(|| "us-east-1".to_owned()),
            )
            .with_credentials(Arc::new(self.object_store_credentials()));
        if let Some(endpoint) = config.endpoint_url() {
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        builder.build().map_err(|e| {
            Diagnostic::error(
                SqlState::InvalidParameterValue,
                format!(
                    "cannot make an S3 store for connection \"{}\"",
                    self.connection_name()
                ),
            )
            .with_detail(e.to_string())
        })
    }
}
