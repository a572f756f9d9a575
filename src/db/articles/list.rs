//! The one list query: the filters and paging of `filter` in one boxed query, a tag's or an
//! author's timeline walked in order, and how a page is best found (its totals: `totals`).

use super::totals::{estimate_or_count, estimated_rows, pg_no_common_word};
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
    let in_order = |conn: &mut DbConn, ids: &[i64]| in_order(conn, ids, form);
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

/// The articles of `ids`, in that order, read in `form`.
pub(super) fn in_order(conn: &mut DbConn, ids: &[i64], form: Form) -> DbResult<ListedRows> {
    match form {
        Form::Rows => rows_in_order(conn, ids),
        Form::Ready => Ok(ListedRows {
            ready: Some(super::summaries::ready_in_order(conn, ids)?),
            ..ListedRows::default()
        }),
    }
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
        pub(super) fn $total(
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
