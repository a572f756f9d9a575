use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

/// Publishes `n` articles a minute apart (oldest first): story-1 ... story-n.
async fn stories(app: &TestApp, token: &str, n: usize) {
    for i in 1..=n {
        app.article(
            token,
            json!({"title": format!("Story {i}"), "body": format!("Text {i}."), "status": "published",
                   "published_at": format!("2025-03-19T14:{:02}:00Z", i)}),
        )
        .await;
    }
}

both_backends!(
    async fn lists_are_newest_first_with_meta_and_headers(app) {
        let (author, _) = app.user("author").await;
        stories(&app, &author, 5).await;
        let res = app.get("/api/v1/articles?per_page=2&page=2").send().await.unwrap();
        assert_eq!(res.headers()["x-total-count"], "5");
        let link = res.headers()["link"].to_str().unwrap().to_owned();
        for rel in ["next", "prev", "first", "last"] {
            assert!(link.contains(&format!("rel=\"{rel}\"")), "{rel} in {link}");
        }
        assert!(link.contains("per_page=2&page=3>; rel=\"next\""), "{link}");
        let body = json_of(res, StatusCode::OK).await;
        assert_eq!(slugs(&body), ["story-3", "story-2"]);
        assert_eq!(body["meta"], json!({"page": 2, "per_page": 2, "total": 5, "total_pages": 3,
                                        "total_exact": true,
                                        "total_counted_at": body["meta"]["total_counted_at"],
                                        "next_cursor": body["meta"]["next_cursor"], "prev_cursor": null}));
        let counted_at = body["meta"]["total_counted_at"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(counted_at).is_ok(), "{counted_at}");
        assert!(body["data"][0].get("body").is_none(), "summaries carry no body");
        let oldest = json_of(app.get("/api/v1/articles?sort=oldest&per_page=1").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(slugs(&oldest), ["story-1"]);
        let beyond = json_of(app.get("/api/v1/articles?page=9").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(beyond["data"], json!([]));
    }
);

both_backends!(
    async fn paging_bounds_are_422_not_clipped(app) {
        for q in ["per_page=101", "per_page=0", "page=0", "page=-1"] {
            let field = q.split('=').next().unwrap();
            invalid(app.get(&format!("/api/v1/articles?{q}")).send().await.unwrap(), field).await;
        }
        for q in ["cursor=garbage", "cursor=eyJrIjoibm9wZSJ9", "cursor=abc&page=2"] {
            invalid(app.get(&format!("/api/v1/articles?{q}")).send().await.unwrap(), "cursor").await;
        }
        invalid(app.get("/api/v1/articles?sort=random").send().await.unwrap(), "sort").await;
        invalid(app.get("/api/v1/articles?published_after=yesterday").send().await.unwrap(), "published_after").await;
        invalid(app.get("/api/v1/articles?tag=Not%20A%20Slug").send().await.unwrap(), "tag").await;
        invalid(app.get("/api/v1/tags?per_page=1000").send().await.unwrap(), "per_page").await;
    }
);

both_backends!(
    async fn a_cursor_walk_visits_every_article_once(app) {
        let (author, _) = app.user("author").await;
        stories(&app, &author, 7).await;
        for sort in ["latest", "oldest", "popular"] {
            let mut seen = Vec::new();
            let mut url = format!("/api/v1/articles?per_page=3&sort={sort}");
            loop {
                let page = json_of(app.get(&url).send().await.unwrap(), StatusCode::OK).await;
                assert!(page["meta"]["page"].is_null() || seen.is_empty());
                seen.extend(slugs(&page));
                match page["meta"]["next_cursor"].as_str() {
                    Some(c) => url = format!("/api/v1/articles?per_page=3&sort={sort}&cursor={c}"),
                    None => break,
                }
            }
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(seen.len(), 7, "{sort}: {seen:?}");
            assert_eq!(unique.len(), 7, "{sort}: {seen:?}");
            // And back again with `before`, from the last page's first item.
            let last = json_of(app.get(&url).send().await.unwrap(), StatusCode::OK).await;
            let mut back = slugs(&last);
            let mut prev = last["meta"]["prev_cursor"].as_str().map(str::to_owned);
            while let Some(c) = prev {
                let page = json_of(
                    app.get(&format!("/api/v1/articles?per_page=3&sort={sort}&before={c}")).send().await.unwrap(),
                    StatusCode::OK,
                )
                .await;
                let mut items = slugs(&page);
                items.extend(back);
                back = items;
                prev = page["meta"]["prev_cursor"].as_str().map(str::to_owned);
            }
            assert_eq!(back, seen, "{sort}: walking back gives the same order");
        }
        // A cursor made for one sort is refused by another.
        let page = json_of(app.get("/api/v1/articles?per_page=3").send().await.unwrap(), StatusCode::OK).await;
        let c = page["meta"]["next_cursor"].as_str().unwrap();
        invalid(app.get(&format!("/api/v1/articles?sort=popular&cursor={c}")).send().await.unwrap(), "cursor").await;
    }
);

both_backends!(
    async fn filters_by_tag_author_search_and_dates(app) {
        let (editor, _) = app.user("editor").await;
        let (author, _) = app.user("author").await;
        app.tag(&editor, "Energy").await;
        app.tag(&editor, "Markets").await;
        app.article(&editor, json!({"title": "Oil prices slide", "body": "OPEC confirms a supply hike.",
            "tags": ["energy", "markets"], "status": "published", "published_at": "2025-01-10T10:00:00Z"})).await;
        app.article(&author, json!({"title": "Wind farms expand", "body": "Turbines along the coast.",
            "tags": ["energy"], "status": "published", "published_at": "2025-02-10T10:00:00Z"})).await;
        app.article(&author, json!({"title": "Stocks rally", "body": "Markets cheer the jobs report.",
            "tags": ["markets"], "status": "published", "published_at": "2025-03-10T10:00:00Z"})).await;
        let app = &app;
        let get = |q: &'static str| async move {
            slugs(&json_of(app.get(&format!("/api/v1/articles?{q}")).send().await.unwrap(), StatusCode::OK).await)
        };
        assert_eq!(get("tag=energy").await, ["wind-farms-expand", "oil-prices-slide"]);
        assert_eq!(get("author=test-editor").await, ["oil-prices-slide"]);
        assert_eq!(get("q=turbines").await, ["wind-farms-expand"]);
        assert_eq!(get("q=OPEC%20supply").await, ["oil-prices-slide"]);
        assert_eq!(get("q=prices").await, ["oil-prices-slide"], "titles are searched");
        assert!(get("q=%22%29%28*%20OR").await.is_empty(), "query syntax is only words");
        assert!(get("q=%21%21%21").await.is_empty());
        assert_eq!(get("published_after=2025-02-01T00:00:00Z").await, ["stocks-rally", "wind-farms-expand"]);
        assert_eq!(get("published_before=2025-02-01T00:00:00Z").await, ["oil-prices-slide"]);
        assert!(get("tag=no-such-tag").await.is_empty());
    }
);

both_backends!(
    with behind_proxy;
    async fn popular_sorts_by_views(app) {
        let (author, _) = app.user("author").await;
        stories(&app, &author, 3).await;
        for n in 0..3 {
            app.post("/api/v1/articles/story-1/views").header(reader(n).0, reader(n).1).send().await.unwrap();
        }
        app.post("/api/v1/articles/story-3/views").send().await.unwrap();
        app.settle().await;
        let list = json_of(app.get("/api/v1/articles?sort=popular").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(slugs(&list), ["story-1", "story-3", "story-2"]);
    }
);

both_backends!(
    async fn status_filters_are_for_editors_and_authors_see_their_own(app) {
        let (editor, _) = app.user("editor").await;
        let (author, _) = app.user("author").await;
        let (other, _) = app.user("author").await;
        app.article(&author, json!({"title": "Author Draft", "body": "x"})).await;
        app.article(&other, json!({"title": "Other Draft", "body": "x"})).await;
        app.article(&author, json!({"title": "Later", "body": "x", "status": "published", "published_at": "2999-01-01T00:00:00Z"})).await;
        problem(app.get("/api/v1/articles?status=draft").send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        let all = json_of(app.get("/api/v1/articles?status=draft").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(all["meta"]["total"], 2);
        let own = json_of(app.get("/api/v1/articles?status=draft").bearer_auth(&author).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(slugs(&own), ["author-draft"]);
        let scheduled = json_of(app.get("/api/v1/articles?status=scheduled").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(slugs(&scheduled), ["later"]);
        let any = json_of(app.get("/api/v1/articles?status=any").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(any["meta"]["total"], 3);
        assert_eq!(any["data"][0]["slug"], "later");
        let public = json_of(app.get("/api/v1/articles?status=published").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(public["meta"]["total"], 0);
        let res = app.get("/api/v1/articles?status=any").bearer_auth(&editor).send().await.unwrap();
        assert!(res.headers()["cache-control"].to_str().unwrap().contains("private"));
    }
);

both_backends!(
    async fn a_count_with_a_cap_stops_there_and_says_it_is_not_exact(app) {
        use newsdesk::db::articles::{count, ArticleFilter};
        let (author, _) = app.user("author").await;
        stories(&app, &author, 3).await;
        let mut filter = ArticleFilter::public(chrono::Utc::now().naive_utc());
        filter.search = newsdesk::db::search::SearchTerms::parse("story");
        let mut c = app.state.db.get().unwrap();
        assert_eq!(count(&mut c, &filter, Some(2)).unwrap(), (2, false));
        assert_eq!(count(&mut c, &filter, Some(3)).unwrap(), (3, true));
        assert_eq!(count(&mut c, &filter, None).unwrap(), (3, true));
        drop(c);
        // Under the cap, a search's total is exact.
        let found = json_of(app.get("/api/v1/articles?q=story").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(found["meta"]["total"], 3);
        assert_eq!(found["meta"]["total_exact"], true);
        let gql = app.gql_ok(None, r#"{ articles(filter: {search: "story"}) { totalCount totalExact } }"#, json!({})).await;
        assert_eq!(gql["articles"], json!({"totalCount": 3, "totalExact": true}));
    }
);

both_backends!(
    async fn a_scheduled_article_joins_cached_lists_when_it_goes_live(app) {
        let (editor, _) = app.user("editor").await;
        let at = chrono::Utc::now() + chrono::Duration::seconds(2);
        let at_text = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        app.article(&editor, json!({"title": "On The Hour", "body": "x", "status": "published",
                                    "published_at": at_text})).await;
        let query = r#"{ articles(first: 5) { totalCount nodes { slug } } }"#;
        // Before its instant, twice: the second answers come from the cache.
        for _ in 0..2 {
            let list = json_of(app.get("/api/v1/articles").send().await.unwrap(), StatusCode::OK).await;
            assert_eq!(list["meta"]["total"], 0);
            assert_eq!(app.gql_ok(None, query, json!({})).await["articles"]["totalCount"], 0);
        }
        let live = chrono::DateTime::parse_from_rfc3339(&at_text).unwrap();
        let wait = (live.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
        // No write happens; within a second of its instant it is in both lists.
        let start = std::time::Instant::now();
        loop {
            let list = json_of(app.get("/api/v1/articles").send().await.unwrap(), StatusCode::OK).await;
            let gql = app.gql_ok(None, query, json!({})).await;
            if slugs(&list) == ["on-the-hour"] && gql["articles"]["totalCount"] == 1 {
                break;
            }
            assert!(start.elapsed() < std::time::Duration::from_secs(1), "still hidden: {list} {gql}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
);

both_backends!(
    async fn gathering_and_walking_find_the_same_pages(app) {
        use newsdesk::db::articles::{list, ArticleFilter, Paging, Plan, SortKey};
        let (editor, _) = app.user("editor").await;
        app.tag(&editor, "Harbour").await;
        for i in 0..12 {
            let tags: &[&str] = if i % 3 == 0 { &["harbour"] } else { &[] };
            let title = if i % 2 == 0 { format!("Ferry News {i}") } else { format!("Other News {i}") };
            app.article(&editor, json!({"title": title, "body": "Text.", "status": "published", "tags": tags,
                                        "published_at": format!("2025-03-19T14:{:02}:00Z", i)})).await;
        }
        let now = chrono::Utc::now().naive_utc();
        let mut by_tag = ArticleFilter::public(now);
        by_tag.tag_slug = Some("harbour".into());
        let mut by_word = ArticleFilter::public(now);
        by_word.search = newsdesk::db::search::SearchTerms::parse("ferry");
        let mut c = app.state.db.get().unwrap();
        for (filter, expected) in [(&by_tag, 4), (&by_word, 6)] {
            for sort in [SortKey::Latest, SortKey::Oldest, SortKey::Popular] {
                let mut page = |plan, offset| {
                    let rows = list(&mut c, filter, sort, Paging::Offset { offset, limit: 3 }, plan).unwrap().rows;
                    rows.into_iter().map(|r| r.slug).collect::<Vec<_>>()
                };
                let mut walked = page(Plan::Walk, 0);
                walked.extend(page(Plan::Walk, 3));
                let mut gathered = page(Plan::Gather, 0);
                gathered.extend(page(Plan::Gather, 3));
                assert_eq!(walked, gathered, "{sort:?}");
                assert_eq!(walked.len(), expected);
            }
        }
    }
);

/// Walks `query` by cursor, `per_page` at a time, forwards to the end and back again with
/// `before`; returns the slugs seen forwards, asserting the walk back saw the same ones.
async fn walk(app: &TestApp, token: &str, query: &str, per_page: usize) -> Vec<String> {
    let base = format!("/api/v1/articles?per_page={per_page}&{query}");
    let get = |url: String| async move {
        json_of(
            app.get(&url).bearer_auth(token).send().await.unwrap(),
            StatusCode::OK,
        )
        .await
    };
    let mut seen = Vec::new();
    let mut page = get(base.clone()).await;
    loop {
        seen.extend(slugs(&page));
        match page["meta"]["next_cursor"].as_str() {
            Some(c) => page = get(format!("{base}&cursor={c}")).await,
            None => break,
        }
    }
    let mut back = slugs(&page);
    while let Some(c) = page["meta"]["prev_cursor"].as_str().map(str::to_owned) {
        page = get(format!("{base}&before={c}")).await;
        let mut items = slugs(&page);
        items.extend(back);
        back = items;
    }
    assert_eq!(
        back, seen,
        "{query}: walking back gives the same rows in the same order"
    );
    seen
}

both_backends!(
    async fn a_cursor_walk_over_every_status_sees_each_row_once(app) {
        let (editor, _) = app.user("editor").await;
        let mut expected: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
        // Archived articles of both kinds: never published (no publish time) and retired
        // after going live. Drafts, scheduled and live ones around them.
        for i in 0..12 {
            let published = i % 3 == 0;
            let mut body = json!({"title": format!("Archived {i}"), "body": "x"});
            if published {
                body["status"] = json!("published");
                body["published_at"] = json!(format!("2025-01-{:02}T10:00:00Z", i + 1));
            }
            let a = app.article(&editor, body).await;
            let slug = a["slug"].as_str().unwrap().to_owned();
            let res = app.patch(&format!("/api/v1/articles/{slug}")).bearer_auth(&editor)
                .json(&json!({"status": "archived"})).send().await.unwrap();
            json_of(res, StatusCode::OK).await;
            expected.entry("archived").or_default().push(slug);
        }
        for i in 0..7 {
            let a = app.article(&editor, json!({"title": format!("Draft {i}"), "body": "x"})).await;
            expected.entry("draft").or_default().push(a["slug"].as_str().unwrap().to_owned());
        }
        for i in 0..6 {
            let a = app.article(&editor, json!({"title": format!("Scheduled {i}"), "body": "x",
                "status": "published", "published_at": format!("2099-01-{:02}T10:00:00Z", i % 2 + 1)})).await;
            expected.entry("scheduled").or_default().push(a["slug"].as_str().unwrap().to_owned());
        }
        for i in 0..5 {
            let a = app.article(&editor, json!({"title": format!("Live {i}"), "body": "x",
                "status": "published", "published_at": "2025-02-01T10:00:00Z"})).await;
            expected.entry("published").or_default().push(a["slug"].as_str().unwrap().to_owned());
        }
        let all: Vec<String> = expected.values().flatten().cloned().collect();
        expected.insert("any", all);
        for (status, want) in &expected {
            for sort in ["latest", "oldest", "popular"] {
                for per_page in [5, 4] {
                    let query = format!("status={status}&sort={sort}");
                    let seen = walk(&app, &editor, &query, per_page).await;
                    let mut sorted = seen.clone();
                    sorted.sort();
                    let mut want = want.clone();
                    want.sort();
                    assert_eq!(sorted, want, "{query}, {per_page} a page: every row exactly once");
                }
            }
        }
    }
);

both_backends!(
    /// Past a size, PostgreSQL's planner estimates a list's total instead of counting every row
    /// (`total_exact: false`); SQLite counts (the threshold is lowered here to see it). A
    /// tag's list too, though its count is capped: counting a big tag's timeline on
    /// PostgreSQL was what its first reader waited for.
    async fn a_large_list_is_estimated_on_postgres_and_counted_on_sqlite(app) {
        let (editor, _) = app.user("editor").await;
        app.tag(&editor, "Estimated").await;
        for k in 0..8 {
            app.published(&editor, &format!("Estimated {k}"), &["estimated"]).await;
        }
        let db = app.state.db.clone();
        // Statistics of the table as it is, so PostgreSQL's estimate is the real count.
        db.analyze().unwrap();
        let (n, exact) = db
            .read(|c| {
                let f = newsdesk::db::articles::ArticleFilter::public(chrono::Utc::now().naive_utc());
                newsdesk::db::articles::count_or_estimate(c, &f, None, 5)
            })
            .await
            .unwrap();
        match db.dialect() {
            newsdesk::db::Dialect::Sqlite => assert_eq!((n, exact), (8, true)),
            newsdesk::db::Dialect::Postgres => assert_eq!((n, exact), (8, false), "the planner's estimate"),
        }
        // Below the threshold, every backend counts.
        let (n, exact) = db
            .read(|c| {
                let f = newsdesk::db::articles::ArticleFilter::public(chrono::Utc::now().naive_utc());
                newsdesk::db::articles::count_or_estimate(c, &f, None, 1_000_000)
            })
            .await
            .unwrap();
        assert_eq!((n, exact), (8, true));
        // A tag's timeline is estimated past the threshold, and past its count's cap however
        // high the threshold.
        for (cap, above) in [(10_000, 5), (5, 1_000_000)] {
            let (n, exact) = db
                .read(move |c| {
                    let mut f = newsdesk::db::articles::ArticleFilter::public(
                        chrono::Utc::now().naive_utc(),
                    );
                    f.tag_slug = Some("estimated".into());
                    newsdesk::db::articles::count_or_estimate(c, &f, Some(cap), above)
                })
                .await
                .unwrap();
            match db.dialect() {
                newsdesk::db::Dialect::Sqlite => assert_eq!((n, exact), (8, true)),
                newsdesk::db::Dialect::Postgres => {
                    assert!(!exact, "the planner's estimate (cap {cap}, threshold {above})");
                    assert!(n > 5, "an estimate past the cap or threshold: {n}");
                }
            }
        }
    }
);

/// Each summary in the latest list as (slug, tag slugs and names, byline names, whatsapp
/// shares): what the kept cards answer.
async fn shown(app: &TestApp) -> Vec<(String, Vec<String>, Vec<String>, i64)> {
    let list = json_of(
        app.get("/api/v1/articles").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let tags = a["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    format!(
                        "{}={}",
                        t["slug"].as_str().unwrap(),
                        t["name"].as_str().unwrap()
                    )
                })
                .collect();
            let names = a["authors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>();
            assert_eq!(
                a["author"]["name"].as_str(),
                names.first().map(String::as_str),
                "the primary author leads the byline"
            );
            (
                a["slug"].as_str().unwrap().to_owned(),
                tags,
                names,
                a["share_counts"]["whatsapp"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Up to 10 articles whose summary is waiting to be rendered.
async fn waiting_to_render(app: &TestApp) -> Vec<i64> {
    app.state
        .db
        .read(|c| newsdesk::db::articles::unrendered(c, 10))
        .await
        .unwrap()
}

/// An editor's list of every status as its kept summaries say it (a whole summary is written
/// out as kept) and as built from rows and cards (`fields` naming every field builds them):
/// the same, and every write rendered the summaries it made outdated before it committed.
async fn kept_summaries_say_what_built_ones_say(app: &TestApp, editor: &str) -> Value {
    let list = |extra: String| async move {
        let url = format!("/api/v1/articles?per_page=100&status=any{extra}");
        let res = app.get(&url).bearer_auth(editor).send().await.unwrap();
        json_of(res, StatusCode::OK).await
    };
    let kept = list(String::new()).await;
    let fields = newsdesk::model::summary_fields().join(",");
    let built = list(format!("&fields={fields}")).await;
    assert_eq!(kept["data"], built["data"]);
    assert!(!kept["data"].as_array().unwrap().is_empty());
    // Related lists too, for every article that has one (the published ones).
    let related = |slug: String, extra: String| async move {
        let url = format!("/api/v1/articles/{slug}/related?limit=20{extra}");
        let res = app.get(&url).bearer_auth(editor).send().await.unwrap();
        json_of(res, StatusCode::OK).await
    };
    let mut related_shown = 0;
    for item in kept["data"].as_array().unwrap() {
        if item["status"] != "published" {
            continue;
        }
        let slug = item["slug"].as_str().unwrap().to_owned();
        let kept_related = related(slug.clone(), String::new()).await;
        let built_related = related(slug, format!("&fields={fields}")).await;
        assert_eq!(kept_related["data"], built_related["data"]);
        related_shown += kept_related["data"].as_array().unwrap().len();
    }
    assert!(related_shown > 0, "no related list to compare");
    let waiting = waiting_to_render(app).await;
    assert_eq!(waiting, Vec::<i64>::new(), "summaries left to render");
    kept
}

both_backends!(
    // Summaries read their tags, bylines and share counts from a card kept at write time: every
    // change to what a card shows must reach it.
    with behind_proxy;
    async fn a_summary_follows_renames_retags_bylines_shares_and_deletions(app) {
        let (editor, _) = app.user("editor").await;
        let (admin, _) = app.user("admin").await;
        let (author, author_id) = app.user("author").await;
        let me = json_of(app.get("/api/v1/me").bearer_auth(&author).send().await.unwrap(), StatusCode::OK).await;
        let author_name = me["name"].as_str().unwrap().to_owned();
        let author_slug = me["slug"].as_str().unwrap().to_owned();
        let editor_me = json_of(app.get("/api/v1/me").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        let editor_name = editor_me["name"].as_str().unwrap().to_owned();
        let editor_slug = editor_me["slug"].as_str().unwrap().to_owned();
        app.tag(&editor, "Courts").await;
        app.tag(&editor, "Crime").await;
        app.article(&author, json!({"title": "Verdict", "body": "x", "status": "published",
            "published_at": "2025-03-19T10:00:00Z", "tags": ["courts", "crime"]})).await;
        app.article(&author, json!({"title": "Appeal", "body": "x", "status": "published",
            "published_at": "2025-03-19T11:00:00Z", "tags": ["courts"]})).await;
        let both = |a: &[&str], v: &[&str], names: &[&str], shares: i64| {
            let s = |x: &[&str]| x.iter().map(|t| t.to_string()).collect::<Vec<_>>();
            vec![
                ("appeal".to_owned(), s(a), s(names), 0),
                ("verdict".to_owned(), s(v), s(names), shares),
            ]
        };
        assert_eq!(shown(&app).await, both(&["courts=Courts"], &["courts=Courts", "crime=Crime"], &[author_name.as_str()], 0));
        // A draft and a scheduled article show in editors' lists, from kept summaries too.
        app.article(&author, json!({"title": "Draft", "body": "x", "tags": ["crime"]})).await;
        app.article(&author, json!({"title": "Later", "body": "x", "status": "published",
            "published_at": "2099-01-01T00:00:00Z", "tags": ["courts"]})).await;
        kept_summaries_say_what_built_ones_say(&app, &editor).await;

        // A tag renamed: every article carrying it shows the new slug and name.
        let res = app.patch("/api/v1/tags/courts").bearer_auth(&editor)
            .json(&json!({"name": "Law", "slug": "law"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(shown(&app).await, both(&["law=Law"], &["law=Law", "crime=Crime"], &[author_name.as_str()], 0));
        kept_summaries_say_what_built_ones_say(&app, &editor).await;

        // The author renamed: every article they sign shows the new name.
        let res = app.patch(&format!("/api/v1/users/{author_id}")).bearer_auth(&admin)
            .json(&json!({"name": "Renamed Reporter"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(shown(&app).await, both(&["law=Law"], &["law=Law", "crime=Crime"], &["Renamed Reporter"], 0));
        kept_summaries_say_what_built_ones_say(&app, &editor).await;

        // Shares counted, a retag (new order) and a second byline on one article.
        for n in 0..2 {
            let res = app.post("/api/v1/articles/verdict/shares").header(reader(n).0, reader(n).1)
                .json(&json!({"network": "whatsapp"})).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::ACCEPTED);
        }
        let res = app.patch("/api/v1/articles/verdict").bearer_auth(&editor)
            .json(&json!({"tags": ["crime", "law"], "authors": [editor_slug, author_slug]})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        app.settle().await;
        let after = shown(&app).await;
        assert_eq!(after[0], ("appeal".to_owned(), vec!["law=Law".to_owned()], vec!["Renamed Reporter".to_owned()], 0));
        assert_eq!(after[1], ("verdict".to_owned(), vec!["crime=Crime".to_owned(), "law=Law".to_owned()],
            vec![editor_name.clone(), "Renamed Reporter".to_owned()], 2));
        kept_summaries_say_what_built_ones_say(&app, &editor).await;

        // A tag deleted leaves every summary that showed it.
        let res = app.delete("/api/v1/tags/law").bearer_auth(&editor).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let after = shown(&app).await;
        assert_eq!(after[0].1, Vec::<String>::new());
        assert_eq!(after[1].1, vec!["crime=Crime".to_owned()]);
        // Views and comments counted since the summaries were kept show as they are now.
        let res = app.post("/api/v1/articles/verdict/views").header(reader(7).0, reader(7).1).send().await.unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        app.settle().await;
        let kept = kept_summaries_say_what_built_ones_say(&app, &editor).await;
        let verdict = kept["data"].as_array().unwrap().iter().find(|a| a["slug"] == "verdict").unwrap();
        assert!(verdict["view_count"].as_i64().unwrap() >= 1, "{verdict}");
        // The article page and GraphQL's list say the same as the REST list.
        let page = json_of(app.get("/api/v1/articles/verdict").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(page["tags"][0]["slug"], "crime");
        assert_eq!(page["authors"][1]["name"], "Renamed Reporter");
        assert_eq!(page["share_counts"]["whatsapp"], 2);
        let gql = app.gql_ok(None, "{ articles(first: 5) { nodes { slug tags { slug } authors { name } } } }", json!({})).await;
        assert_eq!(gql["articles"]["nodes"][1]["slug"], "verdict", "{gql}");
        assert_eq!(gql["articles"]["nodes"][1]["tags"], json!([{"slug": "crime"}]));
        assert_eq!(gql["articles"]["nodes"][1]["authors"][0]["name"], editor_name.as_str());
    }
);

both_backends!(
    // A kept summary is used only while its article's row has the version it was rendered
    // from; one missing is built from the row and card, and rendered again in the background.
    async fn a_list_never_shows_an_outdated_kept_summary_and_renders_missing_ones_again(app) {
        use diesel::connection::SimpleConnection;
        let (editor, _) = app.user("editor").await;
        let mut ids = Vec::new();
        for title in ["Flood", "Fire", "Frost"] {
            ids.push(app.published(&editor, title, &[]).await["id"].as_i64().unwrap());
        }
        let before = kept_summaries_say_what_built_ones_say(&app, &editor).await;
        let (outdated, missing) = (ids[0], ids[1]);
        let sql = format!(
            "UPDATE article_cards SET summary = '{{\"title\":\"Outdated\"}}', \
             summary_version = summary_version - 1 WHERE article_id = {outdated}; \
             UPDATE article_cards SET summary = NULL WHERE article_id = {missing}"
        );
        app.state.db.write(move |c| c.batch_execute(&sql).map_err(newsdesk::db::DbError::from)).await.unwrap();
        app.state.cache.invalidate();
        let list = json_of(app.get("/api/v1/articles?status=any&per_page=100").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(list["data"], before["data"], "built where the kept one is outdated or gone");
        // The background renders the missing one when told some may wait, as at a start (the
        // outdated one waits for a write). A write renders what it finds waiting too.
        app.state.summaries_waiting.store(true, std::sync::atomic::Ordering::Release);
        let mut waited = 0;
        loop {
            let waiting = waiting_to_render(&app).await;
            if waiting.is_empty() {
                break;
            }
            assert_eq!(waiting, vec![missing]);
            waited += 1;
            assert!(waited < 100, "the background never rendered {missing}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        // A write to the outdated one renders it again.
        let res = app.patch("/api/v1/articles/flood").bearer_auth(&editor)
            .json(&json!({"title": "Flood warning"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let after = kept_summaries_say_what_built_ones_say(&app, &editor).await;
        assert!(after["data"].as_array().unwrap().iter().any(|a| a["title"] == "Flood warning"));
    }
);

/// A summary that cannot be rendered (its row unreadable: SQLite keeps whatever text a
/// timestamp column is given) never fails a write, and never holds up the others waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unrenderable_summary_fails_no_write_and_holds_up_no_other() {
    use diesel::connection::SimpleConnection;
    let app = TestApp::sqlite().await;
    let (editor, _) = app.user("editor").await;
    let good = app.published(&editor, "Good", &[]).await["id"]
        .as_i64()
        .unwrap();
    let bad = app.published(&editor, "Bad", &[]).await["id"]
        .as_i64()
        .unwrap();
    let sql = format!(
        "UPDATE articles SET created_at = 'not a time' WHERE id = {bad}; \
         UPDATE article_cards SET summary = NULL WHERE article_id IN ({good}, {bad})"
    );
    app.state
        .db
        .write(move |c| c.batch_execute(&sql).map_err(newsdesk::db::DbError::from))
        .await
        .unwrap();
    // A write finds both waiting: it renders the good one and still commits.
    let tag = app.tag(&editor, "Weather").await;
    assert_eq!(tag["slug"], "weather");
    let waiting = waiting_to_render(&app).await;
    assert_eq!(waiting, Vec::<i64>::new());
    let kept = app
        .state
        .db
        .read(move |c| newsdesk::db::articles::ready_in_order(c, &[good]))
        .await
        .unwrap();
    assert!(kept[0]
        .summary
        .as_deref()
        .is_some_and(|t| t.contains("\"Good\"")));
}
