//! A whole incident over HTTP against the real server (`service::run` on a port-0 listener),
//! on SQLite and, when configured, PostgreSQL.

use crate::support::{Api, Server, engines, eventually, fresh_database, seeded, settings, token};
use liftrescue::domain::Lift;
use liftrescue::store::{Role, Store};
use serde_json::{Value, json};
use std::sync::Arc;

fn kinds(timeline: &Value) -> Vec<String> {
    timeline
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A fresh database of `engine` with the small region, a lift with a maintenance company, and
/// the server running on it with `rules`.
async fn setup(engine: &str, rules: &str) -> (Arc<dyn Store>, Lift, Server) {
    let url = fresh_database(engine).await;
    let store = seeded(&url).await;
    let lifts = store.lifts(None, 500).await.unwrap();
    let lift = lifts.into_iter().find(|l| l.maintainer.is_some()).unwrap();
    let server = Server::start(settings(&url, rules)).await;
    (store, lift, server)
}

async fn first_paged_unit(op: &Api, incident: i64) -> i64 {
    let (status, body) = op.get(&format!("/api/v1/incidents/{incident}")).await;
    assert_eq!(status, 200, "{body}");
    body["live"]["steps"][0]["pages"][0]["unit"]
        .as_i64()
        .unwrap_or_else(|| panic!("no page: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_incident_runs_over_http_from_alarm_to_close_with_its_timeline() {
    for engine in engines() {
        let (store, lift, server) = setup(engine, "dispatch-rules").await;
        let gateway = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Integration, None).await,
        );
        let op = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Operator, None).await,
        );
        let investigator = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Investigator, None).await,
        );

        let alarm = json!({"source_alarm_id": "gw-1", "channel": "cabin_phone", "lift": {"rescue_code": lift.rescue_code.as_str()}, "kind": "entrapment_between_floors"});
        let (status, accepted) = gateway.post("/api/v1/alarms", alarm.clone()).await;
        assert_eq!(status, 202, "{engine}: {accepted}");
        let incident = accepted["incident_id"]
            .as_i64()
            .unwrap_or_else(|| panic!("{engine}: no incident id: {accepted}"));
        // The same source alarm again is the same alarm.
        let (status, again) = gateway.post("/api/v1/alarms", alarm).await;
        assert_eq!(
            (
                status,
                again["alarm_id"].clone(),
                again["duplicate"].clone()
            ),
            (202, accepted["alarm_id"].clone(), json!(true))
        );

        let unit = first_paged_unit(&op, incident).await;
        let crew = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Crew, Some(unit)).await,
        );
        let path = |a: &str| format!("/api/v1/crew/incidents/{incident}/{a}");
        assert_eq!(
            crew.post(&path("accept"), json!({"eta_secs": 480})).await.0,
            200
        );
        assert_eq!(crew.post(&path("en-route"), json!({})).await.0, 200);
        assert_eq!(crew.post(&path("on-scene"), json!({})).await.0, 200);
        assert_eq!(crew.post(&path("released"), json!({})).await.0, 200);
        let op_path = |a: &str| format!("/api/v1/incidents/{incident}/{a}");
        assert_eq!(
            op.post(
                &op_path("confirm-release"),
                json!({"note": "caller confirms both out"})
            )
            .await
            .0,
            200
        );
        assert_eq!(
            op.post(
                &op_path("fault-cause"),
                json!({"code": "door-lock", "text": "contact worn"})
            )
            .await
            .0,
            200
        );
        assert_eq!(op.post(&op_path("close"), json!({})).await.0, 200);

        let (status, timeline) = investigator
            .get(&format!("/api/v1/incidents/{incident}/timeline"))
            .await;
        assert_eq!(status, 200, "{timeline}");
        let k = kinds(&timeline);
        let expected = [
            "incident_opened",
            "step_started",
            "unit_paged",
            "accepted",
            "crew_progress",
            "release_confirmed",
            "fault_cause_filed",
            "closed",
        ];
        let mut at = 0;
        for e in expected {
            at += k[at..]
                .iter()
                .position(|x| x == e)
                .unwrap_or_else(|| panic!("{engine}: {e} missing after {at} in {k:?}"));
        }
        let rows = timeline.as_array().unwrap();
        assert!(rows.iter().all(|r| {
            r["rules_version"]
                .as_str()
                .is_some_and(|v| v.starts_with("sha256:"))
        }));
        let (_, row) = op.get(&format!("/api/v1/incidents/{incident}")).await;
        assert_eq!(row["incident"]["status"], "closed", "{engine}");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unacknowledged_page_escalates_on_time_with_second_long_deadlines() {
    for engine in engines() {
        let (store, lift, server) = setup(engine, "integration-tests/fixtures/fast-rules").await;
        let op = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Operator, None).await,
        );
        let alarm = json!({"source_alarm_id": "iot-9", "channel": "iot", "lift": {"id": lift.id.0}, "kind": "entrapment_at_landing"});
        let (status, accepted) = op.post("/api/v1/alarms", alarm).await;
        assert_eq!(status, 202, "{accepted}");
        let incident = accepted["incident_id"].as_i64().expect("incident id");
        // Nobody answers: the 2-second acknowledgement deadline passes and the next nearest
        // maintainer of the same company is paged.
        let timeline = eventually(15, || async {
            let (_, t) = op
                .get(&format!("/api/v1/incidents/{incident}/timeline"))
                .await;
            let pages = kinds(&t).iter().filter(|k| *k == "unit_paged").count();
            (kinds(&t).contains(&"ack_missed".to_owned()) && pages >= 2).then_some(t)
        })
        .await;
        let missed = timeline
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "ack_missed")
            .unwrap()
            .clone();
        let due =
            chrono::DateTime::parse_from_rfc3339(missed["body"]["kind"]["due"].as_str().unwrap())
                .unwrap();
        let at = chrono::DateTime::parse_from_rfc3339(missed["at"].as_str().unwrap()).unwrap();
        let late = (at - due).num_milliseconds();
        assert!(
            (0..1500).contains(&late),
            "{engine}: fired {late} ms after it was due"
        );
        let paged: Vec<i64> = timeline
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "unit_paged")
            .map(|e| e["body"]["kind"]["candidate"]["unit"].as_i64().unwrap())
            .collect();
        assert_ne!(paged[0], paged[1], "{engine}: a different unit is paged");
        server.stop().await;
    }
}
