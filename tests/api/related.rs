use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

/// The slugs of a related list, which has the shape of every list: `{data, meta}`.
fn slugs(list: &Value) -> Vec<String> {
    assert_eq!(
        list["meta"]["total"].as_u64(),
        list["data"].as_array().map(|d| d.len() as u64),
        "{list}"
    );
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap().to_owned())
        .collect()
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
