//! `newsdesk seed`: a reproducible synthetic corpus for benchmarks. The same `--rng-seed` on
//! an empty database gives the same articles, tags, authors, comments and counters.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::cli::SeedArgs;
use crate::db::{
    self, ArticleContent, ArticleTagLink, Byline, DbConn, DbError, NewArticle, NewComment, NewTag,
    NewUser, RelatedLink, ShareCount, TagRow,
};
use crate::domain::{ArticleStatus, CommentStatus, Role, ShareNetwork};
use crate::service::{auth, text, AppState};

mod vocab;
use vocab::{Vocabulary, NEWS_WORDS};

const AUTHORS: usize = 20;
const CHUNK: usize = 500;
/// Connections a PostgreSQL seed loads over (the machines we bench on have two cores).
const LOAD_CONNECTIONS: usize = 2;

/// A skewed pick: low indexes far more often, as real tag use is.
fn skewed(rng: &mut StdRng, n: usize) -> usize {
    let x: f64 = rng.random();
    ((x * x * x) * n as f64) as usize % n.max(1)
}

fn anchor() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

fn ensure_authors(c: &mut DbConn, password_hash: &str) -> Result<Vec<i64>, DbError> {
    let mut ids = Vec::with_capacity(AUTHORS);
    for i in 1..=AUTHORS {
        let email = format!("seed-author-{i}@newsdesk.example");
        let id = match db::users::find_by_email(c, &email)? {
            Some(u) => u.id,
            None => {
                db::users::insert(
                    c,
                    &NewUser {
                        email,
                        slug: format!("seed-author-{i}"),
                        name: format!("Seed Author {i}"),
                        role: Role::Author,
                        password_hash: password_hash.to_owned(),
                        bio: Some("A synthetic author for benchmarks.".into()),
                        avatar_url: None,
                        token_version: 1,
                        created_at: anchor(),
                        updated_at: anchor(),
                    },
                )?
                .id
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

fn ensure_tags(c: &mut DbConn, n: u64) -> Result<Vec<TagRow>, DbError> {
    let missing: Vec<NewTag> = (1..=n)
        .filter_map(|i| {
            let slug = format!("topic-{i}");
            match db::tags::find_by_slug(c, &slug) {
                Ok(Some(_)) => None,
                _ => Some(NewTag {
                    slug,
                    name: format!("Topic {i}"),
                    description: None,
                    created_at: anchor(),
                    updated_at: anchor(),
                }),
            }
        })
        .collect();
    for chunk in missing.chunks(CHUNK) {
        db::tags::bulk_insert(c, chunk)?;
    }
    let wanted: Vec<String> = (1..=n).map(|i| format!("topic-{i}")).collect();
    let mut rows = db::tags::find_by_slugs(c, &wanted)?;
    rows.sort_by_key(|t| t.slug[6..].parse::<u64>().unwrap_or(0));
    Ok(rows)
}

pub async fn run(state: &AppState, args: &SeedArgs) -> Result<(), String> {
    if args.articles == 0 {
        return Err("--articles must be at least 1".into());
    }
    if args.tags == 0 {
        return Err("--tags must be at least 1".into());
    }
    let password_hash = auth::hash_password_async("seed-author-password".into())
        .await
        .map_err(|e| e.problem().detail)?;
    let db = state.db.clone();
    let args = args.clone();
    tokio::task::spawn_blocking(move || seed_blocking(&db, &args, &password_hash))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("seeding failed: {e}"))
}

fn seed_blocking(db: &db::Db, args: &SeedArgs, password_hash: &str) -> Result<(), DbError> {
    let started = std::time::Instant::now();
    let mut conn = db.get()?;
    let c: &mut DbConn = &mut conn;
    let (authors, tags) = db::in_transaction(c, |c| {
        Ok::<_, DbError>((
            ensure_authors(c, password_hash)?,
            ensure_tags(c, args.tags)?,
        ))
    })?;
    let tag_ids: Vec<i64> = tags.iter().map(|t| t.id).collect();
    // What the articles' cards show of their tags and authors.
    let shown: HashMap<i64, (String, String)> =
        tags.into_iter().map(|t| (t.id, (t.slug, t.name))).collect();
    let signers: HashMap<i64, (String, String)> = db::users::find_by_ids(c, &authors)?
        .into_iter()
        .map(|u| (u.id, (u.slug, u.name)))
        .collect();
    let first_index = db::articles::count_all(c)? + 1;
    let corpus = Corpus {
        args,
        first_index,
        authors: &authors,
        tag_ids: &tag_ids,
        shown: &shown,
        signers: &signers,
        vocabulary: Vocabulary::new(tag_ids.len()),
    };
    let bar = ProgressBar::new(args.articles);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} seeding [{bar:40}] {pos}/{len} articles ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    // PostgreSQL spends the load turning bodies into search vectors, one core per
    // connection: a second connection loads other chunks meanwhile. SQLite has one writer.
    let workers = match db.dialect() {
        db::Dialect::Postgres => LOAD_CONNECTIONS,
        db::Dialect::Sqlite => 1,
    };
    let chunks = args.articles.div_ceil(CHUNK as u64);
    let next = AtomicU64::new(0);
    let failed = AtomicBool::new(false);
    let load = |c: &mut DbConn| -> Result<(), DbError> {
        let others = (1..workers)
            .map(|_| db.get())
            .collect::<Result<Vec<_>, _>>()?;
        std::thread::scope(|s| {
            let helpers: Vec<_> = others
                .into_iter()
                .map(|mut conn| {
                    let (corpus, next, failed, bar) = (&corpus, &next, &failed, &bar);
                    s.spawn(move || corpus.load_chunks(&mut conn, chunks, next, failed, bar))
                })
                .collect();
            let mut result = corpus.load_chunks(c, chunks, &next, &failed, &bar);
            for h in helpers {
                let helped = h
                    .join()
                    .unwrap_or_else(|_| Err(DbError::Other("a seeding thread panicked".into())));
                result = result.and(helped);
            }
            result
        })
    };
    // A load that at least doubles the corpus builds the search index once, after it.
    if first_index - 1 <= args.articles as i64 {
        db::search::with_index_built_after(db, c, load)?;
    } else {
        load(c)?;
    }
    bar.finish_and_clear();
    // Fresh statistics, so the planner picks the list indexes on the new corpus.
    db.analyze()?;
    println!(
        "seeded {} articles, {} tags, {} authors in {:.1}s",
        args.articles,
        tag_ids.len(),
        authors.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// What every chunk of a seed is drawn from.
struct Corpus<'a> {
    args: &'a SeedArgs,
    first_index: i64,
    authors: &'a [i64],
    tag_ids: &'a [i64],
    /// Tags' and authors' (slug, name) by id, for the cards.
    shown: &'a HashMap<i64, (String, String)>,
    signers: &'a HashMap<i64, (String, String)>,
    vocabulary: Vocabulary,
}

/// Articles and what hangs off each, before they have ids.
type Plan = (Vec<i64>, Vec<i64>, Vec<(ShareNetwork, i64)>, u64);

impl Corpus<'_> {
    /// Takes chunk numbers from `next` and stores each in its own transaction, until none is
    /// left or another connection failed.
    fn load_chunks(
        &self,
        c: &mut DbConn,
        chunks: u64,
        next: &AtomicU64,
        failed: &AtomicBool,
        bar: &ProgressBar,
    ) -> Result<(), DbError> {
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= chunks || failed.load(Ordering::Relaxed) {
                return Ok(());
            }
            let (rows, plans) = self.chunk(k);
            let stored = db::in_transaction(c, |c| self.store(c, &rows, &plans));
            if stored.is_err() {
                failed.store(true, Ordering::Relaxed);
                return stored;
            }
            bar.inc(rows.len() as u64);
        }
    }

    /// Chunk `k`: its own random stream, so the corpus is the same whichever connection
    /// loads it, and in whatever order.
    fn chunk(&self, k: u64) -> (Vec<NewArticle>, Vec<Plan>) {
        let (args, authors, tag_ids, vocabulary) =
            (self.args, self.authors, self.tag_ids, &self.vocabulary);
        let mut rng = StdRng::seed_from_u64(args.rng_seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let done = k * CHUNK as u64;
        let n = (args.articles - done).min(CHUNK as u64) as usize;
        let mut rows = Vec::with_capacity(n);
        let mut plans = Vec::with_capacity(n);
        for j in 0..n {
            let index = self.first_index + (done as i64) + j as i64;
            let published = anchor() - Duration::minutes(index * 7);
            let status = match rng.random_range(0..100) {
                0..=94 => ArticleStatus::Published,
                95..=97 => ArticleStatus::Draft,
                _ => ArticleStatus::Archived,
            };
            let views: i64 = (rng.random::<f64>().powi(4) * 50_000.0) as i64;
            let n_tags = rng.random_range(1..=4usize.min(tag_ids.len()));
            // Tag positions into `tag_ids`; the first (primary) tag gives the text its topic.
            let mut picks: Vec<usize> = Vec::with_capacity(n_tags);
            while picks.len() < n_tags {
                let t = skewed(&mut rng, tag_ids.len());
                if !picks.contains(&t) {
                    picks.push(t);
                }
            }
            let tags: Vec<i64> = picks.iter().map(|&t| tag_ids[t]).collect();
            let t = vocabulary.title(&mut rng, picks[0]);
            let b = vocabulary.body(&mut rng, picks[0]);
            let comments = args.comments_per_article;
            let mut shares: Vec<(ShareNetwork, i64)> = Vec::new();
            for network in ShareNetwork::ALL {
                if rng.random_bool(0.3) {
                    shares.push((*network, rng.random_range(1..200)));
                }
            }
            // One story in eight has a second reporter on its byline.
            let primary = authors[skewed(&mut rng, authors.len())];
            let mut byline = vec![primary];
            if authors.len() > 1 && rng.random_bool(0.125) {
                let second = authors[skewed(&mut rng, authors.len())];
                if second != primary {
                    byline.push(second);
                }
            }
            rows.push(NewArticle {
                content: ArticleContent {
                    slug: format!(
                        "{}-{index}",
                        crate::domain::Slug::derive(&t)
                            .map(|s| s.into_string())
                            .unwrap_or_else(|| "article".into())
                    ),
                    excerpt: text::excerpt(&b),
                    excerpt_is_custom: false,
                    body_html: text::render_article(&b),
                    reading_time_minutes: text::reading_time_minutes(&b),
                    body: b,
                    title: t,
                    subtitle: None,
                    dateline: Some(
                        ["London", "Washington", "Berlin", "Nairobi", "Tokyo"][index as usize % 5]
                            .into(),
                    ),
                    image_url: Some(format!("https://cdn.example.com/seed/{index}.webp")),
                    image_alt: None,
                    image_caption: None,
                    image_credit: Some("© Newsdesk Seed".into()),
                    status,
                    published_at: (status != ArticleStatus::Draft).then_some(published),
                },
                author_id: primary,
                created_at: published,
                updated_at: published,
                view_count: views,
                share_count: shares.iter().map(|(_, n)| n).sum(),
                comment_count: if status == ArticleStatus::Published {
                    comments as i64
                } else {
                    0
                },
                version: 1,
            });
            plans.push((tags, byline, shares, comments));
        }
        (rows, plans)
    }

    /// One chunk with its tags, bylines, related links, share counts and comments.
    fn store(&self, c: &mut DbConn, rows: &[NewArticle], plans: &[Plan]) -> Result<(), DbError> {
        // Matched by slug: neither database promises RETURNING's order.
        let by_slug: HashMap<String, i64> = db::articles::bulk_insert(c, rows)?
            .into_iter()
            .map(|(id, slug)| (slug, id))
            .collect();
        let ids = rows
            .iter()
            .map(|r| {
                by_slug
                    .get(&r.content.slug)
                    .copied()
                    .ok_or_else(|| DbError::Other(format!("{} was not stored", r.content.slug)))
            })
            .collect::<Result<Vec<i64>, DbError>>()?;
        let mut links = Vec::new();
        let mut bylines = Vec::new();
        let mut related = Vec::new();
        let mut share_rows = Vec::new();
        let mut comment_rows = Vec::new();
        let mut cards = Vec::with_capacity(ids.len());
        let mut uncarded = Vec::new();
        for (j, ((id, row), (tags, byline, shares, comments))) in
            ids.iter().zip(rows).zip(plans).enumerate()
        {
            for (position, user_id) in byline.iter().enumerate() {
                bylines.push(Byline {
                    article_id: *id,
                    user_id: *user_id,
                    position: position as i32,
                });
            }
            for (position, tag_id) in tags.iter().enumerate() {
                links.push(ArticleTagLink {
                    article_id: *id,
                    tag_id: *tag_id,
                    position: position as i32,
                });
            }
            // One in ten curates the three stories before it in its chunk (never in another
            // chunk: that one may still be loading on the other connection).
            if j % 10 == 9 {
                for (position, back) in [1, 2, 3].iter().enumerate() {
                    related.push(RelatedLink {
                        article_id: *id,
                        related_id: ids[j - back],
                        position: position as i32,
                    });
                }
            }
            match (named(self.shown, tags), named(self.signers, byline)) {
                (Some(t), Some(a)) => {
                    let s: Vec<(&str, i64)> =
                        shares.iter().map(|(n, c)| (n.as_str(), *c)).collect();
                    cards.push((*id, db::articles::card_text(&t, &a, &s)));
                }
                // Not among the seed's own tags and authors: built from its links once stored.
                _ => uncarded.push(*id),
            }
            for (network, count) in shares {
                share_rows.push(ShareCount {
                    article_id: *id,
                    network: network.as_str().into(),
                    count: *count,
                });
            }
            if row.content.status == ArticleStatus::Published {
                for k in 0..*comments {
                    let body = format!(
                        "Comment {k} on this story: {}.",
                        NEWS_WORDS[(*id as usize + k as usize) % NEWS_WORDS.len()]
                    );
                    comment_rows.push(NewComment {
                        spam_reason: None,
                        article_id: *id,
                        parent_id: None,
                        user_id: None,
                        author_name: format!("Reader {}", (id + k as i64) % 997),
                        author_email: format!("reader{}@example.com", (id + k as i64) % 997),
                        body_html: format!("<p>{body}</p>"),
                        body,
                        status: CommentStatus::Approved,
                        created_at: row.created_at + Duration::minutes(k as i64 + 1),
                        updated_at: row.created_at + Duration::minutes(k as i64 + 1),
                    });
                }
            }
        }
        for chunk in links.chunks(CHUNK * 2) {
            db::articles::bulk_insert_tags(c, chunk)?;
        }
        for chunk in bylines.chunks(CHUNK * 2) {
            db::articles::bulk_insert_bylines(c, chunk)?;
        }
        for chunk in related.chunks(CHUNK * 2) {
            db::articles::bulk_insert_related(c, chunk)?;
        }
        for chunk in share_rows.chunks(CHUNK * 2) {
            db::articles::bulk_insert_shares(c, chunk)?;
        }
        for chunk in cards.chunks(CHUNK * 2) {
            db::articles::bulk_insert_cards(c, chunk)?;
        }
        db::articles::rebuild_cards(c, db::articles::Cards::Of(&uncarded))?;
        for chunk in comment_rows.chunks(CHUNK) {
            db::comments::bulk_insert(c, chunk)?;
        }
        // The summaries lists write out, rendered from what was just stored.
        crate::service::articles::render(c, &ids).map_err(|e| DbError::Other(e.to_string()))?;
        Ok(())
    }
}

/// `ids` with their (slug, name) in `names`; `None` if one is not there.
fn named<'n>(
    names: &'n HashMap<i64, (String, String)>,
    ids: &[i64],
) -> Option<Vec<(i64, &'n str, &'n str)>> {
    ids.iter()
        .map(|id| {
            names
                .get(id)
                .map(|(slug, name)| (*id, slug.as_str(), name.as_str()))
        })
        .collect()
}
