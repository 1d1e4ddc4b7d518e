//! The lift quality evaluation over HTTP against the real server, on a small history made
//! through the API (alarms → incidents → crew actions → fault cause → close), on SQLite and,
//! when configured, PostgreSQL.

use crate::support::{Api, Server, engines, fresh_database, lift_where, seeded, settings, token};
use chrono::{Datelike, Utc};
use liftrescue::domain::Lift;
use liftrescue::store::{Role, Store};
use serde_json::{Value, json};

/// The crew unit first paged for an incident.
async fn first_paged_unit(op: &Api, incident: i64) -> i64 {
    let (status, body) = op.get(&format!("/api/v1/incidents/{incident}")).await;
    assert_eq!(status, 200, "{body}");
    body["live"]["steps"][0]["pages"][0]["unit"]
        .as_i64()
        .unwrap_or_else(|| panic!("no page: {body}"))
}

/// One entrapment on `lift` from `channel`, run to its close with `cause` filed; its id.
async fn entrapment(
    base: &str,
    store: &dyn Store,
    intake: &Api,
    op: &Api,
    lift: &Lift,
    (channel, n, cause): (&str, usize, &str),
) -> i64 {
    let alarm = json!({"source_alarm_id": format!("q-{}-{n}", lift.id.0), "channel": channel,
                       "lift": {"rescue_code": lift.rescue_code.as_str()},
                       "kind": "entrapment_between_floors"});
    let (status, accepted) = intake.post("/api/v1/alarms", alarm).await;
    assert_eq!(status, 202, "{accepted}");
    let incident = accepted["incident_id"].as_i64().unwrap();
    let unit = first_paged_unit(op, incident).await;
    let crew = Api::new(base, &token(store, Role::Crew, Some(unit)).await);
    let path = |a: &str| format!("/api/v1/crew/incidents/{incident}/{a}");
    for (action, body) in [
        ("accept", json!({"eta_secs": 300})),
        ("en-route", json!({})),
        ("on-scene", json!({})),
        ("released", json!({})),
    ] {
        let (status, body) = crew.post(&path(action), body).await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    let op_path = |a: &str| format!("/api/v1/incidents/{incident}/{a}");
    for (action, body) in [
        ("confirm-release", json!({"note": "out"})),
        (
            "fault-cause",
            json!({"code": cause, "text": "found on site"}),
        ),
        ("close", json!({})),
    ] {
        let (status, body) = op.post(&op_path(action), body).await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    incident
}

async fn get_text(base: &str, token: &str, path: &str) -> (u16, String, String) {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ty = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    (status, ty, r.text().await.unwrap())
}

/// The CSV's rows as maps of header → value.
fn parse_csv(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn ids(rows: &Value, key: &str) -> Vec<i64> {
    rows.as_array()
        .map(|a| a.iter().filter_map(|r| r[key].as_i64()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_often_failing_lift_grades_worst_and_is_on_the_disclosure_and_assessment_lists() {
    let year = Utc::now().year();
    for engine in engines() {
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let old = lift_where(store.as_ref(), |l| {
            l.maintainer.is_some() && l.commissioned.is_some_and(|c| year - c.year() >= 16)
        })
        .await;
        let young = lift_where(store.as_ref(), |l| {
            l.maintainer.is_some() && l.commissioned.is_some_and(|c| year - c.year() <= 6)
        })
        .await;
        let server = Server::start(settings(&url, "dispatch-rules")).await;
        let base = server.base.clone();
        let s = store.as_ref();
        let intake = Api::new(&base, &token(s, Role::Integration, None).await);
        let op = Api::new(&base, &token(s, Role::Operator, None).await);
        let inv_token = token(s, Role::Investigator, None).await;
        let inv = Api::new(&base, &inv_token);

        let mut old_incidents = Vec::new();
        for (i, (channel, cause)) in [
            ("cabin_phone", "door-lock"),
            ("cabin_phone", "door-lock"),
            ("hotline", "brake"),
        ]
        .into_iter()
        .enumerate()
        {
            let id = entrapment(&base, s, &intake, &op, &old, (channel, i, cause)).await;
            old_incidents.push(id);
        }
        entrapment(
            &base,
            s,
            &intake,
            &op,
            &young,
            ("cabin_phone", 9, "dirty-sill"),
        )
        .await;

        let now = Utc::now();
        let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let span = format!(
            "from={}&to={}",
            fmt(now - chrono::TimeDelta::hours(1)),
            fmt(now + chrono::TimeDelta::hours(1))
        );

        let (status, page) = inv
            .get(&format!("/api/v1/quality/lifts?{span}&per_page=5"))
            .await;
        assert_eq!(status, 200, "{engine}: {page}");
        let worst = &page["items"][0];
        assert_eq!(worst["lift"], old.id.0, "{engine}: {page}");
        assert_eq!(worst["grade"], "D", "{engine}: {worst}");
        assert_eq!(worst["entrapments"], 3);
        assert_eq!(worst["repeated_causes"][0]["code"], "door-lock");
        assert_eq!(worst["rate_basis"], "per_year");
        assert!(worst["entrapments_per_10k_trips"].is_null());
        let reasons = worst["reasons"].to_string();
        assert!(reasons.contains("door-lock 2 times") && reasons.contains("同一故障原因"));
        let young_eval = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["lift"] == young.id.0)
            .unwrap_or_else(|| panic!("{engine}: the young lift is second: {page}"));
        assert!(young_eval["score"].as_f64() > worst["score"].as_f64());
        let (status, d_only) = inv
            .get(&format!("/api/v1/quality/lifts?{span}&grade=D"))
            .await;
        assert_eq!(status, 200);
        assert!(
            d_only["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["grade"] == "D")
        );

        for list in ["disclosure", "safety_assessment"] {
            let (status, body) = inv
                .get(&format!("/api/v1/quality/lists/{list}?{span}"))
                .await;
            assert_eq!(status, 200, "{engine} {list}: {body}");
            assert!(
                ids(&body["rows"], "lift_id").contains(&old.id.0),
                "{engine} {list}: {body}"
            );
            let (status, ty, text) = get_text(
                &base,
                &inv_token,
                &format!("/api/v1/quality/lists/{list}?{span}&format=csv"),
            )
            .await;
            assert_eq!(status, 200, "{text}");
            assert!(ty.starts_with("text/csv"), "{ty}");
            let rows = parse_csv(&text);
            assert!(
                rows.iter().any(|r| r["lift_id"] == old.id.0.to_string()),
                "{text}"
            );
            assert!(rows.iter().all(|r| !r["why_en"].is_empty()));
        }
        let (_, companies) = inv
            .get(&format!("/api/v1/quality/lists/companies?{span}"))
            .await;
        let company = old.maintainer.unwrap().0;
        let row = companies["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["company_id"] == company)
            .unwrap_or_else(|| panic!("{engine}: {companies}"));
        assert!(row["entrapments"].as_i64().unwrap() >= 3, "{row}");
        let (_, ty, text) = get_text(
            &base,
            &inv_token,
            &format!("/api/v1/quality/lists/companies?{span}&format=csv"),
        )
        .await;
        assert!(ty.starts_with("text/csv"));
        assert!(!parse_csv(&text).is_empty());

        // The brake filed on the hotline alarm has no machine behind it.
        let (_, suspicious) = inv
            .get(&format!("/api/v1/quality/lists/suspicious?{span}"))
            .await;
        let flagged = ids(&suspicious["rows"], "incident_id");
        assert_eq!(flagged, [old_incidents[2]], "{engine}: {suspicious}");
        let seqs = &suspicious["rows"][0]["evidence_seqs"];
        assert!(seqs.as_array().unwrap().len() >= 2, "{engine}: {seqs}");

        let (status, history) = inv
            .get(&format!("/api/v1/lifts/{}/history", old.id.0))
            .await;
        assert_eq!(status, 200, "{engine}: {history}");
        let listed: Vec<i64> = ids(&history["incidents"], "id");
        assert_eq!(listed, old_incidents, "{engine}");
        assert_eq!(history["causes"].as_array().unwrap().len(), 3);
        assert_eq!(history["companies"][0]["company_id"], company);
        assert_eq!(history["companies"][0]["incidents"], 3);

        let (status, cfg) = inv.get("/api/v1/quality/config").await;
        assert_eq!(
            (status, cfg["grades"]["a"].as_f64()),
            (200, Some(90.0)),
            "{cfg}"
        );
        let (status, _) = inv.get("/api/v1/quality/lists/nosuch").await;
        assert_eq!(status, 404);
        let (status, _) = inv.get("/api/v1/quality/lifts?grade=E").await;
        assert_eq!(status, 400);
        server.stop().await;
    }
}
