//! A bounded in-memory cache of ready-to-send public responses (bytes and their validator).
//! Each entry says what it shows (`Shows`); each domain event says what it makes stale
//! (`Stale`, see `events`), and only the entries it reaches go. A response computed before
//! an event and finished after it is not kept when the event reaches it. The widest change
//! (a missed announcement) advances a generation, which drops everything at once.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::paging::Total;
use crate::conventions::{Effort, Encodings};

/// What changes can reach a cached answer, besides the articles it shows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topic {
    /// Anything public (GraphQL answers, whose queries may show anything).
    Content,
    /// Article lists without a tag or author filter, searches, related lists, feeds and
    /// sitemaps: any public article may enter or leave them.
    Lists,
    /// Article lists of one tag (by slug).
    TagLists(String),
    /// Article lists of one author (by slug).
    AuthorLists(String),
    /// Lists ordered by counters.
    Popular,
    /// The tag directory and every tag page.
    Tags,
    /// One tag's page.
    Tag(String),
    /// One author's profile.
    Author(String),
}

/// What a cached response shows, so a change can find the entries it makes stale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shows {
    /// These articles (their content, counters and comment counts).
    pub articles: Vec<i64>,
    pub topics: Vec<Topic>,
}

impl Shows {
    /// One article (its page, or a page built around it).
    pub fn article(id: i64) -> Self {
        Shows {
            articles: vec![id],
            topics: Vec::new(),
        }
    }

    pub fn topics(topics: impl IntoIterator<Item = Topic>) -> Self {
        Shows {
            articles: Vec::new(),
            topics: topics.into_iter().collect(),
        }
    }

    /// These articles too.
    pub fn with_articles(mut self, ids: impl IntoIterator<Item = i64>) -> Self {
        self.articles.extend(ids);
        self.articles.sort_unstable();
        self.articles.dedup();
        self
    }
}

/// What a change makes stale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stale {
    pub articles: Vec<i64>,
    pub topics: Vec<Topic>,
    /// Everything (changes too wide to follow: a tag renamed, an account removed).
    pub all: bool,
}

impl Stale {
    pub fn nothing() -> Self {
        Stale::default()
    }

    pub fn everything() -> Self {
        Stale {
            all: true,
            ..Stale::default()
        }
    }

    pub fn topics(topics: Vec<Topic>) -> Self {
        Stale {
            topics,
            ..Stale::default()
        }
    }

    pub fn is_nothing(&self) -> bool {
        !self.all && self.articles.is_empty() && self.topics.is_empty()
    }

    /// Whether an entry showing `shows` is stale after this change.
    pub fn reaches(&self, shows: &Shows) -> bool {
        self.all
            || shows.articles.iter().any(|a| self.articles.contains(a))
            || shows.topics.iter().any(|t| self.topics.contains(t))
    }

    /// Whether it changes what lists hold (so their totals).
    fn moves_lists(&self) -> bool {
        self.all
            || self
                .topics
                .iter()
                .any(|t| matches!(t, Topic::Lists | Topic::TagLists(_) | Topic::AuthorLists(_)))
    }
}

/// A response as sent: body, `ETag`, and the list headers when it is a list.
#[derive(Debug, Clone)]
pub struct CachedBody {
    pub body: bytes::Bytes,
    pub etag: String,
    pub total: Option<i64>,
    pub link: Option<String>,
    pub shows: Shows,
    /// Its media type (`application/json` unless said otherwise: feeds, sitemaps).
    pub content_type: &'static str,
    /// When what it shows last changed (feeds and sitemaps send `Last-Modified`).
    pub last_modified: Option<chrono::DateTime<chrono::Utc>>,
    /// Its compressed forms, made once for this entry (see `conventions`).
    pub encodings: Arc<Encodings>,
    /// How long it may be kept at most, when less than `ENTRY_TTL`: what it was built from
    /// expires without an event (a related list kept ready).
    pub fresh_for: Option<Duration>,
}

/// Entries built from something that expires on its own live no longer than it.
struct FreshFor;

impl moka::Expiry<String, (u64, Arc<CachedBody>)> for FreshFor {
    fn expire_after_create(
        &self,
        _key: &String,
        (_, body): &(u64, Arc<CachedBody>),
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        body.fresh_for
    }
}

impl CachedBody {
    /// A JSON body and its validator, with no list headers. Until the caller says what it
    /// shows, any public change reaches it.
    pub fn new(mut body: Vec<u8>, etag: String) -> Self {
        // A buffer sized ahead (or grown by doubling) may be mostly unused, and the response
        // cache's budget counts the body's length: a buffer a quarter or more unused is cut
        // to size (a copy), one nearly full is kept.
        if body.capacity() - body.len() > body.len() / 4 {
            body.shrink_to_fit();
        }
        CachedBody {
            body: body.into(),
            etag,
            total: None,
            link: None,
            shows: Shows::topics([Topic::Content]),
            content_type: "application/json",
            last_modified: None,
            encodings: Default::default(),
            fresh_for: None,
        }
    }

    /// Kept at most `d` (see `fresh_for`).
    pub fn fresh_for(mut self, d: Option<Duration>) -> Self {
        self.fresh_for = d;
        self
    }

    /// Says what the response shows (see [`Shows`]).
    pub fn showing(mut self, shows: Shows) -> Self {
        self.shows = shows;
        self
    }
}

/// How long an entry lives when nothing it shows changes. Every change drops what it makes
/// stale at once (writes, counters, other nodes' announcements, scheduled articles going live:
/// see `schedule`), so this only bounds memory held by entries nobody asks for.
const ENTRY_TTL: Duration = Duration::from_secs(60);

/// How long a list total is reused when nothing is written. Every change that moves a list
/// (a write on any node, an article going live on its schedule) recounts at once: this only
/// bounds what newsdesk cannot see (rows changed by hand in the database). Past it one reader
/// counts again while the others go on with the previous total, which is kept for at most
/// `COUNT_KEPT`.
const COUNT_TTL: Duration = Duration::from_secs(300);
const COUNT_KEPT: Duration = Duration::from_secs(3_600);
/// How long tag sizes (for the rarity weights of related articles) are reused: they only
/// weigh candidates, so a minute's drift changes nothing a reader would notice.
const TAG_SIZES_TTL: Duration = Duration::from_secs(60);

pub struct ResponseCache {
    entries: moka::sync::Cache<String, (u64, Arc<CachedBody>)>,
    /// List totals by filter: counting a large list costs more than reading a page of it.
    /// Keyed by the lists' epoch and the filter: a total counted before an article entered
    /// or left the lists is never reused after.
    counts: moka::sync::Cache<(u64, String), (Instant, Total)>,
    /// Set while one reader counts an expired total again (see `COUNT_TTL`): one at a time,
    /// the others waiting their turn on their previous totals. Counted together, the totals
    /// of two dozen searches (counted together on their first reading, so expiring together)
    /// held every connection of the pool for a quarter of a second at each expiry: every
    /// reader waited behind them (a search page's p99 253 ms).
    recounting: std::sync::atomic::AtomicBool,
    /// `COUNT_TTL` (shorter in tests).
    count_ttl: Duration,
    tag_sizes: super::memo::Memo<HashMap<i64, i64>>,
    generation: AtomicU64,
    /// Advances whenever what lists hold may have changed (their totals are stale).
    lists_epoch: AtomicU64,
    /// The latest changes, numbered, so a response computed while one applied is not kept
    /// when the change reaches it.
    recent: std::sync::Mutex<Recent>,
    /// Whether anything is kept (`NEWSDESK_CACHE_MB=0` turns the cache off).
    keeps: bool,
    /// Keys being computed now: requests missing the same key wait for that one computation
    /// instead of each running it (a cold start under load, a popular entry just dropped).
    /// Its end is sent on the channel (see [`Outcome`]).
    inflight: std::sync::Mutex<HashMap<String, tokio::sync::watch::Receiver<Outcome>>>,
}

/// How a key's computation ended, for the requests waiting for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Not yet, or it was cancelled (its request gone at its deadline): one of them computes.
    Unknown,
    /// An answer to share: it was kept, unless a write reached it while it was computed, and
    /// then one of them computes it again.
    Shared,
    /// An answer for its reader alone, or an error: each of them computes its own.
    Own,
}

/// A miss's part: computing the key, or waiting for the computation under way.
enum Turn {
    Lead(tokio::sync::watch::Sender<Outcome>),
    Wait(tokio::sync::watch::Receiver<Outcome>),
}

/// The one computation of a key under way. Dropped when it ends, however it ends (a request
/// cancelled at its deadline included): it leaves the map, then tells those waiting.
struct Lead<'a> {
    cache: &'a ResponseCache,
    key: &'a str,
    done: tokio::sync::watch::Sender<Outcome>,
    outcome: Outcome,
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        {
            let mut inflight = self
                .cache
                .inflight
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if inflight
                .get(self.key)
                .is_some_and(|waiting| waiting.same_channel(&self.done.subscribe()))
            {
                inflight.remove(self.key);
            }
        }
        // After leaving the map, so that a waiter told to compute again can take the lead.
        self.done.send_replace(self.outcome);
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
                .expire_after(FreshFor)
                .support_invalidation_closures()
                .build(),
            counts: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(COUNT_KEPT)
                .build(),
            recounting: std::sync::atomic::AtomicBool::new(false),
            count_ttl: COUNT_TTL,
            tag_sizes: super::memo::Memo::new(TAG_SIZES_TTL),
            generation: AtomicU64::new(0),
            lists_epoch: AtomicU64::new(0),
            recent: std::sync::Mutex::default(),
            keeps: max_bytes > 0,
            inflight: std::sync::Mutex::default(),
        }
    }

    /// The cached response for `key`, or the one `make` computes (kept when it says so).
    /// Concurrent misses of one key wait for the first one's computation, then take what it
    /// kept. When a write reached it meanwhile, one of them computes it again while the rest
    /// wait. An answer not to share (one reader's own, or an error) each of them computes at
    /// once, side by side: waiting in turn would serialise them for nothing. With nothing kept
    /// at all (`NEWSDESK_CACHE_MB=0`) nobody waits.
    pub async fn get_or_make<E, Fut>(
        &self,
        key: String,
        make: impl FnOnce() -> Fut,
    ) -> Result<Arc<CachedBody>, E>
    where
        Fut: std::future::Future<Output = Result<(CachedBody, bool), E>>,
    {
        if !self.keeps {
            return make().await.map(|(body, _)| Arc::new(body));
        }
        loop {
            if let Some(hit) = self.get(&key) {
                return Ok(hit);
            }
            let turn = {
                let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
                match inflight.get(&key) {
                    Some(waiting) => Turn::Wait(waiting.clone()),
                    None => {
                        let (done, waiting) = tokio::sync::watch::channel(Outcome::Unknown);
                        inflight.insert(key.clone(), waiting);
                        Turn::Lead(done)
                    }
                }
            };
            match turn {
                Turn::Lead(done) => {
                    let mut lead = Lead {
                        cache: self,
                        key: &key,
                        done,
                        outcome: Outcome::Unknown,
                    };
                    let made = self.make_and_keep(key.clone(), make).await;
                    lead.outcome = match &made {
                        Ok((_, true)) => Outcome::Shared,
                        _ => Outcome::Own,
                    };
                    return made.map(|(body, _)| body);
                }
                Turn::Wait(mut waiting) => {
                    // Sent once, as the computation's `Lead` is dropped.
                    let _ = waiting.changed().await;
                    if *waiting.borrow() == Outcome::Own {
                        return self.make_and_keep(key, make).await.map(|(body, _)| body);
                    }
                }
            }
        }
    }

    /// Computes `key`'s response and keeps it when `make` says so and no change since reached
    /// it; with whether `make` said so.
    async fn make_and_keep<E, Fut>(
        &self,
        key: String,
        make: impl FnOnce() -> Fut,
    ) -> Result<(Arc<CachedBody>, bool), E>
    where
        Fut: std::future::Future<Output = Result<(CachedBody, bool), E>>,
    {
        let mark = self.mark();
        let (mut body, keep) = make().await?;
        if keep {
            // Many will get this entry: its compressed forms are worth more effort.
            body.encodings = Arc::new(Encodings::new(Effort::Once));
        }
        let body = Arc::new(body);
        if keep {
            self.put(key, mark, body.clone());
        }
        Ok((body, keep))
    }

    /// How many live articles each tag has, counted at most once a minute, by one caller
    /// (the others use the previous count meanwhile: see `memo`).
    pub fn tag_sizes<E>(
        &self,
        compute: impl FnOnce() -> Result<HashMap<i64, i64>, E>,
    ) -> Result<Arc<HashMap<i64, i64>>, E> {
        self.tag_sizes.get(compute)
    }

    /// The total of a list, counted at most once per write (and again after `COUNT_TTL`).
    /// Concurrent callers asking for a total not counted yet wait for one count (moka's
    /// `try_get_with`); once it is older than `COUNT_TTL`, one of them counts again while the
    /// others take the previous one (a failed recount keeps it too), one list at a time.
    pub fn count<E: Clone + Send + Sync + 'static>(
        &self,
        key: String,
        compute: impl FnOnce() -> Result<Total, E>,
    ) -> Result<Total, E> {
        let key = (self.lists_epoch.load(Ordering::Acquire), key);
        if let Some((at, total)) = self.counts.get(&key) {
            if at.elapsed() < self.count_ttl {
                return Ok(total);
            }
            if self.recounting.swap(true, Ordering::AcqRel) {
                return Ok(total);
            }
            let _done = super::memo::Refreshing(&self.recounting);
            return Ok(match compute() {
                Ok(fresh) => {
                    self.counts.insert(key, (Instant::now(), fresh));
                    fresh
                }
                Err(_) => total,
            });
        }
        self.counts
            .try_get_with(key, || compute().map(|t| (Instant::now(), t)))
            .map(|(_, total)| total)
            .map_err(|e| (*e).clone())
    }

    /// Where the cache stands; read it before computing a response to `put`.
    pub fn mark(&self) -> Mark {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        Mark {
            generation: self.generation(),
            seq: recent.seq,
        }
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedBody>> {
        match self.entries.get(key) {
            Some((g, body)) if g == self.generation() => Some(body),
            _ => None,
        }
    }

    /// Keeps `body` unless a change since `mark` reaches it.
    pub fn put(&self, key: String, mark: Mark, body: Arc<CachedBody>) {
        if mark.generation != self.generation() {
            return;
        }
        // Under the lock, a change is either seen here or applied after the insert (and
        // then its invalidation finds the entry).
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if recent.reaches_since(mark.seq, &body.shows) {
            return;
        }
        self.entries.insert(key, (mark.generation, body));
    }

    /// Drops everything, the slowly changing tag sizes too (a cold start, for measurements).
    pub fn clear(&self) {
        self.invalidate();
        self.tag_sizes.clear();
    }

    /// Drops the entries `stale` reaches, and list totals when lists moved.
    pub fn apply(&self, stale: Stale) {
        if stale.all {
            return self.invalidate();
        }
        if stale.is_nothing() {
            return;
        }
        if stale.moves_lists() {
            self.lists_epoch.fetch_add(1, Ordering::AcqRel);
            self.counts.invalidate_all();
        }
        let stale = Arc::new(stale);
        {
            let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
            recent.push(stale.clone());
        }
        let result = self
            .entries
            .invalidate_entries_if(move |_, (_, body)| stale.reaches(&body.shows));
        if result.is_err() {
            // Cannot happen with the builder above; stay correct regardless.
            self.invalidate();
        }
    }

    /// Nothing cached before now is served again.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.lists_epoch.fetch_add(1, Ordering::AcqRel);
    }
}

/// The cache's state when a computation began.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    generation: u64,
    seq: u64,
}

/// How many recent changes are remembered for responses still being computed; one computed
/// across more changes than this is simply not kept.
const RECENT_CHANGES: usize = 1024;

#[derive(Default)]
struct Recent {
    seq: u64,
    changes: VecDeque<(u64, Arc<Stale>)>,
}

impl Recent {
    fn push(&mut self, stale: Arc<Stale>) {
        self.seq += 1;
        self.changes.push_back((self.seq, stale));
        if self.changes.len() > RECENT_CHANGES {
            self.changes.pop_front();
        }
    }

    fn reaches_since(&self, seq: u64, shows: &Shows) -> bool {
        if seq == self.seq {
            return false;
        }
        let oldest = self.changes.front().map_or(self.seq, |(s, _)| *s);
        if seq + 1 < oldest {
            return true;
        }
        self.changes
            .iter()
            .filter(|(s, _)| *s > seq)
            .any(|(_, stale)| stale.reaches(shows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &'static str) -> Arc<CachedBody> {
        shown(text, Shows::default())
    }

    fn shown(text: &'static str, shows: Shows) -> Arc<CachedBody> {
        Arc::new(CachedBody::new(text.as_bytes().to_vec(), "\"x\"".into()).showing(shows))
    }

    #[test]
    fn written_counters_drop_only_what_shows_them() {
        let c = ResponseCache::new(1 << 20);
        let m = c.mark();
        c.put("one".into(), m, shown("1", Shows::article(1)));
        c.put("two".into(), m, shown("2", Shows::article(2)));
        let popular = Shows::topics([Topic::Popular]).with_articles([3]);
        c.put("popular".into(), m, shown("p", popular));
        let latest = Shows::topics([Topic::Lists]).with_articles([1]);
        c.put("latest".into(), m, shown("l", latest));
        c.put("tags".into(), m, shown("t", Shows::topics([Topic::Tags])));
        c.apply(Stale {
            articles: vec![1],
            topics: vec![Topic::Popular],
            all: false,
        });
        assert!(c.get("one").is_none());
        assert!(c.get("popular").is_none());
        assert!(c.get("latest").is_none(), "it shows article 1's counters");
        assert!(c.get("two").is_some());
        assert!(c.get("tags").is_some());
    }

    /// Runs 10 concurrent misses of one key, each answering after 200 ms (long enough for all
    /// ten to arrive first) and kept when `keep`: how many computed it, and the most at once.
    async fn ten_concurrent_misses(c: Arc<ResponseCache>, keep: bool) -> (u64, u64) {
        let (made, running, most) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        let requests = (0..10).map(|_| {
            let (c, made, running, most) = (c.clone(), made.clone(), running.clone(), most.clone());
            tokio::spawn(async move {
                c.get_or_make("k".into(), || async {
                    made.fetch_add(1, Ordering::SeqCst);
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok::<_, ()>(((*body("made")).clone(), keep))
                })
                .await
            })
        });
        for r in futures_util::future::join_all(requests).await {
            assert_eq!(&r.unwrap().unwrap().body[..], b"made");
        }
        assert!(c.inflight.lock().unwrap().is_empty(), "gates are cleared");
        (made.load(Ordering::SeqCst), most.load(Ordering::SeqCst))
    }

    /// An expired total is counted again by one reader; the others, meanwhile, take the
    /// previous one at once instead of waiting (the lists have not changed: same epoch).
    #[test]
    fn an_expired_total_is_recounted_by_one_reader_while_the_others_take_the_previous_one() {
        let mut c = ResponseCache::new(1 << 20);
        c.count_ttl = Duration::from_millis(50);
        let c = Arc::new(c);
        let first = c.count("q".into(), || Ok::<_, ()>(Total::counted(1, true)));
        assert_eq!(first.map(|t| t.count), Ok(1));
        std::thread::sleep(Duration::from_millis(60));
        let recounts = Arc::new(AtomicU64::new(0));
        let readers: Vec<_> = (0..8)
            .map(|_| {
                let (c, recounts) = (c.clone(), recounts.clone());
                std::thread::spawn(move || {
                    let asked = Instant::now();
                    let total = c.count("q".into(), || {
                        recounts.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(300));
                        Ok::<_, ()>(Total::counted(2, true))
                    });
                    (total.map(|t| t.count), asked.elapsed())
                })
            })
            .collect();
        let answers: Vec<_> = readers.into_iter().map(|r| r.join().unwrap()).collect();
        assert_eq!(recounts.load(Ordering::SeqCst), 1, "one recount");
        let fresh = answers.iter().filter(|(n, _)| *n == Ok(2)).count();
        assert_eq!(
            fresh, 1,
            "the recounting reader has the new total: {answers:?}"
        );
        for (n, waited) in &answers {
            if *n == Ok(1) {
                assert!(
                    *waited < Duration::from_millis(200),
                    "{waited:?}: waited for the recount"
                );
            }
        }
        assert!(!c.recounting.load(Ordering::SeqCst), "the recount is done");
        // Another list's expired total, while a recount runs, is not counted beside it.
        let other = c.count("r".into(), || Ok::<_, ()>(Total::counted(5, true)));
        assert_eq!(other.map(|t| t.count), Ok(5));
        std::thread::sleep(Duration::from_millis(60));
        let (c2, started) = (c.clone(), Arc::new(std::sync::Barrier::new(2)));
        let started2 = started.clone();
        let slow = std::thread::spawn(move || {
            c2.count("q".into(), || {
                started2.wait();
                std::thread::sleep(Duration::from_millis(200));
                Ok::<_, ()>(Total::counted(2, true))
            })
        });
        started.wait();
        let beside = c.count("r".into(), || Ok::<_, ()>(Total::counted(6, true)));
        assert_eq!(
            beside.map(|t| t.count),
            Ok(5),
            "the previous total, not a second recount"
        );
        assert_eq!(slow.join().unwrap().map(|t| t.count), Ok(2));
        let next = c.count("q".into(), || Ok::<_, ()>(Total::counted(3, true)));
        assert_eq!(next.map(|t| t.count), Ok(2), "the new total serves");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_of_one_key_make_it_once() {
        let (made, most) = ten_concurrent_misses(Arc::new(ResponseCache::new(1 << 20)), true).await;
        assert_eq!((made, most), (1, 1));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_the_cache_off_concurrent_misses_of_one_key_do_not_queue() {
        let (made, most) = ten_concurrent_misses(Arc::new(ResponseCache::new(0)), true).await;
        assert_eq!(
            made, 10,
            "nothing is kept, so each request computes its own"
        );
        assert_eq!(most, 10, "and none waits for another");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn misses_behind_an_answer_not_kept_then_compute_side_by_side() {
        let (made, most) =
            ten_concurrent_misses(Arc::new(ResponseCache::new(1 << 20)), false).await;
        assert_eq!(made, 10);
        // The first computes alone; the nine waiting for it then compute at once.
        assert_eq!(most, 9);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn misses_behind_an_answer_a_write_reached_compute_it_once_more_not_each() {
        let c = Arc::new(ResponseCache::new(1 << 20));
        let made = Arc::new(AtomicU64::new(0));
        let requests = (0..10).map(|_| {
            let (c, made) = (c.clone(), made.clone());
            tokio::spawn(async move {
                let cache = c.clone();
                c.get_or_make("k".into(), || async move {
                    if made.fetch_add(1, Ordering::SeqCst) == 0 {
                        // A write lands while the first answer is computed: it is not kept.
                        cache.invalidate();
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Ok::<_, ()>(((*body("made")).clone(), true))
                })
                .await
            })
        });
        for r in futures_util::future::join_all(requests).await {
            assert_eq!(&r.unwrap().unwrap().body[..], b"made");
        }
        assert_eq!(
            made.load(Ordering::SeqCst),
            2,
            "once, then once more after the write"
        );
        assert!(c.get("k").is_some(), "the second answer is kept");
        assert!(c.inflight.lock().unwrap().is_empty(), "gates are cleared");
    }

    #[test]
    fn a_write_hides_everything_cached_before_it() {
        let c = ResponseCache::new(1 << 20);
        let m = c.mark();
        c.put("a".into(), m, body("one"));
        assert!(c.get("a").is_some());
        c.invalidate();
        assert!(c.get("a").is_none());
        // A response computed before the write is not kept after it.
        c.put("b".into(), m, body("two"));
        assert!(c.get("b").is_none());
    }

    #[test]
    fn a_response_computed_across_a_change_is_kept_only_if_the_change_misses_it() {
        let c = ResponseCache::new(1 << 20);
        let m = c.mark();
        c.apply(Stale::topics(vec![Topic::TagLists("a".into())]));
        c.put(
            "a".into(),
            m,
            shown("a", Shows::topics([Topic::TagLists("a".into())])),
        );
        c.put(
            "b".into(),
            m,
            shown("b", Shows::topics([Topic::TagLists("b".into())])),
        );
        assert!(c.get("a").is_none());
        assert!(c.get("b").is_some());
        // Nothing reaches it: nothing goes.
        c.apply(Stale::nothing());
        assert!(c.get("b").is_some());
    }
}
