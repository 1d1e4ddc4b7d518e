//! The running rules: which ones the service starts with, and replacing them while it runs
//! (`SIGHUP`, what `systemctl reload` sends, and `POST /api/v1/rules/reload`).
//!
//! The source (a folder, or the rules built into the binary) is chosen once at start and
//! read again on each reload. New rules are checked in full before anything changes: a folder
//! with errors is refused with every error and the running rules stay. Sound rules go to the
//! desk as one command, ordered with every other, which records `rules_reloaded` on the log
//! and swaps them; open incidents keep the chain they snapshotted when they opened. The same
//! version again (always so for the built-in rules) changes nothing and logs nothing.

use super::{DeskError, DeskHandle, RulesSwap};
use crate::domain::EventKind;
use crate::rules::{RuleSet, RulesError, RulesSource};
use std::sync::Arc;

/// Every problem of the rules from `source`, as one text for a person.
pub fn describe(source: &RulesSource, errors: &[RulesError]) -> String {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    if errors.iter().all(|e| e.file.is_empty()) {
        return lines.join("\n");
    }
    let n = errors.len();
    let s = if n == 1 { "" } else { "s" };
    format!(
        "{}: {n} error{s}:\n{}",
        source.described(),
        lines.join("\n")
    )
}

/// Loads the rules to start with, logging where they come from and their version.
pub fn load_at_start(source: &RulesSource) -> anyhow::Result<RuleSet> {
    let rules = source
        .load()
        .map_err(|errors| anyhow::anyhow!("{}", describe(source, &errors)))?;
    tracing::info!(
        rules = %source,
        version = %rules.version,
        "dispatch rules: {}, version {}",
        source.described(),
        rules.version.short()
    );
    Ok(rules)
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Reloaded {
    /// `reloaded` (a new version runs; `rules_reloaded` is on the log) or `unchanged` (the
    /// same version: nothing changed, nothing logged).
    pub status: &'static str,
    /// `built-in`, or the rules folder's path.
    pub source: String,
    /// The version that was running.
    pub from: String,
    /// The version running now.
    pub to: String,
    /// What happened, for people.
    pub message: String,
}

/// Why a reload changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The rules read have errors (every one is here); the running rules stay.
    #[error("the running rules stay: {}", describe(.origin, .errors))]
    Invalid {
        /// Where they were read.
        origin: RulesSource,
        /// Every problem.
        errors: Vec<RulesError>,
    },
    /// The desk or the log did not take the swap; the running rules stay.
    #[error(transparent)]
    Desk(#[from] DeskError),
}

/// Reads and checks the rules from the service's source again and, when sound and of a new
/// version, has the desk record the reload and run them for new incidents. `by` is who asked
/// (`signal`, or the admin token's label).
pub async fn reload(
    desk: &DeskHandle,
    source: &RulesSource,
    by: &str,
) -> Result<Reloaded, ReloadError> {
    let source = source.clone();
    let reading = source.clone();
    let loaded = tokio::task::spawn_blocking(move || reading.load())
        .await
        .unwrap_or_else(|e| {
            Err(vec![RulesError {
                file: String::new(),
                line: 0,
                key: String::new(),
                message: format!("reading the rules stopped: {e}"),
            }])
        });
    let rules = loaded.map_err(|errors| ReloadError::Invalid {
        origin: source.clone(),
        errors,
    })?;
    let to = rules.version.clone();
    let swap = RulesSwap {
        rules: Arc::new(rules),
        source: source.to_string(),
        by: by.to_owned(),
    };
    let events = desk.swap_rules(swap).await?;
    let from = events.iter().find_map(|e| match &e.kind {
        EventKind::RulesReloaded { from, .. } => Some(from.clone()),
        _ => None,
    });
    let Some(from) = from else {
        let message = match source {
            RulesSource::BuiltIn => format!(
                "the built-in rules cannot change while running (version {}); to reload rules, \
                 export them (`liftrescue rules export DIR`), set `rules_dir` to that folder and \
                 restart once",
                to.short()
            ),
            RulesSource::Folder(_) => format!(
                "{} holds the running version {}: nothing to reload",
                source.described(),
                to.short()
            ),
        };
        return Ok(Reloaded {
            status: "unchanged",
            source: source.to_string(),
            from: to.0.clone(),
            to: to.0,
            message,
        });
    };
    let message = format!(
        "version {} replaces {}: incidents opened from now on follow it, open incidents keep \
         the rules they opened with",
        to.short(),
        from.short()
    );
    Ok(Reloaded {
        status: "reloaded",
        source: source.to_string(),
        from: from.0,
        to: to.0,
        message,
    })
}

/// Reloads the rules on every `SIGHUP` until aborted; the outcome is logged (there is nobody
/// else to tell).
#[cfg(unix)]
pub async fn reload_on_hangup(
    desk: DeskHandle,
    source: RulesSource,
    mut hangup: tokio::signal::unix::Signal,
) {
    while hangup.recv().await.is_some() {
        match reload(&desk, &source, "signal").await {
            Ok(r) => tracing::info!(
                rules = %r.source,
                from = %r.from,
                to = %r.to,
                status = r.status,
                "SIGHUP: {}",
                r.message
            ),
            Err(e) => tracing::error!("SIGHUP: rules reload refused; {e}"),
        }
    }
}
