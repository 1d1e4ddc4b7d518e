//! Alarm intake from machines: IoT platforms posting signed batches ([`iot`]) and the telephony
//! gateway posting cabin-phone calls ([`phone`]). Both decode with the pure decoders of
//! [`crate::intake`] and commit through [`Inbox::accept`](crate::service::Inbox::accept), like
//! every other source.
//!
//! # Never dropped
//!
//! An alarm whose lift cannot be resolved here — an IoT device id or a cabin-phone number no
//! registered lift carries — is *accepted* all the same. The inbox pump resolves the lift; when
//! it cannot, the desk opens an incident marked "lift unresolved" that asks an operator
//! (`dispatch::alarm::open`, `needs_operator`). Refusing it would lose a trapped person.
//!
//! # State between requests
//!
//! Machine intake keeps two things between requests: the per-source rate-limit buckets
//! ([`super::rate`]) and each source's code map, loaded once. They must be shared by every
//! worker of the server (a bucket per worker would multiply the limit), and
//! [`AppState`](crate::service::AppState) belongs to the service layer, so [`MachineIntake::of`]
//! hangs them off the `Arc<Settings>` the service created: one [`MachineIntake`] per running
//! service, found by pointer, dropped with it. When `AppState` grows a field for it, `of`
//! becomes a field access.

pub mod iot;
pub mod phone;

pub use iot::{BatchResults, EventError, EventResult, IotBatchIn, IotEventIn, post_iot};
pub use phone::{PhoneCallAnswer, PhoneCallIn, post_phone};

use super::error::ApiError;
use super::rate::{RateLimiter, retry_after_secs};
use crate::config::Settings;
use crate::intake::CodeMap;
use anyhow::Context;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// Code maps by source name; `Err` is a map that failed to load (logged once, when it did).
type CodeCache = HashMap<String, Result<Arc<CodeMap>, ()>>;

/// What machine intake keeps between requests, for one running service.
#[derive(Debug, Default)]
pub struct MachineIntake {
    limiter: RateLimiter,
    codes: Mutex<CodeCache>,
}

impl MachineIntake {
    /// The state of the service whose settings these are (created on first use).
    pub fn of(settings: &Arc<Settings>) -> Arc<MachineIntake> {
        type Registry = Vec<(Weak<Settings>, Arc<MachineIntake>)>;
        static REGISTRY: Mutex<Registry> = Mutex::new(Vec::new());
        let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
        // A live Weak keeps its allocation, so a pointer match is this very Settings.
        registry.retain(|(w, _)| w.strong_count() > 0);
        let found = registry
            .iter()
            .find(|(w, _)| std::ptr::eq(w.as_ptr(), Arc::as_ptr(settings)));
        if let Some((_, state)) = found {
            return state.clone();
        }
        let state = Arc::new(MachineIntake::default());
        registry.push((Arc::downgrade(settings), state.clone()));
        state
    }

    /// Takes one request from `source`'s budget, or 429 with the wait (logged).
    pub fn admit(&self, source: &str, per_minute: u32) -> Result<(), ApiError> {
        let now = tokio::time::Instant::now();
        self.limiter.check(source, per_minute, now).map_err(|wait| {
            let retry_after_secs = retry_after_secs(wait);
            tracing::warn!(
                source,
                per_minute,
                retry_after_secs,
                "intake source rate limited"
            );
            ApiError::RateLimited {
                source: source.to_owned(),
                retry_after_secs,
            }
        })
    }

    /// `source`'s code map (`spec`: a built-in name or a TOML file path), loaded on first use
    /// and kept. One that does not load is logged once and answers 503 `misconfigured` until
    /// the configuration is fixed and the service restarted.
    pub fn codes(&self, source: &str, spec: &str) -> Result<Arc<CodeMap>, ApiError> {
        let mut cache = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = cache.entry(source.to_owned()).or_insert_with(|| {
            load_codes(source, spec).map(Arc::new).map_err(|e| {
                tracing::error!(
                    source,
                    codes = spec,
                    error = format!("{e:#}"),
                    "intake source's code map does not load: its requests answer 503"
                );
            })
        });
        entry
            .clone()
            .map_err(|()| ApiError::Misconfigured(source.to_owned()))
    }
}

/// A built-in map by name, else a TOML file (read once per source and service).
fn load_codes(source: &str, spec: &str) -> anyhow::Result<CodeMap> {
    if CodeMap::BUILTIN_NAMES.contains(&spec) {
        return CodeMap::builtin(spec).context("load a built-in code map");
    }
    let text =
        std::fs::read_to_string(spec).with_context(|| format!("read code map file {spec}"))?;
    CodeMap::from_toml(source, &text).context("parse the code map")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_state_per_service_and_a_bad_code_map_is_refused_every_time() {
        let a = Arc::new(Settings::default());
        let b = Arc::new(Settings::default());
        assert!(Arc::ptr_eq(&MachineIntake::of(&a), &MachineIntake::of(&a)));
        assert!(!Arc::ptr_eq(&MachineIntake::of(&a), &MachineIntake::of(&b)));
        let m = MachineIntake::of(&a);
        assert_eq!(m.codes("x", "chongqing").unwrap().name(), "chongqing");
        for _ in 0..2 {
            let e = m.codes("y", "/nonexistent/codes.toml").unwrap_err();
            assert_eq!(e, ApiError::Misconfigured("y".into()));
        }
    }
}
