// The equipment panel: terminals offline and cabin-phone line faults, from
// `GET /api/v1/equipment`, fetched again whenever the feed reports an equipment event.
import { get } from "./api.js";
import { t, dateTime } from "./i18n.js";
import { esc } from "./board.js";

let view = null;
let last = [];

/** Wires the panel. */
export function setup(el) {
  view = el;
}

/** Fetches the faults again and draws them. */
export async function refresh() {
  try {
    last = (await get("/api/v1/equipment")) || [];
  } catch {
    return;
  }
  render();
}

/** Draws the faults held (after a language switch too). */
export function render() {
  if (!view) return;
  if (!last.length) {
    view.innerHTML = `<li class="small">${esc(t("equipment_none"))}</li>`;
    return;
  }
  view.innerHTML = last
    .slice(0, 200)
    .map((f) => {
      const what = t(`equipment.${f.equipment.type}`, { id: f.equipment.id });
      const lift = f.lift ? ` · ${esc(t("equipment_lift", { id: f.lift }))}` : "";
      const since = esc(t("equipment_since", { time: dateTime(f.since) }));
      return `<li><b>${esc(what)}</b>${lift}<br><span class="small">${esc(f.fault)} · ${since}</span></li>`;
    })
    .join("");
}
