//! The OpenID Connect protocol, by the `openidconnect` crate: discovery (cached, and asked
//! again when a token names a key the cached set lacks, which is how providers rotate
//! keys), the authorization code flow with PKCE, state and nonce, and ID-token validation
//! with asymmetric algorithms only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    LoginHint, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, Scope, SignatureVerificationError, TokenResponse,
};
use serde::{Deserialize, Serialize};

use super::TokenClaims;

/// How long a provider's discovery document and keys are trusted before asking again.
const METADATA_LIFETIME: Duration = Duration::from_secs(3600);

/// Signatures a directory may use: public-key ones. `none` and the HMAC algorithms (keyed
/// with the client secret, which Bruka holds too) would let a token be made without the
/// provider.
const ALLOWED_ALGORITHMS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("the directory could not be reached or answered wrongly: {0}")]
    Provider(String),
    #[error("the directory refused to exchange the code: {0}")]
    Exchange(String),
    #[error("the answer carried no ID token")]
    NoIdToken,
    #[error("the ID token is not valid: {0}")]
    InvalidToken(String),
}

/// What the browser carries from the start of a sign-in to its return: the values the
/// return must match, signed into a cookie by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The organisation's client at its provider.
pub struct ClientSettings<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub redirect_url: &'a str,
}

/// Talks to the directories: one HTTP client (no redirects followed, as the crate asks, so
/// a provider cannot point Bruka's requests elsewhere) and their discovery documents.
pub struct Directories {
    http: reqwest::Client,
    metadata: quick_cache::sync::Cache<String, (Instant, Arc<ProviderMetadataWithLogout>)>,
}

impl Directories {
    pub fn new() -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            metadata: quick_cache::sync::Cache::new(64),
        })
    }

    async fn metadata(
        &self,
        issuer: &str,
        fresh: bool,
    ) -> Result<Arc<ProviderMetadataWithLogout>, ProtocolError> {
        if !fresh
            && let Some((fetched, metadata)) = self.metadata.get(issuer)
            && fetched.elapsed() < METADATA_LIFETIME
        {
            return Ok(metadata);
        }
        let issuer_url = IssuerUrl::new(issuer.to_string())
            .map_err(|error| ProtocolError::Provider(error.to_string()))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer_url, &self.http)
            .await
            .map_err(|error| ProtocolError::Provider(error.to_string()))?;
        let metadata = Arc::new(metadata);
        self.metadata
            .insert(issuer.to_string(), (Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    /// The provider's address to send the browser to, and what its return must match.
    pub async fn begin(
        &self,
        client: &ClientSettings<'_>,
        login_hint: &str,
    ) -> Result<(String, Attempt), ProtocolError> {
        let oidc = oidc_client(&*self.metadata(client.issuer, false).await?, client)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = oidc
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge);
        if !login_hint.is_empty() {
            request = request.set_login_hint(LoginHint::new(login_hint.to_string()));
        }
        let (url, state, nonce) = request.url();
        let attempt = Attempt {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        };
        Ok((url.to_string(), attempt))
    }

    /// Exchanges the code for tokens and validates the ID token: signature by a key of the
    /// provider's set, issuer, audience, expiry, nonce. A token naming a key the cached set
    /// lacks makes the set be fetched again once.
    pub async fn finish(
        &self,
        client: &ClientSettings<'_>,
        attempt: &Attempt,
        code: &str,
    ) -> Result<TokenClaims, ProtocolError> {
        let oidc = oidc_client(&*self.metadata(client.issuer, false).await?, client)?;
        let response = oidc
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|error| ProtocolError::Provider(error.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(attempt.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|error| ProtocolError::Exchange(error.to_string()))?;
        let id_token = response.id_token().ok_or(ProtocolError::NoIdToken)?;
        let nonce = Nonce::new(attempt.nonce.clone());
        let verified = {
            let verifier = oidc
                .id_token_verifier()
                .set_allowed_algs(ALLOWED_ALGORITHMS);
            id_token.claims(&verifier, &nonce).map(|_| ())
        };
        match verified {
            Ok(()) => {}
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                let rotated = oidc_client(&*self.metadata(client.issuer, true).await?, client)?;
                let verifier = rotated
                    .id_token_verifier()
                    .set_allowed_algs(ALLOWED_ALGORITHMS);
                id_token
                    .claims(&verifier, &nonce)
                    .map_err(|error| ProtocolError::InvalidToken(error.to_string()))?;
            }
            Err(error) => return Err(ProtocolError::InvalidToken(error.to_string())),
        }
        claims_of(&id_token.to_string())
    }

    /// The provider's end-session address for someone signing out of Bruka, if it has one.
    pub async fn end_session_url(
        &self,
        issuer: &str,
        client_id: &str,
        after: &str,
    ) -> Option<String> {
        let metadata = self.metadata(issuer, false).await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut request =
            LogoutRequest::from(endpoint).set_client_id(ClientId::new(client_id.to_string()));
        if let Ok(after) = PostLogoutRedirectUrl::new(after.to_string()) {
            request = request.set_post_logout_redirect_uri(after);
        }
        Some(request.http_get_url().to_string())
    }
}

/// The crate's client as discovery makes it: authorization and token endpoints, no others.
type DirectoryClient = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The crate's client for the organisation's settings and the provider's metadata.
fn oidc_client(
    metadata: &ProviderMetadataWithLogout,
    client: &ClientSettings<'_>,
) -> Result<DirectoryClient, ProtocolError> {
    let redirect = RedirectUrl::new(client.redirect_url.to_string())
        .map_err(|error| ProtocolError::Provider(error.to_string()))?;
    Ok(CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(client.client_id.to_string()),
        Some(ClientSecret::new(client.client_secret.to_string())),
    )
    .set_redirect_uri(redirect))
}

/// The claims of an ID token whose signature and standard claims were already verified:
/// its payload read as JSON, for the claims the crate's core types leave out.
fn claims_of(id_token: &str) -> Result<TokenClaims, ProtocolError> {
    use base64::Engine;
    let payload = id_token
        .split('.')
        .nth(1)
        .ok_or_else(|| ProtocolError::InvalidToken("not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|error| ProtocolError::InvalidToken(error.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|error| ProtocolError::InvalidToken(error.to_string()))
}
