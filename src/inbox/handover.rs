//! The handover queue between intake and the pump, and the order the pump takes it in.
//!
//! The inbox keeps arrival order (ids are allocated as alarms commit); only the order in which
//! the pump hands queued alarms to the desk changes: an alarm that says a person is ill, a
//! child is alone, or there is smoke or water ([`AlarmFlags::any`]) is taken ahead of the
//! queue, in the next batch, so in a burst it waits for one desk step rather than for every
//! alarm that came before it. Correlation stays as in arrival order: the urgent alarm takes
//! with it every alarm of its lift queued before it, in their order, so one lift's alarms
//! still reach the desk in the order they came (the first opens the incident, the later ones
//! join it).
//!
//! [`AlarmFlags::any`]: crate::domain::AlarmFlags::any

use crate::domain::{Alarm, Lift, LiftId, LiftRef};
use std::collections::{HashMap, VecDeque};

/// A committed alarm with its lift as the registry resolved it (`None`: no such lift).
pub(super) type Handed = (Alarm, Option<Lift>);

/// What makes two alarms the same lift's: the lift they resolved to, or the reference they
/// carry when it resolved to none.
#[derive(PartialEq, Eq, Hash)]
enum LiftKey<'a> {
    Lift(LiftId),
    Ref(&'a LiftRef),
}

fn key((alarm, lift): &Handed) -> LiftKey<'_> {
    match lift {
        Some(l) => LiftKey::Lift(l.id),
        None => LiftKey::Ref(&alarm.lift_ref),
    }
}

/// Committed alarms waiting for the pump, in commit order, at most `cap` of them.
#[derive(Default)]
pub(super) struct Handover {
    q: VecDeque<Handed>,
}

impl Handover {
    /// Queues an alarm; `false` (and not queued) when `cap` are waiting already, unless it is
    /// urgent (few are, and one left to the inbox read would wait for everything before it).
    pub(super) fn push(&mut self, handed: Handed, cap: usize) -> bool {
        if self.q.len() >= cap && !handed.0.flags.any() {
            return false;
        }
        self.q.push_back(handed);
        true
    }

    /// How many alarms wait.
    pub(super) fn len(&self) -> usize {
        self.q.len()
    }

    /// Takes the next batch of at most `cap` alarms (more only when more than `cap` urgent
    /// alarms' lifts have that many queued): the urgent alarms queued, each with its lift's
    /// earlier alarms, first; then from the front.
    pub(super) fn take(&mut self, cap: usize) -> Vec<Handed> {
        // The last urgent alarm of each lift: everything of that lift up to it goes first.
        let mut through: HashMap<LiftKey<'_>, usize> = HashMap::new();
        for (i, h) in self.q.iter().enumerate() {
            if h.0.flags.any() && (through.len() < cap || through.contains_key(&key(h))) {
                through.insert(key(h), i);
            }
        }
        if through.is_empty() {
            let n = self.q.len().min(cap);
            return self.q.drain(..n).collect();
        }
        let first: Vec<usize> = self
            .q
            .iter()
            .enumerate()
            .filter(|(i, h)| through.get(&key(h)).is_some_and(|last| i <= last))
            .map(|(i, _)| i)
            .collect();
        let mut batch = Vec::with_capacity(cap.max(first.len()));
        let mut rest = VecDeque::with_capacity(self.q.len() - first.len());
        let mut next = first.iter().peekable();
        for (i, h) in std::mem::take(&mut self.q).into_iter().enumerate() {
            if next.next_if_eq(&&i).is_some() {
                batch.push(h);
            } else {
                rest.push_back(h);
            }
        }
        let n = cap.saturating_sub(batch.len()).min(rest.len());
        batch.extend(rest.drain(..n));
        self.q = rest;
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AlarmFlags, AlarmId, AlarmKind, AlarmSource, AlarmStatus};

    fn handed(id: i64, lift: i64, ill: bool) -> Handed {
        let alarm = Alarm {
            id: AlarmId(id),
            channel: AlarmSource::Iot,
            source_alarm_id: format!("a-{id}"),
            lift_ref: LiftRef::Id(LiftId(lift)),
            kind: AlarmKind::EntrapmentBetweenFloors,
            status: AlarmStatus::New,
            flags: AlarmFlags {
                person_ill: ill,
                ..AlarmFlags::default()
            },
            trapped: None,
            floor: None,
            description: String::new(),
            occurred_at: crate::dispatch::tests::t0(),
            received_at: crate::dispatch::tests::t0(),
        };
        (alarm, None)
    }

    fn ids(batch: &[Handed]) -> Vec<i64> {
        batch.iter().map(|(a, _)| a.id.0).collect()
    }

    #[test]
    fn without_an_urgent_alarm_the_pump_takes_the_queue_in_commit_order() {
        let mut h = Handover::default();
        for i in 1..=5 {
            assert!(h.push(handed(i, i, false), 5));
        }
        assert!(!h.push(handed(6, 6, false), 5), "full at the cap");
        assert!(
            h.push(handed(7, 7, true), 5),
            "but an urgent alarm still gets in"
        );
        assert_eq!(ids(&h.take(1)), [7]);
        assert_eq!(ids(&h.take(3)), [1, 2, 3]);
        assert_eq!(ids(&h.take(3)), [4, 5]);
        assert!(h.take(3).is_empty());
    }

    #[test]
    fn an_urgent_alarm_at_the_back_goes_first_with_its_lifts_earlier_alarms_in_order() {
        let mut h = Handover::default();
        // Lift 7 has an ordinary alarm (2) before the urgent one (5) and one after it (6).
        for (id, lift, ill) in [(1, 1, false), (2, 7, false), (3, 3, false), (4, 4, false)] {
            h.push(handed(id, lift, ill), 100);
        }
        h.push(handed(5, 7, true), 100);
        h.push(handed(6, 7, false), 100);
        assert_eq!(
            ids(&h.take(3)),
            [2, 5, 1],
            "lift 7's alarms in their order, then the front"
        );
        assert_eq!(ids(&h.take(10)), [3, 4, 6], "the rest in commit order");
    }
}
