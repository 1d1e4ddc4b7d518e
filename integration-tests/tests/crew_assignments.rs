//! What a crew's phone is given of its incidents over real HTTP, on both engines: the incident,
//! its lift and site, and the crew's own page and next step; nothing of the other units the
//! console sees on it (their pages, names and phones, the override candidates).

use crate::crew_feed::setup;
use crate::support::{Api, engines, token};
use liftrescue::store::Role;
use serde_json::{Value, json};

/// Every unit the console's view of the incident names: its pages' and its candidates'.
fn units_named(live: &Value) -> Vec<i64> {
    let pages = live["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["pages"].as_array().into_iter().flatten());
    let candidates = live["candidates"].as_array().into_iter().flatten();
    pages
        .chain(candidates)
        .filter_map(|p| p["unit"].as_i64())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crew_gets_its_own_page_and_next_step_and_nothing_of_the_other_units() {
    for engine in engines() {
        let s = setup(engine).await;
        let (_, detail) = s.op.get(&format!("/api/v1/incidents/{}", s.incident)).await;
        let live = &detail["live"];
        let mine = s.paged[0];
        let others: Vec<i64> = units_named(live)
            .into_iter()
            .filter(|u| *u != mine)
            .collect();
        assert!(
            !others.is_empty(),
            "{engine}: the console sees other units: {live}"
        );

        let crew = Api::new(
            &s.server.base,
            &token(s.store.as_ref(), Role::Crew, Some(mine)).await,
        );
        let (status, list) = crew.get("/api/v1/crew/assignments").await;
        assert_eq!(status, 200, "{engine}: {list}");
        let view = list
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"] == s.incident)
            .unwrap_or_else(|| panic!("{engine}: the incident is the crew's: {list}"));
        for key in [
            "candidates",
            "steps",
            "clocks",
            "breaches",
            "needs_operator",
        ] {
            assert!(
                view.get(key).is_none(),
                "{engine}: {key} is the console's: {view}"
            );
        }
        // Its own page, and what it does next by when.
        assert_eq!(view["page"]["state"], "pending", "{engine}: {view}");
        assert_eq!(view["next"]["action"], "accept", "{engine}: {view}");
        assert_eq!(view["next"]["due"], view["page"]["ack_due"], "{engine}");
        // What it needs of the incident and the lift.
        for key in ["status", "opened_at", "kind", "flags", "lift", "site"] {
            assert!(!view[key].is_null(), "{engine}: no {key}: {view}");
        }
        assert_eq!(view["kind"], live["kind"], "{engine}");

        // No other unit's id, name or phone anywhere in it.
        let text = view.to_string();
        assert!(!text.contains("\"unit\""), "{engine}: a unit named: {view}");
        let units = s.store.units().await.unwrap();
        for unit in units.iter().filter(|u| others.contains(&u.id.0)) {
            assert!(
                !text.contains(&json!(unit.name).to_string()),
                "{engine}: {}'s name: {view}",
                unit.id
            );
            if let Some(phone) = &unit.phone {
                assert!(
                    !text.contains(phone.as_str()),
                    "{engine}: {}'s phone: {view}",
                    unit.id
                );
            }
        }
        s.server.stop().await;
    }
}
