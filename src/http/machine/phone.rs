//! `POST /api/v1/intake/phone`: the telephony gateway posts a cabin-phone call (role
//! `integration`, bearer token), with the DTMF digits it decoded from the tones.
//!
//! - The caller number is parsed first (400 naming `caller`), then the digits are decoded
//!   ([`crate::intake::phone::decode`]). A packet that does not decode — bad checksum, illegal
//!   digit, truncated, wrong length … — is 422 `bad_packet` whose message names the fault,
//!   field `digits`, and a warning "alarm line fault" with the caller, call id and fault.
//! - An alarm call, an operational failure or a rescue-ended message becomes an alarm
//!   ([`crate::intake::phone::to_alarm`]) committed to the inbox: 202 with the alarm, the
//!   incident and the kind. Rescue ended joins the open incident as a cleared alarm and never
//!   closes it (a person confirms release).
//! - A test call (or a KONE button / audio / battery report) is the phone's health report: 200
//!   with the faults it reports, logged; nothing goes to the inbox.
//! - A caller number no lift carries is not refused: the alarm is committed and opens an
//!   incident marked lift-unresolved that asks an operator.
//!
//! The source alarm id is `{call_id}:{kind}` (`kind` as in the answer), so a rescue-ended
//! message posted under the alarm call's id is a second alarm, not a duplicate of the first,
//! while the gateway re-posting the same message is one alarm.
//!
//! Not yet here: the line-fault *record* (an event on the lift's timeline, counted by line
//! supervision) and the phone-health record; both come with line supervision. Until then the
//! log lines are the record.

use crate::dispatch::{Command, EquipmentReport};
use crate::domain::{AlarmId, AlarmSource, IncidentId, PhoneNumber};
use crate::domain::{Equipment, LiftRef};
use crate::http::AppState;
use crate::http::body::JsonBody;
use crate::http::error::ApiError;
use crate::intake::phone::{self, CallKind, PhoneFault, PhoneMessage, Protocol};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Longest gateway call id, characters (the stored source id adds `:{kind}`).
const CALL_ID_MAX: usize = 100;
/// Longest digit string, characters (the longest message, CPC with a 16-digit id and data,
/// is far shorter).
const DIGITS_MAX: usize = 64;
/// How far in the future the gateway's clock may be.
const FUTURE_SLACK: TimeDelta = TimeDelta::minutes(5);

/// A call as the gateway posts it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneCallIn {
    /// The cabin phone's number as the network presented it (3-20 digits, optional `+`).
    #[schema(example = "02360000017", pattern = "^\\+?[0-9]{3,20}$")]
    pub caller: String,
    /// The gateway's id for the call (1-100 characters).
    #[schema(
        example = "gw-20260101-0001",
        min_length = 1,
        max_length = 100,
        pattern = r"\S"
    )]
    pub call_id: String,
    /// The DTMF digits, decoded from tones to characters (at most 64).
    #[schema(example = "18123456782D", max_length = 64)]
    pub digits: String,
    /// `P100`, `CPC-KONE`, `CPC-Antenna` or `auto` (default: detect).
    #[schema(example = "auto", pattern = "^(P100|CPC-KONE|CPC-Antenna|auto)$")]
    pub protocol: Option<String>,
    /// Two-way voice with the car is open (default false).
    #[serde(default)]
    pub voice_open: bool,
    /// When the call came (RFC 3339); default now; at most 5 minutes in the future.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// The answer: an alarm committed (202), or a health report taken (200).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum PhoneCallAnswer {
    /// 202: an alarm call, operational failure or rescue ended, committed to the inbox.
    Alarm {
        /// `alarm`, `operational_failure` or `rescue_ended`.
        kind: &'static str,
        /// The alarm's inbox id (the first copy's, for a duplicate).
        alarm_id: AlarmId,
        /// The incident it opened or joined, once the desk has taken it (null: not yet).
        incident_id: Option<IncidentId>,
        /// Already in the inbox: nothing new was written.
        duplicate: bool,
    },
    /// 200: the phone reporting on itself; nothing is committed.
    Health {
        /// `test_call`, `button_error`, `audio_error` or `battery_low`.
        kind: &'static str,
        /// `battery`, `speaker`, `microphone`, `alarm_button`, or `other:X`; empty: healthy.
        faults: Vec<String>,
    },
}

/// A call whose fields are checked.
struct Call {
    caller: PhoneNumber,
    call_id: String,
    protocol: Protocol,
    digits: String,
    voice_open: bool,
    occurred_at: DateTime<Utc>,
}

impl PhoneCallIn {
    /// Checks everything but the digits.
    fn check(self, now: DateTime<Utc>) -> Result<Call, ApiError> {
        let caller =
            PhoneNumber::parse(&self.caller).map_err(|e| ApiError::invalid("caller", e))?;
        let n = self.call_id.chars().count();
        if !(1..=CALL_ID_MAX).contains(&n) || self.call_id.trim().is_empty() {
            return Err(ApiError::invalid(
                "call_id",
                "must be 1 to 100 characters, not all blank",
            ));
        }
        let protocol = match self.protocol.as_deref() {
            None => Protocol::Auto,
            Some(p) => p.parse().map_err(|e| ApiError::invalid("protocol", e))?,
        };
        let occurred_at = self.occurred_at.unwrap_or(now);
        if occurred_at > now + FUTURE_SLACK {
            return Err(ApiError::invalid(
                "occurred_at",
                format!("{occurred_at} is more than 5 minutes in the future"),
            ));
        }
        Ok(Call {
            caller,
            call_id: self.call_id,
            protocol,
            digits: self.digits,
            voice_open: self.voice_open,
            occurred_at,
        })
    }
}

/// `POST /api/v1/intake/phone`: check, decode, then commit an alarm or take a health report.
pub async fn post_phone(
    state: web::Data<AppState>,
    body: JsonBody<PhoneCallIn>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let call = body.0.check(now)?;
    let msg = match decode(&call) {
        Ok(msg) => msg,
        Err(refused) => {
            // The line fault goes on the lift's record; the gateway still gets the 422.
            if let ApiError::BadPacket(fault) = &refused {
                let report = EquipmentReport::BadPacket {
                    fault: fault.clone(),
                };
                record(&state, &call.caller, report).await?;
            }
            return Err(refused);
        }
    };
    let kind = kind_name(&msg.kind);
    let source_id = format!("{}:{kind}", call.call_id);
    let alarm = phone::to_alarm(
        &msg,
        &call.caller,
        &source_id,
        call.voice_open,
        call.occurred_at,
    );
    let Some(alarm) = alarm else {
        let (answer, faults) = health_report(&call, &msg, kind);
        record(&state, &call.caller, EquipmentReport::TestCall { faults }).await?;
        return Ok(answer);
    };
    let receipt = state.inbox.accept(&alarm, now).await?;
    state
        .metrics
        .alarm_received(AlarmSource::CabinPhone, receipt.duplicate);
    Ok(HttpResponse::Accepted().json(PhoneCallAnswer::Alarm {
        kind,
        alarm_id: receipt.alarm.id,
        incident_id: receipt.incident,
        duplicate: receipt.duplicate,
    }))
}

/// The decoded message, or 422 naming the fault and a line-fault warning.
fn decode(call: &Call) -> Result<PhoneMessage, ApiError> {
    let n = call.digits.chars().count();
    let decoded = if n > DIGITS_MAX {
        Err(format!(
            "digit string of {n} characters, at most {DIGITS_MAX}"
        ))
    } else {
        phone::decode(call.protocol, &call.digits).map_err(|e| e.to_string())
    };
    decoded.map_err(|fault| {
        tracing::warn!(
            caller = call.caller.as_str(),
            call_id = call.call_id.as_str(),
            fault = fault.as_str(),
            "alarm line fault"
        );
        ApiError::BadPacket(fault)
    })
}

/// Puts a cabin phone's report on itself on its lift's record, through the desk.
async fn record(
    state: &AppState,
    caller: &PhoneNumber,
    report: EquipmentReport,
) -> Result<(), ApiError> {
    let lift = state
        .store
        .find_lift(&LiftRef::Phone(caller.clone()))
        .await?
        .map(|l| l.id);
    let equipment = Equipment::Phone(caller.clone());
    state
        .desk
        .submit(Command::Equipment {
            lift,
            equipment,
            report,
        })
        .await?;
    Ok(())
}

/// A test call or a phone's report on itself: logged and answered 200 (no alarm is committed);
/// the faults it reported, for the record.
fn health_report(
    call: &Call,
    msg: &PhoneMessage,
    kind: &'static str,
) -> (HttpResponse, Vec<String>) {
    let faults: Vec<String> = msg
        .kind
        .health_report()
        .unwrap_or_default()
        .iter()
        .map(fault_name)
        .collect();
    tracing::info!(
        caller = call.caller.as_str(),
        call_id = call.call_id.as_str(),
        protocol = %msg.protocol,
        kind,
        faults = ?faults,
        "cabin phone health report"
    );
    let answer = HttpResponse::Ok().json(PhoneCallAnswer::Health {
        kind,
        faults: faults.clone(),
    });
    (answer, faults)
}

/// The answer's name for what a call is about.
fn kind_name(kind: &CallKind) -> &'static str {
    match kind {
        CallKind::Alarm { .. } => "alarm",
        CallKind::OperationalFailure => "operational_failure",
        CallKind::TestCall { .. } => "test_call",
        CallKind::RescueEnded => "rescue_ended",
        CallKind::ButtonError => "button_error",
        CallKind::AudioError => "audio_error",
        CallKind::BatteryLow => "battery_low",
    }
}

/// The answer's name for a fault the phone reports.
fn fault_name(fault: &PhoneFault) -> String {
    match fault {
        PhoneFault::Battery => "battery".into(),
        PhoneFault::Speaker => "speaker".into(),
        PhoneFault::Microphone => "microphone".into(),
        PhoneFault::AlarmButton => "alarm_button".into(),
        PhoneFault::Other(c) => format!("other:{c}"),
    }
}
