//! No request can hurt the server: GraphQL documents over their bounds, bodies that never
//! finish, requests past their deadline, floods of connections and writers, races, and a
//! SIGTERM with requests still running.

use std::time::{Duration, Instant};

use newsdesk::config::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::both_backends;
use crate::helpers::*;

/// POSTs a GraphQL document; returns the status, the time it took and the body.
async fn gql_raw(app: &TestApp, query: &str) -> (StatusCode, Duration, Value) {
    let start = Instant::now();
    let res = app
        .post("/graphql")
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("graphql request");
    let status = res.status();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, start.elapsed(), body)
}

/// The `k`-level fragment bomb: each fragment spreads the one below it twice, so the
/// expanded document has 2^k fields in about 40 bytes a level.
fn fragment_bomb(k: usize) -> String {
    let mut q = format!("query {{ ...F{k} }} fragment F0 on Query {{ __typename }} ");
    for i in 1..=k {
        q.push_str(&format!(
            "fragment F{i} on Query {{ ...F{} ...F{} }} ",
            i - 1,
            i - 1
        ));
    }
    q
}

fn assert_refused(status: StatusCode, took: Duration, body: &Value, reason: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["reason"], reason, "{body}");
    assert!(
        body.get("data").is_none(),
        "a refused document has no data: {body}"
    );
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

both_backends!(
    async fn graphql_documents_over_their_bounds_are_refused_before_they_run(app) {
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Harbour Reopens", &[]).await;

        let (status, took, body) = gql_raw(&app, &fragment_bomb(30)).await;
        assert_refused(status, took, &body, "QUERY_TOO_COMPLEX");
        // GET runs the same checks.
        let start = Instant::now();
        let res = app
            .get("/graphql")
            .query(&[("query", fragment_bomb(30))])
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_refused(status, start.elapsed(), &body, "QUERY_TOO_COMPLEX");

        // A list nested 5,000 deep once overflowed a worker's stack and took the process down.
        let deep = format!(
            "{{ articles(filter: {}{}) {{ totalCount }} }}",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let (status, took, body) = gql_raw(&app, &deep).await;
        assert_refused(status, took, &body, "QUERY_TOO_COMPLEX");

        let comments: String = (0..1000)
            .map(|i| {
                format!(
                    r#"c{i}: addComment(input: {{articleSlug: "harbour-reopens", authorName: "A",
                       authorEmail: "a@example.com", body: "spam {i}"}}) {{ id }} "#
                )
            })
            .collect();
        let (status, took, body) = gql_raw(&app, &format!("mutation {{ {comments} }}")).await;
        assert_refused(status, took, &body, "TOO_MANY_MUTATIONS");
        let queue = app
            .gql_ok(Some(&editor), "{ comments(status: PENDING) { totalCount } }", json!({}))
            .await;
        assert_eq!(queue["comments"]["totalCount"], 0, "no comment was created");

        let views: String = (0..10_000)
            .map(|i| format!(r#"v{i}: recordView(slug: "no-such-{}") "#, i % 7))
            .collect();
        let res = app
            .post("/graphql")
            .json(&json!({ "query": format!("mutation {{ {views} }}") }))
            .send()
            .await
            .unwrap();
        // Refused for its size (the test server takes 256 KB) or its mutations: either way
        // in one short answer, not an error per alias.
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::PAYLOAD_TOO_LARGE,
            "{status}: {text}"
        );
        assert!(text.len() < 2_000, "a short refusal, not an error per alias: {text}");

        let articles: String = (0..31)
            .map(|i| format!(r#"a{i}: article(slug: "harbour-reopens") {{ id }} "#))
            .collect();
        let (status, took, body) = gql_raw(&app, &format!("{{ {articles} }}")).await;
        assert_refused(status, took, &body, "TOO_MANY_ALIASES");

        // An ordinary page with fragments still runs.
        let page = app
            .gql_ok(
                None,
                r#"query { article(slug: "harbour-reopens") { ...Card related { ...Card } }
                           articles(first: 5) { edges { node { ...Card } } } }
                   fragment Card on Article { slug title excerpt image { url credit } tags { slug } }"#,
                json!({}),
            )
            .await;
        assert_eq!(page["article"]["slug"], "harbour-reopens");
        let health = app.get("/healthz").send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
    }
);

both_backends!(
    async fn graphql_errors_are_capped_with_a_count_of_the_rest(app) {
        // 25 fields that each fail (`first` over 100) make 25 errors; 20 are sent.
        let fields: String = (0..25)
            .map(|i| format!("a{i}: articles(first: 1000) {{ totalCount }} "))
            .collect();
        let body = app.gql(None, &format!("{{ {fields} }}"), json!({})).await;
        let errors = body["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 20, "{body}");
        assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT");
        let last = errors[19]["message"].as_str().unwrap();
        assert!(last.contains("6 more errors"), "{last}");
    }
);

/// Holds a lock that makes writes to `tags` wait, from another connection, until dropped:
/// SQLite's write lock, or an exclusive lock on the table on PostgreSQL.
struct HeldLock {
    release: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HeldLock {
    fn take(database_url: &str) -> HeldLock {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let url = database_url.to_owned();
        let (ready, locked) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let wait = |conn: &mut dyn SimpleConnection| {
                ready.send(()).expect("signal the lock");
                let _ = released.recv();
                conn.batch_execute("ROLLBACK").expect("release the lock");
            };
            if let Some(path) = url.strip_prefix("sqlite://") {
                let mut c = diesel::SqliteConnection::establish(path).expect("open sqlite");
                c.batch_execute("BEGIN IMMEDIATE")
                    .expect("take the write lock");
                wait(&mut c);
            } else {
                let mut c = diesel::PgConnection::establish(&url).expect("open postgres");
                c.batch_execute("BEGIN; LOCK TABLE tags IN ACCESS EXCLUSIVE MODE;")
                    .expect("lock tags");
                wait(&mut c);
            }
        });
        locked.recv().expect("the lock is held");
        HeldLock {
            release: Some(release),
            thread: Some(thread),
        }
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn short_deadlines(s: &mut Settings, _: &str) {
    s.limits.request_timeout = Duration::from_millis(400);
    s.limits.body_timeout = Duration::from_millis(300);
}

both_backends!(
    with short_deadlines;
    async fn a_request_past_its_deadline_is_cancelled_with_503_and_writes_nothing(app) {
        let (editor, _) = app.user("editor").await;
        let lock = HeldLock::take(app.database_url());

        let start = Instant::now();
        let res = app
            .post("/api/v1/tags")
            .bearer_auth(&editor)
            .json(&json!({"name": "Blocked Tag"}))
            .send()
            .await
            .unwrap();
        assert!(res.headers().contains_key("retry-after"));
        // A request cut off at its deadline still says nosniff, and is never stored.
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert_eq!(res.headers()["cache-control"], "no-store");
        let p = problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
        assert_eq!(p["type"], "https://newsdesk.dev/problems/timeout");
        assert!(start.elapsed() < Duration::from_millis(1500), "{:?}", start.elapsed());

        let start = Instant::now();
        let res = app
            .post("/graphql")
            .bearer_auth(&editor)
            .json(&json!({"query": r#"mutation { createTag(input: {name: "Blocked Too"}) { id } }"#}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT", "{body}");
        assert!(start.elapsed() < Duration::from_millis(1500));

        // Once the lock goes, the cancelled writes run on to their end and roll back.
        drop(lock);
        tokio::time::sleep(Duration::from_millis(600)).await;
        for slug in ["blocked-tag", "blocked-too"] {
            let res = app.get(&format!("/api/v1/tags/{slug}")).send().await.unwrap();
            problem(res, StatusCode::NOT_FOUND).await;
        }
        app.tag(&editor, "Blocked Tag").await;
    }
);

/// Opens a connection and sends `head` and the first part of a body, then nothing more.
async fn stall(base: &str, head: &str, part: &[u8]) -> tokio::net::TcpStream {
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(head.as_bytes()).await.expect("send the head");
    s.write_all(part).await.expect("send part of the body");
    s
}

both_backends!(
    with short_deadlines;
    async fn a_body_that_stops_arriving_is_cut_off_with_408(app) {
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Ferry Delayed", &[]).await;
        let start = Instant::now();
        let mut s = stall(
            &app.base,
            "POST /api/v1/articles/ferry-delayed/comments HTTP/1.1\r\nHost: x\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n",
            b"{\"author_name\": ",
        )
        .await;
        let res = read_raw_response(&mut s).await.expect("a response");
        assert_eq!(res.status, 408, "{res:?}");
        assert_eq!(res.headers["content-type"], "application/problem+json");
        assert_eq!(res.headers.get("connection").map(String::as_str), Some("close"));
        assert!(res.body.contains("request-timeout"), "{}", res.body);
        assert!(start.elapsed() < Duration::from_secs(2));

        // GraphQL, chunked: a GraphQL error, with the same status.
        let mut s = stall(
            &app.base,
            "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\n\r\n",
            b"10\r\n{\"query\": \"{ __t\r\n",
        )
        .await;
        let res = read_raw_response(&mut s).await.expect("a response");
        assert_eq!(res.status, 408, "{res:?}");
        let body: Value = serde_json::from_str(&res.body).expect("json");
        assert_eq!(body["errors"][0]["extensions"]["code"], "REQUEST_TIMEOUT");

        // A trickle that never stops is cut off too: the deadline is for the whole body.
        let mut s = stall(
            &app.base,
            "POST /api/v1/tags HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: 1000\r\n\r\n",
            b"{",
        )
        .await;
        let start = Instant::now();
        let trickle = async {
            for _ in 0..40 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if s.write_all(b" ").await.is_err() {
                    break;
                }
            }
            read_raw_response(&mut s).await
        };
        let res = trickle.await.expect("a response");
        assert_eq!(res.status, 408, "{res:?}");
        assert!(start.elapsed() < Duration::from_secs(3));

        // A body nobody reads (a GET with one): answered, then the connection is closed
        // rather than drained for as long as the client keeps it stalled.
        for path in ["/healthz", "/api/v1/articles", "/no/such/path"] {
            let mut s = stall(
                &app.base,
                &format!("GET {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"),
                b"5\r\nhello\r\n",
            )
            .await;
            let start = Instant::now();
            let res = read_raw_response(&mut s).await.expect("a response");
            assert!(res.status == 200 || res.status == 404, "{res:?}");
            assert_eq!(res.headers.get("connection").map(String::as_str), Some("close"));
            let mut rest = Vec::new();
            let closed = tokio::time::timeout(
                Duration::from_secs(3),
                tokio::io::AsyncReadExt::read_to_end(&mut s, &mut rest),
            )
            .await;
            assert!(closed.is_ok(), "{path}: still open {:?} later", start.elapsed());
        }
    }
);

fn few_connections(s: &mut Settings, _: &str) {
    s.limits.max_connections_per_client = 5;
}

both_backends!(
    with few_connections;
    async fn a_client_over_its_share_of_connections_is_refused(app) {
        let addr = app.base.trim_start_matches("http://").to_owned();
        let mut held = Vec::new();
        for _ in 0..5 {
            held.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
        }
        let res = raw_request(&app.base, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("a response");
        assert_eq!(res.status, 429, "{res:?}");
        assert_eq!(res.headers["content-type"], "application/problem+json");
        assert_eq!(res.headers.get("connection").map(String::as_str), Some("close"));
        assert!(res.headers.contains_key("retry-after"));

        // Another address is not affected.
        let other = other_client();
        let res = other.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);

        // Closed connections give their places back.
        drop(held);
        let mut ok = false;
        for _ in 0..50 {
            let res = raw_request(&app.base, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
            if res.is_some_and(|r| r.status == 200) {
                ok = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(ok, "the client's places came back");
    }
);

/// A client on another loopback address (127.0.0.2), as a second visitor would be.
fn other_client() -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(10))
        // Below the server's 5 s keep-alive: a connection idle that long may be closing on
        // the server's side just as a request goes out on it (hyper: IncompleteMessage).
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .expect("client")
}

both_backends!(
    async fn stalled_bodies_do_not_starve_other_clients(app) {
        newsdesk::limits::raise_open_files_limit();
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Tram Line Extended", &[]).await;
        let node = app
            .node_with(&[
                ("NEWSDESK_MAX_CONNECTIONS_PER_CLIENT", "0"),
                ("NEWSDESK_BODY_TIMEOUT_SECS", "3"),
            ])
            .await;
        let reader = other_client();
        let article = node.url("/api/v1/articles/tram-line-extended");
        for _ in 0..20 {
            let res = reader.get(&article).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
        let before = node.rss_mib();

        let head = "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                    Transfer-Encoding: chunked\r\n\r\n";
        let mut stalled = Vec::new();
        for _ in 0..2000 {
            stalled.push(stall(&node.base, head, b"10\r\n{\"query\": \"{ __t\r\n").await);
        }
        // The fastest of five reads: other tests share these two cores, and one slow read
        // can be theirs; a server starved by the stalled connections would make all slow.
        let mut reads = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            let res = reader.get(&article).send().await.unwrap();
            reads.push(start.elapsed());
            assert_eq!(res.status(), StatusCode::OK);
        }
        let fastest = reads.iter().min().copied().unwrap_or_default();
        assert!(fastest < Duration::from_millis(100), "article reads took {reads:?}");
        let peak = node.rss_mib();

        // The server cuts every one of them off at the body deadline.
        let cut = futures_util::future::join_all(stalled.iter_mut().map(|s| async move {
            tokio::time::timeout(Duration::from_secs(8), read_raw_response(s))
                .await
                .ok()
                .flatten()
                .map(|r| r.status)
        }))
        .await;
        let timed_out = cut.iter().filter(|s| **s == Some(408)).count();
        assert_eq!(timed_out, 2000, "every stalled body got a 408");
        drop(stalled);
        // The server gives the memory back at its next look (every 2 s) once they are gone.
        let mut after = node.rss_mib();
        for _ in 0..40 {
            if after < before + 16.0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            after = node.rss_mib();
        }
        eprintln!("RSS before {before:.1} MiB, with 2,000 stalled {peak:.1} MiB, after {after:.1} MiB");
        assert!(
            after < before + 16.0,
            "RSS went back near {before:.1} MiB (peak {peak:.1}, after {after:.1})"
        );
        let res = reader.get(&article).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
);

both_backends!(
    async fn sigterm_ends_within_the_grace_period_with_requests_in_flight(app) {
        let (editor, _) = app.user("editor").await;
        app.published(&editor, "Night Bus Returns", &[]).await;
        let mut node = app
            .node_with(&[
                ("NEWSDESK_SHUTDOWN_GRACE_SECS", "2"),
                ("NEWSDESK_REQUEST_TIMEOUT_SECS", "120"),
                ("NEWSDESK_BODY_TIMEOUT_SECS", "120"),
                ("NEWSDESK_TRUSTED_PROXIES", "127.0.0.1"),
            ])
            .await;
        for n in 0..3 {
            let res = app
                .client
                .post(node.url("/api/v1/articles/night-bus-returns/views"))
                .header(reader(n).0, reader(n).1)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::ACCEPTED);
        }
        // A body that would take two minutes to arrive...
        let _slow = stall(
            &node.base,
            "POST /api/v1/tags HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: 1000\r\n\r\n",
            b"{",
        )
        .await;
        // ...and, on PostgreSQL, a write stuck behind a lock for as long (SQLite's one
        // writer would also hold back the last write of the counters, which must happen).
        let postgres = !app.database_url().starts_with("sqlite://");
        let lock = postgres.then(|| HeldLock::take(app.database_url()));
        let stuck = postgres.then(|| {
            let req = app
                .client
                .post(node.url("/api/v1/tags"))
                .bearer_auth(&editor)
                .json(&json!({"name": "Stuck"}))
                .send();
            tokio::spawn(req)
        });
        tokio::time::sleep(Duration::from_millis(300)).await;

        let start = Instant::now();
        node.terminate();
        let exit = node.exited_within(Duration::from_secs(6)).await;
        let took = start.elapsed();
        assert!(exit.is_some(), "the node still runs {took:?} after SIGTERM");
        assert!(exit.is_some_and(|e| e.success()), "exit status {exit:?}");
        assert!(took < Duration::from_secs(4), "grace 2 s, stopped after {took:?}");
        drop(lock);
        if let Some(stuck) = stuck {
            // Cut off with the process: no answer, never a success.
            let answer = stuck.await.expect("request task");
            assert!(answer.is_err() || !answer.unwrap().status().is_success());
        }
        // The views counted before the signal were written on the way out.
        app.settle().await;
        let a = json_of(
            app.get("/api/v1/articles/night-bus-returns").send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(a["view_count"], 3);
    }
);

/// Ends every server connection to the app's database but this one's, as a restart or
/// `pg_terminate_backend` would; answers how many were ended.
fn end_server_connections(database_url: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(diesel::QueryableByName)]
    struct Ended {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut c = diesel::PgConnection::establish(database_url).expect("open postgres");
    let ended: Ended = diesel::sql_query(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .get_result(&mut c)
    .expect("end the connections");
    ended.n
}

/// Reads the front page `n` times in a row; answers the statuses.
async fn read_front_page(app: &TestApp, n: usize) -> Vec<u16> {
    let mut statuses = Vec::with_capacity(n);
    for _ in 0..n {
        let res = app.get("/api/v1/articles").send().await.unwrap();
        let status = res.status();
        if status != StatusCode::OK {
            assert_eq!(
                status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{:?}",
                res.text().await
            );
            assert!(res.headers().contains_key("retry-after"));
            assert_eq!(res.headers()["content-type"], "application/problem+json");
        }
        statuses.push(status.as_u16());
    }
    statuses
}

/// The pool lends a connection it got back a moment ago without checking it (see
/// `db::pool`). Ended by the server meanwhile, such a connection fails the one request that
/// meets it, with 503, never 500, and the pool replaces it; a connection idle longer than
/// that is checked before use, so its end costs no request at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "TEST_DATABASE_URL is unset: the PostgreSQL run is skipped"
)]
async fn connections_the_server_ended_are_replaced_at_the_cost_of_a_503_at_most() {
    // Every read reaches the database.
    fn no_response_cache(s: &mut Settings, _: &str) {
        s.cache_bytes = 0;
    }
    let Some(app) = TestApp::postgres_settings(Some(no_response_cache)).await else {
        return;
    };
    let editor = app.user("editor").await.0;
    app.published(&editor, "Front page", &[]).await;
    assert!(read_front_page(&app, 5).await.iter().all(|s| *s == 200));
    let pool_size = app.state.settings.pool_size as usize;
    let end_all = || async {
        let url = app.database_url().to_owned();
        tokio::task::spawn_blocking(move || end_server_connections(&url))
            .await
            .unwrap()
    };

    // Ended right after use: each connection used within the window may fail one request.
    assert!(end_all().await >= 1, "the pool's connections were ended");
    // The server ends them a moment after it is asked to.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let statuses = read_front_page(&app, 30).await;
    let failed = statuses.iter().filter(|s| **s != 200).count();
    assert!(failed <= pool_size, "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == 200), "{statuses:?}");

    // Ended while idle, read after the window: every connection is checked first.
    end_all().await;
    tokio::time::sleep(newsdesk::db::pool::TRUSTED_FOR + Duration::from_millis(200)).await;
    let statuses = read_front_page(&app, 10).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}

/// What `SHOW plan_cache_mode` answers on the connection `c`.
fn plan_cache_mode(c: &mut newsdesk::db::DbConn) -> Result<String, newsdesk::db::DbError> {
    use diesel::prelude::*;
    #[derive(diesel::QueryableByName)]
    struct Shown {
        #[diesel(sql_type = diesel::sql_types::Text)]
        plan_cache_mode: String,
    }
    let shown: Shown = diesel::sql_query("SHOW plan_cache_mode").get_result(c)?;
    Ok(shown.plan_cache_mode)
}

/// PostgreSQL plans the public reads once per connection and statement, and everything else
/// for its values (see `db::Plans`): a connection lent for one after the other is switched
/// back first, and the switch is upkeep, not counted with the requests' statements.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "TEST_DATABASE_URL is unset: the PostgreSQL run is skipped"
)]
async fn a_connection_plans_as_each_read_asks_whatever_it_served_before() {
    use newsdesk::db::{Db, DbOptions, Plans};
    let Some(app) = TestApp::postgres().await else {
        return;
    };
    let url = app.database_url().to_owned();
    // A pool of one: every read below is lent the same connection.
    let db = tokio::task::spawn_blocking(move || Db::connect(&DbOptions::primary(&url, 1)))
        .await
        .unwrap()
        .unwrap();
    let before = db.statements_run();
    let mut seen = Vec::new();
    seen.push(db.read_planned(Plans::Once, plan_cache_mode).await.unwrap());
    seen.push(db.read(plan_cache_mode).await.unwrap());
    seen.push(db.read_planned(Plans::Once, plan_cache_mode).await.unwrap());
    seen.push(db.write(plan_cache_mode).await.unwrap());
    seen.push(
        db.read_planned(Plans::ForValues, plan_cache_mode)
            .await
            .unwrap(),
    );
    assert_eq!(
        seen,
        [
            "force_generic_plan",
            "auto",
            "force_generic_plan",
            "auto",
            "auto"
        ]
    );
    // The five `SHOW`s and the write's `BEGIN` and `COMMIT`; no `SET`.
    assert_eq!(db.statements_run() - before, 7);
}
