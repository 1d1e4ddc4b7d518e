//! The document says what the server checks: each operation lists the statuses its route can
//! answer, and the limits it documents are the ones the server enforces at their edges.

use super::*;
use serde_json::json;

/// The OpenAPI document as JSON.
async fn document(app: &TestApp) -> Value {
    let (status, doc) = app
        .send(TestRequest::get().uri("/api/v1/openapi.json"))
        .await;
    assert_eq!(status, StatusCode::OK);
    doc
}

/// The statuses an operation documents, in order.
fn statuses(doc: &Value, verb: &str, path: &str) -> Vec<u16> {
    let responses = doc["paths"][path][verb]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{verb} {path} is not documented"));
    let mut out: Vec<u16> = responses.keys().map(|k| k.parse().unwrap()).collect();
    out.sort_unstable();
    out
}

#[actix_web::test]
async fn every_operation_lists_the_statuses_its_route_can_answer() {
    let h = Harness::new().await;
    let app = h.app().await;
    let doc = document(&app).await;
    let cases: [(&str, &str, &[u16]); 7] = [
        ("get", "/healthz", &[200]),
        ("get", "/readyz", &[200, 503]),
        ("get", "/crew/{id}", &[200, 404]),
        (
            "post",
            "/api/v1/incidents/{id}/cancel",
            &[200, 400, 401, 403, 404, 409, 413, 415, 422, 503],
        ),
        (
            "post",
            "/api/v1/crew/incidents/{id}/en-route",
            &[200, 400, 401, 403, 404, 409, 503],
        ),
        (
            "post",
            "/api/v1/intake/iot/{source}",
            &[200, 400, 401, 404, 413, 429, 503],
        ),
        (
            "post",
            "/api/v1/intake/phone",
            &[200, 202, 400, 401, 403, 413, 415, 422, 503],
        ),
    ];
    for (verb, path, want) in cases {
        assert_eq!(statuses(&doc, verb, path), want, "{verb} {path}");
    }
    // The phone's 200 (a test call) carries the same answer as its 202.
    let phone = &doc["paths"]["/api/v1/intake/phone"]["post"]["responses"];
    assert_eq!(phone["200"]["content"], phone["202"]["content"]);
    let sw = &doc["paths"]["/crew/sw.js"]["get"]["responses"]["200"]["content"];
    assert!(sw["text/javascript"].is_object(), "{sw}");
}

#[actix_web::test]
async fn the_crew_page_answers_only_for_an_incident_id() {
    let h = Harness::new().await;
    let app = h.app().await;
    let reply = app.call(TestRequest::get().uri("/crew/12")).await;
    assert_eq!(reply.status, StatusCode::OK);
    for path in ["/crew/abc", "/crew/0", "/crew/-3", "/crew/1.5"] {
        let (status, body) = app.send(TestRequest::get().uri(path)).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
    }
    let reply = app.call(TestRequest::get().uri("/crew/sw.js")).await;
    let ct = reply.headers.get("content-type").unwrap().to_str().unwrap();
    assert!(ct.starts_with("text/javascript"), "{ct}");
}

#[actix_web::test]
async fn a_documented_limit_is_where_the_server_draws_the_line() {
    let h = Harness::new().await;
    let app = h.app().await;
    let doc = document(&app).await;
    let limit = doc["paths"]["/api/v1/incidents"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()["schema"]
        .clone();
    let (min, max) = (
        limit["minimum"].as_i64().unwrap(),
        limit["maximum"].as_i64().unwrap(),
    );
    let token = &h.tokens[&Role::Operator];
    for (n, ok) in [(min - 1, false), (min, true), (max, true), (max + 1, false)] {
        let (status, body) = app
            .send(get(&format!("/api/v1/incidents?limit={n}"), token))
            .await;
        if ok {
            assert_eq!(status, StatusCode::OK, "limit={n}: {body}");
        } else {
            assert_error(
                status,
                &body,
                StatusCode::BAD_REQUEST,
                "invalid_field",
                Some("limit"),
            );
        }
    }
    // A reason the document calls valid (not blank) is taken; a blank one is what its
    // `pattern` rules out, and the desk refuses it.
    let reason = &doc["components"]["schemas"]["ReasonIn"]["properties"]["reason"];
    assert_eq!(reason["minLength"], 1);
    assert_eq!(reason["pattern"], r"\S");
    let id = h.open_incident(&app).await;
    let cancel = |reason: &str| {
        post(&format!("/api/v1/incidents/{}/cancel", id.0), token)
            .set_json(json!({"reason": reason}))
    };
    let (status, body) = app.send(cancel("   ")).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "empty_field",
        Some("reason"),
    );
    let (status, body) = app.send(cancel("duplicate call")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[actix_web::test]
async fn registry_writes_refuse_ids_below_one_and_blank_names() {
    let h = Harness::new().await;
    let app = h.app().await;
    let admin = &h.tokens[&Role::Admin];
    let put =
        |path: &str, body: Value| with_token(TestRequest::put().uri(path), admin).set_json(body);
    let company = json!({"id": 7, "name": "Hitachi Chongqing", "kind": "maintainer"});
    let unit = json!({"id": 70, "name": "Li Lei", "kind": "maintainer", "company": 1,
        "skills": [], "phone": null, "on_duty": true, "fix": null});
    let with = |v: &Value, key: &str, x: Value| {
        let mut v = v.clone();
        v[key] = x;
        json!([v])
    };
    let cases = [
        (
            "/api/v1/companies",
            with(&company, "id", json!(0)),
            "[0].id",
        ),
        (
            "/api/v1/companies",
            with(&company, "name", json!(" ")),
            "[0].name",
        ),
        ("/api/v1/units", with(&unit, "id", json!(-1)), "[0].id"),
        (
            "/api/v1/units",
            with(&unit, "company", json!(0)),
            "[0].company",
        ),
        ("/api/v1/units", with(&unit, "name", json!("")), "[0].name"),
    ];
    let before = app.send(get("/api/v1/units", admin)).await.1;
    for (path, body, field) in cases {
        let (status, reply) = app.send(put(path, body)).await;
        assert_error(
            status,
            &reply,
            StatusCode::BAD_REQUEST,
            "invalid_field",
            Some(field),
        );
    }
    assert_eq!(app.send(get("/api/v1/units", admin)).await.1, before);
    let (status, body) = app.send(put("/api/v1/companies", json!([company]))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[actix_web::test]
async fn the_bearer_scheme_is_taken_in_any_case() {
    let h = Harness::new().await;
    let app = h.app().await;
    let token = &h.tokens[&Role::Operator];
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let req = TestRequest::get()
            .uri("/api/v1/incidents")
            .insert_header(("Authorization", format!("{scheme} {token}")));
        let (status, body) = app.send(req).await;
        assert_eq!(status, StatusCode::OK, "{scheme}: {body}");
    }
    let req = TestRequest::get()
        .uri("/api/v1/incidents")
        .insert_header(("Authorization", format!("Basic {token}")));
    let (status, body) = app.send(req).await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
}
