use diesel::prelude::*;

use super::schema::settings;
use super::{DbConn, DbResult};

pub fn get(conn: &mut DbConn, key: &str) -> DbResult<Option<String>> {
    Ok(settings::table
        .find(key)
        .select(settings::value)
        .first(conn)
        .optional()?)
}

/// Stores `value` under `key` unless a value is there already; returns the value that holds.
pub fn get_or_insert(conn: &mut DbConn, key: &str, value: &str) -> DbResult<String> {
    if let Some(existing) = get(conn, key)? {
        return Ok(existing);
    }
    diesel::insert_into(settings::table)
        .values((settings::key.eq(key), settings::value.eq(value)))
        .execute(conn)?;
    Ok(value.to_owned())
}

/// Stores `value` under `key`, replacing what was there.
pub fn put(conn: &mut DbConn, key: &str, value: &str) -> DbResult<()> {
    let changed = diesel::update(settings::table.find(key))
        .set(settings::value.eq(value))
        .execute(conn)?;
    if changed == 0 {
        diesel::insert_into(settings::table)
            .values((settings::key.eq(key), settings::value.eq(value)))
            .execute(conn)?;
    }
    Ok(())
}
