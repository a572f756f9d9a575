//! Root queries, one part per area, merged into `Query`.

use async_graphql::{Context, MergedObject, Object};

use super::errors::{none_if_missing, IntoGql};
use super::loaders::Loaders;
use super::types::*;
use super::{page_params, request};
use crate::service::prefetch::{self, ArticleNeeds};
use crate::service::{accounts, comments, tags};

#[derive(MergedObject, Default)]
pub struct Query(
    ArticlesQuery,
    TagsQuery,
    AuthorsQuery,
    CommentsQuery,
    AccountsQuery,
    super::tokens::TokensQuery,
    super::webhooks::WebhooksQuery,
    super::site::SiteQuery,
    super::editorial::EditorialQuery,
);

#[derive(Default)]
pub struct ArticlesQuery;

#[Object]
impl ArticlesQuery {
    /// One article; drafts and scheduled ones only for editors and the authors on its byline.
    /// `null` when missing. A slug the article had before finds it (its `slug` is the current
    /// one: redirect to it).
    async fn article(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<Article>> {
        let r = request(ctx);
        // The article comes with its body: only what it shows beyond that is loaded, with it.
        let needs = ArticleNeeds {
            body: false,
            ..needs_of(&ctx.look_ahead())
        };
        let found = prefetch::article_with(&r.state, &r.caller, &slug, needs).await;
        let Some((a, loaded)) = none_if_missing(found)? else {
            return Ok(None);
        };
        r.shown.articles([a.summary.id]);
        ctx.data_unchecked::<Loaders>().feed(loaded).await;
        Ok(Some(Article::full(a)))
    }

    /// Articles, newest first by default, as a Relay connection (`first`/`last` at most 100).
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
        filter: Option<ArticleFilter>,
        #[graphql(default)] order_by: ArticleOrder,
    ) -> async_graphql::Result<ArticleConnection> {
        list_articles(
            ctx,
            first,
            after,
            last,
            before,
            filter.unwrap_or_default(),
            order_by,
        )
        .await
    }
}

#[derive(Default)]
pub struct TagsQuery;

#[Object]
impl TagsQuery {
    /// One tag; `null` when missing.
    async fn tag(&self, ctx: &Context<'_>, slug: String) -> async_graphql::Result<Option<Tag>> {
        let r = request(ctx);
        r.shown.list();
        Ok(none_if_missing(tags::get(&r.state, &slug).await)?.map(Tag::full))
    }

    /// All tags by slug, with their counts of live articles.
    #[graphql(complexity = "(first.unwrap_or(20).clamp(0, 100) as usize) * child_complexity + 1")]
    async fn tags(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<TagConnection> {
        let r = request(ctx);
        r.shown.list();
        let page = tags::list(&r.state, &page_params(first, after, None, None)?)
            .await
            .gql()?;
        Ok(connection(page, Tag::full))
    }
}

#[derive(Default)]
pub struct AuthorsQuery;

#[Object]
impl AuthorsQuery {
    /// An author's public profile; `null` when missing.
    async fn author(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<Author>> {
        let r = request(ctx);
        Ok(none_if_missing(accounts::author(&r.state, &slug).await)?.map(Author::full))
    }
}

#[derive(Default)]
pub struct CommentsQuery;

#[Object]
impl CommentsQuery {
    /// The moderation queue (editors), oldest first.
    #[graphql(complexity = "(first.unwrap_or(20).clamp(0, 100) as usize) * child_complexity + 1")]
    async fn comments(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "CommentStatus::Pending")] status: CommentStatus,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CommentConnection> {
        let r = request(ctx);
        r.shown.list();
        let status = crate::domain::CommentStatus::from(status);
        let page = comments::queue(
            &r.state,
            &r.caller,
            Some(status.as_str()),
            &page_params(first, after, None, None)?,
        )
        .await
        .gql()?;
        Ok(connection(page, Comment))
    }
}

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The signed-in account; `null` without a token.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let r = request(ctx);
        if !r.caller.is_signed_in() {
            return Ok(None);
        }
        let user = accounts::me(&r.state, &r.caller).await.gql()?;
        Ok(Some(User { inner: user }))
    }
}
