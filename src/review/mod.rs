//! Review for the bureaus: what investigators read, all of it computed from the event log.
//!
//! - [`facts`]: one incident's facts folded from its events (the definitions of every measure).
//! - [`outcome`]: how an incident ended and which deadlines it missed.
//! - [`indexer`]: keeps the stored facts (`incident_facts`) and the lifts' equipment history in
//!   step with the log, behind the desk, from a cursor.
//! - [`stats`]: the 96333 platforms' measures over a period, grouped, from facts. Pure.
//! - [`quality`]: the lift quality evaluation (score, grade, reasons), the bureaus' lists and a
//!   lift's whole-life history. Pure.
//! - [`report`]: the incident report (facts, lift, alarms, decisions, pages, SLA marks, rules,
//!   every row with its hash), rendered by [`report_html`] (print page, 中文/English) and
//!   [`report_text`] (CSV). Pure.
//! - [`search`]: the investigators' incident search: its query, checked.

pub mod facts;
pub mod indexer;
pub mod outcome;
pub mod quality;
pub mod report;
pub mod report_html;
pub mod report_sla;
#[cfg(test)]
mod report_tests;
pub mod report_text;
pub mod report_words;
pub mod search;
pub mod stats;

pub use facts::{BreachKind, IncidentFacts, Outcome, PagedUnit};
