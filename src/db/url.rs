//! The database URL, validated: its scheme decides the backend.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL Bruka knows how to open. Built only through [`DatabaseUrl::parse`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DatabaseUrl {
    raw: String,
    backend: Backend,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DatabaseUrlError {
    #[error(
        "unsupported database URL scheme `{0}`; use sqlite://PATH (for example sqlite://data/bruka.db) or postgres://USER@HOST:PORT/DATABASE (postgresql:// also works)"
    )]
    UnknownScheme(String),
    #[error(
        "database URL `{0}` has no scheme; use sqlite://PATH or postgres://USER@HOST:PORT/DATABASE"
    )]
    NoScheme(String),
    #[error("sqlite:// URL needs a file path, for example sqlite://data/bruka.db")]
    EmptySqlitePath,
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, DatabaseUrlError> {
        let raw = raw.trim();
        let Some((scheme, rest)) = raw.split_once("://") else {
            return Err(DatabaseUrlError::NoScheme(raw.to_string()));
        };
        let backend = match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            other => return Err(DatabaseUrlError::UnknownScheme(other.to_string())),
        };
        if backend == Backend::Sqlite && rest.is_empty() {
            return Err(DatabaseUrlError::EmptySqlitePath);
        }
        Ok(Self {
            raw: raw.to_string(),
            backend,
        })
    }

    pub fn sqlite_file(path: impl AsRef<Path>) -> Self {
        Self {
            raw: format!("sqlite://{}", path.as_ref().display()),
            backend: Backend::Sqlite,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The file behind a `sqlite://` URL (`sqlite:///abs` is absolute, `sqlite://rel` relative).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match self.backend {
            Backend::Sqlite => self
                .raw
                .split_once("://")
                .map(|(_, path)| PathBuf::from(path)),
            Backend::Postgres => None,
        }
    }

    /// The URL as libpq expects it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The URL without its password, for logs and start-up messages.
    pub fn redacted(&self) -> String {
        let Some((scheme, rest)) = self.raw.split_once("://") else {
            return self.raw.clone();
        };
        match rest.split_once('@') {
            Some((credentials, host)) => {
                let user = credentials.split(':').next().unwrap_or_default();
                if credentials.contains(':') {
                    format!("{scheme}://{user}:***@{host}")
                } else {
                    self.raw.clone()
                }
            }
            None => self.raw.clone(),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl TryFrom<String> for DatabaseUrl {
    type Error = DatabaseUrlError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<DatabaseUrl> for String {
    fn from(url: DatabaseUrl) -> Self {
        url.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_pick_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/b.db").map(|u| u.backend()),
            Ok(Backend::Sqlite)
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").map(|u| u.backend()),
            Ok(Backend::Postgres)
        );
        assert_eq!(
            DatabaseUrl::parse("PostgreSQL://u@h/db").map(|u| u.backend()),
            Ok(Backend::Postgres)
        );
    }

    #[test]
    fn unknown_and_missing_schemes_are_refused() {
        assert_eq!(
            DatabaseUrl::parse("mysql://h/db"),
            Err(DatabaseUrlError::UnknownScheme("mysql".into()))
        );
        assert!(matches!(
            DatabaseUrl::parse("data/bruka.db"),
            Err(DatabaseUrlError::NoScheme(_))
        ));
        assert_eq!(
            DatabaseUrl::parse("sqlite://"),
            Err(DatabaseUrlError::EmptySqlitePath)
        );
    }

    #[test]
    fn sqlite_paths_relative_and_absolute() {
        let relative = DatabaseUrl::parse("sqlite://data/bruka.db").expect("valid");
        assert_eq!(relative.sqlite_path(), Some(PathBuf::from("data/bruka.db")));
        let absolute = DatabaseUrl::parse("sqlite:///var/lib/bruka/bruka.db").expect("valid");
        assert_eq!(
            absolute.sqlite_path(),
            Some(PathBuf::from("/var/lib/bruka/bruka.db"))
        );
    }

    #[test]
    fn passwords_never_reach_logs() {
        let url = DatabaseUrl::parse("postgres://bruka:s3cret@db:5432/bruka").expect("valid");
        assert_eq!(url.to_string(), "postgres://bruka:***@db:5432/bruka");
        assert!(!format!("{url:?}").contains("s3cret"));
    }
}
