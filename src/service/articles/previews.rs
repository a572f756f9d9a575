//! Preview links: signed, expiring, revocable tokens that show one article's current content,
//! whatever its status, to whoever holds the link. A token names the article, its preview
//! generation and its expiry, signed with a key derived for previews alone: it holds no
//! secret and grants nothing else ([`Access::Preview`]).

use super::*;
use crate::model::{CreatePreview, PreviewLink};

/// A link lives a day unless asked otherwise, a week at most.
pub const PREVIEW_TTL_DEFAULT: i64 = 86_400;
pub const PREVIEW_TTL_MAX: i64 = 7 * 86_400;
pub const PREVIEW_TTL_MIN: i64 = 60;
/// The token format's version, its first part.
const FORMAT: &str = "p1";

/// What a verified token grants: one article, in one preview generation.
struct Grant {
    article_id: i64,
    generation: i32,
}

/// The token's signed part.
fn payload(article_id: i64, generation: i32, expires: i64) -> String {
    format!("{FORMAT}.{article_id}.{generation}.{expires}")
}

/// The grant of a token this server signed and that has not expired; `None` for anything
/// else (forged, truncated, expired or malformed: the caller answers 404 alike).
fn verify(keys: &super::super::auth::TokenKeys, token: &str, now: i64) -> Option<Grant> {
    if token.len() > 200 {
        return None;
    }
    let (signed, signature) = token.rsplit_once('.')?;
    if !keys.preview_signature_ok(signed, signature) {
        return None;
    }
    let mut parts = signed.split('.');
    let (format, id, generation, expires) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if format != FORMAT || parts.next().is_some() {
        return None;
    }
    let expires: i64 = expires.parse().ok()?;
    (expires > now).then_some(())?;
    Some(Grant {
        article_id: id.parse().ok()?,
        generation: generation.parse().ok()?,
    })
}

/// `POST /articles/{slug}/preview` (who may edit it): a new link.
pub async fn create_preview(
    state: &AppState,
    viewer: &Caller,
    slug: &str,
    input: CreatePreview,
) -> AppResult<PreviewLink> {
    require_role(viewer, Role::Author)?;
    state.abuse.write(viewer)?;
    let ttl = input.ttl_seconds.unwrap_or(PREVIEW_TTL_DEFAULT);
    if !(PREVIEW_TTL_MIN..=PREVIEW_TTL_MAX).contains(&ttl) {
        return Err(FieldErrors::one(
            "ttl_seconds",
            format!("must be from {PREVIEW_TTL_MIN} to {PREVIEW_TTL_MAX} (7 days)"),
        ));
    }
    let (slug, access) = (slug.to_owned(), (**viewer).clone());
    let (id, generation) = state
        .db
        .read(move |c| {
            let row = find_editable(c, &slug, &access)?;
            let generation = db::articles::preview_generation(c, row.id)?
                .ok_or_else(|| AppError::not_found("article"))?;
            Ok::<_, AppError>((row.id, generation))
        })
        .await?;
    let expires_at = chrono::Utc::now() + chrono::Duration::seconds(ttl);
    let signed = payload(id, generation, expires_at.timestamp());
    let signature = state
        .keys
        .sign_preview(&signed)
        .ok_or_else(|| AppError::Internal("cannot sign a preview link".into()))?;
    let token = format!("{signed}.{signature}");
    Ok(PreviewLink {
        url: format!("/api/v1/preview/{token}"),
        token,
        expires_at,
    })
}

/// `DELETE /articles/{slug}/preview` (who may edit it): every link of the article ends.
pub async fn revoke_previews(state: &AppState, viewer: &Caller, slug: &str) -> AppResult<()> {
    let writer = require_role(viewer, Role::Author)?.clone();
    state.abuse.write(viewer)?;
    let slug = slug.to_owned();
    state
        .write(move |c, _| {
            let row = find_for_write(c, &slug, &writer, None)?;
            Ok(db::articles::revoke_previews(c, row.id)?)
        })
        .await
}

/// `GET /preview/{token}`: the article's current content in full, whatever its status; 404
/// for a link that is forged, expired or revoked, or whose article is gone.
pub async fn preview(state: &AppState, token: &str) -> AppResult<Article> {
    let at = now();
    let grant = verify(&state.keys, token, at.and_utc().timestamp())
        .ok_or_else(|| AppError::not_found("preview"))?;
    state
        .db
        .read(move |c| {
            let gone = || AppError::not_found("preview");
            let generation = db::articles::preview_generation(c, grant.article_id)?;
            if generation != Some(grant.generation) {
                return Err(gone());
            }
            let row = db::articles::find_by_id(c, grant.article_id)?.ok_or_else(gone)?;
            let access = Access::Preview {
                article_id: grant.article_id,
            };
            if !may_read(c, &row, &access, at)? {
                return Err(gone());
            }
            full_article(c, row)
        })
        .await
}
