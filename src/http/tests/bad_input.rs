//! Bad input is a 4xx in the one error shape, names the field, and changes nothing.

use super::*;
use serde_json::json;

fn alarm() -> Value {
    json!({
        "source_alarm_id": "gw-1",
        "lift": {"rescue_code": LIFT1_CODE},
        "kind": "entrapment_at_landing",
        "flags": {"person_ill": true},
        "floor": "7",
    })
}

fn with(mut v: Value, pointer: &str, value: Value) -> Value {
    *v.pointer_mut(pointer).unwrap() = value;
    v
}

fn put(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

const BAD: StatusCode = StatusCode::BAD_REQUEST;

/// Bad alarms, and the status, code and field each must be refused with.
#[rustfmt::skip]
fn bad_alarms() -> Vec<(Value, StatusCode, &'static str, &'static str)> {
    let future = (t0() + chrono::TimeDelta::minutes(10)).to_rfc3339();
    vec![
        (with(alarm(), "/flags/person_ill", json!("yes")), BAD, "invalid_json", "flags.person_ill"),
        (with(alarm(), "/floor", json!(7)), BAD, "invalid_json", "floor"),
        (without(alarm(), "kind"), BAD, "missing_field", "kind"),
        (without(alarm(), "source_alarm_id"), BAD, "missing_field", "source_alarm_id"),
        (with(alarm(), "/kind", json!("stuck")), BAD, "invalid_json", "kind"),
        (with(alarm(), "/kind", json!({"fault": "a/b"})), BAD, "invalid_field", "kind.fault"),
        (with(alarm(), "/lift/rescue_code", json!("03x302")), BAD, "invalid_field", "lift.rescue_code"),
        (with(alarm(), "/lift", json!({"registration_code": "2110"})), BAD, "invalid_field", "lift.registration_code"),
        (with(alarm(), "/lift", json!({"rescue_code": LIFT1_CODE, "phone": "123"})), BAD, "invalid_field", "lift"),
        (with(alarm(), "/lift", json!({"unit": 1})), BAD, "invalid_json", "lift.unit"),
        (with(alarm(), "/source_alarm_id", json!("")), BAD, "invalid_field", "source_alarm_id"),
        (with(alarm(), "/source_alarm_id", json!("x".repeat(129))), BAD, "invalid_field", "source_alarm_id"),
        (with(alarm(), "/floor", json!("x".repeat(33))), BAD, "invalid_field", "floor"),
        (put(alarm(), "description", json!("d".repeat(2001))), BAD, "invalid_field", "description"),
        (put(alarm(), "occurred_at", json!(future)), BAD, "invalid_field", "occurred_at"),
        (put(alarm(), "occurred_at", json!("yesterday")), BAD, "invalid_json", "occurred_at"),
        (put(alarm(), "channel", json!("pager")), BAD, "invalid_json", "channel"),
        (with(alarm(), "/lift/rescue_code", json!("999999")), StatusCode::UNPROCESSABLE_ENTITY, "unknown_lift", "lift.rescue_code"),
    ]
}

#[actix_web::test]
async fn bad_alarms_are_refused_naming_the_field_and_nothing_is_committed() {
    let h = Harness::new().await;
    let app = h.app().await;
    let token = &h.tokens[&Role::Integration];
    let before = h.footprint().await;
    for (body, want, code, field) in bad_alarms() {
        let (status, answer) = app
            .send(post("/api/v1/alarms", token).set_json(&body))
            .await;
        assert_error(status, &answer, want, code, Some(field));
    }
    assert_eq!(h.footprint().await, before);
    let incidents = h.state.store.incidents(&Default::default()).await.unwrap();
    assert!(incidents.is_empty());
}

#[actix_web::test]
async fn malformed_oversized_and_non_json_bodies_are_refused() {
    let h = Harness::new().await;
    let app = h.app().await;
    let token = &h.tokens[&Role::Integration];
    let before = h.footprint().await;
    let req = post("/api/v1/alarms", token).set_payload(r#"{"source_alarm_id": "x", "lift": "#);
    let (status, body) = app.send(req).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_json", None);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 1"),
        "{body}"
    );

    let huge = json!({"source_alarm_id": "x", "description": "x".repeat(70_000)});
    let (status, body) = app.send(post("/api/v1/alarms", token).set_json(huge)).await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        None,
    );

    let req = post("/api/v1/alarms", token)
        .insert_header(("Content-Type", "text/plain"))
        .set_payload(alarm().to_string());
    let (status, body) = app.send(req).await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
    );
    assert_eq!(h.footprint().await, before);
}

#[actix_web::test]
async fn an_out_of_order_crew_action_is_409_and_adds_no_event() {
    let h = Harness::new().await;
    let app = h.app().await;
    let id = h.open_incident(&app).await;
    let before = h.state.store.timeline(id).await.unwrap().len();
    let path = format!("/api/v1/crew/incidents/{}/on-scene", id.0);
    let (status, body) = app
        .send(crew_post(&path, &h.tokens[&Role::Crew], "early"))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "out_of_order", None);
    assert_eq!(h.state.store.timeline(id).await.unwrap().len(), before);
}

#[actix_web::test]
async fn operator_actions_with_empty_or_missing_text_change_nothing() {
    let h = Harness::new().await;
    let app = h.app().await;
    let id = h.open_incident(&app).await;
    let op = &h.tokens[&Role::Operator];
    let before = h.state.store.timeline(id).await.unwrap().len();
    let path = |a: &str| format!("/api/v1/incidents/{}/{a}", id.0);
    let (status, body) = app
        .send(post(&path("cancel"), op).set_json(json!({"reason": ""})))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "empty_field",
        Some("reason"),
    );
    let (status, body) = app.send(post(&path("notes"), op).set_json(json!({}))).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "missing_field",
        Some("text"),
    );
    let (status, body) = app
        .send(post(&path("assign"), op).set_json(json!({"unit": "one", "reason": "x"})))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invalid_json",
        Some("unit"),
    );
    let (status, body) = app
        .send(post(&path("assign"), op).set_json(json!({"unit": 4242, "reason": "x"})))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
    let (status, body) = app.send(post(&path("close"), op)).await;
    assert_error(status, &body, StatusCode::CONFLICT, "out_of_order", None);
    let (status, body) = app
        .send(post("/api/v1/incidents/424242/notes", op).set_json(json!({"text": "x"})))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
    assert_eq!(h.state.store.timeline(id).await.unwrap().len(), before);
}

#[actix_web::test]
async fn bad_quality_queries_are_400_naming_the_parameter_and_an_unknown_list_is_404() {
    let h = Harness::new().await;
    let app = h.app().await;
    let token = &h.tokens[&Role::Investigator];
    let cases = [
        (
            "/api/v1/quality/lifts?grade=E",
            BAD,
            "invalid_field",
            Some("grade"),
        ),
        (
            "/api/v1/quality/lifts?per_page=0",
            BAD,
            "invalid_field",
            Some("per_page"),
        ),
        (
            "/api/v1/quality/lifts?from=2026-13-01",
            BAD,
            "invalid_field",
            Some("from"),
        ),
        (
            "/api/v1/quality/lists/sanwu?format=xml",
            BAD,
            "invalid_field",
            Some("format"),
        ),
        (
            "/api/v1/quality/lists/sanwu?to=2020-01-01&from=2021-01-01",
            BAD,
            "invalid_field",
            Some("to"),
        ),
        (
            "/api/v1/quality/lists/nosuch",
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        ),
        (
            "/api/v1/lifts/999999/history",
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        ),
    ];
    for (uri, status, code, field) in cases {
        let (got, body) = app
            .send(with_token(TestRequest::get().uri(uri), token))
            .await;
        assert_error(got, &body, status, code, field);
    }
    // A good query answers: the harness's lift, no failures, grade A.
    let req = with_token(TestRequest::get().uri("/api/v1/quality/lifts"), token);
    let (got, body) = app.send(req).await;
    assert_eq!(got, StatusCode::OK, "{body}");
    assert_eq!(body["items"][0]["grade"], "A", "{body}");
}
