//! The site's settings (API.md "Site, feeds and sitemaps"): one row of the settings table,
//! read by feeds and sitemaps to name the site and link to the frontend's article pages.

use chrono::Datelike;

use super::events::Event;
use super::{require_role, AppState, Caller};
use crate::db;
use crate::domain::{optional_text, parse_http_url, text_field, Role};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::model::{ArticleSummary, Site, UpdateSite};

const KEY: &str = "site";
const PLACEHOLDERS: &[&str] = &["{url}", "{slug}", "{year}", "{month}", "{day}", "{tag}"];
/// `{tag}` of an article without tags.
const NO_TAG: &str = "news";

impl Default for Site {
    fn default() -> Self {
        Site {
            title: "newsdesk".into(),
            description: "News".into(),
            url: "http://localhost:8080".into(),
            language: "en".into(),
            article_url_template: "{url}/{slug}".into(),
        }
    }
}

/// `GET /site`: the stored settings, or the defaults.
pub async fn get(state: &AppState) -> AppResult<Site> {
    let stored = state
        .db
        .read(|c| db::settings::get(c, KEY).map_err(AppError::from))
        .await?;
    // Settings written by this code always read back; anything else is the defaults.
    Ok(stored
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

/// `PATCH /site` (admins).
pub async fn update(state: &AppState, caller: &Caller, patch: UpdateSite) -> AppResult<Site> {
    require_role(caller, Role::Admin)?;
    state.abuse.write(caller)?;
    let mut site = get(state).await?;
    let mut e = FieldErrors::new();
    if let Some(t) = patch.title.as_deref() {
        match text_field(t, 200) {
            Ok(t) => site.title = t,
            Err(m) => e.add("title", m),
        }
    }
    if let Some(d) = patch.description.as_deref() {
        match optional_text(Some(d), 1000) {
            Ok(d) => site.description = d.unwrap_or_default(),
            Err(m) => e.add("description", m),
        }
    }
    if let Some(u) = patch.url.as_deref() {
        match parse_http_url(u.trim_end_matches('/')).and_then(|u| {
            if u.len() > 500 {
                Err("must be at most 500 characters".to_owned())
            } else {
                Ok(u)
            }
        }) {
            Ok(u) if url::Url::parse(&u).is_ok_and(|p| p.query().is_none()) => {
                site.url = u.trim_end_matches('/').to_owned()
            }
            Ok(_) => e.add("url", "must not carry a query"),
            Err(m) => e.add("url", m),
        }
    }
    if let Some(l) = patch.language.as_deref() {
        if is_language_tag(l) {
            site.language = l.to_owned();
        } else {
            e.add("language", "must be a language tag such as en, de or pt-BR");
        }
    }
    if let Some(t) = patch.article_url_template.as_deref() {
        match check_template(t) {
            Ok(()) => site.article_url_template = t.to_owned(),
            Err(m) => e.add("article_url_template", m),
        }
    }
    e.into_result()?;
    let text = serde_json::to_string(&site).map_err(|e| AppError::Internal(e.to_string()))?;
    state
        .write(move |c, events| {
            db::settings::put(c, KEY, &text)?;
            events.push(Event::SiteChanged);
            Ok(())
        })
        .await?;
    Ok(site)
}

fn is_language_tag(l: &str) -> bool {
    let mut parts = l.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// A template names `{slug}`, only known placeholders, and makes an http(s) URL.
fn check_template(t: &str) -> Result<(), String> {
    crate::domain::check_chars(t)?;
    if t.len() > 500 {
        return Err("must be at most 500 characters".into());
    }
    if !t.contains("{slug}") {
        return Err("must contain {slug}".into());
    }
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').ok_or("has a { without its }")?;
        let name = &rest[open..open + close + 1];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "{name} is not a placeholder; use {}",
                PLACEHOLDERS.join(", ")
            ));
        }
        rest = &rest[open + close + 1..];
    }
    let sample = fill(t, "https://example.com", "a-slug", 2025, 3, 19, "world");
    match url::Url::parse(&sample) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        _ => Err("must make an http(s) URL (start it with {url}, or an address)".into()),
    }
}

fn fill(t: &str, url: &str, slug: &str, year: i32, month: u32, day: u32, tag: &str) -> String {
    t.replace("{url}", url)
        .replace("{slug}", slug)
        .replace("{year}", &format!("{year:04}"))
        .replace("{month}", &format!("{month:02}"))
        .replace("{day}", &format!("{day:02}"))
        .replace("{tag}", tag)
}

impl Site {
    /// The frontend's URL of an article.
    pub fn article_url(&self, a: &ArticleSummary) -> String {
        let when = a.published_at.unwrap_or(a.created_at);
        self.url_of(&a.slug, when, a.tags.first().map(|t| t.slug.as_str()))
    }

    /// The frontend's URL of an article by its parts (`tag`: its first tag, if any).
    pub fn url_of(
        &self,
        slug: &str,
        when: chrono::DateTime<chrono::Utc>,
        tag: Option<&str>,
    ) -> String {
        fill(
            &self.article_url_template,
            &self.url,
            slug,
            when.year(),
            when.month(),
            when.day(),
            tag.unwrap_or(NO_TAG),
        )
    }

    /// Whether article URLs name a tag (then sitemaps look tags up).
    pub fn needs_tag(&self) -> bool {
        self.article_url_template.contains("{tag}")
    }

    /// The frontend's URL of a tag page (`{url}/tag/{slug}`, as Ghost and WordPress make
    /// them).
    pub fn tag_url(&self, slug: &str) -> String {
        format!("{}/tag/{slug}", self.url)
    }

    /// The frontend's URL of an author page (`{url}/author/{slug}`).
    pub fn author_url(&self, slug: &str) -> String {
        format!("{}/author/{slug}", self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_name_the_slug_and_known_placeholders_only() {
        assert!(check_template("{url}/{slug}").is_ok());
        assert!(check_template("{url}/{year}/{month}/{day}/{slug}").is_ok());
        assert!(check_template("https://cdn.example.com/{tag}/{slug}.html").is_ok());
        assert!(check_template("{url}/news").is_err());
        assert!(check_template("{url}/{slug}/{id}").is_err());
        assert!(check_template("{url}/{slug").is_err());
        assert!(check_template("javascript:{slug}").is_err());
        assert!(check_template(&"{url}/{slug}".repeat(100)).is_err());
        assert!(check_template("{url}/{slug}\u{0}").is_err());
    }

    #[test]
    fn language_tags() {
        for ok in ["en", "pt-BR", "zh-Hant-TW", "ast"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "e", "english", "en_US", "en-"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }
}
