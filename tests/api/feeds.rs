//! Feeds and sitemaps: parsed with feed parsers (`rss`, `atom_syndication`) and an XML
//! parser (`roxmltree`), public articles only, following the site's settings, answering
//! conditional requests, and changing the moment a scheduled article goes live.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

async fn fetch(app: &TestApp, path: &str, content_type: &str) -> String {
    let res = app.get(path).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with(content_type), "GET {path}: {ct}");
    assert!(res.headers().contains_key("etag"));
    res.text().await.unwrap()
}

/// A live article with an image, a draft, a scheduled one and a deleted one.
async fn newsroom(app: &TestApp) -> (String, Value) {
    let (editor, _) = app.user("editor").await;
    app.tag(&editor, "Harbour").await;
    let live = app
        .article(&editor, json!({
            "title": "Storm Hits the Harbour", "body": "The **storm** came at dawn.", "status": "published",
            "tags": ["harbour"], "dateline": "Lisbon",
            "image": {"url": "https://cdn.example.com/storm.jpg", "alt": "Waves", "caption": "Waves over the pier", "credit": "© Image Copyrights Title"}
        }))
        .await;
    app.article(
        &editor,
        json!({"title": "Draft Story", "body": "x", "tags": ["harbour"]}),
    )
    .await;
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    app.article(&editor, json!({"title": "Scheduled Story", "body": "x", "status": "published", "published_at": later, "tags": ["harbour"]})).await;
    let gone = app.published(&editor, "Deleted Story", &["harbour"]).await;
    let res = app
        .delete(&format!(
            "/api/v1/articles/{}",
            gone["slug"].as_str().unwrap()
        ))
        .bearer_auth(&editor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    (editor, live)
}

both_backends!(
    async fn feeds_parse_and_hold_public_articles_only(app) {
        let (_, live) = newsroom(&app).await;
        for path in ["/feeds/rss.xml", "/feeds/rss.xml?tag=harbour"] {
            let text = fetch(&app, path, "application/rss+xml").await;
            let channel = rss::Channel::read_from(text.as_bytes()).expect("RSS 2.0");
            assert_eq!(channel.items().len(), 1, "{path}: only the live article");
            let item = &channel.items()[0];
            assert_eq!(item.title(), Some("Storm Hits the Harbour"));
            assert_eq!(item.link(), Some(format!("http://localhost:8080/{}", live["slug"].as_str().unwrap()).as_str()));
            assert!(item.content().unwrap().contains("<strong>storm</strong>"), "content:encoded holds body_html");
            assert_eq!(item.dublin_core_ext().unwrap().creators()[0], live["author"]["name"].as_str().unwrap());
            assert!(!item.guid().unwrap().is_permalink());
            assert!(item.pub_date().is_some());
            assert_eq!(item.categories()[0].name(), "Harbour");
            let media = &item.extensions()["media"]["content"][0];
            assert_eq!(media.attrs()["url"], "https://cdn.example.com/storm.jpg");
            assert_eq!(media.children()["credit"][0].value(), Some("© Image Copyrights Title"));
            assert_eq!(media.children()["description"][0].value(), Some("Waves over the pier"));
        }
        let text = fetch(&app, "/feeds/atom.xml", "application/atom+xml").await;
        let feed = atom_syndication::Feed::read_from(text.as_bytes()).expect("Atom 1.0");
        assert_eq!(feed.entries().len(), 1);
        assert_eq!(feed.entries()[0].title().as_str(), "Storm Hits the Harbour");
        assert!(feed.links().iter().any(|l| l.rel() == "self"));
        let text = fetch(&app, "/feeds/feed.json", "application/feed+json").await;
        let json: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(json["items"].as_array().unwrap().len(), 1);
        assert_eq!(json["items"][0]["image"], "https://cdn.example.com/storm.jpg");
        // An author's feed; unknown ones, and both at once, are refused.
        let author = live["author"]["slug"].as_str().unwrap();
        let text = fetch(&app, &format!("/feeds/feed.json?author={author}"), "application/feed+json").await;
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["items"].as_array().unwrap().len(), 1);
        problem(app.get("/feeds/rss.xml?tag=nope").send().await.unwrap(), StatusCode::NOT_FOUND).await;
        problem(app.get("/feeds/atom.xml?author=nobody").send().await.unwrap(), StatusCode::NOT_FOUND).await;
        invalid(app.get(&format!("/feeds/rss.xml?tag=harbour&author={author}")).send().await.unwrap(), "tag").await;
    }
);

fn parse(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text).expect("well-formed XML")
}

fn texts<'a>(doc: &'a roxmltree::Document<'_>, ns: &str, name: &str) -> Vec<&'a str> {
    doc.descendants()
        .filter(|n| n.has_tag_name((ns, name)))
        .filter_map(|n| n.text())
        .collect()
}

both_backends!(
    async fn sitemaps_are_well_formed_and_list_public_urls_only(app) {
        let (_, live) = newsroom(&app).await;
        let slug = live["slug"].as_str().unwrap();
        let text = fetch(&app, "/sitemap.xml", "application/xml").await;
        let index = parse(&text);
        assert!(index.root_element().has_tag_name((SITEMAP_NS, "sitemapindex")));
        let files = texts(&index, SITEMAP_NS, "loc");
        assert_eq!(files.len(), 3);
        assert!(files[0].ends_with("/sitemaps/articles-1.xml"));
        assert!(files.iter().any(|f| f.ends_with("/sitemaps/news.xml")));
        let text = fetch(&app, "/sitemaps/articles-1.xml", "application/xml").await;
        let urls = parse(&text);
        assert!(urls.root_element().has_tag_name((SITEMAP_NS, "urlset")));
        assert_eq!(texts(&urls, SITEMAP_NS, "loc"), [format!("http://localhost:8080/{slug}")]);
        assert_eq!(texts(&urls, SITEMAP_NS, "lastmod").len(), 1);
        let text = fetch(&app, "/sitemaps/news.xml", "application/xml").await;
        let news = parse(&text);
        assert_eq!(texts(&news, SITEMAP_NS, "loc").len(), 1);
        assert_eq!(texts(&news, NEWS_NS, "name"), ["newsdesk"]);
        assert_eq!(texts(&news, NEWS_NS, "language"), ["en"]);
        assert_eq!(texts(&news, NEWS_NS, "title"), ["Storm Hits the Harbour"]);
        assert_eq!(texts(&news, NEWS_NS, "publication_date").len(), 1);
        let text = fetch(&app, "/sitemaps/tags.xml", "application/xml").await;
        assert_eq!(texts(&parse(&text), SITEMAP_NS, "loc"), ["http://localhost:8080/tag/harbour"]);
        for missing in ["/sitemaps/articles-2.xml", "/sitemaps/articles-01.xml", "/sitemaps/articles-0.xml", "/sitemaps/other.xml", "/sitemaps/articles-99999999999999999999.xml"] {
            problem(app.get(missing).send().await.unwrap(), StatusCode::NOT_FOUND).await;
        }
    }
);

both_backends!(
    async fn feeds_answer_conditional_requests_and_follow_the_site_settings(app) {
        let (editor, live) = newsroom(&app).await;
        let (admin, _) = app.user("admin").await;
        let res = app.get("/feeds/rss.xml").send().await.unwrap();
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        let modified = res.headers()["last-modified"].to_str().unwrap().to_owned();
        assert!(modified.ends_with(" GMT"));
        let res = app.get("/feeds/rss.xml").header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        let res = app.get("/feeds/rss.xml").header("if-modified-since", &modified).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        let res = app.get("/feeds/rss.xml").header("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        // A client that takes only text/xml gets the same document as that; Vary says so.
        let res = app.get("/feeds/rss.xml").header("accept", "text/xml").send().await.unwrap();
        assert_eq!(res.headers()["content-type"], "text/xml; charset=utf-8");
        assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);
        assert!(res.headers()["vary"].to_str().unwrap().contains("Accept"));
        let res = app.get("/sitemap.xml").header("accept", "application/xml, text/xml;q=0.9").send().await.unwrap();
        assert_eq!(res.headers()["content-type"], "application/xml; charset=utf-8");
        // The site's settings: anyone reads them, admins change them, feeds follow at once.
        let site = json_of(app.get("/api/v1/site").send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(site["article_url_template"], "{url}/{slug}");
        let patch = json!({"title": "The Harbour Times", "url": "https://news.example.com/", "language": "pt-BR", "article_url_template": "{url}/{tag}/{year}/{slug}"});
        problem(app.patch("/api/v1/site").bearer_auth(&editor).json(&patch).send().await.unwrap(), StatusCode::FORBIDDEN).await;
        let before = app.gql_ok(None, "{ site { title articleUrlTemplate } }", json!({})).await;
        assert_eq!(before["site"]["title"], "newsdesk");
        let site = json_of(app.patch("/api/v1/site").bearer_auth(&admin).json(&patch).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(site["url"], "https://news.example.com");
        // GraphQL reads the same settings (its cached answer went with the change).
        let after = app.gql_ok(None, "{ site { title articleUrlTemplate } }", json!({})).await;
        assert_eq!(after["site"]["title"], "The Harbour Times");
        let text = fetch(&app, "/feeds/rss.xml", "application/rss+xml").await;
        let channel = rss::Channel::read_from(text.as_bytes()).unwrap();
        assert_eq!(channel.title(), "The Harbour Times");
        assert_eq!(channel.language(), Some("pt-BR"));
        let year = chrono::Utc::now().format("%Y");
        assert_eq!(
            channel.items()[0].link().unwrap(),
            format!("https://news.example.com/harbour/{year}/{}", live["slug"].as_str().unwrap())
        );
        for (field, value) in [
            ("article_url_template", json!("{url}/news")),
            ("article_url_template", json!("{url}/{slug}/{id}")),
            ("url", json!("ftp://example.com")),
            ("language", json!("english")),
            ("title", json!("")),
        ] {
            let res = app.patch("/api/v1/site").bearer_auth(&admin).json(&json!({field: value})).send().await.unwrap();
            invalid(res, field).await;
        }
        problem(app.patch("/api/v1/site").bearer_auth(&admin).json(&json!({"colour": "red"})).send().await.unwrap(), StatusCode::BAD_REQUEST).await;
    }
);

both_backends!(
    async fn a_scheduled_article_appears_the_moment_it_goes_live(app) {
        let (editor, _) = app.user("editor").await;
        let at = chrono::Utc::now() + chrono::Duration::seconds(2);
        app.article(&editor, json!({"title": "Polls Close", "body": "x", "status": "published", "published_at": at.to_rfc3339()})).await;
        for path in ["/feeds/feed.json", "/sitemaps/news.xml"] {
            let text = fetch(&app, path, "application/").await;
            assert!(!text.contains("Polls Close"), "{path} before its time");
        }
        tokio::time::sleep((at - chrono::Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(400)).await;
        for path in ["/feeds/feed.json", "/sitemaps/news.xml", "/sitemaps/articles-1.xml"] {
            let text = fetch(&app, path, "application/").await;
            assert!(text.contains("polls-close"), "{path} once live: {text}");
        }
    }
);
