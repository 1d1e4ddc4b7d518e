//! Paging on the wire: the server (in-process, real HTTP) pages through gateway stand-ins on
//! loopback (real HTTP too), on SQLite and, when configured, PostgreSQL.

use crate::support::gateway::{Answer, Gateway};
use crate::support::process::ServeProcess;
use crate::support::signed_post;
use crate::support::{
    Api, Server, engines, eventually, fresh_database, lift_where, seeded, settings, token,
};
use liftrescue::config::Settings;
use liftrescue::domain::Lift;
use liftrescue::paging::settings::{HttpGatewaySettings, WebhookSettings};
use liftrescue::store::{Role, Store};
use serde_json::{Value, json};
use std::sync::Arc;

const RECEIPT_SECRET: &str = "receipt-secret";

fn sms_gateway(base: &str, path: &str) -> HttpGatewaySettings {
    HttpGatewaySettings {
        body: r#"{"mobile":"{{to}}","content":"{{text}}","out_id":"{{message_id}}"}"#.into(),
        headers: [("Authorization".to_owned(), "Bearer sms-key".to_owned())].into(),
        id_pointer: "/biz_id".into(),
        per_second: 50.0,
        receipt_secret: RECEIPT_SECRET.into(),
        ..HttpGatewaySettings::new(format!("{base}{path}"))
    }
}

/// Settings with SMS (and voice) gateways on `gw` and the plan given.
fn paging_settings(url: &str, gw: &Gateway, plan: &str) -> Settings {
    let mut s = settings(url, "dispatch-rules");
    s.notify.plan = plan.into();
    s.notify.sms = Some(sms_gateway(&gw.base, "/sms"));
    s.notify.voice = Some(sms_gateway(&gw.base, "/voice"));
    s.notify.send_deadline_secs = 2;
    s.notify.retry_first_ms = 200;
    s.notify.retry_max_delay_secs = 1;
    s.notify.max_attempts = 3;
    s
}

struct Scene {
    store: Arc<dyn Store>,
    lift: Lift,
    intake: Api,
    op: Api,
}

async fn scene(engine: &str) -> (String, Scene) {
    let url = fresh_database(engine).await;
    let store = seeded(&url).await;
    let lift = lift_where(store.as_ref(), |l| l.maintainer.is_some()).await;
    let intake = token(store.as_ref(), Role::Integration, None).await;
    let op = token(store.as_ref(), Role::Operator, None).await;
    (
        url,
        Scene {
            store,
            lift,
            intake: Api::new("", &intake),
            op: Api::new("", &op),
        },
    )
}

impl Scene {
    fn on(&mut self, base: &str) {
        self.intake.base = base.into();
        self.op.base = base.into();
    }

    async fn alarm(&self, id: &str) -> i64 {
        let alarm = json!({"source_alarm_id": id, "channel": "iot", "lift": {"rescue_code": self.lift.rescue_code.as_str()}, "kind": "entrapment_between_floors"});
        let (status, body) = self.intake.post("/api/v1/alarms", alarm).await;
        assert_eq!(status, 202, "{body}");
        body["incident_id"].as_i64().expect("incident id")
    }

    async fn timeline(&self, incident: i64) -> Vec<Value> {
        let (status, body) = self
            .op
            .get(&format!("/api/v1/incidents/{incident}/timeline"))
            .await;
        assert_eq!(status, 200, "{body}");
        body.as_array().cloned().unwrap_or_default()
    }

    /// The `delivery` events of the timeline for `unit`: (channel, status).
    async fn deliveries(&self, incident: i64, unit: i64) -> Vec<(String, String)> {
        self.timeline(incident)
            .await
            .iter()
            .filter(|e| e["kind"] == "delivery" && e["body"]["kind"]["unit"] == unit)
            .map(|e| {
                let k = &e["body"]["kind"];
                (
                    k["channel"].as_str().unwrap_or_default().to_owned(),
                    k["status"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// Waits (at most 10 s) for a `delivery` event of `unit` on the incident's timeline with
    /// this channel and status.
    async fn delivery_logged(&self, incident: i64, unit: i64, channel: &str, status: &str) {
        let want = (channel.to_owned(), status.to_owned());
        eventually(10, || async {
            self.deliveries(incident, unit)
                .await
                .contains(&want)
                .then_some(())
        })
        .await;
    }

    /// The channels of the incident's messages to `unit`, in order.
    async fn channels(&self, incident: i64, unit: i64) -> Vec<String> {
        self.messages(incident, unit)
            .await
            .iter()
            .map(|m| m["channel"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The incident's messages to `unit`.
    async fn messages(&self, incident: i64, unit: i64) -> Vec<Value> {
        let (status, body) = self
            .op
            .get(&format!("/api/v1/incidents/{incident}/messages"))
            .await;
        assert_eq!(status, 200, "{body}");
        let all = body.as_array().cloned().unwrap_or_default();
        all.into_iter().filter(|m| m["unit"] == unit).collect()
    }
}

/// The unit a message id names (`{incident}:{step}:{unit}:{page_no}:{channel}:{n}`).
fn unit_of(message: &str) -> i64 {
    liftrescue::paging::policy::AttemptKey::parse(message).map_or(-1, |k| k.page.unit.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_reaches_the_sms_gateway_and_its_receipt_and_reply_land_on_the_timeline() {
    for engine in engines() {
        let mut gw = Gateway::start().await;
        gw.answer(
            "/sms",
            Answer::Status(200, json!({"code": "OK", "biz_id": "biz-$message"})),
        );
        let (url, mut sc) = scene(engine).await;
        let server = Server::start(paging_settings(&url, &gw, "sms:0s,voice:60s")).await;
        sc.on(&server.base);
        let incident = sc.alarm("p-1").await;

        let sms = gw.next(10).await;
        assert_eq!(sms.path, "/sms");
        assert_eq!(sms.headers["authorization"], "Bearer sms-key");
        let body = sms.json();
        let text = body["content"].as_str().unwrap();
        assert!(text.contains(sc.lift.rescue_code.as_str()), "{text}");
        assert!(text.contains(&format!("{incident}")), "{text}");
        // No crew_url configured: the link is to this server's own crew page, on the port it
        // actually listens on.
        assert!(
            text.contains(&format!("{}/crew/{incident}", server.base)),
            "{text}"
        );
        let message = sms.message();
        assert_eq!(body["out_id"], message.as_str());
        assert!(message.starts_with(&format!("{incident}:")) && message.ends_with(":sms:1"));
        let unit = unit_of(&message);
        let phone = sc
            .store
            .units()
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.id.0 == unit)
            .and_then(|u| u.phone)
            .unwrap();
        assert_eq!(body["mobile"], phone.to_string());

        let sent = eventually(10, || async {
            let d = sc.deliveries(incident, unit).await;
            d.contains(&("sms".into(), "sent".into())).then_some(d)
        })
        .await;
        assert_eq!(sent.len(), 1, "{sent:?}");

        // A receipt with a wrong signature changes nothing; the signed one is recorded, by
        // the provider's own id.
        let biz = format!("biz-{message}");
        let receipt = json!({"receipts": [{"message": biz, "status": "delivered"}, {"message": "nope", "status": "delivered"}]});
        let path = "/api/v1/notify/receipts/sms";
        let (status, body) = signed_post(&server.base, path, "wrong", &receipt).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(sc.messages(incident, unit).await[0]["status"], "sent");
        let (status, body) = signed_post(&server.base, path, RECEIPT_SECRET, &receipt).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["results"][0]["result"],
            "recorded",
            "{body} {:?}",
            sc.messages(incident, unit).await
        );
        assert_eq!(body["results"][0]["status"], "delivered");
        assert_eq!(body["results"][1]["result"], "unknown_message");
        let msgs = sc.messages(incident, unit).await;
        assert_eq!(
            (msgs[0]["status"].as_str(), msgs[0]["gateway_ref"].as_str()),
            (Some("delivered"), Some(biz.as_str()))
        );
        sc.delivery_logged(incident, unit, "sms", "delivered").await;
        // The same batch again (the gateway missed our answer): a repeat, not a second record.
        let (status, body) = signed_post(&server.base, path, RECEIPT_SECRET, &receipt).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            first_result(&body),
            (Some("repeated"), Some("delivered")),
            "{body}"
        );

        // The crew answers the SMS with "1": that is its acceptance.
        let reply = json!({"receipts": [{"message": message, "status": "reply", "text": "1"}]});
        let (status, body) = signed_post(&server.base, path, RECEIPT_SECRET, &reply).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["results"][0]["result"], "acknowledged", "{body}");
        let kinds: Vec<Value> = sc
            .timeline(incident)
            .await
            .iter()
            .map(|e| e["kind"].clone())
            .collect();
        assert!(kinds.contains(&json!("accepted")), "{kinds:?}");
        let delivered = sc
            .deliveries(incident, unit)
            .await
            .into_iter()
            .filter(|d| *d == ("sms".to_owned(), "delivered".to_owned()))
            .count();
        assert_eq!(delivered, 1, "the delivery is on the timeline once");
        // The provider delivers the same reply again: the page says so already, nothing new
        // is logged; a decline after the acceptance is still refused.
        let (status, body) = signed_post(&server.base, path, RECEIPT_SECRET, &reply).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            first_result(&body),
            (Some("repeated"), Some("accepted")),
            "{body}"
        );
        let accepted = |t: &[Value]| t.iter().filter(|e| e["kind"] == "accepted").count();
        assert_eq!(accepted(&sc.timeline(incident).await), 1);
        let decline = json!({"receipts": [{"message": message, "status": "reply", "text": "2"}]});
        let (status, body) = signed_post(&server.base, path, RECEIPT_SECRET, &decline).await;
        assert_eq!(
            (status, body["results"][0]["result"].as_str()),
            (200, Some("refused")),
            "{body}"
        );
        let bad = json!({"receipts": [{"message": message, "status": "reply", "text": "ok"}]});
        let (status, body) = signed_post(&server.base, path, RECEIPT_SECRET, &bad).await;
        assert_eq!(
            (status, body["results"][0]["result"].as_str()),
            (200, Some("refused"))
        );
        server.stop().await;
        gw.stop().await;
    }
}

/// The first receipt's result and the status it reports, from a receipts answer.
fn first_result(body: &Value) -> (Option<&str>, Option<&str>) {
    let r = &body["results"][0];
    (r["result"].as_str(), r["status"].as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_fails_is_retried_then_the_plan_falls_back_to_voice_at_once() {
    for engine in engines() {
        let mut gw = Gateway::start().await;
        gw.answer("/sms", Answer::Status(503, json!({"error": "busy"})));
        let (url, mut sc) = scene(engine).await;
        // The voice call is planned at 60 s: the SMS giving up brings it forward.
        let server = Server::start(paging_settings(&url, &gw, "sms:0s,voice:60s")).await;
        sc.on(&server.base);
        let incident = sc.alarm("f-1").await;
        let unit = unit_of(&gw.next(10).await.message());
        loop {
            let r = gw.next(15).await;
            if r.path == "/voice" && unit_of(&r.message()) == unit {
                break;
            }
        }
        let sms: Vec<_> = gw
            .received()
            .into_iter()
            .filter(|r| r.path == "/sms" && unit_of(&r.message()) == unit)
            .collect();
        assert_eq!(sms.len(), 3, "three attempts (max_attempts) of the one SMS");
        assert!(
            sms.iter().all(|r| r.message() == sms[0].message()),
            "one message, retried"
        );
        let d = eventually(10, || async {
            let d = sc.deliveries(incident, unit).await;
            d.contains(&("voice".into(), "sent".into())).then_some(d)
        })
        .await;
        let sms_statuses: Vec<&str> = d
            .iter()
            .filter(|(c, _)| c == "sms")
            .map(|(_, s)| s.as_str())
            .collect();
        assert_eq!(sms_statuses, ["retrying", "retrying", "failed"], "{d:?}");
        let msgs = sc.messages(incident, unit).await;
        let sms_row = msgs.iter().find(|m| m["channel"] == "sms").unwrap();
        assert_eq!(
            (sms_row["status"].as_str(), sms_row["attempts"].as_i64()),
            (Some("failed"), Some(3))
        );
        assert!(sms_row["last_error"].as_str().unwrap().contains("503"));
        server.stop().await;
        gw.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_provider_taking_a_get_and_answering_200_to_a_refusal_too() {
    for engine in engines() {
        let mut gw = Gateway::start().await;
        // A provider of the kind that answers `0` for sent and another code for refused
        // (`30`: wrong password), with HTTP 200 either way.
        gw.answer("/sms", Answer::Status(200, json!(0)));
        let (url, mut sc) = scene(engine).await;
        let mut settings = paging_settings(&url, &gw, "sms:0s,voice:60s");
        settings.notify.sms = Some(HttpGatewaySettings {
            url: format!(
                "{}/sms?u=centre&p=s3cret&m={{{{to}}}}&c={{{{text}}}}&code={{{{rescue_code}}}}&due={{{{deadline}}}}",
                gw.base
            ),
            method: "GET".into(),
            ok_value: "0".into(),
            ..HttpGatewaySettings::new("")
        });
        let server = Server::start(settings).await;
        sc.on(&server.base);

        let incident = sc.alarm("g-1").await;
        let sms = gw.next(10).await;
        assert_eq!((sms.method.as_str(), sms.path.as_str()), ("GET", "/sms"));
        assert_eq!(sms.body, "", "a GET carries no body");
        assert_eq!(sms.query["u"], "centre");
        let text = &sms.query["c"];
        assert!(text.contains(sc.lift.rescue_code.as_str()), "{text}");
        assert!(text.contains(&format!("/crew/{incident}")), "{text}");
        // A provider's approved template takes the pieces: the code, the deadline (HH:MM)
        // that the text gives too.
        assert_eq!(sms.query["code"], sc.lift.rescue_code.as_str());
        let due = &sms.query["due"];
        assert!(
            due.len() == 5 && text.contains(due.as_str()),
            "{due} in {text}"
        );
        let unit = unit_of(&sms.message());
        let phone = sc.store.units().await.unwrap();
        let phone = phone.iter().find(|u| u.id.0 == unit).unwrap();
        assert_eq!(sms.query["m"], phone.phone.as_ref().unwrap().to_string());
        sc.delivery_logged(incident, unit, "sms", "sent").await;

        // Now the provider refuses: the SMS is failed at once (no retry of a refusal), the
        // voice call planned at 60 s comes forward, and what the provider said is kept,
        // without the address's credentials.
        gw.answer("/sms", Answer::Status(200, json!(30)));
        let other = lift_where(sc.store.as_ref(), |l| {
            l.maintainer.is_some() && l.maintainer != sc.lift.maintainer
        })
        .await;
        let alarm = json!({"source_alarm_id": "g-2", "channel": "iot", "lift": {"id": other.id.0}, "kind": "entrapment_between_floors"});
        let (status, body) = sc.intake.post("/api/v1/alarms", alarm).await;
        assert_eq!(status, 202, "{body}");
        let refused = body["incident_id"].as_i64().unwrap();
        let unit = loop {
            let r = gw.next(10).await;
            if r.message().starts_with(&format!("{refused}:")) && r.path == "/sms" {
                break unit_of(&r.message());
            }
        };
        loop {
            let r = gw.next(15).await;
            if r.path == "/voice" && unit_of(&r.message()) == unit {
                break;
            }
        }
        let sms_sent = gw
            .received()
            .iter()
            .filter(|r| r.path == "/sms" && unit_of(&r.message()) == unit)
            .count();
        assert_eq!(sms_sent, 1, "a refusal is not retried");
        sc.delivery_logged(refused, unit, "sms", "failed").await;
        let msgs = sc.messages(refused, unit).await;
        let row = msgs.iter().find(|m| m["channel"] == "sms").unwrap();
        let error = row["last_error"].as_str().unwrap();
        assert!(error.contains("refused") && error.contains("30"), "{error}");
        let timeline = serde_json::to_string(&sc.timeline(refused).await).unwrap();
        assert!(!timeline.contains("s3cret"), "{timeline}");
        server.stop().await;
        gw.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_mid_retry_stops_every_pending_repeat() {
    for engine in engines() {
        let mut gw = Gateway::start().await;
        gw.answer("/sms", Answer::Status(503, json!({"error": "busy"})));
        let (url, mut sc) = scene(engine).await;
        let mut s = paging_settings(&url, &gw, "sms:0s,voice:3s,repeat:3s");
        s.notify.retry_first_ms = 2_000;
        s.notify.retry_max_delay_secs = 2;
        let server = Server::start(s).await;
        sc.on(&server.base);
        let incident = sc.alarm("a-1").await;
        let first = gw.next(10).await;
        let unit = unit_of(&first.message());
        // The SMS waits for its retry (2 s); the crew accepts on the crew page meanwhile.
        eventually(10, || async {
            let m = sc.messages(incident, unit).await;
            (m.first()?["status"] == "pending").then_some(())
        })
        .await;
        let crew = Api::new(
            &server.base,
            &token(sc.store.as_ref(), Role::Crew, Some(unit)).await,
        );
        let (status, body) = crew
            .post(
                &format!("/api/v1/crew/incidents/{incident}/accept"),
                json!({"eta_secs": 600}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let msgs = sc.messages(incident, unit).await;
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert_eq!(
            msgs[0]["status"], "cancelled",
            "cancelled by the acceptance itself"
        );
        // Past the retry (2 s) and the voice call (3 s): nothing more reaches the unit (the
        // building's property staff, paged by their own step, still are).
        let until = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while let Ok(r) = tokio::time::timeout_at(until, gw.next(10)).await {
            assert_ne!(unit_of(&r.message()), unit, "sent after the acceptance");
        }
        let to_unit = gw
            .received()
            .iter()
            .filter(|r| unit_of(&r.message()) == unit)
            .count();
        assert_eq!(to_unit, 1);
        assert_eq!(sc.messages(incident, unit).await.len(), 1);
        server.stop().await;
        gw.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_page_is_signed_and_counts_as_delivered() {
    let engine = engines()[0];
    let mut gw = Gateway::start().await;
    let (url, mut sc) = scene(engine).await;
    let mut s = settings(&url, "dispatch-rules");
    s.notify.plan = "webhook:0s".into();
    s.notify.webhook = Some(WebhookSettings {
        url: format!("{}/hook", gw.base),
        secret: "hook-secret".into(),
        per_second: 10.0,
    });
    let server = Server::start(s).await;
    sc.on(&server.base);
    let incident = sc.alarm("w-1").await;
    let hook = gw.next(10).await;
    let unit = unit_of(&hook.message());
    let ts = &hook.headers["x-liftrescue-timestamp"];
    let sig = &hook.headers["x-liftrescue-signature"];
    liftrescue::signing::verify_signature(
        b"hook-secret",
        ts,
        hook.body.as_bytes(),
        sig,
        chrono::Utc::now(),
        std::time::Duration::from_secs(60),
    )
    .expect("a valid signature");
    let page = hook.json();
    assert_eq!(page["incident"], incident);
    assert_eq!(page["rescue_code"], sc.lift.rescue_code.as_str());
    assert_eq!(page["message"], hook.message().as_str());
    assert!(
        page["ack_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/{incident}"))
    );
    sc.delivery_logged(incident, unit, "webhook", "delivered")
        .await;
    server.stop().await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_a_send_in_flight_sends_nothing_twice() {
    let Some(engine) = engines().into_iter().find(|e| *e == "postgres") else {
        println!("skipping the restart test: it runs on PostgreSQL");
        return;
    };
    let mut gw = Gateway::start().await;
    gw.answer("/sms", Answer::Status(200, json!({"biz_id": "b"})));
    let (url, mut sc) = scene(engine).await;
    let sms_url = format!("{}/sms", gw.base);
    let voice_url = format!("{}/voice", gw.base);
    let env = [
        ("LIFTRESCUE_DATABASE_URL", url.as_str()),
        ("LIFTRESCUE_SEED_DEMO", "false"),
        ("LIFTRESCUE_NOTIFY__PLAN", "sms:0s,voice:1s,repeat:600s"),
        ("LIFTRESCUE_NOTIFY__SEND_DEADLINE_SECS", "1"),
        ("LIFTRESCUE_NOTIFY__SMS__URL", sms_url.as_str()),
        ("LIFTRESCUE_NOTIFY__VOICE__URL", voice_url.as_str()),
    ];
    let server = ServeProcess::start(&env);
    sc.on(&server.base);
    // Every page's SMS goes out and is answered; its voice call hangs at the gateway when the
    // server is killed.
    gw.answer("/voice", Answer::Hang);
    let incident = sc.alarm("r-1").await;
    let sms = gw.next(10).await;
    assert_eq!(sms.path, "/sms");
    let unit = unit_of(&sms.message());
    eventually(10, || async {
        let m = sc.messages(incident, unit).await;
        let status = |c: &str| {
            m.iter()
                .find(|m| m["channel"] == c)
                .map(|m| m["status"].clone())
        };
        (status("sms")? == "sent" && status("voice")? == "sending").then_some(())
    })
    .await;
    server.kill();

    gw.answer("/voice", Answer::Status(200, json!({})));
    let server = ServeProcess::start(&env);
    sc.on(&server.base);
    // The interrupted call is marked unknown once its lease ends, and not made again.
    let d = eventually(20, || async {
        let d = sc.deliveries(incident, unit).await;
        d.contains(&("voice".into(), "unknown".into())).then_some(d)
    })
    .await;
    assert!(d.contains(&("sms".into(), "sent".into())), "{d:?}");
    let msgs = sc.messages(incident, unit).await;
    let statuses: Vec<(&str, &str)> = msgs
        .iter()
        .map(|m| {
            (
                m["channel"].as_str().unwrap(),
                m["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(statuses, [("sms", "sent"), ("voice", "failed")], "{msgs:?}");
    // A later alarm still pages: the restarted pager works, and sends only the new page.
    let other_lift = lift_where(sc.store.as_ref(), |l| {
        l.maintainer.is_some() && l.id != sc.lift.id
    })
    .await;
    let alarm = json!({"source_alarm_id": "r-2", "lift": {"id": other_lift.id.0}, "kind": "entrapment_at_landing"});
    let (status, body) = sc.intake.post("/api/v1/alarms", alarm).await;
    assert_eq!(status, 202, "{body}");
    let other = body["incident_id"].as_i64().unwrap();
    assert_ne!(other, incident, "another lift, another incident");
    // (Requests from before the kill may still be queued at the stand-in; skip to the new.)
    loop {
        let next = gw.next(10).await;
        if next.message().starts_with(&format!("{other}:")) {
            break;
        }
    }
    let keys: Vec<String> = gw.received().iter().map(|r| r.message()).collect();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(keys.len(), unique.len(), "a message sent twice: {keys:?}");
    server.kill();
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crew_phone_subscribed_to_web_push_gets_a_vapid_signed_push() {
    use liftrescue::paging::push::Vapid;
    use liftrescue::paging::settings::PushSettings;
    let engine = engines()[0];
    let mut gw = Gateway::start().await;
    gw.answer("/push/gone", Answer::Status(410, json!({})));
    let (url, mut sc) = scene(engine).await;
    let (private, public) = Vapid::generate().unwrap();
    let mut s = settings(&url, "dispatch-rules");
    s.notify.plan = "push:0s".into();
    s.notify.push = Some(PushSettings {
        vapid_private_key: private,
        subject: "mailto:ops@example.cn".into(),
        ttl_secs: 120,
        per_second: 50.0,
        allow_private_endpoints: true,
    });
    let server = Server::start(s).await;
    sc.on(&server.base);
    // Every unit's phone subscribes, the first through the crew API; one unit's old
    // subscription is gone at the push service.
    let units = sc.store.units().await.unwrap();
    let crew = Api::new(
        &server.base,
        &token(sc.store.as_ref(), Role::Crew, Some(units[0].id.0)).await,
    );
    let (status, key) = crew.get("/api/v1/crew/push-key").await;
    assert_eq!(
        (status, key["public_key"].as_str()),
        (200, Some(public.as_str()))
    );
    let client = reqwest::Client::new();
    let put = |endpoint: String| {
        client
            .put(format!("{}/api/v1/crew/push-subscription", server.base))
            .bearer_auth(&crew.token)
            .json(&json!({"endpoint": endpoint, "keys": {"p256dh": "BNc", "auth": "tBH"}, "expirationTime": null}))
            .send()
    };
    let r = put(format!("{}/push/{}", gw.base, units[0].id.0))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = put("ftp://nowhere".into()).await.unwrap();
    assert_eq!(
        r.status().as_u16(),
        400,
        "a push endpoint must be an https URL"
    );
    let earlier = chrono::Utc::now() - chrono::TimeDelta::hours(1);
    for u in &units {
        let endpoint = format!("{}/push/{}", gw.base, u.id.0);
        sc.store
            .put_push_subscription(u.id, &endpoint, "BNc", "tBH", chrono::Utc::now())
            .await
            .unwrap();
        let gone = format!("{}/push/gone?unit={}", gw.base, u.id.0);
        sc.store
            .put_push_subscription(u.id, &gone, "BNc", "tBH", earlier)
            .await
            .unwrap();
    }
    let incident = sc.alarm("push-1").await;
    // The older subscription is tried first: the push service says it is gone (410).
    let gone = gw.next(10).await;
    assert_eq!(gone.path, "/push/gone");
    let push = loop {
        let r = gw.next(10).await;
        if r.path != "/push/gone" {
            break r;
        }
    };
    assert_eq!(push.body, "", "a push carries no payload");
    assert_eq!(push.headers["ttl"], "120");
    assert_eq!(push.headers["urgency"], "high");
    let auth = &push.headers["authorization"];
    let (jwt, k) = auth
        .strip_prefix("vapid t=")
        .and_then(|r| r.split_once(", k="))
        .unwrap();
    assert_eq!(k, public);
    let claims: Value = {
        use base64::Engine;
        let part = jwt.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(claims["aud"], gw.base.as_str());
    let unit: i64 = push.path.trim_start_matches("/push/").parse().unwrap();
    sc.delivery_logged(incident, unit, "push", "sent").await;
    let left = sc
        .store
        .push_subscriptions(liftrescue::domain::UnitId(unit))
        .await
        .unwrap();
    assert_eq!(
        left,
        [format!("{}/push/{unit}", gw.base)],
        "the gone one is forgotten"
    );
    server.stop().await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_in_flight_when_the_unit_accepts_is_not_retried_after_it_fails() {
    for engine in engines() {
        let mut gw = Gateway::start().await;
        gw.answer("/sms", Answer::Hang);
        let (url, mut sc) = scene(engine).await;
        let mut s = paging_settings(&url, &gw, "sms:0s,voice:60s");
        s.notify.send_deadline_secs = 1;
        s.notify.retry_first_ms = 100;
        let server = Server::start(s).await;
        sc.on(&server.base);
        let incident = sc.alarm("h-1").await;
        let first = gw.next(10).await;
        let unit = unit_of(&first.message());
        let crew = Api::new(
            &server.base,
            &token(sc.store.as_ref(), Role::Crew, Some(unit)).await,
        );
        // The SMS hangs at the gateway while the crew accepts on the crew page.
        let (status, body) = crew
            .post(
                &format!("/api/v1/crew/incidents/{incident}/accept"),
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        // The call times out (1 s) and would be retried in 0.1 s; the page has ended, so the
        // retry is cancelled instead.
        let m = eventually(15, || async {
            let m = sc.messages(incident, unit).await;
            (m.first()?["status"] == "cancelled").then_some(m)
        })
        .await;
        assert_eq!(m.len(), 1, "{m:?}");
        let to_unit = gw
            .received()
            .iter()
            .filter(|r| unit_of(&r.message()) == unit)
            .count();
        assert_eq!(to_unit, 1, "sent once, not again after the acceptance");
        let d = sc.deliveries(incident, unit).await;
        assert!(d.contains(&("sms".into(), "retrying".into())), "{d:?}");
        server.stop().await;
        gw.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_sms_gateway_does_not_hold_up_the_voice_calls() {
    let engine = engines()[0];
    let mut gw = Gateway::start().await;
    gw.answer("/sms", Answer::Hang);
    let (url, mut sc) = scene(engine).await;
    let mut s = paging_settings(&url, &gw, "sms:0s,voice:1s,repeat:600s");
    // One call at a time: the hanging SMS takes every SMS slot until its deadline.
    s.notify.max_in_flight = 1;
    s.notify.send_deadline_secs = 6;
    let server = Server::start(s).await;
    sc.on(&server.base);
    let incident = sc.alarm("v-1").await;
    let sms = gw.next(10).await;
    assert_eq!(sms.path, "/sms");
    let voice = loop {
        let r = gw.next(5).await;
        if r.path == "/voice" {
            break r;
        }
    };
    // The voice call went out while the SMS call still hung: it did not wait for its slot.
    let held = sms.message();
    let m = sc.messages(incident, unit_of(&held)).await;
    let sms_row = m.iter().find(|m| m["channel"] == "sms");
    assert_eq!(
        sms_row.map(|r| &r["status"]),
        Some(&json!("sending")),
        "{m:?}"
    );
    assert!(voice.message().ends_with(":voice:1"), "{}", voice.message());
    server.stop().await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_sms_needs_no_voice_call() {
    let engine = engines()[0];
    let mut gw = Gateway::start().await;
    let (url, mut sc) = scene(engine).await;
    let server = Server::start(paging_settings(&url, &gw, "sms:0s,voice:3s,repeat:600s")).await;
    sc.on(&server.base);
    let incident = sc.alarm("d-1").await;
    let sms = gw.next(10).await;
    let unit = unit_of(&sms.message());
    let receipt = json!({"receipts": [{"message": sms.message(), "status": "delivered"}]});
    let path = "/api/v1/notify/receipts/sms";
    let (status, body) = signed_post(&server.base, path, RECEIPT_SECRET, &receipt).await;
    assert_eq!(
        (status, body["results"][0]["status"].as_str()),
        (200, Some("delivered")),
        "{body}"
    );
    // Past the voice call's time (3 s): the unit got nothing more.
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while let Ok(r) = tokio::time::timeout_at(until, gw.next(10)).await {
        assert!(
            !(r.path == "/voice" && unit_of(&r.message()) == unit),
            "a voice call after the SMS was delivered"
        );
    }
    let channels = sc.channels(incident, unit).await;
    assert_eq!(channels, ["sms"]);
    server.stop().await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_units_own_contact_plan_from_its_record_goes_before_its_kinds() {
    for engine in engines() {
        let mut gw = Gateway::start().await;
        let (url, mut sc) = scene(engine).await;
        let server = Server::start(paging_settings(&url, &gw, "sms:0s,repeat:600s")).await;
        sc.on(&server.base);
        // Through the registry API of the running server: every maintainer of the lift's
        // company is called first, then texted a minute later.
        let admin = token(sc.store.as_ref(), Role::Admin, None).await;
        let admin = Api::new(&server.base, &admin);
        let (status, units) = admin.get("/api/v1/units").await;
        assert_eq!(status, 200, "{units}");
        let company = sc.lift.maintainer.expect("a maintained lift").0;
        let ours: Vec<Value> = units
            .as_array()
            .into_iter()
            .flatten()
            .filter(|u| u["company"] == company && u["kind"] == "maintainer")
            .map(|u| {
                let mut u = u.clone();
                u["contact_plan"] = json!("voice:0s,sms:60s,repeat:600s");
                u
            })
            .collect();
        assert!(!ours.is_empty());
        let (status, body) = admin.put("/api/v1/units", json!(ours)).await;
        assert_eq!(status, 200, "{body}");
        let ids: Vec<i64> = ours.iter().filter_map(|u| u["id"].as_i64()).collect();
        let incident = sc.alarm("own-plan-1").await;
        // Other units (the property staff) keep their kind's plan: an SMS at once.
        let call = loop {
            let r = gw.next(10).await;
            let unit = unit_of(&r.message());
            if ids.contains(&unit) {
                break r;
            }
            assert_eq!(r.path, "/sms", "a unit without a plan of its own: {unit}");
        };
        assert_eq!(call.path, "/voice", "{engine}: its own plan calls first");
        let unit = unit_of(&call.message());
        sc.delivery_logged(incident, unit, "voice", "sent").await;
        let channels = sc.channels(incident, unit).await;
        assert_eq!(channels, ["voice"], "{engine}: no SMS before its minute");
        server.stop().await;
        gw.stop().await;
    }
}
