//! The contract's edges: unknown routes, wrong methods, health, the OpenAPI snapshot,
//! migrations, and start-up with bad configuration.

use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    async fn unknown_routes_are_404_and_wrong_methods_405_as_problems(app) {
        problem(app.get("/nope").send().await.unwrap(), StatusCode::NOT_FOUND).await;
        problem(app.get("/api/v1/nope/deeper").send().await.unwrap(), StatusCode::NOT_FOUND).await;
        let res = app.delete("/api/v1/tags").send().await.unwrap();
        let allow = res.headers()["allow"].to_str().unwrap().to_owned();
        assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
        problem(res, StatusCode::METHOD_NOT_ALLOWED).await;
        problem(app.put("/api/v1/articles/some-slug").send().await.unwrap(), StatusCode::METHOD_NOT_ALLOWED).await;
    }
);

both_backends!(
    async fn health_and_readiness_answer(app) {
        let live = json_of(app.get("/healthz").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(live["status"], "ok");
        let ready = json_of(app.get("/readyz").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(ready["status"], "ready");
        let doc = json_of(app.get("/api/v1/openapi.json").send().await.unwrap(), StatusCode::OK).await;
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    }
);

#[test]
fn openapi_document_matches_its_snapshot() {
    let doc = serde_json::to_string_pretty(&newsdesk::rest::openapi()).unwrap() + "\n";
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &doc).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == doc,
        "the OpenAPI document changed; review it and refresh with UPDATE_SNAPSHOTS=1 cargo test openapi"
    );
}

#[test]
fn openapi_document_covers_every_contract_path() {
    let doc = serde_json::to_value(newsdesk::rest::openapi()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/me", "patch"),
        ("/api/v1/articles", "get"),
        ("/api/v1/articles", "post"),
        ("/api/v1/articles/{slug}", "get"),
        ("/api/v1/articles/{slug}", "patch"),
        ("/api/v1/articles/{slug}", "delete"),
        ("/api/v1/articles/{slug}/related", "get"),
        ("/api/v1/articles/{slug}/related", "put"),
        ("/api/v1/articles/{slug}/views", "post"),
        ("/api/v1/articles/{slug}/shares", "post"),
        ("/api/v1/articles/{slug}/comments", "get"),
        ("/api/v1/articles/{slug}/comments", "post"),
        ("/api/v1/comments", "get"),
        ("/api/v1/comments/{id}", "patch"),
        ("/api/v1/comments/{id}", "delete"),
        ("/api/v1/tags", "get"),
        ("/api/v1/tags", "post"),
        ("/api/v1/tags/{slug}", "get"),
        ("/api/v1/tags/{slug}", "patch"),
        ("/api/v1/tags/{slug}", "delete"),
        ("/api/v1/authors/{slug}", "get"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/users/{id}", "delete"),
        ("/api/v1/openapi.json", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is missing"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Article",
        "ArticleSummary",
        "CreateArticle",
        "UpdateArticle",
        "Problem",
        "Comment",
        "Tag",
        "User",
        "LoginResponse",
    ] {
        assert!(schemas.contains_key(name), "schema {name} is missing");
    }
}

#[test]
fn both_migration_folders_hold_the_same_migrations() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
}

#[test]
fn bad_configuration_stops_startup_with_one_clear_line() {
    for (var, value, expect) in [
        ("DATABASE_URL", "mysql://localhost/x", "unknown scheme"),
        ("NEWSDESK_JWT_SECRET", "short", "at least 32 bytes"),
        ("NEWSDESK_TOKEN_TTL", "forever", "NEWSDESK_TOKEN_TTL"),
        (
            "DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none",
            "cannot open the database",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
            .arg("migrate")
            .env(var, value)
            .env("RUST_LOG", "off")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{var}={value} should fail");
        assert!(stderr.contains(expect), "{var}={value}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(!stderr.contains("panicked"));
    }
}

/// A SQLite file seeded by the `seed` command (40 articles, 5 tags), removed when dropped.
struct SeededFile(std::path::PathBuf);

impl SeededFile {
    fn new(name: &str) -> Self {
        Self::with_articles(name, 40)
    }

    fn with_articles(name: &str, articles: u32) -> Self {
        let path =
            std::env::temp_dir().join(format!("newsdesk_seed_{}_{name}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let file = SeededFile(path);
        seed(&file.url(), articles);
        file
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.0.display())
    }

    fn db(&self) -> newsdesk::db::Db {
        newsdesk::db::Db::connect(&newsdesk::db::DbOptions::primary(&self.url(), 1)).unwrap()
    }
}

impl Drop for SeededFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// The SQLite connection under a seeded file's pooled one, for statements the app never
/// makes (editing the corpus under a test, counting plainly).
fn sqlite(c: &mut newsdesk::db::DbConn) -> &mut diesel::SqliteConnection {
    let newsdesk::db::DbConn::Sqlite(raw) = c else {
        unreachable!("a seeded file is SQLite")
    };
    raw
}

/// Runs `newsdesk seed` (5 tags, 2 comments per article, seed 7) into `url`.
fn seed(url: &str, articles: u32) {
    let articles = articles.to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .args([
            "seed",
            "--articles",
            &articles,
            "--tags",
            "5",
            "--comments-per-article",
            "2",
            "--rng-seed",
            "7",
        ])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One seeded article: its slug, tags, curated related slugs, share and comment counts.
type SeededArticle = (String, Vec<String>, Vec<String>, i64, i64);

/// What a seeded corpus holds, by slug (not ids: a parallel load gives out ids in the order
/// chunks finish).
fn corpus_of(db: &newsdesk::db::Db) -> Vec<SeededArticle> {
    use newsdesk::db::articles::{self, ArticleFilter, Paging, SortKey, StatusFilter};
    let mut c = db.get().unwrap();
    let mut all = ArticleFilter::public(chrono::Utc::now().naive_utc());
    all.status = StatusFilter::Any;
    let rows = articles::list(
        &mut c,
        &all,
        SortKey::Oldest,
        Paging::Offset {
            offset: 0,
            limit: 5_000,
        },
        articles::Plan::Gather,
    )
    .unwrap()
    .rows;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let tags = articles::tags_for(&mut c, &ids).unwrap();
    let mut corpus: Vec<_> = rows
        .into_iter()
        .map(|r| {
            let mine = tags
                .iter()
                .filter(|t| t.0 == r.id)
                .map(|t| t.2.clone())
                .collect();
            let curated = articles::curated_slugs(&mut c, r.id).unwrap();
            (r.slug, mine, curated, r.share_count, r.comment_count)
        })
        .collect();
    corpus.sort();
    corpus
}

#[test]
fn seeding_is_reproducible_and_fills_the_corpus() {
    let first = corpus_of(&SeededFile::new("a").db());
    let second = corpus_of(&SeededFile::new("b").db());
    assert_eq!(first.len(), 40);
    assert_eq!(first, second, "the same seed gives the same corpus");
    assert!(
        first.iter().all(|(_, tags, ..)| !tags.is_empty()),
        "every article has at least one tag"
    );
    let shared: i64 = first.iter().map(|a| a.3).sum();
    let commented: i64 = first.iter().map(|a| a.4).sum();
    assert!(
        shared > 0 && commented > 0,
        "counters and comments are filled"
    );
    let curated = first.iter().filter(|a| !a.2.is_empty()).count();
    assert_eq!(curated, 4, "one article in ten has a curated related list");
}

/// Seeds `articles` into a fresh PostgreSQL test database and runs `work` on it, off the
/// runtime; `None` when the PostgreSQL run is skipped.
async fn on_seeded_postgres<T: Send + 'static>(
    articles: u32,
    work: impl FnOnce(&newsdesk::db::Db) -> T + Send + 'static,
) -> Option<T> {
    let app = TestApp::postgres().await?;
    let url = app.database_url().to_owned();
    let db = app.state.db.clone();
    let done = tokio::task::spawn_blocking(move || {
        seed(&url, articles);
        work(&db)
    })
    .await
    .unwrap();
    Some(done)
}

/// PostgreSQL loads a seed's chunks over two connections at once, in whichever order they
/// finish: the corpus is still the one SQLite, loading them in order, gets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "TEST_DATABASE_URL is unset: the PostgreSQL run is skipped"
)]
async fn a_postgres_seed_loaded_over_two_connections_is_the_sqlite_corpus() {
    // Five chunks: both connections take some.
    let Some((on_pg, on_sqlite)) = on_seeded_postgres(2_300, |db| {
        cards_say_what_links_say(&mut db.get().unwrap(), 2_300);
        let file = SeededFile::with_articles("pg_twin", 2_300);
        (corpus_of(db), corpus_of(&file.db()))
    })
    .await
    else {
        return;
    };
    assert_eq!(on_pg.len(), 2_300);
    assert!(on_pg == on_sqlite, "the same corpus on both backends");
}

/// A search matching more articles than its count's cap walks the list's own index on SQLite
/// (see `db::search::matches`): the same pages, in the same order, as gathering every match.
#[test]
fn a_search_walking_the_list_finds_what_gathering_the_matches_finds() {
    use newsdesk::db::articles::{self, ArticleFilter, Paging, Plan, SortKey};
    use newsdesk::db::search::SearchTerms;
    let file = SeededFile::new("walk");
    let db = file.db();
    let mut c = db.get().unwrap();
    let now = chrono::Utc::now().naive_utc();
    // News words are each in a fifth to a third of the seeded articles: the most common of
    // these matches a good part of the corpus.
    let (filter, exact) = ["council", "election", "energy", "budget", "housing", "jobs"]
        .iter()
        .map(|w| {
            let mut f = ArticleFilter::public(now);
            f.search = SearchTerms::parse(w);
            let (n, exact) = articles::count(&mut c, &f, None).unwrap();
            assert!(exact);
            (f, n)
        })
        .max_by_key(|(_, n)| *n)
        .unwrap();
    assert!(exact >= 8, "a word matches several articles ({exact})");
    // Capped below the matches: counted walking, up to the cap, and said to be a bound.
    assert_eq!(
        articles::count(&mut c, &filter, Some(5)).unwrap(),
        (5, false)
    );
    assert_eq!(
        articles::count(&mut c, &filter, Some(exact + 10)).unwrap(),
        (exact, true)
    );
    for sort in [SortKey::Latest, SortKey::Oldest, SortKey::Popular] {
        for offset in [0, 3] {
            let mut page = |plan| {
                let paging = Paging::Offset { offset, limit: 4 };
                articles::list(&mut c, &filter, sort, paging, plan)
                    .unwrap()
                    .rows
                    .into_iter()
                    .map(|r| r.id)
                    .collect::<Vec<i64>>()
            };
            let (gathered, walked) = (page(Plan::Gather), page(Plan::Walk));
            assert_eq!(gathered.len(), 4);
            assert_eq!(gathered, walked, "{sort:?} from {offset}");
        }
    }
}

/// A search's page walks the list only where that is cheaper than gathering its matches: past
/// the count's cap always; below it, when the page lies near the top of a large match set.
#[test]
fn a_search_page_walks_only_where_walking_costs_less() {
    use newsdesk::db::articles::{self, ArticleFilter, Plan};
    use newsdesk::db::search::SearchTerms;
    let file = SeededFile::new("plan");
    let db = file.db();
    let mut c = db.get().unwrap();
    let mut search = ArticleFilter::public(chrono::Utc::now().naive_utc());
    search.search = SearchTerms::parse("council");
    let mut plan =
        |f: &ArticleFilter, total, reach| articles::plan_for(&mut c, f, total, reach).unwrap();
    // The seeded corpus has 40 articles; the totals stand for what a larger one would count.
    // (So any walk is short: very many matches are read into memory rather than into
    // SQLite's temporary index.)
    assert_eq!(
        plan(&search, (10_000, false), 21),
        Plan::WalkInMemory,
        "past the cap"
    );
    assert_eq!(
        plan(&search, (5_000, true), 21),
        Plan::WalkInMemory,
        "very many matches, first page"
    );
    assert_eq!(plan(&search, (30, true), 21), Plan::Gather, "few matches");
    assert_eq!(
        plan(&search, (500, true), 21),
        Plan::Walk,
        "many matches, first page"
    );
    assert_eq!(
        plan(&search, (500, true), 1_000_000),
        Plan::Gather,
        "many matches, deep page"
    );
    let unsearched = ArticleFilter::public(chrono::Utc::now().naive_utc());
    assert_eq!(
        plan(&unsearched, (500, true), 21),
        Plan::Gather,
        "no search"
    );
    // An editor's list of any status has no index in its order: walking it reads the table.
    let mut any_status = search.clone();
    any_status.status = articles::StatusFilter::Any;
    assert_eq!(
        plan(&any_status, (500, true), 21),
        Plan::Gather,
        "no index to walk"
    );
}

/// A search walked, in SQL or in memory, finds exactly the page that gathering and sorting
/// finds, for every sort, paging and density, across several batches of the walk; and
/// counts alike.
#[test]
fn a_walked_search_page_is_the_gathered_page() {
    use newsdesk::db::articles::{self, ArticleFilter, Paging, Plan, SortKey};
    use newsdesk::db::search::{self, SearchTerms};
    let file = SeededFile::with_articles("walk_densities", 1_500);
    let db = file.db();
    let mut c = db.get().unwrap();
    let now = chrono::Utc::now().naive_utc();
    // Words of every density: the distinct words of the newest titles, by how many match.
    let titles: Vec<String> = articles::list(
        &mut c,
        &ArticleFilter::public(now),
        SortKey::Latest,
        Paging::Offset {
            offset: 0,
            limit: 60,
        },
        Plan::Gather,
    )
    .unwrap()
    .rows
    .into_iter()
    .map(|r| r.title.to_lowercase())
    .collect();
    let mut words: Vec<(usize, String)> = Vec::new();
    for word in titles
        .iter()
        .flat_map(|t| t.split(|ch: char| !ch.is_alphanumeric()))
    {
        if word.len() < 3 || words.iter().any(|(_, w)| w == word) {
            continue;
        }
        let terms = SearchTerms::parse(word).unwrap();
        let n = search::index_matches(&mut c, &terms).unwrap().unwrap() as usize;
        words.push((n, word.to_owned()));
    }
    words.sort();
    let picks: Vec<&(usize, String)> = [0, words.len() / 3, 2 * words.len() / 3, words.len() - 1]
        .iter()
        .map(|&i| &words[i])
        .collect();
    assert!(picks[3].0 > 200 && picks[0].0 < 50, "densities: {picks:?}");
    for (matched, word) in picks {
        let mut f = ArticleFilter::public(now);
        f.search = SearchTerms::parse(word);
        every_plan_pages_alike(&mut c, &f, &format!("{word} ({matched} matches)"));
        let exact = articles::count(&mut c, &f, None).unwrap();
        let capped = articles::count(&mut c, &f, Some(40)).unwrap();
        assert_eq!(
            capped,
            (exact.0.min(40), exact.0 <= 40),
            "{word}: counted {exact:?}"
        );
    }
}

/// A search's total is its public matches whichever way it is counted: one by one, or
/// (SQLite, many matches) as the search index's matches less the hidden articles among them,
/// with drafts, archived and scheduled articles among the matches, at every cap.
#[test]
fn a_search_counts_only_its_public_matches_however_it_is_counted() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use newsdesk::db::articles::{self, ArticleFilter};
    use newsdesk::db::search::{self, SearchTerms};
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let file = SeededFile::with_articles("search_totals", 1_500);
    let db = file.db();
    let mut c = db.get().unwrap();
    let raw = sqlite(&mut c);
    raw.batch_execute(
        "UPDATE articles SET published_at = datetime('now', '+30 days') \
         WHERE id % 7 = 0 AND status = 'published'; \
         UPDATE articles SET status = 'draft' WHERE id % 11 = 0; \
         UPDATE articles SET status = 'archived' WHERE id % 13 = 0;",
    )
    .unwrap();
    let now = chrono::Utc::now().naive_utc();
    let mut counted_by_subtraction = 0;
    for word in ["said", "year", "the", "council", "election", "energy"] {
        let terms = SearchTerms::parse(word).unwrap();
        let indexed = search::index_matches(&mut c, &terms).unwrap().unwrap();
        let raw = sqlite(&mut c);
        // The public matches, counted plainly.
        let public = diesel::sql_query(
            "SELECT count(*) AS n FROM articles WHERE status = 'published' \
             AND published_at <= ? AND id IN \
             (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)",
        )
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .bind::<diesel::sql_types::Text, _>(format!("\"{word}\""))
        .get_result::<Count>(raw)
        .unwrap()
        .n;
        assert!(
            public < indexed,
            "{word}: hidden articles match ({public} of {indexed})"
        );
        if indexed > 1_000 {
            counted_by_subtraction += 1;
        }
        let mut f = ArticleFilter::public(now);
        f.search = Some(terms);
        assert_eq!(
            articles::count(&mut c, &f, None).unwrap(),
            (public, true),
            "{word}"
        );
        for cap in [5, public - 1, public, public + 1, indexed - 1]
            .into_iter()
            .filter(|n| *n > 0)
        {
            assert_eq!(
                articles::count(&mut c, &f, Some(cap)).unwrap(),
                (public.min(cap), public <= cap),
                "{word}, cap {cap}"
            );
        }
    }
    assert!(
        counted_by_subtraction > 0,
        "a word matches over 1,000 articles"
    );
}

/// Ids need not follow publication (an archive imported late, a story written long before it
/// ran): a walk whose batches hold ids from both ends of the table checks each run of nearby
/// ids, and still finds exactly the gathered page.
#[test]
fn a_walked_search_page_is_the_gathered_page_when_ids_do_not_follow_publication() {
    use diesel::connection::SimpleConnection;
    use newsdesk::db::articles::ArticleFilter;
    use newsdesk::db::search::SearchTerms;
    let file = SeededFile::with_articles("walk_disorder", 1_500);
    let db = file.db();
    let mut c = db.get().unwrap();
    // Every third article takes the time of its mirror at the other end of the ids, just
    // before it: the newest stories interleave the lowest ids with the highest.
    let raw = sqlite(&mut c);
    raw.batch_execute(
        "UPDATE articles SET published_at = COALESCE((SELECT datetime(o.published_at, '-1 seconds') \
         FROM articles o WHERE o.id = 1501 - articles.id), published_at) \
         WHERE id % 3 = 0 AND published_at IS NOT NULL",
    )
    .unwrap();
    let now = chrono::Utc::now().naive_utc();
    for word in ["said", "year", "council"] {
        let mut f = ArticleFilter::public(now);
        f.search = SearchTerms::parse(word);
        every_plan_pages_alike(&mut c, &f, word);
    }
    matches_in_ranges_are_each_ranges_matches(&mut c, 1_500);
}

/// `search::matching_ids_in` over several ranges finds each range's matches and no others.
fn matches_in_ranges_are_each_ranges_matches(c: &mut newsdesk::db::DbConn, corpus: i64) {
    use newsdesk::db::search::{self, SearchTerms};
    let terms = SearchTerms::parse("said").unwrap();
    let all = search::matching_ids_in(c, &terms, &[(1, i64::MAX)]).unwrap();
    let runs = [
        (1, corpus / 10),
        (corpus / 2, corpus / 2 + corpus / 10),
        (corpus - corpus / 10, corpus),
    ];
    let within: Vec<i64> = all
        .iter()
        .copied()
        .filter(|id| runs.iter().any(|(lo, hi)| lo <= id && id <= hi))
        .collect();
    assert!(within.len() > 10 && within.len() < all.len(), "{within:?}");
    assert_eq!(search::matching_ids_in(c, &terms, &runs).unwrap(), within);
    assert!(search::matching_ids_in(c, &terms, &[]).unwrap().is_empty());
}

/// Every plan gives `f` the same pages as gathering its matches: three sorts, offset pages,
/// keyset pages after and before a position, and the last page.
fn every_plan_pages_alike(
    c: &mut newsdesk::db::DbConn,
    f: &newsdesk::db::articles::ArticleFilter,
    label: &str,
) {
    use newsdesk::db::articles::{self, KeysetPos, Paging, Plan, SortKey};
    let ids = |rows: Vec<newsdesk::db::ArticleSummaryRow>| {
        rows.into_iter().map(|r| r.id).collect::<Vec<_>>()
    };
    for sort in [SortKey::Latest, SortKey::Oldest, SortKey::Popular] {
        let page =
            |c: &mut _, paging, plan| ids(articles::list(c, f, sort, paging, plan).unwrap().rows);
        let first = articles::list(
            c,
            f,
            sort,
            Paging::Offset {
                offset: 0,
                limit: 21,
            },
            Plan::Gather,
        )
        .unwrap()
        .rows;
        let pos: Option<KeysetPos> = first.get(9).map(|r| articles::position_of(r, sort));
        let mut pagings = vec![
            Paging::Offset {
                offset: 0,
                limit: 21,
            },
            Paging::Offset {
                offset: 50,
                limit: 21,
            },
            Paging::Before {
                pos: None,
                limit: 21,
            },
        ];
        if let Some(pos) = pos {
            pagings.push(Paging::After { pos, limit: 21 });
            pagings.push(Paging::Before {
                pos: Some(pos),
                limit: 21,
            });
        }
        for paging in pagings {
            let gathered = page(c, paging, Plan::Gather);
            for plan in [Plan::Walk, Plan::WalkInMemory] {
                let walked = page(c, paging, plan);
                assert_eq!(walked, gathered, "{label}, {sort:?}, {paging:?}, {plan:?}");
            }
        }
    }
}

/// Statuses and roles are read as their types: a stored value neither knows (written past
/// the database's CHECK) is an error, never silently read as some default.
#[test]
fn a_stored_status_or_role_the_types_do_not_know_is_an_error() {
    use diesel::connection::SimpleConnection;
    use newsdesk::db;
    let file = SeededFile::new("corrupt");
    let db = file.db();
    let mut c = db.get().unwrap();
    let (article, author) = {
        let row = db::articles::find_by_id(&mut c, 1).unwrap().unwrap();
        (row.id, row.author_id)
    };
    let raw = sqlite(&mut c);
    raw.batch_execute(&format!(
        "PRAGMA ignore_check_constraints = ON; \
         UPDATE articles SET status = 'pubished' WHERE id = {article}; \
         UPDATE users SET role = 'overlord' WHERE id = {author};"
    ))
    .unwrap();
    let article = db::articles::find_by_id(&mut c, article);
    assert!(article.is_err(), "{article:?}");
    let user = db::users::find_by_id(&mut c, author);
    assert!(user.is_err(), "{user:?}");
    let message = user.unwrap_err().to_string();
    assert!(message.contains("overlord"), "{message}");
}

/// What strict validators and client generators (openapi-python-client) insist on; CI also
/// runs openapi-spec-validator and a generated client against the served document.
#[test]
fn openapi_operations_are_named_described_and_tagged() {
    let doc = serde_json::to_value(newsdesk::rest::openapi()).unwrap();
    assert_eq!(doc["openapi"].as_str().unwrap().get(..3), Some("3.1"));
    assert!(doc["info"]["license"]["name"].is_string() && doc["info"]["contact"].is_object());
    assert!(doc["servers"][0]["url"].is_string());
    let declared: Vec<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert!(t["description"].is_string(), "{t}");
            t["name"].as_str().unwrap()
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            assert!(
                id.chars().next().unwrap().is_ascii_lowercase() && !id.contains('_'),
                "{id} is camelCase"
            );
            for tag in op["tags"].as_array().unwrap() {
                assert!(
                    declared.contains(&tag.as_str().unwrap()),
                    "{method} {path}: tag {tag} is not declared"
                );
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                let description = response["description"].as_str().unwrap_or("");
                assert!(
                    !description.is_empty(),
                    "{method} {path} {status} has no description"
                );
            }
        }
    }
}

/// The repository's own contract names every path the server serves.
#[test]
fn docs_api_md_names_every_path_of_the_openapi_document() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let contract = std::fs::read_to_string(root.join("docs/API.md")).unwrap();
    let doc = serde_json::to_value(newsdesk::rest::openapi()).unwrap();
    let named = |text: &str| {
        ["`", " ", "?"]
            .iter()
            .any(|end| contract.contains(&format!("{text}{end}")))
    };
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(named(path), "docs/API.md does not name {path}");
        for method in item.as_object().unwrap().keys() {
            let upper = method.to_uppercase();
            // One row names the tag writes at once: `POST/PATCH/DELETE /api/v1/tags[/{slug}]`.
            let tag_writes = path.starts_with("/api/v1/tags")
                && contract.contains("POST/PATCH/DELETE /api/v1/tags[/{slug}]");
            assert!(
                named(&format!("{upper} {path}")) || (tag_writes && upper != "GET"),
                "docs/API.md does not name {upper} {path}"
            );
        }
    }
    for (name, _, _) in newsdesk::config::ENVIRONMENT {
        assert!(
            contract.contains(&format!("`{name}`")),
            "docs/API.md does not name {name}"
        );
    }
}

/// The README links only to files in the repository, and names every variable.
#[test]
fn the_readme_stands_alone() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for (i, _) in readme.match_indices("](") {
        let target = readme[i + 2..].split(')').next().unwrap();
        if target.starts_with("http") || target.starts_with('#') {
            continue;
        }
        let file = target.split('#').next().unwrap();
        assert!(
            !file.starts_with(".."),
            "README links outside the repository: {target}"
        );
        assert!(
            root.join(file).exists(),
            "README links to a missing file: {target}"
        );
    }
    assert!(
        !readme.contains("../shared"),
        "README names files outside the repository"
    );
    for (name, _, _) in newsdesk::config::ENVIRONMENT {
        assert!(
            readme.contains(&format!("`{name}`")),
            "README does not name {name}"
        );
    }
}

/// Each command of the README's curl and GraphQL examples is in docs/examples.sh, which CI runs
/// against a fresh `serve --demo`: the README's examples cannot silently stop working.
#[test]
fn the_readme_examples_are_the_ones_ci_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let script = std::fs::read_to_string(root.join("docs/examples.sh")).unwrap();
    let section = readme.split("## Using the API with curl").nth(1).unwrap();
    let section = section.split("## Running on PostgreSQL").next().unwrap();
    let mut checked = 0;
    for block in section.split("```sh").skip(1) {
        let block = block.split("```").next().unwrap();
        for line in block.lines().map(str::trim_end) {
            let skip = line.trim().is_empty()
                || line.starts_with('#')
                || line.starts_with("BASE=")
                || line.starts_with("PASSWORD=");
            if !skip {
                assert!(
                    script.contains(line),
                    "docs/examples.sh does not run this README line:\n{line}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 30, "{checked} lines");
}

/// PostgreSQL guesses the same few thousand matches for every word its statistics do not
/// list: a search probes its matches off the GIN index before trusting that guess. A word in
/// no article is counted as none, a word in fewer than `PG_PROBE` articles exactly, and only a
/// word in more is estimated; each page is the same whichever way it is found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "TEST_DATABASE_URL is unset: the PostgreSQL run is skipped"
)]
async fn a_postgres_search_counts_what_it_can_and_estimates_only_many_matches() {
    use newsdesk::db::articles::{self, ArticleFilter, Paging, Plan, SortKey, PG_PROBE};
    use newsdesk::db::search::SearchTerms;
    // "said" is in about three seeded articles in four: past `PG_PROBE` here.
    on_seeded_postgres(4_500, |db| {
        let mut c = db.get().unwrap();
        let now = chrono::Utc::now().naive_utc();
        let search = |w: &str| {
            let mut f = ArticleFilter::public(now);
            f.search = SearchTerms::parse(w);
            f
        };
        let every = |c: &mut _, f: &ArticleFilter| {
            let all = Paging::Offset {
                offset: 0,
                limit: 10_000,
            };
            articles::list(c, f, SortKey::Latest, all, Plan::Walk)
                .unwrap()
                .rows
                .len() as i64
        };
        assert_eq!(
            articles::count(&mut c, &search("zzzqqq"), None).unwrap(),
            (0, true)
        );
        let year = search("year");
        let (n, exact) = articles::count(&mut c, &year, None).unwrap();
        assert!(exact && n > 100 && n <= PG_PROBE, "{n} {exact}");
        assert_eq!(n, every(&mut c, &year));
        let said = search("said");
        let (n, exact) = articles::count(&mut c, &said, None).unwrap();
        assert!(!exact && n > PG_PROBE, "{n} {exact}");
        assert!(every(&mut c, &said) > PG_PROBE);
        for (f, total, walk) in [
            (
                &year,
                articles::count(&mut c, &year, None).unwrap(),
                Plan::Gather,
            ),
            // Not a word PostgreSQL's statistics list as common: walked in memory.
            (&said, (n, exact), Plan::WalkInMemory),
        ] {
            assert_eq!(articles::plan_for(&mut c, f, total, 40).unwrap(), walk);
            every_plan_pages_alike(&mut c, f, &format!("{f:?}"));
        }
        // PostgreSQL checks a batch's ranges in one statement.
        matches_in_ranges_are_each_ranges_matches(&mut c, 4_500);
    })
    .await;
}

/// What `extras` shows of each of `ids`: its tags and byline in order, its share counts.
type Shown = Vec<(
    i64,
    Vec<(i64, String, String)>,
    Vec<(i64, String, String)>,
    Vec<(String, i64)>,
)>;

fn shown(ids: &[i64], e: &newsdesk::db::articles::SummaryExtras) -> Shown {
    ids.iter()
        .map(|id| {
            let authors = e
                .authors
                .get(id)
                .into_iter()
                .flatten()
                .map(|a| (a.id, a.slug.clone(), a.name.clone()))
                .collect();
            let mut shares = e.shares.get(id).cloned().unwrap_or_default();
            shares.sort();
            (
                *id,
                e.tags.get(id).cloned().unwrap_or_default(),
                authors,
                shares,
            )
        })
        .collect()
}

/// Every article of a seeded database (ids 1 to `n`) has a card, and it says what the links
/// say: the same tags and bylines in the same order, the same share counts.
fn cards_say_what_links_say(c: &mut newsdesk::db::DbConn, n: i64) -> Shown {
    use newsdesk::db::articles::{existing_ids, extras_from_links, summary_extras};
    let ids = existing_ids(c, &(1..=n).collect::<Vec<_>>()).unwrap();
    assert_eq!(ids.len() as i64, n);
    let linked = shown(&ids, &extras_from_links(c, &ids).unwrap());
    assert!(
        linked.iter().all(|(_, _, authors, _)| !authors.is_empty()),
        "every article has a byline"
    );
    assert!(
        linked.iter().any(|(_, tags, _, _)| tags.len() > 1),
        "some articles have several tags"
    );
    assert!(
        linked.iter().any(|(_, _, _, shares)| !shares.is_empty()),
        "some articles were shared"
    );
    assert_eq!(shown(&ids, &summary_extras(c, &ids).unwrap()), linked);
    linked
}

/// The seeder renders every article's summary as lists write it out, and each kept summary,
/// with the counters a list adds, is the summary built from the article's row and card.
#[test]
fn every_seeded_article_keeps_the_summary_built_from_its_row_and_card() {
    let file = SeededFile::with_articles("summaries", 300);
    let db = file.db();
    let mut c = db.get().unwrap();
    let unrendered = newsdesk::db::articles::unrendered(&mut c, 10).unwrap();
    assert_eq!(unrendered, Vec::<i64>::new());
    let ids: Vec<i64> = (1..=300).collect();
    let rows = newsdesk::db::articles::summaries_by_ids(&mut c, &ids).unwrap();
    let built: std::collections::HashMap<i64, serde_json::Value> =
        newsdesk::service::articles::assemble(&mut c, rows)
            .unwrap()
            .into_iter()
            .map(|s| (s.id, serde_json::to_value(&s).unwrap()))
            .collect();
    let kept = newsdesk::db::articles::ready_in_order(&mut c, &ids).unwrap();
    assert_eq!(kept.len(), 300);
    for row in kept {
        let text = row.summary.expect("a kept summary of the row's version");
        let listed = newsdesk::model::ListedSummary::Ready {
            id: row.keys.id,
            text,
            view_count: row.keys.view_count,
            comment_count: row.keys.comment_count,
        };
        let mut out = Vec::new();
        listed.write_json(&mut out).unwrap();
        let written: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(written, built[&row.keys.id]);
    }
}

/// The seeder keeps every article's card (built in memory, as the links' statement builds
/// it), and a missing or unreadable card is read through the links.
#[test]
fn every_seeded_card_says_what_the_links_say_and_a_missing_one_is_read_through_them() {
    use diesel::connection::SimpleConnection;
    use newsdesk::db::articles::summary_extras;
    let file = SeededFile::with_articles("cards", 300);
    let db = file.db();
    let mut c = db.get().unwrap();
    let linked = cards_say_what_links_say(&mut c, 300);
    let ids: Vec<i64> = linked.iter().map(|l| l.0).collect();
    let raw = sqlite(&mut c);
    raw.batch_execute(
        "DELETE FROM article_cards WHERE article_id % 3 = 0; \
         UPDATE article_cards SET card = '{\"t\": 1}' WHERE article_id % 3 = 1",
    )
    .unwrap();
    assert_eq!(shown(&ids, &summary_extras(&mut c, &ids).unwrap()), linked);
    // A list's page reads its rows and their cards in one statement; what that finds no
    // readable card for is read through the links.
    let (rows, mut read) =
        newsdesk::db::articles::summaries_with_cards_by_ids(&mut c, &ids).unwrap();
    assert_eq!(rows.len(), ids.len());
    let missing = read.missing(&ids);
    assert_eq!(
        missing,
        ids.iter()
            .copied()
            .filter(|id| id % 3 != 2)
            .collect::<Vec<_>>()
    );
    read.merge(summary_extras(&mut c, &missing).unwrap());
    assert_eq!(shown(&ids, &read), linked);
}
