//! A shift on the console: sign in, a new alarm on the board within a second with its
//! countdown ticking, a breach turning the row red with its sound, the incident view's actions
//! on the record, the hotline form, and the language switch.

use super::Console;
use crate::support::{Api, engines, token};
use liftrescue::store::Role;
use serde_json::{Value, json};
use std::time::Instant;

const ENTER: &str = "\u{E007}";
const CONTROL: &str = "\u{E009}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_signs_in_and_a_new_alarm_is_on_the_board_within_a_second_ticking() {
    for engine in engines() {
        let Some(c) = Console::start(engine, "dispatch-rules", (1366, 768)).await else {
            return;
        };
        let b = &c.browser;
        // A wrong token and a crew token are told apart, in words.
        b.type_into("#token", "not-a-token").await;
        b.click("#sign-in").await;
        c.until(
            5,
            "document.getElementById('signin-error').textContent.includes('令牌错误或已过期')",
        )
        .await;
        let crew = token(c.store.as_ref(), Role::Crew, Some(1)).await;
        b.type_into("#token", &crew).await;
        b.click("#sign-in").await;
        c.until(
            5,
            "document.getElementById('signin-error').textContent.includes('这不是值班员令牌')",
        )
        .await;
        c.sign_in().await;

        let lift = c.lift().await;
        let posted = Instant::now();
        let id = c.alarm(&lift, &format!("console-{engine}")).await;
        c.until_ms(1000, &format!("document.getElementById('row-{id}')"))
            .await;
        assert!(
            posted.elapsed().as_millis() <= 1000,
            "{engine}: on the board {} ms after the alarm was posted",
            posted.elapsed().as_millis()
        );
        let row = b.text(&format!("#row-{id}")).await;
        assert!(row.contains(lift.rescue_code.as_str()), "{row}");
        assert!(row.contains("非平层困人"), "what happened, in words: {row}");
        assert!(row.contains("1 级"), "the level: {row}");
        assert!(row.contains("已派单"), "who is paged and the state: {row}");

        // The acknowledgement countdown ticks every second without anything arriving.
        let left = format!("document.querySelector('#clock-{id}-acknowledge .left').textContent");
        let first = c.until(3, &left).await;
        assert!(
            first.as_str().unwrap_or("").contains(':'),
            "a countdown: {first}"
        );
        c.until(3, &format!("{left} !== {first}")).await;

        // The new incident sounds until acknowledged on screen.
        c.until(2, "document.body.dataset.alarm === 'new'").await;
        let played = b
            .execute("return window.__consoleSound.map(s => s.kind);")
            .await;
        assert!(
            played.as_array().unwrap().contains(&json!("new")),
            "{played}"
        );
        b.click("#ack-sound").await;
        c.until(2, "document.body.dataset.alarm === ''").await;

        // The map draws it on the region's outline.
        c.until(
            3,
            "window.__consoleMap && window.__consoleMap.incidents >= 1",
        )
        .await;
        let (_, s) = c.op.get("/api/v1/console/settings").await;
        assert!(s["outline"].as_array().unwrap().len() >= 3, "{s}");
        assert!(s["tiles_url"].is_null(), "no tiles by default: {s}");
        c.end().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breach_turns_the_row_amber_then_red_and_sounds_the_breach_alarm() {
    let Some(c) = Console::start(
        "sqlite",
        "integration-tests/fixtures/console-rules",
        (1366, 768),
    )
    .await
    else {
        return;
    };
    c.sign_in().await;
    let id = c.alarm(&c.lift().await, "breach-1").await;
    let row = format!("document.getElementById('row-{id}')");
    c.until(3, &row).await;
    c.browser.click("#ack-sound").await;
    // Warning at 3 s, breach at 6 s after the page.
    c.until(8, &format!("{row}.classList.contains('amber')"))
        .await;
    c.until(10, &format!("{row}.classList.contains('red')"))
        .await;
    c.until(5, "document.body.dataset.alarm === 'breach'").await;
    c.until(5, "window.__consoleMap.red === 1").await;
    let played = c
        .browser
        .execute("return window.__consoleSound.map(s => s.kind);")
        .await;
    assert!(
        played.as_array().unwrap().contains(&json!("breach")),
        "{played}"
    );
    let clock = c
        .browser
        .attribute(&format!("#clock-{id}-arrive"), "class")
        .await
        .unwrap_or_default();
    assert!(clock.contains("red"), "the arrive clock is red: {clock}");
    assert!(c.kinds(id).await.contains(&"deadline_breached".to_owned()));
    c.end().await;
}

/// The timeline entries the incident view shows, by kind.
async fn shown(c: &Console, kind: &str) -> Value {
    c.until(
        10,
        &format!("document.querySelectorAll('#inc-timeline li.ev[data-kind=\"{kind}\"]').length"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_assigns_notes_confirms_the_release_and_closes_from_the_console() {
    for engine in engines() {
        let Some(c) = Console::start(engine, "dispatch-rules", (1920, 1080)).await else {
            return;
        };
        let b = &c.browser;
        c.sign_in().await;
        let id = c.alarm(&c.lift().await, &format!("act-{engine}")).await;
        b.click(&format!("#row-{id}")).await;
        b.wait_for("#inc-candidates [data-unit]", 10).await;
        shown(&c, "unit_paged").await;
        let record = b.text("#inc-lift").await;
        assert!(
            record.contains("注册代码") && record.contains("维保单位"),
            "{record}"
        );

        // A refusal is shown in the API's words.
        b.click("#do-close").await;
        c.until(
            5,
            "document.getElementById('act-result').className === 'refused'",
        )
        .await;
        b.click("#do-cancel").await;
        c.until(
            5,
            "document.getElementById('act-result').textContent.includes('请填写原因')",
        )
        .await;

        b.click("#inc-candidates [data-unit]").await;
        let unit: i64 = b
            .execute("return Number(document.getElementById('assign-unit').value);")
            .await
            .as_i64()
            .unwrap();
        b.type_into("#assign-reason", "nearer crew, asked by phone")
            .await;
        b.click("#do-assign").await;
        c.until(10, "document.querySelectorAll('#inc-timeline li.ev[data-kind=\"unit_paged\"]').length >= 2")
            .await;
        b.type_into("#note-text", "caller calm, two people inside")
            .await;
        b.click("#do-note").await;
        shown(&c, "note").await;
        assert!(b.text("#inc-timeline").await.contains("caller calm"));

        // The assigned crew gets them out.
        let crew = Api::new(
            &c.base,
            &token(c.store.as_ref(), Role::Crew, Some(unit)).await,
        );
        let path = |a: &str| format!("/api/v1/crew/incidents/{id}/{a}");
        let (s, body) = crew.post(&path("accept"), json!({"eta_secs": 600})).await;
        assert_eq!(s, 200, "{body}");
        for step in ["en-route", "on-scene", "released"] {
            let (s, body) = crew.post(&path(step), json!({})).await;
            assert_eq!(s, 200, "{step}: {body}");
        }
        c.until(
            10,
            &format!("document.getElementById('row-{id}').textContent.includes('待回访')"),
        )
        .await;
        b.type_into("#confirm-note", "called back: both out, unhurt")
            .await;
        b.click("#do-confirm").await;
        shown(&c, "release_confirmed").await;
        b.type_into("#fault-code", "door_lock").await;
        b.click("#do-fault").await;
        shown(&c, "fault_cause_filed").await;
        b.click("#do-close").await;
        shown(&c, "closed").await;
        c.until(5, &format!("!document.getElementById('row-{id}')"))
            .await;
        let kinds = c.kinds(id).await;
        for k in ["note", "release_confirmed", "fault_cause_filed", "closed"] {
            assert!(kinds.contains(&k.to_owned()), "{k} in {kinds:?}");
        }
        c.end().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hotline_form_opens_an_incident_from_a_rescue_code_in_two_keystrokes() {
    let Some(c) = Console::start("sqlite", "dispatch-rules", (1366, 768)).await else {
        return;
    };
    let b = &c.browser;
    c.sign_in().await;
    let lift = c.lift().await;
    b.execute("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'n'}));")
        .await;
    c.until(2, "!document.getElementById('hotline').hidden")
        .await;
    b.press("#hl-code", &format!("{}{ENTER}", lift.rescue_code.as_str()))
        .await;
    c.until(5, "document.querySelector('#hl-lift .found')")
        .await;
    let found = b.text("#hl-lift").await;
    assert!(found.contains(lift.address.trim()), "{found}");
    c.until(2, "document.activeElement.id === 'hl-open'").await;
    b.press("#hl-open", ENTER).await;
    let id = c
        .until(
            10,
            "(document.getElementById('notice').textContent.match(/已开立事件 (\\d+)/) || [])[1]",
        )
        .await;
    let id: i64 = id.as_str().unwrap().parse().unwrap();
    c.until(5, &format!("document.getElementById('row-{id}')"))
        .await;
    let (_, detail) = c.op.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(detail["live"]["lift"]["id"], lift.id.0, "{detail}");

    // A code nobody registered still opens an incident, with its lift unresolved, on top.
    let unknown = c.unregistered_code().await;
    b.click("#new-call").await;
    b.click("#hl-child-alone").await;
    b.press("#hl-code", &format!("{unknown}{CONTROL}{ENTER}\u{E000}"))
        .await;
    let id = c
        .until(10, "(document.getElementById('notice').textContent.match(/已开立事件 (\\d+).*电梯未识别/) || [])[1]")
        .await;
    let id: i64 = id.as_str().unwrap().parse().unwrap();
    c.until(
        5,
        &format!("document.querySelector('#board-rows tr').id === 'row-{id}'"),
    )
    .await;
    assert!(b.text(&format!("#row-{id}")).await.contains("电梯未识别"));
    assert!(b.text(&format!("#row-{id}")).await.contains("儿童独自被困"));
    c.until(3, "document.body.dataset.alarm === 'unresolved'")
        .await;

    // A line fault reaches the equipment panel from the feed.
    assert!(b.text("#equipment-list").await.contains("无设备故障"));
    let phone = c.line_fault().await;
    c.until(
        5,
        &format!(
            "document.getElementById('equipment-list').textContent.includes('轿厢电话 {phone}')"
        ),
    )
    .await;
    c.end().await;
}

/// Every CJK character in `text` once the data (names and addresses from the API) is removed.
fn chinese_left(text: &str, data: &[String]) -> String {
    let mut text = text.to_owned();
    for d in data {
        if !d.is_empty() {
            text = text.replace(d.as_str(), " ");
        }
    }
    text.lines()
        .filter(|l| {
            l.chars().any(|ch| {
                ('\u{4e00}'..='\u{9fff}').contains(&ch) || ('\u{3000}'..='\u{303f}').contains(&ch)
            })
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_changes_every_visible_string() {
    let Some(c) = Console::start("sqlite", "dispatch-rules", (1920, 1080)).await else {
        return;
    };
    let b = &c.browser;
    c.sign_in().await;
    let lift = c.lift().await;
    let id = c.alarm(&lift, "lang-1").await;
    // J selects the first row, Enter opens it; T switches the theme.
    c.until(3, &format!("document.getElementById('row-{id}')"))
        .await;
    let key =
        |k: &str| format!("document.dispatchEvent(new KeyboardEvent('keydown', {{key: '{k}'}}));");
    b.execute(&key("j")).await;
    c.until(
        2,
        &format!("document.getElementById('row-{id}').classList.contains('selected')"),
    )
    .await;
    b.execute(&key("Enter")).await;
    shown(&c, "unit_paged").await;
    b.execute(&key("t")).await;
    c.until(2, "document.body.dataset.theme === 'light'").await;
    assert_eq!(b.text("#app h1").await, "电梯困人救援 · 值班台");
    b.click("#app header .lang").await;
    c.until(3, "document.documentElement.lang === 'en'").await;
    assert_eq!(b.text("#app h1").await, "Lift rescue · operator console");
    // Data stays as written; the language switch names its language in that language.
    let mut data: Vec<String> = vec![lift.address.clone(), lift.building.clone(), "中文".into()];
    for (path, key) in [("/api/v1/units", "name"), ("/api/v1/companies", "name")] {
        let (_, list) = c.op.get(path).await;
        data.extend(
            list.as_array()
                .into_iter()
                .flatten()
                .filter_map(|u| u[key].as_str().map(str::to_owned)),
        );
    }
    data.sort_by_key(|d| std::cmp::Reverse(d.len()));
    // With the incident view open, then the hotline form, then the help.
    let text = b.execute("return document.body.innerText;").await;
    let left = chinese_left(text.as_str().unwrap(), &data);
    assert!(left.is_empty(), "Chinese left in English mode:\n{left}");
    b.click("#inc-close").await;
    b.click("#new-call").await;
    b.click("#help-btn").await;
    let text = b.execute("return document.body.innerText;").await;
    let left = chinese_left(text.as_str().unwrap(), &data);
    assert!(left.is_empty(), "Chinese left in English mode:\n{left}");
    // The map draws GCJ-02 the way the server computes it.
    let lat_lon = b
        .execute(&format!(
            "return import('/console/assets/geo.js').then(m => m.wgs84ToGcj02({}, {}));",
            lift.position.lat, lift.position.lon
        ))
        .await;
    let gcj = lift.position.to_gcj02();
    assert!(
        (lat_lon[0].as_f64().unwrap() - gcj.lat).abs() < 1e-9,
        "{lat_lon} vs {gcj:?}"
    );
    assert!(
        (lat_lon[1].as_f64().unwrap() - gcj.lon).abs() < 1e-9,
        "{lat_lon} vs {gcj:?}"
    );
    c.end().await;
}
