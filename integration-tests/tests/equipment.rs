//! Equipment supervision over HTTP and across a restart: a garbled cabin-phone packet is a
//! line fault on the lift's record, the operator sees it, and it is still there after a restart.

use crate::support::{Api, Server, fresh_database, seeded, settings, token};
use liftrescue::store::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_fault_from_a_garbled_packet_is_listed_and_survives_a_restart() {
    let url = fresh_database("sqlite").await;
    let store = seeded(&url).await;
    let lift = store
        .lifts(None, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.cabin_phone.is_some())
        .unwrap();
    let caller = lift.cabin_phone.clone().unwrap();
    let gateway_token = token(store.as_ref(), Role::Integration, None).await;
    let operator_token = token(store.as_ref(), Role::Operator, None).await;

    let server = Server::start(settings(&url, "dispatch-rules")).await;
    let gateway = Api::new(&server.base, &gateway_token);
    let call = json!({"caller": caller.as_str(), "call_id": "c-1", "digits": "18123456782E", "protocol": "P100"});
    let (status, body) = gateway.post("/api/v1/intake/phone", call).await;
    assert_eq!(status, 422, "{body}");
    let op = Api::new(&server.base, &operator_token);
    let (status, list) = op.get("/api/v1/equipment").await;
    assert_eq!(status, 200, "{list}");
    let entry = list
        .as_array()
        .and_then(|a| a.iter().find(|e| e["equipment"]["id"] == caller.as_str()))
        .cloned();
    let entry = entry.unwrap_or_else(|| panic!("the phone's fault is listed: {list}"));
    assert_eq!(entry["lift"], lift.id.0);
    assert!(
        entry["fault"].as_str().unwrap().contains("garbled packet"),
        "{entry}"
    );
    server.stop().await;

    let server = Server::start(settings(&url, "dispatch-rules")).await;
    let op = Api::new(&server.base, &operator_token);
    let (_, list) = op.get("/api/v1/equipment").await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|e| e["equipment"]["id"] == caller.as_str()),
        "after a restart: {list}"
    );
    server.stop().await;
}
