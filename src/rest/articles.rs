use actix_web::http::{header, StatusCode};
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, patch, post, put, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;
use utoipa::IntoParams;

use super::http::{
    cached_json, field_set, if_match_version, public_get, render_json, render_list_keeping,
    render_ready_list, sparse, Anonymous, Auth,
};
use crate::error::{AppError, AppResult, Problem};
use crate::model::{
    summary_fields, Article, ArticleSummary, CreateArticle, ListResponse, RecordShare, RelatedList,
    SetRelated, UpdateArticle, ARTICLE_FIELDS,
};
use crate::service::articles::{self as svc, ListArticles};
use crate::service::cache::Shows;
use crate::service::paging::PageParams;
use crate::service::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only articles with this tag (slug).
    tag: Option<String>,
    /// Only articles by this author (slug).
    author: Option<String>,
    /// Full-text search over titles and bodies; every word must match.
    q: Option<String>,
    /// `latest` (default), `oldest` or `popular` (most viewed).
    sort: Option<String>,
    /// Editors: `published`, `draft`, `archived`, `scheduled` or `any`. Authors see their own.
    status: Option<String>,
    /// RFC 3339; only articles published after this instant.
    published_after: Option<String>,
    /// RFC 3339; only articles published before this instant.
    published_before: Option<String>,
    /// Page number, from 1.
    page: Option<i64>,
    /// Items per page, 1 to 100 (default 20).
    per_page: Option<i64>,
    /// `meta.next_cursor` of the previous page (keyset paging; replaces `page`).
    cursor: Option<String>,
    /// `meta.prev_cursor` of the next page: the page before it (keyset paging backwards).
    before: Option<String>,
    /// Comma-separated fields each item keeps (sparse fieldsets), e.g. `slug,title,excerpt,image`.
    fields: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FieldsQuery {
    /// Comma-separated fields the article keeps (sparse fieldsets), e.g. `slug,title,body_html`.
    fields: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RelatedQuery {
    /// How many, 1 to 20 (default 5).
    limit: Option<i64>,
    /// Comma-separated fields each item keeps (sparse fieldsets).
    fields: Option<String>,
}

/// Published articles, newest first, with filters and paging.
#[utoipa::path(
    operation_id = "listArticles",
    tag = "articles",
    params(ListQuery),
    responses(
        (status = 200, body = ListResponse<ArticleSummary>, description = "A page of summaries; headers `X-Total-Count` and `Link`"),
        (status = 304, description = "Not modified"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles")]
pub async fn list(
    state: Data<AppState>,
    auth: Auth,
    q: Query<ListQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let fields = field_set(q.fields.as_deref(), summary_fields())?;
    let params = ListArticles {
        tag: q.tag,
        author: q.author,
        q: q.q,
        sort: q.sort,
        status: q.status,
        published_after: q.published_after,
        published_before: q.published_before,
        paging: PageParams {
            page: q.page,
            per_page: q.per_page,
            cursor: q.cursor,
            backward: q.before.is_some(),
            before: q.before,
        },
    };
    public_get(&state, &req, &auth.0, || async {
        // Whole summaries are written out as kept; picked fields are picked from built ones.
        if fields.is_none() {
            let page = svc::list_ready(&state, &auth.0, &params).await?;
            let shows = svc::list_shows(&params, page.items.iter().map(|a| a.id()));
            return Ok(render_ready_list(&req, page)?.showing(shows));
        }
        let page = svc::list(&state, &auth.0, &params).await?;
        let shows = svc::list_shows(&params, page.items.iter().map(|a| a.id));
        Ok(render_list_keeping(&req, page, fields.as_ref())?.showing(shows))
    })
    .await
}

/// One article in full. Drafts and scheduled articles only for editors and their author.
#[utoipa::path(
    operation_id = "getArticle",
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug"), FieldsQuery),
    responses(
        (status = 200, body = Article, description = "The article; `ETag` names its version"),
        (status = 304, description = "Not modified"),
        (status = 301, description = "A slug the article had before: `Location` names its current path"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "`fields` names an unknown field"),
    )
)]
#[get("/articles/{slug}")]
pub async fn get(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
    q: Query<FieldsQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let fields = field_set(q.fields.as_deref(), ARTICLE_FIELDS)?;
    let answer = public_get(&state, &req, &auth.0, || async {
        let article = svc::get(&state, &auth.0, &slug).await?;
        if article.summary.slug != *slug {
            // A retired slug: the article lives at its current one.
            let query = req.query_string();
            let query = if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            };
            return Err(AppError::Moved {
                location: format!("/api/v1/articles/{}{query}", article.summary.slug),
            });
        }
        let shown = sparse(&article, fields.as_ref())?;
        Ok(render_json(&shown, Some(article.summary.version))?
            .showing(Shows::article(article.summary.id)))
    })
    .await;
    match answer {
        // A redirect is an answer, not a failure: not logged as an error.
        Err(moved @ AppError::Moved { .. }) => Ok(moved.error_response()),
        other => other,
    }
}

/// Creates an article (authors and up). The slug is derived from the title when absent.
#[utoipa::path(
    operation_id = "createArticle",
    tag = "articles",
    request_body = CreateArticle,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Article, description = "Created; `Location` names it"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The slug is taken"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/articles")]
pub async fn create(
    state: Data<AppState>,
    auth: Auth,
    body: Json<CreateArticle>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let article = svc::create(&state, &auth.0, body.into_inner()).await?;
    let location = format!("/api/v1/articles/{}", article.summary.slug);
    let version = article.summary.version;
    let mut res = cached_json(&req, &auth.0, &article, Some(version), StatusCode::CREATED)?;
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// Changes an article (its author, or editors). `If-Match` with the article's `ETag`
/// refuses the write with 412 when someone changed it since.
#[utoipa::path(
    operation_id = "updateArticle",
    tag = "articles",
    params(
        ("slug" = String, Path, description = "The article's slug"),
        ("If-Match" = Option<String>, Header, description = "The ETag the article was read with"),
    ),
    request_body = UpdateArticle,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Article),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/articles/{slug}")]
pub async fn update(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
    body: Json<UpdateArticle>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let expected = if_match_version(&req)?;
    let article = svc::update(&state, &auth.0, &slug, body.into_inner(), expected).await?;
    let version = article.summary.version;
    cached_json(&req, &auth.0, &article, Some(version), StatusCode::OK)
}

/// Deletes an article (editors), with its comments, tags and related links.
#[utoipa::path(
    operation_id = "deleteArticle",
    tag = "articles",
    params(
        ("slug" = String, Path, description = "The article's slug"),
        ("If-Match" = Option<String>, Header, description = "The ETag the article was read with"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/articles/{slug}")]
pub async fn delete(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let expected = if_match_version(&req)?;
    svc::delete(&state, &auth.0, &slug, expected).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Related articles: the curated ones first, then by shared tags (rarer tags weigh more),
/// then the most recent. Never the article itself, never unpublished ones.
#[utoipa::path(
    operation_id = "listRelatedArticles",
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug"), RelatedQuery),
    responses(
        (status = 200, body = ListResponse<ArticleSummary>, description = "Related articles, best first, as every list: `{data, meta}` (one page)"),
        (status = 304, description = "Not modified"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{slug}/related")]
pub async fn related(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
    q: Query<RelatedQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let fields = field_set(q.fields.as_deref(), summary_fields())?;
    public_get(&state, &req, &auth.0, || async {
        // Without `fields`, the summaries as kept ready.
        let (body, source, shown, fresh_for) = match &fields {
            None => {
                let found = svc::related_ready(&state, &auth.0, &slug, q.limit).await?;
                let shown: Vec<i64> = found.page.items.iter().map(|a| a.id()).collect();
                let body = render_ready_list(&req, found.page)?;
                (body, found.source, shown, found.fresh_for)
            }
            Some(fields) => {
                let found = svc::related(&state, &auth.0, &slug, q.limit).await?;
                let shown: Vec<i64> = found.page.items.iter().map(|a| a.id).collect();
                let body = render_list_keeping(&req, found.page, Some(fields))?;
                (body, found.source, shown, found.fresh_for)
            }
        };
        Ok(body
            .showing(svc::related_shows(source, shown))
            .fresh_for(Some(fresh_for)))
    })
    .await
}

/// The curated related list as stored (editors).
#[utoipa::path(
    operation_id = "getCuratedRelated",
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = RelatedList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{slug}/related/curated")]
pub async fn curated(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
) -> AppResult<Json<RelatedList>> {
    let slugs = svc::curated(&state, &auth.0, &slug).await?;
    Ok(Json(RelatedList { slugs }))
}

/// Sets the curated related list, in order (editors).
#[utoipa::path(
    operation_id = "setRelatedArticles",
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug")),
    request_body = SetRelated,
    security(("bearer" = [])),
    responses(
        (status = 200, body = RelatedList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/articles/{slug}/related")]
pub async fn set_related(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
    body: Json<SetRelated>,
) -> AppResult<Json<RelatedList>> {
    let slugs = svc::set_related(&state, &auth.0, &slug, body.into_inner().slugs).await?;
    Ok(Json(RelatedList { slugs }))
}

/// Counts one view of a published article: once per client per article per 10 minutes
/// (later views are answered alike, and not counted).
#[utoipa::path(
    operation_id = "recordView",
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug")),
    responses(
        (status = 202, description = "Counted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/articles/{slug}/views")]
pub async fn record_view(
    state: Data<AppState>,
    who: Anonymous,
    slug: Path<String>,
) -> AppResult<HttpResponse> {
    svc::record_view(&state, &who.0, &slug).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Counts one share of a published article on a network: once per client, article and
/// network per 10 minutes.
#[utoipa::path(
    operation_id = "recordShare",
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug")),
    request_body = RecordShare,
    responses(
        (status = 202, description = "Counted"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/articles/{slug}/shares")]
pub async fn record_share(
    state: Data<AppState>,
    who: Anonymous,
    slug: Path<String>,
    body: Json<RecordShare>,
) -> AppResult<HttpResponse> {
    svc::record_share(&state, &who.0, &slug, &body.network).await?;
    Ok(HttpResponse::Accepted().finish())
}
