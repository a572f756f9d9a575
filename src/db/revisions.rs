//! Article revisions: one row per version, its content as JSON (the service's shape).

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::models::{NewRevision, RevisionRow};
use super::schema::{article_revisions, users};
use super::{DbConn, DbResult};

/// A revision with its editor's (id, slug, name), while that account exists.
pub type WithEditor = (RevisionRow, Option<(i64, String, String)>);

pub fn insert(conn: &mut DbConn, row: &NewRevision) -> DbResult<()> {
    diesel::insert_into(article_revisions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Whether the article's `version` has its revision.
pub fn exists(conn: &mut DbConn, article_id: i64, version: i32) -> DbResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        article_revisions::table
            .filter(article_revisions::article_id.eq(article_id))
            .filter(article_revisions::version.eq(version)),
    ))
    .get_result(conn)?)
}

/// A page of an article's revisions, newest first, each with its editor's (id, slug, name)
/// while that account exists.
pub fn list(
    conn: &mut DbConn,
    article_id: i64,
    offset: i64,
    limit: i64,
) -> DbResult<Vec<WithEditor>> {
    Ok(article_revisions::table
        .left_join(users::table)
        .filter(article_revisions::article_id.eq(article_id))
        .order_by(article_revisions::version.desc())
        .offset(offset)
        .limit(limit)
        .select((
            RevisionRow::as_select(),
            (users::id, users::slug, users::name).nullable(),
        ))
        .load(conn)?)
}

pub fn count(conn: &mut DbConn, article_id: i64) -> DbResult<i64> {
    Ok(article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .select(count_star())
        .get_result(conn)?)
}

/// One version of an article, with its editor.
pub fn find(conn: &mut DbConn, article_id: i64, version: i32) -> DbResult<Option<WithEditor>> {
    Ok(article_revisions::table
        .left_join(users::table)
        .filter(article_revisions::article_id.eq(article_id))
        .filter(article_revisions::version.eq(version))
        .select((
            RevisionRow::as_select(),
            (users::id, users::slug, users::name).nullable(),
        ))
        .first(conn)
        .optional()?)
}

/// Drops the article's revisions that are both `keep` versions behind `current` and older
/// than `before`: the newest versions and the recent ones always stay.
pub fn prune(
    conn: &mut DbConn,
    article_id: i64,
    current: i32,
    keep: i32,
    before: NaiveDateTime,
) -> DbResult<usize> {
    Ok(diesel::delete(
        article_revisions::table
            .filter(article_revisions::article_id.eq(article_id))
            .filter(article_revisions::version.le(current - keep))
            .filter(article_revisions::created_at.lt(before)),
    )
    .execute(conn)?)
}
