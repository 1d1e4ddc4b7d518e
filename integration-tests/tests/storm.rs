//! Storm mode over HTTP against the real server, on SQLite and, when configured, PostgreSQL:
//! a blackout in one street declares a storm by the shipped rules, the special case is served
//! first, the storm view agrees with the log, and an operator declares and ends storms.

use crate::support::{Api, Server, engines, fresh_database, seeded, settings, token};

use liftrescue::domain::Lift;
use liftrescue::store::{Role, Store};
use serde_json::{Value, json};
use std::sync::Arc;

const STREET: &str = "解放碑街道";

async fn setup(engine: &str) -> (Arc<dyn Store>, Server, Api, Api) {
    let url = fresh_database(engine).await;
    let store = seeded(&url).await;
    let server = Server::start(settings(&url, "dispatch-rules")).await;
    let gateway = Api::new(
        &server.base,
        &token(store.as_ref(), Role::Integration, None).await,
    );
    let op = Api::new(
        &server.base,
        &token(store.as_ref(), Role::Operator, None).await,
    );
    (store, server, gateway, op)
}

/// The region's maintained lifts in the street, by id.
async fn street_lifts(store: &dyn Store) -> Vec<Lift> {
    let mut lifts: Vec<Lift> = store
        .lifts(None, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.street.as_deref() == Some(STREET) && l.maintainer.is_some())
        .collect();
    lifts.sort_by_key(|l| l.id);
    lifts
}

async fn alarm(gateway: &Api, n: usize, lift: &Lift, ill: bool) -> i64 {
    let body = json!({
        "source_alarm_id": format!("blackout-{n}"),
        "channel": "iot",
        "lift": {"rescue_code": lift.rescue_code.as_str()},
        "kind": "entrapment_between_floors",
        "flags": {"person_ill": ill},
    });
    let (status, accepted) = gateway.post("/api/v1/alarms", body).await;
    assert_eq!(status, 202, "{accepted}");
    accepted["incident_id"]
        .as_i64()
        .expect("decided: an incident")
}

/// The storm view's incident ids of storm `n`, in the order it shows them.
fn view_order(view: &Value, n: u64) -> Vec<i64> {
    let storm = view["storms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == n)
        .unwrap_or_else(|| panic!("storm {n} in {view}"));
    storm["streets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["buildings"].as_array().unwrap().iter())
        .flat_map(|b| b["incidents"].as_array().unwrap().iter())
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

async fn timeline(op: &Api, id: i64) -> Vec<Value> {
    let (status, t) = op.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    assert_eq!(status, 200, "{t}");
    t.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blackout_in_one_street_declares_a_storm_and_the_person_ill_is_served_first() {
    for engine in engines() {
        let (store, _server, gateway, op) = setup(engine).await;
        let lifts = street_lifts(store.as_ref()).await;
        assert!(
            lifts.len() >= 25,
            "{engine}: the street has {}",
            lifts.len()
        );
        let mut ids = vec![];
        for (n, lift) in lifts.iter().take(24).enumerate() {
            ids.push(alarm(&gateway, n, lift, false).await);
        }
        let sick = alarm(&gateway, 24, &lifts[24], true).await;
        let (status, view) = op.get("/api/v1/storms").await;
        assert_eq!(status, 200, "{view}");
        let storm = &view["storms"][0];
        assert_eq!(storm["id"], 1, "{engine}: {view}");
        assert_eq!(storm["area"]["street"], STREET);
        assert_eq!(storm["trigger"]["type"], "rule");
        assert_eq!(storm["trigger"]["entrapments"], 20);
        // Every incident of the street is in it, the special case first.
        let order = view_order(&view, 1);
        assert_eq!(order.len(), 25, "{engine}: {order:?}");
        assert_eq!(
            order[0], sick,
            "{engine}: the person ill leads the storm view"
        );
        let first = &storm["streets"][0]["buildings"][0]["incidents"][0];
        assert_eq!(first["triage"]["tier"], 0);
        assert!(
            first["triage"]["reasons"][0]
                .as_str()
                .unwrap()
                .contains("person_ill"),
            "{first}"
        );
        // The ill passenger gets a maintainer and fire/rescue from the next solve (due half a
        // second after the last one, on the server's clock).
        let events = crate::support::eventually(5, || async {
            let t = timeline(&op, sick).await;
            let fire = t
                .iter()
                .any(|e| e["kind"] == "unit_paged" && e["step"] == "fire");
            fire.then_some(t)
        })
        .await;
        let paged: Vec<&Value> = events
            .iter()
            .filter(|e| e["kind"] == "unit_paged")
            .collect();
        let steps: Vec<&str> = paged.iter().filter_map(|e| e["step"].as_str()).collect();
        // A maintainer of any company (a special case does not wait for its own), and fire.
        assert!(
            steps.contains(&"contracted") || steps.contains(&"mutual_aid"),
            "{engine}: {steps:?}"
        );
        assert!(steps.contains(&"fire"), "{engine}: {steps:?}");
        assert!(
            paged
                .iter()
                .filter(|e| e["step"] != "property")
                .all(|e| e["reason"]
                    .as_str()
                    .unwrap()
                    .starts_with("storm 1 assignment")),
            "{engine}: {paged:?}"
        );
        // Those opened before the 20th kept their pages; every one is triaged on its record.
        for id in ids.iter().chain([&sick]) {
            let kinds: Vec<String> = timeline(&op, *id)
                .await
                .iter()
                .map(|e| e["kind"].as_str().unwrap().to_owned())
                .collect();
            assert!(
                kinds.contains(&"incident_triaged".to_owned()),
                "{engine}: {id} {kinds:?}"
            );
        }
        // Its storm decisions replay: each solve that offered it units solves again the same.
        let (status, replay) = op.get(&format!("/api/v1/incidents/{sick}/replay")).await;
        assert_eq!(status, 200, "{replay}");
        let why = replay["not_replayable"].as_str().unwrap_or_default();
        assert!(
            why.contains("each solve again to the recorded choice"),
            "{engine}: {replay}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_declares_and_ends_a_storm_and_bad_requests_change_nothing() {
    for engine in engines() {
        let (store, _server, gateway, op) = setup(engine).await;
        let area = json!({"type": "street", "district": "500103", "street": STREET});
        let (status, body) = op
            .post("/api/v1/storms", json!({"area": area, "reason": "  "}))
            .await;
        assert_eq!(status, 422, "{engine}: {body}");
        let (status, body) = op
            .post(
                "/api/v1/storms",
                json!({"area": {"type": "radius", "center": {"lat": 29.55, "lon": 106.57}, "radius_m": 5.0}, "reason": "x"}),
            )
            .await;
        assert_eq!(status, 400, "{engine}: {body}");
        let (_, view) = op.get("/api/v1/storms").await;
        assert_eq!(
            view["storms"],
            json!([]),
            "{engine}: refused, nothing declared"
        );

        let reason = "State Grid: feeder 12 down on Jiefangbei";
        let (status, declared) = op
            .post("/api/v1/storms", json!({"area": area, "reason": reason}))
            .await;
        assert_eq!(status, 201, "{engine}: {declared}");
        let n = declared["storm"].as_u64().unwrap();
        let (status, again) = op
            .post("/api/v1/storms", json!({"area": area, "reason": reason}))
            .await;
        assert_eq!(status, 409, "{engine}: {again}");

        let lifts = street_lifts(store.as_ref()).await;
        let id = alarm(&gateway, 0, &lifts[0], false).await;
        let (_, view) = op.get("/api/v1/storms").await;
        assert_eq!(view_order(&view, n), vec![id]);
        assert_eq!(view["storms"][0]["trigger"]["reason"], reason);

        let (status, body) = op
            .post("/api/v1/storms/99/end", json!({"reason": "power back"}))
            .await;
        assert_eq!(status, 404, "{engine}: {body}");
        let (status, ended) = op
            .post(
                &format!("/api/v1/storms/{n}/end"),
                json!({"reason": "power back"}),
            )
            .await;
        assert_eq!(status, 200, "{engine}: {ended}");
        assert_eq!(ended["events"][0]["kind"]["type"], "storm_ended");
        let (_, view) = op.get("/api/v1/storms").await;
        assert!(
            view["storms"][0]["ended_at"].is_string(),
            "{engine}: {view}"
        );
    }
}
