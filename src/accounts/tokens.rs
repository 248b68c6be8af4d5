//! Signed tokens: the one-time sign-in link and the session cookie.
//!
//! Both are HS256 JWTs signed with the instance's secret. Each carries a purpose, so a login
//! token can never be replayed as a session or the other way round; the token ids are
//! recorded in the database, which is what makes links single use and logout final.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use rand::RngCore;
use serde::{Deserialize, Serialize};

pub const LOGIN_LINK_LIFETIME: Duration = Duration::minutes(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    Login,
    Session,
    /// A sign-in domain's confirmation link: `sub` the domain id, `jti` the address it went to.
    DomainProof,
    /// A directory sign-in under way: `sub` the organisation id.
    DirectoryAttempt,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Login: the e-mail address. Session: the session id.
    pub sub: String,
    /// Token id, recorded to make login links single use.
    pub jti: String,
    pub purpose: Purpose,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link or session has expired")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Keys the digests of sign-in codes, so a copy of the database alone cannot try all
    /// million codes offline.
    code_key: Vec<u8>,
}

/// Wrong tries before a sign-in code is dead (its link still works).
pub const CODE_ATTEMPTS: i32 = 5;

/// A six-digit sign-in code, every value equally likely.
pub fn sign_in_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// The code as a person may type it: digits only, spaces and dashes ignored.
pub fn normalise_code(typed: &str) -> Option<String> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// 32 random bytes as hex: ids that cannot be guessed.
pub fn random_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// Bytes as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        use sha2::Digest;
        let code_key = sha2::Sha256::new()
            .chain_update(b"bruka sign-in codes\0")
            .chain_update(secret)
            .finalize()
            .to_vec();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            code_key,
        }
    }

    /// The stored form of a sign-in code: an HMAC over the link's id and the code.
    pub fn code_digest(&self, jti: &str, code: &str) -> String {
        use hmac::Mac;
        let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.code_key) {
            Ok(mac) => mac,
            // HMAC takes keys of any length; this arm is never taken.
            Err(_) => return String::new(),
        };
        mac.update(jti.as_bytes());
        mac.update(b":");
        mac.update(code.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    pub fn issue(
        &self,
        purpose: Purpose,
        sub: &str,
        jti: &str,
        expires_at: DateTime<Utc>,
    ) -> String {
        let claims = Claims {
            sub: sub.to_string(),
            jti: jti.to_string(),
            purpose,
            iat: Utc::now().timestamp(),
            exp: expires_at.timestamp(),
        };
        // HS256 over owned strings cannot fail; an empty token would simply never verify.
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default()
    }

    /// Accepts only HS256 tokens signed with our key, unexpired, for the given purpose.
    /// `alg: none` and other algorithms are refused by the fixed algorithm list.
    /// Signs any claims that carry their own `sub` and `iat` (e.g. reuse-check receipts),
    /// with no expiry: such a signature proves what was said, and when.
    pub fn sign<T: Serialize>(&self, claims: &T) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding).unwrap_or_default()
    }

    /// Reads what [`TokenKeys::sign`] signed, if the signature is this installation's.
    pub fn read_signed<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<T, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["sub", "iat"]);
        decode::<T>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|_| TokenError::Invalid)
    }

    /// Reads what [`TokenKeys::sign`] signed with an `exp`, if it is ours and unexpired.
    pub fn read_unexpired<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<T, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        decode::<T>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }

    pub fn verify(&self, token: &str, purpose: Purpose) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        let claims = decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?
            .claims;
        if claims.purpose != purpose {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_typed_codes_are_normalised() {
        for _ in 0..200 {
            let code = sign_in_code();
            assert_eq!(normalise_code(&code).as_deref(), Some(code.as_str()));
        }
        assert_eq!(normalise_code(" 012 345 ").as_deref(), Some("012345"));
        assert_eq!(normalise_code("012-345").as_deref(), Some("012345"));
        assert_eq!(normalise_code("12345"), None);
        assert_eq!(normalise_code("1234567"), None);
        assert_eq!(normalise_code("12345a"), None);
        assert_eq!(normalise_code("١٢٣٤٥٦"), None, "only ASCII digits");
    }

    #[test]
    fn code_digests_depend_on_the_key_the_link_and_the_code() {
        let (a, b) = (keys(), TokenKeys::new(b"another secret, another install"));
        let digest = a.code_digest("jti", "123456");
        assert_eq!(digest.len(), 64);
        assert_eq!(digest, a.code_digest("jti", "123456"));
        assert_ne!(digest, a.code_digest("jti", "123457"));
        assert_ne!(digest, a.code_digest("other", "123456"));
        assert_ne!(digest, b.code_digest("jti", "123456"));
    }

    fn keys() -> TokenKeys {
        TokenKeys::new(b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn issued_tokens_verify_for_their_purpose_only() {
        let keys = keys();
        let token = keys.issue(
            Purpose::Login,
            "anna@kommun.se",
            "j1",
            Utc::now() + LOGIN_LINK_LIFETIME,
        );
        let claims = keys.verify(&token, Purpose::Login).expect("valid");
        assert_eq!(claims.sub, "anna@kommun.se");
        assert_eq!(
            keys.verify(&token, Purpose::Session).err(),
            Some(TokenError::Invalid)
        );
    }

    #[test]
    fn expired_forged_and_unsigned_tokens_are_refused() {
        let keys = keys();
        let expired = keys.issue(
            Purpose::Login,
            "a@k.se",
            "j",
            Utc::now() - Duration::seconds(1),
        );
        assert_eq!(
            keys.verify(&expired, Purpose::Login).err(),
            Some(TokenError::Expired)
        );

        let other = TokenKeys::new(b"another-secret-another-secret-xx");
        let forged = other.issue(
            Purpose::Login,
            "a@k.se",
            "j",
            Utc::now() + LOGIN_LINK_LIFETIME,
        );
        assert_eq!(
            keys.verify(&forged, Purpose::Login).err(),
            Some(TokenError::Invalid)
        );

        // The real token's payload with `alg: none` and no signature.
        let genuine = keys.issue(
            Purpose::Login,
            "a@k.se",
            "j",
            Utc::now() + LOGIN_LINK_LIFETIME,
        );
        let payload = genuine.split('.').nth(1).expect("payload");
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert_eq!(
            keys.verify(&unsigned, Purpose::Login).err(),
            Some(TokenError::Invalid)
        );
        assert_eq!(
            keys.verify("not a token", Purpose::Login).err(),
            Some(TokenError::Invalid)
        );
    }

    #[test]
    fn random_ids_are_long_and_distinct() {
        let (a, b) = (random_id(), random_id());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
