-- Paging delivery. An `outbox` row is one page (a unit paged by a step); its status is
-- 'pending' while it rings and becomes 'accepted', 'declined', 'missed' or 'cancelled' in the
-- same transaction as the event that ends it. `channel` records the channel that reached the
-- unit (the first delivery receipt).
--
-- `outbox_messages` holds one row per message: one attempt of a page's contact plan on one
-- channel (push, SMS, voice call, webhook), unique by its dedupe key
-- `{incident}:{step}:{unit}:{page_no}:{channel}:{n}`, so no message is ever created twice.
CREATE TABLE outbox_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id         INTEGER NOT NULL REFERENCES outbox (id),
    incident_id     INTEGER NOT NULL,
    step            TEXT NOT NULL,
    unit_id         INTEGER NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('push', 'sms', 'voice', 'webhook')),
    n               INTEGER NOT NULL,
    dedupe_key      TEXT NOT NULL,
    status          TEXT NOT NULL
        CHECK (status IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    last_error      TEXT,
    gateway_ref     TEXT,
    recipient       TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CONSTRAINT outbox_messages_dedupe_key_unique UNIQUE (dedupe_key)
) STRICT;
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_messages_sending ON outbox_messages (lease_until) WHERE status = 'sending';
CREATE INDEX outbox_messages_page ON outbox_messages (page_id);
CREATE INDEX outbox_messages_unit ON outbox_messages (incident_id, unit_id);
CREATE INDEX outbox_messages_gateway_ref ON outbox_messages (channel, gateway_ref)
    WHERE gateway_ref IS NOT NULL;
-- Pages still ringing, for the pager's start.
CREATE INDEX outbox_ringing ON outbox (id) WHERE status = 'pending';

-- Web Push subscriptions of crew phones (the browser's PushSubscription).
CREATE TABLE push_subscriptions (
    endpoint   TEXT PRIMARY KEY,
    unit_id    INTEGER NOT NULL,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX push_subscriptions_unit ON push_subscriptions (unit_id);
