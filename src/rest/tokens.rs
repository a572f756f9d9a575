//! Integration tokens for build servers, bots and importers.

use actix_web::http::{header, StatusCode};
use actix_web::web::{Data, Json, Path};
use actix_web::{delete, get, post, HttpRequest, HttpResponse};

use super::http::{render_json, respond, Auth};
use crate::error::{AppResult, Problem};
use crate::model::{ApiToken, CreateToken, CreatedToken};
use crate::service::{tokens as svc, AppState};

/// Your live integration tokens (an admin sees everyone's), newest first; never the tokens
/// themselves.
#[utoipa::path(
    operation_id = "listTokens",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<ApiToken>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tokens")]
pub async fn list(state: Data<AppState>, auth: Auth, req: HttpRequest) -> AppResult<HttpResponse> {
    let tokens = svc::list(&state, &auth.0).await?;
    Ok(respond(
        &req,
        &auth.0,
        StatusCode::OK,
        &render_json(&tokens, None)?,
    ))
}

/// Creates an integration token with a role at most your own. The token is in this answer
/// only: keep it.
#[utoipa::path(
    operation_id = "createToken",
    tag = "auth",
    request_body = CreateToken,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CreatedToken),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tokens")]
pub async fn create(
    state: Data<AppState>,
    auth: Auth,
    body: Json<CreateToken>,
) -> AppResult<HttpResponse> {
    let created = svc::create(&state, &auth.0, body.into_inner()).await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((
            header::LOCATION,
            format!("/api/v1/tokens/{}", created.info.id),
        ))
        .json(created))
}

/// Revokes an integration token (its creator, or an admin): it stops working at once.
#[utoipa::path(
    operation_id = "revokeToken",
    tag = "auth",
    params(("id" = i64, Path, description = "The token's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/tokens/{id}")]
pub async fn revoke(state: Data<AppState>, auth: Auth, id: Path<i64>) -> AppResult<HttpResponse> {
    svc::revoke(&state, &auth.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
