//! A crew acting on an incident it was not paged for is told so (403), not "not found", and
//! nothing goes on the record; an incident that does not exist stays 404.

use crate::support::{Api, Server, engines, fresh_database, seeded, settings, token};
use liftrescue::domain::EventKind;
use liftrescue::store::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crew_not_paged_for_an_incident_is_told_so_and_nothing_is_recorded() {
    for engine in engines() {
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let lift = store.lifts(None, 500).await.unwrap();
        let lift = lift.into_iter().find(|l| l.maintainer.is_some()).unwrap();
        let server = Server::start(settings(&url, "dispatch-rules")).await;
        let gateway = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Integration, None).await,
        );
        let alarm = json!({"source_alarm_id": "crew-403", "lift": {"rescue_code": lift.rescue_code.as_str()}, "kind": "entrapment_between_floors"});
        let (status, accepted) = gateway.post("/api/v1/alarms", alarm).await;
        assert_eq!(status, 202, "{engine}: {accepted}");
        let incident = accepted["incident_id"].as_i64().expect("incident named");
        let timeline = store
            .timeline(liftrescue::domain::IncidentId(incident))
            .await
            .unwrap();
        let paged: Vec<i64> = timeline
            .iter()
            .filter_map(|e| match &e.event.kind {
                EventKind::UnitPaged { candidate, .. } => Some(candidate.unit.0),
                _ => None,
            })
            .collect();
        assert!(!paged.is_empty(), "{engine}: somebody was paged");
        let stranger = store
            .units()
            .await
            .unwrap()
            .into_iter()
            .find(|u| !paged.contains(&u.id.0))
            .expect("a unit nobody paged");
        let crew = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Crew, Some(stranger.id.0)).await,
        );
        let before = store.log_page(0, 100_000).await.unwrap().len();
        for action in ["accept", "decline", "en-route", "on-scene", "released"] {
            let path = format!("/api/v1/crew/incidents/{incident}/{action}");
            let body = match action {
                "decline" => json!({"reason": "not mine"}),
                _ => json!({}),
            };
            let (status, body) = crew.post(&path, body).await;
            assert_eq!(status, 403, "{engine} {action}: {body}");
            assert_eq!(
                body["error"]["code"], "not_paged",
                "{engine} {action}: {body}"
            );
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains("not paged for this incident"), "{message}");
            assert!(
                message.contains(&format!("incident {incident}")),
                "{message}"
            );
        }
        let (status, body) = crew
            .post("/api/v1/crew/incidents/999999/accept", json!({}))
            .await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (404, &json!("not_found")),
            "{body}"
        );
        assert_eq!(
            store.log_page(0, 100_000).await.unwrap().len(),
            before,
            "{engine}"
        );
        server.stop().await;
    }
}
