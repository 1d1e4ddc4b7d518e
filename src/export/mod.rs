//! Bulk export of a period's incidents and events for the bureau, every row with the hashes it
//! came from.
//!
//! Events are the log rows whose time falls in the period, each with its seq, incident_seq,
//! previous and own hash and the canonical text the hash covers, so the chain can be recomputed
//! from the export alone (the first row's `prev_hash` names the row before the period).
//! Incidents are those opened in the period, as the incidents projection has them now, each
//! with the seq and hash of its last log row: the row its status follows from (inside the
//! period's events unless the incident went on after it).
//!
//! Both are read page by page ([`EventPages`], [`IncidentPages`]) and encoded line by line
//! ([`lines`]), so a year is never held in memory; [`files`] writes them to disk with a
//! manifest, and the HTTP route streams one of them.

pub mod files;
pub mod lines;

use crate::store::{IncidentRow, Store, StoreError, StoredEvent};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use std::sync::Arc;

/// Rows read per page.
pub const PAGE: i64 = 1_000;

/// A half-open period `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The first instant in it.
    pub from: DateTime<Utc>,
    /// The first instant after it.
    pub to: DateTime<Utc>,
}

/// A bad `from` or `to`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PeriodError {
    /// `from` or `to` (or both, for their order).
    pub field: &'static str,
    /// Why.
    pub message: String,
}

impl Period {
    /// Reads `from` and `to`, each an RFC 3339 time or a date (`2026-12-01`, read at `offset`:
    /// `from` from its midnight, `to` through its end). Refused: anything else, and a period that
    /// ends before it begins or is empty.
    pub fn parse(from: &str, to: &str, offset: FixedOffset) -> Result<Period, PeriodError> {
        let from = bound("from", from, offset, false)?;
        let to = bound("to", to, offset, true)?;
        if from >= to {
            return Err(PeriodError {
                field: "to",
                message: format!("the period ends ({to}) before it begins ({from}), or is empty"),
            });
        }
        Ok(Period { from, to })
    }
}

fn bound(
    field: &'static str,
    text: &str,
    offset: FixedOffset,
    end: bool,
) -> Result<DateTime<Utc>, PeriodError> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.to_utc());
    }
    let bad = || PeriodError {
        field,
        message: format!("{text:?} is not a date (2026-12-01) or an RFC 3339 time"),
    };
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())?;
    let day = if end {
        day.succ_opt().ok_or_else(bad)?
    } else {
        day
    };
    let local = day.and_hms_opt(0, 0, 0).ok_or_else(bad)?;
    Ok((local - chrono::TimeDelta::seconds(offset.local_minus_utc().into())).and_utc())
}

/// What is exported: CSV or JSON Lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object a line, each tagged with its `type`.
    Jsonl,
}

impl Format {
    /// `csv` or `jsonl`.
    pub fn parse(text: &str) -> Result<Format, String> {
        match text.trim() {
            "csv" => Ok(Format::Csv),
            "jsonl" => Ok(Format::Jsonl),
            other => Err(format!("{other:?} is not a format: csv or jsonl")),
        }
    }
}

/// A period's log rows, page by page, in log order.
pub struct EventPages {
    store: Arc<dyn Store>,
    period: Period,
    after: i64,
    done: bool,
}

impl EventPages {
    /// From the period's first row.
    pub fn new(store: Arc<dyn Store>, period: Period) -> Self {
        EventPages {
            store,
            period,
            after: 0,
            done: false,
        }
    }

    /// The next page (`None`: no more).
    pub async fn next(&mut self) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let (from, to) = (self.period.from, self.period.to);
        let page = self.store.log_period(from, to, self.after, PAGE).await?;
        self.done = (page.len() as i64) < PAGE;
        match page.last() {
            Some(last) => {
                self.after = last.seq;
                Ok(Some(page))
            }
            None => Ok(None),
        }
    }
}

/// An incident with the seq and hash of its last log row.
pub type IncidentWithHead = (IncidentRow, Option<(i64, String)>);

/// The incidents opened in a period, page by page, in id order, each with its last row.
pub struct IncidentPages {
    store: Arc<dyn Store>,
    period: Period,
    after: i64,
    done: bool,
}

impl IncidentPages {
    /// From the period's first incident.
    pub fn new(store: Arc<dyn Store>, period: Period) -> Self {
        IncidentPages {
            store,
            period,
            after: 0,
            done: false,
        }
    }

    /// The next page (`None`: no more).
    pub async fn next(&mut self) -> Result<Option<Vec<IncidentWithHead>>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let (from, to) = (self.period.from, self.period.to);
        let page = self
            .store
            .incidents_opened(from, to, self.after, PAGE)
            .await?;
        self.done = (page.len() as i64) < PAGE;
        let Some(last) = page.last() else {
            return Ok(None);
        };
        self.after = last.id.0;
        let ids: Vec<_> = page.iter().map(|i| i.id).collect();
        let heads: std::collections::HashMap<_, _> = self
            .store
            .incident_heads(&ids)
            .await?
            .into_iter()
            .map(|(id, seq, hash)| (id, (seq, hash)))
            .collect();
        Ok(Some(
            page.into_iter()
                .map(|i| {
                    let head = heads.get(&i.id).cloned();
                    (i, head)
                })
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn china() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn dates_are_whole_days_in_china_time_and_times_are_taken_as_given() {
        let p = Period::parse("2026-12-01", "2026-12-01", china()).unwrap();
        assert_eq!(p.from.to_rfc3339(), "2026-11-30T16:00:00+00:00");
        assert_eq!(p.to.to_rfc3339(), "2026-12-01T16:00:00+00:00");
        let p = Period::parse("2026-12-01T00:00:00Z", "2026-12-01T09:00:00+08:00", china());
        assert_eq!(p.unwrap().to.to_rfc3339(), "2026-12-01T01:00:00+00:00");
    }

    #[test]
    fn a_bad_date_or_a_period_ending_before_it_begins_is_refused_naming_the_field() {
        let e = Period::parse("yesterday", "2026-12-01", china()).unwrap_err();
        assert_eq!(e.field, "from");
        let e = Period::parse("2026-12-01", "2026-13-01", china()).unwrap_err();
        assert_eq!(e.field, "to");
        let e = Period::parse("2026-12-02", "2026-12-01", china()).unwrap_err();
        assert!(e.message.contains("before it begins"), "{e}");
        assert!(Format::parse("xml").is_err());
        assert_eq!(Format::parse("jsonl"), Ok(Format::Jsonl));
    }
}
