//! The crew page: what a rescue crew opens on its phone from the SMS or push link
//! (`{notify.crew_url}/{incident}`). Plain HTML, CSS and JavaScript modules in
//! `crew_assets/`, embedded in the binary at build time (no Node.js, no external assets).
//!
//! The page shows the unit's pages and assignments (address, car, floor, the people's flags,
//! navigation links for the map apps and a call to the use unit's duty phone) and acts on them
//! with one tap: accept with an ETA, decline with a reason, en route, on scene, released. It
//! talks only to the crew API with the crew's token, which it keeps in the phone's local
//! storage (given once in the link's `#token=…` fragment, which never reaches a server, or
//! typed in).
//!
//! Crews work in stairwells and basements, so a tap never needs the network at that moment:
//! each action is queued on the phone with the `Idempotency-Key` made when it was tapped, and
//! sent, in order, when the network answers (a retry of a request whose answer was lost acts
//! once, see [`super::crew`]). The service worker (`/crew/sw.js`) shows Web Push pages and
//! keeps the page shell, so the page opens with no signal at all.
//!
//! In a storm a crew must see a new page or queue at once, so the page follows its unit's live
//! feed (`GET /api/v1/crew/feed`, [`super::feed::crew_feed`]) and reads its assignments again
//! on each event; it polls every 15 s only while the feed is down.

use super::error::ApiError;
use super::page_assets::{Asset, CSS, HTML, JS, fresh, serve};
use crate::dispatch::{CrewView, IncidentView, crew_view};
use crate::domain::{LatLon, UnitId};
use crate::http::AppState;
use actix_web::{HttpResponse, web};
use serde::Serialize;

/// The page shell, for every `/crew` and `/crew/{id}`.
const PAGE: &str = include_str!("crew_assets/index.html");

/// The service worker: Web Push notifications and the offline cache.
const SERVICE_WORKER: &str = include_str!("crew_assets/sw.js");

/// The page's assets by file name: content type and body.
const ASSETS: &[Asset] = &[
    ("crew.css", CSS, include_str!("crew_assets/crew.css")),
    ("crew.js", JS, include_str!("crew_assets/crew.js")),
    ("i18n.js", JS, include_str!("crew_assets/i18n.js")),
    ("live.js", JS, include_str!("crew_assets/live.js")),
    ("queue.js", JS, include_str!("crew_assets/queue.js")),
    ("site.js", JS, include_str!("crew_assets/site.js")),
    ("sse.js", JS, include_str!("shared_assets/sse.js")),
];

/// `GET /crew/{id}`: the crew page on one incident. The id must be one an incident could have
/// (a whole number from 1); anything else is 404 like any path that names nothing.
pub async fn page_for(id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    if *id < 1 {
        return Err(ApiError::NotFound(format!("incident {id}")));
    }
    Ok(page().await)
}

/// `GET /crew`: the crew page.
pub async fn page() -> HttpResponse {
    fresh(HTML, PAGE)
}

/// `GET /crew/sw.js`: the page's service worker.
pub async fn service_worker() -> HttpResponse {
    fresh(JS, SERVICE_WORKER)
}

/// `GET /crew/assets/{file}`: a stylesheet or script module of the page.
pub async fn asset(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    serve(ASSETS, "crew page", &file)
}

/// Who a crew token is, and where the desk has it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CrewMe {
    /// The unit.
    pub unit: i64,
    /// Its name in the registry.
    pub name: String,
    /// The position the desk pages it from when fresh (the newest known fix).
    pub fix: Option<crate::domain::Fix>,
    /// Seconds since that fix was taken; absent without a fix.
    pub fix_age_s: Option<i64>,
    /// Its base, where it is paged from without a fresh fix.
    pub base: Option<crate::domain::LatLon>,
}

/// `GET /api/v1/crew/me`: the unit this token acts for.
pub async fn me(
    state: web::Data<AppState>,
    caller: super::auth::Caller,
) -> Result<HttpResponse, ApiError> {
    let unit = caller.crew_unit()?;
    let known = state
        .store
        .units()
        .await?
        .into_iter()
        .find(|u| u.id == unit);
    let live = state.desk.fixes(Some(unit)).await?.first().map(|(_, f)| *f);
    let now = state.clock.now();
    let me = match known {
        Some(u) => {
            let out = super::registry::UnitOut::new(u, live, now);
            CrewMe {
                unit: unit.0,
                name: out.unit.name,
                fix: out.unit.fix,
                fix_age_s: out.fix_age_s,
                base: out.unit.base,
            }
        }
        None => CrewMe {
            unit: unit.0,
            name: String::new(),
            fix: None,
            fix_age_s: None,
            base: None,
        },
    };
    Ok(HttpResponse::Ok().json(me))
}

/// An incident as a crew sees it: the crew's cut of the desk's view (the incident and its own
/// page, nothing of other units: [`crate::dispatch::crew_view`]), and where to go and whom to
/// call.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CrewIncident {
    /// The crew's view of the incident.
    #[serde(flatten)]
    pub view: CrewView,
    /// Where the lift is (null while the lift is not identified).
    pub site: Option<Site>,
}

/// Where a lift is, in the coordinate systems the phone's map apps take, and its duty phone.
///
/// The server converts, so the page needs no copy of the GCJ-02 formula: a `geo:` link and
/// GPS apps take WGS-84; AMap (高德) and Tencent maps take GCJ-02.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Site {
    /// Street address.
    pub address: String,
    /// Building / unit / car, e.g. "Block 3, Unit 2, Car A".
    pub building: String,
    /// The use unit's (使用单位) duty phone, to call for keys and the machine room.
    pub duty_phone: Option<String>,
    /// The lift's position in WGS-84 (GPS, `geo:` links).
    pub wgs84: LatLon,
    /// The same position in GCJ-02 (AMap, Tencent maps).
    pub gcj02: LatLon,
}

impl CrewIncident {
    /// What `unit`'s crew is shown of the desk's `view`.
    pub fn new(view: IncidentView, unit: UnitId) -> Self {
        let view = crew_view(view, unit);
        let site = view.lift.as_ref().map(|l| Site {
            address: l.address.clone(),
            building: l.building.clone(),
            duty_phone: l.use_unit_phone.as_ref().map(|p| p.as_str().to_owned()),
            wgs84: l.position,
            gcj02: l.position.to_gcj02(),
        });
        CrewIncident { view, site }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{RegionSpec, region};
    use crate::domain::{IncidentId, IncidentStatus};

    fn view(lift: Option<crate::domain::Lift>) -> IncidentView {
        IncidentView {
            id: IncidentId(7),
            status: IncidentStatus::Dispatched,
            opened_at: chrono::Utc::now(),
            lift,
            chain: "standard".into(),
            rules_version: "v".into(),
            alarms: 1,
            kind: "entrapment_between_floors".into(),
            level: 1,
            flags: vec!["person_ill".into()],
            floor: Some("12".into()),
            trapped: Some(2),
            needs_operator: None,
            released_at: None,
            steps: vec![],
            clocks: vec![],
            breaches: vec![],
            candidates: vec![],
            storm: None,
        }
    }

    #[test]
    fn a_crew_gets_the_address_duty_phone_and_both_positions_of_the_lift() {
        let spec = RegionSpec {
            lifts: 1,
            maintainers: 1,
            ..RegionSpec::default()
        };
        let lift = region(&spec, chrono::Utc::now()).lifts.remove(0);
        let out =
            serde_json::to_value(CrewIncident::new(view(Some(lift.clone())), UnitId(1))).unwrap();
        assert_eq!(out["id"], 7, "the crew's view is flattened in: {out}");
        assert_eq!(out["floor"], "12");
        assert_eq!(out["trapped"], 2);
        assert_eq!(out["flags"][0], "person_ill");
        let site = &out["site"];
        assert_eq!(site["address"], lift.address.as_str());
        assert_eq!(site["building"], lift.building.as_str());
        let phone = lift.use_unit_phone.as_ref().unwrap();
        assert_eq!(site["duty_phone"], phone.as_str());
        assert_eq!(site["wgs84"]["lat"], lift.position.lat);
        let gcj = lift.position.to_gcj02();
        assert_eq!(site["gcj02"]["lat"], gcj.lat);
        assert_eq!(site["gcj02"]["lon"], gcj.lon);
        // In Chongqing the two systems are hundreds of metres apart: the wrong one misleads.
        assert!(lift.position.distance_m(gcj) > 100.0);
    }

    #[test]
    fn an_unidentified_lift_has_no_site() {
        let out = serde_json::to_value(CrewIncident::new(view(None), UnitId(1))).unwrap();
        assert!(out["site"].is_null(), "{out}");
        assert_eq!(out["floor"], "12", "the floor the alarm named still shows");
    }

    #[test]
    fn every_asset_the_page_names_is_served_and_kept_for_offline_use() {
        let missing =
            super::super::page_assets::unserved(ASSETS, &[PAGE, SERVICE_WORKER], "/crew/assets/");
        assert!(missing.is_empty(), "named but not served: {missing:?}");
        for (name, _, _) in ASSETS {
            let path = format!("\"/crew/assets/{name}\"");
            assert!(
                SERVICE_WORKER.contains(&path),
                "the service worker does not keep {name}"
            );
        }
    }
}
