//! Bulk inserts for the seeder, and its bookkeeping.

use super::*;

/// Bulk insert for the seeder: many rows per statement, built on each inner connection
/// (multi-row `VALUES` does not go through the connection enum).
/// Inserts `rows`, answering each stored article's (id, slug), in no promised order.
pub fn bulk_insert(conn: &mut DbConn, rows: &[NewArticle]) -> DbResult<Vec<(i64, String)>> {
    let stored = match conn {
        DbConn::Sqlite(c) => diesel::insert_into(articles::table)
            .values(rows)
            .returning((articles::id, articles::slug))
            .get_results(c)?,
        DbConn::Pg(c) => diesel::insert_into(articles::table)
            .values(rows)
            .returning((articles::id, articles::slug))
            .get_results(c)?,
    };
    Ok(stored)
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
pub fn count_all(conn: &mut DbConn) -> DbResult<i64> {
    Ok(articles::table.select(count_star()).get_result(conn)?)
}
