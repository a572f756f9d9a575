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
        .filter(in_ids(related_articles::article_id, article_ids))
        .filter(live(now))
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
    let live = live_sql("a", now);
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
           WHERE {live} AND a.id <> src.source \
           GROUP BY src.source, a.id\
         ) ranked WHERE pos <= {per_source} ORDER BY source, pos"
    );
    let rows: Vec<Ranked> = diesel::sql_query(query).load(conn)?;
    Ok(rows.into_iter().map(|r| (r.source, r.id)).collect())
}

/// The computed related lists kept ready for `article_ids`: (article, ids best first, when
/// computed). A stored text that is not a list of ids reads as no list (it is recomputed).
pub fn ready_related(
    conn: &mut DbConn,
    article_ids: &[i64],
) -> DbResult<Vec<(i64, Vec<i64>, NaiveDateTime)>> {
    let rows: Vec<(i64, String, NaiveDateTime)> = match article_ids {
        [] => return Ok(Vec::new()),
        // One id: a statement SQLite keeps prepared (a list of binds is prepared every time).
        [one] => related_ready::table
            .filter(related_ready::article_id.eq(*one))
            .select((
                related_ready::article_id,
                related_ready::related_ids,
                related_ready::computed_at,
            ))
            .load(conn)?,
        many => related_ready::table
            .filter(in_ids(related_ready::article_id, many))
            .select((
                related_ready::article_id,
                related_ready::related_ids,
                related_ready::computed_at,
            ))
            .load(conn)?,
    };
    Ok(rows
        .into_iter()
        .filter_map(|(id, text, at)| parse_ids(&text).map(|ids| (id, ids, at)))
        .collect())
}

fn parse_ids(text: &str) -> Option<Vec<i64>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(',').map(|s| s.parse().ok()).collect()
}

/// Keeps computed related lists ready (replacing older ones), skipping articles deleted since.
pub fn store_ready_related(
    conn: &mut DbConn,
    lists: &[(i64, Vec<i64>, NaiveDateTime)],
) -> DbResult<()> {
    let ids: Vec<i64> = lists.iter().map(|(id, _, _)| *id).collect();
    let existing: std::collections::HashSet<i64> = existing_ids(conn, &ids)?.into_iter().collect();
    for (article_id, related, at) in lists {
        if !existing.contains(article_id) {
            continue;
        }
        let text = related
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        macro_rules! upsert {
            ($c:expr) => {
                diesel::insert_into(related_ready::table)
                    .values((
                        related_ready::article_id.eq(*article_id),
                        related_ready::related_ids.eq(&text),
                        related_ready::computed_at.eq(*at),
                    ))
                    .on_conflict(related_ready::article_id)
                    .do_update()
                    .set((
                        related_ready::related_ids.eq(&text),
                        related_ready::computed_at.eq(*at),
                    ))
                    .execute($c)
            };
        }
        match conn {
            DbConn::Sqlite(c) => upsert!(c)?,
            DbConn::Pg(c) => upsert!(c)?,
        };
    }
    Ok(())
}

/// Drops an article's ready list: its own tags or status changed, so it is recomputed on its
/// next read rather than served for up to its maximum age.
pub fn forget_ready_related(conn: &mut DbConn, article_id: i64) -> DbResult<()> {
    diesel::delete(related_ready::table.filter(related_ready::article_id.eq(article_id)))
        .execute(conn)?;
    Ok(())
}
