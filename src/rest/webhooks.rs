//! Webhook endpoints (admins): API.md "Webhooks (admin)".

use actix_web::http::{header, StatusCode};
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, patch, post, HttpRequest, HttpResponse};

use super::http::{render_json, render_list, respond, Auth};
use super::tags::PageQuery;
use crate::error::{AppResult, Problem};
use crate::model::{
    CreateWebhook, ListResponse, UpdateWebhook, Webhook, WebhookDelivery, WebhookWithSecret,
};
use crate::service::{webhooks as svc, AppState};

/// Every webhook endpoint (never their secrets).
#[utoipa::path(
    operation_id = "listWebhooks",
    tag = "webhooks",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Webhook>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks")]
pub async fn list(state: Data<AppState>, auth: Auth, req: HttpRequest) -> AppResult<HttpResponse> {
    let hooks = svc::list(&state, &auth.0).await?;
    Ok(respond(
        &req,
        &auth.0,
        StatusCode::OK,
        &render_json(&hooks, None)?,
    ))
}

/// Adds an endpoint. Its signing secret (`whsec_...`) is in this answer only: keep it.
#[utoipa::path(
    operation_id = "createWebhook",
    tag = "webhooks",
    request_body = CreateWebhook,
    security(("bearer" = [])),
    responses(
        (status = 201, body = WebhookWithSecret),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "A bad URL (or one on a private address), unknown event types"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks")]
pub async fn create(
    state: Data<AppState>,
    auth: Auth,
    body: Json<CreateWebhook>,
) -> AppResult<HttpResponse> {
    let created = svc::create(&state, &auth.0, body.into_inner()).await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((
            header::LOCATION,
            format!("/api/v1/webhooks/{}", created.webhook.id),
        ))
        .insert_header((header::CACHE_CONTROL, crate::conventions::PRIVATE))
        .json(created))
}

/// One endpoint.
#[utoipa::path(
    operation_id = "getWebhook",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Webhook),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/{id}")]
pub async fn get(
    state: Data<AppState>,
    auth: Auth,
    id: Path<i64>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let hook = svc::get(&state, &auth.0, id.into_inner()).await?;
    Ok(respond(
        &req,
        &auth.0,
        StatusCode::OK,
        &render_json(&hook, None)?,
    ))
}

/// Changes an endpoint's URL, events, description or whether it is active.
#[utoipa::path(
    operation_id = "updateWebhook",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    request_body = UpdateWebhook,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Webhook),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/webhooks/{id}")]
pub async fn update(
    state: Data<AppState>,
    auth: Auth,
    id: Path<i64>,
    body: Json<UpdateWebhook>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let hook = svc::update(&state, &auth.0, id.into_inner(), body.into_inner()).await?;
    Ok(respond(
        &req,
        &auth.0,
        StatusCode::OK,
        &render_json(&hook, None)?,
    ))
}

/// Removes an endpoint and its delivery log.
#[utoipa::path(
    operation_id = "deleteWebhook",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/webhooks/{id}")]
pub async fn remove(state: Data<AppState>, auth: Auth, id: Path<i64>) -> AppResult<HttpResponse> {
    svc::delete(&state, &auth.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new signing secret, in this answer only. The old one keeps signing beside it for 24
/// hours (`webhook-signature` then carries both), so receivers switch without a gap.
#[utoipa::path(
    operation_id = "rotateWebhookSecret",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = WebhookWithSecret),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_secret(
    state: Data<AppState>,
    auth: Auth,
    id: Path<i64>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let hook = svc::rotate_secret(&state, &auth.0, id.into_inner()).await?;
    Ok(respond(
        &req,
        &auth.0,
        StatusCode::OK,
        &render_json(&hook, None)?,
    ))
}

/// The delivery log, newest first: event, attempts, last status, next attempt, outcome.
#[utoipa::path(
    operation_id = "listWebhookDeliveries",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ListResponse<WebhookDelivery>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: Data<AppState>,
    auth: Auth,
    id: Path<i64>,
    q: Query<PageQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let page = svc::deliveries(&state, &auth.0, id.into_inner(), &q.params()).await?;
    Ok(respond(
        &req,
        &auth.0,
        StatusCode::OK,
        &render_list(&req, page)?,
    ))
}

/// Sends a delivery again now, with its `webhook-id`; the answer is the delivery after
/// that attempt.
#[utoipa::path(
    operation_id = "redeliverWebhook",
    tag = "webhooks",
    params(
        ("id" = i64, Path, description = "The endpoint's id"),
        ("delivery_id" = i64, Path, description = "The delivery's id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = WebhookDelivery),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(i64, i64)>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (id, delivery_id) = path.into_inner();
    let d = svc::redeliver(&state, &auth.0, id, delivery_id).await?;
    Ok(respond(
        &req,
        &auth.0,
        StatusCode::OK,
        &render_json(&d, None)?,
    ))
}

/// Sends a `ping` event now; the answer is its delivery after that attempt.
#[utoipa::path(
    operation_id = "pingWebhook",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = WebhookDelivery),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/{id}/ping")]
pub async fn ping(
    state: Data<AppState>,
    auth: Auth,
    id: Path<i64>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let d = svc::ping(&state, &auth.0, id.into_inner()).await?;
    Ok(respond(
        &req,
        &auth.0,
        StatusCode::OK,
        &render_json(&d, None)?,
    ))
}
