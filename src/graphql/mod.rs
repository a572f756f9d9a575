//! GraphQL over the same services as REST: `POST /graphql`, `GET /graphql?query=...` (queries
//! only, so CDNs can cache), and GraphiQL for browsers at `GET /graphql`.

mod documents;
mod editorial;
mod errors;
pub mod guard;
mod loaders;
mod mutation;
mod query;
mod site;
mod tokens;
mod types;
mod webhooks;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql::{Context, EmptySubscription, SDLExportOptions, Schema};

use crate::config::Settings;
use crate::error::AppError;
use crate::service::cache::{CachedBody, Shows, Topic};
use crate::service::paging::PageParams;
use crate::service::{auth, AppState, Caller};

pub use documents::Documents;
pub use loaders::Loaders;
pub use mutation::Mutation;
pub use query::Query;

pub type NewsSchema = Schema<Query, Mutation, EmptySubscription>;

/// What every resolver of one request sees.
pub struct RequestCtx {
    pub state: AppState,
    /// Who is asking (reads as the viewer).
    pub caller: Caller,
    /// What the response shows, for the response cache.
    pub shown: std::sync::Arc<Shown>,
}

/// The articles a response shows, and whether it shows a list (which can change without a
/// write, as scheduled articles go live).
#[derive(Default)]
pub struct Shown {
    articles: std::sync::Mutex<Vec<i64>>,
    lists: std::sync::atomic::AtomicBool,
    /// The answer is for its reader alone (a preview): never kept, never cached downstream.
    private: std::sync::atomic::AtomicBool,
}

impl Shown {
    /// The answer holds something for its reader alone.
    pub fn private(&self) {
        self.private
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn is_private(&self) -> bool {
        self.private.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn articles(&self, ids: impl IntoIterator<Item = i64>) {
        let mut shown = self.articles.lock().unwrap_or_else(|p| p.into_inner());
        shown.extend(ids);
    }

    pub fn list(&self) {
        self.lists.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// A query may show anything public: any public change reaches its answer. Counters
    /// reach it through the articles it shows, or any counter when it holds a list (which
    /// may be ordered by them).
    fn shows(&self) -> Shows {
        let mut topics = vec![Topic::Content];
        if self.lists.load(std::sync::atomic::Ordering::Relaxed) {
            topics.push(Topic::Popular);
        }
        let ids = self
            .articles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Shows::topics(topics).with_articles(ids)
    }
}

pub(crate) fn request<'a>(ctx: &'a Context<'_>) -> &'a RequestCtx {
    ctx.data_unchecked::<RequestCtx>()
}

/// Relay paging arguments as the service's paging: `first`/`after` forwards,
/// `last`/`before` backwards.
pub(crate) fn page_params(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> async_graphql::Result<PageParams> {
    if first.is_some() && last.is_some() {
        return Err(errors::bad_input("last", "give first or last, not both"));
    }
    if after.is_some() && (last.is_some() || before.is_some()) {
        return Err(errors::bad_input(
            "after",
            "page forwards (first/after) or backwards (last/before), not both",
        ));
    }
    if before.is_some() && first.is_some() {
        return Err(errors::bad_input(
            "before",
            "page forwards (first/after) or backwards (last/before), not both",
        ));
    }
    let backward = last.is_some() || before.is_some();
    Ok(PageParams {
        page: None,
        per_page: first.or(last).map(i64::from),
        cursor: after,
        backward,
        before,
    })
}

/// The schema, built once at start-up with its limits. (Depth is bounded by [`guard`],
/// which leaves introspection out: async-graphql's own depth limit would count it.)
pub fn build_schema(settings: &Settings) -> NewsSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_complexity(settings.graphql_max_complexity);
    if !settings.graphql_introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The SDL of the schema, fields sorted: what `schema.graphql` holds.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl_with_options(
            SDLExportOptions::new()
                .sorted_fields()
                .sorted_arguments()
                .sorted_enum_items(),
        )
}

/// The media type of a GraphQL answer (GraphQL-over-HTTP): `application/graphql-response+json`
/// when the client accepts it, with 4xx statuses for requests that never ran; else
/// `application/json`, where every well-formed request is answered 200.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    Json,
    GraphqlResponse,
}

impl Media {
    const GRAPHQL_RESPONSE: &'static str = "application/graphql-response+json";

    /// From `Accept`: `application/graphql-response+json` when it is listed with a weight
    /// at least that of `application/json`; `application/json` otherwise (no header, `*/*`).
    pub fn of(headers: &header::HeaderMap) -> Media {
        let accept = headers
            .get_all(header::ACCEPT)
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        let weight = |wanted: &str| {
            crate::conventions::weighted(&accept)
                .find_map(|(name, q)| name.eq_ignore_ascii_case(wanted).then_some(q))
        };
        match (weight(Self::GRAPHQL_RESPONSE), weight("application/json")) {
            (Some(g), json) if g > 0.0 && g >= json.unwrap_or(0.0) => Media::GraphqlResponse,
            _ => Media::Json,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Media::Json => "application/json; charset=utf-8",
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }
}

/// An error that belongs to no place in the document (no `locations`).
fn server_error(e: &AppError) -> async_graphql::ServerError {
    let err = errors::to_graphql(e);
    let mut out = async_graphql::ServerError::new(err.message, None);
    out.extensions = err.extensions;
    out
}

fn error_response(e: &AppError) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![server_error(e)])
}

/// Parses the document once and checks what it may cost (see [`guard`]) before async-graphql
/// validates or runs any of it. A document that does not parse is left to async-graphql,
/// which reports the syntax error in its usual shape. An admitted document is kept, and the
/// same text is admitted again without parsing it (see [`Documents`]).
fn admit(
    state: &AppState,
    documents: &Documents,
    gql: &mut async_graphql::Request,
) -> Result<(), AppError> {
    if let Some(doc) = documents.get(&gql.query) {
        gql.set_parsed_query(doc);
        return Ok(());
    }
    let limits = &state.settings.limits;
    if guard::text_nesting(&gql.query) > guard::MAX_TEXT_NESTING {
        return Err(AppError::TooComplex {
            reason: "QUERY_TOO_COMPLEX",
            detail: format!(
                "the document nests brackets more than {} levels deep",
                guard::MAX_TEXT_NESTING
            ),
        });
    }
    let Ok(doc) = async_graphql::parser::parse_query(&gql.query) else {
        return Ok(());
    };
    let bounds = guard::Limits {
        max_nodes: limits.graphql_max_nodes,
        max_aliases: limits.graphql_max_aliases,
        max_mutation_fields: limits.graphql_max_mutations,
        max_depth: state.settings.graphql_max_depth,
    };
    guard::check(&doc, &bounds).map_err(|r| AppError::TooComplex {
        reason: r.reason(),
        detail: r.to_string(),
    })?;
    documents.keep(&gql.query, &doc);
    gql.set_parsed_query(doc);
    Ok(())
}

/// Every error carries a code: async-graphql's own (a document that does not parse or
/// validate, an argument of the wrong type) come without one, and are the client's input.
/// Then at most `max` errors are kept: the first `max - 1` and one that counts the rest
/// (10,000 failing aliases must not make a megabyte of errors).
fn finish_errors(res: &mut async_graphql::Response, max: usize) {
    for e in &mut res.errors {
        let ext = e.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "BAD_USER_INPUT");
        }
    }
    if res.errors.len() <= max {
        return;
    }
    let more = res.errors.len() - (max - 1);
    res.errors.truncate(max - 1);
    let summary = AppError::BadRequest(format!("{more} more errors not shown"));
    res.errors.push(server_error(&summary));
}

/// Runs one admitted request with its viewer and a fresh set of loaders. A token that is
/// present but wrong is `UNAUTHENTICATED`, as in REST.
/// Runs a request: its response, what it shows (for the response cache), and whether it is
/// for its reader alone (never kept nor cached downstream).
async fn execute(
    schema: &NewsSchema,
    state: &AppState,
    req: &HttpRequest,
    gql: async_graphql::Request,
) -> (async_graphql::Response, Shows, bool) {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let client = crate::rest::client_of(req);
    let viewer = match auth::viewer_from_header(state, &client, header).await {
        Ok(v) => v,
        Err(e) => return (error_response(&e), Shows::topics([Topic::Content]), false),
    };
    let loaders = Loaders::new(state, &viewer);
    let shown = std::sync::Arc::new(Shown::default());
    let gql = gql.data(RequestCtx {
        state: state.clone(),
        caller: Caller::new(viewer, client),
        shown: shown.clone(),
    });
    let mut res = schema.execute(gql.data(loaders)).await;
    finish_errors(&mut res, state.settings.limits.graphql_max_errors);
    (res, shown.shows(), shown.is_private())
}

/// An answer for its reader alone: no cache keeps it, no search engine indexes it.
fn private(mut res: HttpResponse) -> HttpResponse {
    let headers = res.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static(crate::conventions::PRIVATE),
    );
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        header::HeaderValue::from_static("noindex"),
    );
    res
}

/// `POST /graphql`. Anonymous queries are answered from the response cache when the same
/// request body was answered since the last change. The cache is asked before anything is
/// parsed: a hit costs a lookup, and only queries (never mutations) are ever kept.
pub async fn post(
    schema: web::Data<NewsSchema>,
    documents: web::Data<Documents>,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let media = Media::of(req.headers());
    if let Err(e) = json_body(&req) {
        return error_http(&e, media);
    }
    let body = match crate::limits::read_body(&req, payload, state.settings.max_body_bytes).await {
        Ok(body) => body,
        Err(e) => return error_http(&e, media),
    };
    let anonymous = req.headers().get(header::AUTHORIZATION).is_none();
    let key = anonymous
        .then(|| std::str::from_utf8(&body).ok())
        .flatten()
        .map(|text| format!("graphql\n{text}"));
    if let Some(hit) = key.as_deref().and_then(|k| state.cache.get(k)) {
        return send_cached(&hit, media);
    }
    let mut gql = match parse_request(&body).and_then(|mut gql| {
        admit(&state, &documents, &mut gql)?;
        Ok(gql)
    }) {
        Ok(gql) => gql,
        Err(e) => return error_http(&e, media),
    };
    let Some(key) = key.filter(|_| !is_mutation(&mut gql)) else {
        let (res, _, alone) = execute(&schema, &state, &req, gql).await;
        let out = answer(&res, media);
        return if alone { private(out) } else { out };
    };
    // Only answers without errors are kept; the first computation's answer is sent as it
    // is (an error answer has its own status).
    let mut uncached = None;
    let made = state
        .cache
        .get_or_make(key, || async {
            let (res, shows, alone) = execute(&schema, &state, &req, gql).await;
            if alone {
                uncached = Some(private(answer(&res, media)));
            } else if !res.is_ok() {
                uncached = Some(answer(&res, media));
            }
            let body = CachedBody::new(serde_json::to_vec(&res).unwrap_or_default(), String::new())
                .showing(shows);
            // Answers with errors are not kept, nor those for their reader alone.
            Ok::<_, std::convert::Infallible>((body, res.is_ok() && !alone))
        })
        .await;
    match (uncached, made) {
        (Some(answer), _) => answer,
        (None, Ok(cached)) => send_cached(&cached, media),
        (None, Err(never)) => match never {},
    }
}

/// An error as a GraphQL response (`{"errors": [...]}`, no `data`) with the error's status:
/// what `/graphql` answers for a request refused before it runs (too large, too slow, too
/// complex, malformed).
pub fn error_http(e: &AppError, media: Media) -> HttpResponse {
    let body = serde_json::json!({ "errors": [server_error(e)] });
    let mut res = e.respond(media.content_type(), body.to_string().into_bytes());
    res.headers_mut()
        .insert(header::VARY, header::HeaderValue::from_static("Accept"));
    res
}

/// A response that ran no operation: the document did not parse or validate, or its
/// variables did not fit (every error without a `path`, and no data).
fn is_request_error(res: &async_graphql::Response) -> bool {
    res.data == async_graphql::Value::Null
        && !res.errors.is_empty()
        && res.errors.iter().all(|e| e.path.is_empty())
}

/// An executed request's answer in `media`. A request error has no `data` entry (GraphQL
/// spec), and with `application/graphql-response+json` its status is 4xx: the error's own
/// (401 for a token that is not valid) or 400.
fn answer(res: &async_graphql::Response, media: Media) -> HttpResponse {
    let request_error = is_request_error(res);
    let mut body = serde_json::to_value(res).unwrap_or_default();
    if request_error {
        if let Some(map) = body.as_object_mut() {
            map.remove("data");
        }
    }
    let unauthenticated = res
        .errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|ext| ext.get("code"))
        .is_some_and(
            |code| matches!(code, async_graphql::Value::String(c) if c == "UNAUTHENTICATED"),
        );
    // A rate limit refused an operation (API.md: RATE_LIMITED is HTTP 429 too, whatever
    // else the request did); the longest wait asked for is the one to honour.
    let wait = res
        .errors
        .iter()
        .filter_map(|e| e.extensions.as_ref()?.get("retryAfter"))
        .filter_map(|v| match v {
            async_graphql::Value::Number(n) => n.as_u64(),
            _ => None,
        })
        .max();
    let status = match (request_error, media) {
        _ if wait.is_some() => StatusCode::TOO_MANY_REQUESTS,
        (true, _) if unauthenticated => StatusCode::UNAUTHORIZED,
        (true, Media::GraphqlResponse) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let mut out = HttpResponse::build(status)
        .content_type(media.content_type())
        .body(serde_json::to_vec(&body).unwrap_or_default());
    out.headers_mut()
        .insert(header::VARY, header::HeaderValue::from_static("Accept"));
    if status == StatusCode::UNAUTHORIZED {
        out.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    if let Some(secs) = wait {
        out.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(secs.max(1)));
    }
    out
}

/// A POST body must say it is JSON (GraphQL-over-HTTP: no `Content-Type` is 4xx too).
fn json_body(req: &HttpRequest) -> Result<(), AppError> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        // No type at all is refused too (GraphQL-over-HTTP: 4xx).
        .is_some_and(|t| {
            let t = t.trim();
            t.eq_ignore_ascii_case("application/json") || t.ends_with("+json")
        });
    if !json {
        return Err(AppError::UnsupportedMediaType(
            "send GraphQL requests as JSON with Content-Type: application/json".into(),
        ));
    }
    Ok(())
}

/// A GraphQL request from a JSON body (`query`, `operationName`, `variables`).
fn parse_request(body: &[u8]) -> Result<async_graphql::Request, AppError> {
    let gql: async_graphql::Request = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("the GraphQL request is not valid JSON: {e}")))?;
    if gql.query.trim().is_empty() {
        return Err(AppError::BadRequest(
            "the GraphQL request has no query; send {\"query\": \"...\"}".into(),
        ));
    }
    Ok(gql)
}

fn send_cached(body: &CachedBody, media: Media) -> HttpResponse {
    let mut res = HttpResponse::Ok()
        .content_type(media.content_type())
        .insert_header((header::VARY, "Accept"))
        .body(body.body.clone());
    res.extensions_mut().insert(body.encodings.clone());
    res
}

/// GraphiQL's page, and the `Content-Security-Policy` that lets exactly its scripts run: its
/// own inline script (by hash) and its files from unpkg.com, the CDN it is served from.
struct Playground {
    html: String,
    policy: String,
}

fn playground() -> &'static Playground {
    static PAGE: std::sync::OnceLock<Playground> = std::sync::OnceLock::new();
    PAGE.get_or_init(|| {
        use base64::Engine;
        use sha2::Digest;
        let html = GraphiQLSource::build().endpoint("/graphql").finish();
        let hashes: String = html
            .split("<script>")
            .skip(1)
            .filter_map(|rest| rest.split("</script>").next())
            .map(|inline| {
                let digest = sha2::Sha256::digest(inline.as_bytes());
                format!(
                    " 'sha256-{}'",
                    base64::engine::general_purpose::STANDARD.encode(digest)
                )
            })
            .collect();
        let policy = format!(
            "default-src 'none'; script-src https://unpkg.com{hashes}; \
             style-src https://unpkg.com 'unsafe-inline'; font-src https://unpkg.com data:; \
             img-src https://graphql.org data:; connect-src 'self'; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        );
        Playground { html, policy }
    })
}

/// Whether the document holds a mutation (parsed once, by [`admit`]).
fn is_mutation(gql: &mut async_graphql::Request) -> bool {
    gql.parsed_query().is_ok_and(|doc| {
        doc.operations
            .iter()
            .any(|(_, op)| op.node.ty == OperationType::Mutation)
    })
}

/// `GET /graphql`: GraphiQL for a browser, else a query from the query string. Mutations
/// over GET are refused (405), so a cacheable GET never writes.
pub async fn get(
    schema: web::Data<NewsSchema>,
    documents: web::Data<Documents>,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    let media = Media::of(req.headers());
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let Some(text) = query.get("query") else {
        if wants_html {
            let page = playground();
            return HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CONTENT_SECURITY_POLICY, page.policy.as_str()))
                .body(page.html.clone());
        }
        let e = AppError::BadRequest("give the query as ?query=...".into());
        return error_http(&e, media);
    };
    let mut gql = async_graphql::Request::new(text.clone());
    if let Err(e) = admit(&state, &documents, &mut gql) {
        return error_http(&e, media);
    }
    if is_mutation(&mut gql) {
        let e = AppError::MethodNotAllowed("mutations need POST".into());
        let mut res = error_http(&e, media);
        res.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return res;
    }
    if let Some(name) = query.get("operationName") {
        gql = gql.operation_name(name.clone());
    }
    if let Some(vars) = query.get("variables") {
        match serde_json::from_str::<serde_json::Value>(vars) {
            Ok(v) => gql = gql.variables(async_graphql::Variables::from_json(v)),
            Err(e) => {
                let e = AppError::BadRequest(format!("variables are not JSON: {e}"));
                return error_http(&e, media);
            }
        }
    }
    let (res, _, alone) = execute(&schema, &state, &req, gql).await;
    let mut out = answer(&res, media);
    if alone {
        return private(out);
    }
    if res.is_ok() && req.headers().get(header::AUTHORIZATION).is_none() {
        // A token could change the answer: caches keep the anonymous one apart.
        out.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("public, max-age=30, stale-while-revalidate=60"),
        );
        out.headers_mut().insert(
            header::VARY,
            header::HeaderValue::from_static("Accept, Authorization"),
        );
    }
    out
}
