//! Proof for the bureau: the daily seal written by the running service, `GET /api/v1/log/seals`
//! and `/log/verify`, `liftrescue verify-log --seal FILE` against a chain rewritten whole by
//! someone with database rights, and the bulk export with its hashes — on both engines.

mod export;
mod rewrite;
mod seal;

use liftrescue::domain::Event;
use liftrescue::store::Store;

/// Appends some real history at `at`: the dispatch core's events for `n` alarms on the
/// region's first lifts, each alarm's decision one append.
pub async fn history(store: &dyn Store, at: chrono::DateTime<chrono::Utc>, n: i64) -> Vec<Event> {
    use liftrescue::dispatch::{Command, DeskState, apply, decide};
    use liftrescue::domain::*;
    let rules = liftrescue::rules::RuleSet::load_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dispatch-rules"
    ))
    .unwrap();
    let mut state = DeskState::new(std::sync::Arc::new(rules), liftrescue::demo::YUZHONG);
    for unit in store.units().await.unwrap() {
        state.add_unit(unit);
    }
    let mut all = Vec::new();
    for lift in store.lifts(None, n).await.unwrap() {
        let alarm = Alarm {
            id: AlarmId(lift.id.0),
            channel: AlarmSource::Iot,
            source_alarm_id: format!("proof-{}", lift.id.0),
            lift_ref: LiftRef::Id(lift.id),
            kind: AlarmKind::EntrapmentAtLanding,
            status: AlarmStatus::New,
            flags: AlarmFlags::default(),
            floor: None,
            description: String::new(),
            trapped: None,
            occurred_at: at,
            received_at: at,
        };
        let command = Command::Alarm {
            alarm,
            lift: Some(Box::new(lift)),
        };
        let events = decide(&state, command, at).unwrap();
        for e in &events {
            apply(&mut state, e);
        }
        store.append(&events).await.unwrap();
        all.extend(events);
    }
    all
}

/// A scratch path under the test target folder (not created).
pub fn scratch(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-{name}", uuid::Uuid::new_v4().simple()))
}
