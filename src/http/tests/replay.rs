//! `GET /api/v1/incidents/{id}/replay`: an incident driven through the API replays identical;
//! who may ask; an unknown incident is 404.

use super::*;
use serde_json::json;

#[actix_web::test]
async fn an_incident_driven_through_the_api_replays_identical_for_investigators_and_operators() {
    let h = Harness::new().await;
    let app = h.app().await;
    let id = h.open_incident(&app).await;
    let crew = &h.tokens[&Role::Crew];
    let path = format!("/api/v1/crew/incidents/{}/decline", id.0);
    let req = crew_post(&path, crew, "d-1").set_json(json!({"reason": "flat tyre"}));
    let (status, body) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let op = &h.tokens[&Role::Operator];
    let note = json!({"text": "caller says the light is on"});
    let path = format!("/api/v1/incidents/{}/notes", id.0);
    let (status, body) = app.send(post(&path, op).set_json(note)).await;
    assert!(status.is_success(), "{body}");

    let path = format!("/api/v1/incidents/{}/replay", id.0);
    for role in [Role::Investigator, Role::Operator] {
        let (status, body) = app.send(get(&path, &h.tokens[&role])).await;
        assert_eq!(status, StatusCode::OK, "{role:?}: {body}");
        assert_eq!(body["identical"], true, "{body}");
        assert_eq!(body["incident"], id.0);
        assert!(body["decisions"].as_u64().unwrap() >= 5, "{body}");
        assert!(body["inputs"].as_u64().unwrap() >= 3, "{body}");
        assert!(body.get("difference").is_none(), "{body}");
    }
    for role in [Role::Crew, Role::Admin, Role::Integration] {
        let (status, body) = app.send(get(&path, &h.tokens[&role])).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
    }
}

#[actix_web::test]
async fn replaying_an_incident_the_log_does_not_hold_is_404() {
    let h = Harness::new().await;
    let app = h.app().await;
    let investigator = &h.tokens[&Role::Investigator];
    let (status, body) = app
        .send(get("/api/v1/incidents/424242/replay", investigator))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
}
