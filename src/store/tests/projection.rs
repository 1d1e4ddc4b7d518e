//! What the append projects: the incidents table, unit duty, the outbox.

use super::conformance;
use super::log::{duty, replay};
use super::scenarios::{district, full_rescue};
use crate::domain::{CompanyId, EventKind, IncidentId, IncidentStatus, LiftId};
use crate::store::{IncidentFilter, StoreError};
use chrono::TimeDelta;

conformance!(
    the_incidents_projection_follows_a_full_rescue_step_by_step,
    |db| {
        let s = db.store();
        let story = full_rescue();
        for a in story.alarms() {
            s.insert_alarm(&a, a.occurred_at).await.unwrap();
        }
        for (batch, statuses) in story.batches.iter().zip(&story.statuses) {
            s.append(batch).await.unwrap();
            let row = s.incident(IncidentId(1)).await.unwrap().unwrap();
            assert_eq!(
                row.status,
                statuses[&IncidentId(1)],
                "after {:?}",
                batch[0].kind.name()
            );
            assert_eq!(row.updated_at, batch.last().unwrap().at);
        }
        let row = s.incident(IncidentId(1)).await.unwrap().unwrap();
        let events = story.events();
        let EventKind::IncidentOpened { chain, .. } = &events[0].kind else {
            panic!()
        };
        assert_eq!(row.status, IncidentStatus::Closed);
        assert_eq!(row.opened_at, events[0].at);
        assert_eq!(row.ended_at, Some(events.last().unwrap().at));
        assert_eq!(
            (row.lift, row.company),
            (Some(LiftId(1)), Some(CompanyId(1)))
        );
        assert_eq!(row.rescue_code.as_deref(), Some("035301"));
        assert_eq!(
            (row.chain.as_str(), &row.rules_version),
            ("entrapment", &chain.rules_version.0)
        );
        assert!(!row.breached && !row.needs_operator && !row.lift_unresolved);
        assert_eq!(s.incident(IncidentId(2)).await.unwrap(), None);
    }
);

conformance!(
    filters_select_by_lift_company_breach_time_status_and_openness,
    |db| {
        let s = db.store();
        let story = district();
        replay(s, &story).await;
        let ids = |filter: IncidentFilter| async move {
            let rows = s.incidents(&filter).await.unwrap();
            rows.into_iter().map(|r| r.id.0).collect::<Vec<_>>()
        };
        let t0 = crate::dispatch::tests::t0();
        assert_eq!(
            ids(IncidentFilter::default()).await,
            [3, 2, 1],
            "newest first"
        );
        assert_eq!(
            ids(IncidentFilter {
                lift: Some(LiftId(2)),
                ..Default::default()
            })
            .await,
            [2]
        );
        let company = IncidentFilter {
            company: Some(CompanyId(1)),
            ..Default::default()
        };
        assert_eq!(ids(company).await, [1]);
        assert_eq!(
            ids(IncidentFilter {
                breached: Some(true),
                ..Default::default()
            })
            .await,
            [2]
        );
        assert_eq!(
            ids(IncidentFilter {
                breached: Some(false),
                ..Default::default()
            })
            .await,
            [3, 1]
        );
        assert_eq!(
            ids(IncidentFilter {
                open: Some(true),
                ..Default::default()
            })
            .await,
            [3, 2]
        );
        assert_eq!(
            ids(IncidentFilter {
                open: Some(false),
                ..Default::default()
            })
            .await,
            [1]
        );
        let window = IncidentFilter {
            from: Some(t0 + TimeDelta::minutes(30)),
            to: Some(t0 + TimeDelta::minutes(90)),
            ..Default::default()
        };
        assert_eq!(ids(window).await, [2]);
        let from_second = IncidentFilter {
            from: Some(t0 + TimeDelta::minutes(60)),
            ..Default::default()
        };
        assert_eq!(ids(from_second).await, [3, 2], "from is inclusive");
        let closed = IncidentFilter {
            status: Some(vec![IncidentStatus::Closed]),
            ..Default::default()
        };
        assert_eq!(ids(closed).await, [1]);
        assert!(
            ids(IncidentFilter {
                status: Some(vec![]),
                ..Default::default()
            })
            .await
            .is_empty()
        );
        assert_eq!(
            ids(IncidentFilter {
                limit: Some(1),
                ..Default::default()
            })
            .await,
            [3]
        );
        let third = s.incident(IncidentId(3)).await.unwrap().unwrap();
        assert_eq!((third.company, third.chain.as_str()), (None, "urgent"));
    }
);

conformance!(open_incident_events_leave_out_ended_incidents, |db| {
    let s = db.store();
    let story = district();
    replay(s, &story).await;
    let open: Vec<_> = story
        .events()
        .into_iter()
        .filter(|e| matches!(e.incident, Some(IncidentId(2 | 3))))
        .collect();
    assert_eq!(s.open_incident_events().await.unwrap(), open);
});

conformance!(an_event_of_an_incident_never_opened_is_refused, |db| {
    let s = db.store();
    let story = full_rescue();
    let later = story.batches[1].clone();
    let refused = s.append(&later).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert!(
        s.log_page(0, 10).await.unwrap().is_empty(),
        "nothing was written"
    );
    replay(s, &story).await;
    let again = s.append(&story.batches[0]).await;
    assert!(matches!(again, Err(StoreError::Conflict(m)) if m.contains("already open")));
});

conformance!(unit_duty_events_update_the_registry, |db| {
    let s = db.store();
    let story = full_rescue();
    let units: Vec<_> = story
        .w
        .state
        .units
        .values()
        .map(|u| u.unit.clone())
        .collect();
    s.put_units(&units).await.unwrap();
    let on_duty = |id: i64| async move {
        let units = s.units().await.unwrap();
        units.into_iter().find(|u| u.id.0 == id).unwrap().on_duty
    };
    assert!(on_duty(1).await);
    s.append(&[duty(1, false)]).await.unwrap();
    assert!(!on_duty(1).await);
    s.append(&[duty(1, true), duty(2, false)]).await.unwrap();
    assert!(on_duty(1).await && !on_duty(2).await);
});

conformance!(
    each_page_gets_one_outbox_row_and_a_repeat_of_its_key_does_nothing,
    |db| {
        let story = full_rescue();
        let rows = replay(db.store(), &story).await;
        let pages = rows
            .iter()
            .filter(|r| r.event.kind.name() == "unit_paged")
            .count() as i64;
        assert!(pages >= 2);
        assert_eq!(db.count("SELECT COUNT(*) FROM outbox").await, pages);
        let keyed = "SELECT COUNT(*) FROM outbox WHERE channel = 'pending' \
        AND attempts = 0 AND page_no = 1 \
        AND dedupe_key = incident_id || ':' || step || ':' || unit_id || ':' || page_no";
        assert_eq!(db.count(keyed).await, pages);
        let repeat = "INSERT INTO outbox (incident_id, event_seq, step, unit_id, page_no, \
        dedupe_key, next_attempt_at, created_at, payload) SELECT incident_id, event_seq, step, \
        unit_id, page_no, dedupe_key, next_attempt_at, created_at, payload FROM outbox \
        WHERE true ON CONFLICT (dedupe_key) DO NOTHING";
        assert_eq!(db.raw(repeat).await.unwrap(), 0);
        // The rescue ran to its end: no page rings any more, the one accepted says so.
        let ringing = "SELECT COUNT(*) FROM outbox WHERE status = 'pending'";
        assert_eq!(db.count(ringing).await, 0);
        let accepted = "SELECT COUNT(*) FROM outbox WHERE status = 'accepted'";
        assert!(db.count(accepted).await >= 1);
    }
);

conformance!(open_incidents_waiting_for_the_operator_come_first, |db| {
    use crate::domain::{AlarmFlags, AlarmSource, AlarmStatus};
    let s = db.store();
    let mut story = crate::store::tests::scenarios::Story::new();
    // An older alarm whose lift nobody can identify, then a newer ordinary entrapment.
    story.run(|w| {
        w.alarm_with(
            AlarmSource::CabinPhone,
            None,
            AlarmFlags::default(),
            AlarmStatus::New,
        );
    });
    story.run(|w| {
        w.now += TimeDelta::minutes(5);
        w.entrapment();
    });
    replay(s, &story).await;
    let rows = s.incidents(&IncidentFilter::default()).await.unwrap();
    let order: Vec<(i64, bool)> = rows.iter().map(|r| (r.id.0, r.lift_unresolved)).collect();
    assert_eq!(
        order,
        [(1, true), (2, false)],
        "the unresolved one is on top although older"
    );
});

conformance!(
    equipment_reports_come_back_in_order_and_nothing_else_does,
    |db| {
        use crate::dispatch::{Command, EquipmentReport};
        use crate::domain::{DeviceId, Equipment};
        let s = db.store();
        let mut story = crate::store::tests::scenarios::Story::new();
        let terminal = Equipment::Terminal(DeviceId::parse("CQ-IOT-000001").unwrap());
        story.run(|w| {
            w.entrapment();
        });
        for report in [
            EquipmentReport::Offline { last_seen: None },
            EquipmentReport::Online,
        ] {
            let equipment = terminal.clone();
            story.run(|w| {
                w.run(Command::Equipment {
                    lift: Some(LiftId(1)),
                    equipment,
                    report,
                });
            });
        }
        replay(s, &story).await;
        let kinds: Vec<&str> = s
            .equipment_events()
            .await
            .unwrap()
            .iter()
            .map(|e| e.kind.name())
            .collect();
        assert_eq!(kinds, ["equipment_fault", "equipment_ok"]);
    }
);
