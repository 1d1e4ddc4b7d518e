//! Rows of the lift register (columns: see `registry::import`).

use super::{Row, RowError, Seen, canon_id, parse_degrees, parse_id, read};
use crate::domain::{
    AdminCode, CompanyId, DeviceId, LatLon, Lift, LiftFlags, LiftId, PhoneNumber, RegistrationCode,
    RescueCode,
};
use crate::registry::check::{self, CoordSystem};
use chrono::NaiveDate;

const KNOWN: [&str; 19] = [
    "id",
    "rescue_code",
    "registration_code",
    "district",
    "cabin_phone",
    "device_id",
    "address",
    "building",
    "lat",
    "lon",
    "coord_system",
    "commissioned",
    "use_unit",
    "use_unit_phone",
    "maintainer",
    "no_property_management",
    "no_maintenance_unit",
    "no_repair_fund",
    "street",
];
/// Longest street name, characters.
const STREET_MAX: usize = 64;

const REQUIRED: [&str; 6] = [
    "id",
    "rescue_code",
    "registration_code",
    "address",
    "lat",
    "lon",
];

/// Parses a lift register. Every bad value of every row is reported; if any is bad, no lift is
/// returned.
pub fn parse_lifts(text: &str) -> Result<Vec<Lift>, Vec<RowError>> {
    let mut seen = Seen::default();
    read(text, &KNOWN, &REQUIRED, |row| {
        let lift = lift(row);
        seen.check(row, "id", canon_id);
        seen.check(row, "rescue_code", |s| {
            RescueCode::parse(s).ok().map(String::from)
        });
        let registration = |s: &str| RegistrationCode::parse(s).ok().map(String::from);
        seen.check(row, "registration_code", registration);
        lift
    })
}

fn lift(row: &mut Row) -> Option<Lift> {
    let id = row.required("id", parse_id);
    let rescue_code = row.required("rescue_code", RescueCode::parse);
    let registration_code = row.required("registration_code", RegistrationCode::parse);
    let district = row.optional("district", AdminCode::parse);
    let cabin_phone = row.optional("cabin_phone", PhoneNumber::parse);
    let device_id = row.optional("device_id", DeviceId::parse);
    let address = row.required("address", |s| Ok::<_, String>(s.to_owned()));
    let building = row.text("building").unwrap_or_default().to_owned();
    let street = row.optional("street", |s| {
        if s.chars().count() > STREET_MAX {
            Err(format!("at most {STREET_MAX} characters"))
        } else {
            Ok(s.to_owned())
        }
    });
    let position = position(row);
    let commissioned = row.optional("commissioned", parse_date);
    let use_unit = row.optional("use_unit", parse_id);
    let use_unit_phone = row.optional("use_unit_phone", PhoneNumber::parse);
    let maintainer = row.optional("maintainer", parse_id);
    let flags = LiftFlags {
        no_property_management: row.flag("no_property_management"),
        no_maintenance_unit: row.flag("no_maintenance_unit"),
        no_repair_fund: row.flag("no_repair_fund"),
    };
    if let Some(maintainer) = maintainer
        && let Err(p) = check::maintenance(flags, maintainer.map(CompanyId))
    {
        row.problem(p);
    }
    let registration_code = registration_code?;
    Some(Lift {
        id: LiftId(id?),
        rescue_code: rescue_code?,
        district: district?.unwrap_or_else(|| registration_code.admin_code()),
        street: street?,
        registration_code,
        cabin_phone: cabin_phone?,
        device_id: device_id?,
        address: address?,
        building,
        position: position?,
        commissioned: commissioned?,
        use_unit: use_unit?.map(CompanyId),
        use_unit_phone: use_unit_phone?,
        maintainer: maintainer?.map(CompanyId),
        flags,
    })
}

/// `lat`, `lon` and `coord_system`, as a WGS-84 position (`registry::check::position`).
fn position(row: &mut Row) -> Option<LatLon> {
    let lat = row.required("lat", parse_degrees);
    let lon = row.required("lon", parse_degrees);
    let system = row.optional("coord_system", CoordSystem::parse);
    let wgs84 = row.checked(check::position(
        lat?,
        lon?,
        system.flatten().unwrap_or_default(),
    ));
    system.and(wgs84)
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{s:?} is not a YYYY-MM-DD date"))
}
