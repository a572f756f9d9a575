//! What sitemaps list: light rows of every public article (no bodies), tags that have
//! public articles, and the articles of the last days for the news sitemap.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::articles::{is_public, live};
use super::schema::{article_tags, articles, tags};
use super::{DbConn, DbResult};

/// An article as a sitemap lists it.
#[derive(Debug, Clone, Queryable)]
pub struct SitemapRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub published_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// The columns of a [`SitemapRow`].
const COLUMNS: (
    articles::id,
    articles::slug,
    articles::title,
    articles::published_at,
    articles::updated_at,
) = (
    articles::id,
    articles::slug,
    articles::title,
    articles::published_at,
    articles::updated_at,
);

/// How many articles are public, and when the newest change among them was.
pub fn public_extent(
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> DbResult<(i64, Option<NaiveDateTime>)> {
    Ok(articles::table
        .filter(is_public(now))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::max(articles::updated_at),
        ))
        .first(conn)?)
}

/// Public articles in id order (a stable split into files), `limit` from `offset`.
pub fn public_page(
    conn: &mut DbConn,
    now: NaiveDateTime,
    offset: i64,
    limit: i64,
) -> DbResult<Vec<SitemapRow>> {
    Ok(articles::table
        .filter(is_public(now))
        .order(articles::id)
        .offset(offset)
        .limit(limit)
        .select(COLUMNS)
        .load(conn)?)
}

/// Public articles published since `since`, newest first, at most `limit`.
pub fn published_since(
    conn: &mut DbConn,
    now: NaiveDateTime,
    since: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<SitemapRow>> {
    Ok(articles::table
        .filter(is_public(now))
        .filter(articles::published_at.gt(since))
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(limit)
        .select(COLUMNS)
        .load(conn)?)
}

/// The first tag (by position) of each of these articles, by article id.
pub fn first_tags(conn: &mut DbConn, ids: &[i64]) -> DbResult<Vec<(i64, String)>> {
    let mut out = Vec::new();
    // Bounded IN lists: SQLite takes at most 32,766 parameters.
    for chunk in ids.chunks(5_000) {
        let rows: Vec<(i64, i32, String)> = article_tags::table
            .inner_join(tags::table)
            .filter(article_tags::article_id.eq_any(chunk.to_vec()))
            .order_by((article_tags::article_id, article_tags::position))
            .select((article_tags::article_id, article_tags::position, tags::slug))
            .load(conn)?;
        let mut last = None;
        for (id, _, slug) in rows {
            if last != Some(id) {
                out.push((id, slug));
                last = Some(id);
            }
        }
    }
    Ok(out)
}

/// Tags that have public articles, by slug, with their newest article change.
pub fn tags_in_use(
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> DbResult<Vec<(String, NaiveDateTime)>> {
    let rows: Vec<(String, Option<NaiveDateTime>)> = article_tags::table
        .inner_join(tags::table)
        .inner_join(articles::table)
        .filter(live(now))
        .group_by(tags::slug)
        .order(tags::slug)
        .select((tags::slug, diesel::dsl::max(articles::updated_at)))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(slug, t)| t.map(|t| (slug, t)))
        .collect())
}
