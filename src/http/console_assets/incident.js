// The incident view: the lift's record, the candidates (distance, ETA, why), the timeline with
// deliveries folded under their page, the messages, and the operator's actions through the
// API. A refused action shows the API's reason in words; the view refreshes itself when the
// feed reports a change to the incident.
import { get, post } from "./api.js";
import { t } from "./i18n.js";
import { esc } from "./board.js";
import { timelineHtml, messagesHtml } from "./timeline.js";

let panel = null;
let openId = null;
let data = null;
let units = () => new Map();
let onShown = () => {};
let onClosed = () => {};
let companies = null;
let refreshTimer = null;
const $ = (id) => document.getElementById(id);

/** Wires the panel: `known()` gives the units by id; `shown(view)` and `closed()` tell the map. */
export function setup(el, known, shown, closed) {
  panel = el;
  units = known;
  onShown = shown;
  onClosed = closed;
  $("inc-close").addEventListener("click", close);
  $("inc-candidates").addEventListener("click", (e) => {
    const b = e.target.closest("[data-unit]");
    if (b) {
      $("assign-unit").value = b.dataset.unit;
      $("assign-reason").focus();
    }
  });
  const act = (id, what, path, body, check) =>
    $(id).addEventListener("click", () => action(what, path, body, check));
  act("do-assign", "assign", "assign", () => ({
    unit: Number($("assign-unit").value),
    reason: $("assign-reason").value,
  }));
  act("do-note", "add_note", "notes", () => ({ text: $("note-text").value }));
  act("do-confirm", "confirm_release", "confirm-release", () => ({ note: $("confirm-note").value }));
  act("do-fault", "file_fault", "fault-cause", () => ({
    code: $("fault-code").value,
    text: $("fault-text").value,
  }));
  act("do-close", "close_incident", "close", () => ({}));
  const reason = () => ({ reason: $("end-reason").value });
  const needReason = () => ($("end-reason").value.trim() ? null : t("reason_required"));
  act("do-cancel", "cancel_incident", "cancel", reason, needReason);
  act("do-false-alarm", "false_alarm", "false-alarm", reason, needReason);
  act("do-attach", "attach_lift", "lift", () => ({ rescue_code: $("attach-code").value.trim() }));
}

/** The incident shown, if any. */
export function current() {
  return openId;
}

/** Opens an incident's view. */
export async function open(id) {
  openId = id;
  data = null;
  panel.hidden = false;
  document.body.classList.add("incident-open");
  $("inc-title").textContent = t("incident_title", { id });
  $("act-result").textContent = "";
  for (const f of panel.querySelectorAll("input[type=text], input[type=number], textarea")) f.value = "";
  await refresh();
}

/** Closes the view. */
export function close() {
  openId = null;
  data = null;
  panel.hidden = true;
  document.body.classList.remove("incident-open");
  onClosed();
}

/** The feed touched incident `id`: refresh the view soon if it is open. */
export function touched(id) {
  if (id !== openId) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 150);
}

async function refresh() {
  const id = openId;
  if (id === null) return;
  try {
    if (!companies) companies = new Map(((await get("/api/v1/companies")) || []).map((c) => [c.id, c.name]));
    const [detail, timeline, messages] = await Promise.all([
      get(`/api/v1/incidents/${id}`),
      get(`/api/v1/incidents/${id}/timeline`),
      get(`/api/v1/incidents/${id}/messages`),
    ]);
    if (id !== openId) return;
    data = { detail, timeline: timeline || [], messages: messages || [] };
  } catch (e) {
    $("act-result").textContent = t("refused", { action: t("incident_title", { id }), why: e.message });
    return;
  }
  render();
  onShown(data.detail.live);
}

/** Draws the view from what was fetched (after a language switch too). */
export function render() {
  if (!data || openId === null) return;
  $("inc-title").textContent = t("incident_title", { id: openId });
  const live = data.detail.live;
  const stored = data.detail.incident;
  const status = live?.status || stored?.status || "";
  $("inc-status").textContent = status ? t(`status.${status}`) : "";
  const names = new Map([...units()].map(([id, u]) => [id, u.name]));
  for (const s of live?.steps || []) for (const p of s.pages) if (p.name) names.set(p.unit, p.name);
  $("inc-lift").innerHTML = liftHtml(live?.lift);
  $("attach").hidden = !!live?.lift || !live;
  $("inc-candidates").innerHTML = candidatesHtml(live?.candidates || [], names);
  $("inc-timeline").innerHTML = timelineHtml(data.timeline, names);
  $("inc-messages").innerHTML = messagesHtml(data.messages, names);
}

function liftHtml(l) {
  if (!l) return `<p><span class="badge red">${esc(t("lift_unresolved"))}</span></p>`;
  const name = (id) => (id == null ? t("none") : companies?.get(id) || `#${id}`);
  const flags = Object.entries(l.flags || {})
    .filter(([, on]) => on)
    .map(([f]) => t(`lift_flag.${f}`));
  const year = l.commissioned ? l.commissioned.slice(0, 4) : t("unknown");
  const row = (k, v) => `<dt>${esc(t(k))}</dt><dd>${esc(v)}</dd>`;
  return `<p><b>${esc(l.rescue_code)}</b> · ${esc(l.address)} · ${esc(l.building)}</p><dl>${[
    row("reg_code", l.registration_code),
    row("use_unit", name(l.use_unit)),
    row("duty_phone", l.use_unit_phone || t("none")),
    row("maintainer", name(l.maintainer)),
    row("three_no", flags.length ? flags.join("、") : t("none")),
    row("commissioned", year),
  ].join("")}</dl>`;
}

function candidatesHtml(list, names) {
  if (!list.length) return `<p class="small">${esc(t("candidates_none"))}</p>`;
  return `<ul class="candidates">${list
    .map((c) => {
      const km = t("km", { d: (c.distance_m / 1000).toFixed(1) });
      const eta = t("eta_min", { m: Math.round(c.eta_secs / 60) });
      const base = c.from_base ? ` · ${t("from_base")}` : "";
      const name = names.get(c.unit) || t("unit_n", { id: c.unit });
      return `<li><button type="button" id="cand-${c.unit}" data-unit="${c.unit}">${esc(name)}</button> ${esc(km)} · ${esc(eta)}${esc(base)}<div class="why">${esc(c.why)}</div></li>`;
    })
    .join("")}</ul>`;
}

async function action(what, path, body, check) {
  const id = openId;
  if (id === null) return;
  const result = $("act-result");
  const problem = check && check();
  if (problem) {
    result.textContent = t("refused", { action: t(what), why: problem });
    result.className = "refused";
    return;
  }
  try {
    await post(`/api/v1/incidents/${id}/${path}`, body());
    result.textContent = t("done", { action: t(what) });
    result.className = "done";
    await refresh();
  } catch (e) {
    result.textContent = t("refused", { action: t(what), why: e.message });
    result.className = "refused";
  }
}
