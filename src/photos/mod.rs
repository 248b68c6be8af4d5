//! Photos of listings: processing uploads and storing them under content-addressed keys
//! through object_store (a local folder by default; an S3-compatible store for several
//! instances).

mod heif;
mod process;

pub use process::{PhotoError, PhotoLimits, ProcessedPhoto, process};

use std::sync::Arc;

use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

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

#[derive(Clone)]
pub struct PhotoStore {
    store: Arc<dyn ObjectStore>,
}

impl PhotoStore {
    pub fn local(dir: &std::path::Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Folder(dir.display().to_string(), e))?;
        let store = LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self {
            store: Arc::new(store),
        })
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
