//! A search walked in memory: the list's own index in order, in growing batches, each batch
//! checked against the search's matches within the batch's ranges of ids.
//!
//! SQL could say the same, but SQLite (`+articles.id IN (SELECT rowid FROM articles_fts
//! WHERE ...)`) then gathers every match into a temporary index before walking: 8-12 ms for
//! a word in 27,000 of 100,000 articles, for a page that needs 80 rows of the list's index;
//! and PostgreSQL's planner walking checks each row's TOASTed search vector (~15 µs a row:
//! 30 ms for a word in 1% of a million articles). Ids follow publication closely in a
//! newsroom (an article gets its id when it is written), so a batch's ids span a short range
//! (or a few, `runs`), and the search index yields only those ranges' matches (2.4 ms for
//! that word's first page on PostgreSQL, its GIN bitmap ANDed with the id range's).

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
    // Enough rows for the page at a quarter's density (PostgreSQL: at a 256th, since each
    // batch reads the words' whole GIN posting lists, which cannot start at an id, and that
    // costs more than reading thousands more ids of the list's index: ~0.7 µs an id), then
    // as many as the density met so far says the page still needs (`next_batch`).
    let density = match conn.dialect() {
        crate::db::Dialect::Sqlite => 4,
        crate::db::Dialect::Postgres => 256,
    };
    let mut size = (skip + limit).saturating_mul(density).clamp(64, 16_384);
    let (mut passed, mut met) = (0_i64, 0_i64);
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
        if rows.is_empty() {
            return Ok(found);
        }
        let matches = search::matching_ids_in(conn, terms, &runs(&rows))?;
        passed += rows.len() as i64;
        for id in &rows {
            if matches.binary_search(id).is_err() {
                continue;
            }
            met += 1;
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
        size = next_batch(size, passed, met, skip + limit - found.len() as i64);
    }
}

/// The most rows one batch walks.
const MAX_BATCH: i64 = 65_536;

/// The size of the batch after one of `last` rows, when `passed` rows have been walked,
/// `met` of them matching, and the page still needs `needed`: enough at the density met so
/// far, with a quarter to spare; twice `last` while nothing has matched. Doubling regardless
/// walked 10,752 rows (9 ms on PostgreSQL at a million articles) for the last 6 of a page
/// whose first 5,376 rows had held 15.
fn next_batch(last: i64, passed: i64, met: i64, needed: i64) -> i64 {
    if met == 0 {
        return last.saturating_mul(2).min(MAX_BATCH);
    }
    (needed.saturating_mul(passed).saturating_mul(5) / met.saturating_mul(4)).clamp(64, MAX_BATCH)
}

/// The most ranges one batch is checked in: each costs a statement, and on PostgreSQL a read
/// of the words' whole posting lists.
const MAX_RUNS: usize = 8;

/// `ids` as ascending ranges of nearby ids, cut at the widest gaps (at most `MAX_RUNS`
/// ranges) that are wider than the batch has ids. Ids mostly follow publication, but not
/// always: an archive imported after the newsroom went live, or stories written long before
/// they were published, put a batch's ids at both ends of the table, and one range over them
/// all would read every match in between (58-108 ms a batch at a million articles).
fn runs(ids: &[i64]) -> Vec<(i64, i64)> {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let (Some(&first), Some(&last)) = (sorted.first(), sorted.last()) else {
        return Vec::new();
    };
    let wide = sorted.len() as i64;
    // (gap, index of the id after it), widest first.
    let mut gaps: Vec<(i64, usize)> = sorted
        .windows(2)
        .enumerate()
        .map(|(i, w)| (w[1] - w[0], i + 1))
        .filter(|&(gap, _)| gap > wide)
        .collect();
    gaps.sort_unstable_by(|a, b| b.cmp(a));
    let mut cuts: Vec<usize> = gaps.iter().take(MAX_RUNS - 1).map(|&(_, at)| at).collect();
    cuts.sort_unstable();
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut lo = first;
    for at in cuts {
        out.push((lo, sorted[at - 1]));
        lo = sorted[at];
    }
    out.push((lo, last));
    out
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_batch_holds_what_the_page_still_needs_at_the_density_met_so_far() {
        // 15 of 5,376 matched; 6 more needed: ~2,688 rows, with a quarter to spare.
        assert_eq!(super::next_batch(5_376, 5_376, 15, 6), 2_688);
        // Nothing matched yet: twice the last batch, up to the most a batch walks.
        assert_eq!(super::next_batch(5_376, 5_376, 0, 21), 10_752);
        assert_eq!(super::next_batch(40_000, 80_000, 0, 21), super::MAX_BATCH);
        // Never fewer than 64 rows, never more than the most.
        assert_eq!(super::next_batch(64, 64, 60, 1), 64);
        assert_eq!(super::next_batch(64, 1_000_000, 1, 21), super::MAX_BATCH);
    }

    use super::runs;

    #[test]
    fn close_ids_are_one_range() {
        assert_eq!(runs(&[7, 3, 5, 4, 9]), vec![(3, 9)]);
    }

    #[test]
    fn ids_at_both_ends_of_the_table_are_two_ranges() {
        let mut ids: Vec<i64> = (1_000_001..1_000_050).collect();
        ids.extend(1..=50);
        assert_eq!(runs(&ids), vec![(1, 50), (1_000_001, 1_000_049)]);
    }

    #[test]
    fn scattered_ids_are_cut_at_the_widest_gaps_only() {
        let ids: Vec<i64> = (0..20)
            .map(|i| i * 1_000 + if i % 2 == 0 { 0 } else { 7 })
            .collect();
        let r = runs(&ids);
        assert_eq!(r.len(), super::MAX_RUNS);
        assert_eq!(r.first().map(|r| r.0), Some(0));
        assert_eq!(r.last().map(|r| r.1), Some(19_007));
        // Every id is inside a range, and the ranges ascend without overlapping.
        assert!(ids
            .iter()
            .all(|id| r.iter().any(|(lo, hi)| lo <= id && id <= hi)));
        assert!(r.windows(2).all(|w| w[0].1 < w[1].0));
    }

    #[test]
    fn no_ids_no_ranges() {
        assert!(runs(&[]).is_empty());
    }
}
