//! The one list query: the filters and paging of `filter` in one boxed query, a tag's or an author's timeline walked in order, and counts.

use super::*;

/// The list's rows, found by `plan`.
pub(super) fn filtered<'a, ST: 'a>(
    mut q: articles::BoxedQuery<'a, Backend, ST>,
    f: &ArticleFilter,
    conn: &DbConn,
    plan: Plan,
) -> articles::BoxedQuery<'a, Backend, ST> {
    q = match f.status {
        StatusFilter::Public | StatusFilter::Published => q.filter(is_public(f.now)),
        StatusFilter::Draft => q.filter(articles::status.eq(ArticleStatus::Draft)),
        StatusFilter::Archived => q.filter(articles::status.eq(ArticleStatus::Archived)),
        StatusFilter::Scheduled => q.filter(scheduled(f.now)),
        StatusFilter::Any => q,
    };
    if let Some(author) = f.only_author_id {
        q = q.filter(
            articles::id.eq_any(
                article_authors::table
                    .filter(article_authors::user_id.eq(author))
                    .select(article_authors::article_id),
            ),
        );
    }
    if let Some(slug) = &f.author_slug {
        q = q.filter(
            articles::id.eq_any(
                article_authors::table
                    .inner_join(users::table)
                    .filter(users::slug.eq(slug.clone()))
                    .select(article_authors::article_id),
            ),
        );
    }
    if let Some(slug) = &f.tag_slug {
        q = if plan == Plan::Gather {
            q.filter(
                articles::id.eq_any(
                    article_tags::table
                        .inner_join(tags::table)
                        .filter(tags::slug.eq(slug.clone()))
                        .select(article_tags::article_id),
                ),
            )
        } else {
            q.filter(
                sql::<Bool>(
                    "EXISTS (SELECT 1 FROM article_tags tagged JOIN tags ON tags.id = tagged.tag_id \
                     WHERE tagged.article_id = articles.id AND tags.slug = ",
                )
                .bind::<Text, _>(slug.clone())
                .sql(")"),
            )
        };
    }
    if let Some(terms) = &f.search {
        q = q.filter(search::matches(conn.dialect(), terms, plan != Plan::Gather));
    }
    if f.match_nothing {
        q = q.filter(articles::id.lt(0));
    }
    if let Some(after) = f.published_after {
        q = q.filter(articles::published_at.gt(after));
    }
    if let Some(before) = f.published_before {
        q = q.filter(articles::published_at.lt(before));
    }
    q
}

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
fn pg_no_common_word(conn: &mut DbConn, f: &ArticleFilter) -> DbResult<bool> {
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
fn estimated_rows<Q>(conn: &mut DbConn, q: Q) -> DbResult<Option<i64>>
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

/// `estimate` (inexact) when it is past `above`, else the exact count.
fn estimate_or_count(
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
/// and the answer is a lower bound; without one, on PostgreSQL, a list of more than
/// `ESTIMATE_ABOVE` rows is the planner's estimate.
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
    if let Some(line) = f.timeline() {
        // One range of the timeline's index: exact, however large the tag or author, but on
        // PostgreSQL, past `above`, the planner's estimate of that range, capped or not:
        // counting the half a million articles of a big tag there took 33 ms alone and 90 ms
        // or more under load, which every tag's first reader after a write paid.
        let total = match line {
            Timeline::Tag(slug) => match tag_id(conn, slug)? {
                Some(tag) => tag_timeline_total(conn, tag, f, above)?,
                None => (0, true),
            },
            Timeline::Author(slug) => match author_id(conn, slug)? {
                Some(user) => author_timeline_total(conn, user, f, above)?,
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
        // PostgreSQL: a list the planner expects to pass `above` (or the cap) is not counted.
        let limit = cap.map_or(above, |cap| cap.min(above));
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

/// How a page of `f` is best found, knowing its total (`matched`, `exact`) and how far into
/// the list the page ends (`reach`: offset plus page size).
/// A count past its cap always walks. Below it, a search on SQLite walks when walking costs
/// less than gathering: measured on 100,000 articles, walking the list's index costs ~0.2 µs a
/// row and passes `reach × corpus / matched` rows; gathering looks up each match's row
/// (~2.4 µs, as the row's text lies between its id and its status) and sorts them all.
/// A walk on SQLite gathers the matches into a temporary index first (~0.3 µs each); with
/// many matches and a short walk, walking in Rust (~0.6 µs a row, in batches of a few
/// statements, each checked against the matches of its range of ids) costs less:
/// `WalkInMemory` when `matched > 2 × walked + 1,000`.
/// Only the public lists have an index in every sort order to walk; an editor's list of any
/// status would walk the table itself, so it gathers.
/// On PostgreSQL a search counted exactly (at most `PG_PROBE` matches) gathers; past that,
/// up to `PG_TRUSTED_ESTIMATE` it walks in memory (a page deep enough gathers), and a common
/// word's page is left to the planner's walk.
pub fn plan_for(
    conn: &mut DbConn,
    f: &ArticleFilter,
    (matched, exact): (i64, bool),
    reach: i64,
) -> DbResult<Plan> {
    let walkable = matches!(f.status, StatusFilter::Public | StatusFilter::Published);
    let search = walkable && f.search.is_some();
    let sqlite_search = search && conn.dialect() == crate::db::Dialect::Sqlite;
    if exact && (!sqlite_search || matched < 100) {
        return Ok(Plan::Gather);
    }
    if search && !sqlite_search && matched <= PG_TRUSTED_ESTIMATE && pg_no_common_word(conn, f)? {
        // PostgreSQL, a word past `PG_PROBE` matches but not among the common words its
        // planner knows (those walk a few rows a page): walked in memory, unless the page
        // lies so deep that gathering every match costs less. Walking passes
        // `reach × corpus / matched` rows (the whole list at most) at ~0.55 µs each, plus a
        // GIN bitmap a batch; gathering costs ~5 µs a match once their pages are cached (14-75
        // ms for pages 400 and 4,000 of words in 3,000 to 10,000 of a million articles, which
        // walked took 0.45-0.84 s). At a million articles gathering wins past page 10 or so of
        // a word in 4,000.
        let corpus = corpus_size(conn)?;
        let walked = (reach.saturating_mul(corpus) / matched.max(1)).min(corpus);
        return Ok(if walked.saturating_mul(55) > matched.saturating_mul(500) {
            Plan::Gather
        } else {
            Plan::WalkInMemory
        });
    }
    if !sqlite_search {
        // Past the cap (or, for a search, a common word): PostgreSQL's planner walks.
        return Ok(Plan::Walk);
    }
    // Past the cap, `matched` is a lower bound: the walk is shorter than this reckons.
    let walked = reach.saturating_mul(corpus_size(conn)?) / matched.max(1);
    Ok(if exact && walked >= matched.saturating_mul(12) {
        Plan::Gather
    } else if matched > walked.saturating_mul(2).saturating_add(1_000) {
        Plan::WalkInMemory
    } else {
        Plan::Walk
    })
}

/// The corpus's size, from the id's upper end: one B-tree descent, never under the live count
/// (so uncertainty errs towards gathering, which has no worst case).
fn corpus_size(conn: &mut DbConn) -> DbResult<i64> {
    let top: Option<i64> = articles::table
        .select(diesel::dsl::max(articles::id))
        .first(conn)?;
    Ok(top.unwrap_or(0))
}

/// One page of a list: its rows in list order, and their cards when they were read together
/// (`None`: the caller reads them).
#[derive(Debug, Default)]
pub struct ListedRows {
    pub rows: Vec<ArticleSummaryRow>,
    pub cards: Option<SummaryExtras>,
    /// With [`Form::Ready`], where the page was found as ids: its articles with their kept
    /// summaries, in place of `rows`.
    pub ready: Option<Vec<ReadyRow>>,
}

/// What a list reads of the articles on its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Their rows and cards, to build summaries from.
    Rows,
    /// Their summaries as kept ready, where it can: a page found as ids.
    Ready,
}

/// One page of summaries in list order, as rows and cards.
pub fn list(
    conn: &mut DbConn,
    f: &ArticleFilter,
    sort: SortKey,
    paging: Paging,
    plan: Plan,
) -> DbResult<ListedRows> {
    list_in(conn, f, sort, paging, plan, Form::Rows)
}

/// [`list`], reading the page's articles in `form`.
pub fn list_in(
    conn: &mut DbConn,
    f: &ArticleFilter,
    sort: SortKey,
    paging: Paging,
    plan: Plan,
    form: Form,
) -> DbResult<ListedRows> {
    let f = &f.bounded_by(sort, paging);
    let in_order = |conn: &mut DbConn, ids: &[i64]| match form {
        Form::Rows => rows_in_order(conn, ids),
        Form::Ready => Ok(ListedRows {
            ready: Some(super::summaries::ready_in_order(conn, ids)?),
            ..ListedRows::default()
        }),
    };
    if let (Some(line), SortKey::Latest | SortKey::Oldest) = (f.timeline(), sort) {
        let ids = match line {
            Timeline::Tag(slug) => match tag_id(conn, slug)? {
                Some(tag) => tag_timeline_page(conn, tag, f, sort, paging)?,
                None => Vec::new(),
            },
            Timeline::Author(slug) => match author_id(conn, slug)? {
                Some(user) => author_timeline_page(conn, user, f, sort, paging)?,
                None => Vec::new(),
            },
        };
        return in_order(conn, &ids);
    }
    if let Some(ids) = front::plain_page_ids(conn, f, sort, paging)? {
        return in_order(conn, &ids);
    }
    // Gathered as rows in one statement, or, for kept summaries, as ids (the sort then
    // carries ids alone) and their keys and summaries.
    if plan == Plan::Gather && form == Form::Rows {
        let q = articles::table
            .select(ArticleSummaryRow::as_select())
            .into_boxed();
        return Ok(ListedRows {
            rows: paged(filtered(q, f, conn, plan), f, sort, paging)?.load(conn)?,
            ..ListedRows::default()
        });
    }
    // Walking: the page's ids first, from the list's index alone (no row is read for the
    // rows the walk passes over), then those rows.
    if let (Plan::WalkInMemory, Some(terms)) = (plan, &f.search) {
        let ids = walk::walk(conn, f, sort, paging, terms)?;
        return in_order(conn, &ids);
    }
    let q = articles::table.select(articles::id).into_boxed();
    let ids: Vec<i64> = paged(filtered(q, f, conn, plan), f, sort, paging)?.load(conn)?;
    in_order(conn, &ids)
}

/// The summaries of `ids`, in that order, with their cards (one statement).
fn rows_in_order(conn: &mut DbConn, ids: &[i64]) -> DbResult<ListedRows> {
    let (found, cards) = summaries_with_cards_by_ids(conn, ids)?;
    let mut rows: HashMap<i64, ArticleSummaryRow> = found.into_iter().map(|r| (r.id, r)).collect();
    Ok(ListedRows {
        rows: ids.iter().filter_map(|id| rows.remove(id)).collect(),
        cards: Some(cards),
        ready: None,
    })
}

pub(super) fn tag_id(conn: &mut DbConn, slug: &str) -> DbResult<Option<i64>> {
    Ok(tags::table
        .filter(tags::slug.eq(slug))
        .select(tags::id)
        .first(conn)
        .optional()?)
}

pub(super) fn author_id(conn: &mut DbConn, slug: &str) -> DbResult<Option<i64>> {
    Ok(users::table
        .filter(users::slug.eq(slug))
        .select(users::id)
        .first(conn)
        .optional()?)
}

/// A timeline's queries for one link table (`article_tags` by tag, `article_authors` by
/// author): its live links within the list's date window, their total, and one page of them.
macro_rules! timeline {
    ($range:ident, $page:ident, $total:ident, $table:ident, $key:ident, $cols:literal) => {
        /// The live links of one key, within the list's date window.
        pub(super) fn $range<'a>(key: i64, f: &ArticleFilter) -> $table::BoxedQuery<'a, Backend> {
            let mut q = $table::table
                .filter($table::$key.eq(key))
                .filter($table::live_at.le(f.now))
                .into_boxed();
            if let Some(after) = f.published_after {
                q = q.filter($table::live_at.gt(after));
            }
            if let Some(before) = f.published_before {
                q = q.filter($table::live_at.lt(before));
            }
            q
        }

        /// How many live links the range holds: counted, or (on PostgreSQL) the planner's
        /// estimate of the range once it is past `above`.
        fn $total(
            conn: &mut DbConn,
            key: i64,
            f: &ArticleFilter,
            above: i64,
        ) -> DbResult<(i64, bool)> {
            let estimate = estimated_rows(conn, $range(key, f).select($table::article_id))?;
            estimate_or_count(estimate, above, || {
                Ok($range(key, f).select(count_star()).get_result(conn)?)
            })
        }

        /// One page of the timeline, newest (or oldest) first: article ids in list order.
        pub(super) fn $page(
            conn: &mut DbConn,
            key: i64,
            f: &ArticleFilter,
            sort: SortKey,
            paging: Paging,
        ) -> DbResult<Vec<i64>> {
            let mut q = $range(key, f).select($table::article_id);
            let Window {
                offset,
                limit,
                pos,
                reverse,
            } = paging.window();
            if let Some(offset) = offset {
                q = q.offset(offset);
            }
            let desc = (sort == SortKey::Latest) != reverse;
            if let Some(pos) = pos {
                let KeysetPos::Time(..) = pos else {
                    return Err(DbError::Other("cursor does not fit the sort".into()));
                };
                let op = if desc { "<" } else { ">" };
                q = q.filter(past($cols, pos, op));
            }
            q = if desc {
                q.order_by($table::live_at.desc())
                    .then_order_by($table::article_id.desc())
            } else {
                q.order_by($table::live_at.asc())
                    .then_order_by($table::article_id.asc())
            };
            Ok(q.limit(limit).load(conn)?)
        }
    };
}

timeline!(
    tag_timeline,
    tag_timeline_page,
    tag_timeline_total,
    article_tags,
    tag_id,
    "article_tags.live_at, article_tags.article_id"
);
timeline!(
    author_timeline,
    author_timeline_page,
    author_timeline_total,
    article_authors,
    user_id,
    "article_authors.live_at, article_authors.article_id"
);

/// Orders `q` for `sort` and cuts out the page `paging` asks for.
pub(super) fn paged<'a, ST: 'a>(
    mut q: articles::BoxedQuery<'a, Backend, ST>,
    f: &ArticleFilter,
    sort: SortKey,
    paging: Paging,
) -> DbResult<articles::BoxedQuery<'a, Backend, ST>> {
    let Window {
        offset,
        limit,
        pos,
        reverse,
    } = paging.window();
    if let Some(offset) = offset {
        q = q.offset(offset);
    }
    match sort {
        SortKey::Latest | SortKey::Oldest => {
            let key = || time_key(f.status);
            let desc = (sort == SortKey::Latest) != reverse;
            if let Some(pos) = pos {
                let KeysetPos::Time(t, id) = pos else {
                    return Err(DbError::Other("cursor does not fit the sort".into()));
                };
                let op = if desc { "<" } else { ">" };
                q = match f.status.may_lack_publish_time() {
                    // Drafts sort by an expression no index holds: few rows, the plain form.
                    true if desc => q.filter(key().lt(t).or(key().eq(t).and(articles::id.lt(id)))),
                    true => q.filter(key().gt(t).or(key().eq(t).and(articles::id.gt(id)))),
                    false => q.filter(past("articles.published_at, articles.id", pos, op)),
                };
            }
            q = if desc {
                q.order_by(key().desc()).then_order_by(articles::id.desc())
            } else {
                q.order_by(key().asc()).then_order_by(articles::id.asc())
            };
        }
        SortKey::Popular => {
            if let Some(pos) = pos {
                let KeysetPos::Count(..) = pos else {
                    return Err(DbError::Other("cursor does not fit the sort".into()));
                };
                let op = if reverse { ">" } else { "<" };
                q = q.filter(past("articles.view_count, articles.id", pos, op));
            }
            q = if reverse {
                q.order_by(articles::view_count.asc())
                    .then_order_by(articles::id.asc())
            } else {
                q.order_by(articles::view_count.desc())
                    .then_order_by(articles::id.desc())
            };
        }
    }
    Ok(q.limit(limit))
}

/// The keyset position of a row under a sort, for `next_cursor`.
pub fn position_of(row: &ArticleSummaryRow, sort: SortKey) -> KeysetPos {
    let time = row.published_at.unwrap_or(row.created_at);
    position(sort, row.id, time, row.view_count)
}

fn position(sort: SortKey, id: i64, time: NaiveDateTime, views: i64) -> KeysetPos {
    match sort {
        SortKey::Popular => KeysetPos::Count(views, id),
        SortKey::Latest | SortKey::Oldest => KeysetPos::Time(time, id),
    }
}

/// [`position_of`] for an article listed with its kept summary.
pub fn position_of_keys(keys: &ListedKeys, sort: SortKey) -> KeysetPos {
    let time = keys.published_at.unwrap_or(keys.created_at);
    position(sort, keys.id, time, keys.view_count)
}
