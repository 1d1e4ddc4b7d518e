//! The review page in headless Chromium: sign in as an investigator, find an incident driven
//! through the API and open its report, read the statistics and their chart, switch to English;
//! grade an old failing lift on the quality tab and replay an incident on the replay tab.

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

/// Whether a script returns `true` within `secs` (polled every 50 ms).
async fn within(b: &Browser, secs: u64, script: &str) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    let body = format!("return ({script});");
    while Instant::now() < end {
        if b.execute(&body).await == json!(true) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
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
    // The results may be drawn again under the click (the index catching up with the log): a
    // click that opened nothing within 3 s is made again.
    let end = Instant::now() + Duration::from_secs(30);
    let mut clicked = Instant::now() - Duration::from_secs(3);
    let tab = loop {
        if clicked.elapsed() >= Duration::from_secs(3) {
            b.click(&format!("{row} button.report-zh")).await;
            clicked = Instant::now();
        }
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

/// Signs the investigator in on a fresh page.
async fn sign_in(b: &Browser, s: &Setup) {
    b.goto(&format!("{}/review", s.server.base)).await;
    b.wait_for("#signin:not([hidden]) #token", 15).await;
    b.type_into("#token", &s.investigator.token).await;
    b.click("#sign-in").await;
    b.wait_for("#app:not([hidden])", 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quality_tab_grades_an_old_failing_lift_and_the_replay_tab_finds_its_incident_identical()
 {
    use chrono::Datelike;
    let Some(b) = Browser::start_sized(1400, 1000).await else {
        return;
    };
    let mut s = Setup::start("sqlite").await;
    let year = chrono::Utc::now().year();
    s.lift = crate::support::lift_where(s.store.as_ref(), |l| {
        l.maintainer.is_some() && l.commissioned.is_some_and(|c| year - c.year() >= 16)
    })
    .await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(s.closed_incident(&format!("tabs-{n}")).await);
    }
    let lift = s.lift.id.0;
    let code = s.lift.rescue_code.as_str().to_owned();
    sign_in(&b, &s).await;

    // Quality over today (China time): the lift's row shows the API's grade, score and reasons.
    let today = (chrono::Utc::now() + chrono::TimeDelta::hours(8))
        .format("%Y-%m-%d")
        .to_string();
    b.click("#tabs button[data-tab=quality]").await;
    b.execute(&format!(
        "for (const n of ['from', 'to']) document.querySelector(`#quality-form input[name=${{n}}]`).value = '{today}'; return true;"
    ))
    .await;
    b.click("#quality-form button[type=submit]").await;
    let row = format!("#quality-rows tr[data-lift='{lift}']");
    b.wait_for(&row, 15).await;
    let (status, page) = s
        .investigator
        .get(&format!(
            "/api/v1/quality/lifts?from={today}&to={today}&per_page=500"
        ))
        .await;
    assert_eq!(status, 200, "{page}");
    let eval = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["lift"] == lift)
        .unwrap_or_else(|| panic!("{page}"))
        .clone();
    assert_eq!(page["items"][0]["lift"], lift, "worst first: {page}");
    assert_eq!(
        b.text(&format!("{row} td.grade")).await,
        eval["grade"].as_str().unwrap()
    );
    let reasons = b.text(&format!("{row} td:nth-child(4)")).await;
    let first_reason = eval["reasons"][0]["zh"].as_str().unwrap();
    assert!(reasons.contains(first_reason), "{reasons} / {eval}");

    // The disclosure list: a CSV link on the period, fetched with the token it is the CSV;
    // shown as a table, the lift is in it.
    let link = "#lists li[data-list=disclosure] a.csv";
    let mut href = b.attribute(link, "href").await.unwrap();
    if href.starts_with('/') {
        href = format!("{}{href}", s.server.base);
    }
    assert!(
        href.contains("/api/v1/quality/lists/disclosure?")
            && href.contains("format=csv")
            && href.contains(&format!("from={today}")),
        "{href}"
    );
    let csv = reqwest::Client::new()
        .get(&href)
        .bearer_auth(&s.investigator.token)
        .send()
        .await
        .unwrap();
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(csv.text().await.unwrap().contains(&code));
    b.click("#lists li[data-list=disclosure] button.show").await;
    until(
        &b,
        10,
        &format!("document.querySelector('#list-rows').innerText.includes('{code}')"),
    )
    .await;

    // The lift's history, opened from its row: every failure.
    let (_, history) = s
        .investigator
        .get(&format!("/api/v1/lifts/{lift}/history"))
        .await;
    let failures = history["failures"].as_array().unwrap().len();
    assert!(failures >= 3, "{history}");
    b.click(&format!("{row} button.history")).await;
    until(
        &b,
        10,
        &format!("document.querySelectorAll('#history-rows tr').length === {failures}"),
    )
    .await;

    // Replay from a search result's row: identical, with the API's count of decisions.
    let id = ids[2];
    b.click("#tabs button[data-tab=search]").await;
    b.type_into("#search-form input[name=lift]", &code).await;
    b.click("#search-form button[type=submit]").await;
    let result = format!("#results-rows tr[data-id='{id}']");
    b.wait_for(&result, 10).await;
    // The results may be drawn again (the search catches the index up) between finding the row
    // and the click; a click on the row it replaced does nothing, so click again.
    let opened = format!("document.querySelector('#replay-form input[name=id]').value === '{id}'");
    for _ in 0..3 {
        b.click(&format!("{result} button.replay")).await;
        if within(&b, 5, &opened).await {
            break;
        }
    }
    until(
        &b,
        15,
        "document.querySelector('#replay-result.ok') !== null",
    )
    .await;
    let (status, replay) = s
        .investigator
        .get(&format!("/api/v1/incidents/{id}/replay"))
        .await;
    assert_eq!(status, 200, "{replay}");
    assert_eq!(replay["identical"], true, "{replay}");
    let shown = b.text("#replay-result").await;
    let n = replay["decisions"].to_string();
    assert!(
        shown.contains("完全一致") && shown.contains(&format!("回放 {n} 个决策")),
        "{shown}"
    );
    let prefilled = b
        .execute("return document.querySelector('#replay-form input[name=id]').value;")
        .await;
    assert_eq!(prefilled, json!(id.to_string()));

    // In English the verdict says so.
    b.click("header button.lang").await;
    until(
        &b,
        5,
        &format!(
            "document.querySelector('#replay-result').textContent.includes('replayed {n} decisions') && document.querySelector('#replay-result').textContent.includes('identical')"
        ),
    )
    .await;
    b.quit().await;
    s.server.stop().await;
}
