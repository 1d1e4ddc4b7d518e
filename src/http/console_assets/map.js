// The map (Leaflet, vendored): open incidents, the units paged or assigned to them at their
// live positions, and the selected incident's candidates with lines to its lift. Tiles come
// from `[console] tiles_url`; without them the map is a plain background with the region's
// outline and a scale bar. Positions arrive in WGS-84 and are converted when the tiles draw
// in GCJ-02.
import { wgs84ToGcj02 } from "./geo.js";
import { t } from "./i18n.js";

const L = window.L;
let map = null;
let gcj = false;
let incidents = null;
let units = null;
let candidates = null;
let outline = null;
const unitMarkers = new Map();

/** Where to draw a WGS-84 position on these tiles. */
export function display(lat, lon) {
  return gcj ? wgs84ToGcj02(lat, lon) : [lat, lon];
}

/** Builds the map in `el` from the console settings. */
export function setup(el, settings) {
  gcj = settings.tiles_crs === "gcj02";
  map = L.map(el, { zoomControl: true, attributionControl: true, preferCanvas: true });
  if (settings.tiles_url) {
    L.tileLayer(settings.tiles_url, { attribution: settings.attribution || "", maxZoom: 19 }).addTo(map);
  } else {
    el.classList.add("blank");
  }
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  const ring = (settings.outline || []).map(([lat, lon]) => display(lat, lon));
  if (ring.length >= 3) {
    outline = L.polygon(ring, { className: "outline", color: "#5b8def", weight: 2, fillOpacity: 0.04 }).addTo(map);
    map.fitBounds(outline.getBounds());
  } else {
    map.setView(display(29.556, 106.568), 13);
  }
  incidents = L.layerGroup().addTo(map);
  candidates = L.layerGroup().addTo(map);
  units = L.layerGroup().addTo(map);
  window.__consoleMap = { incidents: 0, units: 0, candidates: 0, gcj };
}

/** Draws the open incidents; the selected one larger. */
export function drawIncidents(rows, selected, phaseOf) {
  if (!map) return;
  incidents.clearLayers();
  let n = 0;
  let red = 0;
  for (const r of rows) {
    if (!r.lift) continue;
    const phase = phaseOf(r.id);
    if (phase === "red") red++;
    const colour = phase === "red" ? "#e5484d" : phase === "amber" ? "#f5a524" : "#3e9b4f";
    L.circleMarker(display(r.lift.position.lat, r.lift.position.lon), {
      radius: r.id === selected ? 11 : 7,
      color: colour,
      fillColor: colour,
      fillOpacity: 0.8,
      weight: r.id === selected ? 3 : 1,
    })
      .bindTooltip(`${t("map_incident", { id: r.id })} · ${r.lift.rescue_code}`)
      .addTo(incidents);
    n++;
  }
  window.__consoleMap.incidents = n;
  window.__consoleMap.red = red;
}

/** Where a unit is: its newest fix, else its base. */
export function unitPosition(u) {
  if (u.fix && u.fix.at) return u.fix.at;
  return u.base || null;
}

/** Draws the units in `active` (ids) at their positions from `known` (id → unit). */
export function drawUnits(known, active) {
  if (!map) return;
  for (const [id, m] of unitMarkers) {
    if (!active.has(id) || !known.has(id)) {
      units.removeLayer(m);
      unitMarkers.delete(id);
    }
  }
  for (const id of active) {
    const u = known.get(id);
    const at = u && unitPosition(u);
    if (!at) continue;
    const where = display(at.lat, at.lon);
    let m = unitMarkers.get(id);
    if (!m) {
      m = L.circleMarker(where, { radius: 6, color: "#1d6ce0", fillColor: "#1d6ce0", fillOpacity: 0.9 });
      m.bindTooltip(t("map_unit", { name: u.name })).addTo(units);
      unitMarkers.set(id, m);
    } else {
      m.setLatLng(where);
    }
  }
  window.__consoleMap.units = unitMarkers.size;
}

/** Draws one incident's candidates with lines to its lift (none: clears them). */
export function drawCandidates(lift, list, known) {
  if (!map) return;
  candidates.clearLayers();
  let n = 0;
  if (lift) {
    const to = display(lift.position.lat, lift.position.lon);
    for (const c of list || []) {
      const u = known.get(c.unit);
      const at = u && unitPosition(u);
      if (!at) continue;
      const from = display(at.lat, at.lon);
      L.polyline([from, to], { color: "#8a8f98", weight: 2, dashArray: "4 4" }).addTo(candidates);
      L.circleMarker(from, { radius: 5, color: "#8a8f98", fillOpacity: 0.6 })
        .bindTooltip(`${u.name} · ${(c.distance_m / 1000).toFixed(1)} km`)
        .addTo(candidates);
      n++;
    }
  }
  window.__consoleMap.candidates = n;
}

/** Leaflet must measure again after its box changes size. */
export function resized() {
  if (map) map.invalidateSize();
}

/** The map's centre in WGS-84 `{lat, lon}` (null before the map is set up). GCJ-02 tiles are
 * undone by fixed-point iteration: the offset varies slowly, so three rounds are exact to a
 * few centimetres. */
export function centre() {
  if (!map) return null;
  const c = map.getCenter();
  let [lat, lon] = [c.lat, c.lng];
  for (let n = 0; gcj && n < 3; n++) {
    const [glat, glon] = wgs84ToGcj02(lat, lon);
    lat += c.lat - glat;
    lon += c.lng - glon;
  }
  return { lat, lon };
}
