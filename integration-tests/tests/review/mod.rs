//! Review for the bureaus, black-box: the search and statistics and the incident report over
//! HTTP on both engines, and the review page in a real browser.

pub mod agree;
mod page;
mod report;
mod search;

use crate::support::{Api, Server, fresh_database, seeded, settings, token};
use liftrescue::domain::Lift;
use liftrescue::store::{Role, Store};
use serde_json::json;
use std::sync::Arc;

/// A server on a fresh seeded database of `engine`, with tokens for each side.
pub struct Setup {
    pub store: Arc<dyn Store>,
    pub server: Server,
    pub lift: Lift,
    pub op: Api,
    pub intake: Api,
    pub investigator: Api,
}

impl Setup {
    pub async fn start(engine: &str) -> Setup {
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let lifts = store.lifts(None, 500).await.unwrap();
        let lift = lifts.into_iter().find(|l| l.maintainer.is_some()).unwrap();
        let server = Server::start(settings(&url, "dispatch-rules")).await;
        let api = |role| {
            let store = store.clone();
            let base = server.base.clone();
            async move { Api::new(&base, &token(store.as_ref(), role, None).await) }
        };
        let op = api(Role::Operator).await;
        let intake = api(Role::Integration).await;
        let investigator = api(Role::Investigator).await;
        Setup {
            store,
            server,
            lift,
            op,
            intake,
            investigator,
        }
    }

    /// An entrapment run through the API from alarm to close, with a note; its id.
    pub async fn closed_incident(&self, source_id: &str) -> i64 {
        let alarm = json!({"source_alarm_id": source_id, "channel": "cabin_phone",
            "lift": {"rescue_code": self.lift.rescue_code.as_str()},
            "kind": "entrapment_between_floors", "floor": "7",
            "description": "two people <b>inside</b>"});
        let (status, accepted) = self.intake.post("/api/v1/alarms", alarm).await;
        assert_eq!(status, 202, "{accepted}");
        let incident = accepted["incident_id"].as_i64().unwrap();
        let (_, detail) = self.op.get(&format!("/api/v1/incidents/{incident}")).await;
        let unit = detail["live"]["steps"][0]["pages"][0]["unit"]
            .as_i64()
            .unwrap_or_else(|| panic!("no page: {detail}"));
        let crew = Api::new(
            &self.server.base,
            &token(self.store.as_ref(), Role::Crew, Some(unit)).await,
        );
        let path = |a: &str| format!("/api/v1/crew/incidents/{incident}/{a}");
        for (a, body) in [
            ("accept", json!({"eta_secs": 480})),
            ("en-route", json!({})),
            ("on-scene", json!({})),
            ("released", json!({})),
        ] {
            let (status, out) = crew.post(&path(a), body).await;
            assert_eq!(status, 200, "{a}: {out}");
        }
        let op_path = |a: &str| format!("/api/v1/incidents/{incident}/{a}");
        for (a, body) in [
            ("notes", json!({"text": "=called back <script>x</script>"})),
            (
                "confirm-release",
                json!({"note": "caller confirms both out"}),
            ),
            (
                "fault-cause",
                json!({"code": "door-lock", "text": "contact worn"}),
            ),
            ("close", json!({})),
        ] {
            let (status, out) = self.op.post(&op_path(a), body).await;
            assert_eq!(status, 200, "{a}: {out}");
        }
        incident
    }
}
