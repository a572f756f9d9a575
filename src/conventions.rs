//! The HTTP conventions every response follows, REST and GraphQL alike, in one middleware:
//! who the client is (see `client`), the rate limit fields and the read limit,
//! `HEAD` answered as `GET` without the body, `X-Content-Type-Options: nosniff`,
//! `Referrer-Policy: no-referrer`, a strict `Content-Security-Policy` on HTML pages that set
//! none, `Cache-Control: private, no-store` on anything asked with a token, and compression
//! (`br`, `gzip`) negotiated by `Accept-Encoding`. A cached response carries its
//! [`Encodings`], so each cached entry is compressed once, not at every hit.

use std::io::Write;
use std::sync::{Arc, OnceLock};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use bytes::Bytes;

use crate::error::AppError;
use crate::service::{AppState, Client};

/// `Cache-Control` of anything that depended on a token: no shared cache and no disk cache
/// may keep an editor's drafts.
pub const PRIVATE: &str = "private, no-store";

/// Bodies smaller than this go as they are: compressing them saves less than a packet and
/// costs CPU on both sides.
pub const MIN_COMPRESS_BYTES: usize = 1024;

/// How hard to compress: a cached entry is compressed once and sent many times, so it may
/// take longer; an answer made for one request (no cache, a signed-in reader) must not cost
/// more than it saves. Measured on 4 and 20 KB of article JSON: brotli 5 takes 0.12 / 0.48 ms
/// for 23% / 17% of the size, brotli 4 0.13 / 0.26 ms for 25% / 19%; gzip 6 and 3 take
/// 0.04 / 0.33 and 0.04 / 0.26 ms for 26% / 19-20%.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effort {
    Once,
    PerRequest,
}

impl Effort {
    fn brotli_quality(self) -> u32 {
        match self {
            Effort::Once => 5,
            Effort::PerRequest => 4,
        }
    }

    fn gzip_level(self) -> u32 {
        match self {
            Effort::Once => 6,
            Effort::PerRequest => 3,
        }
    }
}

impl Effort {
    /// brotli's window (log2). Per request it is no larger than the body: in the server a
    /// 4 MiB window's buffers cost more than compressing 20 KB. Once, it stays at 22: with
    /// this crate, qualities 5 and up are 20-40 times slower with a small window (4-10 ms
    /// for 4-20 KB of JSON).
    fn brotli_window(self, len: usize) -> u32 {
        match self {
            Effort::Once => 22,
            Effort::PerRequest => (usize::BITS - len.max(1).leading_zeros()).clamp(16, 22),
        }
    }
}

/// The items of a weighted header list (`Accept`, `Accept-Encoding`; RFC 9110 §12.4.2):
/// each name with its `q` (1 when absent, 0 to 1).
pub fn weighted(list: &str) -> impl Iterator<Item = (&str, f32)> {
    list.split(',').map(|item| {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0)
            .clamp(0.0, 1.0);
        (name, q)
    })
}

/// A content coding newsdesk can send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Identity => "identity",
            Coding::Gzip => "gzip",
            Coding::Brotli => "br",
        }
    }

    /// The coding an `Accept-Encoding` header prefers (RFC 9110 §12.5.3): the highest
    /// non-zero weight among `br` and `gzip` (`*` stands for any not named), `br` on a tie;
    /// identity when neither is acceptable or the header is absent.
    pub fn negotiate(accept: Option<&str>) -> Coding {
        let Some(accept) = accept else {
            return Coding::Identity;
        };
        let (mut br, mut gzip, mut any) = (None::<f32>, None::<f32>, None::<f32>);
        for (name, q) in weighted(accept) {
            match name.to_ascii_lowercase().as_str() {
                "br" => br = Some(q),
                "gzip" | "x-gzip" => gzip = Some(q),
                "*" => any = Some(q),
                _ => {}
            }
        }
        let br = br.or(any).unwrap_or(0.0);
        let gzip = gzip.or(any).unwrap_or(0.0);
        if br > 0.0 && br >= gzip {
            Coding::Brotli
        } else if gzip > 0.0 {
            Coding::Gzip
        } else {
            Coding::Identity
        }
    }

    /// `body` in this coding, or `None` when that would not make it smaller.
    pub fn encode(self, body: &[u8], effort: Effort) -> Option<Bytes> {
        let mut out = match self {
            Coding::Identity => return None,
            Coding::Gzip => {
                let mut enc = flate2::write::GzEncoder::new(
                    Vec::with_capacity(body.len() / 4),
                    flate2::Compression::new(effort.gzip_level()),
                );
                enc.write_all(body).ok()?;
                enc.finish().ok()?
            }
            Coding::Brotli => {
                let mut enc = brotli::CompressorWriter::new(
                    Vec::with_capacity(body.len() / 4),
                    4096,
                    effort.brotli_quality(),
                    effort.brotli_window(body.len()),
                );
                enc.write_all(body).ok()?;
                enc.flush().ok()?;
                enc.into_inner()
            }
        };
        out.shrink_to_fit();
        (out.len() < body.len()).then(|| Bytes::from(out))
    }
}

/// The compressed forms of one body, each made the first time a client asks for it: once
/// for a body the response cache keeps (compressed harder, since many will get it), or for
/// the one request that made it.
#[derive(Debug)]
pub struct Encodings {
    effort: Effort,
    gzip: OnceLock<Option<Bytes>>,
    br: OnceLock<Option<Bytes>>,
}

impl Default for Encodings {
    fn default() -> Self {
        Encodings::new(Effort::PerRequest)
    }
}

impl Encodings {
    pub fn new(effort: Effort) -> Self {
        Encodings {
            effort,
            gzip: OnceLock::new(),
            br: OnceLock::new(),
        }
    }

    fn get(&self, coding: Coding, body: &[u8]) -> Option<Bytes> {
        let slot = match coding {
            Coding::Identity => return None,
            Coding::Gzip => &self.gzip,
            Coding::Brotli => &self.br,
        };
        slot.get_or_init(|| coding.encode(body, self.effort))
            .clone()
    }

    /// Bytes held by the compressed forms made so far.
    pub fn held(&self) -> usize {
        [&self.gzip, &self.br]
            .iter()
            .filter_map(|s| s.get().and_then(Option::as_ref))
            .map(Bytes::len)
            .sum()
    }
}

/// Whether a body of this media type gains from compression (text, JSON, XML, scripts).
fn compressible(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let ct = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    ct.starts_with("text/")
        || ct.ends_with("json")
        || ct.ends_with("xml")
        || ct.ends_with("javascript")
}

/// Adds `name` to `Vary` unless it is there already.
pub fn vary(headers: &mut HeaderMap, name: &str) {
    let current = headers
        .get(header::VARY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if current
        .split(',')
        .any(|v| v.trim().eq_ignore_ascii_case(name) || v.trim() == "*")
    {
        return;
    }
    let joined = if current.trim().is_empty() {
        name.to_owned()
    } else {
        format!("{current}, {name}")
    };
    if let Ok(v) = HeaderValue::from_str(&joined) {
        headers.insert(header::VARY, v);
    }
}

/// The policy of an HTML page that states none: nothing loads, nothing frames it.
pub const STRICT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Finds the request's client and hands it to the handlers (see `rest::client_of`); the
/// error is the read limit's refusal.
fn identify(req: &ServiceRequest) -> (Option<Arc<Client>>, Option<AppError>) {
    let Some(state) = req.app_data::<actix_web::web::Data<AppState>>() else {
        return (None, None);
    };
    let addr = state
        .settings
        .abuse
        .trusted_proxies
        .client(req.peer_addr().map(|a| a.ip()), req.headers());
    let id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(ToString::to_string)
        .unwrap_or_default();
    let client = Client::new(addr, id);
    req.extensions_mut().insert(client.clone());
    // Anonymous reads, when `NEWSDESK_READ_RATE_LIMIT` limits them; never a load balancer's
    // health checks, which come from one address as often as it likes.
    let health = matches!(req.path(), "/healthz" | "/readyz");
    let read = !health
        && (req.method() == Method::GET
            || (req.method() == Method::POST && req.path() == "/graphql"));
    let refused = (read && !req.headers().contains_key(header::AUTHORIZATION))
        .then(|| state.abuse.read(&client).err())
        .flatten();
    (Some(client), refused)
}

/// The middleware (outside CORS and the error handlers, so their answers follow it too).
pub async fn apply(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // HEAD is GET without the body: the HTTP layer remembers the request was HEAD and sends
    // the head only, with the length the body would have had.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let (client, refused) = identify(&req);
    if let Some(e) = refused {
        let media = crate::graphql::Media::of(req.headers());
        let res = crate::limits::error_for(req.path(), media, &e);
        let res = req.into_response(res);
        return Ok(finish(res, client.as_deref(), false, Coding::Identity));
    }
    let with_token = req.headers().contains_key(header::AUTHORIZATION);
    let coding = Coding::negotiate(
        req.headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    // (An error that renders itself, a request cut off at its deadline, passes by as an
    // error: the request cannot be kept to make it a response here, since actix needs it
    // unshared while routing. `limits::Refused` sets its own headers.)
    let res = next.call(req).await?.map_into_boxed_body();
    Ok(finish(res, client.as_deref(), with_token, coding))
}

/// The headers every answer gets, then compression.
fn finish(
    mut res: ServiceResponse<BoxBody>,
    client: Option<&Client>,
    with_token: bool,
    coding: Coding,
) -> ServiceResponse<BoxBody> {
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(STRICT_CSP),
        );
    }
    if with_token {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
    }
    if let Some(client) = client {
        if let Some((policy, state)) = client.meter.headers() {
            if let (Ok(p), Ok(s)) = (
                HeaderValue::from_str(&policy),
                HeaderValue::from_str(&state),
            ) {
                headers.insert(header::HeaderName::from_static("ratelimit-policy"), p);
                headers.insert(header::HeaderName::from_static("ratelimit"), s);
            }
        }
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            let policy = client.meter.report().map_or("connections", |r| r.policy);
            tracing::info!(client = %client.addr, request_id = %client.request_id, policy, "rate limited");
        }
    }
    compress(res, coding)
}

fn compress(res: ServiceResponse<BoxBody>, coding: Coding) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || status.is_informational()
        || res.headers().contains_key(header::CONTENT_ENCODING)
        || !compressible(res.headers())
    {
        return res;
    }
    let kept = res.response().extensions().get::<Arc<Encodings>>().cloned();
    let (req, res) = res.into_parts();
    let (mut res, body) = res.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        // A stream: sent as it comes.
        Err(body) => return ServiceResponse::new(req, res.set_body(body)),
    };
    if bytes.len() < MIN_COMPRESS_BYTES {
        return ServiceResponse::new(req, res.set_body(BoxBody::new(bytes)));
    }
    // This body would be compressed for a client that asked: caches must key on it.
    vary(res.headers_mut(), "Accept-Encoding");
    let encoded = match &kept {
        Some(encodings) => encodings.get(coding, &bytes),
        None => coding.encode(&bytes, Effort::PerRequest),
    };
    let Some(encoded) = encoded else {
        return ServiceResponse::new(req, res.set_body(BoxBody::new(bytes)));
    };
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_ENCODING,
        HeaderValue::from_static(coding.name()),
    );
    // Other bytes, the same resource: the validator becomes weak (as nginx does), so that
    // `If-None-Match` still matches it and no cache mistakes the two for one another.
    if let Some(weak) = headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.starts_with("W/"))
        .and_then(|t| HeaderValue::from_str(&format!("W/{t}")).ok())
    {
        headers.insert(header::ETAG, weak);
    }
    ServiceResponse::new(req, res.set_body(BoxBody::new(encoded)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_weights() {
        assert_eq!(Coding::negotiate(None), Coding::Identity);
        assert_eq!(Coding::negotiate(Some("gzip, deflate, br")), Coding::Brotli);
        assert_eq!(Coding::negotiate(Some("gzip")), Coding::Gzip);
        assert_eq!(Coding::negotiate(Some("br;q=0.5, gzip")), Coding::Gzip);
        assert_eq!(
            Coding::negotiate(Some("br;q=0, gzip;q=0")),
            Coding::Identity
        );
        assert_eq!(Coding::negotiate(Some("*")), Coding::Brotli);
        assert_eq!(Coding::negotiate(Some("*;q=0.1, br;q=0")), Coding::Gzip);
        assert_eq!(Coding::negotiate(Some("identity")), Coding::Identity);
        assert_eq!(Coding::negotiate(Some("GZIP;Q=0.9")), Coding::Gzip);
    }

    #[test]
    fn encodings_round_trip_and_are_kept() {
        use std::io::Read;
        let body = serde_json::to_vec(&vec!["a repeated news headline"; 200]).unwrap();
        let kept = Encodings::new(Effort::Once);
        let gz = kept.get(Coding::Gzip, &body).unwrap();
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, body);
        let br = kept.get(Coding::Brotli, &body).unwrap();
        let mut plain = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, body);
        assert_eq!(kept.held(), gz.len() + br.len());
        // Incompressible bytes stay as they are.
        assert!(Coding::Gzip.encode(b"x", Effort::PerRequest).is_none());
        let fast = Coding::Brotli.encode(&body, Effort::PerRequest).unwrap();
        let mut plain = Vec::new();
        brotli::Decompressor::new(&fast[..], 4096)
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, body);
    }
}
