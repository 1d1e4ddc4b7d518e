//! The review page in headless Chromium: sign in as an investigator, find an incident driven
//! through the API and open its report, read the statistics and their chart, switch to English.

use super::Setup;
use crate::support::browser::Browser;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Polls a script until it returns something truthy, for at most `secs`; its value.
async fn until(b: &Browser, secs: u64, script: &str) -> Value {
    let end = Instant::now() + Duration::from_secs(secs);
    let body = format!("return ({script});");
    loop {
        let v = b.execute(&body).await;
        let truthy = !(v.is_null() || v == json!(false) || v == json!(0) || v == json!(""));
        if truthy && v.get("error").is_none() {
            return v;
        }
        assert!(
            Instant::now() < end,
            "`{script}` not true within {secs} s (it gave {v}); the page says: {}",
            b.text("body").await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn story(engine: &str, full: bool) {
    let Some(b) = Browser::start_sized(1400, 1000).await else {
        return;
    };
    let s = Setup::start(engine).await;
    let id = s.closed_incident("page-1").await;
    let base = &s.server.base;
    b.goto(&format!("{base}/review")).await;
    b.wait_for("#signin:not([hidden]) #token", 15).await;
    b.type_into("#token", &s.investigator.token).await;
    b.click("#sign-in").await;
    b.wait_for("#app:not([hidden])", 10).await;

    // Search by the lift's rescue code: the incident is found.
    b.type_into("#search-form input[name=lift]", s.lift.rescue_code.as_str())
        .await;
    b.click("#search-form button[type=submit]").await;
    let row = format!("#results-rows tr[data-id='{id}']");
    b.wait_for(&row, 10).await;

    // Its report opens in a new tab, showing the lift and the timeline's hashes.
    let (_, timeline) = s
        .investigator
        .get(&format!("/api/v1/incidents/{id}/timeline"))
        .await;
    let last_hash = timeline.as_array().unwrap().last().unwrap()["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let home = b.windows().await[0].clone();
    b.click(&format!("{row} button.report-zh")).await;
    let end = Instant::now() + Duration::from_secs(10);
    let tab = loop {
        let w = b.windows().await;
        if let Some(t) = w.iter().find(|h| **h != home) {
            break t.clone();
        }
        assert!(Instant::now() < end, "no report tab");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    b.switch_to(&tab).await;
    let code = s.lift.rescue_code.as_str();
    until(
        &b,
        10,
        &format!(
            "document.body && document.body.innerText.includes('电梯困人事件报告') && document.body.innerText.includes('{code}') && document.body.innerText.includes('{last_hash}')"
        ),
    )
    .await;
    b.switch_to(&home).await;

    // Clicking the row shows its timeline on the page.
    b.click(&row).await;
    let n = timeline.as_array().unwrap().len();
    until(
        &b,
        10,
        &format!("document.querySelectorAll('#timeline-rows tr').length === {n}"),
    )
    .await;
    if !full {
        b.quit().await;
        s.server.stop().await;
        return;
    }

    // Statistics: the page's numbers are the API's, and a chart is drawn.
    b.click("#tabs button[data-tab=stats]").await;
    b.wait_for("#stats-rows tr[data-key='_total']", 10).await;
    let (status, stats) = s.investigator.get("/api/v1/stats").await;
    assert_eq!(status, 200, "{stats}");
    for (m, field) in [
        ("m_incidents", "incidents"),
        ("m_entrapments", "entrapments"),
        ("m_alarms", "alarms"),
    ] {
        let shown = b
            .text(&format!("#stats-rows tr[data-key='_total'] td[data-m={m}]"))
            .await;
        assert_eq!(shown, stats["total"][field].to_string(), "{m}");
    }
    assert!(stats["total"]["incidents"].as_u64().unwrap() >= 1);
    until(
        &b,
        10,
        "document.querySelector('#chart-times canvas') !== null",
    )
    .await;
    let defs = stats["definitions"].as_array().unwrap().len();
    until(
        &b,
        5,
        &format!("document.querySelectorAll('#definitions dt').length === {defs}"),
    )
    .await;

    // Proof: the log verified from the page, as the API says.
    b.click("#tabs button[data-tab=proof]").await;
    b.click("#verify").await;
    until(
        &b,
        10,
        "document.querySelector('#verify-result.ok') !== null",
    )
    .await;
    let (_, verdict) = s.investigator.get("/api/v1/log/verify").await;
    assert_eq!(verdict["ok"], true, "{verdict}");
    let shown = b.text("#verify-result").await;
    assert!(
        shown.contains(verdict["verified_hash"].as_str().unwrap()),
        "{shown}"
    );

    // English: no label the page shows is left in Chinese.
    b.click("header button.lang").await;
    until(&b, 5, "document.documentElement.lang === 'en'").await;
    for tab in ["search", "stats", "quality", "proof", "replay"] {
        b.click(&format!("#tabs button[data-tab={tab}]")).await;
        let left = b
            .execute(
                "return [...document.querySelectorAll('[data-t]:not(.lang), th, #published li, #definitions dd, #search-summary, #stats-summary')]
                  .filter(e => e.offsetParent !== null && /[\\u4e00-\\u9fff]/.test(e.textContent))
                  .map(e => e.textContent);",
            )
            .await;
        assert_eq!(left, json!([]), "{tab}: still in Chinese");
    }
    b.quit().await;
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_investigator_finds_an_incident_prints_its_report_reads_the_statistics_in_english() {
    story("sqlite", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_the_review_page_finds_an_incident_and_opens_its_report() {
    if crate::support::engines().contains(&"postgres") {
        story("postgres", false).await;
    }
}
