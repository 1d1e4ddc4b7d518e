//! Every route of the table × every role and no token.

use super::*;
use crate::http::routes::{ROUTES, RouteSpec, Verb};

/// A request for a route, with ids that name nothing and a body that changes nothing.
fn request(r: &RouteSpec) -> TestRequest {
    let path = r
        .path
        .replace("{id}", "999999")
        .replace("{source}", "nosuch")
        .replace(
            "{file}",
            if r.path.starts_with("/console") {
                "console.js"
            } else if r.path.starts_with("/review") {
                "review.js"
            } else {
                "crew.js"
            },
        );
    let req = match r.verb {
        Verb::Get => TestRequest::get(),
        Verb::Post => TestRequest::post(),
        Verb::Put => TestRequest::put(),
    }
    .uri(&path);
    let req = if r.idempotent {
        req.insert_header(("Idempotency-Key", uuid::Uuid::new_v4().to_string()))
    } else {
        req
    };
    match r.verb {
        Verb::Get => req,
        Verb::Put => req.set_payload("[]"),
        Verb::Post => req
            .insert_header(("Content-Type", "application/json"))
            .set_payload("{}"),
    }
}

/// A public write: the signed IoT webhook (its tests are in `machine.rs`) and delivery receipts
/// (in `integration-tests`).
fn signed(r: &RouteSpec) -> bool {
    r.roles.is_empty() && r.verb != Verb::Get
}

#[actix_web::test]
async fn every_route_answers_401_without_a_token_403_to_other_roles_and_serves_its_own() {
    let h = Harness::new().await;
    let app = h.app().await;
    let mut checked = 0;
    for r in ROUTES {
        let (status, body) = app.send(request(r)).await;
        if signed(r) {
            // Authenticated by the source's signature, not a token: an unconfigured source
            // is 404 with a token of any role or none.
            assert_error(status, &body, StatusCode::NOT_FOUND, "unknown_source", None);
            for role in ROLES {
                let (status, _) = app.send(with_token(request(r), &h.tokens[&role])).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{} as {role:?}", r.path);
            }
            continue;
        }
        if r.roles.is_empty() {
            assert_eq!(
                status,
                StatusCode::OK,
                "{} {}: {body}",
                r.verb.as_str(),
                r.path
            );
            continue;
        }
        assert_error(
            status,
            &body,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            None,
        );
        for role in ROLES {
            let req = with_token(request(r), &h.tokens[&role]);
            let (status, body) = app.send(req).await;
            let what = format!(
                "{} {} as {role:?}: {status} {body}",
                r.verb.as_str(),
                r.path
            );
            if r.roles.contains(&role) {
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{what}"
                );
                assert!(!status.is_server_error(), "{what}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
                assert_eq!(body["error"]["code"], "forbidden", "{what}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 5 * 25, "only {checked} route × role pairs");
}

#[actix_web::test]
async fn an_unknown_or_malformed_token_is_401_and_nothing_is_read_before_it() {
    let h = Harness::new().await;
    let app = h.app().await;
    for auth in ["Bearer nope", "Basic abc", "Bearer ", "bearer x"] {
        let req = TestRequest::post()
            .uri("/api/v1/alarms")
            .insert_header(("Authorization", auth))
            .set_payload("{not json");
        let reply = app.call(req).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{auth}");
        assert_eq!(reply.headers.get("www-authenticate").unwrap(), "Bearer");
    }
}

#[actix_web::test]
async fn investigators_cannot_write_anything() {
    let h = Harness::new().await;
    let app = h.app().await;
    let before = h.footprint().await;
    // Token-protected writes; the signed webhook takes no token at all.
    let writes = ROUTES.iter().filter(|r| r.verb != Verb::Get && !signed(r));
    let mut n = 0;
    for r in writes {
        let req = with_token(request(r), &h.tokens[&Role::Investigator]);
        let (status, body) = app.send(req).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
        n += 1;
    }
    assert!(n >= 20, "{n} writes");
    assert_eq!(h.footprint().await, before);
}

#[actix_web::test]
async fn unknown_routes_and_methods_answer_in_json() {
    let h = Harness::new().await;
    let app = h.app().await;
    let (status, body) = app.send(TestRequest::get().uri("/api/v1/nothing")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
    let reply = app.call(TestRequest::delete().uri("/api/v1/lifts")).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.headers.get("allow").unwrap(), "GET, PUT");
    let body: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
    let req = get("/api/v1/incidents/abc", &h.tokens[&Role::Operator]);
    let (status, body) = app.send(req).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
}
