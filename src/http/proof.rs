//! Proof for the bureau (roles `investigator` and `admin`, read-only): the hash chain checked
//! end to end (`GET /api/v1/log/verify`) and the daily seals to keep outside the system
//! (`GET /api/v1/log/seals`; see `store::seals` for how a kept seal is checked).

use super::error::ApiError;
use super::query::{limit, value};
use crate::http::AppState;
use crate::store::seals::Seal;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

/// The first row that does not prove itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BrokenRow {
    /// Its sequence (for a missing row: the one expected).
    pub seq: i64,
    /// What differs, in words: `prev_hash is not row N's hash`, `its hash does not match its
    /// content`, `its columns disagree with its body`, `missing: …`, `incident_seq …`.
    pub why: String,
}

/// The chain's verdict.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VerifyOut {
    /// Every row checked out.
    pub ok: bool,
    /// Rows that checked out, from the first.
    pub rows_checked: u64,
    /// The last row that checked out (0: none) and its hash (64 zeros: none).
    pub verified_seq: i64,
    /// Its hash.
    pub verified_hash: String,
    /// The log's last row when the walk ended.
    pub head_seq: i64,
    /// The first bad row, when `ok` is false.
    pub broken: Option<BrokenRow>,
}

/// `GET /api/v1/log/verify`: walks the whole chain from genesis.
pub async fn verify(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let report = crate::store::chain::verify_log(state.store.as_ref())
        .await
        .map_err(walk_failed)?;
    let head_seq = state.store.log_head().await?;
    Ok(HttpResponse::Ok().json(VerifyOut {
        ok: report.is_intact(),
        rows_checked: report.rows,
        verified_seq: report.last_seq,
        verified_hash: report.last_hash,
        head_seq,
        broken: report.broken.map(|b| BrokenRow {
            seq: b.seq,
            why: b.why,
        }),
    }))
}

/// A page of seals, newest first.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SealsQuery {
    /// Only seals written before this log row (the last `seal_seq` of the previous page).
    #[param(value_type = Option<i64>, minimum = 1)]
    pub before: Option<String>,
    /// At most this many (1-1000, default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// `GET /api/v1/log/seals`: the daily seals, newest first, as the bureau keeps them (save the
/// answer to a file and check it with `liftrescue verify-log --seal FILE`).
pub async fn seals(
    state: web::Data<AppState>,
    query: web::Query<SealsQuery>,
) -> Result<HttpResponse, ApiError> {
    let before: Option<i64> = value("before", &query.before, "a log sequence")?;
    if before.is_some_and(|b| b < 1) {
        return Err(ApiError::invalid("before", "must be 1 or more"));
    }
    let limit = limit(&query.limit)?.unwrap_or(100);
    let rows = state.store.seals(before.unwrap_or(i64::MAX), limit).await?;
    let seals: Vec<Seal> = rows.iter().filter_map(Seal::of).collect();
    Ok(HttpResponse::Ok().json(seals))
}

/// A walk that could not read the log: the store's error as the edge maps it.
fn walk_failed(e: anyhow::Error) -> ApiError {
    match e.downcast::<crate::store::StoreError>() {
        Ok(e) => e.into(),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "could not walk the event log");
            ApiError::Unavailable
        }
    }
}
