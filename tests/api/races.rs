//! Many writers at once: no 5xx, no lost or doubled rows, and the same outcome on SQLite
//! and PostgreSQL.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    // Limits off: this measures the write path under contention, which one account and one
    // client flooding it would otherwise only see as 429s after the first minute's 300.
    with no_rate_limits;
    async fn sixty_four_writers_for_thirty_seconds_never_get_a_5xx(app) {
        let (editor, _) = app.user("editor").await;
        app.tag(&editor, "Flood").await;
        app.published(&editor, "Flooded Article", &["flood"]).await;
        let until = Instant::now() + Duration::from_secs(30);
        let writers = (0..64).map(|w| {
            let client = app.client.clone();
            let (base, token) = (app.base.clone(), editor.clone());
            tokio::spawn(async move {
                let mut seen: BTreeMap<u16, u32> = BTreeMap::new();
                let mut tags = Vec::new();
                let mut i = 0;
                while Instant::now() < until {
                    i += 1;
                    // Each kind of write reads, then writes, in one transaction.
                    let req = match i % 4 {
                        0 => {
                            tags.push(format!("flood-{w}-{i}"));
                            client.post(format!("{base}/api/v1/tags")).json(&json!({"name": format!("Flood {w} {i}")}))
                        }
                        1 => client
                            .post(format!("{base}/api/v1/articles"))
                            .json(&json!({"title": format!("Writer {w} {i}"), "body": "Text.", "tags": ["flood"]})),
                        2 => client
                            .post(format!("{base}/api/v1/articles/flooded-article/comments"))
                            .json(&json!({"author_name": "W", "author_email": "w@example.com", "body": format!("{w} {i}")})),
                        _ => client
                            .patch(format!("{base}/api/v1/articles/flooded-article"))
                            .json(&json!({"subtitle": format!("Edit {w} {i}")})),
                    };
                    let status = match req.bearer_auth(&token).send().await {
                        Ok(res) => res.status().as_u16(),
                        Err(_) => 599,
                    };
                    *seen.entry(status).or_default() += 1;
                }
                (seen, tags)
            })
        });
        let mut seen: BTreeMap<u16, u32> = BTreeMap::new();
        let mut tags = Vec::new();
        for w in futures_util::future::join_all(writers).await {
            let (s, t) = w.expect("writer task");
            for (k, v) in s {
                *seen.entry(k).or_default() += v;
            }
            tags.extend(t);
        }
        eprintln!("64 writers, 30 s: {seen:?}");
        assert!(seen.keys().all(|s| *s < 500), "no 5xx: {seen:?}");
        assert!(seen.values().sum::<u32>() > 200, "the writers got work done: {seen:?}");
        // Nothing was refused either: every write was created (201) or changed (200)...
        assert!(seen.keys().all(|s| *s == 200 || *s == 201), "{seen:?}");
        // ...and every tag a writer was told it created is there.
        for slug in tags.iter().step_by(17) {
            let res = app.get(&format!("/api/v1/tags/{slug}")).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "tag {slug}");
        }
    }
);

both_backends!(
    async fn concurrent_creates_race_for_slugs_alike_on_both_backends(app) {
        let (editor, _) = app.user("editor").await;
        let sends = |body: Value| {
            let reqs = (0..16).map(|_| {
                app.post("/api/v1/articles").bearer_auth(&editor).json(&body).send()
            });
            futures_util::future::join_all(reqs)
        };
        // A derived slug that loses the race takes the next suffix.
        let mut slugs = HashSet::new();
        for res in sends(json!({"title": "Council Votes", "body": "b"})).await {
            let a = json_of(res.unwrap(), StatusCode::CREATED).await;
            slugs.insert(a["slug"].as_str().unwrap().to_owned());
        }
        assert_eq!(slugs.len(), 16, "{slugs:?}");
        assert!(slugs.contains("council-votes") && slugs.contains("council-votes-16"));
        // A slug the client chose is the client's: one wins, the rest are 409.
        let mut statuses = BTreeMap::new();
        for res in sends(json!({"title": "Chosen", "body": "b", "slug": "chosen-slug"})).await {
            *statuses.entry(res.unwrap().status().as_u16()).or_insert(0) += 1;
        }
        assert_eq!(statuses, BTreeMap::from([(201, 1), (409, 15)]));

        // Accounts with the same name get their own profile slugs.
        let (admin, _) = app.user("admin").await;
        let reqs = (0..8).map(|i| {
            app.post("/api/v1/users")
                .bearer_auth(&admin)
                .json(&json!({"email": format!("same{i}@example.com"), "name": "Sam Same", "role": "author", "password": "long enough password"}))
                .send()
        });
        let mut profiles = HashSet::new();
        for res in futures_util::future::join_all(reqs).await {
            let u = json_of(res.unwrap(), StatusCode::CREATED).await;
            profiles.insert(u["slug"].as_str().unwrap().to_owned());
        }
        assert_eq!(profiles.len(), 8, "{profiles:?}");
    }
);
