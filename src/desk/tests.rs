//! The desk loop with paused tokio time: deadlines fire on time without anyone waiting.

use super::*;
use crate::dispatch::tests::{M_FAR, M_NEAR, World, lift, t0};
use crate::domain::{
    Alarm, AlarmFlags, AlarmId, AlarmKind, AlarmSource, AlarmStatus, EventKind, LiftRef,
};
use crate::rules::RuleSet;
use chrono::TimeDelta;

fn alarm(n: i64) -> Command {
    alarm_for(n, 1)
}

fn alarm_for(n: i64, lift_id: i64) -> Command {
    let l = lift(lift_id, Some(1));
    let alarm = Alarm {
        id: AlarmId(n),
        channel: AlarmSource::CabinPhone,
        source_alarm_id: format!("call-{n}"),
        lift_ref: LiftRef::RescueCode(l.rescue_code.clone()),
        kind: AlarmKind::PassengerAlarm,
        status: AlarmStatus::New,
        flags: AlarmFlags::default(),
        trapped: None,
        floor: None,
        description: String::new(),
        occurred_at: t0(),
        received_at: t0(),
    };
    Command::Alarm {
        alarm,
        lift: Some(Box::new(l)),
    }
}

async fn next_matching(feed: &mut broadcast::Receiver<Event>, f: impl Fn(&Event) -> bool) -> Event {
    loop {
        let e = feed.recv().await.expect("feed open");
        if f(&e) {
            return e;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_desk_fires_a_missed_acknowledgement_exactly_on_time_and_pages_the_next_unit() {
    let world = World::new();
    let (desk, task) = spawn(world.state, MemoryLog::default(), Clock::starting_at(t0()));
    let mut feed = desk.subscribe();
    let opened = desk.submit(alarm(1)).await.unwrap();
    assert!(opened.iter().any(
        |e| matches!(&e.kind, EventKind::UnitPaged { candidate, .. } if candidate.unit == M_NEAR)
    ));
    // Nobody answers: with time paused, the runtime jumps straight to the desk's next deadline.
    let missed = next_matching(&mut feed, |e| matches!(e.kind, EventKind::AckMissed { .. })).await;
    assert_eq!(missed.at, t0() + TimeDelta::minutes(3));
    let paged = next_matching(&mut feed, |e| matches!(e.kind, EventKind::UnitPaged { .. })).await;
    let EventKind::UnitPaged { candidate, .. } = paged.kind else {
        unreachable!()
    };
    assert_eq!(candidate.unit, M_FAR);
    drop((desk, feed));
    let (state, log) = task.await.unwrap();
    assert_eq!(state.incidents.len(), 1);
    assert!(
        log.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::AckMissed { .. }))
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_command_changes_nothing_and_reaches_no_log() {
    let world = World::new();
    let (desk, task) = spawn(world.state, MemoryLog::default(), Clock::starting_at(t0()));
    let refused = desk
        .submit(Command::Crew {
            unit: M_NEAR,
            incident: crate::domain::IncidentId(7),
            action: crate::dispatch::CrewAction::OnScene,
        })
        .await;
    assert!(matches!(
        refused,
        Err(DeskError::Rejected(Rejection::UnknownIncident(_)))
    ));
    drop(desk);
    let (state, log) = task.await.unwrap();
    assert!(log.events.is_empty());
    assert!(state.incidents.is_empty());
}

/// A log that refuses every append until told otherwise.
struct Refusing(Arc<std::sync::atomic::AtomicBool>, MemoryLog);

impl EventSink for Refusing {
    async fn append(&mut self, events: &[Event]) -> anyhow::Result<Vec<i64>> {
        if self.0.load(std::sync::atomic::Ordering::SeqCst) {
            anyhow::bail!("disk full");
        }
        self.1.append(events).await
    }
}

use std::sync::Arc;

#[tokio::test(start_paused = true)]
async fn when_the_log_refuses_an_append_nothing_is_applied_and_the_caller_is_told() {
    let refuse = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let world = World::new();
    let sink = Refusing(refuse.clone(), MemoryLog::default());
    let (desk, task) = spawn(world.state, sink, Clock::starting_at(t0()));
    let first = desk.submit(alarm(1)).await;
    assert!(
        matches!(first, Err(DeskError::Log(ref m)) if m.contains("disk full")),
        "{first:?}"
    );
    refuse.store(false, std::sync::atomic::Ordering::SeqCst);
    let second = desk.submit(alarm(1)).await.unwrap();
    assert!(
        matches!(second[0].kind, EventKind::IncidentOpened { .. }),
        "the retried alarm opens the incident"
    );
    drop(desk);
    let (state, sink) = task.await.unwrap();
    assert_eq!(state.incidents.len(), 1);
    assert_eq!(sink.1.events, second);
}

fn opened_version(events: &[Event]) -> crate::rules::RulesVersion {
    events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::IncidentOpened { chain, .. } => Some(chain.rules_version.clone()),
            _ => None,
        })
        .expect("an incident opened")
}

#[tokio::test(start_paused = true)]
async fn swapped_rules_serve_new_incidents_while_an_open_one_keeps_its_snapshot() {
    use crate::dispatch::tests::{RULES, rules};
    let world = World::new();
    let old = world.state.rules.version.clone();
    let new = rules(&RULES.replacen("acknowledge = \"3m\"", "acknowledge = \"5m\"", 1));
    let (desk, task) = spawn(world.state, MemoryLog::default(), Clock::starting_at(t0()));
    let first = desk.submit(alarm_for(1, 1)).await.unwrap();
    assert_eq!(opened_version(&first), old);
    let swap = |rules: Arc<RuleSet>| RulesSwap {
        rules,
        source: "/srv/rules".into(),
        by: "signal".into(),
    };
    let reloaded = desk.swap_rules(swap(new.clone())).await.unwrap();
    assert_eq!(reloaded.len(), 1);
    assert!(matches!(
        &reloaded[0].kind,
        EventKind::RulesReloaded { from, to, .. } if *from == old && *to == new.version
    ));
    // The same version again: nothing to record.
    assert!(desk.swap_rules(swap(new.clone())).await.unwrap().is_empty());
    let second = desk.submit(alarm_for(2, 2)).await.unwrap();
    assert_eq!(opened_version(&second), new.version);
    // The open incident still runs on what it opened with: its missed acknowledgement comes
    // at the old 3 minutes, and its events carry the old version.
    let mut feed = desk.subscribe();
    let missed = next_matching(&mut feed, |e| {
        matches!(e.kind, EventKind::AckMissed { .. }) && e.incident == Some(IncidentId(1))
    })
    .await;
    assert_eq!(missed.at, t0() + TimeDelta::minutes(3));
    assert_eq!(missed.rules_version, Some(old));
    drop((desk, feed));
    let (state, log) = task.await.unwrap();
    assert_eq!(state.rules.version, new.version);
    let reloads = log
        .events
        .iter()
        .filter(|e| e.kind.name() == "rules_reloaded");
    assert_eq!(reloads.count(), 1);
}

/// A log that also records the fixes the desk hands on for keeping.
#[derive(Default)]
struct KeepsFixes(MemoryLog, Vec<(UnitId, Fix)>);

impl EventSink for KeepsFixes {
    async fn append(&mut self, events: &[Event]) -> anyhow::Result<Vec<i64>> {
        self.0.append(events).await
    }

    fn position(&mut self, unit: UnitId, fix: Fix) {
        self.1.push((unit, fix));
    }
}

#[tokio::test(start_paused = true)]
async fn the_desk_hands_on_the_fixes_it_takes_and_shows_them_but_not_older_or_unknown_ones() {
    let world = World::new();
    let (desk, task) = spawn(world.state, KeepsFixes::default(), Clock::starting_at(t0()));
    let at = |secs| Fix {
        at: crate::demo::YUZHONG,
        taken: t0() + TimeDelta::seconds(secs),
    };
    desk.position(M_NEAR, at(10)).await.unwrap();
    desk.position(M_NEAR, at(5)).await.unwrap(); // a replayed older fix
    desk.position(UnitId(999), at(10)).await.unwrap(); // no such unit
    assert_eq!(desk.fixes(Some(M_NEAR)).await.unwrap(), [(M_NEAR, at(10))]);
    assert_eq!(desk.fixes(Some(UnitId(999))).await.unwrap(), []);
    let all = desk.fixes(None).await.unwrap();
    assert!(all.contains(&(M_NEAR, at(10))), "{all:?}");
    drop(desk);
    let (_, sink) = task.await.unwrap();
    assert_eq!(sink.1, [(M_NEAR, at(10))]);
}

#[tokio::test(start_paused = true)]
async fn the_console_feed_numbers_each_event_and_carries_the_row_after_the_step() {
    let world = World::new();
    let (desk, task) = spawn(world.state, MemoryLog::default(), Clock::starting_at(t0()));
    // Nobody watches: the board still answers, at the log's position.
    let first = desk.submit(alarm_for(1, 1)).await.unwrap();
    assert_eq!(desk.board(None).await.unwrap().seq, first.len() as i64);
    let mut live = desk.subscribe_committed();
    let second = desk.submit(alarm_for(2, 2)).await.unwrap();
    let mut got = vec![];
    for _ in &second {
        got.push(live.recv().await.unwrap());
    }
    let seqs: Vec<i64> = got.iter().map(|c| c.seq).collect();
    let from = first.len() as i64 + 1;
    assert_eq!(seqs, (from..from + second.len() as i64).collect::<Vec<_>>());
    assert_eq!(
        got.iter().map(|c| c.event.clone()).collect::<Vec<_>>(),
        second
    );
    // One row, on the step's last event, showing the incident as the step left it.
    let rows: Vec<_> = got.iter().filter_map(|c| c.row.as_ref()).collect();
    assert_eq!(rows.len(), 1);
    assert!(got.last().unwrap().row.is_some());
    let board = desk.board(None).await.unwrap();
    assert_eq!(board.seq, *seqs.last().unwrap());
    assert_eq!(board.incidents.len(), 2, "both open, newest first");
    assert_eq!(board.incidents[0].id, rows[0].id);
    assert_eq!(board.incidents[0].steps, rows[0].steps);
    assert!(
        rows[0].candidates.is_empty(),
        "rows leave the candidates to the detail"
    );
    // The named incidents only.
    let named = desk.board(Some(vec![rows[0].id])).await.unwrap();
    assert_eq!(named.incidents.len(), 1);
    drop((desk, live));
    task.await.unwrap();
}
