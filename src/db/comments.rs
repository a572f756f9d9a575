use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};

use super::ids::InIds;
use super::models::*;
use super::schema::{articles, comments};
use super::{in_ids, DbConn, DbResult};
use crate::domain::CommentStatus;

/// Where a page of top-level comments starts.
#[derive(Debug, Clone, Copy)]
pub enum RootsFrom {
    Offset(i64),
    /// After this (created_at, id).
    After(NaiveDateTime, i64),
}

/// For each article, up to `limit` approved top-level comments, oldest first, from `from`.
/// One statement for any number of articles: a window function numbers each article's rows.
pub fn approved_roots(
    conn: &mut DbConn,
    article_ids: &[i64],
    from: RootsFrom,
    limit: i64,
) -> DbResult<Vec<CommentRow>> {
    if article_ids.is_empty() || limit <= 0 {
        return Ok(Vec::new());
    }
    let (after, offset) = match from {
        RootsFrom::Offset(n) => (None, n),
        RootsFrom::After(t, id) => (Some((t, id)), 0),
    };
    let query = ApprovedRoots {
        ids: in_ids(comments::article_id, article_ids),
        after,
        offset,
        end: offset.saturating_add(limit),
    };
    Ok(query.load(conn)?)
}

/// The statement of [`approved_roots`]. Its text depends only on whether the page starts after
/// a position, so both forms stay prepared: a `sql_query` is prepared on every call (diesel
/// never caches one), and the ids and position it wrote into its text made each text new
/// (4.5% of the cache-off GraphQL article page was SQLite preparing it).
struct ApprovedRoots {
    ids: InIds<comments::article_id>,
    after: Option<(NaiveDateTime, i64)>,
    offset: i64,
    end: i64,
}

impl QueryId for ApprovedRoots {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for ApprovedRoots {
    type SqlType = diesel::sql_types::Untyped;
}

impl<C> RunQueryDsl<C> for ApprovedRoots {}

macro_rules! approved_roots_sql {
    ($($db:ty),+) => {$(
        impl QueryFragment<$db> for ApprovedRoots {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> QueryResult<()> {
                use diesel::sql_types::{BigInt, Timestamp};
                out.push_sql(
                    "SELECT id, article_id, parent_id, user_id, author_name, author_email, body, \
                     body_html, status, created_at, updated_at, spam_reason FROM (\
                     SELECT comments.*, ROW_NUMBER() OVER (\
                     PARTITION BY article_id ORDER BY created_at, id) AS pos FROM comments WHERE ",
                );
                self.ids.walk_ast(out.reborrow())?;
                out.push_sql(" AND status = 'approved' AND parent_id IS NULL");
                if let Some((at, id)) = &self.after {
                    out.push_sql(" AND (created_at > ");
                    out.push_bind_param::<Timestamp, _>(at)?;
                    out.push_sql(" OR (created_at = ");
                    out.push_bind_param::<Timestamp, _>(at)?;
                    out.push_sql(" AND id > ");
                    out.push_bind_param::<BigInt, _>(id)?;
                    out.push_sql("))");
                }
                out.push_sql(") numbered WHERE pos > ");
                out.push_bind_param::<BigInt, _>(&self.offset)?;
                out.push_sql(" AND pos <= ");
                out.push_bind_param::<BigInt, _>(&self.end)?;
                out.push_sql(" ORDER BY article_id, pos");
                Ok(())
            }
        }
    )+};
}

approved_roots_sql!(diesel::sqlite::Sqlite, diesel::pg::Pg);

impl QueryFragment<super::Backend> for ApprovedRoots {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, super::Backend>) -> QueryResult<()> {
        super::Backend::walk_variant_ast(self, pass)
    }
}

/// How many approved top-level comments each article has.
pub fn count_approved_roots(conn: &mut DbConn, article_ids: &[i64]) -> DbResult<Vec<(i64, i64)>> {
    if article_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(comments::table
        .filter(in_ids(comments::article_id, article_ids))
        .filter(comments::status.eq(CommentStatus::Approved))
        .filter(comments::parent_id.is_null())
        .group_by(comments::article_id)
        .select((comments::article_id, count_star()))
        .load(conn)?)
}

/// Approved replies to a set of comments, oldest first.
pub fn approved_replies(conn: &mut DbConn, parent_ids: &[i64]) -> DbResult<Vec<CommentRow>> {
    if parent_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(comments::table
        .filter(in_ids(comments::parent_id, parent_ids))
        .filter(comments::status.eq(CommentStatus::Approved))
        .order_by((comments::created_at, comments::id))
        .select(CommentRow::as_select())
        .load(conn)?)
}

pub fn count_approved(conn: &mut DbConn, article_id: i64) -> DbResult<i64> {
    Ok(comments::table
        .filter(comments::article_id.eq(article_id))
        .filter(comments::status.eq(CommentStatus::Approved))
        .select(count_star())
        .get_result(conn)?)
}

/// A moderation page: comments of one status with their article's slug, oldest first.
pub fn by_status(
    conn: &mut DbConn,
    status: Option<CommentStatus>,
    offset: i64,
    after_id: Option<i64>,
    limit: i64,
) -> DbResult<Vec<(CommentRow, String)>> {
    let mut q = comments::table
        .inner_join(articles::table)
        .select((CommentRow::as_select(), articles::slug))
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(comments::status.eq(s));
    }
    if let Some(after) = after_id {
        q = q.filter(comments::id.gt(after));
    } else {
        q = q.offset(offset);
    }
    Ok(q.order_by(comments::id).limit(limit).load(conn)?)
}

pub fn count_by_status(conn: &mut DbConn, status: Option<CommentStatus>) -> DbResult<i64> {
    let mut q = comments::table.select(count_star()).into_boxed();
    if let Some(s) = status {
        q = q.filter(comments::status.eq(s));
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
    status: CommentStatus,
    now: chrono::NaiveDateTime,
) -> DbResult<()> {
    diesel::update(comments::table.find(id))
        .set((
            comments::status.eq(status),
            comments::updated_at.eq(now),
            // A comment released from (or put into) spam by hand has no automatic reason.
            comments::spam_reason.eq(None::<String>),
        ))
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
