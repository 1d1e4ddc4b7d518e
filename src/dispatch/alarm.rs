//! A new alarm: join the lift's open incident, or open one and start its chain.

use super::ctx::Ctx;
use super::incident::Incident;
use super::state::correlation_key;
use crate::domain::{
    Actor, Alarm, AlarmFlags, AlarmKind, AlarmStatus, EventKind, IncidentId, Lift,
};

pub(crate) fn on_alarm(ctx: &mut Ctx<'_>, alarm: Alarm, lift: Option<Lift>) {
    let key = correlation_key(lift.as_ref().map(|l| l.id), &alarm.lift_ref);
    let now = ctx.now;
    let joinable = ctx.open_incident(&key).filter(|i| joinable(i, now));
    match joinable.map(|i| i.id) {
        Some(id) => join(ctx, id, alarm),
        None => open(ctx, key, alarm, lift),
    }
}

/// Whether an alarm for the incident's lift at `now` joins it: it has not ended, and its
/// passengers are not out or were released within the rules' correlation window.
pub(crate) fn joinable(i: &Incident, now: chrono::DateTime<chrono::Utc>) -> bool {
    !i.status.is_terminal()
        && i.released_at
            .is_none_or(|r| now <= r + i.chain.correlation_window.delta())
}

fn join(ctx: &mut Ctx<'_>, id: IncidentId, alarm: Alarm) {
    let Some(i) = ctx.incident(id) else { return };
    if i.alarms.iter().any(|a| a.id == alarm.id) {
        return; // the same inbox row twice: already on the record
    }
    let new_flags = newly_set(i.flags, alarm.flags);
    let urgent = i.chain.chain.on_urgent.clone();
    let reason = match alarm.status {
        AlarmStatus::Cleared => format!(
            "{} reports the condition cleared (source id {}); logged only: a person confirms release",
            alarm.channel, alarm.source_alarm_id
        ),
        AlarmStatus::New => format!(
            "{} alarm (source id {}) for the same lift joins the open incident",
            alarm.channel, alarm.source_alarm_id
        ),
    };
    let actor = Actor::Source(alarm.channel);
    ctx.emit(
        Some(id),
        actor,
        None,
        reason,
        EventKind::AlarmJoined { alarm },
    );
    if let (false, Some(step)) = (new_flags.is_empty(), urgent) {
        let why = format!(
            "a joining alarm reports {}: level 3 at once, in parallel",
            new_flags.join(", ")
        );
        ctx.start_step(id, &step, why);
    }
}

fn newly_set(had: AlarmFlags, now: AlarmFlags) -> Vec<&'static str> {
    let had = had.names();
    now.names()
        .into_iter()
        .filter(|n| !had.contains(n))
        .collect()
}

fn open(ctx: &mut Ctx<'_>, key: super::state::CorrelationKey, alarm: Alarm, lift: Option<Lift>) {
    let id = ctx.allocate_incident();
    let (district, lift_flags) = lift
        .as_ref()
        .map(|l| (Some(l.district), l.flags))
        .unwrap_or_default();
    let chain = ctx.select_chain(district, &alarm.kind, alarm.flags, lift_flags);
    let start = chain.chain.start.clone();
    let reason = format!(
        "{} alarm (source id {}) {}: chain `{}` of rules `{}` version {}",
        alarm.channel,
        alarm.source_alarm_id,
        why_chain(&alarm.kind, alarm.flags, lift.as_ref()),
        chain.chain.name,
        chain.file,
        chain.rules_version.short()
    );
    ctx.adopt(
        key,
        Incident::open(id, ctx.now, &alarm, lift.as_ref(), &chain),
    );
    let actor = Actor::Source(alarm.channel);
    let unresolved = lift.is_none().then(|| alarm.lift_ref.to_string());
    let kind = EventKind::IncidentOpened {
        alarm,
        lift: lift.map(Box::new),
        chain: Box::new(chain),
        replay_format: crate::domain::event::REPLAY_FORMAT,
    };
    ctx.emit(Some(id), actor, None, reason, kind);
    super::storm::on_opened(ctx, id);
    if let Some(r) = unresolved {
        let why = format!(
            "lift unresolved (received {r}): identify the lift with the caller and attach it, or assign a unit by hand"
        );
        return ctx.needs_operator(id, why);
    }
    for s in start {
        ctx.start_step(id, &s, "chain start".into());
    }
}

/// The facts the chain was selected on, e.g. "[passenger_alarm, district 500103]".
pub(crate) fn why_chain(kind: &AlarmKind, flags: AlarmFlags, lift: Option<&Lift>) -> String {
    let mut parts = vec![kind.rule_name().to_owned()];
    parts.extend(flags.names().iter().map(|s| s.to_string()));
    if let Some(l) = lift {
        parts.extend(
            crate::rules::lift_flag_names(l.flags)
                .iter()
                .map(|s| s.to_string()),
        );
        parts.push(format!("district {}", l.district));
    }
    format!("[{}]", parts.join(", "))
}
