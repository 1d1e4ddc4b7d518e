// 电梯质量 Quality, 证明 Proof and 回放 Replay: thin views over routes built beside this page
// (the quality evaluation and the bureaus' lists, log verification and daily seals, exports,
// replay). Each reads its answer defensively: a route not served yet shows "not available".
import { get, query, formValues, download } from "./api.js";
import { t, dateTime } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const LISTS = ["safety_assessment", "sanwu", "disclosure", "companies", "suspicious"];

function td(text) {
  const el = document.createElement("td");
  el.textContent = text ?? "—";
  return el;
}

async function loadQuality() {
  const params = formValues($("quality-form"));
  try {
    const out = await get(`/api/v1/quality/lifts${query(params)}`);
    const items = Array.isArray(out) ? out : out.items || [];
    $("quality-summary").textContent = t("quality_count", { total: out.total ?? items.length });
    const body = $("quality-rows");
    body.replaceChildren();
    for (const q of items) {
      const tr = document.createElement("tr");
      const lift = q.lift ?? q.lift_id ?? q.id;
      const reasons = Array.isArray(q.reasons) ? q.reasons.join("; ") : q.reasons;
      const hist = document.createElement("td");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = t("col_history");
      b.addEventListener("click", () => history(lift));
      hist.append(b);
      tr.append(td(`${q.rescue_code ?? ""} ${q.address ?? ""}`.trim() || String(lift)), td(q.grade), td(q.score?.toFixed ? q.score.toFixed(1) : q.score), td(reasons), hist);
      body.append(tr);
    }
  } catch (e) {
    $("quality-summary").textContent = t("quality_none", { why: e.message });
  }
}

async function history(lift) {
  try {
    const out = await get(`/api/v1/lifts/${lift}/history`);
    $("history-title").textContent = `${t("col_history")} #${lift}`;
    $("history").textContent = JSON.stringify(out, null, 2);
    $("history-pane").hidden = false;
  } catch (e) {
    $("history-title").textContent = t("unavailable", { why: e.message });
    $("history-pane").hidden = false;
  }
}

function lists() {
  const ul = $("lists");
  ul.replaceChildren();
  for (const name of LISTS) {
    const li = document.createElement("li");
    const span = document.createElement("span");
    span.dataset.t = `list.${name}`;
    span.textContent = t(`list.${name}`);
    li.append(span, " ");
    for (const format of ["csv", "json"]) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = format.toUpperCase();
      b.addEventListener("click", () => {
        const params = { ...formValues($("quality-form")), format };
        delete params.grade;
        download(`/api/v1/quality/lists/${name}${query(params)}`, `${name}.${format}`)
          .catch((e) => { $("quality-summary").textContent = t("unavailable", { why: e.message }); });
      });
      li.append(b, " ");
    }
    ul.append(li);
  }
}

/** Wires the quality tab. */
export function initQuality() {
  $("quality-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    loadQuality();
  });
  lists();
}

async function verify() {
  const out$ = $("verify-result");
  out$.textContent = t("loading");
  try {
    const out = await get("/api/v1/log/verify");
    const bad = out.broken ?? null;
    if (out.ok === false || bad) {
      out$.className = "late";
      out$.textContent = t("verify_bad", { seq: bad?.seq ?? "?", why: bad?.why ?? bad?.reason ?? JSON.stringify(bad) });
    } else {
      out$.className = "ok";
      out$.textContent = t("verify_ok", { rows: out.rows_checked, hash: out.verified_hash });
    }
  } catch (e) {
    out$.className = "";
    out$.textContent = t("unavailable", { why: e.message });
  }
}

async function seals() {
  try {
    const out = await get("/api/v1/log/seals");
    const items = Array.isArray(out) ? out : out.seals || out.items || [];
    const body = $("seal-rows");
    body.replaceChildren();
    for (const s of items) {
      const tr = document.createElement("tr");
      const hash = document.createElement("td");
      const code = document.createElement("code");
      code.className = "h";
      code.textContent = s.sealed_hash;
      hash.append(code);
      tr.append(td(s.day), td(String(s.sealed_seq)), td(dateTime(s.sealed_at)), hash);
      body.append(tr);
    }
  } catch (e) {
    $("verify-result").textContent = t("unavailable", { why: e.message });
  }
}

/** Wires the proof tab. */
export function initProof() {
  $("verify").addEventListener("click", verify);
  $("download-seals").addEventListener("click", () => {
    download("/api/v1/log/seals", "liftrescue-seals.json")
      .catch((e) => { $("verify-result").textContent = t("unavailable", { why: e.message }); });
  });
  $("export-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = formValues($("export-form"));
    download(`/api/v1/export${query(p)}`, `liftrescue-${p.what}.${p.format}`)
      .catch((e) => { $("verify-result").textContent = t("unavailable", { why: e.message }); });
  });
  seals();
}

async function replay(id) {
  const out$ = $("replay-result");
  out$.textContent = t("loading");
  try {
    const out = await get(`/api/v1/incidents/${id}/replay`);
    const diff = out.first_difference ?? out.difference ?? null;
    if (out.identical === false || diff) {
      out$.className = "late";
      out$.textContent = t("replay_diff", { seq: diff?.seq ?? "?", why: diff?.why ?? diff?.how ?? JSON.stringify(diff) });
    } else {
      out$.className = "ok";
      out$.textContent = t("replay_same", { n: out.decisions ?? out.replayed ?? "?" });
    }
  } catch (e) {
    out$.className = "";
    out$.textContent = t("unavailable", { why: e.message });
  }
}

/** Wires the replay tab. */
export function initReplay() {
  $("replay-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    replay(formValues($("replay-form")).id);
  });
}
