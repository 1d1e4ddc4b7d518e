// 统计 Statistics: GET /api/v1/stats, a table per group and two charts (uPlot, vendored):
// response and arrival averages and p90 per group (minutes), and the shares within 3 minutes
// and within the arrival limit (%). With group_by=month the x axis is the months: the trend.
// Every definition the API gives is shown, and the published figures to compare with.
import { get, query, formValues } from "./api.js";
import { t, lang, dateTime } from "./i18n.js";
import { notice } from "./review.js";

const $ = (id) => document.getElementById(id);
let last = null;
let charts = [];

const min = (s) => (s == null ? null : Math.round((s / 60) * 10) / 10);
const pct = (x) => (x == null ? null : Math.round(x * 1000) / 10);
const show = (v, unit = "") => (v == null ? "—" : `${v}${unit}`);

const COLUMNS = [
  ["m_incidents", (m) => m.incidents],
  ["m_alarms", (m) => m.alarms],
  ["m_entrapments", (m) => m.entrapments],
  ["m_trapped", (m) => m.trapped],
  ["m_false_alarms", (m) => m.false_alarms],
  ["m_response_avg", (m) => show(min(m.response.avg_secs))],
  ["m_response_p90", (m) => show(min(m.response.p90_secs))],
  ["m_share_3min", (m) => show(pct(m.response_within_3min), " %")],
  ["m_arrival_avg", (m) => show(min(m.arrival.avg_secs))],
  ["m_arrival_p90", (m) => show(min(m.arrival.p90_secs))],
  ["m_share_limit", (m) => show(pct(m.arrival_within_limit), " %")],
  ["m_rescue_avg", (m) => show(min(m.rescue.avg_secs))],
  ["m_breaches", (m) => `${m.breaches.acknowledge}/${m.breaches.arrive}/${m.breaches.release}/${m.breaches.confirm}`],
  ["m_fire_rescue", (m) => m.fire_rescue],
];

function table(out) {
  const head = document.createElement("tr");
  for (const key of ["col_group", ...COLUMNS.map(([k]) => k)]) {
    const th = document.createElement("th");
    th.textContent = t(key);
    head.append(th);
  }
  $("stats-head").replaceChildren(head);
  const body = $("stats-rows");
  body.replaceChildren();
  const rows = [...out.groups.map((g) => [g.label || g.key, g]), [t("total"), out.total]];
  for (const [name, m] of rows) {
    const tr = document.createElement("tr");
    tr.dataset.key = m === out.total ? "_total" : m.key;
    const th = document.createElement("td");
    th.textContent = name;
    tr.append(th);
    for (const [key, f] of COLUMNS) {
      const td = document.createElement("td");
      td.className = "num";
      td.dataset.m = key;
      td.textContent = String(f(m));
      tr.append(td);
    }
    body.append(tr);
  }
}

function chart(el, labels, series, yLabel) {
  const width = Math.max(320, el.clientWidth || 480);
  const opts = {
    width, height: 260,
    scales: { x: { time: false } },
    axes: [
      { values: (u, ticks) => ticks.map((i) => labels[i] ?? "") , incrs: [1] },
      { label: yLabel },
    ],
    series: [{ label: "#" }, ...series.map(([name, , color]) => ({
      label: name, stroke: color, fill: `${color}55`, width: 1,
      paths: uPlot.paths.bars({ size: [0.8 / series.length, 60], align: 0 }),
      points: { show: false },
    }))],
  };
  const xs = labels.map((_, i) => i);
  const data = [xs, ...series.map(([, values]) => values)];
  return new uPlot(opts, data, el);
}

function draw(out) {
  for (const c of charts) c.destroy();
  charts = [];
  const groups = out.groups.length ? out.groups : [out.total];
  const labels = groups.map((g) => g.label || g.key || t("total"));
  if (typeof uPlot === "undefined") return;
  charts.push(chart($("chart-times"), labels, [
    [t("response_avg"), groups.map((g) => min(g.response.avg_secs)), "#1d5fd0"],
    [t("response_p90"), groups.map((g) => min(g.response.p90_secs)), "#7aa7f0"],
    [t("arrival_avg"), groups.map((g) => min(g.arrival.avg_secs)), "#c62828"],
    [t("arrival_p90"), groups.map((g) => min(g.arrival.p90_secs)), "#f08a8a"],
  ], "min"));
  charts.push(chart($("chart-shares"), labels, [
    [t("share_3min"), groups.map((g) => pct(g.response_within_3min)), "#2e7d32"],
    [t("share_limit"), groups.map((g) => pct(g.arrival_within_limit)), "#a86400"],
  ], "%"));
}

function definitions(out) {
  const dl = $("definitions");
  dl.replaceChildren();
  for (const d of out.definitions) {
    const dt = document.createElement("dt");
    dt.textContent = d.name;
    const dd = document.createElement("dd");
    dd.textContent = lang() === "en" ? d.en : d.zh;
    dl.append(dt, dd);
  }
}

function render() {
  if (!last) return;
  const p = last.period;
  $("stats-summary").textContent = t("stats_of", { from: dateTime(p.from), to: dateTime(p.to), seq: last.indexed_to });
  table(last);
  draw(last);
  definitions(last);
}

/** Draws again (the tab became visible, so the charts get their width). */
export function redrawStats() {
  if (last) draw(last);
}

async function load() {
  try {
    last = await get(`/api/v1/stats${query(formValues($("stats-form")))}`);
    notice("");
    render();
  } catch (e) {
    notice(t("unavailable", { why: e.message }));
  }
}

/** Wires the tab. */
export function initStats() {
  $("stats-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    load();
  });
  document.addEventListener("langchange", render);
  load();
}
