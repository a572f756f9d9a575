//! Refresh tokens (rotation, reuse detection, logout) and integration tokens (role, shown
//! once, revocation, demotion), on REST and GraphQL.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

async fn login_body(app: &TestApp, email: &str) -> Value {
    let res = app
        .post("/api/v1/auth/login")
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    json_of(res, StatusCode::OK).await
}

async fn refresh(app: &TestApp, token: &Value) -> reqwest::Response {
    app.post("/api/v1/auth/refresh")
        .json(&json!({"refresh_token": token}))
        .send()
        .await
        .unwrap()
}

both_backends!(
    async fn a_refresh_token_works_once_and_its_reuse_ends_the_session(app) {
        let (_, _, email) = app.account("editor").await;
        let first = login_body(&app, &email).await;
        assert!(first["refresh_token"].as_str().unwrap().starts_with("ndr_"));
        assert_eq!(first["refresh_expires_in"], 30 * 24 * 3600);
        let second = json_of(refresh(&app, &first["refresh_token"]).await, StatusCode::OK).await;
        assert_ne!(second["refresh_token"], first["refresh_token"]);
        json_of(app.get("/api/v1/me").bearer_auth(second["access_token"].as_str().unwrap()).send().await.unwrap(), StatusCode::OK).await;
        // The first token again: a thief or a replay. Refused, and the whole family ends...
        let p = problem(refresh(&app, &first["refresh_token"]).await, StatusCode::UNAUTHORIZED).await;
        assert!(p["detail"].as_str().unwrap().contains("used before"));
        // ...the newest token included.
        problem(refresh(&app, &second["refresh_token"]).await, StatusCode::UNAUTHORIZED).await;
        // Another login is another family, untouched.
        let other = login_body(&app, &email).await;
        json_of(refresh(&app, &other["refresh_token"]).await, StatusCode::OK).await;
        problem(refresh(&app, &json!("ndr_made-up")).await, StatusCode::UNAUTHORIZED).await;
        problem(app.post("/api/v1/auth/refresh").json(&json!({})).send().await.unwrap(), StatusCode::BAD_REQUEST).await;
    }
);

both_backends!(
    async fn logout_and_a_new_password_end_refresh_tokens(app) {
        let (_, _, email) = app.account("author").await;
        let a = login_body(&app, &email).await;
        let res = app.post("/api/v1/auth/logout").json(&json!({"refresh_token": a["refresh_token"]})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        problem(refresh(&app, &a["refresh_token"]).await, StatusCode::UNAUTHORIZED).await;
        let b = login_body(&app, &email).await;
        let token = b["access_token"].as_str().unwrap();
        json_of(
            app.patch("/api/v1/me").bearer_auth(token).json(&json!({"password": "a brand new password", "current_password": PASSWORD})).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        problem(refresh(&app, &b["refresh_token"]).await, StatusCode::UNAUTHORIZED).await;
    }
);

both_backends!(
    async fn integration_tokens_act_with_their_role_until_revoked(app) {
        let (editor, editor_id) = app.user("editor").await;
        let (admin, _) = app.user("admin").await;
        invalid(app.post("/api/v1/tokens").bearer_auth(&editor).json(&json!({"name": "x", "role": "admin"})).send().await.unwrap(), "role").await;
        invalid(app.post("/api/v1/tokens").bearer_auth(&editor).json(&json!({"name": "x", "expires_at": "2001-01-01T00:00:00Z"})).send().await.unwrap(), "expires_at").await;
        invalid(app.post("/api/v1/tokens").bearer_auth(&editor).json(&json!({"role": "author"})).send().await.unwrap(), "name").await;
        problem(app.post("/api/v1/tokens").json(&json!({"name": "x"})).send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        let created = json_of(
            app.post("/api/v1/tokens").bearer_auth(&editor).json(&json!({"name": "Importer", "role": "author"})).send().await.unwrap(),
            StatusCode::CREATED,
        )
        .await;
        let token = created["token"].as_str().unwrap().to_owned();
        assert!(token.starts_with("nd_"));
        assert_eq!(created["role"], "author");
        assert_eq!(created["user_id"], editor_id);
        assert!(token.starts_with(created["prefix"].as_str().unwrap()));
        // It writes as its creator, with its own (lower) role.
        let article = app.article(&token, json!({"title": "From The Importer", "body": "x"})).await;
        assert_eq!(article["author"]["name"], "Test editor");
        problem(app.post("/api/v1/tags").bearer_auth(&token).json(&json!({"name": "Nope"})).send().await.unwrap(), StatusCode::FORBIDDEN).await;
        // It cannot mint tokens of its own.
        problem(app.post("/api/v1/tokens").bearer_auth(&token).json(&json!({"name": "child"})).send().await.unwrap(), StatusCode::FORBIDDEN).await;
        // Lists never show the token; they show when it was last used.
        let list = json_of(app.get("/api/v1/tokens").bearer_auth(&editor).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert!(list[0]["last_used_at"].is_string());
        assert!(!list.to_string().contains(&token));
        let all = json_of(app.get("/api/v1/tokens").bearer_auth(&admin).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(all.as_array().unwrap().len(), 1);
        // Revoked: dead at once.
        let id = created["id"].as_i64().unwrap();
        let (other, _) = app.user("editor").await;
        problem(app.delete(&format!("/api/v1/tokens/{id}")).bearer_auth(&other).send().await.unwrap(), StatusCode::NOT_FOUND).await;
        let res = app.delete(&format!("/api/v1/tokens/{id}")).bearer_auth(&editor).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        problem(app.get("/api/v1/me").bearer_auth(&token).send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        problem(app.delete(&format!("/api/v1/tokens/{id}")).bearer_auth(&editor).send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }
);

both_backends!(
    async fn a_demotion_below_its_role_kills_an_integration_token(app) {
        let (admin, _) = app.user("admin").await;
        let (editor, editor_id) = app.user("editor").await;
        let created = json_of(
            app.post("/api/v1/tokens").bearer_auth(&editor).json(&json!({"name": "Bot", "role": "editor"})).send().await.unwrap(),
            StatusCode::CREATED,
        )
        .await;
        let token = created["token"].as_str().unwrap();
        json_of(app.get("/api/v1/me").bearer_auth(token).send().await.unwrap(), StatusCode::OK).await;
        json_of(
            app.patch(&format!("/api/v1/users/{editor_id}")).bearer_auth(&admin).json(&json!({"role": "author"})).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        problem(app.get("/api/v1/me").bearer_auth(token).send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
    }
);

both_backends!(
    async fn wrong_tokens_count_as_failed_logins(app) {
        for i in 0..20 {
            let res = app.get("/api/v1/me").bearer_auth(format!("nd_guess{i}")).send().await.unwrap();
            problem(res, StatusCode::UNAUTHORIZED).await;
        }
        let res = app.get("/api/v1/me").bearer_auth("nd_one-more").send().await.unwrap();
        problem(res, StatusCode::TOO_MANY_REQUESTS).await;
        problem(refresh(&app, &json!("ndr_x")).await, StatusCode::TOO_MANY_REQUESTS).await;
    }
);

both_backends!(
    async fn graphql_refreshes_and_manages_tokens(app) {
        let (_, _, email) = app.account("editor").await;
        let login = app
            .gql_ok(None, &format!(r#"mutation {{ login(email: "{email}", password: "{PASSWORD}") {{ accessToken refreshToken refreshExpiresIn }} }}"#), json!({}))
            .await;
        let access = login["login"]["accessToken"].as_str().unwrap().to_owned();
        let refreshed = app
            .gql_ok(None, "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken user { email } } }", json!({"t": login["login"]["refreshToken"]}))
            .await;
        assert_eq!(refreshed["refreshToken"]["user"]["email"], email.as_str());
        let again = app.gql(None, "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }", json!({"t": login["login"]["refreshToken"]})).await;
        assert_eq!(gql_code(&again), "UNAUTHENTICATED");
        let created = app
            .gql_ok(Some(&access), r#"mutation { createToken(input: {name: "CI", role: AUTHOR}) { token info { id role prefix } } }"#, json!({}))
            .await;
        assert_eq!(created["createToken"]["info"]["role"], "AUTHOR");
        let token = created["createToken"]["token"].as_str().unwrap();
        let me = app.gql_ok(Some(token), "{ me { email role } }", json!({})).await;
        assert_eq!(me["me"]["email"], email.as_str());
        let listed = app.gql_ok(Some(&access), "{ tokens { id name lastUsedAt } }", json!({})).await;
        assert_eq!(listed["tokens"][0]["name"], "CI");
        let id = created["createToken"]["info"]["id"].as_str().unwrap();
        let revoked = app.gql_ok(Some(&access), &format!(r#"mutation {{ revokeToken(id: "{id}") }}"#), json!({})).await;
        assert_eq!(revoked["revokeToken"], true);
        let res = app.post("/graphql").bearer_auth(token).json(&json!({"query": "{ me { email } }"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
);
