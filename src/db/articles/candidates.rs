//! What computed related lists draw on besides shared tags: the latest live articles and tag sizes.

use super::*;

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
        .filter(live(now))
        .group_by(article_tags::tag_id)
        .select((article_tags::tag_id, count_star()))
        .into_boxed();
    if let Some(ids) = tag_ids {
        q = q.filter(article_tags::tag_id.eq_any(ids.to_vec()));
    }
    Ok(q.load(conn)?)
}
