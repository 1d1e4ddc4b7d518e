//! The SQL both engines run. PostgreSQL and SQLite (3.35+) agree on everything used here:
//! `$n` parameters, `ON CONFLICT … DO NOTHING / DO UPDATE … excluded.x`, `RETURNING`, partial
//! indexes. Timestamps are bound as `types::Ts`, which compares correctly on both (see
//! `types`). What differs between the engines — how a writer takes the log — is passed to the
//! shared implementation by each adapter.

/// Columns of `events`, in `log_row::LogRow` order.
macro_rules! log_columns {
    () => {
        "seq, incident_id, incident_seq, at, kind, actor, step, rules_version, reason, body, \
         prev_hash, hash"
    };
}
pub(crate) use log_columns;
/// Columns of `lifts`, in `rows::LiftRow` order.
macro_rules! lift_columns {
    () => {
        "id, rescue_code, registration_code, district, cabin_phone, device_id, address, \
         building, lat, lon, commissioned, use_unit, use_unit_phone, maintainer, \
         no_property_management, no_maintenance_unit, no_repair_fund, street"
    };
}
/// Columns of `units`, in `rows::UnitRow` order.
macro_rules! unit_columns {
    () => {
        "id, name, kind, company, skills, phone, on_duty, fix_lat, fix_lon, fix_taken, \
         contact_plan, base_lat, base_lon"
    };
}
/// Columns of `incidents`, in `rows::IncidentDbRow` order.
macro_rules! incident_columns {
    () => {
        "id, status, lift_id, rescue_code, company_id, chain, rules_version, opened_at, \
         ended_at, breached, needs_operator, lift_unresolved, updated_at"
    };
}
pub(crate) use incident_columns;

pub const PING: &str = "SELECT 1";

// The inbox. (channel, source_alarm_id) is UNIQUE, so of two concurrent copies exactly one
// insert returns an id; the other finds the first copy afterwards (PostgreSQL makes the second
// insert wait for the first to commit; SQLite runs one writer at a time).
pub const INSERT_ALARM: &str = "INSERT INTO alarms (channel, source_alarm_id, body, received_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (channel, source_alarm_id) DO NOTHING RETURNING id";
pub const FIND_ALARM: &str = "SELECT id, body, received_at, incident_id FROM alarms \
     WHERE channel = $1 AND source_alarm_id = $2";
// Alarm ids are allocated in commit order on SQLite and in insert order on PostgreSQL, so "id
// order" is arrival order up to concurrent inserts, which is all the desk needs.
pub const PENDING_ALARMS: &str = "SELECT id, body, received_at, incident_id FROM alarms WHERE processed_at IS NULL \
     ORDER BY id LIMIT $1";
pub const INBOX_DEPTH: &str = "SELECT COUNT(*) FROM alarms WHERE processed_at IS NULL";
/// The head of a multi-row inbox INSERT; the rows follow as `VALUES (…), (…)`, then
/// [`ON_ALARM_CONFLICT`].
pub const INSERT_ALARMS: &str = "INSERT INTO alarms (channel, source_alarm_id, body, received_at) ";
pub const ON_ALARM_CONFLICT: &str = " ON CONFLICT (channel, source_alarm_id) DO NOTHING \
     RETURNING id, channel, source_alarm_id";
pub const ALARM_INCIDENT: &str = "SELECT incident_id FROM alarms WHERE id = $1";
// The first decision that takes an alarm keeps it.
// Marks alarms processed: the caller appends the time, the CASE of incidents and the ids.
pub const MARK_ALARMS: &str = "UPDATE alarms SET processed_at = ";

// The log. seq is assigned by the writer holding the log (see the adapters), never by a
// sequence, so it has no gaps; the last row is the head the next row chains from.
pub const LOG_HEAD: &str = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1";

/// A command forwarded by a standby, answered (PostgreSQL only: `migrations/postgres/0012`);
/// an answer already written stays.
pub const ANSWER_COMMAND: &str = "UPDATE desk_commands SET answer = $2::jsonb, answered_at = now() \
     WHERE id = $1 AND answered_at IS NULL";
/// The head of a multi-row INSERT into the log; the rows follow as `VALUES (…), (…)`.
pub const INSERT_EVENTS: &str = concat!("INSERT INTO events (", log_columns!(), ") ");
pub const LOG_PAGE: &str = concat!(
    "SELECT ",
    log_columns!(),
    " FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"
);
// A range of the primary key, filtered: an incident's span of the log, not the whole log.
pub const DUTY_EVENTS: &str = concat!(
    "SELECT ",
    log_columns!(),
    " FROM events WHERE seq > $1 AND seq < $2 AND kind IN ('unit_duty', 'storm_solved') ORDER BY seq"
);
pub const TIMELINE: &str = concat!(
    "SELECT ",
    log_columns!(),
    " FROM events WHERE incident_id = $1 ORDER BY seq"
);
// ended_at is set exactly when the projection's status becomes closed, cancelled or false
// alarm (projection::apply), so this is "every event of every incident not ended".
pub const OPEN_INCIDENT_EVENTS: &str = concat!(
    "SELECT ",
    log_columns!(),
    " FROM events WHERE incident_id IN (SELECT id FROM incidents WHERE ended_at IS NULL) \
     ORDER BY seq"
);

/// Equipment supervision reports, in log order (a restart rebuilds equipment health from them;
/// the partial index of migration 0004 keeps this a scan of those rows only).
pub const EQUIPMENT_EVENTS: &str = concat!(
    "SELECT ",
    log_columns!(),
    " FROM events WHERE kind IN ('equipment_fault', 'equipment_ok') ORDER BY seq"
);

/// The daily seals (`log_sealed` rows) with `seq < $1`, newest first, at most `$2`.
pub const SEALS: &str = concat!(
    "SELECT ",
    log_columns!(),
    " FROM events WHERE kind = 'log_sealed' AND seq < $1 ORDER BY seq DESC LIMIT $2"
);

/// Log rows at or after `$1` and before `$2` with `seq > $3`, in order, at most `$4` (a
/// period's export, page by page; the primary key orders the walk).
pub const LOG_PERIOD: &str = concat!(
    "SELECT ",
    log_columns!(),
    " FROM events WHERE at >= $1 AND at < $2 AND seq > $3 ORDER BY seq LIMIT $4"
);
/// Incidents opened at or after `$1` and before `$2` with `id > $3`, in id order, at most `$4`.
pub const INCIDENTS_OPENED: &str = concat!(
    "SELECT ",
    incident_columns!(),
    " FROM incidents WHERE opened_at >= $1 AND opened_at < $2 AND id > $3 ORDER BY id LIMIT $4"
);
/// The last log row of each incident named after it, `(v1, v2, …)` appended by the caller.
pub const INCIDENT_HEADS_IN: &str = "SELECT e.incident_id, e.seq, e.hash FROM events e \
     WHERE e.incident_seq = (SELECT MAX(l.incident_seq) FROM events l WHERE l.incident_id = e.incident_id) \
     AND e.incident_id IN ";

// Projections of the log, written in the append transaction.
pub const INCIDENT: &str = concat!(
    "SELECT ",
    incident_columns!(),
    " FROM incidents WHERE id = $1"
);
pub const SELECT_INCIDENTS: &str = concat!("SELECT ", incident_columns!(), " FROM incidents");
// The batched forms: the caller appends `(v1, v2, …)` (QueryBuilder's separated binds) and,
// for the upsert, the conflict clause.
pub const INCIDENTS_IN: &str = concat!(
    "SELECT ",
    incident_columns!(),
    " FROM incidents WHERE id IN "
);
pub const LAST_INCIDENT_SEQS_IN: &str =
    "SELECT incident_id, MAX(incident_seq) FROM events WHERE incident_id IN ";
pub const GROUP_BY_INCIDENT: &str = " GROUP BY incident_id";
pub const LAST_PAGE_NOS_IN: &str =
    "SELECT incident_id, step, unit_id, MAX(page_no) FROM outbox WHERE incident_id IN ";
pub const GROUP_BY_PAGE: &str = " GROUP BY incident_id, step, unit_id";
pub const UPSERT_INCIDENTS: &str = concat!("INSERT INTO incidents (", incident_columns!(), ") ");
/// Incidents an append opens: inserted only, the ids returned (one missing was open already).
pub const ON_INCIDENT_OPENED: &str = " ON CONFLICT (id) DO NOTHING RETURNING id";
/// Incidents an append moves on: each row replaced by its new state.
macro_rules! on_incident_conflict {
    () => {
        " ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
         lift_id = excluded.lift_id, rescue_code = excluded.rescue_code, \
         company_id = excluded.company_id, chain = excluded.chain, \
         rules_version = excluded.rules_version, opened_at = excluded.opened_at, \
         ended_at = excluded.ended_at, breached = excluded.breached, \
         needs_operator = excluded.needs_operator, lift_unresolved = excluded.lift_unresolved, \
         updated_at = excluded.updated_at"
    };
}
pub(crate) use on_incident_conflict;
pub const ON_INCIDENT_CONFLICT: &str = on_incident_conflict!();
// A page already in the outbox (same dedupe key) is left as it is.
pub const INSERT_OUTBOX_ROWS: &str = "INSERT INTO outbox (incident_id, event_seq, step, \
     unit_id, page_no, dedupe_key, next_attempt_at, created_at, payload) ";
pub const ON_OUTBOX_CONFLICT: &str = " ON CONFLICT (dedupe_key) DO NOTHING";
pub const SET_DUTY: &str = "UPDATE units SET on_duty = $1 WHERE id = $2";
// A page that stops ringing ($1 status; $2 incident; $3 before this log row; $4 unit) and its
// messages not yet sent ($1 when; $2 why; $3 incident; $4 before; $5 unit).
pub const END_PAGES_OF_UNIT: &str = "UPDATE outbox SET status = $1 WHERE incident_id = $2 \
     AND event_seq < $3 AND unit_id = $4 AND status = 'pending'";
pub const END_PAGES_OF_INCIDENT: &str = "UPDATE outbox SET status = $1 WHERE incident_id = $2 \
     AND event_seq < $3 AND status = 'pending'";
pub const CANCEL_MESSAGES_OF_UNIT: &str = "UPDATE outbox_messages SET status = 'cancelled', \
     updated_at = $1, last_error = $2 WHERE status = 'pending' AND page_id IN \
     (SELECT id FROM outbox WHERE incident_id = $3 AND event_seq < $4 AND unit_id = $5)";
pub const CANCEL_MESSAGES_OF_INCIDENT: &str = "UPDATE outbox_messages SET status = 'cancelled', \
     updated_at = $1, last_error = $2 WHERE status = 'pending' AND page_id IN \
     (SELECT id FROM outbox WHERE incident_id = $3 AND event_seq < $4)";
pub const SET_DEADLINES: &str = "INSERT INTO deadlines (incident_id, due_at) ";
pub const ON_DEADLINE_CONFLICT: &str =
    " ON CONFLICT (incident_id) DO UPDATE SET due_at = excluded.due_at";
pub const CLEAR_DEADLINES_IN: &str = "DELETE FROM deadlines WHERE incident_id IN ";
pub const PENDING_DEADLINES: &str =
    "SELECT incident_id, due_at FROM deadlines ORDER BY due_at, incident_id";

// The registry. Puts are multi-row upserts built with a QueryBuilder from these heads.
pub const UPSERT_COMPANIES: &str = "INSERT INTO companies (id, name, kind) ";
pub const UPSERT_COMPANIES_TAIL: &str =
    " ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind";
pub const UPSERT_LIFTS: &str = concat!("INSERT INTO lifts (", lift_columns!(), ") ");
pub const UPSERT_LIFTS_TAIL: &str = " ON CONFLICT (id) DO UPDATE SET \
     rescue_code = excluded.rescue_code, registration_code = excluded.registration_code, \
     district = excluded.district, cabin_phone = excluded.cabin_phone, \
     device_id = excluded.device_id, address = excluded.address, building = excluded.building, \
     lat = excluded.lat, lon = excluded.lon, commissioned = excluded.commissioned, \
     use_unit = excluded.use_unit, use_unit_phone = excluded.use_unit_phone, \
     maintainer = excluded.maintainer, \
     no_property_management = excluded.no_property_management, \
     no_maintenance_unit = excluded.no_maintenance_unit, no_repair_fund = excluded.no_repair_fund, \
     street = excluded.street";
pub const UPSERT_UNITS: &str = concat!("INSERT INTO units (", unit_columns!(), ") ");
pub const UPSERT_UNITS_TAIL: &str = " ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
     kind = excluded.kind, company = excluded.company, skills = excluded.skills, \
     phone = excluded.phone, on_duty = excluded.on_duty, fix_lat = excluded.fix_lat, \
     fix_lon = excluded.fix_lon, fix_taken = excluded.fix_taken, \
     contact_plan = excluded.contact_plan, base_lat = excluded.base_lat, \
     base_lon = excluded.base_lon";
pub const LIFT_BY_ID: &str = concat!("SELECT ", lift_columns!(), " FROM lifts WHERE id = $1");
pub const LIFT_BY_RESCUE_CODE: &str = concat!(
    "SELECT ",
    lift_columns!(),
    " FROM lifts WHERE rescue_code = $1"
);
pub const LIFT_BY_REGISTRATION_CODE: &str = concat!(
    "SELECT ",
    lift_columns!(),
    " FROM lifts WHERE registration_code = $1"
);
// Phones and devices are not unique in the registry (a shared line); the lowest id answers.
pub const LIFT_BY_PHONE: &str = concat!(
    "SELECT ",
    lift_columns!(),
    " FROM lifts WHERE cabin_phone = $1 ORDER BY id LIMIT 1"
);
pub const LIFT_BY_DEVICE: &str = concat!(
    "SELECT ",
    lift_columns!(),
    " FROM lifts WHERE device_id = $1 ORDER BY id LIMIT 1"
);
/// The lifts some references of one kind name (id, rescue code, registration code, cabin
/// phone, terminal): the list follows as `((…), (…))`.
pub const LIFTS_WHERE: [&str; 5] = [
    concat!("SELECT ", lift_columns!(), " FROM lifts WHERE id IN "),
    concat!(
        "SELECT ",
        lift_columns!(),
        " FROM lifts WHERE rescue_code IN "
    ),
    concat!(
        "SELECT ",
        lift_columns!(),
        " FROM lifts WHERE registration_code IN "
    ),
    concat!(
        "SELECT ",
        lift_columns!(),
        " FROM lifts WHERE cabin_phone IN "
    ),
    concat!(
        "SELECT ",
        lift_columns!(),
        " FROM lifts WHERE device_id IN "
    ),
];
/// PostgreSQL: finds the lift (`WHERE` the given condition on `$1`) and, only if there is one,
/// inserts the alarm (`$2`..`$5` as in [`INSERT_ALARM`]); one row, the lift's columns and the
/// new alarm's id (null: a copy was there), or no row and nothing written.
macro_rules! insert_for_lift {
    ($where:literal) => {
        concat!(
            "WITH l AS (SELECT ",
            lift_columns!(),
            " FROM lifts WHERE ",
            $where,
            "), a AS (INSERT INTO alarms (channel, source_alarm_id, body, received_at) \
             SELECT $2, $3, $4, $5 FROM l \
             ON CONFLICT (channel, source_alarm_id) DO NOTHING RETURNING id) \
             SELECT l.*, (SELECT id FROM a) AS alarm_id FROM l"
        )
    };
}
pub const ALARM_FOR_LIFT_BY_ID: &str = insert_for_lift!("id = $1");
pub const ALARM_FOR_LIFT_BY_RESCUE_CODE: &str = insert_for_lift!("rescue_code = $1");
pub const ALARM_FOR_LIFT_BY_REGISTRATION_CODE: &str = insert_for_lift!("registration_code = $1");
pub const ALARM_FOR_LIFT_BY_PHONE: &str = insert_for_lift!("cabin_phone = $1 ORDER BY id LIMIT 1");
pub const ALARM_FOR_LIFT_BY_DEVICE: &str = insert_for_lift!("device_id = $1 ORDER BY id LIMIT 1");
pub const LIFTS_PAGE: &str = concat!(
    "SELECT ",
    lift_columns!(),
    " FROM lifts WHERE id > $1 ORDER BY id LIMIT $2"
);
pub const LIFT_COUNT: &str = "SELECT COUNT(*) FROM lifts";
pub const LIFT_ID_BY_RESCUE_CODE: &str = "SELECT id FROM lifts WHERE rescue_code = $1";
pub const LIFT_ID_BY_REGISTRATION_CODE: &str = "SELECT id FROM lifts WHERE registration_code = $1";
pub const UNITS: &str = concat!("SELECT ", unit_columns!(), " FROM units ORDER BY id");
// Live fixes, written behind the desk. A fix older than the one stored (a batch that lost a
// race, a phone replaying its queue) changes nothing.
pub const PUT_FIXES: &str = "INSERT INTO unit_fixes (unit_id, lat, lon, taken) ";
pub const PUT_FIXES_TAIL: &str = " ON CONFLICT (unit_id) DO UPDATE SET lat = excluded.lat, \
     lon = excluded.lon, taken = excluded.taken WHERE unit_fixes.taken < excluded.taken";
pub const FIXES: &str = "SELECT unit_id, lat, lon, taken FROM unit_fixes ORDER BY unit_id";
pub const COMPANIES: &str = "SELECT id, name, kind FROM companies ORDER BY id";

// Tokens and idempotency keys.
pub const INSERT_TOKEN: &str = "INSERT INTO tokens (hash, role, unit_id, label, created_at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id";
pub const TOKEN: &str = "SELECT id, role, unit_id, label FROM tokens WHERE hash = $1";
pub const IDEMPOTENT_RESPONSE: &str =
    "SELECT status, body FROM idempotency WHERE actor = $1 AND key = $2";
// The first response stored wins; a later one with the same key changes nothing.
pub const REMEMBER_RESPONSE: &str = "INSERT INTO idempotency (actor, key, status, body, \
     created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (actor, key) DO NOTHING";

/// The operator's order: open incidents whose lift nobody could identify on top (only a person
/// can move them on), then newest first.
pub const ATTENTION_FIRST: &str = " ORDER BY CASE WHEN ended_at IS NULL AND lift_unresolved THEN 0 ELSE 1 END, opened_at DESC, id DESC";
