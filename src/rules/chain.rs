//! Checking chains and their steps: references, numbers, deadlines, reachability and cycles.
//!
//! A chain is a small graph: `start` and `on_urgent` are its entry points, and each step may
//! lead to another through `on_exhausted` and `on_arrive_breach`. Every step must be reachable
//! from an entry point (a step nothing starts is a mistake that would only show in an incident),
//! and no escalation path may lead back to where it began (the incident would circle instead of
//! reaching fire/rescue).

use super::check::{Checker, join};
use super::file::{RawChain, RawStep, Text};
use super::{Chain, OnMiss, Party, Step, Target};
use std::collections::BTreeSet;
use toml::Spanned;

/// The escalation edges out of a step: the key that holds each and the step it names.
fn edges(s: &RawStep) -> impl Iterator<Item = (&'static str, &Text)> {
    [
        ("on_exhausted", &s.on_exhausted),
        ("on_arrive_breach", &s.on_arrive_breach),
    ]
    .into_iter()
    .filter_map(|(k, t)| t.as_ref().map(|t| (k, t)))
}

impl Checker<'_> {
    /// Checks `[chains.NAME]` and its steps. The chain is complete only when no error was
    /// recorded, which is the only case in which the caller uses it.
    pub fn chain(&mut self, name: &Text, raw: &Spanned<RawChain>) -> Chain {
        let key = join("chains", name.get_ref());
        self.identifier(name, &key, "chain");
        let ch = raw.get_ref();
        if ch.steps.is_empty() {
            self.error(
                raw.span(),
                &join(&key, "steps"),
                "a chain needs at least one step",
            );
        }
        let start = self.start(&key, ch);
        let on_urgent = self.on_urgent(&key, raw);
        let confirm = self.deadline(
            &key,
            ("confirm", ch.confirm.as_ref()),
            ("confirm_warning", ch.confirm_warning.as_ref()),
        );
        let steps = ch
            .steps
            .iter()
            .filter_map(|(id, s)| Some((id.get_ref().clone(), self.step(&key, id, s, ch)?)))
            .collect();
        self.reachability(&key, ch);
        self.cycles(&key, ch);
        Chain {
            name: name.get_ref().clone(),
            start,
            on_urgent,
            confirm,
            steps,
        }
    }

    /// Chain and step names appear in dotted keys, logs and the API: keep them plain.
    fn identifier(&mut self, t: &Text, key: &str, what: &str) {
        let s = t.get_ref();
        let plain = s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !plain {
            let m = format!(
                "{what} name {s:?}: use lowercase letters, digits and _, starting with a letter"
            );
            self.error(t.span(), key, m);
        }
    }

    /// True when `t` names a step of `ch`; records an error otherwise.
    fn step_ref(&mut self, ch: &RawChain, t: &Text, key: &str) -> bool {
        if ch.steps.contains_key(t.get_ref().as_str()) {
            return true;
        }
        let known: Vec<&str> = ch.steps.keys().map(|k| k.get_ref().as_str()).collect();
        let m = format!(
            "no step `{}` in this chain (steps: {})",
            t.get_ref(),
            known.join(", ")
        );
        self.error(t.span(), key, m);
        false
    }

    fn start(&mut self, key: &str, ch: &RawChain) -> Vec<String> {
        let key = join(key, "start");
        let list = ch.start.get_ref();
        if list.is_empty() {
            self.error(
                ch.start.span(),
                &key,
                "name the steps that begin when an incident opens",
            );
        }
        for (i, t) in list.iter().enumerate() {
            let k = format!("{key}[{i}]");
            if self.step_ref(ch, t, &k) && list[..i].iter().any(|p| p.get_ref() == t.get_ref()) {
                self.error(
                    t.span(),
                    &k,
                    format!("step `{}` is listed twice", t.get_ref()),
                );
            }
        }
        list.iter().map(|t| t.get_ref().clone()).collect()
    }

    /// `on_urgent` is required and must page fire/rescue: a person found ill in any incident
    /// must be able to bring fire/rescue at once.
    fn on_urgent(&mut self, key: &str, raw: &Spanned<RawChain>) -> Option<String> {
        let ch = raw.get_ref();
        let key = join(key, "on_urgent");
        let Some(t) = &ch.on_urgent else {
            let m = "missing: name the fire_rescue step started at once when a later alarm \
                     reports a person ill, a child alone or smoke/water";
            self.error(raw.span(), &key, m);
            return None;
        };
        if self.step_ref(ch, t, &key) {
            let page = ch
                .steps
                .get(t.get_ref().as_str())
                .map(|s| s.get_ref().page.get_ref());
            if let Some(page) = page.filter(|p| p.as_str() != "fire_rescue") {
                let m = format!(
                    "step `{}` pages {page}; on_urgent must name a fire_rescue step",
                    t.get_ref()
                );
                self.error(t.span(), &key, m);
            }
        }
        Some(t.get_ref().clone())
    }

    /// Checks one step; None when a required value is unusable (an error is then recorded).
    fn step(
        &mut self,
        chain_key: &str,
        id: &Text,
        raw: &Spanned<RawStep>,
        ch: &RawChain,
    ) -> Option<Step> {
        let key = join(&join(chain_key, "steps"), id.get_ref());
        self.identifier(id, &key, "step");
        let s = raw.get_ref();
        let (level, count, max_pages, radius_m) = self.numbers(&key, s);
        let page = self.named::<Target>(&s.page, &join(&key, "page"));
        let acknowledge = self.dur(&s.acknowledge, &join(&key, "acknowledge"));
        let on_no_ack = self.on_miss(&key, "on_no_ack", s.on_no_ack.as_ref(), s);
        let on_decline = self.on_miss(&key, "on_decline", s.on_decline.as_ref(), s);
        let arrive = self.deadline(
            &key,
            ("arrive", s.arrive.as_ref()),
            ("arrive_warning", s.arrive_warning.as_ref()),
        );
        let release = self.deadline(
            &key,
            ("release", s.release.as_ref()),
            ("release_warning", s.release_warning.as_ref()),
        );
        let notify_on_breach = self.parties(&s.notify_on_breach, &join(&key, "notify_on_breach"));
        let notify_on_start = self.parties(&s.notify_on_start, &join(&key, "notify_on_start"));
        self.escalations(&key, s, ch);
        Some(Step {
            id: id.get_ref().clone(),
            level,
            page: page?,
            count,
            max_pages,
            radius_m,
            repeat: s.repeat,
            acknowledge: acknowledge?,
            on_no_ack: on_no_ack?,
            on_decline: on_decline?,
            on_exhausted: s.on_exhausted.as_ref().map(|t| t.get_ref().clone()),
            arrive,
            on_arrive_breach: s.on_arrive_breach.as_ref().map(|t| t.get_ref().clone()),
            notify_on_breach,
            notify_on_start,
            release,
        })
    }

    /// `on_exhausted` and `on_arrive_breach` name steps of the chain; a breach needs `arrive`.
    fn escalations(&mut self, key: &str, s: &RawStep, ch: &RawChain) {
        for (field, t) in edges(s) {
            self.step_ref(ch, t, &join(key, field));
        }
        if let (Some(t), None) = (&s.on_arrive_breach, &s.arrive) {
            let m = "needs `arrive`: there is no arrival deadline to breach";
            self.error(t.span(), &join(key, "on_arrive_breach"), m);
        }
    }

    /// `level` 1..=3, `count` ≥ 1 (default 1), `max_pages` ≥ `count` (default 3), `radius_m` > 0.
    fn numbers(&mut self, key: &str, s: &RawStep) -> (u8, u32, u32, Option<f64>) {
        let level = u8::try_from(*s.level.get_ref()).unwrap_or(0);
        if !(1..=3).contains(&level) {
            let m = "must be 1 (contracted maintainer, property staff), 2 (mutual aid) or 3 (fire/rescue)";
            self.error(s.level.span(), &join(key, "level"), m);
        }
        let count = s.count.as_ref().map_or(1, |c| *c.get_ref());
        if let Some(c) = s.count.as_ref().filter(|_| !(1..=1000).contains(&count)) {
            self.error(c.span(), &join(key, "count"), "must be from 1 to 1000");
        }
        let max_pages = s.max_pages.as_ref().map_or(3, |m| *m.get_ref());
        if max_pages < count || max_pages > 1000 {
            let (span, default) = match &s.max_pages {
                Some(m) => (m.span(), ""),
                None => (
                    s.count.as_ref().map_or(0..0, |c| c.span()),
                    " (the default)",
                ),
            };
            let m = format!("max_pages {max_pages}{default} must be from count ({count}) to 1000");
            self.error(span, &join(key, "max_pages"), m);
        }
        let radius_m = s.radius_m.as_ref().map(|r| {
            if !(r.get_ref().is_finite() && *r.get_ref() > 0.0) {
                self.error(
                    r.span(),
                    &join(key, "radius_m"),
                    "must be more than 0 metres",
                );
            }
            *r.get_ref()
        });
        let small = |n: i64| u32::try_from(n).unwrap_or(0);
        (level, small(count), small(max_pages), radius_m)
    }

    /// `on_no_ack` / `on_decline`: default `next_candidate`; `escalate` needs `on_exhausted`.
    fn on_miss(&mut self, key: &str, field: &str, t: Option<&Text>, s: &RawStep) -> Option<OnMiss> {
        let Some(t) = t else {
            return Some(OnMiss::NextCandidate);
        };
        let key = join(key, field);
        let v = self.named::<OnMiss>(t, &key)?;
        if v == OnMiss::Escalate && s.on_exhausted.is_none() {
            self.error(
                t.span(),
                &key,
                "`escalate` needs `on_exhausted` naming the step to escalate to",
            );
        }
        Some(v)
    }

    fn parties(&mut self, list: &[Text], key: &str) -> Vec<Party> {
        let mut out = Vec::new();
        for (i, t) in list.iter().enumerate() {
            out.extend(self.named::<Party>(t, &format!("{key}[{i}]")));
        }
        out
    }

    /// Every step must be reachable from `start` or `on_urgent` through escalations.
    fn reachability(&mut self, key: &str, ch: &RawChain) {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&str> = ch
            .start
            .get_ref()
            .iter()
            .chain(&ch.on_urgent)
            .map(|t| t.get_ref().as_str())
            .collect();
        while let Some(id) = todo.pop() {
            if let Some(step) = ch.steps.get(id)
                && seen.insert(id)
            {
                todo.extend(edges(step.get_ref()).map(|(_, t)| t.get_ref().as_str()));
            }
        }
        for (id, step) in &ch.steps {
            if !seen.contains(id.get_ref().as_str()) {
                let m = "never started: not in `start` or `on_urgent`, and no step's on_exhausted \
                         or on_arrive_breach leads to it";
                self.error(step.span(), &join(&join(key, "steps"), id.get_ref()), m);
            }
        }
    }

    /// No escalation path may come back to a step it passed through. The walk begins at the
    /// entry points, so a cycle is reported on the escalation that leads back, not on the one
    /// the chain's author meant as the way forward.
    fn cycles(&mut self, key: &str, ch: &RawChain) {
        let mut done = BTreeSet::new();
        let entries = ch.start.get_ref().iter().chain(&ch.on_urgent);
        for id in entries.chain(ch.steps.keys()) {
            self.visit(key, ch, id.get_ref(), &mut Vec::new(), &mut done);
        }
    }

    /// Depth-first walk; each edge back into the current path is one cycle, reported once.
    fn visit<'c>(
        &mut self,
        key: &str,
        ch: &'c RawChain,
        id: &'c str,
        path: &mut Vec<&'c str>,
        done: &mut BTreeSet<&'c str>,
    ) {
        let Some(step) = ch.steps.get(id).filter(|_| !done.contains(id)) else {
            return;
        };
        path.push(id);
        for (field, to) in edges(step.get_ref()) {
            let to_id = to.get_ref().as_str();
            if let Some(pos) = path.iter().position(|p| *p == to_id) {
                let cycle: Vec<&str> = path[pos..].iter().copied().chain([to_id]).collect();
                let m = format!(
                    "escalation cycle {}: escalations must lead on to a step that ends the chain",
                    cycle.join(" → ")
                );
                self.error(to.span(), &join(&join(&join(key, "steps"), id), field), m);
            } else {
                self.visit(key, ch, to_id, path, done);
            }
        }
        path.pop();
        done.insert(id);
    }
}
