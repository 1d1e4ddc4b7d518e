//! `liftrescue backup FILE`: an online, consistent copy of an SQLite database, taken while a
//! server runs on it.
//!
//! `VACUUM INTO` copies the database as one read transaction sees it: in WAL mode (the store's)
//! that snapshot is consistent however the server writes meanwhile, and the server is never
//! blocked (readers and the writer do not wait on each other). The copy is compact and needs
//! no WAL beside it. It is opened read-only: the source file is never written, created or
//! migrated. An existing FILE is never overwritten (SQLite refuses too, so a file that appears
//! between the check and the copy is still safe). PostgreSQL has its own tools for this
//! (`pg_dump -Fc`), which the restore runbook describes.

use super::ConfigArg;
use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use std::path::Path;
use std::process::ExitCode;
use std::str::FromStr;

/// What a finished backup holds.
#[derive(Debug, PartialEq, Eq)]
pub struct Copied {
    /// Rows in the event log.
    pub events: i64,
    /// The last row's sequence number (0 for an empty log).
    pub last_seq: i64,
}

/// Runs `liftrescue backup FILE`.
pub fn run(file: &Path, config: &ConfigArg) -> ExitCode {
    let settings = match config.load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let url = settings.database_url;
    if crate::store::is_postgres(&url) {
        eprintln!(
            "error: {} is PostgreSQL: back it up with its own tools, e.g. \
             `pg_dump -Fc -f liftrescue.dump DBNAME` (restore with `pg_restore`, then check \
             the copy with `liftrescue verify-log`); see ops/runbooks/restore-from-backup.md",
            crate::config::redact(&url)
        );
        return ExitCode::from(2);
    }
    if file.exists() {
        eprintln!(
            "error: {} exists: a backup never overwrites a file (name a new one)",
            file.display()
        );
        return ExitCode::from(2);
    }
    let copied = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("start the async runtime")
        .and_then(|rt| rt.block_on(backup_sqlite(&url, file)));
    match copied {
        Ok(c) => {
            println!(
                "backed up {url} to {}: {} events, last seq {}",
                file.display(),
                c.events,
                c.last_seq
            );
            eprintln!(
                "check it with: LIFTRESCUE_DATABASE_URL=sqlite:{} liftrescue verify-log",
                file.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Copies the SQLite database `url` names into the new file `out` and checks the copy.
pub async fn backup_sqlite(url: &str, out: &Path) -> anyhow::Result<Copied> {
    let source = url
        .strip_prefix("sqlite:")
        .map(|r| {
            r.trim_start_matches("//")
                .split('?')
                .next()
                .unwrap_or_default()
        })
        .filter(|p| !p.is_empty() && !p.contains(":memory:"))
        .with_context(|| format!("{url:?} is not an SQLite database file"))?;
    anyhow::ensure!(
        Path::new(source).exists(),
        "{source} does not exist (a backup never creates the database it copies)"
    );
    let out_text = out
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", out.display()))?;
    let mut conn = read_only(url)
        .await
        .context("open the database read-only")?;
    let copy = sqlx::query("VACUUM INTO ?")
        .bind(out_text)
        .execute(&mut conn)
        .await;
    conn.close().await.ok();
    if let Err(e) = copy {
        return Err(e).with_context(|| format!("copy {source} into {}", out.display()));
    }
    check(out)
        .await
        .with_context(|| format!("check the copy {}", out.display()))
}

async fn read_only(url: &str) -> Result<SqliteConnection, sqlx::Error> {
    SqliteConnectOptions::from_str(url)?
        .read_only(true)
        .create_if_missing(false)
        .busy_timeout(std::time::Duration::from_secs(10))
        .connect()
        .await
}

/// The copy passes SQLite's integrity check; what its event log holds.
async fn check(out: &Path) -> anyhow::Result<Copied> {
    let url = format!("sqlite:{}", out.display());
    let mut conn = read_only(&url).await?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?;
    anyhow::ensure!(integrity == "ok", "integrity check: {integrity}");
    let (events, last_seq): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM events")
            .fetch_one(&mut conn)
            .await
            .context("read the copy's event log")?;
    conn.close().await.ok();
    Ok(Copied { events, last_seq })
}
