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
use crate::service::AppState;

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
    CachedBody {
        etag: format!("\"{}\"", hash_hex(&bytes)),
        body: bytes.into(),
        total: None,
        link: None,
        shows,
        content_type,
        last_modified: updated,
        encodings: Default::default(),
    }
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
    let of = q.of()?;
    // Feeds show public content only, the same to everyone: one shared, cached answer.
    public_get(&state, &req, &None, || async {
        let feed = svc::feed(&state, of).await?;
        Ok(body(
            render_rss(&feed, &self_url(&req))?,
            RSS,
            Some(feed.updated),
            feed.shows,
        ))
    })
    .await
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
    let of = q.of()?;
    // Feeds show public content only, the same to everyone: one shared, cached answer.
    public_get(&state, &req, &None, || async {
        let feed = svc::feed(&state, of).await?;
        Ok(body(
            render_atom(&feed, &self_url(&req))?,
            ATOM,
            Some(feed.updated),
            feed.shows,
        ))
    })
    .await
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
    let of = q.of()?;
    // Feeds show public content only, the same to everyone: one shared, cached answer.
    public_get(&state, &req, &None, || async {
        let feed = svc::feed(&state, of).await?;
        let bytes = serde_json::to_vec(&render_json(&feed, &self_url(&req)))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(body(bytes, JSON_FEED, Some(feed.updated), feed.shows))
    })
    .await
}

/// This feed's own address, as the reader asked for it.
fn self_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}{}", info.scheme(), info.host(), req.uri())
}

fn rfc2822(t: DateTime<Utc>) -> String {
    t.to_rfc2822()
}

fn extension(
    name: &str,
    value: Option<String>,
    attrs: &[(&str, &str)],
) -> ::rss::extension::Extension {
    ::rss::extension::Extension {
        name: name.into(),
        value,
        attrs: attrs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        children: BTreeMap::new(),
    }
}

fn render_rss(feed: &Feed, self_url: &str) -> AppResult<Vec<u8>> {
    let items: Vec<::rss::Item> = feed
        .items
        .iter()
        .map(|i| {
            let a = &i.article;
            let mut extensions: ::rss::extension::ExtensionMap = BTreeMap::new();
            if let Some(image) = &a.image {
                let mut media = extension(
                    "media:content",
                    None,
                    &[("url", &image.url), ("medium", "image")],
                );
                if let Some(credit) = &image.credit {
                    media.children.insert(
                        "credit".into(),
                        vec![extension("media:credit", Some(credit.clone()), &[])],
                    );
                }
                if let Some(text) = image.caption.as_ref().or(image.alt.as_ref()) {
                    media.children.insert(
                        "description".into(),
                        vec![extension("media:description", Some(text.clone()), &[])],
                    );
                }
                extensions
                    .entry("media".into())
                    .or_default()
                    .insert("content".into(), vec![media]);
            }
            ::rss::Item {
                title: Some(a.title.clone()),
                link: Some(i.url.clone()),
                description: Some(a.excerpt.clone()),
                guid: Some(::rss::Guid {
                    // The id never changes, whatever happens to the slug.
                    value: format!("{}/articles/{}", feed.site.url, a.id),
                    permalink: false,
                }),
                pub_date: a.published_at.map(rfc2822),
                categories: a
                    .tags
                    .iter()
                    .map(|t| ::rss::Category {
                        name: t.name.clone(),
                        domain: None,
                    })
                    .collect(),
                content: Some(i.body_html.clone()),
                dublin_core_ext: Some(::rss::extension::dublincore::DublinCoreExtension {
                    creators: vec![a.author.name.clone()],
                    ..Default::default()
                }),
                extensions,
                ..Default::default()
            }
        })
        .collect();
    let namespaces: BTreeMap<String, String> = [
        ("content", "http://purl.org/rss/1.0/modules/content/"),
        ("dc", "http://purl.org/dc/elements/1.1/"),
        ("media", "http://search.yahoo.com/mrss/"),
        ("atom", "http://www.w3.org/2005/Atom"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let mut atom_self: ::rss::extension::ExtensionMap = BTreeMap::new();
    atom_self.entry("atom".into()).or_default().insert(
        "link".into(),
        vec![extension(
            "atom:link",
            None,
            &[
                ("href", self_url),
                ("rel", "self"),
                ("type", "application/rss+xml"),
            ],
        )],
    );
    let channel = ::rss::Channel {
        title: feed.title.clone(),
        link: feed.home.clone(),
        description: feed.description.clone(),
        language: Some(feed.site.language.clone()),
        last_build_date: Some(rfc2822(feed.updated)),
        generator: Some(concat!("newsdesk ", env!("CARGO_PKG_VERSION")).into()),
        ttl: Some("5".into()),
        items,
        namespaces,
        extensions: atom_self,
        ..Default::default()
    };
    channel.write_to(Vec::new()).map_err(xml_error)
}

fn render_atom(feed: &Feed, self_url: &str) -> AppResult<Vec<u8>> {
    use atom_syndication as atom;
    let link = |href: &str, rel: &str, mime: Option<&str>| atom::Link {
        href: href.into(),
        rel: rel.into(),
        mime_type: mime.map(str::to_owned),
        ..Default::default()
    };
    let entries: Vec<atom::Entry> = feed
        .items
        .iter()
        .map(|i| {
            let a = &i.article;
            atom::Entry {
                title: a.title.clone().into(),
                id: format!("{}/articles/{}", feed.site.url, a.id),
                updated: a.updated_at.into(),
                published: a.published_at.map(Into::into),
                authors: vec![atom::Person {
                    name: a.author.name.clone(),
                    uri: Some(feed.site.author_url(&a.author.slug)),
                    ..Default::default()
                }],
                categories: a
                    .tags
                    .iter()
                    .map(|t| atom::Category {
                        term: t.slug.clone(),
                        label: Some(t.name.clone()),
                        ..Default::default()
                    })
                    .collect(),
                links: vec![link(&i.url, "alternate", Some("text/html"))],
                summary: Some(a.excerpt.clone().into()),
                content: Some(atom::Content {
                    value: Some(i.body_html.clone()),
                    content_type: Some("html".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let out = atom::Feed {
        title: feed.title.clone().into(),
        id: feed.home.clone(),
        updated: feed.updated.into(),
        subtitle: (!feed.description.is_empty()).then(|| feed.description.clone().into()),
        links: vec![
            link(&feed.home, "alternate", Some("text/html")),
            link(self_url, "self", Some("application/atom+xml")),
        ],
        lang: Some(feed.site.language.clone()),
        generator: Some(atom::Generator {
            value: "newsdesk".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
            ..Default::default()
        }),
        entries,
        ..Default::default()
    };
    out.write_to(Vec::new()).map_err(xml_error)
}

/// JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>).
#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    language: &'a str,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: String,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<String>,
    date_modified: String,
    authors: Vec<JsonAuthor>,
    tags: Vec<&'a str>,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
    url: String,
}

fn render_json<'a>(feed: &'a Feed, self_url: &'a str) -> JsonFeed<'a> {
    JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &feed.title,
        home_page_url: &feed.home,
        feed_url: self_url,
        description: &feed.description,
        language: &feed.site.language,
        items: feed
            .items
            .iter()
            .map(|i| {
                let a = &i.article;
                JsonItem {
                    id: format!("{}/articles/{}", feed.site.url, a.id),
                    url: &i.url,
                    title: &a.title,
                    content_html: &i.body_html,
                    summary: &a.excerpt,
                    image: a.image.as_ref().map(|im| im.url.as_str()),
                    date_published: a.published_at.map(|t| t.to_rfc3339()),
                    date_modified: a.updated_at.to_rfc3339(),
                    authors: vec![JsonAuthor {
                        name: a.author.name.clone(),
                        url: feed.site.author_url(&a.author.slug),
                    }],
                    tags: a.tags.iter().map(|t| t.name.as_str()).collect(),
                }
            })
            .collect(),
    }
}

/// A sitemap document written with quick-xml.
struct Xml(Writer<Vec<u8>>);

impl Xml {
    fn new() -> AppResult<Self> {
        let mut w = Writer::new(Vec::new());
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .map_err(xml_error)?;
        Ok(Xml(w))
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> AppResult<()> {
        let mut start = BytesStart::new(name);
        for a in attrs {
            start.push_attribute(*a);
        }
        self.0.write_event(Event::Start(start)).map_err(xml_error)
    }

    fn close(&mut self, name: &str) -> AppResult<()> {
        self.0
            .write_event(Event::End(BytesEnd::new(name)))
            .map_err(xml_error)
    }

    fn text(&mut self, name: &str, value: &str) -> AppResult<()> {
        self.open(name, &[])?;
        self.0
            .write_event(Event::Text(BytesText::new(value)))
            .map_err(xml_error)?;
        self.close(name)
    }

    fn finish(self) -> Vec<u8> {
        self.0.into_inner()
    }
}

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

fn w3c(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The base URL sitemap files are served at, as the reader asked.
fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// What changes reach a sitemap: any public article (and tags, for the tags sitemap).
fn sitemap_shows(tags: bool) -> Shows {
    let mut topics = vec![Topic::Lists];
    if tags {
        topics.push(Topic::Tags);
    }
    Shows::topics(topics)
}

/// The sitemap index over the article, news and tags sitemaps.
#[utoipa::path(
    operation_id = "sitemapIndex",
    tag = "feeds",
    responses(
        (status = 200, description = "A sitemaps.org sitemap index (as `text/xml` to a client that asks only for that)", content(
            (String = "application/xml"),
            (String = "text/xml"),
        )),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/sitemap.xml")]
pub async fn sitemap_index(state: Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    public_get(&state, &req, &None, || async {
        let files = svc::index(&state).await?;
        let base = base_url(&req);
        let mut x = Xml::new()?;
        x.open("sitemapindex", &[("xmlns", SITEMAP_NS)])?;
        for (name, lastmod) in &files {
            x.open("sitemap", &[])?;
            x.text("loc", &format!("{base}/sitemaps/{name}"))?;
            if let Some(t) = lastmod {
                x.text("lastmod", &w3c(*t))?;
            }
            x.close("sitemap")?;
        }
        x.close("sitemapindex")?;
        let newest = files.iter().filter_map(|(_, t)| *t).max();
        Ok(body(x.finish(), XML, newest, sitemap_shows(true)))
    })
    .await
}

/// One sitemap file: `articles-{n}.xml` (every public article, 50,000 a file), `news.xml`
/// (Google News: the last 48 hours) or `tags.xml` (tags with public articles).
#[utoipa::path(
    operation_id = "sitemapFile",
    tag = "feeds",
    params(("file" = String, Path, description = "`articles-1.xml`, `articles-2.xml`..., `news.xml` or `tags.xml`")),
    responses(
        (status = 200, description = "A sitemaps.org urlset, with the Google News namespace for news.xml (as `text/xml` to a client that asks only for that)", content(
            (String = "application/xml"),
            (String = "text/xml"),
        )),
        (status = 304, description = "Not modified"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such sitemap"),
    )
)]
#[get("/sitemaps/{file}")]
pub async fn sitemap_file(
    state: Data<AppState>,
    file: Path<String>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let file = file.into_inner();
    // `articles-N.xml`, N written plainly (no sign, no leading zero: one URL per file).
    let page = file
        .strip_prefix("articles-")
        .and_then(|rest| rest.strip_suffix(".xml"))
        .and_then(|n| {
            n.parse::<i64>()
                .ok()
                .filter(|v| *v >= 1 && v.to_string() == n)
        });
    match (file.as_str(), page) {
        ("news.xml", _) => public_get(&state, &req, &None, || news(&state)).await,
        ("tags.xml", _) => public_get(&state, &req, &None, || tags(&state)).await,
        (_, Some(n)) => public_get(&state, &req, &None, || articles(&state, n)).await,
        _ => Err(AppError::not_found("sitemap")),
    }
}

async fn articles(state: &AppState, n: i64) -> AppResult<CachedBody> {
    let (_, urls) = svc::articles_file(state, n).await?;
    let mut x = Xml::new()?;
    x.open("urlset", &[("xmlns", SITEMAP_NS)])?;
    for u in &urls {
        x.open("url", &[])?;
        x.text("loc", &u.loc)?;
        x.text("lastmod", &w3c(u.lastmod))?;
        x.close("url")?;
    }
    x.close("urlset")?;
    let newest = urls.iter().map(|u| u.lastmod).max();
    Ok(body(x.finish(), XML, newest, sitemap_shows(false)))
}

async fn news(state: &AppState) -> AppResult<CachedBody> {
    let (site, urls) = svc::news_file(state).await?;
    let mut x = Xml::new()?;
    x.open("urlset", &[("xmlns", SITEMAP_NS), ("xmlns:news", NEWS_NS)])?;
    for u in &urls {
        x.open("url", &[])?;
        x.text("loc", &u.loc)?;
        x.open("news:news", &[])?;
        x.open("news:publication", &[])?;
        x.text("news:name", &site.title)?;
        x.text("news:language", &site.language)?;
        x.close("news:publication")?;
        x.text("news:publication_date", &w3c(u.published))?;
        x.text("news:title", &u.title)?;
        x.close("news:news")?;
        x.close("url")?;
    }
    x.close("urlset")?;
    let newest = urls.iter().map(|u| u.published).max();
    Ok(body(x.finish(), XML, newest, sitemap_shows(false)))
}

async fn tags(state: &AppState) -> AppResult<CachedBody> {
    let urls = svc::tags_file(state).await?;
    let mut x = Xml::new()?;
    x.open("urlset", &[("xmlns", SITEMAP_NS)])?;
    for u in &urls {
        x.open("url", &[])?;
        x.text("loc", &u.loc)?;
        x.text("lastmod", &w3c(u.lastmod))?;
        x.close("url")?;
    }
    x.close("urlset")?;
    let newest = urls.iter().map(|u| u.lastmod).max();
    Ok(body(x.finish(), XML, newest, sitemap_shows(true)))
}
