use actix_web::web::{Data, Json};
use actix_web::{get, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult, Problem};
use crate::model::Health;
use crate::service::AppState;

/// The OpenAPI document, rendered once at start-up.
pub struct OpenApiJson(pub String);

/// Where things are: a small index for a client (or a person) arriving at `/`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Index {
    pub name: &'static str,
    pub version: &'static str,
    pub description: &'static str,
    pub links: IndexLinks,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndexLinks {
    /// The interactive API reference (HTML).
    pub docs: &'static str,
    /// The OpenAPI 3.1 document.
    pub openapi: &'static str,
    /// The REST API's base path.
    pub rest: &'static str,
    /// GraphQL (POST; GET in a browser opens GraphiQL).
    pub graphql: &'static str,
    pub healthz: &'static str,
    pub readyz: &'static str,
}

/// The index: name, version and links to the documents and endpoints.
#[utoipa::path(
    operation_id = "getIndex",
    tag = "health",
    responses((status = 200, body = Index, description = "Name, version and where things are"))
)]
#[get("/")]
pub async fn index() -> Json<Index> {
    Json(Index {
        name: "newsdesk",
        version: env!("CARGO_PKG_VERSION"),
        description: env!("CARGO_PKG_DESCRIPTION"),
        links: IndexLinks {
            docs: "/api/docs",
            openapi: "/api/v1/openapi.json",
            rest: "/api/v1",
            graphql: "/graphql",
            healthz: "/healthz",
            readyz: "/readyz",
        },
    })
}

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
