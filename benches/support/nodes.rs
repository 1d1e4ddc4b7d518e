//! Shared by the cluster benchmarks (included with `#[path]`): `liftrescue serve` nodes on one
//! PostgreSQL, each a process of its own, and their roles as `/readyz` tells.
#![allow(dead_code)] // each benchmark uses its own subset

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running node.
pub struct Node {
    /// Its name (`[cluster] node`).
    pub name: &'static str,
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}

/// Starts node `name` on `db` with `env` added; its log lines are appended to `log`.
pub fn start(name: &'static str, db: &str, env: &[(&str, &str)], log: &std::path::Path) -> Node {
    let addr = format!("127.0.0.1:{}", free_port());
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap_or_else(|e| panic!("{e}"));
    let child = Command::new(env!("CARGO_BIN_EXE_liftrescue"))
        .arg("serve")
        .env("LIFTRESCUE_DATABASE_URL", db)
        .env("LIFTRESCUE_LISTEN", &addr)
        .env("LIFTRESCUE_SEED_DEMO", "false")
        .env("LIFTRESCUE_CLUSTER__NODE", name)
        .env("LIFTRESCUE_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("start liftrescue: {e}"));
    Node {
        name,
        child,
        base: format!("http://{addr}"),
    }
}

impl Node {
    /// Sends `sig` (`-KILL`, `-TERM`, …).
    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status();
    }

    /// SIGTERM, and waits for it to exit.
    pub fn stop(mut self) {
        self.signal("-TERM");
        let _ = self.child.wait();
    }
}

/// The node's role as `/readyz` says (`holder`, `standby`), or empty when it does not answer.
pub async fn role(http: &reqwest::Client, base: &str) -> String {
    let r = http
        .get(format!("{base}/readyz"))
        .timeout(Duration::from_secs(1))
        .send()
        .await;
    match r {
        Ok(r) => r.json::<serde_json::Value>().await.ok(),
        Err(_) => None,
    }
    .and_then(|v| v["role"].as_str().map(str::to_owned))
    .unwrap_or_default()
}

/// Waits (looking every 10 ms, at most a minute) until the node has `want` as its role; how
/// long that took.
pub async fn wait_role(http: &reqwest::Client, base: &str, want: &str) -> Duration {
    let t0 = Instant::now();
    while role(http, base).await != want {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "{base} never became {want}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    t0.elapsed()
}

/// A count from the environment variable `k`, else `default`.
pub fn env_count(k: &str, default: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `p` quantile (0–1) of `v`, nearest rank.
pub fn pct(v: &[f64], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let i = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

/// A new integration token stored in `store`; its secret.
pub async fn integration_token(store: &dyn liftrescue::store::Store) -> String {
    use sha2::Digest;
    let secret = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let hash = hex::encode(sha2::Sha256::digest(secret.as_bytes()));
    store
        .put_token(&hash, liftrescue::store::Role::Integration, None, "bench")
        .await
        .expect("store a token");
    secret
}
