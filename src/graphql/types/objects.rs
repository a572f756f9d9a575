//! Object types over the service's shapes; fields the list query did not fetch resolve through the loaders, in batches.

use std::borrow::Cow;

use super::*;

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
    brief: model::ArticleBrief,
    /// The byline, tags and share counts, when the query that found the article read them;
    /// otherwise loaded in one batch by the fields that show them.
    card: Option<model::ArticleCard>,
    /// Markdown and HTML, when the query that found the article read them.
    body: Option<(String, String)>,
}

impl Article {
    pub fn summary(summary: model::ArticleSummary) -> Self {
        let (brief, card) = summary.into_parts();
        Article {
            brief,
            card: Some(card),
            body: None,
        }
    }

    pub fn brief(brief: model::ArticleBrief) -> Self {
        Article {
            brief,
            card: None,
            body: None,
        }
    }

    pub fn full(a: model::Article) -> Self {
        Article {
            body: Some((a.body, a.body_html)),
            ..Article::summary(a.summary)
        }
    }

    async fn load_body(&self, ctx: &Context<'_>) -> async_graphql::Result<(String, String)> {
        if let Some(b) = &self.body {
            return Ok(b.clone());
        }
        let loaders = ctx.data_unchecked::<Loaders>();
        let row = found(loaders.bodies.load_one(self.brief.id).await, "article")?;
        Ok((row.body, row.body_html))
    }

    async fn card(&self, ctx: &Context<'_>) -> async_graphql::Result<Cow<'_, model::ArticleCard>> {
        if let Some(c) = &self.card {
            return Ok(Cow::Borrowed(c));
        }
        let loaders = ctx.data_unchecked::<Loaders>();
        let card = found(loaders.cards.load_one(self.brief.id).await, "article")?;
        Ok(Cow::Owned(card))
    }
}

/// A news article.
#[Object]
impl Article {
    async fn id(&self) -> ID {
        ID(self.brief.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.brief.slug
    }
    async fn title(&self) -> &str {
        &self.brief.title
    }
    async fn subtitle(&self) -> Option<&str> {
        self.brief.subtitle.as_deref()
    }
    /// The editor's own excerpt, or the first ~200 characters of the text.
    async fn excerpt(&self) -> &str {
        &self.brief.excerpt
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
        self.brief.dateline.as_deref()
    }
    async fn image(&self) -> Option<Image> {
        self.brief.image.as_ref().map(|i| Image {
            url: i.url.clone(),
            alt: i.alt.clone(),
            caption: i.caption.clone(),
            credit: i.credit.clone(),
        })
    }
    /// The primary author: the byline's first.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Author> {
        Ok(Author::from_ref(&self.card(ctx).await?.author))
    }
    /// The byline, in order, the primary author first.
    async fn authors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Author>> {
        let card = self.card(ctx).await?;
        Ok(card.authors.iter().map(Author::from_ref).collect())
    }
    /// The article's versions, newest first (editors and its authors; others get
    /// `FORBIDDEN`). Each names its editor, the fields it changed, and what it held.
    async fn revisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> async_graphql::Result<Vec<Revision>> {
        let r = request(ctx);
        let list = articles_svc::article_revisions(
            &r.state,
            &r.caller,
            &self.brief.slug,
            i64::from(first),
        )
        .await
        .gql()?;
        Ok(list.into_iter().map(Revision).collect())
    }
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Tag>> {
        let card = self.card(ctx).await?;
        Ok(card.tags.iter().map(Tag::from_ref).collect())
    }
    async fn status(&self) -> ArticleStatus {
        self.brief.status.into()
    }
    async fn published_at(&self) -> Option<Timestamp> {
        self.brief.published_at.map(Timestamp)
    }
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.brief.created_at)
    }
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.brief.updated_at)
    }
    async fn reading_time_minutes(&self) -> i32 {
        self.brief.reading_time_minutes
    }
    async fn view_count(&self) -> i64 {
        self.brief.view_count
    }
    async fn share_count(&self) -> i64 {
        self.brief.share_count
    }
    async fn share_counts(&self, ctx: &Context<'_>) -> async_graphql::Result<ShareCounts> {
        let card = self.card(ctx).await?;
        let get = |n: &str| card.share_counts.get(n).copied().unwrap_or(0);
        Ok(ShareCounts {
            whatsapp: get("whatsapp"),
            facebook: get("facebook"),
            x: get("x"),
            telegram: get("telegram"),
            linkedin: get("linkedin"),
            email: get("email"),
            copy: get("copy"),
        })
    }
    /// Every approved comment, replies included (REST `comment_count`). `comments.totalCount`
    /// counts threads: top-level comments only.
    async fn comment_count(&self) -> i64 {
        self.brief.comment_count
    }
    /// Advances on every change; pass it as `expectedVersion` to `updateArticle`.
    async fn version(&self) -> i32 {
        self.brief.version
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
            .load_one((self.brief.id, limit))
            .await
            .gql()?
            .unwrap_or_default();
        request(ctx).shown.articles(list.iter().map(|a| a.id));
        Ok(list.into_iter().map(Article::brief).collect())
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
            .load_one((self.brief.id, args))
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
        let loaders = ctx.data_unchecked::<Loaders>();
        found(loaders.tags.load_one(self.id).await, "tag")
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
        let loaders = ctx.data_unchecked::<Loaders>();
        found(loaders.authors.load_one(self.id).await, "author")
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
