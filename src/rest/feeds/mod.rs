//! Feeds (RSS 2.0, Atom 1.0, JSON Feed 1.1) and sitemaps, rendered with `rss`,
//! `atom_syndication` and `quick-xml`. Cached like every public GET, with `ETag` and
//! `Last-Modified`, and answered with `304` when the reader has them.

use std::collections::BTreeMap;

use actix_web::web::{Data, Path, Query};
use actix_web::{get, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::http::{hash_hex, public_get};
use crate::error::{AppError, AppResult, Problem};
use crate::service::cache::{CachedBody, Shows, Topic};
use crate::service::feeds::{self as svc, Feed, FeedOf};
use crate::service::{Access, AppState};

const RSS: &str = "application/rss+xml; charset=utf-8";
const ATOM: &str = "application/atom+xml; charset=utf-8";
const JSON_FEED: &str = "application/feed+json; charset=utf-8";
const XML: &str = "application/xml; charset=utf-8";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Only this tag's articles (404 for an unknown tag).
    tag: Option<String>,
    /// Only this author's articles (404 for an unknown author).
    author: Option<String>,
}

impl FeedQuery {
    fn of(&self) -> AppResult<FeedOf> {
        match (&self.tag, &self.author) {
            (Some(_), Some(_)) => Err(crate::error::FieldErrors::one(
                "tag",
                "a feed is of a tag or of an author, not both",
            )),
            (Some(t), None) => Ok(FeedOf::Tag(t.clone())),
            (None, Some(a)) => Ok(FeedOf::Author(a.clone())),
            (None, None) => Ok(FeedOf::All),
        }
    }
}

fn body(
    bytes: Vec<u8>,
    content_type: &'static str,
    updated: Option<DateTime<Utc>>,
    shows: Shows,
) -> CachedBody {
    let etag = format!("\"{}\"", hash_hex(&bytes));
    CachedBody {
        content_type,
        last_modified: updated,
        ..CachedBody::new(bytes, etag).showing(shows)
    }
}

/// A feed in one format. Feeds show public content only, the same to everyone: one shared,
/// cached answer, whoever asks.
async fn serve(
    state: &AppState,
    q: &FeedQuery,
    req: &HttpRequest,
    content_type: &'static str,
    render: impl FnOnce(&Feed, &str) -> AppResult<Vec<u8>>,
) -> AppResult<HttpResponse> {
    let of = q.of()?;
    public_get(state, req, &Access::Anonymous, || async {
        let feed = svc::feed(state, of).await?;
        let bytes = render(&feed, &self_url(req))?;
        Ok(body(bytes, content_type, Some(feed.updated), feed.shows))
    })
    .await
}

fn xml_error(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("cannot write XML: {e}"))
}

/// The newest 50 public articles as RSS 2.0, with `content:encoded` and the image as Media
/// RSS (`media:content`, `media:credit`, `media:description`).
#[utoipa::path(
    operation_id = "rssFeed",
    tag = "feeds",
    params(FeedQuery),
    responses(
        (status = 200, description = "RSS 2.0 (as `text/xml` to a client that asks only for that)", content(
            (String = "application/rss+xml"),
            (String = "text/xml"),
        )),
        (status = 304, description = "Not modified"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such tag or author"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/feeds/rss.xml")]
pub async fn rss(
    state: Data<AppState>,
    q: Query<FeedQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    serve(&state, &q, &req, RSS, render_rss).await
}

/// The same as Atom 1.0.
#[utoipa::path(
    operation_id = "atomFeed",
    tag = "feeds",
    params(FeedQuery),
    responses(
        (status = 200, description = "Atom 1.0 (as `text/xml` to a client that asks only for that)", content(
            (String = "application/atom+xml"),
            (String = "text/xml"),
        )),
        (status = 304, description = "Not modified"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such tag or author"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/feeds/atom.xml")]
pub async fn atom(
    state: Data<AppState>,
    q: Query<FeedQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    serve(&state, &q, &req, ATOM, render_atom).await
}

/// The same as JSON Feed 1.1.
#[utoipa::path(
    operation_id = "jsonFeed",
    tag = "feeds",
    params(FeedQuery),
    responses(
        (status = 200, content_type = "application/feed+json", body = Object, description = "JSON Feed 1.1"),
        (status = 304, description = "Not modified"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such tag or author"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/feeds/feed.json")]
pub async fn json_feed(
    state: Data<AppState>,
    q: Query<FeedQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    serve(&state, &q, &req, JSON_FEED, |feed, self_url| {
        serde_json::to_vec(&render_json(feed, self_url))
            .map_err(|e| AppError::Internal(e.to_string()))
    })
    .await
}

mod render;
mod sitemaps;

use render::*;
pub use sitemaps::*;
