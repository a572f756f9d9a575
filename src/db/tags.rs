use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::models::*;
use super::schema::{article_tags, tags};
use super::{in_ids, DbConn, DbResult};
use crate::domain::Slug;

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> DbResult<Option<TagRow>> {
    if !Slug::is_valid(slug) {
        return Ok(None);
    }
    Ok(tags::table
        .filter(tags::slug.eq(slug))
        .select(TagRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_ids(conn: &mut DbConn, ids: &[i64]) -> DbResult<Vec<TagRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(tags::table
        .filter(in_ids(tags::id, ids))
        .select(TagRow::as_select())
        .load(conn)?)
}

pub fn find_by_slugs(conn: &mut DbConn, slugs: &[String]) -> DbResult<Vec<TagRow>> {
    let slugs = super::valid_slugs(slugs);
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    Ok(tags::table
        .filter(tags::slug.eq_any(slugs))
        .select(TagRow::as_select())
        .load(conn)?)
}

/// Tags by name, after the tag `after_slug` when given (keyset on the unique slug).
pub fn list(
    conn: &mut DbConn,
    offset: i64,
    after_slug: Option<&str>,
    limit: i64,
) -> DbResult<Vec<TagRow>> {
    let mut q = tags::table.select(TagRow::as_select()).into_boxed();
    if let Some(after) = after_slug {
        q = q.filter(tags::slug.gt(after.to_owned()));
    } else {
        q = q.offset(offset);
    }
    Ok(q.order_by(tags::slug).limit(limit).load(conn)?)
}

pub fn count(conn: &mut DbConn) -> DbResult<i64> {
    Ok(tags::table.select(count_star()).get_result(conn)?)
}

pub fn insert(conn: &mut DbConn, row: &NewTag) -> DbResult<TagRow> {
    let id: i64 = diesel::insert_into(tags::table)
        .values(row)
        .returning(tags::id)
        .get_result(conn)?;
    Ok(tags::table
        .find(id)
        .select(TagRow::as_select())
        .first(conn)?)
}

pub fn update(
    conn: &mut DbConn,
    id: i64,
    slug: &str,
    name: &str,
    description: Option<&str>,
    now: NaiveDateTime,
) -> DbResult<TagRow> {
    let shown: Option<(String, String)> = tags::table
        .find(id)
        .select((tags::slug, tags::name))
        .first(conn)
        .optional()?;
    diesel::update(tags::table.find(id))
        .set((
            tags::slug.eq(slug),
            tags::name.eq(name),
            tags::description.eq(description),
            tags::updated_at.eq(now),
        ))
        .execute(conn)?;
    if shown.is_some_and(|(s, n)| s != slug || n != name) {
        // Summaries show the tag's slug and name: its articles' cards change with them.
        crate::db::articles::rebuild_cards(conn, crate::db::articles::Cards::Tagged(id))?;
    }
    Ok(tags::table
        .find(id)
        .select(TagRow::as_select())
        .first(conn)?)
}

/// Deletes the tag (its links go with it) and rebuilds the cards of the articles it leaves.
pub fn delete(conn: &mut DbConn, id: i64) -> DbResult<bool> {
    let tagged: Vec<i64> = article_tags::table
        .filter(article_tags::tag_id.eq(id))
        .select(article_tags::article_id)
        .load(conn)?;
    let deleted = diesel::delete(tags::table.find(id)).execute(conn)? == 1;
    crate::db::articles::rebuild_cards(conn, crate::db::articles::Cards::Of(&tagged))?;
    Ok(deleted)
}

pub fn bulk_insert(conn: &mut DbConn, rows: &[NewTag]) -> DbResult<()> {
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(tags::table).values(rows).execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(tags::table).values(rows).execute(c)?,
    };
    Ok(())
}

pub fn all_ids(conn: &mut DbConn) -> DbResult<Vec<i64>> {
    Ok(tags::table.order_by(tags::id).select(tags::id).load(conn)?)
}
