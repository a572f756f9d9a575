use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    async fn admins_list_create_and_change_accounts(app) {
        let (admin, _) = app.user("admin").await;
        let (editor, _) = app.user("editor").await;
        problem(app.get("/api/v1/users").bearer_auth(&editor).send().await.unwrap(), StatusCode::FORBIDDEN).await;
        let created = json_of(
            app.post("/api/v1/users")
                .bearer_auth(&admin)
                .json(&json!({"email": "new@example.com", "name": "New Person", "role": "author", "password": "long enough pw"}))
                .send()
                .await
                .unwrap(),
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(created["slug"], "new-person");
        assert!(created.get("password").is_none() && created.get("password_hash").is_none());
        let token = app.login("new@example.com", "long enough pw").await;
        json_of(app.get("/api/v1/me").bearer_auth(&token).send().await.unwrap(), StatusCode::OK).await;
        let list = json_of(app.get("/api/v1/users").bearer_auth(&admin).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(list["meta"]["total"], 3);
        let id = created["id"].as_i64().unwrap();
        let changed = json_of(
            app.patch(&format!("/api/v1/users/{id}"))
                .bearer_auth(&admin)
                .json(&json!({"name": "Renamed", "bio": "Covers courts."}))
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(changed["name"], "Renamed");
        // A name change does not revoke tokens; a role change does (tested in auth).
        json_of(app.get("/api/v1/me").bearer_auth(&token).send().await.unwrap(), StatusCode::OK).await;
        problem(
            app.patch("/api/v1/users/999999").bearer_auth(&admin).json(&json!({"name": "X"})).send().await.unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
    }
);

both_backends!(
    async fn account_input_is_checked(app) {
        let (admin, admin_id) = app.user("admin").await;
        let post = |body: serde_json::Value| app.post("/api/v1/users").bearer_auth(&admin).json(&body).send();
        let base = json!({"email": "a@example.com", "name": "A", "role": "author", "password": "long enough pw"});
        json_of(post(base.clone()).await.unwrap(), StatusCode::CREATED).await;
        problem(post(base.clone()).await.unwrap(), StatusCode::CONFLICT).await;
        for (field, value) in [("email", json!("nope")), ("role", json!("king")), ("password", json!("short")), ("name", json!(""))] {
            let mut body = base.clone();
            body["email"] = json!("b@example.com");
            body[field] = value;
            invalid(post(body).await.unwrap(), field).await;
        }
        invalid(
            app.patch(&format!("/api/v1/users/{admin_id}")).bearer_auth(&admin).json(&json!({"avatar_url": "file:///etc/passwd"})).send().await.unwrap(),
            "avatar_url",
        )
        .await;
        problem(
            app.patch(&format!("/api/v1/users/{admin_id}")).bearer_auth(&admin).json(&json!({"role": "author"})).send().await.unwrap(),
            StatusCode::CONFLICT,
        )
        .await;
        problem(
            app.delete(&format!("/api/v1/users/{admin_id}")).bearer_auth(&admin).send().await.unwrap(),
            StatusCode::CONFLICT,
        )
        .await;
    }
);

both_backends!(
    async fn deleting_an_author_with_articles_needs_a_successor(app) {
        let (admin, admin_id) = app.user("admin").await;
        let (author, author_id) = app.user("author").await;
        app.published(&author, "Their Story", &[]).await;
        problem(
            app.delete(&format!("/api/v1/users/{author_id}")).bearer_auth(&admin).send().await.unwrap(),
            StatusCode::CONFLICT,
        )
        .await;
        invalid(
            app.delete(&format!("/api/v1/users/{author_id}?reassign_to=999999")).bearer_auth(&admin).send().await.unwrap(),
            "reassign_to",
        )
        .await;
        let res = app
            .delete(&format!("/api/v1/users/{author_id}?reassign_to={admin_id}"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let story = json_of(app.get("/api/v1/articles/their-story").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(story["author"]["id"], admin_id);
        problem(
            app.delete(&format!("/api/v1/users/{author_id}")).bearer_auth(&admin).send().await.unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
    }
);

both_backends!(
    async fn author_profiles_are_public(app) {
        let (_, _) = app.user("author").await;
        let profile = json_of(app.get("/api/v1/authors/test-author").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(profile["name"], "Test author");
        assert!(profile.get("email").is_none());
        assert!(profile.get("role").is_none());
        problem(app.get("/api/v1/authors/nobody").send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }
);
