//! Dispatch rules: which chain an incident gets, its steps and deadlines, and the travel model.
//!
//! The format is documented in `dispatch-rules/README.md`. Files are parsed strictly: unknown
//! keys, bad durations, dangling references and unreachable or cyclic chains are errors that name
//! the file, the line and the key. A folder's [`RulesVersion`] is a content hash; each incident
//! keeps a [`ChainSnapshot`] so a rules edit never changes an incident in flight.

mod chain;
mod check;
mod file;
mod folder;
pub mod quality;
#[cfg(test)]
mod quality_tests;
#[cfg(test)]
mod shipped_tests;
mod source;
#[cfg(test)]
mod source_tests;
pub mod storm;
mod summary;
#[cfg(test)]
mod tests;

/// The rules' model lives in the vocabulary ([`crate::domain::chain`]): the log's events carry
/// its chain snapshots and versions.
pub use crate::domain::chain::{
    Chain, ChainSnapshot, Deadline, Dur, OnMiss, Party, RulesFile, RulesVersion, Selector, Step,
    StepId, Target, TravelModel,
};
pub use source::{BUILT_IN_FILES, DEFAULT_DIR, ExportError, RulesSource, export_built_in};
pub use summary::Summary;

use crate::domain::{AdminCode, AlarmFlags, AlarmKind, LiftFlags};
use std::sync::Arc;

/// One problem in a rules folder, located as precisely as the parser allows.
///
/// Shown as `file:line: key: message`, leaving out the parts that are empty: a problem with
/// the folder as a whole (it does not exist, it has no rules files) is its message alone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, utoipa::ToSchema)]
pub struct RulesError {
    /// The file name, as found in the folder (empty when the problem is the folder's).
    pub file: String,
    /// 1-based line (0 when the problem is about the file or folder as a whole).
    pub line: usize,
    /// The key at fault, dotted (e.g. `chains.entrapment.steps.contracted.acknowledge`).
    pub key: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for RulesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut place = self.file.clone();
        if self.line > 0 {
            place = format!("{place}:{}", self.line);
        }
        if !place.is_empty() {
            write!(f, "{place}: ")?;
        }
        if !self.key.is_empty() {
            write!(f, "`{}`: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

/// A checked rules folder: every file, and the folder's version.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    /// Content hash of the folder.
    pub version: RulesVersion,
    /// The files, sorted by name.
    pub files: Vec<Arc<RulesFile>>,
    /// `storm.toml`, when the folder has one: storm mode runs only then.
    pub storm: Option<Arc<crate::domain::storm::StormRules>>,
}

impl RuleSet {
    /// Reads, parses and checks every `*.toml` file in `dir` (README.md and other files are
    /// ignored). All problems of the folder are returned, each naming file, line and key.
    ///
    /// The folder's `quality.toml`, if any, is checked too (its problems are reported with the
    /// rest, so a reload refuses a folder whose quality file is broken) but is not part of the
    /// rules or their version: the evaluation reads it itself ([`quality::QualityConfig`]).
    pub fn load_dir(dir: impl AsRef<std::path::Path>) -> Result<RuleSet, Vec<RulesError>> {
        let dir = dir.as_ref();
        let files = folder::read_dir(dir)?;
        match (
            Self::parse_files(&files),
            quality::QualityConfig::load_dir(dir),
        ) {
            (Ok(set), Ok(_)) => Ok(set),
            (Ok(_), Err(q)) => Err(q),
            (Err(mut e), q) => {
                e.extend(q.err().unwrap_or_default());
                Err(e)
            }
        }
    }

    /// Parses and checks rules given as (file name, text) pairs, e.g. `("default.toml", "…")`.
    /// Pure: the same input always gives the same rules and version.
    pub fn parse_files(files: &[(String, String)]) -> Result<RuleSet, Vec<RulesError>> {
        folder::parse_files(files)
    }

    /// A readable account of every file and chain, as `liftrescue rules check` prints it.
    pub fn summary(&self) -> String {
        summary::Summary(self).to_string()
    }

    /// The file that applies to a lift in `district`: the one with the longest matching region
    /// prefix, else the default file.
    pub fn file_for(&self, district: Option<AdminCode>) -> &RulesFile {
        let code = district.map(|d| d.as_string());
        let best = code.as_deref().and_then(|code| {
            self.files
                .iter()
                .flat_map(|f| f.regions.iter().map(move |r| (f, r)))
                .filter(|(_, r)| code.starts_with(r.as_str()))
                .max_by_key(|(_, r)| r.len())
                .map(|(f, _)| f)
        });
        // A checked folder has exactly one default file, so the fallback exists.
        best.or_else(|| self.files.iter().find(|f| f.default))
            .unwrap_or(&self.files[0])
    }

    /// The chain for a new incident, snapshotted with everything it needs to run to the end.
    pub fn select(
        &self,
        district: Option<AdminCode>,
        kind: &AlarmKind,
        alarm_flags: AlarmFlags,
        lift_flags: LiftFlags,
    ) -> ChainSnapshot {
        let file = self.file_for(district);
        let lift_flag_names = lift_flag_names(lift_flags);
        let alarm_flag_names = alarm_flags.names();
        let any = |want: &[String], have: &[&str]| {
            want.is_empty() || want.iter().any(|w| have.contains(&w.as_str()))
        };
        let selector = file
            .select
            .iter()
            .find(|s| {
                (s.kinds.is_empty() || s.kinds.iter().any(|k| k == kind.rule_name()))
                    && any(&s.alarm_flags_any, &alarm_flag_names)
                    && any(&s.lift_flags_any, &lift_flag_names)
            })
            .or(file.select.last());
        // A checked file ends with a catch-all selector naming an existing chain.
        let chain = selector
            .and_then(|s| file.chains.get(&s.chain))
            .or_else(|| file.chains.values().next())
            .cloned()
            .unwrap_or_else(|| Arc::new(empty_chain()));
        ChainSnapshot {
            rules_version: self.version.clone(),
            file: file.name.clone(),
            chain,
            travel: file.travel.clone(),
            correlation_window: file.correlation_window,
            position_max_age: file.position_max_age,
        }
    }
}

fn empty_chain() -> Chain {
    Chain {
        name: "none".into(),
        start: vec![],
        on_urgent: None,
        confirm: None,
        steps: Default::default(),
    }
}

/// Names of the lift flags that are set, as used in rules files.
pub fn lift_flag_names(f: LiftFlags) -> Vec<&'static str> {
    let mut v = Vec::new();
    if f.no_property_management {
        v.push("no_property_management");
    }
    if f.no_maintenance_unit {
        v.push("no_maintenance_unit");
    }
    if f.no_repair_fund {
        v.push("no_repair_fund");
    }
    v
}
