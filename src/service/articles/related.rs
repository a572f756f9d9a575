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

/// `GET /articles/{slug}/related`: curated first, then by shared tags weighted by rarity,
/// then the most recent; never the article itself, never unpublished ones.
pub async fn related(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    limit: Option<i64>,
) -> AppResult<Page<ArticleSummary>> {
    let limit = check_related_limit(limit)?;
    let slug = slug.to_owned();
    let viewer = viewer.clone();
    let cache = state.cache.clone();
    state
        .db
        .read(move |c| {
            let article = find_readable(c, &slug, &viewer)?;
            let items = related_for(c, &cache, &[article.id], limit)?
                .remove(&article.id)
                .unwrap_or_default();
            Ok(Page::whole(items, limit))
        })
        .await
}

/// Related articles of many articles at once, in a fixed number of statements whatever their
/// number (REST asks for one, GraphQL for a page). `cache` keeps the tag sizes the rarity
/// weights come from.
pub fn related_for(
    c: &mut DbConn,
    cache: &ResponseCache,
    sources: &[i64],
    limit: i64,
) -> AppResult<HashMap<i64, Vec<ArticleSummary>>> {
    let limit = check_related_limit(Some(limit))?;
    let ids = related_ids(c, cache, sources, limit)?;
    let mut wanted: Vec<i64> = ids.values().flatten().copied().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let rows = db::articles::summaries_by_ids(c, &wanted)?;
    let summaries: HashMap<i64, ArticleSummary> =
        assemble(c, rows)?.into_iter().map(|a| (a.id, a)).collect();
    Ok(ids
        .into_iter()
        .map(|(source, list)| {
            let items = list
                .iter()
                .filter_map(|id| summaries.get(id).cloned())
                .collect();
            (source, items)
        })
        .collect())
}

/// The ids of each source's related articles, best first.
pub(super) fn related_ids(
    c: &mut DbConn,
    cache: &ResponseCache,
    sources: &[i64],
    limit: i64,
) -> AppResult<HashMap<i64, Vec<i64>>> {
    let now = now();
    let mut out: HashMap<i64, Vec<i64>> = sources.iter().map(|s| (*s, Vec::new())).collect();
    let push = |out: &mut HashMap<i64, Vec<i64>>, source: i64, id: i64| {
        if let Some(list) = out.get_mut(&source) {
            if id != source && !list.contains(&id) && (list.len() as i64) < limit {
                list.push(id);
            }
        }
    };
    let curated = db::articles::curated_related(c, sources, now)?;
    let most_curated = curated
        .iter()
        .fold(HashMap::<i64, i64>::new(), |mut m, (s, _)| {
            *m.entry(*s).or_default() += 1;
            m
        });
    for (source, id) in curated {
        push(&mut out, source, id);
    }
    let tags = db::articles::tags_for(c, sources)?;
    if !tags.is_empty() {
        let sizes = cache.tag_sizes(|| -> AppResult<HashMap<i64, i64>> {
            Ok(db::articles::public_counts_by_tag(c, None, now)?
                .into_iter()
                .collect())
        })?;
        let weights: HashMap<i64, i64> = tag_weights(
            &tags
                .iter()
                .map(|(_, t)| (t.id, sizes.get(&t.id).copied().unwrap_or(0)))
                .collect::<Vec<_>>(),
        )
        .into_iter()
        .collect();
        let source_tags: Vec<(i64, i64, i64)> = tags
            .iter()
            .map(|(s, t)| (*s, t.id, weights.get(&t.id).copied().unwrap_or(1)))
            .collect();
        // Enough per source to fill the list after dropping the curated ones it repeats.
        let extra = most_curated.values().copied().max().unwrap_or(0);
        for (source, id) in db::articles::related_by_tags(c, &source_tags, now, limit + extra)? {
            push(&mut out, source, id);
        }
    }
    if out.values().any(|l| (l.len() as i64) < limit) {
        // A source excludes itself and at most `limit` chosen ids: 2 * limit + 1 suffice.
        let latest = db::articles::latest_ids(c, &[], now, 2 * limit + 1)?;
        for source in sources {
            for id in &latest {
                push(&mut out, *source, *id);
            }
        }
    }
    Ok(out)
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
            let ids: Vec<i64> = wanted
                .iter()
                .filter_map(|s| {
                    let id = found.get(s).copied();
                    if id.is_none() {
                        e.add("slugs", format!("no article has the slug {s:?}"));
                    }
                    id
                })
                .collect();
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
pub async fn curated(state: &AppState, viewer: &Viewer, slug: &str) -> AppResult<Vec<String>> {
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
