//! Deciding ahead, with a log the test holds open: a batch taken while the one before it is
//! appended is decided from that one's events; when that append fails, both are refused and the
//! desk rebuilds from the log; a read taken meanwhile is answered from committed state.

use super::*;
use crate::dispatch::tests::{World, lift, t0};
use crate::dispatch::{Command, apply};
use crate::domain::{
    Alarm, AlarmFlags, AlarmId, AlarmKind, AlarmSource, AlarmStatus, EventKind, LiftRef,
};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// A log whose appends wait for the test's word: `true` commits, `false` fails.
struct HeldLog {
    events: Vec<Event>,
    started: UnboundedSender<usize>,
    word: UnboundedReceiver<bool>,
}

impl EventSink for HeldLog {
    async fn append(&mut self, events: &[Event]) -> anyhow::Result<Vec<i64>> {
        let _ = self.started.send(events.len());
        if !self.word.recv().await.unwrap_or(true) {
            anyhow::bail!("the test refused this append");
        }
        let first = self.events.len() as i64 + 1;
        self.events.extend_from_slice(events);
        Ok((first..first + events.len() as i64).collect())
    }

    fn recovers(&self) -> bool {
        true
    }

    async fn recover(&mut self, rules: Arc<RuleSet>) -> anyhow::Result<DeskState> {
        let mut state = World::new().state;
        state.rules = rules;
        for e in &self.events {
            apply(&mut state, e);
        }
        state.log_seq = self.events.len() as i64;
        Ok(state)
    }
}

struct Held {
    desk: DeskHandle,
    task: tokio::task::JoinHandle<(DeskState, HeldLog)>,
    started: UnboundedReceiver<usize>,
    word: UnboundedSender<bool>,
}

fn held() -> Held {
    let (started_tx, started) = unbounded_channel();
    let (word, word_rx) = unbounded_channel();
    let log = HeldLog {
        events: Vec::new(),
        started: started_tx,
        word: word_rx,
    };
    let (desk, task) = spawn(World::new().state, log, Clock::starting_at(t0()));
    Held {
        desk,
        task,
        started,
        word,
    }
}

/// A batch of one cabin-phone alarm, number `n`, for lift 1.
fn batch(n: i64) -> Command {
    let l = lift(1, Some(1));
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
    Command::Alarms {
        alarms: vec![(alarm, Some(Box::new(l)))],
    }
}

/// Waits until the desk has taken every input sent to it.
async fn taken(desk: &DeskHandle) {
    while desk.tx.capacity() < desk.tx.max_capacity() {
        tokio::task::yield_now().await;
    }
}

fn opened(events: &[Event]) -> IncidentId {
    events
        .iter()
        .find(|e| matches!(e.kind, EventKind::IncidentOpened { .. }))
        .and_then(|e| e.incident)
        .expect("an incident opened")
}

#[tokio::test(start_paused = true)]
async fn a_batch_taken_during_an_append_is_decided_from_the_batch_before_it() {
    let mut h = held();
    let first = h.desk.send(batch(1)).await.unwrap();
    assert!(h.started.recv().await.is_some(), "the first append began");
    let second = h.desk.send(batch(2)).await.unwrap();
    taken(&h.desk).await;
    h.word.send(true).unwrap();
    let first = first.await.unwrap().unwrap();
    assert!(h.started.recv().await.is_some(), "the second append began");
    h.word.send(true).unwrap();
    let second = second.await.unwrap().unwrap();
    let incident = opened(&first);
    assert!(
        second.iter().any(|e| e.incident == Some(incident)
            && matches!(&e.kind, EventKind::AlarmJoined { alarm } if alarm.id == AlarmId(2))),
        "the second alarm of the lift joins the incident the first opened: {second:?}"
    );
    let board = h.desk.board(None).await.unwrap();
    assert_eq!(board.seq, (first.len() + second.len()) as i64);
    assert_eq!(board.incidents.len(), 1);
    assert_eq!(board.incidents[0].alarms, 2);
    drop(h.desk);
    let (_, log) = h.task.await.unwrap();
    assert_eq!(log.events, [first, second].concat());
}

#[tokio::test(start_paused = true)]
async fn when_the_append_before_fails_the_batch_decided_after_it_is_refused_and_the_desk_rebuilds()
{
    let mut h = held();
    let first = h.desk.send(batch(1)).await.unwrap();
    assert!(h.started.recv().await.is_some());
    let second = h.desk.send(batch(2)).await.unwrap();
    taken(&h.desk).await;
    h.word.send(false).unwrap();
    assert!(matches!(first.await.unwrap(), Err(DeskError::Log(_))));
    // The second joined an incident the log never took: it is refused too.
    assert!(matches!(second.await.unwrap(), Err(DeskError::Log(_))));
    let board = h.desk.board(None).await.unwrap();
    assert_eq!(
        (board.seq, board.incidents.len()),
        (0, 0),
        "rebuilt from the empty log"
    );
    // Sent again, the alarm opens an incident of its own.
    let again = h.desk.send(batch(2)).await.unwrap();
    assert!(h.started.recv().await.is_some());
    h.word.send(true).unwrap();
    let again = again.await.unwrap().unwrap();
    opened(&again);
    drop(h.desk);
    let (state, log) = h.task.await.unwrap();
    assert_eq!(log.events, again);
    assert_eq!(state.incidents.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_read_taken_during_an_append_is_answered_once_it_committed() {
    let mut h = held();
    let first = h.desk.send(batch(1)).await.unwrap();
    assert!(h.started.recv().await.is_some());
    let (reply, board) = oneshot::channel();
    h.desk.tx.send(Input::Board(None, reply)).await.unwrap();
    taken(&h.desk).await;
    h.word.send(true).unwrap();
    let first = first.await.unwrap().unwrap();
    let board = board.await.unwrap();
    assert_eq!(board.seq, first.len() as i64);
    assert_eq!(board.incidents.len(), 1);
}
