use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;
use newsdesk::config::Settings;

/// The slugs of a related list, which has the shape of every list: `{data, meta}`.
/// A related list's slugs, its total checked against them.
fn slugs(list: &Value) -> Vec<String> {
    assert_eq!(
        list["meta"]["total"].as_u64(),
        list["data"].as_array().map(|d| d.len() as u64),
        "{list}"
    );
    crate::helpers::slugs(list)
}

both_backends!(
    async fn related_are_curated_then_by_rarer_shared_tags_then_recent(app) {
        let (editor, _) = app.user("editor").await;
        for t in ["Common", "Rare"] {
            app.tag(&editor, t).await;
        }
        app.published(&editor, "Lead", &["common", "rare"]).await;
        app.published(&editor, "Shares Common", &["common"]).await;
        app.published(&editor, "Shares Rare", &["rare"]).await;
        app.published(&editor, "Shares Common Too", &["common"]).await;
        app.published(&editor, "Untagged Newest", &[]).await;
        app.published(&editor, "Curated Pick", &[]).await;
        app.article(&editor, json!({"title": "Hidden Draft", "body": "x", "tags": ["rare", "common"]})).await;
        let set = json_of(
            app.put("/api/v1/articles/lead/related")
                .bearer_auth(&editor)
                .json(&json!({"slugs": ["curated-pick", "hidden-draft"]}))
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(set["slugs"], json!(["curated-pick", "hidden-draft"]));
        let related = json_of(app.get("/api/v1/articles/lead/related?limit=5").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(
            slugs(&related),
            ["curated-pick", "shares-rare", "shares-common-too", "shares-common", "untagged-newest"]
        );
        let two = json_of(app.get("/api/v1/articles/lead/related?limit=2").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(slugs(&two), ["curated-pick", "shares-rare"]);
        assert!(two["data"][0]["excerpt"].is_string() && two["data"][0]["view_count"].is_number());
        assert_eq!(two["meta"]["per_page"], 2);
        invalid(app.get("/api/v1/articles/lead/related?limit=0").send().await.unwrap(), "limit").await;
        invalid(app.get("/api/v1/articles/lead/related?limit=21").send().await.unwrap(), "limit").await;
        problem(app.get("/api/v1/articles/nope/related").send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }
);

both_backends!(
    async fn setting_related_is_for_editors_and_checks_slugs(app) {
        let (editor, _) = app.user("editor").await;
        let (author, _) = app.user("author").await;
        app.published(&editor, "Lead", &[]).await;
        app.published(&editor, "Other", &[]).await;
        let put = |token: &str, slugs: Value| {
            app.put("/api/v1/articles/lead/related").bearer_auth(token).json(&json!({"slugs": slugs})).send()
        };
        problem(put(&author, json!(["other"])).await.unwrap(), StatusCode::FORBIDDEN).await;
        invalid(put(&editor, json!(["lead"])).await.unwrap(), "slugs").await;
        invalid(put(&editor, json!(["missing"])).await.unwrap(), "slugs").await;
        invalid(put(&editor, json!(["other", "other"])).await.unwrap(), "slugs").await;
        invalid(put(&editor, json!(["Bad Slug"])).await.unwrap(), "slugs").await;
        problem(
            app.put("/api/v1/articles/lead/related").bearer_auth(&editor).json(&json!({"slugs": "other"})).send().await.unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
        json_of(put(&editor, json!(["other"])).await.unwrap(), StatusCode::OK).await;
        let stored = json_of(
            app.get("/api/v1/articles/lead/related/curated").bearer_auth(&editor).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(stored["slugs"], json!(["other"]));
        let cleared = json_of(put(&editor, json!([])).await.unwrap(), StatusCode::OK).await;
        assert_eq!(cleared["slugs"], json!([]));
        let stored = json_of(
            app.get("/api/v1/articles/lead/related/curated").bearer_auth(&editor).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(stored["slugs"], json!([]), "the curated list is empty once cleared");
    }
);

/// Kept long enough that no kept list expires during a test.
fn related_kept_an_hour(s: &mut Settings, _: &str) {
    s.related_max_age = std::time::Duration::from_secs(3600);
}

/// Kept for one second: a newly published article reaches older articles' lists that soon.
fn related_kept_a_second(s: &mut Settings, _: &str) {
    s.related_max_age = std::time::Duration::from_secs(1);
}

/// An editor's change to an article, which must succeed.
async fn patch_article(app: &TestApp, token: &str, slug: &str, body: Value) {
    let res = app
        .patch(&format!("/api/v1/articles/{slug}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    json_of(res, StatusCode::OK).await;
}

async fn related_slugs(app: &TestApp, slug: &str) -> Vec<String> {
    let res = app
        .get(&format!("/api/v1/articles/{slug}/related?limit=10"))
        .send()
        .await
        .unwrap();
    slugs(&json_of(res, StatusCode::OK).await)
}

both_backends!(
    with related_kept_an_hour;
    /// A kept list names articles that may have been archived, unscheduled, unpublished or
    /// deleted since: who may appear is decided when it is read.
    async fn kept_related_lists_never_show_what_the_public_may_not_see(app) {
        let (editor, _) = app.user("editor").await;
        app.tag(&editor, "Rare").await;
        app.published(&editor, "Lead", &["rare"]).await;
        for name in ["Archived Later", "Scheduled Later", "Draft Later", "Deleted Later", "Stays"] {
            app.published(&editor, name, &["rare"]).await;
        }
        let before = related_slugs(&app, "lead").await;
        for name in ["archived-later", "scheduled-later", "draft-later", "deleted-later", "stays"] {
            assert!(before.contains(&name.to_owned()), "{name} in {before:?}");
        }
        // Newer than the kept list, sharing its tag: ranked only once the list is recomputed.
        app.published(&editor, "Newcomer", &["rare"]).await;
        patch_article(&app, &editor, "archived-later", json!({"status": "archived"})).await;
        patch_article(&app, &editor, "scheduled-later", json!({"published_at": "2099-01-01T10:00:00Z"})).await;
        patch_article(&app, &editor, "draft-later", json!({"status": "draft"})).await;
        let res = app.delete("/api/v1/articles/deleted-later").bearer_auth(&editor).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let after = related_slugs(&app, "lead").await;
        for gone in ["archived-later", "scheduled-later", "draft-later", "deleted-later", "lead"] {
            assert!(!after.contains(&gone.to_owned()), "{gone} must not appear: {after:?}");
        }
        // The kept list ranked "stays"; the newcomer, not in it yet, only fills the gap as
        // one of the most recent.
        assert_eq!(after, ["stays", "newcomer"]);
        // The lead's own tags change: its list is recomputed at once, the newcomer first (the
        // most recent of those sharing the most weight).
        app.tag(&editor, "Other").await;
        patch_article(&app, &editor, "lead", json!({"tags": ["rare", "other"]})).await;
        let retagged = related_slugs(&app, "lead").await;
        assert_eq!(retagged, ["newcomer", "stays"]);
        // GraphQL reads the same kept lists, with the same rule.
        let gql = app.gql_ok(None, r#"{ article(slug: "lead") { related(limit: 10) { slug } } }"#, json!({})).await;
        let names: Vec<&str> = gql["article"]["related"].as_array().unwrap_or_else(|| panic!("{gql}")).iter()
            .map(|a| a["slug"].as_str().unwrap()).collect();
        assert_eq!(names, retagged.iter().map(String::as_str).collect::<Vec<_>>());
    }
);

both_backends!(
    with related_kept_a_second;
    async fn a_newly_published_article_joins_kept_related_lists_within_their_age(app) {
        let (editor, _) = app.user("editor").await;
        app.tag(&editor, "Rare").await;
        app.published(&editor, "Lead", &["rare"]).await;
        app.published(&editor, "Older", &["rare"]).await;
        assert_eq!(related_slugs(&app, "lead").await, ["older"]);
        // At once it fills the list as one of the most recent, after the kept ones; within the
        // kept list's age it is ranked among them (ties go to the more recent).
        app.published(&editor, "Newcomer", &["rare"]).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let now = related_slugs(&app, "lead").await;
            if now == ["newcomer", "older"] {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "still {now:?} after 5 s (age: 1 s)");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
);

both_backends!(
    with related_kept_an_hour;
    /// A read looks at the first few ids of a kept list, and further down only when those do not
    /// fill the list: articles unpublished since are replaced from the kept ranking, not by the
    /// latest stories.
    async fn a_kept_list_whose_first_articles_went_away_is_filled_from_its_own_ranking(app) {
        let (editor, _) = app.user("editor").await;
        app.tag(&editor, "Rare").await;
        app.published(&editor, "Lead", &["rare"]).await;
        for n in 1..=7 {
            app.published(&editor, &format!("Ranked {n}"), &["rare"]).await;
        }
        // Kept: ranked 7 (the most recent) down to ranked 1.
        assert_eq!(related_slugs(&app, "lead").await[..3], ["ranked-7", "ranked-6", "ranked-5"]);
        // The latest story, sharing nothing: it would fill a short list first.
        app.published(&editor, "Unrelated Latest", &[]).await;
        for n in 3..=7 {
            patch_article(&app, &editor, &format!("ranked-{n}"), json!({"status": "draft"})).await;
        }
        let res = app.get("/api/v1/articles/lead/related?limit=2").send().await.unwrap();
        assert_eq!(slugs(&json_of(res, StatusCode::OK).await), ["ranked-2", "ranked-1"]);
        let gql = app.gql_ok(None, r#"{ article(slug: "lead") { related(limit: 2) { slug } } }"#, json!({})).await;
        assert_eq!(gql["article"]["related"], json!([{"slug": "ranked-2"}, {"slug": "ranked-1"}]));
    }
);
