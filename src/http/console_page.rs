//! The operator's console: the 24-hour dispatch screen at `/console`. Plain HTML, CSS and
//! JavaScript modules in `console_assets/`, with Leaflet 1.9.4 vendored beside them
//! (`console_assets/vendor/`, BSD-2-Clause), all embedded in the binary at build time: no
//! Node.js, no external assets, no tile server needed.
//!
//! The page itself is public; everything it shows comes from the API with the operator's
//! token, which it asks for and keeps in the browser for the shift. It loads the board
//! (`GET /api/v1/board`), follows the live feed (`GET /api/v1/feed`) from the board's log
//! position, and acts through the operator API. [`settings`] tells it how to draw the map: the
//! tile source of `[console]` in the configuration, and the outline of the region (the convex
//! hull of every registered lift, with a margin) for the blank map when no tiles are set.

use super::error::ApiError;
use super::page_assets::{Asset, CSS, HTML, JS, fresh, serve};
use crate::config::TilesCrs;
use crate::domain::LatLon;
use crate::http::AppState;
use actix_web::{HttpResponse, web};
use serde::Serialize;

/// The page shell, for `/console`.
const PAGE: &str = include_str!("console_assets/index.html");

/// The page's assets by file name: content type and body.
const ASSETS: &[Asset] = &[
    (
        "console.css",
        CSS,
        include_str!("console_assets/console.css"),
    ),
    ("console.js", JS, include_str!("console_assets/console.js")),
    ("api.js", JS, include_str!("console_assets/api.js")),
    ("board.js", JS, include_str!("console_assets/board.js")),
    (
        "equipment.js",
        JS,
        include_str!("console_assets/equipment.js"),
    ),
    ("feed.js", JS, include_str!("console_assets/feed.js")),
    ("geo.js", JS, include_str!("console_assets/geo.js")),
    ("hotline.js", JS, include_str!("console_assets/hotline.js")),
    ("i18n.js", JS, include_str!("console_assets/i18n.js")),
    (
        "incident.js",
        JS,
        include_str!("console_assets/incident.js"),
    ),
    ("keys.js", JS, include_str!("console_assets/keys.js")),
    ("map.js", JS, include_str!("console_assets/map.js")),
    ("sound.js", JS, include_str!("console_assets/sound.js")),
    ("sse.js", JS, include_str!("shared_assets/sse.js")),
    ("storm.js", JS, include_str!("console_assets/storm.js")),
    (
        "storm_form.js",
        JS,
        include_str!("console_assets/storm_form.js"),
    ),
    (
        "storm_i18n.js",
        JS,
        include_str!("console_assets/storm_i18n.js"),
    ),
    (
        "timeline.js",
        JS,
        include_str!("console_assets/timeline.js"),
    ),
    (
        "leaflet-1.9.4.js",
        JS,
        include_str!("console_assets/vendor/leaflet-1.9.4/leaflet.js"),
    ),
    (
        "leaflet-1.9.4.css",
        CSS,
        include_str!("console_assets/vendor/leaflet-1.9.4/leaflet.css"),
    ),
];

/// `GET /console`: the console page.
pub async fn page() -> HttpResponse {
    fresh(HTML, PAGE)
}

/// `GET /console/assets/{file}`: a stylesheet or script of the page.
pub async fn asset(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    serve(ASSETS, "console", &file)
}

/// How the console draws its map.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsoleSettingsOut {
    /// Tile URL template (`{z}`, `{x}`, `{y}`); null: no tiles, a plain background.
    pub tiles_url: Option<String>,
    /// What the tiles draw in; positions (always WGS-84 in the API) are converted for GCJ-02.
    pub tiles_crs: TilesCrs,
    /// The tile service's attribution.
    pub attribution: String,
    /// The region's outline, WGS-84 `[lat, lon]` points in order: the convex hull of every
    /// registered lift, pushed outward by the configured margin (empty without lifts).
    pub outline: Vec<[f64; 2]>,
}

/// `GET /api/v1/console/settings` (operators and investigators).
pub async fn settings(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut points = Vec::new();
    let mut after = None;
    loop {
        let page = state.store.lifts(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        points.extend(page.iter().map(|l| l.position));
        if page.len() < 1000 {
            break;
        }
    }
    let c = &state.settings.console;
    let outline = padded(&hull(points), c.outline_padding_m)
        .into_iter()
        .map(|p| [p.lat, p.lon])
        .collect();
    Ok(HttpResponse::Ok().json(ConsoleSettingsOut {
        tiles_url: c.tiles_url.clone(),
        tiles_crs: c.tiles_crs,
        attribution: c.attribution.clone(),
        outline,
    }))
}

/// The convex hull of `points` (Andrew's monotone chain, lon as x, lat as y),
/// counter-clockwise, without repeating the first point.
fn hull(mut points: Vec<LatLon>) -> Vec<LatLon> {
    points.sort_by(|a, b| a.lon.total_cmp(&b.lon).then(a.lat.total_cmp(&b.lat)));
    points.dedup();
    if points.len() < 3 {
        return points;
    }
    let cross = |o: LatLon, a: LatLon, b: LatLon| {
        (a.lon - o.lon) * (b.lat - o.lat) - (a.lat - o.lat) * (b.lon - o.lon)
    };
    let mut out: Vec<LatLon> = Vec::with_capacity(points.len() + 1);
    for pass in [points.clone(), points.into_iter().rev().collect()] {
        let start = out.len();
        for p in pass {
            while out.len() >= start + 2 && cross(out[out.len() - 2], out[out.len() - 1], p) <= 0.0
            {
                out.pop();
            }
            out.push(p);
        }
        out.pop();
    }
    out
}

/// Pushes each point of an outline `margin_m` metres away from its centre (one point or two
/// become a small box around them).
fn padded(outline: &[LatLon], margin_m: f64) -> Vec<LatLon> {
    if outline.is_empty() {
        return vec![];
    }
    let n = outline.len() as f64;
    let centre = LatLon {
        lat: outline.iter().map(|p| p.lat).sum::<f64>() / n,
        lon: outline.iter().map(|p| p.lon).sum::<f64>() / n,
    };
    let m_per_deg_lat = 111_320.0;
    let m_per_deg_lon = 111_320.0 * centre.lat.to_radians().cos().max(0.01);
    if outline.len() < 3 {
        let (dlat, dlon) = (margin_m / m_per_deg_lat, margin_m / m_per_deg_lon);
        let lats = outline.iter().map(|p| p.lat);
        let lons = outline.iter().map(|p| p.lon);
        let south = lats.clone().fold(f64::INFINITY, f64::min) - dlat;
        let north = lats.fold(f64::NEG_INFINITY, f64::max) + dlat;
        let west = lons.clone().fold(f64::INFINITY, f64::min) - dlon;
        let east = lons.fold(f64::NEG_INFINITY, f64::max) + dlon;
        return [(south, west), (south, east), (north, east), (north, west)]
            .into_iter()
            .map(|(lat, lon)| LatLon { lat, lon })
            .collect();
    }
    outline
        .iter()
        .map(|p| {
            let (y, x) = (
                (p.lat - centre.lat) * m_per_deg_lat,
                (p.lon - centre.lon) * m_per_deg_lon,
            );
            let len = x.hypot(y).max(1.0);
            let k = (len + margin_m) / len;
            LatLon {
                lat: centre.lat + y * k / m_per_deg_lat,
                lon: centre.lon + x * k / m_per_deg_lon,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }

    #[test]
    fn the_outline_is_the_hull_of_the_lifts_pushed_outward() {
        let inside = p(29.555, 106.575);
        let corners = [
            p(29.55, 106.57),
            p(29.55, 106.58),
            p(29.56, 106.58),
            p(29.56, 106.57),
        ];
        let mut points = corners.to_vec();
        points.extend([inside, p(29.552, 106.571), corners[0]]);
        let h = hull(points);
        assert_eq!(h.len(), 4, "only the corners: {h:?}");
        assert!(corners.iter().all(|c| h.contains(c)));
        let out = padded(&h, 500.0);
        assert_eq!(out.len(), 4);
        for (a, b) in h.iter().zip(&out) {
            let moved = a.distance_m(*b);
            assert!((450.0..550.0).contains(&moved), "moved {moved} m");
            assert!(inside.distance_m(*b) > inside.distance_m(*a), "outward");
        }
    }

    #[test]
    fn one_lift_gets_a_box_and_none_gets_no_outline() {
        assert!(padded(&hull(vec![]), 500.0).is_empty());
        let one = padded(&hull(vec![p(29.55, 106.57)]), 500.0);
        assert_eq!(one.len(), 4);
        for (i, c) in one.iter().enumerate() {
            let d = c.distance_m(p(29.55, 106.57));
            assert!((650.0..760.0).contains(&d), "a corner {d} m off");
            assert!(
                one[i + 1..].iter().all(|o| o.distance_m(*c) > 900.0),
                "{one:?}"
            );
        }
    }

    #[test]
    fn every_asset_the_page_names_is_served() {
        let missing = super::super::page_assets::unserved(ASSETS, &[PAGE], "/console/assets/");
        assert!(missing.is_empty(), "named but not served: {missing:?}");
    }

    #[test]
    fn every_text_exists_in_both_languages() {
        let file = |name: &str| {
            ASSETS
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|a| a.2)
                .unwrap_or("")
        };
        let i18n = file("i18n.js");
        let table = |from: &str, to: &str| -> Vec<String> {
            let start = i18n.find(from).unwrap_or(0);
            let end = i18n[start..]
                .find(to)
                .map(|e| start + e)
                .unwrap_or(i18n.len());
            i18n[start..end]
                .lines()
                .skip(1)
                .filter_map(|l| l.trim().split_once(": "))
                .map(|(k, _)| k.trim_matches('"').to_owned())
                .collect()
        };
        let zh = table("  zh: {", "  en: {");
        let en = table("  en: {", "\n};");
        assert!(zh.len() > 100, "{}", zh.len());
        assert_eq!(zh, en, "the same keys, in the same order");
        let storm = file("storm_i18n.js");
        let table = |from: &str, to: &str| -> Vec<String> {
            let start = storm.find(from).unwrap_or(0);
            let end = storm[start..].find(to).map_or(storm.len(), |e| start + e);
            storm[start..end]
                .lines()
                .skip(1)
                .filter_map(|l| l.trim().split_once(": "))
                .map(|(k, _)| k.trim_matches('"').to_owned())
                .collect()
        };
        let (zh, en) = (table("  zh: {", "  en: {"), table("  en: {", "\n};"));
        assert!(zh.len() > 30, "the storm view's texts: {}", zh.len());
        assert_eq!(zh, en, "the storm view: the same keys, in the same order");
        let clash: Vec<&String> = zh
            .iter()
            .filter(|k| {
                i18n.contains(&format!("\n    {k}: ")) || i18n.contains(&format!("\n    \"{k}\": "))
            })
            .collect();
        assert!(
            clash.is_empty(),
            "storm texts that replace console texts: {clash:?}"
        );
    }
}
