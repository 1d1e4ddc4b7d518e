//! The running service: wiring the store, the rules, the desk, the inbox pump and the HTTP
//! server together, recovery at start and a draining stop.
//!
//! Start: open the store (migrations run), load and check the rules, seed the demo region into
//! an empty registry if asked, rebuild the desk from the registry's units and the events of
//! every incident that has not ended, then start the desk (it fires overdue deadlines at once;
//! each records when it was due), the inbox pump and the HTTP server.
//! Stop (SIGTERM): the HTTP server stops taking requests and finishes those in flight, the
//! pump stops, the desk finishes every command it took, then [`run`] returns.
//!
//! On PostgreSQL the node is one of a cluster ([`cluster`]): it starts as the desk's holder if
//! it can take the lease, else as a standby, and a role loop promotes and demotes it.

pub mod cluster;
pub mod positions;
pub mod regions;
mod sink;

pub use sink::StoreSink;

use crate::config::Settings;
use crate::desk::{self, Clock, DeskHandle};
use crate::dispatch::{DeskState, apply};
use crate::domain::Event;
use crate::http::AppState;
use crate::inbox::Inbox;
use crate::rules::RuleSet;
use crate::store::Store;
use crate::telemetry::Metrics;
use anyhow::Context;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;

/// A started service, before or without HTTP.
pub struct Service {
    /// Handles for request handlers.
    pub state: AppState,
    desk_task: tokio::task::JoinHandle<(DeskState, StoreSink)>,
    mqtt_task: Option<tokio::task::JoinHandle<()>>,
    paging_tasks: crate::paging::PagingTasks,
    roles: Arc<cluster::ServiceRoles>,
    /// The role loop (a cluster's node) and how to stop it.
    role_task: Option<(
        tokio::task::JoinHandle<bool>,
        tokio::sync::watch::Sender<bool>,
    )>,
}

/// Rebuilds the desk: units from the registry and their last live fixes (the newer of the two
/// counts), then every event of every open incident.
pub async fn recover(
    store: &dyn Store,
    rules: RuleSet,
    settings: &Settings,
) -> anyhow::Result<DeskState> {
    let mut state = DeskState::new(Arc::new(rules), settings.region_centre);
    // Read first: only this desk appends, so whatever it loads below is at or before it.
    state.log_seq = store.log_head().await.context("read the log's head")?;
    for unit in store.units().await.context("load units")? {
        state.add_unit(unit);
    }
    for (unit, fix) in store.fixes().await.context("load last positions")? {
        state.update_position(unit, fix);
    }
    let events = store
        .open_incident_events()
        .await
        .context("load open incidents' events")?;
    for e in &events {
        apply(&mut state, e);
    }
    state.seal = sealing(store, settings).await?;
    let equipment = store
        .equipment_events()
        .await
        .context("load equipment supervision events")?;
    for e in &equipment {
        apply(&mut state, e);
    }
    tracing::info!(
        events = events.len(),
        incidents = state.incidents.len(),
        units = state.units.len(),
        "desk rebuilt from the log"
    );
    Ok(state)
}

/// The daily seal as the log leaves it: the last day sealed and when the log began (`None`
/// when sealing is off).
async fn sealing(
    store: &dyn Store,
    settings: &Settings,
) -> anyhow::Result<Option<crate::dispatch::seal::Sealing>> {
    let Some(schedule) = settings.review.schedule() else {
        return Ok(None);
    };
    let last = store
        .seals(i64::MAX, 1)
        .await
        .context("read the last seal")?;
    let last_day = last.iter().find_map(|r| match &r.event.kind {
        crate::domain::EventKind::LogSealed { day, .. } => Some(*day),
        _ => None,
    });
    let first = store
        .log_page(0, 1)
        .await
        .context("read the log's first row")?;
    Ok(Some(crate::dispatch::seal::Sealing {
        schedule,
        last_day,
        log_since: first.first().map(|r| r.event.at),
    }))
}

/// Opens the store, loads the rules, seeds if asked, recovers and starts the desk, the pump and
/// (when `intake.mqtt_url` is set) the MQTT intake.
pub async fn start(settings: Settings) -> anyhow::Result<Service> {
    start_sharing(settings, None).await
}

/// [`start`] for one of the regions a node serves ([`regions`]): its lease is taken and given
/// back by the node's `share`.
pub async fn start_sharing(
    mut settings: Settings,
    share: Option<Arc<crate::cluster::share::Share>>,
) -> anyhow::Result<Service> {
    // No crew page address configured: this server's own.
    if settings.notify.crew_url.is_empty() {
        settings.notify.crew_url = format!("http://{}/crew", settings.listen);
    }
    // The rules and the intake and paging settings first: a bad one stops the start with
    // nothing written.
    let source = crate::rules::RulesSource::choose(settings.rules_dir.as_deref());
    let rules = crate::desk::reload::load_at_start(&source)?;
    crate::intake::mqtt::check(&settings.intake)?;
    crate::paging::check(&settings.notify)?;
    let postgres = crate::store::is_postgres(&settings.database_url);
    let (store, cluster): (Arc<dyn Store>, Option<Arc<cluster::Cluster>>) = if postgres {
        let (c, store) =
            cluster::Cluster::connect(&settings, &settings.database_url, share).await?;
        (Arc::new(store), Some(Arc::new(c)))
    } else {
        (crate::store::open(&settings.database_url).await?, None)
    };
    // A node of a cluster starts as the holder if it can take the lease now, else as a standby.
    let holding = match &cluster {
        Some(c) => c
            .lease
            .try_acquire()
            .await
            .context("try for the desk lease")?
            .is_some(),
        None => true,
    };
    // Renewed while the node starts, until the role loop renews it.
    let keeper = cluster.as_ref().filter(|_| holding).map(|c| c.lease.keep());
    if holding && settings.seed_demo && store.lift_count().await? == 0 {
        let spec = crate::demo::RegionSpec::of(&settings);
        crate::registry::seed_demo(store.as_ref(), &spec, Utc::now())
            .await
            .context("seed the demo region")?;
        tracing::info!(
            lifts = spec.lifts,
            "registry was empty: loaded the demo region"
        );
    }
    let state = match &cluster {
        Some(_) if !holding => cluster::mirror(store.as_ref(), &source, &settings).await?,
        _ => recover(store.as_ref(), rules, &settings).await?,
    };
    let clock = Clock::system();
    let mut sink = StoreSink::new(store.clone());
    let metrics = Arc::new(Metrics::default());
    // A cluster's nodes share committed events through Redis (or the log, without it).
    let fanout = match &cluster {
        Some(c) => Some(crate::fanout::Fanout::start(
            settings.redis_url.as_deref(),
            &c.node.region,
            store.clone(),
            metrics.clone(),
        )?),
        None => None,
    };
    if let Some(f) = &fanout {
        sink.publish_to(f.clone());
    }
    let first_messages = sink.paging();
    let follower = match (&cluster, holding) {
        (Some(c), false) => fanout.as_ref().map(|f| c.follower(f, state.log_seq)),
        _ => None,
    };
    let (desk, desk_task) = desk::spawn_as(state, sink, clock, follower);
    tokio::spawn(count_events(desk.subscribe(), metrics.clone()));
    // Request paths (HTTP, alarm intake, MQTT) wait for the database at most
    // `store.request_timeout`; the desk and paging use the store as it is (`store::Deadline`).
    let requests: Arc<dyn Store> = Arc::new(crate::store::Deadline::new(
        store.clone(),
        settings.store.request_timeout,
    ));
    let inbox = Inbox::new(
        requests.clone(),
        Duration::from_millis(settings.intake_wait_ms),
    );
    if let Some(c) = &cluster {
        inbox.on_standby_commit(crate::cluster::forward::inbox_notice(
            c.pool.clone(),
            c.node.region.clone(),
        ));
    }
    inbox.set_standby(!holding);
    let record = crate::intake::mqtt::Recorder {
        store: requests.clone(),
        desk: desk.clone(),
    };
    let mqtt_task = crate::intake::mqtt::spawn(&settings.intake, inbox.clone(), clock, record)?;
    let (paging, paging_tasks) =
        crate::paging::spawn(&settings.notify, store.clone(), desk.clone(), clock)?;
    let _ = first_messages.set(paging.downgrade());
    let feed = Arc::new(crate::feed::LocalFeed::new(desk.clone(), requests.clone()));
    let settings = Arc::new(settings);
    let parts = cluster::Parts {
        fanout: fanout.clone(),
        store: store.clone(),
        desk: desk.clone(),
        inbox: inbox.clone(),
        settings: settings.clone(),
        cluster: cluster.clone(),
    };
    let roles = Arc::new(cluster::ServiceRoles {
        tasks: tokio::sync::Mutex::new(holding.then(|| cluster::HolderTasks::start(&parts))),
        parts,
        rules: source.clone(),
        started: Utc::now(),
        seq: Default::default(),
    });
    let region = settings.cluster.region.clone();
    let (role, role_task) = match &cluster {
        Some(c) => {
            let (tx, rx) = tokio::sync::watch::channel(crate::cluster::RoleState {
                role: if holding {
                    crate::cluster::Role::Holder
                } else {
                    crate::cluster::Role::Standby
                },
                since: Utc::now(),
                region: region.clone(),
                instance: c.node.instance.clone(),
            });
            metrics.desk_role(&region, holding);
            if holding {
                metrics.lease_changed(true);
            }
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            drop(keeper);
            let task = tokio::spawn(crate::cluster::role::run(
                c.lease.clone(),
                roles.clone(),
                holding,
                desk.fenced(),
                tx,
                metrics.clone(),
                stop_rx,
            ));
            (rx, Some((task, stop_tx)))
        }
        None => (
            tokio::sync::watch::channel(crate::cluster::RoleState::single(&region)).1,
            None,
        ),
    };
    let state = AppState {
        store: requests,
        desk,
        inbox,
        metrics,
        settings,
        clock,
        machine: Arc::default(),
        paging,
        rules: source,
        feed,
        role,
    };
    Ok(Service {
        state,
        desk_task,
        mqtt_task,
        paging_tasks,
        roles,
        role_task,
    })
}

async fn count_events(mut feed: tokio::sync::broadcast::Receiver<Event>, metrics: Arc<Metrics>) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match feed.recv().await {
            Ok(e) => metrics.observe(&e),
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "metrics fell behind the live feed")
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// How often line supervision looks for silent cabin phones.
const LINE_CHECK: Duration = Duration::from_secs(600);

/// Line supervision: puts every registered cabin phone under watch (so one that never calls is
/// noticed), then asks the desk every [`LINE_CHECK`] for phones silent longer than
/// `max_hours`.
async fn supervise_lines(store: Arc<dyn Store>, desk: DeskHandle, max_hours: u64) {
    let mut after = None;
    loop {
        let page = match store.lifts(after, 5_000).await {
            Ok(page) => page,
            Err(e) => {
                tracing::error!(error = %e, "line supervision could not read the registry's cabin phones");
                break;
            }
        };
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let phones = page.iter().filter_map(|l| {
            l.cabin_phone
                .clone()
                .map(|p| (crate::domain::Equipment::Phone(p), Some(l.id)))
        });
        if desk.watch(phones.collect()).await.is_err() {
            return;
        }
    }
    let mut tick = tokio::time::interval(LINE_CHECK);
    loop {
        tick.tick().await;
        let check = crate::dispatch::Command::CheckLines {
            max_silence_secs: max_hours.saturating_mul(3600),
        };
        match desk.submit(check).await {
            Ok(_) => {}
            Err(crate::desk::DeskError::Stopped) => return,
            Err(e) => tracing::error!(error = %e, "line supervision check failed"),
        }
    }
}

impl Service {
    /// Stops the pump, lets the desk finish what it took, and waits for it. Every other
    /// [`AppState`] clone must be dropped first (the HTTP server's are, when it stops).
    pub async fn drain(self) -> anyhow::Result<()> {
        if let Some(mqtt) = self.mqtt_task {
            mqtt.abort(); // unacknowledged messages are delivered again to the next session
            let _ = mqtt.await;
        }
        // No promotion or standing down while stopping; whether the lease is still held.
        let holding = match self.role_task {
            Some((task, stop)) => {
                let _ = stop.send(true);
                task.await.unwrap_or(false)
            }
            None => false,
        };
        if let Some(tasks) = self.roles.tasks.lock().await.take() {
            tasks.stop().await;
        }
        self.paging_tasks.stop().await;
        let cluster = self.roles.parts.cluster.clone();
        let fanout = self.roles.parts.fanout.clone();
        drop(self.roles);
        drop(self.state);
        let (state, sink) = self.desk_task.await.context("the desk task failed")?;
        sink.finish().await;
        tracing::info!(incidents = state.incidents.len(), "desk drained");
        if let Some(f) = fanout {
            f.close(); // after the desk's last publish
        }
        // The desk has appended its last: hand the lease over now rather than let it lapse.
        if let (Some(c), true) = (cluster, holding) {
            match c.lease.release().await {
                Ok(()) => tracing::info!("desk lease released"),
                Err(e) => tracing::warn!(error = %e, "the desk lease was not released; it lapses"),
            }
        }
        Ok(())
    }
}

/// Runs liftrescue on `listener` until `shutdown` resolves, then drains.
pub async fn run(
    settings: Settings,
    listener: std::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    run_announced(settings, listener, |_| {}, shutdown).await
}

/// [`run`], calling `ready` once the service has started (rules loaded, database open, desk
/// recovered) and the HTTP server is taking requests: what `serve` announces, so nobody is told
/// it listens when it is about to fail. It gets the started service's state (e.g. to say which
/// rules run).
pub async fn run_announced(
    settings: Settings,
    listener: std::net::TcpListener,
    ready: impl FnOnce(&AppState),
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let running = Running::start(settings, listener, None).await?;
    ready(running.state());
    shutdown.await;
    tracing::info!("stopping: intake closed, finishing in-flight work");
    running.stop().await
}

/// A started service with its HTTP server taking requests, and its rules reloaded on SIGHUP.
pub struct Running {
    service: Service,
    handle: actix_web::dev::ServerHandle,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    #[cfg(unix)]
    reloads: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Starts the service (see [`start_sharing`]) and its HTTP server on `listener`.
    pub async fn start(
        mut settings: Settings,
        listener: std::net::TcpListener,
        share: Option<Arc<crate::cluster::share::Share>>,
    ) -> anyhow::Result<Running> {
        // The address actually bound (`listen` may ask for port 0), which `start` links pages to.
        if let Ok(addr) = listener.local_addr() {
            settings.listen = addr.to_string();
        }
        // Taken before the start, so a reload asked for meanwhile is not the default (the end).
        #[cfg(unix)]
        let hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .context("listen for SIGHUP")?;
        let service = start_sharing(settings, share).await?;
        #[cfg(unix)]
        let reloads = tokio::spawn(crate::desk::reload::reload_on_hangup(
            service.state.desk.clone(),
            service.state.rules.clone(),
            hangup,
        ));
        let server = crate::http::server(listener, service.state.clone())
            .context("start the HTTP server")?;
        let handle = server.handle();
        Ok(Running {
            service,
            handle,
            server: Some(tokio::spawn(server)),
            #[cfg(unix)]
            reloads,
        })
    }

    /// What its request handlers get.
    pub fn state(&self) -> &AppState {
        &self.service.state
    }

    /// Stops taking requests and finishes those in flight; the service itself runs on.
    pub async fn stop_serving(&mut self) {
        self.service.state.feed.close();
        self.handle.stop(true).await;
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// Stops taking requests, finishes those in flight, then drains the service.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.stop_serving().await;
        #[cfg(unix)]
        {
            self.reloads.abort();
            let _ = self.reloads.await;
        }
        self.service.drain().await
    }
}
