//! Auto-detection, the alarm a call becomes, and no input panics. The per-protocol cases are
//! next to each parser.

use super::*;
use proptest::prelude::*;

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

#[test]
fn auto_detects_p100_and_both_cpc_variants() {
    let p = decode(Protocol::Auto, "18123456782D").unwrap();
    assert_eq!(p.protocol, Protocol::P100);
    let k = decode(Protocol::Auto, "0410*12345678#").unwrap();
    assert_eq!(
        (k.protocol, k.kind),
        (Protocol::CpcKone, CallKind::Alarm { voice: true })
    );
    let a = decode(Protocol::Auto, "0427*12345678#").unwrap();
    assert_eq!(a.protocol, Protocol::CpcAntenna);
    let a = decode(Protocol::Auto, "0426*12345678#").unwrap();
    assert_eq!(a.kind, CallKind::TestCall { faults: vec![] });
    let ended = decode(Protocol::Auto, "0484*12345678#").unwrap();
    assert_eq!(
        (ended.protocol, ended.kind),
        (Protocol::CpcKone, CallKind::RescueEnded)
    );
}

#[test]
fn auto_speaks_about_the_protocol_the_first_symbol_names() {
    let e = decode(Protocol::Auto, "18123456782C").unwrap_err();
    assert!(matches!(e, PhoneError::BadChecksum { .. }), "{e:?}");
    let e = decode(Protocol::Auto, "0499*12345678#").unwrap_err();
    assert!(matches!(e, PhoneError::UnknownCallType { .. }), "{e:?}");
    let e = decode(Protocol::Auto, "0410*").unwrap_err();
    assert!(matches!(e, PhoneError::BadId { .. }), "{e:?}");
    let e = decode(Protocol::Auto, "04").unwrap_err();
    assert!(
        matches!(
            e,
            PhoneError::Truncated {
                protocol: Protocol::CpcKone,
                ..
            }
        ),
        "{e:?}"
    );
    let e = decode(Protocol::Auto, "1x").unwrap_err();
    assert!(
        matches!(
            e,
            PhoneError::Truncated {
                protocol: Protocol::P100,
                ..
            }
        ),
        "{e:?}"
    );
    let e = decode(Protocol::Auto, "1x812345678").unwrap_err();
    assert!(
        matches!(
            e,
            PhoneError::IllegalDigit {
                digit: 'x',
                position: 2,
                ..
            }
        ),
        "{e:?}"
    );
    let e = decode(Protocol::Auto, "D9").unwrap_err();
    assert_eq!(
        e,
        PhoneError::Undetected {
            digit: '9',
            position: 2
        }
    );
    assert!(
        e.to_string().contains("P100") && e.to_string().contains("CPC"),
        "{e}"
    );
    let e = decode(Protocol::Auto, "x").unwrap_err();
    assert!(
        matches!(
            e,
            PhoneError::IllegalDigit {
                digit: 'x',
                position: 1,
                ..
            }
        ),
        "{e:?}"
    );
    let e = decode(Protocol::Auto, "D").unwrap_err();
    assert!(matches!(e, PhoneError::Truncated { found: 0, .. }), "{e:?}");
    assert_eq!(decode(Protocol::Auto, ""), Err(PhoneError::Empty));
}

#[test]
fn protocol_names_read_as_gateways_write_them() {
    assert_eq!("P100".parse::<Protocol>(), Ok(Protocol::P100));
    assert_eq!("CPC-KONE".parse::<Protocol>(), Ok(Protocol::CpcKone));
    assert_eq!("cpc_antenna".parse::<Protocol>(), Ok(Protocol::CpcAntenna));
    assert_eq!("Auto".parse::<Protocol>(), Ok(Protocol::Auto));
    let e = "SIA".parse::<Protocol>().unwrap_err();
    assert!(e.to_string().contains("\"SIA\""), "{e}");
    for p in [
        Protocol::P100,
        Protocol::CpcKone,
        Protocol::CpcAntenna,
        Protocol::Auto,
    ] {
        assert_eq!(p.to_string().parse::<Protocol>(), Ok(p));
    }
}

#[test]
fn an_alarm_call_becomes_a_passenger_alarm_named_by_the_caller_id() {
    let msg = decode(Protocol::Auto, "18123456782D").unwrap();
    let caller = PhoneNumber::parse("023-6380 0001").unwrap();
    let a = to_alarm(&msg, &caller, "pbx-call-77", true, at()).unwrap();
    assert_eq!(a.channel, AlarmSource::CabinPhone);
    assert_eq!(a.source_alarm_id, "pbx-call-77");
    assert_eq!(a.lift_ref, LiftRef::Phone(caller));
    assert_eq!(
        (a.kind, a.status),
        (AlarmKind::PassengerAlarm, AlarmStatus::New)
    );
    assert_eq!(a.occurred_at, at());
    assert!(a.description.contains("12345678"), "{}", a.description);
    assert!(a.description.contains("voice open"), "{}", a.description);
}

#[test]
fn rescue_ended_is_a_cleared_alarm_and_an_operational_failure_a_fault() {
    let caller = PhoneNumber::parse("02363800001").unwrap();
    let ended = decode(Protocol::CpcKone, "0484*12345678#").unwrap();
    let a = to_alarm(&ended, &caller, "c1", false, at()).unwrap();
    assert_eq!(a.status, AlarmStatus::Cleared);
    assert!(
        a.description.contains("voice not open"),
        "{}",
        a.description
    );
    let failure = decode(Protocol::P100, "280000004210").unwrap();
    let a = to_alarm(&failure, &caller, "c2", false, at()).unwrap();
    assert_eq!(a.kind, AlarmKind::Fault("phone_operational_failure".into()));
}

#[test]
fn health_reports_are_not_alarms_but_carry_their_faults() {
    let caller = PhoneNumber::parse("02363800001").unwrap();
    for (digits, faults) in [
        ("3912345678131", vec![PhoneFault::Battery]),
        ("0421*12345678#", vec![]),
        ("0490*12345678#", vec![PhoneFault::AlarmButton]),
        ("0431*12345678#", vec![PhoneFault::Battery]),
    ] {
        let msg = decode(Protocol::Auto, digits).unwrap();
        assert_eq!(to_alarm(&msg, &caller, "c", true, at()), None, "{digits}");
        assert_eq!(msg.kind.health_report(), Some(faults), "{digits}");
    }
    let audio = decode(Protocol::Auto, "0491*12345678#").unwrap();
    assert_eq!(audio.kind.health_report().map(|f| f.len()), Some(2));
    let alarm = decode(Protocol::Auto, "0410*12345678#").unwrap();
    assert_eq!(alarm.kind.health_report(), None);
}

fn dtmf_string() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop::sample::select("0123456789ABCDabcd*#EF x".chars().collect::<Vec<_>>()),
        0..40,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #[test]
    fn random_dtmf_strings_never_panic_any_decoder(s in dtmf_string()) {
        for p in [Protocol::P100, Protocol::CpcKone, Protocol::CpcAntenna, Protocol::Auto] {
            let _ = decode(p, &s);
        }
    }

    #[test]
    fn random_unicode_never_panics_any_decoder(s in ".{0,40}") {
        for p in [Protocol::P100, Protocol::CpcKone, Protocol::CpcAntenna, Protocol::Auto] {
            let _ = decode(p, &s);
        }
    }

    #[test]
    fn every_well_formed_p100_packet_round_trips(t in 1u8..=3, extra in "[0-9A-D]{0,7}", id in "[0-9]{8}") {
        let data = if t == 1 { id.clone() } else { format!("{id}{extra}") };
        let symbols = "0123456789ABCD*#";
        let value = |c: char| symbols.find(c).unwrap_or(0) as u32;
        let sum = u32::from(t) + data.len() as u32 + data.chars().map(value).sum::<u32>();
        let hex = format!("{:02X}", sum % 256).replace('E', "*").replace('F', "#");
        let len = symbols.as_bytes()[data.len()] as char;
        let msg = decode(Protocol::Auto, &format!("{t}{len}{data}{hex}")).unwrap();
        prop_assert_eq!(msg.phone_id, id);
    }
}
