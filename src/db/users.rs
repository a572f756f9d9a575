use diesel::dsl::count_star;
use diesel::prelude::*;

use super::models::*;
use super::schema::users;
use super::{in_ids, DbConn, DbResult};
use crate::domain::Slug;

pub fn find_by_id(conn: &mut DbConn, id: i64) -> DbResult<Option<UserRow>> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_ids(conn: &mut DbConn, ids: &[i64]) -> DbResult<Vec<UserRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::table
        .filter(in_ids(users::id, ids))
        .select(UserRow::as_select())
        .load(conn)?)
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> DbResult<Option<UserRow>> {
    if crate::domain::check_chars(email).is_err() {
        return Ok(None);
    }
    Ok(users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> DbResult<Option<UserRow>> {
    if !Slug::is_valid(slug) {
        return Ok(None);
    }
    Ok(users::table
        .filter(users::slug.eq(slug))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// The ids of the accounts with these slugs, as (slug, id), in any order.
pub fn ids_by_slugs(conn: &mut DbConn, slugs: &[String]) -> DbResult<Vec<(String, i64)>> {
    let slugs = super::valid_slugs(slugs);
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::table
        .filter(users::slug.eq_any(slugs))
        .select((users::slug, users::id))
        .load(conn)?)
}

pub fn slug_exists(conn: &mut DbConn, slug: &str) -> DbResult<bool> {
    if !Slug::is_valid(slug) {
        return Ok(false);
    }
    Ok(diesel::select(diesel::dsl::exists(
        users::table.filter(users::slug.eq(slug)),
    ))
    .get_result(conn)?)
}

pub fn list(conn: &mut DbConn, offset: i64, limit: i64) -> DbResult<Vec<UserRow>> {
    Ok(users::table
        .order_by(users::id)
        .select(UserRow::as_select())
        .offset(offset)
        .limit(limit)
        .load(conn)?)
}

pub fn count(conn: &mut DbConn) -> DbResult<i64> {
    Ok(users::table.select(count_star()).get_result(conn)?)
}

pub fn count_admins(conn: &mut DbConn) -> DbResult<i64> {
    Ok(users::table
        .filter(users::role.eq(crate::domain::Role::Admin))
        .select(count_star())
        .get_result(conn)?)
}

pub fn insert(conn: &mut DbConn, row: &NewUser) -> DbResult<UserRow> {
    let id: i64 = diesel::insert_into(users::table)
        .values(row)
        .returning(users::id)
        .get_result(conn)?;
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)?)
}

pub fn update(conn: &mut DbConn, id: i64, changes: &UserChanges) -> DbResult<UserRow> {
    let shown: Option<String> = match &changes.name {
        Some(_) => users::table
            .find(id)
            .select(users::name)
            .first(conn)
            .optional()?,
        None => None,
    };
    diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)?;
    if shown.is_some_and(|old| Some(&old) != changes.name.as_ref()) {
        // Summaries show the author's name: the cards of the articles they sign change with it.
        crate::db::articles::rebuild_cards(conn, crate::db::articles::Cards::SignedBy(id))?;
    }
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)?)
}

pub fn delete(conn: &mut DbConn, id: i64) -> DbResult<bool> {
    Ok(diesel::delete(users::table.find(id)).execute(conn)? == 1)
}
