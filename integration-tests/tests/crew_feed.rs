//! A crew's live feed over real HTTP, on both engines: the unit hears of its own page at once
//! and nothing of another unit's; a phone that reconnects with `Last-Event-ID` is replayed
//! what concerns it from the log; other roles, no token and bad ids are refused and change
//! nothing. A token removed from the database (how one is revoked) ends the streams open on
//! it, a crew's and a console's, within a ping, and their reconnect is refused.

use crate::support::sse::{Feed, Frame};
use crate::support::{Api, Server, engines, fresh_database, remove_token, seeded, settings, token};
use liftrescue::store::{Role, Store};
use serde_json::{Value, json};
use std::sync::Arc;

const CREW_FEED: &str = "/api/v1/crew/feed";

pub(crate) struct Setup {
    pub url: String,
    pub store: Arc<dyn Store>,
    pub server: Server,
    pub op: Api,
    /// An open incident, and the units it paged by itself.
    pub incident: i64,
    pub paged: Vec<i64>,
}

pub(crate) async fn setup(engine: &str) -> Setup {
    let url = fresh_database(engine).await;
    let store = seeded(&url).await;
    let server = Server::start(settings(&url, "dispatch-rules")).await;
    let intake = Api::new(
        &server.base,
        &token(store.as_ref(), Role::Integration, None).await,
    );
    let op = Api::new(
        &server.base,
        &token(store.as_ref(), Role::Operator, None).await,
    );
    let lift = store.lifts(None, 1).await.unwrap().remove(0);
    let alarm = json!({"source_alarm_id": "crew-feed-1", "channel": "iot",
                       "lift": {"rescue_code": lift.rescue_code.as_str()},
                       "kind": "entrapment_between_floors"});
    let (status, body) = intake.post("/api/v1/alarms", alarm).await;
    assert_eq!(status, 202, "{body}");
    let incident = body["incident_id"].as_i64().unwrap();
    let (_, detail) = op.get(&format!("/api/v1/incidents/{incident}")).await;
    let paged = crate::support::paged_units(&detail);
    Setup {
        url,
        store,
        server,
        op,
        incident,
        paged,
    }
}

/// Two units the incident did not page by itself, each with a crew token.
async fn two_bystanders(s: &Setup) -> [(i64, String); 2] {
    let units: Vec<i64> = s
        .store
        .units()
        .await
        .unwrap()
        .iter()
        .map(|u| u.id.0)
        .filter(|id| !s.paged.contains(id))
        .take(2)
        .collect();
    assert_eq!(units.len(), 2, "the seed has units enough");
    let mut out = vec![];
    for unit in units {
        out.push((unit, token(s.store.as_ref(), Role::Crew, Some(unit)).await));
    }
    out.try_into().unwrap()
}

async fn crew_feed(base: &str, secret: &str, after: Option<i64>) -> Feed {
    let after = after.map(|n| n.to_string());
    let mut feed = Feed::open_at(base, CREW_FEED, secret, after.as_deref())
        .await
        .unwrap_or_else(|(status, body)| panic!("{status}: {body}"));
    assert_eq!(feed.next(5).await.event, "hello");
    feed
}

/// The next crew frame, checked to carry nothing but its sequence, incident and type.
async fn news(feed: &mut Feed) -> Frame {
    let f = feed.next(5).await;
    assert_eq!(f.event, "crew", "{f:?}");
    let keys: Vec<&String> = f.data.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["incident", "seq", "type"], "{f:?}");
    assert_eq!(f.id, f.data["seq"].as_i64(), "{f:?}");
    f
}

async fn head(op: &Api) -> i64 {
    let (status, board) = op.get("/api/v1/board").await;
    assert_eq!(status, 200, "{board}");
    board["seq"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crew_hears_of_its_own_page_at_once_and_nothing_of_another_units() {
    for engine in engines() {
        let s = setup(engine).await;
        let base = s.server.base.clone();
        let [(x, x_secret), (_, y_secret)] = two_bystanders(&s).await;
        let mut x_feed = crew_feed(&base, &x_secret, None).await;
        let mut y_feed = crew_feed(&base, &y_secret, None).await;

        let assign = json!({"unit": x, "reason": "the nearest crew is stuck in traffic"});
        let path = format!("/api/v1/incidents/{}/assign", s.incident);
        let (status, body) = s.op.post(&path, assign).await;
        assert_eq!(status, 200, "{engine}: {body}");
        let page = news(&mut x_feed).await;
        assert_eq!(page.data["type"], "unit_paged", "{engine}");
        assert_eq!(page.data["incident"], s.incident, "{engine}");

        // Y's own next event is the first thing Y hears: X's page never reached it.
        let y_crew = Api::new(&base, &y_secret);
        let off = json!({"on_duty": false, "reason": "shift ended"});
        assert_eq!(y_crew.post("/api/v1/crew/duty", off).await.0, 200);
        let duty = news(&mut y_feed).await;
        assert_eq!(
            (&duty.data["type"], &duty.data["incident"]),
            (&json!("unit_duty"), &Value::Null),
            "{engine}"
        );
        assert!(duty.id > page.id, "{engine}");
        s.server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crew_that_reconnects_is_replayed_what_concerns_it_from_the_log() {
    for engine in engines() {
        let s = setup(engine).await;
        let base = s.server.base.clone();
        let [(x, x_secret), (_, y_secret)] = two_bystanders(&s).await;
        let mut x_feed = crew_feed(&base, &x_secret, None).await;
        let assign = json!({"unit": x, "reason": "by hand"});
        let path = format!("/api/v1/incidents/{}/assign", s.incident);
        assert_eq!(s.op.post(&path, assign).await.0, 200, "{engine}");
        let paged = news(&mut x_feed).await.id.unwrap();
        drop(x_feed);

        // While X's phone is away: another unit's event, X's own answer, the incident noted.
        let y_crew = Api::new(&base, &y_secret);
        let off = json!({"on_duty": false, "reason": "shift ended"});
        assert_eq!(y_crew.post("/api/v1/crew/duty", off).await.0, 200);
        let x_crew = Api::new(&base, &x_secret);
        let accept = format!("/api/v1/crew/incidents/{}/accept", s.incident);
        let (status, body) = x_crew.post(&accept, json!({"eta_secs": 600})).await;
        assert_eq!(status, 200, "{engine}: {body}");
        let cancel = json!({"reason": "the caller got out by themselves"});
        let path = format!("/api/v1/incidents/{}/cancel", s.incident);
        assert_eq!(s.op.post(&path, cancel).await.0, 200, "{engine}");

        let mut back = crew_feed(&base, &x_secret, Some(paged)).await;
        let mut kinds = vec![];
        let mut last = paged;
        while kinds.last() != Some(&json!("cancelled")) {
            let f = news(&mut back).await;
            assert!(
                f.id.unwrap() > last,
                "{engine}: in log order, after {paged}"
            );
            assert_eq!(f.data["incident"], s.incident, "{engine}: {f:?}");
            last = f.id.unwrap();
            kinds.push(f.data["type"].clone());
        }
        assert_eq!(kinds[0], "accepted", "{engine}: {kinds:?}");
        assert!(
            kinds.contains(&json!("page_cancelled")),
            "{engine}: {kinds:?}"
        );
        assert!(!kinds.contains(&json!("unit_duty")), "{engine}: {kinds:?}");
        s.server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crew_far_behind_is_told_to_reset_not_replayed() {
    let s = setup("sqlite").await;
    let base = s.server.base.clone();
    let [(_, x_secret), (_, y_secret)] = two_bystanders(&s).await;
    let from = head(&s.op).await;
    // More events than a crew is replayed: another crew's shift changes.
    let y_crew = Api::new(&base, &y_secret);
    for n in 0..=liftrescue::http::feed::CREW_REPLAY_MAX {
        let duty = json!({"on_duty": n % 2 == 1, "reason": "shift change"});
        assert_eq!(y_crew.post("/api/v1/crew/duty", duty).await.0, 200);
    }
    let now = head(&s.op).await;
    assert!(now - from > liftrescue::http::feed::CREW_REPLAY_MAX);
    let mut back = crew_feed(&base, &x_secret, Some(from)).await;
    let reset = back.next(5).await;
    assert_eq!(reset.event, "reset", "{reset:?}");
    assert_eq!(reset.data["seq"], now, "{reset:?}");
    // A console as far behind is still replayed.
    let mut console = Feed::open_at(&base, "/api/v1/feed", &s.op.token, Some(&from.to_string()))
        .await
        .unwrap_or_else(|(status, body)| panic!("{status}: {body}"));
    assert_eq!(console.next(5).await.event, "hello");
    assert_eq!(console.next(5).await.event, "log");
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crew_feed_refuses_other_roles_no_token_and_bad_ids_and_changes_nothing() {
    let s = setup("sqlite").await;
    let base = s.server.base.clone();
    let before = head(&s.op).await;
    for role in [Role::Operator, Role::Investigator, Role::Admin] {
        let secret = token(s.store.as_ref(), role, None).await;
        let Err((status, body)) = Feed::open_at(&base, CREW_FEED, &secret, None).await else {
            panic!("{role:?} may not follow a crew's feed");
        };
        assert_eq!(status, 403, "{role:?}: {body}");
        assert!(body["error"]["code"].is_string(), "{body}");
    }
    let Err((status, _)) = Feed::open_at(&base, CREW_FEED, "no-such-token", None).await else {
        panic!("an unknown token");
    };
    assert_eq!(status, 401);
    let bare = reqwest::get(format!("{base}{CREW_FEED}")).await.unwrap();
    assert_eq!(bare.status().as_u16(), 401);

    let [(_, secret), _] = two_bystanders(&s).await;
    let past_the_end = (before + 1_000).to_string();
    for bad in ["abc", "-1", "1.5", past_the_end.as_str()] {
        let Err((status, body)) = Feed::open_at(&base, CREW_FEED, &secret, Some(bad)).await else {
            panic!("`{bad}` is not a place in the log");
        };
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Last-Event-ID")
                || body.to_string().contains("Last-Event-ID"),
            "{bad}: {body}"
        );
    }
    assert_eq!(head(&s.op).await, before, "nothing went on the record");
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_token_ends_its_open_stream_within_a_ping_and_its_reconnect_is_refused() {
    // Ending within a ping, plus room for a slow machine.
    let within = liftrescue::http::feed::PING_EVERY.as_secs() + 10;
    for engine in engines() {
        let s = setup(engine).await;
        let base = s.server.base.clone();
        let [(_, x_secret), (_, y_secret)] = two_bystanders(&s).await;
        let console_secret = token(s.store.as_ref(), Role::Operator, None).await;
        let mut x_feed = crew_feed(&base, &x_secret, None).await;
        let mut y_feed = crew_feed(&base, &y_secret, None).await;
        let mut console = Feed::open(&base, &console_secret, None)
            .await
            .unwrap_or_else(|(status, body)| panic!("{status}: {body}"));
        assert_eq!(console.next(5).await.event, "hello", "{engine}");

        // The admin removes X's token and the console's; Y's stays.
        remove_token(&s.url, &x_secret).await;
        remove_token(&s.url, &console_secret).await;
        x_feed.until_end(within).await;
        console.until_end(within).await;
        for (path, secret) in [(CREW_FEED, &x_secret), ("/api/v1/feed", &console_secret)] {
            let Err((status, body)) = Feed::open_at(&base, path, secret, None).await else {
                panic!("{engine}: {path} with a removed token");
            };
            assert_eq!(status, 401, "{engine}: {path}: {body}");
        }

        // Y's stream, on a token still there, goes on: its next own event reaches it.
        let y_crew = Api::new(&base, &y_secret);
        let off = json!({"on_duty": false, "reason": "shift ended"});
        assert_eq!(y_crew.post("/api/v1/crew/duty", off).await.0, 200);
        assert_eq!(
            news(&mut y_feed).await.data["type"],
            "unit_duty",
            "{engine}"
        );
        s.server.stop().await;
    }
}
