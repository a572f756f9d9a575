//! Computed related lists kept ready: ranking an article's related articles reads a few
//! hundred candidates per tag (milliseconds of work), so each article's computed list is kept
//! in `related_ready` and an uncached related read is one indexed lookup.
//!
//! Staleness is bounded by `NEWSDESK_RELATED_MAX_AGE_SECS`: a list older than that still
//! serves, and is recomputed in the background within a second or so of being read (16 lists
//! every 250 ms); a list never computed is computed by its first reader. An article whose own
//! tags or status change has its list dropped at once. What may appear is
//! decided when the list is read, not when it is kept: only live articles, never the article
//! itself, curated ones first (`related::related_for`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::service::cache::Stale;

/// Ids kept per article: the largest list a reader may ask for, and room for some of them to
/// be curated, unpublished or deleted since the list was computed.
pub(super) const KEPT: i64 = MAX_RELATED as i64 + 10;
/// Computed lists waiting to be stored, at most: past it a computed list is used and not kept
/// (the database is failing writes, or a crawler outruns the flush).
const MAX_PENDING: usize = 10_000;

/// A computed list and when it was computed.
type List = (Arc<Vec<i64>>, NaiveDateTime);
/// Computed lists by article.
type Lists = HashMap<i64, Arc<Vec<i64>>>;

pub struct ReadyRelated {
    max_age: chrono::Duration,
    /// Computed, not yet stored: readers use these, the flusher stores them.
    pending: Mutex<HashMap<i64, List>>,
    /// Articles whose kept list is older than `max_age`: readers keep using it while the
    /// background recomputes it (`store_ready`).
    stale: Mutex<HashMap<i64, Arc<Vec<i64>>>>,
    /// Articles whose list was dropped by their own change, and when: a list computed before
    /// that (by a reader or the background, still on its way to the table) is never kept.
    dropped: Mutex<HashMap<i64, NaiveDateTime>>,
}

/// How long a drop is remembered: far longer than any computation takes to be stored.
const DROP_MEMORY: chrono::Duration = chrono::Duration::minutes(10);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ReadyRelated {
    pub fn new(max_age: Duration) -> Self {
        ReadyRelated {
            max_age: chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX),
            pending: Mutex::default(),
            stale: Mutex::default(),
            dropped: Mutex::default(),
        }
    }

    /// Whether a list of `article` computed at `at` predates its last drop.
    fn outdated(&self, article: i64, at: NaiveDateTime) -> bool {
        lock(&self.dropped).get(&article).is_some_and(|d| *d >= at)
    }

    /// How long a list computed at `at` stays fresh after `now`: zero once expired (the one
    /// rule for "fresh").
    fn fresh_for(&self, at: NaiveDateTime, now: NaiveDateTime) -> Duration {
        match at.checked_add_signed(self.max_age) {
            Some(until) => (until - now).to_std().unwrap_or(Duration::ZERO),
            None => Duration::MAX,
        }
    }

    /// Each source's computed list (ids best first, not yet checked for visibility): kept
    /// ones (expired ones too, while the background recomputes them), the others computed
    /// now and queued to be kept. With how long the fresh ones stay fresh: an answer built
    /// from them is cached no longer (an expired one's recomputation drops the answers built
    /// from it when the list changed).
    pub(super) fn lists(
        &self,
        c: &mut DbConn,
        cache: &ResponseCache,
        sources: &[i64],
        now: NaiveDateTime,
    ) -> AppResult<(Lists, Duration)> {
        let mut fresh_for = self.fresh_for(now, now);
        let mut out = HashMap::with_capacity(sources.len());
        let mut unknown = Vec::new();
        {
            let pending = lock(&self.pending);
            for s in sources {
                let left = pending
                    .get(s)
                    .map(|(list, at)| (list, self.fresh_for(*at, now)));
                match left {
                    Some((list, left)) if !left.is_zero() => {
                        fresh_for = fresh_for.min(left);
                        out.insert(*s, list.clone());
                    }
                    _ => unknown.push(*s),
                }
            }
        }
        if unknown.is_empty() {
            return Ok((out, fresh_for));
        }
        let mut stale = Vec::new();
        for (id, list, at) in db::articles::ready_related(c, &unknown)? {
            if self.outdated(id, at) {
                // Stored by a flush that overlapped the change dropping it (PostgreSQL runs
                // both transactions at once): computed again below.
                continue;
            }
            let list = Arc::new(list);
            let left = self.fresh_for(at, now);
            if !left.is_zero() {
                fresh_for = fresh_for.min(left);
            } else {
                // Being recomputed: the recomputation drops the answers built from it.
                stale.push((id, list.clone()));
            }
            // An expired list serves until the background has recomputed it.
            out.insert(id, list);
        }
        if !stale.is_empty() {
            let mut queue = lock(&self.stale);
            for (id, list) in stale {
                if queue.len() < MAX_PENDING {
                    queue.insert(id, list);
                }
            }
        }
        let wanted: Vec<i64> = unknown
            .into_iter()
            .filter(|s| !out.contains_key(s))
            .collect();
        if wanted.is_empty() {
            return Ok((out, fresh_for));
        }
        // Never computed (or dropped by its article's own change): computed now.
        let computed = compute(c, cache, &wanted, now)?;
        let mut pending = lock(&self.pending);
        for (source, list) in computed {
            let list = Arc::new(list);
            let room = pending.len() < MAX_PENDING || pending.contains_key(&source);
            if room && !self.outdated(source, now) {
                pending.insert(source, (list.clone(), now));
            }
            out.insert(source, list);
        }
        Ok((out, fresh_for))
    }

    /// The computed lists not yet kept, taken out to be stored.
    pub fn take_pending(&self) -> Vec<(i64, Vec<i64>, NaiveDateTime)> {
        lock(&self.pending)
            .iter()
            .map(|(id, (list, at))| (*id, list.as_ref().clone(), *at))
            .collect()
    }

    /// `lists` without those their article's change dropped since they were computed: asked
    /// inside the transaction that stores them.
    fn still_current(
        &self,
        lists: &[(i64, Vec<i64>, NaiveDateTime)],
    ) -> Vec<(i64, Vec<i64>, NaiveDateTime)> {
        lists
            .iter()
            .filter(|(id, _, at)| !self.outdated(*id, *at))
            .cloned()
            .collect()
    }

    /// Stored: readers find them in the table from now on (unless recomputed since).
    pub fn stored(&self, lists: &[(i64, Vec<i64>, NaiveDateTime)]) {
        let mut pending = lock(&self.pending);
        for (id, _, at) in lists {
            if pending.get(id).is_some_and(|(_, a)| a == at) {
                pending.remove(id);
            }
        }
    }

    /// Up to `n` articles whose kept list expired, with that list, taken out to be
    /// recomputed.
    fn take_stale(&self, n: usize) -> HashMap<i64, Arc<Vec<i64>>> {
        let mut queue = lock(&self.stale);
        let ids: Vec<i64> = queue.keys().take(n).copied().collect();
        ids.into_iter()
            .filter_map(|id| queue.remove(&id).map(|list| (id, list)))
            .collect()
    }

    /// Forgets what is pending for an article whose list was just dropped, and anything
    /// computed before now that is still on its way.
    pub(super) fn forget(&self, article_id: i64) {
        lock(&self.pending).remove(&article_id);
        let at = now();
        let mut dropped = lock(&self.dropped);
        if dropped.len() > MAX_PENDING {
            dropped.retain(|_, d| at - *d < DROP_MEMORY);
        }
        dropped.insert(article_id, at);
    }
}

/// Each source's related articles by shared tags weighted by rarity, then the most recent,
/// `KEPT` of them, never itself: what is kept ready. Curated ones are not part of it (they are
/// put first when read).
fn compute(
    c: &mut DbConn,
    cache: &ResponseCache,
    sources: &[i64],
    now: NaiveDateTime,
) -> AppResult<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = sources.iter().map(|s| (*s, Vec::new())).collect();
    let push = |out: &mut HashMap<i64, Vec<i64>>, source: i64, id: i64| {
        if let Some(list) = out.get_mut(&source) {
            if id != source && !list.contains(&id) && (list.len() as i64) < KEPT {
                list.push(id);
            }
        }
    };
    let tags = db::articles::tags_for(c, sources)?;
    if !tags.is_empty() {
        let sizes = cache.tag_sizes(|| -> AppResult<HashMap<i64, i64>> {
            Ok(db::articles::public_counts_by_tag(c, None, now)?
                .into_iter()
                .collect())
        })?;
        let weights: HashMap<i64, i64> = super::related::tag_weights(
            &tags
                .iter()
                .map(|(_, t, _, _)| (*t, sizes.get(t).copied().unwrap_or(0)))
                .collect::<Vec<_>>(),
        )
        .into_iter()
        .collect();
        let source_tags: Vec<(i64, i64, i64)> = tags
            .iter()
            .map(|(s, t, _, _)| (*s, *t, weights.get(t).copied().unwrap_or(1)))
            .collect();
        for (source, id) in db::articles::related_by_tags(c, &source_tags, now, KEPT)? {
            push(&mut out, source, id);
        }
    }
    if out.values().any(|l| (l.len() as i64) < KEPT) {
        // A source excludes itself and at most `KEPT` chosen ids.
        let latest = db::articles::latest_ids(c, &[], now, 2 * KEPT + 1)?;
        for source in sources {
            for id in &latest {
                push(&mut out, *source, *id);
            }
        }
    }
    Ok(out)
}

/// Articles whose expired list one background pass recomputes: a few dozen milliseconds of
/// one connection every `KEEP_RELATED_EVERY`, leaving the rest to readers.
const REFRESH_BATCH: usize = 16;

/// Recomputes a batch of expired lists, then stores the computed lists waiting to be kept (the
/// server calls it a few times a second). Lists that could not be stored are dropped: the next
/// reader computes them again.
pub async fn store_ready(state: &AppState) -> AppResult<usize> {
    let expired = state.related.take_stale(REFRESH_BATCH);
    if !expired.is_empty() {
        let cache = state.cache.clone();
        let ready = state.related.clone();
        let refreshed = state
            .db
            .read(move |c| {
                db::background(|| {
                    let now = now();
                    let sources: Vec<i64> = expired.keys().copied().collect();
                    let computed = compute(c, &cache, &sources, now)?;
                    let mut changed = Vec::new();
                    let mut pending = lock(&ready.pending);
                    for (source, list) in computed {
                        if ready.outdated(source, now) {
                            continue;
                        }
                        if expired.get(&source).is_none_or(|old| **old != list) {
                            changed.push(source);
                        }
                        pending.insert(source, (Arc::new(list), now));
                    }
                    Ok::<_, AppError>(changed)
                })
            })
            .await;
        match refreshed {
            // Cached answers built from the old lists show their source article.
            Ok(changed) if !changed.is_empty() => state.cache.apply(Stale {
                articles: changed,
                ..Stale::nothing()
            }),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "expired related lists not recomputed; they serve meanwhile")
            }
        }
    }
    let lists = state.related.take_pending();
    if lists.is_empty() {
        return Ok(0);
    }
    let lists = Arc::new(lists);
    let to_store = lists.clone();
    let ready = state.related.clone();
    // Background work: not counted with the requests' statements.
    let result = state
        .db
        .write_background(move |c| {
            // Asked under the write lock (SQLite: one writer at a time), after the drop of any
            // change that committed first. (PostgreSQL leaves a window of one commit: a list
            // stored in it is older than its drop, and readers here pass it over.)
            let current = ready.still_current(&to_store);
            db::articles::store_ready_related(c, &current).map_err(AppError::from)
        })
        .await;
    state.related.stored(&lists);
    result.map(|()| lists.len())
}
