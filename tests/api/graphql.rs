//! GraphQL: the same services as REST, Relay connections, error codes, limits, batching.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

const ARTICLE_PAGE: &str = r#"
query Page($slug: String!) {
  article(slug: $slug) {
    id slug title subtitle excerpt body bodyHtml dateline status publishedAt createdAt updatedAt
    readingTimeMinutes viewCount shareCount commentCount version
    image { url alt caption credit }
    author { id slug name bio avatarUrl }
    tags { id slug name description articleCount }
    shareCounts { whatsapp facebook x telegram linkedin email copy }
    related(limit: 3) { id slug title excerpt viewCount image { url credit } }
    comments(first: 10) { totalCount edges { cursor node { id authorName authorEmail body bodyHtml status createdAt replies { id body } } } }
  }
}"#;

/// An editor, a tag and a published article with a comment and a reply.
async fn newsroom(app: &TestApp) -> String {
    let (editor, _) = app.user("editor").await;
    app.tag(&editor, "Ukraine").await;
    app.article(
        &editor,
        json!({"title": "Ceasefire Talks On Track", "body": "Talks **progress**.", "tags": ["ukraine"],
               "status": "published", "dateline": "Washington",
               "image": {"url": "https://cdn.example.com/a.webp", "credit": "© Image Copyrights Title"}}),
    )
    .await;
    app.published(&editor, "Second Story", &["ukraine"]).await;
    let root = json_of(
        app.post("/api/v1/articles/ceasefire-talks-on-track/comments")
            .bearer_auth(&editor)
            .json(&json!({"author_name": "Maria", "author_email": "maria@example.com", "body": "Good."}))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    app.post("/api/v1/articles/ceasefire-talks-on-track/comments")
        .bearer_auth(&editor)
        .json(&json!({"author_name": "Jane", "author_email": "jane@example.com", "body": "Thanks.", "parent_id": root["id"]}))
        .send()
        .await
        .unwrap();
    editor
}

both_backends!(
    async fn an_article_page_comes_from_one_query(app) {
        newsroom(&app).await;
        let data = app.gql_ok(None, ARTICLE_PAGE, json!({"slug": "ceasefire-talks-on-track"})).await;
        let a = &data["article"];
        assert_eq!(a["title"], "Ceasefire Talks On Track");
        assert_eq!(a["image"]["credit"], "© Image Copyrights Title");
        assert_eq!(a["bodyHtml"], "<p>Talks <strong>progress</strong>.</p>\n");
        assert_eq!(a["status"], "PUBLISHED");
        assert_eq!(a["tags"][0]["articleCount"], 2);
        assert_eq!(a["related"][0]["slug"], "second-story");
        assert_eq!(a["comments"]["totalCount"], 1);
        let first = &a["comments"]["edges"][0]["node"];
        assert_eq!(first["authorName"], "Maria");
        assert!(first["authorEmail"].is_null(), "emails are for editors");
        assert_eq!(first["replies"][0]["body"], "Thanks.");
        let missing = app.gql_ok(None, ARTICLE_PAGE, json!({"slug": "nope"})).await;
        assert!(missing["article"].is_null());
    }
);

both_backends!(
    async fn related_lists_read_bylines_tags_and_shares_only_when_shown(app) {
        let editor = newsroom(&app).await;
        let share = app.post("/api/v1/articles/second-story/shares").json(&json!({"network": "whatsapp"})).send().await.unwrap();
        assert!(share.status().is_success(), "{}", share.status());
        app.settle().await;
        let rest = json_of(app.get("/api/v1/articles/ceasefire-talks-on-track/related").send().await.unwrap(), StatusCode::OK).await;
        let expected = &rest["data"][0];
        assert_eq!(expected["slug"], "second-story");
        assert_eq!(expected["share_counts"]["whatsapp"], 1);
        let same_as_rest = |shown: &Value| {
            assert_eq!(shown["slug"], expected["slug"], "{shown}");
            assert_eq!(shown["author"]["slug"], expected["author"]["slug"], "{shown}");
            assert_eq!(shown["authors"][0]["name"], expected["authors"][0]["name"], "{shown}");
            assert_eq!(shown["tags"][0]["slug"], expected["tags"][0]["slug"], "{shown}");
            assert_eq!(shown["tags"][0]["articleCount"], 2, "{shown}");
            assert_eq!(shown["shareCounts"]["whatsapp"], 1, "{shown}");
        };
        let fields = "slug author { slug } authors { name } tags { slug articleCount } shareCounts { whatsapp }";
        // Loaded ahead with the article.
        let page = app.gql_ok(None, &format!(r#"{{ article(slug: "ceasefire-talks-on-track") {{ related(limit: 3) {{ {fields} }} }} }}"#), json!({})).await;
        same_as_rest(&page["article"]["related"][0]);
        // Loaded by the fields themselves: a mutation's answer is not loaded ahead.
        let set = app.gql_ok(Some(&editor), &format!(r#"mutation {{ setRelatedArticles(slug: "ceasefire-talks-on-track", slugs: ["second-story"]) {{ related(limit: 1) {{ {fields} }} }} }}"#), json!({})).await;
        same_as_rest(&set["setRelatedArticles"]["related"][0]);
        // A list that shows none of them does not read the cards: one statement fewer.
        let count = |query: &'static str| {
            let app = &app;
            async move {
                app.quiet().await;
                app.state.cache.clear();
                let before = app.state.db.statements_run();
                let data = app.gql_ok(None, query, json!({})).await;
                assert_eq!(data["article"]["related"][0]["title"], "Second Story", "{data}");
                app.state.db.statements_run() - before
            }
        };
        let bare = count(r#"{ article(slug: "ceasefire-talks-on-track") { related(limit: 3) { title viewCount } } }"#).await;
        let bylined = count(r#"{ article(slug: "ceasefire-talks-on-track") { related(limit: 3) { title author { name } } } }"#).await;
        assert_eq!(bylined, bare + 1, "statements without and with the byline: {bare}, {bylined}");
    }
);

both_backends!(
    async fn rest_and_graphql_carry_the_same_article(app) {
        newsroom(&app).await;
        let rest = json_of(app.get("/api/v1/articles/ceasefire-talks-on-track").send().await.unwrap(), StatusCode::OK).await;
        let data = app.gql_ok(None, ARTICLE_PAGE, json!({"slug": "ceasefire-talks-on-track"})).await;
        let g = &data["article"];
        assert_eq!(g["id"], rest["id"].to_string());
        for (gql, rest_field) in [
            ("slug", "slug"), ("title", "title"), ("subtitle", "subtitle"), ("excerpt", "excerpt"),
            ("body", "body"), ("bodyHtml", "body_html"), ("dateline", "dateline"),
            ("readingTimeMinutes", "reading_time_minutes"), ("viewCount", "view_count"),
            ("shareCount", "share_count"), ("commentCount", "comment_count"), ("version", "version"),
            ("publishedAt", "published_at"), ("createdAt", "created_at"), ("updatedAt", "updated_at"),
        ] {
            assert_eq!(g[gql], rest[rest_field], "{gql}");
        }
        assert_eq!(g["image"], rest["image"]);
        assert_eq!(g["author"]["slug"], rest["author"]["slug"]);
        assert_eq!(g["tags"][0]["slug"], rest["tags"][0]["slug"]);
        assert_eq!(g["shareCounts"]["whatsapp"], rest["share_counts"]["whatsapp"]);
        assert_eq!(g["status"].as_str().unwrap().to_lowercase(), rest["status"].as_str().unwrap());
    }
);

fn titles(conn: &Value) -> Vec<String> {
    conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
        .collect()
}

both_backends!(
    async fn connections_page_forwards_and_backwards(app) {
        let (editor, _) = app.user("editor").await;
        for i in 1..=7 {
            app.article(&editor, json!({"title": format!("Story {i}"), "body": "x", "status": "published",
                "published_at": format!("2025-03-19T14:{:02}:00Z", i)})).await;
        }
        let q = "query($first: Int, $after: String, $last: Int, $before: String) {
            articles(first: $first, after: $after, last: $last, before: $before) {
              totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
              edges { cursor node { title } } } }";
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let data = app.gql_ok(None, q, json!({"first": 3, "after": after})).await;
            let conn = &data["articles"];
            assert_eq!(conn["totalCount"], 7);
            seen.extend(titles(conn));
            if conn["pageInfo"]["hasNextPage"] == json!(false) {
                break;
            }
            after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
        assert_eq!(seen, (1..=7).rev().map(|i| format!("Story {i}")).collect::<Vec<_>>());
        let mut back = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let data = app.gql_ok(None, q, json!({"last": 3, "before": before})).await;
            let conn = &data["articles"];
            let mut page = titles(conn);
            page.extend(back);
            back = page;
            if conn["pageInfo"]["hasPreviousPage"] == json!(false) {
                break;
            }
            before = conn["pageInfo"]["startCursor"].as_str().map(str::to_owned);
        }
        assert_eq!(back, seen);
        let oldest = app.gql_ok(None, "{ articles(first: 2, orderBy: OLDEST) { edges { node { title } } } }", json!({})).await;
        assert_eq!(titles(&oldest["articles"]), ["Story 1", "Story 2"]);
        app.post("/api/v1/articles/story-3/views").send().await.unwrap();
        app.settle().await;
        let popular = app.gql_ok(None, "{ articles(first: 1, orderBy: POPULAR) { edges { node { title } } } }", json!({})).await;
        assert_eq!(titles(&popular["articles"]), ["Story 3"]);
    }
);

both_backends!(
    async fn filters_tags_authors_and_search(app) {
        let editor = newsroom(&app).await;
        app.article(&editor, json!({"title": "Quiet Draft", "body": "x"})).await;
        let data = app.gql_ok(None, r#"{
            search: articles(filter: {search: "progress"}) { totalCount edges { node { slug } } }
            tagged: articles(filter: {tag: "ukraine"}) { totalCount }
            tag(slug: "ukraine") { name articleCount articles(first: 1) { totalCount edges { node { slug } } } }
            missingTag: tag(slug: "nope") { name }
            tags(first: 5) { totalCount edges { node { slug articleCount } } }
            author(slug: "test-editor") { name articles { totalCount } }
            missingAuthor: author(slug: "nobody") { name }
            me { id }
        }"#, json!({})).await;
        assert_eq!(data["search"]["edges"][0]["node"]["slug"], "ceasefire-talks-on-track");
        assert_eq!(data["tagged"]["totalCount"], 2);
        assert_eq!(data["tag"]["articles"]["totalCount"], 2);
        assert_eq!(data["tag"]["articles"]["edges"][0]["node"]["slug"], "second-story");
        assert!(data["missingTag"].is_null() && data["missingAuthor"].is_null() && data["me"].is_null());
        assert_eq!(data["tags"]["edges"][0]["node"]["articleCount"], 2);
        assert_eq!(data["author"]["articles"]["totalCount"], 2);
        let drafts = app.gql_ok(Some(&editor), "{ articles(filter: {status: DRAFT}) { totalCount } me { role } }", json!({})).await;
        assert_eq!(drafts["articles"]["totalCount"], 1);
        assert_eq!(drafts["me"]["role"], "EDITOR");
        let anon = app.gql(None, "{ articles(filter: {status: DRAFT}) { totalCount } }", json!({})).await;
        assert_eq!(gql_code(&anon), "UNAUTHENTICATED");
    }
);

both_backends!(
    async fn editors_write_everything_through_mutations(app) {
        let (editor, _) = app.user("editor").await;
        let tag = app.gql_ok(Some(&editor), r#"mutation { createTag(input: {name: "Energy"}) { id slug articleCount } }"#, json!({})).await;
        assert_eq!(tag["createTag"]["slug"], "energy");
        app.gql_ok(Some(&editor), r#"mutation { updateTag(slug: "energy", input: {description: "Oil and gas."}) { description } }"#, json!({})).await;
        let created = app.gql_ok(Some(&editor), r#"mutation($input: CreateArticleInput!) { createArticle(input: $input) { slug status version tags { slug } image { credit } } }"#,
            json!({"input": {"title": "Oil Slides", "body": "OPEC.", "tags": ["energy"], "status": "PUBLISHED",
                             "image": {"url": "https://cdn.example.com/o.webp", "credit": "© AP"}}})).await;
        assert_eq!(created["createArticle"]["slug"], "oil-slides");
        assert_eq!(created["createArticle"]["tags"][0]["slug"], "energy");
        app.gql_ok(Some(&editor), r#"mutation { createArticle(input: {title: "Gas Rises", body: "x", status: PUBLISHED}) { slug } }"#, json!({})).await;
        let updated = app.gql_ok(Some(&editor), r#"mutation { updateArticle(slug: "oil-slides", input: {subtitle: "Prices fall", image: null}, expectedVersion: 1) { version subtitle image { url } } }"#, json!({})).await;
        assert_eq!(updated["updateArticle"]["version"], 2);
        assert!(updated["updateArticle"]["image"].is_null());
        let stale = app.gql(Some(&editor), r#"mutation { updateArticle(slug: "oil-slides", input: {title: "Lost"}, expectedVersion: 1) { version } }"#, json!({})).await;
        assert_eq!(gql_code(&stale), "CONFLICT");
        let related = app.gql_ok(Some(&editor), r#"mutation { setRelatedArticles(slug: "oil-slides", slugs: ["gas-rises"]) { related(limit: 1) { slug } } }"#, json!({})).await;
        assert_eq!(related["setRelatedArticles"]["related"][0]["slug"], "gas-rises");
        let counters = app.gql_ok(None, r#"mutation { v: recordView(slug: "oil-slides") s: recordShare(slug: "oil-slides", network: WHATSAPP) }"#, json!({})).await;
        assert_eq!(counters, json!({"v": true, "s": true}));
        let comment = app.gql_ok(None, r#"mutation { addComment(input: {articleSlug: "oil-slides", authorName: "Reader", authorEmail: "r@example.com", body: "Hm."}) { id status } }"#, json!({})).await;
        assert_eq!(comment["addComment"]["status"], "PENDING");
        let queue = app.gql_ok(Some(&editor), "{ comments { totalCount edges { node { id authorEmail articleSlug } } } }", json!({})).await;
        assert_eq!(queue["comments"]["totalCount"], 1);
        assert_eq!(queue["comments"]["edges"][0]["node"]["authorEmail"], "r@example.com");
        let id = comment["addComment"]["id"].clone();
        let moderated = app.gql_ok(Some(&editor), "mutation($id: ID!) { moderateComment(id: $id, status: APPROVED) { status } }", json!({"id": id})).await;
        assert_eq!(moderated["moderateComment"]["status"], "APPROVED");
        app.settle().await;
        let read = app.gql_ok(None, r#"{ article(slug: "oil-slides") { viewCount shareCounts { whatsapp } commentCount } }"#, json!({})).await;
        assert_eq!(read["article"], json!({"viewCount": 1, "shareCounts": {"whatsapp": 1}, "commentCount": 1}));
        let deleted = app.gql_ok(Some(&editor), r#"mutation { a: deleteArticle(slug: "gas-rises") t: deleteTag(slug: "energy") }"#, json!({})).await;
        assert_eq!(deleted, json!({"a": true, "t": true}));
        let login = app.gql(None, "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken tokenType expiresIn user { email } } }",
            json!({"e": "nobody@example.com", "p": "x"})).await;
        assert_eq!(gql_code(&login), "UNAUTHENTICATED");
        assert!(login["data"].is_null(), "a failed login has no data");
    }
);

both_backends!(
    async fn errors_carry_the_contract_codes(app) {
        let (author, _) = app.user("author").await;
        let (other, _) = app.user("author").await;
        app.published(&author, "Mine", &[]).await;
        let cases = [
            (None, r#"mutation { createArticle(input: {title: "x", body: "y"}) { id } }"#, "UNAUTHENTICATED"),
            (Some(author.as_str()), r#"mutation { deleteArticle(slug: "mine") }"#, "FORBIDDEN"),
            (Some(other.as_str()), r#"mutation { updateArticle(slug: "mine", input: {title: "z"}) { id } }"#, "FORBIDDEN"),
            (Some(author.as_str()), r#"mutation { updateArticle(slug: "missing", input: {title: "z"}) { id } }"#, "NOT_FOUND"),
            (Some(author.as_str()), r#"mutation { createArticle(input: {title: " ", body: "y"}) { id } }"#, "BAD_USER_INPUT"),
            (Some(author.as_str()), r#"mutation { createArticle(input: {title: "Mine", body: "y", slug: "mine"}) { id } }"#, "CONFLICT"),
            (None, "{ articles(first: 101) { totalCount } }", "BAD_USER_INPUT"),
            (None, "{ articles(last: 101) { totalCount } }", "BAD_USER_INPUT"),
            (None, r#"{ articles(after: "garbage") { totalCount } }"#, "BAD_USER_INPUT"),
            (None, r#"{ articles(first: 2, last: 2) { totalCount } }"#, "BAD_USER_INPUT"),
            (None, r#"{ tags(after: "garbage") { totalCount } }"#, "BAD_USER_INPUT"),
            (None, "{ comments { totalCount } }", "UNAUTHENTICATED"),
            (Some(author.as_str()), "{ comments { totalCount } }", "FORBIDDEN"),
            (None, r#"mutation { recordShare(slug: "missing", network: X) }"#, "NOT_FOUND"),
            (None, r#"mutation { addComment(input: {articleSlug: "mine", authorName: "R", authorEmail: "bad", body: "x"}) { id } }"#, "BAD_USER_INPUT"),
            (None, r#"mutation { moderateComment(id: "1", status: SPAM) { id } }"#, "UNAUTHENTICATED"),
            (None, r#"mutation { moderateComment(id: "abc", status: SPAM) { id } }"#, "BAD_USER_INPUT"),
        ];
        for (token, query, code) in cases {
            let body = app.gql(token, query, json!({})).await;
            assert_eq!(gql_code(&body), code, "{query}: {body}");
        }
        let invalid = app.gql(Some(&author), r#"mutation { createArticle(input: {title: "", body: "y", slug: "Bad Slug"}) { id } }"#, json!({})).await;
        let fields = &invalid["errors"][0]["extensions"]["fields"];
        assert!(fields["title"].is_array() && fields["slug"].is_array(), "{invalid}");
        // A token that is not valid refuses the whole request, as in REST: 401, no data.
        let res = app.post("/graphql").bearer_auth("not-a-token").json(&json!({"query": "{ me { id } }"})).send().await.unwrap();
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        let body = json_of(res, StatusCode::UNAUTHORIZED).await;
        assert_eq!(gql_code(&body), "UNAUTHENTICATED");
        assert!(body.get("data").is_none(), "{body}");
    }
);

both_backends!(
    async fn over_deep_and_over_costly_queries_are_refused_before_the_database(app) {
        newsroom(&app).await;
        app.quiet().await;
        let before = app.state.db.statements_run();
        let nested = (0..9).fold("title".to_owned(), |inner, _| format!("related(limit: 1) {{ {inner} }}"));
        let deep = format!("{{ articles(first: 1) {{ edges {{ node {{ {nested} }} }} }} }}");
        let deep = deep.as_str();
        let res = app.post("/graphql").json(&json!({"query": deep})).send().await.unwrap();
        let body = json_of(res, StatusCode::BAD_REQUEST).await;
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("nested too deep"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["reason"], "QUERY_TOO_DEEP");
        let costly = "{ articles(first: 100) { edges { node { related(limit: 20) { comments(first: 100) { edges { node { body } } } } } } } }";
        let body = app.gql(None, costly, json!({})).await;
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("too complex"), "{body}");
        assert_eq!(app.state.db.statements_run(), before, "refused queries touch no table");
        // The default allows a page of 100 articles with tags, author and 5 related.
        let page = "{ articles(first: 100) { totalCount edges { cursor node { id slug title excerpt publishedAt
            image { url credit } author { slug name } tags { slug name } viewCount commentCount
            related(limit: 5) { id slug title excerpt image { url } } } } } }";
        app.gql_ok(None, page, json!({})).await;
    }
);

both_backends!(
    async fn nested_pages_cost_the_same_statements_at_5_and_50(app) {
        let (editor, _) = app.user("editor").await;
        for t in ["Alpha", "Beta", "Gamma"] {
            app.tag(&editor, t).await;
        }
        let tags = [["alpha", "beta"], ["beta", "gamma"], ["gamma", "alpha"]];
        for i in 0..50 {
            app.published(&editor, &format!("Story {i}"), &tags[i % 3]).await;
        }
        for i in 0..50 {
            if i % 2 == 0 {
                let root = json_of(
                    app.post(&format!("/api/v1/articles/story-{i}/comments"))
                        .bearer_auth(&editor)
                        .json(&json!({"author_name": "R", "author_email": "r@example.com", "body": "Root"}))
                        .send().await.unwrap(),
                    StatusCode::CREATED,
                ).await;
                let reply = app.post(&format!("/api/v1/articles/story-{i}/comments"))
                    .bearer_auth(&editor)
                    .json(&json!({"author_name": "R", "author_email": "r@example.com", "body": "Reply", "parent_id": root["id"]}))
                    .send().await.unwrap();
                json_of(reply, StatusCode::CREATED).await;
            }
        }
        let curated = app.put("/api/v1/articles/story-1/related").bearer_auth(&editor).json(&json!({"slugs": ["story-2"]})).send().await.unwrap();
        json_of(curated, StatusCode::OK).await;
        let query = "query($n: Int!) { articles(first: $n) { totalCount edges { node {
            title body author { name bio } tags { slug description articleCount }
            related(limit: 3) { title tags { slug articleCount } author { bio } }
            comments(first: 3) { totalCount edges { node { body replies { body } } } } } } } }";
        app.quiet().await;
        let mut counts = Vec::new();
        for n in [5, 50] {
            // Cold: nothing cached, not even the list's total.
            app.state.cache.clear();
            let before = app.state.db.statements_run();
            let data = app.gql_ok(None, query, json!({"n": n})).await;
            counts.push(app.state.db.statements_run() - before);
            let edges = data["articles"]["edges"].as_array().unwrap();
            assert_eq!(edges.len(), n as usize);
            // What the setup made is what the page shows: every nested list was loaded.
            for edge in edges {
                let node = &edge["node"];
                let i: usize = node["title"].as_str().unwrap().trim_start_matches("Story ").parse().unwrap();
                let threads = &node["comments"];
                if i.is_multiple_of(2) {
                    assert_eq!(threads["totalCount"], 1, "{node}");
                    assert_eq!(threads["edges"][0]["node"]["replies"][0]["body"], "Reply", "{node}");
                } else {
                    assert_eq!(threads["totalCount"], 0, "{node}");
                }
                assert_eq!(node["tags"].as_array().unwrap().len(), 2, "{node}");
                assert_eq!(node["related"].as_array().unwrap().len(), 3, "{node}");
                if i == 1 {
                    assert_eq!(node["related"][0]["title"], "Story 2", "curated first");
                }
            }
        }
        eprintln!("statements for a nested page of 5 and of 50 articles: {counts:?}");
        assert_eq!(counts[0], counts[1], "statements for 5 and 50 articles: {counts:?}");
        assert!(counts[0] < 30, "a fixed, small number of statements: {counts:?}");
    }
);

both_backends!(
    async fn get_serves_queries_graphiql_and_refuses_mutations(app) {
        newsroom(&app).await;
        let res = app.get("/graphql?query=%7B%20articles%20%7B%20totalCount%20%7D%20%7D").send().await.unwrap();
        assert!(res.headers()["cache-control"].to_str().unwrap().contains("public"));
        let body = json_of(res, StatusCode::OK).await;
        assert_eq!(body["data"]["articles"]["totalCount"], 2);
        let res = app.get("/graphql?query=mutation%20%7B%20recordView(slug%3A%20%22second-story%22)%20%7D").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        let html = app.get("/graphql").header("accept", "text/html").send().await.unwrap();
        assert_eq!(html.status(), StatusCode::OK);
        assert!(html.text().await.unwrap().to_lowercase().contains("graphiql"));
        app.settle().await;
        let views = json_of(app.get("/api/v1/articles/second-story").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(views["view_count"], 0, "the GET mutation did not run");
    }
);

#[test]
fn schema_file_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == newsdesk::graphql::sdl(),
        "schema.graphql is out of date; refresh it with `cargo run -- schema > schema.graphql`"
    );
}

both_backends!(
    async fn malformed_graphql_requests_get_graphql_errors_not_500s(app) {
        let send = |body: &'static str, ctype: &'static str| {
            app.post("/graphql").header("content-type", ctype).body(body).send()
        };
        let res = send("{not json", "application/json").await.unwrap();
        let body = json_of(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(gql_code(&body), "BAD_USER_INPUT", "{body}");
        let res = send(r#"{"query": "{ articles { totalCount } }"}"#, "text/plain").await.unwrap();
        let body = json_of(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("JSON"), "{body}");
        let res = send(r#"{"variables": {}}"#, "application/json").await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let huge = format!(r#"{{"query": "{{ articles {{ totalCount }} }}", "pad": "{}"}}"#, "x".repeat(300 * 1024));
        let res = app.post("/graphql").header("content-type", "application/json").body(huge).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        // A query still works, with or without a charset in its media type.
        let res = send(r#"{"query": "{ articles { totalCount } }"}"#, "application/json; charset=utf-8").await.unwrap();
        assert_eq!(json_of(res, StatusCode::OK).await["data"]["articles"]["totalCount"], 0);
    }
);

/// graphql-js `getIntrospectionQuery()`, as GraphiQL, GraphQL Code Generator and Apollo send it:
/// deeper than the depth limit, which is for data, not for introspection.
const STANDARD_INTROSPECTION: &str = include_str!("../fixtures/introspection.graphql");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_introspection_query_is_answered() {
    let app = TestApp::sqlite().await;
    let data = app.gql_ok(None, STANDARD_INTROSPECTION, json!({})).await;
    let types = data["__schema"]["types"].as_array().expect("types");
    assert!(
        types.iter().any(|t| t["name"] == "Article"),
        "Article is introspectable"
    );
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    // A query that multiplies the schema by itself is not.
    let bomb = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    let res = app
        .post("/graphql")
        .json(&json!({"query": bomb}))
        .send()
        .await
        .unwrap();
    let body = json_of(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        body["errors"][0]["extensions"]["reason"],
        "INTROSPECTION_TOO_LARGE"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_that_do_not_parse_or_validate_get_a_code() {
    let app = TestApp::sqlite().await;
    for query in [
        "{ articles { edges { node { noSuchField } } } }",
        "{ article(slug: 42) { id } }",
        "{ article(slug: \"x\" { id } }",
        "query Twice { tag(slug: \"a\") { id } } query Twice { tag(slug: \"b\") { id } }",
    ] {
        let body = app.gql(None, query, json!({})).await;
        assert_eq!(gql_code(&body), "BAD_USER_INPUT", "{query}: {body}");
    }
}

both_backends!(
    async fn a_document_kept_parsed_answers_each_request_by_its_own_variables_and_viewer(app) {
        // The server keeps admitted documents by their text (graphql::Documents): the second
        // request of a text must still run with its own variables, token and operation kind,
        // and a refused text must be refused every time.
        let editor = newsroom(&app).await;
        app.article(&editor, json!({"title": "Draft Only", "body": "Not yet.", "status": "draft"})).await;
        for (slug, title) in [
            ("ceasefire-talks-on-track", "Ceasefire Talks On Track"),
            ("second-story", "Second Story"),
            ("ceasefire-talks-on-track", "Ceasefire Talks On Track"),
        ] {
            let data = app.gql_ok(None, ARTICLE_PAGE, json!({"slug": slug})).await;
            assert_eq!(data["article"]["title"], title);
        }
        let data = app.gql_ok(None, ARTICLE_PAGE, json!({"slug": "draft-only"})).await;
        assert!(data["article"].is_null(), "the public never sees a draft: {data}");
        let data = app.gql_ok(Some(&editor), ARTICLE_PAGE, json!({"slug": "draft-only"})).await;
        assert_eq!(data["article"]["status"], "DRAFT", "the editor's token is read on the second use");

        let nested = (0..9).fold("title".to_owned(), |inner, _| format!("related(limit: 1) {{ {inner} }}"));
        let deep = format!("{{ articles(first: 1) {{ edges {{ node {{ {nested} }} }} }} }}");
        for _ in 0..2 {
            let res = app.post("/graphql").json(&json!({"query": deep})).send().await.unwrap();
            let body = json_of(res, StatusCode::BAD_REQUEST).await;
            assert_eq!(body["errors"][0]["extensions"]["reason"], "QUERY_TOO_DEEP");
        }

        let view = "mutation%20%7B%20recordView(slug%3A%20%22second-story%22)%20%7D";
        for _ in 0..2 {
            let res = app.get(&format!("/graphql?query={view}")).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "a kept mutation is still one");
        }
    }
);
