//! The alarm inbox: dedupe, order, processing.

use super::conformance;
use super::scenarios::full_rescue;
use crate::domain::{
    AlarmFlags, AlarmId, AlarmKind, AlarmSource, AlarmStatus, IncidentId, LiftRef,
};
use crate::store::NewAlarm;
use chrono::{DateTime, TimeDelta, Utc};

pub(crate) fn t(secs: i64) -> DateTime<Utc> {
    crate::dispatch::tests::t0() + TimeDelta::microseconds(secs * 1_000_000 + 123_456)
}

pub(crate) fn alarm(channel: AlarmSource, source: &str) -> NewAlarm {
    NewAlarm {
        channel,
        source_alarm_id: source.into(),
        lift_ref: LiftRef::Unparsed("lift by the stairs".into()),
        kind: AlarmKind::Fault("power_loss".into()),
        status: AlarmStatus::New,
        flags: AlarmFlags {
            child_alone: true,
            ..AlarmFlags::default()
        },
        trapped: None,
        floor: Some("B2".into()),
        description: "no answer on the cabin phone".into(),
        occurred_at: t(0),
    }
}

conformance!(
    an_alarm_for_a_registered_lift_is_committed_with_its_lift_and_one_for_none_leaves_no_trace,
    |db| {
        use crate::domain::LiftId;
        use crate::store::tests::registry::{bare_lift, full_lift, references, unregistered};
        let s = db.store();
        let (lift, other) = (full_lift(5), bare_lift(6));
        s.put_lifts(&[lift.clone(), other.clone()]).await.unwrap();
        for (i, r) in unregistered().into_iter().enumerate() {
            let a = NewAlarm {
                lift_ref: r.clone(),
                ..alarm(AlarmSource::Iot, &format!("N-{i}"))
            };
            assert_eq!(
                s.insert_alarm_for_lift(&a, t(1)).await.unwrap(),
                None,
                "{r:?}"
            );
        }
        assert_eq!(s.inbox_depth().await.unwrap(), 0, "nothing written");
        let mut committed = Vec::new();
        for (i, r) in references(&lift).into_iter().enumerate() {
            let a = NewAlarm {
                lift_ref: r.clone(),
                ..alarm(AlarmSource::Iot, &format!("A-{i}"))
            };
            let (receipt, found) = s
                .insert_alarm_for_lift(&a, t(i as i64))
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{r:?} names lift 5"));
            assert_eq!(found, lift, "{r:?}");
            assert!(!receipt.duplicate);
            assert_eq!(receipt.incident, None);
            assert_eq!(receipt.alarm.lift_ref, r);
            assert_eq!(
                receipt.alarm.received_at,
                t(i as i64),
                "kept to the microsecond"
            );
            committed.push(receipt.alarm);
        }
        let (again, found) = s
            .insert_alarm_for_lift(
                &NewAlarm {
                    lift_ref: LiftRef::RescueCode(lift.rescue_code.clone()),
                    ..alarm(AlarmSource::Iot, "A-0")
                },
                t(9),
            )
            .await
            .unwrap()
            .unwrap();
        assert!(again.duplicate, "the same (channel, source id) again");
        assert_eq!(
            again.alarm, committed[0],
            "the first copy, as first received"
        );
        assert_eq!(found, lift);
        let (bare, found) = s
            .insert_alarm_for_lift(
                &NewAlarm {
                    lift_ref: LiftRef::Id(LiftId(6)),
                    ..alarm(AlarmSource::Iot, "B-1")
                },
                t(10),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found, other, "a lift with every optional field empty");
        committed.push(bare.alarm);
        assert_eq!(s.pending_alarms(10).await.unwrap(), committed);
    }
);

conformance!(the_same_source_alarm_twice_is_one_alarm, |db| {
    let s = db.store();
    let first = s
        .insert_alarm(&alarm(AlarmSource::Iot, "A-1"), t(1))
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert_eq!(first.alarm.received_at, t(1), "kept to the microsecond");
    assert!(first.alarm.flags.child_alone);
    let again = s
        .insert_alarm(&alarm(AlarmSource::Iot, "A-1"), t(2))
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(
        again.alarm, first.alarm,
        "the first copy, as first received"
    );
    assert_eq!(again.incident, None);
    let other_channel = s
        .insert_alarm(&alarm(AlarmSource::CabinPhone, "A-1"), t(3))
        .await
        .unwrap();
    assert!(!other_channel.duplicate);
    assert_ne!(other_channel.alarm.id, first.alarm.id);
    assert_eq!(s.inbox_depth().await.unwrap(), 2);
    assert_eq!(
        s.pending_alarms(10).await.unwrap(),
        vec![first.alarm, other_channel.alarm]
    );
});

conformance!(
    pending_alarms_come_oldest_first_and_leave_once_processed,
    |db| {
        let s = db.store();
        let story = full_rescue();
        let opening = &story.alarms()[0];
        let receipt = s.insert_alarm(opening, opening.occurred_at).await.unwrap();
        assert_eq!(receipt.alarm.id, AlarmId(1));
        for (i, source) in ["B-2", "B-3"].into_iter().enumerate() {
            s.insert_alarm(&alarm(AlarmSource::Hotline, source), t(i as i64))
                .await
                .unwrap();
        }
        let ids = |v: Vec<crate::domain::Alarm>| v.into_iter().map(|a| a.id.0).collect::<Vec<_>>();
        assert_eq!(ids(s.pending_alarms(10).await.unwrap()), [1, 2, 3]);
        assert_eq!(ids(s.pending_alarms(2).await.unwrap()), [1, 2]);
        assert_eq!(s.alarm_incident(AlarmId(1)).await.unwrap(), None);
        s.append(&story.batches[0]).await.unwrap();
        assert_eq!(ids(s.pending_alarms(10).await.unwrap()), [2, 3]);
        assert_eq!(s.inbox_depth().await.unwrap(), 2);
        assert_eq!(
            s.alarm_incident(AlarmId(1)).await.unwrap(),
            Some(IncidentId(1))
        );
        assert_eq!(s.alarm_incident(AlarmId(2)).await.unwrap(), None);
        assert_eq!(s.alarm_incident(AlarmId(99)).await.unwrap(), None);
        let repeat = s.insert_alarm(opening, t(60)).await.unwrap();
        assert!(repeat.duplicate);
        assert_eq!(
            repeat.incident,
            Some(IncidentId(1)),
            "a repeat learns its incident"
        );
    }
);

conformance!(
    a_group_of_alarms_commits_in_one_go_as_each_would_on_its_own,
    |db| {
        use crate::domain::LiftId;
        use crate::store::tests::registry::{bare_lift, full_lift, references, unregistered};
        let s = db.store();
        let (lift, other) = (full_lift(5), bare_lift(6));
        s.put_lifts(&[lift.clone(), other.clone()]).await.unwrap();
        let earlier = s
            .insert_alarm(&alarm(AlarmSource::Iot, "E-1"), t(0))
            .await
            .unwrap();
        // Every kind of reference to lift 5, lift 6 by id, an unknown lift required and not,
        // a repeat within the group and a repeat of the alarm committed before.
        let with = |r: LiftRef, id: &str| NewAlarm {
            lift_ref: r,
            ..alarm(AlarmSource::Iot, id)
        };
        let mut group: Vec<(NewAlarm, bool)> = references(&lift)
            .into_iter()
            .enumerate()
            .map(|(i, r)| (with(r, &format!("G-{i}")), true))
            .collect();
        let unknown = unregistered()[0].clone();
        group.extend([
            (with(LiftRef::Id(LiftId(6)), "G-6"), true),
            (with(unknown.clone(), "G-7"), true),
            (with(unknown.clone(), "G-8"), false),
            (with(LiftRef::Id(LiftId(6)), "G-6"), true),
            (alarm(AlarmSource::Iot, "E-1"), false),
        ]);
        let batch: Vec<_> = group.iter().map(|(a, req)| (a, t(3), *req)).collect();
        let out = s.insert_alarms(&batch).await.unwrap();
        assert_eq!(out.len(), group.len());
        for (i, o) in out[..5].iter().enumerate() {
            let (receipt, found) = o.clone().unwrap();
            assert_eq!(found.as_ref(), Some(&lift), "reference {i}");
            assert!(!receipt.duplicate);
            assert_eq!(receipt.alarm.received_at, t(3));
        }
        let (six, found) = out[5].clone().unwrap();
        assert_eq!(found, Some(other));
        assert!(
            out[6].is_none(),
            "an unknown lift, required: nothing written"
        );
        let (unresolved, found) = out[7].clone().unwrap();
        assert_eq!((found, unresolved.duplicate), (None, false));
        let (repeat, _) = out[8].clone().unwrap();
        assert!(repeat.duplicate);
        assert_eq!(repeat.alarm, six.alarm, "the first copy of the group");
        let (again, _) = out[9].clone().unwrap();
        assert!(again.duplicate);
        assert_eq!(again.alarm, earlier.alarm, "the copy committed before");
        let pending = s.pending_alarms(20).await.unwrap();
        assert_eq!(
            pending.len(),
            1 + 5 + 1 + 1,
            "each alarm once, none for the refused one"
        );
        let ids: Vec<_> = pending.iter().map(|a| a.id.0).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in commit order");
        assert_eq!(
            pending[1..7]
                .iter()
                .map(|a| a.source_alarm_id.as_str())
                .collect::<Vec<_>>(),
            ["G-0", "G-1", "G-2", "G-3", "G-4", "G-6"]
        );
    }
);
