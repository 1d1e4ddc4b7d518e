//! A node serving a province platform's regions ([`crate::config::regions`]): one service per
//! region, each with its own store schema, desk, lease, index, inbox, rules and HTTP listener,
//! all in this process. Every node runs every region, holding some desks and standing by for
//! the rest; [`crate::cluster::share`] spreads the leases, so a node that dies takes only its
//! regions' desks with it and the others never pause.

use super::Running;
use crate::cluster::share::{Share, watch_nodes};
use crate::config::Settings;
use crate::config::regions::{check, create_schemas, in_schema};
use crate::domain::AdminCode;
use crate::http::AppState;
use crate::inbox::Routes;
use anyhow::Context;
use std::collections::HashMap;
use std::sync::Arc;

/// Runs every region of `settings` until `shutdown` resolves, then drains them all; `ready` is
/// called once each region's server takes requests, with the regions' names and states.
pub async fn run(
    settings: Settings,
    ready: impl FnOnce(&[(String, &AppState)]),
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    check(&settings).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    create_schemas(&settings.database_url, &settings.regions).await?;
    let first = &settings.regions[0];
    let share = Arc::new(Share::new(
        settings.regions.len(),
        settings.cluster.lease_ttl,
    ));
    // The live nodes are read from the first region's reports (every node reports in each),
    // what each holds from every region's lease.
    let reports = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&in_schema(&settings.database_url, &first.schema()))
        .await
        .context("connect to PostgreSQL")?;
    let counter = tokio::spawn(watch_nodes(
        share.clone(),
        reports.clone(),
        settings.cluster.node_name(),
        settings.regions.iter().map(|r| r.schema()).collect(),
    ));
    let mut running: Vec<(String, Running)> = Vec::new();
    for region in &settings.regions {
        let started = async {
            let s = settings.for_region(region);
            let listener = std::net::TcpListener::bind(&s.listen)
                .with_context(|| format!("listen on {}", s.listen))?;
            Running::start(s, listener, Some(share.clone())).await
        }
        .await;
        match started {
            Ok(r) => {
                running.push((region.name.clone(), r));
                // Routed as soon as it runs: until then, a district's alarm taken by a region
                // already up stays where it came in.
                route(&settings, &running, true);
            }
            Err(e) => {
                counter.abort();
                // The start's failure is the one to report; the others drain as they can.
                if let Err(stop) = stop_all(&settings, running).await {
                    tracing::warn!(error = %format!("{stop:#}"), "a started region did not stop cleanly");
                }
                reports.close().await;
                return Err(e.context(format!("start region {}", region.name)));
            }
        }
    }
    let states: Vec<(String, &AppState)> = running
        .iter()
        .map(|(name, r)| (name.clone(), r.state()))
        .collect();
    ready(&states);
    shutdown.await;
    tracing::info!(
        regions = running.len(),
        "stopping: intake closed, finishing in-flight work"
    );
    counter.abort();
    let result = stop_all(&settings, running).await;
    reports.close().await;
    result
}

/// Links each region's inbox to the others' for alarms of their districts (`admin_codes`, see
/// [`crate::inbox::Routes`]), or unlinks them (before the stop, so no region holds another's
/// inbox alive).
fn route(settings: &Settings, running: &[(String, Running)], on: bool) {
    let inbox_of: HashMap<&str, &crate::inbox::Inbox> = running
        .iter()
        .map(|(name, r)| (name.as_str(), &r.state().inbox))
        .collect();
    let mut by_district = HashMap::new();
    for r in &settings.regions {
        // The codes were checked with the settings (`config::regions::check`).
        let codes = r
            .admin_codes
            .iter()
            .filter_map(|c| AdminCode::parse(c).ok());
        for code in codes {
            if let Some(inbox) = inbox_of.get(r.name.as_str()) {
                by_district.insert(code, (r.name.clone(), (*inbox).clone()));
            }
        }
    }
    for (name, inbox) in &inbox_of {
        let routes = on.then(|| Arc::new(Routes::new(name, by_district.clone())));
        inbox.set_routes(routes);
    }
}

/// Stops every region at once: each stops taking requests (still routing what is in flight),
/// then the routes go, then each drains and hands its lease over; the first failure.
async fn stop_all(settings: &Settings, running: Vec<(String, Running)>) -> anyhow::Result<()> {
    let mut serving = tokio::task::JoinSet::new();
    for (name, mut r) in running {
        serving.spawn(async move {
            r.stop_serving().await;
            (name, r)
        });
    }
    let mut stopped = Vec::new();
    let mut result = Ok(());
    while let Some(done) = serving.join_next().await {
        // A region whose stop panicked is lost; every other still drains.
        match done {
            Ok(r) => stopped.push(r),
            Err(e) if result.is_ok() => {
                result = Err(anyhow::Error::new(e).context("a region's stop failed"))
            }
            Err(e) => tracing::error!(error = %e, "a region's stop failed"),
        }
    }
    route(settings, &stopped, false);
    let mut stops = tokio::task::JoinSet::new();
    for (name, r) in stopped {
        stops.spawn(async move {
            r.stop()
                .await
                .with_context(|| format!("stop region {name}"))
        });
    }
    while let Some(done) = stops.join_next().await {
        let done = done.context("a region's stop failed").and_then(|r| r);
        if result.is_ok() {
            result = done;
        }
    }
    result
}
