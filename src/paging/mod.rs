//! Paging that reaches people: the outbox's delivery side.
//!
//! ```text
//! desk ─ append: UnitPaged + outbox page row (one transaction) ─> live feed
//!                                                                    │ wakes
//! pager: ringing pages × contact plan (policy::plan) ─> outbox_messages rows ─┐ claimed at once
//! worker: due retries, claimed FOR UPDATE SKIP LOCKED ─────────────────────────┤ when a slot and
//!                                                                              v a token are free
//!                                gateways (SMS, voice, push, webhook) <─ send (own deadline)
//!                                            │ outcome → policy::retry::next → message row
//!                                            └─> reporter ─> desk: `delivery` events on the timeline
//! receipts (POST /api/v1/notify/receipts/{channel}) ─> message row + timeline
//! ```
//!
//! - **Never twice.** A message is a row with a unique dedupe key, created only while its page
//!   rings; sending starts by claiming it (`pending → sending` with a lease), and only the
//!   claimer finishes it. A claim whose lease ran out (the process died mid-send) becomes
//!   `failed` with "outcome unknown", never sent again: the gateway may have had it.
//! - **Ring until reached.** The pager keeps every ringing page on a schedule and creates the
//!   attempts its unit's contact plan says are due (`policy::due_attempts`): push at once, SMS
//!   after 30 s without a delivery receipt, a voice call after 60 s, the call repeated every
//!   60 s until the acknowledge deadline. The acknowledgement's own append ends the page and
//!   cancels its unsent messages in the same transaction; the live feed tells the pager to
//!   drop it from the schedule.
//! - **Nothing stalls.** Gateway calls run in their own tasks, at most `max_in_flight` at
//!   once on each channel, each bounded by `send_deadline_secs`; each channel has a token
//!   bucket. A gateway that hangs holds its own channel's slots, never another's. The desk never
//!   waits for a gateway: delivery reports reach it as batched commands.

mod first;
pub mod gateway;
pub mod policy;
pub mod push;
pub mod settings;

pub use first::FirstMessages;
pub use gateway::{Gateways, SendResult};
pub use settings::NotifySettings;

use crate::desk::{Clock, DeskError, DeskHandle};
use crate::dispatch::{Command, CrewAction, DeliveryReport, Rejection};
use crate::domain::{
    Alarm, Event, EventKind, IncidentId, Lift, PhoneNumber, Unit, UnitId, UnitKind,
};
use crate::paging::policy::{
    AttemptKey, Channel, ContactPlan, DeliveryLog, Lang, Outcome, PageFacts, PageRef, RetryPolicy,
    State, TokenBucket, Transition,
};
use crate::store::outbox::{Message, MessageChange, NewMessage, RingingPage};
use crate::store::{Store, StoreError};
use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, mpsc};

/// How long past the send deadline a claim's lease lasts.
const LEASE_MARGIN: Duration = Duration::from_secs(5);
/// How often the worker looks for due retries and expired claims.
const WORKER_TICK: Duration = Duration::from_millis(250);
/// The longest the pager sleeps without looking at the schedule.
const PAGER_IDLE: Duration = Duration::from_secs(1);
/// How old the units read from the registry may be.
const UNITS_FRESH: TimeDelta = TimeDelta::seconds(60);
/// Pages read per query.
const PAGE_BATCH: i64 = 1_000;
/// Delivery reports per desk command.
const REPORT_BATCH: usize = 512;
/// How long the reporter gathers delivery reports into one command. Each command is an append
/// the desk waits for: a quarter second keeps a storm's answers to a few appends a second, still
/// far inside the shortest fallback delay of a contact plan.
const REPORT_WINDOW: Duration = Duration::from_millis(250);
/// Why an expired claim is failed.
const UNKNOWN: &str = "the send was interrupted (the service stopped or the gateway hung past \
                       the lease): outcome unknown, not sent again";

/// Contact plans by unit kind.
#[derive(Debug, Clone)]
struct Plans {
    default: ContactPlan,
    by_kind: HashMap<UnitKind, ContactPlan>,
}

impl Plans {
    fn new(s: &NotifySettings) -> anyhow::Result<Self> {
        let default = ContactPlan::parse(&s.plan).context("notify.plan")?;
        let mut by_kind = HashMap::new();
        for (kind, plan) in &s.plans {
            let k = UnitKind::ALL
                .into_iter()
                .find(|k| k.as_str() == kind)
                .with_context(|| {
                    format!("notify.plans.{kind}: not a unit kind (maintainer, property_staff, fire_rescue)")
                })?;
            by_kind.insert(
                k,
                ContactPlan::parse(plan).with_context(|| format!("notify.plans.{kind}"))?,
            );
        }
        Ok(Plans { default, by_kind })
    }

    fn of(&self, kind: UnitKind) -> &ContactPlan {
        self.by_kind.get(&kind).unwrap_or(&self.default)
    }

    /// The unit's own plan from its record, else its kind's. The registry checks a plan when it
    /// is stored, so one that does not parse here was written around it: it is logged and the
    /// kind's is used.
    fn of_unit(&self, unit: &Unit) -> std::borrow::Cow<'_, ContactPlan> {
        if let Some(text) = &unit.contact_plan {
            match ContactPlan::parse(text) {
                Ok(plan) => return std::borrow::Cow::Owned(plan),
                Err(e) => tracing::warn!(
                    unit = unit.id.0,
                    error = %e,
                    "the unit's contact plan does not parse; its kind's is used"
                ),
            }
        }
        std::borrow::Cow::Borrowed(self.of(unit.kind))
    }
}

/// The delivery side, shared by its tasks and the receipts endpoint.
#[derive(Clone)]
pub struct Paging {
    inner: Arc<Inner>,
}

/// A [`Paging`] that does not keep it alive: for the desk's sink, since paging holds the desk
/// (a strong reference there would keep the desk from ever stopping).
#[derive(Clone)]
pub struct WeakPaging(std::sync::Weak<Inner>);

impl WeakPaging {
    /// The paging, while it runs.
    pub fn upgrade(&self) -> Option<Paging> {
        self.0.upgrade().map(|inner| Paging { inner })
    }
}

impl Paging {
    /// A handle that does not keep paging alive.
    pub fn downgrade(&self) -> WeakPaging {
        WeakPaging(Arc::downgrade(&self.inner))
    }
}

struct Inner {
    store: Arc<dyn Store>,
    gateways: Gateways,
    settings: NotifySettings,
    plans: Plans,
    policy: RetryPolicy,
    lang: Lang,
    clock: Clock,
    desk: DeskHandle,
    reports: mpsc::UnboundedSender<DeliveryReport>,
    /// Calls in flight, `max_in_flight` a channel: a gateway that hangs holds its own
    /// channel's slots until their deadlines, never another channel's.
    slots: HashMap<Channel, Arc<Semaphore>>,
    buckets: Mutex<HashMap<Channel, TokenBucket>>,
    retry_wake: Notify,
    /// The registry's units as the pager last read them (the first messages of new pages are
    /// decided from it, without a read on the way).
    directory: Mutex<Directory>,
    /// The registry's units were edited: the pager reads them again before its next page. Not
    /// derivable from `directory` (emptied at the edit too): a read begun before the edit
    /// committed may refill it with the old units, and this still says to read again.
    units_changed: std::sync::atomic::AtomicBool,
}

/// Units by id, and when they were read.
#[derive(Default, Clone)]
struct Directory {
    read: Option<DateTime<Utc>>,
    units: Arc<HashMap<UnitId, Unit>>,
}

/// The running delivery tasks.
pub struct PagingTasks {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl PagingTasks {
    /// Stops the pager and the worker; sends in flight finish or run out their lease.
    pub async fn stop(self) {
        for t in &self.tasks {
            t.abort();
        }
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// What a receipt says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptStatus {
    /// It reached the phone.
    Delivered,
    /// The person opened it.
    Read,
    /// It could not be delivered.
    Failed(String),
    /// The person replied (SMS): "1" accepts, "2" declines.
    Reply(String),
}

impl ReceiptStatus {
    /// A gateway's receipt status (`delivered`, `read`, `failed` with its error, `reply` with
    /// the text), or why it is not one.
    pub fn parse(status: &str, error: &str, text: &str) -> Result<Self, String> {
        Ok(match status {
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "failed" if error.trim().is_empty() => {
                Self::Failed("the gateway reported a failure".into())
            }
            "failed" => Self::Failed(error.chars().take(500).collect()),
            "reply" => Self::Reply(text.to_owned()),
            other => {
                return Err(format!(
                    "status {other:?}: expected delivered, read, failed or reply"
                ));
            }
        })
    }
}

/// What a receipt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptResult {
    /// Recorded on the message and the timeline.
    Recorded {
        /// The message's status now.
        status: String,
    },
    /// A reply turned into the unit's acceptance or decline.
    Acknowledged {
        /// `accepted` or `declined`.
        action: &'static str,
    },
    /// The message has this outcome already (its receipt came before): nothing recorded.
    Repeated {
        /// The message's status.
        status: String,
    },
    /// No message of this channel has that id.
    UnknownMessage,
}

/// Why a receipt was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// The reply is not one the page offered.
    #[error("reply {0:?} is neither 1 (accept) nor 2 (decline)")]
    BadReply(String),
    /// The desk refused the acknowledgement.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The desk stopped.
    #[error("the dispatch desk is not running")]
    Stopped,
    /// The message kept changing under the receipt.
    #[error("the message is being updated; send the receipt again")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the `[notify]` settings make, checked: what the pager needs besides the store.
struct Checked {
    plans: Plans,
    lang: Lang,
    buckets: HashMap<Channel, TokenBucket>,
}

/// Checks the `[notify]` settings without starting anything (the server does before it opens
/// the database, so a bad setting stops it with nothing written).
pub fn check(settings: &NotifySettings) -> anyhow::Result<()> {
    checked(settings).map(|_| ())
}

fn checked(settings: &NotifySettings) -> anyhow::Result<Checked> {
    let plans = Plans::new(settings)?;
    let lang = match settings.lang.as_str() {
        "zh" => Lang::Zh,
        "en" => Lang::En,
        other => anyhow::bail!("notify.lang {other:?}: use zh or en"),
    };
    anyhow::ensure!(
        settings.max_attempts >= 1 && settings.max_in_flight >= 1,
        "notify.max_attempts and notify.max_in_flight must be at least 1"
    );
    anyhow::ensure!(
        (1..=300).contains(&settings.send_deadline_secs),
        "notify.send_deadline_secs must be 1 to 300"
    );
    anyhow::ensure!(
        settings.retry_max_delay_secs <= 3_600 && settings.retry_first_ms <= 3_600_000,
        "notify.retry_first_ms and notify.retry_max_delay_secs must be at most an hour"
    );
    anyhow::ensure!(
        settings.retry_factor.is_finite() && settings.retry_factor >= 1.0,
        "notify.retry_factor must be 1 or more"
    );
    Gateways::check(settings)?;
    let mut buckets = HashMap::new();
    for (channel, per_second) in [
        (Channel::Sms, settings.sms.as_ref().map(|g| g.per_second)),
        (
            Channel::Voice,
            settings.voice.as_ref().map(|g| g.per_second),
        ),
        (
            Channel::Webhook,
            settings.webhook.as_ref().map(|g| g.per_second),
        ),
        (Channel::Push, settings.push.as_ref().map(|g| g.per_second)),
    ] {
        if let Some(r) = per_second {
            let burst = r.ceil().clamp(1.0, 1_000.0) as u32;
            let bucket = TokenBucket::new(r, burst)
                .with_context(|| format!("notify.{channel}.per_second"))?;
            buckets.insert(channel, bucket);
        }
    }
    Ok(Checked {
        plans,
        lang,
        buckets,
    })
}

/// Checks the settings, then starts the pager, the retry worker and the reporter.
pub fn spawn(
    settings: &NotifySettings,
    store: Arc<dyn Store>,
    desk: DeskHandle,
    clock: Clock,
) -> anyhow::Result<(Paging, PagingTasks)> {
    let Checked {
        plans,
        lang,
        buckets,
    } = checked(settings)?;
    let gateways = Gateways::new(settings, store.clone())?;
    if buckets.is_empty() {
        tracing::warn!(
            "no notification gateway is configured ([notify.sms], [notify.voice], [notify.push], \
             [notify.webhook]): pages reach crews only through the crew page"
        );
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let paging = Paging {
        inner: Arc::new(Inner {
            store,
            gateways,
            plans,
            policy: RetryPolicy {
                first: Duration::from_millis(settings.retry_first_ms),
                factor: settings.retry_factor,
                max_delay: Duration::from_secs(settings.retry_max_delay_secs),
                max_attempts: settings.max_attempts,
            },
            lang,
            clock,
            desk: desk.clone(),
            reports: tx,
            slots: Channel::ALL
                .into_iter()
                .map(|c| (c, Arc::new(Semaphore::new(settings.max_in_flight))))
                .collect(),
            buckets: Mutex::new(buckets),
            retry_wake: Notify::new(),
            directory: Mutex::default(),
            units_changed: Default::default(),
            settings: settings.clone(),
        }),
    };
    let feed = desk.subscribe();
    let tasks = vec![
        tokio::spawn(report(rx, desk)),
        tokio::spawn(Pager::new(paging.clone()).run(feed)),
        tokio::spawn(paging.clone().work()),
    ];
    Ok((paging, PagingTasks { tasks }))
}

/// Forwards delivery reports to the desk in batches, in the order they came.
async fn report(mut rx: mpsc::UnboundedReceiver<DeliveryReport>, desk: DeskHandle) {
    while let Some(first) = rx.recv().await {
        // Gather what else comes within REPORT_WINDOW: one append for a burst of answers
        // rather than one each, so the record keeps up without holding up alarms.
        let mut reports = vec![first];
        let until = tokio::time::Instant::now() + REPORT_WINDOW;
        while reports.len() < REPORT_BATCH {
            match tokio::time::timeout_at(until, rx.recv()).await {
                Ok(Some(r)) => reports.push(r),
                _ => break,
            }
        }
        let n = reports.len();
        match desk.submit(Command::Deliveries { reports }).await {
            Ok(_) => {}
            Err(DeskError::Stopped) => return,
            Err(e) => tracing::error!(error = %e, reports = n, "delivery reports not recorded"),
        }
    }
}

impl Paging {
    /// The VAPID public key crew phones subscribe with, when push is configured.
    pub fn vapid_public_key(&self) -> Option<String> {
        self.inner.gateways.vapid_public_key()
    }

    fn report(&self, m: &Message, status: &str, detail: String) {
        let _ = self.inner.reports.send(DeliveryReport {
            incident: m.incident,
            unit: m.unit,
            step: m.step.clone(),
            message: m.dedupe_key.clone(),
            channel: m.channel.clone(),
            status: status.to_owned(),
            detail,
        });
    }

    fn lease_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let lease = Duration::from_secs(self.inner.settings.send_deadline_secs) + LEASE_MARGIN;
        now + TimeDelta::from_std(lease).unwrap_or(TimeDelta::seconds(15))
    }

    /// The page's texts for every channel and its facts (what a webhook receives).
    fn render(
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

    /// Units were edited in the registry (phone numbers, contact plans): the next page uses
    /// them, not the copy read up to a minute ago.
    pub fn units_changed(&self) {
        let i = &self.inner;
        i.directory.lock().unwrap_or_else(|p| p.into_inner()).read = None;
        i.units_changed
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// The unit's contact plan (its own, else its kind's) cut to the channels it can be reached
    /// on: a gateway configured and, for SMS and voice, a phone number, for push a subscription.
    fn reachable_plan(&self, unit: &Unit, has_push: bool) -> Option<ContactPlan> {
        let i = &self.inner;
        let has_phone = unit.phone.is_some();
        i.plans.of_unit(unit).only(|c| {
            i.gateways.has(c)
                && match c {
                    Channel::Sms | Channel::Voice => has_phone,
                    Channel::Push => has_push,
                    Channel::Webhook => true,
                }
        })
    }

    /// Where a message on `channel` to `unit` goes: its phone, its push subscriptions (looked
    /// up when sending) or the webhook.
    fn recipient(&self, channel: Channel, unit: UnitId, phone: Option<&PhoneNumber>) -> String {
        match channel {
            Channel::Sms | Channel::Voice => phone.map(ToString::to_string).unwrap_or_default(),
            Channel::Push => format!("unit:{}", unit.0),
            Channel::Webhook => self
                .inner
                .settings
                .webhook
                .as_ref()
                .map(|w| settings::shown_url(&w.url).into_owned())
                .unwrap_or_default(),
        }
    }

    /// What a call on `channel` needs to start now: one of the channel's in-flight slots and a
    /// token of its rate limit; `None` when either is lacking (a slot taken is given back).
    fn slot(
        &self,
        channel: Channel,
        now: DateTime<Utc>,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let slot = self
            .inner
            .slots
            .get(&channel)
            .and_then(|s| s.clone().try_acquire_owned().ok())?;
        let mut b = self.inner.buckets.lock().unwrap_or_else(|p| p.into_inner());
        b.get_mut(&channel)
            .is_some_and(|b| b.take(now).is_ok())
            .then_some(slot)
    }

    /// Sends a claimed message in its own task, holding one in-flight slot.
    fn dispatch(&self, m: Message, slot: tokio::sync::OwnedSemaphorePermit) {
        let this = self.clone();
        tokio::spawn(async move {
            this.send(m).await;
            drop(slot);
        });
    }

    async fn send(&self, m: Message) {
        let i = &self.inner;
        let result = i.gateways.send(&m, i.clock.now()).await;
        let now = i.clock.now();
        let attempts = u32::try_from(m.attempts).unwrap_or(1);
        let t = policy::next(
            State::Sending,
            result.outcome.clone(),
            now,
            attempts,
            &i.policy,
            fastrand::f64(),
        );
        let (to, next_at, error, word, detail) = match &t {
            Transition::Sent => (
                "sent",
                None,
                None,
                "sent",
                result
                    .gateway_ref
                    .as_ref()
                    .map(|r| format!("gateway id {r}"))
                    .unwrap_or_default(),
            ),
            Transition::Delivered => ("delivered", None, None, "delivered", String::new()),
            Transition::Retry { at, error } => (
                "pending",
                Some(*at),
                Some(error.clone()),
                "retrying",
                format!(
                    "attempt {attempts} failed: {error}; next at {}",
                    at.format("%H:%M:%S%.3fZ")
                ),
            ),
            Transition::GiveUp { error } => {
                ("failed", None, Some(error.clone()), "failed", error.clone())
            }
            Transition::Unchanged => return,
        };
        let change = MessageChange {
            id: m.id,
            from: "sending",
            to,
            next_attempt_at: next_at,
            error,
            gateway_ref: result.gateway_ref.clone(),
            at: now,
        };
        let reached = (to == "delivered").then_some((m.page_id, m.channel.as_str()));
        match i.store.change_message(&change, reached).await {
            Ok(true) => {
                self.report(&m, word, detail);
                if to == "pending" {
                    i.retry_wake.notify_one();
                }
            }
            Ok(false) => {} // a receipt came first, or the lease ran out
            Err(e) => {
                tracing::error!(error = %e, message = %m.dedupe_key, "a send's outcome was not stored")
            }
        }
    }

    /// The retry worker: claims due `pending` messages per channel as tokens and slots allow,
    /// and fails claims whose lease ran out.
    async fn work(self) {
        let i = &self.inner;
        let channels: Vec<Channel> = Channel::ALL
            .into_iter()
            .filter(|c| i.gateways.has(*c))
            .collect();
        if channels.is_empty() {
            return;
        }
        let mut last_expiry: Option<DateTime<Utc>> = None;
        loop {
            let _ = tokio::time::timeout(WORKER_TICK, i.retry_wake.notified()).await;
            let now = i.clock.now();
            if last_expiry.is_none_or(|t| now - t >= TimeDelta::seconds(2)) {
                last_expiry = Some(now);
                match i.store.expire_sends(now, UNKNOWN).await {
                    Ok(expired) => {
                        for m in expired {
                            tracing::warn!(message = %m.dedupe_key, "{UNKNOWN}");
                            self.report(&m, "unknown", UNKNOWN.into());
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "expired sends not checked"),
                }
            }
            for &channel in &channels {
                // A read first: tokens and slots are taken only for what is due, and an idle
                // worker writes nothing.
                let due = match i.store.due_count(channel.as_str(), now).await {
                    Ok(n) => n.clamp(0, 64) as usize,
                    Err(e) => {
                        tracing::error!(error = %e, %channel, "due messages not counted");
                        continue;
                    }
                };
                let mut slots = Vec::new();
                while slots.len() < due {
                    let Some(slot) = self.slot(channel, now) else {
                        break;
                    };
                    slots.push(slot);
                }
                if slots.is_empty() {
                    continue;
                }
                let claimed = i
                    .store
                    .claim_messages(
                        channel.as_str(),
                        now,
                        self.lease_until(now),
                        slots.len() as i64,
                    )
                    .await;
                match claimed {
                    Ok(ms) => {
                        for (m, slot) in ms.into_iter().zip(slots) {
                            self.dispatch(m, slot);
                        }
                    }
                    Err(e) => tracing::error!(error = %e, %channel, "claiming due messages failed"),
                }
            }
        }
    }

    /// Records a gateway's receipt for the `channel` message with our dedupe key or the
    /// gateway's id `reference`.
    pub async fn receipt(
        &self,
        channel: Channel,
        reference: &str,
        status: ReceiptStatus,
    ) -> Result<ReceiptResult, ReceiptError> {
        let i = &self.inner;
        let word = match &status {
            ReceiptStatus::Read => "read",
            ReceiptStatus::Failed(_) => "failed",
            _ => "delivered",
        };
        let detail = match &status {
            ReceiptStatus::Failed(e) => format!("receipt: {e}"),
            _ => "receipt".into(),
        };
        // The send's own answer may move the message between the read and the write: then
        // read it again and decide anew (a few times at most).
        for _ in 0..5 {
            let Some(m) = i.store.find_message(channel.as_str(), reference).await? else {
                return Ok(ReceiptResult::UnknownMessage);
            };
            let outcome = match &status {
                ReceiptStatus::Reply(text) => return self.reply(&m, text).await,
                ReceiptStatus::Delivered | ReceiptStatus::Read => Outcome::Delivered,
                ReceiptStatus::Failed(e) => Outcome::Failed {
                    retryable: false,
                    error: e.clone(),
                },
            };
            // Every receipt goes on the record, whatever it changes (a cancelled message has
            // no delivery state to change).
            let Some(state) = State::parse(&m.status) else {
                self.report(&m, word, detail);
                return Ok(ReceiptResult::Recorded { status: m.status });
            };
            let attempts = u32::try_from(m.attempts).unwrap_or(1);
            let now = i.clock.now();
            let t = policy::next(state, outcome, now, attempts, &i.policy, fastrand::f64());
            let to = t.state(state);
            // The outcome the message already has, again (a batch resent after a 503, a
            // receipt per SMS segment): on the record once.
            if t == Transition::Unchanged && word == m.status {
                return Ok(ReceiptResult::Repeated { status: m.status });
            }
            if t != Transition::Unchanged {
                let (error, next_attempt_at) = match &t {
                    Transition::GiveUp { error } => (Some(error.clone()), None),
                    Transition::Retry { at, error } => (Some(error.clone()), Some(*at)),
                    _ => (None, None),
                };
                let change = MessageChange {
                    id: m.id,
                    from: state.as_str(),
                    to: to.as_str(),
                    next_attempt_at,
                    error,
                    gateway_ref: None,
                    at: now,
                };
                let reached = (to == State::Delivered).then_some((m.page_id, m.channel.as_str()));
                if !i.store.change_message(&change, reached).await? {
                    continue;
                }
            }
            self.report(&m, word, detail);
            return Ok(ReceiptResult::Recorded {
                status: to.as_str().to_owned(),
            });
        }
        Err(ReceiptError::Busy)
    }

    async fn reply(&self, m: &Message, text: &str) -> Result<ReceiptResult, ReceiptError> {
        let (action, word) = match text.trim() {
            policy::message::REPLY_ACCEPT => (CrewAction::Accept { eta_secs: None }, "accepted"),
            policy::message::REPLY_DECLINE => (
                CrewAction::Decline {
                    reason: format!("declined by {} reply", m.channel),
                },
                "declined",
            ),
            other => return Err(ReceiptError::BadReply(other.to_owned())),
        };
        let cmd = Command::Crew {
            unit: m.unit,
            incident: m.incident,
            action,
        };
        match self.inner.desk.submit(cmd).await {
            Ok(_) => Ok(ReceiptResult::Acknowledged { action: word }),
            Err(DeskError::Rejected(r)) => match self.page_state(m).await {
                // The same answer again (a provider redelivering the reply, or the crew page
                // got there first): the page already says it.
                Some(state) if answered_by(&state) == Some(word) => {
                    Ok(ReceiptResult::Repeated { status: state })
                }
                _ => Err(ReceiptError::Rejected(r)),
            },
            Err(_) => Err(ReceiptError::Stopped),
        }
    }

    /// Where the page `m` belongs to stands on the desk (`pending`, `accepted`, `en_route`,
    /// `declined` …), if the desk holds its incident.
    async fn page_state(&self, m: &Message) -> Option<String> {
        let view = self.inner.desk.view(m.incident).await.ok()??;
        let step = view.steps.into_iter().find(|s| s.step == m.step)?;
        let page = step.pages.into_iter().rev().find(|p| p.unit == m.unit)?;
        Some(page.state)
    }
}

/// The reply a page in the desk's view `state` has had: `accepted` for a page accepted and
/// perhaps moved on since (any crew status), `declined`; `None` for one with no answer.
fn answered_by(state: &str) -> Option<&'static str> {
    use crate::domain::CrewStatus::{Accepted, EnRoute, OnScene, Released};
    if [Accepted, EnRoute, OnScene, Released]
        .iter()
        .any(|s| s.as_str() == state)
    {
        Some("accepted")
    } else {
        (state == "declined").then_some("declined")
    }
}

/// A page on the pager's schedule.
struct Ringing {
    page: RingingPage,
    ack_due: DateTime<Utc>,
    log: DeliveryLog,
    /// When the schedule looks at it next.
    next_at: DateTime<Utc>,
    /// The rendered page (after the first message).
    body: Option<serde_json::Value>,
}

/// Which page a ringing outbox row is.
fn page_ref(p: &RingingPage) -> PageRef {
    PageRef {
        incident: p.incident,
        step: p.step.clone(),
        unit: p.unit,
        page_no: p.page_no,
    }
}

/// Turns ringing pages into messages as their units' contact plans fall due.
struct Pager {
    paging: Paging,
    pages: HashMap<i64, Ringing>,
    schedule: BTreeSet<(DateTime<Utc>, i64)>,
    last_id: i64,
    /// The units as last read (shared with `Inner::directory`).
    units: Directory,
    push_units: HashMap<UnitId, bool>,
    /// What pages need to be written, learnt from the live feed (read from the incident's
    /// record instead when missing, e.g. after a restart).
    seen: HashMap<IncidentId, Seen>,
    /// A page was logged since the last read of the outbox.
    new_pages: bool,
    /// The ringing pages of each incident.
    by_incident: HashMap<IncidentId, BTreeSet<i64>>,
}

/// An incident as the feed showed it: its alarm and lift, its steps' levels, its pages.
struct Seen {
    alarm: Alarm,
    lift: Option<Lift>,
    /// When the operator attached `lift` (`None`: known from the opening). A page sent before
    /// then was sent without it and renders so.
    lift_since: Option<DateTime<Utc>>,
    levels: HashMap<String, u8>,
    pages: HashMap<(String, UnitId), Event>,
}

impl Pager {
    fn new(paging: Paging) -> Self {
        Pager {
            paging,
            pages: HashMap::new(),
            schedule: BTreeSet::new(),
            last_id: 0,
            units: Directory::default(),
            push_units: HashMap::new(),
            seen: HashMap::new(),
            new_pages: true,
            by_incident: HashMap::new(),
        }
    }

    async fn run(mut self, mut feed: tokio::sync::broadcast::Receiver<Event>) {
        use tokio::sync::broadcast::error::TryRecvError;
        if self
            .paging
            .inner
            .buckets
            .lock()
            .map(|b| b.is_empty())
            .unwrap_or(true)
        {
            return; // nothing to send with
        }
        let mut last_load = std::time::Instant::now();
        loop {
            // Phone numbers change: the units are read again at least every minute, also
            // while nothing rings (first messages are decided from them).
            let now = self.paging.inner.clock.now();
            if (self.edited()
                || self
                    .units
                    .read
                    .is_none_or(|t| now - t > UNITS_FRESH - TimeDelta::seconds(10)))
                && let Err(e) = self.read_units(now).await
            {
                tracing::warn!(error = %e, "the pager could not read the units");
            }
            // New pages show on the feed; a read every second also catches anything missed.
            if self.new_pages || last_load.elapsed() >= PAGER_IDLE {
                self.new_pages = false;
                last_load = std::time::Instant::now();
                if let Err(e) = self.load().await {
                    self.new_pages = true;
                    tracing::error!(error = %e, "ringing pages not read");
                }
            }
            let now = self.paging.inner.clock.now();
            if let Err(e) = self.round(now).await {
                tracing::error!(error = %e, "paging round failed");
            }
            let next = self.schedule.first().map(|(t, _)| *t);
            let wait = next
                .map(|t| {
                    (t - self.paging.inner.clock.now())
                        .to_std()
                        .unwrap_or_default()
                })
                .unwrap_or(PAGER_IDLE)
                .min(PAGER_IDLE);
            tokio::select! {
                e = feed.recv() => {
                    match e {
                        Ok(e) => self.on_event(&e),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => self.resync(),
                        Err(_) => return,
                    }
                    loop {
                        match feed.try_recv() {
                            Ok(e) => self.on_event(&e),
                            Err(TryRecvError::Lagged(_)) => self.resync(),
                            Err(TryRecvError::Empty) => break,
                            Err(TryRecvError::Closed) => return,
                        }
                    }
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Drops the schedule and reads every ringing page again (the feed lagged).
    fn resync(&mut self) {
        self.pages.clear();
        self.schedule.clear();
        self.by_incident.clear();
        self.last_id = 0;
        self.new_pages = true;
    }

    /// An acknowledgement, a missed deadline, a cancelled page or an ended incident takes the
    /// unit's pages off the schedule (the append already ended them in the store).
    fn on_event(&mut self, e: &Event) {
        let Some(id) = e.incident else { return };
        let unit = match &e.kind {
            EventKind::IncidentOpened { alarm, lift, .. } => {
                let seen = Seen {
                    alarm: alarm.clone(),
                    lift: lift.as_deref().cloned(),
                    lift_since: None,
                    levels: HashMap::new(),
                    pages: HashMap::new(),
                };
                self.seen.insert(id, seen);
                return;
            }
            EventKind::StepStarted { step } => {
                if let Some(s) = self.seen.get_mut(&id) {
                    s.levels.insert(step.id.as_str().to_owned(), step.level);
                }
                return;
            }
            // The operator identified the lift: later pages say where it is.
            EventKind::LiftAttached { lift, .. } => {
                if let Some(s) = self.seen.get_mut(&id) {
                    s.lift = Some((**lift).clone());
                    s.lift_since = Some(e.at);
                }
                return;
            }
            EventKind::UnitPaged { candidate, .. } => {
                self.new_pages = true;
                if let Some(s) = self.seen.get_mut(&id) {
                    let step = e.step.clone().unwrap_or_default();
                    s.pages.insert((step, candidate.unit), e.clone());
                }
                return;
            }
            // A delivered page needs no later channel (only its repeats); a channel that gave
            // up brings the plan's next one forward.
            EventKind::Delivery {
                message, status, ..
            } => {
                let Some(key) = AttemptKey::parse(message) else {
                    return;
                };
                let gave_up = status == "failed" || status == "unknown";
                for k in self.pages_of(&key.page) {
                    let Some(r) = self.pages.get_mut(&k) else {
                        continue;
                    };
                    match status.as_str() {
                        "delivered" | "read" => {
                            r.log.delivered_at.get_or_insert(e.at);
                        }
                        _ if gave_up => {
                            r.log.gave_up.insert(key.channel);
                            self.reschedule(k, e.at);
                        }
                        _ => {}
                    }
                }
                return;
            }
            EventKind::Accepted { unit, .. }
            | EventKind::Declined { unit }
            | EventKind::AckMissed { unit, .. }
            | EventKind::PageCancelled { unit } => Some(*unit),
            EventKind::Closed { .. } | EventKind::Cancelled | EventKind::FalseAlarm => {
                self.seen.remove(&id);
                None
            }
            _ => return,
        };
        let gone: Vec<i64> = self
            .by_incident
            .get(&id)
            .into_iter()
            .flatten()
            .copied()
            .filter(|k| unit.is_none_or(|u| self.pages.get(k).is_some_and(|r| r.page.unit == u)))
            .collect();
        for k in gone {
            self.drop_page(k);
        }
    }

    /// The ringing pages (ids) that are `page`.
    fn pages_of(&self, page: &PageRef) -> Vec<i64> {
        self.by_incident
            .get(&page.incident)
            .into_iter()
            .flatten()
            .copied()
            .filter(|k| {
                self.pages.get(k).is_some_and(|r| {
                    r.page.unit == page.unit
                        && r.page.step == page.step
                        && r.page.page_no == page.page_no
                })
            })
            .collect()
    }

    fn drop_page(&mut self, id: i64) {
        if let Some(r) = self.pages.remove(&id) {
            self.schedule.remove(&(r.next_at, id));
            if let Some(ids) = self.by_incident.get_mut(&r.page.incident) {
                ids.remove(&id);
                if ids.is_empty() {
                    self.by_incident.remove(&r.page.incident);
                }
            }
        }
    }

    /// Whether the registry's units were edited since the last look (see
    /// [`Paging::units_changed`]).
    fn edited(&self) -> bool {
        self.paging
            .inner
            .units_changed
            .swap(false, std::sync::atomic::Ordering::AcqRel)
    }

    /// Reads the registry's units, and shares them for deciding first messages.
    async fn read_units(&mut self, now: DateTime<Utc>) -> Result<(), String> {
        let i = &self.paging.inner;
        let units = i
            .store
            .units()
            .await
            .map_err(|e| format!("units not read: {e}"))?;
        self.units = Directory {
            read: Some(now),
            units: Arc::new(units.into_iter().map(|u| (u.id, u)).collect()),
        };
        *i.directory.lock().unwrap_or_else(|p| p.into_inner()) = self.units.clone();
        Ok(())
    }

    /// Reads pages logged since the last read.
    async fn load(&mut self) -> Result<(), StoreError> {
        loop {
            let batch = self
                .paging
                .inner
                .store
                .ringing_pages(self.last_id, PAGE_BATCH)
                .await?;
            let n = batch.len();
            for p in batch {
                self.last_id = self.last_id.max(p.id);
                self.add(p);
            }
            if n < PAGE_BATCH as usize {
                return Ok(());
            }
        }
    }

    fn add(&mut self, p: RingingPage) {
        if self.pages.contains_key(&p.id) {
            return;
        }
        let ack_due = p
            .payload
            .get("ack_due")
            .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok())
            .unwrap_or(p.paged_at);
        let mut attempted = BTreeSet::new();
        let mut delivered_at: Option<DateTime<Utc>> = None;
        let mut gave_up = BTreeSet::new();
        for (channel, n, status, at) in &p.messages {
            if let (Ok(c), Ok(n)) = (Channel::parse(channel), u32::try_from(*n)) {
                attempted.insert((c, n));
                if status == "failed" {
                    gave_up.insert(c);
                }
            }
            if status == "delivered" {
                delivered_at = Some(delivered_at.map_or(*at, |d| d.min(*at)));
            }
        }
        let log = DeliveryLog {
            attempted,
            delivered_at,
            gave_up,
            ..DeliveryLog::new(page_ref(&p))
        };
        let next_at = p.paged_at;
        self.schedule.insert((next_at, p.id));
        self.by_incident.entry(p.incident).or_default().insert(p.id);
        self.pages.insert(
            p.id,
            Ringing {
                page: p,
                ack_due,
                log,
                next_at,
                body: None,
            },
        );
    }

    /// The unit's plan cut to the channels it can be reached on: `Ok(None)` when it has none,
    /// `Err` when that cannot be known now (the registry did not answer, or the unit is not in
    /// it yet): the page is looked at again shortly.
    async fn plan_for(
        &mut self,
        unit: UnitId,
        now: DateTime<Utc>,
    ) -> Result<Option<ContactPlan>, String> {
        let i = self.paging.inner.clone();
        // Phone numbers change: the registry is read again at least every minute.
        let stale = self.edited() || self.units.read.is_none_or(|t| now - t > UNITS_FRESH);
        let missing = !self.units.units.contains_key(&unit)
            && self
                .units
                .read
                .is_none_or(|t| now - t > TimeDelta::seconds(2));
        if stale || missing {
            self.read_units(now).await?;
        }
        let Some(u) = self.units.units.get(&unit) else {
            return Err(format!("unit {} is not in the registry", unit.0));
        };
        let u = u.clone();
        let has_push = if i.gateways.has(Channel::Push) {
            match self.push_units.get(&unit) {
                Some(h) => *h,
                None => {
                    let h = i
                        .store
                        .push_subscriptions(unit)
                        .await
                        .map(|s| !s.is_empty())
                        .map_err(|e| format!("push subscriptions not read: {e}"))?;
                    self.push_units.insert(unit, h);
                    h
                }
            }
        } else {
            false
        };
        Ok(self.paging.reachable_plan(&u, has_push))
    }

    /// Puts a page back on the schedule at `at`.
    fn reschedule(&mut self, id: i64, at: DateTime<Utc>) {
        if let Some(r) = self.pages.get_mut(&id) {
            self.schedule.remove(&(r.next_at, id));
            r.next_at = at;
            self.schedule.insert((at, id));
        }
    }

    /// Creates the messages due by `now` and sends those it can at once.
    async fn round(&mut self, now: DateTime<Utc>) -> anyhow::Result<()> {
        let i = self.paging.inner.clone();
        let mut due_pages = Vec::new();
        while let Some(&(t, id)) = self.schedule.first() {
            if t > now {
                break;
            }
            self.schedule.pop_first();
            due_pages.push(id);
        }
        if due_pages.is_empty() {
            return Ok(());
        }
        let again = now + TimeDelta::seconds(2);
        self.push_units.clear();
        let mut new = Vec::new();
        let mut marks: Vec<(i64, Channel, u32)> = Vec::new();
        for id in due_pages {
            let Some(r) = self.pages.get(&id) else {
                continue;
            };
            if now >= r.ack_due {
                self.drop_page(id);
                continue;
            }
            let unit = r.page.unit;
            let plan = match self.plan_for(unit, now).await {
                Ok(Some(plan)) => plan,
                Ok(None) => {
                    tracing::warn!(
                        unit = unit.0,
                        page = id,
                        "the unit cannot be reached on any configured channel"
                    );
                    self.drop_page(id);
                    continue;
                }
                Err(e) => {
                    tracing::warn!(page = id, error = %e, "page held back; trying again");
                    self.reschedule(id, again);
                    continue;
                }
            };
            let attempts = match self.pages.get(&id) {
                Some(r) => policy::due_attempts(&plan, r.page.paged_at, now, r.ack_due, &r.log),
                None => continue,
            };
            // Nothing new to send (the first message went out with the page's own append):
            // the text is not needed yet.
            if !attempts.is_empty() && self.pages.get(&id).is_some_and(|r| r.body.is_none()) {
                let page = self.pages[&id].page.clone();
                match self.body(&page).await {
                    Ok(b) => {
                        if let Some(r) = self.pages.get_mut(&id) {
                            r.body = Some(b);
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, page = id, "page text not rendered; trying again");
                        self.reschedule(id, again);
                        continue;
                    }
                }
            }
            let phone = self.units.units.get(&unit).and_then(|u| u.phone.clone());
            let Some(r) = self.pages.get_mut(&id) else {
                continue;
            };
            for a in attempts {
                r.log.attempted.insert((a.channel, a.n));
                marks.push((id, a.channel, a.n));
                let recipient = self.paging.recipient(a.channel, unit, phone.as_ref());
                new.push(NewMessage {
                    page_id: id,
                    incident: r.page.incident,
                    step: r.page.step.clone(),
                    unit,
                    channel: a.channel.as_str().to_owned(),
                    n: i32::try_from(a.n).unwrap_or(i32::MAX),
                    dedupe_key: a.dedupe_key,
                    claim_until: None,
                    recipient,
                    body: crate::store::JsonText(r.body.clone().unwrap_or_default().to_string()),
                    at: now,
                });
            }
            match policy::next_due(&plan, r.page.paged_at, now, r.ack_due, &r.log) {
                Some(t) => {
                    r.next_at = t;
                    self.schedule.insert((t, id));
                }
                None => {
                    self.drop_page(id);
                }
            }
        }
        if new.is_empty() {
            return Ok(());
        }
        // Claimed at once where a slot and a token are free, the lease counted from now.
        let mut slots = Vec::with_capacity(new.len());
        let lease = self.paging.lease_until(i.clock.now());
        for n in &mut new {
            let channel = Channel::parse(&n.channel).unwrap_or(Channel::Sms);
            let slot = self.paging.slot(channel, now);
            if slot.is_some() {
                n.claim_until = Some(lease);
            }
            slots.push(slot);
        }
        let made = match i.store.insert_messages(&new).await {
            Ok(made) => made,
            Err(e) => {
                // Nothing was created: the attempts are due again in a moment.
                for (id, channel, n) in marks {
                    if let Some(r) = self.pages.get_mut(&id) {
                        r.log.attempted.remove(&(channel, n));
                    }
                    self.reschedule(id, again);
                }
                return Err(e.into());
            }
        };
        let mut by_key: HashMap<String, Message> = made
            .into_iter()
            .map(|m| (m.dedupe_key.clone(), m))
            .collect();
        for (n, slot) in new.iter().zip(slots) {
            match by_key.remove(&n.dedupe_key) {
                Some(m) if m.status == "sending" => {
                    if let Some(slot) = slot {
                        self.paging.dispatch(m, slot);
                    }
                }
                Some(_) => i.retry_wake.notify_one(),
                // Not created: another node made it first, or the page stopped ringing (its
                // acknowledgement takes it off the schedule when it reaches the feed).
                None => {}
            }
        }
        Ok(())
    }

    /// Renders a page from what the feed showed of its incident, or else from its record:
    /// the lift and alarm that opened it (or the lift the operator attached before the page),
    /// the step's level, the page event.
    async fn body(&self, p: &RingingPage) -> anyhow::Result<serde_json::Value> {
        let at = p
            .payload
            .get("at")
            .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok());
        if let Some(s) = self.seen.get(&p.incident)
            && let Some(e) = s.pages.get(&(p.step.clone(), p.unit))
            && Some(e.at) == at
        {
            let level = s.levels.get(&p.step).copied().unwrap_or(1);
            let lift = s
                .lift
                .as_ref()
                .filter(|_| s.lift_since.is_none_or(|t| e.at >= t));
            return self.paging.render(&page_ref(p), &s.alarm, lift, level, e);
        }
        let timeline = self.paging.inner.store.timeline(p.incident).await?;
        let seq = p.payload.get("event_seq").and_then(|v| v.as_i64());
        let mut opened = None;
        let mut attached = None;
        let mut level = 1;
        let mut paged = None;
        for s in &timeline {
            match &s.event.kind {
                EventKind::IncidentOpened { alarm, lift, .. } => opened = Some((alarm, lift)),
                // Only an attachment before the page: a page sent without the lift says so.
                EventKind::LiftAttached { lift, .. } if paged.is_none() => attached = Some(lift),
                EventKind::StepStarted { step } if step.id.as_str() == p.step => level = step.level,
                EventKind::UnitPaged { .. } if Some(s.seq) == seq => paged = Some(&s.event),
                _ => {}
            }
        }
        let (alarm, lift) = opened.context("the incident has no opening event")?;
        let lift = attached.or(lift.as_ref());
        let event = paged.context("the page event is not on the incident's record")?;
        self.paging
            .render(&page_ref(p), alarm, lift.map(|l| &**l), level, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_example_configuration_sets_up_every_gateway() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ops/liftrescue.example.toml");
        let settings = crate::config::Settings::load(Some(&path)).expect("the example loads");
        let n = &settings.notify;
        let plans = Plans::new(n).expect("its plans parse");
        assert_eq!(
            plans.of(UnitKind::FireRescue).steps()[0].channel,
            Channel::Voice
        );
        let store = crate::store::open("sqlite::memory:").await.unwrap();
        let g = Gateways::new(n, store).expect("its gateways check out");
        for c in [
            Channel::Push,
            Channel::Sms,
            Channel::Voice,
            Channel::Webhook,
        ] {
            assert!(g.has(c), "{c}");
        }
        assert!(g.vapid_public_key().is_some());
    }

    #[test]
    fn receipt_statuses_are_the_four_a_gateway_may_send() {
        let p = ReceiptStatus::parse;
        assert_eq!(p("delivered", "", ""), Ok(ReceiptStatus::Delivered));
        assert_eq!(p("read", "", ""), Ok(ReceiptStatus::Read));
        assert_eq!(
            p("failed", "", ""),
            Ok(ReceiptStatus::Failed(
                "the gateway reported a failure".into()
            ))
        );
        let long = "x".repeat(900);
        assert_eq!(
            p("failed", &long, ""),
            Ok(ReceiptStatus::Failed("x".repeat(500)))
        );
        assert_eq!(p("reply", "", "1"), Ok(ReceiptStatus::Reply("1".into())));
        assert!(p("bounced", "", "").unwrap_err().contains("bounced"));
    }

    #[tokio::test]
    async fn a_bad_gateway_setting_stops_the_start_with_its_name() {
        let store = crate::store::open("sqlite::memory:").await.unwrap();
        let mut n = NotifySettings {
            sms: Some(settings::HttpGatewaySettings::new("ftp://sms")),
            ..NotifySettings::default()
        };
        let e = Gateways::new(&n, store.clone()).err().unwrap().to_string();
        assert!(e.contains("notify.sms.url"), "{e}");
        if let Some(sms) = n.sms.as_mut() {
            sms.url = "http://sms.internal/send".into();
            sms.headers.insert("Bad Header".into(), "x".into());
        }
        let e = Gateways::new(&n, store).err().unwrap().to_string();
        assert!(e.contains("notify.sms.headers"), "{e}");
        n.plan = "fax:0s".into();
        assert!(Plans::new(&n).is_err());
    }
}
