use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

fn comment(body: &str) -> Value {
    json!({"author_name": "Reader", "author_email": "reader@example.com", "body": body})
}

both_backends!(
    async fn public_comments_wait_for_approval_and_emails_stay_private(app) {
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Story", &[]).await;
        let posted = json_of(
            app.post("/api/v1/articles/story/comments").json(&comment("First! <script>x</script>")).send().await.unwrap(),
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(posted["status"], "pending");
        assert!(posted.get("author_email").is_none());
        assert!(!posted["body_html"].as_str().unwrap().contains("<script"));
        let public = json_of(app.get("/api/v1/articles/story/comments").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(public["data"], json!([]));

        let queue = json_of(app.get("/api/v1/comments").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(queue["meta"]["total"], 1);
        assert_eq!(queue["data"][0]["author_email"], "reader@example.com");
        assert_eq!(queue["data"][0]["article_slug"], "story");
        let id = posted["id"].as_i64().unwrap();
        let approved = json_of(
            app.patch(&format!("/api/v1/comments/{id}")).bearer_auth(&editor).json(&json!({"status": "approved"})).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(approved["status"], "approved");
        let public = json_of(app.get("/api/v1/articles/story/comments").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(public["data"][0]["id"], id);
        assert!(public["data"][0].get("author_email").is_none());
        assert!(!public.to_string().contains("reader@example.com"));
        let article = json_of(app.get("/api/v1/articles/story").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(article["comment_count"], 1);
        let empty = json_of(app.get("/api/v1/comments?status=pending").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(empty["meta"]["total"], 0);
    }
);

both_backends!(
    async fn editors_comments_are_approved_and_replies_are_threaded(app) {
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Story", &[]).await;
        let root = json_of(
            app.post("/api/v1/articles/story/comments").bearer_auth(&editor).json(&comment("Root")).send().await.unwrap(),
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(root["status"], "approved");
        let mut reply = comment("Reply");
        reply["parent_id"] = root["id"].clone();
        let child = json_of(
            app.post("/api/v1/articles/story/comments").bearer_auth(&editor).json(&reply).send().await.unwrap(),
            StatusCode::CREATED,
        )
        .await;
        let mut deeper = comment("Deeper");
        deeper["parent_id"] = child["id"].clone();
        json_of(
            app.post("/api/v1/articles/story/comments").bearer_auth(&editor).json(&deeper).send().await.unwrap(),
            StatusCode::CREATED,
        )
        .await;
        json_of(
            app.post("/api/v1/articles/story/comments").bearer_auth(&editor).json(&comment("Second root")).send().await.unwrap(),
            StatusCode::CREATED,
        )
        .await;
        let list = json_of(app.get("/api/v1/articles/story/comments").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(list["meta"]["total"], 2, "pages count top-level comments");
        assert_eq!(list["data"][0]["body"], "Root");
        assert_eq!(list["data"][0]["replies"][0]["body"], "Reply");
        assert_eq!(list["data"][0]["replies"][0]["replies"][0]["body"], "Deeper");
        assert_eq!(list["data"][1]["body"], "Second root");
        let page2 = json_of(app.get("/api/v1/articles/story/comments?per_page=1&page=2").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(page2["data"][0]["body"], "Second root");
        // Deleting a comment takes its replies with it.
        let id = root["id"].as_i64().unwrap();
        let res = app.delete(&format!("/api/v1/comments/{id}")).bearer_auth(&editor).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let article = json_of(app.get("/api/v1/articles/story").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(article["comment_count"], 1);
        problem(app.delete(&format!("/api/v1/comments/{id}")).bearer_auth(&editor).send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }
);

both_backends!(
    // Each bad comment comes from another reader: one reader may post on one story only
    // every 20 s, and a refused parent has been checked against that limit already.
    with behind_proxy;
    async fn bad_comments_are_422_and_parents_must_share_the_article(app) {
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "One", &[]).await;
        app.published(&editor, "Two", &[]).await;
        app.article(&editor, json!({"title": "Unpublished", "body": "x"})).await;
        let on_two = json_of(
            app.post("/api/v1/articles/two/comments").bearer_auth(&editor).json(&comment("On two")).send().await.unwrap(),
            StatusCode::CREATED,
        )
        .await;
        let n = std::cell::Cell::new(0);
        let post = |body: Value| {
            n.set(n.get() + 1);
            app.post("/api/v1/articles/one/comments").header(reader(n.get()).0, reader(n.get()).1).json(&body).send()
        };
        let mut cross = comment("Cross-article reply");
        cross["parent_id"] = on_two["id"].clone();
        invalid(post(cross).await.unwrap(), "parent_id").await;
        let mut missing = comment("Reply to nothing");
        missing["parent_id"] = json!(999_999);
        invalid(post(missing).await.unwrap(), "parent_id").await;
        invalid(post(json!({"author_name": "", "author_email": "r@example.com", "body": "x"})).await.unwrap(), "author_name").await;
        invalid(post(json!({"author_name": "R", "author_email": "not-an-email", "body": "x"})).await.unwrap(), "author_email").await;
        invalid(post(json!({"author_name": "R", "author_email": "r@example.com", "body": " "})).await.unwrap(), "body").await;
        invalid(post(json!({"author_name": "R", "author_email": "r@example.com", "body": "x".repeat(5001)})).await.unwrap(), "body").await;
        problem(post(json!({"author_name": "R", "author_email": "r@example.com", "body": 5})).await.unwrap(), StatusCode::BAD_REQUEST).await;
        problem(
            app.post("/api/v1/articles/unpublished/comments").json(&comment("x")).send().await.unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
    }
);

both_backends!(
    async fn moderation_is_for_editors(app) {
        let (editor, _) = app.user("editor").await;
        let (author, _) = app.user("author").await;
        app.published(&editor, "Story", &[]).await;
        let c = json_of(
            app.post("/api/v1/articles/story/comments").json(&comment("Hi")).send().await.unwrap(),
            StatusCode::CREATED,
        )
        .await;
        let id = c["id"].as_i64().unwrap();
        problem(app.get("/api/v1/comments").send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        problem(app.get("/api/v1/comments").bearer_auth(&author).send().await.unwrap(), StatusCode::FORBIDDEN).await;
        problem(
            app.patch(&format!("/api/v1/comments/{id}")).bearer_auth(&author).json(&json!({"status": "approved"})).send().await.unwrap(),
            StatusCode::FORBIDDEN,
        )
        .await;
        invalid(
            app.patch(&format!("/api/v1/comments/{id}")).bearer_auth(&editor).json(&json!({"status": "great"})).send().await.unwrap(),
            "status",
        )
        .await;
        invalid(app.get("/api/v1/comments?status=great").bearer_auth(&editor).send().await.unwrap(), "status").await;
        problem(
            app.patch("/api/v1/comments/999999").bearer_auth(&editor).json(&json!({"status": "spam"})).send().await.unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
        json_of(
            app.patch(&format!("/api/v1/comments/{id}")).bearer_auth(&editor).json(&json!({"status": "spam"})).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        let spam = json_of(app.get("/api/v1/comments?status=spam").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(spam["meta"]["total"], 1);
        let any = json_of(app.get("/api/v1/comments?status=any").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(any["meta"]["total"], 1);
    }
);
