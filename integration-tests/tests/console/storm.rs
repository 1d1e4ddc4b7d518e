//! Storm mode on the console: an operator declares a storm over a street through the page,
//! entrapments in that street come in, and the storm view shows them by street and building in
//! the API's priority order (the special case first, with its reasons), the duty phone to call,
//! the board's storm badges and the banner, a hospital's car with its place reason translated;
//! the operator ends the storm from the page; the view speaks English on the switch. And a crew
//! given two cars together sees its queue in order.

use super::Console;
use crate::support::token;
use liftrescue::domain::{LatLon, Lift};
use liftrescue::store::Role;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The street the storm is declared over (a demo street, Yuzhong's).
const STREET: &str = "解放碑街道";

/// An entrapment alarm on `lift`; the incident it opened.
async fn entrapment(c: &Console, lift: &Lift, source: &str, kind: &str, ill: bool) -> i64 {
    let body = json!({"source_alarm_id": source, "lift": {"id": lift.id.0}, "kind": kind,
                      "flags": {"person_ill": ill, "child_alone": false, "smoke_or_water": false}});
    let (status, body) = c.intake.post("/api/v1/alarms", body).await;
    assert_eq!(status, 202, "{body}");
    body["incident_id"].as_i64().expect("an incident")
}

/// The incident ids of `GET /api/v1/storms`, storm by storm, in the order it gives them.
fn api_ids(storms: &Value) -> Vec<i64> {
    incidents(storms)
        .iter()
        .map(|i| i["id"].as_i64().unwrap_or_default())
        .collect()
}

/// The storm view's incidents, every storm's.
fn incidents(storms: &Value) -> Vec<Value> {
    let all = storms["storms"].as_array().into_iter().flatten();
    all.flat_map(|s| s["streets"].as_array().into_iter().flatten())
        .flat_map(|s| s["buildings"].as_array().into_iter().flatten())
        .flat_map(|b| b["incidents"].as_array().into_iter().flatten())
        .cloned()
        .collect()
}

/// Waits until each of `ids` has a unit in the storm view; their entries.
async fn assert_held(c: &Console, ids: &[i64]) -> Vec<Value> {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, storms) = c.op.get("/api/v1/storms").await;
        let held: Vec<Value> = incidents(&storms)
            .into_iter()
            .filter(|i| ids.contains(&i["id"].as_i64().unwrap_or_default()) && i["unit"].is_i64())
            .collect();
        if held.len() == ids.len() {
            return held;
        }
        assert!(
            Instant::now() < end,
            "{ids:?} not all given a unit: {storms}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The incident ids the page shows in its storm view, in order.
async fn page_ids(c: &Console) -> Vec<i64> {
    let v = c
        .browser
        .execute("return [...document.querySelectorAll('#storm-list li.storm-inc')].map(li => Number(li.dataset.id));")
        .await;
    serde_json::from_value(v).unwrap_or_default()
}

/// Waits until the page lists exactly what the API does, in the same order; that list.
async fn same_as_api(c: &Console, want: usize) -> (Vec<i64>, Value) {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, storms) = c.op.get("/api/v1/storms").await;
        assert_eq!(status, 200, "{storms}");
        let (api, page) = (api_ids(&storms), page_ids(c).await);
        if api.len() == want && api == page {
            return (api, storms);
        }
        assert!(
            Instant::now() < end,
            "the page shows {page:?}, the API {api:?} (want {want})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_declares_a_storm_and_sees_its_entrapments_by_building_special_case_first() {
    for engine in crate::support::engines() {
        let Some(c) = Console::start(engine, "dispatch-rules", (1366, 768)).await else {
            return;
        };
        let b = &c.browser;
        c.sign_in().await;
        b.click("#tab-storm").await;
        c.until(5, "!document.getElementById('storm-pane').hidden")
            .await;
        c.until(5, "window.__consoleStorms.loads >= 1").await;
        assert!(b.text("#storm-list").await.contains("暂无风暴"));

        // Declared through the form, over a street of the demo region.
        b.type_into("#storm-district", "500103").await;
        b.type_into("#storm-street", STREET).await;
        b.type_into("#storm-reason", "全区停电,测试").await;
        b.click("#storm-declare").await;
        let declared = "document.querySelector('#storm-list article.storm.active')";
        c.until(5, declared).await;
        let id = b
            .execute(
                "return Number(document.querySelector('#storm-list article.storm').dataset.id);",
            )
            .await
            .as_i64()
            .unwrap();
        let head = b.text(&format!("#storm-{id} header")).await;
        assert!(
            head.contains(STREET) && head.contains("全区停电,测试"),
            "{head}"
        );
        c.until(3, "!document.getElementById('storm-banner').hidden")
            .await;
        c.until(3, "window.__consoleSound.some(s => s.kind === 'storm')")
            .await;
        // The same street again: the API's refusal, in its words.
        b.type_into("#storm-reason", "again").await;
        b.click("#storm-declare").await;
        c.until(
            5,
            "document.getElementById('storm-result').className === 'refused'",
        )
        .await;

        // Entrapments in that street; the person ill at a landing, the others between floors.
        let lifts: Vec<Lift> = c.store.lifts(None, 500).await.unwrap();
        let street: Vec<&Lift> = lifts
            .iter()
            .filter(|l| l.street.as_deref() == Some(STREET) && l.maintainer.is_some())
            .filter(|l| l.use_unit_phone.is_some())
            .take(4)
            .collect();
        assert_eq!(street.len(), 4);
        // The first car stands in a hospital: the rules' place reason, coded and translated.
        let mut hospital = street[0].clone();
        hospital.building = format!("区人民医院 {}", hospital.building);
        c.store.put_lifts(&[hospital]).await.unwrap();
        let mut opened = vec![];
        for (n, l) in street.iter().enumerate() {
            let (kind, ill) = match n {
                0 => ("entrapment_between_floors", false),
                1 => ("entrapment_at_landing", false),
                2 => ("entrapment_at_landing", true),
                _ => ("entrapment_between_floors", false),
            };
            opened.push(entrapment(&c, l, &format!("storm-{engine}-{n}"), kind, ill).await);
        }
        let ill = opened[2];
        let (ids, storms) = same_as_api(&c, 4).await;
        assert_eq!(ids[0], ill, "the special case first: {ids:?}");
        let first = b.text(&format!("#storm-inc-{ill}")).await;
        assert!(
            first.contains("特殊") && first.contains("有人不适"),
            "{first}"
        );
        assert!(
            b.find(&format!("#storm-inc-{ill}.tier0 .badge.tier0"))
                .await
                .is_some()
        );
        // Grouped by building: the special case's address heads its building, with the duty phone.
        let building = &storms["storms"][0]["streets"][0]["buildings"][0];
        assert_eq!(building["address"], street[2].address.as_str());
        let phone = street[2]
            .use_unit_phone
            .as_ref()
            .unwrap()
            .as_str()
            .to_owned();
        let tel = c
            .until(
                3,
                &format!(
                    "document.querySelector('#storm-inc-{ill}').closest('.building').querySelector('a.duty')?.getAttribute('href')"
                ),
            )
            .await;
        assert_eq!(tel, json!(format!("tel:{phone}")));
        let heading = b
            .execute(&format!(
                "return document.querySelector('#storm-inc-{ill}').closest('.building').querySelector('h5').textContent;"
            ))
            .await;
        assert_eq!(heading, json!(street[2].address));
        // The hospital's car: its place as a code in the API, in Chinese on the page and the
        // board's badge.
        let hosp = opened[0];
        let api = incidents(&storms);
        let why = &api.iter().find(|i| i["id"] == hosp).unwrap()["triage"]["why"];
        let place = json!({"type": "place", "name": "hospital", "word": "医院", "points": 20});
        assert!(why.as_array().unwrap().contains(&place), "{why}");
        let place_zh = "重点场所:医院(名称含“医院”)+20";
        let why_of = format!("document.querySelector('#storm-inc-{hosp} .why')?.textContent");
        c.until(3, &format!("{why_of}?.includes('{place_zh}')"))
            .await;
        c.until(
            5,
            &format!(
                "document.querySelector('#row-{hosp} .storm-badge')?.title.includes('{place_zh}')"
            ),
        )
        .await;
        // The waiting time ticks with nothing arriving.
        let waited = format!("document.querySelector('#storm-inc-{ill} .waited').textContent");
        let before = c.until(3, &waited).await;
        c.until(3, &format!("{waited} !== {before}")).await;
        // The board's rows carry the storm, the tier and the score.
        c.until(
            5,
            &format!("document.querySelector('#row-{ill} .storm-badge.tier0')"),
        )
        .await;

        // A click opens the incident view.
        b.click(&format!("#storm-inc-{ill} .code")).await;
        c.until(5, "!document.getElementById('incident').hidden")
            .await;
        assert!(b.text("#inc-title").await.contains(&ill.to_string()));
        b.click("#inc-close").await;

        // English on the switch.
        b.click("#app header .lang").await;
        c.until(3, "document.documentElement.lang === 'en'").await;
        assert_eq!(b.text("#tab-storm").await, "Storm mode / mass entrapment");
        let first = b.text(&format!("#storm-inc-{ill}")).await;
        assert!(first.contains("special case"), "{first}");
        let place_en = "hospital (its name holds “医院”) +20";
        c.until(3, &format!("{why_of}?.includes('{place_en}')"))
            .await;
        assert!(b.text("#storm-banner").await.starts_with("Storm mode"));

        // Ended from the page, with a reason.
        b.type_into(&format!("#storm-end-reason-{id}"), "power is back")
            .await;
        b.click(&format!("#storm-end-{id}")).await;
        c.until(5, &format!("document.querySelector('#storm-{id}.ended')"))
            .await;
        assert!(
            b.text(&format!("#storm-{id} header"))
                .await
                .contains("Ended")
        );
        c.until(3, "document.getElementById('storm-banner').hidden")
            .await;
        c.until(
            5,
            &format!("document.querySelector('#row-{ill} .storm-badge.ended')"),
        )
        .await;
        let (_, storms) = c.op.get("/api/v1/storms").await;
        assert!(storms["storms"][0]["ended_at"].is_string(), "{storms}");

        // A radius around the map's centre (the region's middle), from the same form.
        b.execute(
            "const k = document.getElementById('storm-kind'); k.value = 'radius'; \
             k.dispatchEvent(new Event('change')); return true;",
        )
        .await;
        c.until(2, "document.getElementById('storm-street').hidden")
            .await;
        b.type_into("#storm-radius", "2000").await;
        b.type_into("#storm-reason", "substation down").await;
        b.click("#storm-declare").await;
        c.until(
            5,
            "document.querySelectorAll('#storm-list article.storm.active').length === 1",
        )
        .await;
        let (_, storms) = c.op.get("/api/v1/storms").await;
        let area = &storms["storms"][0]["area"];
        assert_eq!(area["type"], "radius", "{storms}");
        assert_eq!(area["radius_m"], 2000.0, "{storms}");
        let lat = area["center"]["lat"].as_f64().unwrap();
        let lon = area["center"]["lon"].as_f64().unwrap();
        let inside = lifts
            .iter()
            .any(|l| l.position.distance_m(LatLon { lat, lon }) < 3000.0);
        assert!(inside, "the centre {lat}, {lon} is in the region");
        b.click("#app header .lang").await;
        c.end().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crew_given_two_cars_together_sees_its_queue_in_order() {
    let Some(c) = Console::start("sqlite", "dispatch-rules", (1366, 768)).await else {
        return;
    };
    // Pairs of lifts of one maintenance company within the rules' walk (150 m) of each other.
    let lifts: Vec<Lift> = c.store.lifts(None, 500).await.unwrap();
    let mut used = std::collections::HashSet::new();
    let mut pairs = vec![];
    for a in lifts.iter().filter(|l| l.maintainer.is_some()) {
        let near = lifts.iter().find(|b| {
            b.id.0 > a.id.0
                && b.maintainer == a.maintainer
                && a.position.distance_m(b.position) < 140.0
        });
        if let Some(b) = near.filter(|b| !used.contains(&a.id.0) && !used.contains(&b.id.0)) {
            used.extend([a.id.0, b.id.0]);
            pairs.push((a, b));
        }
    }
    assert!(
        !pairs.is_empty(),
        "the demo region has two lifts of one company within 140 m"
    );
    let district = serde_json::to_value(lifts[0].district).unwrap();
    let (s, body) =
        c.op.post(
            "/api/v1/storms",
            json!({"area": {"type": "district", "district": district}, "reason": "blackout, test"}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    // The solve runs at once when nothing was solved for a while, then at most every half second
    // while things change: an entrapment elsewhere is solved first, and the two cars that come in
    // together just after it wait for the next solve, which batches them. Should the two land on
    // either side of a solve (a slow machine), the next pair is tried.
    let mut anchors = lifts
        .iter()
        .rev()
        .filter(|l| l.maintainer.is_some() && !used.contains(&l.id.0));
    let mut found = None;
    for (n, (a, b)) in pairs.iter().take(3).enumerate() {
        let anchor = anchors.next().unwrap();
        let first = entrapment(
            &c,
            anchor,
            &format!("anchor-{n}"),
            "entrapment_at_landing",
            false,
        )
        .await;
        assert_held(&c, &[first]).await;
        let (sa, sb) = (format!("queue-{n}-a"), format!("queue-{n}-b"));
        let (x, y) = tokio::join!(
            entrapment(&c, a, &sa, "entrapment_between_floors", false),
            entrapment(&c, b, &sb, "entrapment_at_landing", false),
        );
        let held = assert_held(&c, &[x, y]).await;
        if let Some(i) = held
            .iter()
            .find(|i| i["queue"].as_array().is_some_and(|q| q.len() == 2))
        {
            let q: Vec<i64> = serde_json::from_value(i["queue"].clone()).unwrap();
            assert!(q.contains(&x) && q.contains(&y), "{q:?}");
            found = Some((i["unit"].as_i64().unwrap(), q));
            break;
        }
    }
    let (unit, queue) = found.expect("two cars together in one solve, in three tries");
    // The console's storm view shows the queue.
    c.sign_in().await;
    c.browser.click("#tab-storm").await;
    c.until(
        5,
        &format!(
            "document.querySelector('#storm-inc-{} .queue')?.textContent.includes('第 1/2 辆')",
            queue[0]
        ),
    )
    .await;

    // The crew's page lists the two cars in the queue's order, each with its place.
    let secret = token(c.store.as_ref(), Role::Crew, Some(unit)).await;
    c.browser
        .goto(&format!("{}/crew#token={secret}", c.base))
        .await;
    let k1 = format!("#queue-{}", queue[0]);
    let k2 = format!("#queue-{}", queue[1]);
    c.browser.wait_for(&k2, 15).await;
    assert!(c.browser.text(&k1).await.contains("1/2"));
    assert!(c.browser.text(&k2).await.contains("2/2"));
    let order = c
        .browser
        .execute("return [...document.querySelectorAll('#list .card')].map(c => c.id);")
        .await;
    assert_eq!(
        order,
        json!([
            format!("incident-{}", queue[0]),
            format!("incident-{}", queue[1])
        ])
    );
    // One tap per action, as ever.
    assert!(
        c.browser
            .find(&format!("#accept-{}", queue[0]))
            .await
            .is_some()
    );
    c.end().await;
}
