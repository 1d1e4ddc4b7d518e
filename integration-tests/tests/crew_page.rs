//! The crew page in a real browser (headless Chromium): a crew opens the link from its page,
//! accepts with an ETA and reports its progress with one tap each; the record shows it.

use crate::support::browser::Browser;
use crate::support::{
    Api, Server, eventually, fresh_database, lift_where, seeded, settings, token,
};
use liftrescue::store::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crew_accepts_and_reports_progress_on_the_crew_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let url = fresh_database("sqlite").await;
    let store = seeded(&url).await;
    let lift = lift_where(store.as_ref(), |l| l.maintainer.is_some()).await;
    let server = Server::start(settings(&url, "dispatch-rules")).await;
    let intake = Api::new(
        &server.base,
        &token(store.as_ref(), Role::Integration, None).await,
    );
    let op = Api::new(
        &server.base,
        &token(store.as_ref(), Role::Operator, None).await,
    );
    let alarm = json!({"source_alarm_id": "page-1", "lift": {"id": lift.id.0}, "kind": "entrapment_between_floors"});
    let (status, body) = intake.post("/api/v1/alarms", alarm).await;
    assert_eq!(status, 202, "{body}");
    let incident = body["incident_id"].as_i64().unwrap();
    let (_, detail) = op.get(&format!("/api/v1/incidents/{incident}")).await;
    let unit = detail["live"]["steps"][0]["pages"][0]["unit"]
        .as_i64()
        .unwrap();
    let crew = token(store.as_ref(), Role::Crew, Some(unit)).await;

    // The link from the SMS, with the token in the fragment (it never reaches the server).
    browser
        .goto(&format!("{}/crew/{incident}#token={crew}", server.base))
        .await;
    browser.wait_for(&format!("#accept-{incident}"), 15).await;
    let card = browser.text(&format!("#incident-{incident}")).await;
    assert!(card.contains(lift.rescue_code.as_str()), "{card}");
    assert!(card.contains(lift.address.trim()), "{card}");
    browser.type_into(&format!("#eta-{incident}"), "12").await;
    browser.click(&format!("#accept-{incident}")).await;
    browser.wait_for(&format!("#en-route-{incident}"), 15).await;

    let timeline = |kind: &'static str| {
        let op = &op;
        async move {
            let (_, t) = op
                .get(&format!("/api/v1/incidents/{incident}/timeline"))
                .await;
            t.as_array()?
                .iter()
                .find(|e| e["kind"] == kind)
                .map(|e| e["body"].clone())
        }
    };
    let accepted = eventually(10, || timeline("accepted")).await;
    assert_eq!(accepted["kind"]["unit"], unit);
    assert_eq!(
        accepted["kind"]["eta_secs"], 720,
        "12 minutes from the page"
    );
    assert_eq!(accepted["actor"], json!({"type": "unit", "id": unit}));

    browser.click(&format!("#en-route-{incident}")).await;
    browser.wait_for(&format!("#on-scene-{incident}"), 15).await;
    browser.click(&format!("#on-scene-{incident}")).await;
    browser.wait_for(&format!("#released-{incident}"), 15).await;
    let progress = eventually(10, || timeline("crew_progress")).await;
    assert_eq!(progress["kind"]["status"], "en_route");
    let (_, row) = op.get(&format!("/api/v1/incidents/{incident}")).await;
    assert_eq!(row["incident"]["status"], "on_scene", "{row}");

    // An incident that is not this crew's shows as such; a page without a token asks for one.
    browser.goto(&format!("{}/crew/999999", server.base)).await;
    let says = eventually(10, || async {
        let t = browser.text("#list").await;
        (!t.is_empty()).then_some(t)
    })
    .await;
    assert!(says.contains("999999"), "{says}");
    browser.quit().await;
    server.stop().await;
}
