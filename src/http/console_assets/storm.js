// The storm view: every storm the desk holds (`GET /api/v1/storms`), its open incidents by
// street and building, most urgent first, each with its tier, score and reasons (from their
// codes, in the operator's language), how long it has waited (ticking), its unit and its
// place in that unit's queue. The building carries the use unit's duty phone for the operator
// to call the property staff. The view is fetched again (at most once a second) when the live
// feed reports a storm event or any event on an incident in a storm, and every 30 s while a
// storm is on (scores grow with the minutes).
//
// For tests and anyone looking: `window.__consoleStorms` counts the loads and lists the
// incident ids shown, in order.
import { get } from "./api.js";
import { t, lang, clockTime } from "./i18n.js";
import { esc, serverNow } from "./board.js";
import * as sound from "./sound.js";
import * as form from "./storm_form.js";
import { triageWhy } from "./storm_i18n.js";

/** Storm events that change the view whatever incident they name. */
const STORM_EVENTS = new Set(["storm_declared", "storm_ended", "incident_triaged", "storm_solved"]);
const DEBOUNCE_MS = 1000;
const POLL_MS = 30_000;

let view = { storms: [] };
let fetchedAt = 0;
let list = null;
let bannerEl = null;
let onOpen = () => {};
let timer = null;
let loading = false;
let again = false;
let inStorm = new Set();
let drawn = "";
const seen = (window.__consoleStorms = { loads: 0, ids: [], active: 0 });
const $ = (id) => document.getElementById(id);

/** Wires the view: `open(id)` opens an incident's view. */
export function setup(open) {
  list = $("storm-list");
  bannerEl = $("storm-banner");
  onOpen = open;
  form.setup(refresh);
  $("tab-board").addEventListener("click", () => show("board"));
  $("tab-storm").addEventListener("click", () => show("storm"));
  bannerEl.addEventListener("click", () => show("storm"));
  list.addEventListener("click", (e) => {
    const end = e.target.closest("[data-end]");
    if (end) {
      const id = Number(end.dataset.end);
      form.end(id, $(`storm-end-reason-${id}`).value);
      return;
    }
    if (e.target.closest("a, input, button")) return;
    const li = e.target.closest("li[data-id]");
    if (li) onOpen(Number(li.dataset.id));
  });
  setInterval(tick, 1000);
  setInterval(() => seen.active && refresh(), POLL_MS);
}

/** Shows the board ("board") or the storm view ("storm"). */
export function show(tab) {
  const storm = tab === "storm";
  $("board-view").hidden = storm;
  $("storm-pane").hidden = !storm;
  $("tab-board").setAttribute("aria-selected", String(!storm));
  $("tab-storm").setAttribute("aria-selected", String(storm));
  if (storm) refresh();
}

/** Fetches the view now (a fetch under way is followed by one more). */
export async function refresh() {
  if (loading) {
    again = true;
    return;
  }
  loading = true;
  try {
    view = (await get("/api/v1/storms")) || { storms: [] };
    fetchedAt = serverNow();
    seen.loads += 1;
    render();
  } catch {
    // The next event or poll fetches it again.
  } finally {
    loading = false;
    if (again) {
      again = false;
      refresh();
    }
  }
}

/** Fetches the view within a second (several calls meanwhile make one fetch). */
export function soon() {
  if (timer) return;
  timer = setTimeout(() => {
    timer = null;
    refresh();
  }, DEBOUNCE_MS);
}

/** The feed told of an event of `type` on `incident` (with its board row, if any). */
export function heard(type, incident, row) {
  if (type === "storm_declared") sound.raise("storm");
  if (STORM_EVENTS.has(type) || inStorm.has(incident) || row?.storm) soon();
}

/** Draws the view again (after a load or a language switch); when only the waiting times
 * changed, it keeps the nodes (a click or a tap in progress lands) and sets the times. */
export function render() {
  if (!list) return;
  const key = lang() + JSON.stringify(view, (k, v) => (k === "waiting_secs" ? undefined : v));
  if (key === drawn) {
    const secs = new Map(everyIncident().map((i) => [i.id, i.waiting_secs]));
    for (const li of list.querySelectorAll("li.storm-inc")) {
      li.querySelector(".waited").dataset.secs = Number(secs.get(Number(li.dataset.id))) || 0;
    }
    return tick();
  }
  drawn = key;
  // The "end storm" controls stay the same nodes across draws: the operator may be typing.
  const kept = new Map([...list.querySelectorAll(".end[data-storm]")].map((e) => [e.dataset.storm, e]));
  const focused = document.activeElement;
  const storms = view.storms || [];
  list.innerHTML = storms.length
    ? storms.map(stormHtml).join("")
    : `<p class="small">${esc(t("storm_none"))}</p>`;
  for (const fresh of list.querySelectorAll(".end[data-storm]")) {
    const old = kept.get(fresh.dataset.storm);
    if (!old) continue;
    old.querySelector("input").placeholder = t("storm_end_reason");
    old.querySelector("button").textContent = t("storm_end");
    fresh.replaceWith(old);
  }
  if (focused && list.contains(focused) && document.activeElement !== focused) focused.focus();
  const incidents = everyIncident();
  inStorm = new Set(incidents.map((i) => i.id));
  seen.ids = incidents.map((i) => i.id);
  banner(storms.filter((s) => !s.ended_at));
  tick();
}

/** The view's incidents, storm by storm, in order. */
function everyIncident() {
  return (view.storms || []).flatMap((s) =>
    s.streets.flatMap((st) => st.buildings.flatMap((b) => b.incidents)),
  );
}

function banner(active) {
  seen.active = active.length;
  bannerEl.hidden = !active.length;
  if (!active.length) return;
  const sum = (k) => active.reduce((n, s) => n + s[k], 0);
  bannerEl.textContent = t("storm_banner", { n: active.length, open: sum("open"), waiting: sum("waiting") });
}

function areaText(a) {
  if (a.type === "street") return t("storm_at.street", { street: a.street, district: a.district });
  if (a.type === "district") return t("storm_at.district", { district: a.district });
  const c = a.center || {};
  return t("storm_at.radius", { lat: c.lat?.toFixed(5), lon: c.lon?.toFixed(5), r: Math.round(a.radius_m) });
}

function triggerText(tr) {
  if (tr.type === "rule") return t("storm_by.rule", { n: tr.entrapments, s: tr.within_secs });
  return t("storm_by.operator", { user: tr.user, reason: tr.reason });
}

function stormHtml(s) {
  const ended = Boolean(s.ended_at);
  const end = ended
    ? `<b class="ended-at">${esc(t("storm_ended_at", { time: clockTime(s.ended_at) }))}</b>`
    : `<span class="end" data-storm="${s.id}"><input id="storm-end-reason-${s.id}" type="text" placeholder="${esc(t("storm_end_reason"))}">
<button id="storm-end-${s.id}" type="button" data-end="${s.id}">${esc(t("storm_end"))}</button></span>`;
  return `<article class="storm ${ended ? "ended" : "active"}" id="storm-${s.id}" data-id="${s.id}">
<header><h3>${esc(t("storm_title", { id: s.id }))}</h3>
<span class="area">${esc(areaText(s.area))}</span>
<span class="trigger">${esc(triggerText(s.trigger))}</span>
<span class="small">${esc(t("storm_since", { time: clockTime(s.declared_at) }))}</span>
<span class="counts">${esc(t("storm_counts", { open: s.open, waiting: s.waiting }))}</span>
<span class="grow"></span>${end}</header>
${s.streets.map(streetHtml).join("")}</article>`;
}

function streetHtml(st) {
  return `<section class="street"><h4>${esc(st.street || t("storm_no_street"))}</h4>
${st.buildings.map(buildingHtml).join("")}</section>`;
}

function buildingHtml(b) {
  const phone = b.use_unit_phone
    ? `<a class="duty" href="tel:${esc(b.use_unit_phone)}">${esc(t("storm_call", { phone: b.use_unit_phone }))}</a>`
    : `<span class="small">${esc(t("storm_no_phone"))}</span>`;
  return `<div class="building"><h5>${esc(b.address)}</h5> ${phone}
<ol class="storm-incs">${b.incidents.map(incidentHtml).join("")}</ol></div>`;
}

function incidentHtml(i) {
  const tier = i.triage.tier === 0 ? 0 : 1;
  const unit = i.unit
    ? `<span class="unit">${esc(i.unit_name || t("unit_n", { id: i.unit }))}</span>`
    : `<span class="badge flag">${esc(t("storm_waiting"))}</span>`;
  const at = (i.queue || []).indexOf(i.id);
  const queue =
    (i.queue || []).length > 1
      ? ` <span class="queue">${esc(t("storm_queue", { k: at + 1, n: i.queue.length }))}</span>`
      : "";
  return `<li class="storm-inc tier${tier}" id="storm-inc-${i.id}" data-id="${i.id}" tabindex="-1">
<span class="badge tier${tier}">${esc(t(`tier.${tier}`))}</span>
<b>#${i.id}</b> <span class="code">${esc(i.rescue_code)}</span> ${esc(i.building)} · ${esc(t(`status.${i.status}`))}
· <span class="score">${esc(t("storm_score", { score: i.triage.score }))}</span>
· <span class="waited" data-secs="${Number(i.waiting_secs) || 0}"></span> · ${unit}${queue}
<div class="why">${triageWhy(i.triage).map(esc).join(" · ")}</div></li>`;
}

function mmss(secs) {
  const s = Math.max(0, Math.floor(secs));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Every second: the waiting times. */
function tick() {
  if (!list) return;
  const since = (serverNow() - fetchedAt) / 1000;
  for (const el of list.querySelectorAll(".waited")) {
    const text = t("storm_waited", { t: mmss(Number(el.dataset.secs) + since) });
    if (el.textContent !== text) el.textContent = text;
  }
}
