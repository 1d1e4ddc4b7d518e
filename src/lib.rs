//! liftrescue: an emergency rescue dispatcher for people trapped in lifts.
//!
//! # Layout
//!
//! The flow is intake → durable inbox → single-writer dispatch desk → event log → outbox and
//! live feed. The ground floor ([`domain`]) imports nothing of the crate; the pure layers
//! ([`rules`], [`index`], [`dispatch`], the decoders of [`intake`], [`paging::policy`]) stand
//! on it; the adapters ([`store`], [`http`], the MQTT intake, the gateways) and the running
//! parts ([`inbox`], [`desk`], [`paging`], [`service`]) stand on those. [`service`] wires the
//! rest and starts [`http`]; nothing below it imports it.
//!
//! - [`domain`]: the vocabulary. Lift identities (rescue code, registration code, cabin phone,
//!   device id) with `parse` constructors, WGS-84 / GCJ-02 coordinates, units with their bases,
//!   alarms as intake makes them (`NewAlarm`) and as committed, the rules' model and the chain
//!   snapshot each incident keeps, the answer of a unit search, and the events the log stores.
//!   Pure.
//! - [`rules`]: `dispatch-rules/` TOML files, strictly parsed and checked (errors name file, line
//!   and key), the rules version (content hash); the shipped folder is also built into the
//!   binary. Pure apart from reading a folder and writing the built-in files out.
//! - [`index`]: the nearest-unit index, an `rstar` R-tree over a local metric projection,
//!   partitioned by unit kind and company so a selective filter never walks the whole tree;
//!   answers carry distance, ETA and why each unit was chosen or passed over; a unit without a
//!   fresh fix is placed at its base, if it has one. Pure.
//! - [`dispatch`]: the dispatch core. `decide(&state, command, now) -> events` and
//!   `apply(&mut state, &event)`, the escalation state machine with its deadlines; each
//!   decision keeps what it read from outside its incident (the units its searches saw), so
//!   [`dispatch::replay`] can make an incident's decisions again from its record alone and
//!   compare. Pure: no I/O, no clock reads.
//! - [`intake`]: the pure decoders of alarm intake: cabin-phone DTMF protocols (P100, CPC),
//!   per-source fault-code maps, the IoT event payload (one shaping for MQTT and HTTP), MQTT
//!   topics, each turned into a `NewAlarm` or an error naming the fault; and the MQTT adapter.
//! - [`signing`]: the one HMAC-SHA256 scheme of signed requests (IoT intake, delivery receipts,
//!   the webhook gateway).
//! - [`inbox`]: the durable inbox: an alarm is answered only once committed; the pump feeds the
//!   desk in order.
//! - [`desk`]: the single-writer tokio loop that feeds commands and due deadlines into the core
//!   and hands the resulting events on; reloading the rules goes through it. On a standby it
//!   mirrors the holder's desk from the log and forwards commands.
//! - [`cluster`]: several nodes on one PostgreSQL: the desk lease with its fence on the log,
//!   the role loop (promote on takeover, stand down when fenced), commands forwarded from
//!   standbys to the holder through the database.
//! - [`paging`]: the outbox end to end. [`paging::policy`] is the pure part: page text (SMS
//!   within two segments, voice, push; Chinese by default), contact plans and "ring until
//!   reached", the delivery state machine with backoff, per-channel rate limits. Around it, on
//!   the wire: the pager that turns ringing pages into messages on their units' contact plans,
//!   the first messages sent straight from the desk's append, the retry worker, one file per
//!   gateway (SMS / voice, webhook, Web Push), receipts, and the reporter that puts every
//!   outcome on the incident's timeline.
//! - [`store`]: the durable store on PostgreSQL or SQLite behind one interface: inbox,
//!   hash-chained log, projections, outbox, registry, last fixes, tokens; a deadline on every
//!   call from a request path.
//! - [`fanout`]: the Redis fan-out of the committed log between the nodes of a cluster: each
//!   node publishes its commits to one Redis Stream per region (entry id = log sequence) and
//!   follows everyone's from there, falling back to reading the log when Redis is away or a
//!   reader is further behind than the stream holds; each event delivered once, in order.
//! - [`registry`]: CSV import of the lift and unit registers and the checks the admin API
//!   shares with it, and seeding the demo region.
//! - [`demo`]: a deterministic synthetic region (Yuzhong-sized by default) for the demo,
//!   benchmarks and tests.
//! - [`sim`]: `simulate storm`: a storm of entrapments on the demo region played through the
//!   real desk on a simulated clock with simulated crews and operator, greedy dispatch against
//!   storm mode, measured from the desk's log. Its driver of the real desk on a simulated
//!   clock (a world's actions and the desk's deadlines in time order) also plays the history
//!   of `seed-demo --history` ([`registry`]).
//! - [`export`]: a period's incidents and events as CSV or JSON Lines, every row with the
//!   hashes it came from, read page by page and written with a manifest (or streamed).
//! - [`http`]: the HTTP API (actix-web) and the pages it serves: intake, operator, crew (and
//!   the crew page for phones), investigator, paging receipts, registry and ops routes, bearer
//!   tokens with roles, one JSON error shape, the OpenAPI document; [`http::AppState`] is what
//!   every handler gets.
//! - [`service`]: the running service: wiring store, rules, desk, inbox pump, paging, the
//!   position writer and the HTTP server; recovery at start, reloads on SIGHUP, draining stop.
//!   [`config`] is its one typed settings tree and [`telemetry`] its logging and metrics.
//! - [`cli`]: the command line (`serve`, `demo`, `rules check` / `export`, `migrate`,
//!   `verify-log`, `replay`, `import`, `seed-demo`, `token create`, `vapid-keys`, `simulate storm`).

pub mod cli;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod desk;
pub mod dispatch;
pub mod domain;
pub mod export;
pub mod fanout;
pub mod feed;
pub mod http;
pub mod inbox;
pub mod index;
pub mod intake;
pub mod paging;
pub mod registry;
pub mod review;
pub mod rules;
pub mod service;
pub mod signing;
pub mod sim;
pub mod store;
pub mod telemetry;
