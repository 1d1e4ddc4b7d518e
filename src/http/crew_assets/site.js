// Links that take a crew to the lift and put it through to the use unit. The server gives
// the lift's position in both systems: a `geo:` link (RFC 5870) is WGS-84; AMap (高德) and
// Tencent maps read GCJ-02. Baidu (BD-09) is left out rather than converted here a second time.

const f = (x) => Number(x).toFixed(6);

/** `[id, label key, href]` for each map app, for a `site` of the crew API. */
export function navigation(site, name) {
  const w = site.wgs84;
  const g = site.gcj02;
  const label = encodeURIComponent(name);
  return [
    ["amap", "nav_amap",
      `https://uri.amap.com/marker?position=${f(g.lon)},${f(g.lat)}&name=${label}&coordinate=gaode&callnative=1&src=liftrescue`],
    ["tencent", "nav_tencent",
      `https://apis.map.qq.com/uri/v1/marker?marker=coord:${f(g.lat)},${f(g.lon)};title:${label}&referer=liftrescue`],
    ["geo", "nav_geo", `geo:${f(w.lat)},${f(w.lon)}?q=${f(w.lat)},${f(w.lon)}(${label})`],
  ];
}

/** A `tel:` link for a phone number (digits, perhaps a leading +), or null. */
export function call(phone) {
  const digits = String(phone || "").replace(/[^0-9+]/g, "");
  return digits ? "tel:" + digits : null;
}
