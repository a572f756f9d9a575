//! One article at a time: lookups, writes, tags, authors, shares and counters.

use super::*;

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
        .filter(in_ids(articles::id, ids))
        .select(ArticleSummaryRow::as_select())
        .load(conn)?)
}

/// Ids of the articles with these slugs, whatever their status.
pub fn ids_by_slugs(conn: &mut DbConn, slugs: &[String]) -> DbResult<Vec<(String, i64)>> {
    let slugs = crate::db::valid_slugs(slugs);
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
    Ok(articles::table
        .filter(articles::slug.eq(slug))
        .select((ArticleSummaryRow::as_select(), ArticleBodyRow::as_select()))
        .first(conn)
        .optional()?)
}

/// What summaries show beside their rows, for a set of articles: their tags (each article's
/// in order), per-network share counts and authors, keyed by article id.
#[derive(Debug, Default)]
pub struct SummaryExtras {
    pub tags: HashMap<i64, Vec<(i64, String, String)>>,
    pub shares: HashMap<i64, Vec<(String, i64)>>,
    pub authors: HashMap<i64, AuthorRef>,
}

/// The tags, share counts and authors of a set of articles in one statement kept prepared
/// whatever the number of articles: the three lists as one `UNION ALL`, told apart by their
/// first column, the ids bound once (`in_ids`).
pub fn summary_extras(conn: &mut DbConn, article_ids: &[i64]) -> DbResult<SummaryExtras> {
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
            let authors = articles::table
                .inner_join(users::table)
                .filter(in_ids(articles::id, article_ids))
                .select((
                    AUTHOR.into_sql::<Integer>(),
                    articles::id,
                    0.into_sql::<Integer>(),
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
            _ => {
                out.authors.insert(
                    article,
                    AuthorRef {
                        id: n,
                        slug: a,
                        name: b,
                    },
                );
            }
        }
    }
    Ok(out)
}
