//! The whole story through the API: alarm, crew, operator, timeline.

use super::*;
use serde_json::json;

#[actix_web::test]
async fn an_alarm_runs_through_crew_and_operator_to_a_closed_hash_chained_timeline() {
    let h = Harness::new().await;
    let app = h.app().await;
    let alarm = json!({
        "source_alarm_id": "gw-77",
        "channel": "cabin_phone",
        "lift": {"rescue_code": LIFT1_CODE},
        "kind": "entrapment_between_floors",
        "floor": "7",
        "description": "two people, car stopped between 7 and 8",
    });
    let intake = &h.tokens[&Role::Integration];
    let (status, first) = app
        .send(post("/api/v1/alarms", intake).set_json(&alarm))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    assert_eq!(first["duplicate"], false);
    let id = first["incident_id"].as_i64().expect("incident named");
    let (status, again) = app
        .send(post("/api/v1/alarms", intake).set_json(&alarm))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        (again["duplicate"].clone(), again["alarm_id"].clone()),
        (json!(true), first["alarm_id"].clone())
    );

    let crew = &h.tokens[&Role::Crew];
    for (n, action) in ["accept", "en-route", "on-scene", "released"]
        .iter()
        .enumerate()
    {
        let path = format!("/api/v1/crew/incidents/{id}/{action}");
        let req = crew_post(&path, crew, &format!("step-{n}"));
        let req = if *action == "accept" {
            req.set_json(json!({"eta_secs": 600}))
        } else {
            req
        };
        let (status, body) = app.send(req).await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        assert!(
            !body["events"].as_array().unwrap().is_empty(),
            "{action}: {body}"
        );
    }
    let op = &h.tokens[&Role::Operator];
    for (action, body) in [
        (
            "confirm-release",
            json!({"note": "called back: both out, unhurt"}),
        ),
        (
            "fault-cause",
            json!({"code": "door_lock", "text": "landing door lock contact worn"}),
        ),
        ("close", json!({})),
    ] {
        let path = format!("/api/v1/incidents/{id}/{action}");
        let (status, answer) = app.send(post(&path, op).set_json(body)).await;
        assert_eq!(status, StatusCode::OK, "{action}: {answer}");
    }

    let (status, detail) = app.send(get(&format!("/api/v1/incidents/{id}"), op)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["incident"]["status"], "closed", "{detail}");

    let investigator = &h.tokens[&Role::Investigator];
    let (status, timeline) = app
        .send(get(
            &format!("/api/v1/incidents/{id}/timeline"),
            investigator,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_timeline(timeline.as_array().unwrap(), id);
}

fn assert_timeline(entries: &[Value], id: i64) {
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for want in [
        "incident_opened",
        "unit_paged",
        "accepted",
        "crew_progress",
        "release_confirmed",
        "fault_cause_filed",
        "closed",
    ] {
        assert!(kinds.contains(&want), "{want} missing from {kinds:?}");
    }
    assert_eq!(kinds.first(), Some(&"incident_opened"));
    assert_eq!(kinds.last(), Some(&"closed"));
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["incident_seq"], i as i64 + 1, "{e}");
        assert_eq!(e["body"]["incident"], id);
        assert_eq!(e["hash"].as_str().unwrap().len(), 64);
        let canonical: Value = serde_json::from_str(e["canonical"].as_str().unwrap()).unwrap();
        assert_eq!(canonical, e["body"]);
        assert_eq!(e["body"]["reason"], e["reason"]);
        let at = chrono::DateTime::parse_from_rfc3339(e["at"].as_str().unwrap()).unwrap();
        let recomputed = crate::store::chain::row_hash(
            e["prev_hash"].as_str().unwrap(),
            e["seq"].as_i64().unwrap(),
            Some(IncidentId(id)),
            at.to_utc(),
            e["canonical"].as_str().unwrap(),
        );
        assert_eq!(
            e["hash"], recomputed,
            "row {i}: the hash covers `canonical`"
        );
        if i > 0 {
            // One incident only in this log: each row links to the one before.
            assert_eq!(e["prev_hash"], entries[i - 1]["hash"], "row {i}");
            assert!(e["seq"].as_i64() > entries[i - 1]["seq"].as_i64());
        }
    }
    let crew: Vec<&Value> = entries
        .iter()
        .filter(|e| e["kind"] == "crew_progress")
        .collect();
    let statuses: Vec<&Value> = crew.iter().map(|e| &e["body"]["kind"]["status"]).collect();
    assert_eq!(
        statuses,
        [&json!("en_route"), &json!("on_scene"), &json!("released")]
    );
}

#[actix_web::test]
async fn a_hotline_call_opens_an_incident_that_operators_find_by_search() {
    let h = Harness::new().await;
    let app = h.app().await;
    let op = &h.tokens[&Role::Operator];
    let call = json!({"rescue_code": LIFT1_CODE, "flags": {"child_alone": true}, "caller": "+86 138-0000-0000"});
    let (status, body) = app.send(post("/api/v1/incidents", op).set_json(call)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["incident_id"].as_i64().unwrap();
    assert_eq!(body["lift_unresolved"], false, "{body}");
    // A code nobody registered is not turned away: the incident opens, lift unresolved.
    let (status, body) = app
        .send(post("/api/v1/incidents", op).set_json(json!({"rescue_code": "999999"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["lift_unresolved"], true, "{body}");
    let unresolved = body["incident_id"].as_i64().unwrap();
    let (_, listed) = app.send(get("/api/v1/incidents?open=true", op)).await;
    assert_eq!(listed[0]["id"], unresolved, "listed first: {listed}");
    assert_eq!(listed[0]["lift_unresolved"], true);
    // A code that is not a code at all is still a 400.
    let (status, body) = app
        .send(post("/api/v1/incidents", op).set_json(json!({"rescue_code": "12a4"})))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invalid_field",
        Some("rescue_code"),
    );

    let search = |q: &str| get(&format!("/api/v1/incidents?{q}"), op);
    let (status, rows) = app
        .send(search(
            "status=dispatched,reported&open=true&lift=1&limit=10",
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    assert_eq!(rows[0]["id"], id);
    let (_, rows) = app.send(search("lift=2")).await;
    assert_eq!(rows, json!([]));
    let investigator = &h.tokens[&Role::Investigator];
    let req = get(
        "/api/v1/incidents?company=1&from=2000-01-01T00:00:00Z&breached=false",
        investigator,
    );
    let (status, rows) = app.send(req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows[0]["id"], id);
    for (q, field) in [
        ("status=stuck", "status"),
        ("limit=0", "limit"),
        ("from=monday", "from"),
        ("open=maybe", "open"),
        ("colour=red", "colour"),
    ] {
        let (status, body) = app.send(search(q)).await;
        assert_error(
            status,
            &body,
            StatusCode::BAD_REQUEST,
            "invalid_field",
            Some(field),
        );
    }
    let (status, detail) = app.send(get(&format!("/api/v1/incidents/{id}"), op)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        detail["live"]["steps"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{detail}"
    );
}
