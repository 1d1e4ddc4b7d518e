//! `liftrescue verify-log [--seal FILE]` and `liftrescue export`: the bureau's proof and bulk
//! export from the command line, with a progress line on stderr for a large log.

use super::progress::Progress;
use crate::export::{Format, Period};
use crate::store::Store;
use crate::store::seals::{SealVerdict, check_seals, parse_kept};
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Exit code for bad arguments (as clap's own).
const USAGE: u8 = 2;

/// `verify-log`: the whole chain; with `seal`, the chain up to each kept seal and its hash.
pub async fn verify_log(store: &Arc<dyn Store>, seal: Option<&Path>) -> anyhow::Result<ExitCode> {
    let kept = match seal {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("read {}", path.display()))?;
            match parse_kept(&text) {
                Ok(kept) => Some(kept),
                Err(e) => {
                    eprintln!("error: {}: {e}", path.display());
                    return Ok(ExitCode::from(USAGE));
                }
            }
        }
    };
    let head = store.log_head().await.context("read the log's head")?;
    let mut progress = Progress::new("rows checked", Some(head.max(0) as u64));
    match kept {
        None => {
            let report = crate::store::chain::verify_log_with(store.as_ref(), None, |v, _| {
                progress.tick(v.rows())
            })
            .await?;
            progress.finish(report.rows);
            Ok(match &report.broken {
                None => {
                    println!(
                        "event log intact: {} rows, hash chain verified up to seq {} (hash {})",
                        report.rows, report.last_seq, report.last_hash
                    );
                    ExitCode::SUCCESS
                }
                Some(b) => {
                    eprintln!("event log BROKEN at seq {}: {}", b.seq, b.why);
                    ExitCode::FAILURE
                }
            })
        }
        Some(kept) => {
            let mut rows = 0;
            let verdict = check_seals(store.as_ref(), &kept, |n, _| {
                rows = n;
                progress.tick(n)
            })
            .await?;
            progress.finish(rows);
            Ok(seal_verdict(&verdict))
        }
    }
}

fn seal_verdict(verdict: &SealVerdict) -> ExitCode {
    match verdict {
        SealVerdict::Holds { rows, seals } => {
            println!(
                "event log holds against {seals} kept seal(s): {rows} rows verified from genesis, every sealed row has its kept hash"
            );
            ExitCode::SUCCESS
        }
        SealVerdict::Broken(b) => {
            eprintln!("event log BROKEN at seq {}: {}", b.seq, b.why);
            ExitCode::FAILURE
        }
        SealVerdict::Differs { seal, found: None } => {
            eprintln!(
                "event log does NOT hold against {seal}: the log no longer reaches row {}",
                seal.sealed_seq
            );
            ExitCode::FAILURE
        }
        SealVerdict::Differs {
            seal,
            found: Some(hash),
        } => {
            eprintln!(
                "event log does NOT hold against {seal}: row {} now has hash {hash}, the seal kept {}; the chain before it was rewritten",
                seal.sealed_seq, seal.sealed_hash
            );
            ExitCode::FAILURE
        }
    }
}

/// `export`: checks the arguments (exit 2, nothing written, when bad), then writes.
pub async fn export(
    settings: &crate::config::Settings,
    from: &str,
    to: &str,
    format: &str,
    out: &Path,
) -> anyhow::Result<ExitCode> {
    let offset = settings.review.seal_utc_offset;
    let checked = Period::parse(from, to, offset)
        .map_err(|e| format!("--{}: {}", e.field, e.message))
        .and_then(|p| {
            Ok((
                p,
                Format::parse(format).map_err(|e| format!("--format: {e}"))?,
            ))
        })
        .and_then(|pf| {
            crate::export::files::check_out(out).map_err(|e| e.to_string())?;
            Ok(pf)
        });
    let (period, format) = match checked {
        Ok(pf) => pf,
        Err(e) => {
            eprintln!("error: {e}; nothing written");
            return Ok(ExitCode::from(USAGE));
        }
    };
    let store = crate::store::open_read_only(&settings.database_url).await?;
    let mut progress = Progress::new("rows written", None);
    let mut rows = 0;
    let manifest =
        crate::export::files::write(store, period, format, out, chrono::Utc::now(), |n| {
            rows = n;
            progress.tick(n)
        })
        .await?;
    progress.finish(rows);
    println!(
        "exported {} incidents and {} events ({} to {}) to {}",
        manifest.incidents.rows,
        manifest.events.rows,
        manifest.from,
        manifest.to,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
