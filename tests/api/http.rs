//! HTTP as clients and caches expect it: HEAD, compression, Vary, nosniff, private answers,
//! sparse fieldsets, the index and the API reference; and GraphQL over HTTP.

use std::io::Read;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

/// A few articles with enough text that a list of them is worth compressing.
async fn newsroom(app: &TestApp) -> String {
    let (editor, _) = app.user("editor").await;
    app.tag(&editor, "Energy").await;
    for i in 0..6 {
        app.article(
            &editor,
            json!({"title": format!("Harbour story {i}"), "body": "The harbour reopened today. ".repeat(40),
                   "tags": ["energy"], "status": "published"}),
        )
        .await;
    }
    editor
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

both_backends!(
    with private_webhooks;
    async fn head_answers_every_get_route_with_its_headers_and_no_body(app) {
        newsroom(&app).await;
        // An admin may GET every route.
        let (editor, _) = app.user("admin").await;
        // Webhook 1, for its routes.
        let res = app.post("/api/v1/webhooks").bearer_auth(&editor)
            .json(&json!({"url": "http://127.0.0.1:9/hook", "events": ["*"]})).send().await.unwrap();
        json_of(res, StatusCode::CREATED).await;
        // A preview link of the article, for its route.
        let res = app.post("/api/v1/articles/harbour-story-1/preview").bearer_auth(&editor)
            .json(&json!({})).send().await.unwrap();
        let preview = json_of(res, StatusCode::CREATED).await;
        let preview = preview["token"].as_str().unwrap().to_owned();
        let doc = json_of(app.get("/api/v1/openapi.json").send().await.unwrap(), StatusCode::OK).await;
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            if item.get("get").is_none() {
                continue;
            }
            let url = path
                .replace("{slug}", "harbour-story-1")
                .replace("{file}", "articles-1.xml")
                .replace("{version}", "1")
                .replace("{token}", &preview)
                .replace("{id}", "1");
            // Tags and authors have slugs of their own.
            let url = url
                .replace("/tags/harbour-story-1", "/tags/energy")
                .replace("/authors/harbour-story-1", "/authors/test-admin");
            // Anonymous where the route allows it: those answers are cached, so GET and HEAD
            // see the same bytes (editors' lists carry the instant they were counted).
            let mut get = app.get(&url).send().await.unwrap();
            let token = get.status() == StatusCode::UNAUTHORIZED;
            if token {
                get = app.get(&url).bearer_auth(&editor).send().await.unwrap();
            }
            let mut head = app.head(&url);
            if token {
                head = head.bearer_auth(&editor);
            }
            let head = head.send().await.unwrap();
            assert_eq!(head.status(), get.status(), "HEAD {url}");
            assert!(get.status().is_success(), "GET {url}: {}", get.status());
            let same: &[&str] = if token {
                &["content-type", "cache-control", "x-total-count"]
            } else {
                &["content-type", "etag", "cache-control", "x-total-count", "content-length"]
            };
            for name in same {
                assert_eq!(header(head.headers(), name), header(get.headers(), name), "HEAD {url}: {name}");
            }
            assert!(head.bytes().await.unwrap().is_empty(), "HEAD {url} has no body");
            checked += 1;
        }
        assert!(checked >= 12, "{checked} GET routes");
        // And the routes outside the document.
        for url in ["/graphql?query=%7B__typename%7D", "/api/docs/", "/"] {
            let head = app.head(url).send().await.unwrap();
            assert_eq!(head.status(), StatusCode::OK, "HEAD {url}");
            assert!(head.bytes().await.unwrap().is_empty());
        }
        // The methods a path allows name HEAD beside GET.
        let res = app.delete("/api/v1/tags").send().await.unwrap();
        assert_eq!(header(res.headers(), "allow"), "GET, HEAD, POST");
    }
);

both_backends!(
    async fn responses_are_compressed_when_asked_and_worth_it(app) {
        newsroom(&app).await;
        let plain = app.get("/api/v1/articles").send().await.unwrap();
        assert_eq!(header(plain.headers(), "vary"), "Authorization, Accept-Encoding");
        assert_eq!(header(plain.headers(), "content-encoding"), "");
        let etag = header(plain.headers(), "etag").to_owned();
        let plain = plain.bytes().await.unwrap();
        assert!(plain.len() > 2048, "{} bytes", plain.len());
        for (accept, coding) in [("gzip", "gzip"), ("gzip, deflate, br", "br"), ("br;q=0.5, gzip", "gzip")] {
            // Twice: the second answer comes from the response cache, compressed once.
            let mut bodies = Vec::new();
            for _ in 0..2 {
                let res = app.get("/api/v1/articles").header("accept-encoding", accept).send().await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                assert_eq!(header(res.headers(), "content-encoding"), coding, "{accept}");
                assert_eq!(header(res.headers(), "vary"), "Authorization, Accept-Encoding");
                assert_eq!(header(res.headers(), "etag"), format!("W/{etag}"), "other bytes, a weak tag");
                let length: usize = header(res.headers(), "content-length").parse().unwrap();
                let bytes = res.bytes().await.unwrap();
                assert_eq!(bytes.len(), length);
                assert!(bytes.len() < plain.len() / 3, "{accept}: {} of {}", bytes.len(), plain.len());
                bodies.push(bytes);
            }
            assert_eq!(bodies[0], bodies[1]);
            let decoded = if coding == "br" { unbrotli(&bodies[0]) } else { gunzip(&bodies[0]) };
            assert_eq!(decoded, plain, "{accept}: the same JSON");
        }
        // The weak tag still validates.
        let res = app.get("/api/v1/articles").header("accept-encoding", "gzip")
            .header("if-none-match", format!("W/{etag}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        // Identity only, or nothing acceptable: the plain bytes.
        let res = app.get("/api/v1/articles").header("accept-encoding", "identity, gzip;q=0").send().await.unwrap();
        assert_eq!(header(res.headers(), "content-encoding"), "");
        // Small bodies go as they are, and do not vary by encoding.
        let small = app.get("/healthz").header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(header(small.headers(), "content-encoding"), "");
        assert!(!header(small.headers(), "vary").contains("Accept-Encoding"));
        // Uncached answers (GraphQL, the OpenAPI document) are compressed too.
        let doc = app.get("/api/v1/openapi.json").header("accept-encoding", "br").send().await.unwrap();
        assert_eq!(header(doc.headers(), "content-encoding"), "br");
        let doc: Value = serde_json::from_slice(&unbrotli(&doc.bytes().await.unwrap())).unwrap();
        assert!(doc["paths"].is_object());
    }
);

both_backends!(
    async fn every_answer_says_nosniff_and_token_answers_are_never_stored(app) {
        let editor = newsroom(&app).await;
        let anonymous = [
            app.get("/api/v1/articles").send().await.unwrap(),
            app.get("/api/v1/articles/nope").send().await.unwrap(),
            app.delete("/api/v1/tags").send().await.unwrap(),
            app.get("/healthz").send().await.unwrap(),
            app.post("/graphql").json(&json!({"query": "{ __typename }"})).send().await.unwrap(),
            app.get("/").send().await.unwrap(),
        ];
        for res in anonymous {
            assert_eq!(header(res.headers(), "x-content-type-options"), "nosniff", "{}", res.url());
        }
        let public = app.get("/api/v1/articles/harbour-story-1").send().await.unwrap();
        assert!(header(public.headers(), "cache-control").starts_with("public"));
        let signed_in = [
            app.get("/api/v1/articles/harbour-story-1").bearer_auth(&editor).send().await.unwrap(),
            app.get("/api/v1/articles?status=any").bearer_auth(&editor).send().await.unwrap(),
            app.get("/api/v1/me").bearer_auth(&editor).send().await.unwrap(),
            app.post("/api/v1/articles").bearer_auth(&editor).json(&json!({"title": "T", "body": "b"})).send().await.unwrap(),
            app.post("/graphql").bearer_auth(&editor).json(&json!({"query": "{ me { id } }"})).send().await.unwrap(),
            app.get("/api/v1/articles").bearer_auth("not-a-token").send().await.unwrap(),
        ];
        for res in signed_in {
            assert_eq!(header(res.headers(), "cache-control"), "private, no-store", "{}", res.url());
            assert_eq!(header(res.headers(), "x-content-type-options"), "nosniff");
        }
        // CORS answers every origin with `*`, so nothing varies by Origin.
        let res = app.get("/api/v1/articles").header("origin", "https://news.example").send().await.unwrap();
        assert_eq!(header(res.headers(), "access-control-allow-origin"), "*");
        assert!(!header(res.headers(), "vary").contains("Origin"), "{:?}", res.headers());
        let preflight = app.options("/api/v1/articles")
            .header("origin", "https://news.example")
            .header("access-control-request-method", "PATCH")
            .header("access-control-request-headers", "authorization, if-match")
            .send().await.unwrap();
        assert!(preflight.status().is_success());
        assert_eq!(header(preflight.headers(), "access-control-allow-origin"), "*");
    }
);

both_backends!(
    async fn fields_keeps_only_the_named_article_fields(app) {
        newsroom(&app).await;
        let list = json_of(app.get("/api/v1/articles?fields=slug,title,excerpt,image&per_page=2").send().await.unwrap(), StatusCode::OK).await;
        for item in list["data"].as_array().unwrap() {
            let mut keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort();
            assert_eq!(keys, ["excerpt", "image", "slug", "title"], "{item}");
        }
        assert_eq!(list["meta"]["per_page"], 2, "meta stays whole");
        let one = json_of(app.get("/api/v1/articles/harbour-story-1?fields=title,body_html").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(one.as_object().unwrap().len(), 2, "{one}");
        assert!(one["body_html"].as_str().unwrap().starts_with("<p>"));
        let related = json_of(app.get("/api/v1/articles/harbour-story-1/related?fields=slug").send().await.unwrap(), StatusCode::OK).await;
        assert!(related["data"].as_array().unwrap().iter().all(|a| a.as_object().unwrap().len() == 1));
        // Every field of the full form may be named, and only those.
        let full = json_of(app.get("/api/v1/articles/harbour-story-1").send().await.unwrap(), StatusCode::OK).await;
        let all: Vec<&str> = full.as_object().unwrap().keys().map(String::as_str).collect();
        let mut known = newsdesk::model::ARTICLE_FIELDS.to_vec();
        known.sort();
        let mut all_sorted = all.clone();
        all_sorted.sort();
        assert_eq!(known, all_sorted, "ARTICLE_FIELDS is what an article serializes to");
        let every = json_of(app.get(&format!("/api/v1/articles/harbour-story-1?fields={}", all.join(","))).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(every, full);
        let e = invalid(app.get("/api/v1/articles?fields=slug,password").send().await.unwrap(), "fields").await;
        assert!(e["errors"]["fields"][0].as_str().unwrap().contains("password"), "{e}");
        invalid(app.get("/api/v1/articles?fields=body").send().await.unwrap(), "fields").await;
        invalid(app.get("/api/v1/articles/harbour-story-1?fields=").send().await.unwrap(), "fields").await;
        invalid(app.get("/api/v1/articles/harbour-story-1/related?fields=nope").send().await.unwrap(), "fields").await;
    }
);

both_backends!(
    async fn the_index_and_the_api_reference_are_served_from_the_binary(app) {
        let index = json_of(app.get("/").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(index["name"], "newsdesk");
        assert_eq!(index["links"]["docs"], "/api/docs");
        assert_eq!(index["links"]["openapi"], "/api/v1/openapi.json");
        assert_eq!(index["links"]["graphql"], "/graphql");
        let no_follow = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let redirect = no_follow.get(app.url("/api/docs")).send().await.unwrap();
        assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(header(redirect.headers(), "location"), "/api/docs/");
        let page = app.get("/api/docs/").send().await.unwrap();
        assert!(header(page.headers(), "content-type").starts_with("text/html"));
        let page = page.text().await.unwrap();
        assert!(page.contains("swagger-ui-bundle.js"), "{page}");
        assert!(!page.contains("https://"), "no asset comes from a CDN");
        let init = app.get("/api/docs/swagger-initializer.js").send().await.unwrap().text().await.unwrap();
        assert!(init.contains("/api/v1/openapi.json"), "{init}");
        assert!(init.contains("\"validatorUrl\": \"none\""), "no request to validator.swagger.io: {init}");
        let bundle = app.get("/api/docs/swagger-ui-bundle.js").send().await.unwrap();
        assert_eq!(bundle.status(), StatusCode::OK);
        assert!(bundle.bytes().await.unwrap().len() > 100_000);
        problem(app.get("/api/docs/nope.js").send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }
);

/// A GraphQL POST with this `Accept`.
async fn gql_as(app: &TestApp, accept: &str, query: &str) -> reqwest::Response {
    app.post("/graphql")
        .header("accept", accept)
        .json(&json!({"query": query}))
        .send()
        .await
        .unwrap()
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

both_backends!(
    async fn graphql_answers_in_the_media_type_asked_for(app) {
        newsroom(&app).await;
        let ok = gql_as(&app, GRAPHQL_RESPONSE, "{ articles(first: 1) { totalCount } }").await;
        assert_eq!(header(ok.headers(), "content-type"), "application/graphql-response+json; charset=utf-8");
        assert_eq!(json_of(ok, StatusCode::OK).await["data"]["articles"]["totalCount"], 6);
        // Twice: the second from the cache, still in the type asked for.
        let cached = gql_as(&app, GRAPHQL_RESPONSE, "{ articles(first: 1) { totalCount } }").await;
        assert!(header(cached.headers(), "content-type").starts_with(GRAPHQL_RESPONSE));
        let legacy = gql_as(&app, "application/json", "{ articles(first: 1) { totalCount } }").await;
        assert_eq!(header(legacy.headers(), "content-type"), "application/json; charset=utf-8");
        assert!(header(legacy.headers(), "vary").contains("Accept"));
        for accept in ["*/*", "application/json, application/graphql-response+json;q=0.9"] {
            let res = gql_as(&app, accept, "{ __typename }").await;
            assert!(header(res.headers(), "content-type").starts_with("application/json"), "{accept}");
        }
        // Documents that never run: 400 and no `data` with graphql-response+json; 200 and
        // no `data` with application/json.
        for query in ["{ articles { ", "{ noSuchField }", "query ($n: Int!) { articles(first: $n) { totalCount } }"] {
            let res = gql_as(&app, GRAPHQL_RESPONSE, query).await;
            assert!(header(res.headers(), "content-type").starts_with(GRAPHQL_RESPONSE));
            let body = json_of(res, StatusCode::BAD_REQUEST).await;
            assert!(body.get("data").is_none(), "{query}: {body}");
            assert_eq!(gql_code(&body), "BAD_USER_INPUT");
            let body = json_of(gql_as(&app, "application/json", query).await, StatusCode::OK).await;
            assert!(body.get("data").is_none(), "{query}: {body}");
        }
        // An error in a field is not a request error: 200, with `data`.
        let res = gql_as(&app, GRAPHQL_RESPONSE, r#"{ articles(after: "garbage") { totalCount } }"#).await;
        let body = json_of(res, StatusCode::OK).await;
        assert!(body.get("data").is_some(), "{body}");
        // A limit refusal speaks the client's media type too.
        let deep = (0..12).fold("title".to_owned(), |inner, _| format!("related {{ {inner} }}"));
        let res = gql_as(&app, GRAPHQL_RESPONSE, &format!("{{ article(slug: \"x\") {{ {deep} }} }}")).await;
        assert!(header(res.headers(), "content-type").starts_with(GRAPHQL_RESPONSE));
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        // A POST that does not say it is JSON is refused, whatever it holds.
        for ctype in [None, Some("text/plain")] {
            let mut req = app.post("/graphql").body(r#"{"query": "{ __typename }"}"#);
            if let Some(c) = ctype {
                req = req.header("content-type", c);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ctype:?}");
        }
        // Mutations over GET are 405 with Allow: POST.
        let res = app.get("/graphql?query=mutation%20%7B%20recordView(slug%3A%20%22x%22)%20%7D")
            .header("accept", GRAPHQL_RESPONSE).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(header(res.headers(), "allow"), "POST");
    }
);

both_backends!(
    async fn the_standard_introspection_query_is_answered_in_both_media_types(app) {
        let query = include_str!("../fixtures/introspection.graphql");
        for accept in [GRAPHQL_RESPONSE, "application/json"] {
            let body = json_of(gql_as(&app, accept, query).await, StatusCode::OK).await;
            assert!(body.get("errors").is_none(), "{accept}: {body}");
            assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
        }
        // Data queries stay bounded: as deep as the introspection query, but through data.
        let deep = (0..11).fold("title".to_owned(), |inner, _| format!("related {{ {inner} }}"));
        let res = gql_as(&app, GRAPHQL_RESPONSE, &format!("{{ article(slug: \"x\") {{ {deep} }} }}")).await;
        let body = json_of(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["errors"][0]["extensions"]["reason"], "QUERY_TOO_DEEP");
    }
);
