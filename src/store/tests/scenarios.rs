//! Real event streams from the dispatch core, for the store's tests: each story runs the core's
//! test world (`dispatch::tests::World`) and keeps the events of each command as one batch, the
//! way the desk appends them, with every incident's status after it.

use crate::dispatch::tests::{M_NEAR, World, lift, paged};
use crate::dispatch::{CrewAction, OperatorAction};
use crate::domain::{
    AlarmFlags, AlarmSource, AlarmStatus, Event, EventKind, IncidentId, IncidentStatus,
};
use crate::store::NewAlarm;
use chrono::TimeDelta;
use std::collections::BTreeMap;

/// A world and what it logged, command by command.
pub struct Story {
    /// The core's test world, as the story left it.
    pub w: World,
    /// The events of each command, in order.
    pub batches: Vec<Vec<Event>>,
    /// Every incident's status after each batch.
    pub statuses: Vec<BTreeMap<IncidentId, IncidentStatus>>,
}

impl Story {
    /// An empty story at the world's start time.
    pub fn new() -> Self {
        Story {
            w: World::new(),
            batches: Vec::new(),
            statuses: Vec::new(),
        }
    }

    /// Runs a command (or a few) and keeps what it logged as one batch.
    pub fn run(&mut self, f: impl FnOnce(&mut World)) -> &[Event] {
        let before = self.w.log.len();
        f(&mut self.w);
        let batch = self.w.log[before..].to_vec();
        if !batch.is_empty() {
            self.batches.push(batch);
            let statuses = self.w.state.incidents.iter().map(|(id, i)| (*id, i.status));
            self.statuses.push(statuses.collect());
        }
        self.w.log[before..].as_ref()
    }

    /// Every event, in order.
    pub fn events(&self) -> Vec<Event> {
        self.batches.concat()
    }

    /// The alarms the story's events carry, as intake would hand them to the inbox, in id
    /// order: put into a fresh inbox they get the ids the story gave them.
    pub fn alarms(&self) -> Vec<NewAlarm> {
        let mut alarms: Vec<_> = self
            .events()
            .into_iter()
            .filter_map(|e| match e.kind {
                EventKind::IncidentOpened { alarm, .. } | EventKind::AlarmJoined { alarm } => {
                    Some(alarm)
                }
                _ => None,
            })
            .collect();
        alarms.sort_by_key(|a| a.id);
        alarms
            .into_iter()
            .map(|a| NewAlarm {
                channel: a.channel,
                source_alarm_id: a.source_alarm_id,
                lift_ref: a.lift_ref,
                kind: a.kind,
                status: a.status,
                flags: a.flags,
                trapped: None,
                floor: a.floor,
                description: a.description,
                occurred_at: a.occurred_at,
            })
            .collect()
    }
}

/// Incident 1 on lift 1, from the cabin phone's alarm to the close.
pub fn full_rescue() -> Story {
    let mut s = Story::new();
    s.run(|w| {
        w.entrapment();
    });
    let id = IncidentId(1);
    s.run(|w| {
        w.accept(M_NEAR, id, 420);
    });
    for action in [
        CrewAction::EnRoute,
        CrewAction::OnScene,
        CrewAction::Released,
    ] {
        s.run(|w| {
            w.now += TimeDelta::minutes(4);
            w.crew(M_NEAR, id, action).unwrap();
        });
    }
    s.run(|w| {
        let note = "caller confirms all out".to_owned();
        w.operator(id, OperatorAction::ConfirmRelease { note })
            .unwrap();
    });
    s.run(|w| {
        w.operator(id, OperatorAction::Close).unwrap();
    });
    s
}

/// Three incidents an hour apart:
/// 1. lift 1 (company 1) at t0, rescued and closed;
/// 2. lift 2 (company 2) at t0 + 1 h, accepted, then its arrival deadline breached;
/// 3. lift 3 (no maintenance unit) at t0 + 2 h, still open.
pub fn district() -> Story {
    let mut s = full_rescue();
    s.run(|w| {
        w.advance(3600);
    });
    let second = s.run(|w| alarm(w, 2, Some(2)));
    let first_paged = paged(second)[0];
    s.run(|w| {
        let accept = CrewAction::Accept {
            eta_secs: Some(900),
        };
        w.crew(first_paged, IncidentId(2), accept).unwrap();
    });
    s.run(|w| {
        w.advance(15 * 60);
    });
    s.run(|w| {
        w.advance(15 * 60);
    });
    s.run(|w| {
        w.advance(30 * 60);
    });
    s.run(|w| alarm(w, 3, None));
    s
}

/// An IoT alarm for lift `lift_id` (maintained by company `maintainer`).
pub fn alarm(w: &mut World, lift_id: i64, maintainer: Option<i64>) {
    let l = lift(lift_id, maintainer);
    w.alarm_with(
        AlarmSource::Iot,
        Some(l),
        AlarmFlags::default(),
        AlarmStatus::New,
    );
}
