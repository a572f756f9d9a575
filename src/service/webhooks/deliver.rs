//! The delivery worker. Each node runs one: it fans new outbox events out to the endpoints
//! that want them (one delivery row per endpoint, in one transaction with marking the event
//! done; `FOR UPDATE SKIP LOCKED` on PostgreSQL so two nodes never fan out one event), then
//! takes due deliveries (held for `HOLD` so no other node sends them meanwhile; a node
//! killed mid-send lets them go when the hold ends) and sends them. Deliveries are
//! at-least-once, as Standard Webhooks expects: receivers dedupe by `webhook-id`.

use std::collections::HashMap;
use std::time::Duration;

use chrono::NaiveDateTime;

use super::{secrets_in_force, sign, target, wants, AppState};
use crate::db::webhooks::{Attempted, DeliveryRow, NewDelivery, WebhookRow};
use crate::db::{self, DbConn};
use crate::domain::now;
use crate::domain::DeliveryStatus;
use crate::error::{AppError, AppResult};
use crate::model::WebhookDelivery;
use crate::service::events;

/// Waits after each failed attempt (API.md): 5 s, 30 s, 2 min, 10 min, 1 h, 6 h, 24 h; then
/// the delivery is marked failed.
const BACKOFF_SECS: [i64; 7] = [5, 30, 120, 600, 3_600, 21_600, 86_400];
/// How long a node holds a delivery it is sending: longer than the 10 s request timeout.
const HOLD_SECS: i64 = 15;
/// How often the worker looks without being woken (due retries, other nodes' events).
const POLL: Duration = Duration::from_secs(1);
const FAN_OUT_BATCH: i64 = 200;
const SEND_BATCH: i64 = 32;
/// Finished deliveries and fanned-out events are kept this long.
const KEEP_DAYS: i64 = 30;
/// Events no webhook carries (counters written, accounts changed...) serve only the nodes
/// listening when they happened: an hour is plenty.
const KEEP_INTERNAL_HOURS: i64 = 1;
const PRUNE_EVERY: Duration = Duration::from_secs(3_600);

/// A delivery's body: `{"type", "timestamp", "data"}`.
pub fn body(kind: &str, at: NaiveDateTime, data: serde_json::Value) -> String {
    serde_json::json!({
        "type": kind,
        "timestamp": at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": data,
    })
    .to_string()
}

/// Runs until `stopped`: fans out and sends whenever woken, and at least every second.
pub async fn run(state: AppState, mut stopped: tokio::sync::oneshot::Receiver<()>) {
    let client = match state.webhooks.client(state.settings.webhooks_allow_private) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks are off");
            return;
        }
    };
    let mut last_prune = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = state.webhooks.woken() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = &mut stopped => return,
        }
        if let Err(e) = fan_out(&state).await {
            tracing::warn!(error = %e, "webhook events not fanned out yet; retrying");
        }
        if let Err(e) = send_due(&state, client).await {
            tracing::warn!(error = %e, "webhook deliveries not sent yet; retrying");
        }
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = tokio::time::Instant::now();
            if let Err(e) = prune(&state).await {
                tracing::warn!(error = %e, "old webhook deliveries not pruned");
            }
        }
    }
}

/// One delivery per endpoint that wants each new event.
async fn fan_out(state: &AppState) -> AppResult<()> {
    if !state
        .db
        .read_primary(|c| db::background(|| db::outbox::any_undispatched(c)))
        .await?
    {
        return Ok(());
    }
    let made = state
        .db
        .write(|c| {
            let rows = db::outbox::take_undispatched(c, FAN_OUT_BATCH)?;
            let hooks: Vec<(WebhookRow, Vec<String>)> = db::webhooks::active(c)?
                .into_iter()
                .map(|h| {
                    let events = super::events_of(&h);
                    (h, events)
                })
                .collect();
            let mut made = 0;
            for row in &rows {
                let Some((kind, data)) = events::parse(&row.payload).and_then(|e| e.webhook())
                else {
                    continue;
                };
                let body = body(kind, row.created_at, data);
                for (hook, _) in hooks.iter().filter(|(_, ev)| wants(ev, kind)) {
                    new_delivery(c, hook.id, Some(row.id), kind, &body, row.created_at)?;
                    made += 1;
                }
            }
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            db::outbox::mark_dispatched(c, &ids)?;
            Ok::<_, AppError>(made)
        })
        .await?;
    if made > 0 {
        tracing::debug!(deliveries = made, "webhook events fanned out");
    }
    Ok(())
}

fn new_delivery(
    c: &mut DbConn,
    webhook_id: i64,
    event_id: Option<i64>,
    kind: &str,
    body: &str,
    at: NaiveDateTime,
) -> AppResult<i64> {
    let message_id = sign::message_id();
    Ok(db::webhooks::insert_delivery(
        c,
        &NewDelivery {
            webhook_id,
            event_id,
            message_id: &message_id,
            event_type: kind,
            payload: body,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(at),
            created_at: now(),
        },
    )?)
}

/// Takes the due deliveries no node holds, sends them at once, records each outcome.
async fn send_due(state: &AppState, client: &reqwest::Client) -> AppResult<()> {
    let at = now();
    if !state
        .db
        .read_primary(move |c| db::background(|| db::webhooks::any_due(c, at)))
        .await?
    {
        return Ok(());
    }
    let taken = state
        .db
        .write(move |c| {
            let hold = now() + chrono::Duration::seconds(HOLD_SECS);
            let rows = db::webhooks::claim_due(c, now(), hold, SEND_BATCH)?;
            with_hooks(c, rows)
        })
        .await?;
    let sends = taken
        .into_iter()
        .map(|(delivery, hook)| async move { finish(state, client, delivery, hook).await });
    for outcome in futures_util::future::join_all(sends).await {
        outcome?;
    }
    Ok(())
}

/// Each delivery with its endpoint.
fn with_hooks(c: &mut DbConn, rows: Vec<DeliveryRow>) -> AppResult<Vec<(DeliveryRow, WebhookRow)>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.webhook_id).collect();
    let hooks: HashMap<i64, WebhookRow> = db::webhooks::by_ids(c, &ids)?
        .into_iter()
        .map(|h| (h.id, h))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|r| hooks.get(&r.webhook_id).cloned().map(|h| (r, h)))
        .collect())
}

/// Sends one held delivery and records what came of it.
async fn finish(
    state: &AppState,
    client: &reqwest::Client,
    delivery: DeliveryRow,
    hook: WebhookRow,
) -> AppResult<DeliveryRow> {
    let outcome = if hook.active {
        attempt(state, client, &delivery, &hook).await
    } else {
        Err((None, "the endpoint was deactivated".to_owned()))
    };
    let attempted = next_state(&delivery, outcome, now(), hook.active);
    if let Some(error) = &attempted.last_error {
        tracing::info!(
            webhook = hook.id,
            delivery = delivery.id,
            attempts = attempted.attempts,
            status = attempted.status.as_str(),
            error = error.as_str(),
            "webhook delivery failed"
        );
    }
    let id = delivery.id;
    let hook_id = hook.id;
    state
        .db
        .write(move |c| {
            db::webhooks::record_attempt(c, id, &attempted)?;
            db::webhooks::find_delivery(c, hook_id, id)?
                .ok_or_else(|| AppError::not_found("delivery"))
        })
        .await
}

/// The HTTP status on success; on failure the status (if any) and why.
async fn attempt(
    state: &AppState,
    client: &reqwest::Client,
    delivery: &DeliveryRow,
    hook: &WebhookRow,
) -> Result<i32, (Option<i32>, String)> {
    let url = url::Url::parse(&hook.url).map_err(|e| (None, format!("bad URL: {e}")))?;
    if !target::literal_allowed(&url, state.settings.webhooks_allow_private) {
        return Err((None, "the URL is on a private address".into()));
    }
    let timestamp = chrono::Utc::now().timestamp();
    let secrets = secrets_in_force(hook, now());
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let signature = sign::header(
        &secrets,
        &delivery.message_id,
        timestamp,
        delivery.payload.as_bytes(),
    );
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &delivery.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.payload.clone())
        .send()
        .await;
    match sent {
        Ok(res) if res.status().is_success() => Ok(i32::from(res.status().as_u16())),
        Ok(res) => {
            let code = i32::from(res.status().as_u16());
            Err((Some(code), format!("answered {}", res.status())))
        }
        Err(e) if e.is_timeout() => Err((None, "no answer within 10 s".into())),
        Err(e) => Err((None, error_chain(&e))),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Where a delivery stands after an attempt: delivered, retried after its backoff, or
/// failed after the last retry (or at once when its endpoint is gone or off).
fn next_state(
    d: &DeliveryRow,
    outcome: Result<i32, (Option<i32>, String)>,
    at: NaiveDateTime,
    retry: bool,
) -> Attempted {
    let attempts = d.attempts + 1;
    match outcome {
        Ok(code) => Attempted {
            status: DeliveryStatus::Delivered,
            attempts,
            last_status_code: Some(code),
            last_error: None,
            next_attempt_at: None,
            locked_until: None,
            last_attempt_at: Some(at),
            delivered_at: Some(at),
        },
        Err((code, error)) => {
            let wait = usize::try_from(attempts - 1)
                .ok()
                .and_then(|i| BACKOFF_SECS.get(i))
                .filter(|_| retry);
            Attempted {
                status: if wait.is_some() {
                    DeliveryStatus::Pending
                } else {
                    DeliveryStatus::Failed
                },
                attempts,
                last_status_code: code,
                last_error: Some(error),
                next_attempt_at: wait.map(|s| at + chrono::Duration::seconds(*s)),
                locked_until: None,
                last_attempt_at: Some(at),
                delivered_at: None,
            }
        }
    }
}

/// Sends one delivery now (ping, redeliver) unless another node holds it; its state after.
pub async fn send_now(state: &AppState, hook_id: i64, id: i64) -> AppResult<WebhookDelivery> {
    let taken = state
        .db
        .write(move |c| {
            let hold = now() + chrono::Duration::seconds(HOLD_SECS);
            let row = db::webhooks::claim_one(c, id, now(), hold)?;
            let taken = with_hooks(c, row.into_iter().collect())?;
            let current = db::webhooks::find_delivery(c, hook_id, id)?
                .ok_or_else(|| AppError::not_found("delivery"))?;
            Ok::<_, AppError>((taken.into_iter().next(), current))
        })
        .await?;
    let row = match taken {
        (Some((delivery, hook)), _) => {
            let client = state
                .webhooks
                .client(state.settings.webhooks_allow_private)
                .map_err(AppError::Internal)?;
            finish(state, client, delivery, hook).await?
        }
        // Another node is sending it right now.
        (None, current) => current,
    };
    Ok(super::delivery_view(row))
}

async fn prune(state: &AppState) -> AppResult<()> {
    let before = now() - chrono::Duration::days(KEEP_DAYS);
    let internal_before = now() - chrono::Duration::hours(KEEP_INTERNAL_HOURS);
    state
        .db
        .write(move |c| {
            db::outbox::prune(c, before, events::INTERNAL_KINDS, internal_before)?;
            db::webhooks::prune(c, before)?;
            Ok::<_, AppError>(())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(attempts: i32) -> DeliveryRow {
        let t = now();
        DeliveryRow {
            id: 1,
            webhook_id: 1,
            event_id: None,
            message_id: "msg_1".into(),
            event_type: "ping".into(),
            payload: "{}".into(),
            status: DeliveryStatus::Pending,
            attempts,
            last_status_code: None,
            last_error: None,
            next_attempt_at: Some(t),
            locked_until: Some(t),
            created_at: t,
            last_attempt_at: None,
            delivered_at: None,
        }
    }

    #[test]
    fn failures_back_off_then_fail() {
        let at = now();
        let first = next_state(&delivery(0), Err((Some(500), "x".into())), at, true);
        assert_eq!(first.status, DeliveryStatus::Pending);
        assert_eq!(
            first.next_attempt_at,
            Some(at + chrono::Duration::seconds(5))
        );
        let seventh = next_state(&delivery(6), Err((None, "x".into())), at, true);
        assert_eq!(
            seventh.next_attempt_at,
            Some(at + chrono::Duration::hours(24))
        );
        let last = next_state(&delivery(7), Err((None, "x".into())), at, true);
        assert_eq!(last.status, DeliveryStatus::Failed);
        assert_eq!(last.next_attempt_at, None);
        let ok = next_state(&delivery(2), Ok(204), at, true);
        assert_eq!(ok.status, DeliveryStatus::Delivered);
        assert_eq!(ok.attempts, 3);
        assert_eq!(ok.locked_until, None);
    }
}
