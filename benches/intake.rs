//! Alarm intake decoding throughput, one core, no I/O: what one intake node can parse and
//! classify before the inbox commit. Goal: ≥ 50,000 messages/s for each source.
//!
//! - `intake/mqtt_event`: an MQTT message from a terminal: `parse_topic` + `decode_event`
//!   (JSON parsed, every field checked, the code classified through the built-in `common` map)
//!   over 1,000 varied payloads (codes 1–22 and a few unmapped, floors, flags, evidence).
//! - `intake/dtmf_auto`: a cabin-phone call: `decode(Protocol::Auto, …)` + `to_alarm` over a
//!   mix of P100 (alarm, self-test, operational failure) and CPC (KONE and Antenna) messages.
//! - `intake/http_batch500`: one signed platform batch of 500 events: `verify_signature` +
//!   `decode_batch`; throughput counts events.
//!
//! Every measurement counts messages (`Throughput::Elements`), so criterion prints
//! messages/second as `thrpt`. Run with `cargo bench --bench intake`.

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use liftrescue::domain::PhoneNumber;
use liftrescue::intake::phone::{decode, to_alarm};
use liftrescue::intake::{CodeMap, Protocol, decode_batch, decode_event, parse_topic};
use liftrescue::signing::{sign, verify_signature};
use std::hint::black_box;
use std::time::Duration;

const SECRET: &[u8] = b"bench secret";

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default()
}

/// One event's JSON fields (no braces), varied by `rng`.
fn event_fields(rng: &mut fastrand::Rng, i: usize) -> String {
    let code = if rng.u8(0..20) == 0 {
        500 + i
    } else {
        rng.usize(1..=22)
    };
    let mut f = format!(
        r#""alarm_id":"T{i:05}-{}","code":{code},"status":{},"occurred_at":{}"#,
        rng.u32(..),
        rng.u8(0..2),
        if i.is_multiple_of(2) {
            format!("{}", 1_767_225_000_000i64 + rng.i64(0..500_000))
        } else {
            r#""2026-01-01T07:55:00+08:00""#.to_owned()
        }
    );
    if rng.bool() {
        f += &format!(r#","floor":"{}""#, rng.i8(-3..40));
    }
    if rng.u8(0..4) == 0 {
        f += r#","flags":{"person_ill":false,"child_alone":true},"description":"person in car""#;
        f += r#","evidence":["https://cdn.example.com/cam/0001.jpg"]"#;
    }
    f
}

/// A P100 packet by the documented rule: sum of symbol values mod 256, E/F sent as * and #.
fn p100(alarm_type: u8, data: &str) -> String {
    const SYMBOLS: &str = "0123456789ABCD*#";
    let value = |c: char| SYMBOLS.find(c).unwrap_or(0) as u32;
    let sum = u32::from(alarm_type) + data.len() as u32 + data.chars().map(value).sum::<u32>();
    let hex = format!("{:02X}", sum % 256)
        .replace('E', "*")
        .replace('F', "#");
    let len = SYMBOLS.as_bytes()[data.len()] as char;
    format!("{alarm_type}{len}{data}{hex}")
}

fn dtmf_messages(rng: &mut fastrand::Rng) -> Vec<String> {
    (0..1_000)
        .map(|i| {
            let id = format!("{:08}", rng.u32(..100_000_000));
            match i % 6 {
                0 | 1 => p100(1, &id),
                2 => p100(3, &format!("{id}{}", rng.u8(0..5))),
                3 => p100(2, &id),
                4 => format!("04{}*{id}#", ["10", "21", "84", "90"][rng.usize(0..4)]),
                _ => format!("04{}*{id}", ["27", "26"][rng.usize(0..2)]),
            }
        })
        .collect()
}

/// Every generated input decodes: the benchmark measures the accepting path, not refusals.
fn check_inputs(mqtt: &[(String, Vec<u8>)], batch: &[u8], codes: &CodeMap) {
    for (topic, payload) in mqtt {
        let (device, _) = parse_topic(topic).unwrap_or_else(|e| panic!("{e}"));
        decode_event(&device, payload, codes, now()).unwrap_or_else(|e| panic!("{e}"));
    }
    let results = decode_batch(batch, codes, now()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        results.iter().all(Result::is_ok),
        "a batch event was refused"
    );
}

fn bench(c: &mut Criterion) {
    let codes = CodeMap::builtin("common").unwrap_or_else(|e| panic!("{e}"));
    let mut rng = fastrand::Rng::with_seed(7);
    let mqtt: Vec<(String, Vec<u8>)> = (0..1_000)
        .map(|i| {
            let topic = format!("lifts/CQ-{:05}/events", i % 300);
            (
                topic,
                format!("{{{}}}", event_fields(&mut rng, i)).into_bytes(),
            )
        })
        .collect();
    let dtmf = dtmf_messages(&mut rng);
    let caller = PhoneNumber::parse("02363800001").unwrap_or_else(|e| panic!("{e}"));
    let events: Vec<String> = (0..500)
        .map(|i| {
            let fields = event_fields(&mut rng, i);
            format!(r#"{{"device_id":"CQ-{:05}",{fields}}}"#, i % 300)
        })
        .collect();
    let batch = format!(r#"{{"events":[{}]}}"#, events.join(",")).into_bytes();
    let signature = sign(SECRET, "1767225600", &batch).unwrap_or_else(|e| panic!("{e}"));
    check_inputs(&mqtt, &batch, &codes);

    let mut g = c.benchmark_group("intake");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(1));
    g.bench_function("mqtt_event", |b| {
        let mut i = 0;
        b.iter(|| {
            let (topic, payload) = &mqtt[i % mqtt.len()];
            i += 1;
            let (device, _) = parse_topic(topic).unwrap_or_else(|e| panic!("{e}"));
            black_box(decode_event(&device, payload, &codes, now())).is_ok()
        })
    });
    g.bench_function("dtmf_auto", |b| {
        let mut i = 0;
        b.iter(|| {
            let digits = &dtmf[i % dtmf.len()];
            i += 1;
            let msg = decode(Protocol::Auto, digits).unwrap_or_else(|e| panic!("{digits}: {e}"));
            black_box(to_alarm(&msg, &caller, "call-1", true, now()))
        })
    });
    g.throughput(Throughput::Elements(500)).sample_size(50);
    g.bench_function("http_batch500", |b| {
        b.iter(|| {
            let skew = Duration::from_secs(300);
            verify_signature(SECRET, "1767225600", &batch, &signature, now(), skew)
                .unwrap_or_else(|e| panic!("{e}"));
            black_box(decode_batch(&batch, &codes, now())).is_ok()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
