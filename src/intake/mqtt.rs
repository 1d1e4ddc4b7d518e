//! The MQTT adapter for lift IoT terminals (rumqttc): broker messages into the durable inbox.
//!
//! # Topics and QoS
//!
//! Terminals publish to `{prefix}/{device_id}/events` (one event, the JSON payload of
//! [`iot`](super::iot)) and `{prefix}/{device_id}/heartbeat` (empty or `{"at": …}`); the
//! prefix is `intake.mqtt_topic_prefix` (`lifts`). Both filters are subscribed with QoS 1
//! under a persistent session (clean session off, the fixed `intake.mqtt_client_id`).
//!
//! # The acknowledgement rule
//!
//! Acknowledgements are manual. A PUBLISH is acknowledged (PUBACK) only after its alarm is
//! committed to the inbox ([`Inbox::commit`] returned `Ok`), so a crash or a disconnect before
//! the commit makes the broker deliver it again; the inbox makes the second copy the same alarm
//! (channel `iot`, the payload's `alarm_id`). An alarm from a device no lift carries is still
//! accepted ([`LiftRef::Device`](crate::domain::LiftRef::Device)): the desk opens an incident
//! marked "lift unresolved". An unmapped fault code is accepted as a named fault and logged at
//! info.
//!
//! # Poison messages
//!
//! A message that can never be accepted — unknown topic, bad device id, malformed or truncated
//! JSON, a code out of range, any other refused field — is logged once at warn (topic, device,
//! error) and **acknowledged**: left unacknowledged, the broker would deliver it again after
//! every reconnect, for ever, and nothing we could do would ever change the answer. A store
//! failure (the database refused, or did not answer within `store.request_timeout`) is the
//! opposite case: it is logged at error and **not** acknowledged, and the commit is tried
//! again (1 s, doubling to 10 s) until it goes through, then acknowledged; if the process
//! stops meanwhile, the broker delivers the message again when the session reconnects. A
//! commit cut short by the deadline that lands later is harmless: the next try finds it by its
//! source id (`duplicate`).
//!
//! # Heartbeats
//!
//! The last heartbeat of each terminal is kept in memory and checked every
//! `heartbeat_interval_secs`; see [`supervision`] for when a terminal is offline. Going offline
//! and coming back are recorded through the desk ([`Recorder`]).
//!
//! # Reconnects
//!
//! When the broker goes away, [`connection::poll`] waits 1 s, doubling to 30 s, and tries
//! again; a CONNACK resets the wait and subscribes again. Messages are handled concurrently
//! (the broker's in-flight window bounds how many), each acknowledged on its own.

pub mod connection;
pub mod supervision;

pub use supervision::{Supervision, offline_devices};

use super::codes::CodeMap;
use super::iot::{self, Decoded, IotError, TopicKind};
use crate::config::IntakeSettings;
use crate::desk::Clock;
use crate::dispatch::EquipmentReport;
use crate::domain::DeviceId;
use crate::domain::NewAlarm;
use crate::inbox::Inbox;
use crate::store::StoreError;
use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use rumqttc::{AsyncClient, MqttOptions, Publish};
use std::sync::Arc;
use tokio::task::{JoinHandle, JoinSet};

/// First wait before an alarm the store did not take is tried again.
const RETRY_FIRST: std::time::Duration = std::time::Duration::from_secs(1);
/// Longest wait between tries of one alarm.
const RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(10);

/// Requests (acknowledgements, subscriptions) queued for the broker connection.
const REQUEST_CAPACITY: usize = 1024;

/// What one PUBLISH says, before anything is committed.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A checked alarm event.
    Event {
        /// The terminal (the alarm names its lift by it).
        device: DeviceId,
        /// The alarm and what the inbox does not keep.
        decoded: Box<Decoded>,
    },
    /// The terminal is alive, heard at `at` (our clock).
    Heartbeat {
        /// The terminal.
        device: DeviceId,
        /// When we received it.
        at: DateTime<Utc>,
    },
    /// It can never be accepted.
    Poison {
        /// The device named by the topic, as sent, if the topic had one.
        device: Option<String>,
        /// Why.
        error: IotError,
    },
}

/// What became of one PUBLISH.
#[derive(Debug)]
pub enum Outcome {
    /// The alarm is committed to the inbox.
    Accepted {
        /// The terminal.
        device: DeviceId,
        /// The source's alarm id.
        alarm_id: String,
        /// The inbox already had it.
        duplicate: bool,
        /// The source's fault code.
        code: u16,
        /// False: the code map does not know the code (kept as a named fault).
        mapped: bool,
    },
    /// A heartbeat, recorded by supervision.
    Heartbeat {
        /// The terminal.
        device: DeviceId,
        /// When we received it.
        at: DateTime<Utc>,
    },
    /// Refused for good: acknowledged so the broker does not deliver it again.
    Rejected {
        /// The device named by the topic, if any.
        device: Option<String>,
        /// Why.
        error: IotError,
    },
    /// The store failed: not acknowledged, the broker delivers it again.
    Retry {
        /// The terminal.
        device: DeviceId,
        /// The source's alarm id.
        alarm_id: String,
        /// The store's error.
        error: StoreError,
    },
}

impl Outcome {
    /// Whether to acknowledge the PUBLISH: everything but a store failure.
    pub fn ack(&self) -> bool {
        !matches!(self, Outcome::Retry { .. })
    }

    /// The one log line for this message (nothing for an ordinary heartbeat or alarm).
    fn log(&self, topic: &str) {
        match self {
            Outcome::Accepted { mapped: true, .. } | Outcome::Heartbeat { .. } => {}
            Outcome::Accepted {
                device,
                alarm_id,
                code,
                mapped: false,
                ..
            } => {
                tracing::info!(topic, %device, alarm_id, code, "unmapped fault code kept as a named fault")
            }
            Outcome::Rejected { device, error } => tracing::warn!(
                topic, device, %error, "MQTT message refused and acknowledged (it can never be accepted)"
            ),
            Outcome::Retry {
                device,
                alarm_id,
                error,
            } => tracing::error!(
                topic, %device, alarm_id, %error, "MQTT alarm not committed: left unacknowledged for redelivery"
            ),
        }
    }
}

/// Reads one PUBLISH: the topic under `prefix`, then the event or the heartbeat. Pure.
pub fn classify(
    prefix: &str,
    topic: &str,
    payload: &[u8],
    codes: &CodeMap,
    now: DateTime<Utc>,
) -> Message {
    let (device, kind) = match parse_topic(prefix, topic) {
        Ok(parsed) => parsed,
        Err(error) => {
            let device = topic_device(prefix, topic);
            return Message::Poison { device, error };
        }
    };
    let poison = |error| Message::Poison {
        device: Some(device.to_string()),
        error,
    };
    match kind {
        TopicKind::Events => match iot::decode_event(&device, payload, codes, now) {
            Ok(decoded) => Message::Event {
                device,
                decoded: Box::new(decoded),
            },
            Err(error) => poison(error),
        },
        TopicKind::Heartbeat => match iot::decode_heartbeat(payload, now) {
            Ok(_) => Message::Heartbeat { device, at: now },
            Err(error) => poison(error),
        },
    }
}

/// `{prefix}/{device_id}/events|heartbeat`, read by [`iot::parse_topic`] under its own prefix.
fn parse_topic(prefix: &str, topic: &str) -> Result<(DeviceId, TopicKind), IotError> {
    let unknown = || IotError::UnknownTopic(topic.to_owned());
    let rest = topic
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(unknown)?;
    iot::parse_topic(&format!("lifts/{rest}")).map_err(|e| match e {
        IotError::UnknownTopic(_) => unknown(),
        e => e,
    })
}

/// The device segment of a topic that could not be parsed, for the log line.
fn topic_device(prefix: &str, topic: &str) -> Option<String> {
    let rest = topic.strip_prefix(prefix)?.strip_prefix('/')?;
    rest.split('/').next().map(str::to_owned)
}

/// Where an accepted alarm is committed: the inbox, or a stand-in in tests.
pub(crate) trait AlarmSink {
    /// Commits `alarm`; `Ok(duplicate)` once it is durable.
    fn commit(
        &self,
        alarm: &NewAlarm,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

impl AlarmSink for Inbox {
    async fn commit(&self, alarm: &NewAlarm, now: DateTime<Utc>) -> Result<bool, StoreError> {
        // Durable is all an acknowledgement needs; waiting for the incident would back the
        // broker's queue up behind a busy desk.
        Ok(Inbox::commit(self, alarm, now).await?.duplicate)
    }
}

/// The decision for one message: commit an event, pass a heartbeat on, refuse poison.
pub(crate) async fn process(
    message: Message,
    sink: &impl AlarmSink,
    now: DateTime<Utc>,
) -> Outcome {
    let (device, decoded) = match message {
        Message::Event { device, decoded } => (device, decoded),
        Message::Heartbeat { device, at } => return Outcome::Heartbeat { device, at },
        Message::Poison { device, error } => return Outcome::Rejected { device, error },
    };
    // Two terminals counting 1, 2, 3 … stay apart: the alarm id is scoped by the device.
    let (code, mapped) = (decoded.code, decoded.mapped);
    let alarm = decoded.into_alarm(device.as_str());
    let alarm_id = alarm.source_alarm_id.clone();
    match sink.commit(&alarm, now).await {
        Ok(duplicate) => Outcome::Accepted {
            device,
            alarm_id,
            duplicate,
            code,
            mapped,
        },
        Err(error) => Outcome::Retry {
            device,
            alarm_id,
            error,
        },
    }
}

/// [`process`], logged, and tried again while the store fails (1 s, doubling to 10 s) until
/// the outcome may be acknowledged. Unacknowledged, the message would come again only after a
/// reconnect, which a database outage does not cause; meanwhile the broker keeps it, so a
/// crash loses nothing either.
pub(crate) async fn process_until_taken(
    message: Message,
    sink: &impl AlarmSink,
    now: DateTime<Utc>,
    topic: &str,
) -> Outcome {
    let mut outcome = process(message.clone(), sink, now).await;
    outcome.log(topic);
    let mut wait = RETRY_FIRST;
    while !outcome.ack() {
        tokio::time::sleep(wait).await;
        wait = connection::next_backoff(wait).min(RETRY_MAX);
        outcome = process(message.clone(), sink, now).await;
        if outcome.ack() {
            tracing::info!(topic, "MQTT alarm committed after the store recovered");
        }
    }
    outcome
}

/// The MQTT intake, built from settings; [`MqttIntake::run`] runs it.
pub struct MqttIntake {
    options: MqttOptions,
    prefix: String,
    codes: Arc<CodeMap>,
    interval: TimeDelta,
    misses: u32,
}

impl MqttIntake {
    /// The intake `settings` describe, or `None` when `mqtt_url` is unset.
    pub fn from_settings(settings: &IntakeSettings) -> anyhow::Result<Option<Self>> {
        let Some(url) = &settings.mqtt_url else {
            return Ok(None);
        };
        let options = connection::options(url, &settings.mqtt_client_id)?;
        let secs = i64::try_from(settings.heartbeat_interval_secs.max(1)).unwrap_or(i64::MAX);
        Ok(Some(MqttIntake {
            options,
            prefix: settings.mqtt_topic_prefix.trim_end_matches('/').to_owned(),
            codes: Arc::new(CodeMap::load(&settings.mqtt_codes)?),
            interval: TimeDelta::try_seconds(secs).unwrap_or(TimeDelta::MAX),
            misses: settings.heartbeat_misses,
        }))
    }

    /// The two subscription filters.
    pub fn filters(&self) -> Vec<String> {
        iot::SUBSCRIPTIONS
            .iter()
            .map(|f| format!("{}{}", self.prefix, f.trim_start_matches("lifts")))
            .collect()
    }

    /// Runs until aborted: messages into `inbox`, heartbeats into supervision, supervision's
    /// transitions to the desk.
    pub async fn run(self, inbox: Inbox, clock: Clock, record: Recorder) {
        let (client, eventloop) = AsyncClient::new(self.options.clone(), REQUEST_CAPACITY);
        let (tx, mut rx) = tokio::sync::mpsc::channel(REQUEST_CAPACITY);
        let poller = connection::poll(eventloop, client.clone(), self.filters(), tx);
        let _poller = AbortOnDrop(tokio::spawn(poller));
        let handler = Arc::new(Handler {
            prefix: self.prefix,
            codes: self.codes,
            inbox,
            clock,
            client,
        });
        let mut supervision = Supervision::new(self.interval, self.misses);
        let mut tick = tokio::time::interval(self.interval.to_std().unwrap_or_default());
        let mut tasks = JoinSet::new();
        loop {
            tokio::select! {
                Some(publish) = rx.recv() => {
                    let handler = handler.clone();
                    tasks.spawn(async move { handler.handle(publish).await });
                }
                Some(Ok(Outcome::Heartbeat { device, at })) = tasks.join_next() => {
                    if supervision.heartbeat(device.clone(), at) {
                        tracing::warn!(%device, "terminal back online: heartbeats resumed");
                        record.report(device, EquipmentReport::Online);
                    }
                }
                _ = tick.tick() => supervise(&mut supervision, clock.now(), &record),
            }
        }
    }
}

/// Records every terminal that went offline since the last check (once per transition).
fn supervise(supervision: &mut Supervision, now: DateTime<Utc>, record: &Recorder) {
    for device in supervision.check(now) {
        tracing::warn!(%device, "terminal offline: heartbeats missed");
        let last_seen = supervision.last_seen(&device);
        record.report(device, EquipmentReport::Offline { last_seen });
    }
}

/// Puts terminals' supervision reports on the record: resolves the lift, then the desk decides.
#[derive(Clone)]
pub struct Recorder {
    /// The registry, to find the terminal's lift.
    pub store: Arc<dyn crate::store::Store>,
    /// The desk that records the report.
    pub desk: crate::desk::DeskHandle,
}

impl Recorder {
    /// Sends one report on its way without holding up the MQTT loop (failures are logged).
    fn report(&self, device: DeviceId, report: EquipmentReport) {
        let (store, desk) = (self.store.clone(), self.desk.clone());
        tokio::spawn(async move {
            let lift_ref = crate::domain::LiftRef::Device(device.clone());
            let lift = store
                .find_lift(&lift_ref)
                .await
                .ok()
                .flatten()
                .map(|l| l.id);
            let equipment = crate::domain::Equipment::Terminal(device);
            let command = crate::dispatch::Command::Equipment {
                lift,
                equipment,
                report,
            };
            if let Err(e) = desk.submit(command).await {
                tracing::error!(error = %e, "could not record a terminal's supervision report");
            }
        });
    }
}

/// Checks the MQTT intake settings without connecting (the server does before it opens the
/// database).
pub fn check(settings: &IntakeSettings) -> anyhow::Result<()> {
    MqttIntake::from_settings(settings)
        .context("configure the MQTT intake")
        .map(|_| ())
}

/// Starts the MQTT intake when `settings.mqtt_url` is set; abort the handle to stop it.
pub fn spawn(
    settings: &IntakeSettings,
    inbox: Inbox,
    clock: Clock,
    record: Recorder,
) -> anyhow::Result<Option<JoinHandle<()>>> {
    let intake = MqttIntake::from_settings(settings).context("configure the MQTT intake")?;
    Ok(intake.map(|intake| tokio::spawn(intake.run(inbox, clock, record))))
}

/// What each message task needs.
struct Handler {
    prefix: String,
    codes: Arc<CodeMap>,
    inbox: Inbox,
    clock: Clock,
    client: AsyncClient,
}

impl Handler {
    /// Classifies, commits, logs, and acknowledges unless the store failed.
    async fn handle(&self, publish: Publish) -> Outcome {
        let now = self.clock.now();
        let message = classify(
            &self.prefix,
            &publish.topic,
            &publish.payload,
            &self.codes,
            now,
        );
        let outcome = process_until_taken(message, &self.inbox, now, &publish.topic).await;
        if outcome.ack()
            && let Err(error) = self.client.ack(&publish).await
        {
            tracing::warn!(%error, topic = publish.topic, "could not queue an MQTT acknowledgement");
        }
        outcome
    }
}

/// Aborts the task when dropped (the poller dies with the intake).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests;
