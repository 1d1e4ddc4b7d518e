// WGS-84 → GCJ-02, for maps whose tiles draw in China's offset system. The same published
// formula as the server's `LatLon::to_gcj02` (src/domain/geo.rs): the API's positions are
// always WGS-84, and are converted only when drawn on GCJ-02 tiles.
const A = 6378245.0;
const EE = 0.006693421622965943;
const PI = Math.PI;

function outsideChina(lat, lon) {
  return !(lon >= 72.004 && lon <= 137.8347) || !(lat >= 0.8293 && lat <= 55.8271);
}

function gcjLat(x, y) {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(y * PI) + 40.0 * Math.sin((y / 3.0) * PI)) * 2.0) / 3.0;
  r += ((160.0 * Math.sin((y / 12.0) * PI) + 320.0 * Math.sin((y * PI) / 30.0)) * 2.0) / 3.0;
  return r;
}

function gcjLon(x, y) {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(x * PI) + 40.0 * Math.sin((x / 3.0) * PI)) * 2.0) / 3.0;
  r += ((150.0 * Math.sin((x / 12.0) * PI) + 300.0 * Math.sin((x / 30.0) * PI)) * 2.0) / 3.0;
  return r;
}

/** `[lat, lon]` in GCJ-02 for a WGS-84 position (unchanged outside China). */
export function wgs84ToGcj02(lat, lon) {
  if (outsideChina(lat, lon)) return [lat, lon];
  const x = lon - 105.0;
  const y = lat - 35.0;
  let dlat = gcjLat(x, y);
  let dlon = gcjLon(x, y);
  const rad = (lat * PI) / 180;
  const magic = 1 - EE * Math.sin(rad) * Math.sin(rad);
  const sqrtMagic = Math.sqrt(magic);
  dlat = (dlat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * PI);
  dlon = (dlon * 180.0) / ((A / sqrtMagic) * Math.cos(rad) * PI);
  return [lat + dlat, lon + dlon];
}
