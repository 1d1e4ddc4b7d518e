//! A unit's contact plan and which delivery attempts are due.
//!
//! A plan is an ordered list of channels with the time after the page each one fires, e.g. push
//! at once, SMS after 30 s, a voice call after 60 s. A later channel only fires while the page
//! has no delivery receipt: a delivered push needs no SMS. Then "ring until reached": while the
//! page is unacknowledged, the plan's last channel is repeated every `repeat_every`, delivered or
//! not (delivered is not the same as a person having read it), until the acknowledge deadline.
//! Nothing fires at or after that deadline (the chain pages someone else then), and nothing once
//! the page is acknowledged. A channel that gave up (failed for good) brings the next one
//! forward: it fires at once rather than at its time.
//!
//! Every attempt has a number per channel and a dedupe key that extends the store's outbox key
//! (`store::projection::dedupe_key`, `"{incident}:{step}:{unit}:{page_no}"`) with
//! `":{channel}:{n}"`, so one attempt is sent at most once, across restarts too.

use crate::domain::{IncidentId, UnitId};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

/// How a page reaches a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// Web Push to the crew page on the phone.
    Push,
    /// A text message.
    Sms,
    /// A voice call read out by text-to-speech.
    Voice,
    /// A signed JSON POST to the unit's own system.
    Webhook,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 4] = [Self::Push, Self::Sms, Self::Voice, Self::Webhook];

    /// The lower-case name used in configuration, dedupe keys and the outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::Sms => "sms",
            Self::Voice => "voice",
            Self::Webhook => "webhook",
        }
    }

    /// The channel named `s` (lower case).
    pub fn parse(s: &str) -> Result<Self, PlanError> {
        match s {
            "push" => Ok(Self::Push),
            "sms" => Ok(Self::Sms),
            "voice" => Ok(Self::Voice),
            "webhook" => Ok(Self::Webhook),
            other => Err(PlanError::UnknownChannel(other.to_owned())),
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a contact plan string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Nothing to parse.
    #[error("a contact plan needs at least one channel, e.g. \"push:0s,sms:30s,voice:60s\"")]
    Empty,
    /// An entry is not `channel:duration`.
    #[error("contact plan entry {0:?} is not channel:duration (e.g. \"sms:30s\")")]
    BadEntry(String),
    /// Not one of push, sms, voice, webhook.
    #[error("unknown channel {0:?}: expected push, sms, voice or webhook")]
    UnknownChannel(String),
    /// The duration does not parse.
    #[error("contact plan entry {entry:?}: bad duration: {why}")]
    BadDuration {
        /// The entry.
        entry: String,
        /// The parser's reason.
        why: String,
    },
    /// A channel appears twice.
    #[error("channel {0} appears twice in the contact plan")]
    Duplicate(Channel),
    /// Entries must be in time order.
    #[error("contact plan entry {0:?} fires before the entry ahead of it: list them in time order")]
    OutOfOrder(String),
    /// `repeat` must be positive.
    #[error("repeat interval must be more than 0 s")]
    ZeroRepeat,
}

/// One entry of a plan: fire `channel` this long after the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanStep {
    /// Which channel.
    pub channel: Channel,
    /// How long after the page.
    pub after: Duration,
}

/// A unit's contact plan: entries in time order, then repeats of the last channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPlan {
    steps: Vec<PlanStep>,
    repeat_every: Duration,
}

impl Default for ContactPlan {
    /// Push at once, SMS after 30 s, a voice call after 60 s, the call repeated every 60 s.
    fn default() -> Self {
        let step = |channel, secs| PlanStep {
            channel,
            after: Duration::from_secs(secs),
        };
        Self {
            steps: vec![
                step(Channel::Push, 0),
                step(Channel::Sms, 30),
                step(Channel::Voice, 60),
            ],
            repeat_every: Duration::from_secs(60),
        }
    }
}

impl ContactPlan {
    /// Parses `"push:0s,sms:30s,voice:60s"`, optionally ending in `",repeat:60s"` (default
    /// 60 s). Channels appear at most once, in time order; spaces around entries are ignored.
    pub fn parse(s: &str) -> Result<Self, PlanError> {
        let mut steps: Vec<PlanStep> = Vec::new();
        let mut repeat_every = Duration::from_secs(60);
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (name, dur) = entry
                .split_once(':')
                .ok_or_else(|| PlanError::BadEntry(entry.to_owned()))?;
            let after =
                humantime::parse_duration(dur.trim()).map_err(|e| PlanError::BadDuration {
                    entry: entry.to_owned(),
                    why: e.to_string(),
                })?;
            if name.trim() == "repeat" {
                repeat_every = after;
                continue;
            }
            let channel = Channel::parse(name.trim())?;
            if steps.iter().any(|s| s.channel == channel) {
                return Err(PlanError::Duplicate(channel));
            }
            if steps.last().is_some_and(|l| l.after > after) {
                return Err(PlanError::OutOfOrder(entry.to_owned()));
            }
            steps.push(PlanStep { channel, after });
        }
        if steps.is_empty() {
            return Err(PlanError::Empty);
        }
        if repeat_every.is_zero() {
            return Err(PlanError::ZeroRepeat);
        }
        Ok(Self {
            steps,
            repeat_every,
        })
    }

    /// The entries, in time order.
    pub fn steps(&self) -> &[PlanStep] {
        &self.steps
    }

    /// How often the last channel repeats while the page is unacknowledged.
    pub fn repeat_every(&self) -> Duration {
        self.repeat_every
    }

    /// The plan with only the channels `keep` allows (those with a gateway and an address for
    /// this unit), the first one left moved to fire at once: a unit with no push subscription
    /// gets its SMS at once rather than after the 30 s meant for a push. `None` if none is left.
    pub fn only(&self, keep: impl Fn(Channel) -> bool) -> Option<ContactPlan> {
        let mut steps: Vec<PlanStep> = self
            .steps
            .iter()
            .copied()
            .filter(|s| keep(s.channel))
            .collect();
        let first = steps.first_mut()?;
        first.after = Duration::ZERO;
        Some(ContactPlan {
            steps,
            repeat_every: self.repeat_every,
        })
    }

    /// The channel to fall back to when `channel` gave up: the next one in the plan.
    pub fn fallback_after(&self, channel: Channel) -> Option<Channel> {
        let i = self.steps.iter().position(|s| s.channel == channel)?;
        self.steps.get(i + 1).map(|s| s.channel)
    }
}

/// The page an attempt belongs to: the outbox row's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRef {
    /// The incident.
    pub incident: IncidentId,
    /// The step that paged.
    pub step: String,
    /// The unit paged.
    pub unit: UnitId,
    /// The unit's page number by this step, from 1.
    pub page_no: i64,
}

impl PageRef {
    /// The store's outbox dedupe key: `"{incident}:{step}:{unit}:{page_no}"`.
    pub fn dedupe_key(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.incident.0, self.step, self.unit.0, self.page_no
        )
    }
}

/// What has happened to one page so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryLog {
    /// The page.
    pub page: PageRef,
    /// Attempts already made (or handed to a worker): (channel, number from 1).
    pub attempted: BTreeSet<(Channel, u32)>,
    /// When the first delivery receipt for any channel came in.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Channels that gave up on this page (failed for good, or a send's outcome is unknown):
    /// the plan's next channel fires at once instead of at its time.
    pub gave_up: BTreeSet<Channel>,
    /// The unit acknowledged (accepted or declined) or the page was cancelled.
    pub acknowledged: bool,
}

impl DeliveryLog {
    /// A page nothing has happened to yet.
    pub fn new(page: PageRef) -> Self {
        DeliveryLog {
            page,
            attempted: BTreeSet::new(),
            delivered_at: None,
            gave_up: BTreeSet::new(),
            acknowledged: false,
        }
    }
}

/// An attempt's dedupe key read back: `{incident}:{step}:{unit}:{page_no}:{channel}:{n}`. It is
/// parsed from the right, because a step id may itself hold a `:` (an operator's assignment is
/// step `operator:{unit}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptKey {
    /// The page.
    pub page: PageRef,
    /// The channel.
    pub channel: Channel,
    /// Its number on the channel.
    pub n: u32,
}

impl AttemptKey {
    /// The parts of `key`, or `None` if it is not an attempt key.
    pub fn parse(key: &str) -> Option<Self> {
        let mut right = key.rsplitn(5, ':');
        let n = right.next()?.parse().ok()?;
        let channel = Channel::parse(right.next()?).ok()?;
        let page_no = right.next()?.parse().ok()?;
        let unit = UnitId(right.next()?.parse().ok()?);
        let (incident, step) = right.next()?.split_once(':')?;
        Some(AttemptKey {
            page: PageRef {
                incident: IncidentId(incident.parse().ok()?),
                step: step.to_owned(),
                unit,
                page_no,
            },
            channel,
            n,
        })
    }
}

/// One delivery attempt to make now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Which channel.
    pub channel: Channel,
    /// Its number on this channel for this page, from 1.
    pub n: u32,
    /// When it was due.
    pub due: DateTime<Utc>,
    /// `"{incident}:{step}:{unit}:{page_no}:{channel}:{n}"`.
    pub dedupe_key: String,
}

/// The attempts to make at `now` for a page sent at `paged_at` and due for acknowledgement at
/// `ack_due`, given what `log` says already happened. At most one attempt per channel: after a
/// pause (a restart) only the latest due repeat is made, not a burst of stale ones.
pub fn due_attempts(
    plan: &ContactPlan,
    paged_at: DateTime<Utc>,
    now: DateTime<Utc>,
    ack_due: DateTime<Utc>,
    log: &DeliveryLog,
) -> Vec<Attempt> {
    if log.acknowledged || now >= ack_due {
        return Vec::new();
    }
    let mut due: Vec<(Channel, u32, DateTime<Utc>)> = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let delivered = log.delivered_at.is_some();
        let fallback = i > 0 && log.gave_up.contains(&plan.steps[i - 1].channel);
        match plus(paged_at, step.after) {
            Some(at) if (at <= now || fallback) && !(i > 0 && delivered) => {
                due.push((step.channel, 1, at.min(now)))
            }
            _ => {}
        }
    }
    if let Some((k, at)) = latest_repeat(plan, paged_at, now) {
        let last = plan.steps.last().map(|s| s.channel);
        due.retain(|(c, _, _)| Some(*c) != last);
        due.extend(last.map(|c| (c, k + 1, at)));
    }
    let key = log.page.dedupe_key();
    due.into_iter()
        .filter(|(c, n, _)| !log.attempted.contains(&(*c, *n)))
        .map(|(channel, n, due)| Attempt {
            channel,
            n,
            due,
            dedupe_key: format!("{key}:{channel}:{n}"),
        })
        .collect()
}

/// When the next attempt after `now` falls due, if before `ack_due` and the page is still open:
/// the time a worker should look at this page again.
pub fn next_due(
    plan: &ContactPlan,
    paged_at: DateTime<Utc>,
    now: DateTime<Utc>,
    ack_due: DateTime<Utc>,
    log: &DeliveryLog,
) -> Option<DateTime<Utc>> {
    if log.acknowledged {
        return None;
    }
    let steps = plan.steps.iter().enumerate().filter_map(|(i, s)| {
        let skipped = i > 0 && log.delivered_at.is_some();
        plus(paged_at, s.after).filter(|at| !skipped && *at > now)
    });
    let k = latest_repeat(plan, paged_at, now).map_or(0, |(k, _)| k);
    let repeat = repeat_at(plan, paged_at, k + 1).filter(|at| *at > now);
    steps.chain(repeat).filter(|at| *at < ack_due).min()
}

/// The latest repeat of the last channel due by `now`: (repeat number from 1, due time).
fn latest_repeat(
    plan: &ContactPlan,
    paged_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<(u32, DateTime<Utc>)> {
    let first = repeat_at(plan, paged_at, 1)?;
    if first > now {
        return None;
    }
    let every = TimeDelta::from_std(plan.repeat_every).ok()?;
    let since = now.signed_duration_since(first);
    let k = since.num_milliseconds() / every.num_milliseconds().max(1);
    let k = u32::try_from(k).ok()?.checked_add(1)?;
    Some((k, repeat_at(plan, paged_at, k)?))
}

/// When repeat `k` (from 1) of the last channel is due.
fn repeat_at(plan: &ContactPlan, paged_at: DateTime<Utc>, k: u32) -> Option<DateTime<Utc>> {
    let last = plan.steps.last()?;
    let delay = last.after.checked_add(plan.repeat_every.checked_mul(k)?)?;
    plus(paged_at, delay)
}

/// `t + d`, or `None` past the end of time.
fn plus(t: DateTime<Utc>, d: Duration) -> Option<DateTime<Utc>> {
    t.checked_add_signed(TimeDelta::from_std(d).ok()?)
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
