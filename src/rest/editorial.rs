//! The editorial workflow's routes: an article's revisions (its history, one version,
//! restoring one) and its preview links.

use actix_web::http::{header, StatusCode};
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, post, HttpRequest, HttpResponse};

use super::http::{cached_json, if_match_version, render_json, render_list, respond, Auth};
use super::tags::PageQuery;
use crate::error::{AppResult, Problem};
use crate::model::{Article, CreatePreview, ListResponse, PreviewLink, Revision, RevisionSummary};
use crate::service::articles as svc;
use crate::service::AppState;

/// The article's versions, newest first (editors and its authors). Each names its editor and
/// the fields it changed.
#[utoipa::path(
    operation_id = "listRevisions",
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ListResponse<RevisionSummary>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{slug}/revisions")]
pub async fn list(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
    q: Query<PageQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let page = svc::list_revisions(&state, &auth.0, &slug, &q.params()).await?;
    Ok(respond(
        &req,
        &auth.0,
        StatusCode::OK,
        &render_list(&req, page)?,
    ))
}

/// One version of the article in full (editors and its authors).
#[utoipa::path(
    operation_id = "getRevision",
    tag = "articles",
    params(
        ("slug" = String, Path, description = "The article's slug"),
        ("version" = i32, Path, description = "The version"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Revision),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{slug}/revisions/{version}")]
pub async fn get(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(String, i32)>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (slug, version) = path.into_inner();
    let revision = svc::get_revision(&state, &auth.0, &slug, version).await?;
    cached_json(&req, &auth.0, &revision, None, StatusCode::OK)
}

/// Makes that version's content (title, subtitle, body, excerpt, dateline, image, tags and
/// byline) current, as a new version; status, slug and publish time stay as they are.
/// `If-Match` with the article's `ETag` refuses it with 412 when someone changed it since.
#[utoipa::path(
    operation_id = "restoreRevision",
    tag = "articles",
    params(
        ("slug" = String, Path, description = "The article's slug"),
        ("version" = i32, Path, description = "The version to bring back"),
        ("If-Match" = Option<String>, Header, description = "The ETag the article was read with"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Article, description = "The article at its new version"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/articles/{slug}/revisions/{version}/restore")]
pub async fn restore(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(String, i32)>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (slug, version) = path.into_inner();
    let expected = if_match_version(&req)?;
    let article = svc::restore_revision(&state, &auth.0, &slug, version, expected).await?;
    let version = article.summary.version;
    cached_json(&req, &auth.0, &article, Some(version), StatusCode::OK)
}

/// A preview link of the article (who may edit it): whoever holds it reads the article's
/// current content, whatever its status, until it expires or the article's links are
/// revoked.
#[utoipa::path(
    operation_id = "createPreview",
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug")),
    request_body(content = Option<CreatePreview>, description = "`ttl_seconds`: 60 to 604800; 86400 by default"),
    security(("bearer" = [])),
    responses(
        (status = 201, body = PreviewLink),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/articles/{slug}/preview")]
pub async fn create_preview(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
    body: Option<Json<CreatePreview>>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let input = body.map(Json::into_inner).unwrap_or_default();
    let link = svc::create_preview(&state, &auth.0, &slug, input).await?;
    let mut res = cached_json(&req, &auth.0, &link, None, StatusCode::CREATED)?;
    if let Ok(v) = header::HeaderValue::from_str(&link.url) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// Revokes every preview link of the article (who may edit it).
#[utoipa::path(
    operation_id = "revokePreviews",
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every link of the article has stopped working"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/articles/{slug}/preview")]
pub async fn revoke_previews(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
) -> AppResult<HttpResponse> {
    svc::revoke_previews(&state, &auth.0, &slug).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The article a preview link shows, in full, whatever its status (no other credential).
/// Never cached by anyone but its reader, never indexed.
#[utoipa::path(
    operation_id = "readPreview",
    tag = "articles",
    params(("token" = String, Path, description = "The link's token")),
    responses(
        (status = 200, body = Article, headers(
            ("Cache-Control" = String, description = "`private, no-store`"),
            ("X-Robots-Tag" = String, description = "`noindex`"),
        )),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "Forged, expired or revoked, or the article is gone"),
    )
)]
#[get("/preview/{token}")]
pub async fn read_preview(state: Data<AppState>, token: Path<String>) -> AppResult<HttpResponse> {
    let article = svc::preview(&state, &token).await?;
    let body = render_json(&article, None)?;
    Ok(HttpResponse::Ok()
        .content_type(body.content_type)
        .insert_header((header::CACHE_CONTROL, crate::conventions::PRIVATE))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(body.body.clone()))
}
