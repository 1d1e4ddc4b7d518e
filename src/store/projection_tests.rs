use super::*;
use crate::store::tests::scenarios::{district, full_rescue};

/// The log and projections as a store would hold them, in memory.
#[derive(Default)]
struct Memory {
    ctx: Context,
    alarms: Vec<(AlarmId, IncidentId)>,
    outbox: Vec<OutboxRow>,
}

impl Memory {
    fn append(&mut self, batch: &[Event]) -> Writes {
        let w = plan(self.ctx.clone(), batch).unwrap();
        let last = w.rows.last().unwrap();
        self.ctx.head = Some((last.seq, last.hash.clone()));
        for r in &w.rows {
            if let (Some(id), Some(n)) = (r.event.incident, r.incident_seq) {
                self.ctx.incident_seqs.insert(id, n);
            }
        }
        self.ctx
            .incidents
            .extend(w.incidents.iter().map(|r| (r.id, r.clone())));
        for o in &w.outbox {
            self.ctx
                .pages
                .insert((o.incident, o.step.clone(), o.unit), o.page_no);
        }
        self.alarms
            .extend(w.alarms.iter().map(|(a, i, _)| (*a, *i)));
        self.outbox.extend(w.outbox.iter().cloned());
        w
    }
}

#[test]
fn the_projection_agrees_with_the_incident_reducer_after_every_batch() {
    let story = district();
    let mut m = Memory::default();
    for (batch, statuses) in story.batches.iter().zip(&story.statuses) {
        m.append(batch);
        for (id, status) in statuses {
            assert_eq!(
                m.ctx.incidents[id].status, *status,
                "{id} after {:?}",
                batch[0].kind
            );
        }
    }
    let ended: Vec<_> = m
        .ctx
        .incidents
        .values()
        .map(|r| r.ended_at.is_some())
        .collect();
    assert_eq!(ended, [true, false, false]);
    let breached: Vec<_> = m.ctx.incidents.values().map(|r| r.breached).collect();
    assert_eq!(breached, [false, true, false]);
    let unresolved = m.ctx.incidents.values().any(|r| r.lift_unresolved);
    assert!(!unresolved);
    assert_eq!(
        m.alarms,
        [
            (AlarmId(1), IncidentId(1)),
            (AlarmId(2), IncidentId(2)),
            (AlarmId(3), IncidentId(3))
        ]
    );
}

#[test]
fn one_plan_of_everything_equals_the_plan_batch_by_batch() {
    let story = district();
    let mut m = Memory::default();
    let rows: Vec<_> = story
        .batches
        .iter()
        .flat_map(|b| m.append(b).rows)
        .collect();
    let whole = plan(Context::default(), &story.events()).unwrap();
    assert_eq!(
        whole.rows, rows,
        "the chain does not depend on how events were batched"
    );
    assert_eq!(whole.outbox, m.outbox);
    let final_rows: Vec<_> = m.ctx.incidents.values().cloned().collect();
    assert_eq!(whole.incidents, final_rows);
}

#[test]
fn dedupe_keys_name_incident_step_unit_and_page_number() {
    assert_eq!(
        dedupe_key(IncidentId(7), "contracted", UnitId(3), 2),
        "7:contracted:3:2"
    );
}

#[test]
fn pages_are_numbered_per_unit_and_step_from_where_the_outbox_stands() {
    let story = full_rescue();
    let opened = &story.batches[0];
    let page = opened
        .iter()
        .find(|e| e.kind.name() == "unit_paged")
        .unwrap()
        .clone();
    let EventKind::UnitPaged { candidate, .. } = &page.kind else {
        unreachable!()
    };
    let key = (IncidentId(1), page.step.clone().unwrap(), candidate.unit);
    let mut ctx = Context::default();
    ctx.incidents.insert(IncidentId(1), opened_row(opened));
    ctx.pages.insert(key.clone(), 3);
    let w = plan(ctx, &[page.clone(), page]).unwrap();
    let numbers: Vec<_> = w
        .outbox
        .iter()
        .map(|o| (o.page_no, o.dedupe_key.clone()))
        .collect();
    let (step, unit) = (&key.1, key.2.0);
    assert_eq!(
        numbers,
        [
            (4, format!("1:{step}:{unit}:4")),
            (5, format!("1:{step}:{unit}:5"))
        ]
    );
    assert_eq!(w.outbox[0].event_seq, 1);
    assert_eq!(
        needs(&opened[1..]).pages.len(),
        2,
        "the maintainer's and the property staff's, of an incident opened before"
    );
    assert_eq!(
        needs(opened),
        Needs::default(),
        "a batch that opens its incident loads nothing"
    );
}

fn opened_row(batch: &[Event]) -> IncidentRow {
    opened(IncidentId(1), &batch[0]).unwrap()
}

#[test]
fn the_status_never_moves_back_and_an_ending_sets_ended_at() {
    let story = full_rescue();
    let events = story.events();
    let mut row = opened_row(&events);
    let by_kind = |k: &str| events.iter().find(|e| e.kind.name() == k).unwrap();
    let released = events
        .iter()
        .rfind(|e| e.kind.name() == "crew_progress")
        .unwrap();
    apply(&mut row, released);
    assert_eq!(row.status, IncidentStatus::Released);
    apply(&mut row, by_kind("accepted"));
    assert_eq!(
        row.status,
        IncidentStatus::Released,
        "an earlier step does not undo a later"
    );
    let mut needs_operator = by_kind("accepted").clone();
    needs_operator.kind = EventKind::NeedsOperator {
        why: "call 119".into(),
    };
    apply(&mut row, &needs_operator);
    assert!(row.needs_operator);
    apply(&mut row, by_kind("closed"));
    assert_eq!(row.status, IncidentStatus::Closed);
    assert_eq!(row.ended_at, Some(by_kind("closed").at));
    assert_eq!(row.updated_at, by_kind("closed").at);
}

#[test]
fn events_outside_the_plans_context_are_refused() {
    let story = full_rescue();
    let later = plan(Context::default(), &story.batches[1]);
    assert!(matches!(later, Err(StoreError::Conflict(m)) if m.contains("not been opened")));
    let twice = [story.batches[0].clone(), story.batches[0].clone()].concat();
    let again = plan(Context::default(), &twice);
    assert!(matches!(again, Err(StoreError::Conflict(m)) if m.contains("already open")));
}
