//! Article queries. One builder serves every list (REST, GraphQL, feeds to come): optional
//! filters, one sort, offset or keyset paging, all in one boxed query.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use super::models::*;
use super::schema::{article_shares, article_tags, articles, related_articles, tags, users};
use super::search::{self, SearchTerms};
use super::{Backend, DbConn, DbError, DbResult};
use crate::domain::Slug;

diesel::define_sql_function!(fn coalesce(x: Nullable<Timestamp>, y: Timestamp) -> Timestamp);

/// Which articles a list may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// What the public sees: published, and the publish instant has passed.
    Public,
    /// Published and already live (same rows as `Public`, asked for explicitly).
    Published,
    Draft,
    Archived,
    /// Published with a publish instant still in the future.
    Scheduled,
    Any,
}

impl StatusFilter {
    /// Whether the list may hold articles that were never published (no `published_at`):
    /// drafts, and archived articles archived as drafts. Such lists sort on
    /// `coalesce(published_at, created_at)`, the key their cursors hold.
    fn may_lack_publish_time(self) -> bool {
        matches!(
            self,
            StatusFilter::Draft | StatusFilter::Archived | StatusFilter::Any
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Latest,
    Oldest,
    Popular,
}

/// A keyset position: the sort key of the last row seen and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysetPos {
    Time(NaiveDateTime, i64),
    Count(i64, i64),
}

#[derive(Debug, Clone)]
pub struct ArticleFilter {
    pub status: StatusFilter,
    pub now: NaiveDateTime,
    /// Only this author's articles (an author looking at non-public lists).
    pub only_author_id: Option<i64>,
    pub author_slug: Option<String>,
    pub tag_slug: Option<String>,
    pub search: Option<SearchTerms>,
    /// Set when the query can match nothing (a search with no words in it).
    pub match_nothing: bool,
    pub published_after: Option<NaiveDateTime>,
    pub published_before: Option<NaiveDateTime>,
}

impl ArticleFilter {
    /// The tag whose timeline alone answers this list: the public articles of one tag, with
    /// at most a date window (the common tag page). Other combinations take the general plan.
    fn timeline_tag(&self) -> Option<&str> {
        let public = matches!(self.status, StatusFilter::Public | StatusFilter::Published);
        let alone = self.only_author_id.is_none()
            && self.author_slug.is_none()
            && self.search.is_none()
            && !self.match_nothing;
        self.tag_slug.as_deref().filter(|_| public && alone)
    }

    /// What identifies the list's rows, without the instant: the key of its cached total.
    pub fn count_key(&self) -> String {
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{}|{:?}|{:?}",
            self.status,
            self.only_author_id,
            self.author_slug,
            self.tag_slug,
            self.search.as_ref().map(|s| s.words()),
            self.match_nothing,
            self.published_after,
            self.published_before
        )
    }

    pub fn public(now: NaiveDateTime) -> Self {
        ArticleFilter {
            status: StatusFilter::Public,
            now,
            only_author_id: None,
            author_slug: None,
            tag_slug: None,
            search: None,
            match_nothing: false,
            published_after: None,
            published_before: None,
        }
    }
}

/// A page request taken apart: rows to skip, rows to take, where a keyset page starts, and
/// whether it reads backwards (the same order reversed from the position).
struct Window {
    offset: Option<i64>,
    limit: i64,
    pos: Option<KeysetPos>,
    reverse: bool,
}

impl Paging {
    fn window(self) -> Window {
        let (offset, limit, pos, reverse) = match self {
            Paging::Offset { offset, limit } => (Some(offset), limit, None, false),
            Paging::After { pos, limit } => (None, limit, Some(pos), false),
            Paging::Before { pos, limit } => (None, limit, pos, true),
        };
        Window {
            offset,
            limit,
            pos,
            reverse,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Paging {
    Offset {
        offset: i64,
        limit: i64,
    },
    After {
        pos: KeysetPos,
        limit: i64,
    },
    /// Rows before `pos` (the last rows when `None`), returned in reverse list order.
    Before {
        pos: Option<KeysetPos>,
        limit: i64,
    },
}

type Predicate = Box<dyn BoxableExpression<articles::table, Backend, SqlType = Bool>>;
type TimeKey = Box<dyn BoxableExpression<articles::table, Backend, SqlType = Timestamp>>;

/// Drafts may never have been published, so lists that can hold them sort by creation time
/// where the publish time is missing; lists of live articles use the indexed column as it is.
fn time_key(status: StatusFilter) -> TimeKey {
    if status.may_lack_publish_time() {
        Box::new(coalesce(articles::published_at, articles::created_at))
    } else {
        Box::new(articles::published_at.assume_not_null())
    }
}

/// Rows past a keyset position `(key, id)` in the direction of `op` (`<` or `>`). A row
/// comparison is one range on the list's index for both engines; the expanded form
/// `key < k OR (key = k AND id < i)` makes PostgreSQL filter every row from the index's end
/// to the position (9 ms at depth 5,000 of a million, against 0.1 ms).
/// `columns` names the key column and the id column, as in `"articles.published_at,
/// articles.id"`; `pos` must hold the key's kind.
fn past<T: 'static>(
    columns: &str,
    pos: KeysetPos,
    op: &'static str,
) -> Box<dyn BoxableExpression<T, Backend, SqlType = Bool>> {
    let head = sql::<Bool>(&format!("({columns}) {op} ("));
    match pos {
        KeysetPos::Time(t, id) => Box::new(
            head.bind::<Timestamp, _>(t)
                .sql(", ")
                .bind::<BigInt, _>(id)
                .sql(")"),
        ),
        KeysetPos::Count(views, id) => Box::new(
            head.bind::<BigInt, _>(views)
                .sql(", ")
                .bind::<BigInt, _>(id)
                .sql(")"),
        ),
    }
}

pub(crate) fn is_public(now: NaiveDateTime) -> Predicate {
    Box::new(
        articles::status
            .eq("published")
            .and(articles::published_at.assume_not_null().le(now)),
    )
}

/// How a list filtered by tag finds its rows. (Search has one plan per engine: see
/// `search::matches`.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Gather the matching rows from the tag's rows or the search index, then sort them:
    /// work in proportion to the matches, best when few match (and for counting).
    Gather,
    /// Walk the list's own index in order, checking each row, and stop at the page's end:
    /// best when many match, as it never gathers or sorts them all.
    Walk,
}

/// The list's rows, found by `plan`.
fn filtered<'a, ST: 'a>(
    mut q: articles::BoxedQuery<'a, Backend, ST>,
    f: &ArticleFilter,
    conn: &DbConn,
    plan: Plan,
) -> articles::BoxedQuery<'a, Backend, ST> {
    q = match f.status {
        StatusFilter::Public | StatusFilter::Published => q.filter(is_public(f.now)),
        StatusFilter::Draft => q.filter(articles::status.eq("draft")),
        StatusFilter::Archived => q.filter(articles::status.eq("archived")),
        StatusFilter::Scheduled => q.filter(
            articles::status
                .eq("published")
                .and(articles::published_at.assume_not_null().gt(f.now)),
        ),
        StatusFilter::Any => q,
    };
    if let Some(author) = f.only_author_id {
        q = q.filter(articles::author_id.eq(author));
    }
    if let Some(slug) = &f.author_slug {
        q = q.filter(
            articles::author_id.eq_any(
                users::table
                    .filter(users::slug.eq(slug.clone()))
                    .select(users::id),
            ),
        );
    }
    if let Some(slug) = &f.tag_slug {
        q = if plan == Plan::Gather {
            q.filter(
                articles::id.eq_any(
                    article_tags::table
                        .inner_join(tags::table)
                        .filter(tags::slug.eq(slug.clone()))
                        .select(article_tags::article_id),
                ),
            )
        } else {
            q.filter(
                sql::<Bool>(
                    "EXISTS (SELECT 1 FROM article_tags tagged JOIN tags ON tags.id = tagged.tag_id \
                     WHERE tagged.article_id = articles.id AND tags.slug = ",
                )
                .bind::<Text, _>(slug.clone())
                .sql(")"),
            )
        };
    }
    if let Some(terms) = &f.search {
        q = q.filter(search::matches(conn.dialect(), terms));
    }
    if f.match_nothing {
        q = q.filter(articles::id.lt(0));
    }
    if let Some(after) = f.published_after {
        q = q.filter(articles::published_at.gt(after));
    }
    if let Some(before) = f.published_before {
        q = q.filter(articles::published_at.lt(before));
    }
    q
}

/// The total a list's `meta` reports.
/// How many articles match, and whether that is exact: with a `cap`, counting stops there
/// and the answer is a lower bound.
pub fn count(conn: &mut DbConn, f: &ArticleFilter, cap: Option<i64>) -> DbResult<(i64, bool)> {
    if let Some(slug) = f.timeline_tag() {
        // One range of the tag's timeline index: exact, however large the tag.
        let Some(tag) = tag_id(conn, slug)? else {
            return Ok((0, true));
        };
        let n = timeline(tag, f).select(count_star()).get_result(conn)?;
        return Ok((n, true));
    }
    let q = filtered(articles::table.into_boxed(), f, conn, Plan::Gather);
    match cap {
        None => Ok((q.select(count_star()).get_result(conn)?, true)),
        Some(cap) => {
            let found = q
                .select(articles::id)
                .limit(cap + 1)
                .load::<i64>(conn)?
                .len() as i64;
            Ok((found.min(cap), found <= cap))
        }
    }
}

/// One page of summaries in list order.
pub fn list(
    conn: &mut DbConn,
    f: &ArticleFilter,
    sort: SortKey,
    paging: Paging,
    plan: Plan,
) -> DbResult<Vec<ArticleSummaryRow>> {
    if let (Some(slug), SortKey::Latest | SortKey::Oldest) = (f.timeline_tag(), sort) {
        let Some(tag) = tag_id(conn, slug)? else {
            return Ok(Vec::new());
        };
        let ids = timeline_page(conn, tag, f, sort, paging)?;
        return rows_in_order(conn, &ids);
    }
    if plan == Plan::Gather {
        let q = articles::table
            .select(ArticleSummaryRow::as_select())
            .into_boxed();
        return Ok(paged(filtered(q, f, conn, plan), f, sort, paging)?.load(conn)?);
    }
    // Walking: the page's ids first, from the list's index alone (no row is read for the
    // rows the walk passes over), then those rows.
    let q = articles::table.select(articles::id).into_boxed();
    let ids: Vec<i64> = paged(filtered(q, f, conn, plan), f, sort, paging)?.load(conn)?;
    rows_in_order(conn, &ids)
}

/// The summaries of `ids`, in that order.
fn rows_in_order(conn: &mut DbConn, ids: &[i64]) -> DbResult<Vec<ArticleSummaryRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: HashMap<i64, ArticleSummaryRow> = articles::table
        .filter(articles::id.eq_any(ids))
        .select(ArticleSummaryRow::as_select())
        .load::<ArticleSummaryRow>(conn)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(ids.iter().filter_map(|id| rows.remove(id)).collect())
}

fn tag_id(conn: &mut DbConn, slug: &str) -> DbResult<Option<i64>> {
    Ok(tags::table
        .filter(tags::slug.eq(slug))
        .select(tags::id)
        .first(conn)
        .optional()?)
}

/// The tag's live links, within the list's date window.
fn timeline<'a>(tag: i64, f: &ArticleFilter) -> article_tags::BoxedQuery<'a, Backend> {
    let mut q = article_tags::table
        .filter(article_tags::tag_id.eq(tag))
        .filter(article_tags::live_at.le(f.now))
        .into_boxed();
    if let Some(after) = f.published_after {
        q = q.filter(article_tags::live_at.gt(after));
    }
    if let Some(before) = f.published_before {
        q = q.filter(article_tags::live_at.lt(before));
    }
    q
}

/// One page of a tag's timeline, newest (or oldest) first: article ids in list order.
fn timeline_page(
    conn: &mut DbConn,
    tag: i64,
    f: &ArticleFilter,
    sort: SortKey,
    paging: Paging,
) -> DbResult<Vec<i64>> {
    let mut q = timeline(tag, f).select(article_tags::article_id);
    let Window {
        offset,
        limit,
        pos,
        reverse,
    } = paging.window();
    if let Some(offset) = offset {
        q = q.offset(offset);
    }
    let desc = (sort == SortKey::Latest) != reverse;
    if let Some(pos) = pos {
        let KeysetPos::Time(..) = pos else {
            return Err(DbError::Other("cursor does not fit the sort".into()));
        };
        let op = if desc { "<" } else { ">" };
        q = q.filter(past(
            "article_tags.live_at, article_tags.article_id",
            pos,
            op,
        ));
    }
    q = if desc {
        q.order_by(article_tags::live_at.desc())
            .then_order_by(article_tags::article_id.desc())
    } else {
        q.order_by(article_tags::live_at.asc())
            .then_order_by(article_tags::article_id.asc())
    };
    Ok(q.limit(limit).load(conn)?)
}

/// Orders `q` for `sort` and cuts out the page `paging` asks for.
fn paged<'a, ST: 'a>(
    mut q: articles::BoxedQuery<'a, Backend, ST>,
    f: &ArticleFilter,
    sort: SortKey,
    paging: Paging,
) -> DbResult<articles::BoxedQuery<'a, Backend, ST>> {
    let Window {
        offset,
        limit,
        pos,
        reverse,
    } = paging.window();
    if let Some(offset) = offset {
        q = q.offset(offset);
    }
    match sort {
        SortKey::Latest | SortKey::Oldest => {
            let key = || time_key(f.status);
            let desc = (sort == SortKey::Latest) != reverse;
            if let Some(pos) = pos {
                let KeysetPos::Time(t, id) = pos else {
                    return Err(DbError::Other("cursor does not fit the sort".into()));
                };
                let op = if desc { "<" } else { ">" };
                q = match f.status.may_lack_publish_time() {
                    // Drafts sort by an expression no index holds: few rows, the plain form.
                    true if desc => q.filter(key().lt(t).or(key().eq(t).and(articles::id.lt(id)))),
                    true => q.filter(key().gt(t).or(key().eq(t).and(articles::id.gt(id)))),
                    false => q.filter(past("articles.published_at, articles.id", pos, op)),
                };
            }
            q = if desc {
                q.order_by(key().desc()).then_order_by(articles::id.desc())
            } else {
                q.order_by(key().asc()).then_order_by(articles::id.asc())
            };
        }
        SortKey::Popular => {
            if let Some(pos) = pos {
                let KeysetPos::Count(..) = pos else {
                    return Err(DbError::Other("cursor does not fit the sort".into()));
                };
                let op = if reverse { ">" } else { "<" };
                q = q.filter(past("articles.view_count, articles.id", pos, op));
            }
            q = if reverse {
                q.order_by(articles::view_count.asc())
                    .then_order_by(articles::id.asc())
            } else {
                q.order_by(articles::view_count.desc())
                    .then_order_by(articles::id.desc())
            };
        }
    }
    Ok(q.limit(limit))
}

/// The keyset position of a row under a sort, for `next_cursor`.
pub fn position_of(row: &ArticleSummaryRow, sort: SortKey) -> KeysetPos {
    match sort {
        SortKey::Popular => KeysetPos::Count(row.view_count, row.id),
        SortKey::Latest | SortKey::Oldest => {
            KeysetPos::Time(row.published_at.unwrap_or(row.created_at), row.id)
        }
    }
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> DbResult<Option<ArticleSummaryRow>> {
    if !Slug::is_valid(slug) {
        return Ok(None);
    }
    Ok(articles::table
        .filter(articles::slug.eq(slug))
        .select(ArticleSummaryRow::as_select())
        .first(conn)
        .optional()?)
}

/// Like [`find_by_slug`], for a write in the current transaction: the row stays locked until
/// it ends, so concurrent writes to one article take turns and each reads the version the
/// one before it wrote (PostgreSQL; SQLite's write transactions already take turns).
pub fn find_by_slug_for_write(
    conn: &mut DbConn,
    slug: &str,
) -> DbResult<Option<ArticleSummaryRow>> {
    if !Slug::is_valid(slug) {
        return Ok(None);
    }
    if let DbConn::Pg(pg) = conn {
        diesel::sql_query("SELECT 1 FROM articles WHERE slug = $1 FOR UPDATE")
            .bind::<Text, _>(slug)
            .execute(pg)?;
    }
    find_by_slug(conn, slug)
}

pub fn find_by_id(conn: &mut DbConn, id: i64) -> DbResult<Option<ArticleSummaryRow>> {
    Ok(articles::table
        .find(id)
        .select(ArticleSummaryRow::as_select())
        .first(conn)
        .optional()?)
}

/// Article summaries for a set of ids, in any order.
pub fn summaries_by_ids(conn: &mut DbConn, ids: &[i64]) -> DbResult<Vec<ArticleSummaryRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(articles::table
        .filter(articles::id.eq_any(ids.to_vec()))
        .select(ArticleSummaryRow::as_select())
        .load(conn)?)
}

/// Ids of the articles with these slugs, whatever their status.
pub fn ids_by_slugs(conn: &mut DbConn, slugs: &[String]) -> DbResult<Vec<(String, i64)>> {
    let slugs = super::valid_slugs(slugs);
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    Ok(articles::table
        .filter(articles::slug.eq_any(slugs))
        .select((articles::slug, articles::id))
        .load(conn)?)
}

/// The bodies of a set of articles.
pub fn bodies_by_ids(conn: &mut DbConn, ids: &[i64]) -> DbResult<Vec<(i64, ArticleBodyRow)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(articles::table
        .filter(articles::id.eq_any(ids.to_vec()))
        .select((articles::id, ArticleBodyRow::as_select()))
        .load(conn)?)
}

pub fn slug_exists(conn: &mut DbConn, slug: &str) -> DbResult<bool> {
    if !Slug::is_valid(slug) {
        return Ok(false);
    }
    Ok(diesel::select(diesel::dsl::exists(
        articles::table.filter(articles::slug.eq(slug)),
    ))
    .get_result(conn)?)
}

pub fn insert(conn: &mut DbConn, row: &NewArticle) -> DbResult<i64> {
    Ok(diesel::insert_into(articles::table)
        .values(row)
        .returning(articles::id)
        .get_result(conn)?)
}

/// Writes `changes` only if the stored version is still `expected_version`; false otherwise.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    changes: &ArticleUpdate,
) -> DbResult<bool> {
    let n = diesel::update(
        articles::table
            .filter(articles::id.eq(id))
            .filter(articles::version.eq(expected_version)),
    )
    .set(changes)
    .execute(conn)?;
    Ok(n == 1)
}

pub fn delete(conn: &mut DbConn, id: i64) -> DbResult<bool> {
    Ok(diesel::delete(articles::table.find(id)).execute(conn)? == 1)
}

pub fn count_by_author(conn: &mut DbConn, author_id: i64) -> DbResult<i64> {
    Ok(articles::table
        .filter(articles::author_id.eq(author_id))
        .select(count_star())
        .get_result(conn)?)
}

pub fn reassign_author(conn: &mut DbConn, from: i64, to: i64) -> DbResult<usize> {
    Ok(
        diesel::update(articles::table.filter(articles::author_id.eq(from)))
            .set(articles::author_id.eq(to))
            .execute(conn)?,
    )
}

/// Replaces an article's tags with `tag_ids`, in order.
pub fn set_tags(conn: &mut DbConn, article_id: i64, tag_ids: &[i64]) -> DbResult<()> {
    diesel::delete(article_tags::table.filter(article_tags::article_id.eq(article_id)))
        .execute(conn)?;
    for (position, tag_id) in tag_ids.iter().enumerate() {
        diesel::insert_into(article_tags::table)
            .values(ArticleTagLink {
                article_id,
                tag_id: *tag_id,
                position: position as i32,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// Tags of a set of articles, each article's in its own order.
pub fn tags_for(conn: &mut DbConn, article_ids: &[i64]) -> DbResult<Vec<(i64, TagRow)>> {
    if article_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(article_tags::table
        .inner_join(tags::table)
        .filter(article_tags::article_id.eq_any(article_ids.to_vec()))
        .order_by((article_tags::article_id, article_tags::position))
        .select((article_tags::article_id, TagRow::as_select()))
        .load(conn)?)
}

/// Authors of a set of articles (by user id).
pub fn authors_by_ids(conn: &mut DbConn, user_ids: &[i64]) -> DbResult<Vec<AuthorRef>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::table
        .filter(users::id.eq_any(user_ids.to_vec()))
        .select(AuthorRef::as_select())
        .load(conn)?)
}

/// Per-network share counts of a set of articles.
pub fn shares_for(conn: &mut DbConn, article_ids: &[i64]) -> DbResult<Vec<(i64, String, i64)>> {
    if article_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(article_shares::table
        .filter(article_shares::article_id.eq_any(article_ids.to_vec()))
        .select((
            article_shares::article_id,
            article_shares::network,
            article_shares::count,
        ))
        .load(conn)?)
}

/// Which of `ids` still exist.
pub fn existing_ids(conn: &mut DbConn, ids: &[i64]) -> DbResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(articles::table
        .filter(articles::id.eq_any(ids.to_vec()))
        .select(articles::id)
        .load(conn)?)
}

pub fn add_views(conn: &mut DbConn, article_id: i64, n: i64) -> DbResult<()> {
    diesel::update(articles::table.find(article_id))
        .set(articles::view_count.eq(articles::view_count + n))
        .execute(conn)?;
    Ok(())
}

/// Adds `n` shares on `network`: the per-network row (an upsert, whose syntax is the same on
/// both backends but must be built on each inner connection) and the article's total.
pub fn add_shares(conn: &mut DbConn, article_id: i64, network: &str, n: i64) -> DbResult<()> {
    let row = ShareCount {
        article_id,
        network: network.to_owned(),
        count: n,
    };
    macro_rules! upsert {
        ($c:expr) => {
            diesel::insert_into(article_shares::table)
                .values(&row)
                .on_conflict((article_shares::article_id, article_shares::network))
                .do_update()
                .set(article_shares::count.eq(article_shares::count + n))
                .execute($c)
        };
    }
    match conn {
        DbConn::Sqlite(c) => upsert!(c)?,
        DbConn::Pg(c) => upsert!(c)?,
    };
    diesel::update(articles::table.find(article_id))
        .set(articles::share_count.eq(articles::share_count + n))
        .execute(conn)?;
    Ok(())
}

pub fn set_comment_count(conn: &mut DbConn, article_id: i64, n: i64) -> DbResult<()> {
    diesel::update(articles::table.find(article_id))
        .set(articles::comment_count.eq(n))
        .execute(conn)?;
    Ok(())
}

/// Replaces the curated related list of an article.
pub fn set_related(conn: &mut DbConn, article_id: i64, related_ids: &[i64]) -> DbResult<()> {
    diesel::delete(related_articles::table.filter(related_articles::article_id.eq(article_id)))
        .execute(conn)?;
    for (position, related_id) in related_ids.iter().enumerate() {
        diesel::insert_into(related_articles::table)
            .values(RelatedLink {
                article_id,
                related_id: *related_id,
                position: position as i32,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// Curated related articles that are live, for a set of articles: (article, related) pairs,
/// each article's in the editor's order.
pub fn curated_related(
    conn: &mut DbConn,
    article_ids: &[i64],
    now: NaiveDateTime,
) -> DbResult<Vec<(i64, i64)>> {
    if article_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(related_articles::table
        .inner_join(articles::table.on(articles::id.eq(related_articles::related_id)))
        .filter(related_articles::article_id.eq_any(article_ids.to_vec()))
        .filter(articles::status.eq("published"))
        .filter(articles::published_at.le(now))
        .order_by((related_articles::article_id, related_articles::position))
        .select((related_articles::article_id, articles::id))
        .load(conn)?)
}

/// The slugs of the curated list as stored (editors' view, any status).
pub fn curated_slugs(conn: &mut DbConn, article_id: i64) -> DbResult<Vec<String>> {
    Ok(related_articles::table
        .inner_join(articles::table.on(articles::id.eq(related_articles::related_id)))
        .filter(related_articles::article_id.eq(article_id))
        .order_by(related_articles::position)
        .select(articles::slug)
        .load(conn)?)
}

#[derive(QueryableByName)]
struct Ranked {
    #[diesel(sql_type = BigInt)]
    source: i64,
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// How many of a tag's most recent articles are candidates for "related": news relates to
/// news, and it bounds the work whatever the size of the tag.
const CANDIDATES_PER_TAG: i64 = 300;
/// Distinct tags one statement draws candidates from (SQLite allows 500 compound terms);
/// beyond it, the rarest tags are kept.
const MAX_CANDIDATE_TAGS: usize = 400;

/// For each source article, the `per_source` live articles sharing the most tag weight with
/// it (rarer tags weigh more), ties to the more recent; never the source itself. Candidates
/// are each tag's `CANDIDATES_PER_TAG` newest articles (newest by id, the order the tag index
/// keeps). One statement for any number of sources: a window function ranks within each
/// source. `source_tags` holds (source, tag, weight).
pub fn related_by_tags(
    conn: &mut DbConn,
    source_tags: &[(i64, i64, i64)],
    now: NaiveDateTime,
    per_source: i64,
) -> DbResult<Vec<(i64, i64)>> {
    if source_tags.is_empty() || per_source <= 0 {
        return Ok(Vec::new());
    }
    let mut tags: Vec<(i64, i64)> = source_tags.iter().map(|(_, t, w)| (*t, *w)).collect();
    tags.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    tags.dedup_by_key(|(t, _)| *t);
    tags.truncate(MAX_CANDIDATE_TAGS);
    // Only integers and an instant we produced go into this text, never input.
    let sources = source_tags
        .iter()
        .map(|(s, t, w)| format!("({s}, {t}, {w})"))
        .collect::<Vec<_>>()
        .join(", ");
    let now = now.format("%Y-%m-%d %H:%M:%S");
    // Each tag's newest live articles, read off the end of its timeline.
    let candidates = tags
        .iter()
        .map(|(t, _)| {
            format!(
                "SELECT CAST({t} AS BIGINT) AS tag_id, article_id FROM (SELECT article_id \
                 FROM article_tags WHERE tag_id = {t} AND live_at <= '{now}' \
                 ORDER BY live_at DESC, article_id DESC LIMIT {CANDIDATES_PER_TAG}) recent"
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let query = format!(
        "WITH src(source, tag_id, weight) AS (VALUES {sources}), cand AS ({candidates}) \
         SELECT source, id FROM (\
           SELECT CAST(src.source AS BIGINT) AS source, a.id AS id, ROW_NUMBER() OVER (\
             PARTITION BY src.source \
             ORDER BY SUM(src.weight) DESC, MAX(a.published_at) DESC, a.id DESC\
           ) AS pos \
           FROM src JOIN cand ON cand.tag_id = src.tag_id \
           JOIN articles a ON a.id = cand.article_id \
           WHERE a.status = 'published' AND a.published_at <= '{now}' AND a.id <> src.source \
           GROUP BY src.source, a.id\
         ) ranked WHERE pos <= {per_source} ORDER BY source, pos"
    );
    let rows: Vec<Ranked> = diesel::sql_query(query).load(conn)?;
    Ok(rows.into_iter().map(|r| (r.source, r.id)).collect())
}

/// When the first published article due after `after` goes live (scheduled articles).
pub fn next_go_live(conn: &mut DbConn, after: NaiveDateTime) -> DbResult<Option<NaiveDateTime>> {
    Ok(articles::table
        .filter(articles::status.eq("published"))
        .filter(articles::published_at.gt(after))
        .select(diesel::dsl::min(articles::published_at))
        .first::<Option<NaiveDateTime>>(conn)?)
}

/// Articles that went live on their schedule in `(since, until]`: published, and given a
/// publication time later than their last write (an article published at once, or dated in
/// the past, went live with its write). At most `limit`, earliest first.
pub fn went_live(
    conn: &mut DbConn,
    since: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<ArticleSummaryRow>> {
    Ok(articles::table
        .filter(articles::status.eq("published"))
        .filter(articles::published_at.gt(since))
        .filter(articles::published_at.le(until))
        .filter(articles::published_at.gt(articles::updated_at.nullable()))
        .order((articles::published_at, articles::id))
        .limit(limit)
        .select(ArticleSummaryRow::as_select())
        .load(conn)?)
}

/// The most recent live articles, skipping `exclude`.
pub fn latest_ids(
    conn: &mut DbConn,
    exclude: &[i64],
    now: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<i64>> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    Ok(articles::table
        .filter(is_public(now))
        .filter(articles::id.ne_all(exclude.to_vec()))
        .order_by(articles::published_at.desc())
        .then_order_by(articles::id.desc())
        .select(articles::id)
        .limit(limit)
        .load(conn)?)
}

/// How many live articles carry each of `tag_ids` (all tags when `None`).
pub fn public_counts_by_tag(
    conn: &mut DbConn,
    tag_ids: Option<&[i64]>,
    now: NaiveDateTime,
) -> DbResult<Vec<(i64, i64)>> {
    let mut q = article_tags::table
        .inner_join(articles::table)
        .filter(articles::status.eq("published"))
        .filter(articles::published_at.le(now))
        .group_by(article_tags::tag_id)
        .select((article_tags::tag_id, count_star()))
        .into_boxed();
    if let Some(ids) = tag_ids {
        q = q.filter(article_tags::tag_id.eq_any(ids.to_vec()));
    }
    Ok(q.load(conn)?)
}

/// Bulk insert for the seeder: many rows per statement, built on each inner connection
/// (multi-row `VALUES` does not go through the connection enum).
pub fn bulk_insert(conn: &mut DbConn, rows: &[NewArticle]) -> DbResult<()> {
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(articles::table)
            .values(rows)
            .execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(articles::table)
            .values(rows)
            .execute(c)?,
    };
    Ok(())
}

pub fn bulk_insert_tags(conn: &mut DbConn, rows: &[ArticleTagLink]) -> DbResult<()> {
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(article_tags::table)
            .values(rows)
            .execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(article_tags::table)
            .values(rows)
            .execute(c)?,
    };
    Ok(())
}

pub fn bulk_insert_related(conn: &mut DbConn, rows: &[RelatedLink]) -> DbResult<()> {
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(related_articles::table)
            .values(rows)
            .execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(related_articles::table)
            .values(rows)
            .execute(c)?,
    };
    Ok(())
}

pub fn bulk_insert_shares(conn: &mut DbConn, rows: &[ShareCount]) -> DbResult<()> {
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(article_shares::table)
            .values(rows)
            .execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(article_shares::table)
            .values(rows)
            .execute(c)?,
    };
    Ok(())
}

/// Ids of the `n` most recently inserted articles, oldest first (the seeder links rows to them).
pub fn last_ids(conn: &mut DbConn, n: i64) -> DbResult<Vec<i64>> {
    let mut ids: Vec<i64> = articles::table
        .order_by(articles::id.desc())
        .select(articles::id)
        .limit(n)
        .load(conn)?;
    ids.reverse();
    Ok(ids)
}

pub fn count_all(conn: &mut DbConn) -> DbResult<i64> {
    Ok(articles::table.select(count_star()).get_result(conn)?)
}
