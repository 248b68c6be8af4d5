//! The key that signs sign-in links and sessions.

use std::io::Write;
use std::path::Path;

use crate::accounts::tokens::random_id;
use crate::config::Settings;

pub const SECRET_FILE: &str = "secret.key";

#[derive(Debug, thiserror::Error)]
#[error("cannot read or create the signing key {path}: {source}")]
pub struct SecretError {
    path: String,
    source: std::io::Error,
}

/// The configured `secret_key`, else the one kept in the data directory (created on first
/// start, readable only by the owner).
pub fn load_or_create(settings: &Settings) -> Result<Vec<u8>, SecretError> {
    if let Some(key) = &settings.secret_key {
        return Ok(key.expose().as_bytes().to_vec());
    }
    let path = settings.data_dir.join(SECRET_FILE);
    read_or_create(&path).map_err(|source| SecretError {
        path: path.display().to_string(),
        source,
    })
}

fn read_or_create(path: &Path) -> std::io::Result<Vec<u8>> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().len() >= 32 => return Ok(text.trim().as_bytes().to_vec()),
        Ok(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the file holds fewer than 32 characters",
            ));
        }
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        Err(_) => {}
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let key = random_id();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(key.as_bytes())?;
            file.sync_all()?;
            Ok(key.into_bytes())
        }
        // Another instance on the same data directory won the race: use its key.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => read_or_create(path),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_and_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("nested").join(SECRET_FILE);
        let first = read_or_create(&path).expect("created");
        let second = read_or_create(&path).expect("read");
        assert_eq!(first, second);
        assert_eq!(first.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn short_key_file_is_an_error() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(SECRET_FILE);
        std::fs::write(&path, "short").expect("written");
        assert!(read_or_create(&path).is_err());
    }
}
