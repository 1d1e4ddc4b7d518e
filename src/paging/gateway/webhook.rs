//! The webhook gateway: the page as a JSON POST, signed like IoT intake, to the centre's own
//! system (a chat bot, a dispatch board); a 2xx is delivered.

use super::{Gateways, MESSAGE, SendResult, classify, permanent, transport};
use crate::paging::policy::Outcome;
use crate::signing;
use crate::store::outbox::Message;
use chrono::{DateTime, Utc};

impl Gateways {
    pub(super) async fn webhook(&self, m: &Message, now: DateTime<Utc>) -> SendResult {
        let Some((url, w)) = &self.webhook else {
            return permanent("no webhook gateway is configured".into());
        };
        let mut body = m.body["page"].clone();
        if let Some(o) = body.as_object_mut() {
            o.insert("message".into(), m.dedupe_key.clone().into());
            o.insert("attempt".into(), m.n.into());
        }
        let body = body.to_string();
        let ts = now.timestamp().to_string();
        let signature = match signing::sign(w.secret.as_bytes(), &ts, body.as_bytes()) {
            Ok(s) => s,
            Err(e) => return permanent(e.to_string()),
        };
        let sent = self
            .client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(MESSAGE, &m.dedupe_key)
            .header(signing::TIMESTAMP, ts)
            .header(signing::SIGNATURE, format!("sha256={signature}"))
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) => {
                let status = r.status();
                let answer = r.bytes().await.unwrap_or_default();
                SendResult {
                    outcome: classify(status, &answer, Outcome::Delivered),
                    gateway_ref: None,
                }
            }
            Err(e) => transport(e),
        }
    }
}
