//! The crew page with no network: a tap is queued on the phone with its idempotency key, the
//! page says what is waiting and opens again from the service worker's copy, and when the
//! server answers again the action lands once, with the key it was given at the tap.

use crate::crew_page::Scene;
use crate::support::eventually;
use serde_json::{Value, json};

/// The page's queue, as the phone keeps it.
async fn queue(s: &Scene) -> Vec<Value> {
    let q = s
        .browser
        .execute("return JSON.parse(localStorage.getItem('liftrescue-crew-queue') || '[]');")
        .await;
    q.as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crew_action_tapped_offline_is_queued_and_lands_once_when_the_network_returns() {
    let Some(mut s) = Scene::open(json!({})).await else {
        return;
    };
    let id = s.incident;
    // Scene::open waited for the service worker to keep the page and the crew's reads.
    // The stairwell: the server is gone (stopped, its port closed).
    s.stop_server().await;
    s.browser.type_into(&format!("#eta-{id}"), "9").await;
    s.browser.click(&format!("#accept-{id}")).await;
    let waiting = eventually(10, || async {
        let t = s.browser.text("#waiting").await;
        t.contains("1 个操作等待发送").then_some(t)
    })
    .await;
    assert!(
        waiting.contains("接单"),
        "the list names the action: {waiting}"
    );
    // The network line says so once the queue's first try has failed (it may still be
    // trying when the list shows).
    let net = eventually(10, || async {
        let t = s.browser.text("#net").await;
        t.contains("没有网络").then_some(t)
    })
    .await;
    assert!(net.contains("没有网络"), "{net}");
    // The tap shows as done, so the next step can be queued behind it.
    s.browser.wait_for(&format!("#en-route-{id}"), 5).await;

    // Closed and opened again with no network: the page comes from the service worker.
    s.browser.goto(&format!("{}/crew/{id}", s.base)).await;
    s.browser.wait_for(&format!("#queued-{id}"), 15).await;
    let card = s.browser.text(&format!("#incident-{id}")).await;
    assert!(card.contains(s.lift.address.trim()), "{card}");
    assert!(
        s.browser
            .text("#waiting")
            .await
            .contains("1 个操作等待发送")
    );
    let q = queue(&s).await;
    assert_eq!(q.len(), 1, "{q:?}");
    let key = q[0]["key"]
        .as_str()
        .expect("a key made at the tap")
        .to_owned();
    assert_eq!(q[0]["body"], json!({"eta_secs": 540}));
    let logged = s.store.open_incident_events().await.expect("read the log");
    assert!(
        !logged.iter().any(|e| e.kind.name() == "accepted"),
        "nothing reached the server"
    );

    // The network returns: the same server, port and database.
    s.restart().await;
    eventually(60, || async { queue(&s).await.is_empty().then_some(()) }).await;
    let accepted = eventually(10, || async { s.events("accepted").await.pop() }).await;
    assert_eq!(accepted["kind"]["eta_secs"], 540, "{accepted}");
    assert_eq!(accepted["actor"], json!({"type": "unit", "id": s.unit}));
    s.browser.wait_for(&format!("#en-route-{id}"), 20).await;
    assert!(s.browser.text("#waiting").await.is_empty(), "nothing waits");
    let state = s.browser.text(&format!("#state-{id}")).await;
    assert!(state.contains("已接单"), "{state}");

    // It landed once, under the key of the tap: the same key again is a replay.
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/crew/incidents/{id}/accept", s.base))
        .bearer_auth(&s.crew.token)
        .header("Idempotency-Key", &key)
        .json(&json!({"eta_secs": 540}))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true"),
        "the page sent the key it made at the tap"
    );
    assert_eq!(s.events("accepted").await.len(), 1, "exactly once");
    s.end().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_queued_action_is_shown_in_words_and_leaves_the_queue() {
    let Some(s) = Scene::open(json!({})).await else {
        return;
    };
    let id = s.incident;
    // The crew taps accept, but its token was mistyped: the tap waits on the phone (the live
    // feed would otherwise show the cancel below before the crew could tap on a stale card).
    let token = "return localStorage.getItem('liftrescue-crew-token');";
    let secret = s.browser.execute(token).await;
    let secret = secret.as_str().expect("the token on the phone").to_owned();
    s.browser
        .execute("localStorage.setItem('liftrescue-crew-token', 'mistyped'); return true;")
        .await;
    s.browser.click(&format!("#accept-{id}")).await;
    let asks = "return !document.getElementById('login').hidden;";
    eventually(10, || async {
        let held = queue(&s).await.len() == 1 && s.browser.execute(asks).await == json!(true);
        held.then_some(())
    })
    .await;
    // Meanwhile the operator cancels the incident; then the crew types its token again.
    let (status, body) =
        s.op.post(
            &format!("/api/v1/incidents/{id}/cancel"),
            json!({"reason": "duplicate call"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.browser.type_into("#token", &secret).await;
    s.browser.click("#save").await;
    let said = eventually(15, || async {
        let t = s.browser.text("#refused").await;
        (!t.is_empty()).then_some(t)
    })
    .await;
    assert!(
        said.contains("未能执行「接单」") && said.contains(&id.to_string()),
        "{said}"
    );
    assert!(queue(&s).await.is_empty(), "a refusal is not retried");
    assert!(s.events("accepted").await.is_empty());
    s.end().await;
}
