//! The delivery side of the outbox: messages created once and only while their page rings,
//! claimed by one worker, finished by their claimer, failed when a claim's lease runs out,
//! cancelled by the acknowledgement's own append.

use super::conformance;
use super::log::replay;
use super::scenarios::Story;
use crate::dispatch::CrewAction;
use crate::dispatch::tests::{M_NEAR, t0};
use crate::domain::IncidentId;
use crate::store::JsonText;
use crate::store::outbox::{Channel, MessageChange, MessageStatus, NewMessage, RingingPage};
use chrono::TimeDelta;

fn message(p: &RingingPage, channel: &str, n: i32, claim: bool) -> NewMessage {
    NewMessage {
        page_id: p.id,
        incident: p.incident,
        step: p.step.clone(),
        unit: p.unit,
        channel: Channel::parse(channel).unwrap(),
        n,
        dedupe_key: format!(
            "{}:{}:{}:{}:{channel}:{n}",
            p.incident.0, p.step, p.unit.0, p.page_no
        ),
        claim_until: claim.then(|| t0() + TimeDelta::seconds(15)),
        recipient: "+8613800000001".into(),
        body: JsonText(r#"{"sms":"困人"}"#.into()),
        at: t0(),
    }
}

fn entrapment() -> Story {
    let mut s = Story::new();
    s.run(|w| {
        w.entrapment();
    });
    s
}

conformance!(
    messages_are_created_once_and_only_while_their_page_rings,
    |db| {
        let s = db.store();
        let story = entrapment();
        replay(s, &story).await;
        let ringing = s.ringing_pages(0, 100).await.unwrap();
        let page = ringing
            .iter()
            .find(|p| p.unit == M_NEAR)
            .expect("the nearest maintainer's page rings")
            .clone();
        assert!(page.messages.is_empty());
        assert!(page.payload.get("ack_due").is_some());

        let made = s
            .insert_messages(&[
                message(&page, "sms", 1, false),
                message(&page, "push", 1, true),
            ])
            .await
            .unwrap();
        assert_eq!(made.len(), 2);
        assert_eq!(made[0].status, MessageStatus::Pending);
        assert_eq!((made[1].status.as_str(), made[1].attempts), ("sending", 1));
        let again = s
            .insert_messages(&[message(&page, "sms", 1, false)])
            .await
            .unwrap();
        assert!(again.is_empty(), "a dedupe key is created once");
        let listed = s.ringing_pages(page.id - 1, 1).await.unwrap();
        assert_eq!(listed[0].messages.len(), 2);

        // The unit accepts: the same append ends the page and cancels its unsent message.
        let mut story = story;
        let accepted = story
            .run(|w| {
                w.crew(M_NEAR, IncidentId(1), CrewAction::Accept { eta_secs: None })
                    .unwrap();
            })
            .to_vec();
        s.append(&accepted).await.unwrap();
        assert!(
            !s.ringing_pages(0, 100)
                .await
                .unwrap()
                .iter()
                .any(|p| p.id == page.id)
        );
        let status = format!(
            "SELECT COUNT(*) FROM outbox WHERE id = {} AND status = 'accepted'",
            page.id
        );
        assert_eq!(db.count(&status).await, 1);
        let cancelled =
            "SELECT COUNT(*) FROM outbox_messages WHERE status = 'cancelled' AND channel = 'sms'";
        assert_eq!(db.count(cancelled).await, 1);
        let in_flight = "SELECT COUNT(*) FROM outbox_messages WHERE status = 'sending'";
        assert_eq!(
            db.count(in_flight).await,
            1,
            "a send under way is not taken back"
        );
        let late = s
            .insert_messages(&[message(&page, "voice", 1, false)])
            .await
            .unwrap();
        assert!(
            late.is_empty(),
            "nothing new for a page that stopped ringing"
        );
    }
);

conformance!(
    a_due_message_is_claimed_by_one_worker_and_finished_only_by_its_claim,
    |db| {
        let s = db.store();
        let story = entrapment();
        replay(s, &story).await;
        let page = s.ringing_pages(0, 100).await.unwrap().remove(0);
        let new: Vec<_> = (1..=6).map(|n| message(&page, "sms", n, false)).collect();
        s.insert_messages(&new).await.unwrap();
        let other = db.second_store().await;
        let now = t0() + TimeDelta::seconds(1);
        let lease = now + TimeDelta::seconds(15);
        let (a, b) = tokio::join!(
            s.claim_messages(Channel::Sms, now, lease, 4),
            other.claim_messages(Channel::Sms, now, lease, 4)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.len() + b.len(), 6, "every due message claimed");
        let mut ids: Vec<i64> = a.iter().chain(&b).map(|m| m.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 6, "no message claimed twice");
        assert!(
            s.claim_messages(Channel::Sms, now, lease, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            s.claim_messages(Channel::Push, now, lease, 10)
                .await
                .unwrap()
                .is_empty()
        );

        let m = &a[0];
        let sent = MessageChange {
            id: m.id,
            from: MessageStatus::Sending,
            to: MessageStatus::Sent,
            next_attempt_at: None,
            error: None,
            gateway_ref: Some("gw-77".into()),
            at: now,
        };
        assert!(s.change_message(&sent, None).await.unwrap());
        assert!(
            !s.change_message(&sent, None).await.unwrap(),
            "finished once"
        );
        let found = s
            .find_message(Channel::Sms, "gw-77")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((found.id, found.status.as_str()), (m.id, "sent"));
        let by_key = s
            .find_message(Channel::Sms, &m.dedupe_key)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_key.id, m.id);
        assert!(
            s.find_message(Channel::Voice, "gw-77")
                .await
                .unwrap()
                .is_none()
        );
        let delivered = MessageChange {
            from: MessageStatus::Sent,
            to: MessageStatus::Delivered,
            gateway_ref: None,
            ..sent.clone()
        };
        assert!(
            s.change_message(&delivered, Some((page.id, Channel::Sms)))
                .await
                .unwrap()
        );
        let reached = format!(
            "SELECT COUNT(*) FROM outbox WHERE id = {} AND channel = 'sms'",
            page.id
        );
        assert_eq!(db.count(&reached).await, 1);

        // A retry goes back to pending with its next time; a claim whose lease ran out fails.
        let retry = MessageChange {
            id: a[1].id,
            from: MessageStatus::Sending,
            to: MessageStatus::Pending,
            next_attempt_at: Some(now + TimeDelta::seconds(2)),
            error: Some("HTTP 503".into()),
            gateway_ref: None,
            at: now,
        };
        assert!(s.change_message(&retry, None).await.unwrap());
        assert!(
            s.claim_messages(Channel::Sms, now, lease, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let later = now + TimeDelta::seconds(2);
        let again = s
            .claim_messages(Channel::Sms, later, lease, 10)
            .await
            .unwrap();
        assert_eq!((again.len(), again[0].attempts), (1, 2));
        let expired = s
            .expire_sends(lease + TimeDelta::seconds(1), "outcome unknown")
            .await
            .unwrap();
        assert_eq!(expired.len(), 5, "every claim still sending");
        assert!(expired.iter().all(|m| m.status == MessageStatus::Failed
            && m.last_error.as_deref() == Some("outcome unknown")));
        let all = s.incident_messages(page.incident).await.unwrap();
        assert_eq!(all.len(), 6);
    }
);

conformance!(
    a_pages_first_message_is_written_in_the_pages_own_append,
    |db| {
        use crate::domain::EventKind;
        use crate::store::outbox::PageMessage;
        let s = db.store();
        let story = entrapment();
        for a in story.alarms() {
            s.insert_alarm(&a, a.occurred_at).await.unwrap();
        }
        let batch = &story.batches[0];
        let paged = batch
            .iter()
            .find(|e| matches!(&e.kind, EventKind::UnitPaged { candidate, .. } if candidate.unit == M_NEAR))
            .expect("the batch pages the nearest maintainer");
        let step = paged.step.clone().unwrap();
        let spec = |channel: &str, claim: bool, unit| PageMessage {
            incident: IncidentId(1),
            step: step.clone(),
            unit,
            channel: Channel::parse(channel).unwrap(),
            n: 1,
            claim_until: claim.then(|| t0() + TimeDelta::seconds(15)),
            recipient: "+8613800000001".into(),
            body: JsonText(r#"{"sms":"困人"}"#.into()),
        };
        let nobody = crate::domain::UnitId(999_999);
        let (rows, made) = s
            .append_paging(
                batch,
                &[
                    spec("sms", true, M_NEAR),
                    spec("voice", false, M_NEAR),
                    spec("sms", true, nobody),
                ],
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), batch.len());
        assert_eq!(
            made.len(),
            2,
            "the message for a unit not paged is left out: {made:?}"
        );
        let page = s
            .ringing_pages(0, 100)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.unit == M_NEAR)
            .unwrap();
        let key = format!("1:{step}:{}:1", M_NEAR.0);
        assert_eq!(made[0].dedupe_key, format!("{key}:sms:1"));
        assert_eq!((made[0].status.as_str(), made[0].attempts), ("sending", 1));
        assert_eq!((made[1].status.as_str(), made[1].attempts), ("pending", 0));
        assert!(made.iter().all(|m| m.page_id == page.id));
        assert_eq!(page.messages.len(), 2, "the page is read back with them");
        let again = s
            .insert_messages(&[message(&page, "sms", 1, true)])
            .await
            .unwrap();
        assert!(
            again.is_empty(),
            "the pager does not make the first message again"
        );
        let claimed = s
            .claim_messages(
                Channel::Sms,
                t0() + TimeDelta::seconds(1),
                t0() + TimeDelta::seconds(20),
                10,
            )
            .await
            .unwrap();
        assert!(
            claimed.is_empty(),
            "a claimed first message is not claimed twice"
        );
    }
);
