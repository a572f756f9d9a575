//! A list's total: counted, counted up to a cap, or the planner's estimate where counting
//! would cost more than the page (`total_exact: false`).

use super::list::{author_timeline_total, filtered, tag_timeline_total};
use super::*;

/// Lists that would count more rows than this are not counted on PostgreSQL: the planner's
/// estimate stands in (`total_exact: false`). Counting a million live articles takes ~900 ms
/// there, and every write starts the count again for the next reader.
pub const ESTIMATE_ABOVE: i64 = 50_000;
/// PostgreSQL: a search the planner expects past this many matches is estimated, not
/// counted. Its statistics list the corpus's most common words, so an estimate this large
/// is one of them.
pub const PG_TRUSTED_ESTIMATE: i64 = 20_000;
/// PostgreSQL: below `PG_TRUSTED_ESTIMATE`, a search's matches are probed off the GIN index
/// up to this many; at most this many are counted exactly and gathered for their page, more
/// are estimated and their page walked. Measured at 1,000,000 articles: gathering costs
/// ~30 µs a match (probe, count and page), walking ~15 µs a row passed, and a page of 20
/// passes `20 × 1,000,000 / matches` rows: the two meet near 3,000 (~90 ms each).
pub const PG_PROBE: i64 = 3_000;

/// PostgreSQL: a search's total when it has too many matches to count (the planner's
/// estimate), or `None` when it has at most `PG_PROBE`. The planner's statistics know the
/// common words; every other word, from one in no article to one in 20,000, gets the same
/// guess (~0.5%: 4,616 of a million). Trusted, that guess walked the whole list for a word in
/// no article (5.3 s at a million) and reported thousands of matches for it.
fn pg_search_estimate(
    conn: &mut DbConn,
    f: &ArticleFilter,
    terms: &search::SearchTerms,
) -> DbResult<Option<i64>> {
    let estimate = estimated_matches(conn, f, Plan::Walk)?.unwrap_or(0);
    if estimate > PG_TRUSTED_ESTIMATE {
        return Ok(Some(estimate));
    }
    let probed = search::probe_matches(conn, terms, PG_PROBE + 1)?;
    Ok((probed > PG_PROBE).then_some(estimate.max(probed)))
}

/// PostgreSQL: whether no word of a search of several is one its planner expects in more
/// than `PG_TRUSTED_ESTIMATE` articles. Walked in memory, each batch ANDs every word's GIN
/// posting list over the batch's range: a few common words together can match a middling
/// number of articles ("said year also new first": ~7,400 of a million), yet each batch
/// then reads their huge lists (54 ms a batch, 114 ms a page, against 43 ms for the
/// planner's walk, which checks each row it passes).
pub(super) fn pg_no_common_word(conn: &mut DbConn, f: &ArticleFilter) -> DbResult<bool> {
    let Some(terms) = f.search.as_ref().filter(|t| t.words().len() > 1) else {
        return Ok(true);
    };
    for word in terms.words() {
        // The word's own posting list, whatever else narrows the list.
        let alone = ArticleFilter {
            search: search::SearchTerms::parse(word),
            tag_slug: None,
            author_slug: None,
            only_author_id: None,
            published_after: None,
            published_before: None,
            ..f.clone()
        };
        if estimated_matches(conn, &alone, Plan::Walk)?.unwrap_or(0) > PG_TRUSTED_ESTIMATE {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `EXPLAIN` of a query: its plan's lines, the first naming the rows the planner expects.
struct Explain<Q>(Q);

impl<Q> diesel::query_builder::QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> diesel::query_builder::Query for Explain<Q> {
    type SqlType = Text;
}

impl<Q, C> RunQueryDsl<C> for Explain<Q> {}

impl<Q: diesel::query_builder::QueryFragment<Backend>> diesel::query_builder::QueryFragment<Backend>
    for Explain<Q>
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Backend>,
    ) -> QueryResult<()> {
        out.push_sql("EXPLAIN ");
        self.0.walk_ast(out.reborrow())
    }
}

/// The articles PostgreSQL's planner expects `f` to list, found by `plan`; `None` on SQLite.
fn estimated_matches(conn: &mut DbConn, f: &ArticleFilter, plan: Plan) -> DbResult<Option<i64>> {
    let rows = filtered(
        articles::table.select(articles::id).into_boxed(),
        f,
        conn,
        plan,
    );
    estimated_rows(conn, rows)
}

/// The rows PostgreSQL's planner expects `q` to return (its statistics, no row read);
/// `None` on SQLite.
pub(super) fn estimated_rows<Q>(conn: &mut DbConn, q: Q) -> DbResult<Option<i64>>
where
    Q: diesel::query_builder::QueryFragment<Backend>,
{
    if conn.dialect() != crate::db::Dialect::Postgres {
        return Ok(None);
    }
    let plan: Vec<String> = Explain(q).load(conn)?;
    Ok(plan.first().and_then(|line| planned_rows(line)))
}

/// The `rows=` of a plan line: `Index Only Scan using ... (cost=0.42..31.9 rows=950123 width=8)`.
fn planned_rows(line: &str) -> Option<i64> {
    let rows = line.split(" rows=").nth(1)?;
    rows.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// `estimate` (inexact) when it is past `above`, else the exact count.
pub(super) fn estimate_or_count(
    estimate: Option<i64>,
    above: i64,
    count: impl FnOnce() -> DbResult<i64>,
) -> DbResult<(i64, bool)> {
    match estimate.filter(|n| *n > above) {
        Some(n) => Ok((n, false)),
        None => Ok((count()?, true)),
    }
}

/// The total a list's `meta` reports.
/// How many articles match, and whether that is exact: with a `cap`, counting stops there
/// and the answer is a lower bound (on PostgreSQL, a list the planner expects past the cap is
/// its estimate instead); without one, on PostgreSQL, a list of more than `ESTIMATE_ABOVE`
/// rows is the planner's estimate.
pub fn count(conn: &mut DbConn, f: &ArticleFilter, cap: Option<i64>) -> DbResult<(i64, bool)> {
    count_or_estimate(conn, f, cap, ESTIMATE_ABOVE)
}

/// [`count`], with estimates standing in past `above` rows.
pub fn count_or_estimate(
    conn: &mut DbConn,
    f: &ArticleFilter,
    cap: Option<i64>,
    above: i64,
) -> DbResult<(i64, bool)> {
    // PostgreSQL: past this (`above`, or the cap), the planner's estimate stands in.
    let limit = cap.map_or(above, |cap| cap.min(above));
    if let Some(line) = f.timeline() {
        // One range of the timeline's index: exact on SQLite, however large the tag or
        // author. On PostgreSQL, past `above` or the cap, the planner's estimate of that range
        // (its statistics list every tag and author: 38,668 for a tag of 39,870). Counting
        // the half a million articles of a big tag there took 33 ms alone and 90 ms or more
        // under load, and even a tag of 40,000 took 14 ms, which every tag's first reader
        // after a write paid (a tag page's p99 at 1,000,000 articles).
        let total = match line {
            Timeline::Tag(slug) => match tag_id(conn, slug)? {
                Some(tag) => tag_timeline_total(conn, tag, f, limit)?,
                None => (0, true),
            },
            Timeline::Author(slug) => match author_id(conn, slug)? {
                Some(user) => author_timeline_total(conn, user, f, limit)?,
                None => (0, true),
            },
        };
        return Ok(total);
    }
    let indexed = match &f.search {
        Some(terms) => search::index_matches(conn, terms)?,
        None => None,
    };
    if let Some(total) = search_alone_total(conn, f, indexed, cap)? {
        return Ok(total);
    }
    // A search matching more articles than the cap is counted walking the list (up to the
    // cap), not by looking up every match (see `search::matches`).
    let plan = match (indexed, cap) {
        (Some(n), Some(cap)) if n > cap => Plan::Walk,
        _ => Plan::Gather,
    };
    if let (crate::db::Dialect::Postgres, Some(terms)) = (conn.dialect(), &f.search) {
        if let Some(estimate) = pg_search_estimate(conn, f, terms)? {
            return Ok((estimate, false));
        }
        // Few matches: counted off the GIN index (`Plan::Gather`).
    } else {
        // PostgreSQL: a list the planner expects to pass `limit` is not counted.
        if let Some(n) = estimated_matches(conn, f, plan)?.filter(|n| *n > limit) {
            return Ok((n, false));
        }
    }
    let q = filtered(articles::table.into_boxed(), f, conn, plan);
    match cap {
        None => Ok((q.select(count_star()).get_result(conn)?, true)),
        Some(cap) => {
            let found = q
                .select(articles::id)
                .limit(cap + 1)
                .load::<i64>(conn)?
                .len() as i64;
            Ok((found.min(cap), found <= cap))
        }
    }
}

/// SQLite: a search's matches past which its public ones are counted as the search index's
/// matches less the hidden ones. Measured at 100,000 articles (5,000 of them hidden): that
/// costs ~0.3 µs a match and ~0.4 µs a hidden article (the matches gathered once, each
/// hidden article checked against them), against ~2.4 µs a match for looking every match's
/// row up: 5.5 ms against 17 ms for a word in 7,353 articles, 2.4 ms against 1.3 for one in
/// 544.
const SUBTRACT_ABOVE: i64 = 1_000;

/// SQLite: the total of a public search with no other filter, from the search index, which
/// holds every article of any status (`indexed` matches), less the hidden articles among them.
/// Past the cap this needs no match checked at all when the matches outnumber the cap by more
/// than every hidden article together (a common word: 4 ms against 19 for one in 27,407 of
/// 100,000 articles, a cost its first reader after every write paid). `None`: another
/// filter, PostgreSQL, or few matches, which the general count looks up one by one.
fn search_alone_total(
    conn: &mut DbConn,
    f: &ArticleFilter,
    indexed: Option<i64>,
    cap: Option<i64>,
) -> DbResult<Option<(i64, bool)>> {
    let (Some(n), Some(terms)) = (indexed, &f.search) else {
        return Ok(None);
    };
    if !f.public_but_for_search() {
        return Ok(None);
    }
    if let Some(cap) = cap.filter(|cap| n > *cap) {
        let hidden: i64 = articles::table
            .filter(hidden(f.now))
            .select(count_star())
            .get_result(conn)?;
        if n - hidden > cap {
            return Ok(Some((cap, false)));
        }
    } else if n <= SUBTRACT_ABOVE {
        return Ok(None);
    }
    // The unary `+` of the walking form keeps SQLite on the status index: each hidden
    // article is checked against the matches, gathered once.
    let hidden_matches: i64 = articles::table
        .filter(hidden(f.now))
        .filter(search::matches(conn.dialect(), terms, true))
        .select(count_star())
        .get_result(conn)?;
    let public = n - hidden_matches;
    Ok(Some(match cap {
        Some(cap) => (public.min(cap), public <= cap),
        None => (public, true),
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_plan_line_names_its_rows() {
        let line = "Index Only Scan Backward using articles_status_published on articles  \
                    (cost=0.42..38211.07 rows=949712 width=16)";
        assert_eq!(super::planned_rows(line), Some(949_712));
        assert_eq!(
            super::planned_rows("Result  (cost=0.00..0.01 rows=1 width=4)"),
            Some(1)
        );
        assert_eq!(super::planned_rows("no numbers here"), None);
    }
}
