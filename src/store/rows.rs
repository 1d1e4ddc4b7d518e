//! Rows as both engines return them, and their mapping to and from the domain.
//!
//! The row structs derive `sqlx::FromRow` generically, so one definition serves PostgreSQL and
//! SQLite; engine-specific column types are hidden behind [`Ts`] and [`JsonText`]. Enum columns
//! hold the enums' snake_case serde names, the same words the API and rules files use.

use super::types::{JsonText, Ts};
use super::{Company, IncidentRow, NewAlarm, Role, StoreError, TokenRow};
use crate::domain::{
    AdminCode, Alarm, AlarmId, CompanyId, DeviceId, Fix, IncidentId, LatLon, Lift, LiftFlags,
    LiftId, PhoneNumber, RegistrationCode, RescueCode, Unit, UnitId,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A stored value that does not read back as what it should be.
pub fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// The serde name of a unit-variant enum value (`IncidentStatus::EnRoute` → `"en_route"`).
pub fn enum_name<T: Serialize>(v: &T) -> String {
    // Unit variants of the snake_case enums this is used with serialise to a JSON string.
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Parses a serde name back into its enum value.
pub fn parse_enum<T: DeserializeOwned>(what: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| corrupt(format!("{what} {s:?} is not a known value")))
}

/// Parses a JSON column.
pub fn from_json<T: DeserializeOwned>(what: &str, j: &JsonText) -> Result<T, StoreError> {
    serde_json::from_str(&j.0).map_err(|e| corrupt(format!("{what}: {e}")))
}

/// Serialises a value for a JSON column.
pub fn to_json<T: Serialize>(v: &T) -> Result<JsonText, StoreError> {
    serde_json::to_string(v)
        .map(JsonText)
        .map_err(|e| corrupt(format!("cannot serialise: {e}")))
}

/// A row of `lifts`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiftRow {
    pub id: i64,
    pub rescue_code: String,
    pub registration_code: String,
    pub district: String,
    pub cabin_phone: Option<String>,
    pub device_id: Option<String>,
    pub address: String,
    pub building: String,
    pub lat: f64,
    pub lon: f64,
    pub commissioned: Option<NaiveDate>,
    pub use_unit: Option<i64>,
    pub use_unit_phone: Option<String>,
    pub maintainer: Option<i64>,
    pub no_property_management: bool,
    pub no_maintenance_unit: bool,
    pub no_repair_fund: bool,
    pub street: Option<String>,
}

fn opt<T>(
    v: Option<String>,
    parse: impl Fn(&str) -> Result<T, crate::domain::IdError>,
) -> Result<Option<T>, StoreError> {
    v.map(|s| parse(&s).map_err(corrupt)).transpose()
}

impl LiftRow {
    /// The row that stores `l`.
    pub fn of(l: &Lift) -> Self {
        LiftRow {
            id: l.id.0,
            rescue_code: l.rescue_code.to_string(),
            registration_code: l.registration_code.to_string(),
            district: l.district.to_string(),
            cabin_phone: l.cabin_phone.as_ref().map(|p| p.to_string()),
            device_id: l.device_id.as_ref().map(|d| d.to_string()),
            address: l.address.clone(),
            building: l.building.clone(),
            lat: l.position.lat,
            lon: l.position.lon,
            commissioned: l.commissioned,
            use_unit: l.use_unit.map(|c| c.0),
            use_unit_phone: l.use_unit_phone.as_ref().map(|p| p.to_string()),
            maintainer: l.maintainer.map(|c| c.0),
            no_property_management: l.flags.no_property_management,
            no_maintenance_unit: l.flags.no_maintenance_unit,
            no_repair_fund: l.flags.no_repair_fund,
            street: l.street.clone(),
        }
    }

    /// The lift this row stores (every value checked again).
    pub fn decode(self) -> Result<Lift, StoreError> {
        Ok(Lift {
            id: LiftId(self.id),
            rescue_code: RescueCode::parse(&self.rescue_code).map_err(corrupt)?,
            registration_code: RegistrationCode::parse(&self.registration_code).map_err(corrupt)?,
            district: AdminCode::parse(&self.district).map_err(corrupt)?,
            street: self.street,
            cabin_phone: opt(self.cabin_phone, PhoneNumber::parse)?,
            device_id: opt(self.device_id, DeviceId::parse)?,
            address: self.address,
            building: self.building,
            position: LatLon::parse(self.lat, self.lon).map_err(corrupt)?,
            commissioned: self.commissioned,
            use_unit: self.use_unit.map(CompanyId),
            use_unit_phone: opt(self.use_unit_phone, PhoneNumber::parse)?,
            maintainer: self.maintainer.map(CompanyId),
            flags: LiftFlags {
                no_property_management: self.no_property_management,
                no_maintenance_unit: self.no_maintenance_unit,
                no_repair_fund: self.no_repair_fund,
            },
        })
    }
}

/// A row of `units`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnitRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub company: i64,
    pub skills: JsonText,
    pub phone: Option<String>,
    pub on_duty: bool,
    pub fix_lat: Option<f64>,
    pub fix_lon: Option<f64>,
    pub fix_taken: Option<Ts>,
    pub contact_plan: Option<String>,
    pub base_lat: Option<f64>,
    pub base_lon: Option<f64>,
}

impl UnitRow {
    /// The row that stores `u`.
    pub fn of(u: &Unit) -> Result<Self, StoreError> {
        Ok(UnitRow {
            id: u.id.0,
            name: u.name.clone(),
            kind: u.kind.as_str().to_owned(),
            company: u.company.0,
            skills: to_json(&u.skills)?,
            phone: u.phone.as_ref().map(|p| p.to_string()),
            on_duty: u.on_duty,
            fix_lat: u.fix.map(|f| f.at.lat),
            fix_lon: u.fix.map(|f| f.at.lon),
            fix_taken: u.fix.map(|f| Ts(f.taken)),
            contact_plan: u.contact_plan.clone(),
            base_lat: u.base.map(|b| b.lat),
            base_lon: u.base.map(|b| b.lon),
        })
    }

    /// The unit this row stores.
    pub fn decode(self) -> Result<Unit, StoreError> {
        let fix = match (self.fix_lat, self.fix_lon, self.fix_taken) {
            (Some(lat), Some(lon), Some(taken)) => Some(Fix {
                at: LatLon::parse(lat, lon).map_err(corrupt)?,
                taken: taken.0,
            }),
            _ => None,
        };
        let base = match (self.base_lat, self.base_lon) {
            (Some(lat), Some(lon)) => Some(LatLon::parse(lat, lon).map_err(corrupt)?),
            _ => None,
        };
        Ok(Unit {
            id: UnitId(self.id),
            name: self.name,
            kind: parse_enum("unit kind", &self.kind)?,
            company: CompanyId(self.company),
            skills: from_json("unit skills", &self.skills)?,
            phone: opt(self.phone, PhoneNumber::parse)?,
            on_duty: self.on_duty,
            fix,
            base,
            contact_plan: self.contact_plan,
        })
    }
}

/// A row of `companies`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompanyRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

impl CompanyRow {
    /// The company this row stores.
    pub fn decode(self) -> Result<Company, StoreError> {
        Ok(Company {
            id: CompanyId(self.id),
            name: self.name,
            kind: parse_enum("company kind", &self.kind)?,
        })
    }
}

/// A row of `incidents`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IncidentDbRow {
    pub id: i64,
    pub status: String,
    pub lift_id: Option<i64>,
    pub rescue_code: Option<String>,
    pub company_id: Option<i64>,
    pub chain: String,
    pub rules_version: String,
    pub opened_at: Ts,
    pub ended_at: Option<Ts>,
    pub breached: bool,
    pub needs_operator: bool,
    pub lift_unresolved: bool,
    pub updated_at: Ts,
}

impl IncidentDbRow {
    /// The row that stores `r`.
    pub fn of(r: &IncidentRow) -> Self {
        IncidentDbRow {
            id: r.id.0,
            status: enum_name(&r.status),
            lift_id: r.lift.map(|l| l.0),
            rescue_code: r.rescue_code.clone(),
            company_id: r.company.map(|c| c.0),
            chain: r.chain.clone(),
            rules_version: r.rules_version.clone(),
            opened_at: Ts(r.opened_at),
            ended_at: r.ended_at.map(Ts),
            breached: r.breached,
            needs_operator: r.needs_operator,
            lift_unresolved: r.lift_unresolved,
            updated_at: Ts(r.updated_at),
        }
    }

    /// The projection row this stores.
    pub fn decode(self) -> Result<IncidentRow, StoreError> {
        Ok(IncidentRow {
            id: IncidentId(self.id),
            status: parse_enum("incident status", &self.status)?,
            lift: self.lift_id.map(LiftId),
            rescue_code: self.rescue_code,
            company: self.company_id.map(CompanyId),
            chain: self.chain,
            rules_version: self.rules_version,
            opened_at: self.opened_at.0,
            ended_at: self.ended_at.map(|t| t.0),
            breached: self.breached,
            needs_operator: self.needs_operator,
            lift_unresolved: self.lift_unresolved,
            updated_at: self.updated_at.0,
        })
    }
}

/// The alarm the inbox stores for `a`, once it has its id.
pub fn stored_alarm(id: AlarmId, a: &NewAlarm, received_at: DateTime<Utc>) -> Alarm {
    Alarm {
        id,
        channel: a.channel,
        source_alarm_id: a.source_alarm_id.clone(),
        lift_ref: a.lift_ref.clone(),
        kind: a.kind.clone(),
        status: a.status,
        flags: a.flags,
        trapped: a.trapped,
        floor: a.floor.clone(),
        description: a.description.clone(),
        occurred_at: a.occurred_at,
        received_at,
    }
}

/// The inbox columns a receipt needs. The body is the alarm as intake gave it (a
/// [`NewAlarm`]); the id and the time received are the row's own columns. (Rows written before
/// hold the whole `Alarm`, whose extra fields the `NewAlarm` reading ignores.)
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlarmRow {
    pub id: i64,
    pub body: JsonText,
    pub received_at: Ts,
    pub incident_id: Option<i64>,
}

impl AlarmRow {
    /// The alarm and the incident it opened or joined, if processed.
    pub fn decode(self) -> Result<(Alarm, Option<IncidentId>), StoreError> {
        let new: NewAlarm = from_json("alarm", &self.body)?;
        Ok((
            stored_alarm(AlarmId(self.id), &new, self.received_at.0),
            self.incident_id.map(IncidentId),
        ))
    }
}

/// A row of `tokens`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenDbRow {
    pub id: i64,
    pub role: String,
    pub unit_id: Option<i64>,
    pub label: String,
}

impl TokenDbRow {
    /// The token this row stores.
    pub fn decode(self) -> Result<TokenRow, StoreError> {
        Ok(TokenRow {
            id: self.id,
            role: parse_enum::<Role>("role", &self.role)?,
            unit: self.unit_id.map(UnitId),
            label: self.label,
        })
    }
}
