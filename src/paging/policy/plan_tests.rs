//! Tests of [`super`]: plan.

use super::*;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + secs, 0).unwrap()
}

fn log() -> DeliveryLog {
    DeliveryLog::new(PageRef {
        incident: IncidentId(9),
        step: "contracted".into(),
        unit: UnitId(42),
        page_no: 1,
    })
}

/// Runs a worker that wakes every second from the page to `until`, records what it sends.
fn run(plan: &ContactPlan, log: &mut DeliveryLog, until: i64) -> Vec<(i64, String)> {
    let mut sent = Vec::new();
    for s in 0..=until {
        for a in due_attempts(plan, at(0), at(s), at(180), log) {
            log.attempted.insert((a.channel, a.n));
            sent.push((s, format!("{}:{}", a.channel, a.n)));
        }
    }
    sent
}

fn names(sent: &[(i64, String)]) -> Vec<(i64, &str)> {
    sent.iter().map(|(s, n)| (*s, n.as_str())).collect()
}

#[test]
fn an_unanswered_page_goes_push_then_sms_then_calls_until_the_deadline() {
    let mut l = log();
    let sent = run(&ContactPlan::default(), &mut l, 400);
    let want = [
        (0, "push:1"),
        (30, "sms:1"),
        (60, "voice:1"),
        (120, "voice:2"),
    ];
    assert_eq!(names(&sent), want, "nothing at or after the 180 s deadline");
}

#[test]
fn a_delivered_push_skips_sms_but_still_calls_while_unacknowledged() {
    let mut l = log();
    l.delivered_at = Some(at(2));
    let sent = run(&ContactPlan::default(), &mut l, 200);
    assert_eq!(names(&sent), [(0, "push:1"), (120, "voice:2")]);
}

#[test]
fn an_acknowledgement_stops_every_pending_attempt_at_once() {
    let mut l = log();
    run(&ContactPlan::default(), &mut l, 40);
    l.acknowledged = true;
    assert!(run(&ContactPlan::default(), &mut l, 179).is_empty());
    let plan = ContactPlan::default();
    assert_eq!(next_due(&plan, at(0), at(40), at(180), &l), None);
}

#[test]
fn after_a_pause_only_the_latest_repeat_is_sent_and_no_attempt_twice() {
    let plan = ContactPlan::parse("push:0s,voice:10s,repeat:20s").unwrap();
    let mut l = log();
    let first = due_attempts(&plan, at(0), at(95), at(180), &l);
    let got: Vec<_> = first
        .iter()
        .map(|a| (a.dedupe_key.as_str(), a.due))
        .collect();
    assert_eq!(
        got,
        [
            ("9:contracted:42:1:push:1", at(0)),
            ("9:contracted:42:1:voice:5", at(90))
        ]
    );
    l.attempted.extend(first.iter().map(|a| (a.channel, a.n)));
    assert!(due_attempts(&plan, at(0), at(96), at(180), &l).is_empty());
    assert_eq!(next_due(&plan, at(0), at(96), at(180), &l), Some(at(110)));
    assert_eq!(next_due(&plan, at(0), at(175), at(180), &l), None);
}

#[test]
fn attempt_keys_extend_the_store_outbox_key() {
    let l = log();
    assert_eq!(l.page.dedupe_key(), "9:contracted:42:1");
    let a = &due_attempts(&ContactPlan::default(), at(0), at(0), at(180), &l)[0];
    assert_eq!(a.dedupe_key, "9:contracted:42:1:push:1");
    assert!(
        a.dedupe_key
            .starts_with(&format!("{}:", l.page.dedupe_key()))
    );
}

#[test]
fn the_default_plan_is_push_sms_voice_with_a_minute_between_calls() {
    let parsed = ContactPlan::parse(" push:0s, sms:30s ,voice:60s,repeat:1m").unwrap();
    assert_eq!(parsed, ContactPlan::default());
    assert_eq!(parsed.repeat_every(), Duration::from_secs(60));
    assert_eq!(parsed.fallback_after(Channel::Push), Some(Channel::Sms));
    assert_eq!(parsed.fallback_after(Channel::Voice), None);
    assert_eq!(parsed.fallback_after(Channel::Webhook), None);
}

#[test]
fn a_bad_contact_plan_is_refused_with_the_reason() {
    let cases = [
        ("", "at least one channel"),
        ("push", "not channel:duration"),
        ("fax:0s", "unknown channel \"fax\""),
        ("sms:soon", "bad duration"),
        ("sms:0s,sms:30s", "sms appears twice"),
        ("sms:30s,push:0s", "time order"),
        ("push:0s,repeat:0s", "more than 0 s"),
    ];
    for (bad, why) in cases {
        let e = ContactPlan::parse(bad).unwrap_err().to_string();
        assert!(e.contains(why), "{bad:?}: {e}");
    }
}

#[test]
fn a_plan_without_a_channel_fires_the_next_one_at_once_and_keeps_the_rest() {
    let plan = ContactPlan::parse("push:0s,sms:30s,voice:60s,repeat:90s").unwrap();
    let no_push = plan.only(|c| c != Channel::Push).unwrap();
    assert_eq!(no_push.steps()[0].channel, Channel::Sms);
    assert_eq!(no_push.steps()[0].after, Duration::ZERO);
    assert_eq!(no_push.steps()[1].after, Duration::from_secs(60));
    assert_eq!(no_push.repeat_every(), Duration::from_secs(90));
    assert_eq!(plan.only(|_| true).unwrap(), plan);
    assert!(plan.only(|_| false).is_none());
}

#[test]
fn a_channel_that_gave_up_brings_the_next_one_forward() {
    let plan = ContactPlan::parse("push:0s,sms:30s,voice:60s").unwrap();
    let paged = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    let ack_due = paged + chrono::TimeDelta::minutes(3);
    let now = paged + chrono::TimeDelta::seconds(5);
    let mut l = log();
    l.attempted.insert((Channel::Push, 1));
    assert!(due_attempts(&plan, paged, now, ack_due, &l).is_empty());
    l.gave_up.insert(Channel::Push);
    let due = due_attempts(&plan, paged, now, ack_due, &l);
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].channel, due[0].n, due[0].due),
        (Channel::Sms, 1, now)
    );
    // Once made, it is not made again; the voice call keeps its time until SMS gives up too.
    l.attempted.insert((Channel::Sms, 1));
    assert!(due_attempts(&plan, paged, now, ack_due, &l).is_empty());
    l.gave_up.insert(Channel::Sms);
    let due = due_attempts(&plan, paged, now, ack_due, &l);
    assert_eq!(
        due.iter().map(|a| a.channel).collect::<Vec<_>>(),
        [Channel::Voice]
    );
}

#[test]
fn an_attempt_key_reads_back_even_when_the_step_holds_a_colon() {
    let plan = ContactPlan::parse("sms:0s").unwrap();
    let paged = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    for step in ["contracted", "operator:42"] {
        let mut l = log();
        l.page.step = step.into();
        let ack_due = paged + chrono::TimeDelta::minutes(3);
        let a = due_attempts(&plan, paged, paged, ack_due, &l).remove(0);
        let k = AttemptKey::parse(&a.dedupe_key).unwrap();
        assert_eq!(k.page, l.page, "{}", a.dedupe_key);
        assert_eq!((k.channel, k.n), (Channel::Sms, 1));
    }
    for bad in [
        "",
        "1:2:3",
        "9:contracted:42:1:fax:1",
        "x:contracted:42:1:sms:1",
    ] {
        assert!(AttemptKey::parse(bad).is_none(), "{bad}");
    }
}
