-- Review: what investigators search and count, derived from the event log.
--
-- A lift's street (街道), for searching and grouping; registers that do not say leave it NULL.
ALTER TABLE lifts ADD COLUMN street TEXT;

-- One row per incident: its facts folded from its events (`review::facts`), kept in step with
-- the log by the review indexer from `review_cursor`. Derived data: it can be dropped and
-- rebuilt from the log at any time. The columns are what a search filters and sorts on; the
-- whole facts (JSON) are kept apart in `incident_fact_bodies`, so a search that walks many rows
-- reads narrow ones and fetches bodies only for the page it answers.
CREATE TABLE incident_facts (
    id            BIGINT PRIMARY KEY,
    opened_at     TIMESTAMPTZ NOT NULL,
    lift_id       BIGINT,
    rescue_code   TEXT,
    district      TEXT,
    street        TEXT,
    company_id    BIGINT,
    channel       TEXT NOT NULL,
    level         INTEGER NOT NULL,
    outcome       TEXT NOT NULL,
    entrapment    BOOLEAN NOT NULL,
    breach_mask   INTEGER NOT NULL,
    response_secs BIGINT,
    arrival_secs  BIGINT,
    rescue_secs   BIGINT,
    last_seq      BIGINT NOT NULL
);
CREATE INDEX incident_facts_opened ON incident_facts (opened_at, id);
CREATE INDEX incident_facts_lift ON incident_facts (lift_id, opened_at);
CREATE INDEX incident_facts_company ON incident_facts (company_id, opened_at);
CREATE INDEX incident_facts_place ON incident_facts (district, street, opened_at);

-- Each incident's facts as JSON (`review::IncidentFacts`), by incident.
CREATE TABLE incident_fact_bodies (
    id   BIGINT PRIMARY KEY,
    body TEXT NOT NULL
);

-- The units paged for each incident, for searching by unit.
CREATE TABLE incident_units (
    unit_id     BIGINT NOT NULL,
    incident_id BIGINT NOT NULL,
    PRIMARY KEY (unit_id, incident_id)
);

-- Each lift's equipment events (faults and recoveries of its IoT terminal and cabin phone),
-- by log row, for the lift's history and the quality evaluation.
CREATE TABLE lift_events (
    seq       BIGINT PRIMARY KEY,
    lift_id   BIGINT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    kind      TEXT NOT NULL,
    equipment TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE INDEX lift_events_lift ON lift_events (lift_id, at);

-- How far the indexer has read the log.
CREATE TABLE review_cursor (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO review_cursor (id, seq) VALUES (1, 0);
