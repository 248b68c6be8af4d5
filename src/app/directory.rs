//! Sign-in with the organisation's directory: sending the browser to the provider, taking
//! it back, and the person who comes back (created on first sign-in, role and unit from
//! their groups). The protocol is `directory::oidc`; the rules are `directory`.

use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{App, Failure};
use crate::accounts::login::{self, Arrival, LoginError};
use crate::accounts::sessions::{self, Session};
use crate::accounts::tokens::{Purpose, TokenError};
use crate::accounts::{self, Email, User};
use crate::directory::oidc::{Attempt, ClientSettings, ProtocolError};
use crate::directory::{self, Directory, Refused};
use crate::i18n::Language;
use crate::ids::OrganisationId;
use crate::organisations;
use crate::refusal::{Refusal, Refuses};

/// How long a trip to the provider may take.
const ATTEMPT_LIFETIME: Duration = Duration::minutes(10);
/// A directory session must be renewed at the directory this often, however active.
pub const DIRECTORY_SESSION_LIFETIME: Duration = Duration::hours(12);
/// Where providers send people back to (registered at the provider as the redirect URI).
pub const CALLBACK_PATH: &str = "/login/directory/callback";

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("the sign-in took too long or its cookie is missing")]
    AttemptLost,
    #[error("the answer's state is not the one this browser was sent with")]
    WrongState,
    #[error("the organisation has no directory sign-in")]
    NotConfigured,
    #[error("the directory refused or failed: {0}")]
    Provider(String),
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error("the account cannot sign in")]
    Account,
    #[error("the client secret cannot be opened with this installation's key")]
    Secret,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for DirectoryError {
    fn refusal(self) -> Refusal {
        match self {
            DirectoryError::Db(error) => Refusal::Failed(Box::new(error)),
            DirectoryError::Secret => Refusal::Failed(Box::new(self)),
            _ => Refusal::Forbidden,
        }
    }
}

/// The cookie's content between the start of a sign-in and its return.
#[derive(Debug, Serialize, Deserialize)]
struct AttemptClaims {
    /// The organisation's id.
    sub: String,
    iat: i64,
    exp: i64,
    purpose: Purpose,
    attempt: Attempt,
    next: String,
}

/// The organisation whose directory signs in `email`, if it has one.
pub async fn directory_for(
    app: &App,
    email: &Email,
) -> Result<Option<Directory>, Failure<DirectoryError>> {
    let email = email.clone();
    app.read(move |conn| -> Result<_, DirectoryError> {
        let Some(organisation) = organisations::find_by_email_domain(conn, email.domain())? else {
            return Ok(None);
        };
        Ok(directory::find(conn, organisation.id)?)
    })
    .await
}

fn client<'a>(app: &'a App, directory: &'a Directory, secret: &'a str) -> ClientSettings<'a> {
    ClientSettings {
        issuer: &directory.issuer,
        client_id: &directory.client_id,
        client_secret: secret,
        redirect_url: &app.directory_callback,
    }
}

/// Where to send the browser, and the cookie that must come back with it.
pub async fn begin(
    app: &App,
    directory: &Directory,
    login_hint: &str,
    next: &str,
) -> Result<(String, String), Failure<DirectoryError>> {
    let secret = app
        .sealer
        .unseal(&directory.client_secret_sealed)
        .map_err(|_| Failure::Refused(DirectoryError::Secret))?;
    let (url, attempt) = app
        .directories
        .begin(&client(app, directory, &secret), login_hint)
        .await
        .map_err(|error| Failure::Refused(error.into()))?;
    let now = Utc::now();
    let cookie = app.sign_in.keys.sign(&AttemptClaims {
        sub: directory.organisation_id.0.to_string(),
        iat: now.timestamp(),
        exp: (now + ATTEMPT_LIFETIME).timestamp(),
        purpose: Purpose::DirectoryAttempt,
        attempt,
        next: next.to_string(),
    });
    Ok((url, cookie))
}

/// What came back from the provider.
pub struct Return<'a> {
    pub cookie: &'a str,
    pub state: &'a str,
    pub code: Option<&'a str>,
    /// The provider's `error` when it sent none (the person cancelled, or was refused).
    pub error: Option<&'a str>,
}

/// Who signed in, their session, whether they moved organisation, and where they go next.
pub struct SignedIn {
    pub user: User,
    pub session: Session,
    pub moved: bool,
    pub next: String,
}

/// Takes the browser back: the state must be the cookie's, the code is exchanged at the
/// provider and its ID token validated, the address must be vouched for and of the
/// directory's organisation, and the person may not be disabled.
pub async fn complete(
    app: &App,
    back: Return<'_>,
    language: Language,
) -> Result<SignedIn, Failure<DirectoryError>> {
    let refused = |error: DirectoryError| Failure::Refused(error);
    let claims: AttemptClaims = app
        .sign_in
        .keys
        .read_unexpired(back.cookie)
        .map_err(|_: TokenError| refused(DirectoryError::AttemptLost))?;
    if claims.purpose != Purpose::DirectoryAttempt {
        return Err(refused(DirectoryError::AttemptLost));
    }
    let same_state: bool =
        subtle::ConstantTimeEq::ct_eq(claims.attempt.state.as_bytes(), back.state.as_bytes())
            .into();
    if !same_state {
        return Err(refused(DirectoryError::WrongState));
    }
    if let Some(error) = back.error {
        return Err(refused(DirectoryError::Provider(
            error.chars().take(100).collect(),
        )));
    }
    let code = back
        .code
        .ok_or(refused(DirectoryError::Provider("no code".into())))?;
    let organisation_id = claims
        .sub
        .parse()
        .map(OrganisationId)
        .map_err(|_| refused(DirectoryError::AttemptLost))?;
    let directory = app
        .read(move |conn| directory::find(conn, organisation_id))
        .await
        .map_err(|failure| failure.map_refused(DirectoryError::Db))?
        .ok_or(refused(DirectoryError::NotConfigured))?;
    let secret = app
        .sealer
        .unseal(&directory.client_secret_sealed)
        .map_err(|_| refused(DirectoryError::Secret))?;
    let token = app
        .directories
        .finish(&client(app, &directory, &secret), &claims.attempt, code)
        .await
        .map_err(|error| {
            tracing::warn!(%error, organisation_id = %organisation_id, "directory sign-in refused");
            refused(error.into())
        })?;
    let email = directory::vouched_email(&directory, &token).map_err(|error| {
        tracing::warn!(%error, organisation_id = %organisation_id, "directory sign-in refused");
        refused(error.into())
    })?;
    let idle = app.sign_in.idle;
    let (user, session, moved) = app
        .read(move |conn| -> Result<_, DirectoryError> {
            let mapping = directory::group_roles(conn, organisation_id)?;
            let memberships: Vec<String> =
                token.groups.iter().chain(&token.roles).cloned().collect();
            let from_groups = directory::role_from_groups(&mapping, &memberships);
            let Arrival { user, moved } =
                login::arrive_from_directory(conn, &email, organisation_id, from_groups).map_err(
                    |error| match error {
                        LoginError::Db(error) => DirectoryError::Db(error),
                        LoginError::OtherOrganisation => Refused::OtherOrganisation.into(),
                        _ => DirectoryError::Account,
                    },
                )?;
            // The directory knows the name; the person still picks a unit if no group gave
            // one. Only then is the person read again.
            let user = match token.name.as_deref() {
                Some(name)
                    if user.needs_profile()
                        && accounts::set_profile(conn, &user, name, user.unit_id).is_ok() =>
                {
                    accounts::find(conn, user.id)?.ok_or(DirectoryError::Account)?
                }
                _ => user,
            };
            accounts::record_login(conn, user.id, language)?;
            directory::mark_verified(conn, organisation_id)?;
            let renew_by = (Utc::now() + DIRECTORY_SESSION_LIFETIME).naive_utc();
            let session = sessions::create_until(conn, user.id, idle, Some(renew_by))?;
            Ok((user, session, moved))
        })
        .await?;
    tracing::info!(user_id = %user.id, moved, "signed in with the directory");
    Ok(SignedIn {
        user,
        session,
        moved,
        next: claims.next,
    })
}

/// The provider's end-session address to offer someone who signed out, if their
/// organisation signs in with a directory that has one.
pub async fn end_session_offer(app: &App, organisation_id: OrganisationId) -> Option<String> {
    let directory = app
        .read(move |conn| directory::find(conn, organisation_id))
        .await
        .ok()??;
    let after = format!("{}/login?signed_out=1", app.site.0);
    app.directories
        .end_session_url(&directory.issuer, &directory.client_id, &after)
        .await
}
