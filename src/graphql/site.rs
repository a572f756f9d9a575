//! The site's settings over GraphQL: the same service call as `GET /api/v1/site`.

use async_graphql::{Context, Object, SimpleObject};

use super::errors::IntoGql;
use super::request;
use crate::service::site;

/// What feeds and sitemaps call the site, and how a frontend's article URL is made.
#[derive(SimpleObject)]
pub struct Site {
    pub title: String,
    pub description: String,
    /// The frontend's address, without a trailing slash.
    pub url: String,
    /// A BCP 47 language tag.
    pub language: String,
    /// `{url}`, `{slug}`, `{year}`, `{month}`, `{day}` and `{tag}` make an article's URL.
    pub article_url_template: String,
}

#[derive(Default)]
pub struct SiteQuery;

#[Object]
impl SiteQuery {
    /// The site's settings (anyone).
    async fn site(&self, ctx: &Context<'_>) -> async_graphql::Result<Site> {
        let r = request(ctx);
        let s = site::get(&r.state).await.gql()?;
        Ok(Site {
            title: s.title,
            description: s.description,
            url: s.url,
            language: s.language,
            article_url_template: s.article_url_template,
        })
    }
}
