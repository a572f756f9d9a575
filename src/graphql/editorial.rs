//! Preview links over GraphQL: the same service calls as `POST`/`DELETE
//! /articles/{slug}/preview` and `GET /preview/{token}`.

use async_graphql::{Context, Object, SimpleObject};

use super::errors::{none_if_missing, IntoGql};
use super::request;
use super::types::{Article, Timestamp};
use crate::model;
use crate::service::articles;

/// A preview link: whoever holds it reads the article's current content until it expires or
/// the article's links are revoked.
#[derive(SimpleObject)]
pub struct PreviewLink {
    pub token: String,
    pub expires_at: Timestamp,
    /// Where REST serves the preview (`GET`, no other credential).
    pub url: String,
}

impl From<model::PreviewLink> for PreviewLink {
    fn from(l: model::PreviewLink) -> Self {
        PreviewLink {
            token: l.token,
            expires_at: Timestamp(l.expires_at),
            url: l.url,
        }
    }
}

#[derive(Default)]
pub struct EditorialQuery;

#[Object]
impl EditorialQuery {
    /// The article a preview link shows, in full, whatever its status; `null` for a link that
    /// is forged, expired or revoked, or whose article is gone. Answers holding it are never
    /// cached (`Cache-Control: private, no-store`, `X-Robots-Tag: noindex`).
    async fn preview(
        &self,
        ctx: &Context<'_>,
        token: String,
    ) -> async_graphql::Result<Option<Article>> {
        let r = request(ctx);
        // Decided before reading: even a refused link's answer is not kept.
        r.shown.private();
        let found = none_if_missing(articles::preview(&r.state, &token).await)?;
        Ok(found.map(Article::full))
    }
}

#[derive(Default)]
pub struct EditorialMutation;

#[Object]
impl EditorialMutation {
    /// A preview link of the article (who may edit it); `ttlSeconds` 60 to 604800, a day by
    /// default.
    async fn create_preview(
        &self,
        ctx: &Context<'_>,
        slug: String,
        ttl_seconds: Option<i64>,
    ) -> async_graphql::Result<PreviewLink> {
        let r = request(ctx);
        let input = model::CreatePreview { ttl_seconds };
        Ok(articles::create_preview(&r.state, &r.caller, &slug, input)
            .await
            .gql()?
            .into())
    }

    /// Revokes every preview link of the article (who may edit it).
    async fn revoke_previews(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<bool> {
        let r = request(ctx);
        articles::revoke_previews(&r.state, &r.caller, &slug)
            .await
            .gql()?;
        Ok(true)
    }
}
