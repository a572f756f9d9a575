//! Tokens for long sessions and machines (API.md "Tokens for machines and long sessions").
//!
//! - Refresh tokens: opaque, 30 days, each works once. Refreshing marks the token used and
//!   issues the next of its family; a used token presented again ends the whole family (it
//!   was stolen, or its holder raced itself). A password change, a demotion or a deletion
//!   (the account's token version) ends them all.
//! - Integration tokens (`nd_...`): a name, a role at most the creator's, an optional expiry;
//!   they act as their creator with that role, and die with the creator's deletion, a demotion
//!   below their role, or revocation.
//!
//! Only SHA-256 hashes of tokens are stored: the tokens carry 256 random bits, so a fast
//! hash is enough (nothing to guess from it), and a database dump signs nobody in. Tokens
//! presented wrongly count as failed logins of the client.

use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use rand::RngCore;
use sha2::Digest;

use super::{require_user, AppState, Caller, Client, Principal};
use crate::db::tokens::{ApiTokenRow, NewApiToken, NewRefresh};
use crate::db::{self, DbConn, UserRow};
use crate::domain::{now, parse_instant, text_field, utc, Role};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::model::{ApiToken, CreateToken, CreatedToken, LoginResponse};

/// How long a refresh token lives.
pub const REFRESH_DAYS: i64 = 30;
/// What an integration token starts with (and what tells it from an access token).
pub const API_TOKEN_PREFIX: &str = "nd_";
const REFRESH_PREFIX: &str = "ndr_";
/// How much of an integration token lists show.
const SHOWN_PREFIX: usize = 10;
/// `last_used_at` is written at most this often per token: not a write per request.
const TOUCH_EVERY_SECS: i64 = 60;

fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn hash(token: &str) -> String {
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn invalid_refresh() -> AppError {
    AppError::Unauthorized("the refresh token is not valid; log in again".into())
}

/// Issues a refresh token of `family` (a new one for a login) for `user`.
fn issue_refresh(c: &mut DbConn, user: &UserRow, family: Option<&str>) -> AppResult<String> {
    let token = random_token(REFRESH_PREFIX);
    let family = family.map_or_else(|| random_token(""), str::to_owned);
    let stamp = now();
    db::tokens::insert_refresh(
        c,
        &NewRefresh {
            user_id: user.id,
            family: &family,
            token_hash: &hash(&token),
            token_version: user.token_version,
            created_at: stamp,
            expires_at: stamp + Duration::days(REFRESH_DAYS),
        },
    )?;
    Ok(token)
}

/// The answer to a login or a refresh: an access token and the next refresh token.
pub(crate) async fn session(
    state: &AppState,
    user: UserRow,
    family: Option<String>,
) -> AppResult<LoginResponse> {
    let access_token = state.keys.issue(&user)?;
    let u = user.clone();
    // Not a content write: no cached page changes, so not `AppState::write`.
    let refresh_token = state
        .db
        .write(move |c| issue_refresh(c, &u, family.as_deref()))
        .await?;
    Ok(LoginResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.keys.ttl_secs(),
        refresh_token,
        refresh_expires_in: REFRESH_DAYS * 24 * 60 * 60,
        user: super::accounts::user_view(user),
    })
}

/// What a presented refresh token turned out to be.
enum Refreshed {
    Next(Box<UserRow>, String),
    Invalid,
    /// Used before: its family was ended.
    Reused,
}

/// `POST /auth/refresh`: a new access token and refresh token for a live one.
pub async fn refresh(state: &AppState, caller: &Caller, token: &str) -> AppResult<LoginResponse> {
    state.abuse.credential_check(&caller.client)?;
    let presented = hash(token.trim());
    let outcome = state
        .db
        .write(move |c| {
            let Some(row) = db::tokens::find_refresh(c, &presented)? else {
                return Ok::<_, db::DbError>(Refreshed::Invalid);
            };
            let stamp = now();
            if row.revoked_at.is_some() || row.expires_at <= stamp {
                return Ok(Refreshed::Invalid);
            }
            if !db::tokens::use_refresh(c, row.id, stamp)? {
                db::tokens::revoke_family(c, &row.family, stamp)?;
                return Ok(Refreshed::Reused);
            }
            match db::users::find_by_id(c, row.user_id)? {
                Some(user) if user.token_version == row.token_version => {
                    Ok(Refreshed::Next(Box::new(user), row.family))
                }
                _ => Ok(Refreshed::Invalid),
            }
        })
        .await;
    match outcome? {
        Refreshed::Next(user, family) => session(state, *user, Some(family)).await,
        Refreshed::Invalid => {
            state.abuse.credential_failed(&caller.client);
            Err(invalid_refresh())
        }
        Refreshed::Reused => {
            state.abuse.credential_failed(&caller.client);
            Err(AppError::Unauthorized(
                "the refresh token was used before: every session of that login has ended; \
                 log in again"
                    .into(),
            ))
        }
    }
}

/// `POST /auth/logout`: ends the refresh token's family. An unknown token is no error (the
/// session is over either way), but counts as one presented wrongly.
pub async fn logout(state: &AppState, caller: &Caller, token: &str) -> AppResult<()> {
    state.abuse.credential_check(&caller.client)?;
    let presented = hash(token.trim());
    let ended = state
        .db
        .write(move |c| match db::tokens::find_refresh(c, &presented)? {
            Some(row) => db::tokens::revoke_family(c, &row.family, now()).map(|_| true),
            None => Ok::<_, db::DbError>(false),
        })
        .await?;
    if !ended {
        state.abuse.credential_failed(&caller.client);
    }
    Ok(())
}

fn token_view(r: ApiTokenRow) -> AppResult<ApiToken> {
    Ok(ApiToken {
        id: r.id,
        name: r.name,
        role: r.role,
        prefix: r.prefix,
        user_id: r.user_id,
        created_at: utc(r.created_at),
        expires_at: r.expires_at.map(utc),
        last_used_at: r.last_used_at.map(utc),
    })
}

/// The signed-in account, acting with a password's session: integration tokens cannot
/// manage tokens (one could otherwise outlive its own expiry or revocation).
fn require_person(caller: &Caller) -> AppResult<&Principal> {
    let p = require_user(caller)?;
    if p.token_id.is_some() {
        return Err(AppError::Forbidden(
            "integration tokens cannot manage tokens; sign in as the account".into(),
        ));
    }
    Ok(p)
}

/// `POST /tokens`.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    input: CreateToken,
) -> AppResult<CreatedToken> {
    let me = require_person(caller)?.clone();
    state.abuse.write(caller)?;
    let mut e = FieldErrors::new();
    let name = e.required("name", input.name.as_deref(), |v| text_field(v, 100));
    let role = match input.role.as_deref() {
        None => Some(me.role),
        Some(r) => match r.parse::<Role>() {
            Ok(role) if me.role.covers(role) => Some(role),
            Ok(_) => {
                e.add("role", format!("may be at most your own role, {}", me.role));
                None
            }
            Err(m) => {
                e.add("role", m);
                None
            }
        },
    };
    let expires_at = match input.expires_at.as_deref() {
        None => None,
        Some(t) => match parse_instant(t) {
            Ok(t) if t > now() => Some(t),
            Ok(_) => {
                e.add("expires_at", "must be in the future");
                None
            }
            Err(m) => {
                e.add("expires_at", m);
                None
            }
        },
    };
    e.into_result()?;
    let (Some(name), Some(role)) = (name, role) else {
        return Err(AppError::Internal("validated token field missing".into()));
    };
    let token = random_token(API_TOKEN_PREFIX);
    let prefix: String = token.chars().take(SHOWN_PREFIX).collect();
    let token_hash = hash(&token);
    let row = state
        .db
        .write(move |c| {
            db::tokens::insert_api_token(
                c,
                &NewApiToken {
                    user_id: me.user_id,
                    name: &name,
                    role,
                    prefix: &prefix,
                    token_hash: &token_hash,
                    created_at: now(),
                    expires_at,
                },
            )
        })
        .await?;
    Ok(CreatedToken {
        token,
        info: token_view(row)?,
    })
}

/// `GET /tokens`: one's own live tokens; an admin sees everyone's.
pub async fn list(state: &AppState, caller: &Caller) -> AppResult<Vec<ApiToken>> {
    let me = require_person(caller)?;
    let whose = (!me.role.is_admin()).then_some(me.user_id);
    let rows = state
        .db
        .read_primary(move |c| db::tokens::list_api_tokens(c, whose))
        .await?;
    rows.into_iter().map(token_view).collect()
}

/// `DELETE /tokens/{id}`: its creator or an admin revokes it at once.
pub async fn revoke(state: &AppState, caller: &Caller, id: i64) -> AppResult<()> {
    let me = require_person(caller)?.clone();
    state.abuse.write(caller)?;
    state
        .db
        .write(move |c| {
            match db::tokens::find_api_token_by_id(c, id)? {
                Some(t)
                    if t.revoked_at.is_none()
                        && (t.user_id == me.user_id || me.role.is_admin()) =>
                {
                    db::tokens::revoke_api_token(c, id, now())?;
                    Ok(())
                }
                // Someone else's token is as absent as a missing one.
                _ => Err(AppError::not_found("token")),
            }
        })
        .await
}

/// Checks an integration token: live, not expired, its creator still there with a role
/// that covers the token's. Wrong ones count against the client like failed logins.
pub async fn authenticate(state: &AppState, client: &Client, token: &str) -> AppResult<Principal> {
    state.abuse.credential_check(client)?;
    let presented = hash(token);
    let found = state
        .db
        .read_primary(move |c| {
            let Some(t) = db::tokens::find_api_token(c, &presented)? else {
                return Ok::<_, db::DbError>(None);
            };
            let user = db::users::find_by_id(c, t.user_id)?;
            Ok(user.map(|u| (t, u)))
        })
        .await?;
    let stamp = now();
    let live = found.and_then(|(t, user)| {
        let role = t.role;
        let user_role = user.role;
        let alive = t.revoked_at.is_none()
            && t.expires_at.is_none_or(|e| e > stamp)
            && user_role.covers(role);
        alive.then_some((t, user, role))
    });
    let Some((t, user, role)) = live else {
        state.abuse.credential_failed(client);
        return Err(AppError::Unauthorized(
            "the token is not valid (unknown, expired or revoked)".into(),
        ));
    };
    let stale = t
        .last_used_at
        .is_none_or(|used: NaiveDateTime| (stamp - used).num_seconds() >= TOUCH_EVERY_SECS);
    if stale {
        let id = t.id;
        // Best effort: a failed stamp must not fail the request it describes.
        if let Err(e) = state
            .db
            .write(move |c| db::tokens::touch_api_token(c, id, stamp))
            .await
        {
            tracing::warn!(error = %e, token = id, "could not record a token's last use");
        }
    }
    Ok(Principal {
        user_id: user.id,
        role,
        name: user.name,
        token_id: Some(t.id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_stored_as_hashes() {
        let a = random_token(API_TOKEN_PREFIX);
        let b = random_token(API_TOKEN_PREFIX);
        assert!(a.starts_with("nd_") && a.len() == 3 + 43, "{a}");
        assert_ne!(a, b);
        assert_eq!(hash(&a), hash(&a));
        assert_eq!(hash(&a).len(), 64);
        assert!(!hash(&a).contains(&a[3..]));
        assert!(random_token(REFRESH_PREFIX).starts_with("ndr_"));
    }
}
