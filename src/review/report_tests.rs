//! The report built from a story on the pure core: an entrapment paged, one page missed, the
//! next accepted, on scene late, released, confirmed, fault cause filed and closed.

use super::report::{Input, build};
use super::report_words::Lang;
use super::{report_html, report_text};
use crate::dispatch::tests::{M_NEAR, World};
use crate::dispatch::{CrewAction, OperatorAction};
use crate::domain::{CompanyId, Event};
use crate::store::StoredEvent;
use std::collections::HashMap;

/// The story's events as stored rows, with made-up but distinct hashes.
fn rows(log: &[Event]) -> Vec<StoredEvent> {
    log.iter()
        .filter(|e| e.incident.is_some())
        .enumerate()
        .map(|(i, e)| StoredEvent {
            seq: i as i64 + 10,
            incident_seq: Some(i as i64 + 1),
            event: e.clone(),
            body: serde_json::to_string(e).unwrap(),
            prev_hash: format!("{:064x}", i + 99),
            hash: format!("{:064x}", i + 100),
        })
        .collect()
}

fn story() -> (World, Vec<StoredEvent>) {
    let mut w = World::new();
    let id = w.entrapment();
    w.advance(200); // the nearest maintainer's 3 minutes pass: the next is paged
    let second = w
        .log
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            crate::domain::EventKind::UnitPaged { candidate, .. } => Some(candidate.unit),
            _ => None,
        })
        .unwrap();
    assert_ne!(second, M_NEAR);
    w.accept(second, id, 600);
    w.advance(35 * 60); // past the 30-minute arrival limit
    w.crew(second, id, CrewAction::OnScene).unwrap();
    w.advance(300);
    w.crew(second, id, CrewAction::Released).unwrap();
    let note = "=1+1 <script>alert(1)</script> called back";
    w.operator(id, OperatorAction::Note { text: note.into() })
        .unwrap();
    w.operator(id, OperatorAction::ConfirmRelease { note: "ok".into() })
        .unwrap();
    w.operator(
        id,
        OperatorAction::FaultCause {
            code: "door_lock".into(),
            text: "=cmd|' /C calc'!A0".into(),
        },
    )
    .unwrap();
    w.operator(id, OperatorAction::Close).unwrap();
    let rows = rows(&w.log);
    (w, rows)
}

fn names() -> HashMap<CompanyId, String> {
    HashMap::from([(CompanyId(1), "渝中电梯维保有限公司".to_owned())])
}

#[test]
fn the_report_holds_every_part_of_the_incident_each_with_its_row() {
    let (w, rows) = story();
    let names = names();
    let input = Input {
        rows: &rows,
        messages: &[],
        companies: &names,
        head: (999, "f".repeat(64)),
    };
    let r = build(&input, w.now).expect("a report");
    assert_eq!(r.facts.outcome, crate::review::Outcome::Released);
    assert!(r.lift.is_some(), "the lift from the snapshot");
    assert_eq!(r.parties[0].name, "渝中电梯维保有限公司");
    assert_eq!(r.alarms.len(), 1);
    assert_eq!(r.alarms[0].floor.as_deref(), Some("7"));
    let kinds: Vec<&str> = r.decisions.iter().map(|d| d.kind).collect();
    for k in [
        "step_started",
        "unit_paged",
        "ack_missed",
        "deadline_breached",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    assert!(r.decisions.iter().all(|d| !d.reason.is_empty()));
    assert!(r.crew.iter().any(|c| c.kind == "crew_progress"));
    assert_eq!(r.notes.len(), 1);
    assert!(r.fault_cause.is_some());
    assert!(r.closure.iter().any(|c| c.kind == "closed"));
    assert_eq!(r.rules.as_ref().unwrap().chain, r.facts.chain);
    assert_eq!(r.timeline.len(), rows.len());
    for (row, stored) in r.timeline.iter().zip(&rows) {
        assert_eq!((row.seq, &row.hash), (stored.seq, &stored.hash));
    }
    assert_eq!(r.footer.last_hash, rows.last().unwrap().hash);
    assert_eq!(r.footer.log_head_seq, 999);
}

#[test]
fn the_sla_marks_say_which_clock_was_met_and_which_was_late_and_by_how_much() {
    let (w, rows) = story();
    let names = names();
    let input = Input {
        rows: &rows,
        messages: &[],
        companies: &names,
        head: (0, String::new()),
    };
    let r = build(&input, w.now).unwrap();
    let acks: Vec<_> = r.sla.iter().filter(|m| m.clock == "acknowledge").collect();
    let missed = acks.iter().find(|m| m.unit == Some(M_NEAR)).unwrap();
    assert_eq!(missed.met, Some(false), "{missed:?}");
    assert!(acks.iter().any(|m| m.met == Some(true)), "{acks:?}");
    let arrive = r.sla.iter().find(|m| m.clock == "arrive").unwrap();
    assert_eq!(arrive.met, Some(false));
    let late = arrive.late_by_secs.unwrap();
    assert!(late > 0 && late < 10 * 60, "late by {late}");
    let release = r.sla.iter().find(|m| m.clock == "release").unwrap();
    assert_eq!(release.met, Some(true), "{release:?}");
}

#[test]
fn the_page_escapes_what_people_typed_and_speaks_chinese_or_english() {
    let (w, rows) = story();
    let names = names();
    let input = Input {
        rows: &rows,
        messages: &[],
        companies: &names,
        head: (0, String::new()),
    };
    let r = build(&input, w.now).unwrap();
    let zh = report_html::render(&r, Lang::Zh);
    assert!(!zh.contains("<script>alert"), "escaped");
    assert!(zh.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(zh.contains("电梯困人事件报告") && zh.contains("渝中电梯维保有限公司"));
    assert!(zh.contains("@page{size:A4"));
    for row in &rows {
        assert!(zh.contains(&row.hash), "every row's hash printed");
    }
    let en = report_html::render(&r, Lang::En);
    assert!(en.contains("Lift incident report") && en.contains("SLA marks"));
    assert!(!en.contains("调度决策"));
}

#[test]
fn the_csv_has_one_row_per_timeline_entry_with_its_hash_and_defuses_formulas() {
    let (w, rows) = story();
    let names = names();
    let input = Input {
        rows: &rows,
        messages: &[],
        companies: &names,
        head: (0, String::new()),
    };
    let r = build(&input, w.now).unwrap();
    let text = report_text::csv(&r).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let head: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(head, report_text::CSV_HEADER);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), rows.len());
    for (rec, stored) in records.iter().zip(&rows) {
        assert_eq!(rec[0].parse::<i64>().unwrap(), stored.seq);
        assert_eq!(&rec[7], stored.hash);
    }
    let note = records.iter().find(|r| &r[2] == "note").unwrap();
    assert!(note[6].starts_with("'="), "{:?}", &note[6]);
}

#[test]
fn rows_that_do_not_open_an_incident_make_no_report() {
    let (w, rows) = story();
    let names = names();
    let input = Input {
        rows: &rows[1..],
        messages: &[],
        companies: &names,
        head: (0, String::new()),
    };
    assert!(build(&input, w.now).is_none());
}
