//! Webhooks (API.md "Webhooks (admin)"): endpoints and their admin use-cases. The worker
//! (`deliver`) fans events out of the outbox and sends them, signed as Standard Webhooks
//! says (`sign`), to public addresses only (`target`).

pub mod deliver;
pub mod sign;
pub mod target;

use chrono::NaiveDateTime;

use super::paging::{offset_of, Page, PageParams, PageRequest};
use super::{require_role, AppState, Caller};
use crate::db::webhooks::{DeliveryRow, NewWebhook, WebhookChanges, WebhookRow};
use crate::db::{self, DbConn};
use crate::domain::{now, optional_text, utc, DeliveryStatus, Role};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::model::{CreateWebhook, UpdateWebhook, Webhook, WebhookDelivery, WebhookWithSecret};

/// The event types an endpoint may ask for (besides `"*"`).
pub const EVENT_TYPES: &[&str] = &[
    "article.published",
    "article.updated",
    "article.unpublished",
    "article.deleted",
    "comment.created",
    "comment.approved",
    "tag.created",
    "tag.updated",
    "tag.deleted",
    "ping",
];

/// How long a rotated-out secret keeps signing beside the new one.
const PREVIOUS_SECRET_HOURS: i64 = 24;

/// Wakes the delivery worker when an event it sends was recorded, and holds the HTTP client
/// every delivery of this node goes out with (the worker's, ping's and redeliver's).
#[derive(Debug, Default)]
pub struct Worker {
    wake: tokio::sync::Notify,
    client: std::sync::OnceLock<reqwest::Client>,
}

impl Worker {
    /// The delivery client, built at first use (see `target::client`).
    pub fn client(&self, allow_private: bool) -> Result<&reqwest::Client, String> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        let built = target::client(allow_private)?;
        Ok(self.client.get_or_init(|| built))
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves at the next wake (or at once if one came since the last wait).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// Whether an endpoint subscribed to `events` receives `kind`.
pub fn wants(events: &[String], kind: &str) -> bool {
    kind == "ping" || events.iter().any(|e| e == "*" || e == kind)
}

fn events_of(row: &WebhookRow) -> Vec<String> {
    serde_json::from_str(&row.events).unwrap_or_default()
}

fn view(row: &WebhookRow) -> Webhook {
    Webhook {
        id: row.id,
        url: row.url.clone(),
        description: row.description.clone(),
        events: events_of(row),
        active: row.active,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    }
}

fn delivery_view(row: DeliveryRow) -> WebhookDelivery {
    WebhookDelivery {
        id: row.id,
        message_id: row.message_id,
        event: row.event_type,
        status: row.status,
        attempts: row.attempts,
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        next_attempt_at: row
            .next_attempt_at
            .filter(|_| row.delivered_at.is_none())
            .map(utc),
        last_attempt_at: row.last_attempt_at.map(utc),
        delivered_at: row.delivered_at.map(utc),
        created_at: utc(row.created_at),
        payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
    }
}

/// The event types, checked: known ones or `"*"`, at least one, no repeats.
fn check_events(e: &mut FieldErrors, events: &[String]) -> Option<String> {
    if events.is_empty() {
        e.add("events", "name at least one event type, or \"*\" for all");
        return None;
    }
    if events.len() > EVENT_TYPES.len() {
        e.add(
            "events",
            format!("at most {} event types (or \"*\")", EVENT_TYPES.len()),
        );
        return None;
    }
    let mut seen: Vec<&str> = Vec::new();
    for ev in events {
        if ev != "*" && !EVENT_TYPES.contains(&ev.as_str()) {
            e.add(
                "events",
                format!(
                    "{ev:?} is not an event type; use \"*\" or {}",
                    EVENT_TYPES.join(", ")
                ),
            );
        } else if seen.contains(&ev.as_str()) {
            e.add("events", format!("{ev:?} is listed twice"));
        } else {
            seen.push(ev);
        }
    }
    serde_json::to_string(events).ok()
}

async fn check_url(state: &AppState, e: &mut FieldErrors, raw: &str) -> Option<String> {
    match target::check(raw, state.settings.webhooks_allow_private).await {
        Ok(url) => Some(url.to_string()),
        Err(m) => {
            e.add("url", m);
            None
        }
    }
}

fn find(c: &mut DbConn, id: i64) -> AppResult<WebhookRow> {
    db::webhooks::find(c, id)?.ok_or_else(|| AppError::not_found("webhook"))
}

/// `GET /webhooks` (admins).
pub async fn list(state: &AppState, caller: &Caller) -> AppResult<Vec<Webhook>> {
    require_role(caller, Role::Admin)?;
    let rows = state.db.read_primary(db::webhooks::list).await?;
    Ok(rows.iter().map(view).collect())
}

/// `GET /webhooks/{id}` (admins).
pub async fn get(state: &AppState, caller: &Caller, id: i64) -> AppResult<Webhook> {
    require_role(caller, Role::Admin)?;
    let row = state.db.read_primary(move |c| find(c, id)).await?;
    Ok(view(&row))
}

/// `POST /webhooks` (admins): the secret is in the answer, this once.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    input: CreateWebhook,
) -> AppResult<WebhookWithSecret> {
    require_role(caller, Role::Admin)?;
    state.abuse.write(caller)?;
    let mut e = FieldErrors::new();
    let url = match input.url.as_deref() {
        None => {
            e.add("url", "is required");
            None
        }
        Some(raw) => check_url(state, &mut e, raw).await,
    };
    let events = match input.events.as_deref() {
        None => {
            e.add("events", "is required (event types, or [\"*\"] for all)");
            None
        }
        Some(list) => check_events(&mut e, list),
    };
    let description = optional_text(input.description.as_deref(), 500)
        .map_err(|m| e.add("description", m))
        .ok()
        .flatten();
    e.into_result()?;
    let (Some(url), Some(events)) = (url, events) else {
        return Err(AppError::Internal("validated webhook field missing".into()));
    };
    let secret = sign::new_secret();
    let active = input.active.unwrap_or(true);
    let kept = secret.clone();
    let row = state
        .db
        .write(move |c| {
            let stamp = now();
            let id = db::webhooks::insert(
                c,
                &NewWebhook {
                    url: &url,
                    description: description.as_deref(),
                    events: &events,
                    active,
                    secret: &kept,
                    created_at: stamp,
                    updated_at: stamp,
                },
            )?;
            find(c, id)
        })
        .await?;
    Ok(WebhookWithSecret {
        secret,
        webhook: view(&row),
    })
}

/// `PATCH /webhooks/{id}` (admins).
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: i64,
    input: UpdateWebhook,
) -> AppResult<Webhook> {
    require_role(caller, Role::Admin)?;
    state.abuse.write(caller)?;
    let mut e = FieldErrors::new();
    let url = match input.url.as_deref() {
        Some(raw) => check_url(state, &mut e, raw).await,
        None => None,
    };
    let events = input
        .events
        .as_deref()
        .and_then(|list| check_events(&mut e, list));
    let description = input.description.as_ref().map(|d| {
        optional_text(d.as_deref(), 500)
            .map_err(|m| e.add("description", m))
            .ok()
            .flatten()
    });
    e.into_result()?;
    let changes = WebhookChanges {
        url,
        description,
        events,
        active: input.active,
        updated_at: now(),
    };
    let row = state
        .db
        .write(move |c| {
            find(c, id)?;
            db::webhooks::update(c, id, &changes)?;
            find(c, id)
        })
        .await?;
    Ok(view(&row))
}

/// `DELETE /webhooks/{id}` (admins): the endpoint and its delivery log.
pub async fn delete(state: &AppState, caller: &Caller, id: i64) -> AppResult<()> {
    require_role(caller, Role::Admin)?;
    state.abuse.write(caller)?;
    state
        .db
        .write(move |c| match db::webhooks::delete(c, id)? {
            true => Ok(()),
            false => Err(AppError::not_found("webhook")),
        })
        .await
}

/// `POST /webhooks/{id}/rotate-secret` (admins): a new secret, shown this once; the old one
/// keeps signing beside it for a day, so receivers can switch without losing a delivery.
pub async fn rotate_secret(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> AppResult<WebhookWithSecret> {
    require_role(caller, Role::Admin)?;
    state.abuse.write(caller)?;
    let secret = sign::new_secret();
    let kept = secret.clone();
    let row = state
        .db
        .write(move |c| {
            let current = find(c, id)?;
            let stamp = now();
            let until = stamp + chrono::Duration::hours(PREVIOUS_SECRET_HOURS);
            db::webhooks::rotate(c, id, &kept, &current.secret, until, stamp)?;
            find(c, id)
        })
        .await?;
    Ok(WebhookWithSecret {
        secret,
        webhook: view(&row),
    })
}

/// `GET /webhooks/{id}/deliveries` (admins): the log, newest first.
pub async fn deliveries(
    state: &AppState,
    caller: &Caller,
    id: i64,
    paging: &PageParams,
) -> AppResult<Page<WebhookDelivery>> {
    require_role(caller, Role::Admin)?;
    let req = PageRequest::parse(paging)?;
    if !matches!(req, PageRequest::Offset { .. }) {
        return Err(FieldErrors::one("cursor", "deliveries page by `page`"));
    }
    state
        .db
        .read_primary(move |c| {
            find(c, id)?;
            let (rows, total) =
                db::webhooks::deliveries(c, id, offset_of(&req), req.per_page() + 1)?;
            let mut page = Page::build(
                &req,
                rows,
                total,
                |_| super::paging::CursorKey::new("delivery"),
                delivery_view,
            );
            page.meta.next_cursor = None;
            Ok(page)
        })
        .await
}

/// `POST /webhooks/{id}/deliveries/{delivery_id}/redeliver` (admins): sends it again now
/// (with the same `webhook-id`, so receivers can tell), from the start of its backoff.
pub async fn redeliver(
    state: &AppState,
    caller: &Caller,
    id: i64,
    delivery_id: i64,
) -> AppResult<WebhookDelivery> {
    require_role(caller, Role::Admin)?;
    state.abuse.write(caller)?;
    state
        .db
        .write(move |c| {
            find(c, id)?;
            db::webhooks::find_delivery(c, id, delivery_id)?
                .ok_or_else(|| AppError::not_found("delivery"))?;
            db::webhooks::restart(c, delivery_id, now())?;
            Ok::<_, AppError>(())
        })
        .await?;
    deliver::send_now(state, id, delivery_id).await
}

/// `POST /webhooks/{id}/ping` (admins): a `ping` event, sent now; the answer is the
/// delivery after that attempt (retried like any other if it failed).
pub async fn ping(state: &AppState, caller: &Caller, id: i64) -> AppResult<WebhookDelivery> {
    require_role(caller, Role::Admin)?;
    state.abuse.write(caller)?;
    let delivery_id = state
        .db
        .write(move |c| {
            let hook = find(c, id)?;
            let stamp = now();
            let body = deliver::body("ping", stamp, serde_json::json!({"webhook_id": hook.id}));
            let message_id = sign::message_id();
            Ok::<_, AppError>(db::webhooks::insert_delivery(
                c,
                &db::webhooks::NewDelivery {
                    webhook_id: hook.id,
                    event_id: None,
                    message_id: &message_id,
                    event_type: "ping",
                    payload: &body,
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    next_attempt_at: Some(stamp),
                    created_at: stamp,
                },
            )?)
        })
        .await?;
    deliver::send_now(state, id, delivery_id).await
}

/// The secrets that sign now: the current one, and the one it replaced while it overlaps.
fn secrets_in_force(row: &WebhookRow, at: NaiveDateTime) -> Vec<String> {
    let mut secrets = vec![row.secret.clone()];
    if let (Some(prev), Some(until)) = (&row.previous_secret, row.previous_secret_until) {
        if until > at {
            secrets.push(prev.clone());
        }
    }
    secrets
}
