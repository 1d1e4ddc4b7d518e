//! The checks a lift or unit record passes on its way into the registry, whichever way it
//! comes: a row of an imported register (`registry::import`) or an element of
//! `PUT /api/v1/lifts` / `PUT /api/v1/units` (`http::registry`). One set of checks, one set of
//! messages and one conversion, so the API never stores what the import would refuse (a lift
//! with a maintainer and `no_maintenance_unit`, whose alarms would never page the contracted
//! company) nor stores a GCJ-02 position as if it were WGS-84 (about 500 m off in Chongqing).
//!
//! What the domain's types already refuse while decoding (a bad rescue code, an unknown unit
//! kind) is not repeated here: these are the rules between values and on plain numbers.

use crate::domain::{CompanyId, LatLon, Lift, LiftFlags, Unit};
use serde::Deserialize;

/// Which coordinate system a record's position is written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoordSystem {
    /// GPS, what the registry keeps (default).
    #[default]
    Wgs84,
    /// Chinese web maps ("Mars" coordinates): converted to WGS-84 before it is stored.
    Gcj02,
}

impl CoordSystem {
    /// `wgs84` or `gcj02`, in any case.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "wgs84" => Ok(Self::Wgs84),
            "gcj02" => Ok(Self::Gcj02),
            _ => Err(format!("{s:?} is not wgs84 or gcj02")),
        }
    }
}

/// One refused value of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field, named as the register's column (`lat`, `no_maintenance_unit`,
    /// `contact_plan` …); the API names it by its place in the JSON body.
    pub field: &'static str,
    /// Why, for the person who fixes the record.
    pub why: String,
    /// True when the value is fine alone but contradicts another field of the record.
    pub conflict: bool,
}

impl Problem {
    fn value(field: &'static str, why: impl ToString) -> Self {
        Problem {
            field,
            why: why.to_string(),
            conflict: false,
        }
    }
}

/// A position as written, checked and converted to WGS-84.
pub fn position(lat: f64, lon: f64, system: CoordSystem) -> Result<LatLon, Problem> {
    let checked = LatLon::parse(lat, lon).map_err(|e| {
        let field = match e {
            crate::domain::CoordError::Latitude(_) => "lat",
            crate::domain::CoordError::Longitude(_) => "lon",
        };
        Problem::value(field, e)
    })?;
    Ok(match system {
        CoordSystem::Wgs84 => checked,
        CoordSystem::Gcj02 => LatLon::from_gcj02(checked),
    })
}

/// A lift with no maintenance unit cannot name one: its alarms would go to mutual aid and
/// fire/rescue at once and never page the contracted company.
pub fn maintenance(flags: LiftFlags, maintainer: Option<CompanyId>) -> Result<(), Problem> {
    if flags.no_maintenance_unit && maintainer.is_some() {
        return Err(Problem {
            field: "no_maintenance_unit",
            why: "is true but a maintainer is named".into(),
            conflict: true,
        });
    }
    Ok(())
}

/// A whole lift record with its position written in `system`: the lift to store (position in
/// WGS-84), or its first problem.
pub fn lift(mut lift: Lift, system: CoordSystem) -> Result<Lift, Problem> {
    id("id", lift.id.0)?;
    for (field, company) in [("use_unit", lift.use_unit), ("maintainer", lift.maintainer)] {
        company.map_or(Ok(()), |c| id(field, c.0))?;
    }
    lift.position = position(lift.position.lat, lift.position.lon, system)?;
    maintenance(lift.flags, lift.maintainer)?;
    Ok(lift)
}

/// A unit's own contact plan, if it has one, parses.
pub fn contact_plan(plan: Option<&str>) -> Result<(), Problem> {
    match plan.map(crate::paging::policy::ContactPlan::parse) {
        Some(Err(e)) => Err(Problem::value("contact_plan", e)),
        _ => Ok(()),
    }
}

/// A registry id a record gives: the database's sequences start at 1, so 0 or less is a
/// mistake (and ids in the API's document start at 1).
pub fn id(field: &'static str, id: i64) -> Result<(), Problem> {
    if id < 1 {
        return Err(Problem::value(
            field,
            format!("{id} is not an id (ids start at 1)"),
        ));
    }
    Ok(())
}

/// A unit's display name is not blank.
pub fn name(name: &str) -> Result<(), Problem> {
    if name.trim().is_empty() {
        return Err(Problem::value("name", "is required"));
    }
    Ok(())
}

/// A whole unit record (its position in WGS-84): its first problem, if any.
pub fn unit(unit: &Unit) -> Result<(), Problem> {
    id("id", unit.id.0)?;
    id("company", unit.company.0)?;
    name(&unit.name)?;
    if let Some(fix) = unit.fix {
        position(fix.at.lat, fix.at.lon, CoordSystem::Wgs84)?;
    }
    if let Some(base) = unit.base {
        position(base.lat, base.lon, CoordSystem::Wgs84)
            .map_err(|p| Problem { field: "base", ..p })?;
    }
    contact_plan(unit.contact_plan.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gcj02_position_is_stored_in_wgs84_and_a_bad_one_names_its_coordinate() {
        let gcj = LatLon::parse(29.556, 106.568).unwrap();
        let wgs = position(gcj.lat, gcj.lon, CoordSystem::Gcj02).unwrap();
        let off = wgs.distance_m(gcj);
        assert!((300.0..700.0).contains(&off), "moved {off} m");
        assert_eq!(
            position(1.0, 2.0, CoordSystem::Wgs84).unwrap(),
            LatLon { lat: 1.0, lon: 2.0 }
        );
        assert_eq!(
            position(91.0, 2.0, CoordSystem::Wgs84).unwrap_err().field,
            "lat"
        );
        assert_eq!(
            position(1.0, 181.0, CoordSystem::Gcj02).unwrap_err().field,
            "lon"
        );
        assert_eq!(CoordSystem::parse("GCJ02"), Ok(CoordSystem::Gcj02));
        assert!(CoordSystem::parse("bd09").unwrap_err().contains("bd09"));
    }

    #[test]
    fn no_maintenance_unit_with_a_maintainer_is_a_conflict() {
        let flags = LiftFlags {
            no_maintenance_unit: true,
            ..LiftFlags::default()
        };
        let p = maintenance(flags, Some(CompanyId(3))).unwrap_err();
        assert_eq!((p.field, p.conflict), ("no_maintenance_unit", true));
        assert!(maintenance(flags, None).is_ok());
        assert!(maintenance(LiftFlags::default(), Some(CompanyId(3))).is_ok());
    }
}
