//! A bounded in-memory cache of ready-to-send public responses (bytes and their validator).
//! Every content write invalidates it at once by advancing a generation: an entry made before
//! the write is never served after it. Written counters invalidate precisely: the entries
//! that show those articles, and the lists. A scheduled article going live advances the
//! generation too (see `schedule`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::paging::Total;
use crate::conventions::{Effort, Encodings};

/// What a cached response shows, so a change can find the entries it makes stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shows {
    /// These articles (with their counters), and nothing that goes live by itself.
    Articles(Vec<i64>),
    /// A list or a query: anything may be in it, including articles going live.
    Lists,
    /// No counters and no article (tags, authors).
    Other,
}

/// A response as sent: body, `ETag`, and the list headers when it is a list.
#[derive(Debug, Clone)]
pub struct CachedBody {
    pub body: bytes::Bytes,
    pub etag: String,
    pub total: Option<i64>,
    pub link: Option<String>,
    pub shows: Shows,
    /// Its compressed forms, made once for this entry (see `conventions`).
    pub encodings: Arc<Encodings>,
}

impl CachedBody {
    pub fn showing(mut self, shows: Shows) -> Self {
        self.shows = shows;
        self
    }
}

/// How long an entry lives when nothing it shows changes. Every change drops what it makes
/// stale at once (writes, counters, other nodes' announcements, scheduled articles going live:
/// see `schedule`), so this only bounds memory held by entries nobody asks for.
const ENTRY_TTL: Duration = Duration::from_secs(60);

/// How long a list total is reused when nothing is written (a write, or an article going live
/// on its schedule, recounts at once).
const COUNT_TTL: Duration = Duration::from_secs(30);
/// How long tag sizes (for the rarity weights of related articles) are reused: they only
/// weigh candidates, so a minute's drift changes nothing a reader would notice.
const TAG_SIZES_TTL: Duration = Duration::from_secs(60);

pub struct ResponseCache {
    entries: moka::sync::Cache<String, (u64, Arc<CachedBody>)>,
    /// List totals by filter: counting a large list costs more than reading a page of it.
    counts: moka::sync::Cache<String, (u64, Total)>,
    tag_sizes: moka::sync::Cache<(), Arc<HashMap<i64, i64>>>,
    generation: AtomicU64,
    /// Whether anything is kept (`NEWSDESK_CACHE_MB=0` turns the cache off).
    keeps: bool,
    /// Keys being computed now: requests missing the same key queue behind one computation
    /// instead of each running it (a cold start under load, a popular entry just dropped).
    inflight: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A request's place in the queue for one key.
struct Gate<'a> {
    cache: &'a ResponseCache,
    key: &'a str,
    gate: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for Gate<'_> {
    fn drop(&mut self) {
        let mut inflight = self
            .cache
            .inflight
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // Nobody else holds the gate (the map's copy and this one): the last one out clears it.
        if Arc::strong_count(&self.gate) == 2 {
            inflight.remove(self.key);
        }
    }
}

impl ResponseCache {
    pub fn new(max_bytes: u64) -> Self {
        ResponseCache {
            entries: moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|k: &String, (_, v): &(u64, Arc<CachedBody>)| {
                    // The compressed forms come later; a third more covers them.
                    u32::try_from(k.len() + v.body.len() * 4 / 3 + 128).unwrap_or(u32::MAX)
                })
                .time_to_live(ENTRY_TTL)
                .support_invalidation_closures()
                .build(),
            counts: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(COUNT_TTL)
                .build(),
            tag_sizes: moka::sync::Cache::builder()
                .max_capacity(1)
                .time_to_live(TAG_SIZES_TTL)
                .build(),
            generation: AtomicU64::new(0),
            keeps: max_bytes > 0,
            inflight: std::sync::Mutex::default(),
        }
    }

    /// The cached response for `key`, or the one `make` computes (kept when it says so).
    /// Concurrent misses of one key wait for the first one's answer.
    pub async fn get_or_make<E, Fut>(
        &self,
        key: String,
        make: impl FnOnce() -> Fut,
    ) -> Result<Arc<CachedBody>, E>
    where
        Fut: std::future::Future<Output = Result<(CachedBody, bool), E>>,
    {
        if let Some(hit) = self.get(&key) {
            return Ok(hit);
        }
        let gate = {
            let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
            inflight.entry(key.clone()).or_default().clone()
        };
        // Clears the gate however this ends, a request cancelled at its deadline included.
        let gate = Gate {
            cache: self,
            key: &key,
            gate,
        };
        let _turn = gate.gate.lock().await;
        match self.get(&key) {
            // Made while this request waited its turn.
            Some(hit) => Ok(hit),
            None => {
                let generation = self.generation();
                make().await.map(|(mut body, keep)| {
                    let keep = keep && self.keeps;
                    if keep {
                        // Many will get this entry: its compressed forms are worth more effort.
                        body.encodings = Arc::new(Encodings::new(Effort::Once));
                    }
                    let body = Arc::new(body);
                    if keep {
                        self.put(key.clone(), generation, body.clone());
                    }
                    body
                })
            }
        }
    }

    /// How many live articles each tag has, counted at most once a minute.
    pub fn tag_sizes<E>(
        &self,
        compute: impl FnOnce() -> Result<HashMap<i64, i64>, E>,
    ) -> Result<Arc<HashMap<i64, i64>>, E> {
        if let Some(sizes) = self.tag_sizes.get(&()) {
            return Ok(sizes);
        }
        let sizes = Arc::new(compute()?);
        self.tag_sizes.insert((), sizes.clone());
        Ok(sizes)
    }

    /// The total of a list, counted at most once per write (or per `COUNT_TTL`, as
    /// scheduled articles go live without a write).
    pub fn count<E>(
        &self,
        key: String,
        compute: impl FnOnce() -> Result<Total, E>,
    ) -> Result<Total, E> {
        let generation = self.generation();
        if let Some((g, n)) = self.counts.get(&key) {
            if g == generation {
                return Ok(n);
            }
        }
        let n = compute()?;
        if generation == self.generation() {
            self.counts.insert(key, (generation, n));
        }
        Ok(n)
    }

    /// The current generation; read it before computing a response to `put`.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedBody>> {
        match self.entries.get(key) {
            Some((g, body)) if g == self.generation() => Some(body),
            _ => None,
        }
    }

    /// Keeps `body` unless something was written since `generation` was read.
    pub fn put(&self, key: String, generation: u64, body: Arc<CachedBody>) {
        if generation == self.generation() {
            self.entries.insert(key, (generation, body));
        }
    }

    /// Drops everything, the slowly changing tag sizes too (a cold start, for measurements).
    pub fn clear(&self) {
        self.invalidate();
        self.tag_sizes.invalidate_all();
    }

    /// Counters of `articles` were written: the entries showing them, and every list, go.
    pub fn counted(&self, articles: &[i64]) {
        let ids: std::collections::HashSet<i64> = articles.iter().copied().collect();
        let result = self
            .entries
            .invalidate_entries_if(move |_, (_, body)| match &body.shows {
                Shows::Lists => true,
                Shows::Articles(shown) => shown.iter().any(|a| ids.contains(a)),
                Shows::Other => false,
            });
        if result.is_err() {
            // Cannot happen with the builder above; stay correct regardless.
            self.invalidate();
        }
    }

    /// Content changed: nothing cached before now is served again.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &'static str) -> Arc<CachedBody> {
        shown(text, Shows::Other)
    }

    fn shown(text: &'static str, shows: Shows) -> Arc<CachedBody> {
        Arc::new(CachedBody {
            body: bytes::Bytes::from_static(text.as_bytes()),
            etag: "\"x\"".into(),
            total: None,
            link: None,
            shows,
            encodings: Default::default(),
        })
    }

    #[test]
    fn written_counters_drop_only_what_shows_them() {
        let c = ResponseCache::new(1 << 20);
        let g = c.generation();
        c.put("one".into(), g, shown("1", Shows::Articles(vec![1])));
        c.put("two".into(), g, shown("2", Shows::Articles(vec![2])));
        c.put("list".into(), g, shown("l", Shows::Lists));
        c.put("tags".into(), g, shown("t", Shows::Other));
        c.counted(&[1]);
        assert!(c.get("one").is_none());
        assert!(c.get("list").is_none());
        assert!(c.get("two").is_some());
        assert!(c.get("tags").is_some());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_of_one_key_make_it_once() {
        let c = Arc::new(ResponseCache::new(1 << 20));
        let made = Arc::new(AtomicU64::new(0));
        let requests = (0..10).map(|_| {
            let (c, made) = (c.clone(), made.clone());
            tokio::spawn(async move {
                c.get_or_make("k".into(), || async {
                    made.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok::<_, ()>(((*body("made")).clone(), true))
                })
                .await
            })
        });
        for r in futures_util::future::join_all(requests).await {
            assert_eq!(&r.unwrap().unwrap().body[..], b"made");
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert!(c.inflight.lock().unwrap().is_empty(), "gates are cleared");
    }

    #[test]
    fn a_write_hides_everything_cached_before_it() {
        let c = ResponseCache::new(1 << 20);
        let g = c.generation();
        c.put("a".into(), g, body("one"));
        assert!(c.get("a").is_some());
        c.invalidate();
        assert!(c.get("a").is_none());
        // A response computed before the write is not kept after it.
        c.put("b".into(), g, body("two"));
        assert!(c.get("b").is_none());
    }
}
