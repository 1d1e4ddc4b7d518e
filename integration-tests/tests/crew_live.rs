//! The crew page's live feed in a real browser (headless Chromium): a page offered to the unit
//! shows at once, well before the 15 s refresh could bring it, and the page says it is live
//! (Chinese first, English on the switch). When the crew's token is removed (revoked), the page
//! says it is signed out within a ping and asks for a token.

use crate::crew_page::Scene;
use crate::support::{eventually, lift_where, remove_token};
use serde_json::json;
use std::time::{Duration, Instant};

/// The live indicator's state and words.
async fn indicator(s: &Scene) -> (String, String) {
    let state = s.browser.attribute("#live", "data-state").await;
    (state.unwrap_or_default(), s.browser.text("#live").await)
}

/// Clicks `css` until `done` says the click took (a click can meet a node being redrawn).
async fn click_until(s: &Scene, css: &str, done: &str) {
    eventually(10, || async {
        if s.browser.execute(done).await == json!(true) {
            return Some(());
        }
        s.browser.click(css).await;
        None
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_offered_to_the_unit_shows_at_once_and_the_page_says_it_is_live() {
    let Some(s) = Scene::open(json!({})).await else {
        return;
    };
    // Every incident of the unit, not only the one the first link named.
    s.browser.goto(&format!("{}/crew", s.base)).await;
    s.browser
        .wait_for(&format!("#incident-{}", s.incident), 15)
        .await;
    let live = eventually(10, || async {
        let (state, words) = indicator(&s).await;
        (state == "live").then_some(words)
    })
    .await;
    assert_eq!(live, "实时更新");

    // The operator opens another incident and gives it to this unit (unless its chain did).
    let other = lift_where(s.store.as_ref(), |l| l.id != s.lift.id).await;
    let call = json!({"rescue_code": other.rescue_code.as_str()});
    let (status, body) = s.op.post("/api/v1/incidents", call).await;
    assert_eq!(status, 201, "{body}");
    let incident = body["incident_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("an incident id in {body}"));
    let (_, detail) = s.op.get(&format!("/api/v1/incidents/{incident}")).await;
    let paged = crate::support::paged_units(&detail).contains(&s.unit);
    let offered = Instant::now();
    if !paged {
        let assign = json!({"unit": s.unit, "reason": "the nearest crew to the building"});
        let path = format!("/api/v1/incidents/{incident}/assign");
        let (status, body) = s.op.post(&path, assign).await;
        assert_eq!(status, 200, "{body}");
    }
    // While the feed is live nothing polls: only the feed can bring it this soon.
    s.browser.wait_for(&format!("#accept-{incident}"), 5).await;
    assert!(offered.elapsed() < Duration::from_secs(5));
    let heard = s.browser.execute("return window.__crewFeed.news;").await;
    assert!(heard.as_i64().unwrap_or(0) >= 1, "{heard}");
    assert_eq!(indicator(&s).await.0, "live");

    // In English too.
    click_until(
        &s,
        "#lang",
        "return document.documentElement.lang === 'en';",
    )
    .await;
    assert_eq!(indicator(&s).await, ("live".to_owned(), "Live".to_owned()));
    s.end().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_whose_token_is_removed_says_it_is_signed_out_and_asks_for_a_token() {
    let Some(s) = Scene::open(json!({})).await else {
        return;
    };
    eventually(10, || async {
        (indicator(&s).await.0 == "live").then_some(())
    })
    .await;
    let before = s
        .browser
        .execute("return window.__crewFeed.connects;")
        .await;

    remove_token(&s.url, &s.crew.token).await;
    // The server ends the stream at its next ping; the reconnect is refused.
    let within = liftrescue::http::feed::PING_EVERY.as_secs() + 15;
    let words = eventually(within, || async {
        let (state, words) = indicator(&s).await;
        (state == "signed_out").then_some(words)
    })
    .await;
    assert_eq!(words, "已退出:令牌已失效,请输入新的令牌");
    let asks = "return !document.getElementById('login').hidden;";
    assert_eq!(s.browser.execute(asks).await, json!(true));
    // Refused, it connected no more.
    let after = s
        .browser
        .execute("return window.__crewFeed.connects;")
        .await;
    assert_eq!(after, before);
    s.end().await;
}
