//! The dispatch console (role `operator`): search and open incidents, hotline calls, and the
//! operator's actions. Actions go to the desk as commands recorded under the token's label;
//! the answer is the events they produced.

use super::auth::Caller;
use super::body::JsonBody;
use super::error::ApiError;
use super::intake::{DESCRIPTION_MAX, FlagsIn, KindIn, LiftRefIn, check_floor, check_len};
use crate::dispatch::{Command, IncidentView, OperatorAction};
use crate::domain::{
    AlarmId, AlarmKind, AlarmSource, AlarmStatus, Event, IncidentId, LiftRef, PhoneNumber,
    RescueCode, UnitId,
};
use crate::http::AppState;
use crate::store::{IncidentRow, NewAlarm};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::query::IncidentQuery;

/// The events an action produced, in order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventsOut {
    /// The events.
    pub events: Vec<Event>,
}

/// An incident as stored, with the desk's live view while it holds it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IncidentDetail {
    /// The incidents projection row (null until the first event is stored).
    pub incident: Option<IncidentRow>,
    /// The desk's view: pages, SLA clocks, override candidates (null once archived).
    pub live: Option<IncidentView>,
}

/// A call to the hotline, taken by the operator.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HotlineIn {
    /// The rescue code the caller read off the sign.
    #[schema(example = "035302", pattern = "^[0-9]{5,6}$")]
    pub rescue_code: String,
    /// What is reported; default `passenger_alarm`.
    pub kind: Option<KindIn>,
    /// Facts about the people inside.
    #[serde(default)]
    pub flags: FlagsIn,
    /// How many people are trapped, if the caller says (1 to 99).
    #[schema(minimum = 1, maximum = 99)]
    pub trapped: Option<u16>,
    /// The floor, if known (at most 32 characters).
    #[schema(max_length = 32)]
    pub floor: Option<String>,
    /// What the caller said (at most 2000 characters).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// The caller's number, for the callback (3-20 digits, optionally after `+`).
    #[schema(pattern = "^\\+?[0-9]{3,20}$")]
    pub caller: Option<String>,
}

/// The hotline alarm as committed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HotlineAccepted {
    /// Its inbox id.
    pub alarm_id: AlarmId,
    /// The incident it opened or joined (null: the desk has not taken it yet).
    pub incident_id: Option<IncidentId>,
    /// No registered lift has that rescue code: the incident waits for the operator.
    pub lift_unresolved: bool,
}

/// Page a named unit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignIn {
    /// The unit's id.
    #[schema(minimum = 1)]
    pub unit: i64,
    /// Why (it goes on the record; 1-2000 characters, not blank).
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub reason: String,
}

/// A note for the record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    /// The text (1-2000 characters, not blank).
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub text: String,
}

/// What the callback established.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmIn {
    /// The note (1-2000 characters, not blank).
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub note: String,
}

/// The coded fault cause.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultCauseIn {
    /// The cause code (1-64 characters, not blank).
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub code: String,
    /// Free text (at most 2000 characters).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub text: String,
}

/// A reason, required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonIn {
    /// Why (1-2000 characters, not blank).
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub reason: String,
}

/// Submits a command; a refusal is counted and mapped.
pub async fn submit(state: &AppState, command: Command) -> Result<Vec<Event>, ApiError> {
    let answer = state.desk.submit(command);
    super::within_deadline(state, async {
        answer.await.inspect_err(|e| {
            if matches!(e, crate::desk::DeskError::Rejected(_)) {
                state.metrics.command_rejected();
            }
        })
    })
    .await
}

/// `GET /api/v1/incidents` (operators and investigators).
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<IncidentQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = query.into_inner().filter()?;
    Ok(HttpResponse::Ok().json(state.store.incidents(&filter).await?))
}

/// `GET /api/v1/incidents/{id}`.
pub async fn detail(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = IncidentId(id.into_inner());
    let incident = state.store.incident(id).await?;
    let live = super::within_deadline(&state, state.desk.view(id)).await?;
    if incident.is_none() && live.is_none() {
        return Err(ApiError::NotFound(id.to_string()));
    }
    Ok(HttpResponse::Ok().json(IncidentDetail { incident, live }))
}

impl HotlineIn {
    /// Checks everything but the lift's existence; builds the hotline alarm (the caller's
    /// number goes into the description, for the callback).
    fn into_alarm(self, now: DateTime<Utc>) -> Result<NewAlarm, ApiError> {
        let code = RescueCode::parse(&self.rescue_code)
            .map_err(|e| ApiError::invalid("rescue_code", e))?;
        let caller = self
            .caller
            .as_deref()
            .map(PhoneNumber::parse)
            .transpose()
            .map_err(|e| ApiError::invalid("caller", e))?;
        check_floor(&self.floor)?;
        super::intake::check_trapped(self.trapped)?;
        check_len("description", &self.description, DESCRIPTION_MAX)?;
        let kind = match self.kind {
            Some(k) => k.parse("kind")?,
            None => AlarmKind::PassengerAlarm,
        };
        let description = match caller {
            Some(c) => format!("{} (caller {c})", self.description)
                .trim()
                .to_owned(),
            None => self.description,
        };
        Ok(NewAlarm {
            channel: AlarmSource::Hotline,
            source_alarm_id: uuid::Uuid::new_v4().to_string(),
            lift_ref: LiftRef::RescueCode(code),
            kind,
            status: AlarmStatus::New,
            flags: self.flags.into(),
            trapped: self.trapped,
            floor: self.floor,
            description,
            occurred_at: now,
        })
    }
}

/// `POST /api/v1/incidents`: a hotline call becomes an alarm through the inbox.
pub async fn hotline(
    state: web::Data<AppState>,
    body: JsonBody<HotlineIn>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let alarm = body.0.into_alarm(now)?;
    // A code nobody registered (misread, or a lift missing from the register) is never turned
    // away: the incident opens marked "lift unresolved", on top of the list, and the operator
    // identifies the lift with the caller or sends a unit by hand.
    let (receipt, found) = state.inbox.accept_resolving(&alarm, now).await?;
    let lift_unresolved = !found;
    state
        .metrics
        .alarm_received(AlarmSource::Hotline, receipt.duplicate);
    Ok(HttpResponse::Created().json(HotlineAccepted {
        alarm_id: receipt.alarm.id,
        incident_id: receipt.incident,
        lift_unresolved,
    }))
}

async fn act(
    state: &AppState,
    caller: Caller,
    id: i64,
    action: OperatorAction,
) -> Result<HttpResponse, ApiError> {
    let command = Command::Operator {
        user: caller.label,
        incident: IncidentId(id),
        action,
    };
    let events = submit(state, command).await?;
    Ok(HttpResponse::Ok().json(EventsOut { events }))
}

/// Checks a reason or note: at most [`DESCRIPTION_MAX`] characters (emptiness is the desk's
/// call, answered 422).
fn text(field: &str, s: String) -> Result<String, ApiError> {
    check_len(field, &s, DESCRIPTION_MAX)?;
    Ok(s)
}

/// Checks a reason's length (a blank one is refused by the desk, as `blank_text`).
pub fn check_reason(reason: &str) -> Result<(), ApiError> {
    check_len("reason", reason, DESCRIPTION_MAX)
}

/// Checks a fault cause.
pub fn fault(input: FaultCauseIn) -> Result<(String, String), ApiError> {
    check_len("code", &input.code, 64)?;
    Ok((input.code, text("text", input.text)?))
}

/// `POST /api/v1/incidents/{id}/assign`.
pub async fn assign(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<AssignIn>,
) -> Result<HttpResponse, ApiError> {
    let action = OperatorAction::Assign {
        unit: UnitId(body.0.unit),
        reason: text("reason", body.0.reason)?,
    };
    act(&state, caller, id.into_inner(), action).await
}

/// `POST /api/v1/incidents/{id}/lift`: attach the lift the caller identified to an incident
/// opened with its lift unresolved, by exactly one of `id`, `rescue_code`,
/// `registration_code`, `phone`, `device_id` (as `POST /api/v1/alarms` names a lift). A
/// reference that names no registered lift is 422 `unknown_lift` before the desk is asked; the
/// desk answers 404 for an unknown incident, 409 `incident_ended` for one that has ended, and
/// 409 `out_of_order` for one that already has its lift or a lift another open incident holds
/// (the message names that incident).
pub async fn attach_lift(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<LiftRefIn>,
) -> Result<HttpResponse, ApiError> {
    let (by, field, value) = body.0.parse("")?;
    let lift = state.store.find_lift(&by).await?;
    let lift = lift.ok_or(ApiError::UnknownLift { field, value })?;
    let action = OperatorAction::AttachLift {
        lift: Box::new(lift),
        by,
    };
    act(&state, caller, id.into_inner(), action).await
}

/// `POST /api/v1/incidents/{id}/notes`.
pub async fn note(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<NoteIn>,
) -> Result<HttpResponse, ApiError> {
    let action = OperatorAction::Note {
        text: text("text", body.0.text)?,
    };
    act(&state, caller, id.into_inner(), action).await
}

/// `POST /api/v1/incidents/{id}/confirm-release`.
pub async fn confirm_release(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<ConfirmIn>,
) -> Result<HttpResponse, ApiError> {
    let action = OperatorAction::ConfirmRelease {
        note: text("note", body.0.note)?,
    };
    act(&state, caller, id.into_inner(), action).await
}

/// `POST /api/v1/incidents/{id}/fault-cause`.
pub async fn fault_cause(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<FaultCauseIn>,
) -> Result<HttpResponse, ApiError> {
    let (code, text) = fault(body.0)?;
    let action = OperatorAction::FaultCause { code, text };
    act(&state, caller, id.into_inner(), action).await
}

/// `POST /api/v1/incidents/{id}/close` (any body is ignored).
pub async fn close(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    act(&state, caller, id.into_inner(), OperatorAction::Close).await
}

/// `POST /api/v1/incidents/{id}/cancel`.
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<ReasonIn>,
) -> Result<HttpResponse, ApiError> {
    let action = OperatorAction::Cancel {
        reason: text("reason", body.0.reason)?,
    };
    act(&state, caller, id.into_inner(), action).await
}

/// `POST /api/v1/incidents/{id}/false-alarm`.
pub async fn false_alarm(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<ReasonIn>,
) -> Result<HttpResponse, ApiError> {
    let action = OperatorAction::FalseAlarm {
        reason: text("reason", body.0.reason)?,
    };
    act(&state, caller, id.into_inner(), action).await
}
