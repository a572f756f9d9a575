//! Refresh tokens and integration tokens: rows found by the hash of the token, never by the
//! token itself.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{api_tokens, refresh_tokens};
use super::{DbConn, DbResult};
use crate::domain::Role;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshRow {
    pub id: i64,
    pub user_id: i64,
    pub family: String,
    pub token_hash: String,
    pub token_version: i32,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefresh<'a> {
    pub user_id: i64,
    pub family: &'a str,
    pub token_hash: &'a str,
    pub token_version: i32,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct ApiTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewApiToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub role: Role,
    pub prefix: &'a str,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

pub fn insert_refresh(conn: &mut DbConn, row: &NewRefresh<'_>) -> DbResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_refresh(conn: &mut DbConn, hash: &str) -> DbResult<Option<RefreshRow>> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select(RefreshRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a refresh token used; `false` when it was used (or revoked) already, by this
/// request's twin included: the one update that wins is the only rotation.
pub fn use_refresh(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> DbResult<bool> {
    let n = diesel::update(
        refresh_tokens::table
            .find(id)
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Ends every token of a family (a logout, or a token presented twice).
pub fn revoke_family(conn: &mut DbConn, family: &str, now: NaiveDateTime) -> DbResult<usize> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?)
}

/// Ends every refresh token of an account (its deletion).
pub fn delete_for_user(conn: &mut DbConn, user_id: i64) -> DbResult<()> {
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(user_id))).execute(conn)?;
    Ok(())
}

pub fn insert_api_token(conn: &mut DbConn, row: &NewApiToken<'_>) -> DbResult<ApiTokenRow> {
    let id: i64 = diesel::insert_into(api_tokens::table)
        .values(row)
        .returning(api_tokens::id)
        .get_result(conn)?;
    Ok(api_tokens::table
        .find(id)
        .select(ApiTokenRow::as_select())
        .first(conn)?)
}

pub fn find_api_token(conn: &mut DbConn, hash: &str) -> DbResult<Option<ApiTokenRow>> {
    Ok(api_tokens::table
        .filter(api_tokens::token_hash.eq(hash))
        .select(ApiTokenRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_api_token_by_id(conn: &mut DbConn, id: i64) -> DbResult<Option<ApiTokenRow>> {
    Ok(api_tokens::table
        .find(id)
        .select(ApiTokenRow::as_select())
        .first(conn)
        .optional()?)
}

/// Live (unrevoked) integration tokens, newest first: one account's, or everyone's.
pub fn list_api_tokens(conn: &mut DbConn, user_id: Option<i64>) -> DbResult<Vec<ApiTokenRow>> {
    let mut q = api_tokens::table
        .filter(api_tokens::revoked_at.is_null())
        .select(ApiTokenRow::as_select())
        .order(api_tokens::id.desc())
        .into_boxed();
    if let Some(u) = user_id {
        q = q.filter(api_tokens::user_id.eq(u));
    }
    Ok(q.load(conn)?)
}

pub fn revoke_api_token(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> DbResult<bool> {
    let n = diesel::update(
        api_tokens::table
            .find(id)
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn touch_api_token(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> DbResult<()> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(now))
        .execute(conn)?;
    Ok(())
}
