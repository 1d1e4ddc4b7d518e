//! Crews see and act on their own pages only, and retries are answered, not repeated.

use super::*;
use crate::dispatch::tests::{M_NEAR, M_OTHER_CO};

fn accept_path(id: IncidentId) -> String {
    format!("/api/v1/crew/incidents/{}/accept", id.0)
}

#[actix_web::test]
async fn a_crew_cannot_see_or_act_on_another_units_assignment() {
    let h = Harness::new().await;
    let app = h.app().await;
    let id = h.open_incident(&app).await;
    let mine = &h.tokens[&Role::Crew];
    let other = h.crew_token(M_OTHER_CO).await;

    let (status, list) = app.send(get("/api/v1/crew/assignments", mine)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["id"], id.0, "unit 1 is paged: {list}");
    let (_, list) = app.send(get("/api/v1/crew/assignments", &other)).await;
    assert_eq!(list, serde_json::json!([]));

    let before = h.footprint().await;
    for action in ["accept", "en-route", "on-scene", "released"] {
        let path = format!("/api/v1/crew/incidents/{}/{action}", id.0);
        let (status, body) = app.send(crew_post(&path, &other, action)).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "not_paged", None);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not paged for this incident"),
            "{body}"
        );
    }
    let (status, body) = app
        .send(get(&format!("/api/v1/incidents/{}", id.0), &other))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
    assert_eq!(h.footprint().await, before);
}

#[actix_web::test]
async fn a_crew_cannot_name_a_unit_in_the_body() {
    let h = Harness::new().await;
    let app = h.app().await;
    let id = h.open_incident(&app).await;
    let other = h.crew_token(M_OTHER_CO).await;
    let before = h.footprint().await;
    let req = crew_post(&accept_path(id), &other, "k1")
        .set_json(serde_json::json!({"unit": M_NEAR.0, "eta_secs": 60}));
    let (status, body) = app.send(req).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invalid_json",
        Some("unit"),
    );
    let req = crew_post("/api/v1/crew/position", &other, "k2")
        .set_json(serde_json::json!({"unit": M_NEAR.0, "lat": 29.5, "lon": 106.5}));
    let (status, body) = app.send(req).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invalid_json",
        Some("unit"),
    );
    assert_eq!(h.footprint().await, before);
}

#[actix_web::test]
async fn the_same_accept_twice_with_one_key_is_answered_twice_and_done_once() {
    let h = Harness::new().await;
    let app = h.app().await;
    let id = h.open_incident(&app).await;
    let crew = &h.tokens[&Role::Crew];
    let req = || {
        crew_post(&accept_path(id), crew, "accept-1").set_json(serde_json::json!({"eta_secs": 300}))
    };
    let first = app.call(req()).await;
    let second = app.call(req()).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(second.status, first.status);
    assert_eq!(second.body, first.body);
    assert_eq!(second.headers.get("idempotent-replayed").unwrap(), "true");
    // A new key acts again: the desk refuses a second acceptance, and that answer is kept too.
    let third = app
        .call(crew_post(&accept_path(id), crew, "accept-2"))
        .await;
    assert_eq!(third.status, StatusCode::CONFLICT);
    let again = app
        .call(crew_post(&accept_path(id), crew, "accept-2"))
        .await;
    assert_eq!((again.status, again.body), (third.status, third.body));

    let timeline = h.state.store.timeline(id).await.unwrap();
    let accepted = timeline
        .iter()
        .filter(|e| e.event.kind.name() == "accepted")
        .count();
    assert_eq!(accepted, 1);
}

#[actix_web::test]
async fn a_key_reused_for_another_action_does_that_action_instead_of_replaying_the_first() {
    let h = Harness::new().await;
    let app = h.app().await;
    let id = h.open_incident(&app).await;
    let crew = &h.tokens[&Role::Crew];
    let accept = app.call(crew_post(&accept_path(id), crew, "k")).await;
    assert_eq!(accept.status, StatusCode::OK);
    let path = format!("/api/v1/crew/incidents/{}/en-route", id.0);
    let en_route = app.call(crew_post(&path, crew, "k")).await;
    assert_eq!(en_route.status, StatusCode::OK);
    assert!(en_route.headers.get("idempotent-replayed").is_none());
    assert_ne!(en_route.body, accept.body);
    let timeline = h.state.store.timeline(id).await.unwrap();
    let progress = timeline
        .iter()
        .filter(|e| e.event.kind.name() == "crew_progress");
    assert_eq!(progress.count(), 1, "en route is on the record");
}

#[actix_web::test]
async fn every_crew_post_needs_an_idempotency_key() {
    let h = Harness::new().await;
    let app = h.app().await;
    let id = h.open_incident(&app).await;
    let crew = &h.tokens[&Role::Crew];
    let (status, body) = app.send(post(&accept_path(id), crew)).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "missing_header",
        Some("Idempotency-Key"),
    );
    let long = "k".repeat(129);
    let (status, body) = app.send(crew_post(&accept_path(id), crew, &long)).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "missing_header",
        Some("Idempotency-Key"),
    );
    // Positions need no key: the newest fix wins and a replayed older one is ignored.
    let fix = serde_json::json!({"lat": 29.557, "lon": 106.572});
    let (status, body) = app
        .send(post("/api/v1/crew/position", crew).set_json(fix))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[actix_web::test]
async fn positions_are_taken_in_either_coordinate_system_and_impossible_ones_refused() {
    let h = Harness::new().await;
    let app = h.app().await;
    let crew = &h.tokens[&Role::Crew];
    let fix = serde_json::json!({"lat": 29.557, "lon": 106.572, "coord_system": "gcj02"});
    let req = crew_post("/api/v1/crew/position", crew, "p1").set_json(fix);
    let (status, body) = app.send(req).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    for (bad, field) in [
        (serde_json::json!({"lat": 91.0, "lon": 106.5}), "lat"),
        (serde_json::json!({"lat": 29.5, "lon": -181.0}), "lon"),
        (
            serde_json::json!({"lat": 29.5, "lon": 106.5, "taken": "2999-01-01T00:00:00Z"}),
            "taken",
        ),
    ] {
        let req = crew_post("/api/v1/crew/position", crew, field).set_json(bad);
        let (status, body) = app.send(req).await;
        assert_error(
            status,
            &body,
            StatusCode::BAD_REQUEST,
            "invalid_field",
            Some(field),
        );
    }
    let req = crew_post("/api/v1/crew/position", crew, "p2")
        .set_json(serde_json::json!({"lat": 29.5, "lon": 106.5, "coord_system": "bd09"}));
    let (status, body) = app.send(req).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invalid_json",
        Some("coord_system"),
    );
}

#[actix_web::test]
async fn a_crew_going_off_duty_hands_its_page_to_the_next_unit_on_the_record() {
    let h = Harness::new().await;
    let app = h.app().await;
    let id = h.open_incident(&app).await;
    let crew = &h.tokens[&Role::Crew];
    let req = crew_post("/api/v1/crew/duty", crew, "d1")
        .set_json(serde_json::json!({"on_duty": false, "reason": "van broke down"}));
    let (status, body) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The crew is answered its duty change; who is paged instead is not its to see.
    let kinds: Vec<&str> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["unit_duty"], "{body}");
    let (_, list) = app.send(get("/api/v1/crew/assignments", crew)).await;
    assert_eq!(
        list,
        serde_json::json!([]),
        "nothing is held by an off-duty unit"
    );
    // On the record: its page stood down with its reason, and the next unit paged.
    let timeline = h.state.store.timeline(id).await.unwrap();
    let tail: Vec<&str> = timeline[timeline.len() - 2..]
        .iter()
        .map(|r| r.event.kind.name())
        .collect();
    assert_eq!(tail, ["page_cancelled", "unit_paged"], "{timeline:?}");
    assert!(
        timeline[timeline.len() - 2]
            .event
            .reason
            .contains("van broke down")
    );
}
