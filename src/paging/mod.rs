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
mod pager;
mod plans;
pub mod policy;
mod receipts;
mod render;
mod reporter;
mod sender;
pub mod settings;

pub use first::FirstMessages;
pub use gateway::{Gateways, SendResult, push};
pub use receipts::{ReceiptError, ReceiptResult, ReceiptStatus};
pub use settings::NotifySettings;

use pager::Pager;
use plans::Plans;

use crate::desk::{Clock, DeskHandle};
use crate::dispatch::DeliveryReport;
use crate::domain::{PhoneNumber, Unit, UnitId};
use crate::paging::policy::{Channel, ContactPlan, Lang, RetryPolicy, TokenBucket};
use crate::store::Store;
use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, mpsc};

/// How long past the send deadline a claim's lease lasts.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

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
        tokio::spawn(reporter::report(rx, desk)),
        tokio::spawn(Pager::new(paging.clone()).run(feed)),
        tokio::spawn(paging.clone().work()),
    ];
    Ok((paging, PagingTasks { tasks }))
}

impl Paging {
    /// The VAPID public key crew phones subscribe with, when push is configured.
    pub fn vapid_public_key(&self) -> Option<String> {
        self.inner.gateways.vapid_public_key()
    }

    fn lease_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let lease = Duration::from_secs(self.inner.settings.send_deadline_secs) + LEASE_MARGIN;
        now + TimeDelta::from_std(lease).unwrap_or(TimeDelta::seconds(15))
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
            plans.of(crate::domain::UnitKind::FireRescue).steps()[0].channel,
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
