//! Root mutations, one part per area: the same service calls as REST's write endpoints.

use async_graphql::{Context, MergedObject, Object, ID};

use super::errors::{parse_id, IntoGql};
use super::request;
use super::types::*;
use crate::model;
use crate::service::{accounts, articles, auth, comments, tags};

#[derive(MergedObject, Default)]
pub struct Mutation(
    ArticlesMutation,
    TagsMutation,
    CommentsMutation,
    AccountsMutation,
    super::tokens::TokensMutation,
    super::webhooks::WebhooksMutation,
    super::editorial::EditorialMutation,
);

#[derive(Default)]
pub struct ArticlesMutation;

#[Object]
impl ArticlesMutation {
    /// Creates an article (authors and up).
    async fn create_article(
        &self,
        ctx: &Context<'_>,
        input: CreateArticleInput,
    ) -> async_graphql::Result<Article> {
        let r = request(ctx);
        let a = articles::create(&r.state, &r.caller, input.into())
            .await
            .gql()?;
        Ok(Article::full(a))
    }

    /// Changes an article; with `expectedVersion`, a stale version is a `CONFLICT`.
    async fn update_article(
        &self,
        ctx: &Context<'_>,
        slug: String,
        input: UpdateArticleInput,
        expected_version: Option<i32>,
    ) -> async_graphql::Result<Article> {
        let r = request(ctx);
        let a = articles::update(&r.state, &r.caller, &slug, input.into(), expected_version)
            .await
            .gql()?;
        Ok(Article::full(a))
    }

    /// Makes that version's content (title, subtitle, body, excerpt, dateline, image, tags,
    /// byline) current as a new version; status, slug and publish time stay. With
    /// `expectedVersion`, a stale version is a `CONFLICT`.
    async fn restore_revision(
        &self,
        ctx: &Context<'_>,
        slug: String,
        version: i32,
        expected_version: Option<i32>,
    ) -> async_graphql::Result<Article> {
        let r = request(ctx);
        let a = articles::restore_revision(&r.state, &r.caller, &slug, version, expected_version)
            .await
            .gql()?;
        Ok(Article::full(a))
    }

    /// Deletes an article (editors).
    async fn delete_article(&self, ctx: &Context<'_>, slug: String) -> async_graphql::Result<bool> {
        let r = request(ctx);
        articles::delete(&r.state, &r.caller, &slug, None)
            .await
            .gql()?;
        Ok(true)
    }

    /// Sets the curated related articles, in order (editors).
    async fn set_related_articles(
        &self,
        ctx: &Context<'_>,
        slug: String,
        slugs: Vec<String>,
    ) -> async_graphql::Result<Article> {
        let r = request(ctx);
        articles::set_related(&r.state, &r.caller, &slug, slugs)
            .await
            .gql()?;
        let a = articles::get(&r.state, &r.caller, &slug).await.gql()?;
        Ok(Article::full(a))
    }

    /// Counts one view of a published article.
    async fn record_view(&self, ctx: &Context<'_>, slug: String) -> async_graphql::Result<bool> {
        let r = request(ctx);
        articles::record_view(&r.state, &r.caller, &slug)
            .await
            .gql()?;
        Ok(true)
    }

    /// Counts one share of a published article.
    async fn record_share(
        &self,
        ctx: &Context<'_>,
        slug: String,
        network: ShareNetwork,
    ) -> async_graphql::Result<bool> {
        let network = crate::domain::ShareNetwork::from(network);
        let r = request(ctx);
        articles::record_share(&r.state, &r.caller, &slug, network.as_str())
            .await
            .gql()?;
        Ok(true)
    }
}

#[derive(Default)]
pub struct TagsMutation;

#[Object]
impl TagsMutation {
    async fn create_tag(
        &self,
        ctx: &Context<'_>,
        input: CreateTagInput,
    ) -> async_graphql::Result<Tag> {
        let r = request(ctx);
        let input = model::CreateTag {
            name: Some(input.name),
            slug: input.slug,
            description: input.description,
        };
        Ok(Tag::full(
            tags::create(&r.state, &r.caller, input).await.gql()?,
        ))
    }

    async fn update_tag(
        &self,
        ctx: &Context<'_>,
        slug: String,
        input: UpdateTagInput,
    ) -> async_graphql::Result<Tag> {
        let r = request(ctx);
        let input = model::UpdateTag {
            name: input.name,
            slug: input.slug,
            description: match input.description {
                async_graphql::MaybeUndefined::Undefined => None,
                async_graphql::MaybeUndefined::Null => Some(None),
                async_graphql::MaybeUndefined::Value(v) => Some(Some(v)),
            },
        };
        Ok(Tag::full(
            tags::update(&r.state, &r.caller, &slug, input)
                .await
                .gql()?,
        ))
    }

    async fn delete_tag(&self, ctx: &Context<'_>, slug: String) -> async_graphql::Result<bool> {
        let r = request(ctx);
        tags::delete(&r.state, &r.caller, &slug).await.gql()?;
        Ok(true)
    }
}

#[derive(Default)]
pub struct CommentsMutation;

#[Object]
impl CommentsMutation {
    /// Posts a comment; `PENDING` unless an editor posts it.
    async fn add_comment(
        &self,
        ctx: &Context<'_>,
        input: AddCommentInput,
    ) -> async_graphql::Result<Comment> {
        let r = request(ctx);
        let parent_id = input
            .parent_id
            .as_ref()
            .map(|id| parse_id("parentId", id))
            .transpose()?;
        let add = model::AddComment {
            author_name: Some(input.author_name),
            author_email: Some(input.author_email),
            body: Some(input.body),
            parent_id,
            website: input.website,
        };
        let c = comments::add(&r.state, &r.caller, &input.article_slug, add)
            .await
            .gql()?;
        Ok(Comment(c))
    }

    /// Moderates a comment (editors).
    async fn moderate_comment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: CommentStatus,
    ) -> async_graphql::Result<Comment> {
        let r = request(ctx);
        let id = parse_id("id", &id)?;
        let status = crate::domain::CommentStatus::from(status);
        let c = comments::moderate(&r.state, &r.caller, id, status.as_str())
            .await
            .gql()?;
        Ok(Comment(c))
    }

    /// Deletes a comment and its replies (editors).
    async fn delete_comment(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let r = request(ctx);
        let id = parse_id("id", &id)?;
        comments::delete(&r.state, &r.caller, id).await.gql()?;
        Ok(true)
    }
}

#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Exchanges an email and password for a bearer token.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> async_graphql::Result<AuthPayload> {
        let r = request(ctx);
        let res = auth::login(&r.state, &r.caller, &email, &password)
            .await
            .gql()?;
        Ok(res.into())
    }

    /// Changes one's own profile or password (a new password needs `currentPassword`).
    async fn update_me(
        &self,
        ctx: &Context<'_>,
        input: UpdateMeInput,
    ) -> async_graphql::Result<User> {
        let r = request(ctx);
        let u = accounts::update_me(&r.state, &r.caller, input.into())
            .await
            .gql()?;
        Ok(User { inner: u })
    }

    /// Creates an account (admins).
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> async_graphql::Result<User> {
        let r = request(ctx);
        let input = model::CreateUser {
            email: Some(input.email),
            name: Some(input.name),
            role: Some(crate::domain::Role::from(input.role).as_str().into()),
            password: Some(input.password),
            bio: input.bio,
            avatar_url: input.avatar_url,
        };
        let u = accounts::create(&r.state, &r.caller, input).await.gql()?;
        Ok(User { inner: u })
    }

    /// Changes an account (admins).
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateUserInput,
    ) -> async_graphql::Result<User> {
        let r = request(ctx);
        let id = parse_id("id", &id)?;
        let u = accounts::update(&r.state, &r.caller, id, input.into())
            .await
            .gql()?;
        Ok(User { inner: u })
    }

    /// Deletes an account (admins); one with articles needs `reassignTo`.
    async fn delete_user(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reassign_to: Option<ID>,
    ) -> async_graphql::Result<bool> {
        let r = request(ctx);
        let id = parse_id("id", &id)?;
        let to = reassign_to
            .as_ref()
            .map(|t| parse_id("reassignTo", t))
            .transpose()?;
        accounts::delete(&r.state, &r.caller, id, to).await.gql()?;
        Ok(true)
    }
}
