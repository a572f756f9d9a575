//! GraphQL object types over the service's shapes. Fields the list query did not fetch are
//! resolved through the request's loaders, in batches.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, SecondsFormat, Utc};

use super::errors::IntoGql;
use super::loaders::Loaders;
use super::{page_params, request};
use crate::domain;
use crate::model;
use crate::service::articles::{self as articles_svc, ListArticles};
use crate::service::is_editor;
use crate::service::paging::Page;
use crate::service::prefetch::{self, ArticleNeeds, CommentPageArgs};

/// An RFC 3339 instant in UTC, as REST writes it (`2025-03-19T14:05:00Z`).
pub struct Timestamp(pub DateTime<Utc>);

#[async_graphql::Scalar(name = "DateTime")]
impl async_graphql::ScalarType for Timestamp {
    fn parse(value: async_graphql::Value) -> async_graphql::InputValueResult<Self> {
        match &value {
            async_graphql::Value::String(s) => DateTime::parse_from_rfc3339(s)
                .map(|t| Timestamp(t.with_timezone(&Utc)))
                .map_err(|_| async_graphql::InputValueError::custom("not an RFC 3339 instant")),
            _ => Err(async_graphql::InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> async_graphql::Value {
        async_graphql::Value::String(self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

macro_rules! mirror_enum {
    ($(#[$m:meta])* $name:ident => $domain:ty { $($variant:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum $name { $($variant),+ }

        impl From<$domain> for $name {
            fn from(v: $domain) -> Self {
                match v { $(<$domain>::$variant => $name::$variant),+ }
            }
        }

        impl From<$name> for $domain {
            fn from(v: $name) -> Self {
                match v { $($name::$variant => <$domain>::$variant),+ }
            }
        }
    };
}

mirror_enum!(
    /// `PUBLISHED` with a future `publishedAt` is scheduled.
    ArticleStatus => domain::ArticleStatus { Draft, Published, Archived }
);
mirror_enum!(
    CommentStatus => domain::CommentStatus { Pending, Approved, Spam, Rejected }
);
mirror_enum!(
    ShareNetwork => domain::ShareNetwork { Whatsapp, Facebook, X, Telegram, Linkedin, Email, Copy }
);
mirror_enum!(
    Role => domain::Role { Admin, Editor, Author }
);

/// Which articles a list shows; all but `PUBLISHED` are for editors (authors see their own).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ArticleStatusFilter {
    Published,
    Draft,
    Archived,
    Scheduled,
    Any,
}

impl ArticleStatusFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatusFilter::Published => "published",
            ArticleStatusFilter::Draft => "draft",
            ArticleStatusFilter::Archived => "archived",
            ArticleStatusFilter::Scheduled => "scheduled",
            ArticleStatusFilter::Any => "any",
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum ArticleOrder {
    /// Newest first.
    #[default]
    Latest,
    Oldest,
    /// Most viewed first.
    Popular,
}

impl ArticleOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleOrder::Latest => "latest",
            ArticleOrder::Oldest => "oldest",
            ArticleOrder::Popular => "popular",
        }
    }
}

#[derive(InputObject, Default, Clone, Debug)]
pub struct ArticleFilter {
    /// Only articles with this tag (slug).
    pub tag: Option<String>,
    /// Only articles by this author (slug).
    pub author: Option<String>,
    /// Full-text search over titles and bodies; every word must match.
    pub search: Option<String>,
    pub status: Option<ArticleStatusFilter>,
    /// RFC 3339.
    pub published_after: Option<String>,
    /// RFC 3339.
    pub published_before: Option<String>,
}

/// `totalCount` on every connection.
#[derive(SimpleObject)]
pub struct Total {
    /// How many items the whole list holds.
    pub total_count: i64,
    /// `false` when counting stopped early (a tag or a search matching more than 10,000 articles):
    /// `totalCount` is then a lower bound.
    pub total_exact: bool,
}

pub type ArticleConnection = Connection<String, Article, Total>;
pub type TagConnection = Connection<String, Tag, Total>;
pub type CommentConnection = Connection<String, Comment, Total>;

/// A service page as a Relay connection.
pub fn connection<T, N: async_graphql::OutputType>(
    page: Page<T>,
    node: impl Fn(T) -> N,
) -> Connection<String, N, Total> {
    let mut conn = Connection::with_additional_fields(
        page.has_previous,
        page.has_next,
        Total {
            total_count: page.meta.total,
            total_exact: page.meta.total_exact,
        },
    );
    conn.edges = page
        .items
        .into_iter()
        .zip(page.cursors)
        .map(|(item, cursor)| Edge::new(cursor, node(item)))
        .collect();
    conn
}

/// Lists articles through the same service call as REST's `GET /articles`.
#[allow(clippy::too_many_arguments)]
pub async fn list_articles(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
    filter: ArticleFilter,
    order_by: ArticleOrder,
) -> async_graphql::Result<ArticleConnection> {
    let r = request(ctx);
    let params = ListArticles {
        tag: filter.tag,
        author: filter.author,
        q: filter.search,
        sort: Some(order_by.as_str().into()),
        status: filter.status.map(|s| s.as_str().into()),
        published_after: filter.published_after,
        published_before: filter.published_before,
        paging: page_params(first, after, last, before)?,
    };
    let page = articles_svc::list(&r.state, &r.caller, &params)
        .await
        .gql()?;
    r.shown.list();
    let sel = ctx.look_ahead();
    let needs = needs_of(&sel.field("edges").field("node")).merge(needs_of(&sel.field("nodes")));
    prefetch_for(ctx, needs, page.items.clone()).await?;
    Ok(connection(page, Article::summary))
}

/// Loads ahead what the selection shows of these articles, into the request's loaders.
pub async fn prefetch_for(
    ctx: &Context<'_>,
    needs: ArticleNeeds,
    items: Vec<model::ArticleSummary>,
) -> async_graphql::Result<()> {
    let r = request(ctx);
    let loaded = prefetch::load(&r.state, needs, items, is_editor(&r.caller))
        .await
        .gql()?;
    ctx.data_unchecked::<Loaders>().feed(loaded).await;
    Ok(())
}

fn int_arg(f: &async_graphql::SelectionField<'_>, name: &str) -> Option<i64> {
    f.arguments().ok()?.into_iter().find_map(|(n, v)| match v {
        async_graphql::Value::Number(x) if n.as_str() == name => x.as_i64(),
        _ => None,
    })
}

fn string_arg(f: &async_graphql::SelectionField<'_>, name: &str) -> Option<String> {
    f.arguments().ok()?.into_iter().find_map(|(n, v)| match v {
        async_graphql::Value::String(s) if n.as_str() == name => Some(s),
        _ => None,
    })
}

/// What a selection of `Article` fields needs beyond the summary, read from the query.
pub fn needs_of(sel: &async_graphql::Lookahead<'_>) -> ArticleNeeds {
    let mut needs = ArticleNeeds {
        body: sel.field("body").exists() || sel.field("bodyHtml").exists(),
        tag_details: {
            let t = sel.field("tags");
            t.field("description").exists() || t.field("articleCount").exists()
        },
        author_details: {
            let a = sel.field("author");
            a.field("bio").exists() || a.field("avatarUrl").exists()
        },
        ..Default::default()
    };
    for f in sel.field("related").selection_fields() {
        let limit = int_arg(&f, "limit").unwrap_or(5);
        let nested = needs_of(&async_graphql::Lookahead::from(f));
        needs = needs.merge(ArticleNeeds {
            related: vec![(limit, nested)],
            ..Default::default()
        });
    }
    for f in sel.field("comments").selection_fields() {
        let args = CommentPageArgs {
            first: int_arg(&f, "first"),
            after: string_arg(&f, "after"),
        };
        let conn = async_graphql::Lookahead::from(f);
        let mut depth = 0;
        for node in [conn.field("edges").field("node"), conn.field("nodes")] {
            let mut level = node.field("replies");
            let mut d = 0;
            while level.exists() {
                d += 1;
                level = level.field("replies");
            }
            depth = depth.max(d);
        }
        needs = needs.merge(ArticleNeeds {
            comments: vec![(args, depth)],
            ..Default::default()
        });
    }
    needs
}

#[derive(SimpleObject, Clone)]
pub struct Image {
    pub url: String,
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

/// Shares per network.
#[derive(SimpleObject, Clone, Default)]
pub struct ShareCounts {
    pub whatsapp: i64,
    pub facebook: i64,
    pub x: i64,
    pub telegram: i64,
    pub linkedin: i64,
    pub email: i64,
    pub copy: i64,
}

pub struct Article {
    summary: model::ArticleSummary,
    /// Markdown and HTML, when the query that found the article read them.
    body: Option<(String, String)>,
}

impl Article {
    pub fn summary(summary: model::ArticleSummary) -> Self {
        Article {
            summary,
            body: None,
        }
    }

    pub fn full(a: model::Article) -> Self {
        Article {
            summary: a.summary,
            body: Some((a.body, a.body_html)),
        }
    }

    async fn load_body(&self, ctx: &Context<'_>) -> async_graphql::Result<(String, String)> {
        if let Some(b) = &self.body {
            return Ok(b.clone());
        }
        let row = ctx
            .data_unchecked::<Loaders>()
            .bodies
            .load_one(self.summary.id)
            .await
            .gql()?
            .ok_or_else(|| async_graphql::Error::new("the article's body is gone"))?;
        Ok((row.body, row.body_html))
    }
}

/// A news article.
#[Object]
impl Article {
    async fn id(&self) -> ID {
        ID(self.summary.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.summary.slug
    }
    async fn title(&self) -> &str {
        &self.summary.title
    }
    async fn subtitle(&self) -> Option<&str> {
        self.summary.subtitle.as_deref()
    }
    /// The editor's own excerpt, or the first ~200 characters of the text.
    async fn excerpt(&self) -> &str {
        &self.summary.excerpt
    }
    /// Markdown source.
    async fn body(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(self.load_body(ctx).await?.0)
    }
    /// Sanitized HTML rendered from `body`.
    async fn body_html(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(self.load_body(ctx).await?.1)
    }
    async fn dateline(&self) -> Option<&str> {
        self.summary.dateline.as_deref()
    }
    async fn image(&self) -> Option<Image> {
        self.summary.image.as_ref().map(|i| Image {
            url: i.url.clone(),
            alt: i.alt.clone(),
            caption: i.caption.clone(),
            credit: i.credit.clone(),
        })
    }
    async fn author(&self) -> Author {
        Author::from_ref(&self.summary.author)
    }
    async fn tags(&self) -> Vec<Tag> {
        self.summary.tags.iter().map(Tag::from_ref).collect()
    }
    async fn status(&self) -> ArticleStatus {
        self.summary.status.into()
    }
    async fn published_at(&self) -> Option<Timestamp> {
        self.summary.published_at.map(Timestamp)
    }
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.summary.created_at)
    }
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.summary.updated_at)
    }
    async fn reading_time_minutes(&self) -> i32 {
        self.summary.reading_time_minutes
    }
    async fn view_count(&self) -> i64 {
        self.summary.view_count
    }
    async fn share_count(&self) -> i64 {
        self.summary.share_count
    }
    async fn share_counts(&self) -> ShareCounts {
        let get = |n: &str| self.summary.share_counts.get(n).copied().unwrap_or(0);
        ShareCounts {
            whatsapp: get("whatsapp"),
            facebook: get("facebook"),
            x: get("x"),
            telegram: get("telegram"),
            linkedin: get("linkedin"),
            email: get("email"),
            copy: get("copy"),
        }
    }
    /// Every approved comment, replies included (REST `comment_count`). `comments.totalCount`
    /// counts threads: top-level comments only.
    async fn comment_count(&self) -> i64 {
        self.summary.comment_count
    }
    /// Advances on every change; pass it as `expectedVersion` to `updateArticle`.
    async fn version(&self) -> i32 {
        self.summary.version
    }
    /// Curated related articles first, then by shared tags (rarer weigh more), then recent.
    #[graphql(complexity = "(limit.unwrap_or(5).clamp(0, 20) as usize) * child_complexity + 1")]
    async fn related(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 5)] limit: Option<i32>,
    ) -> async_graphql::Result<Vec<Article>> {
        let limit = i64::from(limit.unwrap_or(5));
        let list = ctx
            .data_unchecked::<Loaders>()
            .related
            .load_one((self.summary.id, limit))
            .await
            .gql()?
            .unwrap_or_default();
        request(ctx).shown.articles(list.iter().map(|a| a.id));
        Ok(list.into_iter().map(Article::summary).collect())
    }
    /// Approved top-level comments (threads), oldest first; each carries its `replies`. Its
    /// `totalCount` counts threads; `commentCount` counts every approved comment.
    #[graphql(complexity = "(first.unwrap_or(20).clamp(0, 100) as usize) * child_complexity + 1")]
    async fn comments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CommentConnection> {
        let args = CommentPageArgs {
            first: first.map(i64::from),
            after,
        };
        let page = ctx
            .data_unchecked::<Loaders>()
            .comment_pages
            .load_one((self.summary.id, args))
            .await
            .gql()?
            .ok_or_else(|| async_graphql::Error::new("comments could not be loaded"))?;
        Ok(connection(page, Comment))
    }
}

/// A tag; `description` and `articleCount` come in one batch for all tags on a page.
pub struct Tag {
    id: i64,
    slug: String,
    name: String,
    full: Option<model::Tag>,
}

impl Tag {
    pub fn from_ref(t: &model::TagRef) -> Self {
        Tag {
            id: t.id,
            slug: t.slug.clone(),
            name: t.name.clone(),
            full: None,
        }
    }

    pub fn full(t: model::Tag) -> Self {
        Tag {
            id: t.id,
            slug: t.slug.clone(),
            name: t.name.clone(),
            full: Some(t),
        }
    }

    async fn details(&self, ctx: &Context<'_>) -> async_graphql::Result<model::Tag> {
        if let Some(t) = &self.full {
            return Ok(t.clone());
        }
        ctx.data_unchecked::<Loaders>()
            .tags
            .load_one(self.id)
            .await
            .gql()?
            .ok_or_else(|| async_graphql::Error::new("the tag is gone"))
    }
}

#[Object]
impl Tag {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.slug
    }
    async fn name(&self) -> &str {
        &self.name
    }
    async fn description(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self.details(ctx).await?.description)
    }
    /// Live published articles carrying the tag.
    async fn article_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        // Counts change as scheduled articles go live: cache it as briefly as a list.
        request(ctx).shown.list();
        Ok(self.details(ctx).await?.article_count)
    }
    /// The tag's articles, newest first by default.
    #[graphql(
        complexity = "(first.or(last).unwrap_or(20).clamp(0, 100) as usize) * child_complexity + 1"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default)] order_by: ArticleOrder,
    ) -> async_graphql::Result<ArticleConnection> {
        let filter = ArticleFilter {
            tag: Some(self.slug.clone()),
            ..Default::default()
        };
        list_articles(ctx, first, after, last, before, filter, order_by).await
    }
}

/// An author's public profile; `bio` and `avatarUrl` come in one batch for a page.
pub struct Author {
    id: i64,
    slug: String,
    name: String,
    full: Option<model::Author>,
}

impl Author {
    pub fn from_ref(a: &model::AuthorRef) -> Self {
        Author {
            id: a.id,
            slug: a.slug.clone(),
            name: a.name.clone(),
            full: None,
        }
    }

    pub fn full(a: model::Author) -> Self {
        Author {
            id: a.id,
            slug: a.slug.clone(),
            name: a.name.clone(),
            full: Some(a),
        }
    }

    async fn details(&self, ctx: &Context<'_>) -> async_graphql::Result<model::Author> {
        if let Some(a) = &self.full {
            return Ok(a.clone());
        }
        ctx.data_unchecked::<Loaders>()
            .authors
            .load_one(self.id)
            .await
            .gql()?
            .ok_or_else(|| async_graphql::Error::new("the author is gone"))
    }
}

#[Object]
impl Author {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.slug
    }
    async fn name(&self) -> &str {
        &self.name
    }
    async fn bio(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self.details(ctx).await?.bio)
    }
    async fn avatar_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self.details(ctx).await?.avatar_url)
    }
    /// The author's published articles, newest first by default.
    #[graphql(
        complexity = "(first.or(last).unwrap_or(20).clamp(0, 100) as usize) * child_complexity + 1"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default)] order_by: ArticleOrder,
    ) -> async_graphql::Result<ArticleConnection> {
        let filter = ArticleFilter {
            author: Some(self.slug.clone()),
            ..Default::default()
        };
        list_articles(ctx, first, after, last, before, filter, order_by).await
    }
}

/// A reader's comment. `authorEmail` is shown to editors only.
pub struct Comment(pub model::Comment);

#[Object]
impl Comment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn parent_id(&self) -> Option<ID> {
        self.0.parent_id.map(|p| ID(p.to_string()))
    }
    async fn author_name(&self) -> &str {
        &self.0.author_name
    }
    /// Editors only; `null` for everyone else.
    async fn author_email(&self) -> Option<&str> {
        self.0.author_email.as_deref()
    }
    /// The article's slug (in the moderation queue).
    async fn article_slug(&self) -> Option<&str> {
        self.0.article_slug.as_deref()
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn body_html(&self) -> &str {
        &self.0.body_html
    }
    async fn status(&self) -> CommentStatus {
        self.0.status.into()
    }
    /// Why the spam check held it back (editors only, on `SPAM` comments).
    async fn spam_reason(&self) -> Option<&str> {
        self.0.spam_reason.as_deref()
    }
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }
    /// Approved replies, oldest first.
    async fn replies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Comment>> {
        let replies = ctx
            .data_unchecked::<Loaders>()
            .replies
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        Ok(replies.into_iter().map(Comment).collect())
    }
}

/// An account, as its owner and admins see it.
pub struct User {
    pub inner: model::User,
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.inner.id.to_string())
    }
    async fn email(&self) -> &str {
        &self.inner.email
    }
    async fn slug(&self) -> &str {
        &self.inner.slug
    }
    async fn name(&self) -> &str {
        &self.inner.name
    }
    async fn role(&self) -> Role {
        self.inner.role.into()
    }
    async fn bio(&self) -> Option<&str> {
        self.inner.bio.as_deref()
    }
    async fn avatar_url(&self) -> Option<&str> {
        self.inner.avatar_url.as_deref()
    }
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.inner.created_at)
    }
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.inner.updated_at)
    }
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// Exchanged with `refreshToken` for a new session; works once; 30 days.
    pub refresh_token: String,
    pub refresh_expires_in: i64,
    pub user: User,
}

impl From<model::LoginResponse> for AuthPayload {
    fn from(r: model::LoginResponse) -> Self {
        AuthPayload {
            access_token: r.access_token,
            token_type: r.token_type,
            expires_in: r.expires_in,
            refresh_token: r.refresh_token,
            refresh_expires_in: r.refresh_expires_in,
            user: User { inner: r.user },
        }
    }
}

// ---- inputs: the REST write shapes in camelCase ----

#[derive(InputObject, Clone, Default)]
pub struct ImageInput {
    pub url: String,
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

impl From<ImageInput> for model::ImageInput {
    fn from(i: ImageInput) -> Self {
        model::ImageInput {
            url: Some(i.url),
            alt: i.alt,
            caption: i.caption,
            credit: i.credit,
        }
    }
}

#[derive(InputObject)]
pub struct CreateArticleInput {
    pub title: String,
    /// Markdown; raw HTML in it is sanitized.
    pub body: String,
    /// Derived from the title when absent.
    pub slug: Option<String>,
    pub subtitle: Option<String>,
    pub excerpt: Option<String>,
    pub dateline: Option<String>,
    pub image: Option<ImageInput>,
    /// Tag slugs, in order.
    pub tags: Option<Vec<String>>,
    /// `DRAFT` by default.
    pub status: Option<ArticleStatus>,
    /// RFC 3339; publishing without it stamps the current time.
    pub published_at: Option<String>,
}

impl From<CreateArticleInput> for model::CreateArticle {
    fn from(i: CreateArticleInput) -> Self {
        model::CreateArticle {
            title: Some(i.title),
            body: Some(i.body),
            slug: i.slug,
            subtitle: i.subtitle,
            excerpt: i.excerpt,
            dateline: i.dateline,
            image: i.image.map(Into::into),
            tags: i.tags,
            status: i
                .status
                .map(|s| domain::ArticleStatus::from(s).as_str().into()),
            published_at: i.published_at,
        }
    }
}

/// Any subset of the article's fields; `null` clears an optional one.
#[derive(InputObject, Default)]
pub struct UpdateArticleInput {
    pub title: Option<String>,
    pub body: Option<String>,
    pub slug: Option<String>,
    pub subtitle: async_graphql::MaybeUndefined<String>,
    pub excerpt: async_graphql::MaybeUndefined<String>,
    pub dateline: async_graphql::MaybeUndefined<String>,
    pub image: async_graphql::MaybeUndefined<ImageInput>,
    pub tags: Option<Vec<String>>,
    pub status: Option<ArticleStatus>,
    pub published_at: async_graphql::MaybeUndefined<String>,
}

/// Absent → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
fn patch<T, U>(v: async_graphql::MaybeUndefined<T>, f: impl FnOnce(T) -> U) -> Option<Option<U>> {
    match v {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(f(v))),
    }
}

impl From<UpdateArticleInput> for model::UpdateArticle {
    fn from(i: UpdateArticleInput) -> Self {
        model::UpdateArticle {
            title: i.title,
            body: i.body,
            slug: i.slug,
            subtitle: patch(i.subtitle, |v| v),
            excerpt: patch(i.excerpt, |v| v),
            dateline: patch(i.dateline, |v| v),
            image: patch(i.image, Into::into),
            tags: i.tags,
            status: i
                .status
                .map(|s| domain::ArticleStatus::from(s).as_str().into()),
            published_at: patch(i.published_at, |v| v),
        }
    }
}

#[derive(InputObject)]
pub struct CreateTagInput {
    pub name: String,
    pub slug: Option<String>,
    pub description: Option<String>,
}

#[derive(InputObject, Default)]
pub struct UpdateTagInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: async_graphql::MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct AddCommentInput {
    pub article_slug: String,
    pub author_name: String,
    pub author_email: String,
    pub body: String,
    /// The comment this one answers (on the same article).
    pub parent_id: Option<ID>,
    /// Leave empty: a field a form hides from people, so that robots fill it. Accepted and
    /// never stored or shown.
    pub website: Option<String>,
}

#[derive(InputObject, Default)]
pub struct UpdateMeInput {
    pub name: Option<String>,
    pub password: Option<String>,
    /// Required with `password`.
    pub current_password: Option<String>,
    pub bio: async_graphql::MaybeUndefined<String>,
    pub avatar_url: async_graphql::MaybeUndefined<String>,
}

impl From<UpdateMeInput> for model::UpdateUser {
    fn from(i: UpdateMeInput) -> Self {
        model::UpdateUser {
            name: i.name,
            role: None,
            password: i.password,
            current_password: i.current_password,
            bio: patch(i.bio, |v| v),
            avatar_url: patch(i.avatar_url, |v| v),
        }
    }
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(InputObject, Default)]
pub struct UpdateUserInput {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub password: Option<String>,
    pub bio: async_graphql::MaybeUndefined<String>,
    pub avatar_url: async_graphql::MaybeUndefined<String>,
}

impl From<UpdateUserInput> for model::UpdateUser {
    fn from(i: UpdateUserInput) -> Self {
        model::UpdateUser {
            name: i.name,
            role: i.role.map(|r| domain::Role::from(r).as_str().into()),
            password: i.password,
            current_password: None,
            bio: patch(i.bio, |v| v),
            avatar_url: patch(i.avatar_url, |v| v),
        }
    }
}
