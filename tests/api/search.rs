//! A search whose words have heads (PostgreSQL: `db::search::heads`) reads its pages off them.
//! Whichever way a page is read, it must be the page the search index gives, through every
//! write that changes what a word finds; and each head must hold exactly the published
//! articles with its word from its floor up.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;
use newsdesk::config::Settings;
use newsdesk::db::search::heads;
use newsdesk::db::Dialect;

/// Heads of three entries, so that eight matches already run past a floor.
fn small_heads(s: &mut Settings, _: &str) {
    s.search_head_size = 3;
}

/// Every page of `q`'s search, two at a time by page number and by cursor, and the whole
/// list at once: each the slugs `expected` has in that order.
async fn pages_are(app: &TestApp, q: &str, expected: &[&str]) {
    let whole = read(app, &format!("/api/v1/articles?q={q}&per_page=100")).await;
    assert_eq!(slugs(&whole), expected, "{q}: the whole list");
    let mut by_number = Vec::new();
    for page in 1..=expected.len().div_ceil(2) + 1 {
        let body = read(
            app,
            &format!("/api/v1/articles?q={q}&per_page=2&page={page}"),
        )
        .await;
        by_number.extend(slugs(&body));
    }
    assert_eq!(by_number, expected, "{q}: page by page");
    let (mut by_cursor, mut path) = (Vec::new(), format!("/api/v1/articles?q={q}&per_page=2"));
    loop {
        let body = read(app, &path).await;
        by_cursor.extend(slugs(&body));
        match body["meta"]["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/articles?q={q}&per_page=2&cursor={cursor}"),
            None => break,
        }
        assert!(
            by_cursor.len() <= expected.len(),
            "{q}: cursors run past the list"
        );
    }
    assert_eq!(by_cursor, expected, "{q}: cursor by cursor");
}

/// A public GET's JSON body (200).
async fn read(app: &TestApp, path: &str) -> Value {
    json_of(app.get(path).send().await.unwrap(), StatusCode::OK).await
}

/// PostgreSQL: `lexeme`'s head, once the background has built it (at most 10 s).
async fn built_head(app: &TestApp, lexeme: &str) -> heads::Head {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let word = lexeme.to_owned();
        let head = app
            .state
            .db
            .read(move |c| heads::head(c, &word).map_err(newsdesk::db::DbError::from))
            .await
            .unwrap();
        if let Some(head) = head {
            return head;
        }
        assert!(Instant::now() < deadline, "no head for {lexeme}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// PostgreSQL: `lexeme`'s head holds exactly the matches of `q` at or above its floor, the
/// scheduled ones among them (published, live later) as well; at most `most` entries.
async fn head_holds(app: &TestApp, lexeme: &str, q: &str, scheduled: &[&str], most: usize) {
    if app.state.db.dialect() != Dialect::Postgres {
        return;
    }
    let (floor, entries) = built_head(app, lexeme).await;
    assert!(entries.len() <= most, "{lexeme}: {} entries", entries.len());
    let mut matches: Vec<(NaiveDateTime, i64)> = Vec::new();
    let whole = read(app, &format!("/api/v1/articles?q={q}&per_page=100")).await;
    let (editor, _) = app.user("editor").await;
    let mut listed: Vec<Value> = whole["data"].as_array().unwrap().clone();
    for slug in scheduled {
        listed.push(
            json_of(
                app.get(&format!("/api/v1/articles/{slug}"))
                    .bearer_auth(&editor)
                    .send()
                    .await
                    .unwrap(),
                StatusCode::OK,
            )
            .await,
        );
    }
    for a in listed {
        let at = chrono::DateTime::parse_from_rfc3339(a["published_at"].as_str().unwrap())
            .unwrap()
            .naive_utc();
        matches.push((at, a["id"].as_i64().unwrap()));
    }
    matches.retain(|key| floor.is_none_or(|f| *key >= f));
    matches.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(
        entries, matches,
        "{lexeme}: the head from its floor {floor:?}"
    );
}

both_backends!(with small_heads;
    async fn a_search_reads_its_words_heads_as_the_index_and_they_follow_every_write(app) {
        let (editor, _) = app.user("editor").await;
        let edit = |slug: &str, change: Value| {
            let req = app.patch(&format!("/api/v1/articles/{slug}")).bearer_auth(&editor).json(&change);
            async move { json_of(req.send().await.unwrap(), StatusCode::OK).await }
        };
        // Eight stories with the word, a minute apart (oldest first), and one without it,
        // older than all of them.
        for i in 1..=8 {
            app.article(&editor, json!({"title": format!("Zephyr {i}"), "body": format!("A zephyr, text {i}."),
                "status": "published", "published_at": format!("2025-03-19T14:{:02}:00Z", i)})).await;
        }
        app.article(&editor, json!({"title": "Calm", "body": "No wind.", "status": "published",
            "published_at": "2025-03-19T13:00:00Z"})).await;
        let mut expected: Vec<String> = (1..=8).rev().map(|i| format!("zephyr-{i}")).collect();
        let mut with_text = expected.clone();
        let check = |expected: Vec<String>, with_text: Vec<String>, scheduled: Vec<&'static str>| {
            let app = &app;
            async move {
                let e: Vec<&str> = expected.iter().map(String::as_str).collect();
                let t: Vec<&str> = with_text.iter().map(String::as_str).collect();
                pages_are(app, "zephyr", &e).await;
                pages_are(app, "text%20zephyr", &t).await;
                // Read again: by now the first search has had its heads built.
                head_holds(app, "zephyr", "zephyr", &scheduled, 6).await;
                head_holds(app, "text", "text", &scheduled, 6).await;
                pages_are(app, "zephyr", &e).await;
                pages_are(app, "text%20zephyr", &t).await;
            }
        };
        check(expected.clone(), with_text.clone(), vec![]).await;

        // A new story goes on top, at once.
        app.article(&editor, json!({"title": "Zephyr 9", "body": "A zephyr, text 9.", "status": "published",
            "published_at": "2025-03-19T14:20:00Z"})).await;
        expected.insert(0, "zephyr-9".into());
        with_text.insert(0, "zephyr-9".into());
        check(expected.clone(), with_text.clone(), vec![]).await;

        // Unpublished, archived, scheduled for later, deleted: gone from the search.
        edit("zephyr-8", json!({"status": "draft"})).await;
        edit("zephyr-7", json!({"status": "archived"})).await;
        edit("zephyr-6", json!({"published_at": "2999-01-01T00:00:00Z"})).await;
        let gone = app.delete("/api/v1/articles/zephyr-5").bearer_auth(&editor).send().await.unwrap();
        assert_eq!(gone.status(), StatusCode::NO_CONTENT);
        for slug in ["zephyr-8", "zephyr-7", "zephyr-6", "zephyr-5"] {
            expected.retain(|s| s != slug);
            with_text.retain(|s| s != slug);
        }
        check(expected.clone(), with_text.clone(), vec!["zephyr-6"]).await;

        // Edited out of the word; edited into it below every head's floor (the general query
        // finds it past the heads' pages); edited into the other word only.
        edit("zephyr-4", json!({"title": "Still", "body": "No wind here."})).await;
        edit("calm", json!({"body": "A zephyr came."})).await;
        edit("zephyr-3", json!({"body": "A zephyr."})).await;
        expected.retain(|s| s != "zephyr-4");
        expected.push("calm".into());
        with_text.retain(|s| s != "zephyr-4" && s != "zephyr-3");
        check(expected.clone(), with_text.clone(), vec!["zephyr-6"]).await;

        // Heads grow with every story and are trimmed back to their size in the background.
        for i in 10..=14 {
            app.article(&editor, json!({"title": format!("Zephyr {i}"), "body": format!("A zephyr, text {i}."),
                "status": "published", "published_at": format!("2025-03-19T14:{:02}:00Z", 20 + i)})).await;
            expected.insert(0, format!("zephyr-{i}"));
            with_text.insert(0, format!("zephyr-{i}"));
        }
        if app.state.db.dialect() == Dialect::Postgres {
            // The background looks for long heads every 10 s.
            let deadline = Instant::now() + Duration::from_secs(30);
            while built_head(&app, "zephyr").await.1.len() > 3 {
                assert!(Instant::now() < deadline, "the head was not trimmed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let (floor, entries) = built_head(&app, "zephyr").await;
            assert_eq!(entries.len(), 3);
            assert_eq!(floor, entries.last().copied(), "the floor rose to the last entry kept");
        }
        check(expected, with_text, vec!["zephyr-6"]).await;
    }
);

/// A bulk load turns the heads' trigger off while it runs; one stopped before it ended (a
/// killed `seed`) left it off, and heads would stop following writes. The next start puts it
/// back on and drops the heads, which searches then build again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "TEST_DATABASE_URL is unset: the PostgreSQL run is skipped"
)]
async fn a_start_puts_back_the_heads_trigger_a_stopped_bulk_load_left_off() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    let Some(mut app) = TestApp::postgres().await else {
        return;
    };
    let (editor, _) = app.user("editor").await;
    app.article(
        &editor,
        json!({"title": "Gale", "body": "A gale.", "status": "published"}),
    )
    .await;
    pages_are(&app, "gale", &["gale"]).await;
    assert_eq!(built_head(&app, "gale").await.1.len(), 1);
    let trigger_on = |db: newsdesk::db::Db| {
        let mut pooled = db.get().unwrap();
        let conn: &mut newsdesk::db::DbConn = &mut pooled;
        let newsdesk::db::DbConn::Pg(c) = conn else {
            unreachable!("a PostgreSQL test")
        };
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "(SELECT tgenabled <> 'D' FROM pg_trigger WHERE tgname = 'search_heads_keep')",
        ))
        .get_result::<bool>(c)
        .unwrap()
    };
    app.state
        .db
        .get()
        .unwrap()
        .batch_execute("ALTER TABLE articles DISABLE TRIGGER search_heads_keep")
        .unwrap();
    assert!(!trigger_on(app.state.db.clone()));
    app.restart().await;
    assert!(trigger_on(app.state.db.clone()));
    let db = app.state.db.clone();
    let left = db
        .read(|c| heads::head(c, "gale").map_err(newsdesk::db::DbError::from))
        .await
        .unwrap();
    assert_eq!(left, None, "the heads went with it");
    // Writes are followed again: a new story with the word is found off the rebuilt head.
    app.article(
        &editor,
        json!({"title": "Gale 2", "body": "A gale again.", "status": "published"}),
    )
    .await;
    pages_are(&app, "gale", &["gale-2", "gale"]).await;
    assert_eq!(built_head(&app, "gale").await.1.len(), 2);
}
