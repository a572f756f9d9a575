use actix_web::http::header;
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, patch, post, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::http::{public_get, render_json, render_list, Auth};
use crate::error::{AppResult, Problem};
use crate::model::{CreateTag, ListResponse, Tag, UpdateTag};
use crate::service::cache::{Shows, Topic};
use crate::service::paging::PageParams;
use crate::service::{tags as svc, AppState};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    page: Option<i64>,
    /// Items per page, 1 to 100 (default 20).
    per_page: Option<i64>,
    /// `meta.next_cursor` of the previous page.
    cursor: Option<String>,
}

impl PageQuery {
    pub fn params(&self) -> PageParams {
        PageParams {
            page: self.page,
            per_page: self.per_page,
            cursor: self.cursor.clone(),
            ..Default::default()
        }
    }
}

/// All tags, by slug, each with its count of published articles.
#[utoipa::path(
    operation_id = "listTags",
    tag = "tags",
    params(PageQuery),
    responses(
        (status = 200, body = ListResponse<Tag>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tags")]
pub async fn list(
    state: Data<AppState>,
    auth: Auth,
    q: Query<PageQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    public_get(&state, &req, &auth.0, || async {
        Ok(render_list(&req, svc::list(&state, &q.params()).await?)?
            .showing(Shows::topics([Topic::Tags])))
    })
    .await
}

/// One tag.
#[utoipa::path(
    operation_id = "getTag",
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's slug")),
    responses(
        (status = 200, body = Tag),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tags/{slug}")]
pub async fn get(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    public_get(&state, &req, &auth.0, || async {
        let tag = svc::get(&state, &slug).await?;
        Ok(render_json(&tag, None)?.showing(Shows::topics([Topic::Tag(tag.slug.clone())])))
    })
    .await
}

/// Creates a tag (editors).
#[utoipa::path(
    operation_id = "createTag",
    tag = "tags",
    request_body = CreateTag,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Tag),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tags")]
pub async fn create(
    state: Data<AppState>,
    auth: Auth,
    body: Json<CreateTag>,
) -> AppResult<HttpResponse> {
    let tag = svc::create(&state, &auth.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/tags/{}", tag.slug)))
        .json(tag))
}

/// Changes a tag (editors).
#[utoipa::path(
    operation_id = "updateTag",
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's slug")),
    request_body = UpdateTag,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Tag),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/tags/{slug}")]
pub async fn update(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
    body: Json<UpdateTag>,
) -> AppResult<Json<Tag>> {
    Ok(Json(
        svc::update(&state, &auth.0, &slug, body.into_inner()).await?,
    ))
}

/// Deletes a tag (editors); articles keep their other tags.
#[utoipa::path(
    operation_id = "deleteTag",
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's slug")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/tags/{slug}")]
pub async fn delete(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
) -> AppResult<HttpResponse> {
    svc::delete(&state, &auth.0, &slug).await?;
    Ok(HttpResponse::NoContent().finish())
}
