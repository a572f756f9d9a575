//! Spawns the real server on a random port over a fresh database: a new SQLite file, or a new
//! PostgreSQL database made from `TEST_DATABASE_URL`.

use std::sync::atomic::{AtomicU64, Ordering};

use newsdesk::config::Settings;
use newsdesk::model::CreateUser;
use newsdesk::service::{accounts, AppState};
use newsdesk::startup::Application;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

/// The signing secret of every test server, so tests can forge and expire tokens.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const PASSWORD: &str = "correct horse battery";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}_{}", std::process::id(), rand_suffix())
}

fn rand_suffix() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// Changes a test makes to the settings every server of its app starts with.
pub type Tweak = fn(&mut Settings, &str);

/// The settings as they are.
pub fn no_tweak(_: &mut Settings, _: &str) {}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    database_url: String,
    tweak: Option<(Tweak, String)>,
    server: Option<(
        actix_web::dev::ServerHandle,
        tokio::task::JoinHandle<std::io::Result<()>>,
    )>,
    cleanup: Cleanup,
    /// A second database the test asked for.
    extra: Option<Cleanup>,
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.cleanup.run();
        if let Some(extra) = &self.extra {
            extra.run();
        }
    }
}

impl Cleanup {
    fn run(&self) {
        match self {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Dropping needs a blocking connection; do it off the async runtime.
                let _ =
                    std::thread::spawn(move || newsdesk::db::drop_pg_database(&admin_url, &name))
                        .join();
            }
        }
    }
}

/// `TEST_DATABASE_URL`. Without it the PostgreSQL tests are marked ignored at build time
/// (see `build.rs`), so one that runs anyway (`--ignored`) fails rather than pass unrun.
fn admin_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => panic!("the PostgreSQL tests need TEST_DATABASE_URL (postgres://...)"),
    }
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        Self::sqlite_tweaked(None).await
    }

    /// A SQLite app whose settings `tweak` changes (its second argument is unused here).
    pub async fn sqlite_tweaked(tweak: Option<Tweak>) -> TestApp {
        let path = std::env::temp_dir().join(format!("{}.db", unique("newsdesk_test")));
        let url = format!("sqlite://{}", path.display());
        Self::spawn(
            url,
            Cleanup::SqliteFile(path),
            tweak.map(|t| (t, String::new())),
        )
        .await
    }

    /// A PostgreSQL app whose settings `tweak` changes; `None` without `TEST_DATABASE_URL`.
    pub async fn postgres_settings(tweak: Option<Tweak>) -> Option<TestApp> {
        Self::postgres_tweaked(tweak.map(|t| (t, String::new()))).await
    }

    /// `None` when `TEST_DATABASE_URL` is unset (see [`admin_url`]).
    pub async fn postgres() -> Option<TestApp> {
        Self::postgres_tweaked(None).await
    }

    /// A PostgreSQL app whose settings `tweak` changes, given the URL of a second fresh
    /// database (dropped with the app) to point them at.
    pub async fn postgres_with(tweak: Tweak) -> Option<TestApp> {
        let admin_url = admin_url()?;
        let name = unique("newsdesk_extra");
        let (admin, n) = (admin_url.clone(), name.clone());
        let url = tokio::task::spawn_blocking(move || {
            let url = newsdesk::db::create_pg_database(&admin, &n)?;
            let db = newsdesk::db::Db::connect(&newsdesk::db::DbOptions::primary(&url, 1))?;
            db.migrate().map(|_| url)
        })
        .await
        .expect("create database task")
        .expect("create and migrate a second test database");
        let mut app = Self::postgres_tweaked(Some((tweak, url))).await?;
        app.extra = Some(Cleanup::Postgres { admin_url, name });
        Some(app)
    }

    async fn postgres_tweaked(tweak: Option<(Tweak, String)>) -> Option<TestApp> {
        let admin_url = admin_url()?;
        let name = unique("newsdesk_test");
        let (admin, n) = (admin_url.clone(), name.clone());
        let url = tokio::task::spawn_blocking(move || newsdesk::db::create_pg_database(&admin, &n))
            .await
            .expect("create database task")
            .expect("create a test database");
        Some(Self::spawn(url, Cleanup::Postgres { admin_url, name }, tweak).await)
    }

    async fn spawn(
        database_url: String,
        cleanup: Cleanup,
        tweak: Option<(Tweak, String)>,
    ) -> TestApp {
        // Server logs only when asked for (RUST_LOG=...), to debug a failing test.
        if let Ok(filter) = std::env::var("RUST_LOG") {
            newsdesk::telemetry::init(&filter, newsdesk::config::LogFormat::Text);
        }
        let (base, state, server) = Self::serve(&database_url, &tweak).await;
        TestApp {
            base,
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                // Below the server's 5 s keep-alive (see `resilience::other_client`).
                .pool_idle_timeout(std::time::Duration::from_secs(2))
                .build()
                .expect("http client"),
            state,
            database_url,
            tweak,
            server: Some(server),
            cleanup,
            extra: None,
        }
    }

    async fn serve(
        database_url: &str,
        tweak: &Option<(Tweak, String)>,
    ) -> (
        String,
        AppState,
        (
            actix_web::dev::ServerHandle,
            tokio::task::JoinHandle<std::io::Result<()>>,
        ),
    ) {
        let mut settings = Settings {
            database_url: database_url.to_owned(),
            bind: "127.0.0.1:0".into(),
            jwt_secret: Some(JWT_SECRET.into()),
            pool_size: 4,
            workers: Some(1),
            max_body_bytes: 256 * 1024,
            ..Settings::default()
        };
        if let Some((tweak, url)) = tweak {
            tweak(&mut settings, url);
        }
        let state = AppState::open(settings).await.expect("open the app state");
        let app = Application::build(state.clone()).expect("build the app");
        let base = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        let join = tokio::spawn(app.run_until_stopped());
        (base, state, (handle, join))
    }

    /// Stops the server gracefully (as SIGTERM does) and starts a new one on the same
    /// database, as a deploy would.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    /// Stops the server gracefully; nothing of it runs until [`TestApp::start`].
    pub async fn stop(&mut self) {
        if let Some((handle, join)) = self.server.take() {
            handle.stop(true).await;
            join.await
                .expect("server task")
                .expect("server stopped cleanly");
        }
    }

    /// Starts a new server on the same database (after [`TestApp::stop`]).
    pub async fn start(&mut self) {
        let (base, state, server) = Self::serve(&self.database_url, &self.tweak).await;
        self.base = base;
        self.state = state;
        self.server = Some(server);
    }

    /// Writes counted views and shares now and lets cached responses go, as the flush timer
    /// and the cache's short life do within a second.
    pub async fn settle(&self) {
        newsdesk::service::counters::flush(&self.state)
            .await
            .expect("flush counters");
        self.state.cache.invalidate();
    }

    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until the server's background work (the schedule look after a write) is done,
    /// so that statements counted next are the request's own.
    pub async fn quiet(&self) {
        let mut last = self.state.db.statements_run();
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            let now = self.state.db.statements_run();
            if now == last {
                return;
            }
            last = now;
        }
    }

    /// Starts a second node, the real binary in its own process, on this app's database.
    pub async fn second_node(&self) -> Node {
        self.node_with(&[]).await
    }

    /// Starts the real binary in its own process on this app's database, with these extra
    /// environment variables.
    pub async fn node_with(&self, env: &[(&str, &str)]) -> Node {
        // A free port: bind, read it, let it go (the child binds it a moment later).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
            .arg("serve")
            .env("DATABASE_URL", &self.database_url)
            .env("NEWSDESK_BIND", format!("127.0.0.1:{port}"))
            .env("NEWSDESK_JWT_SECRET", JWT_SECRET)
            .env("NEWSDESK_POOL_SIZE", "2")
            .env("NEWSDESK_WORKERS", "1")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start a second newsdesk process");
        let node = Node {
            base: format!("http://127.0.0.1:{port}"),
            child,
        };
        for _ in 0..200 {
            if let Ok(res) = self
                .client
                .get(format!("{}/readyz", node.base))
                .send()
                .await
            {
                if res.status() == StatusCode::OK {
                    return node;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the second node did not become ready");
    }

    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.req(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.req(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.req(Method::PATCH, path)
    }

    pub fn put(&self, path: &str) -> RequestBuilder {
        self.req(Method::PUT, path)
    }

    pub fn head(&self, path: &str) -> RequestBuilder {
        self.req(Method::HEAD, path)
    }

    pub fn options(&self, path: &str) -> RequestBuilder {
        self.req(Method::OPTIONS, path)
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.req(Method::DELETE, path)
    }

    /// Creates an account directly and logs it in over HTTP; returns (token, user id).
    pub async fn user(&self, role: &str) -> (String, i64) {
        let (token, id, _) = self.account(role).await;
        (token, id)
    }

    /// A new account of `role`, signed in: its token, id and email.
    pub async fn account(&self, role: &str) -> (String, i64, String) {
        let email = format!("{}@example.com", unique(role));
        let user = accounts::create_user(
            &self.state,
            CreateUser {
                email: Some(email.clone()),
                name: Some(format!("Test {role}")),
                role: Some(role.into()),
                password: Some(PASSWORD.into()),
                bio: None,
                avatar_url: None,
            },
        )
        .await
        .expect("create a user");
        (self.login(&email, PASSWORD).await, user.id, email)
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self
            .post("/api/v1/auth/login")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), StatusCode::OK, "login of {email}");
        let body: Value = res.json().await.expect("login json");
        body["access_token"].as_str().expect("token").to_owned()
    }

    pub async fn tag(&self, token: &str, name: &str) -> Value {
        let res = self
            .post("/api/v1/tags")
            .bearer_auth(token)
            .json(&json!({"name": name}))
            .send()
            .await
            .expect("create tag");
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.expect("tag json")
    }

    /// Creates an article and asserts 201; returns its full form.
    pub async fn article(&self, token: &str, body: Value) -> Value {
        let res = self
            .post("/api/v1/articles")
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("create article");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::CREATED, "create article: {text}");
        serde_json::from_str(&text).expect("article json")
    }

    /// A published article with a title and tags.
    pub async fn published(&self, token: &str, title: &str, tags: &[&str]) -> Value {
        self.article(
            token,
            json!({"title": title, "body": format!("Body of {title}."), "tags": tags, "status": "published"}),
        )
        .await
    }
}

/// Another `newsdesk` process serving the same database; killed when dropped.
pub struct Node {
    pub base: String,
    child: std::process::Child,
}

impl Node {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the process as a deploy does (SIGTERM), and waits for it to finish.
    pub fn stop_gracefully(&mut self) {
        self.terminate();
        let exit = self.child.wait().expect("wait for the node");
        assert!(exit.success(), "the node exited with {exit}");
    }

    /// Kills the process at once (SIGKILL): nothing of it finishes.
    pub fn kill(&mut self) {
        self.child.kill().expect("send SIGKILL");
        let _ = self.child.wait();
    }

    /// Sends SIGTERM, without waiting.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("send SIGTERM");
        assert!(status.success());
    }

    /// Waits up to `within` for the process to exit; its status, or `None` if it still runs.
    pub async fn exited_within(
        &mut self,
        within: std::time::Duration,
    ) -> Option<std::process::ExitStatus> {
        let start = std::time::Instant::now();
        while start.elapsed() < within {
            if let Some(status) = self.child.try_wait().expect("poll the node") {
                return Some(status);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        None
    }

    /// The process's resident memory, in MiB.
    pub fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("read the node's /proc status");
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("VmRSS in /proc status");
        kib / 1024.0
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestApp {
    /// Runs a GraphQL request over `POST /graphql` and returns the whole response body
    /// (200, or 429 when a rate limit refused an operation).
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .post("/graphql")
            .json(&json!({"query": query, "variables": variables}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("graphql request");
        let status = if res.status() == StatusCode::TOO_MANY_REQUESTS {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::OK
        };
        json_of(res, status).await
    }

    /// Runs a GraphQL request that must succeed; returns `data`.
    pub async fn gql_ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }
}

/// The `extensions.code` of a GraphQL response's first error.
pub fn gql_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
        .to_owned()
}

/// Reads a JSON body, asserting the status first.
pub async fn json_of(res: Response, status: StatusCode) -> Value {
    let got = res.status();
    let text = res.text().await.unwrap_or_default();
    assert_eq!(got, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Asserts an RFC 9457 problem with this status and returns it.
pub async fn problem(res: Response, status: StatusCode) -> Value {
    let got = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = res.text().await.unwrap_or_default();
    assert_eq!(got, status, "unexpected status; body: {text}");
    assert_eq!(
        ctype, "application/problem+json",
        "problem content type; body: {text}"
    );
    let body: Value = serde_json::from_str(&text).expect("problem json");
    assert_eq!(body["status"], status.as_u16(), "problem status field");
    assert!(body["title"].is_string() && body["type"].is_string() && body["detail"].is_string());
    body
}

/// Asserts a 422 whose `errors` names `field`.
pub async fn invalid(res: Response, field: &str) -> Value {
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        body["errors"][field].is_array(),
        "errors should name {field}: {body}"
    );
    body
}

/// A response read off a raw socket: the status, the lower-cased headers and the body.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: std::collections::HashMap<String, String>,
    pub body: String,
}

/// Reads one HTTP/1.1 response (with `Content-Length`, or up to the close) from `stream`.
pub async fn read_raw_response(stream: &mut tokio::net::TcpStream) -> Option<RawResponse> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: std::collections::HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = buf[head_end..].to_vec();
    let length = headers
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    while length.is_none_or(|n| body.len() < n) {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    Some(RawResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}

/// Sends `bytes` on a new connection to `base` and reads the response.
pub async fn raw_request(base: &str, bytes: &[u8]) -> Option<RawResponse> {
    use tokio::io::AsyncWriteExt;
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    stream.write_all(bytes).await.ok()?;
    read_raw_response(&mut stream).await
}

/// The slugs of a list's page, in order.
pub fn slugs(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap().to_owned())
        .collect()
}

/// Generates one test per backend from one body; `with TWEAK;` first changes the settings.
#[macro_export]
macro_rules! both_backends {
    (with $tweak:expr; $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            async fn run($app: $crate::helpers::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::helpers::TestApp::sqlite_tweaked(Some($tweak)).await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL is unset: the PostgreSQL run is skipped")]
            async fn postgres() {
                if let Some(app) = $crate::helpers::TestApp::postgres_settings(Some($tweak)).await {
                    run(app).await
                }
            }
        }
    };
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $crate::both_backends!(with $crate::helpers::no_tweak; $(#[$meta])* async fn $name($app) $body);
    };
}

/// A server behind a proxy on this machine: its readers are told apart by the
/// `X-Forwarded-For` the proxy adds (see [`reader`]), as in production behind a CDN.
pub fn behind_proxy(s: &mut Settings, _: &str) {
    s.abuse.trusted_proxies =
        newsdesk::client::TrustedProxies::parse("127.0.0.1, ::1").expect("proxy list");
}

/// Rate limits off, for the few tests that measure something else by doing from one client
/// what the limits exist to stop (a write flood, a burst of comments on one story).
/// Webhooks may go to this machine (the tests' receivers listen on 127.0.0.1).
pub fn private_webhooks(s: &mut Settings, _: &str) {
    s.webhooks_allow_private = true;
}

pub fn no_rate_limits(s: &mut Settings, _: &str) {
    s.abuse.enabled = false;
}

/// The header a trusted proxy adds for reader number `n` (a documentation range).
pub fn reader(n: usize) -> (&'static str, String) {
    (
        "x-forwarded-for",
        format!("198.18.{}.{}", n / 250, n % 250 + 1),
    )
}
