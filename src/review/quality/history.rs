//! A lift's whole-life history (§四.1 全生命周期追溯): every incident, failure, fault cause
//! and equipment event on the log, and the companies that maintained it over time, read from
//! each incident's snapshot of the lift (the company contracted when it happened), never from
//! today's registry.

use crate::domain::{CompanyId, Lift};
use crate::review::IncidentFacts;
use crate::store::review::LiftEvent;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// A failure on the lift's record.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Failure {
    /// When (the alarm, or the equipment's report).
    pub at: DateTime<Utc>,
    /// `entrapment`, `fault_incident` or `equipment_fault`.
    pub kind: &'static str,
    /// The incident, for the first two.
    pub incident_id: Option<i64>,
    /// The log row (the equipment event's; an incident's last folded row).
    pub seq: i64,
    /// What: the alarm kind, or the equipment and its fault.
    pub detail: String,
}

/// A fault cause filed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Cause {
    /// The incident.
    pub incident_id: i64,
    /// When the incident opened.
    pub at: DateTime<Utc>,
    /// The cause code.
    pub code: String,
    /// Its free text.
    pub text: Option<String>,
    /// The company at the time.
    pub company_id: Option<i64>,
}

/// A stretch of the lift's record under one maintenance company.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Tenure {
    /// The company (none: no maintenance unit on record).
    pub company_id: Option<i64>,
    /// Its name.
    pub company_name: String,
    /// Its first incident on this lift in the stretch.
    pub first_seen: DateTime<Utc>,
    /// Its last.
    pub last_seen: DateTime<Utc>,
    /// Incidents in the stretch.
    pub incidents: u32,
}

/// The lift's history.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct History {
    /// The lift as the registry has it now.
    pub lift: Lift,
    /// Incidents, oldest first.
    pub incidents: Vec<IncidentFacts>,
    /// Failures, oldest first.
    pub failures: Vec<Failure>,
    /// Fault causes filed, oldest first.
    pub causes: Vec<Cause>,
    /// Equipment events (faults and recoveries), oldest first.
    pub equipment: Vec<LiftEvent>,
    /// Maintenance companies over time, oldest first.
    pub companies: Vec<Tenure>,
}

/// Builds the history from all of the lift's facts and equipment events.
pub fn history(
    lift: Lift,
    mut facts: Vec<IncidentFacts>,
    mut equipment: Vec<LiftEvent>,
    names: &HashMap<CompanyId, String>,
) -> History {
    facts.sort_by_key(|f| (f.opened_at, f.id));
    equipment.sort_by_key(|e| e.seq);
    let mut failures: Vec<Failure> = facts
        .iter()
        .filter(|f| super::counts(f))
        .map(|f| Failure {
            at: f.alarm_at,
            kind: if f.entrapment {
                "entrapment"
            } else {
                "fault_incident"
            },
            incident_id: Some(f.id.0),
            seq: f.last_seq,
            detail: f.alarm_kind.clone(),
        })
        .chain(
            equipment
                .iter()
                .filter(|e| e.kind == "equipment_fault")
                .map(|e| Failure {
                    at: e.at,
                    kind: "equipment_fault",
                    incident_id: None,
                    seq: e.seq,
                    detail: format!("{}: {}", e.equipment, e.detail),
                }),
        )
        .collect();
    failures.sort_by_key(|f| (f.at, f.seq));
    let causes = facts
        .iter()
        .filter_map(|f| {
            Some(Cause {
                incident_id: f.id.0,
                at: f.opened_at,
                code: f.fault_cause.clone()?,
                text: f.fault_text.clone(),
                company_id: f.company.map(|c| c.0),
            })
        })
        .collect();
    let mut companies: Vec<Tenure> = Vec::new();
    for f in &facts {
        let id = f.company.map(|c| c.0);
        match companies.last_mut() {
            Some(t) if t.company_id == id => {
                t.last_seen = f.opened_at;
                t.incidents += 1;
            }
            _ => companies.push(Tenure {
                company_id: id,
                company_name: f
                    .company
                    .and_then(|c| names.get(&c).cloned())
                    .unwrap_or_default(),
                first_seen: f.opened_at,
                last_seen: f.opened_at,
                incidents: 1,
            }),
        }
    }
    History {
        lift,
        incidents: facts,
        failures,
        causes,
        equipment,
        companies,
    }
}
