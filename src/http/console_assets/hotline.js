// The hotline intake form: the operator types what the caller reads out (the 6-digit rescue
// code, or a registration code, a phone number, a device id), sees the lift, marks the flags
// and opens the incident in two keystrokes: Enter looks the lift up and moves to "open",
// Enter opens (Ctrl+Enter opens from anywhere in the form). A rescue code nobody registered
// still opens an incident, with its lift unresolved, as the API does.
import { get, post, ApiFailure } from "./api.js";
import { t } from "./i18n.js";
import { esc } from "./board.js";

const $ = (id) => document.getElementById(id);
let form = null;
let found = null;
let looked = "";
let onOpened = () => {};

/** How a typed reference is looked up. */
function lookupQuery(text) {
  const v = text.trim();
  if (/^[0-9]{5,6}$/.test(v)) return `rescue_code=${v}`;
  if (/^[0-9]{20}$/.test(v)) return `registration_code=${v}`;
  if (/^\+?[0-9]{3,20}$/.test(v)) return `phone=${encodeURIComponent(v)}`;
  return `device_id=${encodeURIComponent(v)}`;
}

/** Wires the form; `opened(id)` is called with the incident it opened. */
export function setup(el, opened) {
  form = el;
  onOpened = opened;
  $("hl-lookup").addEventListener("click", lookup);
  $("hl-open").addEventListener("click", openIncident);
  $("hl-cancel").addEventListener("click", hide);
  $("hl-code").addEventListener("keydown", async (e) => {
    if (e.key === "Enter" && !e.ctrlKey) {
      e.preventDefault();
      await lookup();
      $("hl-open").focus();
    }
  });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      openIncident();
    } else if (e.key === "Escape") {
      e.preventDefault();
      hide();
    }
  });
}

/** Shows an empty form with the cursor in the code field. */
export function show() {
  form.hidden = false;
  found = null;
  looked = "";
  for (const f of form.querySelectorAll("input")) {
    if (f.type === "checkbox") f.checked = false;
    else f.value = "";
  }
  $("hl-kind").value = "passenger_alarm";
  $("hl-lift").innerHTML = "";
  $("hl-result").textContent = "";
  $("hl-code").focus();
}

/** Hides the form. */
export function hide() {
  form.hidden = true;
}

/** Whether the form is shown. */
export function shown() {
  return form && !form.hidden;
}

async function lookup() {
  const text = $("hl-code").value.trim();
  if (!text) return;
  looked = text;
  found = null;
  try {
    found = await get(`/api/v1/lifts/lookup?${lookupQuery(text)}`);
    const l = found;
    $("hl-lift").innerHTML = `<p class="found"><b>${esc(t("hl_found"))}</b> · ${esc(l.rescue_code)}<br>${esc(l.address)} · ${esc(l.building)}</p>`;
  } catch (e) {
    const unknown = e instanceof ApiFailure && (e.status === 404 || e.status === 400);
    const code = /^[0-9]{5,6}$/.test(text);
    const words = unknown ? t(code ? "hl_unknown" : "hl_not_code") : e.message;
    $("hl-lift").innerHTML = `<p class="unknown">${esc(words)}</p>`;
  }
}

async function openIncident() {
  const text = $("hl-code").value.trim();
  if (text !== looked) await lookup();
  const code = found ? found.rescue_code : /^[0-9]{5,6}$/.test(text) ? text : null;
  if (!code) {
    $("hl-result").textContent = t("hl_not_code");
    return;
  }
  const body = {
    rescue_code: code,
    kind: $("hl-kind").value,
    flags: {
      person_ill: $("hl-person-ill").checked,
      child_alone: $("hl-child-alone").checked,
      smoke_or_water: $("hl-smoke").checked,
    },
    description: $("hl-description").value,
  };
  if ($("hl-floor").value.trim()) body.floor = $("hl-floor").value.trim();
  if ($("hl-caller").value.trim()) body.caller = $("hl-caller").value.trim();
  try {
    const r = await post("/api/v1/incidents", body);
    const key = r.lift_unresolved ? "hl_opened_unresolved" : "hl_opened";
    $("hl-result").textContent = t(key, { id: r.incident_id ?? "?" });
    hide();
    onOpened(r.incident_id, t(key, { id: r.incident_id ?? "?" }));
  } catch (e) {
    $("hl-result").textContent = t("refused", { action: t("hotline"), why: e.message });
  }
}
