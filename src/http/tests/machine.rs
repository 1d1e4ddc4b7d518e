//! Machine intake: signed IoT platform batches and cabin-phone calls from the gateway.

use super::*;
use crate::config::{Settings, SourceSettings};
use crate::domain::{DeviceId, PhoneNumber};
use crate::http::machine::iot::{SIGNATURE, TIMESTAMP};
use crate::signing::sign;
use serde_json::json;

const SECRET: &str = "acme secret";
/// Lift 1's IoT terminal and cabin phone.
const DEVICE: &str = "CQ-00001";
const PHONE: &str = "02360000017";
/// P100 alarm from phone lift id 12345678.
const P100_ALARM: &str = "18123456782D";

fn source(secret: &str, requests_per_minute: u32) -> SourceSettings {
    SourceSettings {
        secret: secret.into(),
        codes: "common".into(),
        requests_per_minute,
    }
}

/// Sources `acme` (600/min) and `tiny` (2/min), 4 KiB bodies; lift 1 has a device and a phone.
async fn harness() -> Harness {
    let mut settings = Settings {
        max_body_bytes: 4096,
        ..Settings::default()
    };
    let sources = &mut settings.intake.sources;
    sources.insert("acme".into(), source(SECRET, 600));
    sources.insert("tiny".into(), source("tiny secret", 2));
    let h = Harness::with_settings(settings).await;
    let mut lift1 = lift(1, Some(1));
    lift1.device_id = Some(DeviceId::parse(DEVICE).unwrap());
    lift1.cabin_phone = Some(PhoneNumber::parse(PHONE).unwrap());
    h.state.store.put_lifts(&[lift1]).await.unwrap();
    h
}

fn now(h: &Harness) -> i64 {
    h.state.clock.now().timestamp()
}

/// A batch POST signed with `secret` at `ts`.
fn signed(source: &str, secret: &str, ts: i64, body: &str) -> TestRequest {
    let ts = ts.to_string();
    let sig = sign(secret.as_bytes(), &ts, body.as_bytes()).unwrap();
    TestRequest::post()
        .uri(&format!("/api/v1/intake/iot/{source}"))
        .insert_header(("Content-Type", "application/json"))
        .insert_header((TIMESTAMP, ts))
        .insert_header((SIGNATURE, format!("sha256={sig}")))
        .set_payload(body.to_owned())
}

/// An entrapment-at-landing event (common code 7).
fn event(h: &Harness, device: &str, alarm_id: &str) -> Value {
    json!({"device_id": device, "alarm_id": alarm_id, "code": 7, "status": 0,
           "occurred_at": h.state.clock.now().to_rfc3339()})
}

fn batch(events: Vec<Value>) -> String {
    json!({ "events": events }).to_string()
}

/// The incident's stored row, as the operator sees it.
async fn incident(h: &Harness, app: &TestApp, id: &Value) -> Value {
    let path = format!("/api/v1/incidents/{}", id.as_i64().expect("an incident id"));
    let (status, detail) = app.send(get(&path, &h.tokens[&Role::Operator])).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    detail
}

#[actix_web::test]
async fn a_signed_batch_is_answered_event_by_event_and_one_bad_event_sinks_nothing_else() {
    let h = harness().await;
    let app = h.app().await;
    let mut bad = event(&h, DEVICE, "a2");
    bad.as_object_mut().unwrap().remove("code");
    let body = batch(vec![event(&h, DEVICE, "a1"), bad, event(&h, DEVICE, "a3")]);
    let (status, json) = app.send(signed("acme", SECRET, now(&h), &body)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let r = json["results"].as_array().unwrap();
    assert_eq!(r.len(), 3, "{json}");
    assert_eq!(
        (r[0]["index"].clone(), r[0]["duplicate"].clone()),
        (json!(0), json!(false))
    );
    assert!(r[0]["alarm_id"].is_i64(), "{json}");
    assert_eq!(r[1]["index"], 1);
    assert_eq!(r[1]["error"]["code"], "missing_field", "{json}");
    assert_eq!(r[1]["error"]["field"], "code", "{json}");
    assert!(r[1].get("alarm_id").is_none());
    assert_eq!(
        r[2]["incident_id"], r[0]["incident_id"],
        "same lift: joined"
    );
    let detail = incident(&h, &app, &r[0]["incident_id"]).await;
    assert_eq!(detail["incident"]["lift"], 1, "{detail}");
    assert_eq!(detail["incident"]["lift_unresolved"], false);
    assert_eq!(detail["live"]["alarms"], 2, "{detail}");
    // The platform retrying the batch: each accepted event is a duplicate of itself.
    let (_, again) = app.send(signed("acme", SECRET, now(&h), &body)).await;
    assert_eq!(again["results"][0]["duplicate"], true, "{again}");
    assert_eq!(again["results"][0]["alarm_id"], r[0]["alarm_id"]);
}

#[actix_web::test]
async fn an_unknown_device_is_accepted_into_an_unresolved_incident_for_the_operator() {
    let h = harness().await;
    let app = h.app().await;
    let body = batch(vec![event(&h, "NOPE-9", "u1")]);
    let (status, json) = app.send(signed("acme", SECRET, now(&h), &body)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let detail = incident(&h, &app, &json["results"][0]["incident_id"]).await;
    assert_eq!(detail["incident"]["lift_unresolved"], true, "{detail}");
    assert_eq!(detail["incident"]["needs_operator"], true, "{detail}");
}

#[actix_web::test]
async fn wrong_missing_or_replayed_signatures_are_401_and_leave_no_trace() {
    let h = harness().await;
    let app = h.app().await;
    let before = h.footprint().await;
    let body = batch(vec![event(&h, DEVICE, "s1")]);
    let unsigned = TestRequest::post()
        .uri("/api/v1/intake/iot/acme")
        .set_payload(body.clone());
    let replay = signed("acme", SECRET, now(&h) - 600, &body);
    let tampered = signed("acme", SECRET, now(&h), &body).set_payload(body.replace("s1", "s2"));
    for (req, why) in [
        (signed("acme", "not the secret", now(&h), &body), "mismatch"),
        (tampered, "mismatch"),
        (replay, "stale"),
        (signed("acme", SECRET, now(&h) + 600, &body), "stale"),
        (unsigned, "missing"),
    ] {
        let (status, json) = app.send(req).await;
        assert_error(
            status,
            &json,
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            None,
        );
        let message = json["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{why}: {message}");
        assert!(!message.contains(SECRET));
    }
    assert_eq!(h.footprint().await, before);
}

#[actix_web::test]
async fn an_unknown_source_is_404_and_an_oversized_body_413() {
    let h = harness().await;
    let app = h.app().await;
    let body = batch(vec![]);
    let (status, json) = app.send(signed("nobody", SECRET, now(&h), &body)).await;
    assert_error(status, &json, StatusCode::NOT_FOUND, "unknown_source", None);
    let big = format!(r#"{{"events": [], "pad": "{}"}}"#, "x".repeat(5000));
    let (status, json) = app.send(signed("acme", SECRET, now(&h), &big)).await;
    assert_error(
        status,
        &json,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        None,
    );
}

#[actix_web::test]
async fn a_bad_envelope_is_400_and_nothing_is_accepted() {
    let h = harness().await;
    let app = h.app().await;
    let before = h.footprint().await;
    let too_many = format!(r#"{{"events": [{}{{}}]}}"#, "{},".repeat(500));
    for (body, code, field) in [
        ("not json".to_owned(), "invalid_json", None),
        (
            r#"{"events": {}}"#.to_owned(),
            "invalid_field",
            Some("events"),
        ),
        (r#"[1]"#.to_owned(), "invalid_json", None),
        (too_many, "invalid_field", Some("events")),
    ] {
        let (status, json) = app.send(signed("acme", SECRET, now(&h), &body)).await;
        assert_error(status, &json, StatusCode::BAD_REQUEST, code, field);
    }
    assert_eq!(h.footprint().await, before);
}

#[actix_web::test]
async fn a_flooding_source_gets_429_while_another_source_still_gets_through() {
    let h = harness().await;
    let app = h.app().await;
    let body = batch(vec![]);
    for _ in 0..2 {
        let (status, json) = app
            .send(signed("tiny", "tiny secret", now(&h), &body))
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
    }
    let reply = app
        .call(signed("tiny", "tiny secret", now(&h), &body))
        .await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = reply
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    let json: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(json["error"]["code"], "rate_limited");
    let (status, json) = app.send(signed("acme", SECRET, now(&h), &body)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
}

/// A gateway POST.
fn call(h: &Harness, body: Value) -> TestRequest {
    post("/api/v1/intake/phone", &h.tokens[&Role::Integration]).set_json(body)
}

fn phone_call(caller: &str, call_id: &str, digits: &str, protocol: &str) -> Value {
    json!({"caller": caller, "call_id": call_id, "digits": digits, "protocol": protocol,
           "voice_open": true})
}

#[actix_web::test]
async fn a_p100_alarm_opens_an_incident_and_rescue_ended_joins_it_without_closing_it() {
    let h = harness().await;
    let app = h.app().await;
    let (status, first) = app
        .send(call(&h, phone_call(PHONE, "c1", P100_ALARM, "P100")))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    assert_eq!(
        (first["kind"].clone(), first["duplicate"].clone()),
        (json!("alarm"), json!(false))
    );
    let detail = incident(&h, &app, &first["incident_id"]).await;
    assert_eq!(detail["incident"]["lift"], 1, "{detail}");
    // Same call id: the ":{kind}" suffix keeps it from being taken for the alarm again.
    let ended = phone_call(PHONE, "c1", "0484*12345678#", "CPC-KONE");
    let (status, json) = app.send(call(&h, ended)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{json}");
    assert_eq!(json["kind"], "rescue_ended");
    assert_eq!(json["duplicate"], false, "{json}");
    assert_eq!(json["incident_id"], first["incident_id"]);
    let detail = incident(&h, &app, &first["incident_id"]).await;
    assert_eq!(detail["live"]["alarms"], 2, "{detail}");
    assert_ne!(detail["incident"]["status"], "closed", "{detail}");
    assert!(detail["incident"]["ended_at"].is_null(), "{detail}");
}

#[actix_web::test]
async fn an_unknown_caller_is_accepted_into_an_unresolved_incident() {
    let h = harness().await;
    let app = h.app().await;
    let (status, json) = app
        .send(call(
            &h,
            phone_call("02399999999", "c9", P100_ALARM, "auto"),
        ))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{json}");
    let detail = incident(&h, &app, &json["incident_id"]).await;
    assert_eq!(detail["incident"]["lift_unresolved"], true, "{detail}");
    assert_eq!(detail["incident"]["needs_operator"], true, "{detail}");
}

#[actix_web::test]
async fn bad_packets_are_422_naming_the_fault_commit_no_alarm_and_go_on_the_line_record() {
    let h = harness().await;
    let app = h.app().await;
    let before = h.footprint().await;
    for (digits, fault) in [
        ("18123456782E", "checksum mismatch"),
        ("18123X56782D", "illegal digit 'X' at position 6"),
        ("18", "truncated"),
        ("0410*12345678#", "unknown P100 alarm type"),
    ] {
        let (status, json) = app
            .send(call(&h, phone_call(PHONE, "bad", digits, "P100")))
            .await;
        assert_error(
            status,
            &json,
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_packet",
            Some("digits"),
        );
        let message = json["error"]["message"].as_str().unwrap();
        assert!(message.contains(fault), "{digits}: {message}");
    }
    // No alarm: only one alarm line fault per garbled packet, on the phone's lift record.
    let (log, inbox) = h.footprint().await;
    assert_eq!((log - before.0, inbox), (4, before.1));
    let faults = equipment_events(&h, before.0).await;
    assert!(
        faults
            .iter()
            .all(|(kind, incident, reason)| kind == "equipment_fault"
                && incident.is_none()
                && reason.contains("garbled packet")),
        "{faults:?}"
    );
    // The operator sees the faulty line (one entry for the phone, its latest fault).
    let (status, list) = app
        .send(get("/api/v1/equipment", &h.tokens[&Role::Operator]))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["equipment"]["type"], "phone", "{list}");
    assert!(
        list[0]["fault"]
            .as_str()
            .unwrap()
            .contains("garbled packet"),
        "{list}"
    );
}

/// The equipment events logged after row `after`: (kind, incident, reason).
async fn equipment_events(h: &Harness, after: usize) -> Vec<(String, Option<i64>, String)> {
    let rows = h.state.store.log_page(after as i64, 100).await.unwrap();
    rows.into_iter()
        .map(|r| {
            (
                r.event.kind.name().to_owned(),
                r.event.incident.map(|i| i.0),
                r.event.reason,
            )
        })
        .collect()
}

#[actix_web::test]
async fn a_test_call_reports_the_phones_faults_on_its_record_and_commits_no_alarm() {
    let h = harness().await;
    let app = h.app().await;
    let before = h.footprint().await;
    let (status, json) = app
        .send(call(&h, phone_call(PHONE, "t1", "3912345678131", "auto")))
        .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json, json!({"kind": "test_call", "faults": ["battery"]}));
    let (status, json) = app
        .send(call(
            &h,
            phone_call(PHONE, "t2", "042113*12345678#", "CPC-KONE"),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["faults"], json!(["battery", "microphone"]));
    // No alarm: the test calls are on the phone's record as health reports.
    let (log, inbox) = h.footprint().await;
    assert_eq!((log - before.0, inbox), (2, before.1));
    let reports = equipment_events(&h, before.0).await;
    assert!(
        reports
            .iter()
            .all(|(kind, incident, reason)| kind == "equipment_fault"
                && incident.is_none()
                && reason.contains("battery")),
        "{reports:?}"
    );
}

#[actix_web::test]
async fn a_bad_caller_protocol_or_call_id_is_400_naming_it() {
    let h = harness().await;
    let app = h.app().await;
    for (body, field) in [
        (
            phone_call("not a number", "c1", P100_ALARM, "auto"),
            "caller",
        ),
        (phone_call(PHONE, "c1", P100_ALARM, "P200"), "protocol"),
        (phone_call(PHONE, " ", P100_ALARM, "auto"), "call_id"),
    ] {
        let (status, json) = app.send(call(&h, body)).await;
        assert_error(
            status,
            &json,
            StatusCode::BAD_REQUEST,
            "invalid_field",
            Some(field),
        );
    }
    let (status, json) = app.send(call(&h, json!({"caller": PHONE}))).await;
    assert_error(
        status,
        &json,
        StatusCode::BAD_REQUEST,
        "missing_field",
        None,
    );
}
