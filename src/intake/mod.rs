//! Alarm intake, the pure decoding layer: what each real source sends, checked completely and
//! turned into a [`NewAlarm`](crate::domain::NewAlarm) for the inbox.
//!
//! Nothing here does I/O or reads a clock: the transports (MQTT subscriber, HTTP endpoints,
//! the telephony gateway route) hand in bytes, strings and `now`, and get back either a
//! `NewAlarm` or an error that names exactly what was wrong, so they can answer 4xx, log one
//! clear line and keep going. Every decoder is total: no input makes it panic (property tests
//! feed them random bytes and random DTMF strings).
//!
//! - [`phone`]: EN 81-28 cabin-phone alarm protocols as a telephony gateway delivers them — the
//!   decoded DTMF digit string of a P100 packet or a CPC (KONE / Antenna) message — and the
//!   alarm an alarm call becomes.
//! - [`codes`]: per-source fault-code maps (TOML, in configuration, not code) from a source's
//!   numeric code to an [`AlarmKind`](crate::domain::AlarmKind). `common` (the 1–22 numbering
//!   many vendors share) and `chongqing` ship in `ops/intake-codes/` and are built in. An
//!   unmapped code is kept as a named fault, never dropped.
//! - [`iot`]: the JSON event payload of IoT terminals (MQTT, topic `lifts/{device_id}/events`)
//!   and IoT platforms (HTTP batches), the heartbeat topic, and the webhook signature check.
//! - [`mqtt`]: the one transport here, the MQTT adapter (rumqttc) that subscribes to the
//!   terminals' topics, commits each event to the inbox before acknowledging it, supervises
//!   heartbeats and reconnects with backoff.
//!
//! The phone formats, the code-map format and the IoT payload are documented, with examples, in
//! each module's own docs.

pub mod codes;
pub mod iot;
pub mod mqtt;
pub mod phone;

pub use crate::signing::{SignatureError, verify_signature};
pub use codes::{Classified, CodeMap, CodeMapError};
pub use iot::{Decoded, IotError, TopicKind, decode_batch, decode_event, parse_topic};
pub use phone::{CallKind, PhoneError, PhoneFault, PhoneMessage, Protocol};
