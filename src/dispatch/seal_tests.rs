use super::*;
use chrono::TimeZone;

fn china() -> SealSchedule {
    SealSchedule {
        at: NaiveTime::from_hms_opt(0, 5, 0).unwrap(),
        offset: FixedOffset::east_opt(8 * 3600).unwrap(),
    }
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn sealing() -> Sealing {
    Sealing {
        schedule: china(),
        last_day: None,
        log_since: Some(utc(2026, 12, 1, 2, 0)),
    }
}

/// Appends the seal the decision owes at `now`, as the desk would; what it sealed.
fn seal_at(s: &mut Sealing, now: DateTime<Utc>) -> Option<SealDue> {
    let owed = s.due(now)?;
    s.saw(&log_sealed(&owed, 7, "ab", now));
    Some(owed)
}

#[test]
fn the_seal_time_is_read_in_china_time() {
    // 00:05 on 7 December in Chongqing is 16:05 on 6 December in UTC.
    assert_eq!(china().instant(day(7)), utc(2026, 12, 6, 16, 5));
    assert_eq!(
        china().last_at_or_before(utc(2026, 12, 6, 16, 4)),
        (day(6), utc(2026, 12, 5, 16, 5))
    );
    assert_eq!(
        china().last_at_or_before(utc(2026, 12, 6, 16, 5)),
        (day(7), utc(2026, 12, 6, 16, 5))
    );
}

#[test]
fn the_seal_fires_once_a_day_at_the_configured_time() {
    let mut s = sealing();
    // The log began on 1 December at 10:00 China time; the first seal time after that is
    // 00:05 on the 2nd.
    assert_eq!(s.due(utc(2026, 12, 1, 16, 4)), None);
    assert_eq!(
        s.next_check(utc(2026, 12, 1, 16, 4)),
        utc(2026, 12, 1, 16, 5)
    );
    let first = seal_at(&mut s, utc(2026, 12, 1, 16, 5)).unwrap();
    assert_eq!(first.day, day(2));
    assert_eq!(s.last_day, Some(day(2)));
    // Not again that day, however often the desk looks.
    for now in [
        utc(2026, 12, 1, 16, 5),
        utc(2026, 12, 1, 23, 0),
        utc(2026, 12, 2, 16, 4),
    ] {
        assert_eq!(s.due(now), None, "{now}");
    }
    assert_eq!(
        s.next_check(utc(2026, 12, 1, 20, 0)),
        utc(2026, 12, 2, 16, 5)
    );
    let second = seal_at(&mut s, utc(2026, 12, 2, 16, 5)).unwrap();
    assert_eq!(second.day, day(3));
}

#[test]
fn after_downtime_the_seal_fires_late_once_and_says_how_late() {
    let mut s = sealing();
    s.last_day = Some(day(2));
    // Down from before 00:05 on the 3rd until 09:00 on the 5th (China time): one seal, for the
    // 5th, due at its 00:05, written at start nearly nine hours late.
    let back = utc(2026, 12, 5, 1, 0);
    let owed = s.due(back).unwrap();
    assert_eq!(owed.day, day(5));
    assert_eq!(owed.due, utc(2026, 12, 4, 16, 5));
    assert_eq!(s.next_check(back), back, "owed now: look at once");
    let e = log_sealed(&owed, 41, "cafe", back);
    match &e.kind {
        EventKind::LogSealed {
            late_secs,
            sealed_seq,
            ..
        } => {
            assert_eq!(*late_secs, 8 * 3600 + 55 * 60);
            assert_eq!(*sealed_seq, 41);
        }
        other => panic!("{other:?}"),
    }
    assert!(e.reason.contains("late"), "{}", e.reason);
    s.saw(&e);
    assert_eq!(s.due(back), None);
    assert_eq!(s.due(utc(2026, 12, 5, 15, 0)), None);
}

#[test]
fn an_empty_log_or_one_begun_after_the_seal_time_is_not_sealed() {
    let mut s = sealing();
    s.log_since = None;
    assert_eq!(s.due(utc(2026, 12, 3, 0, 0)), None);
    // A log begun at 01:00 China time on the 3rd owes nothing until 00:05 on the 4th.
    s.log_since = Some(utc(2026, 12, 2, 17, 0));
    assert_eq!(s.due(utc(2026, 12, 3, 10, 0)), None);
    assert_eq!(s.due(utc(2026, 12, 3, 16, 5)).map(|d| d.day), Some(day(4)));
}
