//! The registry: companies, lifts and units round trip; lifts resolve by every reference.

use super::conformance;
use crate::domain::{
    AdminCode, CompanyId, DeviceId, Fix, LatLon, Lift, LiftFlags, LiftId, LiftRef, PhoneNumber,
    RegistrationCode, RescueCode, Unit, UnitId, UnitKind,
};
use crate::store::{Company, StoreError};
use chrono::{NaiveDate, TimeDelta};

/// A lift with every optional field set.
pub fn full_lift(id: i64) -> Lift {
    Lift {
        id: LiftId(id),
        rescue_code: RescueCode::parse(&format!("{:06}", 100 + id)).unwrap(),
        registration_code: RegistrationCode::parse(&format!("31105001032019060{id:03}")).unwrap(),
        district: AdminCode::parse("500103").unwrap(),
        street: None,
        cabin_phone: Some(PhoneNumber::parse(&format!("023-6000-{id:04}")).unwrap()),
        device_id: Some(DeviceId::parse(&format!("CQ-IOT:{id}")).unwrap()),
        address: "88 Minzu Road, Jiefangbei".into(),
        building: "Block 3, Unit 2, Car A — 解放碑".into(),
        position: LatLon::parse(29.557_123_456_789, 106.577_987_654_321).unwrap(),
        commissioned: NaiveDate::from_ymd_opt(2009, 2, 28),
        use_unit: Some(CompanyId(1001)),
        use_unit_phone: Some(PhoneNumber::parse("+86 23 6311 0000").unwrap()),
        maintainer: Some(CompanyId(7)),
        flags: LiftFlags {
            no_property_management: true,
            no_maintenance_unit: false,
            no_repair_fund: true,
        },
    }
}

/// Every kind of reference to `lift` (it has a cabin phone and a device).
pub fn references(lift: &Lift) -> [LiftRef; 5] {
    [
        LiftRef::Id(lift.id),
        LiftRef::RescueCode(lift.rescue_code.clone()),
        LiftRef::RegistrationCode(lift.registration_code.clone()),
        LiftRef::Phone(lift.cabin_phone.clone().unwrap()),
        LiftRef::Device(lift.device_id.clone().unwrap()),
    ]
}

/// References that name no lift of [`full_lift`]`(5)` and [`bare_lift`]`(6)`, one of each kind
/// (and one the source sent that did not parse).
pub fn unregistered() -> [LiftRef; 5] {
    [
        LiftRef::Id(LiftId(7)),
        LiftRef::RescueCode(RescueCode::parse("999999").unwrap()),
        LiftRef::Phone(PhoneNumber::parse("110").unwrap()),
        LiftRef::Device(DeviceId::parse("nobody").unwrap()),
        LiftRef::Unparsed("035305".into()),
    ]
}

/// A lift with every optional field empty.
pub fn bare_lift(id: i64) -> Lift {
    Lift {
        cabin_phone: None,
        device_id: None,
        commissioned: None,
        use_unit: None,
        use_unit_phone: None,
        maintainer: None,
        flags: LiftFlags::default(),
        ..full_lift(id)
    }
}

pub fn units() -> Vec<Unit> {
    let taken = crate::dispatch::tests::t0() + TimeDelta::microseconds(654_321);
    let wang = Unit {
        contact_plan: Some("push:0s,sms:30s,voice:60s,repeat:90s".into()),
        id: UnitId(12),
        name: "Wang Wei (Otis #12)".into(),
        kind: UnitKind::Maintainer,
        company: CompanyId(7),
        skills: vec!["traction".into(), "hydraulic".into()],
        phone: Some(PhoneNumber::parse("13900000012").unwrap()),
        on_duty: true,
        fix: Some(Fix {
            at: LatLon::parse(29.55, 106.57).unwrap(),
            taken,
        }),
        base: None,
    };
    let station = Unit {
        id: UnitId(3),
        name: "Jiefangbei Fire Station".into(),
        kind: UnitKind::FireRescue,
        company: CompanyId(9001),
        skills: vec![],
        phone: None,
        on_duty: false,
        fix: None,
        base: Some(LatLon::parse(29.5571, 106.5782).unwrap()),
        contact_plan: None,
    };
    vec![wang, station]
}

conformance!(lifts_units_and_companies_round_trip_every_field, |db| {
    let s = db.store();
    let lifts = vec![full_lift(1), bare_lift(2)];
    s.put_lifts(&lifts).await.unwrap();
    assert_eq!(s.lifts(None, 10).await.unwrap(), lifts);
    assert_eq!(
        s.lifts(Some(LiftId(1)), 10).await.unwrap(),
        vec![bare_lift(2)]
    );
    assert_eq!(s.lifts(None, 1).await.unwrap(), vec![full_lift(1)]);
    assert_eq!(s.lift_count().await.unwrap(), 2);
    s.put_units(&units()).await.unwrap();
    let mut expected = units();
    expected.sort_by_key(|u| u.id);
    assert_eq!(s.units().await.unwrap(), expected);
    let companies = vec![
        Company {
            id: CompanyId(7),
            name: "Otis Chongqing".into(),
            kind: UnitKind::Maintainer,
        },
        Company {
            id: CompanyId(9001),
            name: "Brigade".into(),
            kind: UnitKind::FireRescue,
        },
    ];
    s.put_companies(&companies).await.unwrap();
    assert_eq!(s.companies().await.unwrap(), companies);
});

conformance!(puts_replace_what_is_there, |db| {
    let s = db.store();
    s.put_lifts(&[full_lift(1)]).await.unwrap();
    let moved = Lift {
        address: "1 Xinhua Road".into(),
        ..bare_lift(1)
    };
    s.put_lifts(std::slice::from_ref(&moved)).await.unwrap();
    assert_eq!(s.lifts(None, 10).await.unwrap(), vec![moved]);
    let mut u = units();
    s.put_units(&u).await.unwrap();
    u[0].on_duty = false;
    u[0].fix = None;
    s.put_units(&u[..1]).await.unwrap();
    assert_eq!(s.units().await.unwrap()[1], u[0]);
    let renamed = Company {
        id: CompanyId(7),
        name: "Otis".into(),
        kind: UnitKind::Maintainer,
    };
    s.put_companies(std::slice::from_ref(&renamed))
        .await
        .unwrap();
    s.put_companies(std::slice::from_ref(&renamed))
        .await
        .unwrap();
    assert_eq!(s.companies().await.unwrap(), vec![renamed]);
});

conformance!(find_lift_resolves_every_kind_of_reference, |db| {
    let s = db.store();
    let (lift, other) = (full_lift(5), bare_lift(6));
    s.put_lifts(&[lift.clone(), other.clone()]).await.unwrap();
    for r in references(&lift) {
        assert_eq!(
            s.find_lift(&r).await.unwrap().as_ref(),
            Some(&lift),
            "{r:?}"
        );
    }
    let found = s
        .find_lift(&LiftRef::RescueCode(other.rescue_code.clone()))
        .await
        .unwrap();
    assert_eq!(found, Some(other));
    for r in unregistered() {
        assert_eq!(s.find_lift(&r).await.unwrap(), None, "{r:?}");
    }
});

conformance!(
    a_code_held_by_another_lift_is_a_conflict_naming_the_code,
    |db| {
        let s = db.store();
        s.put_lifts(&[full_lift(1), full_lift(2)]).await.unwrap();
        let clash = Lift {
            rescue_code: full_lift(1).rescue_code,
            ..full_lift(3)
        };
        let e = s.put_lifts(&[full_lift(4), clash]).await.unwrap_err();
        let StoreError::Conflict(msg) = e else {
            panic!("{e:?}")
        };
        assert!(
            msg.contains("rescue code 000101") && msg.contains("lift 1"),
            "{msg}"
        );
        assert_eq!(
            s.lift_count().await.unwrap(),
            2,
            "nothing of the failed put landed"
        );
        let clash = Lift {
            registration_code: full_lift(2).registration_code,
            ..full_lift(1)
        };
        let e = s.put_lifts(&[clash]).await.unwrap_err();
        let StoreError::Conflict(msg) = e else {
            panic!("{e:?}")
        };
        assert!(
            msg.contains("registration code 31105001032019060002"),
            "{msg}"
        );
        assert_eq!(
            s.lifts(None, 10).await.unwrap(),
            vec![full_lift(1), full_lift(2)]
        );
    }
);

conformance!(two_lifts_of_one_put_with_one_code_are_a_conflict, |db| {
    let s = db.store();
    let twin = Lift {
        rescue_code: full_lift(1).rescue_code,
        ..bare_lift(2)
    };
    let e = s.put_lifts(&[full_lift(1), twin]).await.unwrap_err();
    let StoreError::Conflict(msg) = e else {
        panic!("{e:?}")
    };
    assert_eq!(msg, "rescue code 000101 is given to lifts 1 and 2");
    assert_eq!(s.lift_count().await.unwrap(), 0);
});

/// On PostgreSQL a lift is found by its terminal or cabin phone through that column's index,
/// also in the plan a connection keeps for the statement and before statistics exist (right
/// after an import, until autovacuum analyzes `lifts`): "the first lift with this device, by
/// id" once planned as a walk of every lift in id order, and at 500 MQTT alarms a second that
/// walk, one per alarm, held the inbox behind by seconds.
#[tokio::test]
async fn on_postgres_a_lift_is_found_by_device_or_phone_through_their_index_without_statistics() {
    use crate::store::Store;
    let Some(db) = super::TestDb::postgres().await else {
        return;
    };
    let pg = db.postgres_store().expect("a PostgreSQL store");
    // A region's worth: with few lifts a plan may take the index whatever it estimates.
    let lifts: Vec<Lift> = (1..=15_000)
        .map(|id| Lift {
            id: LiftId(id),
            rescue_code: RescueCode::parse(&format!("{:06}", 100_000 + id)).unwrap(),
            registration_code: RegistrationCode::parse(&format!(
                "31105001032019{:02}{:04}",
                1 + id / 10_000,
                id % 10_000
            ))
            .unwrap(),
            cabin_phone: Some(PhoneNumber::parse(&format!("023-6{id:07}")).unwrap()),
            device_id: Some(DeviceId::parse(&format!("CQ-IOT:{id}")).unwrap()),
            ..full_lift(1)
        })
        .collect();
    pg.put_lifts(&lifts).await.unwrap();
    let mut c = pg.pool().acquire().await.unwrap();
    let c = c.as_mut();
    let stats: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'lifts' AND attname = 'device_id'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(stats, 0, "the check is about a table not analyzed yet");
    sqlx::query("SET plan_cache_mode = force_generic_plan")
        .execute(&mut *c)
        .await
        .unwrap();
    for (column, sql) in [
        ("device_id", crate::store::sql::ALARM_FOR_LIFT_BY_DEVICE),
        ("cabin_phone", crate::store::sql::ALARM_FOR_LIFT_BY_PHONE),
    ] {
        let prepare =
            format!("PREPARE find_{column} (text, text, text, jsonb, timestamptz) AS {sql}");
        sqlx::query(sqlx::AssertSqlSafe(prepare))
            .execute(&mut *c)
            .await
            .unwrap();
        let explain = format!(
            "EXPLAIN EXECUTE find_{column} ('x', 'mqtt', 'a-1', '{{}}', '2026-11-30T00:00:00Z')"
        );
        let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(explain))
            .fetch_all(&mut *c)
            .await
            .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains(&format!("lifts_{column}")), "{plan}");
        assert!(!plan.contains("lifts_pkey"), "{plan}");
    }
    sqlx::query("RESET ALL").execute(&mut *c).await.unwrap();
}
