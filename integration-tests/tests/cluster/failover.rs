//! SIGKILL of the holder in the middle of a storm, three nodes: a standby takes the desk within
//! the failover goal, every alarm accepted anywhere gets its incident, every deadline fires
//! once, a crew's tap on a standby is answered once, no message reaches the gateway twice
//! (apart from one in flight at the kill, which the gateway's idempotency key absorbs), and the
//! log verifies.

use super::{Scene, fired_once, log_verifies, role, wait_role};
use crate::support::gateway::Gateway;
use crate::support::{Api, eventually, token};
use liftrescue::domain::{AlarmId, EventKind};
use liftrescue::store::Role;
use serde_json::json;
use std::collections::HashMap;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_takes_over_from_a_killed_holder_during_a_storm_and_nothing_is_lost() {
    let Some(scene) = Scene::new().await else {
        return;
    };
    let gw = Gateway::start().await;
    let hook = format!("{}/hook", gw.base);
    // The feed between the nodes goes through the machine's Redis when there is one (a region
    // of this test's own: its stream is its own).
    let redis = std::env::var("LIFTRESCUE_TEST_REDIS_URL").unwrap_or_default();
    let region = format!("failover-{}", uuid::Uuid::new_v4().simple());
    let mut paging = vec![
        ("LIFTRESCUE_NOTIFY__PLAN", "webhook:0s"),
        ("LIFTRESCUE_NOTIFY__WEBHOOK__URL", hook.as_str()),
        ("LIFTRESCUE_NOTIFY__WEBHOOK__SECRET", "hook-secret"),
        ("LIFTRESCUE_NOTIFY__WEBHOOK__PER_SECOND", "200"),
        ("LIFTRESCUE_CLUSTER__REGION", region.as_str()),
    ];
    if !redis.is_empty() {
        paging.push(("LIFTRESCUE_REDIS_URL", redis.as_str()));
    }
    let a = scene.node("a", &paging);
    wait_role(&a.base, "holder", 10).await;
    let b = scene.node("b", &paging);
    let c = scene.node("c", &paging);
    wait_role(&b.base, "standby", 10).await;
    wait_role(&c.base, "standby", 10).await;

    let store = scene.store.as_ref();
    let intake = token(store, Role::Integration, None).await;
    let operator = token(store, Role::Operator, None).await;
    // The operator on a standby declares the storm: the holder decides it.
    let (status, body) = Api::new(&b.base, &operator)
        .post(
            "/api/v1/storms",
            json!({"area": {"type": "radius", "center": {"lat": 29.556, "lon": 106.568}, "radius_m": 30000},
                   "reason": "blackout in Yuzhong"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    let lifts: Vec<_> = store
        .lifts(None, 300)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.maintainer.is_some())
        .take(30)
        .collect();
    let bases = [a.base.clone(), b.base.clone(), c.base.clone()];
    let mut accepted = Vec::new();
    for (n, lift) in lifts.iter().enumerate().take(20) {
        let api = Api::new(&bases[n % 3], &intake);
        let (status, body) = api
            .post("/api/v1/alarms", json!({"source_alarm_id": format!("s{n}"), "lift": {"id": lift.id.0}, "kind": "entrapment_between_floors"}))
            .await;
        assert_eq!(status, 202, "{body}");
        accepted.push(body["alarm_id"].as_i64().unwrap());
    }
    // The storm's solve pages units; then the holder dies.
    scene
        .until(20, |k| matches!(k, EventKind::UnitPaged { .. }))
        .await;
    a.kill();
    let killed = chrono::Utc::now();
    // Alarms keep coming, to the standbys, while nobody holds the desk.
    for (n, lift) in lifts.iter().enumerate().skip(20) {
        let api = Api::new(&bases[1 + n % 2], &intake);
        let (status, body) = api
            .post("/api/v1/alarms", json!({"source_alarm_id": format!("s{n}"), "lift": {"id": lift.id.0}, "kind": "entrapment_at_landing"}))
            .await;
        assert_eq!(status, 202, "{body}");
        accepted.push(body["alarm_id"].as_i64().unwrap());
    }
    // One of the two takes the desk within the failover goal (10 s).
    let holder = eventually(10, || async {
        for n in [&b, &c] {
            if role(&n.base).await == "holder" {
                return Some(n.base.clone());
            }
        }
        None
    })
    .await;
    let standby = if holder == b.base { &c.base } else { &b.base };
    assert_eq!(role(standby).await, "standby");
    for id in &accepted {
        eventually(15, || async {
            store.alarm_incident(AlarmId(*id)).await.unwrap()
        })
        .await;
    }

    // A crew taps "accept" on the standby for a page still ringing: the holder decides it, the
    // phone's retry with the same key gets the same answer, and it is logged once.
    let (incident, unit) = eventually(20, || async { ringing(&scene.events().await) }).await;
    let crew = token(store, Role::Crew, Some(unit)).await;
    let api = Api::new(standby, &crew);
    let path = format!("/api/v1/crew/incidents/{incident}/accept");
    let (first, body1) = api
        .post_keyed(&path, json!({"eta_secs": 600}), "tap-1")
        .await;
    let (again, body2) = api
        .post_keyed(&path, json!({"eta_secs": 600}), "tap-1")
        .await;
    assert_eq!(first, 200, "{body1}");
    assert_eq!(
        (again, &body2),
        (first, &body1),
        "the retry is answered as the first was"
    );
    let accepts = scene
        .events()
        .await
        .iter()
        .filter(|e| e.event.incident.map(|i| i.0) == Some(incident))
        .filter(|e| matches!(&e.event.kind, EventKind::Accepted { unit: u, .. } if u.0 == unit))
        .count();
    assert_eq!(accepts, 1, "accepted once");

    // Every deadline that was pending at the kill fires (late, on the new holder), once.
    eventually(20, || async {
        let events = scene.events().await;
        let late = events
            .iter()
            .any(|e| e.event.at > killed && matches!(e.event.kind, EventKind::AckMissed { .. }));
        late.then_some(())
    })
    .await;
    let events = scene.events().await;
    fired_once(&events);
    // The gateway got each message once, but for one sent just as the holder died.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in gw.received() {
        *seen.entry(r.message()).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.len() <= 1, "messages sent more than once: {twice:?}");
    drop((b, c));
    log_verifies(&scene);
    gw.stop().await;
}

/// A page nobody has answered yet, with at least a second left to answer it: (incident, unit).
fn ringing(events: &[liftrescue::store::StoredEvent]) -> Option<(i64, i64)> {
    let soon = chrono::Utc::now() + chrono::TimeDelta::seconds(1);
    let mut open: HashMap<(i64, i64), chrono::DateTime<chrono::Utc>> = HashMap::new();
    for e in events {
        let Some(i) = e.event.incident else { continue };
        match &e.event.kind {
            EventKind::UnitPaged {
                candidate, ack_due, ..
            } => {
                open.insert((i.0, candidate.unit.0), *ack_due);
            }
            EventKind::Accepted { unit, .. }
            | EventKind::Declined { unit }
            | EventKind::AckMissed { unit, .. }
            | EventKind::PageCancelled { unit } => {
                open.remove(&(i.0, unit.0));
            }
            _ => {}
        }
    }
    open.into_iter()
        .find(|(_, due)| *due > soon)
        .map(|(page, _)| page)
}
