-- The outbox: every domain event, written in the transaction that made the change. Other
-- nodes read it by position (NOTIFY names the rows), and the webhook worker fans each event
-- out to the endpoints that want it. `dedupe` makes an event that several nodes may notice
-- (a scheduled article going live) be recorded once.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    node TEXT NOT NULL,
    dedupe TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    dispatched BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX outbox_undispatched ON outbox (id) WHERE dispatched = 0;

-- Webhook endpoints (admin). The secret is kept to sign; the one it replaced keeps signing
-- beside it until `previous_secret_until`, so receivers can switch without losing events.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    description TEXT,
    events TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- One event for one endpoint: its exact body, and where its delivery stands. A node sending
-- it holds it until `locked_until` (longer than the request timeout), so no other node sends
-- it meanwhile and a node killed mid-send lets it go.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id BIGINT,
    message_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER,
    last_error TEXT,
    next_attempt_at TIMESTAMP,
    locked_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
