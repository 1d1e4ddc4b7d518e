//! Rows of the unit register (columns: see `registry::import`).

use super::{Row, RowError, Seen, canon_id, parse_bool, parse_degrees, parse_id, read};
use crate::domain::{CompanyId, CoordError, Fix, LatLon, PhoneNumber, Unit, UnitId, UnitKind};
use crate::registry::check;
use chrono::{DateTime, Utc};

const KNOWN: [&str; 13] = [
    "id",
    "name",
    "kind",
    "company",
    "skills",
    "phone",
    "on_duty",
    "lat",
    "lon",
    "fix_taken",
    "base_lat",
    "base_lon",
    "contact_plan",
];
const REQUIRED: [&str; 4] = ["id", "name", "kind", "company"];

/// Parses a unit register. Every bad value of every row is reported; if any is bad, no unit is
/// returned.
pub fn parse_units(text: &str) -> Result<Vec<Unit>, Vec<RowError>> {
    let mut seen = Seen::default();
    read(text, &KNOWN, &REQUIRED, |row| {
        let unit = unit(row);
        seen.check(row, "id", canon_id);
        unit
    })
}

fn unit(row: &mut Row) -> Option<Unit> {
    let id = row.required("id", parse_id);
    let name = row.required("name", |s| Ok::<_, String>(s.to_owned()));
    let kind = row.required("kind", parse_kind);
    let company = row.required("company", parse_id);
    let skills = row
        .text("skills")
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let phone = row.optional("phone", PhoneNumber::parse);
    let on_duty = row.optional("on_duty", parse_bool);
    let fix = fix(row);
    let base = base(row);
    let contact_plan = row.optional("contact_plan", |s| {
        check::contact_plan(Some(s))
            .map(|()| s.to_owned())
            .map_err(|p| p.why)
    });
    Some(Unit {
        id: UnitId(id?),
        name: name?,
        kind: kind?,
        company: CompanyId(company?),
        skills,
        phone: phone?,
        on_duty: on_duty?.unwrap_or(false),
        fix: fix?,
        base: base?,
        contact_plan: contact_plan?,
    })
}

fn parse_kind(s: &str) -> Result<UnitKind, String> {
    UnitKind::ALL
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| format!("{s:?} is not maintainer, property_staff or fire_rescue"))
}

/// `lat`, `lon` and `fix_taken`: a position needs both coordinates; without a time it counts as
/// taken at the Unix epoch, so it is never fresh enough to page on.
fn fix(row: &mut Row) -> Option<Option<Fix>> {
    let lat = row.optional("lat", parse_degrees)?;
    let lon = row.optional("lon", parse_degrees)?;
    let taken = row.optional("fix_taken", |s| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.to_utc())
            .map_err(|_| format!("{s:?} is not an RFC 3339 time"))
    })?;
    let (Some(lat), Some(lon)) = (lat, lon) else {
        let (field, why) = match (lat, lon) {
            (None, None) if taken.is_none() => return Some(None),
            (None, None) => ("fix_taken", "is given without lat and lon"),
            (Some(_), _) => ("lon", "is required with lat"),
            _ => ("lat", "is required with lon"),
        };
        row.fail(field, why);
        return None;
    };
    let at = row.checked(check::position(lat, lon, check::CoordSystem::Wgs84))?;
    let taken = taken.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    Some(Some(Fix { at, taken }))
}

/// `base_lat` and `base_lon`: where the unit is paged from when it has no fresh fix (a fire
/// station, the building, a depot); both or neither.
fn base(row: &mut Row) -> Option<Option<LatLon>> {
    let lat = row.optional("base_lat", parse_degrees)?;
    let lon = row.optional("base_lon", parse_degrees)?;
    let (lat, lon) = match (lat, lon) {
        (Some(lat), Some(lon)) => (lat, lon),
        (None, None) => return Some(None),
        (Some(_), None) => {
            row.fail("base_lon", "is required with base_lat");
            return None;
        }
        (None, Some(_)) => {
            row.fail("base_lat", "is required with base_lon");
            return None;
        }
    };
    match LatLon::parse(lat, lon) {
        Ok(at) => Some(Some(at)),
        Err(e) => {
            let field = match e {
                CoordError::Latitude(_) => "base_lat",
                CoordError::Longitude(_) => "base_lon",
            };
            row.fail(field, e);
            None
        }
    }
}
