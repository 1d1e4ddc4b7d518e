//! Suspicious fault reports, for review (§十二: "reporting no fault as a fault"), each with the
//! evidence behind it. Two rules, their numbers from `quality.toml` `[suspicious]`:
//!
//! - **unsupported cause**: a major cause (`major_causes`; empty: any) filed on an incident
//!   that no machine supports: none of its alarms came from the lift's IoT terminal or cabin
//!   phone (only hotline, operator or app reports), and the lift's alarm equipment reported no
//!   fault within `support_window_hours` either side of the first alarm;
//! - **company major share**: a maintenance company (at the time of the incidents) that filed
//!   at least `min_causes` causes, whose share of major causes is at least
//!   `company_share_factor` times the share of all other companies together (and above it).

use super::counts;
use super::lists::CsvRow;
use crate::domain::{CompanyId, LiftId};
use crate::review::IncidentFacts;
use crate::rules::quality::Suspicion;
use crate::store::review::LiftEvent;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A fault report to look at again.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Suspicious {
    /// `unsupported_cause` or `company_major_share`.
    pub kind: &'static str,
    /// The incident (unsupported cause).
    pub incident_id: Option<i64>,
    /// Its lift.
    pub lift_id: Option<i64>,
    /// The company (at the time).
    pub company_id: Option<i64>,
    /// Its name.
    pub company_name: String,
    /// The cause code (unsupported cause).
    pub cause: String,
    /// Why, in Chinese.
    pub why_zh: String,
    /// In English.
    pub why_en: String,
    /// The incidents it stands on.
    pub evidence_incidents: Vec<i64>,
    /// The log rows it stands on (the alarms and the cause filed, where read).
    pub evidence_seqs: Vec<i64>,
}

/// Is the cause on `f` supported by a machine (see the module docs)?
fn supported(f: &IncidentFacts, faults: &[&LiftEvent], window_hours: f64) -> bool {
    if f.channels.iter().any(|c| c == "iot" || c == "cabin_phone") {
        return true;
    }
    let window = chrono::TimeDelta::seconds((window_hours * 3600.0) as i64);
    faults.iter().any(|e| {
        Some(e.lift) == f.lift && e.kind == "equipment_fault" && (e.at - f.alarm_at).abs() <= window
    })
}

/// Every suspicious report among `facts` (equipment `faults` of the period and the window
/// around it); unsupported causes first (oldest first), then companies (highest share first).
pub fn suspicious(
    facts: &[IncidentFacts],
    faults: &[LiftEvent],
    rule: &Suspicion,
    names: &HashMap<CompanyId, String>,
) -> Vec<Suspicious> {
    let mut by_lift: HashMap<LiftId, Vec<&LiftEvent>> = HashMap::new();
    for e in faults {
        by_lift.entry(e.lift).or_default().push(e);
    }
    let none = Vec::new();
    let name = |c: Option<CompanyId>| c.and_then(|c| names.get(&c).cloned()).unwrap_or_default();
    let filed: Vec<&IncidentFacts> = facts
        .iter()
        .filter(|f| counts(f) && f.fault_cause.is_some())
        .collect();
    let mut out = Vec::new();
    for f in &filed {
        let code = f.fault_cause.clone().unwrap_or_default();
        let lift_faults = f.lift.and_then(|l| by_lift.get(&l)).unwrap_or(&none);
        if !rule.is_major(&code) || supported(f, lift_faults, rule.support_window_hours) {
            continue;
        }
        let channels = f.channels.join(", ");
        let h = rule.support_window_hours;
        out.push(Suspicious {
            kind: "unsupported_cause",
            incident_id: Some(f.id.0),
            lift_id: f.lift.map(|l| l.0),
            company_id: f.company.map(|c| c.0),
            company_name: name(f.company),
            cause: code.clone(),
            why_zh: format!(
                "报重大故障原因 {code}，但报警仅来自 {channels}，前后 {h} 小时内无物联网或\
                 轿厢电话报警、无报警设备故障"
            ),
            why_en: format!(
                "major cause {code} filed, but the alarms came only from {channels}, with no IoT \
                 or cabin-phone alarm and no alarm-equipment fault within {h} h"
            ),
            evidence_incidents: vec![f.id.0],
            evidence_seqs: vec![f.last_seq],
        });
    }
    out.extend(company_shares(&filed, rule, &name));
    out
}

/// The second rule: companies whose major share is far above their peers'.
fn company_shares(
    filed: &[&IncidentFacts],
    rule: &Suspicion,
    name: &dyn Fn(Option<CompanyId>) -> String,
) -> Vec<Suspicious> {
    let mut by: BTreeMap<CompanyId, Vec<&IncidentFacts>> = BTreeMap::new();
    for f in filed {
        if let Some(c) = f.company {
            by.entry(c).or_default().push(f);
        }
    }
    let major = |f: &&&IncidentFacts| rule.is_major(f.fault_cause.as_deref().unwrap_or_default());
    let total = filed.len();
    let total_major = filed.iter().filter(major).count();
    let mut rows = Vec::new();
    for (c, fs) in &by {
        let n = fs.len();
        let m = fs.iter().filter(major).count();
        let (peer_n, peer_m) = (total - n, total_major - m);
        if n < rule.min_causes as usize || peer_n == 0 || m == 0 {
            continue;
        }
        let share = m as f64 / n as f64;
        let peers = peer_m as f64 / peer_n as f64;
        if share <= peers || share < rule.company_share_factor * peers {
            continue;
        }
        let majors: Vec<&&IncidentFacts> = fs.iter().filter(major).collect();
        let pct = |x: f64| (x * 1000.0).round() / 10.0;
        rows.push((
            share,
            Suspicious {
                kind: "company_major_share",
                incident_id: None,
                lift_id: None,
                company_id: Some(c.0),
                company_name: name(Some(*c)),
                cause: String::new(),
                why_zh: format!(
                    "所报 {n} 个故障原因中重大故障 {m} 个（{}%），同行为 {}%",
                    pct(share),
                    pct(peers)
                ),
                why_en: format!(
                    "{m} of its {n} filed causes are major ({}%), against {}% for its peers",
                    pct(share),
                    pct(peers)
                ),
                evidence_incidents: majors.iter().map(|f| f.id.0).collect(),
                evidence_seqs: majors.iter().map(|f| f.last_seq).collect(),
            },
        ));
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    rows.into_iter().map(|(_, r)| r).collect()
}

fn join(v: &[i64]) -> String {
    v.iter().map(i64::to_string).collect::<Vec<_>>().join(";")
}

fn num(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl CsvRow for Suspicious {
    const HEADER: &'static [&'static str] = &[
        "kind",
        "incident_id",
        "lift_id",
        "company_id",
        "company_name",
        "cause",
        "why_zh",
        "why_en",
        "evidence_incidents",
        "evidence_seqs",
    ];
    fn record(&self) -> Vec<String> {
        vec![
            self.kind.to_owned(),
            num(self.incident_id),
            num(self.lift_id),
            num(self.company_id),
            self.company_name.clone(),
            self.cause.clone(),
            self.why_zh.clone(),
            self.why_en.clone(),
            join(&self.evidence_incidents),
            join(&self.evidence_seqs),
        ]
    }
}
