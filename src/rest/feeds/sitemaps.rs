//! Sitemaps: the index, article files, the Google News sitemap and the tags sitemap, written with quick-xml.

use super::*;

/// A sitemap document written with quick-xml.
pub(super) struct Xml(Writer<Vec<u8>>);

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

pub(super) const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
pub(super) const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

pub(super) fn w3c(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The base URL sitemap files are served at, as the reader asked.
pub(super) fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// What changes reach a sitemap: any public article (and tags, for the tags sitemap).
pub(super) fn sitemap_shows(tags: bool) -> Shows {
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
    public_get(&state, &req, &Access::Anonymous, || async {
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
        ("news.xml", _) => public_get(&state, &req, &Access::Anonymous, || news(&state)).await,
        ("tags.xml", _) => public_get(&state, &req, &Access::Anonymous, || tags(&state)).await,
        (_, Some(n)) => public_get(&state, &req, &Access::Anonymous, || articles(&state, n)).await,
        _ => Err(AppError::not_found("sitemap")),
    }
}

/// A urlset of pages with their last change.
pub(super) fn urlset(urls: &[svc::SitemapUrl], shows: Shows) -> AppResult<CachedBody> {
    let mut x = Xml::new()?;
    x.open("urlset", &[("xmlns", SITEMAP_NS)])?;
    for u in urls {
        x.open("url", &[])?;
        x.text("loc", &u.loc)?;
        x.text("lastmod", &w3c(u.lastmod))?;
        x.close("url")?;
    }
    x.close("urlset")?;
    let newest = urls.iter().map(|u| u.lastmod).max();
    Ok(body(x.finish(), XML, newest, shows))
}

pub(super) async fn articles(state: &AppState, n: i64) -> AppResult<CachedBody> {
    let (_, urls) = svc::articles_file(state, n).await?;
    urlset(&urls, sitemap_shows(false))
}

pub(super) async fn news(state: &AppState) -> AppResult<CachedBody> {
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

pub(super) async fn tags(state: &AppState) -> AppResult<CachedBody> {
    urlset(&svc::tags_file(state).await?, sitemap_shows(true))
}
