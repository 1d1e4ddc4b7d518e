// 检索 Search: the investigators' incident search (GET /api/v1/review/incidents), a sortable
// paged table; a row's report opens in a new tab (print from there) and its timeline below.
import { get, fetchOk, query, formValues } from "./api.js";
import { t, dateTime, mmss } from "./i18n.js";
import { notice } from "./review.js";
import { replayIncident } from "./more.js";

const $ = (id) => document.getElementById(id);
const state = { page: 1, per_page: 50, sort: "opened_at", order: "desc", last: null };

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text ?? "—";
  if (cls) td.className = cls;
  return td;
}

/** Opens the incident's report in a new tab: fetched with the token, shown from a blob. */
export async function openReport(id, reportLang) {
  const w = window.open("", "_blank");
  try {
    const res = await fetchOk(`/api/v1/incidents/${id}/report?format=html&lang=${reportLang}`);
    const html = await res.text();
    const url = URL.createObjectURL(new Blob([html], { type: "text/html;charset=utf-8" }));
    if (w) w.location.href = url;
    else window.location.href = url;
  } catch (e) {
    if (w) w.close();
    notice(t("unavailable", { why: e.message }));
  }
}

async function showTimeline(id) {
  const rows = await get(`/api/v1/incidents/${id}/timeline`);
  $("timeline-title").textContent = `${t("timeline")} #${id}`;
  const body = $("timeline-rows");
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement("tr");
    const hash = cell(r.hash);
    hash.innerHTML = "";
    const code = document.createElement("code");
    code.className = "h";
    code.textContent = r.hash;
    hash.append(code);
    tr.append(cell(String(r.seq)), cell(dateTime(r.at)), cell(r.kind), cell(actor(r.actor)), cell(r.reason), hash);
    body.append(tr);
  }
  $("timeline-pane").hidden = false;
}

function actor(a) {
  if (!a || a.type === "system") return "system";
  return `${a.type}:${a.id}`;
}

function render() {
  const out = state.last;
  if (!out) return;
  const body = $("results-rows");
  body.replaceChildren();
  for (const f of out.items) {
    const tr = document.createElement("tr");
    tr.className = "pick";
    tr.dataset.id = f.id;
    const open = document.createElement("td");
    for (const [l, key] of [["zh", "report_zh"], ["en", "report_en"]]) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `report-${l}`;
      b.textContent = t(key);
      b.addEventListener("click", (ev) => {
        ev.stopPropagation();
        openReport(f.id, l);
      });
      open.append(b, " ");
    }
    const again = document.createElement("button");
    again.type = "button";
    again.className = "replay";
    again.textContent = t("replay");
    again.addEventListener("click", (ev) => {
      ev.stopPropagation();
      replayIncident(f.id);
    });
    open.append(again);
    const breaches = f.breaches.map((b) => t(`b.${b}`)).join(", ");
    tr.append(
      cell(String(f.id)), cell(dateTime(f.alarm_at)), cell(f.rescue_code), cell(f.address),
      cell(f.alarm_kind), cell(t(`o.${f.outcome}`)), cell(mmss(f.response_secs), "num"),
      cell(mmss(f.arrival_secs), "num"), cell(mmss(f.rescue_secs), "num"),
      cell(breaches || "—", breaches ? "late" : ""), open,
    );
    tr.addEventListener("click", () => showTimeline(f.id).catch((e) => notice(e.message)));
    body.append(tr);
  }
  const pages = Math.max(1, Math.ceil(out.total / out.per_page));
  $("search-summary").textContent = out.total
    ? t("found", { total: out.total, seq: out.indexed_to })
    : t("none_found");
  $("page-no").textContent = t("page_of", { page: out.page, pages });
  $("prev").disabled = out.page <= 1;
  $("next").disabled = out.page >= pages;
}

/** Runs the search with the form's values and the table's sort and page. */
export async function runSearch() {
  const params = { ...formValues($("search-form")), ...state };
  delete params.last;
  try {
    state.last = await get(`/api/v1/review/incidents${query(params)}`);
    notice("");
    render();
  } catch (e) {
    notice(t("unavailable", { why: e.message }));
  }
}

/** Wires the tab. */
export function initSearch() {
  $("search-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.page = 1;
    runSearch();
  });
  for (const th of document.querySelectorAll("#results th[data-sort]")) {
    th.addEventListener("click", () => {
      const key = th.dataset.sort === "alarm_at" ? "opened_at" : th.dataset.sort;
      state.order = state.sort === key && state.order === "desc" ? "asc" : "desc";
      state.sort = key;
      runSearch();
    });
  }
  $("prev").addEventListener("click", () => { state.page -= 1; runSearch(); });
  $("next").addEventListener("click", () => { state.page += 1; runSearch(); });
  document.addEventListener("langchange", render);
  runSearch();
}
