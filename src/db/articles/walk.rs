//! A search walked on SQLite: the list's own index in order, in growing batches, each row
//! checked against the search's matches, read once from the search index into memory.
//!
//! SQL could say the same (`+articles.id IN (SELECT rowid FROM articles_fts WHERE ...)`), but
//! SQLite then builds a temporary index of every match before walking: 8-12 ms for a word in
//! 27,000 of 100,000 articles, where reading the word's matches costs 2 ms and walking a page
//! of the list's index well under one.

use super::*;

/// The ids, in list order, of the rows `paging` asks for in `f`'s list (its search left to
/// `matches`, the ids matching it, ascending): `f`'s other filters and the page are applied
/// as the SQL plan applies them.
pub(super) fn walk(
    conn: &mut DbConn,
    f: &ArticleFilter,
    sort: SortKey,
    paging: Paging,
    matches: &[i64],
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
    // Enough rows for the page at a quarter's density, then twice as many each time.
    let mut size = (skip + limit).saturating_mul(4).clamp(64, 16_384);
    loop {
        let batch = match (at, reverse) {
            (pos, true) => Paging::Before { pos, limit: size },
            (Some(pos), false) => Paging::After { pos, limit: size },
            (None, false) => Paging::Offset {
                offset: 0,
                limit: size,
            },
        };
        let rows = keyed_batch(conn, &plain, sort, batch)?;
        for (id, _) in &rows {
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
        if (rows.len() as i64) < size {
            return Ok(found);
        }
        at = rows.last().map(|(_, key)| *key);
        size = (size * 2).min(65_536);
    }
}

/// One batch of the list's ids with their keyset positions, from its index alone.
fn keyed_batch(
    conn: &mut DbConn,
    f: &ArticleFilter,
    sort: SortKey,
    batch: Paging,
) -> DbResult<Vec<(i64, KeysetPos)>> {
    match sort {
        SortKey::Latest | SortKey::Oldest => {
            // Only public lists walk (`plan_for`): every row has its publish time.
            let q = articles::table
                .select((articles::id, articles::published_at.assume_not_null()))
                .into_boxed();
            let rows: Vec<(i64, NaiveDateTime)> =
                paged(filtered(q, f, conn, Plan::Walk), f, sort, batch)?.load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(id, t)| (id, KeysetPos::Time(t, id)))
                .collect())
        }
        SortKey::Popular => {
            let q = articles::table
                .select((articles::id, articles::view_count))
                .into_boxed();
            let rows: Vec<(i64, i64)> =
                paged(filtered(q, f, conn, Plan::Walk), f, sort, batch)?.load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(id, views)| (id, KeysetPos::Count(views, id)))
                .collect())
        }
    }
}
