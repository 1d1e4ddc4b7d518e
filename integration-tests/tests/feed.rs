//! The console's live feed over real HTTP, on both engines: a console that reconnects with
//! `Last-Event-ID` gets exactly the events it missed, in order and as the log holds them; a
//! console that stops reading holds up neither the desk nor the other consoles, and gets
//! everything when it reads again; bad ids and the wrong roles are refused.

use crate::support::sse::{Feed, Frame};
use crate::support::{Api, Server, engines, fresh_database, seeded, settings, token};
use liftrescue::store::{Role, Store};
use serde_json::{Value, json};
use std::sync::Arc;

async fn setup(engine: &str) -> (Arc<dyn Store>, Server, Api, String) {
    let url = fresh_database(engine).await;
    let store = seeded(&url).await;
    let server = Server::start(settings(&url, "dispatch-rules")).await;
    let gateway = Api::new(
        &server.base,
        &token(store.as_ref(), Role::Integration, None).await,
    );
    let operator = token(store.as_ref(), Role::Operator, None).await;
    (store, server, gateway, operator)
}

/// Posts an entrapment alarm for each lift in turn (from `from`) until the log has passed
/// `until`; the log's head.
async fn alarms_until(store: &dyn Store, gateway: &Api, op: &Api, until: i64) -> i64 {
    let lifts = store.lifts(None, 300).await.unwrap();
    for (n, lift) in lifts.iter().enumerate() {
        let alarm = json!({"source_alarm_id": format!("feed-{n}"), "channel": "iot",
                           "lift": {"rescue_code": lift.rescue_code.as_str()},
                           "kind": "entrapment_between_floors"});
        let (status, body) = gateway.post("/api/v1/alarms", alarm).await;
        assert_eq!(status, 202, "{body}");
        let head = board_seq(op).await;
        if head >= until {
            return head;
        }
    }
    panic!("300 alarms did not make {until} events");
}

async fn board_seq(op: &Api) -> i64 {
    let (status, board) = op.get("/api/v1/board").await;
    assert_eq!(status, 200, "{board}");
    board["seq"].as_i64().unwrap()
}

fn seqs(frames: &[Frame]) -> Vec<i64> {
    frames.iter().map(|f| f.id.unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_that_reconnects_gets_exactly_the_events_it_missed_in_order() {
    for engine in engines() {
        let (store, server, gateway, operator) = setup(engine).await;
        let op = Api::new(&server.base, &operator);
        // A console follows from the start; another leaves after the first alarm.
        let mut staying = Feed::open(&server.base, &operator, None).await.unwrap();
        let hello = staying.next(5).await;
        assert_eq!(
            (hello.event.as_str(), &hello.data["seq"]),
            ("hello", &json!(0))
        );
        let mut leaving = Feed::open(&server.base, &operator, None).await.unwrap();
        assert_eq!(leaving.next(5).await.event, "hello");
        let first = alarms_until(store.as_ref(), &gateway, &op, 1).await;
        let (seen, _) = leaving.log_until(first, 5).await;
        assert_eq!(seqs(&seen), (1..=first).collect::<Vec<_>>(), "{engine}");
        drop(leaving);

        // 1,000 events and more while it is away.
        let posted = alarms_until(store.as_ref(), &gateway, &op, first + 1_000).await;
        let mut back = Feed::open(&server.base, &operator, Some(&first.to_string()))
            .await
            .unwrap();
        let hello = back.next(5).await;
        // The head as the server says it: the desk may have logged more since the board was
        // read (a storm's solve, a deadline).
        let head = hello.data["seq"].as_i64().unwrap();
        assert!(
            head >= posted,
            "{engine}: hello names the head, {head} < {posted}"
        );
        let (missed, others) = back.log_until(head, 30).await;
        assert!(others.is_empty(), "{engine}: {others:?}");
        assert_eq!(
            seqs(&missed),
            (first + 1..=head).collect::<Vec<_>>(),
            "{engine}: exactly the missed events, in order"
        );
        // Then the rows of the incidents they touched, as the board has them now.
        let rows = back.next(10).await;
        assert_eq!(rows.event, "rows", "{engine}: {rows:?}");
        let touched: std::collections::BTreeSet<i64> = missed
            .iter()
            .filter_map(|f| f.data["event"]["incident"].as_i64())
            .collect();
        let row_ids: std::collections::BTreeSet<i64> = rows.data["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(row_ids, touched, "{engine}");

        // The replayed events are the live ones, byte for byte, and what the log holds.
        let (live, _) = staying.log_until(head, 30).await;
        assert_eq!(seqs(&live), (1..=head).collect::<Vec<_>>(), "{engine}");
        for (replayed, live) in missed.iter().zip(&live[first as usize..]) {
            assert_eq!(replayed.data["event"], live.data["event"], "{engine}");
        }
        let last_frame = missed
            .iter()
            .rev()
            .find(|f| f.data["event"]["incident"].is_i64())
            .unwrap();
        let (last, last_seq) = (&last_frame.data["event"], last_frame.id.unwrap());
        let incident = last["incident"].as_i64().unwrap();
        let (_, timeline) = op
            .get(&format!("/api/v1/incidents/{incident}/timeline"))
            .await;
        let stored = timeline
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["seq"] == last_seq)
            .unwrap_or_else(|| panic!("{engine}: seq {last_seq} in {timeline}"));
        assert_eq!(
            &stored["body"], last,
            "{engine}: the feed carries the log's event"
        );
        // Live frames carry their incident's row; it agrees with the board.
        let with_row = live
            .iter()
            .rev()
            .find(|f| f.data["row"].is_object())
            .unwrap();
        let id = with_row.data["row"]["id"].as_i64().unwrap();
        let (_, board) = op.get(&format!("/api/v1/board?ids={id}")).await;
        assert_eq!(
            board["incidents"][0]["status"], with_row.data["row"]["status"],
            "{engine}"
        );
        drop((staying, back));
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_that_stops_reading_slows_nothing_and_misses_nothing() {
    let engine = *engines().last().unwrap();
    let (store, server, gateway, operator) = setup(engine).await;
    let op = Api::new(&server.base, &operator);
    // Connected, then never read while the alarms come in.
    let mut stalled = Feed::open(&server.base, &operator, None).await.unwrap();
    let head = alarms_until(store.as_ref(), &gateway, &op, 2_000).await;
    // Every alarm was decided meanwhile: each POST above answered with its incident, and the
    // board holds them.
    let (_, board) = op.get("/api/v1/board").await;
    assert!(
        board["incidents"].as_array().unwrap().len() > 100,
        "{engine}"
    );
    // Reading again, it gets every event, in order, with no gap.
    let hello = stalled.next(5).await;
    assert_eq!(hello.event, "hello");
    let (all, _) = stalled.log_until(head, 60).await;
    assert_eq!(seqs(&all), (1..=head).collect::<Vec<_>>(), "{engine}");
    drop(stalled);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_refuses_bad_ids_and_other_roles_with_json_errors() {
    let (store, server, gateway, operator) = setup("sqlite").await;
    let op = Api::new(&server.base, &operator);
    alarms_until(store.as_ref(), &gateway, &op, 1).await;
    let head = board_seq(&op).await;
    for bad in ["abc", "-1", "1.5", "", &(head + 1).to_string()] {
        let Err((status, body)) = Feed::open(&server.base, &operator, Some(bad)).await else {
            panic!("Last-Event-ID `{bad}` was taken");
        };
        assert_eq!(status, 400, "`{bad}`: {body}");
        assert_eq!(body["error"]["field"], "Last-Event-ID", "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().len() > 10,
            "{body}"
        );
    }
    // The head itself is fine: nothing missed.
    let mut feed = Feed::open(&server.base, &operator, Some(&head.to_string()))
        .await
        .unwrap();
    assert_eq!(feed.next(5).await.event, "hello");
    let investigator = token(store.as_ref(), Role::Investigator, None).await;
    assert!(Feed::open(&server.base, &investigator, None).await.is_ok());
    for (role, unit) in [
        (Role::Crew, Some(1)),
        (Role::Integration, None),
        (Role::Admin, None),
    ] {
        let t = token(store.as_ref(), role, unit).await;
        let Err((status, body)) = Feed::open(&server.base, &t, None).await else {
            panic!("{role:?} may follow the feed");
        };
        assert_eq!(status, 403, "{role:?}: {body}");
    }
    let Err((status, _)) = Feed::open(&server.base, "no-such-token", None).await else {
        panic!("an unknown token may follow the feed");
    };
    assert_eq!(status, 401);
    let (status, body) = op.get("/api/v1/board?ids=1,x").await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &Value::from("ids")),
        "{body}"
    );
    // Stopping the server ends the stream at once rather than waiting for the console to go.
    let stopping = tokio::spawn(server.stop());
    feed.until_end(10).await;
    tokio::time::timeout(std::time::Duration::from_secs(10), stopping)
        .await
        .expect("the server stops with a console connected")
        .unwrap();
}
