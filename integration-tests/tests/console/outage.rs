//! The server is killed mid-shift (SIGKILL, no goodbye) and started again on the same port and
//! database: the console says at once that it lost the connection and since when, reconnects
//! by itself, and shows what happened while it was away, without a reload.

use crate::support::browser::Browser;
use crate::support::process::ServeProcess;
use crate::support::{Api, engines, fresh_database, lift_where, seeded, token};
use liftrescue::store::Role;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../dispatch-rules");

fn serve(url: &str, listen: &str) -> ServeProcess {
    ServeProcess::start(&[
        ("LIFTRESCUE_DATABASE_URL", url),
        ("LIFTRESCUE_SEED_DEMO", "false"),
        ("LIFTRESCUE_RULES_DIR", RULES),
        ("LIFTRESCUE_LISTEN", listen),
    ])
}

async fn until(b: &Browser, secs: u64, script: &str) -> Value {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        let v = b.execute(&format!("return ({script});")).await;
        if !(v.is_null() || v == json!(false) || v.get("error").is_some()) {
            return v;
        }
        assert!(
            Instant::now() < end,
            "`{script}` not true within {secs} s: {v}; the page says {}",
            b.text("body").await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_shows_the_outage_banner_and_the_missed_events_come_after_its_restart() {
    for engine in engines() {
        let Some(b) = Browser::start_sized(1366, 768).await else {
            return;
        };
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let lifts: Vec<_> = store.lifts(None, 50).await.unwrap();
        let (first, second) = (&lifts[0], &lifts[1]);
        let _ = lift_where(store.as_ref(), |l| l.maintainer.is_some()).await;
        let server = serve(&url, "127.0.0.1:0");
        let base = server.base.clone();
        let intake = Api::new(&base, &token(store.as_ref(), Role::Integration, None).await);
        let op = token(store.as_ref(), Role::Operator, None).await;
        b.goto(&format!("{base}/console")).await;
        b.type_into("#token", &op).await;
        b.click("#sign-in").await;
        until(&b, 10, "document.body.dataset.feed === 'up'").await;
        let alarm = |lift: i64, id: &str| json!({"source_alarm_id": id, "lift": {"id": lift}, "kind": "entrapment_at_landing"});
        let (s, body) = intake
            .post("/api/v1/alarms", alarm(first.id.0, "before"))
            .await;
        assert_eq!(s, 202, "{body}");
        let before = body["incident_id"].as_i64().unwrap();
        until(&b, 5, &format!("document.getElementById('row-{before}')")).await;
        b.execute("window.__sameDocument = true;").await;

        server.kill();
        // At once: the banner, with the time of the last update.
        until(&b, 3, "!document.getElementById('banner').hidden").await;
        let banner = b.text("#banner").await;
        assert!(banner.starts_with("连接中断 — 最后更新于"), "{banner}");
        assert!(
            banner.chars().filter(|c| *c == ':').count() >= 2,
            "HH:MM:SS: {banner}"
        );
        // Wait until the console's next try is seconds away, so what happens next is missed.
        until(&b, 20, "window.__consoleFeed.failures >= 4").await;
        let replays = b.execute("return window.__consoleFeed.replays;").await;

        let addr = base.trim_start_matches("http://");
        let server = serve(&url, addr);
        assert_eq!(server.base, base, "the same port");
        let (s, body) = intake
            .post("/api/v1/alarms", alarm(second.id.0, "during"))
            .await;
        assert_eq!(s, 202, "{body}");
        let during = body["incident_id"].as_i64().unwrap();
        until(&b, 20, &format!("document.getElementById('row-{during}')")).await;
        until(&b, 5, "document.getElementById('banner').hidden").await;
        let now = b.execute("return window.__consoleFeed.replays;").await;
        assert!(
            now.as_i64() > replays.as_i64(),
            "caught up by a replay from the log: {replays} then {now}"
        );
        assert!(b.find(&format!("#row-{before}")).await.is_some());
        assert_eq!(
            b.execute("return window.__sameDocument === true;").await,
            json!(true),
            "no reload"
        );
        b.quit().await;
        drop(server);
    }
}
