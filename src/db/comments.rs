use diesel::dsl::count_star;
use diesel::prelude::*;

use super::models::*;
use super::schema::{articles, comments};
use super::{DbConn, DbResult};

/// Approved comments of an article, oldest first (the service threads them).
pub fn approved_for_article(conn: &mut DbConn, article_id: i64) -> DbResult<Vec<CommentRow>> {
    Ok(comments::table
        .filter(comments::article_id.eq(article_id))
        .filter(comments::status.eq("approved"))
        .order_by((comments::created_at, comments::id))
        .select(CommentRow::as_select())
        .load(conn)?)
}

pub fn count_approved(conn: &mut DbConn, article_id: i64) -> DbResult<i64> {
    Ok(comments::table
        .filter(comments::article_id.eq(article_id))
        .filter(comments::status.eq("approved"))
        .select(count_star())
        .get_result(conn)?)
}

/// A moderation page: comments of one status with their article's slug, oldest first.
pub fn by_status(
    conn: &mut DbConn,
    status: Option<&str>,
    offset: i64,
    after_id: Option<i64>,
    limit: i64,
) -> DbResult<Vec<(CommentRow, String)>> {
    let mut q = comments::table
        .inner_join(articles::table)
        .select((CommentRow::as_select(), articles::slug))
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(comments::status.eq(s.to_owned()));
    }
    if let Some(after) = after_id {
        q = q.filter(comments::id.gt(after));
    } else {
        q = q.offset(offset);
    }
    Ok(q.order_by(comments::id).limit(limit).load(conn)?)
}

pub fn count_by_status(conn: &mut DbConn, status: Option<&str>) -> DbResult<i64> {
    let mut q = comments::table.select(count_star()).into_boxed();
    if let Some(s) = status {
        q = q.filter(comments::status.eq(s.to_owned()));
    }
    Ok(q.get_result(conn)?)
}

pub fn find(conn: &mut DbConn, id: i64) -> DbResult<Option<CommentRow>> {
    Ok(comments::table
        .find(id)
        .select(CommentRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConn, row: &NewComment) -> DbResult<CommentRow> {
    let id: i64 = diesel::insert_into(comments::table)
        .values(row)
        .returning(comments::id)
        .get_result(conn)?;
    Ok(comments::table
        .find(id)
        .select(CommentRow::as_select())
        .first(conn)?)
}

pub fn set_status(
    conn: &mut DbConn,
    id: i64,
    status: &str,
    now: chrono::NaiveDateTime,
) -> DbResult<()> {
    diesel::update(comments::table.find(id))
        .set((comments::status.eq(status), comments::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConn, id: i64) -> DbResult<bool> {
    Ok(diesel::delete(comments::table.find(id)).execute(conn)? == 1)
}

pub fn bulk_insert(conn: &mut DbConn, rows: &[NewComment]) -> DbResult<()> {
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(comments::table)
            .values(rows)
            .execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(comments::table)
            .values(rows)
            .execute(c)?,
    };
    Ok(())
}
