//! Facts folded from incidents played through the real dispatch core on a simulated clock.

use super::{BreachKind, IncidentFacts, Outcome, fold};
use crate::dispatch::tests::{M_NEAR, PROPERTY, World};
use crate::dispatch::{CrewAction, OperatorAction};
use crate::domain::{Event, IncidentId};

/// The incident's rows as (seq, hash, event), numbered as the log would.
fn rows(log: &[Event], id: IncidentId) -> Vec<(i64, String, Event)> {
    log.iter()
        .enumerate()
        .filter(|(_, e)| e.incident == Some(id))
        .map(|(i, e)| (i as i64 + 1, format!("h{}", i + 1), e.clone()))
        .collect()
}

fn facts_of(log: &[Event], id: IncidentId) -> IncidentFacts {
    let rows = rows(log, id);
    fold(rows.iter().map(|(s, h, e)| (*s, h.as_str(), e))).expect("an opened incident")
}

/// A rescue: accepted after 100 s, on scene at 700 s, released at 1,000 s, confirmed, closed.
fn rescue(w: &mut World) -> IncidentId {
    let id = w.entrapment();
    w.advance(100);
    w.accept(M_NEAR, id, 600);
    w.accept(PROPERTY, id, 60);
    // Property staff are there first: they calm the passengers, they do not release them.
    w.advance(200);
    w.crew(PROPERTY, id, CrewAction::OnScene).unwrap();
    w.advance(400);
    w.crew(M_NEAR, id, CrewAction::OnScene).unwrap();
    w.advance(300);
    w.crew(M_NEAR, id, CrewAction::Released).unwrap();
    w.advance(60);
    let note = "both out".to_owned();
    w.operator(id, OperatorAction::ConfirmRelease { note })
        .unwrap();
    let (code, text) = ("door_lock_fault".to_owned(), "contact worn".to_owned());
    w.operator(id, OperatorAction::FaultCause { code, text })
        .unwrap();
    w.operator(id, OperatorAction::Close).unwrap();
    id
}

#[test]
fn a_rescue_gives_its_response_arrival_and_rescue_times() {
    let mut w = World::new();
    let id = rescue(&mut w);
    let f = facts_of(&w.log, id);
    assert_eq!(f.outcome, Outcome::Released);
    assert_eq!(
        (f.response_secs, f.arrival_secs, f.rescue_secs),
        (Some(100), Some(700), Some(300))
    );
    assert!(f.entrapment);
    assert_eq!(f.level, 1);
    assert_eq!(f.accepted_kind.as_deref(), Some("maintainer"));
    assert_eq!(f.fault_cause.as_deref(), Some("door_lock_fault"));
    assert_eq!(
        f.arrive_limit_secs,
        Some(1800),
        "the chain's own arrival limit"
    );
    assert!(
        f.units
            .iter()
            .any(|u| u.unit == M_NEAR && u.accepted_at.is_some())
    );
    assert!(f.breaches.is_empty(), "{:?}", f.breaches);
    assert_eq!(f.channel, "cabin_phone");
    assert!(f.ended_at.is_some());
}

#[test]
fn a_missed_acknowledgement_and_a_late_arrival_are_breaches() {
    let mut w = World::new();
    let id = w.entrapment();
    // Nobody answers for 3 minutes, then the next crew accepts but arrives after 30 minutes.
    w.advance(181);
    let paged: Vec<_> = facts_of(&w.log, id).units.iter().map(|u| u.unit).collect();
    let next = *paged.last().unwrap();
    w.crew(next, id, CrewAction::Accept { eta_secs: None })
        .unwrap();
    for _ in 0..31 {
        w.advance(60);
    }
    let f = facts_of(&w.log, id);
    assert!(f.acks_missed >= 1, "{}", f.acks_missed);
    assert_eq!(
        f.breaches,
        vec![BreachKind::Acknowledge, BreachKind::Arrive]
    );
    assert_eq!(f.breach_mask(), 0b11);
    assert!(
        f.fire_rescue,
        "an arrival breach calls fire/rescue: {:?}",
        f.units
    );
    assert_eq!(f.level, 3);
    assert_eq!(f.outcome, Outcome::Open);
    assert_eq!(f.arrival_secs, None);
}

#[test]
fn a_false_alarm_is_not_an_entrapment() {
    let mut w = World::new();
    let id = w.entrapment();
    let reason = "caller says nobody inside".to_owned();
    w.operator(id, OperatorAction::FalseAlarm { reason })
        .unwrap();
    let f = facts_of(&w.log, id);
    assert_eq!(f.outcome, Outcome::FalseAlarm);
    assert!(!f.entrapment);
}

#[test]
fn folding_in_two_parts_through_storage_equals_folding_at_once() {
    let mut w = World::new();
    let id = rescue(&mut w);
    let all = rows(&w.log, id);
    let whole = facts_of(&w.log, id);
    for cut in 1..all.len() {
        let (a, b) = all.split_at(cut);
        let first = fold(a.iter().map(|(s, h, e)| (*s, h.as_str(), e))).unwrap();
        // The indexer stores the facts as JSON between batches.
        let mut f: IncidentFacts =
            serde_json::from_str(&serde_json::to_string(&first).unwrap()).unwrap();
        for (s, h, e) in b {
            f.apply(*s, h, e);
        }
        // Folding a row again changes nothing.
        for (s, h, e) in b {
            f.apply(*s, h, e);
        }
        assert_eq!(f, whole, "cut at {cut}");
    }
}
