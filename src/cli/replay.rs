//! `liftrescue replay INCIDENT`: one incident's decisions made again from its record.

use super::ConfigArg;
use crate::dispatch::replay::Replay;
use crate::domain::IncidentId;
use anyhow::Context;
use std::process::ExitCode;

/// Exit status when the incident cannot be replayed at all.
const CANNOT: u8 = 2;

/// Runs the replay and prints the answer: exit 0 identical, 1 different, 2 not replayable.
pub fn run(incident: i64, json: bool, config: &ConfigArg) -> ExitCode {
    if incident < 1 {
        eprintln!("error: an incident id is a number from 1 (got {incident})");
        return ExitCode::from(CANNOT);
    }
    let id = IncidentId(incident);
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("start the async runtime")
        .and_then(|rt| rt.block_on(load(config, id)));
    let replay = match result {
        Ok(Some(r)) => r,
        Ok(None) => {
            eprintln!("error: {id} is not in the log");
            return ExitCode::from(CANNOT);
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(CANNOT);
        }
    };
    print(&replay, json);
    match (replay.identical, &replay.not_replayable) {
        (true, _) => ExitCode::SUCCESS,
        (false, Some(_)) => ExitCode::from(CANNOT),
        (false, None) => ExitCode::FAILURE,
    }
}

async fn load(config: &ConfigArg, id: IncidentId) -> anyhow::Result<Option<Replay>> {
    let s = config.load()?;
    crate::telemetry::init(s.log_format);
    let store = crate::store::open_read_only(&s.database_url).await?;
    crate::store::replay_incident(store.as_ref(), id)
        .await
        .context("read the incident's events")
}

fn print(replay: &Replay, json: bool) {
    if json {
        match serde_json::to_string_pretty(replay) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: {e}"),
        }
        return;
    }
    println!("{}", replay.words());
    if let Some(d) = &replay.difference {
        for f in &d.fields {
            println!(
                "  {}: recorded {}, replayed {}",
                f.field, f.recorded, f.replayed
            );
        }
    }
}
