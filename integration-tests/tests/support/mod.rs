//! Test support: a fresh database per test (SQLite always; PostgreSQL when
//! `LIFTRESCUE_TEST_DATABASE_URL` is set), a small seeded region, tokens, and the server run
//! in-process on a port-0 listener.

pub mod browser;
pub mod gateway;
pub mod process;
pub mod sse;

use liftrescue::config::Settings;
use liftrescue::demo::RegionSpec;
use liftrescue::store::{Role, Store};
use liftrescue::telemetry::test_service;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;

/// The engines a test runs on: SQLite always, PostgreSQL when configured.
pub fn engines() -> Vec<&'static str> {
    let mut v = vec!["sqlite"];
    if test_service("PostgreSQL", "LIFTRESCUE_TEST_DATABASE_URL").is_some() {
        v.push("postgres");
    }
    v
}

/// A fresh, empty database of the given engine; its URL.
pub async fn fresh_database(engine: &str) -> String {
    let name = format!("lr_it_{}", uuid::Uuid::new_v4().simple());
    match engine {
        "postgres" => {
            let admin =
                std::env::var("LIFTRESCUE_TEST_DATABASE_URL").expect("checked by engines()");
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to PostgreSQL (LIFTRESCUE_TEST_DATABASE_URL)");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create a test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            format!("{base}/{name}")
        }
        _ => {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dbs");
            std::fs::create_dir_all(&dir).expect("create the test database folder");
            format!("sqlite:{}", dir.join(format!("{name}.db")).display())
        }
    }
}

/// A small deterministic region: 300 lifts, 60 maintainers in 6 companies, property staff,
/// 5 fire/rescue units.
pub fn small_region() -> RegionSpec {
    RegionSpec {
        lifts: 300,
        maintenance_companies: 6,
        maintainers: 60,
        property_companies: 20,
        staff_per_property_company: 1,
        fire_stations: 5,
        ..RegionSpec::default()
    }
}

/// Opens the database, seeds the small region, and returns the store.
pub async fn seeded(url: &str) -> Arc<dyn Store> {
    let store = liftrescue::store::open(url).await.expect("open the store");
    liftrescue::registry::seed_demo(store.as_ref(), &small_region(), chrono::Utc::now())
        .await
        .expect("seed");
    store
}

/// The first of the region's lifts that `want` accepts.
pub async fn lift_where(
    store: &dyn Store,
    want: impl Fn(&liftrescue::domain::Lift) -> bool,
) -> liftrescue::domain::Lift {
    store
        .lifts(None, 500)
        .await
        .expect("read the lifts")
        .into_iter()
        .find(|l| want(l))
        .expect("the region has such a lift")
}

/// Creates a token with `role` and returns its secret.
pub async fn token(store: &dyn Store, role: Role, unit: Option<i64>) -> String {
    let secret = format!("test-{}", uuid::Uuid::new_v4().simple());
    let hash = hex::encode(Sha256::digest(secret.as_bytes()));
    store
        .put_token(&hash, role, unit.map(liftrescue::domain::UnitId), "test")
        .await
        .expect("store a token");
    secret
}

/// Removes the token with this secret from the database at `url`, as an admin revokes one
/// (`ops/runbooks/rotating-tokens.md`): by hand, past the server.
pub async fn remove_token(url: &str, secret: &str) {
    use sqlx::Connection;
    let hash = hex::encode(Sha256::digest(secret.as_bytes()));
    let sql = "DELETE FROM tokens WHERE hash = $1";
    let removed = if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        let done = sqlx::query(sql).bind(&hash).execute(&mut conn).await;
        done.expect("remove the token").rows_affected()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
        let done = sqlx::query(sql).bind(&hash).execute(&mut conn).await;
        done.expect("remove the token").rows_affected()
    };
    assert_eq!(removed, 1, "one token with that secret");
}

/// Settings for a test server on `url` with the given rules folder.
pub fn settings(url: &str, rules: &str) -> Settings {
    Settings {
        listen: "127.0.0.1:0".into(),
        database_url: url.into(),
        rules_dir: Some(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(rules)),
        seed_demo: false,
        intake_wait_ms: 3_000,
        ..Settings::default()
    }
}

/// A server running in-process; dropping `stop` (or sending on it) drains it.
pub struct Server {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Server {
    /// Starts `liftrescue::service::run` on a port-0 listener.
    pub async fn start(settings: Settings) -> Server {
        Server::start_at(settings, "127.0.0.1:0").await
    }

    /// Starts the server on `addr`: again where a stopped one listened (`base` without
    /// `http://`), so a page left open on it finds it back.
    pub async fn start_at(settings: Settings, addr: &str) -> Server {
        let listener =
            std::net::TcpListener::bind(addr).unwrap_or_else(|e| panic!("bind {addr}: {e}"));
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(liftrescue::service::run(settings, listener, async move {
            let _ = stopped.await;
        }));
        let server = Server {
            base,
            stop: Some(stop),
            task,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the server did not become ready");
    }

    /// Stops the server as SIGTERM would and waits for the drain.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
            .await
            .expect("server task")
            .expect("server ran and drained cleanly");
    }
}

/// An HTTP client with a bearer token.
pub struct Api {
    /// Base URL.
    pub base: String,
    /// The token.
    pub token: String,
    client: reqwest::Client,
}

impl Api {
    /// A client for `base` using `token`.
    pub fn new(base: &str, token: &str) -> Api {
        Api {
            base: base.into(),
            token: token.into(),
            client: reqwest::Client::new(),
        }
    }

    /// GET a path; the status and the JSON body.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET");
        (
            r.status().as_u16(),
            r.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// POST JSON to a path (with an idempotency key); the status and the JSON body.
    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::POST, path, body).await
    }

    /// POST JSON with the given idempotency key (a phone retrying the same tap).
    pub async fn post_keyed(
        &self,
        path: &str,
        body: serde_json::Value,
        key: &str,
    ) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .expect("request");
        (
            r.status().as_u16(),
            r.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// PUT JSON to a path; the status and the JSON body.
    pub async fn put(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::PUT, path, body).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&body)
            .send()
            .await
            .expect("request");
        (
            r.status().as_u16(),
            r.json().await.unwrap_or(serde_json::Value::Null),
        )
    }
}

/// The units an incident's detail (`GET /api/v1/incidents/{id}`) shows pages for, in step
/// order.
pub fn paged_units(detail: &serde_json::Value) -> Vec<i64> {
    detail["live"]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["pages"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["unit"].as_i64())
        .collect()
}

/// Polls `check` every 50 ms until it returns `Some`, for at most `secs` seconds. This waits
/// for a condition the server makes true on its own clock (a deadline), it does not stand in
/// for synchronisation.
pub async fn eventually<T, F, Fut>(secs: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let end = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "condition not met within {secs} s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A P100 alarm packet (alarm type 1, checksum good), as a cabin phone's gateway relays it.
pub const P100_ALARM: &str = "18123456782D";

/// The telephony gateway relays an alarm call from `caller`; returns the incident it opened or
/// joined (an unregistered caller's alarm is kept, in an incident whose lift is unresolved).
pub async fn cabin_phone_alarm(gateway: &Api, caller: &str, call_id: &str) -> i64 {
    let call = serde_json::json!({"caller": caller, "call_id": call_id, "digits": P100_ALARM,
                                  "protocol": "P100", "voice_open": true});
    let (status, body) = gateway.post("/api/v1/intake/phone", call).await;
    assert_eq!(status, 202, "{body}");
    body["incident_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no incident id: {body}"))
}

/// POSTs `body` signed with `secret` as IoT platforms and notification gateways sign
/// (`liftrescue::signing`); (status, JSON answer).
pub async fn signed_post(
    base: &str,
    path: &str,
    secret: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let body = body.to_string();
    let ts = chrono::Utc::now().timestamp().to_string();
    let sig = liftrescue::signing::sign(secret.as_bytes(), &ts, body.as_bytes()).unwrap();
    let r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("Content-Type", "application/json")
        .header("X-Liftrescue-Timestamp", ts)
        .header("X-Liftrescue-Signature", format!("sha256={sig}"))
        .body(body)
        .send()
        .await
        .unwrap();
    (
        r.status().as_u16(),
        r.json().await.unwrap_or(serde_json::Value::Null),
    )
}
