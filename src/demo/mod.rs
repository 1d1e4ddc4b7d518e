//! A deterministic synthetic region for the demo, benchmarks and tests.
//!
//! By default Yuzhong-sized (see `shared/domain/scale.md`): about 15,000 lifts, 60 maintenance
//! companies, 400 maintainers, 10 fire/rescue stations and the property companies of the
//! buildings, around 29.556 N, 106.568 E. The same seed always gives the same region, so a
//! figure measured on it can be reproduced.

use crate::domain::{
    AdminCode, CompanyId, DeviceId, Fix, LatLon, Lift, LiftFlags, LiftId, PhoneNumber,
    RegistrationCode, RescueCode, Unit, UnitId, UnitKind,
};
use chrono::{DateTime, NaiveDate, Utc};

pub mod history;
pub mod story;

/// The centre of Yuzhong District, Chongqing (WGS-84).
pub const YUZHONG: LatLon = LatLon {
    lat: 29.556,
    lon: 106.568,
};

/// How big a region to make.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionSpec {
    /// Seed for every random choice.
    pub seed: u64,
    /// Number of lifts.
    pub lifts: usize,
    /// Number of maintenance companies.
    pub maintenance_companies: usize,
    /// Number of maintainers, spread over the companies.
    pub maintainers: usize,
    /// Number of property companies (use units).
    pub property_companies: usize,
    /// Property staff per property company.
    pub staff_per_property_company: usize,
    /// Number of fire/rescue stations (one unit each).
    pub fire_stations: usize,
    /// Half the side of the square the lifts stand in, metres.
    pub half_side_m: f64,
    /// The centre of that square (Yuzhong's by default).
    pub centre: LatLon,
    /// The district its lifts are registered in (Yuzhong, 500103, by default): digits 5–10
    /// of their registration codes.
    pub district: AdminCode,
}

impl Default for RegionSpec {
    fn default() -> Self {
        RegionSpec {
            seed: 96333,
            lifts: 15_000,
            maintenance_companies: 60,
            maintainers: 400,
            property_companies: 300,
            staff_per_property_company: 2,
            fire_stations: 10,
            half_side_m: 2_500.0,
            centre: YUZHONG,
            district: AdminCode::YUZHONG,
        }
    }
}

impl RegionSpec {
    /// The demo region of `settings`: around its centre, its lifts registered in its demo
    /// district (a region's first `admin_codes`), the rest as by default.
    pub fn of(settings: &crate::config::Settings) -> Self {
        let district = settings.demo_district.unwrap_or(AdminCode::YUZHONG);
        RegionSpec {
            centre: settings.region_centre,
            district,
            ..RegionSpec::default()
        }
    }
}

/// A company of the region.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    /// Its id.
    pub id: CompanyId,
    /// Its name.
    pub name: String,
    /// What kind of units it employs.
    pub kind: UnitKind,
}

/// A generated region.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Its centre.
    pub centre: LatLon,
    /// Its GB/T 2260 code.
    pub district: AdminCode,
    /// Maintenance, property and fire companies.
    pub companies: Vec<Company>,
    /// Lifts.
    pub lifts: Vec<Lift>,
    /// Units, with positions fixed at the `now` given, each based where it was placed (a fire
    /// station, property staff's building, a maintainer's service point), so the region keeps
    /// dispatching from the bases once those fixes are old.
    pub units: Vec<Unit>,
}

const STREETS: [&str; 8] = [
    "Minzu Road",
    "Zourong Road",
    "Jiefangbei Pedestrian Street",
    "Zhongshan 1st Road",
    "Jiefang East Road",
    "Xinhua Road",
    "Lianglukou",
    "Daping Main Street",
];

/// The street (街道) each of [`STREETS`] lies in.
const SUBDISTRICTS: [&str; 8] = [
    "解放碑街道",
    "七星岗街道",
    "解放碑街道",
    "上清寺街道",
    "朝天门街道",
    "大溪沟街道",
    "两路口街道",
    "大坪街道",
];

/// Offsets `c` by (east, north) metres.
pub fn offset(c: LatLon, east_m: f64, north_m: f64) -> LatLon {
    let lat = c.lat + north_m / 111_195.0;
    let lon = c.lon + east_m / (111_195.0 * c.lat.to_radians().cos());
    LatLon { lat, lon }
}

/// Builds the region described by `spec`, every unit fixed at `now` and based where it is.
pub fn region(spec: &RegionSpec, now: DateTime<Utc>) -> Region {
    let mut rng = fastrand::Rng::with_seed(spec.seed);
    let district = spec.district;
    let companies = companies(spec);
    let lifts: Vec<Lift> = (0..spec.lifts)
        .map(|i| lift(spec, &mut rng, i, district))
        .collect();
    let mut units = Vec::new();
    let mut next_id = 1;
    let mut push = |kind, company, at: LatLon, on_duty, name: String| {
        let phone = PhoneNumber::parse(&format!("139{:08}", next_id)).ok();
        let fix = Some(Fix { at, taken: now });
        units.push(Unit {
            id: UnitId(next_id),
            name,
            kind,
            company,
            skills: vec!["traction".into()],
            phone,
            on_duty,
            fix,
            base: Some(at),
            contact_plan: None,
        });
        next_id += 1;
    };
    let spread = spec.half_side_m * 2.0;
    for i in 0..spec.maintainers {
        let company = CompanyId(1 + (i % spec.maintenance_companies.max(1)) as i64);
        let at = offset(
            spec.centre,
            rng.f64() * 2.0 * spread - spread,
            rng.f64() * 2.0 * spread - spread,
        );
        push(
            UnitKind::Maintainer,
            company,
            at,
            rng.f64() < 0.8,
            format!("Maintainer {}", i + 1),
        );
    }
    // Property staff work in the buildings they manage: each stands within ~150 m of one of
    // its company's lifts (the n-th staff member near the n-th such lift).
    let mut managed: std::collections::HashMap<CompanyId, Vec<LatLon>> = Default::default();
    for l in &lifts {
        if let Some(c) = l.use_unit {
            managed.entry(c).or_default().push(l.position);
        }
    }
    for p in 0..spec.property_companies {
        let sites = managed
            .get(&CompanyId(1001 + p as i64))
            .cloned()
            .unwrap_or_default();
        for s in 0..spec.staff_per_property_company {
            let (east, north) = (rng.f64() * 300.0 - 150.0, rng.f64() * 300.0 - 150.0);
            let at = match sites.get(s % sites.len().max(1)) {
                Some(site) => offset(*site, east, north),
                None => random_point(&mut rng, spec.centre, spec.half_side_m),
            };
            push(
                UnitKind::PropertyStaff,
                CompanyId(1001 + p as i64),
                at,
                true,
                format!("Property {} staff {}", p + 1, s + 1),
            );
        }
    }
    for f in 0..spec.fire_stations {
        let at = random_point(&mut rng, spec.centre, spec.half_side_m * 2.0);
        push(
            UnitKind::FireRescue,
            CompanyId(9001),
            at,
            true,
            format!("Fire/rescue station {}", f + 1),
        );
    }
    Region {
        centre: spec.centre,
        district,
        companies,
        lifts,
        units,
    }
}

fn random_point(rng: &mut fastrand::Rng, centre: LatLon, half_side_m: f64) -> LatLon {
    offset(
        centre,
        (rng.f64() * 2.0 - 1.0) * half_side_m,
        (rng.f64() * 2.0 - 1.0) * half_side_m,
    )
}

fn companies(spec: &RegionSpec) -> Vec<Company> {
    let m = (0..spec.maintenance_companies).map(|i| Company {
        id: CompanyId(1 + i as i64),
        name: format!("Maintenance Co. {}", i + 1),
        kind: UnitKind::Maintainer,
    });
    let p = (0..spec.property_companies).map(|i| Company {
        id: CompanyId(1001 + i as i64),
        name: format!("Property Management {}", i + 1),
        kind: UnitKind::PropertyStaff,
    });
    let f = std::iter::once(Company {
        id: CompanyId(9001),
        name: "Yuzhong Fire/Rescue Brigade".into(),
        kind: UnitKind::FireRescue,
    });
    m.chain(p).chain(f).collect()
}

fn lift(spec: &RegionSpec, rng: &mut fastrand::Rng, i: usize, district: AdminCode) -> Lift {
    // Unique by construction: the month advances every 10,000 lifts, the sequence within it.
    let month = i / 10_000;
    let reg = format!(
        "3110{}{:04}{:02}{:04}",
        district.as_string(),
        2000 + month / 12,
        month % 12 + 1,
        i % 10_000
    );
    let no_maintenance_unit = rng.f64() < 0.01;
    let no_property_management = rng.f64() < 0.03;
    let n = i + 1;
    Lift {
        id: LiftId(n as i64),
        rescue_code: RescueCode::parse(&format!("{:06}", n % 1_000_000))
            .unwrap_or_else(|_| unreachable!()),
        registration_code: RegistrationCode::parse(&reg).unwrap_or_else(|e| unreachable!("{e}")),
        district,
        street: Some(SUBDISTRICTS[i % STREETS.len()].to_owned()),
        cabin_phone: PhoneNumber::parse(&format!("023{:08}", 60_000_000 + n)).ok(),
        device_id: (rng.f64() < 0.6)
            .then(|| DeviceId::parse(&format!("CQ-IOT-{n:06}")).ok())
            .flatten(),
        address: format!("{} {}", rng.u32(1..400), STREETS[i % STREETS.len()]),
        building: format!(
            "Block {}, Unit {}, Car {}",
            rng.u32(1..20),
            rng.u32(1..4),
            ["A", "B", "C"][i % 3]
        ),
        position: random_point(rng, spec.centre, spec.half_side_m),
        commissioned: NaiveDate::from_ymd_opt(
            1995 + rng.i32(0..30),
            rng.u32(1..13),
            rng.u32(1..29),
        ),
        use_unit: (!no_property_management)
            .then(|| CompanyId(1001 + rng.i64(0..spec.property_companies.max(1) as i64))),
        use_unit_phone: PhoneNumber::parse(&format!("023{:08}", 70_000_000 + n)).ok(),
        maintainer: (!no_maintenance_unit)
            .then(|| CompanyId(1 + rng.i64(0..spec.maintenance_companies.max(1) as i64))),
        flags: LiftFlags {
            no_property_management,
            no_maintenance_unit,
            no_repair_fund: no_property_management,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_region_and_codes_are_unique() {
        let now = DateTime::parse_from_rfc3339("2026-11-29T08:00:00Z")
            .unwrap()
            .to_utc();
        let spec = RegionSpec {
            lifts: 25_000,
            ..RegionSpec::default()
        };
        let a = region(&spec, now);
        assert_eq!(a, region(&spec, now));
        assert_eq!(a.lifts.len(), 25_000);
        assert_eq!(
            a.units
                .iter()
                .filter(|u| u.kind == UnitKind::Maintainer)
                .count(),
            400
        );
        assert_eq!(
            a.units
                .iter()
                .filter(|u| u.kind == UnitKind::FireRescue)
                .count(),
            10
        );
        let codes: std::collections::HashSet<_> = a
            .lifts
            .iter()
            .map(|l| l.registration_code.clone())
            .collect();
        assert_eq!(codes.len(), a.lifts.len());
        let rescue: std::collections::HashSet<_> =
            a.lifts.iter().map(|l| l.rescue_code.clone()).collect();
        assert_eq!(rescue.len(), a.lifts.len());
        assert!(
            a.lifts
                .iter()
                .all(|l| YUZHONG.distance_m(l.position) < 4_000.0)
        );
    }
}
