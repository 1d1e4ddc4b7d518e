// Declaring a storm by hand (`POST /api/v1/storms`: a street, a district, or a radius around
// the map's centre, with a reason) and ending one (`POST /api/v1/storms/{id}/end`, with a
// reason). A refusal shows the API's own message.
import { post } from "./api.js";
import { t } from "./i18n.js";
import { centre } from "./map.js";

const $ = (id) => document.getElementById(id);
let changed = () => {};

function say(text, outcome) {
  const p = $("storm-result");
  p.textContent = text;
  p.className = outcome;
}

/** Shows the fields the chosen kind of area needs. */
function fields() {
  const kind = $("storm-kind").value;
  for (const el of $("storm-form").querySelectorAll("[data-for]")) {
    el.hidden = !el.dataset.for.split(" ").includes(kind);
  }
}

/** The area the form describes. */
function area() {
  const kind = $("storm-kind").value;
  const district = $("storm-district").value.trim();
  if (kind === "street") return { type: "street", district, street: $("storm-street").value.trim() };
  if (kind === "district") return { type: "district", district };
  const c = centre() || { lat: 0, lon: 0 };
  return { type: "radius", center: c, radius_m: Number($("storm-radius").value) };
}

/** Wires the form; `after()` is called when a storm was declared or ended. */
export function setup(after) {
  changed = after;
  $("storm-kind").addEventListener("change", fields);
  fields();
  $("storm-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const reason = $("storm-reason").value;
    if (!reason.trim()) return say(t("storm_refused", { why: t("reason_required") }), "refused");
    try {
      const out = await post("/api/v1/storms", { area: area(), reason });
      say(t("storm_declared_ok", { id: out.storm }), "done");
      $("storm-reason").value = "";
      changed();
    } catch (err) {
      say(t("storm_refused", { why: err.message }), "refused");
    }
  });
}

/** Ends storm `id` with `reason`. */
export async function end(id, reason) {
  if (!reason.trim()) return say(t("storm_refused", { why: t("reason_required") }), "refused");
  try {
    await post(`/api/v1/storms/${id}/end`, { reason });
    say(t("storm_ended_ok", { id }), "done");
    changed();
  } catch (err) {
    say(t("storm_refused", { why: err.message }), "refused");
  }
}
