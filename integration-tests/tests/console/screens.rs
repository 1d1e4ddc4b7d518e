//! The README's screenshots of the console: 1920×1080 and 1366×768, in Chinese and in English,
//! written to `ops/screenshots/`. Ignored in the suite (it writes into the repository); run it
//! with `cargo test -p integration-tests --test main console::screens -- --ignored`.

use super::Console;
use liftrescue::domain::Lift;
use serde_json::json;

const OUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ops/screenshots");

/// Writes a screenshot, made small with `pngquant` (256 colours) when it is installed.
fn save(name: &str, png: Vec<u8>) {
    let path = format!("{OUT}/{name}");
    std::fs::write(&path, png).unwrap();
    let _ = std::process::Command::new("pngquant")
        .args(["--force", "--ext", ".png", "--quality", "60-95", &path])
        .status();
}

/// A busy board: incidents on several lifts, one of them unresolved, some past their
/// deadlines, one with the incident view open.
async fn busy(c: &Console) -> i64 {
    let lifts: Vec<Lift> = c.store.lifts(None, 60).await.unwrap();
    let mut last = 0;
    for (n, lift) in lifts
        .iter()
        .filter(|l| l.maintainer.is_some())
        .take(6)
        .enumerate()
    {
        let kind = [
            "entrapment_between_floors",
            "entrapment_at_landing",
            "passenger_alarm",
        ][n % 3];
        let flags = json!({"person_ill": n == 1, "child_alone": n == 4, "smoke_or_water": false});
        let body = json!({"source_alarm_id": format!("shot-{n}"), "lift": {"id": lift.id.0},
                          "kind": kind, "flags": flags, "floor": format!("{}", n + 3)});
        let (s, body) = c.intake.post("/api/v1/alarms", body).await;
        assert_eq!(s, 202, "{body}");
        last = body["incident_id"].as_i64().unwrap();
    }
    c.line_fault().await;
    let code = c.unregistered_code().await;
    let (s, body) =
        c.op.post(
            "/api/v1/incidents",
            json!({"rescue_code": code, "kind": "entrapment_between_floors"}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes the README's screenshots into ops/screenshots"]
async fn console_screenshots_for_the_readme() {
    std::fs::create_dir_all(OUT).unwrap();
    for (w, h) in [(1920, 1080), (1366, 768)] {
        let Some(c) =
            Console::start("sqlite", "integration-tests/fixtures/console-rules", (w, h)).await
        else {
            return;
        };
        c.browser.viewport(w, h).await;
        c.sign_in().await;
        let open = busy(&c).await;
        c.until(
            15,
            "document.querySelectorAll('#board-rows tr.red').length >= 3",
        )
        .await;
        c.until(5, "window.__consoleMap.red >= 3").await;
        c.browser.click("#ack-sound").await;
        for lang in ["zh", "en"] {
            if lang == "en" {
                c.browser.click("#app header .lang").await;
                c.until(3, "document.documentElement.lang === 'en'").await;
            }
            save(
                &format!("console-{w}x{h}-{lang}.png"),
                c.browser.screenshot().await,
            );
        }
        c.browser.click(&format!("#row-{open}")).await;
        c.until(
            10,
            "document.querySelectorAll('#inc-timeline li.ev').length >= 2",
        )
        .await;
        save(
            &format!("console-{w}x{h}-en-incident.png"),
            c.browser.screenshot().await,
        );
        c.browser.click("#app header .lang").await;
        c.end().await;
    }
}
