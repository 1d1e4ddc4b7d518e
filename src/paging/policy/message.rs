//! The page text: one set of facts rendered for SMS, a voice call and a push notification.
//!
//! SMS is the tight one. A message longer than one segment is sent as concatenated parts, and
//! we allow two: 134 UCS-2 code units (2 × 67) when any character is outside the GSM 7-bit
//! alphabet (every Chinese message), 306 septets (2 × 153) otherwise. When the text would be
//! longer, only the place (address and building) is shortened: the rescue code, the reply
//! instructions and the incident id are what let a crew act, so they are never cut. Note that
//! Chinese providers prepend their registered signature (【…】) outside this text.
//!
//! Times are shown in China Standard Time (UTC+8, the one time zone the platform serves).

use super::sms::fit_sms;
use crate::domain::{
    AlarmFlags, AlarmKind, Event, EventKind, IncidentId, Lift, RescueCode, UnitId,
};
use chrono::{DateTime, TimeDelta, Utc};

/// The SMS reply that accepts a page.
pub const REPLY_ACCEPT: &str = "1";
/// The SMS reply (or key press on a call) that declines a page.
pub const REPLY_DECLINE: &str = "2";
/// Longest floor label kept (a floor is a short label such as "12" or "B2").
const MAX_FLOOR: usize = 8;
/// Longest fault name kept from a source's mapping.
const MAX_FAULT: usize = 24;

/// The language a page is written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese, the default.
    #[default]
    Zh,
    /// English.
    En,
}

/// Everything a page says, gathered from the lift, the page event and the alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct PageFacts {
    /// The incident.
    pub incident: IncidentId,
    /// The unit paged.
    pub unit: UnitId,
    /// The rescue identification code on the sign in the car.
    pub rescue_code: RescueCode,
    /// Street address of the lift.
    pub address: String,
    /// Building / unit / car.
    pub building: String,
    /// The floor the car stands at, if known (at most 8 characters).
    pub floor: Option<String>,
    /// What happened.
    pub kind: AlarmKind,
    /// Facts about the people inside.
    pub flags: AlarmFlags,
    /// Response level of the step: 1, 2 or 3.
    pub level: u8,
    /// Distance from the unit to the lift, metres.
    pub distance_m: f64,
    /// Estimated travel time, seconds.
    pub eta_secs: u32,
    /// When the acknowledgement is due.
    pub ack_due: DateTime<Utc>,
    /// The crew page for this incident, where one tap accepts or declines.
    pub ack_url: String,
}

/// A page rendered for each channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The SMS text, within two concatenated segments.
    pub sms: String,
    /// The text a voice call reads out (text-to-speech).
    pub voice: String,
    /// The push notification's title.
    pub push_title: String,
    /// The push notification's body.
    pub push_body: String,
    /// The page's pieces for a provider's approved SMS template (in China an SMS provider
    /// sends only templates it approved, the variable parts filled in), named as in [`FIELDS`].
    pub fields: Vec<(&'static str, String)>,
}

/// The names of [`Rendered::fields`], in order: `deadline` is HH:MM, China time.
pub const FIELDS: [&str; 8] = [
    "rescue_code",
    "what",
    "place",
    "floor",
    "distance",
    "eta_min",
    "deadline",
    "level",
];

impl PageFacts {
    /// The facts of a `UnitPaged` event for `lift`; `None` for any other event or one without
    /// an incident. The link is `{ack_url_base}/{incident}` (the crew page signs the crew in).
    pub fn from_page(
        lift: &Lift,
        event: &Event,
        kind: &AlarmKind,
        flags: AlarmFlags,
        floor: Option<&str>,
        level: u8,
        ack_url_base: &str,
    ) -> Option<PageFacts> {
        let EventKind::UnitPaged {
            candidate,
            ack_due,
            queue,
            ..
        } = &event.kind
        else {
            return None;
        };
        // A storm queue's page names the other cars, so one page serves them all.
        let others: Vec<String> = queue
            .iter()
            .filter(|q| Some(**q) != event.incident)
            .map(|q| q.0.to_string())
            .collect();
        let mut building = lift.building.trim().to_owned();
        if !others.is_empty() {
            building = format!("{building} [+{} #{}]", others.len(), others.join(" #"));
        }
        let incident = event.incident?;
        let kind = match kind {
            AlarmKind::Fault(name) => AlarmKind::Fault(name.chars().take(MAX_FAULT).collect()),
            other => other.clone(),
        };
        Some(PageFacts {
            incident,
            unit: candidate.unit,
            rescue_code: lift.rescue_code.clone(),
            address: lift.address.trim().to_owned(),
            building,
            floor: floor
                .map(|f| f.trim().chars().take(MAX_FLOOR).collect::<String>())
                .filter(|f| !f.is_empty()),
            kind,
            flags,
            level,
            distance_m: candidate.distance_m,
            eta_secs: candidate.eta_secs,
            ack_due: *ack_due,
            ack_url: ack_url(ack_url_base, incident),
        })
    }
}

/// The crew page link of an incident: `{base}/{incident}`.
pub fn ack_url(base: &str, incident: IncidentId) -> String {
    format!("{}/{}", base.trim_end_matches('/'), incident.0)
}

/// Renders a page for an incident whose lift could not be identified (an operator assigned the
/// unit by hand): it says so, quotes what was received (at most 40 characters) and links the
/// crew page, where the operator's notes are.
pub fn render_unresolved(
    incident: IncidentId,
    received: &str,
    ack_url: &str,
    lang: Lang,
) -> Rendered {
    let said: String = received
        .chars()
        .filter(|c| !c.is_control())
        .take(40)
        .collect();
    let id = incident.0;
    let (sms, voice, push_title) = match lang {
        Lang::Zh => (
            format!(
                "【电梯困人】事件{id}：电梯未能识别（{said}）。请打开 {ack_url} 查看调度员信息；回复{REPLY_ACCEPT}接单，{REPLY_DECLINE}拒绝。"
            ),
            format!("电梯困人。事件{id}。电梯未能识别，请查看手机上的调度信息并尽快确认。"),
            format!("电梯困人 · 事件{id}"),
        ),
        Lang::En => (
            format!(
                "Lift entrapment, incident {id}: lift not identified ({said}). Open {ack_url} for the dispatcher's notes; reply {REPLY_ACCEPT} to accept, {REPLY_DECLINE} to decline."
            ),
            format!(
                "Lift entrapment. Incident {id}. The lift is not identified: see the dispatcher's notes on your phone and accept as soon as you can."
            ),
            format!("Lift entrapment · incident {id}"),
        ),
    };
    let what = match lang {
        Lang::Zh => "电梯未能识别",
        Lang::En => "lift not identified",
    };
    let none = String::new;
    let values = [
        none(),
        what.to_owned(),
        said,
        none(),
        none(),
        none(),
        none(),
        none(),
    ];
    Rendered {
        push_body: sms.clone(),
        sms,
        voice,
        push_title,
        fields: FIELDS.into_iter().zip(values).collect(),
    }
}

/// Renders `page` in `lang` for every channel.
pub fn render(page: &PageFacts, lang: Lang) -> Rendered {
    let w = words(page, lang);
    let (head, tail) = match lang {
        Lang::Zh => sms_zh(page, &w),
        Lang::En => sms_en(page, &w),
    };
    let unknown = match lang {
        Lang::Zh => "地址见链接",
        Lang::En => "Address: see link",
    };
    let sms = fit_sms(&head, &w.place, &tail, unknown);
    let (voice, push_title, push_body) = match lang {
        Lang::Zh => zh_other(page, &w),
        Lang::En => en_other(page, &w),
    };
    let values = [
        page.rescue_code.to_string(),
        w.what.clone(),
        w.place.clone(),
        page.floor.clone().unwrap_or_default(),
        w.distance.clone(),
        w.eta_min.to_string(),
        w.due.clone(),
        page.level.to_string(),
    ];
    Rendered {
        sms,
        voice,
        push_title,
        push_body,
        fields: FIELDS.into_iter().zip(values).collect(),
    }
}

/// The pieces every channel shares, already in `lang`.
struct Words {
    what: String,
    place: String,
    floor: String,
    distance: String,
    spoken_distance: String,
    eta_min: u32,
    due: String,
}

fn words(page: &PageFacts, lang: Lang) -> Words {
    let mut what = kind_words(&page.kind, lang).to_owned();
    if let AlarmKind::Fault(name) = &page.kind {
        what = format!("{what}({name})");
    }
    let flags = flag_words(page.flags, lang);
    if !flags.is_empty() {
        let sep = if lang == Lang::Zh { "，" } else { ", " };
        what = format!("{what}{sep}{}", flags.join(sep));
    }
    let place = [page.address.as_str(), page.building.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let floor = match (&page.floor, lang) {
        (None, _) => String::new(),
        (Some(f), Lang::Zh) => format!("{f}层"),
        (Some(f), Lang::En) => format!(", floor {f}"),
    };
    Words {
        what,
        place,
        floor,
        distance: distance(page.distance_m),
        spoken_distance: spoken_distance(page.distance_m, lang),
        eta_min: page.eta_secs.div_ceil(60).max(1),
        due: china_time(page.ack_due),
    }
}

fn kind_words(kind: &AlarmKind, lang: Lang) -> &'static str {
    match (kind, lang) {
        (AlarmKind::EntrapmentAtLanding, Lang::Zh) => "平层困人",
        (AlarmKind::EntrapmentBetweenFloors, Lang::Zh) => "非平层困人",
        (AlarmKind::PassengerAlarm, Lang::Zh) => "乘客报警",
        (AlarmKind::Fault(_), Lang::Zh) => "电梯故障",
        (AlarmKind::EntrapmentAtLanding, Lang::En) => "trapped at a landing",
        (AlarmKind::EntrapmentBetweenFloors, Lang::En) => "trapped between floors",
        (AlarmKind::PassengerAlarm, Lang::En) => "passenger alarm",
        (AlarmKind::Fault(_), Lang::En) => "lift fault",
    }
}

fn flag_words(flags: AlarmFlags, lang: Lang) -> Vec<&'static str> {
    let zh = lang == Lang::Zh;
    let mut v = Vec::new();
    if flags.person_ill {
        v.push(if zh { "有人不适" } else { "person ill" });
    }
    if flags.child_alone {
        v.push(if zh {
            "儿童独自被困"
        } else {
            "child alone"
        });
    }
    if flags.smoke_or_water {
        v.push(if zh { "有烟/水" } else { "smoke or water" });
    }
    v
}

/// "850m" below a kilometre, "1.2km" above.
fn distance(m: f64) -> String {
    let m = if m.is_finite() { m.max(0.0) } else { 0.0 };
    if m < 1000.0 {
        format!("{}m", m.round())
    } else {
        format!("{:.1}km", m / 1000.0)
    }
}

/// "850米" / "1.2公里", or "850 metres" / "1.2 kilometres", for text-to-speech.
fn spoken_distance(m: f64, lang: Lang) -> String {
    let short = distance(m);
    let (km, metres) = match lang {
        Lang::Zh => ("公里", "米"),
        Lang::En => (" kilometres", " metres"),
    };
    match short.strip_suffix("km") {
        Some(n) => format!("{n}{km}"),
        None => format!("{}{metres}", short.trim_end_matches('m')),
    }
}

/// "HH:MM" in China Standard Time (UTC+8, no daylight saving).
fn china_time(t: DateTime<Utc>) -> String {
    (t + TimeDelta::hours(8)).format("%H:%M").to_string()
}

/// The SMS text before and after the place, in Chinese.
fn sms_zh(page: &PageFacts, w: &Words) -> (String, String) {
    let head = format!(
        "{}级救援:{} 救援码{} ",
        page.level, w.what, page.rescue_code
    );
    let tail = format!(
        "{} 距{}约{}分钟 请{}前确认:回{REPLY_ACCEPT}接受 回{REPLY_DECLINE}拒绝 {} 事件{}",
        w.floor, w.distance, w.eta_min, w.due, page.ack_url, page.incident.0
    );
    (head, tail)
}

/// The SMS text before and after the place, in English.
fn sms_en(page: &PageFacts, w: &Words) -> (String, String) {
    let head = format!(
        "Lift rescue L{}: {}. Code {}. ",
        page.level, w.what, page.rescue_code
    );
    let tail = format!(
        "{}. {} away, ETA {} min. Ack by {} (UTC+8): reply {REPLY_ACCEPT} accept, \
         {REPLY_DECLINE} decline, or {} Incident {}",
        w.floor, w.distance, w.eta_min, w.due, page.ack_url, page.incident.0
    );
    (head, tail)
}

/// The rescue code read digit by digit, so text-to-speech does not say "thirty-five thousand".
fn spelled(code: &RescueCode) -> String {
    let digits: Vec<String> = code.as_str().chars().map(String::from).collect();
    digits.join(" ")
}

/// Voice text, push title and push body in Chinese.
fn zh_other(page: &PageFacts, w: &Words) -> (String, String, String) {
    let voice = format!(
        "这里是电梯应急救援平台。{}级救援。{}{}，{}。救援识别码 {}。距离您约{}，预计{}分钟到达。\
         请在{}前确认：按{REPLY_ACCEPT}接受，按{REPLY_DECLINE}拒绝。事件编号 {}。",
        page.level,
        w.place,
        w.floor,
        w.what,
        spelled(&page.rescue_code),
        w.spoken_distance,
        w.eta_min,
        w.due,
        page.incident.0
    );
    let title = format!("{}级救援 · {} · {}", page.level, w.what, page.rescue_code);
    let body = format!(
        "{}{}，距{}约{}分钟。请{}前确认。事件{}",
        w.place, w.floor, w.distance, w.eta_min, w.due, page.incident.0
    );
    (voice, title, body)
}

/// Voice text, push title and push body in English.
fn en_other(page: &PageFacts, w: &Words) -> (String, String, String) {
    let voice = format!(
        "This is the lift emergency rescue platform. Level {} rescue. {}{}: {}. Rescue code {}. \
         About {} from you, about {} minutes. Acknowledge by {} China time: press \
         {REPLY_ACCEPT} to accept, {REPLY_DECLINE} to decline. Incident {}.",
        page.level,
        w.place,
        w.floor,
        w.what,
        spelled(&page.rescue_code),
        w.spoken_distance,
        w.eta_min,
        w.due,
        page.incident.0
    );
    let title = format!("L{} rescue · {} · {}", page.level, w.what, page.rescue_code);
    let body = format!(
        "{}{}. {} away, ETA {} min. Ack by {} (UTC+8). Incident {}",
        w.place, w.floor, w.distance, w.eta_min, w.due, page.incident.0
    );
    (voice, title, body)
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
