// 电梯质量 Quality: the lifts' evaluations worst first (GET /api/v1/quality/lifts), the bureaus'
// lists as tables and CSV downloads (GET /api/v1/quality/lists/{list}), and a lift's whole-life
// history (GET /api/v1/lifts/{id}/history), opened from a row.
import { get, query, formValues, download } from "./api.js";
import { t, lang, dateTime } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const LISTS = ["safety_assessment", "sanwu", "disclosure", "companies", "suspicious"];
const view = { evals: null, list: null, history: null };

function td(text, cls) {
  const el = document.createElement("td");
  el.textContent = text ?? "—";
  if (cls) el.className = cls;
  return el;
}

function th(key) {
  const el = document.createElement("th");
  el.dataset.t = key;
  el.textContent = t(key);
  return el;
}

function num(x, digits = 1) {
  return typeof x === "number" ? x.toFixed(digits) : x;
}

/** A reason `{zh, en}` in the page's language. */
function words(r) {
  return r?.[lang()] ?? r?.en ?? "";
}

function periodParams() {
  const p = formValues($("quality-form"));
  delete p.grade;
  return p;
}

function renderEvals() {
  const out = view.evals;
  if (!out) return;
  $("quality-summary").textContent = t("quality_count", { total: out.total, formula: out.formula, seq: out.indexed_to });
  const body = $("quality-rows");
  body.replaceChildren();
  for (const q of out.items) {
    const tr = document.createElement("tr");
    tr.dataset.lift = q.lift;
    const hist = document.createElement("td");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "history";
    b.dataset.t = "col_history";
    b.textContent = t("col_history");
    b.addEventListener("click", () => openHistory(q.lift));
    hist.append(b);
    tr.append(
      td(`${q.rescue_code} ${q.address}`), td(q.grade, `grade grade-${q.grade}`), td(num(q.score), "num"),
      td(q.reasons.map(words).join(lang() === "en" ? "; " : "；") || "—"), hist,
    );
    body.append(tr);
  }
}

async function loadQuality() {
  const params = formValues($("quality-form"));
  try {
    view.evals = await get(`/api/v1/quality/lifts${query({ ...params, per_page: 100 })}`);
    renderEvals();
  } catch (e) {
    $("quality-summary").textContent = t("unavailable", { why: e.message });
  }
}

function renderHistory() {
  const h = view.history;
  if (!h) return;
  $("history-title").textContent = t("history_of", { code: h.lift.rescue_code, address: h.lift.address });
  const head = $("history-head");
  head.replaceChildren(th("col_at"), th("col_kind"), th("col_id"), th("col_detail"));
  const body = $("history-rows");
  body.replaceChildren();
  for (const f of h.failures) {
    const tr = document.createElement("tr");
    tr.append(td(dateTime(f.at)), td(f.kind), td(f.incident_id == null ? "—" : String(f.incident_id)), td(f.detail));
    body.append(tr);
  }
  const who = h.companies.map((c) => t("tenure", { name: c.company_name || "—", n: c.incidents }));
  $("history-summary").textContent = t("history_sum", {
    incidents: h.incidents.length, failures: h.failures.length, causes: h.causes.length, companies: who.join(", ") || "—",
  });
}

async function openHistory(lift) {
  try {
    view.history = await get(`/api/v1/lifts/${lift}/history`);
    renderHistory();
  } catch (e) {
    view.history = null;
    $("history-title").textContent = t("unavailable", { why: e.message });
  }
  $("history-pane").hidden = false;
}

/** The cells of a list's row: its own columns, the reason in the page's language. */
function listColumns(rows) {
  if (!rows.length) return [];
  return Object.keys(rows[0]).filter((k) => k !== "why_en" && k !== "why_zh" && !Array.isArray(rows[0][k]));
}

function renderList() {
  const out = view.list;
  if (!out) return;
  const rows = Array.isArray(out.rows) ? out.rows : [];
  const cols = listColumns(rows);
  const why = rows.length && "why_en" in rows[0];
  $("list-title").textContent = `${t(`list.${out.list}`)}: ${t("list_count", { n: rows.length })}`;
  $("list-rule").textContent = out.rule;
  const head = $("list-head");
  head.replaceChildren();
  for (const c of cols) {
    const el = document.createElement("th");
    el.textContent = c;
    head.append(el);
  }
  if (why) head.append(th("col_reasons"));
  const body = $("list-rows");
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement("tr");
    for (const c of cols) tr.append(td(typeof r[c] === "number" ? String(Math.round(r[c] * 100) / 100) : r[c]));
    if (why) tr.append(td(lang() === "en" ? r.why_en : r.why_zh));
    body.append(tr);
  }
  $("list-pane").hidden = false;
}

async function showList(name) {
  try {
    view.list = await get(`/api/v1/quality/lists/${name}${query({ ...periodParams(), format: "json" })}`);
    renderList();
  } catch (e) {
    $("quality-summary").textContent = t("unavailable", { why: e.message });
  }
}

/** The lists, each with its table and a CSV link (fetched with the token, saved as a file). */
function lists() {
  const ul = $("lists");
  ul.replaceChildren();
  for (const name of LISTS) {
    const li = document.createElement("li");
    li.dataset.list = name;
    const span = document.createElement("span");
    span.dataset.t = `list.${name}`;
    span.textContent = t(`list.${name}`);
    const show = document.createElement("button");
    show.type = "button";
    show.className = "show";
    show.dataset.t = "show_table";
    show.textContent = t("show_table");
    show.addEventListener("click", () => showList(name));
    const a = document.createElement("a");
    a.className = "csv";
    a.textContent = "CSV";
    a.href = `/api/v1/quality/lists/${name}?format=csv`;
    a.download = `${name}.csv`;
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      download(a.getAttribute("href"), a.download)
        .catch((e) => { $("quality-summary").textContent = t("unavailable", { why: e.message }); });
    });
    li.append(span, " ", show, " ", a);
    ul.append(li);
  }
  relink();
}

/** Keeps the CSV links on the form's period. */
function relink() {
  const p = periodParams();
  for (const a of document.querySelectorAll("#lists a.csv")) {
    const name = a.closest("li").dataset.list;
    a.href = `/api/v1/quality/lists/${name}${query({ ...p, format: "csv" })}`;
  }
}

/** Wires the quality tab. */
export function initQuality() {
  $("quality-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    relink();
    loadQuality();
  });
  $("quality-form").addEventListener("change", relink);
  document.addEventListener("langchange", () => {
    renderEvals();
    renderList();
    renderHistory();
  });
  lists();
}
