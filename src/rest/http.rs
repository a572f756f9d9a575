//! What every handler shares: the viewer extractor, cache validators, list headers, and the
//! problem+json rendering of errors that actix raises itself.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::Value;

use crate::domain::FieldSet;
use crate::error::{AppError, FieldErrors};
use crate::model::{ListMeta, ListResponse, ListedSummary};
use crate::service::cache::{CachedBody, Shows, Topic};
use crate::service::paging::Page;
use crate::service::{auth, Access, AppState, Caller, Client};

/// Who is asking: the viewer (anonymous, or the account of a valid bearer token) with the
/// client. A token that is present but invalid, expired or revoked is 401.
pub struct Auth(pub Caller);

/// The request's client, as `conventions` found it (the peer, or whom a trusted proxy names).
pub fn client_of(req: &HttpRequest) -> std::sync::Arc<Client> {
    if let Some(client) = req.extensions().get::<std::sync::Arc<Client>>() {
        return client.clone();
    }
    Client::new(
        req.peer_addr()
            .map_or(std::net::Ipv4Addr::LOCALHOST.into(), |a| a.ip()),
        String::new(),
    )
}

/// A caller that is nobody in particular, whatever token it sends: for what anyone may do
/// alike (logging in, counting a view).
pub struct Anonymous(pub Caller);

impl FromRequest for Anonymous {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Anonymous(Caller::new(
            Access::Anonymous,
            client_of(req),
        ))))
    }
}

impl FromRequest for Auth {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let client = client_of(req);
        let header = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().map(str::to_owned));
        Box::pin(async move {
            let state =
                state.ok_or_else(|| AppError::Internal("application state missing".into()))?;
            let header = match header {
                None => None,
                Some(Ok(h)) => Some(h),
                Some(Err(_)) => {
                    return Err(AppError::Unauthorized(
                        "the Authorization header is not valid text".into(),
                    ))
                }
            };
            let viewer: Access =
                auth::viewer_from_header(&state, &client, header.as_deref()).await?;
            Ok(Auth(Caller::new(viewer, client)))
        })
    }
}

pub fn hash_hex(bytes: &[u8]) -> String {
    // XXH3: the same for the same bytes on every node and in every build, which is all a
    // validator needs, and about ten times SipHash's speed (a page of 20 summaries is ~15 KB).
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

fn if_none_match_hits(req: &HttpRequest, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

/// An XML document's media type as the client asks for it: its own (`application/rss+xml`...)
/// unless the client accepts only `text/xml` (older readers and generated clients), then that.
fn xml_as_asked(req: &HttpRequest, own: &'static str) -> &'static str {
    if !own.starts_with("application/") || !own.contains("xml") {
        return own;
    }
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return own;
    };
    let bare = own.split(';').next().unwrap_or(own);
    let ranges: Vec<&str> = accept
        .split(',')
        .map(|r| r.split(';').next().unwrap_or("").trim())
        .collect();
    let takes_own = ranges
        .iter()
        .any(|r| *r == bare || *r == "*/*" || *r == "application/*" || *r == "application/xml");
    if !takes_own && ranges.contains(&"text/xml") {
        "text/xml; charset=utf-8"
    } else {
        own
    }
}

/// An HTTP date (RFC 9110 5.6.7): `Wed, 19 Mar 2025 14:05:00 GMT`.
pub fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Whether `If-Modified-Since` names a time at or after `last_modified` (to the second).
fn unmodified_since(
    req: &HttpRequest,
    last_modified: Option<chrono::DateTime<chrono::Utc>>,
) -> bool {
    let (Some(last), Some(since)) = (last_modified, req.headers().get(header::IF_MODIFIED_SINCE))
    else {
        return false;
    };
    since
        .to_str()
        .ok()
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v.trim()).ok())
        .is_some_and(|since| last.timestamp() <= since.timestamp())
}

/// The first buffer a JSON body is written into: a latest page of 20 is ~15 KB.
const JSON_BUFFER: usize = 16 * 1024;

/// The body and validator of a JSON response. `version` prefixes the tag for resources that
/// take `If-Match` (articles).
pub fn render_json<T: Serialize>(value: &T, version: Option<i32>) -> Result<CachedBody, AppError> {
    // Room for a page of summaries from the start: grown by doubling from a few bytes, the
    // buffer was copied five or six times on its way there.
    let mut body = Vec::with_capacity(JSON_BUFFER);
    serde_json::to_writer(&mut body, value).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(tagged(body, version))
}

/// A rendered body with its `ETag`.
fn tagged(body: Vec<u8>, version: Option<i32>) -> CachedBody {
    let etag = match version {
        Some(v) => format!("\"v{v}-{}\"", hash_hex(&body)),
        None => format!("\"{}\"", hash_hex(&body)),
    };
    CachedBody::new(body, etag)
}

/// Sends a rendered body with `ETag` and `Cache-Control`; `304` when `If-None-Match` matches.
pub fn respond(
    req: &HttpRequest,
    viewer: &Access,
    status: StatusCode,
    r: &CachedBody,
) -> HttpResponse {
    let cache = if viewer.is_signed_in() {
        crate::conventions::PRIVATE
    } else {
        "public, max-age=30, stale-while-revalidate=60"
    };
    let not_modified = match req.headers().get(header::IF_NONE_MATCH) {
        Some(_) => if_none_match_hits(req, &r.etag),
        // `If-Modified-Since` counts only without `If-None-Match` (RFC 9110 13.1.3).
        None => unmodified_since(req, r.last_modified),
    };
    let mut res = if status == StatusCode::OK && not_modified {
        HttpResponse::NotModified().finish()
    } else {
        let mut res = HttpResponse::build(status)
            .content_type(xml_as_asked(req, r.content_type))
            .body(r.body.clone());
        res.extensions_mut().insert(r.encodings.clone());
        res
    };
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&r.etag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Some(v) = r
        .last_modified
        .and_then(|t| HeaderValue::from_str(&http_date(t)).ok())
    {
        headers.insert(header::LAST_MODIFIED, v);
    }
    headers.insert(
        header::VARY,
        HeaderValue::from_static(if r.content_type.contains("xml") {
            "Authorization, Accept"
        } else {
            "Authorization"
        }),
    );
    if let Some(total) = r.total {
        headers.insert(
            header::HeaderName::from_static("x-total-count"),
            HeaderValue::from(total),
        );
    }
    if let Some(v) = r
        .link
        .as_deref()
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        headers.insert(header::LINK, v);
    }
    res
}

/// A JSON response with its validator and cache headers.
pub fn cached_json<T: Serialize>(
    req: &HttpRequest,
    viewer: &Access,
    value: &T,
    version: Option<i32>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    Ok(respond(req, viewer, status, &render_json(value, version)?))
}

/// A public GET: anonymous requests are served from the response cache, and what they
/// compute goes into it; signed-in viewers (who may see more) always get a fresh one.
pub async fn public_get<F, Fut>(
    state: &AppState,
    req: &HttpRequest,
    viewer: &Access,
    make: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<CachedBody, AppError>>,
{
    if viewer.is_signed_in() {
        return Ok(respond(req, viewer, StatusCode::OK, &make().await?));
    }
    let key = format!("{}{}", req.connection_info().host(), req.uri());
    let body = state
        .cache
        .get_or_make(key, || async { make().await.map(|body| (body, true)) })
        .await?;
    Ok(respond(req, viewer, StatusCode::OK, &body))
}

/// The article version an `If-Match` names (`"v3-..."`), `Some(None)` for `*`, `None` when
/// the header is absent. A tag of another shape can never match: 412.
pub fn if_match_version(req: &HttpRequest) -> Result<Option<i32>, AppError> {
    let Some(raw) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = raw.to_str().unwrap_or("").trim();
    if raw == "*" {
        return Ok(None);
    }
    raw.trim_start_matches("W/")
        .trim_matches('"')
        .strip_prefix('v')
        .and_then(|rest| rest.split('-').next())
        .and_then(|v| v.parse::<i32>().ok())
        .map(Some)
        .ok_or_else(|| {
            AppError::PreconditionFailed(
                "If-Match does not name a version of this article; use the ETag it was served with"
                    .into(),
            )
        })
}

/// The `fields=` of an article GET, each name one of `known`; else 422 naming `fields`.
pub fn field_set(raw: Option<&str>, known: &[&str]) -> Result<Option<FieldSet>, AppError> {
    raw.map(|raw| FieldSet::parse(raw, known).map_err(|m| FieldErrors::one("fields", m)))
        .transpose()
}

/// `value` as JSON, with only `fields` when given.
pub fn sparse<T: Serialize>(value: &T, fields: Option<&FieldSet>) -> Result<Value, AppError> {
    let mut value = serde_json::to_value(value).map_err(|e| AppError::Internal(e.to_string()))?;
    if let Some(fields) = fields {
        fields.keep(&mut value);
    }
    Ok(value)
}

/// A list body: `{data, meta}` with its `X-Total-Count` and RFC 8288 `Link` headers.
pub fn render_list<T: Serialize + utoipa::ToSchema>(
    req: &HttpRequest,
    page: Page<T>,
) -> Result<CachedBody, AppError> {
    render_list_keeping(req, page, None)
}

/// A list whose items keep only `fields` (when given).
pub fn render_list_keeping<T: Serialize + utoipa::ToSchema>(
    req: &HttpRequest,
    page: Page<T>,
    fields: Option<&FieldSet>,
) -> Result<CachedBody, AppError> {
    let link = link_header(req, &page.meta);
    let total = page.meta.total;
    let list = ListResponse {
        data: page.items,
        meta: page.meta,
    };
    let r = match fields {
        None => render_json(&list, None)?,
        Some(fields) => {
            let mut value = sparse(&list, None)?;
            for item in value["data"].as_array_mut().into_iter().flatten() {
                fields.keep(item);
            }
            render_json(&value, None)?
        }
    };
    Ok(as_list(r, total, link))
}

/// A list's body with its `X-Total-Count` and `Link`.
fn as_list(mut r: CachedBody, total: i64, link: String) -> CachedBody {
    r.total = Some(total);
    r.link = (!link.is_empty()).then_some(link);
    r.showing(Shows::topics([Topic::Content]))
}

/// [`render_list_keeping`] for summaries as kept ready: the same body, each kept summary
/// written out as it is.
pub fn render_ready_list(
    req: &HttpRequest,
    page: Page<ListedSummary>,
) -> Result<CachedBody, AppError> {
    let link = link_header(req, &page.meta);
    let total = page.meta.total;
    let failed = |e: serde_json::Error| AppError::Internal(e.to_string());
    let mut body = Vec::with_capacity(JSON_BUFFER);
    body.extend_from_slice(b"{\"data\":[");
    for (i, item) in page.items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        item.write_json(&mut body).map_err(failed)?;
    }
    body.extend_from_slice(b"],\"meta\":");
    serde_json::to_writer(&mut body, &page.meta).map_err(failed)?;
    body.push(b'}');
    Ok(as_list(tagged(body, None), total, link))
}

fn link_header(req: &HttpRequest, meta: &ListMeta) -> String {
    let info = req.connection_info();
    let base = format!("{}://{}{}", info.scheme(), info.host(), req.path());
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k != "page" && k != "cursor" && k != "before")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let link = |extra: (&str, String), rel: &str| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        q.append_pair(extra.0, &extra.1);
        format!("<{base}?{}>; rel=\"{rel}\"", q.finish())
    };
    let last = meta.total_pages.max(1);
    let mut out = Vec::new();
    if meta.page.is_none() {
        if let Some(c) = &meta.next_cursor {
            out.push(link(("cursor", c.clone()), "next"));
        }
        if let Some(c) = &meta.prev_cursor {
            out.push(link(("before", c.clone()), "prev"));
        }
    }
    if let Some(page) = meta.page {
        if page < meta.total_pages {
            out.push(link(("page", (page + 1).to_string()), "next"));
        }
        if page > 1 {
            out.push(link(("page", (page - 1).min(last).to_string()), "prev"));
        }
    }
    out.push(link(("page", "1".into()), "first"));
    out.push(link(("page", last.to_string()), "last"));
    out.join(", ")
}

/// Malformed or mistyped JSON is 400, a body over the limit 413, a wrong media type 415.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req| {
            let e = match &err {
                JsonPayloadError::Overflow { limit } => AppError::PayloadTooLarge(format!(
                    "the body is over the limit of {limit} bytes"
                )),
                JsonPayloadError::OverflowKnownLength { length, limit } => {
                    AppError::PayloadTooLarge(format!(
                        "the body has {length} bytes, over the limit of {limit}"
                    ))
                }
                JsonPayloadError::ContentType => AppError::UnsupportedMediaType(
                    "send the body as JSON with Content-Type: application/json".into(),
                ),
                JsonPayloadError::Deserialize(e) => {
                    AppError::BadRequest(format!("the JSON body is not valid: {e}"))
                }
                JsonPayloadError::Payload(e) => crate::limits::payload_error(e),
                other => AppError::BadRequest(format!("the body could not be read: {other}")),
            };
            e.into()
        })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        AppError::BadRequest(format!("the query string is not valid: {err}")).into()
    })
}

/// A path segment that cannot name anything (an id that is not a number) is a resource that
/// does not exist: 404, as for a slug that is not a slug.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_: PathError, req| {
        AppError::NotFound(format!("no resource at {}", req.path())).into()
    })
}

/// Turns any error response that is not problem+json yet (actix's own: payload errors,
/// timeouts...) into one, keeping its status.
pub fn error_handlers<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        // Problems are ours already, and so are JSON answers (GraphQL's errors are JSON in
        // GraphQL's shape); anything else (actix's own plain text) becomes a problem.
        let ours = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.starts_with("application/problem+json")
                    || v.starts_with("application/json")
                    || v.starts_with("application/graphql-response+json")
            });
        if ours {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let status = res.status();
        let path = res.request().path().to_owned();
        let reason = status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_owned();
        // Statuses with an error of ours keep its type and shape (a GraphQL error on
        // /graphql); any other gets a problem named after its status.
        let ours = match status {
            StatusCode::NOT_FOUND => Some(AppError::NotFound(format!("no resource at {path}"))),
            StatusCode::BAD_REQUEST => Some(AppError::BadRequest(reason.clone())),
            StatusCode::REQUEST_TIMEOUT => Some(AppError::RequestTimeout(reason.clone())),
            StatusCode::PAYLOAD_TOO_LARGE => Some(AppError::PayloadTooLarge(reason.clone())),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                Some(AppError::UnsupportedMediaType(reason.clone()))
            }
            StatusCode::SERVICE_UNAVAILABLE => Some(AppError::Unavailable(reason.clone())),
            _ => None,
        };
        let problem = match ours {
            Some(e) => crate::limits::error_for(
                &path,
                crate::graphql::Media::of(res.request().headers()),
                &e,
            ),
            None => {
                let detail = if status.is_server_error() {
                    "An unexpected error occurred.".to_owned()
                } else {
                    reason
                };
                let problem = crate::error::Problem {
                    kind: format!("https://newsdesk.dev/problems/http-{}", status.as_u16()),
                    title: status.canonical_reason().unwrap_or("Error").into(),
                    status: status.as_u16(),
                    detail,
                    errors: None,
                };
                HttpResponse::build(status)
                    .content_type("application/problem+json")
                    .body(serde_json::to_vec(&problem).unwrap_or_default())
            }
        };
        let (req, _) = res.into_parts();
        let res = ServiceResponse::new(req, problem.map_into_boxed_body()).map_into_right_body();
        Ok(ErrorHandlerResponse::Response(res))
    })
}
