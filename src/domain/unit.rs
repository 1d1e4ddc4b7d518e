//! Rescue units: contracted maintainers, property staff and fire/rescue units.

use super::geo::LatLon;
use super::lift::{CompanyId, PhoneNumber};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

id_type!(
    /// Database id of a unit (a person or a crew that is paged as one).
    UnitId
);

impl fmt::Display for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unit {}", self.0)
    }
}

/// What kind of responder a unit is; the rules page by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(utoipa::ToSchema)]
pub enum UnitKind {
    /// A maintenance company's technician (level 1 for their own lifts, level 2 for others).
    Maintainer,
    /// The building's property staff: calm the passengers, keep people from prying doors.
    PropertyStaff,
    /// A fire/rescue (119) unit: level 3.
    FireRescue,
}

impl UnitKind {
    /// All kinds, in level order.
    pub const ALL: [UnitKind; 3] = [Self::Maintainer, Self::PropertyStaff, Self::FireRescue];

    /// The snake_case name used in rules files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Maintainer => "maintainer",
            Self::PropertyStaff => "property_staff",
            Self::FireRescue => "fire_rescue",
        }
    }
}

/// A live position report and when the fix was taken.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fix {
    /// Where (WGS-84).
    pub at: LatLon,
    /// When the device took the fix (not when we received it).
    pub taken: DateTime<Utc>,
}

/// Keeps in `pending` the newer of `fix` and the fix already there for `unit` (by when each
/// was taken): fixes queued for writing or forwarding are coalesced to each unit's newest.
pub fn keep_newest(pending: &mut std::collections::HashMap<UnitId, Fix>, unit: UnitId, fix: Fix) {
    let held = pending.entry(unit).or_insert(fix);
    if fix.taken > held.taken {
        *held = fix;
    }
}

/// A unit as the dispatcher knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Unit {
    /// Registry id.
    pub id: UnitId,
    /// Display name or call sign, e.g. "Wang Wei (Otis #12)" or "Jiefangbei Fire Station"
    /// (not blank).
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: String,
    /// What kind of responder.
    pub kind: UnitKind,
    /// Employer: the maintenance company, the property company, or the brigade.
    pub company: CompanyId,
    /// Skills, e.g. "traction", "hydraulic", "escalator".
    pub skills: Vec<String>,
    /// Mobile number for SMS and voice pages.
    pub phone: Option<PhoneNumber>,
    /// On duty: may be paged.
    pub on_duty: bool,
    /// Last known position.
    pub fix: Option<Fix>,
    /// Where it is paged from when it has no fresh position (a fire station, the building
    /// property staff work in, a maintenance company's depot); absent: a unit without a fresh
    /// fix is passed over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<LatLon>,
    /// Its own contact plan (`"voice:0s,sms:60s,repeat:60s"`: channels and when each is tried,
    /// and how often the whole is repeated while unacknowledged), over its kind's from the
    /// configuration; absent: its kind's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        example = "push:0s,sms:30s,voice:60s,repeat:60s",
        pattern = "^(push|sms|voice|webhook):[0-9]{1,6}s(,(push|sms|voice|webhook):[0-9]{1,6}s|,repeat:[1-9][0-9]{0,5}s){0,4}$"
    )]
    pub contact_plan: Option<String>,
}
