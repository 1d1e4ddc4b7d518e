//! The operator's unresolved-lift path over HTTP, on SQLite and, when configured, PostgreSQL:
//! an alarm from a cabin phone nobody registered opens an incident that asks the operator; the
//! operator attaches the lift from the rescue code the caller reads out, and the incident runs
//! the city's chain with real pages. Every refusal is answered with a reason and changes
//! nothing.

use crate::support::gateway::{Answer, Gateway};
use crate::support::{
    Api, Server, cabin_phone_alarm, engines, fresh_database, lift_where, seeded, settings, token,
};
use liftrescue::domain::UnitKind;
use liftrescue::paging::settings::HttpGatewaySettings;
use liftrescue::store::Role;
use serde_json::{Value, json};

const UNKNOWN: &str = "02399999999";
const OTHER_UNKNOWN: &str = "02399999998";

/// What a refusal must leave as it was: the stored row and the whole timeline.
async fn record(op: &Api, incident: i64) -> (Value, usize) {
    let (_, detail) = op.get(&format!("/api/v1/incidents/{incident}")).await;
    let (_, timeline) = op
        .get(&format!("/api/v1/incidents/{incident}/timeline"))
        .await;
    let n = timeline.as_array().map_or(0, Vec::len);
    (detail["incident"].clone(), n)
}

async fn attach(op: &Api, incident: i64, body: Value) -> (u16, Value) {
    op.post(&format!("/api/v1/incidents/{incident}/lift"), body)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_attaches_the_lift_of_an_unknown_cabin_phone_alarm_and_the_citys_chain_pages() {
    for engine in engines() {
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let lift = lift_where(store.as_ref(), |l| {
            l.maintainer.is_some() && l.use_unit.is_some()
        })
        .await;
        let gateway = token(store.as_ref(), Role::Integration, None).await;
        let op = token(store.as_ref(), Role::Operator, None).await;
        let server = Server::start(settings(&url, "dispatch-rules")).await;
        let (gateway, op) = (
            Api::new(&server.base, &gateway),
            Api::new(&server.base, &op),
        );

        let incident = cabin_phone_alarm(&gateway, UNKNOWN, "call-1").await;
        let (_, detail) = op.get(&format!("/api/v1/incidents/{incident}")).await;
        let row = &detail["incident"];
        assert_eq!(
            (
                row["lift_unresolved"].clone(),
                row["needs_operator"].clone()
            ),
            (json!(true), json!(true)),
            "{engine}: {detail}"
        );
        let question = detail["live"]["needs_operator"]
            .as_str()
            .unwrap_or_default();
        assert!(
            question.starts_with(&format!("lift unresolved (received cabin phone {UNKNOWN})")),
            "{engine}: {question}"
        );

        // Refusals: each answers why and changes nothing.
        let before = record(&op, incident).await;
        let (status, body) = attach(&op, incident, json!({"rescue_code": "999999"})).await;
        assert_eq!(status, 422, "{engine}: {body}");
        assert_eq!(body["error"]["code"], "unknown_lift");
        assert_eq!(body["error"]["field"], "rescue_code");
        assert_eq!(
            body["error"]["message"],
            "no registered lift has rescue code 999999"
        );
        let (status, body) = attach(&op, 9999, json!({"id": lift.id.0})).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (404, json!("not_found"))
        );
        let both = json!({"id": lift.id.0, "rescue_code": lift.rescue_code.as_str()});
        assert_eq!(attach(&op, incident, both).await.0, 400, "{engine}");
        assert_eq!(
            record(&op, incident).await,
            before,
            "{engine}: a refusal changed the record"
        );

        // The caller reads out the rescue code.
        let code = json!({"rescue_code": lift.rescue_code.as_str()});
        let (status, body) = attach(&op, incident, code.clone()).await;
        assert_eq!(status, 200, "{engine}: {body}");
        assert_eq!(body["events"][0]["kind"]["type"], "lift_attached", "{body}");

        let (_, detail) = op.get(&format!("/api/v1/incidents/{incident}")).await;
        let (row, live) = (&detail["incident"], &detail["live"]);
        assert_eq!(row["lift"], lift.id.0, "{engine}: {detail}");
        assert_eq!(row["rescue_code"], lift.rescue_code.as_str());
        assert_eq!(row["chain"], "entrapment");
        assert_eq!(
            (
                row["lift_unresolved"].clone(),
                row["needs_operator"].clone()
            ),
            (json!(false), json!(false)),
            "{engine}: {detail}"
        );
        assert_eq!(live["lift"]["id"], lift.id.0);
        assert!(live["needs_operator"].is_null(), "{engine}: {live}");
        let page = &live["steps"][0]["pages"][0];
        assert_eq!(live["steps"][0]["step"], "contracted", "{engine}: {live}");
        assert!(
            page["distance_m"].as_f64().unwrap() > 0.0,
            "{engine}: {page}"
        );
        let clocks = live["clocks"].as_array().unwrap();
        assert!(
            clocks
                .iter()
                .any(|c| c["what"] == "arrive (contracted) breach"),
            "{engine}: {clocks:?}"
        );
        let (_, timeline) = op
            .get(&format!("/api/v1/incidents/{incident}/timeline"))
            .await;
        let attached = timeline
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "lift_attached")
            .unwrap_or_else(|| panic!("{engine}: {timeline}"));
        let reason = attached["reason"].as_str().unwrap();
        assert!(
            reason.contains(&format!("from rescue code {}", lift.rescue_code))
                && reason.contains("chain `entrapment` of rules `districted-city`"),
            "{engine}: {reason}"
        );

        // Once attached: a second attach, another incident for the same lift, an ended one.
        let before = record(&op, incident).await;
        let (status, body) = attach(&op, incident, code.clone()).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (409, json!("out_of_order"))
        );
        assert_eq!(record(&op, incident).await, before, "{engine}");
        let other = cabin_phone_alarm(&gateway, OTHER_UNKNOWN, "call-2").await;
        assert_ne!(other, incident);
        let other_before = record(&op, other).await;
        let (status, body) = attach(&op, other, code.clone()).await;
        assert_eq!(status, 409, "{engine}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("incident {incident} is already open for lift")),
            "{engine}: {message}"
        );
        assert_eq!(record(&op, other).await, other_before, "{engine}");
        let cancel = json!({"reason": "the same entrapment as the first call"});
        let path = format!("/api/v1/incidents/{other}/cancel");
        assert_eq!(op.post(&path, cancel).await.0, 200);
        let (status, body) = attach(&op, other, json!({"id": lift.id.0})).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (409, json!("incident_ended"))
        );
        server.stop().await;

        // After a restart the desk rebuilt from the log knows the lift, and a further call
        // from the unknown phone still joins the incident.
        let server = Server::start(settings(&url, "dispatch-rules")).await;
        let (gateway, op) = (
            Api::new(&server.base, &gateway.token),
            Api::new(&server.base, &op.token),
        );
        let (_, detail) = op.get(&format!("/api/v1/incidents/{incident}")).await;
        assert_eq!(
            detail["live"]["lift"]["id"], lift.id.0,
            "{engine}: {detail}"
        );
        assert!(
            detail["live"]["needs_operator"].is_null(),
            "{engine}: {detail}"
        );
        assert_eq!(
            cabin_phone_alarm(&gateway, UNKNOWN, "call-3").await,
            incident,
            "{engine}"
        );
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_sent_after_the_lift_is_attached_say_where_it_is_and_how_far() {
    for engine in engines() {
        let mut gw = Gateway::start().await;
        gw.answer("/sms", Answer::Status(200, json!({"code": "OK"})));
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let lift = lift_where(store.as_ref(), |l| {
            l.maintainer.is_some() && l.use_unit.is_some()
        })
        .await;
        // A maintainer of another company, sent by hand before the lift is known.
        let units = store.units().await.unwrap();
        let by_hand = units
            .iter()
            .find(|u| u.kind == UnitKind::Maintainer && Some(u.company) != lift.maintainer)
            .unwrap()
            .id
            .0;
        let gateway = token(store.as_ref(), Role::Integration, None).await;
        let op = token(store.as_ref(), Role::Operator, None).await;
        let mut s = settings(&url, "dispatch-rules");
        s.notify.plan = "sms:0s".into();
        s.notify.sms = Some(HttpGatewaySettings {
            body: r#"{"to":"{{to}}","text":"{{text}}","code":"{{rescue_code}}","distance":"{{distance}}"}"#.into(),
            ..HttpGatewaySettings::new(format!("{}/sms", gw.base))
        });
        let server = Server::start(s).await;
        let (gateway, op) = (
            Api::new(&server.base, &gateway),
            Api::new(&server.base, &op),
        );

        let incident = cabin_phone_alarm(&gateway, UNKNOWN, "call-1").await;
        let assign = json!({"unit": by_hand, "reason": "the caller names the street"});
        let path = format!("/api/v1/incidents/{incident}/assign");
        assert_eq!(op.post(&path, assign).await.0, 200, "{engine}");
        let sms = gw.next(10).await;
        assert!(
            sms.message().contains(&format!(":operator:{by_hand}:")),
            "{engine}"
        );
        assert_eq!(sms.json()["code"], "", "{engine}: {}", sms.body);
        assert!(
            sms.json()["text"].as_str().unwrap().contains(UNKNOWN),
            "{engine}: {}",
            sms.body
        );

        let code = json!({"rescue_code": lift.rescue_code.as_str()});
        assert_eq!(attach(&op, incident, code).await.0, 200, "{engine}");
        let sms = gw.next(10).await;
        assert!(
            sms.message().starts_with(&format!("{incident}:")),
            "{engine}"
        );
        let body = sms.json();
        assert_eq!(
            body["code"],
            lift.rescue_code.as_str(),
            "{engine}: {}",
            sms.body
        );
        let distance = body["distance"].as_str().unwrap();
        assert!(
            !distance.is_empty() && distance != "0m",
            "{engine}: {}",
            sms.body
        );
        server.stop().await;
        gw.stop().await;
    }
}
