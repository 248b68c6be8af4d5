//! Forms with files (photo uploads): fields and files read with limits, and the same CSRF
//! check as [`super::csrf::CsrfForm`].

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use futures_util::TryStreamExt;

use super::AppError;
use super::csrf::check_submitted;

/// Text fields are small; anything longer is not from our forms.
const MAX_FIELD_BYTES: usize = 64 * 1024;
const MAX_FIELDS: usize = 200;

pub struct UploadedFile {
    pub bytes: Vec<u8>,
}

pub struct MultipartForm {
    pub fields: Vec<(String, String)>,
    pub files: Vec<UploadedFile>,
    /// Files that were larger than allowed; their bytes were not kept.
    pub oversized: usize,
    /// More files than allowed were sent; the extra ones were not kept.
    pub too_many: bool,
}

impl MultipartForm {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The fields as url-encoded text, so serde can read them into a form struct.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, AppError> {
        let encoded =
            serde_urlencoded::to_string(&self.fields).map_err(|_| AppError::BadRequest)?;
        serde_urlencoded::from_str(&encoded).map_err(|_| AppError::BadRequest)
    }
}

/// Reads the whole form. Files over `max_file_bytes` are counted and dropped as they
/// stream in, so an oversized upload never sits in memory.
pub async fn read(
    req: &HttpRequest,
    mut payload: Multipart,
    file_field: &str,
    max_file_bytes: usize,
    max_files: usize,
) -> Result<MultipartForm, AppError> {
    let mut form = MultipartForm {
        fields: Vec::new(),
        files: Vec::new(),
        oversized: 0,
        too_many: false,
    };
    while let Some(mut field) = payload.try_next().await.map_err(|_| AppError::BadRequest)? {
        let name = field.name().unwrap_or_default().to_string();
        let is_file = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .is_some();
        if is_file && name == file_field {
            let mut bytes = Vec::new();
            let mut oversized = false;
            while let Some(chunk) = field.try_next().await.map_err(|_| AppError::BadRequest)? {
                if oversized {
                    continue;
                }
                if bytes.len() + chunk.len() > max_file_bytes {
                    oversized = true;
                    bytes = Vec::new();
                } else {
                    bytes.extend_from_slice(&chunk);
                }
            }
            if oversized {
                form.oversized += 1;
            } else if bytes.is_empty() {
                // An empty file input: nothing chosen.
            } else if form.files.len() >= max_files {
                form.too_many = true;
            } else {
                form.files.push(UploadedFile { bytes });
            }
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(|_| AppError::BadRequest)? {
            if value.len() + chunk.len() > MAX_FIELD_BYTES {
                return Err(AppError::BadRequest);
            }
            value.extend_from_slice(&chunk);
        }
        if form.fields.len() >= MAX_FIELDS {
            return Err(AppError::BadRequest);
        }
        let value = String::from_utf8(value).map_err(|_| AppError::BadRequest)?;
        form.fields.push((name, value));
    }
    check_submitted(req, true, &form.fields)?;
    Ok(form)
}
