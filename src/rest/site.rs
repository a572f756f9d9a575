//! The site's settings: what feeds and sitemaps call the site and how they link to it.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Json};
use actix_web::{get, patch, HttpRequest, HttpResponse};

use super::http::{public_get, render_json, respond, Auth};
use crate::error::{AppResult, Problem};
use crate::model::{Site, UpdateSite};
use crate::service::{site as svc, AppState};

/// The site's title, description, frontend URL, language and article URL template.
#[utoipa::path(
    operation_id = "getSite",
    tag = "site",
    responses(
        (status = 200, body = Site),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/site")]
pub async fn get(state: Data<AppState>, auth: Auth, req: HttpRequest) -> AppResult<HttpResponse> {
    public_get(&state, &req, &auth.0, || async {
        render_json(&svc::get(&state).await?, None)
    })
    .await
}

/// Changes the site's settings (admins). Feeds and sitemaps follow at once.
#[utoipa::path(
    operation_id = "updateSite",
    tag = "site",
    request_body = UpdateSite,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Site),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "A field is invalid; `errors` names it"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/site")]
pub async fn update(
    state: Data<AppState>,
    auth: Auth,
    body: Json<UpdateSite>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let site = svc::update(&state, &auth.0, body.into_inner()).await?;
    Ok(respond(
        &req,
        &auth.0,
        StatusCode::OK,
        &render_json(&site, None)?,
    ))
}
