use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    async fn create_publish_and_read_an_article(app) {
        let (editor, _) = app.user("editor").await;
        app.tag(&editor, "Ukraine").await;
        let res = app
            .post("/api/v1/articles")
            .bearer_auth(&editor)
            .json(&json!({
                "title": "Trump Calls Ceasefire Talks ‘On Track’",
                "subtitle": "After a call with Zelensky",
                "body": "Washington – The **call** was \"very good\".\n\n<script>alert(1)</script><img src=x onerror=alert(1)>",
                "dateline": "Washington",
                "image": {"url": "https://cdn.example.com/a.webp", "alt": "Trump", "caption": "At the White House", "credit": "© Image Copyrights Title"},
                "tags": ["ukraine"],
                "status": "published"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(
            res.headers()["location"],
            "/api/v1/articles/trump-calls-ceasefire-talks-on-track"
        );
        let created: Value = res.json().await.unwrap();
        assert_eq!(created["slug"], "trump-calls-ceasefire-talks-on-track");
        assert_eq!(created["version"], 1);
        assert!(created["published_at"].as_str().unwrap().ends_with('Z'));
        let html = created["body_html"].as_str().unwrap();
        assert!(html.contains("<strong>call</strong>"));
        assert!(!html.contains("<script") && !html.contains("onerror"), "{html}");

        let read = json_of(
            app.get("/api/v1/articles/trump-calls-ceasefire-talks-on-track").send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(read["image"]["credit"], "© Image Copyrights Title");
        assert_eq!(read["tags"][0]["slug"], "ukraine");
        assert_eq!(read["author"]["name"], "Test editor");
        assert_eq!(read["status"], "published");
        assert_eq!(read["reading_time_minutes"], 1);
        assert_eq!(read["share_counts"]["whatsapp"], 0);
        assert_eq!(read["comment_count"], 0);
        assert!(read["excerpt"].as_str().unwrap().starts_with("Washington – The call was"));
        assert!(!read["excerpt"].as_str().unwrap().contains("alert"));
        assert_eq!(read["body"], created["body"]);
    }
);

both_backends!(
    async fn slugs_are_derived_deduplicated_and_explicit_clashes_are_409(app) {
        let (author, _) = app.user("author").await;
        let a = app.article(&author, json!({"title": "Budget Vote", "body": "x"})).await;
        let b = app.article(&author, json!({"title": "Budget Vote", "body": "y"})).await;
        assert_eq!(a["slug"], "budget-vote");
        assert_eq!(b["slug"], "budget-vote-2");
        let clash = app
            .post("/api/v1/articles")
            .bearer_auth(&author)
            .json(&json!({"title": "Other", "body": "z", "slug": "budget-vote"}))
            .send()
            .await
            .unwrap();
        problem(clash, StatusCode::CONFLICT).await;
        let rename = app
            .patch("/api/v1/articles/budget-vote-2")
            .bearer_auth(&author)
            .json(&json!({"slug": "budget-vote"}))
            .send()
            .await
            .unwrap();
        problem(rename, StatusCode::CONFLICT).await;
    }
);

both_backends!(
    async fn invalid_article_fields_are_422_naming_each_field(app) {
        let (author, _) = app.user("author").await;
        let post = |body: Value| app.post("/api/v1/articles").bearer_auth(&author).json(&body).send();
        invalid(post(json!({"title": "   ", "body": "x"})).await.unwrap(), "title").await;
        invalid(post(json!({"body": "x"})).await.unwrap(), "title").await;
        invalid(post(json!({"title": "t"})).await.unwrap(), "body").await;
        invalid(post(json!({"title": "t", "body": "x", "slug": "Not A Slug"})).await.unwrap(), "slug").await;
        invalid(post(json!({"title": "t", "body": "x", "image": {"url": "javascript:alert(1)"}})).await.unwrap(), "image.url").await;
        invalid(post(json!({"title": "t", "body": "x", "image": {"url": "ftp://example.com/a.png"}})).await.unwrap(), "image.url").await;
        invalid(post(json!({"title": "t", "body": "x", "tags": ["no-such-tag"]})).await.unwrap(), "tags").await;
        invalid(post(json!({"title": "t", "body": "x", "status": "live"})).await.unwrap(), "status").await;
        invalid(post(json!({"title": "t", "body": "x", "published_at": "tomorrow"})).await.unwrap(), "published_at").await;
        invalid(post(json!({"title": "x".repeat(301), "body": "x"})).await.unwrap(), "title").await;
        let many = invalid(
            post(json!({"title": "", "body": "x", "slug": "-bad-", "status": "nope"})).await.unwrap(),
            "title",
        )
        .await;
        assert!(many["errors"]["slug"].is_array() && many["errors"]["status"].is_array());
        // Nothing was written by any of these.
        let list = json_of(
            app.get("/api/v1/articles?status=any").bearer_auth(&author).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(list["meta"]["total"], 0);
    }
);

both_backends!(
    async fn malformed_json_wrong_types_and_unknown_fields_are_400(app) {
        let (author, _) = app.user("author").await;
        let raw = |body: &'static str| {
            app.post("/api/v1/articles")
                .bearer_auth(&author)
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        problem(raw("{\"title\": ").await.unwrap(), StatusCode::BAD_REQUEST).await;
        problem(raw("{\"title\": 42, \"body\": \"x\"}").await.unwrap(), StatusCode::BAD_REQUEST).await;
        problem(raw("{\"title\": \"t\", \"body\": \"x\", \"titel\": \"typo\"}").await.unwrap(), StatusCode::BAD_REQUEST).await;
        problem(raw("[1, 2]").await.unwrap(), StatusCode::BAD_REQUEST).await;
        problem(raw("").await.unwrap(), StatusCode::BAD_REQUEST).await;
        let text = app
            .post("/api/v1/articles")
            .bearer_auth(&author)
            .header("content-type", "text/plain")
            .body("title=x")
            .send()
            .await
            .unwrap();
        problem(text, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        problem(
            app.get("/api/v1/articles?page=abc").send().await.unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
        // An id that is not a number names nothing: 404, like a slug that is not a slug.
        problem(
            app.patch("/api/v1/comments/not-a-number")
                .bearer_auth(&author)
                .json(&json!({"status": "approved"}))
                .send()
                .await
                .unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
    }
);

both_backends!(
    async fn bodies_over_the_limit_are_413(app) {
        let (author, _) = app.user("author").await;
        let huge = json!({"title": "Big", "body": "x".repeat(300 * 1024)});
        problem(
            app.post("/api/v1/articles").bearer_auth(&author).json(&huge).send().await.unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
        .await;
    }
);

both_backends!(
    async fn drafts_and_scheduled_articles_are_hidden_from_the_public(app) {
        let (author, _) = app.user("author").await;
        let (other_author, _) = app.user("author").await;
        let (editor, _) = app.user("editor").await;
        app.article(&author, json!({"title": "Draft Piece", "body": "x"})).await;
        app.article(
            &author,
            json!({"title": "Scheduled Piece", "body": "x", "status": "published",
                   "published_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
        app.article(&author, json!({"title": "Archived Piece", "body": "x", "status": "archived"})).await;
        for slug in ["draft-piece", "scheduled-piece", "archived-piece"] {
            let path = format!("/api/v1/articles/{slug}");
            problem(app.get(&path).send().await.unwrap(), StatusCode::NOT_FOUND).await;
            problem(app.get(&path).bearer_auth(&other_author).send().await.unwrap(), StatusCode::NOT_FOUND).await;
            json_of(app.get(&path).bearer_auth(&author).send().await.unwrap(), StatusCode::OK).await;
            json_of(app.get(&path).bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
            problem(
                app.post(&format!("{path}/views")).send().await.unwrap(),
                StatusCode::NOT_FOUND,
            )
            .await;
        }
        let public = json_of(app.get("/api/v1/articles").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(public["meta"]["total"], 0);
        // A scheduled article goes live at its instant, with no job running.
        let past = app
            .patch("/api/v1/articles/scheduled-piece")
            .bearer_auth(&editor)
            .json(&json!({"published_at": "2020-01-01T00:00:00Z"}))
            .send()
            .await
            .unwrap();
        json_of(past, StatusCode::OK).await;
        json_of(app.get("/api/v1/articles/scheduled-piece").send().await.unwrap(), StatusCode::OK).await;
    }
);

both_backends!(
    async fn authors_edit_only_their_own_and_only_editors_delete(app) {
        let (author, _) = app.user("author").await;
        let (other, _) = app.user("author").await;
        let (editor, _) = app.user("editor").await;
        app.article(&author, json!({"title": "Mine", "body": "x", "status": "published"})).await;
        problem(
            app.patch("/api/v1/articles/mine").bearer_auth(&other).json(&json!({"title": "Theirs"})).send().await.unwrap(),
            StatusCode::FORBIDDEN,
        )
        .await;
        problem(
            app.patch("/api/v1/articles/mine").json(&json!({"title": "Anon"})).send().await.unwrap(),
            StatusCode::UNAUTHORIZED,
        )
        .await;
        problem(
            app.delete("/api/v1/articles/mine").bearer_auth(&author).send().await.unwrap(),
            StatusCode::FORBIDDEN,
        )
        .await;
        let edited = json_of(
            app.patch("/api/v1/articles/mine").bearer_auth(&editor).json(&json!({"subtitle": "Edited"})).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(edited["subtitle"], "Edited");
        let res = app.delete("/api/v1/articles/mine").bearer_auth(&editor).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        problem(app.get("/api/v1/articles/mine").send().await.unwrap(), StatusCode::NOT_FOUND).await;
        problem(
            app.delete("/api/v1/articles/mine").bearer_auth(&editor).send().await.unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
    }
);

both_backends!(
    async fn patch_is_partial_advances_the_version_and_clears_with_null(app) {
        let (author, _) = app.user("author").await;
        let a = app
            .article(&author, json!({"title": "Draft", "body": "First body.", "subtitle": "Sub", "excerpt": "Mine."}))
            .await;
        assert_eq!(a["excerpt"], "Mine.");
        // Timestamps have whole seconds: the edit comes in a later second, so that
        // `updated_at` must be strictly later, not merely not earlier.
        let created = chrono::DateTime::parse_from_rfc3339(a["updated_at"].as_str().unwrap()).unwrap();
        while chrono::Utc::now().timestamp() <= created.timestamp() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let b = json_of(
            app.patch("/api/v1/articles/draft")
                .bearer_auth(&author)
                .json(&json!({"subtitle": null, "excerpt": null, "body": "Second body, longer.", "status": "published"}))
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(b["version"], 2);
        assert_eq!(b["title"], "Draft");
        assert!(b["subtitle"].is_null());
        assert_eq!(b["excerpt"], "Second body, longer.");
        assert!(b["published_at"].is_string(), "publishing stamps the time");
        let updated = chrono::DateTime::parse_from_rfc3339(b["updated_at"].as_str().unwrap()).unwrap();
        assert!(updated > created, "updated_at advances: {created} then {updated}");
        assert_eq!(b["created_at"], a["created_at"], "created_at stays");
    }
);

both_backends!(
    async fn stale_if_match_is_412_and_changes_nothing(app) {
        let (author, _) = app.user("author").await;
        app.article(&author, json!({"title": "Versioned", "body": "x", "status": "published"})).await;
        let res = app.get("/api/v1/articles/versioned").send().await.unwrap();
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        // A view does not make the tag stale: If-Match names the version.
        app.post("/api/v1/articles/versioned/views").send().await.unwrap();
        let ok = app
            .patch("/api/v1/articles/versioned")
            .bearer_auth(&author)
            .header("if-match", &etag)
            .json(&json!({"title": "Versioned Again"}))
            .send()
            .await
            .unwrap();
        json_of(ok, StatusCode::OK).await;
        let stale = app
            .patch("/api/v1/articles/versioned")
            .bearer_auth(&author)
            .header("if-match", &etag)
            .json(&json!({"title": "Lost Update"}))
            .send()
            .await
            .unwrap();
        problem(stale, StatusCode::PRECONDITION_FAILED).await;
        let junk = app
            .patch("/api/v1/articles/versioned")
            .bearer_auth(&author)
            .header("if-match", "\"garbage\"")
            .json(&json!({"title": "Lost Update"}))
            .send()
            .await
            .unwrap();
        problem(junk, StatusCode::PRECONDITION_FAILED).await;
        let now = json_of(app.get("/api/v1/articles/versioned").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(now["title"], "Versioned Again");
        assert_eq!(now["version"], 2);
    }
);

both_backends!(
    async fn etags_give_304_on_if_none_match(app) {
        let (author, _) = app.user("author").await;
        app.article(&author, json!({"title": "Cached", "body": "x", "status": "published"})).await;
        for path in ["/api/v1/articles/cached", "/api/v1/articles", "/api/v1/tags"] {
            let first = app.get(path).send().await.unwrap();
            assert_eq!(first.status(), StatusCode::OK);
            assert!(first.headers()["cache-control"].to_str().unwrap().contains("public"));
            let etag = first.headers()["etag"].to_str().unwrap().to_owned();
            let again = app.get(path).header("if-none-match", &etag).send().await.unwrap();
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
            assert!(again.bytes().await.unwrap().is_empty());
        }
        let etag = app.get("/api/v1/articles/cached").send().await.unwrap().headers()["etag"].to_str().unwrap().to_owned();
        app.patch("/api/v1/articles/cached").bearer_auth(&author).json(&json!({"title": "Changed"})).send().await.unwrap();
        let after = app.get("/api/v1/articles/cached").header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(after.status(), StatusCode::OK, "a change gives a new tag");
    }
);

both_backends!(
    // Three readers behind a proxy: each counts once.
    with behind_proxy;
    async fn views_and_shares_are_counted(app) {
        let (author, _) = app.user("author").await;
        app.article(&author, json!({"title": "Shared", "body": "x", "status": "published"})).await;
        for n in 0..3 {
            let res = app.post("/api/v1/articles/shared/views").header(reader(n).0, reader(n).1).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::ACCEPTED);
        }
        for (n, network) in ["whatsapp", "whatsapp", "x"].into_iter().enumerate() {
            let res = app
                .post("/api/v1/articles/shared/shares")
                .header(reader(n).0, reader(n).1)
                .json(&json!({"network": network}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::ACCEPTED);
        }
        invalid(
            app.post("/api/v1/articles/shared/shares").json(&json!({"network": "myspace"})).send().await.unwrap(),
            "network",
        )
        .await;
        problem(
            app.post("/api/v1/articles/shared/shares").json(&json!({})).send().await.unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
        problem(
            app.post("/api/v1/articles/nope/views").send().await.unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
        app.settle().await;
        let a = json_of(app.get("/api/v1/articles/shared").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(a["view_count"], 3);
        assert_eq!(a["share_count"], 3);
        assert_eq!(a["share_counts"]["whatsapp"], 2);
        assert_eq!(a["share_counts"]["x"], 1);
        assert_eq!(a["share_counts"]["telegram"], 0);
    }
);

both_backends!(
    async fn a_write_is_never_hidden_by_a_cached_read(app) {
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Cached Story", &[]).await;
        let first = json_of(app.get("/api/v1/articles/cached-story").send().await.unwrap(), StatusCode::OK).await;
        app.quiet().await;
        let before = app.state.db.statements_run();
        let again = json_of(app.get("/api/v1/articles/cached-story").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(app.state.db.statements_run(), before, "the second read came from the cache");
        assert_eq!(first, again);
        json_of(
            app.patch("/api/v1/articles/cached-story").bearer_auth(&editor).json(&json!({"title": "Fresh Title"})).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        let after = json_of(app.get("/api/v1/articles/cached-story").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(after["title"], "Fresh Title", "the write is seen at once");
        let list = json_of(app.get("/api/v1/articles").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(list["data"][0]["title"], "Fresh Title");
        let gql = app.gql_ok(None, r#"{ article(slug: "cached-story") { title } }"#, json!({})).await;
        assert_eq!(gql["article"]["title"], "Fresh Title");
        app.delete("/api/v1/articles/cached-story").bearer_auth(&editor).send().await.unwrap();
        problem(app.get("/api/v1/articles/cached-story").send().await.unwrap(), StatusCode::NOT_FOUND).await;
        let gql = app.gql_ok(None, r#"{ article(slug: "cached-story") { title } }"#, json!({})).await;
        assert!(gql["article"].is_null());
    }
);

both_backends!(
    with behind_proxy;
    async fn counted_views_show_within_a_second_on_their_own(app) {
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Read Often", &[]).await;
        json_of(app.get("/api/v1/articles/read-often").send().await.unwrap(), StatusCode::OK).await;
        let query = r#"{ article(slug: "read-often") { viewCount } }"#;
        assert_eq!(app.gql_ok(None, query, json!({})).await["article"]["viewCount"], 0);
        for n in 0..5 {
            app.post("/api/v1/articles/read-often/views").header(reader(n).0, reader(n).1).send().await.unwrap();
        }
        app.post("/api/v1/articles/read-often/shares").json(&json!({"network": "x"})).send().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let a = json_of(app.get("/api/v1/articles/read-often").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(a["view_count"], 5);
        assert_eq!(a["share_counts"]["x"], 1);
        assert_eq!(app.gql_ok(None, query, json!({})).await["article"]["viewCount"], 5);
    }
);

both_backends!(
    with behind_proxy;
    async fn no_count_is_lost_across_a_graceful_restart(app) {
        let mut app = app;
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Busy Story", &[]).await;
        let sends = (0..40).map(|n| app.post("/api/v1/articles/busy-story/views").header(reader(n).0, reader(n).1).send());
        for res in futures_util::future::join_all(sends).await {
            assert_eq!(res.unwrap().status(), StatusCode::ACCEPTED);
        }
        app.post("/api/v1/articles/busy-story/shares").json(&json!({"network": "whatsapp"})).send().await.unwrap();
        // Straight away, before any timer: the stop itself writes what is pending.
        app.restart().await;
        let a = json_of(app.get("/api/v1/articles/busy-story").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(a["view_count"], 40);
        assert_eq!(a["share_counts"]["whatsapp"], 1);
    }
);

both_backends!(
    async fn rest_lists_cost_the_same_statements_at_5_and_50(app) {
        let (editor, _) = app.user("editor").await;
        app.tag(&editor, "Politics").await;
        for i in 0..50 {
            app.published(&editor, &format!("Story {i}"), &["politics"]).await;
            if i % 5 == 0 {
                app.post(&format!("/api/v1/articles/story-{i}/shares")).json(&json!({"network": "x"})).send().await.unwrap();
            }
        }
        app.settle().await;
        app.quiet().await;
        let mut counts = Vec::new();
        for n in [5, 50] {
            // Cold: nothing cached, not even the list's total.
            app.state.cache.clear();
            let before = app.state.db.statements_run();
            let list = json_of(
                app.get(&format!("/api/v1/articles?per_page={n}&tag=politics")).send().await.unwrap(),
                StatusCode::OK,
            )
            .await;
            counts.push(app.state.db.statements_run() - before);
            assert_eq!(list["data"].as_array().unwrap().len(), n);
        }
        assert_eq!(counts[0], counts[1], "statements for 5 and 50 summaries: {counts:?}");
    }
);
