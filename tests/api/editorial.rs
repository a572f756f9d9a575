//! The editorial workflow: bylines, revisions, slug history and preview links.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

/// The signed-in account's slug.
async fn slug_of(app: &TestApp, token: &str) -> String {
    let me = json_of(
        app.get("/api/v1/me")
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    me["slug"].as_str().expect("slug").to_owned()
}

fn slugs(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|a| a["slug"].as_str().expect("slug").to_owned())
        .collect()
}

both_backends!(
    async fn a_byline_is_ordered_and_any_author_on_it_edits_as_owner(app) {
        let (editor, _) = app.user("editor").await;
        let (first, _) = app.user("author").await;
        let (second, _) = app.user("author").await;
        let (outsider, _) = app.user("author").await;
        let (s1, s2) = (slug_of(&app, &first).await, slug_of(&app, &second).await);
        let created = app
            .article(
                &editor,
                json!({"title": "Two Reporters", "body": "Filed together.", "authors": [s1, s2]}),
            )
            .await;
        assert_eq!(slugs(&created["authors"]), [s1.clone(), s2.clone()]);
        assert_eq!(created["author"]["slug"], s1, "the primary author is the byline's first");
        let path = "/api/v1/articles/two-reporters";

        // The second reporter reads the draft and edits it as its own; an outsider sees nothing.
        json_of(app.get(path).bearer_auth(&second).send().await.unwrap(), StatusCode::OK).await;
        let edited = json_of(
            app.patch(path)
                .bearer_auth(&second)
                .json(&json!({"subtitle": "Second reporter's edit"}))
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(edited["subtitle"], "Second reporter's edit");
        problem(app.get(path).bearer_auth(&outsider).send().await.unwrap(), StatusCode::NOT_FOUND)
            .await;
        let drafts = json_of(
            app.get("/api/v1/articles?status=draft").bearer_auth(&second).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(drafts["data"].as_array().unwrap().len(), 1, "{drafts}");

        // Published, an outsider reads it but may not change it.
        app.patch(path).bearer_auth(&editor).json(&json!({"status": "published"})).send().await.unwrap();
        json_of(app.get(path).bearer_auth(&outsider).send().await.unwrap(), StatusCode::OK).await;
        problem(
            app.patch(path).bearer_auth(&outsider).json(&json!({"title": "Mine"})).send().await.unwrap(),
            StatusCode::FORBIDDEN,
        )
        .await;

        // `author=` matches any line of the byline, and so does the author's profile.
        for s in [&s1, &s2] {
            let list = json_of(
                app.get(&format!("/api/v1/articles?author={s}")).send().await.unwrap(),
                StatusCode::OK,
            )
            .await;
            assert_eq!(list["meta"]["total"], 1, "author={s}: {list}");
            assert_eq!(slugs(&list["data"][0]["authors"]), [s1.clone(), s2.clone()]);
        }
        let profile = app
            .gql_ok(
                None,
                "query($s: String!) { author(slug: $s) { articles(first: 5) { totalCount nodes { slug authors { slug name } } } } }",
                json!({"s": s2}),
            )
            .await;
        let articles = &profile["author"]["articles"];
        assert_eq!(articles["totalCount"], 1);
        assert_eq!(slugs(&articles["nodes"][0]["authors"]), [s1.clone(), s2.clone()]);

        // Reordering makes the second reporter primary; it may drop the first, not itself.
        let swapped = json_of(
            app.patch(path).bearer_auth(&second).json(&json!({"authors": [s2, s1]})).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(swapped["author"]["slug"], s2);
        invalid(
            app.patch(path).bearer_auth(&second).json(&json!({"authors": [s1]})).send().await.unwrap(),
            "authors",
        )
        .await;
        let unchanged = json_of(app.get(path).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(slugs(&unchanged["authors"]), [s2.clone(), s1.clone()]);
    }
);

both_backends!(
    async fn bad_bylines_are_422_on_authors(app) {
        let (author, _) = app.user("author").await;
        let (other, _) = app.user("author").await;
        let (me, them) = (slug_of(&app, &author).await, slug_of(&app, &other).await);
        let bad = [
            json!([]),
            json!(["nobody-has-this-slug"]),
            json!([me, me]),
            json!(["Not A Slug!"]),
            json!([them]),
            json!((0..11).map(|i| format!("someone-{i}")).collect::<Vec<_>>()),
        ];
        for authors in bad {
            let res = app
                .post("/api/v1/articles")
                .bearer_auth(&author)
                .json(&json!({"title": "Byline Test", "body": "x", "authors": authors}))
                .send()
                .await
                .unwrap();
            invalid(res, "authors").await;
        }
        let list = json_of(
            app.get("/api/v1/articles?status=any").bearer_auth(&author).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(list["meta"]["total"], 0, "nothing was half-written: {list}");
        // An author may add a colleague beside themselves.
        let ok = app
            .article(&author, json!({"title": "Byline Test", "body": "x", "authors": [me, them]}))
            .await;
        assert_eq!(slugs(&ok["authors"]), [me, them]);
    }
);

both_backends!(
    async fn graphql_writes_and_reads_the_byline(app) {
        let (editor, _) = app.user("editor").await;
        let (reporter, _) = app.user("author").await;
        let (e, r) = (slug_of(&app, &editor).await, slug_of(&app, &reporter).await);
        let made = app
            .gql_ok(
                Some(&editor),
                "mutation($a: [String!]) { createArticle(input: {title: \"Joint\", body: \"x\", status: PUBLISHED, authors: $a}) { slug author { slug } authors { slug bio } } }",
                json!({"a": [r, e]}),
            )
            .await;
        assert_eq!(made["createArticle"]["author"]["slug"], r);
        assert_eq!(slugs(&made["createArticle"]["authors"]), [r.clone(), e.clone()]);
        let updated = app
            .gql_ok(
                Some(&reporter),
                "mutation($a: [String!]) { updateArticle(slug: \"joint\", input: {authors: $a}) { authors { slug } } }",
                json!({"a": [r]}),
            )
            .await;
        assert_eq!(slugs(&updated["updateArticle"]["authors"]), [r]);
        let refused = app
            .gql(
                Some(&reporter),
                "mutation($a: [String!]) { updateArticle(slug: \"joint\", input: {authors: $a}) { slug } }",
                json!({"a": ["no-such-person"]}),
            )
            .await;
        assert_eq!(gql_code(&refused), "BAD_USER_INPUT", "{refused}");
    }
);

both_backends!(
    async fn deleting_a_co_author_hands_their_bylines_over(app) {
        let (admin, _) = app.user("admin").await;
        let (first, _) = app.user("author").await;
        let (second, second_id) = app.user("author").await;
        let (heir, heir_id) = app.user("author").await;
        let (s1, s2, s3) = (
            slug_of(&app, &first).await,
            slug_of(&app, &second).await,
            slug_of(&app, &heir).await,
        );
        app.article(&admin, json!({"title": "Shared", "body": "x", "authors": [s2, s1]})).await;
        app.article(&admin, json!({"title": "Already Signed", "body": "x", "authors": [s3, s2]})).await;
        let gone = app
            .delete(&format!("/api/v1/users/{second_id}?reassign_to={heir_id}"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), StatusCode::NO_CONTENT);
        let shared = json_of(app.get("/api/v1/articles/shared").bearer_auth(&admin).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(slugs(&shared["authors"]), [s3.clone(), s1.clone()], "the heir takes the place");
        assert_eq!(shared["author"]["slug"], s3);
        let signed = json_of(
            app.get("/api/v1/articles/already-signed").bearer_auth(&admin).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(slugs(&signed["authors"]), [s3], "nobody signs twice");
    }
);

/// The article's current ETag, for `If-Match`.
async fn etag_of(app: &TestApp, token: &str, path: &str) -> String {
    let res = app.get(path).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.headers()["etag"].to_str().unwrap().to_owned()
}

both_backends!(
    async fn every_change_is_a_revision_and_a_restore_is_a_new_version(app) {
        let (editor, _) = app.user("editor").await;
        let (author, _) = app.user("author").await;
        let (outsider, _) = app.user("author").await;
        app.tag(&editor, "Politics").await;
        app.tag(&editor, "Economy").await;
        let me = slug_of(&app, &author).await;
        app.article(
            &author,
            json!({"title": "Budget Talks", "body": "First draft.", "tags": ["politics"], "excerpt": "Talks begin"}),
        )
        .await;
        let path = "/api/v1/articles/budget-talks";
        for patch in [
            json!({"body": "Second draft, longer."}),
            json!({"title": "Budget Talks Stall", "tags": ["economy"], "excerpt": null}),
            json!({"status": "published"}),
        ] {
            json_of(app.patch(path).bearer_auth(&author).json(&patch).send().await.unwrap(), StatusCode::OK).await;
        }
        let history = json_of(
            app.get(&format!("{path}/revisions")).bearer_auth(&author).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(history["meta"]["total"], 4, "{history}");
        let versions: Vec<i64> = history["data"].as_array().unwrap().iter().map(|r| r["version"].as_i64().unwrap()).collect();
        assert_eq!(versions, [4, 3, 2, 1], "newest first");
        assert_eq!(history["data"][0]["changed"], json!(["status", "published_at"]));
        assert_eq!(history["data"][1]["changed"], json!(["title", "excerpt", "tags"]));
        assert_eq!(history["data"][2]["changed"], json!(["body"]));
        assert_eq!(history["data"][0]["editor"]["slug"], me);
        let first = history["data"][3]["changed"].as_array().unwrap();
        assert!(first.contains(&json!("title")) && first.contains(&json!("excerpt")), "{history}");

        // One version in full.
        let v1 = json_of(
            app.get(&format!("{path}/revisions/1")).bearer_auth(&author).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(v1["title"], "Budget Talks");
        assert_eq!(v1["body"], "First draft.");
        assert_eq!(v1["excerpt"], "Talks begin");
        assert_eq!(v1["tags"][0]["slug"], "politics");
        assert_eq!(v1["status"], "draft");

        // Outsiders and anonymous readers see no history, even of a published article.
        problem(app.get(&format!("{path}/revisions")).bearer_auth(&outsider).send().await.unwrap(), StatusCode::FORBIDDEN).await;
        problem(app.get(&format!("{path}/revisions")).send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        problem(app.get(&format!("{path}/revisions/99")).bearer_auth(&author).send().await.unwrap(), StatusCode::NOT_FOUND).await;

        // A stale If-Match refuses the restore and changes nothing.
        let stale = app
            .post(&format!("{path}/revisions/1/restore"))
            .bearer_auth(&author)
            .header("If-Match", "\"v2-0\"")
            .send()
            .await
            .unwrap();
        problem(stale, StatusCode::PRECONDITION_FAILED).await;
        let etag = etag_of(&app, &author, path).await;
        let restored = json_of(
            app.post(&format!("{path}/revisions/1/restore"))
                .bearer_auth(&author)
                .header("If-Match", etag)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(restored["version"], 5, "a restore is a new version");
        assert_eq!(restored["title"], "Budget Talks");
        assert_eq!(restored["body"], "First draft.");
        assert_eq!(restored["excerpt"], "Talks begin");
        assert_eq!(restored["tags"][0]["slug"], "politics");
        assert_eq!(restored["status"], "published", "a restore keeps the status");
        assert_eq!(restored["slug"], "budget-talks");
        let history = json_of(
            app.get(&format!("{path}/revisions?per_page=2")).bearer_auth(&editor).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(history["meta"]["total"], 5, "history is never rewritten");
        assert_eq!(history["data"].as_array().unwrap().len(), 2);
        assert_eq!(history["data"][0]["changed"], json!(["title", "body", "excerpt", "tags"]));
        // Restoring what is already current changes nothing and keeps nothing new.
        let again = json_of(
            app.post(&format!("{path}/revisions/5/restore")).bearer_auth(&author).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(again["title"], "Budget Talks");
    }
);

both_backends!(
    async fn graphql_lists_revisions_and_restores_one(app) {
        let (editor, _) = app.user("editor").await;
        app.article(&editor, json!({"title": "Storm Warning", "body": "Winds of 90 km/h.", "status": "published"})).await;
        app.gql_ok(
            Some(&editor),
            "mutation { updateArticle(slug: \"storm-warning\", input: {body: \"Winds of 120 km/h.\"}) { version } }",
            json!({}),
        )
        .await;
        let read = app
            .gql_ok(
                Some(&editor),
                "{ article(slug: \"storm-warning\") { version revisions { version changed body editor { name } } } }",
                json!({}),
            )
            .await;
        let revisions = read["article"]["revisions"].as_array().unwrap();
        assert_eq!(revisions.len(), 2);
        assert_eq!(revisions[0]["changed"], json!(["body"]));
        assert_eq!(revisions[1]["body"], "Winds of 90 km/h.");
        assert_eq!(revisions[0]["editor"]["name"], "Test editor");
        let stale = app
            .gql(
                Some(&editor),
                "mutation { restoreRevision(slug: \"storm-warning\", version: 1, expectedVersion: 1) { version } }",
                json!({}),
            )
            .await;
        assert_eq!(gql_code(&stale), "CONFLICT", "{stale}");
        let restored = app
            .gql_ok(
                Some(&editor),
                "mutation { restoreRevision(slug: \"storm-warning\", version: 1, expectedVersion: 2) { version body } }",
                json!({}),
            )
            .await;
        assert_eq!(restored["restoreRevision"]["version"], 3);
        assert_eq!(restored["restoreRevision"]["body"], "Winds of 90 km/h.");
        // Anonymous readers get no history.
        let anonymous = app
            .gql(None, "{ article(slug: \"storm-warning\") { revisions { version } } }", json!({}))
            .await;
        assert!(anonymous["errors"].is_array(), "{anonymous}");
    }
);

both_backends!(
    async fn a_renamed_slug_redirects_and_still_takes_views_shares_and_comments(app) {
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Old Headline", &[]).await;
        let renamed = json_of(
            app.patch("/api/v1/articles/old-headline")
                .bearer_auth(&editor)
                .json(&json!({"slug": "new-headline"}))
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(renamed["slug"], "new-headline");

        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let moved = client.get(app.url("/api/v1/articles/old-headline?fields=slug,title")).send().await.unwrap();
        assert_eq!(moved.status(), StatusCode::MOVED_PERMANENTLY);
        assert_eq!(moved.headers()["location"], "/api/v1/articles/new-headline?fields=slug,title");
        // Twice: the second answer must not come from a cached copy of anything else.
        let again = client.get(app.url("/api/v1/articles/old-headline")).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::MOVED_PERMANENTLY);
        json_of(app.get("/api/v1/articles/new-headline").send().await.unwrap(), StatusCode::OK).await;

        // Counters, comments and related lists posted to the old slug reach the article.
        let view = app.post("/api/v1/articles/old-headline/views").send().await.unwrap();
        assert_eq!(view.status(), StatusCode::ACCEPTED);
        let share = app.post("/api/v1/articles/old-headline/shares").json(&json!({"network": "x"})).send().await.unwrap();
        assert_eq!(share.status(), StatusCode::ACCEPTED);
        let comment = app
            .post("/api/v1/articles/old-headline/comments")
            .bearer_auth(&editor)
            .json(&json!({"author_name": "Ed", "author_email": "ed@example.com", "body": "Posted to the old link."}))
            .send()
            .await
            .unwrap();
        assert_eq!(comment.status(), StatusCode::CREATED);
        json_of(app.get("/api/v1/articles/old-headline/related").send().await.unwrap(), StatusCode::OK).await;
        app.settle().await;
        let now = json_of(app.get("/api/v1/articles/new-headline").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(now["share_counts"]["x"], 1);
        assert_eq!(now["comment_count"], 1);

        // A related list curated by the old slug names the article (never itself).
        app.published(&editor, "Other Story", &[]).await;
        let curated = json_of(
            app.put("/api/v1/articles/other-story/related").bearer_auth(&editor)
                .json(&json!({"slugs": ["old-headline"]})).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(curated["slugs"], json!(["new-headline"]));
        invalid(
            app.put("/api/v1/articles/new-headline/related").bearer_auth(&editor)
                .json(&json!({"slugs": ["old-headline"]})).send().await.unwrap(),
            "slugs",
        )
        .await;

        // GraphQL finds the article by its old slug, under its new one.
        let found = app.gql_ok(None, "{ article(slug: \"old-headline\") { slug } }", json!({})).await;
        assert_eq!(found["article"]["slug"], "new-headline");

        // A new article may take the old slug: the redirect ends.
        let taken = app
            .article(&editor, json!({"title": "Something Else", "slug": "old-headline", "body": "x", "status": "published"}))
            .await;
        assert_eq!(taken["slug"], "old-headline");
        let other = json_of(client.get(app.url("/api/v1/articles/old-headline")).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(other["title"], "Something Else");
        let found = app.gql_ok(None, "{ article(slug: \"old-headline\") { title } }", json!({})).await;
        assert_eq!(found["article"]["title"], "Something Else");

        // Renamed twice, both old slugs lead to the current one; renamed back, an article
        // takes its old slug again. An unknown slug stays 404.
        app.published(&editor, "First Name", &[]).await;
        for (from, to) in [("first-name", "second-name"), ("second-name", "third-name"), ("third-name", "first-name")] {
            json_of(
                app.patch(&format!("/api/v1/articles/{from}")).bearer_auth(&editor).json(&json!({"slug": to})).send().await.unwrap(),
                StatusCode::OK,
            )
            .await;
        }
        for old in ["second-name", "third-name"] {
            let moved = client.get(app.url(&format!("/api/v1/articles/{old}"))).send().await.unwrap();
            assert_eq!(moved.status(), StatusCode::MOVED_PERMANENTLY, "{old}");
            assert_eq!(moved.headers()["location"], "/api/v1/articles/first-name");
        }
        json_of(client.get(app.url("/api/v1/articles/first-name")).send().await.unwrap(), StatusCode::OK).await;
        problem(app.get("/api/v1/articles/never-was").send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }
);

/// A preview link of `slug` made by `token`.
async fn preview_link(app: &TestApp, token: &str, slug: &str, body: Value) -> Value {
    json_of(
        app.post(&format!("/api/v1/articles/{slug}/preview"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await
}

both_backends!(
    async fn a_preview_link_shows_a_draft_to_anyone_holding_it_until_revoked(app) {
        let (author, _) = app.user("author").await;
        let (outsider, _) = app.user("author").await;
        app.article(&author, json!({"title": "Embargoed Story", "body": "Not yet."})).await;
        let link = preview_link(&app, &author, "embargoed-story", json!({})).await;
        let url = link["url"].as_str().unwrap().to_owned();
        assert!(url.starts_with("/api/v1/preview/"), "{link}");
        let expires = chrono::DateTime::parse_from_rfc3339(link["expires_at"].as_str().unwrap()).unwrap();
        let ttl = (expires.timestamp() - chrono::Utc::now().timestamp()) as f64;
        assert!((ttl - 86_400.0).abs() < 60.0, "a day by default: {ttl}");

        // No account needed; never cached publicly, never indexed; twice, the same.
        for _ in 0..2 {
            let res = app.get(&url).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()["cache-control"], "private, no-store");
            assert_eq!(res.headers()["x-robots-tag"], "noindex");
            let shown: Value = res.json().await.unwrap();
            assert_eq!(shown["title"], "Embargoed Story");
            assert_eq!(shown["status"], "draft");
        }
        // It shows the current content, and the draft stays hidden everywhere else.
        app.patch("/api/v1/articles/embargoed-story").bearer_auth(&author).json(&json!({"body": "Now with detail."})).send().await.unwrap();
        let shown = json_of(app.get(&url).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(shown["body"], "Now with detail.");
        problem(app.get("/api/v1/articles/embargoed-story").send().await.unwrap(), StatusCode::NOT_FOUND).await;
        let list = json_of(app.get("/api/v1/articles").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(list["meta"]["total"], 0);

        // GraphQL reads the same link, privately.
        let token = link["token"].as_str().unwrap().to_owned();
        for _ in 0..2 {
            let res = app
                .post("/graphql")
                .json(&json!({"query": "query($t: String!) { preview(token: $t) { title status body } }", "variables": {"t": token}}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.headers()["cache-control"], "private, no-store");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["data"]["preview"]["title"], "Embargoed Story", "{body}");
        }

        // Only who may edit it makes or revokes links.
        problem(
            app.post("/api/v1/articles/embargoed-story/preview").bearer_auth(&outsider).json(&json!({})).send().await.unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
        problem(app.post("/api/v1/articles/embargoed-story/preview").json(&json!({})).send().await.unwrap(), StatusCode::UNAUTHORIZED).await;

        // Revoking ends every link at once; a new link works again.
        let second = preview_link(&app, &author, "embargoed-story", json!({"ttl_seconds": 600})).await;
        let gone = app.delete("/api/v1/articles/embargoed-story/preview").bearer_auth(&author).send().await.unwrap();
        assert_eq!(gone.status(), StatusCode::NO_CONTENT);
        for old in [&url, second["url"].as_str().unwrap()] {
            problem(app.get(old).send().await.unwrap(), StatusCode::NOT_FOUND).await;
        }
        // The very request that read it before: an answer kept anywhere would still show it.
        let dead: Value = app
            .post("/graphql")
            .json(&json!({"query": "query($t: String!) { preview(token: $t) { title status body } }", "variables": {"t": token}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(dead["data"]["preview"].is_null(), "{dead}");
        let third = preview_link(&app, &author, "embargoed-story", json!({})).await;
        json_of(app.get(third["url"].as_str().unwrap()).send().await.unwrap(), StatusCode::OK).await;

        // Deleting the article kills its links.
        let (editor, _) = app.user("editor").await;
        app.delete("/api/v1/articles/embargoed-story").bearer_auth(&editor).send().await.unwrap();
        problem(app.get(third["url"].as_str().unwrap()).send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }
);

both_backends!(
    async fn forged_truncated_and_expired_preview_links_are_404(app) {
        let (editor, _) = app.user("editor").await;
        app.article(&editor, json!({"title": "Scheduled Piece", "body": "x", "status": "published", "published_at": "2099-01-01T00:00:00Z"})).await;
        app.article(&editor, json!({"title": "Archived Piece", "body": "x", "status": "archived"})).await;
        for slug in ["scheduled-piece", "archived-piece"] {
            let link = preview_link(&app, &editor, slug, json!({"ttl_seconds": 60})).await;
            json_of(app.get(link["url"].as_str().unwrap()).send().await.unwrap(), StatusCode::OK).await;
        }
        let link = preview_link(&app, &editor, "scheduled-piece", json!({})).await;
        let token = link["token"].as_str().unwrap();
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let parts: Vec<&str> = signed.split('.').collect();
        let other_article = format!("{}.{}.{}.{}.{signature}", parts[0], parts[1].parse::<i64>().unwrap() + 1, parts[2], parts[3]);
        let longer = format!("{}.{}.{}.{}.{signature}", parts[0], parts[1], parts[2], parts[3].parse::<i64>().unwrap() + 3600);
        let expired = format!("{}.{}.{}.{}.{signature}", parts[0], parts[1], parts[2], 1_000_000_000);
        let bad = [
            token[..token.len() - 1].to_owned(),
            token[..token.len() / 2].to_owned(),
            signed.to_owned(),
            other_article,
            longer,
            expired,
            format!("{token}.extra"),
            "not-a-token".to_owned(),
            "x".repeat(500),
            "%00".to_owned(),
        ];
        for forged in &bad {
            let res = app.get(&format!("/api/v1/preview/{forged}")).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{forged}");
        }
        // A link is not an access token, nor the reverse.
        let as_bearer = app.get("/api/v1/articles/scheduled-piece").bearer_auth(token).send().await.unwrap();
        assert_eq!(as_bearer.status(), StatusCode::UNAUTHORIZED);
        let res = app.get(&format!("/api/v1/preview/{editor}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        // Bounds of the lifetime.
        for ttl in [json!(0), json!(59), json!(604_801), json!(-5)] {
            invalid(
                app.post("/api/v1/articles/scheduled-piece/preview").bearer_auth(&editor).json(&json!({"ttl_seconds": ttl})).send().await.unwrap(),
                "ttl_seconds",
            )
            .await;
        }
        let week = preview_link(&app, &editor, "scheduled-piece", json!({"ttl_seconds": 604_800})).await;
        assert!(week["token"].is_string());
    }
);
