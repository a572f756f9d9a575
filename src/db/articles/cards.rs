//! Cards: what a summary shows beside its article's row (its tags and bylines in order, its
//! share counts per network), kept as one JSON text per article in `article_cards` so that a
//! page of summaries reads them in one lookup per article. Read through the links instead, a
//! latest page spent about a quarter of its time on a statement over three tables and ~5
//! lookups per summary (see the migration `article_cards`).
//!
//! The links stay the truth. Every write to them rebuilds the cards concerned, in the same
//! transaction, from the links, with one statement ([`rebuild_cards`]); so do a tag's or an
//! author's rename and a tag's deletion. A summary whose card is missing or unreadable is read
//! through the links ([`super::summary_extras`]).

use diesel::sql_types::{Array, BigInt, Text};
use serde::Deserialize;

use super::*;
use crate::db::ids::json_ids;
use crate::db::schema::article_cards;

/// The articles whose cards a rebuild writes.
#[derive(Debug, Clone, Copy)]
pub enum Cards<'a> {
    /// These articles.
    Of(&'a [i64]),
    /// Every article carrying this tag.
    Tagged(i64),
    /// Every article on whose byline this account is.
    SignedBy(i64),
}

/// Ids per rebuild statement: SQLite reads them from one JSON text, PostgreSQL from one array.
const REBUILD_CHUNK: usize = 5_000;

/// One article's card (`a` the article's row), in SQLite's JSON functions: the same text as
/// the migration's.
const SQLITE_CARD: &str = "json_object(\
    't', json((SELECT json_group_array(json_array(t.id, t.slug, t.name) ORDER BY l.position) \
        FROM article_tags l JOIN tags t ON t.id = l.tag_id WHERE l.article_id = a.id)), \
    'a', json((SELECT json_group_array(json_array(u.id, u.slug, u.name) ORDER BY l.position) \
        FROM article_authors l JOIN users u ON u.id = l.user_id WHERE l.article_id = a.id)), \
    's', json((SELECT json_group_array(json_array(s.network, s.count)) \
        FROM article_shares s WHERE s.article_id = a.id)))";

/// [`SQLITE_CARD`] in PostgreSQL's.
const PG_CARD: &str = "json_build_object(\
    't', COALESCE((SELECT json_agg(json_build_array(t.id, t.slug, t.name) ORDER BY l.position) \
        FROM article_tags l JOIN tags t ON t.id = l.tag_id WHERE l.article_id = a.id), '[]'), \
    'a', COALESCE((SELECT json_agg(json_build_array(u.id, u.slug, u.name) ORDER BY l.position) \
        FROM article_authors l JOIN users u ON u.id = l.user_id WHERE l.article_id = a.id), '[]'), \
    's', COALESCE((SELECT json_agg(json_build_array(s.network, s.count)) \
        FROM article_shares s WHERE s.article_id = a.id), '[]'))::text";

/// Rebuilds the cards of `which` from their links; answers how many were written.
pub fn rebuild_cards(conn: &mut DbConn, which: Cards<'_>) -> DbResult<usize> {
    if let Cards::Of(ids) = which {
        let mut n = 0;
        for chunk in ids.chunks(REBUILD_CHUNK) {
            n += rebuild(conn, Cards::Of(chunk))?;
        }
        return Ok(n);
    }
    rebuild(conn, which)
}

fn rebuild(conn: &mut DbConn, which: Cards<'_>) -> DbResult<usize> {
    if matches!(which, Cards::Of([])) {
        return Ok(0);
    }
    let sqlite = conn.dialect() == crate::db::Dialect::Sqlite;
    let (card, param) = if sqlite {
        (SQLITE_CARD, "?")
    } else {
        (PG_CARD, "$1")
    };
    let rows = match which {
        Cards::Of(_) if sqlite => "a.id IN (SELECT value FROM json_each(?))".to_owned(),
        Cards::Of(_) => "a.id = ANY($1)".to_owned(),
        Cards::Tagged(_) => {
            format!("a.id IN (SELECT article_id FROM article_tags WHERE tag_id = {param})")
        }
        Cards::SignedBy(_) => {
            format!("a.id IN (SELECT article_id FROM article_authors WHERE user_id = {param})")
        }
    };
    // `WHERE` is never empty: SQLite would otherwise read `ON CONFLICT` as a join's `ON`.
    // The summary kept with the card shows the card: it is to be rendered again.
    let sql = format!(
        "INSERT INTO article_cards (article_id, card) SELECT a.id, {card} FROM articles a \
         WHERE {rows} ON CONFLICT (article_id) DO UPDATE SET card = excluded.card, summary = NULL"
    );
    Ok(match (conn, which) {
        (DbConn::Sqlite(c), Cards::Of(ids)) => diesel::sql_query(sql)
            .bind::<Text, _>(json_ids(ids))
            .execute(c)?,
        (DbConn::Pg(c), Cards::Of(ids)) => diesel::sql_query(sql)
            .bind::<Array<BigInt>, _>(ids)
            .execute(c)?,
        (DbConn::Sqlite(c), Cards::Tagged(key) | Cards::SignedBy(key)) => {
            diesel::sql_query(sql).bind::<BigInt, _>(key).execute(c)?
        }
        (DbConn::Pg(c), Cards::Tagged(key) | Cards::SignedBy(key)) => {
            diesel::sql_query(sql).bind::<BigInt, _>(key).execute(c)?
        }
    })
}

/// A card as stored.
#[derive(Debug, Deserialize)]
struct Card {
    /// Tags in order: (id, slug, name).
    t: Vec<(i64, String, String)>,
    /// The byline in order, the primary author first: (id, slug, name).
    a: Vec<(i64, String, String)>,
    /// Share counts: (network, count).
    s: Vec<(String, i64)>,
}

/// The extras of those of `ids` that have a readable card.
pub(super) fn extras_from_cards(conn: &mut DbConn, ids: &[i64]) -> DbResult<SummaryExtras> {
    let rows: Vec<(i64, String)> = article_cards::table
        .filter(in_ids(article_cards::article_id, ids))
        .select((article_cards::article_id, article_cards::card))
        .load(conn)?;
    let mut out = SummaryExtras::default();
    for (id, text) in rows {
        add_card(&mut out, id, &text);
    }
    Ok(out)
}

/// Adds the article's card as stored to `out`. An unreadable card is as good as none: the
/// links answer for it.
pub(super) fn add_card(out: &mut SummaryExtras, id: i64, text: &str) {
    let Ok(card) = serde_json::from_str::<Card>(text) else {
        return;
    };
    out.tags.insert(id, card.t);
    out.shares.insert(id, card.s);
    out.authors.insert(
        id,
        card.a
            .into_iter()
            .map(|(id, slug, name)| AuthorRef { id, slug, name })
            .collect(),
    );
}

/// The card of an article whose links are these, as [`rebuild_cards`] would write it: for a
/// loader that knows them already (the seeder), which then needs no statement per article.
pub fn card_text(
    tags: &[(i64, &str, &str)],
    authors: &[(i64, &str, &str)],
    shares: &[(&str, i64)],
) -> String {
    serde_json::json!({"t": tags, "a": authors, "s": shares}).to_string()
}

/// Stores cards made by [`card_text`], many rows per statement.
pub fn bulk_insert_cards(conn: &mut DbConn, rows: &[(i64, String)]) -> DbResult<()> {
    let values: Vec<_> = rows
        .iter()
        .map(|(id, card)| {
            (
                article_cards::article_id.eq(*id),
                article_cards::card.eq(card.as_str()),
            )
        })
        .collect();
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(article_cards::table)
            .values(&values)
            .execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(article_cards::table)
            .values(&values)
            .execute(c)?,
    };
    Ok(())
}
