//! What feeds and sitemaps show (API.md "Site, feeds and sitemaps"): public articles only,
//! linked at the frontend's URLs (`site::Site::article_url`). Rendering them (RSS, Atom,
//! JSON Feed, sitemap XML) is the REST layer's.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::articles::{self as articles_svc, ListArticles};
use super::cache::{Shows, Topic};
use super::paging::PageParams;
use super::{accounts, tags, AppState};
use crate::db::{self, sitemaps::SitemapRow};
use crate::domain::{now, utc};
use crate::error::{AppError, AppResult};
use crate::model::ArticleSummary;
use crate::model::Site;

/// How many articles a feed holds.
pub const FEED_SIZE: i64 = 50;
/// URLs per article sitemap file (the sitemaps.org limit).
pub const SITEMAP_SIZE: i64 = 50_000;
/// The news sitemap: articles of the last 48 hours, at most 1,000 (Google News' limits).
const NEWS_HOURS: i64 = 48;
const NEWS_SIZE: i64 = 1_000;

/// Whose feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedOf {
    All,
    Tag(String),
    Author(String),
}

/// One article in a feed.
#[derive(Debug, Clone)]
pub struct FeedItem {
    pub article: ArticleSummary,
    pub body_html: String,
    /// Its page on the frontend.
    pub url: String,
}

#[derive(Debug, Clone)]
pub struct Feed {
    pub site: Site,
    /// The site's title, with the tag's or author's name for theirs.
    pub title: String,
    pub description: String,
    /// The frontend page the feed is of (the site, a tag or an author page).
    pub home: String,
    pub items: Vec<FeedItem>,
    /// The newest change among its items (the epoch when there are none).
    pub updated: DateTime<Utc>,
    /// What changes reach it.
    pub shows: Shows,
}

/// The newest public articles, of a tag or an author if asked (404 for an unknown one).
pub async fn feed(state: &AppState, of: FeedOf) -> AppResult<Feed> {
    let site = super::site::get(state).await?;
    let (title, description, home, scope, tag, author) = match &of {
        FeedOf::All => (
            site.title.clone(),
            site.description.clone(),
            site.url.clone(),
            Topic::Lists,
            None,
            None,
        ),
        FeedOf::Tag(slug) => {
            let tag = tags::get(state, slug).await?;
            (
                format!("{}: {}", site.title, tag.name),
                tag.description.unwrap_or_else(|| site.description.clone()),
                site.tag_url(&tag.slug),
                Topic::TagLists(tag.slug.clone()),
                Some(tag.slug),
                None,
            )
        }
        FeedOf::Author(slug) => {
            let author = accounts::author(state, slug).await?;
            (
                format!("{}: {}", site.title, author.name),
                author.bio.unwrap_or_else(|| site.description.clone()),
                site.author_url(&author.slug),
                Topic::AuthorLists(author.slug.clone()),
                None,
                Some(author.slug),
            )
        }
    };
    let params = ListArticles {
        tag,
        author,
        paging: PageParams {
            per_page: Some(FEED_SIZE),
            ..PageParams::default()
        },
        ..ListArticles::default()
    };
    let page = articles_svc::list(state, &super::Access::Anonymous, &params).await?;
    let ids: Vec<i64> = page.items.iter().map(|a| a.id).collect();
    let mut bodies = state
        .db
        .read(move |c| articles_svc::bodies(c, &ids))
        .await?;
    let items: Vec<FeedItem> = page
        .items
        .into_iter()
        .map(|article| FeedItem {
            url: site.article_url(&article),
            body_html: bodies
                .remove(&article.id)
                .map(|b| b.body_html)
                .unwrap_or_default(),
            article,
        })
        .collect();
    let updated = items
        .iter()
        .map(|i| i.article.updated_at)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    // Counters are not in feeds: only content changes reach them.
    let shows = Shows::topics([scope]).with_articles(items.iter().map(|i| i.article.id));
    Ok(Feed {
        site,
        title,
        description,
        home,
        items,
        updated,
        shows,
    })
}

/// A URL in a sitemap.
#[derive(Debug, Clone)]
pub struct SitemapUrl {
    pub loc: String,
    pub lastmod: DateTime<Utc>,
}

/// An entry of the news sitemap.
#[derive(Debug, Clone)]
pub struct NewsUrl {
    pub loc: String,
    pub title: String,
    pub published: DateTime<Utc>,
}

/// The sitemap index: the article files (at least one), the news and the tags sitemap,
/// each with its newest change.
pub async fn index(state: &AppState) -> AppResult<Vec<(String, Option<DateTime<Utc>>)>> {
    let at = now();
    let (count, newest) = state
        .db
        .read(move |c| db::sitemaps::public_extent(c, at))
        .await?;
    let files = ((count + SITEMAP_SIZE - 1) / SITEMAP_SIZE).max(1);
    let newest = newest.map(utc);
    let mut out: Vec<(String, Option<DateTime<Utc>>)> = (1..=files)
        .map(|n| (format!("articles-{n}.xml"), newest))
        .collect();
    out.push(("news.xml".into(), newest));
    out.push(("tags.xml".into(), newest));
    Ok(out)
}

/// Article sitemap number `n` (from 1); 404 past the last one.
pub async fn articles_file(state: &AppState, n: i64) -> AppResult<(Site, Vec<SitemapUrl>)> {
    let site = super::site::get(state).await?;
    let at = now();
    let offset = (n - 1).checked_mul(SITEMAP_SIZE).filter(|o| *o >= 0);
    let Some(offset) = offset else {
        return Err(AppError::not_found("sitemap"));
    };
    let needs_tag = site.needs_tag();
    let (rows, first_tags) = state
        .db
        .read(move |c| {
            let rows = db::sitemaps::public_page(c, at, offset, SITEMAP_SIZE)?;
            let tags = first_tags(c, needs_tag, &rows)?;
            Ok::<_, AppError>((rows, tags))
        })
        .await?;
    // The first file always exists (empty on a new site); later ones only with articles.
    if rows.is_empty() && n != 1 {
        return Err(AppError::not_found("sitemap"));
    }
    let urls = rows
        .iter()
        .map(|r| SitemapUrl {
            loc: row_url(&site, r, &first_tags),
            lastmod: utc(r.updated_at),
        })
        .collect();
    Ok((site, urls))
}

/// The Google News sitemap: articles published in the last 48 hours.
pub async fn news_file(state: &AppState) -> AppResult<(Site, Vec<NewsUrl>)> {
    let site = super::site::get(state).await?;
    let at = now();
    let since = at - chrono::Duration::hours(NEWS_HOURS);
    let needs_tag = site.needs_tag();
    let (rows, first_tags) = state
        .db
        .read(move |c| {
            let rows = db::sitemaps::published_since(c, at, since, NEWS_SIZE)?;
            let tags = first_tags(c, needs_tag, &rows)?;
            Ok::<_, AppError>((rows, tags))
        })
        .await?;
    let urls = rows
        .iter()
        .map(|r| NewsUrl {
            loc: row_url(&site, r, &first_tags),
            title: r.title.clone(),
            published: published(r),
        })
        .collect();
    Ok((site, urls))
}

/// The first tag of each row, looked up only when article URLs name `{tag}`.
fn first_tags(
    c: &mut crate::db::DbConn,
    needed: bool,
    rows: &[SitemapRow],
) -> crate::db::DbResult<HashMap<i64, String>> {
    if !needed {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    Ok(db::sitemaps::first_tags(c, &ids)?.into_iter().collect())
}

fn published(r: &SitemapRow) -> DateTime<Utc> {
    utc(r.published_at.unwrap_or(r.updated_at))
}

/// A sitemap row's page on the frontend.
fn row_url(site: &Site, r: &SitemapRow, first_tags: &HashMap<i64, String>) -> String {
    site.url_of(
        &r.slug,
        published(r),
        first_tags.get(&r.id).map(String::as_str),
    )
}

/// Every tag with public articles, at its frontend page.
pub async fn tags_file(state: &AppState) -> AppResult<Vec<SitemapUrl>> {
    let site = super::site::get(state).await?;
    let at = now();
    let rows = state
        .db
        .read(move |c| db::sitemaps::tags_in_use(c, at))
        .await?;
    Ok(rows
        .into_iter()
        .map(|(slug, t)| SitemapUrl {
            loc: site.tag_url(&slug),
            lastmod: utc(t),
        })
        .collect())
}
