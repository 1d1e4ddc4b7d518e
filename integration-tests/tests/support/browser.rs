//! A real browser for page tests: headless Chromium driven over WebDriver (chromedriver), with
//! a small client on reqwest. `LIFTRESCUE_TEST_CHROMEDRIVER` names the chromedriver binary
//! (`.ci/run` installs Debian's chromium and chromium-driver and sets it); without it the page
//! tests print a notice and skip.

use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser session.
pub struct Browser {
    base: String,
    session: String,
    child: Child,
    client: reqwest::Client,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session, or `None` (with a notice) when
    /// `LIFTRESCUE_TEST_CHROMEDRIVER` is unset.
    pub async fn start() -> Option<Browser> {
        Self::start_sized(420, 900).await
    }

    /// [`Browser::start`] with a window of `width` × `height` pixels.
    pub async fn start_sized(width: u32, height: u32) -> Option<Browser> {
        let driver =
            liftrescue::telemetry::test_service("browser", "LIFTRESCUE_TEST_CHROMEDRIVER")?;
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            l.local_addr().expect("its address").port()
        };
        // Its own process group, so that the browser it starts ends with it (see Drop).
        let child = Command::new(&driver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {driver}: {e}"));
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(r) = client.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "chromedriver did not start");
        let binary = std::env::var("LIFTRESCUE_TEST_CHROMIUM")
            .unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": binary, "args": [
                "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                format!("--window-size={width},{height}")
            ]}
        }}});
        let r: Value = client
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session answer");
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {r}"))
            .to_owned();
        Some(Browser {
            base,
            session,
            child,
            client,
        })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.client.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
            .await
            .expect("webdriver call")
            .json()
            .await
            .expect("webdriver answer")
    }

    /// Opens a URL and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// The element matching a CSS selector, if there is one now.
    pub async fn find(&self, css: &str) -> Option<String> {
        let r = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        r["value"][ELEMENT].as_str().map(str::to_owned)
    }

    /// Waits up to `secs` for an element to appear.
    pub async fn wait_for(&self, css: &str, secs: u64) -> String {
        let end = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(e) = self.find(css).await {
                return e;
            }
            assert!(
                tokio::time::Instant::now() < end,
                "{css} did not appear within {secs} s; the page says: {}",
                self.text("body").await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        let e = self.wait_for(css, 10).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Replaces an input's value with `text`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.wait_for(css, 10).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Sends keys (WebDriver key codes such as `\u{E007}` for Enter) to the element matching
    /// `css`, without clearing it first.
    pub async fn press(&self, css: &str, keys: &str) {
        let e = self.wait_for(css, 10).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            Some(json!({ "text": keys })),
        )
        .await;
    }

    /// Sizes the window so that the page itself gets `width` × `height` pixels.
    pub async fn viewport(&self, width: u32, height: u32) {
        let chrome = self
            .execute("return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];")
            .await;
        let extra = |i: usize| chrome[i].as_u64().unwrap_or(0) as u32;
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width + extra(0), "height": height + extra(1)})),
        )
        .await;
    }

    /// A PNG of the window.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let r = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let data = r["value"].as_str().expect("a screenshot");
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("base64 PNG")
    }

    /// The visible text of the element matching `css` (empty if none).
    pub async fn text(&self, css: &str) -> String {
        let Some(e) = self.find(css).await else {
            return String::new();
        };
        let r = self
            .call(reqwest::Method::GET, &format!("/element/{e}/text"), None)
            .await;
        r["value"].as_str().unwrap_or_default().to_owned()
    }

    /// An attribute of the element matching `css` (`None` if none or unset).
    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let e = self.find(css).await?;
        let r = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{e}/attribute/{name}"),
                None,
            )
            .await;
        r["value"].as_str().map(str::to_owned)
    }

    /// Runs a script in the page and returns its value (a returned promise is awaited).
    pub async fn execute(&self, script: &str) -> Value {
        let r = self
            .call(
                reqwest::Method::POST,
                "/execute/sync",
                Some(json!({"script": script, "args": []})),
            )
            .await;
        r["value"].clone()
    }

    /// The handles of the session's windows and tabs.
    pub async fn windows(&self) -> Vec<String> {
        let r = self
            .call(reqwest::Method::GET, "/window/handles", None)
            .await;
        r["value"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|h| h.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Makes the window or tab `handle` the one the next commands act on.
    pub async fn switch_to(&self, handle: &str) {
        self.call(
            reqwest::Method::POST,
            "/window",
            Some(json!({ "handle": handle })),
        )
        .await;
    }

    /// Ends the session and the driver.
    pub async fn quit(mut self) {
        self.call(reqwest::Method::DELETE, "", None).await;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test that fails half-way must not leave its browser running: the whole process group
/// (chromedriver and the Chromium it started) is killed.
impl Drop for Browser {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
