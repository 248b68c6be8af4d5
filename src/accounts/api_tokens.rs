//! Personal API tokens for integrations (procurement and e-commerce systems). The secret is
//! shown once; only its SHA-256 is stored, so a leaked database does not leak tokens. A
//! token acts as the person who made it, with that person's organisation and role.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::User;
use super::tokens::random_id;
use crate::audit;
use crate::db::AnyConnection;
use crate::db::schema::{api_tokens, organisations, users};
use crate::ids::{NetworkId, OrganisationId, TokenId, UserId};
use crate::refusal::{FieldError, Message, Refusal, Refuses};

/// Every secret starts with this, so secret scanners and people recognise it.
pub const SECRET_PREFIX: &str = "bruka_";
/// Characters of the secret kept in clear to tell tokens apart in lists.
const SHOWN_CHARS: usize = 14;
/// Names are for people; this long at most.
pub const MAX_NAME_CHARS: usize = 80;
/// A person may hold this many live tokens.
pub const MAX_LIVE_TOKENS: i64 = 20;
/// Last use is written at most this often per token, sparing a write per request.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

crate::text_enum! {
    /// What a token may call.
    pub enum TokenScope ("token scope") {
        /// Everything its owner may do.
        Full = "full",
        /// Only reuse-before-you-buy checks, their receipts and purchases: for a
        /// procurement or e-commerce system that should not see or change listings.
        Procurement = "procurement",
    }
}

impl TokenScope {
    /// Whether a request to `path` is within the scope.
    pub fn allows(self, path: &str) -> bool {
        match self {
            TokenScope::Full => true,
            TokenScope::Procurement => {
                path == "/api/v1/reuse-before-you-buy"
                    || path == "/api/v1/purchases"
                    || path.starts_with("/api/v1/receipts/")
            }
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub scope: TokenScope,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("a token needs a name of at most {MAX_NAME_CHARS} characters")]
    InvalidName,
    #[error("too many live tokens")]
    TooMany,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for TokenError {
    fn refusal(self) -> Refusal {
        match self {
            TokenError::InvalidName => {
                Refusal::Invalid(vec![FieldError::new("name", "profile-error-token-name")])
            }
            TokenError::TooMany => Refusal::Conflict {
                code: "too_many_tokens",
                message: Message::new("profile-error-token-many"),
            },
            TokenError::Db(error) => error.refusal(),
        }
    }
}

fn digest(secret: &str) -> String {
    super::tokens::hex(&Sha256::digest(secret.as_bytes()))
}

/// Records a change to one of the person's tokens in their organisation's audit log.
fn audit_token(
    conn: &mut AnyConnection,
    user_id: UserId,
    token_id: TokenId,
    action: &str,
    detail: String,
) -> QueryResult<()> {
    let organisation_id: OrganisationId = users::table
        .find(user_id)
        .select(users::organisation_id)
        .first(conn)?;
    audit::record(
        conn,
        audit::Change {
            organisations: &[organisation_id],
            actor: Some(user_id),
            subject: audit::Subject::ApiToken(token_id),
            action,
            detail,
        },
    )
}

/// Creates a token for `user_id`; returns it with its secret (shown once, never stored).
/// The audit log names the token, never its secret.
pub fn create(
    conn: &mut AnyConnection,
    user_id: UserId,
    name: &str,
    scope: TokenScope,
) -> Result<(ApiToken, String), TokenError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(TokenError::InvalidName);
    }
    crate::db::write_transaction(conn, |conn| {
        let live: i64 = api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null())
            .count()
            .get_result(conn)?;
        if live >= MAX_LIVE_TOKENS {
            return Err(TokenError::TooMany);
        }
        let secret = format!("{SECRET_PREFIX}{}", random_id());
        let prefix: String = secret.chars().take(SHOWN_CHARS).collect();
        let token: ApiToken = diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::user_id.eq(user_id),
                api_tokens::name.eq(name),
                api_tokens::prefix.eq(&prefix),
                api_tokens::secret_sha256.eq(digest(&secret)),
                api_tokens::created_at.eq(Utc::now().naive_utc()),
                api_tokens::scope.eq(scope),
            ))
            .returning(api_tokens::id)
            .get_result::<i64>(conn)
            .and_then(|id| {
                api_tokens::table
                    .find(id)
                    .select(ApiToken::as_select())
                    .first(conn)
            })?;
        let detail = format!("{} ({prefix}…, {})", token.name, scope.as_str());
        audit_token(conn, user_id, token.id, "api_token_created", detail)?;
        Ok((token, secret))
    })
}

/// A person's tokens, live ones first, newest first.
pub fn of_user(conn: &mut AnyConnection, user_id: UserId) -> QueryResult<Vec<ApiToken>> {
    let mut tokens: Vec<ApiToken> = api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::id.desc())
        .select(ApiToken::as_select())
        .load(conn)?;
    tokens.sort_by_key(|token| token.revoked_at.is_some());
    Ok(tokens)
}

/// Revokes one of the person's own tokens; false if there is no such live token.
pub fn revoke(conn: &mut AnyConnection, user_id: UserId, token_id: TokenId) -> QueryResult<bool> {
    crate::db::write_transaction(conn, |conn| {
        let changed = diesel::update(
            api_tokens::table
                .filter(api_tokens::id.eq(token_id))
                .filter(api_tokens::user_id.eq(user_id))
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(Some(Utc::now().naive_utc())))
        .execute(conn)?;
        if changed == 1 {
            audit_token(conn, user_id, token_id, "api_token_revoked", String::new())?;
        }
        Ok(changed == 1)
    })
}

/// Who presented a token, with the network of their organisation (what they may see
/// depends on it, so it is read in the same query).
#[derive(Debug, Clone)]
pub struct Bearer {
    pub user: User,
    pub network_id: Option<NetworkId>,
    pub scope: TokenScope,
}

/// A live token as authentication reads it.
type TokenRow = (
    TokenId,
    Option<NaiveDateTime>,
    TokenScope,
    User,
    Option<NetworkId>,
);

/// The person a presented secret belongs to, if the token is live and the person is not
/// disabled. Records the use (at most once a minute).
pub fn authenticate(conn: &mut AnyConnection, secret: &str) -> QueryResult<Option<Bearer>> {
    if !secret.starts_with(SECRET_PREFIX) {
        return Ok(None);
    }
    let found: Option<TokenRow> = api_tokens::table
        .inner_join(users::table.inner_join(organisations::table))
        .filter(api_tokens::secret_sha256.eq(digest(secret)))
        .filter(api_tokens::revoked_at.is_null())
        .filter(users::disabled.eq(false))
        .filter(super::follows_domain())
        .select((
            api_tokens::id,
            api_tokens::last_used_at,
            api_tokens::scope,
            User::as_select(),
            organisations::network_id,
        ))
        .first(conn)
        .optional()?;
    let Some((token_id, last_used_at, scope, user, network_id)) = found else {
        return Ok(None);
    };
    let now = Utc::now().naive_utc();
    if last_used_at.is_none_or(|at| now - at > TOUCH_INTERVAL) {
        diesel::update(api_tokens::table.find(token_id))
            .set(api_tokens::last_used_at.eq(Some(now)))
            .execute(conn)?;
    }
    Ok(Some(Bearer {
        user,
        network_id,
        scope,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_hex_sha256() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
