//! Photos of listings: processing uploads and storing them under content-addressed keys
//! through object_store (a local folder by default; an S3-compatible store for several
//! instances).

mod decoder;
mod heif;
mod process;

pub use decoder::Decoder;
pub use process::{PhotoError, PhotoLimits, ProcessedPhoto, process};

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
};

use crate::config::{S3Settings, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Thumb,
    Display,
}

impl Size {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "thumb" => Some(Size::Thumb),
            "display" => Some(Size::Display),
            _ => None,
        }
    }

    fn file(self) -> &'static str {
        match self {
            Size::Thumb => "thumb.jpg",
            Size::Display => "display.jpg",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("photo storage: {0}")]
    Store(#[from] object_store::Error),
    #[error("cannot create photo folder {0}: {1}")]
    Folder(String, std::io::Error),
}

/// Keys are 32 hex digits; anything else is not a photo of ours.
pub fn valid_key(key: &str) -> bool {
    key.len() == 32
        && key
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Where the photos are: a folder, or a bucket that several instances share.
#[derive(Clone)]
pub struct PhotoStore {
    store: Arc<dyn ObjectStore>,
    kind: &'static str,
}

/// A store that does not answer fails a request within seconds rather than the client's
/// default minutes: the person gets the "try again" message while they still wait.
const S3_TIMEOUT: Duration = Duration::from_secs(10);
const S3_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const S3_RETRY_TIMEOUT: Duration = Duration::from_secs(8);

/// A key no photo has, asked for by the readiness check: "not found" means the store
/// answers.
const PROBE: &str = "readyz-probe";

impl PhotoStore {
    /// The store the settings name: the S3 bucket when `[photos.s3]` is set, else the folder.
    pub fn configured(settings: &Settings) -> Result<Self, StoreError> {
        match &settings.photos.s3 {
            Some(s3) => Self::s3(s3),
            None => Self::local(&settings.photos_dir()),
        }
    }

    pub fn s3(settings: &S3Settings) -> Result<Self, StoreError> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_client_options(
                ClientOptions::new()
                    .with_timeout(S3_TIMEOUT)
                    .with_connect_timeout(S3_CONNECT_TIMEOUT),
            )
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: 2,
                retry_timeout: S3_RETRY_TIMEOUT,
            });
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let path_style = settings.path_style.unwrap_or(settings.endpoint.is_some());
        builder = builder.with_virtual_hosted_style_request(!path_style);
        if let Some(key) = &settings.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret.expose());
        }
        Ok(Self {
            store: Arc::new(builder.build()?),
            kind: "s3",
        })
    }

    pub fn local(dir: &std::path::Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Folder(dir.display().to_string(), e))?;
        let store = LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self {
            store: Arc::new(store),
            kind: "folder",
        })
    }

    /// "folder" or "s3", for /readyz and the start-up message.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Whether the store answers: for /readyz, so a load balancer stops sending uploads to
    /// an instance that cannot keep them.
    pub async fn check(&self) -> Result<(), StoreError> {
        match self.store.head(&StorePath::from(PROBE)).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// The path of every stored file, for a backup.
    pub async fn each_file(&self) -> Result<Vec<StorePath>, StoreError> {
        use futures_util::TryStreamExt;
        Ok(self
            .store
            .list(None)
            .map_ok(|meta| meta.location)
            .try_collect()
            .await?)
    }

    pub async fn read_file(&self, path: &StorePath) -> Result<bytes::Bytes, StoreError> {
        Ok(self.store.get(path).await?.bytes().await?)
    }

    pub async fn write_file(
        &self,
        path: &StorePath,
        bytes: bytes::Bytes,
    ) -> Result<(), StoreError> {
        self.store.put(path, PutPayload::from(bytes)).await?;
        Ok(())
    }

    fn path(key: &str, size: Size) -> StorePath {
        StorePath::from(format!("{}/{key}/{}", &key[..2], size.file()))
    }

    /// Writes both sizes. Each write is atomic (a temporary file renamed into place), so a
    /// reader never sees half a photo.
    pub async fn save(&self, photo: &ProcessedPhoto) -> Result<(), StoreError> {
        for (size, bytes) in [(Size::Display, &photo.display), (Size::Thumb, &photo.thumb)] {
            self.store
                .put(
                    &Self::path(&photo.key, size),
                    PutPayload::from(bytes.clone()),
                )
                .await?;
        }
        Ok(())
    }

    pub async fn load(&self, key: &str, size: Size) -> Result<Option<bytes::Bytes>, StoreError> {
        match self.store.get(&Self::path(key, size)).await {
            Ok(result) => Ok(Some(result.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Removes both sizes; used when the listing that needed them could not be saved.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        for size in [Size::Display, Size::Thumb] {
            match self.store.delete(&Self::path(key, size)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }
}
