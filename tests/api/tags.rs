use reqwest::StatusCode;
use serde_json::json;

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
