//! Several nodes on one PostgreSQL, as real processes: failover when the holder is killed
//! (during a storm), fencing of a paused holder, a planned handover, a holder cut off from the
//! database, the fence itself at the store, and a crew following a standby.

mod crew_feed;
mod failover;
mod fence;
mod handover;
mod partition;
mod redis;
mod regions;

use crate::support::process::ServeProcess;
use crate::support::{fresh_database, seeded};
use liftrescue::domain::EventKind;
use liftrescue::store::{Role, Store, StoredEvent};
use std::collections::HashSet;
use std::sync::Arc;

/// A fresh database with the small region, the fast test rules with storm mode, and the
/// settings every node shares; `None` (skipped) without PostgreSQL.
pub struct Scene {
    /// The database.
    pub url: String,
    /// The store, for reading the log.
    pub store: Arc<dyn Store>,
    rules: std::path::PathBuf,
    /// Settings every node gets (more may be added before starting nodes).
    pub env: Vec<(String, String)>,
}

impl Scene {
    /// The scene, or `None` when PostgreSQL is not configured (the test is skipped).
    pub async fn new() -> Option<Scene> {
        liftrescue::telemetry::test_service("PostgreSQL", "LIFTRESCUE_TEST_DATABASE_URL")?;
        let url = fresh_database("postgres").await;
        let store = seeded(&url).await;
        let rules = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("cluster-rules-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&rules).unwrap();
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/fast-rules/fast.toml");
        std::fs::copy(fixtures, rules.join("fast.toml")).unwrap();
        let storm = concat!(env!("CARGO_MANIFEST_DIR"), "/../dispatch-rules/storm.toml");
        std::fs::copy(storm, rules.join("storm.toml")).unwrap();
        let env = vec![
            ("LIFTRESCUE_DATABASE_URL".into(), url.clone()),
            ("LIFTRESCUE_RULES_DIR".into(), rules.display().to_string()),
            ("LIFTRESCUE_SEED_DEMO".into(), "false".into()),
            ("LIFTRESCUE_LOG".into(), "warn".into()),
        ];
        Some(Scene {
            url,
            store,
            rules,
            env,
        })
    }

    /// Starts a node named `name` with the shared settings and `extra` ones.
    pub fn node(&self, name: &str, extra: &[(&str, &str)]) -> ServeProcess {
        let mut env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        env.push(("LIFTRESCUE_CLUSTER__NODE", name));
        env.extend_from_slice(extra);
        ServeProcess::start(&env)
    }

    /// Every event of the log, in order.
    pub async fn events(&self) -> Vec<StoredEvent> {
        let mut out: Vec<StoredEvent> = Vec::new();
        loop {
            let after = out.last().map_or(0, |e| e.seq);
            let page = self.store.log_page(after, 10_000).await.unwrap();
            if page.is_empty() {
                return out;
            }
            out.extend(page);
        }
    }

    /// Posts an entrapment for each of the first `n` lifts with a maintainer to the node at
    /// `base` (source ids `{prefix}0`, `{prefix}1` …); the alarm ids.
    pub async fn alarms(&self, base: &str, prefix: &str, n: usize, kind: &str) -> Vec<i64> {
        let intake = crate::support::token(self.store.as_ref(), Role::Integration, None).await;
        let lifts = self.store.lifts(None, 300).await.unwrap();
        let mut ids = Vec::new();
        for (k, lift) in lifts
            .iter()
            .filter(|l| l.maintainer.is_some())
            .take(n)
            .enumerate()
        {
            let (status, body) = crate::support::Api::new(base, &intake)
                .post("/api/v1/alarms", serde_json::json!({"source_alarm_id": format!("{prefix}{k}"), "lift": {"id": lift.id.0}, "kind": kind}))
                .await;
            assert_eq!(status, 202, "{body}");
            ids.push(body["alarm_id"].as_i64().unwrap());
        }
        ids
    }

    /// Waits (at most `secs`) until the log has an event `want` accepts.
    pub async fn until(&self, secs: u64, want: impl Fn(&EventKind) -> bool) {
        crate::support::eventually(secs, || async {
            self.events()
                .await
                .iter()
                .any(|e| want(&e.event.kind))
                .then_some(())
        })
        .await;
    }

    /// The shared settings as `liftrescue` command-line environment.
    pub fn cli_env(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.rules);
    }
}

/// The node's role as `/readyz` says (`holder`, `standby`), or `down`.
pub async fn role(base: &str) -> String {
    let r = reqwest::Client::new()
        .get(format!("{base}/readyz"))
        .timeout(std::time::Duration::from_secs(2))
        .send()
        .await;
    match r {
        Ok(r) => r
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v["role"].as_str().map(str::to_owned)),
        Err(_) => None,
    }
    .unwrap_or_else(|| "down".into())
}

/// The value of an unlabelled metric on a node.
pub async fn metric(base: &str, name: &str) -> Option<f64> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
}

/// Waits until the node at `base` has `want` as its role.
pub async fn wait_role(base: &str, want: &str, secs: u64) {
    crate::support::eventually(secs, || async { (role(base).await == want).then_some(()) }).await;
}

/// Every deadline fired at most once: no (incident, step, unit, due) missed twice, no
/// (incident, step, due) warned or breached twice.
pub fn fired_once(events: &[StoredEvent]) {
    let mut fired = HashSet::new();
    for e in events {
        let key = match &e.event.kind {
            EventKind::AckMissed { unit, due } => format!("ack {unit:?} {due}"),
            EventKind::DeadlineWarning { due, .. } => format!("warn {due}"),
            EventKind::DeadlineBreached { due, .. } => format!("breach {due}"),
            _ => continue,
        };
        let key = (e.event.incident, e.event.step.clone(), key);
        assert!(fired.insert(key), "fired twice: {:?}", e.event);
    }
}

/// The log's chain verifies.
pub fn log_verifies(scene: &Scene) {
    let (code, out, err) = crate::support::process::run(&["verify-log"], &scene.cli_env());
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("intact"), "{out}");
}
