//! The OpenAPI document and the page for people describe exactly the route table.

use super::*;
use crate::http::openapi::role_names;
use crate::http::routes::ROUTES;

/// Every `$ref` in a JSON value.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[actix_web::test]
async fn the_openapi_document_has_every_route_with_its_roles_and_resolvable_schemas() {
    let h = Harness::new().await;
    let app = h.app().await;
    let reply = app
        .call(TestRequest::get().uri("/api/v1/openapi.json"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc: Value = serde_json::from_slice(&reply.body).expect("the document is JSON");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut operations = 0;
    for r in ROUTES {
        let op = &doc["paths"][r.path][r.verb.as_str().to_ascii_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is not documented",
            r.verb.as_str(),
            r.path
        );
        let roles = role_names(r);
        if roles.is_empty() {
            assert!(op.get("x-roles").is_none());
        } else {
            assert_eq!(op["x-roles"], serde_json::json!(roles), "{}", r.path);
            assert!(op["security"].is_array());
        }
        assert!(
            op["responses"][r.status.to_string()].is_object(),
            "{}",
            r.path
        );
        operations += 1;
    }
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented, operations,
        "the document has operations the table lacks"
    );
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .expect("a schema ref");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} does not resolve"
        );
    }
}

#[actix_web::test]
async fn the_docs_page_is_html_listing_every_route() {
    let h = Harness::new().await;
    let app = h.app().await;
    let reply = app.call(TestRequest::get().uri("/api/v1/docs")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let ct = reply.headers.get("content-type").unwrap().to_str().unwrap();
    assert!(ct.starts_with("text/html"), "{ct}");
    let html = String::from_utf8(reply.body.to_vec()).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    for r in ROUTES {
        let row = format!(
            "<tr><td><code>{}</code></td><td><code>{}</code></td>",
            r.verb.as_str(),
            r.path
        );
        assert!(html.contains(&row), "{row} missing");
    }
    assert!(html.contains("integration, operator"));
    assert!(html.contains("<td><code>AlarmIn</code></td>"));
    assert!(!html.contains("<script"));
}

#[actix_web::test]
async fn a_triage_carries_its_reasons_as_codes_under_their_own_schema_name() {
    let h = Harness::new().await;
    let app = h.app().await;
    let reply = app
        .call(TestRequest::get().uri("/api/v1/openapi.json"))
        .await;
    let doc: Value = serde_json::from_slice(&reply.body).expect("the document is JSON");
    let schemas = &doc["components"]["schemas"];
    let why = &schemas["Triage"]["properties"]["why"];
    assert_eq!(
        why["items"]["$ref"], "#/components/schemas/TriageReason",
        "{why}"
    );
    let required = schemas["Triage"]["required"].as_array().unwrap();
    assert!(
        !required.contains(&Value::from("why")),
        "old triages lack it"
    );
    // Not another type's schema under the same name: the five codes, each tagged by `type`.
    let codes: Vec<&Value> = schemas["TriageReason"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["properties"]["type"]["enum"][0])
        .collect();
    assert_eq!(
        codes,
        ["special", "between_floors", "trapped", "place", "ordinary"],
        "{}",
        schemas["TriageReason"]
    );
}
