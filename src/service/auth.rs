//! Passwords (argon2id) and access tokens (HS256 JWT with a per-user token version, so that a
//! password change, a demotion or a deletion kills older tokens at once).

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::{Access, AppState, Caller, Client};
use crate::config::Settings;
use crate::db::{self, Db, UserRow};
use crate::domain::{Email, Role};
use crate::error::{AppError, AppResult};
use crate::model::LoginResponse;

const ISSUER: &str = "newsdesk";
/// What the preview key is derived with (HMAC of the token secret over this label).
const PREVIEW_KEY_LABEL: &str = "newsdesk preview links v1";

/// HMAC-SHA256 of `data` under `key`.
fn mac(key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    use hmac::Mac;
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).ok()?;
    m.update(data);
    Some(m.finalize().into_bytes().to_vec())
}
const AUDIENCE: &str = "newsdesk-api";
const SECRET_SETTING: &str = "jwt_secret";

/// A signed-in account, as checked against the database on this request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub role: Role,
    pub name: String,
    /// The integration token it signed in with (`None`: a password's access token).
    pub token_id: Option<i64>,
}

impl Principal {
    /// Whether this account edits an article: editors edit all, an author those they sign
    /// (`signs(user)`: whether the account is on its byline, asked only when that decides).
    /// It also lets them read it whatever its status: `Access::may_read_article`.
    pub fn edits(&self, signs: impl FnOnce(i64) -> AppResult<bool>) -> AppResult<bool> {
        if self.role.is_editor() {
            return Ok(true);
        }
        signs(self.user_id)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    /// The account's token version when the token was issued.
    ver: i32,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: i64,
    /// A real hash to verify against when the email is unknown, so both paths cost the same.
    dummy_hash: String,
    /// What preview links are signed with: derived from the secret for that use alone, so a
    /// link's signature is never an access token's, nor the reverse.
    preview_key: Vec<u8>,
}

impl TokenKeys {
    pub async fn load(db: &Db, settings: &Settings) -> Result<Self, String> {
        let secret = match &settings.jwt_secret {
            Some(s) => s.clone(),
            None => {
                let generated: String = {
                    let mut rng = rand::rng();
                    (0..64)
                        .map(|_| format!("{:02x}", rng.random::<u8>()))
                        .collect()
                };
                db.write(move |c| db::settings::get_or_insert(c, SECRET_SETTING, &generated))
                    .await
                    .map_err(|e| format!("cannot load the token secret: {e}"))?
            }
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        validation.leeway = 5;
        let dummy_hash = tokio::task::spawn_blocking(|| hash_password("not-a-real-password"))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let preview_key = mac(secret.as_bytes(), PREVIEW_KEY_LABEL.as_bytes())
            .ok_or("cannot derive the preview key")?;
        Ok(TokenKeys {
            preview_key,
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            ttl_secs: settings.token_ttl_secs,
            dummy_hash,
        })
    }

    /// The signature of a preview link's `payload` (base64url).
    pub(crate) fn sign_preview(&self, payload: &str) -> Option<String> {
        use base64::Engine;
        let tag = mac(&self.preview_key, payload.as_bytes())?;
        Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag))
    }

    /// Whether `signature` is this server's for `payload` (compared in constant time).
    pub(crate) fn preview_signature_ok(&self, payload: &str, signature: &str) -> bool {
        use base64::Engine;
        use hmac::Mac;
        let Ok(tag) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        let Ok(mut m) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.preview_key) else {
            return false;
        };
        m.update(payload.as_bytes());
        m.verify_slice(&tag).is_ok()
    }

    /// Seconds an access token lives.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    pub(crate) fn issue(&self, user: &UserRow) -> AppResult<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.id.to_string(),
            role: user.role,
            ver: user.token_version,
            iat: now,
            exp: now + self.ttl_secs,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(format!("cannot sign a token: {e}")))
    }

    fn verify(&self, token: &str) -> AppResult<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let why = match e.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired; log in again",
                    ErrorKind::InvalidSignature => "the token's signature is not valid",
                    ErrorKind::InvalidAlgorithm => "the token must be signed with HS256",
                    _ => "the token is not valid",
                };
                AppError::Unauthorized(why.into())
            })
    }
}

pub fn hash_password(password: &str) -> AppResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("cannot hash a password: {e}")))
}

fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Verifies a password off the async threads (argon2 takes tens of milliseconds by design).
pub async fn verify_password(password: String, hash: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || password_matches(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

pub async fn hash_password_async(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
}

/// Checks a bearer token: signature, algorithm, claims, and that the account still exists
/// with the same token version and role.
pub async fn authenticate(state: &AppState, token: &str) -> AppResult<Principal> {
    let claims = state.keys.verify(token)?;
    let id: i64 = claims
        .sub
        .parse()
        .map_err(|_| AppError::Unauthorized("the token is not valid".into()))?;
    let user = state
        .db
        // The primary: a revoked token stops at once, whatever a replica's lag.
        .read_primary(move |c| db::users::find_by_id(c, id))
        .await?
        .ok_or_else(|| AppError::Unauthorized("the token's account no longer exists".into()))?;
    if user.token_version != claims.ver || user.role != claims.role {
        return Err(AppError::Unauthorized(
            "the token was revoked; log in again".into(),
        ));
    }
    Ok(Principal {
        user_id: user.id,
        role: user.role,
        name: user.name,
        token_id: None,
    })
}

/// Exchanges an email and password for a token. Unknown emails and wrong passwords get the
/// same answer after the same work. Failures are limited per account and per client (see
/// `abuse`): a locked-out attempt is refused before any hash, whatever its password.
pub async fn login(
    state: &AppState,
    caller: &Caller,
    email: &str,
    password: &str,
) -> AppResult<LoginResponse> {
    let refused = || AppError::Unauthorized("the email or password is not right".into());
    let turn = state.abuse.login_turn(caller, email).await;
    turn.check(caller.meter())?;
    let Ok(email) = Email::parse(email) else {
        let _ = verify_password(password.to_owned(), state.keys.dummy_hash.clone()).await;
        turn.failed(caller.meter());
        return Err(refused());
    };
    let user = state
        .db
        .read_primary(move |c| db::users::find_by_email(c, email.as_str()))
        .await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| state.keys.dummy_hash.clone());
    let ok = verify_password(password.to_owned(), hash).await?;
    match user {
        Some(user) if ok => {
            turn.succeeded();
            super::tokens::session(state, user, None).await
        }
        _ => {
            turn.failed(caller.meter());
            Err(refused())
        }
    }
}

/// Resolves an optional `Authorization` header value to a viewer: an access token (JWT) or
/// an integration token (`nd_...`). A header that is present but wrong is 401, never
/// silently anonymous.
pub async fn viewer_from_header(
    state: &AppState,
    client: &Client,
    header: Option<&str>,
) -> AppResult<Access> {
    let Some(value) = header else {
        return Ok(Access::Anonymous);
    };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::Unauthorized("use the header `Authorization: Bearer <token>`".into())
        })?;
    if token.starts_with(super::tokens::API_TOKEN_PREFIX) {
        return super::tokens::authenticate(state, client, token)
            .await
            .map(Access::User);
    }
    authenticate(state, token).await.map(Access::User)
}
