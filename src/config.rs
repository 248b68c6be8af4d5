//! Settings: built-in defaults, then an optional `bruka.toml`, then `BRUKA_*` environment variables.
//!
//! Values are validated while they are read, so a bad value stops start-up with a message that
//! names the setting and where it came from instead of failing later inside a request.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::db::DatabaseUrl;

/// The configuration file read when `--config`/`BRUKA_CONFIG` names none.
pub const DEFAULT_CONFIG_FILE: &str = "bruka.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Where Bruka keeps its own files (SQLite database, photos, mail, secrets).
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`; defaults to a SQLite file inside `data_dir`.
    pub database_url: Option<DatabaseUrl>,
    /// Connections kept per instance.
    pub database_pool_size: u32,
    /// Address and port to listen on.
    pub bind: SocketAddr,
    /// The address people use to reach Bruka (used in links and mails); defaults to `http://BIND`.
    pub public_url: Option<String>,
    /// `pretty` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// Seconds in-flight requests get to finish after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// Key that signs sign-in links and session cookies (at least 32 characters). When unset,
    /// one is generated into `DATA_DIR/secret.key`; several instances must share one.
    pub secret_key: Option<String>,
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465`.
    /// When unset, mail is written as .eml files to `mail_dir` and sign-in links are logged.
    pub smtp_url: Option<String>,
    /// Sender of every mail.
    pub mail_from: String,
    /// Where mail goes without SMTP; defaults to `DATA_DIR/mail`.
    pub mail_dir: Option<PathBuf>,
    /// How often the mail worker looks for due mail (it is also woken when mail is queued).
    pub mail_poll_interval_ms: u64,
    /// First retry delay after a failed delivery; doubles per attempt up to an hour.
    pub mail_retry_base_ms: u64,
    /// Seconds a worker holds a mail it is sending; after a crash another instance sends it
    /// once this has passed. Keep it above the 20 s SMTP timeout.
    pub mail_lease_secs: u64,
    /// A session ends after this many days without use.
    pub session_idle_days: u32,
    /// Sign-in links per e-mail address per hour.
    pub login_limit_per_address: u32,
    /// Sign-in requests per client IP address per hour.
    pub login_limit_per_ip: u32,
    /// API requests per person (all their tokens together) per minute.
    pub api_limit_per_minute: u32,
    /// Where photos are stored; defaults to `DATA_DIR/photos`.
    pub photos_dir: Option<PathBuf>,
    /// Largest accepted photo upload, in megabytes.
    pub photo_max_mb: u32,
    /// Photos per listing.
    pub photos_per_item: u32,
    /// Behind a reverse proxy or load balancer: take the client address for rate limits from
    /// its X-Forwarded-For header. Leave off when clients connect directly (they could forge it).
    pub trust_forwarded_for: bool,
    /// On a database without organisations, create an example organisation with an admin so
    /// a first `cargo run` can be signed in to at once.
    pub demo_bootstrap: bool,
    /// Days a requester has to pick up what they reserved.
    pub reservation_pickup_days: u32,
    /// Hours before the pickup deadline that the requester is reminded.
    pub reservation_reminder_hours: u32,
    /// How often reminders and expiry are checked, in milliseconds.
    pub reservation_check_interval_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_pool_size: 10,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            log_format: LogFormat::Pretty,
            shutdown_timeout_secs: 30,
            secret_key: None,
            smtp_url: None,
            mail_from: "Bruka <bruka@localhost>".into(),
            mail_dir: None,
            mail_poll_interval_ms: 2000,
            mail_retry_base_ms: 5000,
            mail_lease_secs: 60,
            session_idle_days: 14,
            login_limit_per_address: 5,
            login_limit_per_ip: 30,
            api_limit_per_minute: 600,
            photos_dir: None,
            photo_max_mb: 15,
            photos_per_item: 10,
            trust_forwarded_for: false,
            demo_bootstrap: true,
            reservation_pickup_days: 7,
            reservation_reminder_hours: 24,
            reservation_check_interval_ms: 60_000,
        }
    }
}

/// `BRUKA_*` variables that name a setting. Others (BRUKA_CONFIG, the test suite's
/// BRUKA_TEST_POSTGRES_URL, …) share the prefix but are not settings.
fn settings_from_env() -> Env {
    let keys: Vec<String> = match serde_json::to_value(Settings::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    };
    Env::prefixed("BRUKA_").filter(move |key| keys.iter().any(|known| key == known.as_str()))
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    #[error("invalid configuration: {0}")]
    Rule(String),
}

impl Settings {
    /// Reads the layered configuration. `explicit_file` must exist when given; the default
    /// `bruka.toml` is optional.
    pub fn load(explicit_file: Option<&Path>) -> Result<Self, ConfigError> {
        let file = match explicit_file {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.into())),
            Some(path) => path.to_path_buf(),
            None => PathBuf::from(DEFAULT_CONFIG_FILE),
        };
        Self::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(Toml::file(file))
                .merge(settings_from_env()),
        )
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let settings: Settings = figment.extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.database_pool_size == 0 {
            return Err(ConfigError::Rule(
                "database_pool_size must be at least 1".into(),
            ));
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Rule(format!(
                "public_url must start with http:// or https://, got `{url}`"
            )));
        }
        if let Some(key) = &self.secret_key
            && key.len() < 32
        {
            return Err(ConfigError::Rule(
                "secret_key must be at least 32 characters".into(),
            ));
        }
        if let Some(url) = &self.smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            return Err(ConfigError::Rule(
                "smtp_url must start with smtp:// (STARTTLS with ?tls=required) or smtps://".into(),
            ));
        }
        if self.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::Rule(format!(
                "mail_from `{}` is not a mailbox such as `Bruka <bruka@kommun.se>`",
                self.mail_from
            )));
        }
        if self.login_limit_per_address == 0
            || self.login_limit_per_ip == 0
            || self.api_limit_per_minute == 0
        {
            return Err(ConfigError::Rule(
                "login and API limits must be at least 1".into(),
            ));
        }
        if self.photo_max_mb == 0 || self.photos_per_item == 0 {
            return Err(ConfigError::Rule(
                "photo_max_mb and photos_per_item must be at least 1".into(),
            ));
        }
        if self.mail_lease_secs == 0 {
            return Err(ConfigError::Rule(
                "mail_lease_secs must be at least 1".into(),
            ));
        }
        if self.reservation_pickup_days == 0 || self.reservation_check_interval_ms == 0 {
            return Err(ConfigError::Rule(
                "reservation_pickup_days and reservation_check_interval_ms must be at least 1"
                    .into(),
            ));
        }
        if self.session_idle_days == 0 {
            return Err(ConfigError::Rule(
                "session_idle_days must be at least 1".into(),
            ));
        }
        Ok(())
    }

    pub fn photos_dir(&self) -> PathBuf {
        self.photos_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("photos"))
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.mail_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("mail"))
    }

    pub fn database_url(&self) -> DatabaseUrl {
        self.database_url
            .clone()
            .unwrap_or_else(|| DatabaseUrl::sqlite_file(self.data_dir.join("bruka.db")))
    }

    /// The address to show people; the bound port replaces the configured one so that
    /// `bind = "127.0.0.1:0"` still prints something usable.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{bound}"),
        }
    }

    /// Whether cookies should be marked `Secure` (the public address is HTTPS).
    pub fn behind_tls(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }
}

#[cfg(test)]
// figment's Jail closures must return figment::Error, which is large; not our choice.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    fn load_in_jail() -> Result<Settings, ConfigError> {
        Settings::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(Toml::file(DEFAULT_CONFIG_FILE))
                .merge(settings_from_env()),
        )
    }

    #[test]
    fn defaults_use_sqlite_in_data_dir() {
        Jail::expect_with(|_| {
            let settings = load_in_jail().expect("defaults are valid");
            assert_eq!(
                settings.database_url().to_string(),
                "sqlite://data/bruka.db"
            );
            assert_eq!(settings.bind.port(), 8080);
            Ok(())
        });
    }

    #[test]
    fn env_overrides_file() {
        Jail::expect_with(|jail| {
            jail.create_file(
                DEFAULT_CONFIG_FILE,
                "bind = \"127.0.0.1:9000\"\ndata_dir = \"x\"",
            )?;
            jail.set_env("BRUKA_BIND", "0.0.0.0:9100");
            let settings = load_in_jail().expect("valid");
            assert_eq!(settings.bind.port(), 9100);
            assert_eq!(settings.database_url().to_string(), "sqlite://x/bruka.db");
            Ok(())
        });
    }

    #[test]
    fn unknown_database_scheme_names_the_accepted_ones() {
        Jail::expect_with(|jail| {
            jail.set_env("BRUKA_DATABASE_URL", "mysql://localhost/bruka");
            let message = load_in_jail().expect_err("mysql is refused").to_string();
            assert!(message.contains("sqlite://"), "{message}");
            assert!(message.contains("postgres://"), "{message}");
            assert!(message.contains("DATABASE_URL"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn bad_bind_address_is_refused() {
        Jail::expect_with(|jail| {
            jail.set_env("BRUKA_BIND", "localhost");
            let message = load_in_jail()
                .expect_err("not a socket address")
                .to_string();
            assert!(message.contains("BIND"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_in_file_are_refused() {
        Jail::expect_with(|jail| {
            jail.create_file(DEFAULT_CONFIG_FILE, "databse_url = \"sqlite://x.db\"")?;
            let message = load_in_jail().expect_err("typo is caught").to_string();
            assert!(message.contains("databse_url"), "{message}");
            Ok(())
        });
    }
}
