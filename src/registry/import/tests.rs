use super::*;
use crate::domain::{CompanyId, LatLon, LiftFlags, LiftId, LiftRef, RescueCode, UnitId, UnitKind};
use crate::store::open;
use chrono::{DateTime, Utc};

const LIFTS: &str = "\
id,rescue_code,registration_code,district,cabin_phone,device_id,address,building,lat,lon,coord_system,commissioned,use_unit,use_unit_phone,maintainer,no_property_management,no_maintenance_unit,no_repair_fund
1, 035301 ,31105001032019060001,,023-6000-0001,CQ-IOT-000001,\"88 Minzu Road, Jiefangbei\",\"Block 3, Car A\",29.556,106.568,,2009-02-28,1001,023 6311 0000,7,false,false,false
2,035302,31105001032019060002,500103,,,1 Xinhua Road,,29.5591,106.5752,gcj02,,,,,yes,1,yes
";

const UNITS: &str = "\
name,id,kind,company,skills,phone,on_duty,lat,lon,fix_taken,contact_plan,base_lat,base_lon
Wang Wei (Otis #12),12,maintainer,7, traction ; hydraulic ;,13900000012,true,29.55,106.57,2026-11-29T08:00:00+08:00,,,
Jiefangbei Fire Station,3,fire_rescue,9001,,,,,,,\"voice:0s,sms:60s,repeat:120s\",29.5571,106.5782
Property desk,5,property_staff,1001,,,no,29.556,106.568,,,,
";

fn messages(errors: &[RowError]) -> Vec<String> {
    errors.iter().map(ToString::to_string).collect()
}

#[test]
fn a_good_lift_register_parses_every_column() {
    let lifts = parse_lifts(LIFTS).unwrap();
    assert_eq!(lifts.len(), 2);
    let (a, b) = (&lifts[0], &lifts[1]);
    assert_eq!(a.rescue_code.as_str(), "035301");
    assert_eq!(
        a.district.as_string(),
        "500103",
        "from the registration code"
    );
    assert_eq!(a.cabin_phone.as_ref().unwrap().as_str(), "02360000001");
    assert_eq!(a.device_id.as_ref().unwrap().as_str(), "CQ-IOT-000001");
    assert_eq!(
        (a.address.as_str(), a.building.as_str()),
        ("88 Minzu Road, Jiefangbei", "Block 3, Car A")
    );
    assert_eq!(
        a.position,
        LatLon {
            lat: 29.556,
            lon: 106.568
        }
    );
    assert_eq!(a.commissioned, chrono::NaiveDate::from_ymd_opt(2009, 2, 28));
    assert_eq!(
        (a.use_unit, a.maintainer),
        (Some(CompanyId(1001)), Some(CompanyId(7)))
    );
    assert_eq!(a.use_unit_phone.as_ref().unwrap().as_str(), "02363110000");
    assert_eq!(a.flags, LiftFlags::default());
    assert_eq!(
        (b.cabin_phone.clone(), b.maintainer, b.building.as_str()),
        (None, None, "")
    );
    let published = LatLon {
        lat: 29.5591,
        lon: 106.5752,
    };
    assert!(
        b.position.distance_m(LatLon::from_gcj02(published)) < 0.01,
        "GCJ-02 converted"
    );
    assert!(b.position.distance_m(published) > 100.0);
    assert!(
        b.flags.no_property_management && b.flags.no_maintenance_unit && b.flags.no_repair_fund
    );
}

#[test]
fn a_lift_register_needs_only_the_required_columns_in_any_order() {
    let text = "lon,lat,address,registration_code,rescue_code,id\n106.5,29.5,Somewhere,31105001032019060001,12345,9\n";
    let lifts = parse_lifts(text).unwrap();
    assert_eq!(
        (lifts[0].id, lifts[0].rescue_code.as_str()),
        (LiftId(9), "12345")
    );
}

#[test]
fn every_bad_value_of_every_lift_row_is_reported_and_nothing_is_returned() {
    let text = "\
id,rescue_code,registration_code,address,lat,lon,commissioned,maintainer,no_maintenance_unit,coord_system
1,035301,31105001032019060001,A,29.5,106.5,,,,
x,03530x,31105001032019060002,B,91,106.5,2009-13-01,,,
3,035301,21105001032019060003,,29.5,181,,7,true,bd09
1,035304,31105001032019060001,D,29.5,106.5,,,maybe,
5,035305,31105001032019060005,E,29.5
";
    let errors = parse_lifts(text).unwrap_err();
    let m = messages(&errors);
    let expect = [
        "line 3, field id: \"x\" is not a positive integer id",
        "line 3, field rescue_code: rescue code \"03530x\": must contain digits only",
        "line 3, field lat: latitude 91 is outside -90..=90",
        "line 3, field commissioned: \"2009-13-01\" is not a YYYY-MM-DD date",
        "line 4, field registration_code: registration code \"21105001032019060003\": equipment class must be a lift class (31xx, 32xx or 33xx)",
        "line 4, field address: is required",
        "line 4, field coord_system: \"bd09\" is not wgs84 or gcj02",
        "line 4, field lon: longitude 181 is outside -180..=180",
        "line 4, field no_maintenance_unit: is true but a maintainer is named",
        "line 5, field no_maintenance_unit: \"maybe\" is not true or false",
        "line 5, field id: 1 is also on line 2",
        "line 5, field registration_code: 31105001032019060001 is also on line 2",
        "line 4, field rescue_code: 035301 is also on line 2",
    ];
    for e in expect {
        assert!(m.contains(&e.to_owned()), "missing {e:?} in {m:#?}");
    }
    assert!(m.iter().any(|e| e.starts_with("line 6: ")), "{m:#?}");
    assert_eq!(m.len(), expect.len() + 1, "{m:#?}");
}

#[test]
fn repeated_ids_and_codes_in_one_file_name_the_first_line() {
    let text = "\
id,rescue_code,registration_code,address,lat,lon
1,035301,31105001032019060001,A,29.5,106.5
2,035302,31105001032019060002,B,29.5,106.5
1,035301,31105001032019060002,C,29.5,106.5
";
    let m = messages(&parse_lifts(text).unwrap_err());
    assert_eq!(
        m,
        [
            "line 4, field id: 1 is also on line 2",
            "line 4, field rescue_code: 035301 is also on line 2",
            "line 4, field registration_code: 31105001032019060002 is also on line 3",
        ]
    );
}

#[test]
fn unknown_repeated_and_missing_columns_are_header_errors() {
    let text = "id,rescue_code,registration_code,adress,lat,lat\n";
    let m = messages(&parse_lifts(text).unwrap_err());
    assert_eq!(m.len(), 4, "{m:#?}");
    assert!(m[0].starts_with("line 1, field adress: unknown column (known: id, rescue_code"));
    assert_eq!(m[1], "line 1, field lat: column appears twice");
    assert_eq!(m[2], "line 1, field address: required column is missing");
    assert_eq!(m[3], "line 1, field lon: required column is missing");
}

#[test]
fn a_good_unit_register_parses_every_column() {
    let units = parse_units(UNITS).unwrap();
    let wang = &units[0];
    assert_eq!(
        (wang.id, wang.kind, wang.company),
        (UnitId(12), UnitKind::Maintainer, CompanyId(7))
    );
    assert_eq!(wang.skills, ["traction", "hydraulic"]);
    assert_eq!(wang.phone.as_ref().unwrap().as_str(), "13900000012");
    assert!(wang.on_duty);
    let fix = wang.fix.unwrap();
    assert_eq!(
        fix.at,
        LatLon {
            lat: 29.55,
            lon: 106.57
        }
    );
    assert_eq!(fix.taken.to_rfc3339(), "2026-11-29T00:00:00+00:00");
    assert_eq!(wang.contact_plan, None, "its kind's plan");
    assert_eq!(wang.base, None);
    let station = &units[1];
    assert_eq!(
        station.base,
        Some(LatLon {
            lat: 29.5571,
            lon: 106.5782
        })
    );
    assert_eq!(
        (station.on_duty, station.fix, station.skills.len()),
        (false, None, 0)
    );
    assert_eq!(
        station.contact_plan.as_deref(),
        Some("voice:0s,sms:60s,repeat:120s")
    );
    let desk = &units[2];
    assert_eq!(
        desk.fix.unwrap().taken,
        DateTime::<Utc>::UNIX_EPOCH,
        "a position without a time is old"
    );
}

#[test]
fn every_bad_value_of_every_unit_row_is_reported() {
    let text = "\
id,name,kind,company,phone,on_duty,lat,lon,fix_taken,contact_plan,base_lat,base_lon
0,,plumber,x,12,perhaps,29.5,,yesterday,fax:0s,,
2,B,maintainer,1,,,,,2026-11-29T08:00:00Z,,29.5,
2,C,maintainer,1,,,,106.5,,,91,106.5
";
    let m = messages(&parse_units(text).unwrap_err());
    let expect = [
        "line 2, field id: \"0\" is not a positive integer id",
        "line 2, field name: is required",
        "line 2, field kind: \"plumber\" is not maintainer, property_staff or fire_rescue",
        "line 2, field company: \"x\" is not a positive integer id",
        "line 2, field phone: phone number \"12\": must be 3 to 20 digits, optionally after +",
        "line 2, field on_duty: \"perhaps\" is not true or false",
        "line 2, field fix_taken: \"yesterday\" is not an RFC 3339 time",
        "line 2, field contact_plan: unknown channel \"fax\": expected push, sms, voice or webhook",
        "line 3, field fix_taken: is given without lat and lon",
        "line 3, field base_lon: is required with base_lat",
        "line 4, field lat: is required with lon",
        "line 4, field base_lat: latitude 91 is outside -90..=90",
        "line 4, field id: 2 is also on line 3",
    ];
    assert_eq!(m, expect);
}

#[tokio::test]
async fn an_import_writes_everything_or_nothing() {
    let store = open("sqlite::memory:").await.unwrap();
    let bad = format!("{LIFTS}3,035303,31105001032019060003,,,,C,,95,106.5,,,,,,,,\n");
    let e = import_lifts(store.as_ref(), &bad).await.unwrap_err();
    assert!(matches!(&e, ImportError::Invalid(v) if v.len() == 1), "{e}");
    assert!(e.to_string().contains("line 4, field lat"), "{e}");
    assert_eq!(store.lift_count().await.unwrap(), 0);
    assert_eq!(import_lifts(store.as_ref(), LIFTS).await.unwrap(), 2);
    let code = RescueCode::parse("035302").unwrap();
    let found = store
        .find_lift(&LiftRef::RescueCode(code))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, parse_lifts(LIFTS).unwrap()[1]);
    assert_eq!(import_units(store.as_ref(), UNITS).await.unwrap(), 3);
    assert_eq!(store.units().await.unwrap().len(), 3);
    let clash = "id,rescue_code,registration_code,address,lat,lon\n9,035301,31105001032019060009,X,29.5,106.5\n";
    let e = import_lifts(store.as_ref(), clash).await.unwrap_err();
    assert!(
        matches!(e, ImportError::Store(StoreError::Conflict(_))),
        "{e}"
    );
    assert_eq!(store.lift_count().await.unwrap(), 2);
}

#[test]
fn the_column_help_names_every_known_column() {
    for (help, text) in [
        (LIFTS_COLUMNS, LIFTS.lines().next()),
        (UNITS_COLUMNS, UNITS.lines().next()),
    ] {
        for column in text.unwrap().split(',') {
            assert!(help.contains(column), "{column} is not in the help");
        }
    }
}
