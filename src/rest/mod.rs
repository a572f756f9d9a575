//! REST: thin handlers over `service`. Routes and the OpenAPI document come from one list
//! (`routes`), so the document cannot drift from what the server serves.

mod accounts;
mod articles;
mod comments;
pub mod health;
mod http;
mod tags;

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::AppExt;

use crate::error::AppError;

pub use http::{error_handlers, json_config, path_config, query_config, Auth};

/// Every REST route, registered once for the server and for the OpenAPI document.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .service(accounts::login)
                .service(accounts::me)
                .service(accounts::update_me)
                .service(accounts::list_users)
                .service(accounts::create_user)
                .service(accounts::update_user)
                .service(accounts::delete_user)
                .service(accounts::author)
                .service(articles::list)
                .service(articles::create)
                .service(articles::get)
                .service(articles::update)
                .service(articles::delete)
                .service(articles::related)
                .service(articles::curated)
                .service(articles::set_related)
                .service(articles::record_view)
                .service(articles::record_share)
                .service(comments::list_for_article)
                .service(comments::add)
                .service(comments::queue)
                .service(comments::moderate)
                .service(comments::delete)
                .service(tags::list)
                .service(tags::create)
                .service(tags::get)
                .service(tags::update)
                .service(tags::delete)
                .service(health::openapi),
        );
}

/// The OpenAPI 3 document of `routes`.
pub fn openapi() -> OpenApi {
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .configure(routes)
        .split_for_parts();
    api.info = InfoBuilder::new()
        .title("newsdesk")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "A headless news content API. Reads of published content need no token; writes \
             take `Authorization: Bearer <jwt>` from `POST /api/v1/auth/login`. Errors are \
             RFC 9457 problem details.",
        ))
        .build();
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    api
}

/// The routes' path patterns and methods, taken from the document, so that an unmatched
/// request can be told apart as 404 (no such path) or 405 (no such method on it).
pub struct RouteTable(Vec<(ResourceDef, Vec<Method>)>);

impl RouteTable {
    pub fn from_openapi(api: &OpenApi) -> Self {
        RouteTable(
            api.paths
                .paths
                .iter()
                .map(|(path, item)| {
                    let mut methods = Vec::new();
                    for (m, op) in [
                        (Method::GET, &item.get),
                        (Method::POST, &item.post),
                        (Method::PUT, &item.put),
                        (Method::PATCH, &item.patch),
                        (Method::DELETE, &item.delete),
                    ] {
                        if op.is_some() {
                            methods.push(m);
                        }
                    }
                    (ResourceDef::new(path.as_str()), methods)
                })
                .collect(),
        )
    }

    fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let mut found: Option<Vec<Method>> = None;
        for (def, methods) in &self.0 {
            if def.is_match(path) {
                found
                    .get_or_insert_with(Vec::new)
                    .extend(methods.iter().cloned());
            }
        }
        found
    }
}

/// Requests no route took: 405 with `Allow` when the path exists, else 404.
pub async fn fallback(req: HttpRequest, table: web::Data<RouteTable>) -> HttpResponse {
    use actix_web::ResponseError;
    match table.allowed(req.path()) {
        Some(methods) if !methods.is_empty() => {
            let allow = methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let mut res = AppError::MethodNotAllowed(format!(
                "{} is not allowed on {}; use {allow}",
                req.method(),
                req.path()
            ))
            .error_response();
            if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow) {
                res.headers_mut().insert(actix_web::http::header::ALLOW, v);
            }
            res
        }
        _ => AppError::NotFound(format!("no resource at {}", req.path())).error_response(),
    }
}
