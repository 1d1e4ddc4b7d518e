//! Scenario tests: each reads as a story, with a controlled clock and no Tokio.

mod attach;
mod lifecycle;
mod paging;
mod record;

use super::{Command, CrewAction, DeskState, OperatorAction, Rejection, apply, decide};
use crate::demo::{YUZHONG, offset};
use crate::domain::*;
use crate::rules::RuleSet;
use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;

/// Test rules: the shipped shape with round numbers.
pub const RULES: &str = r#"
description = "scenario test rules"
default = true
correlation_window = "10m"
position_max_age = "5m"

[travel]
detour_factor = 1.4
[travel.speed_kmh]
maintainer = 24.0
property_staff = 5.0
fire_rescue = 36.0

[[select]]
chain = "urgent"
alarm_flags_any = ["person_ill", "child_alone", "smoke_or_water"]

[[select]]
chain = "urgent"
lift_flags_any = ["no_maintenance_unit"]

[[select]]
chain = "entrapment"

[chains.entrapment]
start = ["contracted", "property"]
on_urgent = "fire"
confirm = "10m"
confirm_warning = "5m"

[chains.entrapment.steps.contracted]
level = 1
page = "contracted_maintainer"
max_pages = 2
acknowledge = "3m"
on_exhausted = "mutual_aid"
arrive = "30m"
arrive_warning = "15m"
on_arrive_breach = "fire"
notify_on_breach = ["emergency_management_bureau", "market_supervision_bureau"]
release = "15m"
release_warning = "10m"

[chains.entrapment.steps.property]
level = 1
page = "property_staff"
max_pages = 1
acknowledge = "3m"

[chains.entrapment.steps.mutual_aid]
level = 2
page = "any_maintainer"
radius_m = 5000.0
acknowledge = "3m"
on_exhausted = "fire"

[chains.entrapment.steps.fire]
level = 3
page = "fire_rescue"
acknowledge = "2m"
notify_on_start = ["emergency_management_bureau"]

[chains.urgent]
start = ["contracted", "property", "fire"]
on_urgent = "fire"

[chains.urgent.steps.contracted]
level = 1
page = "contracted_maintainer"
acknowledge = "3m"
on_exhausted = "mutual_aid"

[chains.urgent.steps.property]
level = 1
page = "property_staff"
max_pages = 1
acknowledge = "3m"

[chains.urgent.steps.mutual_aid]
level = 2
page = "any_maintainer"
acknowledge = "3m"

[chains.urgent.steps.fire]
level = 3
page = "fire_rescue"
acknowledge = "2m"
notify_on_start = ["emergency_management_bureau"]
"#;

pub fn rules(text: &str) -> Arc<RuleSet> {
    Arc::new(RuleSet::parse_files(&[("test.toml".into(), text.into())]).expect("test rules parse"))
}

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-29T08:00:00Z")
        .unwrap()
        .to_utc()
}

// Units of the test world, by where they stand relative to the lift (at Yuzhong's centre).
pub const M_NEAR: UnitId = UnitId(1); // maintainer, company 1, 500 m north
pub const M_FAR: UnitId = UnitId(2); // maintainer, company 1, 1 km south
pub const M_OTHER_CO: UnitId = UnitId(3); // maintainer, company 2, 300 m east
pub const M_OFF_DUTY: UnitId = UnitId(4); // maintainer, company 1, 100 m, off duty
pub const PROPERTY: UnitId = UnitId(5); // property staff of the use unit, 50 m
pub const FIRE_NEAR: UnitId = UnitId(6); // fire/rescue, 2 km
pub const FIRE_FAR: UnitId = UnitId(7); // fire/rescue, 4 km
pub const M_STALE: UnitId = UnitId(8); // maintainer, company 1, 200 m, position 20 min old

pub struct World {
    pub state: DeskState,
    pub now: DateTime<Utc>,
    pub log: Vec<Event>,
    next_alarm: i64,
}

pub fn unit(
    id: UnitId,
    kind: UnitKind,
    company: i64,
    east: f64,
    north: f64,
    on_duty: bool,
    age_min: i64,
) -> Unit {
    Unit {
        id,
        name: format!("unit {}", id.0),
        kind,
        company: CompanyId(company),
        skills: vec![],
        phone: None,
        contact_plan: None,
        base: None,
        on_duty,
        fix: Some(Fix {
            at: offset(YUZHONG, east, north),
            taken: t0() - TimeDelta::minutes(age_min),
        }),
    }
}

pub fn lift(id: i64, maintainer: Option<i64>) -> Lift {
    Lift {
        id: LiftId(id),
        rescue_code: RescueCode::parse(&format!("{:06}", 35300 + id)).unwrap(),
        registration_code: RegistrationCode::parse(&format!("31105001032019060{:03}", id)).unwrap(),
        district: AdminCode::parse("500103").unwrap(),
        street: None,
        cabin_phone: None,
        device_id: None,
        address: "1 Minzu Road".into(),
        building: "Block 1, Car A".into(),
        position: YUZHONG,
        commissioned: None,
        use_unit: Some(CompanyId(1001)),
        use_unit_phone: None,
        maintainer: maintainer.map(CompanyId),
        flags: LiftFlags {
            no_maintenance_unit: maintainer.is_none(),
            ..LiftFlags::default()
        },
    }
}

impl World {
    pub fn new() -> Self {
        Self::with_rules(rules(RULES))
    }

    pub fn with_rules(rules: Arc<RuleSet>) -> Self {
        let mut state = DeskState::new(rules, YUZHONG);
        use UnitKind::*;
        for u in [
            unit(M_NEAR, Maintainer, 1, 0.0, 500.0, true, 0),
            unit(M_FAR, Maintainer, 1, 0.0, -1000.0, true, 0),
            unit(M_OTHER_CO, Maintainer, 2, 300.0, 0.0, true, 0),
            unit(M_OFF_DUTY, Maintainer, 1, 100.0, 0.0, false, 0),
            unit(PROPERTY, PropertyStaff, 1001, 50.0, 0.0, true, 0),
            unit(FIRE_NEAR, FireRescue, 9001, 2000.0, 0.0, true, 0),
            unit(FIRE_FAR, FireRescue, 9001, -4000.0, 0.0, true, 0),
            unit(M_STALE, Maintainer, 1, 0.0, 200.0, true, 20),
        ] {
            state.add_unit(u);
        }
        World {
            state,
            now: t0(),
            log: vec![],
            next_alarm: 1,
        }
    }

    pub fn try_run(&mut self, cmd: Command) -> Result<Vec<Event>, Rejection> {
        let events = decide(&self.state, cmd, self.now)?;
        for e in &events {
            apply(&mut self.state, e);
        }
        self.log.extend(events.iter().cloned());
        Ok(events)
    }

    pub fn run(&mut self, cmd: Command) -> Vec<Event> {
        self.try_run(cmd).expect("command accepted")
    }

    pub fn alarm_with(
        &mut self,
        channel: AlarmSource,
        lift: Option<Lift>,
        flags: AlarmFlags,
        status: AlarmStatus,
    ) -> Vec<Event> {
        let n = self.next_alarm;
        self.next_alarm += 1;
        let lift_ref = match &lift {
            Some(l) => LiftRef::RescueCode(l.rescue_code.clone()),
            None => LiftRef::Unparsed("999999".into()),
        };
        let alarm = Alarm {
            id: AlarmId(n),
            channel,
            source_alarm_id: format!("src-{n}"),
            lift_ref,
            kind: AlarmKind::EntrapmentBetweenFloors,
            status,
            flags,
            trapped: None,
            floor: Some("7".into()),
            description: String::new(),
            occurred_at: self.now,
            received_at: self.now,
        };
        self.run(Command::Alarm {
            alarm,
            lift: lift.map(Box::new),
        })
    }

    /// An entrapment alarm from the cabin phone of lift 1; returns the incident id.
    pub fn entrapment(&mut self) -> IncidentId {
        self.alarm_with(
            AlarmSource::CabinPhone,
            Some(lift(1, Some(1))),
            AlarmFlags::default(),
            AlarmStatus::New,
        );
        self.incident_of_last()
    }

    pub fn incident_of_last(&self) -> IncidentId {
        self.log
            .last()
            .and_then(|e| e.incident)
            .expect("an incident event")
    }

    /// Moves the clock on and fires whatever is due. Live positions keep coming meanwhile
    /// (every unit but M_STALE reports where it stands).
    pub fn advance(&mut self, secs: i64) -> Vec<Event> {
        self.now += TimeDelta::seconds(secs);
        let fixes: Vec<(UnitId, Fix)> = self
            .state
            .units
            .values()
            .filter(|u| u.unit.id != M_STALE)
            .filter_map(|u| {
                u.unit.fix.map(|f| {
                    (
                        u.unit.id,
                        Fix {
                            at: f.at,
                            taken: self.now,
                        },
                    )
                })
            })
            .collect();
        for (id, fix) in fixes {
            self.state.update_position(id, fix);
        }
        self.run(Command::Tick)
    }

    pub fn crew(
        &mut self,
        unit: UnitId,
        incident: IncidentId,
        action: CrewAction,
    ) -> Result<Vec<Event>, Rejection> {
        self.try_run(Command::Crew {
            unit,
            incident,
            action,
        })
    }

    /// `unit` accepts its page for `incident` with an ETA of `eta_secs`; its events.
    pub fn accept(&mut self, unit: UnitId, incident: IncidentId, eta_secs: u32) -> Vec<Event> {
        self.crew(
            unit,
            incident,
            CrewAction::Accept {
                eta_secs: Some(eta_secs),
            },
        )
        .unwrap_or_else(|r| panic!("{unit:?} could not accept: {r:?}"))
    }

    /// `unit` declines its page for `incident`, saying `reason`; its events.
    pub fn decline(&mut self, unit: UnitId, incident: IncidentId, reason: &str) -> Vec<Event> {
        self.crew(
            unit,
            incident,
            CrewAction::Decline {
                reason: reason.into(),
            },
        )
        .unwrap_or_else(|r| panic!("{unit:?} could not decline: {r:?}"))
    }

    pub fn operator(
        &mut self,
        incident: IncidentId,
        action: OperatorAction,
    ) -> Result<Vec<Event>, Rejection> {
        self.try_run(Command::Operator {
            user: "op1".into(),
            incident,
            action,
        })
    }

    pub fn incident(&self, id: IncidentId) -> &super::Incident {
        &self.state.incidents[&id]
    }
}

/// The units paged in these events, in order.
pub fn paged(events: &[Event]) -> Vec<UnitId> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::UnitPaged { candidate, .. } => Some(candidate.unit),
            _ => None,
        })
        .collect()
}

/// The steps started in these events, in order.
pub fn started(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::StepStarted { step } => Some(step.id.clone()),
            _ => None,
        })
        .collect()
}

pub fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.name()).collect()
}

/// Text written for people: no Rust `Debug` output (`RescueCode("…")`, `Some(…)`, `{ … }`)
/// and no CamelCase enum names (`CabinPhone`, `Iot`).
pub fn assert_in_words(text: &str) {
    for debug in [
        "(\"",
        "RescueCode(",
        "Phone(",
        "Device(",
        "Some(",
        "None",
        "{ ",
        " }",
    ] {
        assert!(!text.contains(debug), "Debug text `{debug}` in: {text}");
    }
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        let camel = word.char_indices().skip(1).any(|(i, c)| {
            c.is_uppercase() && word[i..].chars().nth(1).is_some_and(char::is_lowercase)
        }) && word.chars().any(char::is_lowercase);
        assert!(!camel && word != "Iot", "enum name `{word}` in: {text}");
    }
}
