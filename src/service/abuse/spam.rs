//! The comment spam check, before the moderation queue: a honeypot, link counts, bodies that
//! are only links, known spam phrases and repeated bodies. A comment judged spam is kept
//! with `status: "spam"` and the reason, for editors to read and release.

use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// More links than this in one comment is spam.
const MAX_LINKS: usize = 2;
/// Bodies at least this long that appear on this many articles are spam; shorter ones
/// ("Thanks!") are what many people write.
const CAMPAIGN_MIN_CHARS: usize = 40;
const CAMPAIGN_ARTICLES: usize = 3;
/// How long a body is remembered.
const REMEMBER: Duration = Duration::from_secs(6 * 60 * 60);

/// Phrases no newsroom reader writes: the short list of what comment spam keeps saying.
const PHRASES: &[&str] = &[
    "buy now",
    "buy cheap",
    "cheap pills",
    "viagra",
    "cialis",
    "online casino",
    "casino bonus",
    "free spins",
    "payday loan",
    "earn money fast",
    "make money online",
    "work from home and earn",
    "crypto giveaway",
    "double your bitcoin",
    "seo services",
    "backlinks",
    "escort service",
    "click here",
    "visit my website",
    "check out my site",
    "whatsapp me",
    "weight loss pills",
];

/// What is known of a body already posted.
#[derive(Debug, Default)]
struct Seen {
    clients: Vec<u64>,
    articles: Vec<u64>,
}

/// Bodies posted lately (hashed), by whom and where.
pub struct Memory {
    bodies: moka::sync::Cache<u64, Arc<Mutex<Seen>>>,
    hasher: std::collections::hash_map::RandomState,
}

/// The parts of a comment the check reads.
pub struct Post<'a> {
    pub body: &'a str,
    /// The honeypot: a field a person never sees, so never fills.
    pub website: Option<&'a str>,
    pub client: u128,
    /// The article's slug.
    pub article: &'a str,
}

impl Memory {
    pub fn new(entries: u64) -> Self {
        Memory {
            bodies: moka::sync::Cache::builder()
                .max_capacity(entries)
                .time_to_live(REMEMBER)
                .build(),
            hasher: Default::default(),
        }
    }

    /// Why `post` is spam, or `None`. The body is remembered either way.
    pub fn judge(&self, post: &Post<'_>) -> Option<String> {
        let normal = normalize(post.body);
        let repeated = self.remember(&normal, post);
        if post.website.is_some_and(|w| !w.trim().is_empty()) {
            return Some("the hidden field `website` was filled (a form robot)".into());
        }
        let links = links(post.body);
        if links > MAX_LINKS {
            return Some(format!("{links} links (at most {MAX_LINKS})"));
        }
        if links > 0 && words_outside_links(post.body) < 3 {
            return Some("nothing but links".into());
        }
        if let Some(p) = PHRASES.iter().find(|p| normal.contains(*p)) {
            return Some(format!("a known spam phrase ({p:?})"));
        }
        repeated
    }

    /// Records the body; says so when this client posted it before, or when it is a long
    /// body posted on several articles.
    fn remember(&self, normal: &str, post: &Post<'_>) -> Option<String> {
        let key = self.hasher.hash_one(normal);
        let client = self.hasher.hash_one(post.client);
        let seen = self.bodies.get_with(key, Default::default);
        let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
        let again = seen.clients.contains(&client);
        if !again && seen.clients.len() < 16 {
            seen.clients.push(client);
        }
        let article = self.hasher.hash_one(post.article);
        if !seen.articles.contains(&article) && seen.articles.len() < 16 {
            seen.articles.push(article);
        }
        if again {
            Some("the same body again from this client".into())
        } else if normal.chars().count() >= CAMPAIGN_MIN_CHARS
            && seen.articles.len() >= CAMPAIGN_ARTICLES
        {
            Some(format!("the same body on {} articles", seen.articles.len()))
        } else {
            None
        }
    }
}

/// Lower case, one space between words: what "the same body" compares.
fn normalize(body: &str) -> String {
    body.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Link-like words (`http://`, `https://`, `www.`), in text or Markdown.
fn is_link(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    w.contains("http://") || w.contains("https://") || w.starts_with("www.")
}

fn words(body: &str) -> impl Iterator<Item = &str> {
    body.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '<' | '>' | '"' | '[' | ']'))
        .filter(|w| !w.is_empty())
}

fn links(body: &str) -> usize {
    words(body).filter(|w| is_link(w)).count()
}

fn words_outside_links(body: &str) -> usize {
    words(body)
        .filter(|w| !is_link(w) && w.chars().any(char::is_alphabetic))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLES: [&str; 6] = ["a0", "a1", "a2", "a3", "a4", "a5"];

    fn post(body: &str, client: u128, article: usize) -> Post<'_> {
        Post {
            body,
            website: None,
            client,
            article: ARTICLES[article],
        }
    }

    #[test]
    fn ordinary_comments_pass() {
        let m = Memory::new(100);
        for (i, body) in [
            "I was at the council meeting and this is accurate.",
            "The report is at https://example.org/report, page 4 has the figures.",
            "Thanks!",
        ]
        .iter()
        .enumerate()
        {
            assert_eq!(m.judge(&post(body, i as u128, 1)), None, "{body}");
        }
        // Short and common: many people write it on many articles.
        for article in 1..6 {
            assert_eq!(
                m.judge(&post("Great piece.", 100 + article as u128, article)),
                None
            );
        }
    }

    #[test]
    fn each_rule_names_its_reason() {
        let m = Memory::new(100);
        let mut honeypot = post("Nice article", 1, 1);
        honeypot.website = Some("http://spam.example");
        assert!(m.judge(&honeypot).unwrap().contains("website"));
        let stuffed = "see http://a.example http://b.example www.c.example";
        assert!(m.judge(&post(stuffed, 2, 1)).unwrap().contains("3 links"));
        assert!(m
            .judge(&post("[x](https://a.example)", 3, 1))
            .unwrap()
            .contains("nothing but links"));
        assert!(m
            .judge(&post("Best ONLINE   Casino in town", 4, 1))
            .unwrap()
            .contains("online casino"));
        assert_eq!(
            m.judge(&post("I disagree with the mayor here.", 5, 1)),
            None
        );
        assert!(m
            .judge(&post("I disagree with the mayor here.", 5, 2))
            .unwrap()
            .contains("again"));
        let campaign = "This is a long message that somebody posts everywhere at once.";
        assert_eq!(m.judge(&post(campaign, 10, 1)), None);
        assert_eq!(m.judge(&post(campaign, 11, 2)), None);
        assert!(m
            .judge(&post(campaign, 12, 3))
            .unwrap()
            .contains("3 articles"));
    }
}
