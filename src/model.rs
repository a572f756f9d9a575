//! The shapes the API shows and takes. REST serializes these directly; GraphQL wraps them.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::domain::{ArticleStatus, CommentStatus, DeliveryStatus, Role};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Image {
    pub url: String,
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct AuthorRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct TagRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// An article as lists show it: the full form without `body` and `body_html`.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ArticleSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub subtitle: Option<String>,
    /// The editor's own excerpt, or the first ~200 characters of the text.
    pub excerpt: String,
    pub dateline: Option<String>,
    pub image: Option<Image>,
    /// The primary author: the byline's first.
    pub author: AuthorRef,
    /// The byline, in order, the primary author first.
    pub authors: Vec<AuthorRef>,
    pub tags: Vec<TagRef>,
    pub status: ArticleStatus,
    /// A `published` article whose `published_at` is in the future is scheduled.
    #[serde(serialize_with = "crate::rfc3339::write_option")]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::rfc3339::write")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::rfc3339::write")]
    pub updated_at: DateTime<Utc>,
    pub reading_time_minutes: i32,
    pub view_count: i64,
    pub share_count: i64,
    /// Shares per network; every network is present.
    pub share_counts: BTreeMap<String, i64>,
    pub comment_count: i64,
    /// Advances on every change; the basis of `ETag` and `If-Match`.
    pub version: i32,
}

/// A summary in a list, as the list read it: kept ready as JSON text, with the counters the
/// text leaves out read from the article's row, or built from the row and card (an article
/// whose kept summary is being rendered again).
#[derive(Debug, Clone, PartialEq)]
pub enum ListedSummary {
    Ready {
        id: i64,
        /// The summary as `ArticleSummary` serializes, without `view_count` and
        /// `comment_count`: a JSON object this server wrote.
        text: String,
        view_count: i64,
        comment_count: i64,
    },
    Built(Box<ArticleSummary>),
}

impl ListedSummary {
    pub fn id(&self) -> i64 {
        match self {
            ListedSummary::Ready { id, .. } => *id,
            ListedSummary::Built(s) => s.id,
        }
    }

    /// Writes the summary as `ArticleSummary` serializes (its fields may come in another
    /// order).
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            ListedSummary::Ready {
                text,
                view_count,
                comment_count,
                ..
            } => {
                // `text` is an object: its closing brace makes room for the counters.
                let open = text.strip_suffix('}').unwrap_or(text);
                out.extend_from_slice(open.as_bytes());
                let sep = if open.ends_with('{') { "" } else { "," };
                write!(
                    out,
                    "{sep}\"view_count\":{view_count},\"comment_count\":{comment_count}}}"
                )
                .map_err(serde_json::Error::io)
            }
            ListedSummary::Built(s) => serde_json::to_writer(out, s),
        }
    }
}

/// A summary without what its card holds (byline, tags, share counts): what a list shows when
/// none of those is asked for, read from the article's row alone. GraphQL's related lists use
/// it, and load the cards only for a selection that shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleBrief {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub excerpt: String,
    pub dateline: Option<String>,
    pub image: Option<Image>,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub reading_time_minutes: i32,
    pub view_count: i64,
    pub share_count: i64,
    pub comment_count: i64,
    pub version: i32,
}

/// What a summary shows beside its article's row: the byline, the tags and the share counts
/// per network, kept together per article (the `article_cards` table).
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleCard {
    /// The primary author: the byline's first.
    pub author: AuthorRef,
    pub authors: Vec<AuthorRef>,
    pub tags: Vec<TagRef>,
    pub share_counts: BTreeMap<String, i64>,
}

impl ArticleSummary {
    pub fn from_parts(b: ArticleBrief, card: ArticleCard) -> Self {
        ArticleSummary {
            id: b.id,
            slug: b.slug,
            title: b.title,
            subtitle: b.subtitle,
            excerpt: b.excerpt,
            dateline: b.dateline,
            image: b.image,
            author: card.author,
            authors: card.authors,
            tags: card.tags,
            status: b.status,
            published_at: b.published_at,
            created_at: b.created_at,
            updated_at: b.updated_at,
            reading_time_minutes: b.reading_time_minutes,
            view_count: b.view_count,
            share_count: b.share_count,
            share_counts: card.share_counts,
            comment_count: b.comment_count,
            version: b.version,
        }
    }

    pub fn into_parts(self) -> (ArticleBrief, ArticleCard) {
        let card = ArticleCard {
            author: self.author,
            authors: self.authors,
            tags: self.tags,
            share_counts: self.share_counts,
        };
        let brief = ArticleBrief {
            id: self.id,
            slug: self.slug,
            title: self.title,
            subtitle: self.subtitle,
            excerpt: self.excerpt,
            dateline: self.dateline,
            image: self.image,
            status: self.status,
            published_at: self.published_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            reading_time_minutes: self.reading_time_minutes,
            view_count: self.view_count,
            share_count: self.share_count,
            comment_count: self.comment_count,
            version: self.version,
        };
        (brief, card)
    }
}

/// The fields of an article's full form (its summary's, then `body` and `body_html`): what
/// `fields=` may name. A test holds it to what an article serializes to.
pub const ARTICLE_FIELDS: &[&str] = &[
    "id",
    "slug",
    "title",
    "subtitle",
    "excerpt",
    "dateline",
    "image",
    "author",
    "authors",
    "tags",
    "status",
    "published_at",
    "created_at",
    "updated_at",
    "reading_time_minutes",
    "view_count",
    "share_count",
    "share_counts",
    "comment_count",
    "version",
    "body",
    "body_html",
];

/// The fields of the summary form (lists): the full form's without the body.
pub fn summary_fields() -> &'static [&'static str] {
    &ARTICLE_FIELDS[..ARTICLE_FIELDS.len() - 2]
}

/// An article in full.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Article {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// Markdown source.
    pub body: String,
    /// Sanitized HTML rendered from `body`.
    pub body_html: String,
}

/// What one version of an article held: what a restore brings back (all but `slug`,
/// `status` and `published_at`, which a restore leaves as they are).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RevisionContent {
    pub slug: String,
    pub title: String,
    pub subtitle: Option<String>,
    /// Markdown source.
    pub body: String,
    /// The editor's own excerpt; `null`: derived from the body.
    pub excerpt: Option<String>,
    pub dateline: Option<String>,
    pub image: Option<Image>,
    pub tags: Vec<TagRef>,
    /// The byline, in order.
    pub authors: Vec<AuthorRef>,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/articles/{slug}/preview`.
#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CreatePreview {
    /// How long the link works, in seconds: 60 to 604800 (7 days); 86400 by default.
    pub ttl_seconds: Option<i64>,
}

/// A preview link: whoever holds it reads the article's current content until it expires or
/// the article's links are revoked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewLink {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// Where the preview is read: `GET` it (no other credential).
    pub url: String,
}

/// One version of an article, as its history lists it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct RevisionSummary {
    /// The article's `version` this revision made.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    /// Who made it; `null` when that account is gone (or for the version an article had
    /// before revisions were kept).
    pub editor: Option<AuthorRef>,
    /// The fields this version changed (every field set, for the first).
    pub changed: Vec<String>,
}

/// One version of an article in full.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Revision {
    #[serde(flatten)]
    pub summary: RevisionSummary,
    #[serde(flatten)]
    pub content: RevisionContent,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    /// Live published articles carrying the tag.
    pub article_count: i64,
}

/// An author's public profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Author {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
}

/// An account, as its owner and admins see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub slug: String,
    pub name: String,
    pub role: Role,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// Exchanged at `POST /api/v1/auth/refresh` for a new access token (and a new refresh
    /// token: each works once). Opaque; 30 days.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
    pub user: User,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// An integration token as lists show it (the token itself is shown once, at creation).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// What it may do: at most its creator's role.
    pub role: Role,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    /// The account it acts as.
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new integration token: `token` is shown this once and never again.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedToken {
    /// `nd_...`: send it as `Authorization: Bearer nd_...`.
    pub token: String,
    #[serde(flatten)]
    pub info: ApiToken,
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What it is for ("build server").
    pub name: Option<String>,
    /// author, editor or admin: at most your own.
    pub role: Option<String>,
    /// RFC 3339; none: until revoked.
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Comment {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub author_name: String,
    /// Shown to editors only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_email: Option<String>,
    /// The article's slug (in the moderation queue).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article_slug: Option<String>,
    pub body: String,
    pub body_html: String,
    pub status: CommentStatus,
    /// Why the spam check held it back (editors only, on `spam` comments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spam_reason: Option<String>,
    #[serde(serialize_with = "crate::rfc3339::write")]
    pub created_at: DateTime<Utc>,
    /// Approved replies, oldest first.
    #[schema(no_recursion)]
    pub replies: Vec<Comment>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RelatedList {
    /// The curated slugs, in order, as stored.
    pub slugs: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ListMeta {
    /// The page number; `null` when paging by cursor.
    pub page: Option<i64>,
    pub per_page: i64,
    pub total: i64,
    pub total_pages: i64,
    /// `false` when counting stopped early (a tag or a search matching more than 10,000 articles):
    /// `total` is then a lower bound.
    pub total_exact: bool,
    /// When `total` was counted. Totals are reused until the next write (for at most 30 s),
    /// so an article going live on its schedule may take that long to be counted.
    pub total_counted_at: DateTime<Utc>,
    /// Pass as `cursor` to get the page after this one; `null` on the last page.
    pub next_cursor: Option<String>,
    /// Pass as `before` to get the page before this one (keyset lists); `null` on the first.
    pub prev_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListResponse<T: ToSchema> {
    pub data: Vec<T>,
    pub meta: ListMeta,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
}

// ---- inputs ----

/// Deserializes a field that may be absent (outer `None`), `null` (inner `None`) or a value.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ImageInput {
    pub url: Option<String>,
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

/// `POST /api/v1/articles`.
#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateArticle {
    /// Required.
    pub title: Option<String>,
    /// Markdown; required. Raw HTML in it is sanitized.
    pub body: Option<String>,
    /// Derived from the title when absent.
    pub slug: Option<String>,
    pub subtitle: Option<String>,
    pub excerpt: Option<String>,
    pub dateline: Option<String>,
    pub image: Option<ImageInput>,
    /// Tag slugs, in order.
    pub tags: Option<Vec<String>>,
    /// The byline: account slugs in order, the first the primary author (default: you).
    pub authors: Option<Vec<String>>,
    /// `draft` (default), `published` or `archived`.
    pub status: Option<String>,
    /// RFC 3339; stamped with the current time when publishing without it.
    pub published_at: Option<String>,
}

/// `PATCH /api/v1/articles/{slug}`: any subset; `null` clears an optional field.
#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateArticle {
    pub title: Option<String>,
    pub body: Option<String>,
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub subtitle: Option<Option<String>>,
    /// `null` returns to the derived excerpt.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub excerpt: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub dateline: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<ImageInput>)]
    pub image: Option<Option<ImageInput>>,
    pub tags: Option<Vec<String>>,
    /// The byline: account slugs in order, the first the primary author.
    pub authors: Option<Vec<String>>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub published_at: Option<Option<String>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRelated {
    /// Slugs of the curated related articles, in order (at most 20).
    pub slugs: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordShare {
    /// whatsapp, facebook, x, telegram, linkedin, email or copy.
    pub network: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AddComment {
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    /// Plain text with light Markdown; at most 5,000 characters.
    pub body: Option<String>,
    /// The comment this one answers (on the same article).
    pub parent_id: Option<i64>,
    /// Leave empty: a field a form hides from people, so that robots fill it. Accepted and
    /// never stored or shown.
    pub website: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerateComment {
    /// approved, spam, rejected (or pending).
    pub status: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateTag {
    pub name: Option<String>,
    /// Derived from the name when absent.
    pub slug: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateTag {
    pub name: Option<String>,
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: Option<String>,
    pub name: Option<String>,
    /// admin, editor or author.
    pub role: Option<String>,
    /// At least 10 characters.
    pub password: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
}

/// Changes to an account. Admins use it on any account (`PATCH /users/{id}`); everyone on their
/// own (`PATCH /me`), where `role` is refused and `password` needs `current_password`.
#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub name: Option<String>,
    pub role: Option<String>,
    pub password: Option<String>,
    pub current_password: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub bio: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub avatar_url: Option<Option<String>>,
}

/// A webhook endpoint (admins). Its secret is shown at creation and rotation only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub description: Option<String>,
    /// The event types it receives (`"*"`: all).
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A webhook endpoint with its signing secret, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    /// `whsec_...`: verify deliveries with it (Standard Webhooks).
    pub secret: String,
    #[serde(flatten)]
    pub webhook: Webhook,
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where deliveries are POSTed: http(s), on a public address.
    pub url: Option<String>,
    /// Event types, or `["*"]` for all.
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    /// Default true.
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub active: Option<bool>,
}

/// One event for one endpoint, and where its delivery stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookDelivery {
    pub id: i64,
    /// The `webhook-id` header: the same on every attempt.
    pub message_id: String,
    /// The event type (`article.published`, `ping`...).
    pub event: String,
    /// `pending`, `delivered` or `failed` (after the last retry).
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// The HTTP status of the last attempt, if it got one.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed (timeout, refused, status).
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The body as sent.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// The site's settings: what feeds and sitemaps say about it, and how a frontend's article
/// URL is made.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Site {
    pub title: String,
    pub description: String,
    /// The frontend's address (no trailing slash), e.g. `https://news.example.com`.
    pub url: String,
    /// A BCP 47 language tag (`en`, `pt-BR`).
    pub language: String,
    /// How an article's URL is made from `{url}`, `{slug}`, `{year}`, `{month}`, `{day}`
    /// (of its publication) and `{tag}` (its first tag, or `news`). Default `{url}/{slug}`.
    pub article_url_template: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateSite {
    pub title: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    pub language: Option<String>,
    pub article_url_template: Option<String>,
}
