//! Input no client should send: NUL and other control characters, invalid surrogates, huge
//! strings, malformed HTTP. Each gets a 4xx in our shape, the same on both backends; none
//! reaches a database that would refuse it.

use proptest::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    async fn a_nul_in_a_text_field_is_422_naming_the_field(app) {
        let (editor, _) = app.user("editor").await;
        app.tag(&editor, "Weather").await;
        app.published(&editor, "Storm Warning", &["weather"]).await;
        let nul = "a\u{0}b";
        let writes: Vec<(Method, &str, Value, &str)> = vec![
            (Method::POST, "/api/v1/articles", json!({"title": nul, "body": "b"}), "title"),
            (Method::POST, "/api/v1/articles", json!({"title": "T", "body": nul}), "body"),
            (
                Method::POST,
                "/api/v1/articles",
                json!({"title": "T", "body": "b", "image": {"url": "https://e.com/a.png", "credit": nul}}),
                "image.credit",
            ),
            (
                Method::POST,
                "/api/v1/articles",
                json!({"title": "T", "body": "b", "image": {"url": "https://e.com/\u{0}.png"}}),
                "image.url",
            ),
            (Method::POST, "/api/v1/articles", json!({"title": "T", "body": "b", "slug": nul}), "slug"),
            (Method::POST, "/api/v1/articles", json!({"title": "T", "body": "b", "tags": [nul]}), "tags"),
            (Method::PATCH, "/api/v1/articles/storm-warning", json!({"dateline": nul}), "dateline"),
            (Method::PATCH, "/api/v1/articles/storm-warning", json!({"subtitle": "\u{1b}[31m"}), "subtitle"),
            (Method::POST, "/api/v1/tags", json!({"name": nul}), "name"),
            (Method::POST, "/api/v1/tags", json!({"name": "Ok", "description": nul}), "description"),
            (Method::PATCH, "/api/v1/me", json!({"bio": nul}), "bio"),
            (Method::PATCH, "/api/v1/me", json!({"name": nul}), "name"),
            (
                Method::POST,
                "/api/v1/articles/storm-warning/comments",
                json!({"author_name": nul, "author_email": "a@example.com", "body": "x"}),
                "author_name",
            ),
            (
                Method::POST,
                "/api/v1/articles/storm-warning/comments",
                json!({"author_name": "A", "author_email": "a@example.com", "body": nul}),
                "body",
            ),
            (
                Method::POST,
                "/api/v1/articles/storm-warning/comments",
                json!({"author_name": "A", "author_email": "a\u{0}@example.com", "body": "x"}),
                "author_email",
            ),
        ];
        for (method, path, body, field) in writes {
            let res = app.req(method.clone(), path).bearer_auth(&editor).json(&body).send().await.unwrap();
            let p = invalid(res, field).await;
            assert!(p["errors"][field][0].is_string(), "{method} {path}: {p}");
        }
        let (admin, _) = app.user("admin").await;
        let res = app
            .post("/api/v1/users")
            .bearer_auth(&admin)
            .json(&json!({"email": "n@example.com", "name": nul, "role": "author", "password": "long enough password"}))
            .send()
            .await
            .unwrap();
        invalid(res, "name").await;
        // Nothing was half-written: the article is as it was.
        let a = json_of(app.get("/api/v1/articles/storm-warning").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(a["dateline"], Value::Null);
        assert_eq!(a["comment_count"], 0);

        // A NUL in a path segment names nothing: 404, whoever asks.
        for path in [
            "/api/v1/articles/%00",
            "/api/v1/articles/a%00b/related",
            "/api/v1/articles/a%00b/comments",
            "/api/v1/tags/%00",
            "/api/v1/authors/%00",
        ] {
            let res = app.get(path).send().await.unwrap();
            problem(res, StatusCode::NOT_FOUND).await;
            let res = app.get(path).bearer_auth(&editor).send().await.unwrap();
            let status = res.status();
            assert!(status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED, "{path}: {status}");
        }
        for (method, path) in [
            (Method::POST, "/api/v1/articles/%00/views"),
            (Method::PATCH, "/api/v1/articles/%00"),
            (Method::DELETE, "/api/v1/tags/a%00"),
            (Method::PATCH, "/api/v1/comments/%00"),
        ] {
            let res = app.req(method, path).bearer_auth(&editor).json(&json!({})).send().await.unwrap();
            problem(res, StatusCode::NOT_FOUND).await;
        }
        // In a query: 422 on the parameter.
        invalid(app.get("/api/v1/articles?q=a%00b").send().await.unwrap(), "q").await;
        invalid(app.get("/api/v1/articles?tag=%00").send().await.unwrap(), "tag").await;
        // Logging in with one is a failed login, like any unknown email.
        let res = app
            .post("/api/v1/auth/login")
            .json(&json!({"email": "a\u{0}@example.com", "password": "x"}))
            .send()
            .await
            .unwrap();
        problem(res, StatusCode::UNAUTHORIZED).await;

        // GraphQL: a lookup by a NUL slug is null; a write is BAD_USER_INPUT naming the field.
        let data = app
            .gql_ok(
                None,
                "query($s: String!) { article(slug: $s) { id } tag(slug: $s) { id } author(slug: $s) { name } }",
                json!({"s": "\u{0}"}),
            )
            .await;
        assert_eq!(data, json!({"article": null, "tag": null, "author": null}));
        let body = app
            .gql(
                Some(&editor),
                "mutation($n: String!) { createTag(input: {name: $n}) { id } }",
                json!({"n": nul}),
            )
            .await;
        assert_eq!(gql_code(&body), "BAD_USER_INPUT");
        assert!(body["errors"][0]["extensions"]["fields"]["name"].is_array(), "{body}");
        let body = app
            .gql(
                None,
                "mutation($s: String!) { recordView(slug: $s) }",
                json!({"s": "a\u{0}"}),
            )
            .await;
        assert_eq!(gql_code(&body), "NOT_FOUND");
    }
);

both_backends!(
    async fn invalid_surrogates_and_bad_utf8_are_400(app) {
        let (editor, _) = app.user("editor").await;
        for raw in [
            r#"{"title": "\ud800", "body": "b"}"#.as_bytes(),
            r#"{"title": "ok", "body": "\udfff\ud800"}"#.as_bytes(),
            b"{\"title\": \"\xff\xfe\", \"body\": \"b\"}",
        ] {
            let res = app
                .post("/api/v1/articles")
                .bearer_auth(&editor)
                .header("content-type", "application/json")
                .body(raw.to_vec())
                .send()
                .await
                .unwrap();
            problem(res, StatusCode::BAD_REQUEST).await;
        }
        let res = app
            .post("/graphql")
            .header("content-type", "application/json")
            .body(r#"{"query": "query($s: String!) { article(slug: $s) { id } }", "variables": {"s": "\ud800"}}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let body: Value = res.json().await.unwrap();
        assert_eq!(gql_code(&body), "BAD_USER_INPUT");
    }
);

/// Texts a property test draws from: any Unicode, control characters and NULs, lone
/// surrogate escapes (sent raw), and strings far over every limit.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\x00-\\x1f\\x7f]{1,8}",
        "[a-z]{0,4}\\x00[a-z]{0,4}",
        Just("\u{feff}\u{200b}\u{fffe}\u{10ffff}".to_owned()),
        (1usize..300_000).prop_map(|n| "x".repeat(n)),
        "[\\p{L}\\p{N}\\p{P}\\p{S}\\p{Z}\\p{C}]{0,64}",
    ]
}

/// A JSON string literal for `s`, sometimes with a lone surrogate escape spliced in.
fn json_string(s: &str, surrogate: bool) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    if surrogate {
        format!("{}\\ud83d\"", &quoted[..quoted.len() - 1])
    } else {
        quoted
    }
}

/// Sends one text through every write and lookup; returns the first 5xx, if any.
async fn probe(app: &TestApp, token: &str, text: &str, surrogate: bool) -> Option<String> {
    let s = json_string(text, surrogate);
    // Every byte percent-encoded (at most 2 KB of them: a URL has a length limit of its own).
    let enc: String = text
        .bytes()
        .take(2048)
        .map(|b| format!("%{b:02X}"))
        .collect();
    let path_enc = &enc;
    let writes = [
        (
            "/api/v1/articles",
            format!(r#"{{"title": {s}, "body": {s}}}"#),
        ),
        (
            "/api/v1/articles",
            format!(r#"{{"title": "t", "body": "b", "slug": {s}, "dateline": {s}}}"#),
        ),
        (
            "/api/v1/articles",
            format!(r#"{{"title": "t", "body": "b", "image": {{"url": {s}, "credit": {s}}}}}"#),
        ),
        (
            "/api/v1/tags",
            format!(r#"{{"name": {s}, "description": {s}}}"#),
        ),
        (
            "/api/v1/articles/probe-article/comments",
            format!(r#"{{"author_name": {s}, "author_email": {s}, "body": {s}}}"#),
        ),
        (
            "/api/v1/auth/login",
            format!(r#"{{"email": {s}, "password": {s}}}"#),
        ),
        (
            "/graphql",
            format!(
                r#"{{"query": "query($s: String!) {{ article(slug: $s) {{ id }} tag(slug: $s) {{ id }} }}", "variables": {{"s": {s}}}}}"#
            ),
        ),
        (
            "/graphql",
            format!(
                r#"{{"query": "mutation($s: String!) {{ createTag(input: {{name: $s}}) {{ id }} }}", "variables": {{"s": {s}}}}}"#
            ),
        ),
        ("/graphql", format!(r#"{{"query": {s}}}"#)),
    ];
    for (path, body) in writes {
        let res = app
            .post(path)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .ok()?;
        if res.status().is_server_error() {
            return Some(format!("POST {path}: {}", res.status()));
        }
    }
    let reads = [
        format!("/api/v1/articles/{path_enc}"),
        format!("/api/v1/articles/{path_enc}/related"),
        format!("/api/v1/tags/{path_enc}"),
        format!("/api/v1/authors/{path_enc}"),
        format!("/api/v1/articles?q={enc}"),
        format!("/api/v1/articles?tag={enc}&author={enc}"),
        format!("/api/v1/articles?cursor={enc}"),
    ];
    for path in reads {
        let res = app.get(&path).send().await.ok()?;
        if res.status().is_server_error() {
            return Some(format!("GET {path}: {}", res.status()));
        }
    }
    None
}

both_backends!(
    async fn arbitrary_text_through_every_write_and_lookup_never_gets_a_5xx(app) {
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Probe Article", &[]).await;
        let handle = tokio::runtime::Handle::current();
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 48,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        let result = runner.run(&(hostile_text(), any::<bool>()), |(text, surrogate)| {
            let failure = tokio::task::block_in_place(|| {
                handle.block_on(probe(&app, &editor, &text, surrogate))
            });
            prop_assert!(failure.is_none(), "{:?}", failure);
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        let health = app.get("/healthz").send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_http_gets_a_4xx_and_the_server_stays_up() {
    let app = TestApp::sqlite().await;
    // actix answers these itself, before any handler can, with an empty body (see the
    // README's "Errors before a handler"): the status is what can be checked.
    for (raw, statuses) in [
        (
            &b"POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"[..],
            &[400][..],
        ),
        (b"POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", &[400]),
        (b"GET /healthz\r\n\r\n", &[400]),
    ] {
        let res = raw_request(&app.base, raw).await.expect("an answer");
        assert!(statuses.contains(&res.status), "{res:?}");
    }
    let many_headers: String = (0..120).map(|i| format!("X-H{i}: v\r\n")).collect();
    let res = raw_request(
        &app.base,
        format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n").as_bytes(),
    )
    .await
    .expect("an answer");
    assert!(res.status == 431 || res.status == 400, "{res:?}");
    let long = format!(
        "GET /api/v1/articles?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(100_000)
    );
    let res = raw_request(&app.base, long.as_bytes())
        .await
        .expect("an answer");
    assert!(
        res.status == 400 || res.status == 414 || res.status == 431,
        "{res:?}"
    );

    // Bodies over the limit are ours: problem+json on REST, a GraphQL error on /graphql,
    // answered from Content-Length without reading the body.
    let res = raw_request(
        &app.base,
        b"POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{",
    )
    .await
    .expect("an answer");
    assert_eq!(res.status, 413);
    assert_eq!(res.headers["content-type"], "application/problem+json");
    assert!(
        res.body
            .contains("https://newsdesk.dev/problems/payload-too-large"),
        "{}",
        res.body
    );
    let res = raw_request(
        &app.base,
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{",
    )
    .await
    .expect("an answer");
    assert_eq!(res.status, 413);
    let body: Value = serde_json::from_str(&res.body).expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );

    let health = app.get("/healthz").send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}
