//! The publishing schedule: the next go-live, and articles that went live on their schedule.

use super::*;

/// When the first published article due after `after` goes live (scheduled articles).
pub fn next_go_live(conn: &mut DbConn, after: NaiveDateTime) -> DbResult<Option<NaiveDateTime>> {
    Ok(articles::table
        .filter(scheduled(after))
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
        .filter(articles::status.eq(ArticleStatus::Published))
        .filter(articles::published_at.gt(since))
        .filter(articles::published_at.le(until))
        .filter(articles::published_at.gt(articles::updated_at.nullable()))
        .order((articles::published_at, articles::id))
        .limit(limit)
        .select(ArticleSummaryRow::as_select())
        .load(conn)?)
}
