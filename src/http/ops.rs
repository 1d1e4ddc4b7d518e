//! Operations endpoints, no token: liveness, readiness (with the node's role), Prometheus
//! metrics.

use super::error::ApiError;
use crate::http::AppState;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use std::time::Duration;

/// How long readiness waits for each dependency.
const PROBE: Duration = Duration::from_secs(2);

/// A one-word status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` (or `accepted` for a position report).
    pub status: &'static str,
}

/// Readiness, with the node's part in its region's desk.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Ready {
    /// `ok`.
    pub status: &'static str,
    /// `holder` (it decides), `standby` (it mirrors the holder and forwards commands) or
    /// `single` (one node on SQLite).
    pub role: crate::cluster::Role,
    /// The region.
    pub region: String,
    /// This node process (`name/suffix`; empty for a single node).
    pub node: String,
    /// Since when it has had this role: for a holder, when it took the lease.
    pub since: chrono::DateTime<chrono::Utc>,
    /// How long it has had this role, seconds (for a holder, the lease's age).
    pub age_secs: f64,
}

/// `GET /healthz`: the process is up and answering.
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// `GET /readyz`: 200 when the store and the desk both answer within two seconds, otherwise
/// 503 naming the one that did not.
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Ready>, ApiError> {
    let store = matches!(
        tokio::time::timeout(PROBE, state.store.ping()).await,
        Ok(Ok(()))
    );
    let desk = matches!(
        tokio::time::timeout(PROBE, state.desk.stats()).await,
        Ok(Ok(_))
    );
    let failed: Vec<&str> = [("store", store), ("desk", desk)]
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| name)
        .collect();
    if failed.is_empty() {
        let role = state.role.borrow().clone();
        Ok(web::Json(Ready {
            status: "ok",
            role: role.role,
            region: role.region,
            node: role.instance,
            since: role.since,
            age_secs: (chrono::Utc::now() - role.since).num_milliseconds().max(0) as f64 / 1000.0,
        }))
    } else {
        tracing::warn!(failed = ?failed, "not ready");
        Err(ApiError::NotReady(format!(
            "{} did not answer",
            failed.join(" and ")
        )))
    }
}

/// `GET /metrics`: the counters, the desk's counts and the inbox depth, in the Prometheus
/// text format. A dependency that does not answer leaves its lines out rather than failing
/// the scrape.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let stats = tokio::time::timeout(PROBE, state.desk.stats())
        .await
        .ok()
        .and_then(Result::ok);
    let depth = tokio::time::timeout(PROBE, state.store.inbox_depth())
        .await
        .ok()
        .and_then(Result::ok);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(stats.as_ref(), depth))
}
