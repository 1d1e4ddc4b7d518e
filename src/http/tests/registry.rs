//! The registry, tokens and the ops endpoints.

use super::*;
use crate::dispatch::tests::lift;
use serde_json::json;

#[actix_web::test]
async fn lifts_are_listed_found_by_code_and_replaced_by_admins() {
    let h = Harness::new().await;
    let app = h.app().await;
    let op = &h.tokens[&Role::Operator];
    let (status, lifts) = app.send(get("/api/v1/lifts?after=1&limit=5", op)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lifts.as_array().unwrap().len(), 1);
    assert_eq!(lifts[0]["id"], 2);

    let (status, found) = app
        .send(get(
            &format!("/api/v1/lifts/lookup?rescue_code={LIFT1_CODE}"),
            op,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["id"], 1);
    for (q, want, code, field) in [
        (
            "rescue_code=12",
            StatusCode::BAD_REQUEST,
            "invalid_field",
            Some("rescue_code"),
        ),
        (
            "rescue_code=035301&phone=123",
            StatusCode::BAD_REQUEST,
            "invalid_field",
            Some("query"),
        ),
        (
            "registration_code=31105001032019060999",
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        ),
    ] {
        let (status, body) = app
            .send(get(&format!("/api/v1/lifts/lookup?{q}"), op))
            .await;
        assert_error(status, &body, want, code, field);
    }

    let admin = &h.tokens[&Role::Admin];
    let mut new = serde_json::to_value(lift(3, Some(2))).unwrap();
    let put =
        |body: &Value| with_token(TestRequest::put().uri("/api/v1/lifts"), admin).set_json(body);
    let (status, body) = app.send(put(&json!([new.clone()]))).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"stored": 1})));
    new["rescue_code"] = json!("12x456");
    let (status, body) = app.send(put(&json!([new.clone()]))).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invalid_json",
        Some("[0].rescue_code"),
    );
    new["rescue_code"] = json!("035303");
    new["position"]["lat"] = json!(91.0);
    let (status, body) = app.send(put(&json!([new]))).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invalid_field",
        Some("[0].position.lat"),
    );
    assert_eq!(h.state.store.lift_count().await.unwrap(), 3);
}

#[actix_web::test]
async fn units_and_companies_are_readable_by_reviewers() {
    let h = Harness::new().await;
    let app = h.app().await;
    for role in [Role::Operator, Role::Investigator, Role::Admin] {
        let (status, units) = app.send(get("/api/v1/units", &h.tokens[&role])).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(units.as_array().unwrap().len(), 8);
        let (_, companies) = app.send(get("/api/v1/companies", &h.tokens[&role])).await;
        assert_eq!(companies.as_array().unwrap().len(), 4);
    }
}

#[actix_web::test]
async fn admins_issue_tokens_that_work_and_crew_tokens_must_name_a_real_unit() {
    let h = Harness::new().await;
    let app = h.app().await;
    let admin = &h.tokens[&Role::Admin];
    let issue = |body: Value| post("/api/v1/tokens", admin).set_json(body);
    let (status, body) = app
        .send(issue(
            json!({"role": "crew", "unit": 3, "label": "Zhang, unit 3"}),
        ))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let secret = body["token"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64);
    let (status, _) = app.send(get("/api/v1/crew/assignments", &secret)).await;
    assert_eq!(status, StatusCode::OK);

    for (req, want, code, field) in [
        (
            json!({"role": "crew", "label": "x"}),
            StatusCode::BAD_REQUEST,
            "missing_field",
            "unit",
        ),
        (
            json!({"role": "crew", "unit": 999, "label": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_unit",
            "unit",
        ),
        (
            json!({"role": "operator", "unit": 3, "label": "x"}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
            "unit",
        ),
        (
            json!({"role": "operator", "label": " "}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
            "label",
        ),
        (
            json!({"role": "root", "label": "x"}),
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "role",
        ),
    ] {
        let (status, body) = app.send(issue(req)).await;
        assert_error(status, &body, want, code, Some(field));
    }
}

#[actix_web::test]
async fn health_readiness_and_metrics_answer_without_a_token() {
    let h = Harness::new().await;
    let app = h.app().await;
    let (status, body) = app.send(TestRequest::get().uri("/healthz")).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    let (status, _) = app.send(TestRequest::get().uri("/readyz")).await;
    assert_eq!(status, StatusCode::OK);
    h.open_incident(&app).await;
    let reply = app.call(TestRequest::get().uri("/metrics")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.headers.get("content-type").unwrap(),
        "text/plain; version=0.0.4"
    );
    let text = String::from_utf8(reply.body.to_vec()).unwrap();
    assert!(
        text.contains("liftrescue_alarms_total{channel=\"iot\"} 1"),
        "{text}"
    );
    assert!(text.contains("liftrescue_inbox_depth 0"), "{text}");
    assert!(text.contains("liftrescue_units_available"), "{text}");
}

#[actix_web::test]
async fn a_unit_added_through_the_registry_api_is_paged_by_the_running_desk() {
    let h = Harness::new().await;
    let app = h.app().await;
    let admin = &h.tokens[&Role::Admin];
    // A maintainer of the lift's company, 50 m from it: nearer than anyone the desk started with.
    let mut unit = crate::dispatch::tests::unit(
        UnitId(77),
        crate::domain::UnitKind::Maintainer,
        1,
        0.0,
        50.0,
        true,
        0,
    );
    if let Some(fix) = unit.fix.as_mut() {
        fix.taken = h.state.clock.now();
    }
    let req = with_token(TestRequest::put().uri("/api/v1/units"), admin).set_json(vec![unit]);
    let (status, body) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = h.open_incident(&app).await;
    let (_, detail) = app
        .send(get(
            &format!("/api/v1/incidents/{}", id.0),
            &h.tokens[&Role::Operator],
        ))
        .await;
    assert_eq!(
        detail["live"]["steps"][0]["pages"][0]["unit"], 77,
        "{detail}"
    );
}

#[actix_web::test]
async fn a_unit_keeps_its_own_contact_plan_and_a_bad_one_is_refused_naming_it() {
    let h = Harness::new().await;
    let app = h.app().await;
    let admin = &h.tokens[&Role::Admin];
    let unit = |id, plan: &str| {
        let mut u = crate::dispatch::tests::unit(
            UnitId(id),
            crate::domain::UnitKind::FireRescue,
            9001,
            0.0,
            50.0,
            true,
            0,
        );
        u.contact_plan = Some(plan.into());
        u
    };
    let before = units(&app, admin).await;
    let bad = vec![unit(78, "voice:0s"), unit(79, "voice:0s,pager:1m")];
    let req = with_token(TestRequest::put().uri("/api/v1/units"), admin).set_json(bad);
    let (status, body) = app.send(req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "[1].contact_plan", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("pager"),
        "{body}"
    );
    assert_eq!(units(&app, admin).await, before, "nothing stored");
    let good = vec![unit(78, "voice:0s,sms:60s,repeat:120s")];
    let req = with_token(TestRequest::put().uri("/api/v1/units"), admin).set_json(good);
    let (status, body) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = units(&app, admin).await;
    let stored = after.iter().find(|u| u["id"] == 78).expect("stored");
    assert_eq!(stored["contact_plan"], "voice:0s,sms:60s,repeat:120s");
    assert!(
        after
            .iter()
            .filter(|u| u["id"] != 78)
            .all(|u| u.get("contact_plan").is_none()),
        "units without a plan of their own show none"
    );
}

/// `GET /api/v1/units`, as a list, without the fixes' ages (they grow between two reads).
async fn units(app: &TestApp, token: &str) -> Vec<serde_json::Value> {
    let (status, body) = app.send(get("/api/v1/units", token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut list = body.as_array().cloned().unwrap_or_default();
    for u in &mut list {
        assert!(u.get("fix_age_s").is_some(), "{u}");
        u.as_object_mut().map(|o| o.remove("fix_age_s"));
    }
    list
}

#[actix_web::test]
async fn a_units_base_is_stored_and_shown_and_a_bad_one_is_refused_naming_it() {
    let h = Harness::new().await;
    let app = h.app().await;
    let admin = &h.tokens[&Role::Admin];
    let mut unit = crate::dispatch::tests::unit(
        UnitId(80),
        crate::domain::UnitKind::FireRescue,
        9001,
        0.0,
        50.0,
        true,
        0,
    );
    let before = units(&app, admin).await;
    unit.base = Some(crate::domain::LatLon {
        lat: 29.5,
        lon: 190.0,
    });
    let req = with_token(TestRequest::put().uri("/api/v1/units"), admin).set_json(vec![&unit]);
    let (status, body) = app.send(req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "[0].base", "{body}");
    assert_eq!(units(&app, admin).await, before, "nothing stored");
    unit.base = Some(crate::domain::LatLon {
        lat: 29.5571,
        lon: 106.5782,
    });
    let req = with_token(TestRequest::put().uri("/api/v1/units"), admin).set_json(vec![&unit]);
    let (status, body) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = units(&app, admin).await;
    let stored = after.iter().find(|u| u["id"] == 80).expect("stored");
    assert_eq!(stored["base"], json!({"lat": 29.5571, "lon": 106.5782}));
}

#[actix_web::test]
async fn a_unit_the_import_would_refuse_is_refused_with_the_imports_words() {
    let h = Harness::new().await;
    let app = h.app().await;
    let admin = &h.tokens[&Role::Admin];
    let before = units(&app, admin).await;
    let mut unit = crate::dispatch::tests::unit(
        UnitId(77),
        crate::domain::UnitKind::Maintainer,
        1,
        0.0,
        50.0,
        true,
        0,
    );
    unit.name = "  ".into();
    let csv = "id,name,kind,company\n77,,maintainer,1\n";
    let import = crate::registry::parse_units(csv).unwrap_err();
    let req = with_token(TestRequest::put().uri("/api/v1/units"), admin).set_json(vec![unit]);
    let (status, body) = app.send(req).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invalid_field",
        Some("[0].name"),
    );
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(
        (import[0].field.as_str(), import[0].why.as_str()),
        ("name", "is required")
    );
    assert!(message.ends_with(&import[0].why), "{message}");
    assert_eq!(units(&app, admin).await, before, "nothing stored");
}
