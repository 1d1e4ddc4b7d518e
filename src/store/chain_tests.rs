use super::*;
use crate::domain::{Actor, EventKind, UnitId};
use chrono::TimeDelta;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-29T08:00:00.123456789Z")
        .unwrap()
        .to_utc()
}

fn note(incident: Option<i64>, secs: i64, text: &str) -> Event {
    Event {
        incident: incident.map(IncidentId),
        at: t0() + TimeDelta::seconds(secs),
        actor: Actor::Operator("li".into()),
        step: None,
        rules_version: None,
        reason: format!("because {text}"),
        kind: EventKind::Note { text: text.into() },
    }
}

fn duty(secs: i64) -> Event {
    Event {
        incident: None,
        at: t0() + TimeDelta::seconds(secs),
        actor: Actor::Unit(UnitId(4)),
        step: None,
        rules_version: None,
        reason: "shift ended".into(),
        kind: EventKind::UnitDuty {
            unit: UnitId(4),
            on_duty: false,
        },
    }
}

/// Five rows: incident 1 (three), a unit event, incident 2 (one).
fn log() -> Vec<StoredEvent> {
    let events = [
        (note(Some(1), 0, "a"), Some(1)),
        (note(Some(1), 1, "b"), Some(2)),
        (duty(2), None),
        (note(Some(2), 3, "c"), Some(1)),
        (note(Some(1), 4, "d"), Some(3)),
    ];
    let mut prev = GENESIS.to_owned();
    let mut rows = Vec::new();
    for (seq, (e, incident_seq)) in (1..).zip(events) {
        let row = link(&prev, seq, incident_seq, e).unwrap();
        prev.clone_from(&row.hash);
        rows.push(row);
    }
    rows
}

#[test]
fn a_row_hash_is_the_sha256_of_the_documented_lines() {
    let at = t0();
    let h = row_hash(GENESIS, 1, Some(IncidentId(7)), at, "{}");
    let text = format!("{GENESIS}\n1\n7\n2026-11-29T08:00:00.123456Z\n{{}}");
    assert_eq!(h, hex::encode(Sha256::digest(text.as_bytes())));
    assert_eq!(h.len(), 64);
    let unit_event = row_hash(GENESIS, 1, None, at, "{}");
    let text = format!("{GENESIS}\n1\n\n2026-11-29T08:00:00.123456Z\n{{}}");
    assert_eq!(unit_event, hex::encode(Sha256::digest(text.as_bytes())));
}

#[test]
fn linking_truncates_the_time_to_microseconds_and_hashes_the_canonical_json() {
    let row = link(GENESIS, 1, Some(1), note(Some(1), 0, "a")).unwrap();
    assert_eq!(row.prev_hash, GENESIS);
    assert_eq!(row.event.at.timestamp_subsec_nanos(), 123_456_000);
    assert_eq!(row.body, serde_json::to_string(&row.event).unwrap());
    assert!(row.body.contains("\"reason\":\"because a\""));
}

#[test]
fn an_untouched_log_verifies() {
    let rows = log();
    assert_eq!(verify(&rows), Ok(()));
    let mut v = Verifier::new();
    rows.iter().for_each(|r| v.check(r).unwrap());
    assert_eq!((v.rows(), v.last_seq()), (5, 5));
}

#[test]
fn an_edited_body_breaks_the_chain_at_that_row() {
    let mut rows = log();
    rows[2].body = rows[2].body.replace("shift ended", "shift ended early");
    let b = verify(&rows).unwrap_err();
    assert_eq!(b.seq, 3);
    assert!(b.why.contains("hash does not match"), "{b}");
}

#[test]
fn a_column_that_disagrees_with_the_body_is_caught() {
    let mut rows = log();
    rows[1].event.reason = "nothing happened".into();
    let b = verify(&rows).unwrap_err();
    assert_eq!(
        (b.seq, b.why.as_str()),
        (2, "its columns disagree with its body")
    );
}

#[test]
fn a_rewritten_hash_breaks_the_next_rows_link() {
    let mut rows = log();
    rows[1].body = rows[1].body.replace("because b", "because x");
    rows[1].event.reason = "because x".into();
    rows[1].hash = row_hash(
        &rows[1].prev_hash,
        2,
        rows[1].event.incident,
        rows[1].event.at,
        &rows[1].body,
    );
    let b = verify(&rows).unwrap_err();
    assert_eq!(b.seq, 3);
    assert!(b.why.contains("prev_hash is not row 2's hash"), "{b}");
}

#[test]
fn a_missing_row_is_named_by_the_position_it_should_hold() {
    let mut rows = log();
    rows.remove(3);
    let b = verify(&rows).unwrap_err();
    assert_eq!(b.seq, 4);
    assert!(b.why.contains("next row found is 5"), "{b}");
}

#[test]
fn an_incident_seq_that_does_not_count_its_incidents_rows_is_caught() {
    let mut rows = log();
    rows[4].incident_seq = Some(4);
    let b = verify(&rows).unwrap_err();
    assert_eq!(b.seq, 5);
    assert!(b.why.contains("incident_seq 4 should be 3"), "{b}");
    let mut rows = log();
    rows[2].incident_seq = Some(1);
    assert_eq!(verify(&rows).unwrap_err().seq, 3);
}

#[test]
fn a_log_that_does_not_start_at_genesis_is_caught() {
    let rows = log();
    let b = verify(&rows[1..]).unwrap_err();
    assert_eq!(b.seq, 1);
}

fn seal(sealed_seq: i64, sealed_hash: &str) -> Event {
    let owed = crate::dispatch::seal::SealDue {
        day: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        due: t0(),
    };
    crate::dispatch::seal::log_sealed(&owed, sealed_seq, sealed_hash, t0() + TimeDelta::seconds(9))
}

#[test]
fn a_seal_must_name_the_row_before_it_with_that_rows_hash() {
    let mut rows = log();
    let head = rows.last().unwrap().clone();
    let good = link(&head.hash, 6, None, seal(5, &head.hash)).unwrap();
    rows.push(good);
    assert_eq!(verify(&rows), Ok(()));
    rows.pop();
    let lying = link(&head.hash, 6, None, seal(5, GENESIS)).unwrap();
    rows.push(lying);
    let b = verify(&rows).unwrap_err();
    assert_eq!(b.seq, 6);
    assert!(b.why.contains("seal names row 5"), "{b}");
}
