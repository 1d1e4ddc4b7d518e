//! The event log: append, hash chain, immutability, verification, a second writer.

use super::conformance;
use super::scenarios::{Story, full_rescue};
use crate::domain::{Actor, Event, EventKind, IncidentId, UnitId};
use crate::store::chain::{GENESIS, verify_log};
use crate::store::{Store, StoreError, StoredEvent};

/// Puts the story's alarms in the inbox and appends its batches; returns every stored row.
pub async fn replay(store: &dyn Store, story: &Story) -> Vec<StoredEvent> {
    for a in story.alarms() {
        store.insert_alarm(&a, a.occurred_at).await.unwrap();
    }
    let mut rows = Vec::new();
    for batch in &story.batches {
        rows.extend(store.append(batch).await.unwrap());
    }
    rows
}

/// A unit going off or on duty (an event outside any incident).
pub fn duty(unit: i64, on_duty: bool) -> Event {
    Event {
        incident: None,
        at: crate::dispatch::tests::t0(),
        actor: Actor::Unit(UnitId(unit)),
        step: None,
        rules_version: None,
        reason: "shift change".into(),
        kind: EventKind::UnitDuty {
            unit: UnitId(unit),
            on_duty,
        },
    }
}

/// Fifteen duty changes of one unit, one append each.
async fn toggle(store: &dyn Store, unit: i64) {
    for i in 0..15 {
        store.append(&[duty(unit, i % 2 == 0)]).await.unwrap();
    }
}

conformance!(
    appends_chain_across_batches_and_read_back_as_written,
    |db| {
        let s = db.store();
        let story = full_rescue();
        let rows = replay(s, &story).await;
        assert_eq!(rows.len(), story.events().len());
        let mut prev = GENESIS.to_owned();
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.seq, i as i64 + 1);
            assert_eq!(row.incident_seq, Some(i as i64 + 1));
            assert_eq!(row.prev_hash, prev);
            prev.clone_from(&row.hash);
        }
        let events: Vec<Event> = rows.iter().map(|r| r.event.clone()).collect();
        assert_eq!(
            events,
            story.events(),
            "the log gives back what the core decided"
        );
        assert_eq!(s.log_page(0, 1_000).await.unwrap(), rows);
        assert_eq!(s.log_page(3, 2).await.unwrap(), rows[3..5].to_vec());
        assert_eq!(s.timeline(IncidentId(1)).await.unwrap(), rows);
        assert!(s.timeline(IncidentId(2)).await.unwrap().is_empty());
        let report = verify_log(s).await.unwrap();
        assert!(report.is_intact(), "{report:?}");
        assert_eq!(
            (report.rows, report.last_seq),
            (rows.len() as u64, rows.len() as i64)
        );
    }
);

conformance!(an_empty_append_writes_nothing, |db| {
    assert!(db.store().append(&[]).await.unwrap().is_empty());
    assert!(db.store().log_page(0, 10).await.unwrap().is_empty());
    assert_eq!(verify_log(db.store()).await.unwrap().rows, 0);
});

conformance!(the_log_refuses_update_and_delete, |db| {
    replay(db.store(), &full_rescue()).await;
    let update = db
        .raw("UPDATE events SET reason = 'nothing happened' WHERE seq = 2")
        .await;
    let e = update.expect_err("UPDATE on the log is refused");
    assert!(e.to_string().contains("append-only"), "{e}");
    let delete = db.raw("DELETE FROM events WHERE seq = 2").await;
    assert!(
        delete
            .expect_err("DELETE is refused")
            .to_string()
            .contains("append-only")
    );
    if db.engine() == "postgres" {
        let truncate = db.raw("TRUNCATE events CASCADE").await;
        assert!(
            truncate
                .expect_err("TRUNCATE is refused")
                .to_string()
                .contains("append-only")
        );
    }
    assert!(verify_log(db.store()).await.unwrap().is_intact());
});

conformance!(
    a_reason_changed_behind_the_stores_back_is_found_by_its_seq,
    |db| {
        replay(db.store(), &full_rescue()).await;
        let n = db
            .tamper("UPDATE events SET reason = 'nothing happened' WHERE seq = 3")
            .await;
        assert_eq!(n, 1);
        let report = verify_log(db.store()).await.unwrap();
        let broken = report.broken.expect("the change is detected");
        assert_eq!((broken.seq, report.last_seq), (3, 2));
        assert!(broken.why.contains("columns disagree"), "{broken}");
    }
);

conformance!(
    a_body_changed_behind_the_stores_back_is_found_by_its_seq,
    |db| {
        let rows = replay(db.store(), &full_rescue()).await;
        let seq = rows
            .iter()
            .find(|r| r.body.contains("caller confirms"))
            .unwrap()
            .seq;
        let sql = format!(
            "UPDATE events SET body = replace(body, 'caller confirms', 'caller denies') \
         WHERE seq = {seq}"
        );
        assert_eq!(db.tamper(&sql).await, 1);
        let broken = verify_log(db.store()).await.unwrap().broken.unwrap();
        assert_eq!(broken.seq, seq);
        assert!(broken.why.contains("hash does not match"), "{broken}");
    }
);

conformance!(
    a_row_that_no_longer_reads_as_an_event_is_found_by_its_seq,
    |db| {
        replay(db.store(), &full_rescue()).await;
        assert_eq!(
            db.tamper("UPDATE events SET kind = 'note' WHERE seq = 2")
                .await,
            1
        );
        let broken = verify_log(db.store()).await.unwrap().broken.unwrap();
        assert_eq!(broken.seq, 2);
        assert!(broken.why.contains("event log row 2"), "{broken}");
    }
);

conformance!(a_deleted_row_is_found_by_the_seq_it_held, |db| {
    replay(db.store(), &full_rescue()).await;
    db.tamper("DELETE FROM outbox WHERE event_seq = 4").await;
    assert_eq!(db.tamper("DELETE FROM events WHERE seq = 4").await, 1);
    let broken = verify_log(db.store()).await.unwrap().broken.unwrap();
    assert_eq!(broken.seq, 4);
});

conformance!(
    a_writer_chaining_from_a_stale_head_is_refused_as_a_fork,
    |db| {
        let s = db.store();
        let first = s.append(&[duty(1, false)]).await.unwrap();
        let head = first.last().map(|r| (r.seq, r.hash.clone()));
        s.append(&[duty(1, true)]).await.unwrap();
        let forked = db.append_after(head.clone(), &[duty(2, false)]).await;
        assert!(matches!(forked, Err(StoreError::ChainForked)), "{forked:?}");
        // The right next seq but the old head's hash: UNIQUE (prev_hash) alone refuses it.
        let stale_hash = head.map(|(_, hash)| (2, hash));
        let forked = db.append_after(stale_hash, &[duty(2, false)]).await;
        assert!(matches!(forked, Err(StoreError::ChainForked)), "{forked:?}");
        let report = verify_log(s).await.unwrap();
        assert!(report.is_intact());
        assert_eq!(report.rows, 2);
    }
);

conformance!(
    two_stores_appending_at_once_serialise_into_one_chain,
    |db| {
        let other = db.second_store().await;
        tokio::join!(toggle(db.store(), 1), toggle(other.as_ref(), 2));
        let report = verify_log(db.store()).await.unwrap();
        assert!(report.is_intact(), "{report:?}");
        assert_eq!(report.rows, 30);
    }
);

conformance!(
    batches_opening_incidents_from_two_stores_chain_into_one_log,
    |db| {
        // On PostgreSQL each store knows the head it last wrote and appends an opening batch
        // in one statement; the other store's appends make that head stale, so each store's
        // next batch is refused by the log's constraints and goes the locked way.
        let mut story = Story::new();
        for lift in 1..=4 {
            story.run(|w| crate::store::tests::scenarios::alarm(w, lift, Some(1)));
        }
        for a in story.alarms() {
            db.store().insert_alarm(&a, a.occurred_at).await.unwrap();
        }
        let other = db.second_store().await;
        let writers = [db.store(), other.as_ref(), db.store(), other.as_ref()];
        let mut rows = Vec::new();
        for (store, batch) in writers.into_iter().zip(&story.batches) {
            assert!(
                batch
                    .iter()
                    .any(|e| matches!(e.kind, EventKind::IncidentOpened { .. })),
                "each batch opens an incident"
            );
            rows.extend(store.append(batch).await.unwrap());
        }
        let report = verify_log(db.store()).await.unwrap();
        assert!(report.is_intact(), "{report:?}");
        assert_eq!(report.rows, story.events().len() as u64);
        let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (1..=rows.len() as i64).collect::<Vec<_>>());
        assert_eq!(db.count("SELECT COUNT(*) FROM incidents").await, 4);
        assert_eq!(
            db.count("SELECT COUNT(*) FROM alarms WHERE processed_at IS NOT NULL AND incident_id IS NOT NULL").await,
            4
        );
        let paged = story
            .events()
            .iter()
            .filter(|e| matches!(e.kind, EventKind::UnitPaged { .. }))
            .count() as i64;
        assert!(paged > 0);
        assert_eq!(db.count("SELECT COUNT(*) FROM outbox").await, paged);
        // The same batch again: refused as a conflict, nothing written.
        let again = other.append(&story.batches[3]).await;
        assert!(
            matches!(&again, Err(StoreError::Conflict(m)) if m.contains("already open")),
            "{again:?}"
        );
        assert_eq!(
            verify_log(db.store()).await.unwrap().rows,
            story.events().len() as u64
        );
    }
);

/// What only PostgreSQL has: the one-statement append takes an opening batch while the store
/// knows the head, and leaves the batch to the locked path, writing nothing, when it does not.
#[tokio::test]
async fn on_postgres_an_opening_batch_is_one_statement_unless_the_head_moved() {
    let Some(db) = super::TestDb::postgres().await else {
        return;
    };
    let pg = db.postgres_store().expect("a PostgreSQL store");
    let mut story = Story::new();
    for lift in 1..=4 {
        story.run(|w| crate::store::tests::scenarios::alarm(w, lift, Some(1)));
    }
    for a in story.alarms() {
        pg.insert_alarm(&a, a.occurred_at).await.unwrap();
    }
    let b = &story.batches;
    let taken = pg.append_opening(&b[0], &[]).await.unwrap();
    assert_eq!(taken.map(|(rows, _)| rows.len()), Some(b[0].len()));
    // Another writer moves the head: this store's statement is refused, nothing is written.
    db.second_store().await.append(&b[1]).await.unwrap();
    let events = "SELECT COUNT(*) FROM events";
    let before = db.count(events).await;
    assert!(pg.append_opening(&b[2], &[]).await.unwrap().is_none());
    assert_eq!(db.count(events).await, before);
    // The locked path takes it, and the store knows the head again.
    pg.append(&b[2]).await.unwrap();
    assert!(pg.append_opening(&b[3], &[]).await.unwrap().is_some());
    // A batch of an incident this store does not know needs its rows loaded: the locked path.
    let later = full_rescue().batches[1].clone();
    assert!(pg.append_opening(&later, &[]).await.unwrap().is_none());
    let report = verify_log(pg).await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.rows, story.events().len() as u64);
}

/// PostgreSQL's one statement also takes a batch that moves on an incident this store last
/// wrote, from the row it keeps; when another writer has moved that incident on since, even
/// with the head known again, the statement is refused and writes nothing, and the locked path
/// takes the batch.
#[tokio::test]
async fn on_postgres_a_batch_moving_on_a_known_incident_is_one_statement_unless_moved_past() {
    let Some(db) = super::TestDb::postgres().await else {
        return;
    };
    let pg = db.postgres_store().expect("a PostgreSQL store");
    let story = full_rescue();
    for a in story.alarms() {
        pg.insert_alarm(&a, a.occurred_at).await.unwrap();
    }
    // Opened; accepted (its page stops ringing: the locked path); en route, on scene,
    // released; release confirmed; closed.
    let b = &story.batches;
    assert_eq!(b.len(), 7);
    assert!(pg.append_opening(&b[0], &[]).await.unwrap().is_some());
    assert!(pg.append_opening(&b[1], &[]).await.unwrap().is_none());
    pg.append(&b[1]).await.unwrap();
    let taken = pg.append_opening(&b[2], &[]).await.unwrap();
    assert_eq!(taken.map(|(rows, _)| rows.len()), Some(b[2].len()));
    let is = |status: &str| {
        format!("SELECT COUNT(*) FROM incidents WHERE id = 1 AND status = '{status}'")
    };
    assert_eq!(db.count(&is("en_route")).await, 1);
    // Another writer moves the incident on; this store's next append (of no incident, so the
    // locked path) makes the head known again, but not the incident.
    db.second_store().await.append(&b[3]).await.unwrap();
    pg.append(&[duty(1, false)]).await.unwrap();
    let events = "SELECT COUNT(*) FROM events";
    let before = db.count(events).await;
    assert!(pg.append_opening(&b[4], &[]).await.unwrap().is_none());
    assert_eq!(db.count(events).await, before);
    assert_eq!(db.count(&is("on_scene")).await, 1);
    // The locked path takes it, and the incident is known again.
    pg.append(&b[4]).await.unwrap();
    assert!(pg.append_opening(&b[5], &[]).await.unwrap().is_some());
    pg.append(&b[6]).await.unwrap();
    let report = verify_log(pg).await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.rows, story.events().len() as u64 + 1);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM incidents WHERE id = 1 AND status = 'closed' AND ended_at IS NOT NULL").await,
        1
    );
}

/// PostgreSQL stores a large body compressed with LZ4 (migration 0013), and reads it back byte
/// for byte: the chain verifies.
#[tokio::test]
async fn on_postgres_a_large_body_is_stored_with_lz4_and_read_back_as_written() {
    let Some(db) = super::TestDb::postgres().await else {
        return;
    };
    let text: String = (0..400).map(|i| format!("floor {i} checked; ")).collect();
    let mut note = duty(1, true);
    note.kind = EventKind::Note { text };
    let rows = db.store().append(&[note.clone()]).await.unwrap();
    assert_eq!(db.store().log_page(0, 10).await.unwrap(), rows);
    assert_eq!(rows[0].event, note);
    let lz4 = "SELECT COUNT(*) FROM events WHERE pg_column_compression(body) = 'lz4'";
    assert_eq!(db.count(lz4).await, 1, "the body is compressed with LZ4");
    assert!(verify_log(db.store()).await.unwrap().is_intact());
}
