//! What the log and the inbox say after a burst: every alarm's commit and decision, each
//! incident's first decision and first page, and the desk's steps.

use super::load::{pct, sorted, whole_log};
use chrono::{DateTime, Utc};
use liftrescue::domain::{EventKind, IncidentId};
use liftrescue::store::Store;
use std::collections::HashMap;

/// One alarm as the log has it.
#[derive(Clone, Copy)]
pub struct Logged {
    /// Committed to the inbox (the intake's receipt time, taken just before its commit).
    pub committed: DateTime<Utc>,
    /// The desk opened its incident or joined it to one.
    pub decided: DateTime<Utc>,
    /// That incident.
    pub incident: IncidentId,
}

/// The whole record of a run.
#[derive(Default)]
pub struct Record {
    /// By source alarm id (the device prefix of MQTT ids stripped).
    pub alarms: HashMap<String, Logged>,
    /// Each incident's first decision (a page, no unit free, to the operator) and first page.
    pub first_decision: HashMap<IncidentId, DateTime<Utc>>,
    /// Each incident's first page.
    pub first_page: HashMap<IncidentId, DateTime<Utc>>,
    /// Alarms taken per desk step (a step's events share its `at`), in log order.
    pub steps: Vec<usize>,
}

fn own_id(source: &str) -> String {
    source.split_once('/').map_or(source, |(_, a)| a).to_owned()
}

/// Reads the whole log once.
pub async fn read(store: &dyn Store) -> Record {
    let mut r = Record::default();
    let mut step: Option<(DateTime<Utc>, usize)> = None;
    for event in whole_log(store).await {
        let (at, incident) = (event.at, event.incident);
        match (&event.kind, incident) {
            (
                EventKind::IncidentOpened { alarm, .. } | EventKind::AlarmJoined { alarm },
                Some(incident),
            ) => {
                let logged = Logged {
                    committed: alarm.received_at,
                    decided: at,
                    incident,
                };
                r.alarms.insert(own_id(&alarm.source_alarm_id), logged);
                match &mut step {
                    Some((t, n)) if *t == at => *n += 1,
                    _ => {
                        r.steps.extend(step.map(|(_, n)| n));
                        step = Some((at, 1));
                    }
                }
            }
            (EventKind::UnitPaged { .. }, Some(i)) => {
                r.first_page.entry(i).or_insert(at);
                r.first_decision.entry(i).or_insert(at);
            }
            (
                EventKind::NoCandidate { .. }
                | EventKind::StepExhausted { .. }
                | EventKind::NeedsOperator { .. },
                Some(i),
            ) => {
                r.first_decision.entry(i).or_insert(at);
            }
            _ => {}
        }
    }
    r.steps.extend(step.map(|(_, n)| n));
    r
}

/// Milliseconds between two times.
pub fn ms(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or_default() as f64 / 1000.0
}

/// `p50 …, p99 …, max … ms` of some values.
pub fn summary(v: Vec<f64>) -> String {
    let v = sorted(v);
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (n = {})",
        pct(&v, 0.5),
        pct(&v, 0.99),
        v.last().copied().unwrap_or(f64::NAN),
        v.len()
    )
}

/// The number of alarms the inbox holds whose source id contains `like` (a LIKE pattern).
pub async fn committed(db: &str, like: &str) -> i64 {
    use sqlx::Connection;
    let q = "SELECT COUNT(*) FROM alarms WHERE source_alarm_id LIKE $1";
    if db.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(db)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sqlx::query_scalar(q).bind(like).fetch_one(&mut c).await
    } else {
        let mut c = sqlx::SqliteConnection::connect(db)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sqlx::query_scalar(q).bind(like).fetch_one(&mut c).await
    }
    .unwrap_or(-1)
}
