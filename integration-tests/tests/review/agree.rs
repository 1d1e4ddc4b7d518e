//! The statistics agree with a reading of the log: a reader that knows only the events (not
//! the review index, not `review::facts`) computes the 96333 measures of a whole history, and
//! `GET /api/v1/stats` must answer the same.

use crate::support::{Api, Server, settings, token};
use liftrescue::domain::chain::Target;
use liftrescue::domain::{AlarmKind, CrewStatus, EventKind, IncidentId, UnitId};
use liftrescue::store::{Role, Store, StoredEvent};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// One incident as the reader sees it.
#[derive(Default)]
struct Read {
    alarm_at: Option<chrono::DateTime<chrono::Utc>>,
    fault_only: bool,
    false_alarm: bool,
    cancelled: bool,
    accepted: Option<chrono::DateTime<chrono::Utc>>,
    on_scene: Option<chrono::DateTime<chrono::Utc>>,
    released: Option<chrono::DateTime<chrono::Utc>>,
    limit: Option<i64>,
    breaches: [bool; 4],
    fire: bool,
    steps: HashMap<String, Target>,
    units: HashMap<UnitId, Target>,
}

fn read(rows: &[StoredEvent]) -> BTreeMap<IncidentId, Read> {
    let mut out: BTreeMap<IncidentId, Read> = BTreeMap::new();
    for r in rows {
        let Some(id) = r.event.incident else { continue };
        let i = out.entry(id).or_default();
        let at = r.event.at;
        match &r.event.kind {
            EventKind::IncidentOpened { alarm, chain, .. } => {
                i.alarm_at = Some(alarm.received_at);
                i.fault_only = matches!(alarm.kind, AlarmKind::Fault(_));
                let c = &chain.chain;
                i.limit = c
                    .start
                    .iter()
                    .filter_map(|s| c.steps.get(s).and_then(|s| s.arrive))
                    .map(|d| d.limit.0.as_secs() as i64)
                    .next();
            }
            EventKind::AlarmJoined { alarm } => {
                i.fault_only &= matches!(alarm.kind, AlarmKind::Fault(_));
            }
            EventKind::StepStarted { step } => {
                i.steps.insert(step.id.clone(), step.page);
            }
            EventKind::UnitPaged { candidate, .. } => {
                let target = r.event.step.as_ref().and_then(|s| i.steps.get(s)).copied();
                if let Some(t) = target {
                    i.units.entry(candidate.unit).or_insert(t);
                    i.fire |= t == Target::FireRescue;
                }
            }
            EventKind::Accepted { .. } => {
                i.accepted.get_or_insert(at);
            }
            EventKind::CrewProgress { unit, status } => match status {
                CrewStatus::OnScene if i.units.get(unit) != Some(&Target::PropertyStaff) => {
                    i.on_scene.get_or_insert(at);
                }
                CrewStatus::Released => {
                    i.released.get_or_insert(at);
                }
                _ => {}
            },
            EventKind::ReleaseConfirmed => {
                i.released.get_or_insert(at);
            }
            EventKind::AckMissed { .. } => i.breaches[0] = true,
            EventKind::DeadlineBreached { deadline, .. } => {
                use liftrescue::domain::DeadlineKind::*;
                let k = match deadline {
                    Arrive(_) => 1,
                    Release(_) => 2,
                    Confirm => 3,
                };
                i.breaches[k] = true;
            }
            EventKind::FalseAlarm => i.false_alarm = true,
            EventKind::Cancelled => i.cancelled = true,
            _ => {}
        }
    }
    out
}

fn secs(a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>) -> i64 {
    (b - a).num_seconds().max(0)
}

/// (n, mean, nearest-rank p90) as the API writes them.
fn times(mut v: Vec<i64>) -> Value {
    if v.is_empty() {
        return json!({"n": 0, "avg_secs": null, "p90_secs": null});
    }
    v.sort();
    let n = v.len();
    let rank = (n * 9).div_ceil(10).max(1);
    json!({"n": n, "avg_secs": v.iter().sum::<i64>() as f64 / n as f64, "p90_secs": v[rank - 1]})
}

/// Starts a server on the history at `url`, asks `GET /api/v1/stats` for the whole of it, and
/// checks every measure against the reader's.
pub async fn stats_agree_with_the_log(
    engine: &str,
    url: &str,
    store: &dyn Store,
    rows: &[StoredEvent],
) {
    let incidents = read(rows);
    let (mut response, mut arrival, mut rescue) = (vec![], vec![], vec![]);
    let (mut rescues, mut in_3, mut in_limit) = (0u64, 0u64, 0u64);
    let mut breaches = [0u64; 4];
    let (mut entrapments, mut false_alarms, mut cancelled, mut fire) = (0, 0, 0, 0);
    for i in incidents.values() {
        let alarm = i.alarm_at.expect("every incident opened");
        let entrapment = !i.fault_only && !i.false_alarm;
        entrapments += u64::from(entrapment);
        false_alarms += u64::from(i.false_alarm);
        cancelled += u64::from(i.cancelled);
        fire += u64::from(i.fire);
        for (k, b) in i.breaches.iter().enumerate() {
            breaches[k] += u64::from(*b);
        }
        if !entrapment || i.cancelled {
            continue;
        }
        rescues += 1;
        if let Some(a) = i.accepted {
            response.push(secs(alarm, a));
            in_3 += u64::from(secs(alarm, a) <= 180);
        }
        if let Some(o) = i.on_scene {
            arrival.push(secs(alarm, o));
            in_limit += u64::from(secs(alarm, o) <= i.limit.unwrap_or(1800));
            if let Some(r) = i.released {
                rescue.push(secs(o, r));
            }
        }
    }
    assert!(
        rescues > 100 && arrival.len() > 100,
        "{engine}: a history worth checking"
    );
    let server = Server::start(settings(url, "dispatch-rules")).await;
    let inv = Api::new(&server.base, &token(store, Role::Investigator, None).await);
    let (status, stats) = inv
        .get("/api/v1/stats?from=2020-01-01T00:00:00Z&to=2029-12-31T00:00:00Z&group_by=month")
        .await;
    assert_eq!(status, 200, "{engine}: {stats}");
    let t = &stats["total"];
    assert_eq!(t["incidents"], incidents.len(), "{engine}");
    assert_eq!(t["entrapments"], entrapments, "{engine}");
    assert_eq!(t["false_alarms"], false_alarms, "{engine}");
    assert_eq!(t["cancelled"], cancelled, "{engine}");
    assert_eq!(t["fire_rescue"], fire, "{engine}");
    assert_eq!(t["response"], times(response), "{engine}");
    assert_eq!(t["arrival"], times(arrival), "{engine}");
    assert_eq!(t["rescue"], times(rescue), "{engine}");
    assert_eq!(
        t["response_within_3min"],
        json!(in_3 as f64 / rescues as f64),
        "{engine}"
    );
    assert_eq!(
        t["arrival_within_limit"],
        json!(in_limit as f64 / rescues as f64),
        "{engine}"
    );
    let b = &t["breaches"];
    let got = [
        &b["acknowledge"],
        &b["arrive"],
        &b["release"],
        &b["confirm"],
    ];
    assert_eq!(got.map(|v| v.as_u64().unwrap()), breaches, "{engine}");
    let months: u64 = stats["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["incidents"].as_u64().unwrap())
        .sum();
    assert_eq!(
        months,
        incidents.len() as u64,
        "{engine}: the months add up"
    );
    server.stop().await;
}
