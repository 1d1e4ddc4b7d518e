// The live board: the open incidents the server's board holds, most urgent first (an
// unresolved lift or a level-3 response on top, then the nearest deadline), with SLA
// countdowns that tick every second, amber after the rules' warning and red at the breach.
// It holds only what the server's board holds: a row leaves when its incident ends, so the
// board does not grow over a shift.
import { t, lang, clockTime } from "./i18n.js";
import { triageWhy } from "./storm_i18n.js";

const ENDED = new Set(["closed", "cancelled", "false_alarm"]);
const GONE_PAGES = new Set(["declined", "missed", "cancelled"]);
export const CLOCK_KINDS = ["acknowledge", "arrive", "release", "confirm"];
/** A bound well above any real board, should a server ever send more. */
const MAX_ROWS = 5000;
/** More rows than this to draw anew, and the board is drawn in one go. */
const BULK = 50;

/** id → { row, seq, warned: Set of clock kinds, breaches: Set of breach keys } */
const entries = new Map();
let offsetMs = 0;
let filterText = "";
let selected = null;
let order = [];
let tbody = null;
let emptyView = null;
let scheduled = false;
let onOpen = () => {};
let onPhase = () => {};

/** The server's time now (the browser's clock corrected by the feed's hello). */
export function serverNow() {
  return Date.now() + offsetMs;
}

/** Corrects the clock from a server timestamp. */
export function setServerTime(at) {
  const server = Date.parse(at);
  if (!Number.isNaN(server)) offsetMs = server - Date.now();
}

/** Wires the board to its table body; `open(id)` opens an incident; `phase()` is called when
 * a row changes colour. */
export function setup(body, empty, open, phase) {
  tbody = body;
  emptyView = empty;
  onOpen = open;
  onPhase = phase;
  tbody.addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-id]");
    if (tr) {
      select(Number(tr.dataset.id));
      onOpen(Number(tr.dataset.id));
    }
  });
  setInterval(tick, 1000);
}

/** The row held for an incident. */
export function row(id) {
  return entries.get(id)?.row ?? null;
}

/** Every row held. */
export function rows() {
  return [...entries.values()].map((e) => e.row);
}

function breachKeys(r) {
  return (r.breaches || []).map((b) => `${b.kind}|${b.what}|${b.at}`);
}

/** Replaces the whole board (the first load, or after a reset). */
export function load(list, seq) {
  const before = new Map(entries);
  entries.clear();
  const news = [];
  for (const r of list.slice(0, MAX_ROWS)) {
    if (ENDED.has(r.status)) continue;
    const warned = before.get(r.id)?.warned ?? new Set();
    entries.set(r.id, { row: r, seq, warned, breaches: new Set(breachKeys(r)) });
    if (!before.has(r.id)) news.push(r);
  }
  schedule();
  return news;
}

/**
 * Applies a row as of log position `seq`, unless a newer one is held. Answers what changed:
 * { added, removed, breached, ignored }.
 */
export function apply(r, seq) {
  const held = entries.get(r.id);
  if (held && held.seq > seq) return { ignored: true };
  if (ENDED.has(r.status)) {
    const removed = entries.delete(r.id);
    if (selected === r.id) selected = null;
    schedule();
    return { removed };
  }
  const entry = held || { warned: new Set(), breaches: new Set() };
  const keys = breachKeys(r);
  const breached = keys.some((k) => !entry.breaches.has(k));
  if (held) noteFiredWarnings(entry, r);
  entry.row = r;
  entry.seq = seq;
  entry.breaches = new Set(keys);
  if (!held && entries.size >= MAX_ROWS) return { ignored: true };
  entries.set(r.id, entry);
  schedule();
  return { added: !held, breached };
}

/** A warning clock that the server no longer lists has fired: the kind is amber from now. */
function noteFiredWarnings(entry, next) {
  const still = new Set((next.clocks || []).map((c) => `${c.kind}|${c.phase}|${c.what}`));
  for (const c of entry.row.clocks || []) {
    if (c.phase === "warning" && !still.has(`${c.kind}|${c.phase}|${c.what}`)) {
      entry.warned.add(c.kind);
    }
  }
}

/** A `deadline_warning` event for an incident: its kind of clock turns amber. */
export function warned(id, kind) {
  const e = entries.get(id);
  if (e && kind) {
    e.warned.add(kind);
    schedule();
  }
}

/** Every row's ids, in board order (after the filter). */
export function visibleIds() {
  return order;
}

/** Filters by number, rescue code or address. */
export function filter(text) {
  filterText = text.trim().toLowerCase();
  schedule();
}

/** The selected incident. */
export function selectedId() {
  return selected;
}

/** Selects an incident's row. */
export function select(id) {
  selected = id;
  for (const tr of tbody.querySelectorAll("tr.selected")) tr.classList.remove("selected");
  const tr = tbody.querySelector(`tr[data-id="${id}"]`);
  if (tr) {
    tr.classList.add("selected");
    tr.scrollIntoView({ block: "nearest" });
  }
}

/** Moves the selection by `step` rows. */
export function move(step) {
  if (!order.length) return;
  const at = order.indexOf(selected);
  const next = at < 0 ? 0 : Math.max(0, Math.min(order.length - 1, at + step));
  select(order[next]);
}

/** The clock of each kind that counts toward the breach: the earliest. */
export function breachClocks(r) {
  const out = {};
  for (const c of r.clocks || []) {
    if (c.phase === "warning") continue;
    if (!out[c.kind] || Date.parse(c.due) < Date.parse(out[c.kind].due)) out[c.kind] = c;
  }
  return out;
}

/** "ok", "amber" or "red" for one kind of clock of a row. */
export function clockPhase(entry, kind, now) {
  const r = entry.row;
  if ((r.breaches || []).some((b) => b.kind === kind)) return "red";
  const due = breachClocks(r)[kind];
  if (due && Date.parse(due.due) <= now) return "red";
  if (entry.warned.has(kind)) return "amber";
  const early = (r.clocks || []).some(
    (c) => c.kind === kind && c.phase === "warning" && Date.parse(c.due) <= now,
  );
  return early ? "amber" : "ok";
}

/** An unresolved lift first (only the operator can move it on), then level 3, then the rest. */
function urgency(r) {
  const top = r.lift === null || r.lift === undefined ? 0 : (r.level || 0) >= 3 ? 1 : 2;
  let nearest = Infinity;
  for (const c of r.clocks || []) nearest = Math.min(nearest, Date.parse(c.due));
  return [top, nearest, r.id];
}

function compare(a, b) {
  return compareKeys(urgency(a), urgency(b));
}

function compareKeys(x, y) {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

function matches(r) {
  if (!filterText) return true;
  const l = r.lift || {};
  const hay = `${r.id} ${l.rescue_code || ""} ${l.address || ""} ${l.building || ""}`;
  return hay.toLowerCase().includes(filterText);
}

// What the board costs, for the benchmark and anyone looking: draws made, the last draw's
// time, and the last update's time from the row's arrival to the board drawn (ms).
const cost = (window.__consoleBoard = { renders: 0, renderMs: 0, applyMs: 0 });
let pendingSince = null;

function schedule() {
  if (pendingSince === null) pendingSince = performance.now();
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    render();
  });
}

/** Draws the board again (after a language switch). */
export function render() {
  if (!tbody) return;
  const start = performance.now();
  // Each row's urgency once per draw, not once per comparison.
  const list = [...entries.values()]
    .filter((e) => matches(e.row))
    .map((e) => [urgency(e.row), e])
    .sort((a, b) => compareKeys(a[0], b[0]))
    .map(([, e]) => e);
  order = list.map((e) => e.row.id);
  // Keyed by incident: a row's element is made again only when its row changed (or the
  // language did), and the others stay where they are or move; a change to one incident, or a
  // new one, touches one row, not a thousand.
  const now = serverNow();
  let recoloured = false;
  if (list.filter(stale).length > BULK) {
    // Most rows new (the first draw, a language switch): one parse of the whole board.
    tbody.innerHTML = list.map((e) => rowHtml(e.row)).join("");
    list.forEach((e, i) => {
      e.el = tbody.children[i];
      e.drawnRow = e.row;
      e.lang = lang();
      recoloured = tickRow(e.el, now) || recoloured;
    });
    return drawn(list, start, recoloured);
  }
  const listed = new Set(order);
  for (const tr of [...tbody.children]) {
    const e = entries.get(Number(tr.dataset.id));
    if (!listed.has(Number(tr.dataset.id)) || !e || e.el !== tr) tr.remove();
  }
  let cursor = tbody.firstElementChild;
  for (const e of list) {
    const fresh = stale(e);
    // The element about to be replaced is no place to insert before.
    if (fresh && cursor && cursor === e.el) cursor = cursor.nextElementSibling;
    const tr = rowElement(e);
    if (tr === cursor) cursor = cursor.nextElementSibling;
    else tbody.insertBefore(tr, cursor);
    // Rows drawn anew get their countdowns now; the others keep ticking every second.
    if (fresh) recoloured = tickRow(tr, now) || recoloured;
  }
  drawn(list, start, recoloured);
}

/** After a draw: the empty notice, the selection, the colours, the cost. */
function drawn(list, start, recoloured) {
  emptyView.hidden = list.length > 0;
  if (selected !== null) select(selected);
  if (recoloured) onPhase();
  const done = performance.now();
  cost.renders += 1;
  cost.renderMs = done - start;
  if (pendingSince !== null) cost.applyMs = done - pendingSince;
  pendingSince = null;
}

/** Whether the row's element is missing, or older than its row or the language. */
const stale = (e) => !e.el || e.drawnRow !== e.row || e.lang !== lang();

/** The row's element, made again when its row or the language changed since it was drawn. */
function rowElement(e) {
  if (!stale(e)) return e.el;
  if (e.el) e.el.remove();
  const holder = document.createElement("tbody");
  holder.innerHTML = rowHtml(e.row);
  e.el = holder.firstElementChild;
  e.drawnRow = e.row;
  e.lang = lang();
  return e.el;
}

/** Changes a node's text only when it differs (a write forces the browser to lay out again). */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

export const esc = (s) =>
  String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function rowHtml(r) {
  const l = r.lift;
  const where = l
    ? `${esc(l.address)}<br><span class="small">${esc(l.building)}</span>`
    : `<span class="badge red">${esc(t("lift_unresolved"))}</span>`;
  const floor = r.floor ? ` · ${esc(t("floor", { floor: r.floor }))}` : "";
  const flags = (r.flags || [])
    .map((f) => `<span class="badge flag">${esc(t(`flag.${f}`))}</span>`)
    .join(" ");
  const kind = r.kind ? esc(t(`kind.${r.kind}`)) : "";
  const storm = r.storm ? ` ${stormBadge(r.storm)}` : "";
  const clocks = CLOCK_KINDS.map((k) => clockHtml(r, k)).join("");
  return `<tr id="row-${r.id}" data-id="${r.id}" tabindex="-1">
<td class="num">${r.id}</td>
<td class="code">${l ? esc(l.rescue_code) : "—"}</td>
<td>${where}</td>
<td>${kind}${floor}<br>${flags}${storm}</td>
<td class="level">${r.level ? esc(t("level_n", { n: r.level })) : "—"}</td>
<td class="units">${unitsHtml(r)}</td>
<td class="state">${esc(t(`status.${r.status}`))}</td>
<td class="clocks">${clocks}</td></tr>`;
}

/** A row in a storm: its storm, tier and whether it waits for the storm's solve. */
function stormBadge(s) {
  const tier = s.triage?.tier === 0 ? 0 : 1;
  const parts = [t("storm_badge", { id: s.storm }), t(`tier.${tier}`), t("storm_score", { score: s.triage?.score ?? 0 })];
  if (s.waiting) parts.push(t("storm_badge_waiting"));
  const cls = `badge storm-badge tier${tier}${s.active ? "" : " ended"}`;
  return `<span class="${cls}" title="${esc(triageWhy(s.triage).join(" · "))}">${esc(parts.join(" · "))}</span>`;
}

function unitsHtml(r) {
  const pages = (r.steps || []).flatMap((s) => s.pages || []).filter((p) => !GONE_PAGES.has(p.state));
  if (!pages.length) return `<span class="small">${esc(t("no_units"))}</span>`;
  return pages
    .slice(-3)
    .map((p) => {
      const km = esc(t("km", { d: (p.distance_m / 1000).toFixed(1) }));
      const eta = p.eta_secs ? ` · ${esc(t("eta_min", { m: Math.round(p.eta_secs / 60) }))}` : "";
      return `<div>${esc(p.name || t("unit_n", { id: p.unit }))} · ${km}${eta} · <b>${esc(t(`page.${p.state}`))}</b></div>`;
    })
    .join("");
}

function clockHtml(r, kind) {
  const c = breachClocks(r)[kind];
  const breached = (r.breaches || []).some((b) => b.kind === kind);
  if (!c && !breached) return "";
  const due = c ? c.due : "";
  return `<span class="clock" id="clock-${r.id}-${kind}" data-id="${r.id}" data-kind="${kind}" data-due="${esc(due)}"><span class="clock-name">${esc(t(`clock.${kind}`))}</span> <span class="left"></span></span>`;
}

function countdown(ms) {
  const neg = ms < 0;
  const s = Math.floor(Math.abs(ms) / 1000);
  const mm = Math.floor(s / 60);
  const ss = String(s % 60).padStart(2, "0");
  return `${neg ? "−" : ""}${mm}:${ss}`;
}

/** Every second: the countdowns and the colours. */
export function tick() {
  if (!tbody) return;
  const now = serverNow();
  let changed = false;
  for (const tr of tbody.children) changed = tickRow(tr, now) || changed;
  if (changed) onPhase();
}

/** One row's countdowns and colour at `now`; whether its colour changed. */
function tickRow(tr, now) {
  const entry = entries.get(Number(tr.dataset.id));
  if (!entry) return false;
  let worst = "ok";
  for (const span of tr.querySelectorAll(".clock")) {
    const phase = clockPhase(entry, span.dataset.kind, now);
    const due = span.dataset.due ? Date.parse(span.dataset.due) : null;
    setText(span.querySelector(".left"), due === null ? "!" : countdown(due - now));
    const cls = `clock ${phase}`;
    if (span.className !== cls) span.className = cls;
    if (phase === "red" || (phase === "amber" && worst === "ok")) worst = phase;
  }
  if ((entry.row.breaches || []).length) worst = "red";
  if (tr.dataset.phase === worst) return false;
  tr.classList.toggle("red", worst === "red");
  tr.classList.toggle("amber", worst === "amber");
  tr.dataset.phase = worst;
  return true;
}

/** The time of an ISO timestamp, for labels. */
export const at = (iso) => (iso ? clockTime(iso) : "");
