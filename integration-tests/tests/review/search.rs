//! The investigators' search and statistics over real HTTP, on both engines: incidents driven
//! through the API are found by every filter, and the statistics equal what a reader computes
//! from the timelines alone.

use crate::support::{Api, Server, engines, fresh_database, seeded, settings, token};
use liftrescue::domain::Lift;
use liftrescue::store::{Role, Store};
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn alarm(api: &Api, lift: &Lift, id: &str, trapped: Option<u16>) -> i64 {
    let mut body = json!({"source_alarm_id": id, "channel": "cabin_phone",
        "lift": {"rescue_code": lift.rescue_code.as_str()}, "kind": "entrapment_between_floors"});
    if let Some(n) = trapped {
        body["trapped"] = json!(n);
    }
    let (status, accepted) = api.post("/api/v1/alarms", body).await;
    assert_eq!(status, 202, "{accepted}");
    accepted["incident_id"].as_i64().expect("incident id")
}

async fn first_unit(op: &Api, incident: i64) -> i64 {
    let (_, body) = op.get(&format!("/api/v1/incidents/{incident}")).await;
    body["live"]["steps"][0]["pages"][0]["unit"]
        .as_i64()
        .unwrap_or_else(|| panic!("no page: {body}"))
}

async fn crew_api(server: &Server, store: &dyn Store, unit: i64) -> Api {
    Api::new(&server.base, &token(store, Role::Crew, Some(unit)).await)
}

/// Seconds between two RFC 3339 times.
fn secs(from: &str, to: &str) -> i64 {
    let f = chrono::DateTime::parse_from_rfc3339(from).unwrap();
    let t = chrono::DateTime::parse_from_rfc3339(to).unwrap();
    (t - f).num_seconds().max(0)
}

/// What a reader computes from one timeline alone: (entrapment, cancelled, response, arrival,
/// rescue, trapped).
fn from_timeline(
    t: &Value,
) -> (
    bool,
    bool,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
) {
    let rows = t.as_array().unwrap();
    let first = |pred: &dyn Fn(&Value) -> bool| {
        rows.iter()
            .find(|r| pred(r))
            .map(|r| r["at"].as_str().unwrap().to_owned())
    };
    let opened = &rows[0]["body"]["kind"];
    let alarm_at = opened["alarm"]["received_at"].as_str().unwrap().to_owned();
    let fault = opened["alarm"]["kind"]["kind"] == "fault";
    let false_alarm = first(&|r| r["kind"] == "false_alarm").is_some();
    let cancelled = first(&|r| r["kind"] == "cancelled").is_some();
    let accepted = first(&|r| r["kind"] == "accepted");
    let progress = |s: &'static str| {
        move |r: &Value| r["kind"] == "crew_progress" && r["body"]["kind"]["status"] == s
    };
    // Arrival counts rescuers (maintainers, fire/rescue), not property staff: a unit's kind is
    // what its paging step pages.
    let mut targets = std::collections::HashMap::new();
    let mut unit_steps = std::collections::HashMap::new();
    for r in rows {
        let k = &r["body"]["kind"];
        if r["kind"] == "step_started" {
            targets.insert(k["step"]["id"].to_string(), k["step"]["page"].to_string());
        }
        if r["kind"] == "unit_paged" {
            unit_steps.insert(
                k["candidate"]["unit"].to_string(),
                r["body"]["step"].to_string(),
            );
        }
    }
    let property = |r: &Value| {
        let step = unit_steps.get(&r["body"]["kind"]["unit"].to_string());
        step.and_then(|s| targets.get(s))
            .is_some_and(|t| t == "\"property_staff\"")
    };
    let on_scene = first(&|r: &Value| progress("on_scene")(r) && !property(r));
    let released = first(&progress("released")).or(first(&|r| r["kind"] == "release_confirmed"));
    let trapped = rows
        .iter()
        .filter_map(|r| r["body"]["kind"]["alarm"]["trapped"].as_i64())
        .max();
    (
        !fault && !false_alarm,
        cancelled,
        accepted.map(|a| secs(&alarm_at, &a)),
        on_scene.as_ref().map(|a| secs(&alarm_at, a)),
        on_scene.and_then(|o| released.map(|r| secs(&o, &r))),
        trapped,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_finds_incidents_by_every_filter_and_the_statistics_agree_with_the_timelines() {
    for engine in engines() {
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let lifts: Vec<Lift> = store
            .lifts(None, 500)
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.maintainer.is_some() && !l.flags.no_property_management)
            .take(4)
            .collect();
        let server = Server::start(settings(&url, "dispatch-rules")).await;
        let s = store.as_ref();
        let op = Api::new(&server.base, &token(s, Role::Operator, None).await);
        let inv = Api::new(&server.base, &token(s, Role::Investigator, None).await);

        // A: a whole rescue; B: a false alarm; C: cancelled; D: accepted, on scene, open.
        let a = alarm(&op, &lifts[0], "a", Some(2)).await;
        let unit_a = first_unit(&op, a).await;
        let crew = crew_api(&server, s, unit_a).await;
        for step in ["accept", "en-route", "on-scene", "released"] {
            let path = format!("/api/v1/crew/incidents/{a}/{step}");
            assert_eq!(crew.post(&path, json!({})).await.0, 200, "{engine}: {step}");
        }
        let ops = |i: i64, what: &str| format!("/api/v1/incidents/{i}/{what}");
        let note = json!({"note": "caller confirms"});
        assert_eq!(op.post(&ops(a, "confirm-release"), note).await.0, 200);
        let cause = json!({"code": "door_lock_fault", "text": "worn"});
        assert_eq!(op.post(&ops(a, "fault-cause"), cause).await.0, 200);
        assert_eq!(op.post(&ops(a, "close"), json!({})).await.0, 200);
        let b = alarm(&op, &lifts[1], "b", None).await;
        let why = json!({"reason": "nobody inside"});
        assert_eq!(op.post(&ops(b, "false-alarm"), why.clone()).await.0, 200);
        let c = alarm(&op, &lifts[2], "c", Some(1)).await;
        assert_eq!(op.post(&ops(c, "cancel"), why).await.0, 200);
        let d = alarm(&op, &lifts[3], "d", None).await;
        let crew_d = crew_api(&server, s, first_unit(&op, d).await).await;
        for step in ["accept", "on-scene"] {
            let path = format!("/api/v1/crew/incidents/{d}/{step}");
            assert_eq!(
                crew_d.post(&path, json!({})).await.0,
                200,
                "{engine}: {step}"
            );
        }

        let ids = |v: &Value| -> BTreeSet<i64> {
            v["items"]
                .as_array()
                .unwrap_or_else(|| panic!("{engine}: {v}"))
                .iter()
                .map(|i| i["id"].as_i64().unwrap())
                .collect()
        };
        let search = |q: String| {
            let inv = &inv;
            async move {
                let (status, body) = inv.get(&format!("/api/v1/review/incidents?{q}")).await;
                assert_eq!(status, 200, "{engine} {q}: {body}");
                body
            }
        };
        let all = search(String::new()).await;
        assert_eq!(all["total"], 4, "{engine}: {all}");
        assert_eq!(ids(&all), BTreeSet::from([a, b, c, d]));
        let code = lifts[0].rescue_code.as_str();
        let reg = lifts[0].registration_code.as_str();
        for (q, want) in [
            (format!("lift={code}"), vec![a]),
            (format!("lift={reg}"), vec![a]),
            ("lift=000000".to_owned(), vec![]),
            ("outcome=false_alarm".to_owned(), vec![b]),
            ("outcome=cancelled".to_owned(), vec![c]),
            ("outcome=released".to_owned(), vec![a]),
            ("outcome=open".to_owned(), vec![d]),
            (format!("unit={unit_a}"), vec![a]),
            ("channel=cabin_phone".to_owned(), vec![a, b, c, d]),
            ("channel=hotline".to_owned(), vec![]),
            ("level=3".to_owned(), vec![]),
            ("entrapment=false".to_owned(), vec![b]),
            ("breached=arrive".to_owned(), vec![]),
            (
                format!("company={}", lifts[0].maintainer.unwrap().0),
                vec![a],
            ),
            ("from=2000-01-01&to=2000-12-31".to_owned(), vec![]),
        ] {
            let got = search(q.clone()).await;
            let want: BTreeSet<i64> = want.into_iter().collect();
            // Other lifts may share the company: only check that the wanted ones are there.
            if q.starts_with("company=") {
                assert!(want.is_subset(&ids(&got)), "{engine} {q}: {got}");
            } else {
                assert_eq!(ids(&got), want, "{engine} {q}");
            }
        }
        let page = search("per_page=2&page=2&sort=id&order=asc".to_owned()).await;
        let order: Vec<i64> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect();
        let mut sorted = [a, b, c, d];
        sorted.sort();
        assert_eq!(order, sorted[2..].to_vec(), "{engine}");
        let found = &search(format!("lift={code}")).await["items"][0];
        assert_eq!(
            (found["trapped"].clone(), found["outcome"].clone()),
            (json!(2), json!("released"))
        );

        // Bad parameters: 400 naming the field, for investigators as for anyone.
        for (q, field) in [
            ("level=7", "level"),
            ("from=yesterday", "from"),
            ("sort=name", "sort"),
        ] {
            let (status, body) = inv.get(&format!("/api/v1/review/incidents?{q}")).await;
            assert_eq!(status, 400, "{engine} {q}: {body}");
            assert!(body.to_string().contains(field), "{body}");
        }
        let (status, _) = inv.get("/api/v1/stats?group_by=district").await;
        assert_eq!(status, 400);

        // The statistics equal a reading of the timelines.
        let (mut entrapments, mut trapped, mut known) = (0, 0, 0);
        let (mut response, mut arrival, mut rescue) = (vec![], vec![], vec![]);
        for i in [a, b, c, d] {
            let (_, t) = inv.get(&format!("/api/v1/incidents/{i}/timeline")).await;
            let (ent, cancelled, r, ar, re, tr) = from_timeline(&t);
            entrapments += i64::from(ent);
            if let Some(n) = tr {
                trapped += n;
                known += 1;
            }
            if ent && !cancelled {
                response.extend(r);
                arrival.extend(ar);
                rescue.extend(re);
            }
        }
        let (status, stats) = inv.get("/api/v1/stats?group_by=company").await;
        assert_eq!(status, 200, "{engine}: {stats}");
        let total = &stats["total"];
        assert_eq!(total["incidents"], 4, "{engine}: {total}");
        assert_eq!(total["alarms"], 4);
        assert_eq!(total["entrapments"], entrapments);
        assert_eq!(
            (total["trapped"].clone(), total["trapped_known"].clone()),
            (json!(trapped), json!(known))
        );
        assert_eq!(total["false_alarms"], 1);
        assert_eq!(total["cancelled"], 1);
        for (name, values) in [
            ("response", &response),
            ("arrival", &arrival),
            ("rescue", &rescue),
        ] {
            assert_eq!(total[name]["n"], values.len(), "{engine} {name}: {total}");
            let avg = values.iter().sum::<i64>() as f64 / values.len() as f64;
            assert_eq!(total[name]["avg_secs"], json!(avg), "{engine} {name}");
        }
        let groups = stats["groups"].as_array().unwrap();
        let summed: i64 = groups
            .iter()
            .map(|g| g["incidents"].as_i64().unwrap())
            .sum();
        assert_eq!(summed, 4, "{engine}: the groups add up to the whole");
        assert!(
            groups
                .iter()
                .all(|g| g["label"] != g["key"] || g["key"] == "unknown"),
            "{engine}: companies are named: {stats}"
        );
        assert!(stats["definitions"].as_array().unwrap().len() >= 10);

        // Crews, integrations and admins do not read the review.
        for role in [Role::Crew, Role::Integration, Role::Admin] {
            let unit = (role == Role::Crew).then_some(unit_a);
            let other = Api::new(&server.base, &token(s, role, unit).await);
            assert_eq!(
                other.get("/api/v1/review/incidents").await.0,
                403,
                "{role:?}"
            );
            assert_eq!(other.get("/api/v1/stats").await.0, 403, "{role:?}");
        }
        server.stop().await;
    }
}
