//! Sign-in by mailed link: asking for a link (rate-limited, the same answer whether or not
//! the address may sign in), using it once, and signing out.

use std::net::IpAddr;

use chrono::Utc;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::{App, Failure};
use crate::accounts::login::{self, LoginError};
use crate::accounts::sessions::{self, Session};
use crate::accounts::tokens::{self, LOGIN_LINK_LIFETIME, Purpose, random_id};
use crate::accounts::{self, Email, User};
use crate::i18n::Language;
use crate::ids::UserId;
use crate::mail::notices::{Notice, Recipient};
use crate::refusal::{Refusal, Refuses};

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("too many sign-in requests")]
    TooMany,
    #[error("the link has expired")]
    LinkExpired,
    #[error("the link is not one of ours")]
    LinkInvalid,
    #[error("the link has already been used")]
    LinkSpent,
    #[error("the account cannot sign in")]
    Account,
    #[error("the code is wrong, used up or expired")]
    WrongCode,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for SignInError {
    fn refusal(self) -> Refusal {
        match self {
            SignInError::Db(error) => Refusal::Failed(Box::new(error)),
            // The sign-in pages answer these themselves; elsewhere they mean "no".
            _ => Refusal::Forbidden,
        }
    }
}

impl From<tokens::TokenError> for SignInError {
    fn from(error: tokens::TokenError) -> Self {
        match error {
            tokens::TokenError::Expired => SignInError::LinkExpired,
            tokens::TokenError::Invalid => SignInError::LinkInvalid,
        }
    }
}

/// Mails a sign-in link to `email` if its domain belongs to an organisation. Who asks is
/// not told which: the answer is the same either way.
pub async fn request_link(
    app: &App,
    email: Email,
    client: Option<IpAddr>,
    next: &str,
    language: Language,
) -> Result<(), Failure<SignInError>> {
    let limited = email.clone();
    let limits = app.login_limits;
    let allowed = app
        .read(move |conn| limits.allow(conn, client, limited.as_str()))
        .await
        .map_err(|failure| failure.map_refused(SignInError::Db))?;
    if !allowed {
        return Err(Failure::Refused(SignInError::TooMany));
    }
    let jti = random_id();
    let code = tokens::sign_in_code();
    let code_digest = app.sign_in.keys.code_digest(&jti, &code);
    let expires_at = Utc::now() + LOGIN_LINK_LIFETIME;
    let token = app
        .sign_in
        .keys
        .issue(Purpose::Login, email.as_str(), &jti, expires_at);
    let mut link = format!("{}/login/confirm?token={token}", app.site.0);
    if next != "/" {
        link.push_str("&next=");
        link.push_str(&utf8_percent_encode(next, NON_ALPHANUMERIC).to_string());
    }
    let notice = Notice::SignInLink {
        link: link.clone(),
        minutes: LOGIN_LINK_LIFETIME.num_minutes(),
        code,
    };
    let to = Recipient::new(email.as_str(), language);
    // The answer does not wait for the link to be stored and queued: only a known domain
    // has that work, and waiting for it would tell a stranger which domains are known.
    let (pool, mail) = (app.db.clone(), app.mail.clone());
    tokio::spawn(async move {
        let sent_email = email.clone();
        let sent = tokio::task::spawn_blocking(move || -> anyhow::Result<bool> {
            let mut conn = pool.get()?;
            Ok(login::send_link(
                &mut conn,
                &sent_email,
                &jti,
                &code_digest,
                expires_at,
                &to,
                &notice,
            )?)
        })
        .await;
        match sent {
            Ok(Ok(true)) => {
                mail.wake_worker();
                if mail.logs_links {
                    tracing::info!(email = %email, %link, "sign-in link (no SMTP configured; the mail is in the mail folder too)");
                }
            }
            Ok(Ok(false)) => {}
            Ok(Err(error)) => tracing::error!(%error, "a sign-in link could not be queued"),
            Err(error) => tracing::error!(%error, "queueing a sign-in link stopped"),
        }
    });
    Ok(())
}

/// Whose link `token` is, without using it up (the page a mailed link opens).
pub fn link_owner(app: &App, token: &str) -> Result<String, SignInError> {
    Ok(app.sign_in.keys.verify(token, Purpose::Login)?.sub)
}

/// Uses the link once and starts a session; the first sign-in creates the person. The
/// flag says they moved to another organisation (see `accounts::membership`).
pub async fn confirm(
    app: &App,
    token: &str,
    language: Language,
) -> Result<(User, Session, bool), Failure<SignInError>> {
    let claims = app
        .sign_in
        .keys
        .verify(token, Purpose::Login)
        .map_err(|error| Failure::Refused(error.into()))?;
    let email =
        Email::parse(&claims.sub).map_err(|_| Failure::Refused(SignInError::LinkInvalid))?;
    let idle = app.sign_in.idle;
    let (user, session, moved) = app
        .read(move |conn| -> Result<_, SignInError> {
            let login::Arrival { user, moved } = login::consume_link(conn, &claims.jti, &email)
                .map_err(|error| match error {
                    LoginError::LinkSpent | LoginError::WrongCode => SignInError::LinkSpent,
                    other => other.into(),
                })?;
            accounts::record_login(conn, user.id, language)?;
            let session = sessions::create(conn, user.id, idle)?;
            Ok((user, session, moved))
        })
        .await?;
    tracing::info!(user_id = %user.id, moved, "signed in");
    Ok((user, session, moved))
}

impl From<LoginError> for SignInError {
    fn from(error: LoginError) -> Self {
        match error {
            LoginError::LinkSpent => SignInError::LinkSpent,
            LoginError::WrongCode => SignInError::WrongCode,
            LoginError::NoOrganisation | LoginError::Disabled | LoginError::OtherOrganisation => {
                SignInError::Account
            }
            LoginError::Db(error) => SignInError::Db(error),
        }
    }
}

/// Signs in with the six-digit code from the mail, typed on another device than the one
/// the mail is read on. Tries count against the address and the client like requests for
/// links, and against the code itself (see `accounts::login::consume_code`).
pub async fn confirm_code(
    app: &App,
    email: Email,
    typed: &str,
    client: Option<IpAddr>,
    language: Language,
) -> Result<(User, Session, bool), Failure<SignInError>> {
    // Something that is no code at all cannot be right, so it costs no try.
    let code = tokens::normalise_code(typed).ok_or(Failure::Refused(SignInError::WrongCode))?;
    let limits = app.login_limits;
    let limited = email.clone();
    let allowed = app
        .read(move |conn| limits.allow_code(conn, client, limited.as_str()))
        .await
        .map_err(|failure| failure.map_refused(SignInError::Db))?;
    if !allowed {
        return Err(Failure::Refused(SignInError::TooMany));
    }
    let keys = app.sign_in.keys.clone();
    let idle = app.sign_in.idle;
    let (user, session, moved) = app
        .read(move |conn| -> Result<_, SignInError> {
            let login::Arrival { user, moved } =
                login::consume_code(conn, &email, |jti, digest| {
                    let expected = keys.code_digest(jti, &code);
                    subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), digest.as_bytes()).into()
                })?;
            accounts::record_login(conn, user.id, language)?;
            let session = sessions::create(conn, user.id, idle)?;
            Ok((user, session, moved))
        })
        .await?;
    tracing::info!(user_id = %user.id, moved, "signed in with a code");
    Ok((user, session, moved))
}

/// Ends the session on the server, so the cookie is worthless even if it was copied.
pub async fn sign_out(
    app: &App,
    user_id: UserId,
    session_id: String,
) -> Result<(), Failure<SignInError>> {
    app.read(move |conn| sessions::revoke(conn, &session_id).map_err(SignInError::from))
        .await?;
    tracing::info!(%user_id, "signed out");
    Ok(())
}
