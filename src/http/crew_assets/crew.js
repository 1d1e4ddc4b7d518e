// The crew page: the unit's pages and assignments, one tap per action. Actions go through
// the phone's queue (queue.js), so a tap works with no signal; texts come from i18n.js. The
// live feed (live.js) says at once when something concerns the unit, and the page reads its
// assignments again; only while the feed is down does it read them every 15 s.
import { t, toggle, applyStatic } from "./i18n.js";
import { listen } from "./live.js";
import { enqueue, flush, start, waiting } from "./queue.js";
import { navigation, call } from "./site.js";

const TOKEN = "liftrescue-crew-token";
const want = location.pathname.split("/")[2] || "";
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.get("token")) {
  localStorage.setItem(TOKEN, hash.get("token"));
  history.replaceState(null, "", location.pathname);
}

const $ = (id) => document.getElementById(id);
const say = (text) => { $("status").textContent = text; };
let me = null;
let views = null;
const etaTyped = {};
// Bumped when an action reaches the server: a read begun before then shows the state before
// it, and is dropped rather than flicking the card back a step.
let landed = 0;
// Actions sent since the last read that shows them: the card shows them as done meanwhile.
let sent = [];
// What the network line says: about the last read, and about the queue's last attempt.
const net = { read: "", queue: "" };
function showNet() {
  $("net").textContent = [net.read, net.queue].filter(Boolean).join(" · ");
}

// What each action makes of the crew's own page state, to show queued taps as done.
const AFTER = { accept: "accepted", decline: "declined", "en-route": "en_route", "on-scene": "on_scene", released: "released" };
// The actions each state offers: [action, main action?].
const NEXT = {
  pending: [["accept", true], ["decline", false]],
  accepted: [["en-route", true]],
  en_route: [["on-scene", true]],
  on_scene: [["released", true]],
};

function headers() {
  return { "Authorization": "Bearer " + localStorage.getItem(TOKEN) };
}

/** GET a crew API path; `{data, copy}` where `copy` says the service worker answered offline. */
async function get(path) {
  const r = await fetch(path, { headers: headers() });
  const data = await r.json().catch(() => null);
  if (r.status === 401) { signOut(); throw new Error(t("token_refused")); }
  if (!r.ok) throw new Error((data && data.error && data.error.message) || ("HTTP " + r.status));
  return { data, copy: r.headers.get("X-Liftrescue-Offline") === "1" };
}

/** Sends one queued action with the key it was given when tapped. */
async function sendAction(item) {
  const r = await fetch(`/api/v1/crew/incidents/${item.incident}/${item.action}`, {
    method: "POST",
    headers: { ...headers(), "Content-Type": "application/json", "Idempotency-Key": item.key },
    body: JSON.stringify(item.body || {}),
  });
  const data = await r.json().catch(() => null);
  return { status: r.status, message: (data && data.error && data.error.message) || "HTTP " + r.status };
}

function onQueue(outcome, item, detail) {
  const words = { action: t("action." + item.action), id: item.incident, why: detail };
  if (outcome === "sent" || outcome === "refused") landed += 1;
  if (outcome === "sent") {
    sent.push(item);
    say(t("sent", words));
    net.queue = "";
    load();
  } else if (outcome === "refused") {
    $("refused").hidden = false;
    $("refused").textContent = t("refused", words);
    load();
  } else if (outcome === "token") {
    signOut();
    say(t("token_refused"));
  } else {
    net.queue = detail ? t("retry_later", { why: detail }) : t("no_network");
  }
  showNet();
  showWaiting();
}

function showLogin() { $("login").hidden = false; }

// The token was refused (removed by an admin, or mistyped): the page stops the feed and the
// 15 s refresh, says it is signed out, and asks for a token until one is saved.
let signedOut = false;
function signOut() {
  signedOut = true;
  if (stopFeed) stopFeed();
  stopFeed = null;
  connected = false;
  showLive("signed_out");
  showLogin();
}

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The unit's own page of an incident (the server sends no other unit's). */
function ownPage(view) {
  return view.page || null;
}

function showWaiting() {
  const q = waiting();
  $("waiting").hidden = q.length === 0;
  $("waiting-count").textContent = t("waiting", { n: q.length });
  const list = $("waiting-list");
  list.textContent = "";
  for (const a of q) {
    const time = new Date(a.tapped).toLocaleTimeString();
    list.appendChild(el("li", {}, t("waiting_item", { action: t("action." + a.action), id: a.incident, time })));
  }
  if (views) render();
}

// Redraws only what changed: a refresh keeps every node whose content is the same (a button,
// the ETA being typed), so nothing is swapped from under the crew's finger.
function render() {
  const shown = inQueueOrder(views.filter((v) => !want || String(v.id) === want));
  const fresh = shown.map(card);
  if (shown.length === 0) {
    const empty = el("p", {}, want ? t("not_mine", { id: want }) : t("no_pages"));
    empty.dataset.k = "empty";
    fresh.push(empty);
  }
  const list = $("list");
  const old = keyed(list);
  place(list, fresh.map((n) => {
    const o = old.get(n.dataset.k);
    if (!o || o.tagName !== n.tagName) return n;
    o.className = n.className;
    const parts = [...n.children];
    const kept = keyed(o);
    place(o, parts.map((p) => {
      const same = kept.get(p.dataset.k);
      return same && same.outerHTML === p.outerHTML ? same : p;
    }));
    return o;
  }));
}

/** The views with the cars given together (a storm's queue) in the order the crew takes them,
 * the queue where its first car would stand; the rest as the server sent them. */
function inQueueOrder(list) {
  const head = (v) => (ownPage(v)?.queue || [])[0] ?? v.id;
  const at = (v) => Math.max(0, (ownPage(v)?.queue || []).indexOf(v.id));
  const first = new Map();
  list.forEach((v, n) => first.has(head(v)) || first.set(head(v), n));
  return [...list].sort((a, b) => first.get(head(a)) - first.get(head(b)) || at(a) - at(b));
}

function keyed(parent) {
  return new Map([...parent.children].map((c) => [c.dataset.k, c]));
}

/** Makes `nodes` the children of `parent`, touching nothing when they already are. */
function place(parent, nodes) {
  const now = [...parent.children];
  if (now.length === nodes.length && nodes.every((n, i) => n === now[i])) return;
  parent.replaceChildren(...nodes);
}

function card(v) {
  const page = ownPage(v);
  const mine = (a) => String(a.incident) === String(v.id);
  const queued = waiting().filter(mine);
  let state = page ? page.state : "";
  for (const a of [...sent.filter(mine), ...queued]) state = AFTER[a.action] || state;
  const c = el("div", { class: "card" + (NEXT[state] ? "" : " done"), id: "incident-" + v.id });
  c.dataset.k = "incident-" + v.id;
  const add = (key, node) => { node.dataset.k = key; c.appendChild(node); };
  const site = v.site;
  add("where", el("div", { class: "where" }, site ? site.address + " " + site.building : t("lift_unknown")));
  if (v.lift) add("code", el("div", { class: "code" }, t("rescue_code", { code: v.lift.rescue_code })));
  if (v.floor) add("floor", el("div", { id: "floor-" + v.id }, t("floor", { floor: v.floor })));
  const flags = el("div", { id: "flags-" + v.id });
  for (const f of v.flags || []) flags.appendChild(el("span", { class: "flag" }, t("flag." + f)));
  add("flags", flags);
  add("incident", el("div", {}, t("incident", { id: v.id, status: t("status." + v.status) })));
  const queue = (page && page.queue) || [];
  if (queue.length > 1) {
    const k = queue.indexOf(v.id) + 1;
    add("queue", el("div", { class: "queue", id: "queue-" + v.id }, t("queue", { k, n: queue.length })));
  }
  if (site) add("links", links(v.id, site, v.lift ? v.lift.rescue_code : ""));
  if (page) {
    add("state", el("div", { id: "state-" + v.id }, t("mine", { state: t("state." + state) })));
    if (state === "pending") add("due", el("div", { class: "small" }, t("answer_by", { time: new Date(page.ack_due).toLocaleTimeString() })));
    else if (state === page.state && v.next && v.next.due) {
      const by = v.next.action === "released" ? "release_by" : "arrive_by";
      add("due", el("div", { class: "small", id: "due-" + v.id }, t(by, { time: new Date(v.next.due).toLocaleTimeString() })));
    }
  }
  if (queued.length) {
    const names = queued.map((a) => t("action." + a.action)).join(", ");
    add("queued", el("div", { class: "queued", id: "queued-" + v.id }, t("queued", { actions: names })));
  }
  if (state === "pending") {
    add("eta-label", el("label", { for: "eta-" + v.id }, t("eta") + " "));
    const eta = el("input", { id: "eta-" + v.id, type: "number", min: "1", max: "180", value: "15" });
    if (etaTyped[v.id]) eta.value = etaTyped[v.id]; // a property: the node compares the same
    eta.addEventListener("input", () => { etaTyped[v.id] = eta.value; });
    add("eta", eta);
  }
  const row = el("div");
  for (const [action, main] of NEXT[state] || []) {
    const b = el("button", { id: action + "-" + v.id, class: main ? "go" : "" }, t("action." + action));
    b.addEventListener("click", () => act(v.id, action));
    row.appendChild(b);
  }
  add("actions", row);
  return c;
}

function links(id, site, code) {
  const box = el("div", { class: "links" });
  box.appendChild(el("span", {}, t("navigate") + " "));
  const name = site.address + " " + site.building + (code ? " " + code : "");
  for (const [app, label, href] of navigation(site, name)) {
    box.appendChild(el("a", { id: `nav-${app}-${id}`, href, target: "_blank", rel: "noopener" }, t(label)));
  }
  const tel = call(site.duty_phone);
  if (tel) box.appendChild(el("a", { id: "call-" + id, class: "call", href: tel }, t("call", { phone: site.duty_phone })));
  return box;
}

function act(id, action) {
  let body = {};
  if (action === "accept") {
    const min = parseInt($("eta-" + id).value, 10);
    if (min > 0) body = { eta_secs: min * 60 };
  }
  if (action === "decline") {
    const reason = prompt(t("decline_why"));
    if (reason === null) return;
    body = { reason };
  }
  $("refused").hidden = true;
  enqueue(id, action, body);
  showWaiting();
}

// Reads are numbered: an answer older than the one drawn last (a slow offline copy after a
// fresh answer) is not drawn over it.
let reads = 0;
let drawn = 0;

/**
 * Reads the assignments (and who this token is, once or when `again`) and redraws. A fresh
 * answer while the feed is connected makes the page "live"; a failed read or the offline copy
 * makes it not live, so the 15 s refresh stands in until a read succeeds.
 */
async function load(again = false) {
  if (!localStorage.getItem(TOKEN)) { showLogin(); return; }
  const read = ++reads;
  try {
    if (!me || again) {
      me = (await get("/api/v1/crew/me")).data;
      $("who").textContent = me.name + " (" + me.unit + ")";
      $("login").hidden = true;
    }
    const before = landed;
    const { data, copy } = await get("/api/v1/crew/assignments");
    if (before !== landed || read < drawn) return;
    drawn = read;
    views = data;
    if (!copy) sent = [];
    net.read = copy ? t("offline_copy") : "";
    showNet();
    render();
    if (!copy && waiting().length) flush();
    if (copy) notLive();
    else if (connected) showLive("live");
  } catch (e) {
    net.read = t("unreachable", { why: e.message });
    showNet();
    notLive();
  }
}

$("save").addEventListener("click", () => {
  localStorage.setItem(TOKEN, $("token").value.trim());
  signedOut = false;
  load(true).then(flush);
  follow();
});

// The live feed's state, shown small under the unit's name: connecting, live, or reconnecting
// (until it is live, the 15 s refresh stands in).
let feedUp = false;
let connected = false;
let stopFeed = null;
let soon = null;
function showLive(state) {
  feedUp = state === "live";
  $("live").dataset.state = state;
  $("live").textContent = t("feed_" + state);
}

/** A read failed or came from the offline copy: not live until one succeeds. */
function notLive() {
  if (feedUp) showLive("connecting");
}

/** Reads the assignments once shortly after news, so a burst of events is one read. */
function reloadSoon() {
  if (soon) return;
  soon = setTimeout(() => { soon = null; load(); }, 250);
}

/** (Re)starts following the live feed with the token in use. */
function follow() {
  if (stopFeed) stopFeed();
  stopFeed = null;
  connected = false;
  if (!localStorage.getItem(TOKEN)) return;
  showLive("connecting");
  stopFeed = listen(() => localStorage.getItem(TOKEN), {
    // Connected: read once, for whatever happened while it was not; live once that is read
    // fresh (`load`).
    up: () => {
      connected = true;
      load();
    },
    down: () => { connected = false; showLive("reconnecting"); },
    news: reloadSoon,
    refused: (status) => {
      stopFeed = null;
      connected = false;
      if (status === 401) signOut();
      else showLive("off");
    },
  });
}

$("lang").addEventListener("click", () => {
  toggle();
  applyStatic();
  showLive($("live").dataset.state || "off");
  showWaiting();
});

function b64(s) {
  const pad = "=".repeat((4 - (s.length % 4)) % 4);
  const raw = atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

if ("serviceWorker" in navigator) {
  // The worker keeps the page and the last answers for use offline; once it controls the
  // page, load again so those answers are kept.
  navigator.serviceWorker.register("/crew/sw.js", { scope: "/crew/" }).catch(() => {});
  navigator.serviceWorker.addEventListener("controllerchange", () => load(true));
  if ("PushManager" in window) {
    $("notify").hidden = false;
    $("notify").addEventListener("click", async () => {
      try {
        const key = (await get("/api/v1/crew/push-key")).data;
        const reg = await navigator.serviceWorker.ready;
        const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64(key.public_key) });
        const r = await fetch("/api/v1/crew/push-subscription", {
          method: "PUT",
          headers: { ...headers(), "Content-Type": "application/json" },
          body: JSON.stringify(sub.toJSON()),
        });
        if (!r.ok) throw new Error("HTTP " + r.status);
        say(t("notify_on"));
      } catch (e) {
        say(t("notify_off", { why: e.message }));
      }
    });
  }
}

applyStatic();
showLive("off");
showWaiting();
start(sendAction, onQueue);
load();
follow();
// The fallback while the feed is down (or refused): the assignments every 15 s.
setInterval(() => { if (!feedUp && !signedOut) load(); }, 15000);
