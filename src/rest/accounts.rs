use actix_web::http::{header, StatusCode};
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, patch, post, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::http::{public_get, render_json, render_list, respond, Anonymous, Auth};
use super::tags::PageQuery;
use crate::error::{AppResult, Problem};
use crate::model::{
    Author, CreateUser, ListResponse, Login, LoginResponse, RefreshRequest, UpdateUser, User,
};
use crate::service::cache::{Shows, Topic};
use crate::service::{accounts as svc, auth, tokens, AppState};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteUserQuery {
    /// The account that takes over the deleted account's articles (required when it has any).
    reassign_to: Option<i64>,
}

/// Exchanges an email and password for a bearer token.
#[utoipa::path(
    operation_id = "login",
    tag = "auth",
    request_body = Login,
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: Data<AppState>,
    who: Anonymous,
    body: Json<Login>,
) -> AppResult<Json<LoginResponse>> {
    Ok(Json(
        auth::login(&state, &who.0, &body.email, &body.password).await?,
    ))
}

/// Exchanges a refresh token for a new access token and a new refresh token. Each refresh
/// token works once: presenting a used one again ends every session of its login.
#[utoipa::path(
    operation_id = "refreshToken",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: Data<AppState>,
    who: Anonymous,
    body: Json<RefreshRequest>,
) -> AppResult<Json<LoginResponse>> {
    Ok(Json(
        tokens::refresh(&state, &who.0, &body.refresh_token).await?,
    ))
}

/// Ends the session of a refresh token (every refresh token of its login).
#[utoipa::path(
    operation_id = "logout",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Ended (also when it was over already)"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    state: Data<AppState>,
    who: Anonymous,
    body: Json<RefreshRequest>,
) -> AppResult<HttpResponse> {
    tokens::logout(&state, &who.0, &body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The current account.
#[utoipa::path(
    operation_id = "getMe",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = User),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
pub async fn me(state: Data<AppState>, auth: Auth) -> AppResult<Json<User>> {
    Ok(Json(svc::me(&state, &auth.0).await?))
}

/// Changes one's own profile or password (`current_password` is required for a new one).
/// A new password revokes the account's older tokens.
#[utoipa::path(
    operation_id = "updateMe",
    tag = "auth",
    request_body = UpdateUser,
    security(("bearer" = [])),
    responses(
        (status = 200, body = User),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/me")]
pub async fn update_me(
    state: Data<AppState>,
    auth: Auth,
    body: Json<UpdateUser>,
) -> AppResult<Json<User>> {
    Ok(Json(
        svc::update_me(&state, &auth.0, body.into_inner()).await?,
    ))
}

/// All accounts (admins).
#[utoipa::path(
    operation_id = "listUsers",
    tag = "users",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ListResponse<User>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users")]
pub async fn list_users(
    state: Data<AppState>,
    auth: Auth,
    q: Query<PageQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let page = svc::list(&state, &auth.0, &q.params()).await?;
    Ok(respond(
        &req,
        &auth.0,
        StatusCode::OK,
        &render_list(&req, page)?,
    ))
}

/// Creates an account (admins).
#[utoipa::path(
    operation_id = "createUser",
    tag = "users",
    request_body = CreateUser,
    security(("bearer" = [])),
    responses(
        (status = 201, body = User),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
pub async fn create_user(
    state: Data<AppState>,
    auth: Auth,
    body: Json<CreateUser>,
) -> AppResult<HttpResponse> {
    let user = svc::create(&state, &auth.0, body.into_inner()).await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", user.id)))
        .json(user))
}

/// Changes an account (admins). A new password or role revokes its older tokens.
#[utoipa::path(
    operation_id = "updateUser",
    tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    request_body = UpdateUser,
    security(("bearer" = [])),
    responses(
        (status = 200, body = User),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: Data<AppState>,
    auth: Auth,
    id: Path<i64>,
    body: Json<UpdateUser>,
) -> AppResult<Json<User>> {
    Ok(Json(
        svc::update(&state, &auth.0, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Deletes an account (admins). One with articles needs `reassign_to`.
#[utoipa::path(
    operation_id = "deleteUser",
    tag = "users",
    params(("id" = i64, Path, description = "The account's id"), DeleteUserQuery),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    state: Data<AppState>,
    auth: Auth,
    id: Path<i64>,
    q: Query<DeleteUserQuery>,
) -> AppResult<HttpResponse> {
    svc::delete(&state, &auth.0, id.into_inner(), q.reassign_to).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An author's public profile.
#[utoipa::path(
    operation_id = "getAuthor",
    tag = "authors",
    params(("slug" = String, Path, description = "The author's slug")),
    responses(
        (status = 200, body = Author),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/authors/{slug}")]
pub async fn author(
    state: Data<AppState>,
    auth: Auth,
    slug: Path<String>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    public_get(&state, &req, &auth.0, || async {
        let author = svc::author(&state, &slug).await?;
        Ok(
            render_json(&author, None)?
                .showing(Shows::topics([Topic::Author(author.slug.clone())])),
        )
    })
    .await
}
