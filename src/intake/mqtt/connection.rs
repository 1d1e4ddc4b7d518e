//! The broker connection: options from settings, the poll loop, reconnects with backoff.
//!
//! rumqttc's event loop reconnects by itself on the next `poll` after an error; this loop only
//! waits between attempts (1 s doubling to 30 s, back to 1 s on CONNACK), subscribes again on
//! every CONNACK (harmless when the persistent session kept the subscriptions) and hands each
//! PUBLISH on. It logs an outage once when it starts and once when it ends.

use anyhow::{Context, anyhow};
use rumqttc::{
    AsyncClient, Event, EventLoop, MqttOptions, Packet, Publish, QoS, SubscribeReasonCode,
};
use std::time::Duration;
use tokio::sync::mpsc;

/// First wait after the broker goes away.
pub const MIN_BACKOFF: Duration = Duration::from_secs(1);
/// Longest wait between reconnect attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Largest packet read from the broker: far above
/// [`MAX_EVENT_BYTES`](crate::intake::iot::MAX_EVENT_BYTES), so an oversized event is read,
/// refused and acknowledged instead of breaking the connection (the broker would redeliver it
/// after every reconnect).
pub const MAX_INCOMING_PACKET: usize = 4 * 1024 * 1024;
/// Keep-alive ping interval.
const KEEP_ALIVE: Duration = Duration::from_secs(30);

/// The wait after `current`: doubled, at most [`MAX_BACKOFF`].
pub fn next_backoff(current: Duration) -> Duration {
    (current * 2).clamp(MIN_BACKOFF, MAX_BACKOFF)
}

/// Client options for `url` (`mqtt://[user:password@]host[:port]`, port 1883 by default): a
/// persistent session under `client_id` (clean session off, so messages not acknowledged
/// before a crash or a disconnect are delivered again) and manual acknowledgements.
pub fn options(url: &str, client_id: &str) -> anyhow::Result<MqttOptions> {
    let rest = url
        .strip_prefix("mqtt://")
        .or_else(|| url.strip_prefix("tcp://"))
        .ok_or_else(|| {
            anyhow!("the MQTT broker URL must start with mqtt:// (TLS is not built in)")
        })?
        .trim_end_matches('/');
    let (login, address) = match rest.rsplit_once('@') {
        Some((login, address)) => (Some(login), address),
        None => (None, rest),
    };
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().context("read the MQTT broker port")?),
        None => (address, 1883),
    };
    if host.is_empty() {
        return Err(anyhow!("the MQTT broker URL names no host"));
    }
    let mut options = MqttOptions::new(client_id, host, port);
    options
        .set_clean_session(false)
        .set_manual_acks(true)
        .set_keep_alive(KEEP_ALIVE)
        .set_max_packet_size(MAX_INCOMING_PACKET, 64 * 1024);
    if let Some(login) = login {
        let (user, password) = login.split_once(':').unwrap_or((login, ""));
        options.set_credentials(user, password);
    }
    Ok(options)
}

/// Polls the broker for ever: PUBLISHes go to `tx`; errors wait with backoff, then poll
/// again, which reconnects. Returns when `tx`'s receiver is gone.
pub async fn poll(
    mut eventloop: EventLoop,
    client: AsyncClient,
    filters: Vec<String>,
    tx: mpsc::Sender<Publish>,
) {
    let mut backoff = MIN_BACKOFF;
    let mut outage = false;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                if tx.send(publish).await.is_err() {
                    return;
                }
            }
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                backoff = MIN_BACKOFF;
                let session_present = ack.session_present;
                match std::mem::take(&mut outage) {
                    true => tracing::warn!(session_present, "MQTT broker reconnected"),
                    false => tracing::info!(session_present, "MQTT broker connected"),
                }
                subscribe(&client, &filters);
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                if ack.return_codes.contains(&SubscribeReasonCode::Failure) {
                    tracing::error!(?filters, "the MQTT broker refused a subscription");
                }
            }
            Ok(_) => {}
            Err(error) => {
                if !std::mem::replace(&mut outage, true) {
                    tracing::warn!(%error, "MQTT broker unreachable: reconnecting with backoff");
                } else {
                    tracing::debug!(%error, retry_in = ?backoff, "MQTT reconnect failed");
                }
                tokio::time::sleep(backoff).await;
                backoff = next_backoff(backoff);
            }
        }
    }
}

/// Queues the subscriptions (sent by the next poll; `try_` because this task is the one that
/// drains the request queue).
fn subscribe(client: &AsyncClient, filters: &[String]) {
    for filter in filters {
        if let Err(error) = client.try_subscribe(filter.clone(), QoS::AtLeastOnce) {
            tracing::error!(%error, filter, "could not queue an MQTT subscription");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_to_thirty() {
        let mut waits = vec![MIN_BACKOFF];
        while waits.len() < 8 {
            waits.push(next_backoff(waits[waits.len() - 1]));
        }
        let secs: Vec<u64> = waits.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn options_read_the_broker_url_with_a_persistent_session_and_manual_acks() {
        let o = options("mqtt://broker.local:1884", "node-1").unwrap();
        assert_eq!(o.broker_address(), ("broker.local".to_owned(), 1884));
        assert!(!o.clean_session() && o.manual_acks());
        assert_eq!(o.client_id(), "node-1");
        let o = options("mqtt://u:p@127.0.0.1/", "n").unwrap();
        assert_eq!(o.broker_address(), ("127.0.0.1".to_owned(), 1883));
        assert!(o.credentials().is_some());
        assert!(options("mqtts://b:8883", "n").is_err());
        assert!(options("mqtt://b:port", "n").is_err());
        assert!(options("mqtt://:1883", "n").is_err());
    }
}
