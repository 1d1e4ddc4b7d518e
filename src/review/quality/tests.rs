//! The score, the grade and its reasons, and each list's rule, on hand-made facts.

use super::lists::{self, CsvRow, ListKind};
use super::*;
use crate::dispatch::tests::lift;
use crate::rules::quality::QualityConfig;
use chrono::{NaiveDate, TimeZone};
use serde_json::json;

fn cfg() -> QualityConfig {
    QualityConfig::built_in().unwrap()
}

fn t(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, 2, 0, 0).unwrap()
}

fn year() -> Period {
    Period {
        from: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        to: Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap(),
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap()
}

/// An incident of `lift` on March `day`: an entrapment or a fault, from `channel`, with a
/// cause filed or not, under company `company`.
fn fact(id: i64, lift: i64, day: u32, entrapment: bool, channel: &str) -> IncidentFacts {
    serde_json::from_value(json!({
        "id": id, "opened_at": t(day), "alarm_at": t(day), "status": "closed",
        "outcome": if entrapment { "released" } else { "closed" },
        "lift": lift, "company": 1, "channel": channel, "channels": [channel],
        "alarm_kind": if entrapment { "entrapment_between_floors" } else { "fault" },
        "entrapment": entrapment, "alarms": 1, "flags": [], "level": 1, "units": [],
        "released_at": if entrapment { Some(t(day) + chrono::TimeDelta::minutes(20)) } else { None },
        "acks_missed": 0, "breaches": [], "fire_rescue": false, "needs_operator": false,
        "notes": 0, "rules_version": "sha256:x", "chain": "entrapment", "events": 5,
        "last_seq": id * 10, "last_hash": "h"
    }))
    .unwrap()
}

fn caused(mut f: IncidentFacts, code: &str, company: i64) -> IncidentFacts {
    f.fault_cause = Some(code.into());
    f.company = Some(CompanyId(company));
    f
}

fn old_lift(id: i64, year: i32) -> Lift {
    let mut l = lift(id, Some(1));
    l.commissioned = NaiveDate::from_ymd_opt(year, 1, 1);
    l
}

fn equipment_fault(seq: i64, lift: i64, at: DateTime<Utc>) -> LiftEvent {
    LiftEvent {
        seq,
        lift: LiftId(lift),
        at,
        kind: "equipment_fault".into(),
        equipment: "terminal T1".into(),
        detail: "offline".into(),
    }
}

#[test]
fn a_new_lift_with_no_failures_scores_100_and_grades_a_with_a_reason_saying_so() {
    let l = old_lift(1, 2024);
    let e = evaluate(&cfg(), &l, &[], &[], year(), now());
    assert_eq!((e.score, e.grade, e.failures), (100.0, Grade::A, 0));
    assert!(e.deductions.is_empty());
    assert_eq!(
        e.reasons.last().unwrap().en,
        "nothing deducted in the period"
    );
    assert!(!e.safety_assessment_due && !e.disclosure);
    assert_eq!(e.entrapments_per_10k_trips, None);
    assert_eq!(e.rate_basis, "per_year");
}

#[test]
fn failures_age_sanwu_repeats_and_slow_rescues_each_take_their_points() {
    // 16 years in service, two 三无 flags, 3 entrapments + 1 fault incident + 2 equipment faults in a
    // year, door-lock filed three times (two repeats), releases of 20 min (under the target).
    let mut l = old_lift(1, 2011);
    l.flags.no_property_management = true;
    l.flags.no_repair_fund = true;
    let facts = [
        caused(fact(1, 1, 1, true, "hotline"), "door-lock", 1),
        caused(fact(2, 1, 2, true, "iot"), "door-lock", 1),
        caused(fact(3, 1, 3, true, "iot"), "door-lock", 1),
        fact(4, 1, 4, false, "iot"),
    ];
    let refs: Vec<&IncidentFacts> = facts.iter().collect();
    let faults = [equipment_fault(1, 1, t(5)), equipment_fault(2, 1, t(6))];
    let frefs: Vec<&LiftEvent> = faults.iter().collect();
    let e = evaluate(&cfg(), &l, &refs, &frefs, year(), now());
    assert_eq!(
        (e.entrapments, e.fault_incidents, e.equipment_faults),
        (3, 1, 2)
    );
    assert_eq!(e.failures, 6);
    assert!(
        (e.failures_per_year - 6.0).abs() < 0.01,
        "{}",
        e.failures_per_year
    );
    let points: Vec<(&str, f64)> = e.deductions.iter().map(|d| (d.factor, d.points)).collect();
    // 4 × 6 = 24; 2 × 6.0 years over 10 = 12; 5 × 2 = 10; 5 × 2 repeats = 10; no rescue term.
    assert_eq!(
        points,
        [
            ("failure_rate", 24.0),
            ("age", 12.0),
            ("sanwu", 10.0),
            ("repeat_faults", 10.0)
        ]
    );
    assert_eq!((e.score, e.grade), (44.0, Grade::D));
    assert_eq!(e.service_flags, [10, 15]);
    assert_eq!(e.repeated_causes[0].times, 3);
    assert!(e.safety_assessment_due);
    let en: Vec<&str> = e.reasons.iter().map(|r| r.en.as_str()).collect();
    assert!(en[0].starts_with("score 44.0, grade D"), "{en:?}");
    assert!(
        en.iter().any(|r| r.contains("past 10 and 15 years")),
        "{en:?}"
    );
    assert!(
        en.iter()
            .any(|r| r.contains("no property management, no repair fund"))
    );
    assert!(en.iter().any(|r| r.contains("door-lock 3 times")));
    assert!(
        e.reasons
            .iter()
            .any(|r| r.zh.starts_with("三无电梯：无物业管理、无维修资金"))
    );
}

#[test]
fn false_alarms_and_cancelled_incidents_are_not_failures() {
    let l = old_lift(1, 2024);
    let mut a = fact(1, 1, 1, true, "hotline");
    a.outcome = crate::review::Outcome::FalseAlarm;
    let mut b = fact(2, 1, 2, true, "hotline");
    b.outcome = crate::review::Outcome::Cancelled;
    let e = evaluate(&cfg(), &l, &[&a, &b], &[], year(), now());
    assert_eq!((e.incidents, e.failures), (2, 0));
}

#[test]
fn a_slow_average_release_takes_half_a_point_a_minute_over_the_target() {
    let l = old_lift(1, 2024);
    let mut f = fact(1, 1, 1, true, "iot");
    f.released_at = Some(f.alarm_at + chrono::TimeDelta::minutes(50));
    let e = evaluate(&cfg(), &l, &[&f], &[], year(), now());
    let rescue = e
        .deductions
        .iter()
        .find(|d| d.factor == "rescue_time")
        .unwrap();
    assert_eq!((rescue.measure, rescue.points), (20.0, 10.0));
    assert!(e.reasons.iter().any(|r| r.en.contains("50 min on average")));
}

#[test]
fn grades_follow_the_configured_floors() {
    let c = cfg();
    assert_eq!(Grade::of(&c, 90.0), Grade::A);
    assert_eq!(Grade::of(&c, 89.9), Grade::B);
    assert_eq!(Grade::of(&c, 60.0), Grade::C);
    assert_eq!(Grade::of(&c, 59.9), Grade::D);
    assert_eq!(Grade::parse("d"), Some(Grade::D));
    assert_eq!(Grade::parse("E"), None);
}

#[test]
fn evaluations_come_worst_first_and_the_lists_pick_by_their_rules() {
    let c = cfg();
    let mut sanwu = old_lift(3, 2024);
    sanwu.flags.no_maintenance_unit = true;
    sanwu.maintainer = None;
    let lifts = [old_lift(1, 2024), old_lift(2, 2012), sanwu];
    // Lift 2: old (14 years) and 13 failures in the year → on both lists.
    let facts: Vec<IncidentFacts> = (1..=13)
        .map(|d| fact(d, 2, d as u32, true, "iot"))
        .collect();
    let evals = evaluate_all(&c, &lifts, &facts, &[], year(), now());
    let order: Vec<i64> = evals.iter().map(|e| e.lift.0).collect();
    assert_eq!(order, [2, 3, 1]);
    let names = HashMap::from([(CompanyId(1), "Acme".to_owned())]);
    let due = lists::safety_assessment(&evals, &names, 10.0, 6.0);
    assert_eq!(due.iter().map(|r| r.lift_id).collect::<Vec<_>>(), [2]);
    assert!(due[0].why_en.contains("in service") && due[0].why_en.contains("fails 13.0"));
    let disclosed = lists::disclosure(&evals, &names);
    assert_eq!(disclosed.iter().map(|r| r.lift_id).collect::<Vec<_>>(), [2]);
    let three = lists::sanwu(&evals, &names);
    assert_eq!(three.iter().map(|r| r.lift_id).collect::<Vec<_>>(), [3]);
    assert_eq!(three[0].sanwu, "no_maintenance_unit");
    let companies = lists::companies(&lifts, &facts, &names);
    assert_eq!(companies[0].company_name, "Acme");
    assert_eq!(
        (companies[0].lifts_maintained, companies[0].entrapments),
        (2, 13)
    );
    assert_eq!(companies[0].entrapments_per_lift, 6.5);
    assert_eq!(ListKind::parse("sanwu"), Some(ListKind::Sanwu));
    assert_eq!(ListKind::parse("nope"), None);
}

#[test]
fn a_major_cause_with_only_a_hotline_alarm_and_no_equipment_fault_is_suspicious() {
    let c = cfg();
    let names = HashMap::new();
    let hotline = caused(fact(1, 1, 10, true, "hotline"), "brake", 1);
    let iot = caused(fact(2, 2, 10, true, "iot"), "brake", 1);
    let near_fault = caused(fact(3, 3, 10, true, "hotline"), "brake", 1);
    let minor = caused(fact(4, 4, 10, true, "hotline"), "dirty-sill", 1);
    let facts = [hotline, iot, near_fault, minor];
    let faults = [equipment_fault(7, 3, t(10) - chrono::TimeDelta::hours(3))];
    let found = lists::suspicious(&facts, &faults, &c.suspicious, &names);
    let unsupported: Vec<i64> = found
        .iter()
        .filter(|s| s.kind == "unsupported_cause")
        .filter_map(|s| s.incident_id)
        .collect();
    assert_eq!(unsupported, [1]);
    assert_eq!(found[0].evidence_seqs, [10]);
    assert!(
        found[0].why_en.contains("only from hotline"),
        "{}",
        found[0].why_en
    );
}

#[test]
fn a_company_filing_far_more_major_causes_than_its_peers_is_listed_with_its_incidents() {
    let c = cfg();
    let names = HashMap::new();
    let mut facts = Vec::new();
    // Company 1: 5 of 5 major; companies 2: 1 of 6 major.
    for i in 1..=5 {
        facts.push(caused(fact(i, 1, i as u32, true, "iot"), "brake", 1));
    }
    for i in 6..=11 {
        let code = if i == 6 { "brake" } else { "dirty-sill" };
        facts.push(caused(fact(i, 2, i as u32, true, "iot"), code, 2));
    }
    let found = lists::suspicious(&facts, &[], &c.suspicious, &names);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].kind, found[0].company_id),
        ("company_major_share", Some(1))
    );
    assert_eq!(found[0].evidence_incidents, [1, 2, 3, 4, 5]);
    assert!(
        found[0].why_en.contains("5 of its 5"),
        "{}",
        found[0].why_en
    );
}

#[test]
fn list_rows_write_as_csv_with_a_header_that_parses_back() {
    let row = lists::CompanyRow {
        rank: 1,
        company_id: 7,
        company_name: "重庆, 电梯".into(),
        lifts_maintained: 2,
        entrapments: 3,
        entrapments_per_lift: 1.5,
    };
    let text = lists::to_csv(&[row]).unwrap();
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(r.headers().unwrap().len(), lists::CompanyRow::HEADER.len());
    let rec = r.records().next().unwrap().unwrap();
    assert_eq!(&rec[2], "重庆, 电梯");
}

#[test]
fn the_history_lists_failures_causes_and_the_companies_over_time() {
    let l = old_lift(1, 2010);
    let facts = vec![
        caused(fact(1, 1, 1, true, "iot"), "brake", 1),
        caused(fact(2, 1, 2, false, "iot"), "door-lock", 1),
        caused(fact(3, 1, 3, true, "iot"), "door-lock", 2),
    ];
    let events = vec![equipment_fault(5, 1, t(4))];
    let names = HashMap::from([(CompanyId(2), "Beta".to_owned())]);
    let h = history::history(l, facts, events, &names);
    assert_eq!(h.incidents.len(), 3);
    let kinds: Vec<&str> = h.failures.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            "entrapment",
            "fault_incident",
            "entrapment",
            "equipment_fault"
        ]
    );
    assert_eq!(h.causes.len(), 3);
    let tenures: Vec<(Option<i64>, u32)> = h
        .companies
        .iter()
        .map(|t| (t.company_id, t.incidents))
        .collect();
    assert_eq!(tenures, [(Some(1), 2), (Some(2), 1)]);
    assert_eq!(h.companies[1].company_name, "Beta");
}
