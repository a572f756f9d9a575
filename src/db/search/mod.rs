//! Full-text search, the one place where the dialects differ in kind: SQLite's FTS5 table
//! against PostgreSQL's `tsvector` column with its GIN index (and the heads of its lists:
//! `heads`).

pub mod heads;

use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::schema::articles;
use super::{Backend, Db, DbConn, DbError, DbResult, Dialect};

diesel::table! {
    /// SQLite's full-text index (an FTS5 virtual table over titles and bodies, kept by
    /// triggers); only its rowid, the article's id, is read through diesel.
    articles_fts (rowid) {
        rowid -> BigInt,
    }
}

/// A search query reduced to plain words, so no input can reach either engine's query syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms {
    words: Vec<String>,
}

impl SearchTerms {
    /// Splits `q` into words (letters and digits); `None` when nothing searchable is left.
    pub fn parse(q: &str) -> Option<Self> {
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(16)
            .map(|w| w.to_lowercase())
            .collect();
        (!words.is_empty()).then_some(SearchTerms { words })
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// FTS5: every word must appear; each is quoted, so it is a literal token.
    fn fts5(&self) -> String {
        self.words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// PostgreSQL: the words joined for `plainto_tsquery`, which ANDs them and ignores syntax.
    fn plain(&self) -> String {
        self.words.join(" ")
    }
}

/// A predicate on `articles` that holds for the rows matching `terms`. `walk`: the list's own
/// index is walked in order and each row is checked (SQLite: against the matches, gathered
/// once; PostgreSQL: as its planner prefers); otherwise the matches drive (see
/// `articles::Plan`).
pub fn matches(
    dialect: Dialect,
    terms: &SearchTerms,
    walk: bool,
) -> Box<dyn BoxableExpression<articles::table, Backend, SqlType = Bool>> {
    match dialect {
        // FTS5 is never asked row by row (a rowid constraint beside MATCH re-reads each word's
        // whole list for every row, which is quadratic): its matches are gathered once. With
        // few matches they drive the query (one row lookup each); with many, the unary `+`
        // keeps the planner off the rowid and on the list's index, which stops at the page's
        // end. (With very many, even gathering them into SQLite's temporary index costs more
        // than the walk: `articles::walk` checks them in memory instead.)
        Dialect::Sqlite => {
            let column = if walk { "+articles.id" } else { "articles.id" };
            Box::new(
                sql::<Bool>(column)
                    .sql(" IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ")
                    .bind::<Text, _>(terms.fts5())
                    .sql(")"),
            )
        }
        // Walking, PostgreSQL's planner chooses between the GIN index and the list's index.
        // Gathering (at most `PG_PROBE` matches), the matches are read off the GIN index
        // first, whatever the planner guesses: it guesses the same ~0.5% for every word its
        // statistics do not list, and so walked the whole list (5.3 s at a million articles)
        // for a word in none. The matches' row addresses are gathered once (an array is
        // never pulled up into a join) and their rows read straight from the table: looking
        // each id up in the primary key instead cost ~5 µs a match (37-45 ms against 14-18
        // for a word in 2,787 articles of a million).
        Dialect::Postgres if !walk => Box::new(
            sql::<Bool>(
                "articles.ctid = ANY(ARRAY(SELECT matched.ctid FROM articles matched \
                 WHERE matched.search_vector @@ plainto_tsquery('english', ",
            )
            .bind::<Text, _>(terms.plain())
            .sql(")))"),
        ),
        Dialect::Postgres => Box::new(
            sql::<Bool>("articles.search_vector @@ plainto_tsquery('english', ")
                .bind::<Text, _>(terms.plain())
                .sql(")"),
        ),
    }
}

/// How many articles of any status match `terms` on SQLite, read off the search index alone
/// (no article row is read); `None` on PostgreSQL, whose planner estimates it itself.
pub fn index_matches(conn: &mut DbConn, terms: &SearchTerms) -> QueryResult<Option<i64>> {
    match conn {
        DbConn::Sqlite(c) => {
            let n: i64 = articles_fts::table
                .select(diesel::dsl::count_star())
                .filter(sql::<Bool>("articles_fts MATCH ").bind::<Text, _>(terms.fts5()))
                .get_result(c)?;
            Ok(Some(n))
        }
        DbConn::Pg(_) => Ok(None),
    }
}

/// How many articles of any status match `terms`, up to `limit`, read off PostgreSQL's GIN
/// index (its bitmap stops at `limit` rows); 0 on SQLite, whose `index_matches` counts them
/// all off its own index.
pub fn probe_matches(conn: &mut DbConn, terms: &SearchTerms, limit: i64) -> QueryResult<i64> {
    if conn.dialect() != Dialect::Postgres {
        return Ok(0);
    }
    let found: Vec<i64> = articles::table
        .select(articles::id)
        .filter(matches(Dialect::Postgres, terms, true))
        .limit(limit)
        .load(conn)?;
    Ok(found.len() as i64)
}

/// The ids within the ranges `runs` (ascending, not overlapping) of the articles of any
/// status matching `terms`, ascending, read off the search index (the cost follows the
/// ranges, not the word's frequency). SQLite: FTS5 seeks its lists to each range's start
/// and stops past its end, one statement a range. PostgreSQL: one statement, the words' GIN
/// bitmap (the dear part: ~5 ms for a word in 15,000 of a million articles, whatever the
/// ranges) ANDed with the ranges' own, and only the rows in both are read.
pub fn matching_ids_in(
    conn: &mut DbConn,
    terms: &SearchTerms,
    runs: &[(i64, i64)],
) -> QueryResult<Vec<i64>> {
    let mut ids: Vec<i64> = Vec::new();
    match conn {
        DbConn::Sqlite(c) => {
            for &(lo, hi) in runs {
                ids.extend(
                    articles_fts::table
                        .select(articles_fts::rowid)
                        .filter(sql::<Bool>("articles_fts MATCH ").bind::<Text, _>(terms.fts5()))
                        .filter(articles_fts::rowid.between(lo, hi))
                        .load::<i64>(c)?,
                );
            }
        }
        DbConn::Pg(_) => {
            let Some((&(lo, hi), rest)) = runs.split_first() else {
                return Ok(ids);
            };
            let mut within: Box<dyn BoxableExpression<articles::table, Backend, SqlType = Bool>> =
                Box::new(articles::id.between(lo, hi));
            for &(lo, hi) in rest {
                within = Box::new(within.or(articles::id.between(lo, hi)));
            }
            ids = articles::table
                .select(articles::id)
                .filter(matches(Dialect::Postgres, terms, true))
                .filter(within)
                .load(conn)?;
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// PostgreSQL's search index, as the migrations leave it: without GIN's pending list (see
/// `2026-11-30-000001_search_index_no_pending`).
const PG_SEARCH_INDEX: &str = "CREATE INDEX IF NOT EXISTS articles_search ON articles \
     USING GIN (search_vector) WITH (fastupdate = off)";

/// Runs a bulk load `f` that at least doubles the articles. On PostgreSQL the GIN search
/// index is dropped first and built once afterwards, whatever `f` returns: kept row by row,
/// every article's ~150 distinct words each update a posting list, which at a million
/// articles costs more than the load itself. (Searches in the meantime read the table.)
/// The heads of its lists are not kept during the load either (the trigger that keeps them
/// is off) and are dropped after it: readers' searches build them again.
pub fn with_index_built_after<T>(
    db: &Db,
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> DbResult<T>,
) -> DbResult<T> {
    if db.dialect() != Dialect::Postgres {
        return f(conn);
    }
    conn.batch_execute(
        "DROP INDEX IF EXISTS articles_search; \
         ALTER TABLE articles DISABLE TRIGGER search_heads_keep",
    )?;
    let loaded = f(conn);
    db.without_statement_timeout(conn, |c| {
        c.batch_execute(&format!(
            "SET maintenance_work_mem = '256MB'; {PG_SEARCH_INDEX}; RESET maintenance_work_mem"
        ))
        .map_err(|e| e.to_string())?;
        heads::resume(c).map_err(|e| e.to_string())
    })
    .map_err(DbError::Other)?;
    loaded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_syntax_is_stripped_to_words() {
        let t = SearchTerms::parse("\"ceasefire\" OR NEAR(trump*) -- '; DROP").unwrap();
        assert_eq!(t.words(), ["ceasefire", "or", "near", "trump", "drop"]);
        assert_eq!(t.fts5(), "\"ceasefire\" \"or\" \"near\" \"trump\" \"drop\"");
    }

    #[test]
    fn punctuation_only_is_no_query() {
        assert!(SearchTerms::parse(" !!! -- ").is_none());
    }
}
