//! Abuse resistance (API.md): login throttling, per-operation counting in GraphQL, comment
//! limits and the spam check, counted-once views, trusted proxies and the headers.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

fn login_body(email: &str, password: &str) -> Value {
    json!({"email": email, "password": password})
}

fn comment(body: &str) -> Value {
    json!({"author_name": "Reader", "author_email": "reader@example.com", "body": body})
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

both_backends!(
    async fn the_sixth_failed_login_is_refused_even_with_the_right_password(app) {
        let (_, _, email) = app.account("editor").await;
        for left in (0..5).rev() {
            let res = app.post("/api/v1/auth/login").json(&login_body(&email, "wrong")).send().await.unwrap();
            assert_eq!(header(&res, "ratelimit-policy"), "\"login\";q=5;w=900");
            assert!(header(&res, "ratelimit").starts_with(&format!("\"login\";r={left};t=")), "{}", header(&res, "ratelimit"));
            problem(res, StatusCode::UNAUTHORIZED).await;
        }
        let refused = app.post("/api/v1/auth/login").json(&login_body(&email, PASSWORD)).send().await.unwrap();
        let wait: u64 = header(&refused, "retry-after").parse().unwrap();
        assert!((1..=180).contains(&wait), "{wait}");
        assert!(header(&refused, "ratelimit").starts_with("\"login\";r=0;t="));
        let p = problem(refused, StatusCode::TOO_MANY_REQUESTS).await;
        assert!(p["detail"].as_str().unwrap().contains("failed logins"));
        // Another account from the same client is not locked (the client has 20).
        let (_, _, other) = app.account("author").await;
        app.login(&other, PASSWORD).await;
        // Nor is one who signs in correctly: successes are not counted.
        for _ in 0..6 {
            app.login(&other, PASSWORD).await;
        }
    }
);

both_backends!(
    async fn aliased_logins_count_one_by_one_and_answer_429(app) {
        let (_, _, email) = app.account("editor").await;
        let aliases: String = (0..12)
            .map(|i| format!("a{i}: login(email: \"{email}\", password: \"guess-{i}\") {{ accessToken }} "))
            .collect();
        let res = app
            .post("/graphql")
            .json(&json!({"query": format!("mutation {{ {aliases} }}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(header(&res, "retry-after").parse::<u64>().unwrap() >= 1);
        assert!(header(&res, "ratelimit-policy").contains("login"));
        let body: Value = res.json().await.unwrap();
        let codes: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["extensions"]["code"].as_str().unwrap()).collect();
        assert_eq!(codes.iter().filter(|c| **c == "UNAUTHENTICATED").count(), 5, "{codes:?}");
        assert_eq!(codes.iter().filter(|c| **c == "RATE_LIMITED").count(), 7, "{codes:?}");
        // The account stays locked for REST too, right password or not.
        let res = app.post("/api/v1/auth/login").json(&login_body(&email, PASSWORD)).send().await.unwrap();
        problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    }
);

both_backends!(
    async fn one_client_guessing_many_accounts_is_stopped_at_twenty(app) {
        let (_, _, email) = app.account("author").await;
        for i in 0..20 {
            let res = app.post("/api/v1/auth/login").json(&login_body(&format!("nobody{i}@example.com"), "x")).send().await.unwrap();
            problem(res, StatusCode::UNAUTHORIZED).await;
        }
        let res = app.post("/api/v1/auth/login").json(&login_body(&email, PASSWORD)).send().await.unwrap();
        assert_eq!(header(&res, "ratelimit-policy"), "\"login-client\";q=20;w=900");
        problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    }
);

both_backends!(
    async fn forwarded_headers_from_an_untrusted_peer_are_ignored(app) {
        for i in 0..20 {
            // Each guess claims another address; the peer is what counts.
            let res = app
                .post("/api/v1/auth/login")
                .header("x-forwarded-for", format!("203.0.113.{i}"))
                .header("forwarded", format!("for=198.51.100.{i}"))
                .json(&login_body(&format!("nobody{i}@example.com"), "x"))
                .send()
                .await
                .unwrap();
            problem(res, StatusCode::UNAUTHORIZED).await;
        }
        let res = app.post("/api/v1/auth/login").header("x-forwarded-for", "192.0.2.99").json(&login_body("a@example.com", "x")).send().await.unwrap();
        problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    }
);

both_backends!(
    with behind_proxy;
    async fn a_trusted_proxys_clients_are_told_apart(app) {
        let guess = |n: usize, i: usize| {
            app.post("/api/v1/auth/login")
                .header(reader(n).0, format!("6.6.6.6, {}", reader(n).1))
                .json(&login_body(&format!("nobody{n}-{i}@example.com"), "x"))
                .send()
        };
        for i in 0..20 {
            problem(guess(1, i).await.unwrap(), StatusCode::UNAUTHORIZED).await;
        }
        problem(guess(1, 20).await.unwrap(), StatusCode::TOO_MANY_REQUESTS).await;
        // Another reader behind the same proxy (who also wrote a fake first hop) is not.
        problem(guess(2, 0).await.unwrap(), StatusCode::UNAUTHORIZED).await;
        // Views too: two readers count twice, one reader once.
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Told Apart", &[]).await;
        for n in [1, 2, 2, 2] {
            app.post("/api/v1/articles/told-apart/views").header(reader(n).0, reader(n).1).send().await.unwrap();
        }
        app.settle().await;
        let a = json_of(app.get("/api/v1/articles/told-apart").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(a["view_count"], 2);
    }
);

both_backends!(
    async fn a_comment_burst_gets_429_after_the_limit(app) {
        let (editor, _) = app.user("editor").await;
        for i in 0..6 {
            app.published(&editor, &format!("Story {i}"), &[]).await;
        }
        for i in 0..5 {
            let res = app.post(&format!("/api/v1/articles/story-{i}/comments")).json(&comment(&format!("My view number {i}."))).send().await.unwrap();
            // The tightest limit is shown: one comment per story per 20 s, spent, until the
            // client's own five are spent too and wait longer.
            let policy = if i < 4 { "\"comments-per-article\";q=1;w=20" } else { "\"comments\";q=5;w=60" };
            assert_eq!(header(&res, "ratelimit-policy"), policy);
            json_of(res, StatusCode::CREATED).await;
        }
        let res = app.post("/api/v1/articles/story-5/comments").json(&comment("One more.")).send().await.unwrap();
        assert!(header(&res, "retry-after").parse::<u64>().unwrap() >= 1);
        assert_eq!(header(&res, "ratelimit-policy"), "\"comments\";q=5;w=60");
        assert_eq!(header(&res, "ratelimit"), format!("\"comments\";r=0;t={}", header(&res, "retry-after")));
        problem(res, StatusCode::TOO_MANY_REQUESTS).await;
        // GraphQL's addComment draws on the same quota.
        let body = app
            .gql(None, r#"mutation { addComment(input: {articleSlug: "story-5", authorName: "R", authorEmail: "r@example.com", body: "Hi"}) { id } }"#, json!({}))
            .await;
        assert_eq!(gql_code(&body), "RATE_LIMITED");
        // An editor's comments are writes of an account, not anonymous comments.
        for _ in 0..3 {
            let res = app.post("/api/v1/articles/story-5/comments").bearer_auth(&editor).json(&comment("Editor note.")).send().await.unwrap();
            json_of(res, StatusCode::CREATED).await;
        }
    }
);

both_backends!(
    async fn one_reader_comments_on_one_story_every_twenty_seconds(app) {
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Story", &[]).await;
        json_of(app.post("/api/v1/articles/story/comments").json(&comment("First.")).send().await.unwrap(), StatusCode::CREATED).await;
        let res = app.post("/api/v1/articles/story/comments").json(&comment("Second.")).send().await.unwrap();
        assert!(header(&res, "ratelimit-policy").starts_with("\"comments-per-article\""));
        problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    }
);

both_backends!(
    with behind_proxy;
    async fn spam_is_held_with_its_reason_and_can_be_released(app) {
        let (editor, _) = app.user("editor").await;
        for i in 0..4 {
            app.published(&editor, &format!("Story {i}"), &[]).await;
        }
        let cases = [
            (json!({"author_name": "Bot", "author_email": "b@example.com", "body": "Nice post", "website": "http://spam.example"}), "website"),
            (comment("see http://a.example http://b.example http://c.example"), "3 links"),
            (comment("https://only-a-link.example"), "nothing but links"),
            (comment("Great read. Visit my website for cheap pills"), "spam phrase"),
        ];
        let mut ids = Vec::new();
        for (n, (body, _)) in cases.iter().enumerate() {
            let res = app.post(&format!("/api/v1/articles/story-{n}/comments")).header(reader(n).0, reader(n).1).json(body).send().await.unwrap();
            let posted = json_of(res, StatusCode::CREATED).await;
            // The poster is told what anyone is told.
            assert_eq!(posted["status"], "pending");
            assert!(posted.get("spam_reason").is_none());
            ids.push(posted["id"].as_i64().unwrap());
        }
        // The same body twice from one reader, on two stories.
        for story in [0, 1] {
            let res = app.post(&format!("/api/v1/articles/story-{story}/comments")).header(reader(9).0, reader(9).1).json(&comment("I agree with every word.")).send().await.unwrap();
            json_of(res, StatusCode::CREATED).await;
        }
        let spam = json_of(app.get("/api/v1/comments?status=spam").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(spam["meta"]["total"], 5, "{spam}");
        for ((_, reason), id) in cases.iter().zip(&ids) {
            let held = spam["data"].as_array().unwrap().iter().find(|c| c["id"] == *id).unwrap();
            assert_eq!(held["status"], "spam");
            assert!(held["spam_reason"].as_str().unwrap().contains(reason), "{held}");
            assert!(held.get("website").is_none() && !held.to_string().contains("spam.example"));
        }
        assert!(spam.to_string().contains("the same body again"));
        let pending = json_of(app.get("/api/v1/comments").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(pending["meta"]["total"], 1);
        // Released by moderation: approved and public, its verdict gone.
        let id = ids[3];
        let released = json_of(
            app.patch(&format!("/api/v1/comments/{id}")).bearer_auth(&editor).json(&json!({"status": "approved"})).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(released["status"], "approved");
        assert!(released.get("spam_reason").is_none());
        let public = json_of(app.get("/api/v1/articles/story-3/comments").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(public["data"][0]["id"], id);
        // GraphQL shows editors the same verdicts.
        let q = app.gql_ok(Some(&editor), "{ comments(status: SPAM) { totalCount edges { node { status spamReason } } } }", json!({})).await;
        assert_eq!(q["comments"]["totalCount"], 4);
        assert!(q["comments"]["edges"][0]["node"]["spamReason"].is_string());
        // A signed-in author's links are not judged.
        let (author, _) = app.user("author").await;
        let res = app.post("/api/v1/articles/story-0/comments").bearer_auth(&author).json(&comment("http://a.example http://b.example http://c.example")).send().await.unwrap();
        assert_eq!(json_of(res, StatusCode::CREATED).await["status"], "pending");
        let spam = json_of(app.get("/api/v1/comments?status=spam").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(spam["meta"]["total"], 4);
    }
);

both_backends!(
    async fn a_thousand_views_from_one_client_count_once(app) {
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Popular", &[]).await;
        app.published(&editor, "Other", &[]).await;
        let sends = (0..200).map(|_| app.post("/api/v1/articles/popular/views").send());
        for res in futures_util::future::join_all(sends).await {
            assert_eq!(res.unwrap().status(), StatusCode::ACCEPTED);
        }
        let aliases: String = (0..30).map(|i| format!("v{i}: recordView(slug: \"popular\") ")).collect();
        let data = app.gql_ok(None, &format!("mutation {{ {aliases} }}"), json!({})).await;
        assert_eq!(data["v29"], true);
        for network in ["x", "x", "whatsapp"] {
            let res = app.post("/api/v1/articles/popular/shares").json(&json!({"network": network})).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::ACCEPTED);
        }
        app.post("/api/v1/articles/other/views").send().await.unwrap();
        app.settle().await;
        let a = json_of(app.get("/api/v1/articles/popular").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(a["view_count"], 1);
        assert_eq!(a["share_counts"]["x"], 1);
        assert_eq!(a["share_counts"]["whatsapp"], 1);
        let b = json_of(app.get("/api/v1/articles/other").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(b["view_count"], 1);
    }
);

both_backends!(
    with no_rate_limits;
    async fn with_limits_off_every_view_counts_and_nothing_is_refused(app) {
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Counted", &[]).await;
        for _ in 0..3 {
            app.post("/api/v1/articles/counted/views").send().await.unwrap();
        }
        for i in 0..7 {
            let res = app.post("/api/v1/articles/counted/comments").json(&comment(&format!("http://a.example http://b.example http://c.example {i}"))).send().await.unwrap();
            assert!(res.headers().get("ratelimit").is_none());
            json_of(res, StatusCode::CREATED).await;
        }
        app.settle().await;
        let a = json_of(app.get("/api/v1/articles/counted").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(a["view_count"], 3);
        let spam = json_of(app.get("/api/v1/comments?status=spam").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(spam["meta"]["total"], 0);
    }
);

fn three_writes(s: &mut newsdesk::config::Settings, _: &str) {
    s.abuse.writes = newsdesk::config::Rate::new(3, 60);
}

both_backends!(
    with three_writes;
    async fn an_accounts_writes_are_limited(app) {
        let (editor, _) = app.user("editor").await;
        for i in 0..3 {
            let res = app.post("/api/v1/tags").bearer_auth(&editor).json(&json!({"name": format!("Tag {i}")})).send().await.unwrap();
            assert_eq!(header(&res, "ratelimit-policy"), "\"writes\";q=3;w=60");
            json_of(res, StatusCode::CREATED).await;
        }
        let res = app.post("/api/v1/tags").bearer_auth(&editor).json(&json!({"name": "Tag 4"})).send().await.unwrap();
        problem(res, StatusCode::TOO_MANY_REQUESTS).await;
        let body = app.gql(Some(&editor), r#"mutation { createTag(input: {name: "Tag 5"}) { slug } }"#, json!({})).await;
        assert_eq!(gql_code(&body), "RATE_LIMITED");
        // Nothing half-written: the refused tags do not exist.
        problem(app.get("/api/v1/tags/tag-4").send().await.unwrap(), StatusCode::NOT_FOUND).await;
        // Reads are not writes.
        json_of(app.get("/api/v1/me").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        // Another account has its own quota.
        let (other, _) = app.user("editor").await;
        json_of(app.post("/api/v1/tags").bearer_auth(&other).json(&json!({"name": "Other"})).send().await.unwrap(), StatusCode::CREATED).await;
    }
);

fn three_reads(s: &mut newsdesk::config::Settings, _: &str) {
    s.abuse.reads = Some(newsdesk::config::Rate::new(3, 60));
}

both_backends!(
    with three_reads;
    async fn anonymous_reads_are_limited_only_when_asked(app) {
        let (editor, _) = app.user("editor").await;
        for _ in 0..3 {
            let res = app.get("/api/v1/articles").send().await.unwrap();
            assert_eq!(header(&res, "ratelimit-policy"), "\"reads\";q=3;w=60");
            json_of(res, StatusCode::OK).await;
        }
        let res = app.get("/api/v1/articles").send().await.unwrap();
        problem(res, StatusCode::TOO_MANY_REQUESTS).await;
        let res = app.post("/graphql").json(&json!({"query": "{ articles(first: 1) { totalCount } }"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let body: Value = res.json().await.unwrap();
        assert_eq!(gql_code(&body), "RATE_LIMITED");
        // Signed-in readers are not anonymous, and health checks are not reads.
        json_of(app.get("/api/v1/articles").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        for path in ["/healthz", "/readyz"] {
            assert_eq!(app.get(path).send().await.unwrap().status(), StatusCode::OK, "{path}");
        }
    }
);

both_backends!(
    async fn every_answer_has_the_security_headers(app) {
        for (path, accept) in [("/api/v1/articles", "application/json"), ("/api/v1/nope", "application/json"), ("/graphql", "text/html"), ("/api/docs/", "text/html")] {
            let res = app.get(path).header("accept", accept).send().await.unwrap();
            assert_eq!(header(&res, "referrer-policy"), "no-referrer", "{path}");
            assert_eq!(header(&res, "x-content-type-options"), "nosniff", "{path}");
            if accept == "text/html" {
                let csp = header(&res, "content-security-policy");
                assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
                assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
                assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
                // Inline scripts run only by hash: the page's own, nothing injected.
                assert!(!csp.split(';').any(|d| d.trim().starts_with("script-src") && d.contains("'unsafe-inline'")), "{path}: {csp}");
            }
        }
    }
);
