//! The report's words: who caused an event, what an event says in one line, and the CSV
//! rendering (one row per timeline entry). Pure.

use super::report::Report;
use crate::domain::candidate::PassReason;
use crate::domain::{Actor, DeadlineKind, Event, EventKind};
use chrono::{DateTime, Utc};

/// Who caused an event, as one word: `system`, `source:iot`, `operator:wang`, `unit:12`.
pub fn actor(a: &Actor) -> String {
    match a {
        Actor::System => "system".to_owned(),
        Actor::Source(s) => format!("source:{}", super::facts::channel_name(*s)),
        Actor::Operator(name) => format!("operator:{name}"),
        Actor::Unit(u) => format!("unit:{}", u.0),
    }
}

/// A time as the report prints it (UTC, to the second).
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn deadline(d: &DeadlineKind) -> String {
    match d {
        DeadlineKind::Arrive(s) => format!("arrive ({s})"),
        DeadlineKind::Release(s) => format!("release ({s})"),
        DeadlineKind::Confirm => "confirm".to_owned(),
    }
}

fn late(at: DateTime<Utc>, due: DateTime<Utc>) -> String {
    let secs = (at - due).num_seconds().max(0);
    format!("due {}, fired {secs} s late", stamp(due))
}

/// What an event says, in one line (the reason is kept apart).
pub fn detail(e: &Event) -> String {
    match &e.kind {
        EventKind::IncidentOpened {
            alarm, lift, chain, ..
        } => {
            let lift = lift.as_ref().map_or("lift unknown".to_owned(), |l| {
                format!("lift {} ({})", l.rescue_code, l.registration_code)
            });
            format!(
                "{} via {}; {lift}; chain {} (rules {})",
                alarm.kind.rule_name(),
                super::facts::channel_name(alarm.channel),
                chain.chain.name,
                chain.rules_version.0
            )
        }
        EventKind::AlarmJoined { alarm } => format!(
            "{} via {}",
            alarm.kind.rule_name(),
            super::facts::channel_name(alarm.channel)
        ),
        EventKind::StepStarted { step } => format!(
            "step {} (level {}, pages {}, acknowledge within {} s)",
            step.id,
            step.level,
            step.page.as_str(),
            step.acknowledge.0.as_secs()
        ),
        EventKind::UnitPaged {
            candidate: c,
            passed_over,
            ack_due,
            ..
        } => {
            let mut s = format!(
                "unit {}: {:.0} m, ETA {} s{}, acknowledge by {}; {}",
                c.unit.0,
                c.distance_m,
                c.eta_secs,
                if c.from_base { " (from base)" } else { "" },
                stamp(*ack_due),
                c.why
            );
            if !passed_over.is_empty() {
                let list: Vec<String> = passed_over
                    .iter()
                    .map(|p| {
                        let why = match &p.why {
                            PassReason::StalePosition { fix_taken } => {
                                format!("position from {}", stamp(*fix_taken))
                            }
                            PassReason::Excluded => "excluded".to_owned(),
                            PassReason::BeyondRadius => "beyond radius".to_owned(),
                        };
                        format!("unit {} {:.0} m {why}", p.unit.0, p.distance_m)
                    })
                    .collect();
                s.push_str(&format!("; passed over: {}", list.join(", ")));
            }
            s
        }
        EventKind::NoCandidate { why, .. } | EventKind::NeedsOperator { why } => why.clone(),
        EventKind::StepExhausted { next, .. } => match next {
            Some(n) => format!("next step {n}"),
            None => "no next step".to_owned(),
        },
        EventKind::PartiesNotified { parties } => {
            let names: Vec<String> = parties
                .iter()
                .map(|p| {
                    serde_json::to_value(p)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect();
            names.join(", ")
        }
        EventKind::Accepted { unit, eta_secs } => match eta_secs {
            Some(eta) => format!("unit {} accepted, ETA {eta} s", unit.0),
            None => format!("unit {} accepted", unit.0),
        },
        EventKind::Declined { unit } => format!("unit {} declined", unit.0),
        EventKind::AckMissed { unit, due } => format!("unit {}: {}", unit.0, late(e.at, *due)),
        EventKind::PageCancelled { unit } => format!("unit {}", unit.0),
        EventKind::CrewProgress { unit, status } => format!("unit {} {}", unit.0, status.as_str()),
        EventKind::DeadlineWarning { deadline: d, due }
        | EventKind::DeadlineBreached { deadline: d, due } => {
            format!("{}: {}", deadline(d), late(e.at, *due))
        }
        EventKind::UnitDuty { unit, on_duty } => {
            format!(
                "unit {} {}",
                unit.0,
                if *on_duty { "on duty" } else { "off duty" }
            )
        }
        EventKind::EquipmentFault {
            equipment, fault, ..
        } => format!("{equipment}: {fault}"),
        EventKind::EquipmentOk { equipment, .. } => format!("{equipment} ok"),
        EventKind::Delivery {
            unit,
            channel,
            status,
            detail,
            ..
        } => format!("unit {} {channel} {status} {detail}", unit.0)
            .trim()
            .to_owned(),
        EventKind::Note { text } => text.clone(),
        EventKind::ReleaseConfirmed => "release confirmed".to_owned(),
        EventKind::FaultCauseFiled { code, text } => format!("{code} {text}").trim().to_owned(),
        EventKind::Closed { fault_cause_filed } => {
            format!("closed (fault cause filed: {fault_cause_filed})")
        }
        EventKind::Cancelled => "cancelled".to_owned(),
        EventKind::FalseAlarm => "false alarm".to_owned(),
        EventKind::LiftAttached { lift, chain, .. } => format!(
            "lift {} ({}); chain {} (rules {})",
            lift.rescue_code, lift.registration_code, chain.chain.name, chain.rules_version.0
        ),
        EventKind::RulesReloaded { from, to, .. } => format!("{} → {}", from.0, to.0),
        EventKind::LogSealed {
            day,
            sealed_seq,
            sealed_hash,
            ..
        } => format!("{day}: row {sealed_seq} {sealed_hash}"),
        EventKind::StormDeclared { storm, area, .. } => format!("storm {storm} over {area}"),
        EventKind::StormEnded { storm, .. } => format!("storm {storm} ended"),
        EventKind::IncidentTriaged { storm, triage } => format!(
            "storm {storm}: tier {}, score {}: {}",
            triage.tier,
            triage.score,
            triage.reasons.join("; ")
        ),
        EventKind::StormSolved { jobs, assigned, .. } => {
            format!("{} jobs, {} assigned", jobs.len(), assigned.len())
        }
    }
}

/// The CSV header.
pub const CSV_HEADER: [&str; 8] = [
    "seq", "at", "kind", "actor", "step", "reason", "detail", "hash",
];

/// A text cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@` first) gets a `'`
/// in front, so opening the export never runs what a caller typed.
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// The report as CSV: one row per timeline entry.
pub fn csv(report: &Report) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for r in &report.timeline {
        w.write_record([
            r.seq.to_string().as_str(),
            stamp(r.at).as_str(),
            r.kind,
            cell(&r.actor).as_ref(),
            cell(r.step.as_deref().unwrap_or_default()).as_ref(),
            cell(&r.reason).as_ref(),
            cell(&r.detail).as_ref(),
            r.hash.as_str(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
