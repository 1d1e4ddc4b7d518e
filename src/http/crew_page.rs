//! The crew page: what a rescue crew opens on its phone from the SMS or push link
//! (`{notify.crew_url}/{incident}`). One self-contained HTML page (no external assets, works
//! over a poor connection) that shows the unit's pages and assignments and acts on them with
//! one tap: accept with an ETA, decline with a reason, en route, on scene, released. It talks
//! only to the crew API with the crew's token, which it keeps in the phone's local storage
//! (given once in the link's `#token=…` fragment, which never reaches a server, or typed in).
//! Every action carries a fresh `Idempotency-Key`, so a tap repeated on a flaky network acts
//! once. "Get pages as notifications" subscribes the phone to Web Push when the server has it.

use super::error::ApiError;
use crate::service::AppState;
use actix_web::{HttpResponse, web};
use serde::Serialize;

const PAGE: &str = r##"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>liftrescue · 救援派单 / crew</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; padding: 12px; max-width: 640px; }
h1 { font-size: 1.2em; margin: 0 0 8px; }
.card { border: 2px solid #c00; border-radius: 8px; padding: 10px; margin: 10px 0; }
.card.done { border-color: #888; }
.where { font-size: 1.15em; font-weight: bold; }
.code { font-size: 1.4em; letter-spacing: 2px; }
button { font-size: 1.1em; padding: 12px 16px; margin: 6px 6px 0 0; border-radius: 6px; }
button.go { background: #c00; color: #fff; border: 0; }
input { font-size: 1.1em; padding: 8px; width: 5em; }
#status { margin: 8px 0; min-height: 1.2em; }
.small { color: #555; font-size: 0.9em; }
</style>
</head>
<body>
<h1>电梯困人救援 · Lift rescue</h1>
<div id="who" class="small"></div>
<div id="login" hidden>
  <p>输入救援令牌 / Enter your crew token:</p>
  <input id="token" style="width: 100%" autocomplete="off">
  <button id="save" class="go">保存 / Save</button>
</div>
<div id="status" role="status"></div>
<div id="list"></div>
<p><button id="notify" hidden>接收推送通知 / Get pages as notifications</button></p>
<script>
"use strict";
const KEY = "liftrescue-crew-token";
const want = location.pathname.split("/")[2] || "";
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.get("token")) {
  localStorage.setItem(KEY, hash.get("token"));
  history.replaceState(null, "", location.pathname);
}
const $ = (id) => document.getElementById(id);
const say = (t) => { $("status").textContent = t; };
let me = null;

async function api(method, path, body) {
  const headers = { "Authorization": "Bearer " + localStorage.getItem(KEY) };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["Idempotency-Key"] = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
  }
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await r.json().catch(() => null);
  if (r.status === 401) { showLogin(); throw new Error("令牌无效 / token refused"); }
  if (!r.ok) throw new Error((data && data.error && data.error.message) || ("HTTP " + r.status));
  return data;
}

function showLogin() { $("login").hidden = false; }

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function ownPage(view) {
  for (const s of view.steps || []) for (const p of s.pages || []) if (me && p.unit === me.unit) return p;
  return null;
}

const NEXT = {
  pending: [["accept", "接单 Accept", true], ["decline", "拒绝 Decline", false]],
  accepted: [["en-route", "出发 En route", true]],
  en_route: [["on-scene", "到达 On scene", true]],
  on_scene: [["released", "已解救 Released", true]],
};

function render(views) {
  const list = $("list");
  list.textContent = "";
  const shown = views.filter((v) => !want || String(v.id) === want);
  if (shown.length === 0) {
    list.appendChild(el("p", {}, want ? "事件 " + want + " 不在您的派单中 / incident " + want + " is not assigned to you" : "暂无派单 / no pages"));
    return;
  }
  for (const v of shown) {
    const page = ownPage(v);
    const state = page ? page.state : "";
    const card = el("div", { class: "card" + (NEXT[state] ? "" : " done"), id: "incident-" + v.id });
    const lift = v.lift;
    card.appendChild(el("div", { class: "where" }, lift ? lift.address + " " + lift.building : "电梯未识别 / lift not identified"));
    if (lift) card.appendChild(el("div", { class: "code" }, "救援码 " + lift.rescue_code));
    card.appendChild(el("div", {}, "事件 / incident " + v.id + " · " + v.status + (v.flags.length ? " · " + v.flags.join(", ") : "")));
    if (page) {
      card.appendChild(el("div", { id: "state-" + v.id }, "我的状态 / mine: " + state));
      if (state === "pending") card.appendChild(el("div", { class: "small" }, "请在 " + new Date(page.ack_due).toLocaleTimeString() + " 前确认 / answer by then"));
    }
    if (state === "pending") {
      const eta = el("input", { id: "eta-" + v.id, type: "number", min: "1", max: "180", value: "15" });
      card.appendChild(el("label", {}, "预计到达(分钟) / ETA (min) "));
      card.appendChild(eta);
    }
    const row = el("div");
    for (const [action, label, go] of NEXT[state] || []) {
      const b = el("button", { id: action + "-" + v.id, class: go ? "go" : "" }, label);
      b.addEventListener("click", () => act(v.id, action));
      row.appendChild(b);
    }
    card.appendChild(row);
    list.appendChild(card);
  }
}

async function act(id, action) {
  let body = {};
  if (action === "accept") {
    const min = parseInt($("eta-" + id).value, 10);
    if (min > 0) body = { eta_secs: min * 60 };
  }
  if (action === "decline") {
    const reason = prompt("拒绝原因 / Why do you decline?") || "";
    body = { reason };
  }
  say("…");
  try {
    await api("POST", "/api/v1/crew/incidents/" + id + "/" + action, body);
    say("已发送 / done: " + action);
  } catch (e) {
    say("失败 / failed: " + e.message);
  }
  await load();
}

async function load() {
  if (!localStorage.getItem(KEY)) { showLogin(); return; }
  try {
    if (!me) {
      me = await api("GET", "/api/v1/crew/me");
      $("who").textContent = me.name + " (" + me.unit + ")";
      $("login").hidden = true;
    }
    render(await api("GET", "/api/v1/crew/assignments"));
  } catch (e) {
    say(e.message);
  }
}

$("save").addEventListener("click", () => {
  localStorage.setItem(KEY, $("token").value.trim());
  me = null;
  load();
});

function b64(s) {
  const pad = "=".repeat((4 - (s.length % 4)) % 4);
  const raw = atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

if ("serviceWorker" in navigator && "PushManager" in window) {
  $("notify").hidden = false;
  $("notify").addEventListener("click", async () => {
    try {
      const key = await api("GET", "/api/v1/crew/push-key");
      const reg = await navigator.serviceWorker.register("/crew/sw.js", { scope: "/crew/" });
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64(key.public_key) });
      await api("PUT", "/api/v1/crew/push-subscription", sub.toJSON());
      say("已开启推送 / notifications on");
    } catch (e) {
      say("推送未开启 / notifications not on: " + e.message);
    }
  });
}

load();
setInterval(load, 15000);
</script>
</body>
</html>
"##;

const SERVICE_WORKER: &str = r#""use strict";
// Pushes carry no payload: say a page came, and open the crew page on a tap.
self.addEventListener("push", (e) => {
  e.waitUntil(self.registration.showNotification("电梯困人 · 新派单 / New page", {
    body: "点击查看并接单 / Tap to open and accept",
    tag: "liftrescue-page",
    renotify: true,
    requireInteraction: true,
  }));
});
self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  e.waitUntil(clients.openWindow("/crew"));
});
"#;

/// `GET /crew`, `GET /crew/{id}`: the crew page.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .body(PAGE)
}

/// `GET /crew/sw.js`: the page's service worker (shows a notification on a push).
pub async fn service_worker() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .body(SERVICE_WORKER)
}

/// Who a crew token is, and where the desk has it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CrewMe {
    /// The unit.
    pub unit: i64,
    /// Its name in the registry.
    pub name: String,
    /// The position the desk pages it from when fresh (the newest known fix).
    pub fix: Option<crate::domain::Fix>,
    /// Seconds since that fix was taken; absent without a fix.
    pub fix_age_s: Option<i64>,
    /// Its base, where it is paged from without a fresh fix.
    pub base: Option<crate::domain::LatLon>,
}

/// `GET /api/v1/crew/me`: the unit this token acts for.
pub async fn me(
    state: web::Data<AppState>,
    caller: super::auth::Caller,
) -> Result<HttpResponse, ApiError> {
    let unit = caller.crew_unit()?;
    let known = state
        .store
        .units()
        .await?
        .into_iter()
        .find(|u| u.id == unit);
    let live = state.desk.fixes(Some(unit)).await?.first().map(|(_, f)| *f);
    let now = state.clock.now();
    let me = match known {
        Some(u) => {
            let out = super::registry::UnitOut::new(u, live, now);
            CrewMe {
                unit: unit.0,
                name: out.unit.name,
                fix: out.unit.fix,
                fix_age_s: out.fix_age_s,
                base: out.unit.base,
            }
        }
        None => CrewMe {
            unit: unit.0,
            name: String::new(),
            fix: None,
            fix_age_s: None,
            base: None,
        },
    };
    Ok(HttpResponse::Ok().json(me))
}
