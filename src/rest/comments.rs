use actix_web::http::{header, StatusCode};
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, patch, post, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::http::{public_get, render_list, respond, Auth};
use super::tags::PageQuery;
use crate::error::{AppResult, Problem};
use crate::model::{AddComment, Comment, ListResponse, ModerateComment};
use crate::service::paging::PageParams;
use crate::service::{comments as svc, AppState};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `pending` (default), `approved`, `spam`, `rejected` or `any`.
    status: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
    cursor: Option<String>,
}

/// Approved comments of an article, oldest first, threaded (pages count top-level comments).
#[utoipa::path(
    operation_id = "listArticleComments",
    tag = "comments",
    params(("slug" = String, Path, description = "The article's slug"), PageQuery),
    responses(
        (status = 200, body = ListResponse<Comment>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{slug}/comments")]
pub async fn list_for_article(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
    q: Query<PageQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    public_get(&state, &req, &auth.0, || async {
        render_list(
            &req,
            svc::list_for_article(&state, &auth.0, &slug, &q.params()).await?,
        )
    })
    .await
}

/// Posts a comment. It waits for moderation (`pending`) unless an editor posts it.
#[utoipa::path(
    operation_id = "addComment",
    tag = "comments",
    params(("slug" = String, Path, description = "The article's slug")),
    request_body = AddComment,
    responses(
        (status = 201, body = Comment),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/articles/{slug}/comments")]
pub async fn add(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
    body: Json<AddComment>,
) -> AppResult<HttpResponse> {
    let comment = svc::add(&state, &auth.0, &slug, body.into_inner()).await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, format!("/api/v1/comments/{}", comment.id)))
        .json(comment))
}

/// The moderation queue (editors), oldest first, with emails and article slugs.
#[utoipa::path(
    operation_id = "listComments",
    tag = "comments",
    params(QueueQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ListResponse<Comment>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/comments")]
pub async fn queue(
    state: Data<AppState>,
    auth: Auth,
    q: Query<QueueQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let paging = PageParams {
        page: q.page,
        per_page: q.per_page,
        cursor: q.cursor,
        ..Default::default()
    };
    let page = svc::queue(&state, &auth.0, q.status.as_deref(), &paging).await?;
    Ok(respond(
        &req,
        &auth.0,
        StatusCode::OK,
        &render_list(&req, page)?,
    ))
}

/// Moderates a comment (editors).
#[utoipa::path(
    operation_id = "moderateComment",
    tag = "comments",
    params(("id" = i64, Path, description = "The comment's id")),
    request_body = ModerateComment,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Comment),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/comments/{id}")]
pub async fn moderate(
    state: Data<AppState>,
    auth: Auth,
    id: Path<i64>,
    body: Json<ModerateComment>,
) -> AppResult<Json<Comment>> {
    Ok(Json(
        svc::moderate(&state, &auth.0, id.into_inner(), &body.status).await?,
    ))
}

/// Deletes a comment and its replies (editors).
#[utoipa::path(
    operation_id = "deleteComment",
    tag = "comments",
    params(("id" = i64, Path, description = "The comment's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/comments/{id}")]
pub async fn delete(state: Data<AppState>, auth: Auth, id: Path<i64>) -> AppResult<HttpResponse> {
    svc::delete(&state, &auth.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
