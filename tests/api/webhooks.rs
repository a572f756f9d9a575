//! Webhooks: signed deliveries a Standard Webhooks library verifies, retries with backoff,
//! the delivery log, ping, redeliver, secret rotation, refusal of private targets, one
//! sender among several nodes, and a delivery that survives a SIGKILL.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

/// One request the receiver got.
#[derive(Clone)]
pub struct Received {
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON delivery")
    }

    pub fn id(&self) -> String {
        self.headers["webhook-id"].to_str().unwrap().to_owned()
    }

    /// Verifies the delivery as the Standard Webhooks reference library does.
    pub fn verify(&self, secret: &str) -> bool {
        standardwebhooks::Webhook::new(secret)
            .expect("a whsec_ secret")
            .verify(&self.body, &self.headers)
            .is_ok()
    }
}

#[derive(Default)]
struct Inbox {
    got: Mutex<Vec<Received>>,
    /// Answers 500 to this many requests first.
    failing: AtomicUsize,
}

/// A webhook receiver on 127.0.0.1, port 0: records every request; fails on purpose when
/// told to.
pub struct Receiver {
    pub url: String,
    inbox: Arc<Inbox>,
    handle: actix_web::dev::ServerHandle,
}

async fn receive(req: HttpRequest, body: web::Bytes, inbox: web::Data<Inbox>) -> HttpResponse {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in req.headers() {
        if let (Ok(n), Ok(v)) = (
            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(n, v);
        }
    }
    inbox.got.lock().unwrap().push(Received {
        headers,
        body: body.to_vec(),
    });
    let failing = inbox
        .failing
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        HttpResponse::InternalServerError().finish()
    } else {
        HttpResponse::NoContent().finish()
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inbox = web::Data::new(Inbox::default());
        let data = inbox.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/hook", web::post().to(receive))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .expect("bind the receiver");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            inbox: inbox.into_inner(),
            handle,
        }
    }

    pub fn fail_next(&self, n: usize) {
        self.inbox.failing.store(n, Ordering::SeqCst);
    }

    pub fn got(&self) -> Vec<Received> {
        self.inbox.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (at most `within`); all of them.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < within,
                "{} of {n} deliveries within {within:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

/// Registers `url` for `events`; the endpoint and its secret.
pub async fn hook(app: &TestApp, admin: &str, url: &str, events: Value) -> (i64, String) {
    let res = app
        .post("/api/v1/webhooks")
        .bearer_auth(admin)
        .json(&json!({"url": url, "events": events, "description": "test receiver"}))
        .send()
        .await
        .unwrap();
    let body = json_of(res, StatusCode::CREATED).await;
    (
        body["id"].as_i64().unwrap(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

async fn deliveries(app: &TestApp, admin: &str, id: i64) -> Vec<Value> {
    let res = app
        .get(&format!("/api/v1/webhooks/{id}/deliveries"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    json_of(res, StatusCode::OK).await["data"]
        .as_array()
        .unwrap()
        .clone()
}

both_backends!(
    with private_webhooks;
    async fn a_published_article_is_delivered_signed_and_a_draft_is_not(app) {
        let (admin, _) = app.user("admin").await;
        let receiver = Receiver::start().await;
        let (_, secret) = hook(&app, &admin, &receiver.url, json!(["article.published", "article.updated"])).await;
        assert!(secret.starts_with("whsec_"));
        let draft = app.article(&admin, json!({"title": "Not yet", "body": "Draft."})).await;
        let published = app.published(&admin, "Ceasefire talks resume", &[]).await;
        let got = receiver.wait_for(1, Duration::from_secs(10)).await;
        let first = &got[0];
        assert!(first.verify(&secret), "the reference library verifies the signature");
        assert!(!first.verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "another secret does not");
        assert!(first.id().starts_with("msg_"));
        let body = first.json();
        assert_eq!(body["type"], "article.published");
        assert_eq!(body["data"]["slug"], published["slug"]);
        assert!(body["data"].get("body").is_none(), "data is the summary form");
        assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
        // Renaming the live article: article.updated names the slug it had.
        let res = app.patch(&format!("/api/v1/articles/{}", published["slug"].as_str().unwrap()))
            .bearer_auth(&admin).json(&json!({"slug": "ceasefire-talks-renamed"})).send().await.unwrap();
        json_of(res, StatusCode::OK).await;
        let got = receiver.wait_for(2, Duration::from_secs(10)).await;
        let updated = got[1].json();
        assert_eq!(updated["type"], "article.updated");
        assert_eq!(updated["data"]["previous_slug"], published["slug"]);
        assert_eq!(updated["data"]["slug"], "ceasefire-talks-renamed");
        // The draft, and an edit of it, sent nothing.
        let res = app.patch(&format!("/api/v1/articles/{}", draft["slug"].as_str().unwrap()))
            .bearer_auth(&admin).json(&json!({"title": "Still not"})).send().await.unwrap();
        json_of(res, StatusCode::OK).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(receiver.got().len(), 2);
    }
);

both_backends!(
    with private_webhooks;
    async fn a_failed_delivery_is_retried_after_its_backoff_with_the_same_id(app) {
        let (admin, _) = app.user("admin").await;
        let receiver = Receiver::start().await;
        receiver.fail_next(1);
        let (id, secret) = hook(&app, &admin, &receiver.url, json!(["*"])).await;
        let tag = app.tag(&admin, "Elections").await;
        let first = receiver.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(first[0].json()["type"], "tag.created");
        assert_eq!(first[0].json()["data"]["slug"], tag["slug"]);
        // The log: one failed attempt, the next one about 5 s later.
        let log = deliveries(&app, &admin, id).await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0]["status"], "pending");
        assert_eq!(log[0]["attempts"], 1);
        assert_eq!(log[0]["last_status_code"], 500);
        let last = chrono::DateTime::parse_from_rfc3339(log[0]["last_attempt_at"].as_str().unwrap()).unwrap();
        let next = chrono::DateTime::parse_from_rfc3339(log[0]["next_attempt_at"].as_str().unwrap()).unwrap();
        assert_eq!((next - last).num_seconds(), 5);
        // The retry: the same message, signed again.
        let got = receiver.wait_for(2, Duration::from_secs(12)).await;
        assert_eq!(got[1].id(), got[0].id());
        assert_eq!(got[1].body, got[0].body);
        assert!(got[1].verify(&secret));
        let log = deliveries(&app, &admin, id).await;
        assert_eq!(log[0]["status"], "delivered");
        assert_eq!(log[0]["attempts"], 2);
        assert_eq!(log[0]["last_status_code"], 204);
        assert!(log[0]["next_attempt_at"].is_null());
    }
);

both_backends!(
    with private_webhooks;
    async fn ping_redeliver_and_a_rotated_secret(app) {
        let (admin, _) = app.user("admin").await;
        let receiver = Receiver::start().await;
        let (id, old) = hook(&app, &admin, &receiver.url, json!(["comment.approved"])).await;
        let res = app.post(&format!("/api/v1/webhooks/{id}/ping")).bearer_auth(&admin).send().await.unwrap();
        let ping = json_of(res, StatusCode::OK).await;
        assert_eq!(ping["status"], "delivered");
        assert_eq!(ping["event"], "ping");
        let got = receiver.wait_for(1, Duration::from_secs(5)).await;
        assert_eq!(got[0].json()["type"], "ping");
        assert!(got[0].verify(&old));
        // A new secret: both sign for a day, so a receiver may switch at its own pace.
        let res = app.post(&format!("/api/v1/webhooks/{id}/rotate-secret")).bearer_auth(&admin).send().await.unwrap();
        let new = json_of(res, StatusCode::OK).await["secret"].as_str().unwrap().to_owned();
        assert_ne!(new, old);
        let res = app
            .post(&format!("/api/v1/webhooks/{id}/deliveries/{}/redeliver", ping["id"]))
            .bearer_auth(&admin).send().await.unwrap();
        let again = json_of(res, StatusCode::OK).await;
        assert_eq!(again["status"], "delivered");
        let got = receiver.wait_for(2, Duration::from_secs(5)).await;
        assert_eq!(got[1].id(), got[0].id(), "a redelivery is the same message");
        assert!(got[1].verify(&new) && got[1].verify(&old));
        assert_eq!(got[1].headers["webhook-signature"].to_str().unwrap().split(' ').count(), 2);
        // The endpoint as listed never shows a secret.
        let res = app.get("/api/v1/webhooks").bearer_auth(&admin).send().await.unwrap();
        let list = json_of(res, StatusCode::OK).await;
        assert_eq!(list[0]["events"], json!(["comment.approved"]));
        assert!(list[0].get("secret").is_none());
        // Unknown ids.
        problem(app.post("/api/v1/webhooks/999999/ping").bearer_auth(&admin).send().await.unwrap(), StatusCode::NOT_FOUND).await;
        problem(app.post(&format!("/api/v1/webhooks/{id}/deliveries/999999/redeliver")).bearer_auth(&admin).send().await.unwrap(), StatusCode::NOT_FOUND).await;
        // Off, then deleted with its log.
        let res = app.patch(&format!("/api/v1/webhooks/{id}")).bearer_auth(&admin).json(&json!({"active": false, "description": null})).send().await.unwrap();
        let off = json_of(res, StatusCode::OK).await;
        assert_eq!(off["active"], false);
        assert!(off["description"].is_null());
        let res = app.delete(&format!("/api/v1/webhooks/{id}")).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        problem(app.get(&format!("/api/v1/webhooks/{id}/deliveries")).bearer_auth(&admin).send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }
);

both_backends!(
    async fn private_targets_bad_events_and_non_admins_are_refused(app) {
        let (admin, _) = app.user("admin").await;
        let (editor, _) = app.user("editor").await;
        for url in [
            "http://127.0.0.1:9/hook",
            "http://localhost:9/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.1/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "ftp://example.com/hook",
            "not a url",
        ] {
            let res = app.post("/api/v1/webhooks").bearer_auth(&admin)
                .json(&json!({"url": url, "events": ["*"]})).send().await.unwrap();
            invalid(res, "url").await;
        }
        let res = app.post("/api/v1/webhooks").bearer_auth(&admin)
            .json(&json!({"url": "https://example.com/hook", "events": ["article.exploded"]})).send().await.unwrap();
        invalid(res, "events").await;
        let res = app.post("/api/v1/webhooks").bearer_auth(&admin)
            .json(&json!({"url": "https://example.com/hook", "events": []})).send().await.unwrap();
        invalid(res, "events").await;
        // A list of 5,000 repeats is refused in one line, not 4,999.
        let res = app.post("/api/v1/webhooks").bearer_auth(&admin)
            .json(&json!({"url": "https://example.com/hook", "events": vec!["tag.created"; 5_000]})).send().await.unwrap();
        let p = invalid(res, "events").await;
        assert_eq!(p["errors"]["events"].as_array().unwrap().len(), 1);
        let res = app.post("/api/v1/webhooks").bearer_auth(&admin)
            .json(&json!({"url": "https://example.com/hook", "events": "*"})).send().await.unwrap();
        problem(res, StatusCode::BAD_REQUEST).await;
        let res = app.post("/api/v1/webhooks").bearer_auth(&editor)
            .json(&json!({"url": "https://example.com/hook", "events": ["*"]})).send().await.unwrap();
        problem(res, StatusCode::FORBIDDEN).await;
        problem(app.get("/api/v1/webhooks").send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
        // GraphQL: the same rule, with a code.
        let body = app.gql(Some(&admin), r#"mutation { createWebhook(input: {url: "http://127.0.0.1:9/", events: ["*"]}) { secret } }"#, json!({})).await;
        assert_eq!(gql_code(&body), "BAD_USER_INPUT");
    }
);

both_backends!(
    with private_webhooks;
    async fn graphql_manages_webhooks_too(app) {
        let (admin, _) = app.user("admin").await;
        let receiver = Receiver::start().await;
        let made = app.gql_ok(Some(&admin), r#"mutation($url: String!) { createWebhook(input: {url: $url, events: ["comment.created"]}) { secret webhook { id events active } } }"#, json!({"url": receiver.url})).await;
        let id = made["createWebhook"]["webhook"]["id"].as_str().unwrap().to_owned();
        let secret = made["createWebhook"]["secret"].as_str().unwrap().to_owned();
        let article = app.published(&admin, "Open comments", &[]).await;
        let res = app.post(&format!("/api/v1/articles/{}/comments", article["slug"].as_str().unwrap()))
            .json(&json!({"author_name": "Ann", "author_email": "ann@example.com", "body": "A fair point."})).send().await.unwrap();
        json_of(res, StatusCode::CREATED).await;
        let got = receiver.wait_for(1, Duration::from_secs(10)).await;
        let body = got[0].json();
        assert_eq!(body["type"], "comment.created");
        assert_eq!(body["data"]["status"], "pending");
        assert!(body["data"].get("author_email").is_none(), "never the email");
        assert!(got[0].verify(&secret));
        let log = app.gql_ok(Some(&admin), r#"query($id: ID!) { webhookDeliveries(id: $id) { event status attempts } }"#, json!({"id": id})).await;
        assert_eq!(log["webhookDeliveries"][0]["event"], "comment.created");
        let ping = app.gql_ok(Some(&admin), r#"mutation($id: ID!) { pingWebhook(id: $id) { status } }"#, json!({"id": id})).await;
        assert_eq!(ping["pingWebhook"]["status"], "delivered");
        let gone = app.gql_ok(Some(&admin), r#"mutation($id: ID!) { deleteWebhook(id: $id) }"#, json!({"id": id})).await;
        assert_eq!(gone["deleteWebhook"], true);
    }
);

both_backends!(
    with private_webhooks;
    async fn a_scheduled_article_going_live_is_published_once_even_while_the_server_was_down(app) {
        let mut app = app;
        let (admin, _) = app.user("admin").await;
        let receiver = Receiver::start().await;
        hook(&app, &admin, &receiver.url, json!(["article.published"])).await;
        let soon = |s: i64| (chrono::Utc::now() + chrono::Duration::seconds(s)).to_rfc3339();
        let live_while_up = app.article(&admin, json!({"title": "At noon", "body": "x", "status": "published", "published_at": soon(2)})).await;
        let live_while_down = app.article(&admin, json!({"title": "At one", "body": "x", "status": "published", "published_at": soon(3)})).await;
        let got = receiver.wait_for(1, Duration::from_secs(8)).await;
        assert_eq!(got[0].json()["data"]["slug"], live_while_up["slug"]);
        // Down across the second one's time: the server that starts next records it.
        app.stop().await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(receiver.got().len(), 1);
        app.start().await;
        let got = receiver.wait_for(2, Duration::from_secs(8)).await;
        assert_eq!(got[1].json()["data"]["slug"], live_while_down["slug"]);
        // A restart looks again, and records neither a second time.
        app.restart().await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(receiver.got().len(), 2);
    }
);

both_backends!(
    with private_webhooks;
    async fn a_delivery_due_during_a_sigkill_is_sent_after_restart(app) {
        let mut app = app;
        let (admin, _) = app.user("admin").await;
        let receiver = Receiver::start().await;
        let (_, secret) = hook(&app, &admin, &receiver.url, json!(["tag.created"])).await;
        // Only the killed process sends: this one stops.
        app.stop().await;
        let allow = [("NEWSDESK_WEBHOOKS_ALLOW_PRIVATE", "true")];
        let mut node = app.node_with(&allow).await;
        receiver.fail_next(1);
        let res = app.client.post(node.url("/api/v1/tags")).bearer_auth(&admin)
            .json(&json!({"name": "Storm"})).send().await.unwrap();
        json_of(res, StatusCode::CREATED).await;
        // The first attempt fails; the retry is due 5 s later, and the node dies before.
        receiver.wait_for(1, Duration::from_secs(10)).await;
        node.kill();
        let _next = app.node_with(&allow).await;
        let got = receiver.wait_for(2, Duration::from_secs(20)).await;
        assert_eq!(got[1].id(), got[0].id());
        assert!(got[1].verify(&secret));
        assert_eq!(got[1].json()["data"]["slug"], "storm");
    }
);

/// Two processes on one PostgreSQL database: every event is delivered once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "TEST_DATABASE_URL is unset: the PostgreSQL run is skipped"
)]
async fn two_nodes_send_each_delivery_once() {
    let Some(app) = TestApp::postgres_settings(Some(private_webhooks)).await else {
        return;
    };
    let (admin, _) = app.user("admin").await;
    let receiver = Receiver::start().await;
    let (_, secret) = hook(&app, &admin, &receiver.url, json!(["tag.created"])).await;
    let node = app
        .node_with(&[("NEWSDESK_WEBHOOKS_ALLOW_PRIVATE", "true")])
        .await;
    let n = 40;
    for i in 0..n {
        // Half on each node, so both have events of their own to fan out.
        let base = if i % 2 == 0 {
            app.url("")
        } else {
            node.url("")
        };
        let res = app
            .client
            .post(format!("{base}/api/v1/tags"))
            .bearer_auth(&admin)
            .json(&json!({"name": format!("Topic {i}")}))
            .send()
            .await
            .unwrap();
        json_of(res, StatusCode::CREATED).await;
    }
    let got = receiver.wait_for(n, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got_after = receiver.got();
    assert_eq!(got_after.len(), n, "no event was sent twice");
    let mut ids: Vec<String> = got.iter().map(Received::id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
    assert!(got.iter().all(|r| r.verify(&secret)));
}
