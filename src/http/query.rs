//! Query strings. Values arrive as text and are parsed here so every refusal names its
//! parameter (`serde_urlencoded`'s own messages do not).

use super::error::ApiError;
use crate::domain::{CompanyId, IncidentStatus, LiftId};
use crate::store::IncidentFilter;
use actix_web::HttpRequest;
use actix_web::error::QueryPayloadError;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::str::FromStr;

/// Largest page a search returns.
pub const LIMIT_MAX: i64 = 1000;

/// An incident search; every given parameter must match.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentQuery {
    /// Statuses, comma separated (`reported,dispatched`).
    #[param(
        pattern = "^(reported|dispatched|acknowledged|en_route|on_scene|released|confirmed|closed|cancelled|false_alarm)(,(reported|dispatched|acknowledged|en_route|on_scene|released|confirmed|closed|cancelled|false_alarm))*$"
    )]
    pub status: Option<String>,
    /// `true`: only incidents that have not ended; `false`: only ended ones.
    #[param(value_type = Option<bool>)]
    pub open: Option<String>,
    /// Only this lift (registry id).
    #[param(value_type = Option<i64>, minimum = 1)]
    pub lift: Option<String>,
    /// Only lifts of this maintenance company.
    #[param(value_type = Option<i64>, minimum = 1)]
    pub company: Option<String>,
    /// Opened at or after (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<String>,
    /// Opened before (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<String>,
    /// `true`: only incidents with a breached deadline; `false`: only those without.
    #[param(value_type = Option<bool>)]
    pub breached: Option<String>,
    /// At most this many, newest first (1-1000, default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

impl IncidentQuery {
    /// The store's filter, or 400 naming the parameter.
    pub fn filter(self) -> Result<IncidentFilter, ApiError> {
        let from = time("from", &self.from)?;
        let to = time("to", &self.to)?;
        Ok(IncidentFilter {
            status: self.status.as_deref().map(statuses).transpose()?,
            open: value("open", &self.open, "true or false")?,
            lift: value("lift", &self.lift, "a lift id")?.map(LiftId),
            company: value("company", &self.company, "a company id")?.map(CompanyId),
            from,
            to,
            breached: value("breached", &self.breached, "true or false")?,
            limit: limit(&self.limit)?,
        })
    }
}

/// Parses an optional value, or 400 naming the parameter and what it should be.
pub fn value<T: FromStr>(
    field: &str,
    raw: &Option<String>,
    what: &str,
) -> Result<Option<T>, ApiError> {
    raw.as_deref()
        .map(|s| {
            s.trim()
                .parse()
                .map_err(|_| ApiError::invalid(field, format!("{s:?} is not {what}")))
        })
        .transpose()
}

/// `limit`: 1 to [`LIMIT_MAX`].
pub fn limit(raw: &Option<String>) -> Result<Option<i64>, ApiError> {
    let n: Option<i64> = value("limit", raw, "a whole number")?;
    match n {
        Some(n) if !(1..=LIMIT_MAX).contains(&n) => Err(ApiError::invalid(
            "limit",
            format!("must be 1 to {LIMIT_MAX}"),
        )),
        n => Ok(n),
    }
}

fn time(field: &str, raw: &Option<String>) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.as_deref()
        .map(|s| {
            DateTime::parse_from_rfc3339(s.trim())
                .map(|t| t.to_utc())
                .map_err(|e| ApiError::invalid(field, format!("{s:?} is not RFC 3339: {e}")))
        })
        .transpose()
}

fn statuses(list: &str) -> Result<Vec<IncidentStatus>, ApiError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            serde_json::from_value(serde_json::Value::String(s.to_owned()))
                .map_err(|_| ApiError::invalid("status", format!("{s:?} is not a status")))
        })
        .collect()
}

/// Maps a query string that does not fit its parameters (an unknown one) to 400.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let message = err.to_string();
    let field = message
        .split('`')
        .nth(1)
        .filter(|_| message.contains("unknown field"))
        .unwrap_or("query")
        .to_owned();
    ApiError::InvalidField { field, message }.into()
}
