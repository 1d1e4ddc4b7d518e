//! A page rendered for every channel: the SMS, voice and push texts, and the facts a webhook
//! receives.

use super::Paging;
use super::policy::{self, PageFacts, PageRef};
use crate::domain::{Alarm, Event, EventKind, Lift};
use anyhow::Context;

impl Paging {
    /// The page's texts for every channel and its facts (what a webhook receives).
    pub(super) fn render(
        &self,
        p: &PageRef,
        alarm: &Alarm,
        lift: Option<&Lift>,
        level: u8,
        event: &Event,
    ) -> anyhow::Result<serde_json::Value> {
        let i = &self.inner;
        let EventKind::UnitPaged { ack_due, .. } = &event.kind else {
            anyhow::bail!("not a page event");
        };
        let url = policy::message::ack_url(&i.settings.crew_url, p.incident);
        let (r, about) = match lift {
            Some(lift) => {
                let facts = PageFacts::from_page(
                    lift,
                    event,
                    &alarm.kind,
                    alarm.flags,
                    alarm.floor.as_deref(),
                    level,
                    &i.settings.crew_url,
                )
                .context("not a page event")?;
                let about = serde_json::json!({
                    "lift": lift.id,
                    "rescue_code": lift.rescue_code,
                    "address": lift.address,
                    "building": lift.building,
                    "floor": alarm.floor,
                    "kind": alarm.kind,
                    "flags": alarm.flags,
                    "distance_m": facts.distance_m,
                    "eta_secs": facts.eta_secs,
                });
                (policy::render(&facts, i.lang), about)
            }
            None => {
                // The reference first (the unknown caller's number is what a crew can call
                // back), then what the source or the operator said.
                let received = format!("{} {}", alarm.lift_ref.value(), alarm.description.trim())
                    .trim()
                    .to_owned();
                let r = policy::message::render_unresolved(p.incident, &received, &url, i.lang);
                let about = serde_json::json!({
                    "lift": null,
                    "lift_unresolved": true,
                    "received": received
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(40)
                        .collect::<String>(),
                });
                (r, about)
            }
        };
        let mut page = serde_json::json!({
            "incident": p.incident,
            "unit": p.unit,
            "step": p.step,
            "page_no": p.page_no,
            "level": level,
            "ack_due": ack_due,
            "ack_url": url,
            "text": r.sms,
        });
        if let (Some(page), serde_json::Value::Object(about)) = (page.as_object_mut(), about) {
            page.extend(about);
        }
        let fields: serde_json::Map<String, serde_json::Value> = r
            .fields
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into()))
            .collect();
        Ok(serde_json::json!({
            "sms": r.sms,
            "voice": r.voice,
            "push_title": r.push_title,
            "push_body": r.push_body,
            "page": page,
            "fields": fields,
        }))
    }
}
