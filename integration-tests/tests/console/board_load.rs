//! A benchmark, not a test (ignored in the suite): the console in headless Chromium with 1,000
//! open incidents — the time from opening the page (signed in) to the board drawn with every
//! row, and the time a live update takes from the row's arrival to the board drawn again.
//! Prints the figures; `ops/BENCHMARKS.md` keeps them. Run it with
//! `cargo test --release -p integration-tests --test main console::board_load -- --ignored --nocapture`
//! (SQLite; PostgreSQL when `LIFTRESCUE_TEST_DATABASE_URL` is set).

use super::Console;
use crate::support::browser::Browser;
use crate::support::{Api, Server, engines, fresh_database, settings, small_region, token};
use liftrescue::store::Role;
use serde_json::json;
use std::time::Duration;

const OPEN: usize = 1_000;
const UPDATES: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run it with --ignored"]
async fn board_load() {
    let engine = *engines().last().unwrap();
    let Some(browser) = Browser::start_sized(1920, 1080).await else {
        return;
    };
    let url = fresh_database(engine).await;
    let store = liftrescue::store::open(&url).await.unwrap();
    let region = liftrescue::demo::RegionSpec {
        lifts: OPEN + UPDATES + 100,
        ..small_region()
    };
    liftrescue::registry::seed_demo(store.as_ref(), &region, chrono::Utc::now())
        .await
        .unwrap();
    let server = Server::start(settings(&url, "integration-tests/fixtures/console-rules")).await;
    let op = Api::new(
        &server.base,
        &token(store.as_ref(), Role::Operator, None).await,
    );
    let intake = Api::new(
        &server.base,
        &token(store.as_ref(), Role::Integration, None).await,
    );
    let lifts = store.lifts(None, (OPEN + UPDATES) as i64).await.unwrap();
    for (n, lift) in lifts.iter().take(OPEN).enumerate() {
        let body = json!({"source_alarm_id": format!("load-{n}"), "lift": {"id": lift.id.0},
                          "kind": "entrapment_between_floors", "floor": "7"});
        let (s, body) = intake.post("/api/v1/alarms", body).await;
        assert_eq!(s, 202, "{body}");
    }
    let (_, board) = op.get("/api/v1/board").await;
    let open = board["incidents"].as_array().unwrap().len();
    println!("{engine}: {open} open incidents on the board");

    let base = server.base.clone();
    let c = Console {
        browser,
        server: Some(server),
        store,
        op,
        intake,
        base,
    };
    // Signed in already (the token kept for the shift), so the load is the board's own.
    c.browser.goto(&format!("{}/console", c.base)).await;
    c.browser
        .execute(&format!(
            "localStorage.setItem('liftrescue.console.token', {});",
            json!(c.op.token)
        ))
        .await;
    let mut loads = vec![];
    for _ in 0..5 {
        c.browser.goto(&format!("{}/console", c.base)).await;
        let ms: f64 = c
            .until(
                30,
                &format!(
                    "document.querySelectorAll('#board tr[data-id]').length >= {open} && performance.now()"
                ),
            )
            .await
            .as_f64()
            .unwrap();
        loads.push(ms);
        // Where the load went: the page's own files, then the board's answer.
        let parts = c
            .browser
            .execute(
                "const nav = performance.getEntriesByType('navigation')[0]; \
                 const board = performance.getEntriesByType('resource') \
                   .filter((r) => r.name.endsWith('/api/v1/board'))[0]; \
                 return [nav.domContentLoadedEventEnd, board ? board.startTime : 0, \
                         board ? board.responseEnd : 0, board ? board.transferSize : 0, \
                         window.__consoleBoard.renderMs, window.__consoleBoard.renders];",
            )
            .await;
        println!(
            "{engine}: load {ms:.0} ms: page ready {:.0} ms, board asked at {:.0} ms and answered at {:.0} ms ({} bytes), drawn in {:.0} ms ({} draws)",
            parts[0].as_f64().unwrap_or(0.0),
            parts[1].as_f64().unwrap_or(0.0),
            parts[2].as_f64().unwrap_or(0.0),
            parts[3],
            parts[4].as_f64().unwrap_or(0.0),
            parts[5]
        );
    }
    c.until(10, "document.body.dataset.feed === 'up'").await;
    let mut applies = vec![];
    for (n, lift) in lifts.iter().skip(OPEN).take(UPDATES).enumerate() {
        let renders = c
            .browser
            .execute("return window.__consoleBoard.renders")
            .await;
        let body = json!({"source_alarm_id": format!("update-{n}"), "lift": {"id": lift.id.0},
                          "kind": "entrapment_at_landing"});
        let (s, _) = c.intake.post("/api/v1/alarms", body).await;
        assert_eq!(s, 202);
        c.until(
            10,
            &format!("window.__consoleBoard.renders > {renders} && document.querySelectorAll('#board tr[data-id]').length >= {}", open + n + 1),
        )
        .await;
        // The layout the draw leaves to the browser, forced here, counts too.
        let v = c
            .browser
            .execute(
                "const t = performance.now(); document.body.getBoundingClientRect(); \
                 return [window.__consoleBoard.applyMs, performance.now() - t];",
            )
            .await;
        applies.push(v[0].as_f64().unwrap() + v[1].as_f64().unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        (v[v.len() / 2], v[v.len() - 1])
    };
    let (load_med, load_max) = med(&mut loads);
    let (apply_med, apply_max) = med(&mut applies);
    println!(
        "{engine}: board of {open} drawn {load_med:.0} ms after opening the page (median of 5, max {load_max:.0} ms)"
    );
    println!(
        "{engine}: a live update applied and drawn in {apply_med:.1} ms (median of {UPDATES}, max {apply_max:.1} ms), layout included"
    );
    c.end().await;
}
