// 证明 Proof and 回放 Replay (电梯质量 Quality lives in quality.js): log verification and daily
// seals, exports, and the replay of an incident (GET /api/v1/incidents/{id}/replay) in words.
import { get, query, formValues, download } from "./api.js";
import { t, dateTime } from "./i18n.js";

export { initQuality } from "./quality.js";

const $ = (id) => document.getElementById(id);

function td(text) {
  const el = document.createElement("td");
  el.textContent = text ?? "—";
  return el;
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

let lastReplay = null;

/** A recorded or replayed value, short. */
function shown(v) {
  return v === undefined ? "—" : JSON.stringify(v);
}

function renderReplay() {
  const out$ = $("replay-result");
  const list = $("replay-fields");
  list.replaceChildren();
  const out = lastReplay;
  if (!out) return;
  const d = out.difference;
  if (out.identical) {
    out$.className = "ok";
    out$.textContent = t("replay_same", { id: out.incident, n: out.decisions, inputs: out.inputs });
  } else if (out.not_replayable) {
    out$.className = "late";
    out$.textContent = t("replay_not", { id: out.incident, why: out.not_replayable });
  } else if (d) {
    out$.className = "late";
    const where = d.seq == null
      ? t("replay_after_end", { replayed: d.replayed_kind ?? "—" })
      : t("replay_at", { seq: d.seq, kind: d.kind ?? "—", replayed: d.replayed_kind ?? t("replay_nothing") });
    out$.textContent = t("replay_diff", { id: out.incident, n: out.decisions, where, input: d.input, summary: d.summary });
    for (const f of d.fields) {
      const li = document.createElement("li");
      li.textContent = t("replay_field", { field: f.field, recorded: shown(f.recorded), replayed: shown(f.replayed) });
      list.append(li);
    }
  }
}

async function replay(id) {
  const out$ = $("replay-result");
  out$.className = "";
  out$.textContent = t("loading");
  lastReplay = null;
  $("replay-fields").replaceChildren();
  try {
    lastReplay = await get(`/api/v1/incidents/${encodeURIComponent(id)}/replay`);
    renderReplay();
  } catch (e) {
    out$.textContent = t("unavailable", { why: e.message });
  }
}

/** Opens the replay tab on an incident and replays it (from a search result's row). */
export function replayIncident(id) {
  $("replay-form").elements.id.value = id;
  document.querySelector("#tabs button[data-tab=replay]").click();
  replay(id);
}

/** Wires the replay tab. */
export function initReplay() {
  $("replay-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    replay(formValues($("replay-form")).id);
  });
  document.addEventListener("langchange", renderReplay);
}
