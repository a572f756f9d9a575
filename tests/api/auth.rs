use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

fn sign(claims: serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

both_backends!(
    async fn login_returns_a_bearer_token_and_the_user(app) {
        let (token, id) = app.user("editor").await;
        let me = json_of(
            app.get("/api/v1/me").bearer_auth(&token).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(me["id"], id);
        assert_eq!(me["role"], "editor");
        assert!(me.get("password_hash").is_none());
    }
);

both_backends!(
    async fn login_response_has_the_contract_fields(app) {
        let email = "login-shape@example.com";
        newsdesk::service::accounts::create_user(
            &app.state,
            newsdesk::model::CreateUser {
                email: Some(email.into()),
                name: Some("Login Shape".into()),
                role: Some("author".into()),
                password: Some(PASSWORD.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let body = json_of(
            app.post("/api/v1/auth/login")
                .json(&json!({"email": "Login-Shape@Example.com", "password": PASSWORD}))
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["user"]["email"], email);
        assert_eq!(body["access_token"].as_str().unwrap().split('.').count(), 3);
    }
);

both_backends!(
    async fn wrong_password_and_unknown_email_get_the_same_401(app) {
        let (_, _) = app.user("author").await;
        let wrong = problem(
            app.post("/api/v1/auth/login")
                .json(&json!({"email": "nobody@example.com", "password": "x"}))
                .send()
                .await
                .unwrap(),
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let unknown = problem(
            app.post("/api/v1/auth/login")
                .json(&json!({"email": "not an email", "password": PASSWORD}))
                .send()
                .await
                .unwrap(),
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(wrong["detail"], unknown["detail"]);
        problem(
            app.post("/api/v1/auth/login")
                .json(&json!({"email": "a@example.com"}))
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
);

both_backends!(
    async fn me_needs_a_token(app) {
        problem(app.get("/api/v1/me").send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        problem(
            app.get("/api/v1/me")
                .header("authorization", "Basic abc")
                .send()
                .await
                .unwrap(),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
);

both_backends!(
    async fn forged_expired_and_unsigned_tokens_are_refused(app) {
        let (_, id) = app.user("admin").await;
        let claims = |exp: i64| {
            json!({"sub": id.to_string(), "role": "admin", "ver": 1, "iat": now(),
                   "exp": exp, "iss": "newsdesk", "aud": "newsdesk-api"})
        };
        let good = sign(claims(now() + 600), JWT_SECRET);
        json_of(app.get("/api/v1/me").bearer_auth(&good).send().await.unwrap(), StatusCode::OK).await;

        let forged = sign(claims(now() + 600), "another-secret-another-secret-0123456789");
        let expired = sign(claims(now() - 600), JWT_SECRET);
        let wrong_audience = sign(
            json!({"sub": id.to_string(), "role": "admin", "ver": 1, "iat": now(),
                   "exp": now() + 600, "iss": "newsdesk", "aud": "someone-else"}),
            JWT_SECRET,
        );
        // alg:none: a header and payload with an empty signature.
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let none = format!(
            "{}.{}.",
            b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
            b64.encode(claims(now() + 600).to_string())
        );
        for (what, token) in [
            ("forged", forged),
            ("expired", expired),
            ("wrong audience", wrong_audience),
            ("alg none", none),
            ("garbage", "not.a.jwt".into()),
        ] {
            let res = app.get("/api/v1/me").bearer_auth(&token).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what} token");
            problem(res, StatusCode::UNAUTHORIZED).await;
        }
    }
);

both_backends!(
    async fn a_new_password_revokes_older_tokens(app) {
        let (token, _) = app.user("author").await;
        let body = json!({"password": "a brand new password", "current_password": PASSWORD});
        json_of(
            app.patch("/api/v1/me").bearer_auth(&token).json(&body).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        problem(
            app.get("/api/v1/me").bearer_auth(&token).send().await.unwrap(),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
);

both_backends!(
    async fn changing_ones_password_needs_the_current_one(app) {
        let (token, _) = app.user("author").await;
        invalid(
            app.patch("/api/v1/me")
                .bearer_auth(&token)
                .json(&json!({"password": "a brand new password"}))
                .send()
                .await
                .unwrap(),
            "current_password",
        )
        .await;
        invalid(
            app.patch("/api/v1/me")
                .bearer_auth(&token)
                .json(&json!({"password": "a brand new password", "current_password": "wrong one"}))
                .send()
                .await
                .unwrap(),
            "current_password",
        )
        .await;
        invalid(
            app.patch("/api/v1/me")
                .bearer_auth(&token)
                .json(&json!({"role": "admin"}))
                .send()
                .await
                .unwrap(),
            "role",
        )
        .await;
        // The token still works: nothing was changed.
        let me = json_of(app.get("/api/v1/me").bearer_auth(&token).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(me["role"], "author");
        let me = json_of(
            app.patch("/api/v1/me")
                .bearer_auth(&token)
                .json(&json!({"bio": "Reporter.", "avatar_url": "https://cdn.example.com/a.png"}))
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(me["bio"], "Reporter.");
    }
);

both_backends!(
    async fn demoting_or_deleting_a_user_revokes_their_tokens(app) {
        let (admin, _) = app.user("admin").await;
        let (editor, editor_id) = app.user("editor").await;
        let (author, author_id) = app.user("author").await;
        json_of(
            app.patch(&format!("/api/v1/users/{editor_id}"))
                .bearer_auth(&admin)
                .json(&json!({"role": "author"}))
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        problem(app.get("/api/v1/me").bearer_auth(&editor).send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        let res = app.delete(&format!("/api/v1/users/{author_id}")).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        problem(app.get("/api/v1/me").bearer_auth(&author).send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
    }
);
