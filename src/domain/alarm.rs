//! Alarms: one shape for every source (cabin phone, IoT, hotline, operator, app).

use super::lift::{DeviceId, LiftId, PhoneNumber, RegistrationCode, RescueCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

id_type!(
    /// Inbox id of an alarm, assigned when it is committed.
    AlarmId
);

/// Where an alarm came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(utoipa::ToSchema)]
pub enum AlarmSource {
    /// The EN 81-28 cabin emergency phone, through the telephony gateway.
    CabinPhone,
    /// An IoT terminal or IoT platform.
    Iot,
    /// A call to the 96333 hotline, taken by an operator.
    Hotline,
    /// Raised by an operator from other information (110, property, maintainer call).
    Operator,
    /// The public mini-program / app.
    App,
}

impl std::fmt::Display for AlarmSource {
    /// The channel in words, for reasons on the record ("cabin phone alarm (source id …)").
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::CabinPhone => "cabin phone",
            Self::Iot => "IoT terminal",
            Self::Hotline => "hotline",
            Self::Operator => "operator",
            Self::App => "public app",
        })
    }
}

/// What the alarm reports. Source fault codes are mapped to these per source, in configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
#[derive(utoipa::ToSchema)]
pub enum AlarmKind {
    /// A passenger trapped with the car at a landing (平层关人).
    EntrapmentAtLanding,
    /// A passenger trapped between floors (非平层关人).
    EntrapmentBetweenFloors,
    /// The passenger alarm button (用户报警) or a cabin-phone alarm call.
    PassengerAlarm,
    /// Any other fault, named by the source's mapping (e.g. "over_speed", "power_loss").
    Fault(String),
}

impl AlarmKind {
    /// The snake_case name used in rules files (`Fault` answers "fault").
    pub fn rule_name(&self) -> &str {
        match self {
            Self::EntrapmentAtLanding => "entrapment_at_landing",
            Self::EntrapmentBetweenFloors => "entrapment_between_floors",
            Self::PassengerAlarm => "passenger_alarm",
            Self::Fault(_) => "fault",
        }
    }
}

/// Facts about the people inside that change how urgently fire/rescue is called.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlarmFlags {
    /// A trapped person is ill or injured.
    pub person_ill: bool,
    /// A child is alone in the car.
    pub child_alone: bool,
    /// Smoke, fire or water in the shaft or car.
    pub smoke_or_water: bool,
}

impl AlarmFlags {
    /// True when any flag is set.
    pub fn any(self) -> bool {
        self.person_ill || self.child_alone || self.smoke_or_water
    }
    /// The union of two sets of flags.
    pub fn union(self, o: AlarmFlags) -> AlarmFlags {
        AlarmFlags {
            person_ill: self.person_ill || o.person_ill,
            child_alone: self.child_alone || o.child_alone,
            smoke_or_water: self.smoke_or_water || o.smoke_or_water,
        }
    }
    /// Names of the flags that are set, as used in rules files.
    pub fn names(self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.person_ill {
            v.push("person_ill");
        }
        if self.child_alone {
            v.push("child_alone");
        }
        if self.smoke_or_water {
            v.push("smoke_or_water");
        }
        v
    }
}

/// How the source named the lift, kept as received so an unresolved alarm shows what came in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(utoipa::ToSchema)]
pub enum LiftRef {
    /// The registry id.
    Id(LiftId),
    /// The rescue code read out by a passenger.
    RescueCode(RescueCode),
    /// The registration code.
    #[schema(value_type = String)]
    RegistrationCode(RegistrationCode),
    /// The cabin phone's caller id.
    Phone(PhoneNumber),
    /// An IoT terminal id.
    Device(DeviceId),
    /// Something that did not parse as any of the above, kept verbatim.
    Unparsed(String),
}

impl LiftRef {
    /// The value alone, as received (for a page text, which names it in its own language).
    pub fn value(&self) -> String {
        match self {
            Self::Id(id) => id.0.to_string(),
            Self::RescueCode(c) => c.to_string(),
            Self::RegistrationCode(c) => c.to_string(),
            Self::Phone(p) => p.to_string(),
            Self::Device(d) => d.to_string(),
            Self::Unparsed(s) => s.clone(),
        }
    }
}

impl std::fmt::Display for LiftRef {
    /// What the source sent, in words an operator reads: "rescue code 987654", "cabin phone
    /// 13800138000", "IoT terminal dev-7".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "lift {}", id.0),
            Self::RescueCode(c) => write!(f, "rescue code {c}"),
            Self::RegistrationCode(c) => write!(f, "registration code {c}"),
            Self::Phone(p) => write!(f, "cabin phone {p}"),
            Self::Device(d) => write!(f, "IoT terminal {d}"),
            Self::Unparsed(s) => write!(f, "unrecognised reference \"{s}\""),
        }
    }
}

/// Whether the source reports the condition as present or gone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(utoipa::ToSchema)]
pub enum AlarmStatus {
    /// The condition is present (status 0 on most platforms).
    #[default]
    New,
    /// The source says it is gone (status 1): logged, never closes an incident by itself.
    Cleared,
}

/// The most people an alarm may say are trapped (a large goods lift carries about 50).
pub const TRAPPED_MAX: u16 = 99;

/// An alarm as intake hands it to the inbox (the inbox gives it its id): what every intake
/// decoder (cabin phone, IoT payload, operator) makes of what it received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAlarm {
    /// Where it came from.
    pub channel: AlarmSource,
    /// The source's id; (channel, source_alarm_id) is unique in the inbox.
    pub source_alarm_id: String,
    /// How the source named the lift.
    pub lift_ref: LiftRef,
    /// What it reports.
    pub kind: AlarmKind,
    /// New or cleared.
    pub status: AlarmStatus,
    /// Facts about the people inside.
    pub flags: AlarmFlags,
    /// How many people are trapped, when the source or the caller says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trapped: Option<u16>,
    /// Floor, if reported.
    pub floor: Option<String>,
    /// Free text.
    pub description: String,
    /// When it happened, by the source's clock.
    pub occurred_at: DateTime<Utc>,
}

/// One alarm from any source, as committed to the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alarm {
    /// Inbox id.
    pub id: AlarmId,
    /// Where it came from.
    pub channel: AlarmSource,
    /// The source's own id for it; (channel, source_alarm_id) is unique.
    pub source_alarm_id: String,
    /// How the source named the lift.
    pub lift_ref: LiftRef,
    /// What it reports.
    pub kind: AlarmKind,
    /// New or cleared.
    pub status: AlarmStatus,
    /// Facts about the people inside.
    pub flags: AlarmFlags,
    /// How many people are trapped, when the source or the caller says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trapped: Option<u16>,
    /// Floor reported by the source, if any.
    pub floor: Option<String>,
    /// Free text from the source or the operator.
    pub description: String,
    /// When it happened, by the source's clock.
    pub occurred_at: DateTime<Utc>,
    /// When we committed it.
    pub received_at: DateTime<Utc>,
}
