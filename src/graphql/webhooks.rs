//! Webhook endpoints over GraphQL (admins): the same service calls as `/webhooks`.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use super::errors::{parse_id, IntoGql};
use super::request;
use super::types::Timestamp;
use crate::model;
use crate::service::paging::PageParams;
use crate::service::webhooks;

/// A webhook endpoint; its secret is shown at creation and rotation only.
#[derive(SimpleObject)]
pub struct Webhook {
    pub id: ID,
    pub url: String,
    pub description: Option<String>,
    /// Event types it receives (`"*"`: all).
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<model::Webhook> for Webhook {
    fn from(w: model::Webhook) -> Self {
        Webhook {
            id: ID(w.id.to_string()),
            url: w.url,
            description: w.description,
            events: w.events,
            active: w.active,
            created_at: Timestamp(w.created_at),
            updated_at: Timestamp(w.updated_at),
        }
    }
}

/// An endpoint with its signing secret (`whsec_...`), shown this once.
#[derive(SimpleObject)]
pub struct WebhookWithSecret {
    pub secret: String,
    pub webhook: Webhook,
}

impl From<model::WebhookWithSecret> for WebhookWithSecret {
    fn from(w: model::WebhookWithSecret) -> Self {
        WebhookWithSecret {
            secret: w.secret,
            webhook: w.webhook.into(),
        }
    }
}

/// One event for one endpoint, and where its delivery stands.
#[derive(SimpleObject)]
pub struct WebhookDelivery {
    pub id: ID,
    /// The `webhook-id` header, the same on every attempt.
    pub message_id: String,
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<Timestamp>,
    pub last_attempt_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// The body as sent (JSON).
    pub payload: String,
}

impl From<model::WebhookDelivery> for WebhookDelivery {
    fn from(d: model::WebhookDelivery) -> Self {
        WebhookDelivery {
            id: ID(d.id.to_string()),
            message_id: d.message_id,
            event: d.event,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at.map(Timestamp),
            last_attempt_at: d.last_attempt_at.map(Timestamp),
            delivered_at: d.delivered_at.map(Timestamp),
            created_at: Timestamp(d.created_at),
            payload: d.payload.to_string(),
        }
    }
}

#[derive(InputObject)]
pub struct CreateWebhookInput {
    pub url: String,
    /// Event types, or `["*"]` for all.
    pub events: Vec<String>,
    pub description: Option<String>,
    /// Default true.
    pub active: Option<bool>,
}

#[derive(InputObject)]
pub struct UpdateWebhookInput {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

#[derive(Default)]
pub struct WebhooksQuery;

#[Object]
impl WebhooksQuery {
    /// Every webhook endpoint (admins).
    async fn webhooks(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Webhook>> {
        let r = request(ctx);
        r.shown.list();
        let list = webhooks::list(&r.state, &r.caller).await.gql()?;
        Ok(list.into_iter().map(Webhook::from).collect())
    }

    /// An endpoint's delivery log, newest first (admins).
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(validator(minimum = 1))] page: Option<i32>,
        #[graphql(validator(minimum = 1, maximum = 100))] per_page: Option<i32>,
    ) -> async_graphql::Result<Vec<WebhookDelivery>> {
        let r = request(ctx);
        r.shown.list();
        let paging = PageParams {
            page: page.map(i64::from),
            per_page: per_page.map(i64::from),
            ..Default::default()
        };
        let id = parse_id("id", &id)?;
        let page = webhooks::deliveries(&r.state, &r.caller, id, &paging)
            .await
            .gql()?;
        Ok(page.items.into_iter().map(WebhookDelivery::from).collect())
    }
}

#[derive(Default)]
pub struct WebhooksMutation;

#[Object]
impl WebhooksMutation {
    /// Adds a webhook endpoint (admins); the answer holds its secret, this once.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookInput,
    ) -> async_graphql::Result<WebhookWithSecret> {
        let r = request(ctx);
        let input = model::CreateWebhook {
            url: Some(input.url),
            events: Some(input.events),
            description: input.description,
            active: input.active,
        };
        Ok(webhooks::create(&r.state, &r.caller, input)
            .await
            .gql()?
            .into())
    }

    /// Changes an endpoint (admins). An empty `description` clears it.
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateWebhookInput,
    ) -> async_graphql::Result<Webhook> {
        let r = request(ctx);
        let id = parse_id("id", &id)?;
        let input = model::UpdateWebhook {
            url: input.url,
            events: input.events,
            description: input
                .description
                .map(|d| Some(d).filter(|d| !d.trim().is_empty())),
            active: input.active,
        };
        Ok(webhooks::update(&r.state, &r.caller, id, input)
            .await
            .gql()?
            .into())
    }

    /// Removes an endpoint and its delivery log (admins).
    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let r = request(ctx);
        let id = parse_id("id", &id)?;
        webhooks::delete(&r.state, &r.caller, id).await.gql()?;
        Ok(true)
    }

    /// A new signing secret, shown this once; the old one signs beside it for 24 hours.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookWithSecret> {
        let r = request(ctx);
        let id = parse_id("id", &id)?;
        Ok(webhooks::rotate_secret(&r.state, &r.caller, id)
            .await
            .gql()?
            .into())
    }

    /// Sends a delivery again now (admins).
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        id: ID,
        delivery_id: ID,
    ) -> async_graphql::Result<WebhookDelivery> {
        let r = request(ctx);
        let id = parse_id("id", &id)?;
        let delivery_id = parse_id("deliveryId", &delivery_id)?;
        Ok(webhooks::redeliver(&r.state, &r.caller, id, delivery_id)
            .await
            .gql()?
            .into())
    }

    /// Sends a `ping` event now (admins); the answer is its delivery after that attempt.
    async fn ping_webhook(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookDelivery> {
        let r = request(ctx);
        let id = parse_id("id", &id)?;
        Ok(webhooks::ping(&r.state, &r.caller, id).await.gql()?.into())
    }
}
