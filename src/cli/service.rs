//! The commands that talk to the database: `serve`, `migrate`, `verify-log`, `export`, `import`,
//! `seed-demo`, `token create`. Each loads the settings, runs on its own tokio runtime, and
//! returns an exit code; errors are printed once, here.

use super::{Command, ConfigArg, ImportCommand, TokenCommand};
use crate::config::Settings;
use crate::store::{Role, Store};
use anyhow::Context;
use std::process::ExitCode;
use std::sync::Arc;

/// Runs one of the database commands.
pub fn run(command: Command) -> ExitCode {
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the async runtime")
        .and_then(|rt| rt.block_on(dispatch(command)));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(c) => {
            let s = every_region(&c)?;
            ensure_schema(&c).await?;
            if s.regions.is_empty() {
                serve(s).await
            } else {
                serve_regions(s).await
            }
        }
        Command::Migrate(c) => {
            let s = settings(&c)?;
            ensure_schema(&c).await?;
            crate::store::open(&s.database_url).await?;
            println!(
                "migrations applied to {}",
                crate::config::redact(&s.database_url)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::VerifyLog { seal, config } => {
            let url = settings(&config)?.database_url;
            let store = crate::store::open_read_only(&url).await?;
            super::proof::verify_log(&store, seal.as_deref()).await
        }
        Command::Status { json, config } => {
            super::status::command(&every_region(&config)?, json).await
        }
        Command::Export {
            from,
            to,
            format,
            out,
            config,
        } => super::proof::export(&settings(&config)?, &from, &to, &format, &out).await,
        Command::Import(ImportCommand::Lifts { file, config }) => {
            super::import::import(&config, &file, true).await
        }
        Command::Import(ImportCommand::Units { file, config }) => {
            super::import::import(&config, &file, false).await
        }
        Command::SeedDemo {
            lifts,
            history,
            rate,
            seed,
            until,
            config,
        } => {
            let s = settings(&config)?;
            let spec = crate::demo::RegionSpec {
                lifts,
                ..crate::demo::RegionSpec::of(&s)
            };
            let history = history.map(|days| crate::demo::history::HistorySpec {
                days,
                seed,
                rate_per_day: rate,
            });
            ensure_schema(&config).await?;
            super::history::seed_demo(&s, &spec, history.as_ref(), until).await
        }
        Command::Token(TokenCommand::Create {
            role,
            unit,
            label,
            config,
        }) => token(&config, role, unit, &label).await,
        Command::Demo { .. }
        | Command::Rules(_)
        | Command::VapidKeys
        | Command::Replay { .. }
        | Command::Backup { .. }
        | Command::Simulate(_) => Ok(ExitCode::FAILURE),
    }
}

/// The settings of a command on one store (with `[[regions]]`, `--region` names which).
fn settings(c: &ConfigArg) -> anyhow::Result<Settings> {
    let s = c.load()?;
    crate::telemetry::init(s.log_format);
    Ok(s)
}

/// The settings of `serve` and `status`, which take every region when `--region` names none.
fn every_region(c: &ConfigArg) -> anyhow::Result<Settings> {
    let s = c.load_every()?;
    crate::telemetry::init(s.log_format);
    Ok(s)
}

/// Creates the schema of the region `--region` names if it is missing, for a command that
/// writes (a read-only one finds it there or fails saying so).
async fn ensure_schema(c: &ConfigArg) -> anyhow::Result<()> {
    if let Some(name) = &c.region {
        let all = c.load_all()?;
        let region = all.region(name).context("the region was just found")?;
        crate::config::regions::create_schemas(&all.database_url, std::slice::from_ref(region))
            .await?;
    }
    Ok(())
}

pub(super) async fn open(c: &ConfigArg) -> anyhow::Result<Arc<dyn Store>> {
    let url = settings(c)?.database_url;
    ensure_schema(c).await?;
    crate::store::open(&url).await
}

async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    let listener = std::net::TcpListener::bind(&settings.listen)
        .with_context(|| format!("listen on {}", settings.listen))?;
    let addr = listener.local_addr().context("read the bound address")?;
    let database = crate::config::redact(&settings.database_url);
    // Announced once the service is up (a bad rules folder or an unreachable database fails
    // first, without it).
    let announce = move |state: &crate::http::AppState| {
        say(&[
            format!(
                "liftrescue listening on http://{addr}  (database {database}, {})",
                state.rules.described()
            ),
            format!(
                "console: http://{addr}/console   crew page: http://{addr}/crew   API: http://{addr}/api/v1/docs"
            ),
            "sign in with a token: liftrescue token create --role operator".into(),
        ]);
    };
    crate::service::run_announced(settings, listener, announce, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// `serve` with `[[regions]]`: every region on its own listener (see
/// [`crate::service::regions`]).
async fn serve_regions(settings: Settings) -> anyhow::Result<ExitCode> {
    let database = crate::config::redact(&settings.database_url);
    let announce = move |regions: &[(String, &crate::http::AppState)]| {
        let mut lines: Vec<String> = regions
            .iter()
            .map(|(name, state)| {
                format!(
                    "liftrescue region {name} listening on http://{}  (database {database}, schema region_{name}, {})",
                    state.settings.listen,
                    state.rules.described()
                )
            })
            .collect();
        lines.push("each region has its console at /console, crew page at /crew and API at /api/v1/docs on its own address".into());
        lines.push("sign in with a token of its region: liftrescue token create --role operator --region NAME".into());
        say(&lines);
    };
    crate::service::regions::run(settings, announce, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Prints `lines` to stdout. Written, not `println!`: a closed stdout (a supervisor that
/// stopped reading) must not take the dispatcher down.
fn say(lines: &[String]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

async fn token(
    c: &ConfigArg,
    role: Role,
    unit: Option<i64>,
    label: &str,
) -> anyhow::Result<ExitCode> {
    if role == Role::Crew && unit.is_none() {
        anyhow::bail!("a crew token needs --unit ID");
    }
    let store = open(c).await?;
    let unit = unit.map(crate::domain::UnitId);
    if let Some(u) = unit
        && !store.units().await?.iter().any(|x| x.id == u)
    {
        anyhow::bail!("{u} is not in the registry");
    }
    let secret = crate::http::auth::new_secret();
    let hash = crate::http::auth::token_hash(&secret);
    store.put_token(&hash, role, unit, label).await?;
    println!("{secret}");
    eprintln!(
        "token created, role {}{}: pass it as `Authorization: Bearer <token>`; it is not stored and cannot be shown again",
        crate::store::enum_name(&role),
        unit.map(|u| format!(", for {u}")).unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}
