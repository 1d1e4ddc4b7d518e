//! Daily seals as the bureau keeps them, and the proof against one.
//!
//! A [`Seal`] is what `GET /api/v1/log/seals` answers for each `log_sealed` row: the row sealed
//! (seq and hash), the day, when it was written, and the seal row's own seq and hash. Kept
//! outside the system (a file, a printout), it proves the log up to the sealed row: the chain
//! must verify from genesis to that row AND that row's hash must still be the kept one
//! ([`check_seals`]). Someone with database rights can rewrite the whole chain so that it
//! verifies again, but cannot make it lead to a hash the bureau already holds.

use super::chain::{Broken, verify_log_with};
use super::{Store, StoredEvent};
use crate::domain::EventKind;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One daily seal, as the bureau keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Seal {
    /// The day sealed (local date of the seal time).
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    /// The sequence of the row sealed (the log's head when the seal was written).
    pub sealed_seq: i64,
    /// That row's hash: what the bureau keeps.
    pub sealed_hash: String,
    /// When the seal was written.
    pub sealed_at: DateTime<Utc>,
    /// When it was due (the configured seal time that day).
    pub due: DateTime<Utc>,
    /// How late it was written, seconds.
    pub late_secs: i64,
    /// The `log_sealed` row's own sequence.
    pub seal_seq: i64,
    /// The `log_sealed` row's own hash.
    pub seal_hash: String,
}

impl Seal {
    /// The seal a `log_sealed` row records (`None` for any other row).
    pub fn of(row: &StoredEvent) -> Option<Seal> {
        match &row.event.kind {
            EventKind::LogSealed {
                day,
                sealed_seq,
                sealed_hash,
                due,
                late_secs,
            } => Some(Seal {
                day: *day,
                sealed_seq: *sealed_seq,
                sealed_hash: sealed_hash.clone(),
                sealed_at: row.event.at,
                due: *due,
                late_secs: *late_secs,
                seal_seq: row.seq,
                seal_hash: row.hash.clone(),
            }),
            _ => None,
        }
    }
}

/// A kept seal as read from a file: only the sealed row's seq and hash are needed (the rest,
/// when present, names the seal in messages).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KeptSeal {
    /// The day sealed, if the file says.
    pub day: Option<NaiveDate>,
    /// The row sealed.
    pub sealed_seq: i64,
    /// Its hash as kept.
    pub sealed_hash: String,
}

impl std::fmt::Display for KeptSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.day {
            Some(day) => write!(f, "the seal of {day} (row {})", self.sealed_seq),
            None => write!(f, "the seal of row {}", self.sealed_seq),
        }
    }
}

/// Reads a seals file: one seal object, or an array of them (what `/api/v1/log/seals` gives).
pub fn parse_kept(text: &str) -> Result<Vec<KeptSeal>, String> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<KeptSeal>),
        One(KeptSeal),
    }
    match serde_json::from_str::<OneOrMany>(text) {
        Ok(OneOrMany::Many(v)) if v.is_empty() => Err("the file holds no seal".into()),
        Ok(OneOrMany::Many(v)) => Ok(v),
        Ok(OneOrMany::One(s)) => Ok(vec![s]),
        Err(e) => Err(format!(
            "not a seal or an array of seals (each with sealed_seq and sealed_hash): {e}"
        )),
    }
}

/// What checking the log against kept seals found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealVerdict {
    /// The chain verifies from genesis to the newest kept seal's row, and every sealed row
    /// still has its kept hash.
    Holds {
        /// Rows verified.
        rows: u64,
        /// The seals checked.
        seals: usize,
    },
    /// The chain itself is broken before the last sealed row.
    Broken(Broken),
    /// The chain verifies, but a sealed row's hash is not the kept one (the chain was
    /// rewritten), or the row is no longer there.
    Differs {
        /// The seal.
        seal: KeptSeal,
        /// What the log holds at that row (`None`: the log ends before it).
        found: Option<String>,
    },
}

/// Verifies the log from genesis up to the newest kept seal's row, checking each sealed row's
/// hash against the kept one on the way; `progress` hears (rows checked, seq) after each row.
pub async fn check_seals(
    store: &dyn Store,
    kept: &[KeptSeal],
    mut progress: impl FnMut(u64, i64),
) -> anyhow::Result<SealVerdict> {
    let wanted: BTreeMap<i64, &KeptSeal> = kept.iter().map(|k| (k.sealed_seq, k)).collect();
    let until = wanted.keys().next_back().copied().unwrap_or(0);
    let mut found: BTreeMap<i64, String> = BTreeMap::new();
    let report = verify_log_with(store, Some(until), |v, row| {
        if wanted.contains_key(&row.seq) {
            found.insert(row.seq, row.hash.clone());
        }
        progress(v.rows(), row.seq);
    })
    .await?;
    if let Some(b) = report.broken {
        return Ok(SealVerdict::Broken(b));
    }
    for (seq, seal) in &wanted {
        let at = found.get(seq);
        if at != Some(&seal.sealed_hash) {
            return Ok(SealVerdict::Differs {
                seal: (*seal).clone(),
                found: at.cloned(),
            });
        }
    }
    Ok(SealVerdict::Holds {
        rows: report.rows,
        seals: wanted.len(),
    })
}
