//! Between a node's regions ([`crate::config::regions`]): an alarm that names its lift by
//! registration code goes to the inbox of the region covering the code's district (digits
//! 5–10), whichever region's address took it, so a province-wide IoT platform or a hotline
//! operator may post to any region. An alarm naming its lift otherwise (a registry id, a rescue
//! code, a cabin phone, a device) stays in the region that took it: those are that region's.

use super::Inbox;
use crate::domain::{AdminCode, LiftRef};
use crate::store::NewAlarm;
use std::collections::HashMap;
use std::sync::Arc;

/// Where a region's inbox sends alarms of other regions' districts.
pub struct Routes {
    own: String,
    by_district: HashMap<AdminCode, (String, Inbox)>,
}

impl Routes {
    /// The routes of region `own`: each district code with its region's name and inbox.
    pub fn new(own: &str, by_district: HashMap<AdminCode, (String, Inbox)>) -> Self {
        Routes {
            own: own.to_owned(),
            by_district,
        }
    }
}

impl Inbox {
    /// Routes alarms of other regions' districts (`None`: every alarm stays here).
    pub fn set_routes(&self, routes: Option<Arc<Routes>>) {
        *self.routes.lock().unwrap_or_else(|p| p.into_inner()) = routes;
    }

    fn routes(&self) -> Option<Arc<Routes>> {
        self.routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The region whose desk takes `alarm` and its inbox, when that is another region.
    pub(super) fn elsewhere(&self, alarm: &NewAlarm) -> Option<Inbox> {
        let routes = self.routes()?;
        let (region, inbox) = routes.by_district.get(&district(alarm)?)?;
        (*region != routes.own).then(|| inbox.clone())
    }

    /// The region whose desk takes `alarm` (with regions; `None` on a single region).
    pub fn region_for(&self, alarm: &NewAlarm) -> Option<String> {
        let routes = self.routes()?;
        let routed = district(alarm).and_then(|d| routes.by_district.get(&d));
        Some(routed.map_or_else(|| routes.own.clone(), |(region, _)| region.clone()))
    }
}

/// The district an alarm's registration code names.
fn district(alarm: &NewAlarm) -> Option<AdminCode> {
    match &alarm.lift_ref {
        LiftRef::RegistrationCode(code) => Some(code.admin_code()),
        _ => None,
    }
}
