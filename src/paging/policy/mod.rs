//! Paging policy: what a page says, when each channel fires, how a failed send is retried and
//! how fast a gateway may be called.
//!
//! # Where this sits
//!
//! ```text
//! desk ─> event log + outbox row (one per page, same transaction) ─> paging workers ─> gateways
//!                                                                    (SMS, voice, push, webhook)
//! ```
//!
//! The store writes one outbox row per `UnitPaged` event in the same append as the event, keyed
//! `"{incident}:{step}:{unit}:{page_no}"`. The workers around this module (`paging`) take due rows, decide with
//! the functions in this module, call a gateway, and record the result. This module is that
//! decision part, and it is pure: no network, no database, no clock reads, no tokio. Time comes in
//! as `now`, randomness (backoff jitter) as a number the caller draws. That keeps every
//! delivery decision reproducible in a plain unit test, and keeps a slow gateway from ever being
//! able to stall a decision.
//!
//! - [`message`]: the page text for SMS (within two segments), voice and push, Chinese by default.
//! - [`sms`]: how long an SMS may be (two GSM 7-bit or UCS-2 segments) and fitting a page into it.
//! - [`plan`]: a unit's contact plan (push, then SMS, then a voice call) and which attempts are due
//!   now, repeating until the page is acknowledged or its deadline passes ("ring until reached").
//!   Each attempt's dedupe key extends the outbox key, so an attempt is never sent twice.
//! - [`retry`]: one message's delivery state machine with bounded exponential backoff, and when a
//!   channel gives up so the plan's next channel takes over.
//! - [`rate`]: a token bucket per channel so a gateway's documented rate is respected.

pub mod message;
pub mod plan;
pub mod rate;
pub mod retry;
pub mod sms;

pub use message::{Lang, PageFacts, Rendered, render};
pub use plan::{
    Attempt, AttemptKey, Channel, ContactPlan, DeliveryLog, PageRef, PlanError, PlanStep,
    due_attempts, next_due,
};
pub use rate::{RateError, TokenBucket};
pub use retry::{Outcome, RetryPolicy, State, Transition, next};
