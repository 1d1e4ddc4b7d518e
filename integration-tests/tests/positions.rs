//! Live positions and bases: a crew's fix is shown with its age, kept across a restart and
//! paged from; a region whose fixes are all old still dispatches, from the units' bases.

use crate::support::{
    Api, Server, engines, eventually, fresh_database, settings, small_region, token,
};
use liftrescue::domain::{Lift, Unit, UnitKind};
use liftrescue::store::{Role, Store};
use serde_json::{Value, json};
use std::sync::Arc;

/// Opens a fresh database of `engine` with the small region, its units' fixes taken
/// `age_min` minutes ago.
async fn region_fixed_ago(engine: &str, age_min: i64) -> (String, Arc<dyn Store>) {
    let url = fresh_database(engine).await;
    let store = liftrescue::store::open(&url).await.expect("open the store");
    let at = chrono::Utc::now() - chrono::TimeDelta::minutes(age_min);
    liftrescue::registry::seed_demo(store.as_ref(), &small_region(), at)
        .await
        .expect("seed");
    (url, store)
}

/// The `unit_paged` rows of an incident's timeline for the step `step`.
async fn pages(api: &Api, incident: i64, step: &str) -> Vec<Value> {
    let (status, t) = api
        .get(&format!("/api/v1/incidents/{incident}/timeline"))
        .await;
    assert_eq!(status, 200, "{t}");
    t.as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["kind"] == "unit_paged" && r["step"] == step)
        .cloned()
        .collect()
}

/// Raises an alarm on `lift`; its incident id.
async fn alarm(api: &Api, lift: &Lift, id: &str) -> i64 {
    let body = json!({"source_alarm_id": id, "channel": "iot", "lift": {"id": lift.id.0}, "kind": "entrapment_at_landing"});
    let (status, accepted) = api.post("/api/v1/alarms", body).await;
    assert_eq!(status, 202, "{accepted}");
    accepted["incident_id"].as_i64().expect("incident id")
}

/// The on-duty maintainer of the lift's company farthest from it.
fn farthest_maintainer(units: &[Unit], lift: &Lift) -> Unit {
    let mine = units.iter().filter(|u| {
        u.kind == UnitKind::Maintainer && Some(u.company) == lift.maintainer && u.on_duty
    });
    let far = |u: &&Unit| u.fix.map(|f| f.at.distance_m(lift.position)).unwrap_or(0.0);
    mine.max_by(|a, b| far(a).total_cmp(&far(b)))
        .cloned()
        .expect("the company has an on-duty maintainer")
}

fn unit_of(units: &Value, id: i64) -> &Value {
    units
        .as_array()
        .and_then(|a| a.iter().find(|u| u["id"] == id))
        .unwrap_or_else(|| panic!("unit {id} is not listed: {units}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crews_position_is_shown_with_its_age_kept_across_a_restart_and_paged_from() {
    for engine in engines() {
        let (url, store) = region_fixed_ago(engine, 0).await;
        let lifts = store.lifts(None, 500).await.unwrap();
        let lift = lifts.iter().find(|l| l.maintainer.is_some()).unwrap();
        let units = store.units().await.unwrap();
        let crew_unit = farthest_maintainer(&units, lift);
        let id = crew_unit.id.0;
        let server = Server::start(settings(&url, "dispatch-rules")).await;
        let crew = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Crew, Some(id)).await,
        );
        let admin = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Admin, None).await,
        );
        // The crew drives to the lift's building and reports where it is.
        let (lat, lon) = (lift.position.lat, lift.position.lon);
        let (status, body) = crew
            .post("/api/v1/crew/position", json!({"lat": lat, "lon": lon}))
            .await;
        assert_eq!(status, 202, "{engine}: {body}");
        let (status, listed) = admin.get("/api/v1/units").await;
        assert_eq!(status, 200, "{engine}: {listed}");
        let shown = unit_of(&listed, id);
        assert_eq!(
            shown["fix"]["at"],
            json!({"lat": lat, "lon": lon}),
            "{engine}"
        );
        assert!(
            shown["fix_age_s"]
                .as_i64()
                .is_some_and(|a| (0..60).contains(&a)),
            "{shown}"
        );
        assert!(
            shown["base"].is_object(),
            "{engine}: demo units have a base: {shown}"
        );
        let (status, me) = crew.get("/api/v1/crew/me").await;
        assert_eq!(status, 200, "{engine}: {me}");
        assert_eq!(me["fix"]["at"], json!({"lat": lat, "lon": lon}), "{engine}");
        assert!(
            me["fix_age_s"]
                .as_i64()
                .is_some_and(|a| (0..60).contains(&a)),
            "{me}"
        );
        // Written behind the desk within a second or so, without a stop.
        eventually(10, || async {
            let kept = store.fixes().await.expect("read the fixes");
            kept.iter()
                .any(|(u, f)| u.0 == id && f.at.distance_m(lift.position) < 0.01)
                .then_some(())
        })
        .await;
        server.stop().await;

        // Restarted on the same database, the desk pages the crew from where it reported.
        let server = Server::start(settings(&url, "dispatch-rules")).await;
        let op = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Operator, None).await,
        );
        let (_, listed) = op.get("/api/v1/units").await;
        assert_eq!(
            unit_of(&listed, id)["fix"]["at"],
            json!({"lat": lat, "lon": lon})
        );
        let incident = alarm(&op, lift, "after-restart").await;
        let paged = pages(&op, incident, "contracted").await;
        let first = &paged.first().unwrap_or_else(|| panic!("{engine}: no page"))["body"]["kind"];
        assert_eq!(first["candidate"]["unit"], id, "{engine}: {first}");
        let distance = first["candidate"]["distance_m"].as_f64().unwrap();
        assert!(
            distance < 1.0,
            "{engine}: paged from {distance} m, not its new fix"
        );
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hour_after_its_last_fixes_the_demo_region_pages_the_nearest_unit_from_its_base() {
    for engine in engines() {
        // Every fix an hour old: past the rules' 5-minute freshness, as in a demo left running.
        let (url, store) = region_fixed_ago(engine, 60).await;
        let lifts = store.lifts(None, 500).await.unwrap();
        let lift = lifts.iter().find(|l| l.maintainer.is_some()).unwrap();
        let units = store.units().await.unwrap();
        let server = Server::start(settings(&url, "dispatch-rules")).await;
        let op = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Operator, None).await,
        );
        let incident = alarm(&op, lift, "an-hour-later").await;
        let paged = pages(&op, incident, "contracted").await;
        let first = paged
            .first()
            .unwrap_or_else(|| panic!("{engine}: nobody paged"));
        let candidate = &first["body"]["kind"]["candidate"];
        // The nearest on-duty maintainer of the lift's company by base.
        let nearest = units
            .iter()
            .filter(|u| {
                u.kind == UnitKind::Maintainer && Some(u.company) == lift.maintainer && u.on_duty
            })
            .filter_map(|u| u.base.map(|b| (b.distance_m(lift.position), u.id.0)))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .expect("the company has an on-duty maintainer with a base");
        assert_eq!(candidate["unit"], nearest.1, "{engine}: {first}");
        assert!((candidate["distance_m"].as_f64().unwrap() - nearest.0).abs() < 0.01);
        assert_eq!(candidate["from_base"], true, "{engine}: {candidate}");
        let reason = first["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("from its base, no fresh position"),
            "{engine}: {reason}"
        );
        // Not handed to the operator.
        let (_, view) = op.get(&format!("/api/v1/incidents/{incident}")).await;
        assert_eq!(
            view["incident"]["needs_operator"], false,
            "{engine}: {view}"
        );
        server.stop().await;
    }
}
