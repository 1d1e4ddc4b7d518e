//! `liftrescue seed-demo [--history DAYS]`: the demo region into the registry and, if asked,
//! a history played through the dispatch desk into the event log.

use crate::config::Settings;
use crate::demo::RegionSpec;
use crate::demo::history::HistorySpec;
use crate::registry::history::{HistoryError, Progress, play_history};
use std::process::ExitCode;
use std::time::Instant;

/// Seeds the region; plays `history` when given, ending at `until` (default: now). Exit 2, nothing written, when a history is
/// asked for and the log is not empty.
pub(super) async fn seed_demo(
    settings: &Settings,
    spec: &RegionSpec,
    history: Option<&HistorySpec>,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<ExitCode> {
    if until.is_some_and(|t| t > chrono::Utc::now()) {
        anyhow::bail!("--until is in the future: a history ends at the latest now");
    }
    // The rules first: a bad rules folder stops the history with nothing written.
    let rules = match history {
        Some(_) => {
            let source = crate::rules::RulesSource::choose(settings.rules_dir.as_deref());
            Some(crate::desk::reload::load_at_start(&source)?)
        }
        None => None,
    };
    let store = match history {
        Some(_) => crate::store::open_for_bulk_load(&settings.database_url).await?,
        None => crate::store::open(&settings.database_url).await?,
    };
    if history.is_some() {
        let head = store.log_head().await?;
        if head > 0 {
            eprintln!("error: {}", HistoryError::LogNotEmpty(head));
            return Ok(ExitCode::from(2));
        }
    }
    let end = until.unwrap_or_else(chrono::Utc::now);
    crate::registry::seed_demo(store.as_ref(), spec, end).await?;
    println!(
        "loaded the demo region: {} lifts, {} maintainers, {} fire/rescue units",
        spec.lifts, spec.maintainers, spec.fire_stations
    );
    let (Some(history), Some(rules)) = (history, rules) else {
        return Ok(ExitCode::SUCCESS);
    };
    let started = Instant::now();
    let step = (history.days / 10).max(1);
    let progress = |p: Progress| {
        if p.day.is_multiple_of(step) || p.day == p.days {
            eprintln!(
                "history: day {}/{}: {} incidents, {} events ({:.1} s)",
                p.day,
                p.days,
                p.incidents,
                p.events,
                started.elapsed().as_secs_f64()
            );
        }
    };
    let played = play_history(store.clone(), rules, spec, history, end, progress).await;
    if played.is_ok() {
        // The review tables (search, statistics) read the log through their indexer: bring
        // them up to date now rather than at the first review read.
        crate::review::indexer::catch_up(store.as_ref()).await?;
    }
    match played {
        Ok(r) => {
            println!(
                "played {} days of history (seed {}): {} incidents from {} alarms, {} events in the log, {} equipment reports, {} crew actions overtaken by events; {:.1} s",
                history.days,
                history.seed,
                r.incidents,
                r.alarms,
                r.events,
                r.equipment_reports,
                r.refused,
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(HistoryError::LogNotEmpty(n)) => {
            eprintln!("error: {}", HistoryError::LogNotEmpty(n));
            Ok(ExitCode::from(2))
        }
        Err(HistoryError::Failed(e)) => Err(e),
    }
}
