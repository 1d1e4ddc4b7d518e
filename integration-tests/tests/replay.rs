//! Replay against the real server on both engines: an incident driven through the API (a
//! decline, the next unit's whole rescue, the operator's callback and close), then
//! `GET /api/v1/incidents/{id}/replay` and `liftrescue replay` on the same database both say
//! identical.

use crate::support::process::run;
use crate::support::{Api, Server, engines, fresh_database, seeded, settings, token};
use liftrescue::store::{Role, Store};
use serde_json::{Value, json};

/// The unit paged after `first` in the operator's view of an incident, if one was.
fn paged_after(detail: &Value, first: i64) -> Option<i64> {
    detail["live"]["steps"].as_array()?.iter().find_map(|step| {
        step["pages"].as_array()?.iter().find_map(|p| {
            (p["unit"] != first && p["state"] == "pending").then(|| p["unit"].as_i64())?
        })
    })
}

async fn crew(server: &Server, store: &dyn Store, unit: i64) -> Api {
    Api::new(&server.base, &token(store, Role::Crew, Some(unit)).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_driven_through_the_api_replays_identical_over_http_and_on_the_command_line() {
    for engine in engines() {
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let lifts = store.lifts(None, 500).await.unwrap();
        let lift = lifts.into_iter().find(|l| l.maintainer.is_some()).unwrap();
        let server = Server::start(settings(&url, "dispatch-rules")).await;
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
        let alarm = json!({"source_alarm_id": "rp-1", "channel": "cabin_phone", "lift": {"rescue_code": lift.rescue_code.as_str()}, "kind": "entrapment_between_floors"});
        let (status, accepted) = gateway.post("/api/v1/alarms", alarm).await;
        assert_eq!(status, 202, "{engine}: {accepted}");
        let incident = accepted["incident_id"].as_i64().unwrap();
        let (_, detail) = op.get(&format!("/api/v1/incidents/{incident}")).await;
        let first = detail["live"]["steps"][0]["pages"][0]["unit"]
            .as_i64()
            .unwrap_or_else(|| panic!("{engine}: no page: {detail}"));
        let path = |a: &str| format!("/api/v1/crew/incidents/{incident}/{a}");

        let declined = crew(&server, store.as_ref(), first)
            .await
            .post(
                &path("decline"),
                json!({"reason": "another job across the river"}),
            )
            .await;
        assert_eq!(declined.0, 200, "{engine}: {}", declined.1);
        let (_, detail) = op.get(&format!("/api/v1/incidents/{incident}")).await;
        let next = paged_after(&detail, first)
            .unwrap_or_else(|| panic!("{engine}: nobody paged after the decline: {detail}"));
        let next = crew(&server, store.as_ref(), next).await;
        for (action, body) in [
            ("accept", json!({"eta_secs": 600})),
            ("en-route", json!({})),
            ("on-scene", json!({})),
            ("released", json!({})),
        ] {
            let (status, body) = next.post(&path(action), body).await;
            assert_eq!(status, 200, "{engine} {action}: {body}");
        }
        let op_path = |a: &str| format!("/api/v1/incidents/{incident}/{a}");
        for (action, body) in [
            ("notes", json!({"text": "caller: both out, unhurt"})),
            ("confirm-release", json!({"note": "called back"})),
            ("close", json!({})),
        ] {
            let (status, body) = op.post(&op_path(action), body).await;
            assert!((200..300).contains(&status), "{engine} {action}: {body}");
        }

        let (status, replay) = investigator.get(&op_path("replay")).await;
        assert_eq!(status, 200, "{engine}: {replay}");
        assert_eq!(replay["identical"], true, "{engine}: {replay}");
        let decisions = replay["decisions"].as_u64().unwrap();
        assert!(decisions >= 10, "{engine}: {replay}");
        let (status, _) = investigator.get("/api/v1/incidents/999999/replay").await;
        assert_eq!(status, 404, "{engine}");

        let env = [("LIFTRESCUE_DATABASE_URL", url.as_str())];
        let id = incident.to_string();
        let (code, out, err) = run(&["replay", &id], &env);
        assert_eq!(code, Some(0), "{engine}: {out}{err}");
        assert!(
            out.contains(&format!("replayed {decisions} decisions")) && out.contains("identical"),
            "{engine}: {out}"
        );
        let (code, out, err) = run(&["replay", "--json", &id], &env);
        assert_eq!(code, Some(0), "{engine}: {err}");
        let json: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json, replay, "{engine}: the command line and the API agree");
        let (code, _, err) = run(&["replay", "999999"], &env);
        assert_eq!(code, Some(2), "{engine}: {err}");
        assert!(err.contains("not in the log"), "{err}");
        server.stop().await;
    }
}
