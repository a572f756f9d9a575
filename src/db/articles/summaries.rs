//! Summaries kept ready: each article's summary as lists show it, as JSON text beside its card
//! (`article_cards.summary`, see the migration `summaries_ready`). This module stores, forgets
//! and reads them; `service::articles::summaries` renders them.
//!
//! A summary is forgotten (set to NULL) by every rebuild of its card ([`super::rebuild_cards`])
//! and every write to its article's row ([`super::update`]), in the same transaction: a write
//! never leaves an outdated one behind. Each kept summary also names the version of the row it
//! was rendered from, and a reader uses it only while the row still has that version.

use diesel::sql_types::{Array, Integer, Text};

use super::*;
use crate::db::schema::article_cards;
use crate::db::types::{MaybeStamp, Stamp};

/// What a list needs of a listed article's row beside its kept summary: its keys for cursors
/// and the counters the summary leaves out.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct ListedKeys {
    pub id: i64,
    /// With `published_at`, whether it is live (related lists check at read time).
    pub status: ArticleStatus,
    #[diesel(deserialize_as = MaybeStamp)]
    pub published_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = Stamp)]
    pub created_at: NaiveDateTime,
    pub view_count: i64,
    pub comment_count: i64,
    pub version: i32,
}

/// A listed article: its keys, and its summary when one is kept for its current version.
#[derive(Debug, Clone)]
pub struct ReadyRow {
    pub keys: ListedKeys,
    pub summary: Option<String>,
}

/// The listed articles `ids`, in that order, with their kept summaries (one statement).
pub fn ready_in_order(conn: &mut DbConn, ids: &[i64]) -> DbResult<Vec<ReadyRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<(ListedKeys, Option<String>, Option<i32>)> = articles::table
        .left_join(article_cards::table.on(article_cards::article_id.eq(articles::id)))
        .filter(in_ids(articles::id, ids))
        .select((
            ListedKeys::as_select(),
            article_cards::summary.nullable(),
            article_cards::summary_version.nullable(),
        ))
        .load(conn)?;
    let mut by_id: HashMap<i64, ReadyRow> = found
        .into_iter()
        .map(|(keys, summary, rendered_from)| {
            let current = rendered_from == Some(keys.version);
            let summary = summary.filter(|_| current);
            (keys.id, ReadyRow { keys, summary })
        })
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Forgets the kept summary of an article whose row changed.
pub(super) fn forget_summary(conn: &mut DbConn, article_id: i64) -> DbResult<()> {
    diesel::update(article_cards::table.find(article_id))
        .set(article_cards::summary.eq(None::<String>))
        .execute(conn)?;
    Ok(())
}

/// Up to `limit` articles whose summary is to be rendered.
pub fn unrendered(conn: &mut DbConn, limit: i64) -> DbResult<Vec<i64>> {
    Ok(article_cards::table
        .filter(article_cards::summary.is_null())
        .select(article_cards::article_id)
        .limit(limit)
        .load(conn)?)
}

/// [`unrendered`], for rendering them in the current transaction. On PostgreSQL the rows
/// are locked, and those another transaction holds are left to it: two transactions never
/// render one summary at once, and never wait for each other's rows (no deadlock between a
/// background batch and a write rebuilding the same cards). SQLite's writes take turns.
pub fn claim_unrendered(conn: &mut DbConn, limit: i64) -> DbResult<Vec<i64>> {
    let DbConn::Pg(c) = conn else {
        return unrendered(conn, limit);
    };
    Ok(article_cards::table
        .filter(article_cards::summary.is_null())
        .select(article_cards::article_id)
        .limit(limit)
        .for_update()
        .skip_locked()
        .load(c)?)
}

/// A rendered summary: the article, the version it was rendered from, its JSON text.
pub type Rendered = (i64, i32, String);

/// Keeps rendered summaries, one statement for all of them.
pub fn store_summaries(conn: &mut DbConn, rendered: &[Rendered]) -> DbResult<()> {
    if rendered.is_empty() {
        return Ok(());
    }
    match conn {
        DbConn::Sqlite(c) => {
            // One JSON text of [id, version, summary] triples.
            let triples = serde_json::to_string(rendered)
                .map_err(|e| DbError::Other(format!("summaries not encoded: {e}")))?;
            diesel::sql_query(
                "UPDATE article_cards SET summary = json_extract(j.value, '$[2]'), \
                 summary_version = json_extract(j.value, '$[1]') \
                 FROM json_each(?) AS j \
                 WHERE article_cards.article_id = json_extract(j.value, '$[0]')",
            )
            .bind::<Text, _>(triples)
            .execute(c)?;
        }
        DbConn::Pg(c) => {
            let ids: Vec<i64> = rendered.iter().map(|r| r.0).collect();
            let versions: Vec<i32> = rendered.iter().map(|r| r.1).collect();
            let texts: Vec<&str> = rendered.iter().map(|r| r.2.as_str()).collect();
            diesel::sql_query(
                "UPDATE article_cards c SET summary = v.summary, summary_version = v.version \
                 FROM unnest($1, $2, $3) AS v(id, version, summary) \
                 WHERE c.article_id = v.id",
            )
            .bind::<Array<BigInt>, _>(ids)
            .bind::<Array<Integer>, _>(versions)
            .bind::<Array<Text>, _>(texts)
            .execute(c)?;
        }
    }
    Ok(())
}
