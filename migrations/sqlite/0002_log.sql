-- The alarm inbox, the hash-chained event log and what is projected from it.
-- Timestamps are TEXT in the fixed format of 0001_registry.sql.

-- One row per incident, kept in step with the log by the append transaction.
CREATE TABLE incidents (
    id              INTEGER PRIMARY KEY,
    status          TEXT NOT NULL,
    lift_id         INTEGER,
    rescue_code     TEXT,
    company_id      INTEGER,
    chain           TEXT NOT NULL,
    rules_version   TEXT NOT NULL,
    opened_at       TEXT NOT NULL,
    ended_at        TEXT,
    breached        INTEGER NOT NULL,
    needs_operator  INTEGER NOT NULL,
    lift_unresolved INTEGER NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
CREATE INDEX incidents_opened_at ON incidents (opened_at, id);
CREATE INDEX incidents_lift ON incidents (lift_id, opened_at);
CREATE INDEX incidents_company ON incidents (company_id, opened_at);
CREATE INDEX incidents_open ON incidents (opened_at) WHERE ended_at IS NULL;

-- The inbox: an alarm is accepted once its row is committed; (channel, source id) is one alarm.
CREATE TABLE alarms (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    channel         TEXT NOT NULL,
    source_alarm_id TEXT NOT NULL,
    body            TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    processed_at    TEXT,
    incident_id     INTEGER REFERENCES incidents (id),
    CONSTRAINT alarms_source_unique UNIQUE (channel, source_alarm_id)
) STRICT;
CREATE INDEX alarms_pending ON alarms (id) WHERE processed_at IS NULL;

-- The record. Append-only (see the triggers below) and hash-chained: each row's hash covers the
-- previous row's hash, so an edited, removed or inserted row breaks every hash after it.
-- UNIQUE (prev_hash) means two writers that read the same head cannot both commit.
CREATE TABLE events (
    seq           INTEGER NOT NULL,
    incident_id   INTEGER REFERENCES incidents (id),
    incident_seq  INTEGER,
    at            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    actor         TEXT NOT NULL,
    step          TEXT,
    rules_version TEXT,
    reason        TEXT NOT NULL,
    body          TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (seq),
    CONSTRAINT events_prev_hash_unique UNIQUE (prev_hash),
    CONSTRAINT events_incident_seq_unique UNIQUE (incident_id, incident_seq),
    CONSTRAINT events_seq_positive CHECK (seq >= 1),
    CONSTRAINT events_incident_seq_with_incident
        CHECK ((incident_id IS NULL) = (incident_seq IS NULL))
) STRICT;

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only: UPDATE on events refused');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only: DELETE on events refused');
END;

-- The earliest pending deadline of each incident (deadlines are data, so they survive restarts).
CREATE TABLE deadlines (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id),
    due_at      TEXT NOT NULL
) STRICT;
CREATE INDEX deadlines_due ON deadlines (due_at);

-- One row per message to send. The dedupe key makes a page's row unique whatever retries the
-- writer makes; delivery updates status, attempts and next_attempt_at.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id     INTEGER NOT NULL REFERENCES incidents (id),
    event_seq       INTEGER NOT NULL REFERENCES events (seq),
    step            TEXT NOT NULL,
    unit_id         INTEGER NOT NULL,
    page_no         INTEGER NOT NULL,
    channel         TEXT NOT NULL DEFAULT 'pending',
    dedupe_key      TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    CONSTRAINT outbox_dedupe_key_unique UNIQUE (dedupe_key)
) STRICT;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_page ON outbox (incident_id, step, unit_id);
