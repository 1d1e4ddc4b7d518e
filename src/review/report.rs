//! The incident report: one document a person reads and prints, built from the incident's own
//! log rows (never from the registry as it is today, except for company names), its outbox
//! messages and the log's head. Pure: [`build`] takes plain data and `now`.
//!
//! Every line carries the log row it stands on (`seq`, `hash`), so a printed report can be
//! checked against the chain row by row; the footer names the incident's last row and the log's
//! head when the report was made. The facts summary at the top is [`crate::review::facts`]
//! folded from the same rows. The HTML and CSV renderings are in [`super::report_html`] and
//! [`super::report_text`].

use super::facts::{self, IncidentFacts};
pub use super::report_sla::SlaMark;
use super::report_sla::sla_marks;
use super::report_text::{actor, detail};
use crate::domain::chain::ChainSnapshot;
use crate::domain::{CompanyId, EventKind, Lift, UnitId};
use crate::store::StoredEvent;
use crate::store::outbox::Message;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// The log row a line stands on.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Position in the whole log.
    pub seq: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The event's type (`unit_paged`, …).
    pub kind: &'static str,
    /// Who caused it (`system`, `operator:wang`, `unit:12`, `source:iot`).
    pub actor: String,
    /// The rule step that caused it.
    pub step: Option<String>,
    /// Why, in words.
    pub reason: String,
    /// What it says, in one line.
    pub detail: String,
    /// Its hash.
    pub hash: String,
}

impl Row {
    fn of(r: &StoredEvent) -> Self {
        let e = &r.event;
        Row {
            seq: r.seq,
            at: e.at,
            kind: e.kind.name(),
            actor: actor(&e.actor),
            step: e.step.clone(),
            reason: e.reason.clone(),
            detail: detail(e),
            hash: r.hash.clone(),
        }
    }
}

/// A company party of the lift.
#[derive(Debug, Clone, Serialize)]
pub struct Party {
    /// `maintainer` or `use_unit`.
    pub role: &'static str,
    /// The company.
    pub company: CompanyId,
    /// Its name in the registry (empty when it has none).
    pub name: String,
}

/// The rules the incident ran under.
#[derive(Debug, Clone, Serialize)]
pub struct Rules {
    /// The rules version (content hash).
    pub version: String,
    /// The rules file that applied.
    pub file: String,
    /// The chain's name.
    pub chain: String,
    /// Its steps: id, level, whom it pages, and its clocks in seconds.
    pub steps: Vec<StepClock>,
    /// The row that snapshotted it (`incident_opened` or `lift_attached`).
    pub seq: i64,
    /// That row's hash.
    pub hash: String,
}

/// A step's clocks, from the snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct StepClock {
    /// Step id.
    pub id: String,
    /// Response level.
    pub level: u8,
    /// Whom it pages.
    pub page: &'static str,
    /// Acknowledge within, seconds.
    pub acknowledge_secs: u64,
    /// On scene within (from its first page), seconds.
    pub arrive_secs: Option<u64>,
    /// Released within (from arrival), seconds.
    pub release_secs: Option<u64>,
}

/// The incident's lift as its own rows recorded it.
#[derive(Debug, Clone, Serialize)]
pub struct LiftPart {
    /// The lift.
    pub lift: Lift,
    /// The row that recorded it.
    pub seq: i64,
    /// That row's hash.
    pub hash: String,
}

/// The chain's end the report stands on.
#[derive(Debug, Clone, Serialize)]
pub struct Footer {
    /// The incident's last row.
    pub last_seq: i64,
    /// Its hash.
    pub last_hash: String,
    /// The log's head when the report was made.
    pub log_head_seq: i64,
    /// Its hash.
    pub log_head_hash: String,
}

/// The incident report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The incident.
    pub incident: i64,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// The facts folded from the timeline.
    pub facts: IncidentFacts,
    /// The lift, from the incident's snapshot (`None`: never identified).
    pub lift: Option<LiftPart>,
    /// The lift's companies, named from the registry.
    pub parties: Vec<Party>,
    /// The rules and chain it ran under (the last snapshot).
    pub rules: Option<Rules>,
    /// Every alarm: opening and joined.
    pub alarms: Vec<AlarmLine>,
    /// Every decision of the chain, with its reason and step.
    pub decisions: Vec<Row>,
    /// Every delivery outcome recorded on the timeline.
    pub deliveries: Vec<Row>,
    /// Every outbox message of the incident's pages, as it stands.
    pub messages: Vec<MessageLine>,
    /// Acceptances, declines and crew progress: who arrived when.
    pub crew: Vec<Row>,
    /// The SLA marks.
    pub sla: Vec<SlaMark>,
    /// Operator notes.
    pub notes: Vec<Row>,
    /// The fault cause filed (the last).
    pub fault_cause: Option<Row>,
    /// Release confirmation and how it ended.
    pub closure: Vec<Row>,
    /// Every row, in order.
    pub timeline: Vec<Row>,
    /// The chain's ends.
    pub footer: Footer,
}

/// One alarm of the incident.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmLine {
    /// The log row (`incident_opened` or `alarm_joined`).
    pub seq: i64,
    /// Its hash.
    pub hash: String,
    /// `cabin_phone`, `iot`, `hotline`, `operator`, `app`.
    pub channel: &'static str,
    /// The source's own alarm id.
    pub source_alarm_id: String,
    /// What it reported.
    pub kind: String,
    /// Urgency flags.
    pub flags: Vec<&'static str>,
    /// People trapped, when the caller said.
    pub trapped: Option<u16>,
    /// The floor, when known.
    pub floor: Option<String>,
    /// The caller's or source's words.
    pub description: String,
    /// When it happened at the source.
    pub occurred_at: DateTime<Utc>,
    /// When the platform had it.
    pub received_at: DateTime<Utc>,
}

fn alarm_line(r: &StoredEvent) -> Option<AlarmLine> {
    let a = match &r.event.kind {
        EventKind::IncidentOpened { alarm, .. } | EventKind::AlarmJoined { alarm } => alarm,
        _ => return None,
    };
    Some(AlarmLine {
        seq: r.seq,
        hash: r.hash.clone(),
        channel: facts::channel_name(a.channel),
        source_alarm_id: a.source_alarm_id.clone(),
        kind: a.kind.rule_name().to_owned(),
        flags: a.flags.names(),
        trapped: a.trapped,
        floor: a.floor.clone(),
        description: a.description.clone(),
        occurred_at: a.occurred_at,
        received_at: a.received_at,
    })
}

/// One outbox message.
#[derive(Debug, Clone, Serialize)]
pub struct MessageLine {
    /// Its dedupe key.
    pub message: String,
    /// The unit paged.
    pub unit: UnitId,
    /// The step.
    pub step: String,
    /// `push`, `sms`, `voice`, `webhook`.
    pub channel: &'static str,
    /// Where it stands.
    pub status: &'static str,
    /// Gateway calls made.
    pub attempts: i32,
    /// The last error.
    pub last_error: Option<String>,
    /// The gateway's id.
    pub gateway_ref: Option<String>,
}

/// What the report is built from.
pub struct Input<'a> {
    /// The incident's rows, in log order.
    pub rows: &'a [StoredEvent],
    /// Its outbox messages.
    pub messages: &'a [Message],
    /// Company names by id.
    pub companies: &'a HashMap<CompanyId, String>,
    /// The log's head (seq, hash).
    pub head: (i64, String),
}

/// Builds the report; `None` when the rows do not open an incident.
pub fn build(input: &Input<'_>, now: DateTime<Utc>) -> Option<Report> {
    let rows = input.rows;
    let facts = facts::fold(rows.iter().map(|r| (r.seq, r.hash.as_str(), &r.event)))?;
    let last = rows.last()?;
    let pick = |f: fn(&EventKind) -> bool| -> Vec<Row> {
        rows.iter()
            .filter(|r| f(&r.event.kind))
            .map(Row::of)
            .collect()
    };
    let (lift, rules) = snapshot(rows);
    let parties = lift
        .as_ref()
        .map(|l| parties(&l.lift, input.companies))
        .unwrap_or_default();
    let fault_cause = rows
        .iter()
        .rev()
        .find(|r| matches!(r.event.kind, EventKind::FaultCauseFiled { .. }))
        .map(Row::of);
    Some(Report {
        incident: facts.id.0,
        generated_at: now,
        lift,
        parties,
        rules,
        alarms: rows.iter().filter_map(alarm_line).collect(),
        decisions: pick(is_decision),
        deliveries: pick(|k| matches!(k, EventKind::Delivery { .. })),
        messages: input.messages.iter().map(message_line).collect(),
        crew: pick(|k| {
            matches!(
                k,
                EventKind::Accepted { .. }
                    | EventKind::Declined { .. }
                    | EventKind::CrewProgress { .. }
            )
        }),
        sla: sla_marks(rows, facts.ended_at.is_none().then_some(now)),
        notes: pick(|k| matches!(k, EventKind::Note { .. })),
        fault_cause,
        closure: pick(|k| {
            matches!(
                k,
                EventKind::ReleaseConfirmed
                    | EventKind::Closed { .. }
                    | EventKind::Cancelled
                    | EventKind::FalseAlarm
            )
        }),
        timeline: rows.iter().map(Row::of).collect(),
        footer: Footer {
            last_seq: last.seq,
            last_hash: last.hash.clone(),
            log_head_seq: input.head.0,
            log_head_hash: input.head.1.clone(),
        },
        facts,
    })
}

/// A decision of the chain (what the rules did, as opposed to what people reported).
fn is_decision(k: &EventKind) -> bool {
    matches!(
        k,
        EventKind::StepStarted { .. }
            | EventKind::UnitPaged { .. }
            | EventKind::NoCandidate { .. }
            | EventKind::StepExhausted { .. }
            | EventKind::NeedsOperator { .. }
            | EventKind::PartiesNotified { .. }
            | EventKind::AckMissed { .. }
            | EventKind::PageCancelled { .. }
            | EventKind::DeadlineWarning { .. }
            | EventKind::DeadlineBreached { .. }
    )
}

fn message_line(m: &Message) -> MessageLine {
    MessageLine {
        message: m.dedupe_key.clone(),
        unit: m.unit,
        step: m.step.clone(),
        channel: m.channel.as_str(),
        status: m.status.as_str(),
        attempts: m.attempts,
        last_error: m.last_error.clone(),
        gateway_ref: m.gateway_ref.clone(),
    }
}

/// The lift and the rules from the last snapshot (`incident_opened`, then `lift_attached`).
fn snapshot(rows: &[StoredEvent]) -> (Option<LiftPart>, Option<Rules>) {
    let mut lift = None;
    let mut rules = None;
    for r in rows {
        let (l, chain): (Option<&Lift>, &ChainSnapshot) = match &r.event.kind {
            EventKind::IncidentOpened { lift, chain, .. } => (lift.as_deref(), chain),
            EventKind::LiftAttached { lift, chain, .. } => (Some(lift), chain),
            _ => continue,
        };
        if let Some(l) = l {
            lift = Some(LiftPart {
                lift: l.clone(),
                seq: r.seq,
                hash: r.hash.clone(),
            });
        }
        rules = Some(Rules {
            version: chain.rules_version.0.clone(),
            file: chain.file.clone(),
            chain: chain.chain.name.clone(),
            steps: chain
                .chain
                .steps
                .values()
                .map(|s| StepClock {
                    id: s.id.clone(),
                    level: s.level,
                    page: s.page.as_str(),
                    acknowledge_secs: s.acknowledge.0.as_secs(),
                    arrive_secs: s.arrive.map(|d| d.limit.0.as_secs()),
                    release_secs: s.release.map(|d| d.limit.0.as_secs()),
                })
                .collect(),
            seq: r.seq,
            hash: r.hash.clone(),
        });
    }
    (lift, rules)
}

fn parties(lift: &Lift, names: &HashMap<CompanyId, String>) -> Vec<Party> {
    [("maintainer", lift.maintainer), ("use_unit", lift.use_unit)]
        .into_iter()
        .filter_map(|(role, c)| {
            let company = c?;
            Some(Party {
                role,
                company,
                name: names.get(&company).cloned().unwrap_or_default(),
            })
        })
        .collect()
}
