//! REST: thin handlers over `service`. Routes and the OpenAPI document come from one list
//! (`routes`), so the document cannot drift from what the server serves.

mod accounts;
mod articles;
mod comments;
pub mod docs;
mod editorial;
pub mod feeds;
pub mod health;
mod http;
mod site;
mod tags;
mod tokens;
mod webhooks;

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::AppExt;

use crate::error::AppError;

pub use http::{client_of, error_handlers, json_config, path_config, query_config, Auth};

/// Every REST route, registered once for the server and for the OpenAPI document.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::index)
        .service(health::healthz)
        .service(health::readyz)
        .service(feeds::rss)
        .service(feeds::atom)
        .service(feeds::json_feed)
        .service(feeds::sitemap_index)
        .service(feeds::sitemap_file)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .service(accounts::login)
                .service(accounts::refresh)
                .service(accounts::logout)
                .service(tokens::list)
                .service(tokens::create)
                .service(tokens::revoke)
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
                .service(editorial::list)
                .service(editorial::get)
                .service(editorial::restore)
                .service(editorial::create_preview)
                .service(editorial::revoke_previews)
                .service(editorial::read_preview)
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
                .service(site::get)
                .service(site::update)
                .service(webhooks::list)
                .service(webhooks::create)
                .service(webhooks::get)
                .service(webhooks::update)
                .service(webhooks::remove)
                .service(webhooks::rotate_secret)
                .service(webhooks::deliveries)
                .service(webhooks::redeliver)
                .service(webhooks::ping)
                .service(health::openapi),
        );
}

/// The tags operations are grouped by, in the order a reader meets them.
const TAGS: &[(&str, &str)] = &[
    ("articles", "News articles: lists with filters and keyset paging, one article, writes, related articles and counters"),
    ("comments", "Threaded reader comments and their moderation"),
    ("tags", "Tags (sections, topics) and their article counts"),
    ("auth", "Signing in and one's own account"),
    ("authors", "Authors' public profiles"),
    ("users", "User accounts and their roles (admins)"),
    ("feeds", "RSS, Atom and JSON feeds, sitemaps and the Google News sitemap (outside /api/v1)"),
    ("site", "The site's settings that feeds and sitemaps use"),
    ("webhooks", "Signed event deliveries to your endpoints (admins; Standard Webhooks)"),
    ("health", "Liveness, readiness and this document"),
];

/// What a response of `status` means when its operation says nothing more.
fn status_description(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted",
        "204" => "No content",
        "304" => "Not modified: the `If-None-Match` tag is current",
        "400" => "Malformed request (invalid JSON, a wrong type, a malformed query string)",
        "401" => "No valid token: missing, invalid, expired or revoked",
        "403" => "The token is valid but its role may not do this",
        "404" => "No such resource (or not visible to this reader)",
        "409" => "Conflicts with the current state (a slug that is taken)",
        "412" => "`If-Match` names a version that is no longer current",
        "413" => "The body is over the size limit",
        "415" => "The body is not JSON",
        "422" => "Validation failed; `errors` names each field",
        "429" => "Too many requests; see `Retry-After`",
        "503" => "Unavailable for now; see `Retry-After`",
        _ => "Response",
    }
}

/// The OpenAPI 3.1 document of `routes`, complete enough for strict validators and client
/// generators: every response described, operations named and tagged, tags declared.
pub fn openapi() -> OpenApi {
    use utoipa::openapi::{info, tag::TagBuilder, RefOr, ServerBuilder};
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .configure(routes)
        .split_for_parts();
    api.info = InfoBuilder::new()
        .title("newsdesk")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "A headless news content API. Reads of published content need no token; writes \
             take `Authorization: Bearer <jwt>` from `POST /api/v1/auth/login` (renewed at \
             `POST /api/v1/auth/refresh`), or an integration token (`Bearer nd_...`). Errors \
             are RFC 9457 problem details (`application/problem+json`). Logins, anonymous \
             comments and writes are rate limited: `429` with `Retry-After`, and the \
             `RateLimit-Policy`/`RateLimit` headers. Every GET also answers HEAD; responses \
             are compressed (gzip, br) when the client accepts it. The full contract, with \
             examples, is docs/API.md in the repository.",
        ))
        .contact(Some(
            info::ContactBuilder::new()
                .name(Some("newsdesk maintainers"))
                .url(Some("https://newsdesk.dev"))
                .build(),
        ))
        .license(Some(
            info::LicenseBuilder::new()
                .name(env!("CARGO_PKG_LICENSE"))
                .identifier(Some(env!("CARGO_PKG_LICENSE")))
                .build(),
        ))
        .build();
    api.servers = Some(vec![ServerBuilder::new()
        .url("/")
        .description(Some("The server that serves this document"))
        .build()]);
    api.tags = Some(
        TAGS.iter()
            .map(|(name, description)| {
                TagBuilder::new()
                    .name(*name)
                    .description(Some(*description))
                    .build()
            })
            .collect(),
    );
    for item in api.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in operations.into_iter().flatten() {
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(r) = response {
                    if r.description.is_empty() {
                        r.description = status_description(status).to_owned();
                    }
                }
            }
        }
    }
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
                            methods.push(m.clone());
                            if m == Method::GET {
                                methods.push(Method::HEAD);
                            }
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
