use super::*;
use crate::desk::DeskStats;
use crate::domain::{Actor, IncidentId, IncidentStatus, UnitId};
use chrono::{TimeDelta, Utc};

fn event(kind: EventKind, late_ms: i64) -> (Event, chrono::DateTime<Utc>) {
    let due = Utc::now();
    let e = Event {
        incident: Some(IncidentId(1)),
        at: due + TimeDelta::milliseconds(late_ms),
        actor: Actor::System,
        step: None,
        rules_version: None,
        reason: String::new(),
        kind,
    };
    (e, due)
}

fn breach(late_ms: i64) -> Event {
    let (mut e, due) = event(
        EventKind::Note {
            text: String::new(),
        },
        late_ms,
    );
    e.kind = EventKind::DeadlineBreached {
        deadline: DeadlineKind::Arrive("first".into()),
        due,
    };
    e
}

fn delivery(channel: &str, status: &str) -> Event {
    let kind = EventKind::Delivery {
        unit: UnitId(1),
        message: "1:first:1:1:sms:1".into(),
        channel: channel.into(),
        status: status.into(),
        detail: String::new(),
    };
    event(kind, 0).0
}

/// Every family, as a node of a cluster with a desk and Redis renders it.
fn everything(m: &Metrics) -> String {
    m.desk_role("yuzhong", true);
    m.redis_up(true);
    let mut desk = DeskStats::default();
    desk.by_status.insert(IncidentStatus::Reported, 1);
    m.render(Some(&desk), Some(0))
}

#[test]
fn deadline_lateness_is_a_histogram_with_cumulative_buckets() {
    let m = Metrics::default();
    for late in [0, 300, 4_000, 400_000] {
        m.observe(&breach(late));
    }
    let text = m.render(None, None);
    for line in [
        "# TYPE liftrescue_deadline_lateness_seconds histogram",
        "liftrescue_deadline_lateness_seconds_bucket{le=\"0.05\"} 1",
        "liftrescue_deadline_lateness_seconds_bucket{le=\"0.5\"} 2",
        "liftrescue_deadline_lateness_seconds_bucket{le=\"5\"} 3",
        "liftrescue_deadline_lateness_seconds_bucket{le=\"300\"} 3",
        "liftrescue_deadline_lateness_seconds_bucket{le=\"+Inf\"} 4",
        "liftrescue_deadline_lateness_seconds_sum 404.3",
        "liftrescue_deadline_lateness_seconds_count 4",
        "liftrescue_deadline_breaches_total{deadline=\"arrive\"} 4",
        "liftrescue_deadline_breaches_total{deadline=\"confirm\"} 0",
        "liftrescue_deadlines_fired_total 4",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
    }
}

#[test]
fn gateway_answers_are_counted_by_channel_and_unknown_channels_are_dropped() {
    let m = Metrics::default();
    for (channel, status) in [
        ("sms", "sent"),
        ("sms", "retrying"),
        ("sms", "failed"),
        ("voice", "unknown"),
        ("sms", "delivered"),
        ("pigeon", "failed"),
    ] {
        m.observe(&delivery(channel, status));
    }
    let text = m.render(None, None);
    for line in [
        "liftrescue_messages_sent_total{channel=\"sms\"} 1",
        "liftrescue_messages_failed_total{channel=\"sms\"} 2",
        "liftrescue_messages_failed_total{channel=\"voice\"} 1",
        "liftrescue_messages_failed_total{channel=\"push\"} 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
    }
    assert!(!text.contains("pigeon"), "{text}");
}

#[test]
fn counters_end_in_total_and_every_sample_belongs_to_a_typed_family() {
    let text = everything(&Metrics::default());
    let mut families = std::collections::BTreeMap::new();
    for l in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        let mut w = l.split_whitespace().skip(2);
        let (name, kind) = (w.next().unwrap(), w.next().unwrap());
        assert!(name.starts_with("liftrescue_"), "{l}");
        assert_eq!(kind == "counter", name.ends_with("_total"), "{l}");
        assert!(families.insert(name, kind).is_none(), "{name} twice");
    }
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let name = l.split(['{', ' ']).next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .filter(|f| families.get(f) == Some(&"histogram"))
            .unwrap_or(name);
        assert!(families.contains_key(family), "{l} has no TYPE line");
    }
    for want in [
        "liftrescue_desk_holder",
        "liftrescue_redis_up",
        "liftrescue_inbox_depth",
    ] {
        assert!(families.contains_key(want), "{want} missing");
    }
}

#[test]
fn a_region_name_is_escaped_in_its_label() {
    let m = Metrics::default();
    m.desk_role("jiang\"su\\1", false);
    let text = m.render(None, None);
    let want = r#"liftrescue_desk_holder{region="jiang\"su\\1"} 0"#;
    assert!(text.lines().any(|l| l == want), "{text}");
}
