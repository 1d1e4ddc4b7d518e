//! Alarm intake over HTTP: IoT platforms and telephony gateways (role `integration`) and the
//! console (role `operator`) post alarms here.
//!
//! An alarm is checked completely — identifiers through the domain's `parse` constructors, sizes
//! and times — before it goes to the inbox, and its lift is resolved in the registry as it
//! commits (one statement on PostgreSQL), so a refused alarm, an unknown lift's included, leaves
//! no trace. `202 Accepted` means committed: the alarm will be dispatched even when the answer
//! does not name the incident yet.

use super::auth::Caller;
use super::body::JsonBody;
use super::error::ApiError;
use crate::domain::{
    AlarmFlags, AlarmId, AlarmKind, AlarmSource, AlarmStatus, DeviceId, IncidentId, LiftId,
    LiftRef, PhoneNumber, RegistrationCode, RescueCode,
};
use crate::http::AppState;
use crate::store::{NewAlarm, Role};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, Type};

/// Longest description, characters.
pub const DESCRIPTION_MAX: usize = 2000;
/// Longest floor label, characters.
const FLOOR_MAX: usize = 32;
/// Longest source alarm id, characters.
const SOURCE_ID_MAX: usize = 128;
/// How far in the future a source's clock may be.
const FUTURE_SLACK: TimeDelta = TimeDelta::minutes(5);

/// How the source names the lift: exactly one of the fields.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1, max_properties = 1)]
pub struct LiftRefIn {
    /// Registry id.
    #[schema(nullable = false, minimum = 1)]
    pub id: Option<i64>,
    /// The 6-digit rescue code on the sign in the car (5 in some cities).
    #[schema(nullable = false, example = "035302", pattern = "^[0-9]{5,6}$")]
    pub rescue_code: Option<String>,
    /// The 20-digit registration code.
    #[schema(
        nullable = false,
        pattern = "^3[123][0-9]{2}(1[1-9]|[2-7][0-9]|8[0-2])[0-9]{4}(199[0-9]|20[0-9]{2})(0[1-9]|1[0-2])[0-9]{4}$"
    )]
    pub registration_code: Option<String>,
    /// The cabin phone's caller id.
    #[schema(nullable = false, pattern = "^\\+?[0-9]{3,20}$")]
    pub phone: Option<String>,
    /// The IoT terminal's id.
    #[schema(nullable = false, pattern = "^[A-Za-z0-9_.:-]{1,64}$")]
    pub device_id: Option<String>,
}

impl LiftRefIn {
    /// Parses the one reference given; the error names `{prefix}.{field}` (just `{field}`
    /// with an empty prefix). Returns the
    /// reference, the field name and the value as given (for an unknown-lift answer).
    pub fn parse(&self, prefix: &str) -> Result<(LiftRef, String, String), ApiError> {
        let given: Vec<(&str, String)> = [
            ("id", self.id.map(|i| i.to_string())),
            ("rescue_code", self.rescue_code.clone()),
            ("registration_code", self.registration_code.clone()),
            ("phone", self.phone.clone()),
            ("device_id", self.device_id.clone()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        let [(name, value)] = given.as_slice() else {
            return Err(ApiError::invalid(
                if prefix.is_empty() { "query" } else { prefix },
                "give exactly one of id, rescue_code, registration_code, phone, device_id",
            ));
        };
        let field = if prefix.is_empty() {
            (*name).to_owned()
        } else {
            format!("{prefix}.{name}")
        };
        let bad = |e: crate::domain::IdError| ApiError::invalid(field.clone(), e);
        let r = match *name {
            "id" => LiftRef::Id(LiftId(self.id.unwrap_or_default())),
            "rescue_code" => LiftRef::RescueCode(RescueCode::parse(value).map_err(bad)?),
            "registration_code" => {
                LiftRef::RegistrationCode(RegistrationCode::parse(value).map_err(bad)?)
            }
            "phone" => LiftRef::Phone(PhoneNumber::parse(value).map_err(bad)?),
            _ => LiftRef::Device(DeviceId::parse(value).map_err(bad)?),
        };
        Ok((r, field, value.clone()))
    }
}

/// What the alarm reports: `"entrapment_at_landing"`, `"entrapment_between_floors"`,
/// `"passenger_alarm"`, or `{"fault": "over_speed"}` for any other fault. (Its schema is
/// written out below: a derived one would let `{"fault": …}` carry other keys, which serde
/// refuses.)
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KindIn {
    /// A passenger trapped with the car at a landing.
    EntrapmentAtLanding,
    /// A passenger trapped between floors.
    EntrapmentBetweenFloors,
    /// The passenger alarm button or a cabin-phone alarm call.
    PassengerAlarm,
    /// Another fault, by the source's name for it (1-64 of `a-z 0-9 _ - .`).
    Fault(String),
}

impl utoipa::PartialSchema for KindIn {
    fn schema() -> RefOr<Schema> {
        let word = |name: &str, doc: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([name.to_owned()]))
                .description(Some(doc))
        };
        let name = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[A-Za-z0-9_.-]{1,64}$"));
        let fault = ObjectBuilder::new()
            .property("fault", name)
            .required("fault")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .description(Some(
                "Another fault, by the source's name for it (1-64 of `a-z 0-9 _ - .`).",
            ));
        OneOfBuilder::new()
            .item(word(
                "entrapment_at_landing",
                "A passenger trapped with the car at a landing.",
            ))
            .item(word(
                "entrapment_between_floors",
                "A passenger trapped between floors.",
            ))
            .item(word(
                "passenger_alarm",
                "The passenger alarm button or a cabin-phone alarm call.",
            ))
            .item(fault)
            .description(Some(
                "What the alarm reports: one of the words, or `{\"fault\": \"over_speed\"}`.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for KindIn {}

impl KindIn {
    /// The domain kind; a fault name is checked.
    pub fn parse(self, field: &str) -> Result<AlarmKind, ApiError> {
        Ok(match self {
            Self::EntrapmentAtLanding => AlarmKind::EntrapmentAtLanding,
            Self::EntrapmentBetweenFloors => AlarmKind::EntrapmentBetweenFloors,
            Self::PassengerAlarm => AlarmKind::PassengerAlarm,
            Self::Fault(name) => {
                let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
                if name.is_empty() || name.len() > 64 || !name.chars().all(ok) {
                    return Err(ApiError::invalid(
                        format!("{field}.fault"),
                        "must be 1-64 of a-z A-Z 0-9 _ - .",
                    ));
                }
                AlarmKind::Fault(name)
            }
        })
    }
}

/// Facts about the people inside; each defaults to false.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FlagsIn {
    /// A trapped person is ill or injured.
    pub person_ill: bool,
    /// A child is alone in the car.
    pub child_alone: bool,
    /// Smoke, fire or water in the shaft or car.
    pub smoke_or_water: bool,
}

impl From<FlagsIn> for AlarmFlags {
    fn from(f: FlagsIn) -> Self {
        AlarmFlags {
            person_ill: f.person_ill,
            child_alone: f.child_alone,
            smoke_or_water: f.smoke_or_water,
        }
    }
}

/// An alarm from any source.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmIn {
    /// The source's own id (1-128 characters, not blank); the same id on the same channel is
    /// one alarm.
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    pub source_alarm_id: String,
    /// Where it came from; default `iot` for integrations, `operator` for operators.
    pub channel: Option<AlarmSource>,
    /// The lift: exactly one of its identifiers.
    pub lift: LiftRefIn,
    /// What it reports.
    pub kind: KindIn,
    /// `new` (default) or `cleared`.
    #[serde(default)]
    pub status: AlarmStatus,
    /// Facts about the people inside.
    #[serde(default)]
    pub flags: FlagsIn,
    /// How many people are trapped, if known (1 to 99).
    #[schema(minimum = 1, maximum = 99)]
    pub trapped: Option<u16>,
    /// The floor, as the source reports it (at most 32 characters).
    #[schema(max_length = 32)]
    pub floor: Option<String>,
    /// Free text (at most 2000 characters).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// When it happened (RFC 3339); default now; at most 5 minutes in the future.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// The inbox's answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlarmAccepted {
    /// The alarm's inbox id (the first copy's, for a duplicate).
    pub alarm_id: AlarmId,
    /// The incident it opened or joined, once the desk has taken it (null: not yet).
    pub incident_id: Option<IncidentId>,
    /// The same (channel, source_alarm_id) was already in the inbox: nothing new was written.
    pub duplicate: bool,
    /// With `[[regions]]`: the region whose desk took it (an alarm naming its lift by
    /// registration code goes to the region of the code's district; its ids are that region's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// Checks a free text's length.
pub fn check_len(field: &str, text: &str, max: usize) -> Result<(), ApiError> {
    let n = text.chars().count();
    if n > max {
        return Err(ApiError::invalid(
            field,
            format!("at most {max} characters (got {n})"),
        ));
    }
    Ok(())
}

/// Checks an optional number of people trapped.
pub fn check_trapped(trapped: Option<u16>) -> Result<(), ApiError> {
    match trapped {
        Some(n) if !(1..=crate::domain::TRAPPED_MAX).contains(&n) => Err(ApiError::invalid(
            "trapped",
            format!("from 1 to {} people (got {n})", crate::domain::TRAPPED_MAX),
        )),
        _ => Ok(()),
    }
}

/// Checks an optional floor label.
pub fn check_floor(floor: &Option<String>) -> Result<(), ApiError> {
    floor
        .as_deref()
        .map_or(Ok(()), |f| check_len("floor", f, FLOOR_MAX))
}

impl AlarmIn {
    /// Checks everything but the lift's existence and builds the inbox row; also returns the
    /// lift reference's field and value.
    fn into_alarm(
        self,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<(NewAlarm, String, String), ApiError> {
        let id_len = self.source_alarm_id.chars().count();
        if !(1..=SOURCE_ID_MAX).contains(&id_len) || self.source_alarm_id.trim().is_empty() {
            return Err(ApiError::invalid(
                "source_alarm_id",
                "must be 1 to 128 characters, not all blank",
            ));
        }
        check_floor(&self.floor)?;
        check_trapped(self.trapped)?;
        check_len("description", &self.description, DESCRIPTION_MAX)?;
        let occurred_at = self.occurred_at.unwrap_or(now);
        if occurred_at > now + FUTURE_SLACK {
            return Err(ApiError::invalid(
                "occurred_at",
                format!("{occurred_at} is more than 5 minutes in the future"),
            ));
        }
        let (lift_ref, field, value) = self.lift.parse("lift")?;
        let alarm = NewAlarm {
            channel: self.channel.unwrap_or(match role {
                Role::Integration => AlarmSource::Iot,
                _ => AlarmSource::Operator,
            }),
            source_alarm_id: self.source_alarm_id,
            lift_ref,
            kind: self.kind.parse("kind")?,
            status: self.status,
            flags: self.flags.into(),
            trapped: self.trapped,
            floor: self.floor,
            description: self.description,
            occurred_at,
        };
        Ok((alarm, field, value))
    }
}

/// `POST /api/v1/alarms`: check, commit with the lift resolved (422 if none), answer 202.
pub async fn post_alarm(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<AlarmIn>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let (alarm, field, value) = body.0.into_alarm(caller.role, now)?;
    let receipt = state
        .inbox
        .accept_for_lift(&alarm, now)
        .await?
        .ok_or(ApiError::UnknownLift { field, value })?;
    state
        .metrics
        .alarm_received(alarm.channel, receipt.duplicate);
    Ok(HttpResponse::Accepted().json(AlarmAccepted {
        alarm_id: receipt.alarm.id,
        incident_id: receipt.incident,
        duplicate: receipt.duplicate,
        region: state.inbox.region_for(&alarm),
    }))
}
