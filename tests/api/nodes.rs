//! Several nodes on one PostgreSQL database, and a read replica. (SQLite is one process's
//! file: these run on PostgreSQL only.)

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// Polls `url` until `check` accepts its JSON, for at most `within`; returns the time taken.
async fn seen_within(
    client: &reqwest::Client,
    url: &str,
    within: Duration,
    check: impl Fn(&Value) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        let body = json_of(client.get(url).send().await.unwrap(), StatusCode::OK).await;
        if check(&body) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "not seen within {within:?}; last: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "TEST_DATABASE_URL is unset: the PostgreSQL run is skipped"
)]
async fn a_write_on_one_node_shows_on_another_within_a_second() {
    let Some(app) = TestApp::postgres().await else {
        return;
    };
    let (editor, _) = app.user("editor").await;
    app.published(&editor, "Bridge Opens", &[]).await;
    let other = app.second_node().await;
    let url = other.url("/api/v1/articles/bridge-opens");
    // Twice: the second answer comes from the other node's cache, which lives a minute.
    for _ in 0..2 {
        let a = json_of(app.client.get(&url).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(a["title"], "Bridge Opens");
    }
    let res = app
        .patch("/api/v1/articles/bridge-opens")
        .bearer_auth(&editor)
        .json(&json!({"title": "Bridge Opens Late"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let took = seen_within(&app.client, &url, Duration::from_secs(1), |a| {
        a["title"] == "Bridge Opens Late"
    })
    .await;
    eprintln!("the other node showed the write after {took:?}");

    // And the other way round, through GraphQL's cache.
    let query = json!({"query": r#"{ article(slug: "bridge-opens") { title } }"#});
    let gql = |base: String| {
        let client = app.client.clone();
        let query = query.clone();
        async move {
            let res = client
                .post(format!("{base}/graphql"))
                .json(&query)
                .send()
                .await
                .unwrap();
            json_of(res, StatusCode::OK).await["data"]["article"]["title"].clone()
        }
    };
    assert_eq!(gql(app.base.clone()).await, "Bridge Opens Late");
    let res = app
        .client
        .patch(other.url("/api/v1/articles/bridge-opens"))
        .bearer_auth(&editor)
        .json(&json!({"title": "Bridge Opens Tomorrow"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let start = Instant::now();
    while gql(app.base.clone()).await != "Bridge Opens Tomorrow" {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "this node kept the old title"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "TEST_DATABASE_URL is unset: the PostgreSQL run is skipped"
)]
async fn views_counted_on_two_nodes_add_up_exactly() {
    // Fifty-seven readers behind one proxy, each counted once.
    let Some(app) = TestApp::postgres_settings(Some(behind_proxy)).await else {
        return;
    };
    let (editor, _) = app.user("editor").await;
    app.published(&editor, "Storm Warning", &[]).await;
    let mut other = app
        .node_with(&[("NEWSDESK_TRUSTED_PROXIES", "127.0.0.1")])
        .await;
    let path = "/api/v1/articles/storm-warning";
    // Both nodes cache the story before the views arrive.
    for base in [app.url(path), other.url(path)] {
        let a = json_of(app.client.get(&base).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(a["view_count"], 0);
    }
    let here = (0..30).map(|n| {
        app.post(&format!("{path}/views"))
            .header(reader(n).0, reader(n).1)
            .send()
    });
    let there = (30..50).map(|n| {
        app.client
            .post(other.url(&format!("{path}/views")))
            .header(reader(n).0, reader(n).1)
            .send()
    });
    for res in futures_util::future::join_all(here.chain(there)).await {
        assert_eq!(res.unwrap().status(), StatusCode::ACCEPTED);
    }
    // Each node writes its own counts; each node's cache hears of the other's.
    for base in [app.url(path), other.url(path)] {
        seen_within(&app.client, &base, Duration::from_secs(2), |a| {
            a["view_count"] == 50
        })
        .await;
    }
    // Counts still pending on a node that is stopped are written as it stops.
    for n in 50..57 {
        let res = app
            .client
            .post(other.url(&format!("{path}/views")))
            .header(reader(n).0, reader(n).1)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::ACCEPTED);
    }
    other.stop_gracefully();
    seen_within(&app.client, &app.url(path), Duration::from_secs(1), |a| {
        a["view_count"] == 57
    })
    .await;
}

/// Points the replica at the app's second database: migrated, but empty, so that where a
/// read went shows in its answer.
fn empty_replica(settings: &mut newsdesk::config::Settings, second_db: &str) {
    settings.database_replica_url = Some(second_db.to_owned());
    settings.replica_sticky_ms = 700;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "TEST_DATABASE_URL is unset: the PostgreSQL run is skipped"
)]
async fn reads_go_to_the_replica_except_right_after_a_write() {
    let Some(app) = TestApp::postgres_with(empty_replica).await else {
        return;
    };
    let (editor, _) = app.user("editor").await;
    app.published(&editor, "Own Write", &[]).await;
    let read = || {
        app.get("/api/v1/articles/own-write")
            .bearer_auth(&editor)
            .send()
    };
    // Right after the write: the primary, which has it.
    assert_eq!(read().await.unwrap().status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(900)).await;
    // Later: the replica (which in this test never catches up). Tokens are still checked on
    // the primary, so the editor is still known.
    assert!(app.state.db.reads_from_replica());
    problem(read().await.unwrap(), StatusCode::NOT_FOUND).await;
    // A write sends reads back to the primary.
    let res = app
        .patch("/api/v1/articles/own-write")
        .bearer_auth(&editor)
        .json(&json!({"excerpt": "Now with an excerpt."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!app.state.db.reads_from_replica());
    let a = json_of(read().await.unwrap(), StatusCode::OK).await;
    assert_eq!(a["excerpt"], "Now with an excerpt.");
}

#[tokio::test]
async fn a_replica_needs_postgresql() {
    let path = std::env::temp_dir().join(format!("newsdesk_replica_{}.db", std::process::id()));
    let settings = newsdesk::config::Settings {
        database_url: format!("sqlite://{}", path.display()),
        database_replica_url: Some("postgres://127.0.0.1/nowhere".into()),
        ..Default::default()
    };
    let err = newsdesk::service::AppState::open(settings)
        .await
        .err()
        .expect("refused");
    assert!(err.contains("DATABASE_REPLICA_URL"), "{err}");
    let _ = std::fs::remove_file(path);
}
