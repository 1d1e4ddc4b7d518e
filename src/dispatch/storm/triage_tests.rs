//! Triage codes: each reason's points sum to the score, the words are the codes', and a triage
//! logged before the codes were kept still reads and serialises back to the very same text.

use super::tests::{alarm, declare, ill, storm_world, street_lift};
use super::triage::triage;
use crate::dispatch::tests::World;
use crate::domain::storm::{Triage, TriageReason};
use crate::domain::*;

/// The incident's triage now, from the world's storm rules.
fn now(w: &World, id: IncidentId) -> Triage {
    let rules = w.state.rules.storm.clone().expect("storm rules");
    triage(&rules, w.incident(id), w.now)
}

fn assert_codes_make_the_score(t: &Triage) {
    assert!(!t.why.is_empty(), "{t:?}");
    assert_eq!(
        t.why.iter().map(TriageReason::points).sum::<i64>(),
        t.score,
        "{t:?}"
    );
    let words: Vec<String> = t.why.iter().map(ToString::to_string).collect();
    assert_eq!(words, t.reasons);
}

#[test]
fn every_point_source_is_coded_and_the_codes_points_sum_to_the_score() {
    let mut w = storm_world();
    declare(&mut w);
    let mut l = street_lift(70, 0.0, 0.0);
    l.building = "区人民医院 住院部 Car A".into();
    let (_, id) = alarm(&mut w, l, ill());
    w.advance(7 * 60 + 5);
    let t = now(&w, id);
    assert_eq!(
        t.why,
        vec![
            TriageReason::Special {
                flags: vec!["person_ill".into()]
            },
            TriageReason::BetweenFloors { points: 30 },
            TriageReason::Trapped {
                minutes: 7,
                points: 7
            },
            TriageReason::Place {
                name: "hospital".into(),
                word: "医院".into(),
                points: 20
            },
        ]
    );
    assert_eq!((t.tier, t.score), (0, 57));
    assert_codes_make_the_score(&t);
    assert_eq!(t.reasons[3], "hospital (医院) +20");
}

#[test]
fn the_logged_triage_carries_its_codes() {
    let mut w = storm_world();
    declare(&mut w);
    let mut l = street_lift(71, 0.0, 0.0);
    l.address = "Hospital Road 1".into();
    let (events, id) = alarm(&mut w, l, AlarmFlags::default());
    let logged = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::IncidentTriaged { triage, .. } if e.incident == Some(id) => Some(triage),
            _ => None,
        })
        .expect("triaged");
    assert_codes_make_the_score(logged);
    assert!(logged.why.contains(&TriageReason::Place {
        name: "hospital".into(),
        word: "hospital".into(),
        points: 20
    }));
    let body = serde_json::to_value(logged).unwrap();
    assert_eq!(
        body["why"][1],
        serde_json::json!({"type": "place", "name": "hospital", "word": "hospital", "points": 20})
    );
}

#[test]
fn an_entrapment_with_no_point_source_is_coded_ordinary_with_no_points() {
    let mut w = storm_world();
    declare(&mut w);
    let (_, id) = alarm(&mut w, street_lift(72, 0.0, 0.0), AlarmFlags::default());
    let rules = w.state.rules.storm.clone().expect("storm rules");
    let mut i = w.incident(id).clone();
    for a in &mut i.alarms {
        a.kind = AlarmKind::EntrapmentAtLanding;
    }
    let t = triage(&rules, &i, w.now);
    assert_eq!(t.why, vec![TriageReason::Ordinary]);
    assert_eq!((t.tier, t.score), (1, 0));
    assert_codes_make_the_score(&t);
}

/// An `incident_triaged` row as the log held it before the codes were kept.
const OLD_BODY: &str = r#"{"incident":5,"at":"2026-11-29T08:00:00Z","actor":{"type":"system"},"step":null,"rules_version":null,"reason":"storm 1: tier 1 score 50: car between floors +30; hospital (医院) +20","kind":{"type":"incident_triaged","storm":1,"triage":{"tier":1,"score":50,"reasons":["car between floors +30","hospital (医院) +20"]}}}"#;

#[test]
fn a_triage_logged_without_codes_still_reads_and_serialises_to_the_same_body() {
    let e: Event = serde_json::from_str(OLD_BODY).expect("the old body reads");
    let EventKind::IncidentTriaged { storm, triage } = &e.kind else {
        panic!("expected incident_triaged, got {}", e.kind.name());
    };
    assert_eq!((*storm, triage.tier, triage.score), (1, 1, 50));
    assert_eq!(triage.reasons.len(), 2);
    assert!(triage.why.is_empty());
    // The chain's check re-serialises each row and compares it with the stored body.
    assert_eq!(serde_json::to_string(&e).unwrap(), OLD_BODY);
}
