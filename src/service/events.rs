//! Domain events: what each write changed, typed. Use-cases push them while they write;
//! `AppState::write` records them in the outbox in the same transaction, so an event exists
//! exactly when its change committed. Downstream, everything reads events: the response cache
//! drops what an event makes stale (here and, through the outbox, on other nodes), and the
//! webhook worker sends the public ones.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::cache::{Stale, Topic};
use crate::db::{self, DbConn, DbResult};

/// What a public observer could see of an article: enough to find the cached answers and
/// lists it was, or now is, part of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleFacts {
    pub id: i64,
    pub slug: String,
    pub author: String,
    /// The whole byline (events recorded before bylines have only `author`).
    #[serde(default)]
    pub authors: Vec<String>,
    pub tags: Vec<String>,
    /// Published and past its publication time.
    pub live: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// An article became public: published now, or a scheduled one reached its time.
    ArticlePublished {
        article: ArticleFacts,
        data: Value,
    },
    /// A public article changed (and stays public).
    ArticleUpdated {
        article: ArticleFacts,
        before: ArticleFacts,
        data: Value,
    },
    /// A public article went back to draft or archive.
    ArticleUnpublished {
        article: ArticleFacts,
        before: ArticleFacts,
        data: Value,
    },
    ArticleDeleted {
        article: ArticleFacts,
        data: Value,
    },
    /// `pending` (or spam) comments are seen by moderators only.
    CommentCreated {
        article_id: i64,
        pending: bool,
        data: Value,
    },
    CommentApproved {
        article_id: i64,
        data: Value,
    },
    /// An approved comment was rejected, marked spam or deleted.
    CommentWithdrawn {
        article_id: i64,
        comment_id: i64,
    },
    TagCreated {
        tag: String,
        data: Value,
    },
    TagUpdated {
        tag: String,
        previous_slug: Option<String>,
        /// Its slug or name changed: every article showing it shows something else now.
        renamed: bool,
        data: Value,
    },
    TagDeleted {
        tag: String,
        data: Value,
    },
    /// An article's curated related list changed.
    RelatedChanged {
        article_id: i64,
    },
    /// View and share counters of these articles were written.
    CountersWritten {
        articles: Vec<i64>,
    },
    /// An account changed. `profile` names the author when their public profile changed
    /// (name, bio, avatar); a password or role change shows nowhere.
    AccountChanged {
        user_id: i64,
        profile: Option<String>,
        /// The account went (its articles went with it or changed hands).
        removed: bool,
    },
    /// The site's settings changed (feeds and sitemaps show them).
    SiteChanged,
    /// An article was scheduled, or its go-live time moved: every node looks at the
    /// schedule again.
    ScheduleChanged {
        article_id: i64,
    },
}

/// The kinds no webhook carries.
pub const INTERNAL_KINDS: &[&str] = &[
    "comment.withdrawn",
    "related.changed",
    "counters.written",
    "account.changed",
    "site.changed",
    "schedule.changed",
];

impl Event {
    /// The outbox's `kind`: the webhook event type where there is one.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::ArticlePublished { .. } => "article.published",
            Event::ArticleUpdated { .. } => "article.updated",
            Event::ArticleUnpublished { .. } => "article.unpublished",
            Event::ArticleDeleted { .. } => "article.deleted",
            Event::CommentCreated { .. } => "comment.created",
            Event::CommentApproved { .. } => "comment.approved",
            Event::CommentWithdrawn { .. } => "comment.withdrawn",
            Event::TagCreated { .. } => "tag.created",
            Event::TagUpdated { .. } => "tag.updated",
            Event::TagDeleted { .. } => "tag.deleted",
            Event::RelatedChanged { .. } => "related.changed",
            Event::CountersWritten { .. } => "counters.written",
            Event::AccountChanged { .. } => "account.changed",
            Event::SiteChanged => "site.changed",
            Event::ScheduleChanged { .. } => "schedule.changed",
        }
    }

    /// Whether a webhook carries it (without building its `data`).
    pub fn has_webhook(&self) -> bool {
        !INTERNAL_KINDS.contains(&self.kind())
    }

    /// Whether nodes must look at the publishing schedule again.
    pub fn moves_schedule(&self) -> bool {
        matches!(
            self,
            Event::ArticlePublished { .. }
                | Event::ArticleUpdated { .. }
                | Event::ArticleUnpublished { .. }
                | Event::ArticleDeleted { .. }
                | Event::ScheduleChanged { .. }
        )
    }

    /// The webhook this event is sent as (API.md "Webhooks"): its type and `data`.
    pub fn webhook(&self) -> Option<(&'static str, Value)> {
        let data = match self {
            Event::ArticlePublished { data, .. }
            | Event::ArticleUnpublished { data, .. }
            | Event::ArticleDeleted { data, .. }
            | Event::CommentCreated { data, .. }
            | Event::CommentApproved { data, .. }
            | Event::TagCreated { data, .. }
            | Event::TagUpdated { data, .. }
            | Event::TagDeleted { data, .. } => data.clone(),
            Event::ArticleUpdated {
                article,
                before,
                data,
            } => {
                let mut data = data.clone();
                if before.slug != article.slug {
                    data["previous_slug"] = Value::String(before.slug.clone());
                }
                data
            }
            _ => return None,
        };
        Some((self.kind(), data))
    }

    /// What this event makes stale in a response cache.
    pub fn stale(&self) -> Stale {
        match self {
            Event::ArticlePublished { article, .. } | Event::ArticleDeleted { article, .. } => {
                article_stale(None, article)
            }
            Event::ArticleUpdated {
                article, before, ..
            }
            | Event::ArticleUnpublished {
                article, before, ..
            } => article_stale(Some(before), article),
            Event::CommentCreated { pending: true, .. } => Stale::nothing(),
            Event::CommentCreated { article_id, .. }
            | Event::CommentApproved { article_id, .. }
            | Event::CommentWithdrawn { article_id, .. } => Stale {
                // Its thread, and the comment count wherever the article shows.
                articles: vec![*article_id],
                topics: vec![Topic::Content],
                all: false,
            },
            Event::TagCreated { .. } => Stale::topics(vec![Topic::Tags]),
            Event::TagUpdated { renamed: true, .. } | Event::TagDeleted { .. } => {
                Stale::everything()
            }
            Event::TagUpdated {
                tag, previous_slug, ..
            } => {
                let mut topics = vec![Topic::Tags, Topic::Tag(tag.clone()), Topic::Content];
                topics.extend(previous_slug.clone().map(Topic::Tag));
                Stale::topics(topics)
            }
            Event::RelatedChanged { article_id } => Stale {
                articles: vec![*article_id],
                topics: vec![Topic::Content],
                all: false,
            },
            Event::CountersWritten { articles } => Stale {
                articles: articles.clone(),
                topics: vec![Topic::Popular],
                all: false,
            },
            Event::AccountChanged { removed: true, .. } => Stale::everything(),
            Event::AccountChanged {
                profile: Some(_), ..
            } => Stale::everything(),
            Event::AccountChanged { .. } => Stale::nothing(),
            Event::SiteChanged => Stale::everything(),
            Event::ScheduleChanged { .. } => Stale::nothing(),
        }
    }
}

/// An article that is, or was, public changed: its own answers, every list it was or now is
/// in (lists by one of its tags or its author, unfiltered lists and searches), and the tag
/// pages whose counts it moves. An article public neither before nor after shows nowhere.
fn article_stale(before: Option<&ArticleFacts>, after: &ArticleFacts) -> Stale {
    let was_live = before.is_some_and(|b| b.live);
    if !was_live && !after.live && before.is_some() {
        return Stale::nothing();
    }
    let mut topics = vec![Topic::Content, Topic::Lists];
    for facts in before.into_iter().chain([after]) {
        topics.push(Topic::AuthorLists(facts.author.clone()));
        for author in &facts.authors {
            topics.push(Topic::AuthorLists(author.clone()));
        }
        for tag in &facts.tags {
            topics.push(Topic::TagLists(tag.clone()));
            topics.push(Topic::Tag(tag.clone()));
        }
    }
    topics.push(Topic::Tags);
    topics.sort();
    topics.dedup();
    Stale {
        articles: vec![after.id],
        topics,
        all: false,
    }
}

/// The events one write caused, in order.
#[derive(Debug, Default, Clone)]
pub struct Events(Vec<Event>);

impl Events {
    pub fn push(&mut self, event: Event) {
        self.0.push(event);
    }
}

impl IntoIterator for Events {
    type Item = Event;
    type IntoIter = std::vec::IntoIter<Event>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Records `events` in the outbox inside the current transaction and tells the other nodes
/// where they are. `dedupe` (for events several nodes may notice) records each key once;
/// the answer holds the events recorded now.
pub fn record(
    conn: &mut DbConn,
    node: &str,
    events: impl IntoIterator<Item = (Event, Option<String>)>,
) -> DbResult<Vec<Event>> {
    let now = chrono::Utc::now().naive_utc();
    let mut ids = Vec::new();
    let mut recorded = Vec::new();
    for (event, dedupe) in events {
        let payload = serde_json::to_string(&event)
            .map_err(|e| db::DbError::Other(format!("cannot record an event: {e}")))?;
        let row = db::outbox::NewEvent {
            kind: event.kind(),
            payload: &payload,
            node,
            dedupe: dedupe.as_deref(),
            created_at: now,
            // Events no webhook carries have nothing to fan out.
            dispatched: !event.has_webhook(),
        };
        if let Some(id) = db::outbox::record(conn, &row)? {
            ids.push(id.to_string());
            recorded.push(event);
        }
    }
    for payload in db::changes::payloads(node, ids) {
        db::changes::announce(conn, &payload)?;
    }
    Ok(recorded)
}

/// An outbox row read back (another node's event); `None` when it cannot be read, which
/// the caller treats as the widest change.
pub fn parse(payload: &str) -> Option<Event> {
    serde_json::from_str(payload).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: i64, live: bool, tags: &[&str]) -> ArticleFacts {
        ArticleFacts {
            id,
            slug: format!("a{id}"),
            author: "jane".into(),
            authors: vec!["jane".into(), "joe".into()],
            tags: tags.iter().map(|t| t.to_string()).collect(),
            live,
        }
    }

    #[test]
    fn events_survive_the_outbox() {
        let e = Event::ArticleUpdated {
            article: facts(1, true, &["a"]),
            before: facts(1, true, &["b"]),
            data: serde_json::json!({"id": 1}),
        };
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(parse(&text), Some(e));
        assert_eq!(parse("{\"event\":\"nonsense\"}"), None);
    }

    #[test]
    fn a_pending_comment_and_a_password_change_make_nothing_stale() {
        let pending = Event::CommentCreated {
            article_id: 1,
            pending: true,
            data: Value::Null,
        };
        assert_eq!(pending.stale(), Stale::nothing());
        let password = Event::AccountChanged {
            user_id: 1,
            profile: None,
            removed: false,
        };
        assert_eq!(password.stale(), Stale::nothing());
    }

    #[test]
    fn an_article_reaches_only_its_own_tags_lists() {
        let e = Event::ArticleUpdated {
            article: facts(1, true, &["new"]),
            before: facts(1, true, &["old"]),
            data: Value::Null,
        };
        let s = e.stale();
        assert!(s.topics.contains(&Topic::TagLists("new".into())));
        assert!(s.topics.contains(&Topic::TagLists("old".into())));
        assert!(!s.topics.contains(&Topic::TagLists("other".into())));
        let draft = Event::ArticleUpdated {
            article: facts(1, false, &["x"]),
            before: facts(1, false, &["x"]),
            data: Value::Null,
        };
        assert_eq!(draft.stale(), Stale::nothing());
    }

    #[test]
    fn the_webhook_of_a_renamed_article_names_its_previous_slug() {
        let mut renamed = facts(1, true, &[]);
        renamed.slug = "new-slug".into();
        let e = Event::ArticleUpdated {
            article: renamed,
            before: facts(1, true, &[]),
            data: serde_json::json!({"slug": "new-slug"}),
        };
        assert!(e.has_webhook());
        let (kind, data) = e.webhook().unwrap();
        assert_eq!(kind, "article.updated");
        assert_eq!(data["previous_slug"], "a1");
        assert!(Event::CountersWritten { articles: vec![1] }
            .webhook()
            .is_none());
        for e in [
            Event::CountersWritten { articles: vec![] },
            Event::SiteChanged,
            Event::ScheduleChanged { article_id: 1 },
            Event::RelatedChanged { article_id: 1 },
            Event::CommentWithdrawn {
                article_id: 1,
                comment_id: 1,
            },
            Event::AccountChanged {
                user_id: 1,
                profile: None,
                removed: false,
            },
        ] {
            assert!(!e.has_webhook() && e.webhook().is_none());
        }
    }
}
