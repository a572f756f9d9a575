//! Webhook endpoints and their deliveries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{webhook_deliveries, webhooks};
use super::{DbConn, DbResult};
use crate::domain::DeliveryStatus;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    pub description: Option<String>,
    pub events: String,
    pub active: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = webhooks)]
pub struct NewWebhook<'a> {
    pub url: &'a str,
    pub description: Option<&'a str>,
    pub events: &'a str,
    pub active: bool,
    pub secret: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = webhooks)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub events: Option<String>,
    pub active: Option<bool>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: Option<i64>,
    pub message_id: String,
    pub event_type: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct NewDelivery<'a> {
    pub webhook_id: i64,
    pub event_id: Option<i64>,
    pub message_id: &'a str,
    pub event_type: &'a str,
    pub payload: &'a str,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// What one attempt came to.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = webhook_deliveries, treat_none_as_null = true)]
pub struct Attempted {
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub locked_until: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, new: &NewWebhook<'_>) -> DbResult<i64> {
    Ok(diesel::insert_into(webhooks::table)
        .values(new)
        .returning(webhooks::id)
        .get_result(conn)?)
}

pub fn list(conn: &mut DbConn) -> DbResult<Vec<WebhookRow>> {
    Ok(webhooks::table
        .order(webhooks::id)
        .select(WebhookRow::as_select())
        .load(conn)?)
}

pub fn active(conn: &mut DbConn) -> DbResult<Vec<WebhookRow>> {
    Ok(webhooks::table
        .filter(webhooks::active.eq(true))
        .order(webhooks::id)
        .select(WebhookRow::as_select())
        .load(conn)?)
}

pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> DbResult<Vec<WebhookRow>> {
    Ok(webhooks::table
        .filter(webhooks::id.eq_any(ids))
        .select(WebhookRow::as_select())
        .load(conn)?)
}

pub fn find(conn: &mut DbConn, id: i64) -> DbResult<Option<WebhookRow>> {
    Ok(webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn update(conn: &mut DbConn, id: i64, changes: &WebhookChanges) -> DbResult<bool> {
    Ok(diesel::update(webhooks::table.find(id))
        .set(changes)
        .execute(conn)?
        == 1)
}

pub fn delete(conn: &mut DbConn, id: i64) -> DbResult<bool> {
    // Deliveries go with it (also where foreign keys are not enforced).
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
        .execute(conn)?;
    Ok(diesel::delete(webhooks::table.find(id)).execute(conn)? == 1)
}

/// A new secret; the old one keeps signing beside it until `until`.
pub fn rotate(
    conn: &mut DbConn,
    id: i64,
    secret: &str,
    previous: &str,
    until: NaiveDateTime,
    now: NaiveDateTime,
) -> DbResult<bool> {
    Ok(diesel::update(webhooks::table.find(id))
        .set((
            webhooks::secret.eq(secret),
            webhooks::previous_secret.eq(Some(previous)),
            webhooks::previous_secret_until.eq(Some(until)),
            webhooks::updated_at.eq(now),
        ))
        .execute(conn)?
        == 1)
}

pub fn insert_delivery(conn: &mut DbConn, new: &NewDelivery<'_>) -> DbResult<i64> {
    Ok(diesel::insert_into(webhook_deliveries::table)
        .values(new)
        .returning(webhook_deliveries::id)
        .get_result(conn)?)
}

pub fn find_delivery(conn: &mut DbConn, webhook_id: i64, id: i64) -> DbResult<Option<DeliveryRow>> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::id.eq(id))
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()?)
}

/// One page of an endpoint's deliveries, newest first, and how many there are.
pub fn deliveries(
    conn: &mut DbConn,
    webhook_id: i64,
    offset: i64,
    limit: i64,
) -> DbResult<(Vec<DeliveryRow>, i64)> {
    let total = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .count()
        .get_result(conn)?;
    let rows = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .order(webhook_deliveries::id.desc())
        .offset(offset)
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Held by no node: never taken, or its hold ended (its node died mid-send).
#[diesel::dsl::auto_type]
fn not_held(now: NaiveDateTime) -> _ {
    webhook_deliveries::locked_until
        .is_null()
        .or(webhook_deliveries::locked_until.lt(now))
}

/// Deliveries still pending, written as the partial index `webhook_deliveries_due` is, so both
/// planners use it: a bound `status = $1` matches no partial index (neither SQLite nor a
/// generic PostgreSQL plan can know the value), and each look, every second and after every
/// write, scanned every delivery kept (`EXPLAIN QUERY PLAN`: `SCAN webhook_deliveries`).
fn pending() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql(&format!(
        "webhook_deliveries.status = '{}'",
        DeliveryStatus::Pending.as_str()
    ))
}

/// Whether any delivery is due and held by no node (a cheap look before a write).
pub fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> DbResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        webhook_deliveries::table
            .filter(pending())
            .filter(webhook_deliveries::next_attempt_at.le(now))
            .filter(not_held(now)),
    ))
    .get_result(conn)?)
}

/// Takes up to `limit` deliveries that are due and held by no node, holding them until
/// `hold_until`. On PostgreSQL, concurrent nodes skip the rows another is taking.
pub fn claim_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    hold_until: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<DeliveryRow>> {
    let due = || {
        webhook_deliveries::table
            .filter(pending())
            .filter(webhook_deliveries::next_attempt_at.le(now))
            .filter(not_held(now))
            .order(webhook_deliveries::next_attempt_at)
            .limit(limit)
            .select(webhook_deliveries::id)
    };
    let ids: Vec<i64> = match conn {
        DbConn::Pg(pg) => due().for_update().skip_locked().load(pg)?,
        DbConn::Sqlite(_) => due().load(conn)?,
    };
    hold(conn, &ids, hold_until)
}

/// Takes one delivery now (a ping, a redelivery) unless a node holds it.
pub fn claim_one(
    conn: &mut DbConn,
    id: i64,
    now: NaiveDateTime,
    hold_until: NaiveDateTime,
) -> DbResult<Option<DeliveryRow>> {
    let free = || {
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(id))
            .filter(not_held(now))
            .select(webhook_deliveries::id)
    };
    let ids: Vec<i64> = match conn {
        DbConn::Pg(pg) => free().for_update().skip_locked().load(pg)?,
        DbConn::Sqlite(_) => free().load(conn)?,
    };
    Ok(hold(conn, &ids, hold_until)?.into_iter().next())
}

fn hold(conn: &mut DbConn, ids: &[i64], until: NaiveDateTime) -> DbResult<Vec<DeliveryRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(ids)))
        .set(webhook_deliveries::locked_until.eq(Some(until)))
        .execute(conn)?;
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::id.eq_any(ids))
        .order(webhook_deliveries::id)
        .select(DeliveryRow::as_select())
        .load(conn)?)
}

pub fn record_attempt(conn: &mut DbConn, id: i64, attempted: &Attempted) -> DbResult<()> {
    diesel::update(webhook_deliveries::table.find(id))
        .set(attempted)
        .execute(conn)?;
    Ok(())
}

/// Sends the delivery again from the start of its backoff.
pub fn restart(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> DbResult<()> {
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::status.eq(DeliveryStatus::Pending),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Drops finished deliveries older than `before`.
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> DbResult<usize> {
    Ok(diesel::delete(
        webhook_deliveries::table
            .filter(webhook_deliveries::status.ne(DeliveryStatus::Pending))
            .filter(webhook_deliveries::created_at.lt(before)),
    )
    .execute(conn)?)
}
