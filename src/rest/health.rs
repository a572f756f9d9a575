use actix_web::web::{Data, Json};
use actix_web::{get, HttpResponse};

use crate::error::{AppError, AppResult, Problem};
use crate::model::Health;
use crate::service::AppState;

/// The OpenAPI document, rendered once at start-up.
pub struct OpenApiJson(pub String);

/// Liveness: the process answers.
#[utoipa::path(operation_id = "healthz", tag = "health", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// Readiness: the database answers.
#[utoipa::path(
    operation_id = "readyz",
    tag = "health",
    responses(
        (status = 200, body = Health),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: Data<AppState>) -> AppResult<Json<Health>> {
    state
        .db
        .ping()
        .await
        .map_err(|_| AppError::Unavailable("the database does not answer".into()))?;
    Ok(Json(Health {
        status: "ready".into(),
    }))
}

/// This document.
#[utoipa::path(operation_id = "getOpenApi", tag = "health", responses((status = 200, description = "OpenAPI 3 JSON")))]
#[get("/openapi.json")]
pub async fn openapi(doc: Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .body(doc.0.clone())
}
