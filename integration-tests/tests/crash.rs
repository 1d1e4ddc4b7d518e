//! Crash: the server is SIGKILLed in the middle of an escalation on PostgreSQL and started
//! again. Every accepted alarm gets its incident, every due deadline fires exactly once, and
//! the log's hash chain verifies.

use crate::support::process::{ServeProcess, run};
use crate::support::{Api, eventually, fresh_database, seeded, token};
use liftrescue::domain::{EventKind, IncidentId, UnitId};
use liftrescue::store::{Role, Store};
use serde_json::json;
use std::collections::{HashMap, HashSet};

async fn all_events(store: &dyn Store) -> Vec<liftrescue::store::StoredEvent> {
    let mut out = Vec::new();
    loop {
        let page = store
            .log_page(
                out.last()
                    .map_or(0, |e: &liftrescue::store::StoredEvent| e.seq),
                10_000,
            )
            .await
            .unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_sigkill_mid_escalation_nothing_is_lost_or_fired_twice() {
    if liftrescue::telemetry::test_service("PostgreSQL", "LIFTRESCUE_TEST_DATABASE_URL").is_none() {
        return;
    }
    let url = fresh_database("postgres").await;
    let store = seeded(&url).await;
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/fast-rules");
    let env = [
        ("LIFTRESCUE_DATABASE_URL", url.as_str()),
        ("LIFTRESCUE_RULES_DIR", rules),
        ("LIFTRESCUE_SEED_DEMO", "false"),
    ];
    let lifts: Vec<_> = store
        .lifts(None, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.maintainer.is_some())
        .take(40)
        .collect();
    let secret = token(store.as_ref(), Role::Integration, None).await;

    let server = ServeProcess::start(&env);
    let api = Api::new(&server.base, &secret);
    let mut accepted = Vec::new();
    for (n, lift) in lifts.iter().enumerate().take(30) {
        let (status, body) = api.post("/api/v1/alarms", json!({"source_alarm_id": format!("a{n}"), "lift": {"id": lift.id.0}, "kind": "entrapment_at_landing"})).await;
        assert_eq!(status, 202, "{body}");
        accepted.push(body["alarm_id"].as_i64().unwrap());
    }
    // Mid-escalation: wait for the first missed acknowledgement, post a last burst, then kill.
    eventually(10, || async {
        let events = all_events(store.as_ref()).await;
        events
            .iter()
            .any(|e| matches!(e.event.kind, EventKind::AckMissed { .. }))
            .then_some(())
    })
    .await;
    for (n, lift) in lifts.iter().enumerate().skip(30) {
        let (status, body) = api.post("/api/v1/alarms", json!({"source_alarm_id": format!("a{n}"), "lift": {"id": lift.id.0}, "kind": "passenger_alarm"})).await;
        assert_eq!(status, 202, "{body}");
        accepted.push(body["alarm_id"].as_i64().unwrap());
    }
    server.kill();

    let server = ServeProcess::start(&env);
    for id in &accepted {
        let incident = eventually(15, || async {
            store
                .alarm_incident(liftrescue::domain::AlarmId(*id))
                .await
                .unwrap()
        })
        .await;
        assert!(incident.0 > 0);
    }
    // Let every acknowledgement that was pending at the kill fall due and fire.
    let killed_at = chrono::Utc::now();
    eventually(20, || async {
        let events = all_events(store.as_ref()).await;
        let overdue_unanswered = unanswered_pages(&events)
            .into_iter()
            .filter(|(_, due)| *due < killed_at)
            .count();
        (overdue_unanswered == 0).then_some(())
    })
    .await;

    let events = all_events(store.as_ref()).await;
    let mut fired = HashSet::new();
    for e in &events {
        if let EventKind::AckMissed { unit, due } = e.event.kind {
            assert!(
                fired.insert((e.event.incident, e.event.step.clone(), unit, due)),
                "fired twice: {:?}",
                e.event
            );
        }
    }
    let mut pages = HashSet::new();
    for e in &events {
        if let EventKind::UnitPaged { candidate, .. } = &e.event.kind {
            assert!(
                pages.insert((
                    e.event.incident,
                    e.event.step.clone(),
                    candidate.unit,
                    e.event.at
                )),
                "paged twice: {:?}",
                e.event
            );
        }
    }
    assert_eq!(server.terminate(), Some(0), "SIGTERM drains and exits 0");
    let (code, out, err) = run(&["verify-log"], &env);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("intact"), "{out}");
}

/// A page: which incident, which unit.
type PageKey = (Option<IncidentId>, UnitId);

/// Pages still pending (no answer, not missed, not cancelled), with their due time.
fn unanswered_pages(
    events: &[liftrescue::store::StoredEvent],
) -> Vec<(PageKey, chrono::DateTime<chrono::Utc>)> {
    let mut open: HashMap<PageKey, chrono::DateTime<chrono::Utc>> = HashMap::new();
    for e in events {
        let key = |u: UnitId| (e.event.incident, u);
        match &e.event.kind {
            EventKind::UnitPaged {
                candidate, ack_due, ..
            } => {
                open.insert(key(candidate.unit), *ack_due);
            }
            EventKind::Accepted { unit, .. }
            | EventKind::Declined { unit }
            | EventKind::AckMissed { unit, .. }
            | EventKind::PageCancelled { unit } => {
                open.remove(&key(*unit));
            }
            EventKind::Closed { .. } | EventKind::Cancelled | EventKind::FalseAlarm => {
                open.retain(|(i, _), _| *i != e.event.incident)
            }
            _ => {}
        }
    }
    open.into_iter().collect()
}
