//! Bulk inserts for the seeder, and its bookkeeping.

use super::*;

/// Bulk insert for the seeder: many rows per statement, built on each inner connection
/// (multi-row `VALUES` does not go through the connection enum).
pub fn bulk_insert(conn: &mut DbConn, rows: &[NewArticle]) -> DbResult<()> {
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(articles::table)
            .values(rows)
            .execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(articles::table)
            .values(rows)
            .execute(c)?,
    };
    Ok(())
}

pub fn bulk_insert_tags(conn: &mut DbConn, rows: &[ArticleTagLink]) -> DbResult<()> {
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(article_tags::table)
            .values(rows)
            .execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(article_tags::table)
            .values(rows)
            .execute(c)?,
    };
    Ok(())
}

pub fn bulk_insert_bylines(conn: &mut DbConn, rows: &[Byline]) -> DbResult<()> {
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(article_authors::table)
            .values(rows)
            .execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(article_authors::table)
            .values(rows)
            .execute(c)?,
    };
    Ok(())
}

pub fn bulk_insert_related(conn: &mut DbConn, rows: &[RelatedLink]) -> DbResult<()> {
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(related_articles::table)
            .values(rows)
            .execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(related_articles::table)
            .values(rows)
            .execute(c)?,
    };
    Ok(())
}

pub fn bulk_insert_shares(conn: &mut DbConn, rows: &[ShareCount]) -> DbResult<()> {
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(article_shares::table)
            .values(rows)
            .execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(article_shares::table)
            .values(rows)
            .execute(c)?,
    };
    Ok(())
}

/// Ids of the `n` most recently inserted articles, oldest first (the seeder links rows to them).
pub fn last_ids(conn: &mut DbConn, n: i64) -> DbResult<Vec<i64>> {
    let mut ids: Vec<i64> = articles::table
        .order_by(articles::id.desc())
        .select(articles::id)
        .limit(n)
        .load(conn)?;
    ids.reverse();
    Ok(ids)
}

pub fn count_all(conn: &mut DbConn) -> DbResult<i64> {
    Ok(articles::table.select(count_star()).get_result(conn)?)
}
