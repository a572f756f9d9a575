use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    async fn tags_are_managed_by_editors_and_count_live_articles(app) {
        let (editor, _) = app.user("editor").await;
        let (author, _) = app.user("author").await;
        problem(
            app.post("/api/v1/tags").bearer_auth(&author).json(&json!({"name": "Nope"})).send().await.unwrap(),
            StatusCode::FORBIDDEN,
        )
        .await;
        let tag = app.tag(&editor, "Real Estate").await;
        assert_eq!(tag["slug"], "real-estate");
        assert_eq!(tag["article_count"], 0);
        app.published(&author, "Homes", &["real-estate"]).await;
        app.article(&author, json!({"title": "Draft Homes", "body": "x", "tags": ["real-estate"]})).await;
        let one = json_of(app.get("/api/v1/tags/real-estate").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(one["article_count"], 1, "drafts do not count");
        let list = json_of(app.get("/api/v1/tags").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(list["data"][0]["article_count"], 1);
        let renamed = json_of(
            app.patch("/api/v1/tags/real-estate")
                .bearer_auth(&editor)
                .json(&json!({"name": "Property", "slug": "property", "description": "Homes and offices."}))
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(renamed["slug"], "property");
        let article = json_of(app.get("/api/v1/articles/homes").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(article["tags"][0]["name"], "Property");
        let res = app.delete("/api/v1/tags/property").bearer_auth(&editor).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        problem(app.get("/api/v1/tags/property").send().await.unwrap(), StatusCode::NOT_FOUND).await;
        let article = json_of(app.get("/api/v1/articles/homes").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(article["tags"], json!([]));
    }
);

both_backends!(
    async fn tag_input_is_checked_and_duplicates_are_409(app) {
        let (editor, _) = app.user("editor").await;
        app.tag(&editor, "Sport").await;
        app.tag(&editor, "Culture").await;
        let post = |body: serde_json::Value| app.post("/api/v1/tags").bearer_auth(&editor).json(&body).send();
        problem(post(json!({"name": "Sport"})).await.unwrap(), StatusCode::CONFLICT).await;
        invalid(post(json!({"name": ""})).await.unwrap(), "name").await;
        invalid(post(json!({})).await.unwrap(), "name").await;
        invalid(post(json!({"name": "Fine", "slug": "Not Fine"})).await.unwrap(), "slug").await;
        invalid(post(json!({"name": "!!!"})).await.unwrap(), "slug").await;
        problem(
            app.patch("/api/v1/tags/culture").bearer_auth(&editor).json(&json!({"slug": "sport"})).send().await.unwrap(),
            StatusCode::CONFLICT,
        )
        .await;
        problem(
            app.patch("/api/v1/tags/missing").bearer_auth(&editor).json(&json!({"name": "X"})).send().await.unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
        let page = json_of(app.get("/api/v1/tags?per_page=1").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(page["data"][0]["slug"], "culture");
        let cursor = page["meta"]["next_cursor"].as_str().unwrap();
        let next = json_of(app.get(&format!("/api/v1/tags?per_page=1&cursor={cursor}")).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(next["data"][0]["slug"], "sport");
        assert!(next["meta"]["next_cursor"].is_null());
    }
);

both_backends!(
    async fn a_tag_page_follows_publishing_unpublishing_and_retagging(app) {
        let (editor, _) = app.user("editor").await;
        app.tag(&editor, "Elections").await;
        let make = |title: &str, extra: Value| {
            let mut body = json!({"title": title, "body": "Text.", "tags": ["elections"]});
            if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
                b.extend(e.clone());
            }
            body
        };
        app.article(&editor, make("First Count", json!({"status": "published", "published_at": "2025-01-01T10:00:00Z"}))).await;
        app.article(&editor, make("Exit Poll", json!({}))).await;
        app.article(&editor, make("Result Night", json!({"status": "published", "published_at": "2999-01-01T00:00:00Z"}))).await;
        app.article(&editor, json!({"title": "Untagged Story", "body": "Text.", "status": "published",
                                    "published_at": "2025-01-02T10:00:00Z"})).await;
        let page = |query: &'static str| {
            let app = &app;
            async move {
                let body = json_of(app.get(&format!("/api/v1/articles?tag=elections{query}")).send().await.unwrap(), StatusCode::OK).await;
                let slugs: Vec<String> = body["data"].as_array().unwrap().iter()
                    .map(|a| a["slug"].as_str().unwrap().to_owned()).collect();
                (slugs, body["meta"]["total"].as_i64().unwrap(), body["meta"]["total_exact"].clone())
            }
        };
        assert_eq!(page("").await, (vec!["first-count".to_owned()], 1, json!(true)));
        let edit = |slug: &'static str, body: Value| {
            let app = &app;
            let editor = editor.clone();
            async move {
                let res = app.patch(&format!("/api/v1/articles/{slug}")).bearer_auth(&editor).json(&body).send().await.unwrap();
                assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap_or_default());
            }
        };
        // Publishing a draft puts it on the tag's page, newest first.
        edit("exit-poll", json!({"status": "published", "published_at": "2025-01-03T10:00:00Z"})).await;
        assert_eq!(page("").await.0, ["exit-poll", "first-count"]);
        assert_eq!(page("&sort=oldest").await.0, ["first-count", "exit-poll"]);
        // Tagging an article that is live already adds it; untagging and unpublishing remove.
        edit("untagged-story", json!({"tags": ["elections"]})).await;
        assert_eq!(page("").await.0, ["exit-poll", "untagged-story", "first-count"]);
        assert_eq!(page("&published_after=2025-01-01T12:00:00Z").await.0, ["exit-poll", "untagged-story"]);
        edit("first-count", json!({"status": "archived"})).await;
        edit("exit-poll", json!({"tags": []})).await;
        assert_eq!(page("").await, (vec!["untagged-story".to_owned()], 1, json!(true)));
        // Moving the scheduled one into the past makes it live.
        edit("result-night", json!({"published_at": "2025-01-04T10:00:00Z"})).await;
        assert_eq!(page("").await.0, ["result-night", "untagged-story"]);
        // Keyset paging over the tag's timeline, both ways.
        let first = json_of(app.get("/api/v1/articles?tag=elections&per_page=1").send().await.unwrap(), StatusCode::OK).await;
        let cursor = first["meta"]["next_cursor"].as_str().unwrap().to_owned();
        let second = json_of(app.get(&format!("/api/v1/articles?tag=elections&per_page=1&cursor={cursor}")).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(second["data"][0]["slug"], "untagged-story");
        let back = second["meta"]["prev_cursor"].as_str().unwrap().to_owned();
        let again = json_of(app.get(&format!("/api/v1/articles?tag=elections&per_page=1&before={back}")).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(again["data"][0]["slug"], "result-night");
        // An unknown tag is an empty page, not a walk of the corpus.
        let none = json_of(app.get("/api/v1/articles?tag=no-such-tag").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(none["meta"]["total"], 0);
    }
);
