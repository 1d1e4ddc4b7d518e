//! Rescue crews on their phones (role `crew`). The unit always comes from the token, never
//! from the body (bodies refuse unknown fields, so `"unit"` is a 400).
//!
//! Phones on flaky networks retry, so every crew POST carries an `Idempotency-Key`: the first
//! answer (success or a 4xx refusal) is stored per unit and key, and a retry gets the stored
//! status and body verbatim without acting again. A crew only sees incidents where the desk
//! shows a page of its own unit; any other id answers 404, exactly like one that does not
//! exist.

use super::auth::{Caller, IdempotencyKey};
use super::body::JsonBody;
use super::error::ApiError;
use super::operator::{EventsOut, FaultCauseIn, ReasonIn, fault, submit};
use crate::dispatch::{Command, CrewAction};
use crate::domain::{Fix, IncidentId, LatLon, UnitId};
use crate::http::AppState;
use crate::registry::check::CoordSystem;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError, web};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;

/// Header set (to `true`) on a replayed answer.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Accepting a page.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptIn {
    /// The crew's own estimate of the travel time, seconds.
    pub eta_secs: Option<u32>,
}

/// Going on or off duty.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyIn {
    /// On duty from now on?
    pub on_duty: bool,
    /// Why (e.g. "shift ended", "vehicle broke down"); goes on the record (at most 2000
    /// characters).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
}

/// A position report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionIn {
    /// Latitude, -90 to 90.
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Longitude, -180 to 180.
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
    /// `wgs84` (default) or `gcj02`.
    #[serde(default)]
    pub coord_system: CoordSystem,
    /// When the fix was taken (RFC 3339); default now; at most a minute in the future.
    pub taken: Option<DateTime<Utc>>,
}

impl PositionIn {
    fn fix(self, now: DateTime<Utc>) -> Result<Fix, ApiError> {
        let at = LatLon::parse(self.lat, self.lon).map_err(|e| {
            let field = match e {
                crate::domain::CoordError::Latitude(_) => "lat",
                crate::domain::CoordError::Longitude(_) => "lon",
            };
            ApiError::invalid(field, e)
        })?;
        let at = match self.coord_system {
            CoordSystem::Wgs84 => at,
            CoordSystem::Gcj02 => LatLon::from_gcj02(at),
        };
        let taken = self.taken.unwrap_or(now);
        if taken > now + TimeDelta::minutes(1) {
            return Err(ApiError::invalid(
                "taken",
                format!("{taken} is more than a minute in the future"),
            ));
        }
        Ok(Fix { at, taken })
    }
}

/// Runs `act` once per (unit, key): a stored answer is replayed verbatim; otherwise the
/// outcome (success or 4xx) is stored before it is returned. 5xx outcomes are not stored, so
/// a retry acts again.
async fn once(
    state: &AppState,
    unit: UnitId,
    key: &IdempotencyKey,
    act: impl Future<Output = Result<(StatusCode, String), ApiError>>,
) -> Result<HttpResponse, ApiError> {
    let actor = format!("unit:{}", unit.0);
    let stored = key.stored();
    if let Some((status, body)) = state.store.idempotent_response(&actor, &stored).await? {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        let mut res = respond(status, body);
        res.headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
        return Ok(res);
    }
    let (status, body) = match act.await {
        Ok(done) => done,
        Err(e) if e.status_code().is_client_error() => (e.status_code(), e.body()),
        Err(e) => return Err(e),
    };
    let kept = state
        .store
        .remember_response(&actor, &stored, status.as_u16(), &body)
        .await;
    if let Err(e) = kept {
        // The action happened; answer it. A retry may then be refused as out of order.
        tracing::error!(error = %e, unit = unit.0, "could not store an idempotent answer");
    }
    Ok(respond(status, body))
}

fn respond(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(body)
}

/// 404 when the desk holds no such incident, 403 `not_paged` when it holds one that shows no
/// page of `unit`; either way before anything is submitted, so nothing goes on the record.
async fn ensure_paged(state: &AppState, unit: UnitId, id: IncidentId) -> Result<(), ApiError> {
    let Some(view) = super::within_deadline(state, state.desk.view(id)).await? else {
        return Err(ApiError::NotFound(id.to_string()));
    };
    let paged = view
        .steps
        .iter()
        .any(|s| s.pages.iter().any(|p| p.unit == unit));
    if paged {
        Ok(())
    } else {
        Err(ApiError::NotPaged(id.to_string()))
    }
}

/// A crew action, checked, idempotent, on an incident that pages this unit.
async fn act(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    id: i64,
    action: Result<CrewAction, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let unit = caller.crew_unit()?;
    once(state, unit, key, async {
        let action = action?;
        let incident = IncidentId(id);
        ensure_paged(state, unit, incident).await?;
        let events = submit(
            state,
            Command::Crew {
                unit,
                incident,
                action,
            },
        )
        .await?;
        let events = crate::dispatch::crew_events(unit, events);
        let body = serde_json::to_string(&EventsOut { events }).unwrap_or_default();
        Ok((StatusCode::OK, body))
    })
    .await
}

/// `GET /api/v1/crew/assignments`: the incidents holding this unit, each as its crew sees it
/// (its own page and next step, nothing of other units) with its site.
pub async fn assignments(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let unit = caller.crew_unit()?;
    let views = state.desk.assignments(unit).await?;
    let out: Vec<super::crew_page::CrewIncident> = views
        .into_iter()
        .map(|v| super::crew_page::CrewIncident::new(v, unit))
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// `POST /api/v1/crew/incidents/{id}/accept`.
pub async fn accept(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    id: web::Path<i64>,
    body: JsonBody<AcceptIn>,
) -> Result<HttpResponse, ApiError> {
    let action = Ok(CrewAction::Accept {
        eta_secs: body.0.eta_secs,
    });
    act(&state, &caller, &key, id.into_inner(), action).await
}

/// `POST /api/v1/crew/incidents/{id}/decline`.
pub async fn decline(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    id: web::Path<i64>,
    body: JsonBody<ReasonIn>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.0.reason;
    let action = super::intake::check_len("reason", &reason, super::intake::DESCRIPTION_MAX)
        .map(|()| CrewAction::Decline { reason });
    act(&state, &caller, &key, id.into_inner(), action).await
}

/// A handler for a progress step that carries no body: en route, on scene, released.
macro_rules! progress {
    ($name:ident, $path:literal, $action:ident) => {
        #[doc = concat!("`POST /api/v1/crew/incidents/{id}/", $path, "`.")]
        pub async fn $name(
            state: web::Data<AppState>,
            caller: Caller,
            key: IdempotencyKey,
            id: web::Path<i64>,
        ) -> Result<HttpResponse, ApiError> {
            let action = Ok(CrewAction::$action);
            act(&state, &caller, &key, id.into_inner(), action).await
        }
    };
}

progress!(en_route, "en-route", EnRoute);
progress!(on_scene, "on-scene", OnScene);
progress!(released, "released", Released);

/// `POST /api/v1/crew/incidents/{id}/fault-cause`.
pub async fn fault_cause(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    id: web::Path<i64>,
    body: JsonBody<FaultCauseIn>,
) -> Result<HttpResponse, ApiError> {
    let action = fault(body.0).map(|(code, text)| CrewAction::FaultCause { code, text });
    act(&state, &caller, &key, id.into_inner(), action).await
}

/// `POST /api/v1/crew/position`: 202; the desk takes it without logging it.
///
/// Unlike the other crew POSTs this needs no `Idempotency-Key`: a position is idempotent by
/// nature (the desk keeps the newest fix and ignores a replayed older one), and phones send one
/// every few seconds, which would fill the idempotency table for nothing.
pub async fn position(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<PositionIn>,
) -> Result<HttpResponse, ApiError> {
    let unit = caller.crew_unit()?;
    let fix = body.0.fix(state.clock.now())?;
    state.desk.position(unit, fix).await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({"status": "accepted"})))
}

/// `POST /api/v1/crew/duty`: on or off duty. Going off duty hands every page and assignment
/// not yet on scene to the next unit; the change is on the record.
pub async fn duty(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: JsonBody<DutyIn>,
) -> Result<HttpResponse, ApiError> {
    let unit = caller.crew_unit()?;
    let DutyIn { on_duty, reason } = body.0;
    once(&state, unit, &key, async {
        super::intake::check_len("reason", &reason, super::intake::DESCRIPTION_MAX)?;
        let why = if reason.trim().is_empty() {
            "reported by the crew".to_owned()
        } else {
            reason
        };
        let events = submit(&state, Command::UnitDuty { unit, on_duty, why }).await?;
        let events = crate::dispatch::crew_events(unit, events);
        let body = serde_json::to_string(&EventsOut { events }).unwrap_or_default();
        Ok((StatusCode::OK, body))
    })
    .await
}
