//! Related articles: the curated list, and candidates ranked by shared tags.

use super::*;

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
pub(super) struct Ranked {
    #[diesel(sql_type = BigInt)]
    source: i64,
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// How many of a tag's most recent articles are candidates for "related": news relates to
/// news, and it bounds the work whatever the size of the tag.
pub(super) const CANDIDATES_PER_TAG: i64 = 300;
/// Distinct tags one statement draws candidates from (SQLite allows 500 compound terms);
/// beyond it, the rarest tags are kept.
pub(super) const MAX_CANDIDATE_TAGS: usize = 400;

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
