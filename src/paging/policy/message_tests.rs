//! Tests of [`super`]: message.

use super::*;
use crate::domain::{Actor, AdminCode, LatLon, LiftFlags, LiftId, RegistrationCode};
use crate::index::Candidate;
use crate::paging::policy::sms::{SMS_GSM_LIMIT, SMS_UCS2_LIMIT, sms_limit, sms_units};

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + secs, 0).unwrap()
}

fn lift(address: &str) -> Lift {
    Lift {
        id: LiftId(7),
        rescue_code: RescueCode::parse("035302").unwrap(),
        registration_code: RegistrationCode::parse("31105001032019060001").unwrap(),
        district: AdminCode::parse("500103").unwrap(),
        street: None,
        cabin_phone: None,
        device_id: None,
        address: address.to_owned(),
        building: "3栋2单元A梯".to_owned(),
        position: LatLon::parse(29.56, 106.57).unwrap(),
        commissioned: None,
        use_unit: None,
        use_unit_phone: None,
        maintainer: None,
        flags: LiftFlags::default(),
    }
}

fn paged() -> Event {
    Event {
        incident: Some(IncidentId(123_456)),
        at: at(0),
        actor: Actor::System,
        step: Some("contracted".into()),
        rules_version: None,
        reason: "nearest contracted maintainer".into(),
        kind: EventKind::UnitPaged {
            candidate: Candidate {
                unit: UnitId(42),
                distance_m: 1234.0,
                eta_secs: 290,
                fix_taken: Some(at(-30)),
                from_base: false,
                why: "nearest".into(),
            },
            passed_over: vec![],
            ack_due: at(180),
            seen: None,
            queue: vec![],
        },
    }
}

fn facts(address: &str, flags: AlarmFlags) -> PageFacts {
    let kind = AlarmKind::EntrapmentBetweenFloors;
    let base = "https://lr.example.cn/c/";
    PageFacts::from_page(&lift(address), &paged(), &kind, flags, Some("12"), 1, base).unwrap()
}

const ADDRESS: &str = "重庆市渝中区解放碑民族路188号";

#[test]
fn a_chinese_page_names_the_code_the_place_the_deadline_and_how_to_answer() {
    let flags = AlarmFlags {
        person_ill: true,
        child_alone: true,
        ..Default::default()
    };
    let r = render(&facts(ADDRESS, flags), Lang::Zh);
    for part in [
        "035302",
        ADDRESS,
        "12层",
        "非平层困人",
        "有人不适",
        "儿童独自被困",
    ] {
        assert!(r.sms.contains(part), "{part} missing: {}", r.sms);
    }
    for part in ["1级", "1.2km", "5分钟", "08:03前确认", "回1接受", "回2拒绝"] {
        assert!(r.sms.contains(part), "{part} missing: {}", r.sms);
    }
    assert!(
        r.sms.contains("https://lr.example.cn/c/123456"),
        "{}",
        r.sms
    );
    assert!(r.sms.ends_with("事件123456"), "{}", r.sms);
    assert!(sms_units(&r.sms) <= SMS_UCS2_LIMIT, "{}", sms_units(&r.sms));
    assert!(
        r.voice.contains("0 3 5 3 0 2") && r.voice.contains("按1接受"),
        "{}",
        r.voice
    );
    assert_eq!(
        r.push_title,
        "1级救援 · 非平层困人，有人不适，儿童独自被困 · 035302"
    );
    assert!(r.push_body.contains(ADDRESS), "{}", r.push_body);
}

#[test]
fn an_english_page_says_the_same_things_in_english() {
    let mut f = facts("12 Minzu Road, Yuzhong", AlarmFlags::default());
    f.building = "Block 3, Car A".into();
    let r = render(&f, Lang::En);
    for part in [
        "L1",
        "trapped between floors",
        "Code 035302",
        "Minzu Road",
        "floor 12",
    ] {
        assert!(r.sms.contains(part), "{part} missing: {}", r.sms);
    }
    assert!(r.sms.contains("reply 1 accept, 2 decline"), "{}", r.sms);
    assert!(r.sms.ends_with("Incident 123456"), "{}", r.sms);
    assert_eq!(
        sms_limit(&r.sms),
        SMS_GSM_LIMIT,
        "plain English stays GSM 7-bit"
    );
    assert!(r.voice.contains("press 1 to accept"), "{}", r.voice);
}

#[test]
fn a_long_chinese_address_is_shortened_and_nothing_else_is() {
    let long = "重庆市渝中区".to_owned() + &"解放碑步行街商圈".repeat(20);
    let flags = AlarmFlags {
        person_ill: true,
        child_alone: true,
        smoke_or_water: true,
    };
    let r = render(&facts(&long, flags), Lang::Zh);
    assert!(
        sms_units(&r.sms) <= SMS_UCS2_LIMIT,
        "{} units: {}",
        sms_units(&r.sms),
        r.sms
    );
    assert!(
        r.sms.contains("重庆市渝中区") && r.sms.contains('…'),
        "{}",
        r.sms
    );
    for part in [
        "035302",
        "回1接受",
        "回2拒绝",
        "https://lr.example.cn/c/123456",
        "事件123456",
    ] {
        assert!(r.sms.contains(part), "{part} missing: {}", r.sms);
    }
    assert!(r.voice.contains(&long), "the voice call is not shortened");
}

#[test]
fn a_long_english_address_is_shortened_to_two_gsm_segments() {
    let mut f = facts(
        &"Unit 5, Jiefangbei Pedestrian Street, ".repeat(12),
        AlarmFlags::default(),
    );
    f.building = "Block 3".into();
    let r = render(&f, Lang::En);
    assert_eq!(sms_limit(&r.sms), SMS_GSM_LIMIT);
    assert!(sms_units(&r.sms) <= SMS_GSM_LIMIT, "{}", sms_units(&r.sms));
    assert!(
        r.sms.contains("...") && r.sms.contains("Code 035302"),
        "{}",
        r.sms
    );
    assert!(r.sms.contains("reply 1 accept") && r.sms.ends_with("Incident 123456"));
}

#[test]
fn an_english_page_with_no_room_for_a_chinese_address_drops_it_and_keeps_the_rest() {
    let r = render(&facts(ADDRESS, AlarmFlags::default()), Lang::En);
    assert!(!r.sms.contains("重庆"), "{}", r.sms);
    assert!(
        r.sms.contains("Code 035302. Address: see link, floor 12."),
        "{}",
        r.sms
    );
    assert!(
        sms_units(&r.sms) <= sms_limit(&r.sms),
        "{}",
        sms_units(&r.sms)
    );
    assert!(r.sms.contains("Code 035302") && r.sms.contains("reply 1 accept, 2 decline"));
    assert!(r.sms.ends_with("Incident 123456"), "{}", r.sms);
    assert!(
        r.push_body.contains(ADDRESS),
        "push and voice keep the whole place"
    );
}

#[test]
fn only_a_unit_paged_event_with_an_incident_makes_page_facts() {
    let kind = AlarmKind::PassengerAlarm;
    let mut e = paged();
    let f = PageFacts::from_page(&lift("x"), &e, &kind, AlarmFlags::default(), None, 2, "u/");
    let f = f.unwrap();
    assert_eq!(
        (f.unit, f.eta_secs, f.ack_url.as_str()),
        (UnitId(42), 290, "u/123456")
    );
    e.incident = None;
    assert!(
        PageFacts::from_page(&lift("x"), &e, &kind, AlarmFlags::default(), None, 2, "u").is_none()
    );
    e = paged();
    e.kind = EventKind::ReleaseConfirmed;
    assert!(
        PageFacts::from_page(&lift("x"), &e, &kind, AlarmFlags::default(), None, 2, "u").is_none()
    );
}

#[test]
fn an_overlong_floor_or_fault_name_is_capped() {
    let kind = AlarmKind::Fault("x".repeat(100));
    let floor = "9".repeat(50);
    let f = PageFacts::from_page(
        &lift("x"),
        &paged(),
        &kind,
        AlarmFlags::default(),
        Some(&floor),
        3,
        "u",
    );
    let f = f.unwrap();
    assert_eq!(f.floor.as_deref().map(str::len), Some(MAX_FLOOR));
    assert_eq!(f.kind, AlarmKind::Fault("x".repeat(MAX_FAULT)));
}

#[test]
fn a_page_gives_its_pieces_for_a_providers_sms_template() {
    let flags = AlarmFlags {
        person_ill: true,
        ..Default::default()
    };
    let field = |r: &Rendered, k: &str| {
        r.fields
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no field {k}"))
    };
    let r = render(&facts(ADDRESS, flags), Lang::Zh);
    assert_eq!(field(&r, "rescue_code"), "035302");
    assert_eq!(field(&r, "what"), "非平层困人，有人不适");
    assert_eq!(field(&r, "place"), format!("{ADDRESS} 3栋2单元A梯"));
    assert_eq!(field(&r, "floor"), "12");
    assert_eq!(field(&r, "distance"), "1.2km");
    assert_eq!(field(&r, "eta_min"), "5");
    assert_eq!(field(&r, "deadline"), "08:03");
    assert_eq!(field(&r, "level"), "1");
    let r = render(&facts(ADDRESS, flags), Lang::En);
    assert_eq!(field(&r, "what"), "trapped between floors, person ill");
    let r = render_unresolved(
        IncidentId(77),
        "caller says Block 9",
        "https://x/77",
        Lang::Zh,
    );
    assert_eq!(field(&r, "rescue_code"), "");
    assert_eq!(field(&r, "place"), "caller says Block 9");
    assert_eq!(r.fields.len(), 8, "the same names either way");
}

#[test]
fn an_unresolved_page_says_so_quotes_what_came_in_and_links_the_crew_page() {
    let url = ack_url("https://rescue.example.cn/crew/", IncidentId(77));
    assert_eq!(url, "https://rescue.example.cn/crew/77");
    let received = format!("caller says Block 9\n{}", "x".repeat(80));
    for lang in [Lang::Zh, Lang::En] {
        let r = render_unresolved(IncidentId(77), &received, &url, lang);
        assert!(r.sms.contains("77") && r.sms.contains(&url), "{}", r.sms);
        assert!(r.sms.contains("caller says Block 9"), "{}", r.sms);
        assert!(
            !r.sms.contains('\n') && !r.sms.contains(&"x".repeat(30)),
            "{}",
            r.sms
        );
        assert!(r.voice.contains("77") && r.push_title.contains("77"));
        assert_eq!(r.push_body, r.sms);
    }
}
