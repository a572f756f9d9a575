//! A search walked in memory: the list's own index in order, in growing batches, each batch
//! checked against the search's matches within the batch's range of ids.
//!
//! SQL could say the same, but SQLite (`+articles.id IN (SELECT rowid FROM articles_fts
//! WHERE ...)`) then gathers every match into a temporary index before walking: 8-12 ms for
//! a word in 27,000 of 100,000 articles, for a page that needs 80 rows of the list's index;
//! and PostgreSQL's planner walking checks each row's TOASTed search vector (~15 µs a row:
//! 30 ms for a word in 1% of a million articles). Ids follow publication closely in a
//! newsroom (an article gets its id when it is written), so a batch's ids span a short range,
//! and the search index yields only that range's matches (2.4 ms for that word's first page
//! on PostgreSQL, its GIN bitmap ANDed with the id range's).

use super::*;

/// The ids, in list order, of the rows `paging` asks for in `f`'s list, its search `terms`
/// checked in memory: `f`'s other filters and the page are applied as the SQL plan applies
/// them.
pub(super) fn walk(
    conn: &mut DbConn,
    f: &ArticleFilter,
    sort: SortKey,
    paging: Paging,
    terms: &SearchTerms,
) -> DbResult<Vec<i64>> {
    let Window {
        offset,
        limit,
        pos,
        reverse,
    } = paging.window();
    let mut skip = offset.unwrap_or(0);
    let plain = ArticleFilter {
        search: None,
        ..f.clone()
    };
    let mut found = Vec::new();
    let mut at = pos;
    // Enough rows for the page at a quarter's density (PostgreSQL: at a 64th, since each
    // batch reads the word's whole GIN posting list, which cannot start at an id), then
    // twice as many each time.
    let density = match conn.dialect() {
        crate::db::Dialect::Sqlite => 4,
        crate::db::Dialect::Postgres => 64,
    };
    let mut size = (skip + limit).saturating_mul(density).clamp(64, 16_384);
    loop {
        let batch = match (at, reverse) {
            (pos, true) => Paging::Before { pos, limit: size },
            (Some(pos), false) => Paging::After { pos, limit: size },
            (None, false) => Paging::Offset {
                offset: 0,
                limit: size,
            },
        };
        let rows = batch_ids(conn, &plain, sort, batch)?;
        let (Some(lo), Some(hi)) = (rows.iter().min(), rows.iter().max()) else {
            return Ok(found);
        };
        let matches = search::matching_ids_between(conn, terms, *lo, *hi)?;
        for id in &rows {
            if matches.binary_search(id).is_err() {
                continue;
            }
            if skip > 0 {
                skip -= 1;
            } else {
                found.push(*id);
                if found.len() as i64 == limit {
                    return Ok(found);
                }
            }
        }
        let (Some(last), true) = (rows.last(), rows.len() as i64 == size) else {
            return Ok(found);
        };
        at = Some(position_at(conn, *last, sort)?);
        size = (size * 2).min(65_536);
    }
}

/// One batch of the list's ids, from its index alone. Only ids: decoding each walked row's
/// time cost more than the walk itself (a fifth of a search's time went to parsing
/// timestamps); the next batch starts from the last row's position, read on its own.
fn batch_ids(
    conn: &mut DbConn,
    f: &ArticleFilter,
    sort: SortKey,
    batch: Paging,
) -> DbResult<Vec<i64>> {
    let f = &f.bounded_by(sort, batch);
    let q = articles::table.select(articles::id).into_boxed();
    Ok(paged(filtered(q, f, conn, Plan::Walk), f, sort, batch)?.load(conn)?)
}

/// Where the row `id` stands in a list sorted by `sort`.
fn position_at(conn: &mut DbConn, id: i64, sort: SortKey) -> DbResult<KeysetPos> {
    Ok(match sort {
        // Only public lists walk (`plan_for`): every row has its publish time.
        SortKey::Latest | SortKey::Oldest => KeysetPos::Time(
            articles::table
                .find(id)
                .select(articles::published_at.assume_not_null())
                .first(conn)?,
            id,
        ),
        SortKey::Popular => KeysetPos::Count(
            articles::table
                .find(id)
                .select(articles::view_count)
                .first(conn)?,
            id,
        ),
    })
}
