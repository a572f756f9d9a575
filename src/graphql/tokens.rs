//! Refresh tokens and integration tokens over GraphQL: the same service calls as
//! `POST /auth/refresh`, `/auth/logout` and `/tokens`.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use super::errors::{parse_id, IntoGql};
use super::request;
use super::types::{AuthPayload, Role, Timestamp};
use crate::model;
use crate::service::tokens;

/// An integration token as lists show it: never the token itself.
#[derive(SimpleObject)]
pub struct ApiToken {
    pub id: ID,
    pub name: String,
    pub role: Role,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    /// The account it acts as.
    pub user_id: ID,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

impl From<model::ApiToken> for ApiToken {
    fn from(t: model::ApiToken) -> Self {
        ApiToken {
            id: ID(t.id.to_string()),
            name: t.name,
            role: t.role.into(),
            prefix: t.prefix,
            user_id: ID(t.user_id.to_string()),
            created_at: Timestamp(t.created_at),
            expires_at: t.expires_at.map(Timestamp),
            last_used_at: t.last_used_at.map(Timestamp),
        }
    }
}

/// A new integration token: `token` is shown this once.
#[derive(SimpleObject)]
pub struct CreatedToken {
    /// `nd_...`: send it as `Authorization: Bearer nd_...`.
    pub token: String,
    pub info: ApiToken,
}

#[derive(InputObject)]
pub struct CreateTokenInput {
    /// What it is for ("build server").
    pub name: String,
    /// At most your own role; yours when left out.
    pub role: Option<Role>,
    /// None: until revoked.
    pub expires_at: Option<Timestamp>,
}

#[derive(Default)]
pub struct TokensQuery;

#[Object]
impl TokensQuery {
    /// Your live integration tokens (an admin sees everyone's), newest first.
    async fn tokens(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiToken>> {
        let r = request(ctx);
        r.shown.list();
        let list = tokens::list(&r.state, &r.caller).await.gql()?;
        Ok(list.into_iter().map(ApiToken::from).collect())
    }
}

#[derive(Default)]
pub struct TokensMutation;

#[Object]
impl TokensMutation {
    /// A new access token and refresh token for a refresh token (which then stops working;
    /// presenting it again ends every session of its login).
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        let r = request(ctx);
        let s = tokens::refresh(&r.state, &r.caller, &refresh_token)
            .await
            .gql()?;
        Ok(s.into())
    }

    /// Ends the session of a refresh token.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<bool> {
        let r = request(ctx);
        tokens::logout(&r.state, &r.caller, &refresh_token)
            .await
            .gql()?;
        Ok(true)
    }

    /// Creates an integration token (any signed-in account; a role at most its own).
    async fn create_token(
        &self,
        ctx: &Context<'_>,
        input: CreateTokenInput,
    ) -> async_graphql::Result<CreatedToken> {
        let r = request(ctx);
        let input = model::CreateToken {
            name: Some(input.name),
            role: input
                .role
                .map(|role| crate::domain::Role::from(role).as_str().to_owned()),
            expires_at: input.expires_at.map(|t| t.0.to_rfc3339()),
        };
        let created = tokens::create(&r.state, &r.caller, input).await.gql()?;
        Ok(CreatedToken {
            token: created.token,
            info: created.info.into(),
        })
    }

    /// Revokes an integration token (its creator, or an admin).
    async fn revoke_token(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let r = request(ctx);
        let id = parse_id("id", &id)?;
        tokens::revoke(&r.state, &r.caller, id).await.gql()?;
        Ok(true)
    }
}
