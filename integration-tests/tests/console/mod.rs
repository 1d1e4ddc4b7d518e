//! The operator's console in a real browser (headless Chromium over WebDriver): sign-in, the
//! live board and its countdowns, the breach alarm, the incident view's actions, the hotline
//! form, an outage and its catch-up, the language switch, the storm view, and the README's
//! screenshots.

mod board_load;
mod flow;
mod outage;
mod screens;
mod storm;

use crate::support::browser::Browser;
use crate::support::{Api, Server, fresh_database, lift_where, seeded, settings, token};
use liftrescue::domain::Lift;
use liftrescue::store::{Role, Store};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A server, a seeded region and a signed-in console.
pub struct Console {
    pub browser: Browser,
    pub server: Option<Server>,
    pub store: Arc<dyn Store>,
    pub op: Api,
    pub intake: Api,
    pub base: String,
}

impl Console {
    /// `None` when no browser is configured. The console is open on the sign-in screen.
    pub async fn start(engine: &str, rules: &str, size: (u32, u32)) -> Option<Console> {
        let browser = Browser::start_sized(size.0, size.1).await?;
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let server = Server::start(settings(&url, rules)).await;
        let op = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Operator, None).await,
        );
        let intake = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Integration, None).await,
        );
        let base = server.base.clone();
        browser.goto(&format!("{base}/console")).await;
        browser.wait_for("#signin:not([hidden]) #token", 15).await;
        Some(Console {
            browser,
            server: Some(server),
            store,
            op,
            intake,
            base,
        })
    }

    /// Signs in with the operator token and waits for the live feed.
    pub async fn sign_in(&self) {
        self.browser.type_into("#token", &self.op.token).await;
        self.browser.click("#sign-in").await;
        self.until(10, "document.body.dataset.feed === 'up'").await;
    }

    /// Polls a script until it returns something truthy, for at most `secs`; its value.
    pub async fn until(&self, secs: u64, script: &str) -> Value {
        self.until_ms(secs * 1000, script).await
    }

    /// [`Console::until`] with a deadline in milliseconds.
    pub async fn until_ms(&self, ms: u64, script: &str) -> Value {
        let end = Instant::now() + Duration::from_millis(ms);
        let body = format!("return ({script});");
        loop {
            let v = self.browser.execute(&body).await;
            let truthy = !(v.is_null()
                || v == json!(false)
                || v == json!(0)
                || v == json!("")
                || v.get("error").is_some());
            if truthy {
                return v;
            }
            assert!(
                Instant::now() < end,
                "`{script}` not true within {ms} ms (it gave {v}); the page says: {}",
                self.browser.text("body").await
            );
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }

    /// The first lift with a contracted maintainer.
    pub async fn lift(&self) -> Lift {
        lift_where(self.store.as_ref(), |l| l.maintainer.is_some()).await
    }

    /// An alarm from the lift's IoT terminal; the incident it opened.
    pub async fn alarm(&self, lift: &Lift, source_id: &str) -> i64 {
        let body = json!({"source_alarm_id": source_id, "lift": {"id": lift.id.0},
                          "kind": "entrapment_between_floors", "floor": "7"});
        let (status, body) = self.intake.post("/api/v1/alarms", body).await;
        assert_eq!(status, 202, "{body}");
        body["incident_id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no incident: {body}"))
    }

    /// A garbled packet from a lift's cabin phone: a line fault on the equipment panel. The
    /// phone's number.
    pub async fn line_fault(&self) -> String {
        let lifts = self.store.lifts(None, 50).await.unwrap();
        let lift = lifts.iter().find(|l| l.cabin_phone.is_some()).unwrap();
        let caller = lift.cabin_phone.as_ref().unwrap().as_str().to_owned();
        let call = json!({"caller": caller, "call_id": "garbled-1", "digits": "18123456782E",
                          "protocol": "P100"});
        let (status, body) = self.intake.post("/api/v1/intake/phone", call).await;
        assert_eq!(status, 422, "{body}");
        caller
    }

    /// A rescue code no lift in the region has.
    pub async fn unregistered_code(&self) -> String {
        for n in 0..100 {
            let code = format!("{:06}", 999_999 - n);
            let (s, _) = self
                .op
                .get(&format!("/api/v1/lifts/lookup?rescue_code={code}"))
                .await;
            if s == 404 {
                return code;
            }
        }
        panic!("every code tried is registered");
    }

    /// The kinds of the incident's stored events, in order.
    pub async fn kinds(&self, incident: i64) -> Vec<String> {
        let (_, t) = self
            .op
            .get(&format!("/api/v1/incidents/{incident}/timeline"))
            .await;
        t.as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["kind"].as_str().map(str::to_owned))
            .collect()
    }

    /// Ends the browser and the server.
    pub async fn end(self) {
        self.browser.quit().await;
        if let Some(server) = self.server {
            server.stop().await;
        }
    }
}
