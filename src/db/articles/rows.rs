//! One article at a time: lookups, writes, tags, authors, shares and counters.

use super::cards::{self, rebuild_cards, Cards};
use super::*;
use crate::db::schema::article_cards;

/// The article with this slug, or the one that had it before (a retired slug still reaches
/// its article: the caller tells by the row's own slug).
pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> DbResult<Option<ArticleSummaryRow>> {
    if !Slug::is_valid(slug) {
        return Ok(None);
    }
    let found = articles::table
        .filter(articles::slug.eq(slug))
        .select(ArticleSummaryRow::as_select())
        .first(conn)
        .optional()?;
    match found {
        Some(row) => Ok(Some(row)),
        None => match retired_slug_owner(conn, slug)? {
            Some(id) => find_by_id(conn, id),
            None => Ok(None),
        },
    }
}

/// The article that had `slug` before its current one.
fn retired_slug_owner(conn: &mut DbConn, slug: &str) -> DbResult<Option<i64>> {
    Ok(article_slugs::table
        .find(slug)
        .select(article_slugs::article_id)
        .first(conn)
        .optional()?)
}

/// Keeps `slug`, which the article just left, reaching it.
pub fn retire_slug(
    conn: &mut DbConn,
    article_id: i64,
    slug: &str,
    at: NaiveDateTime,
) -> DbResult<()> {
    claim_slug(conn, slug)?;
    diesel::insert_into(article_slugs::table)
        .values((
            article_slugs::slug.eq(slug),
            article_slugs::article_id.eq(article_id),
            article_slugs::retired_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// An article takes `slug`: whatever it used to redirect to, it no longer does.
pub fn claim_slug(conn: &mut DbConn, slug: &str) -> DbResult<()> {
    diesel::delete(article_slugs::table.find(slug)).execute(conn)?;
    Ok(())
}

/// Like [`find_by_slug`], for a write in the current transaction: the row stays locked until
/// it ends, so concurrent writes to one article take turns and each reads the version the
/// one before it wrote (PostgreSQL; SQLite's write transactions already take turns).
pub fn find_by_slug_for_write(
    conn: &mut DbConn,
    slug: &str,
) -> DbResult<Option<ArticleSummaryRow>> {
    let Some(row) = find_by_slug(conn, slug)? else {
        return Ok(None);
    };
    match conn {
        DbConn::Pg(pg) => {
            diesel::sql_query("SELECT 1 FROM articles WHERE id = $1 FOR UPDATE")
                .bind::<BigInt, _>(row.id)
                .execute(pg)?;
            // Read again under the lock: a write that held it may have changed the row.
            find_by_id(conn, row.id)
        }
        DbConn::Sqlite(_) => Ok(Some(row)),
    }
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
        .filter(in_ids(articles::id, ids))
        .select(ArticleSummaryRow::as_select())
        .load(conn)?)
}

/// The summaries of `ids` with their cards as stored, in one statement: a list's page costs
/// one round trip for both. Those without a readable card are among `SummaryExtras::missing`.
pub fn summaries_with_cards_by_ids(
    conn: &mut DbConn,
    ids: &[i64],
) -> DbResult<(Vec<ArticleSummaryRow>, SummaryExtras)> {
    if ids.is_empty() {
        return Ok((Vec::new(), SummaryExtras::default()));
    }
    let found: Vec<(ArticleSummaryRow, Option<String>)> = articles::table
        .left_join(article_cards::table.on(article_cards::article_id.eq(articles::id)))
        .filter(in_ids(articles::id, ids))
        .select((
            ArticleSummaryRow::as_select(),
            article_cards::card.nullable(),
        ))
        .load(conn)?;
    let mut extras = SummaryExtras::default();
    let rows = found
        .into_iter()
        .map(|(row, card)| {
            if let Some(text) = card {
                cards::add_card(&mut extras, row.id, &text);
            }
            row
        })
        .collect();
    Ok((rows, extras))
}

/// Ids of the articles with these slugs, whatever their status; a slug an article had before
/// names that article.
pub fn ids_by_slugs(conn: &mut DbConn, slugs: &[String]) -> DbResult<Vec<(String, i64)>> {
    let slugs = crate::db::valid_slugs(slugs);
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: Vec<(String, i64)> = articles::table
        .filter(articles::slug.eq_any(&slugs))
        .select((articles::slug, articles::id))
        .load(conn)?;
    let retired: Vec<String> = slugs
        .into_iter()
        .filter(|s| !found.iter().any(|(f, _)| f == s))
        .collect();
    if !retired.is_empty() {
        found.extend(
            article_slugs::table
                .filter(article_slugs::slug.eq_any(retired))
                .select((article_slugs::slug, article_slugs::article_id))
                .load::<(String, i64)>(conn)?,
        );
    }
    Ok(found)
}

/// The bodies of a set of articles.
pub fn bodies_by_ids(conn: &mut DbConn, ids: &[i64]) -> DbResult<Vec<(i64, ArticleBodyRow)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(articles::table
        .filter(in_ids(articles::id, ids))
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
    if n == 1 {
        super::summaries::forget_summary(conn, id)?;
    }
    Ok(n == 1)
}

pub fn delete(conn: &mut DbConn, id: i64) -> DbResult<bool> {
    Ok(diesel::delete(articles::table.find(id)).execute(conn)? == 1)
}

/// How many articles carry this account on their byline.
pub fn count_by_author(conn: &mut DbConn, author_id: i64) -> DbResult<i64> {
    Ok(article_authors::table
        .filter(article_authors::user_id.eq(author_id))
        .select(count_star())
        .get_result(conn)?)
}

/// Hands every byline of `from` to `to`, in `from`'s place (where `to` already signs the
/// article, that line goes: nobody signs twice), and the primary bylines with them.
pub fn reassign_author(conn: &mut DbConn, from: i64, to: i64) -> DbResult<usize> {
    let signed: Vec<i64> = article_authors::table
        .filter(article_authors::user_id.eq(from))
        .select(article_authors::article_id)
        .load(conn)?;
    for chunk in signed.chunks(500) {
        diesel::delete(
            article_authors::table
                .filter(article_authors::user_id.eq(to))
                .filter(in_ids(article_authors::article_id, chunk)),
        )
        .execute(conn)?;
    }
    let n = diesel::update(article_authors::table.filter(article_authors::user_id.eq(from)))
        .set(article_authors::user_id.eq(to))
        .execute(conn)?;
    diesel::update(articles::table.filter(articles::author_id.eq(from)))
        .set(articles::author_id.eq(to))
        .execute(conn)?;
    rebuild_cards(conn, Cards::Of(&signed))?;
    Ok(n)
}

/// Replaces an article's byline with `user_ids`, in order; the first becomes its primary
/// author (`articles.author_id`).
pub fn set_bylines(conn: &mut DbConn, article_id: i64, user_ids: &[i64]) -> DbResult<()> {
    let Some(primary) = user_ids.first() else {
        return Err(DbError::Other("a byline needs an author".into()));
    };
    diesel::update(articles::table.find(article_id))
        .set(articles::author_id.eq(primary))
        .execute(conn)?;
    diesel::delete(article_authors::table.filter(article_authors::article_id.eq(article_id)))
        .execute(conn)?;
    for (position, user_id) in user_ids.iter().enumerate() {
        diesel::insert_into(article_authors::table)
            .values(Byline {
                article_id,
                user_id: *user_id,
                position: position as i32,
            })
            .execute(conn)?;
    }
    rebuild_cards(conn, Cards::Of(&[article_id]))?;
    Ok(())
}

/// The accounts on an article's byline, in order.
pub fn byline_ids(conn: &mut DbConn, article_id: i64) -> DbResult<Vec<i64>> {
    Ok(article_authors::table
        .filter(article_authors::article_id.eq(article_id))
        .order_by(article_authors::position)
        .select(article_authors::user_id)
        .load(conn)?)
}

/// Whether `user_id` signs the article.
pub fn on_byline(conn: &mut DbConn, article_id: i64, user_id: i64) -> DbResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        article_authors::table
            .filter(article_authors::article_id.eq(article_id))
            .filter(article_authors::user_id.eq(user_id)),
    ))
    .get_result(conn)?)
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
    rebuild_cards(conn, Cards::Of(&[article_id]))?;
    Ok(())
}

/// Tags of a set of articles, each article's in its own order: (article, tag id, slug, name),
/// what a summary shows (no timestamps to parse).
pub fn tags_for(
    conn: &mut DbConn,
    article_ids: &[i64],
) -> DbResult<Vec<(i64, i64, String, String)>> {
    if article_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(article_tags::table
        .inner_join(tags::table)
        .filter(in_ids(article_tags::article_id, article_ids))
        .order_by((article_tags::article_id, article_tags::position))
        .select((article_tags::article_id, tags::id, tags::slug, tags::name))
        .load(conn)?)
}

/// Which of `ids` still exist.
pub fn existing_ids(conn: &mut DbConn, ids: &[i64]) -> DbResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(articles::table
        .filter(in_ids(articles::id, ids))
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
    rebuild_cards(conn, Cards::Of(&[article_id]))?;
    Ok(())
}

/// The article's preview generation (`None`: no such article).
pub fn preview_generation(conn: &mut DbConn, id: i64) -> DbResult<Option<i32>> {
    Ok(articles::table
        .find(id)
        .select(articles::preview_generation)
        .first(conn)
        .optional()?)
}

/// Ends every preview link of the article: links carry the generation they were made in.
pub fn revoke_previews(conn: &mut DbConn, id: i64) -> DbResult<()> {
    diesel::update(articles::table.find(id))
        .set(articles::preview_generation.eq(articles::preview_generation + 1))
        .execute(conn)?;
    Ok(())
}

pub fn set_comment_count(conn: &mut DbConn, article_id: i64, n: i64) -> DbResult<()> {
    diesel::update(articles::table.find(article_id))
        .set(articles::comment_count.eq(n))
        .execute(conn)?;
    Ok(())
}

/// One article with its body, by slug: one statement the connection keeps prepared (a static
/// query, no list of binds).
pub fn article_by_slug(
    conn: &mut DbConn,
    slug: &str,
) -> DbResult<Option<(ArticleSummaryRow, ArticleBodyRow)>> {
    if !Slug::is_valid(slug) {
        return Ok(None);
    }
    let found = articles::table
        .filter(articles::slug.eq(slug))
        .select((ArticleSummaryRow::as_select(), ArticleBodyRow::as_select()))
        .first(conn)
        .optional()?;
    if found.is_some() {
        return Ok(found);
    }
    // A retired slug: the article that had it (the caller redirects).
    let Some(id) = retired_slug_owner(conn, slug)? else {
        return Ok(None);
    };
    Ok(articles::table
        .find(id)
        .select((ArticleSummaryRow::as_select(), ArticleBodyRow::as_select()))
        .first(conn)
        .optional()?)
}

/// What summaries show beside their rows, for a set of articles: their tags (each article's
/// in order), per-network share counts and bylines (each article's in order, the primary
/// first), keyed by article id.
#[derive(Debug, Default)]
pub struct SummaryExtras {
    pub tags: HashMap<i64, Vec<(i64, String, String)>>,
    pub shares: HashMap<i64, Vec<(String, i64)>>,
    pub authors: HashMap<i64, Vec<AuthorRef>>,
}

impl SummaryExtras {
    /// Those of `ids` it holds nothing for.
    pub fn missing(&self, ids: &[i64]) -> Vec<i64> {
        ids.iter()
            .filter(|id| !self.authors.contains_key(id))
            .copied()
            .collect()
    }

    /// Adds what `other` holds.
    pub fn merge(&mut self, other: SummaryExtras) {
        self.tags.extend(other.tags);
        self.shares.extend(other.shares);
        self.authors.extend(other.authors);
    }
}

/// The tags, share counts and bylines of a set of articles: their cards, in one lookup per
/// article (`cards`); those without one through their links.
pub fn summary_extras(conn: &mut DbConn, article_ids: &[i64]) -> DbResult<SummaryExtras> {
    if article_ids.is_empty() {
        return Ok(SummaryExtras::default());
    }
    let mut out = cards::extras_from_cards(conn, article_ids)?;
    fill_from_links(conn, &mut out, article_ids)?;
    Ok(out)
}

/// Adds to `out`, for those of `ids` it holds nothing for (no card, or an unreadable one),
/// what their links say.
pub fn fill_from_links(conn: &mut DbConn, out: &mut SummaryExtras, ids: &[i64]) -> DbResult<()> {
    let missing = out.missing(ids);
    if !missing.is_empty() {
        out.merge(extras_from_links(conn, &missing)?);
    }
    Ok(())
}

/// [`summary_extras`] read through the links, in one statement kept prepared whatever the
/// number of articles: the three lists as one `UNION ALL`, told apart by their first column,
/// the ids bound once (`in_ids`).
pub fn extras_from_links(conn: &mut DbConn, article_ids: &[i64]) -> DbResult<SummaryExtras> {
    use diesel::sql_types::Integer;
    const TAG: i32 = 0;
    const SHARE: i32 = 1;
    const AUTHOR: i32 = 2;
    if article_ids.is_empty() {
        return Ok(SummaryExtras::default());
    }
    // MultiConnection's backend has no UNION: the query is built on each inner connection.
    macro_rules! load {
        ($c:expr) => {{
            let tags = article_tags::table
                .inner_join(tags::table)
                .filter(in_ids(article_tags::article_id, article_ids))
                .select((
                    TAG.into_sql::<Integer>(),
                    article_tags::article_id,
                    article_tags::position,
                    tags::id,
                    tags::slug,
                    tags::name,
                ));
            let shares = article_shares::table
                .filter(in_ids(article_shares::article_id, article_ids))
                .select((
                    SHARE.into_sql::<Integer>(),
                    article_shares::article_id,
                    0.into_sql::<Integer>(),
                    article_shares::count,
                    article_shares::network,
                    article_shares::network,
                ));
            let authors = article_authors::table
                .inner_join(users::table)
                .filter(in_ids(article_authors::article_id, article_ids))
                .select((
                    AUTHOR.into_sql::<Integer>(),
                    article_authors::article_id,
                    article_authors::position,
                    users::id,
                    users::slug,
                    users::name,
                ));
            tags.union_all(shares)
                .union_all(authors)
                .load::<(i32, i64, i32, i64, String, String)>($c)
        }};
    }
    let mut rows = match conn {
        DbConn::Sqlite(c) => load!(c)?,
        DbConn::Pg(c) => load!(c)?,
    };
    rows.sort_unstable_by_key(|(kind, article, position, ..)| (*kind, *article, *position));
    let mut out = SummaryExtras::default();
    for (kind, article, _, n, a, b) in rows {
        match kind {
            TAG => out.tags.entry(article).or_default().push((n, a, b)),
            SHARE => out.shares.entry(article).or_default().push((a, n)),
            _ => out.authors.entry(article).or_default().push(AuthorRef {
                id: n,
                slug: a,
                name: b,
            }),
        }
    }
    Ok(out)
}
