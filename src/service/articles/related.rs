//! Related articles: curated first, then by shared tags weighted by rarity, then the most recent.

use super::*;

/// Rarer tags say more about an article: weight ~ 1000 / ln(e + articles carrying the tag).
pub(super) fn tag_weights(counts: &[(i64, i64)]) -> Vec<(i64, i64)> {
    counts
        .iter()
        .map(|(tag, n)| {
            let w = 1000.0 / (std::f64::consts::E + *n as f64).ln();
            (*tag, w.round().max(1.0) as i64)
        })
        .collect()
}

pub(super) fn check_related_limit(limit: Option<i64>) -> AppResult<i64> {
    let limit = limit.unwrap_or(5);
    if (1..=MAX_RELATED as i64).contains(&limit) {
        Ok(limit)
    } else {
        Err(FieldErrors::one(
            "limit",
            format!("must be between 1 and {MAX_RELATED}"),
        ))
    }
}

/// Related lists of several articles, as summaries or (GraphQL, when no byline, tag or share
/// count is shown) as briefs.
pub struct RelatedLists<T = ArticleSummary> {
    pub lists: HashMap<i64, Vec<T>>,
    /// How long the kept lists they were built from stay fresh (see `ready`).
    pub fresh_for: std::time::Duration,
}

/// Which articles each related list holds, in order, and their rows.
struct Chosen<R> {
    lists: HashMap<i64, Vec<i64>>,
    rows: HashMap<i64, R>,
    fresh_for: std::time::Duration,
}

/// What a related list reads of the articles it may show: enough to tell which are live.
trait RelatedRow: Sized {
    /// Those of `ids` that are live at `now`, by id (one statement).
    fn live(c: &mut DbConn, ids: &[i64], now: NaiveDateTime) -> AppResult<Vec<(i64, Self)>>;
}

/// The row a summary is built from.
impl RelatedRow for ArticleSummaryRow {
    fn live(c: &mut DbConn, ids: &[i64], now: NaiveDateTime) -> AppResult<Vec<(i64, Self)>> {
        Ok(db::articles::summaries_by_ids(c, ids)?
            .into_iter()
            .filter(|r| is_live(r, now))
            .map(|r| (r.id, r))
            .collect())
    }
}

/// The keys and counters, with the summary kept ready (see `summaries`).
impl RelatedRow for db::articles::ReadyRow {
    fn live(c: &mut DbConn, ids: &[i64], now: NaiveDateTime) -> AppResult<Vec<(i64, Self)>> {
        Ok(db::articles::ready_in_order(c, ids)?
            .into_iter()
            .filter(|r| r.keys.status.is_live(r.keys.published_at, now))
            .map(|r| (r.keys.id, r))
            .collect())
    }
}

impl<R> Chosen<R> {
    /// The lists, each article made by `view` from its row, once whatever the lists it is in.
    fn into_lists<T: Clone>(
        self,
        view: impl FnOnce(Vec<R>) -> AppResult<Vec<(i64, T)>>,
    ) -> AppResult<RelatedLists<T>> {
        let mut used: Vec<i64> = self.lists.values().flatten().copied().collect();
        used.sort_unstable();
        used.dedup();
        let mut rows = self.rows;
        let made: HashMap<i64, T> = view(used.iter().filter_map(|id| rows.remove(id)).collect())?
            .into_iter()
            .collect();
        let lists = self
            .lists
            .into_iter()
            .map(|(source, list)| {
                let items = list.iter().filter_map(|id| made.get(id).cloned()).collect();
                (source, items)
            })
            .collect();
        Ok(RelatedLists {
            lists,
            fresh_for: self.fresh_for,
        })
    }
}

/// One article's related list, for `GET /articles/{slug}/related`: summaries, or (`T =
/// ListedSummary`) summaries as kept ready.
pub struct RelatedPage<T = ArticleSummary> {
    /// The article whose list it is.
    pub source: i64,
    pub page: Page<T>,
    /// How long it may be cached (see `ready`).
    pub fresh_for: std::time::Duration,
}

/// `GET /articles/{slug}/related`: curated first, then by shared tags weighted by rarity,
/// then the most recent; never the article itself, never unpublished ones. With the source
/// article's id (what the answer depends on).
pub async fn related(
    state: &AppState,
    viewer: &Access,
    slug: &str,
    limit: Option<i64>,
) -> AppResult<RelatedPage> {
    related_as(state, viewer, slug, limit, related_for).await
}

/// [`related`], its summaries as kept ready (REST without `fields`): a list of kept
/// summaries costs one statement and no assembly (see `summaries`).
pub async fn related_ready(
    state: &AppState,
    viewer: &Access,
    slug: &str,
    limit: Option<i64>,
) -> AppResult<RelatedPage<ListedSummary>> {
    related_as(state, viewer, slug, limit, related_ready_for).await
}

/// How related lists of some sources are made: [`related_for`] or [`related_ready_for`].
type ListsOf<T> =
    fn(&mut DbConn, &ResponseCache, &ReadyRelated, &[i64], i64) -> AppResult<RelatedLists<T>>;

/// One article's related list, its lists made by `lists`.
async fn related_as<T: Send + 'static>(
    state: &AppState,
    viewer: &Access,
    slug: &str,
    limit: Option<i64>,
    lists: ListsOf<T>,
) -> AppResult<RelatedPage<T>> {
    let limit = check_related_limit(limit)?;
    let slug = slug.to_owned();
    let viewer = viewer.clone();
    let cache = state.cache.clone();
    let ready = state.related.clone();
    state
        .db
        .read_planned(db::Plans::Once, move |c| {
            let article = find_readable(c, &slug, &viewer)?;
            let mut found = lists(c, &cache, &ready, &[article.id], limit)?;
            let items = found.lists.remove(&article.id).unwrap_or_default();
            Ok(RelatedPage {
                source: article.id,
                page: Page::whole(items, limit),
                fresh_for: found.fresh_for,
            })
        })
        .await
}

/// Ids of a kept list read beyond the `limit` asked for, in case some were unpublished since.
const KEPT_SLACK: usize = 3;

/// Related articles of many articles at once, in a fixed number of statements whatever their
/// number (REST asks for one, GraphQL for a page): each source's live curated ones in the
/// editor's order, then its computed list kept ready (`ready`), then the latest articles if
/// still short. Who may appear is decided here, at read time, whatever was kept: live
/// articles only, never the source itself, none twice.
pub fn related_for(
    c: &mut DbConn,
    cache: &ResponseCache,
    ready: &ReadyRelated,
    sources: &[i64],
    limit: i64,
) -> AppResult<RelatedLists> {
    choose_related::<ArticleSummaryRow>(c, cache, ready, sources, limit)?
        .into_lists(|rows| Ok(assemble(c, rows)?.into_iter().map(|a| (a.id, a)).collect()))
}

/// [`related_for`], each article as kept ready (built where none is kept).
pub fn related_ready_for(
    c: &mut DbConn,
    cache: &ResponseCache,
    ready: &ReadyRelated,
    sources: &[i64],
    limit: i64,
) -> AppResult<RelatedLists<ListedSummary>> {
    choose_related::<db::articles::ReadyRow>(c, cache, ready, sources, limit)?.into_lists(|rows| {
        Ok(summaries::listed(c, rows)?
            .into_iter()
            .map(|s| (s.id(), s))
            .collect())
    })
}

/// [`related_for`] without the cards: the same lists, each article read from its row alone
/// (one statement fewer, and no card to parse per article).
pub fn related_briefs_for(
    c: &mut DbConn,
    cache: &ResponseCache,
    ready: &ReadyRelated,
    sources: &[i64],
    limit: i64,
) -> AppResult<RelatedLists<ArticleBrief>> {
    choose_related::<ArticleSummaryRow>(c, cache, ready, sources, limit)?
        .into_lists(|rows| Ok(rows.into_iter().map(|r| (r.id, brief_view(r))).collect()))
}

fn choose_related<R: RelatedRow>(
    c: &mut DbConn,
    cache: &ResponseCache,
    ready: &ReadyRelated,
    sources: &[i64],
    limit: i64,
) -> AppResult<Chosen<R>> {
    let limit = check_related_limit(Some(limit))?;
    let now = now();
    let curated = db::articles::curated_related(c, sources, now)?;
    let (computed, fresh_for) = ready.lists(c, cache, sources, now)?;
    // A kept list holds up to `KEPT` ids and nearly all are live: each list's first ones are
    // read (as summaries, whose rows are the read's cost), and the rest only for a list those
    // did not fill.
    let first = (limit as usize).saturating_add(KEPT_SLACK);
    let mut wanted: Vec<i64> = curated
        .iter()
        .map(|(_, id)| *id)
        .chain(
            computed
                .values()
                .flat_map(|l| l.iter().take(first).copied()),
        )
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut live: HashMap<i64, R> = R::live(c, &wanted, now)?.into_iter().collect();
    let mut ids: HashMap<i64, Vec<i64>> = sources.iter().map(|s| (*s, Vec::new())).collect();
    let push = |ids: &mut HashMap<i64, Vec<i64>>, source: i64, id: i64, live: &HashMap<_, _>| {
        if let Some(list) = ids.get_mut(&source) {
            if id != source
                && live.contains_key(&id)
                && !list.contains(&id)
                && (list.len() as i64) < limit
            {
                list.push(id);
            }
        }
    };
    for (source, id) in &curated {
        push(&mut ids, *source, *id, &live);
    }
    for (source, list) in &computed {
        for id in list.iter().take(first) {
            push(&mut ids, *source, *id, &live);
        }
    }
    let short = |ids: &HashMap<i64, Vec<i64>>, source: &i64| {
        ids.get(source).is_some_and(|l| (l.len() as i64) < limit)
    };
    let rest: Vec<i64> = computed
        .iter()
        .filter(|(source, _)| short(&ids, source))
        .flat_map(|(_, list)| list.iter().skip(first).copied())
        .filter(|id| wanted.binary_search(id).is_err())
        .collect();
    if !rest.is_empty() {
        live.extend(R::live(c, &rest, now)?);
        for (source, list) in &computed {
            for id in list.iter().skip(first) {
                push(&mut ids, *source, *id, &live);
            }
        }
    }
    if ids.values().any(|l| (l.len() as i64) < limit) {
        // Kept lists lose articles unpublished since; the latest ones fill the gap. A source
        // excludes itself and at most `limit` chosen ids: 2 * limit + 1 suffice.
        let latest = db::articles::latest_ids(c, &[], now, 2 * limit + 1)?;
        let missing: Vec<i64> = latest
            .iter()
            .filter(|id| !live.contains_key(id))
            .copied()
            .collect();
        live.extend(R::live(c, &missing, now)?);
        for source in sources {
            for id in &latest {
                push(&mut ids, *source, *id, &live);
            }
        }
    }
    Ok(Chosen {
        lists: ids,
        rows: live,
        fresh_for,
    })
}

/// `PUT /articles/{slug}/related` (editors): sets the curated list, in order.
pub async fn set_related(
    state: &AppState,
    viewer: &Caller,
    slug: &str,
    slugs: Vec<String>,
) -> AppResult<Vec<String>> {
    let writer = require_role(viewer, Role::Editor)?.clone();
    state.abuse.write(viewer)?;
    let mut e = FieldErrors::new();
    let mut wanted: Vec<String> = Vec::new();
    for s in &slugs {
        match Slug::parse(s) {
            Ok(_) if wanted.contains(s) => e.add("slugs", format!("{s:?} is listed twice")),
            Ok(_) if s == slug => e.add("slugs", "an article cannot be related to itself"),
            Ok(_) => wanted.push(s.clone()),
            Err(msg) => e.add("slugs", format!("{s:?} {msg}")),
        }
    }
    if wanted.len() > MAX_RELATED {
        e.add("slugs", format!("at most {MAX_RELATED} articles"));
    }
    e.into_result()?;
    let slug = slug.to_owned();
    state
        .write(move |c, events| {
            let article = find_for_write(c, &slug, &writer, None)?;
            let found: HashMap<String, i64> = db::articles::ids_by_slugs(c, &wanted)?
                .into_iter()
                .collect();
            let mut e = FieldErrors::new();
            let mut ids: Vec<i64> = Vec::with_capacity(wanted.len());
            for s in &wanted {
                // A slug an article had before names it too: itself, or one listed twice.
                match found.get(s).copied() {
                    None => e.add("slugs", format!("no article has the slug {s:?}")),
                    Some(id) if id == article.id => {
                        e.add("slugs", "an article cannot be related to itself")
                    }
                    Some(id) if ids.contains(&id) => {
                        e.add("slugs", format!("{s:?} names an article listed already"))
                    }
                    Some(id) => ids.push(id),
                }
            }
            e.into_result()?;
            db::articles::set_related(c, article.id, &ids)?;
            events.push(Event::RelatedChanged {
                article_id: article.id,
            });
            Ok(db::articles::curated_slugs(c, article.id)?)
        })
        .await
}

/// The curated list as stored (editors).
pub async fn curated(state: &AppState, viewer: &Access, slug: &str) -> AppResult<Vec<String>> {
    let writer = require_role(viewer, Role::Editor)?.clone();
    let slug = slug.to_owned();
    state
        .db
        .read(move |c| {
            let article = find_for_write(c, &slug, &writer, None)?;
            Ok(db::articles::curated_slugs(c, article.id)?)
        })
        .await
}
