//! Precise cache invalidation: each write's events drop what they make stale and nothing
//! else. A pending comment, a password change or counters of other articles leave cached
//! public answers in place; what readers can see changing never hides behind the cache.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

/// Reads every path once (so each is cached), then reads them again and returns how many
/// statements that second pass ran, and the bodies.
async fn reread(app: &TestApp, paths: &[&str]) -> (u64, Vec<Value>) {
    app.quiet().await;
    let before = app.state.db.statements_run();
    let mut bodies = Vec::new();
    for path in paths {
        bodies.push(json_of(app.get(path).send().await.unwrap(), StatusCode::OK).await);
    }
    (app.state.db.statements_run() - before, bodies)
}

both_backends!(
    async fn a_pending_comment_a_password_change_and_other_counters_leave_cached_answers_in_place(app) {
        let (editor, _) = app.user("editor").await;
        let (author, _, email) = app.account("author").await;
        app.tag(&editor, "Floods").await;
        let a = app.published(&editor, "River Breaks Its Banks", &["floods"]).await;
        let other = app.published(&editor, "Budget Vote Delayed", &[]).await;
        let slug = a["slug"].as_str().unwrap();
        let article = format!("/api/v1/articles/{slug}");
        let paths = [article.as_str(), "/api/v1/articles?tag=floods", "/api/v1/tags", "/api/v1/tags/floods"];
        let (_, first) = reread(&app, &paths).await;
        // A reader's comment waits for moderation: nobody else can see it.
        let res = app.post(&format!("{article}/comments"))
            .json(&json!({"author_name": "Ann", "author_email": "ann@example.com", "body": "Stay safe, everyone."}))
            .send().await.unwrap();
        let comment = json_of(res, StatusCode::CREATED).await;
        assert_eq!(comment["status"], "pending");
        // An author changes their password: shown nowhere.
        let res = app.patch("/api/v1/me").bearer_auth(&author)
            .json(&json!({"password": "another long password", "current_password": PASSWORD})).send().await.unwrap();
        json_of(res, StatusCode::OK).await;
        let _ = email;
        // Another article's counters are written: shown in none of these.
        let res = app.post(&format!("/api/v1/articles/{}/views", other["slug"].as_str().unwrap())).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        newsdesk::service::counters::flush(&app.state).await.unwrap();
        let (statements, again) = reread(&app, &paths).await;
        assert_eq!(statements, 0, "every answer came from the cache");
        assert_eq!(again, first);
        // Approving the comment is visible: the article (its count) is read afresh.
        let res = app.patch(&format!("/api/v1/comments/{}", comment["id"])).bearer_auth(&editor)
            .json(&json!({"status": "approved"})).send().await.unwrap();
        json_of(res, StatusCode::OK).await;
        let (statements, after) = reread(&app, &paths[..1]).await;
        assert!(statements > 0);
        assert_eq!(after[0]["comment_count"], 1);
    }
);

both_backends!(
    async fn an_article_change_reaches_its_tags_lists_and_no_others(app) {
        let (editor, _) = app.user("editor").await;
        app.tag(&editor, "Floods").await;
        app.tag(&editor, "Sport").await;
        let a = app.published(&editor, "Dam Holds", &["floods"]).await;
        app.published(&editor, "Cup Final Tonight", &["sport"]).await;
        let paths = ["/api/v1/articles?tag=sport", "/api/v1/articles/cup-final-tonight"];
        let (_, first) = reread(&app, &paths).await;
        let res = app.patch(&format!("/api/v1/articles/{}", a["slug"].as_str().unwrap())).bearer_auth(&editor)
            .json(&json!({"title": "Dam Holds, For Now"})).send().await.unwrap();
        json_of(res, StatusCode::OK).await;
        let (statements, again) = reread(&app, &paths).await;
        assert_eq!(statements, 0, "another tag's list and another article stay cached");
        assert_eq!(again, first);
        // Its own tag's list and the unfiltered list show the new title at once.
        let list = json_of(app.get("/api/v1/articles?tag=floods").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(list["data"][0]["title"], "Dam Holds, For Now");
        let list = json_of(app.get("/api/v1/articles").send().await.unwrap(), StatusCode::OK).await;
        assert!(list["data"].as_array().unwrap().iter().any(|x| x["title"] == "Dam Holds, For Now"));
        // Moving it into "sport" reaches that list, and the tag counts.
        let res = app.patch("/api/v1/articles/dam-holds").bearer_auth(&editor)
            .json(&json!({"tags": ["sport"]})).send().await.unwrap();
        json_of(res, StatusCode::OK).await;
        let list = json_of(app.get("/api/v1/articles?tag=sport").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(list["meta"]["total"], 2);
        let tag = json_of(app.get("/api/v1/tags/floods").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(tag["article_count"], 0);
    }
);

both_backends!(
    async fn every_write_records_its_events_in_the_outbox(app) {
        let (editor, _) = app.user("editor").await;
        let a = app.published(&editor, "Outbox Story", &[]).await;
        app.article(&editor, json!({"title": "A Draft", "body": "x"})).await;
        let res = app.delete(&format!("/api/v1/articles/{}", a["slug"].as_str().unwrap())).bearer_auth(&editor).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let kinds: Vec<String> = app
            .state
            .db
            .read(|c| newsdesk::db::outbox::at(c, &(1..100).collect::<Vec<_>>()))
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.kind)
            .collect();
        assert_eq!(kinds, ["article.published", "article.deleted"], "a draft makes no public event");
    }
);
