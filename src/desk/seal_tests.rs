//! The seal on the running desk, with paused tokio time: written at the seal time, once a day.

use super::*;
use crate::dispatch::seal::{SealSchedule, Sealing};
use crate::dispatch::tests::{World, t0};
use crate::domain::EventKind;
use chrono::{FixedOffset, NaiveTime, TimeDelta};

/// A log in memory that names its head (hash: `h` and the seq).
#[derive(Default)]
struct Headed(MemoryLog);

impl EventSink for Headed {
    async fn append(&mut self, events: &[Event]) -> anyhow::Result<Vec<i64>> {
        self.0.append(events).await
    }
    async fn head(&mut self) -> anyhow::Result<Option<(i64, String)>> {
        let n = self.0.events.len() as i64;
        Ok((n > 0).then(|| (n, format!("h{n}"))))
    }
}

#[tokio::test(start_paused = true)]
async fn the_desk_seals_the_head_at_the_seal_time_once_a_day() {
    let mut world = World::new();
    let schedule = SealSchedule {
        at: NaiveTime::from_hms_opt(0, 5, 0).unwrap(),
        offset: FixedOffset::east_opt(8 * 3600).unwrap(),
    };
    world.state.seal = Some(Sealing {
        schedule,
        last_day: None,
        log_since: None,
    });
    let (desk, task) = spawn(world.state, Headed::default(), Clock::starting_at(t0()));
    let mut feed = desk.subscribe();
    desk.submit(Command::UnitDuty {
        unit: crate::dispatch::tests::M_NEAR,
        on_duty: false,
        why: "shift ended".into(),
    })
    .await
    .unwrap();
    let mut seals = Vec::new();
    while seals.len() < 2 {
        let e = feed.recv().await.unwrap();
        if let EventKind::LogSealed { .. } = e.kind {
            seals.push(e);
        }
    }
    let first_due = schedule.instant(schedule.last_at_or_before(t0()).0 + TimeDelta::days(1));
    for (n, e) in seals.iter().enumerate() {
        let EventKind::LogSealed {
            due,
            late_secs,
            sealed_seq,
            sealed_hash,
            ..
        } = &e.kind
        else {
            unreachable!()
        };
        assert_eq!(*due, first_due + TimeDelta::days(n as i64), "one a day");
        assert_eq!(e.at, *due, "on time");
        assert_eq!(*late_secs, 0);
        assert_eq!(sealed_hash, &format!("h{sealed_seq}"));
    }
    drop((desk, feed));
    let (_, log) = task.await.unwrap();
    let sealed = log
        .0
        .events
        .iter()
        .filter(|e| e.kind.name() == "log_sealed");
    assert_eq!(sealed.count(), 2, "never twice a day");
}
