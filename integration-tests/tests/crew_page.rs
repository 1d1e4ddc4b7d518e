//! The crew page in a real browser (headless Chromium): a crew opens the link from its page,
//! accepts with an ETA and reports its progress with one tap each; the record shows it. The
//! page links the map apps to the lift (GCJ-02 where the app reads it), calls the use unit's
//! duty phone and speaks Chinese or English.

use crate::support::browser::Browser;
use crate::support::{
    Api, Server, eventually, fresh_database, lift_where, seeded, settings, token,
};
use liftrescue::domain::Lift;
use liftrescue::store::{Role, Store};
use serde_json::{Value, json};
use std::sync::Arc;

/// A server with one incident that pages a maintainer, and that maintainer's crew page open.
pub struct Scene {
    pub browser: Browser,
    /// `http://127.0.0.1:PORT`, kept across a restart.
    pub base: String,
    /// `None` while stopped.
    pub server: Option<Server>,
    pub url: String,
    pub store: Arc<dyn Store>,
    pub lift: Lift,
    pub incident: i64,
    pub unit: i64,
    pub op: Api,
    pub crew: Api,
}

impl Scene {
    /// `None` when no browser is configured. `alarm` adds fields to the alarm (floor, flags).
    pub async fn open(alarm: Value) -> Option<Scene> {
        let browser = Browser::start().await?;
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
        let mut body = json!({"source_alarm_id": "page-1", "lift": {"id": lift.id.0}, "kind": "entrapment_between_floors"});
        if let (Some(b), Some(extra)) = (body.as_object_mut(), alarm.as_object()) {
            b.extend(extra.clone());
        }
        let (status, body) = intake.post("/api/v1/alarms", body).await;
        assert_eq!(status, 202, "{body}");
        let incident = body["incident_id"].as_i64().unwrap();
        let (_, detail) = op.get(&format!("/api/v1/incidents/{incident}")).await;
        let unit = detail["live"]["steps"][0]["pages"][0]["unit"]
            .as_i64()
            .unwrap();
        let secret = token(store.as_ref(), Role::Crew, Some(unit)).await;
        // The link from the SMS, with the token in the fragment (it never reaches the server).
        browser
            .goto(&format!("{}/crew/{incident}#token={secret}", server.base))
            .await;
        browser.wait_for(&format!("#accept-{incident}"), 15).await;
        // The service worker controls the page and keeps the crew's reads for use offline.
        let kept = "return Promise.all([caches.match('/api/v1/crew/me'), \
                    caches.match('/api/v1/crew/assignments')])\
                    .then(([a, b]) => !!a && !!b && !!navigator.serviceWorker.controller);";
        eventually(20, || async {
            (browser.execute(kept).await == json!(true)).then_some(())
        })
        .await;
        let crew = Api::new(&server.base, &secret);
        Some(Scene {
            browser,
            base: server.base.clone(),
            server: Some(server),
            url,
            store,
            lift,
            incident,
            unit,
            op,
            crew,
        })
    }

    /// The bodies of the incident's timeline events of `kind`.
    pub async fn events(&self, kind: &str) -> Vec<Value> {
        let (_, t) = self
            .op
            .get(&format!("/api/v1/incidents/{}/timeline", self.incident))
            .await;
        t.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["kind"] == kind)
            .map(|e| e["body"].clone())
            .collect()
    }

    /// Stops the server as SIGTERM would: its port is closed until [`Scene::restart`].
    pub async fn stop_server(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }

    /// Starts the server again on the same port and database.
    pub async fn restart(&mut self) {
        let addr = self.base.trim_start_matches("http://");
        self.server = Some(Server::start_at(settings(&self.url, "dispatch-rules"), addr).await);
    }

    /// Ends the browser and the server.
    pub async fn end(self) {
        let Scene {
            browser, server, ..
        } = self;
        browser.quit().await;
        if let Some(server) = server {
            server.stop().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crew_accepts_and_reports_progress_on_the_crew_page() {
    let Some(s) = Scene::open(json!({})).await else {
        return;
    };
    let (browser, incident) = (&s.browser, s.incident);
    let card = browser.text(&format!("#incident-{incident}")).await;
    assert!(card.contains(s.lift.rescue_code.as_str()), "{card}");
    assert!(card.contains(s.lift.address.trim()), "{card}");
    browser.type_into(&format!("#eta-{incident}"), "12").await;
    browser.click(&format!("#accept-{incident}")).await;
    browser.wait_for(&format!("#en-route-{incident}"), 15).await;

    let accepted = eventually(10, || async { s.events("accepted").await.pop() }).await;
    assert_eq!(accepted["kind"]["unit"], s.unit);
    assert_eq!(
        accepted["kind"]["eta_secs"], 720,
        "12 minutes from the page"
    );
    assert_eq!(accepted["actor"], json!({"type": "unit", "id": s.unit}));

    browser.click(&format!("#en-route-{incident}")).await;
    browser.wait_for(&format!("#on-scene-{incident}"), 15).await;
    browser.click(&format!("#on-scene-{incident}")).await;
    browser.wait_for(&format!("#released-{incident}"), 15).await;
    // Two taps in a row are sent in the order they were made.
    let progress = eventually(10, || async {
        let e = s.events("crew_progress").await;
        (e.len() == 2).then_some(e)
    })
    .await;
    assert_eq!(progress[0]["kind"]["status"], "en_route");
    assert_eq!(progress[1]["kind"]["status"], "on_scene");
    let (_, row) = s.op.get(&format!("/api/v1/incidents/{incident}")).await;
    assert_eq!(row["incident"]["status"], "on_scene", "{row}");

    // An incident that is not this crew's shows as such.
    browser.goto(&format!("{}/crew/999999", s.base)).await;
    let says = eventually(10, || async {
        let t = browser.text("#list").await;
        (!t.is_empty()).then_some(t)
    })
    .await;
    assert!(says.contains("999999"), "{says}");
    s.end().await;
}

/// The number after `key=` (or `key:`) up to the next `,` / `;` / `&` / `?`, in an URL.
fn numbers_after(url: &str, key: &str) -> (f64, f64) {
    let rest = url
        .split_once(key)
        .unwrap_or_else(|| panic!("{key} in {url}"))
        .1;
    let mut parts = rest.split([',', ';', '&', '?', '(']);
    let a = parts.next().unwrap().parse().unwrap();
    let b = parts.next().unwrap().parse().unwrap();
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crew_page_links_the_map_apps_to_the_lift_and_calls_the_duty_phone() {
    let Some(s) = Scene::open(json!({})).await else {
        return;
    };
    let id = s.incident;
    let wgs = s.lift.position;
    let gcj = wgs.to_gcj02();
    let near =
        |(a, b): (f64, f64), (x, y): (f64, f64)| (a - x).abs() < 1e-6 && (b - y).abs() < 1e-6;
    let href = |app: &'static str| {
        let b = &s.browser;
        async move {
            b.attribute(&format!("#nav-{app}-{id}"), "href")
                .await
                .unwrap_or_else(|| panic!("no {app} link"))
        }
    };
    let amap = href("amap").await;
    assert!(amap.starts_with("https://uri.amap.com/marker?"), "{amap}");
    assert!(amap.contains("coordinate=gaode"), "{amap}");
    let at = numbers_after(&amap, "position=");
    assert!(
        near(at, (gcj.lon, gcj.lat)),
        "AMap takes GCJ-02 lon,lat: {amap} vs {gcj:?}"
    );
    assert!(
        !near(at, (wgs.lon, wgs.lat)),
        "not the GPS position: {amap}"
    );
    let tencent = href("tencent").await;
    assert!(
        tencent.starts_with("https://apis.map.qq.com/uri/v1/marker?"),
        "{tencent}"
    );
    let at = numbers_after(&tencent, "coord:");
    assert!(
        near(at, (gcj.lat, gcj.lon)),
        "Tencent takes GCJ-02 lat,lon: {tencent}"
    );
    let geo = href("geo").await;
    let at = numbers_after(&geo, "geo:");
    assert!(
        near(at, (wgs.lat, wgs.lon)),
        "geo: is WGS-84: {geo} vs {wgs:?}"
    );
    let phone = s
        .lift
        .use_unit_phone
        .clone()
        .expect("demo lifts have a duty phone");
    let tel = s.browser.attribute(&format!("#call-{id}"), "href").await;
    assert_eq!(
        tel.as_deref(),
        Some(format!("tel:{}", phone.as_str()).as_str())
    );

    // The same facts in the API the page reads.
    let (status, list) = s.crew.get("/api/v1/crew/assignments").await;
    assert_eq!(status, 200, "{list}");
    let site = &list[0]["site"];
    assert_eq!(site["gcj02"]["lat"], gcj.lat, "{site}");
    assert_eq!(site["wgs84"]["lon"], wgs.lon, "{site}");
    assert_eq!(site["duty_phone"], phone.as_str());
    s.end().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crew_page_speaks_chinese_by_default_and_english_when_asked() {
    let alarm = json!({"floor": "12", "flags": {"person_ill": true, "child_alone": false, "smoke_or_water": true}});
    let Some(s) = Scene::open(alarm).await else {
        return;
    };
    let (b, id) = (&s.browser, s.incident);
    let card = b.text(&format!("#incident-{id}")).await;
    assert!(card.contains("楼层:12"), "{card}");
    assert!(
        card.contains("有人身体不适") && card.contains("有烟雾或进水"),
        "{card}"
    );
    assert!(
        !card.contains("A child is alone") && !card.contains("儿童"),
        "{card}"
    );
    assert_eq!(b.text(&format!("#accept-{id}")).await, "接单");
    assert_eq!(b.text("h1").await, "电梯困人救援");

    b.click("#lang").await;
    let card = b.text(&format!("#incident-{id}")).await;
    assert!(card.contains("Floor: 12"), "{card}");
    assert!(
        card.contains("Someone is unwell") && card.contains("Smoke or water"),
        "{card}"
    );
    assert!(
        card.contains("AMap") && card.contains("Call the use unit"),
        "{card}"
    );
    assert!(
        !card.contains("接单"),
        "no Chinese left on the card: {card}"
    );
    assert_eq!(b.text(&format!("#accept-{id}")).await, "Accept");
    assert_eq!(b.text("h1").await, "Lift rescue");
    assert_eq!(b.text("#lang").await, "中文");

    // Remembered on the phone: the next visit opens in English.
    b.goto(&format!("{}/crew/{id}", s.base)).await;
    b.wait_for(&format!("#accept-{id}"), 15).await;
    assert_eq!(b.text(&format!("#accept-{id}")).await, "Accept");
    b.click("#lang").await;
    assert_eq!(b.text(&format!("#accept-{id}")).await, "接单");
    s.end().await;
}
