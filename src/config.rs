//! Settings: built-in defaults, then an optional `bruka.toml`, then `BRUKA_*` environment variables.
//!
//! The file has a section per part of Bruka (`[database]`, `[mail]`, `[photos]`, …); the
//! environment variables keep one flat name per setting (`BRUKA_SMTP_URL`, see
//! [`ENVIRONMENT`]). Values are parsed into types that can only hold valid ones (non-zero
//! sizes, http(s) addresses, mailboxes, secrets that never print), so a bad value stops
//! start-up with a message that names the setting instead of failing later in a request.

use std::fmt;
use std::net::SocketAddr;
use std::num::{NonZeroU32, NonZeroU64};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use crate::db::DatabaseUrl;

/// The configuration file read when `--config`/`BRUKA_CONFIG` names none.
pub const DEFAULT_CONFIG_FILE: &str = "bruka.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where Bruka keeps its own files (SQLite database, photos, mail, secrets).
    pub data_dir: PathBuf,
    /// Address and port to listen on.
    pub bind: SocketAddr,
    /// The address people use to reach Bruka (used in links and mails); defaults to `http://BIND`.
    pub public_url: Option<PublicUrl>,
    /// `pretty` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// Seconds in-flight requests get to finish after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// Key that signs sign-in links and session cookies. When unset, one is generated into
    /// `DATA_DIR/secret.key`; several instances must share one.
    pub secret_key: Option<SecretKey>,
    /// Behind a reverse proxy or load balancer: take the client address for rate limits from
    /// its X-Forwarded-For header. Leave off when clients connect directly (they could forge it).
    pub trust_forwarded_for: bool,
    /// On a database without organisations, create an example organisation with an admin so
    /// a first `cargo run` can be signed in to at once.
    pub demo_bootstrap: bool,
    pub database: DatabaseSettings,
    pub mail: MailSettings,
    pub sessions: SessionSettings,
    pub limits: LimitSettings,
    pub photos: PhotoSettings,
    pub reservations: ReservationSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` or `postgres://…`; defaults to a SQLite file inside `data_dir`.
    pub url: Option<DatabaseUrl>,
    /// Connections kept per instance.
    pub pool_size: NonZeroU32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// When unset, mail is written as .eml files to `dir` and sign-in links are logged.
    pub smtp_url: Option<SmtpUrl>,
    /// Sender of every mail.
    pub from: MailFrom,
    /// Where mail goes without SMTP; defaults to `DATA_DIR/mail`.
    pub dir: Option<PathBuf>,
    /// How often the mail worker looks for due mail (it is also woken when mail is queued).
    pub poll_interval_ms: NonZeroU64,
    /// First retry delay after a failed delivery; doubles per attempt up to an hour.
    pub retry_base_ms: NonZeroU64,
    /// Seconds a worker holds a mail it is sending; after a crash another instance sends it
    /// once this has passed. Keep it above the 20 s SMTP timeout.
    pub lease_secs: NonZeroU64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    /// A session ends after this many days without use.
    pub idle_days: NonZeroU32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// Sign-in links per e-mail address per hour.
    pub login_per_address: NonZeroU32,
    /// Sign-in requests per client IP address per hour.
    pub login_per_ip: NonZeroU32,
    /// API requests per person (all their tokens together) per minute.
    pub api_per_minute: NonZeroU32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhotoSettings {
    /// Where photos are stored; defaults to `DATA_DIR/photos`.
    pub dir: Option<PathBuf>,
    /// Largest accepted photo upload, in megabytes.
    pub max_mb: NonZeroU32,
    /// Photos per listing.
    pub per_item: NonZeroU32,
    /// Uploads decoded at the same time per instance (each can take ~300 MB); the rest
    /// wait their turn.
    pub decode_at_once: NonZeroU32,
    /// An S3-compatible bucket instead of the folder, for several instances; see
    /// [`S3Settings`].
    pub s3: Option<S3Settings>,
}

/// An S3-compatible object store (AWS S3, or a self-hosted one such as MinIO, Ceph or
/// Garage). Credentials not given here come from the usual `AWS_*` environment variables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    pub bucket: String,
    /// The store's address, e.g. `https://s3.kommun.se`; AWS when unset.
    pub endpoint: Option<String>,
    #[serde(default = "default_region")]
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<S3Secret>,
    /// Bucket in the path (`endpoint/bucket/key`), as self-hosted stores expect; defaults
    /// to on when an endpoint is given.
    pub path_style: Option<bool>,
}

fn default_region() -> String {
    "us-east-1".into()
}

/// The S3 secret key; never printed.
#[derive(Clone, Deserialize)]
#[serde(from = "String")]
pub struct S3Secret(SecretString);

impl From<String> for S3Secret {
    fn from(raw: String) -> Self {
        Self(SecretString::from(raw))
    }
}

impl S3Secret {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for S3Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("S3Secret([redacted])")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReservationSettings {
    /// Days a requester has to pick up what they reserved.
    pub pickup_days: NonZeroU32,
    /// Hours before the pickup deadline that the requester is reminded.
    pub reminder_hours: u32,
    /// Hours the first in a listing's queue has to take units offered to them.
    pub offer_hours: NonZeroU32,
    /// How often reminders and expiry (of reservations and listings) are checked.
    pub check_interval_ms: NonZeroU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Values that are not zero, written where the defaults are.
fn at_least_one(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap_or(NonZeroU32::MIN)
}

fn at_least_one_u64(value: u64) -> NonZeroU64 {
    NonZeroU64::new(value).unwrap_or(NonZeroU64::MIN)
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            log_format: LogFormat::Pretty,
            shutdown_timeout_secs: 30,
            secret_key: None,
            trust_forwarded_for: false,
            demo_bootstrap: true,
            database: DatabaseSettings::default(),
            mail: MailSettings::default(),
            sessions: SessionSettings::default(),
            limits: LimitSettings::default(),
            photos: PhotoSettings::default(),
            reservations: ReservationSettings::default(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            pool_size: at_least_one(10),
        }
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: MailFrom::default(),
            dir: None,
            poll_interval_ms: at_least_one_u64(2000),
            retry_base_ms: at_least_one_u64(5000),
            lease_secs: at_least_one_u64(60),
        }
    }
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            idle_days: at_least_one(14),
        }
    }
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            login_per_address: at_least_one(5),
            login_per_ip: at_least_one(30),
            api_per_minute: at_least_one(600),
        }
    }
}

impl Default for PhotoSettings {
    fn default() -> Self {
        Self {
            dir: None,
            max_mb: at_least_one(15),
            per_item: at_least_one(10),
            decode_at_once: at_least_one(2),
            s3: None,
        }
    }
}

impl Default for ReservationSettings {
    fn default() -> Self {
        Self {
            pickup_days: at_least_one(7),
            reminder_hours: 24,
            offer_hours: at_least_one(48),
            check_interval_ms: at_least_one_u64(60_000),
        }
    }
}

/// Reads a value through its `FromStr`, so the file, the environment and code check it the
/// same way.
fn from_text<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr<Err = String>,
{
    String::deserialize(deserializer)?
        .parse()
        .map_err(serde::de::Error::custom)
}

/// Where people reach Bruka: `http://` or `https://`, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PublicUrl(String);

impl FromStr for PublicUrl {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let url = raw.trim().trim_end_matches('/');
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() => Ok(Self(url.to_string())),
            _ => Err(format!(
                "public_url must start with http:// or https://, got `{raw}`"
            )),
        }
    }
}

impl TryFrom<String> for PublicUrl {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        raw.parse()
    }
}

impl PublicUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

/// The signing key: at least 32 characters, never printed.
#[derive(Clone, Deserialize)]
pub struct SecretKey(#[serde(deserialize_with = "from_text")] Checked<32>);

/// A secret that passed its length check.
#[derive(Clone)]
struct Checked<const MIN: usize>(SecretString);

impl<const MIN: usize> FromStr for Checked<MIN> {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        if raw.len() < MIN {
            return Err(format!("secret_key must be at least {MIN} characters"));
        }
        Ok(Self(SecretString::from(raw.to_string())))
    }
}

impl SecretKey {
    pub fn expose(&self) -> &str {
        self.0.0.expose_secret()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl FromStr for SecretKey {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        raw.parse().map(SecretKey)
    }
}

/// The SMTP server with its credentials: `smtp://` (STARTTLS with `?tls=required`) or
/// `smtps://`. Never printed: it carries the password.
#[derive(Clone, Deserialize)]
pub struct SmtpUrl(#[serde(deserialize_with = "from_text")] SmtpSecret);

#[derive(Clone)]
struct SmtpSecret(SecretString);

impl FromStr for SmtpSecret {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        if raw.starts_with("smtp://") || raw.starts_with("smtps://") {
            Ok(Self(SecretString::from(raw.to_string())))
        } else {
            Err("smtp_url must start with smtp:// (STARTTLS with ?tls=required) or smtps://".into())
        }
    }
}

impl FromStr for SmtpUrl {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        raw.parse().map(SmtpUrl)
    }
}

impl SmtpUrl {
    pub fn expose(&self) -> &str {
        self.0.0.expose_secret()
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmtpUrl([redacted])")
    }
}

/// The sender of every mail, such as `Bruka <bruka@kommun.se>`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct MailFrom(lettre::message::Mailbox);

impl Default for MailFrom {
    fn default() -> Self {
        Self(lettre::message::Mailbox::new(
            Some("Bruka".into()),
            lettre::Address::new("bruka", "localhost")
                .unwrap_or_else(|_| unreachable!("a fixed, valid address")),
        ))
    }
}

impl TryFrom<String> for MailFrom {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        raw.parse()
    }
}

impl FromStr for MailFrom {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        raw.parse().map(MailFrom).map_err(|_| {
            format!("mail_from `{raw}` is not a mailbox such as `Bruka <bruka@kommun.se>`")
        })
    }
}

impl MailFrom {
    pub fn mailbox(&self) -> &lettre::message::Mailbox {
        &self.0
    }
}

/// Each setting's environment variable (after `BRUKA_`) and its place in the file.
pub const ENVIRONMENT: [(&str, &str); 34] = [
    ("DATA_DIR", "data_dir"),
    ("BIND", "bind"),
    ("PUBLIC_URL", "public_url"),
    ("LOG_FORMAT", "log_format"),
    ("SHUTDOWN_TIMEOUT_SECS", "shutdown_timeout_secs"),
    ("SECRET_KEY", "secret_key"),
    ("TRUST_FORWARDED_FOR", "trust_forwarded_for"),
    ("DEMO_BOOTSTRAP", "demo_bootstrap"),
    ("DATABASE_URL", "database.url"),
    ("DATABASE_POOL_SIZE", "database.pool_size"),
    ("SMTP_URL", "mail.smtp_url"),
    ("MAIL_FROM", "mail.from"),
    ("MAIL_DIR", "mail.dir"),
    ("MAIL_POLL_INTERVAL_MS", "mail.poll_interval_ms"),
    ("MAIL_RETRY_BASE_MS", "mail.retry_base_ms"),
    ("MAIL_LEASE_SECS", "mail.lease_secs"),
    ("SESSION_IDLE_DAYS", "sessions.idle_days"),
    ("LOGIN_LIMIT_PER_ADDRESS", "limits.login_per_address"),
    ("LOGIN_LIMIT_PER_IP", "limits.login_per_ip"),
    ("API_LIMIT_PER_MINUTE", "limits.api_per_minute"),
    ("PHOTOS_DIR", "photos.dir"),
    ("PHOTO_MAX_MB", "photos.max_mb"),
    ("PHOTOS_PER_ITEM", "photos.per_item"),
    ("PHOTOS_DECODE_AT_ONCE", "photos.decode_at_once"),
    ("PHOTOS_S3_BUCKET", "photos.s3.bucket"),
    ("PHOTOS_S3_ENDPOINT", "photos.s3.endpoint"),
    ("PHOTOS_S3_REGION", "photos.s3.region"),
    ("PHOTOS_S3_ACCESS_KEY_ID", "photos.s3.access_key_id"),
    ("PHOTOS_S3_SECRET_ACCESS_KEY", "photos.s3.secret_access_key"),
    ("PHOTOS_S3_PATH_STYLE", "photos.s3.path_style"),
    ("RESERVATION_PICKUP_DAYS", "reservations.pickup_days"),
    ("RESERVATION_REMINDER_HOURS", "reservations.reminder_hours"),
    ("RESERVATION_OFFER_HOURS", "reservations.offer_hours"),
    (
        "RESERVATION_CHECK_INTERVAL_MS",
        "reservations.check_interval_ms",
    ),
];

/// `BRUKA_*` variables that name a setting, placed where the file has it. Others
/// (BRUKA_CONFIG, the test suite's BRUKA_TEST_POSTGRES_URL, …) share the prefix but are not
/// settings.
fn settings_from_env() -> Env {
    Env::prefixed("BRUKA_").filter_map(|key| {
        ENVIRONMENT
            .iter()
            .find(|(name, _)| key.as_str().eq_ignore_ascii_case(name))
            .map(|(_, path)| (*path).into())
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    /// `setting` names the file key and its environment variable.
    #[error("invalid configuration: {source}{setting}")]
    Invalid {
        source: Box<figment::Error>,
        setting: String,
    },
}

impl From<figment::Error> for ConfigError {
    fn from(error: figment::Error) -> Self {
        let path = error.path.join(".");
        let setting = ENVIRONMENT
            .iter()
            .find(|(_, file_key)| *file_key == path)
            .map(|(name, _)| {
                format!(" (`{path}` in {DEFAULT_CONFIG_FILE}, BRUKA_{name} in the environment)")
            })
            .unwrap_or_default();
        ConfigError::Invalid {
            source: Box::new(error),
            setting,
        }
    }
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
            Figment::new()
                .merge(Toml::file(file))
                .merge(settings_from_env()),
        )
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        Ok(figment.extract()?)
    }

    pub fn photos_dir(&self) -> PathBuf {
        self.photos
            .dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("photos"))
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.mail
            .dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("mail"))
    }

    pub fn database_url(&self) -> DatabaseUrl {
        self.database
            .url
            .clone()
            .unwrap_or_else(|| DatabaseUrl::sqlite_file(self.data_dir.join("bruka.db")))
    }

    /// The address to show people; the bound port replaces the configured one so that
    /// `bind = "127.0.0.1:0"` still prints something usable.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.as_str().to_string(),
            None => format!("http://{bound}"),
        }
    }

    /// Whether cookies should be marked `Secure` (the public address is HTTPS).
    pub fn behind_tls(&self) -> bool {
        self.public_url.as_ref().is_some_and(PublicUrl::is_https)
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
            Figment::new()
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
            assert_eq!(settings.database.pool_size.get(), 10);
            assert_eq!(
                settings.mail.from.mailbox().to_string(),
                "Bruka <bruka@localhost>"
            );
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
    fn sections_in_the_file_and_flat_names_in_the_environment() {
        Jail::expect_with(|jail| {
            jail.create_file(
                DEFAULT_CONFIG_FILE,
                "[mail]\nfrom = \"Återbruk <aterbruk@boras.se>\"\n\n[photos]\nmax_mb = 8\n\n[reservations]\npickup_days = 3",
            )?;
            jail.set_env("BRUKA_RESERVATION_PICKUP_DAYS", "5");
            jail.set_env("BRUKA_LOGIN_LIMIT_PER_IP", "99");
            let settings = load_in_jail().expect("valid");
            assert_eq!(settings.photos.max_mb.get(), 8);
            assert_eq!(settings.reservations.pickup_days.get(), 5, "env wins");
            assert_eq!(settings.limits.login_per_ip.get(), 99);
            assert_eq!(
                settings.mail.from.mailbox().email.to_string(),
                "aterbruk@boras.se"
            );
            Ok(())
        });
    }

    #[test]
    fn invalid_values_are_refused_with_the_setting_named() {
        let cases = [
            ("BRUKA_DATABASE_POOL_SIZE", "0", "pool_size"),
            ("BRUKA_PHOTO_MAX_MB", "0", "max_mb"),
            ("BRUKA_MAIL_LEASE_SECS", "0", "lease_secs"),
            ("BRUKA_PUBLIC_URL", "bruka.boras.se", "public_url"),
            ("BRUKA_SECRET_KEY", "too short", "32 characters"),
            ("BRUKA_SMTP_URL", "mail.boras.se:25", "smtp_url"),
            ("BRUKA_MAIL_FROM", "not a mailbox", "mail_from"),
        ];
        for (variable, value, named) in cases {
            Jail::expect_with(|jail| {
                jail.set_env(variable, value);
                let message = load_in_jail().expect_err(variable).to_string();
                assert!(message.contains(named), "{variable}: {message}");
                Ok(())
            });
        }
    }

    #[test]
    fn secrets_do_not_print() {
        Jail::expect_with(|jail| {
            let key = "k".repeat(40);
            jail.set_env("BRUKA_SECRET_KEY", &key);
            jail.set_env("BRUKA_SMTP_URL", "smtps://bruka:hemligt@smtp.boras.se:465");
            let settings = load_in_jail().expect("valid");
            let printed = format!("{settings:?}");
            assert!(!printed.contains(&key), "{printed}");
            assert!(!printed.contains("hemligt"), "{printed}");
            assert_eq!(
                settings.secret_key.as_ref().map(SecretKey::expose),
                Some(key.as_str())
            );
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
