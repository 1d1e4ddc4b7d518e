//! Storm mode on the console (role `operator`; investigators may look): the storms the desk
//! holds with their incidents in priority order, and declaring or ending one by hand.

use super::auth::Caller;
use super::body::JsonBody;
use super::error::ApiError;
use super::operator::{EventsOut, submit};
use crate::dispatch::Command;
use crate::domain::storm::StormArea;
use crate::domain::{Event, EventKind, LatLon};
use crate::http::AppState;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

/// A storm declared by an operator.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StormIn {
    /// Where: `{"type": "street", "district", "street"}`, `{"type": "district", "district"}`
    /// or `{"type": "radius", "center": {"lat", "lon"}, "radius_m"}` (50 to 50,000 m).
    pub area: StormArea,
    /// Why (1-2000 characters, not blank): goes on the record.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub reason: String,
}

/// A storm declared.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StormDeclaredOut {
    /// The storm's number.
    pub storm: u32,
    /// The events the declaration produced (the declaration, the triage of the area's open
    /// entrapments, a first solve).
    pub events: Vec<Event>,
}

/// `GET /api/v1/storms`.
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let view = super::within_deadline(&state, state.desk.storms()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/v1/storms`.
pub async fn declare(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<StormIn>,
) -> Result<HttpResponse, ApiError> {
    let StormIn { area, reason } = body.0;
    check_area(&area)?;
    super::operator::check_reason(&reason)?;
    let command = Command::DeclareStorm {
        user: caller.label,
        area,
        reason,
    };
    let events = submit(&state, command).await?;
    let storm = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::StormDeclared { storm, .. } => Some(*storm),
            _ => None,
        })
        .unwrap_or_default();
    Ok(HttpResponse::Created().json(StormDeclaredOut { storm, events }))
}

/// `POST /api/v1/storms/{id}/end`.
pub async fn end(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<u32>,
    body: JsonBody<super::operator::ReasonIn>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.0.reason;
    super::operator::check_reason(&reason)?;
    let command = Command::EndStorm {
        user: caller.label,
        storm: id.into_inner(),
        reason,
    };
    let events = submit(&state, command).await?;
    Ok(HttpResponse::Ok().json(EventsOut { events }))
}

/// What the schema says of an area, checked (serde does not check numbers' ranges).
fn check_area(area: &StormArea) -> Result<(), ApiError> {
    let invalid = |field: &str, message: String| ApiError::InvalidField {
        field: field.into(),
        message,
    };
    match area {
        StormArea::Street { street, .. } => {
            if street.trim().is_empty() || street.chars().count() > 64 {
                return Err(invalid(
                    "area.street",
                    "a street name of 1 to 64 characters".into(),
                ));
            }
        }
        StormArea::District { .. } => {}
        StormArea::Radius { center, radius_m } => {
            LatLon::parse(center.lat, center.lon)
                .map_err(|e| invalid("area.center", e.to_string()))?;
            if !(50.0..=50_000.0).contains(radius_m) {
                return Err(invalid(
                    "area.radius_m",
                    format!("{radius_m} is outside 50 to 50000 metres"),
                ));
            }
        }
    }
    Ok(())
}
