//! Receipts: what a gateway reports of a message after the call (delivered, read, failed), and
//! SMS replies that accept or decline the page for the unit.

use super::Paging;
use super::policy::{self, Channel, Outcome, State, Transition};
use crate::desk::DeskError;
use crate::dispatch::{Command, CrewAction, Rejection};
use crate::store::StoreError;
use crate::store::outbox::{Message, MessageChange};

/// What a receipt says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptStatus {
    /// It reached the phone.
    Delivered,
    /// The person opened it.
    Read,
    /// It could not be delivered.
    Failed(String),
    /// The person replied (SMS): "1" accepts, "2" declines.
    Reply(String),
}

impl ReceiptStatus {
    /// A gateway's receipt status (`delivered`, `read`, `failed` with its error, `reply` with
    /// the text), or why it is not one.
    pub fn parse(status: &str, error: &str, text: &str) -> Result<Self, String> {
        Ok(match status {
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "failed" if error.trim().is_empty() => {
                Self::Failed("the gateway reported a failure".into())
            }
            "failed" => Self::Failed(error.chars().take(500).collect()),
            "reply" => Self::Reply(text.to_owned()),
            other => {
                return Err(format!(
                    "status {other:?}: expected delivered, read, failed or reply"
                ));
            }
        })
    }
}

/// What a receipt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptResult {
    /// Recorded on the message and the timeline.
    Recorded {
        /// The message's status now.
        status: String,
    },
    /// A reply turned into the unit's acceptance or decline.
    Acknowledged {
        /// `accepted` or `declined`.
        action: &'static str,
    },
    /// The message has this outcome already (its receipt came before): nothing recorded.
    Repeated {
        /// The message's status.
        status: String,
    },
    /// No message of this channel has that id.
    UnknownMessage,
}

/// Why a receipt was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// The reply is not one the page offered.
    #[error("reply {0:?} is neither 1 (accept) nor 2 (decline)")]
    BadReply(String),
    /// The desk refused the acknowledgement.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The desk stopped.
    #[error("the dispatch desk is not running")]
    Stopped,
    /// The message kept changing under the receipt.
    #[error("the message is being updated; send the receipt again")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Paging {
    /// Records a gateway's receipt for the `channel` message with our dedupe key or the
    /// gateway's id `reference`.
    pub async fn receipt(
        &self,
        channel: Channel,
        reference: &str,
        status: ReceiptStatus,
    ) -> Result<ReceiptResult, ReceiptError> {
        let i = &self.inner;
        let word = match &status {
            ReceiptStatus::Read => "read",
            ReceiptStatus::Failed(_) => "failed",
            _ => "delivered",
        };
        let detail = match &status {
            ReceiptStatus::Failed(e) => format!("receipt: {e}"),
            _ => "receipt".into(),
        };
        // The send's own answer may move the message between the read and the write: then
        // read it again and decide anew (a few times at most).
        for _ in 0..5 {
            let Some(m) = i.store.find_message(channel, reference).await? else {
                return Ok(ReceiptResult::UnknownMessage);
            };
            let outcome = match &status {
                ReceiptStatus::Reply(text) => return self.reply(&m, text).await,
                ReceiptStatus::Delivered | ReceiptStatus::Read => Outcome::Delivered,
                ReceiptStatus::Failed(e) => Outcome::Failed {
                    retryable: false,
                    error: e.clone(),
                },
            };
            // Every receipt goes on the record, whatever it changes (a cancelled message has
            // no delivery state to change).
            let Some(state) = m.status.state() else {
                self.report(&m, word, detail);
                return Ok(ReceiptResult::Recorded {
                    status: m.status.as_str().to_owned(),
                });
            };
            let attempts = u32::try_from(m.attempts).unwrap_or(1);
            let now = i.clock.now();
            let t = policy::next(state, outcome, now, attempts, &i.policy, fastrand::f64());
            let to = t.state(state);
            // The outcome the message already has, again (a batch resent after a 503, a
            // receipt per SMS segment): on the record once.
            if t == Transition::Unchanged && word == m.status.as_str() {
                return Ok(ReceiptResult::Repeated {
                    status: m.status.as_str().to_owned(),
                });
            }
            if t != Transition::Unchanged {
                let (error, next_attempt_at) = match &t {
                    Transition::GiveUp { error } => (Some(error.clone()), None),
                    Transition::Retry { at, error } => (Some(error.clone()), Some(*at)),
                    _ => (None, None),
                };
                let change = MessageChange {
                    id: m.id,
                    from: state.into(),
                    to: to.into(),
                    next_attempt_at,
                    error,
                    gateway_ref: None,
                    at: now,
                };
                let reached = (to == State::Delivered).then_some((m.page_id, m.channel));
                if !i.store.change_message(&change, reached).await? {
                    continue;
                }
            }
            self.report(&m, word, detail);
            return Ok(ReceiptResult::Recorded {
                status: to.as_str().to_owned(),
            });
        }
        Err(ReceiptError::Busy)
    }

    pub(super) async fn reply(
        &self,
        m: &Message,
        text: &str,
    ) -> Result<ReceiptResult, ReceiptError> {
        let (action, word) = match text.trim() {
            policy::message::REPLY_ACCEPT => (CrewAction::Accept { eta_secs: None }, "accepted"),
            policy::message::REPLY_DECLINE => (
                CrewAction::Decline {
                    reason: format!("declined by {} reply", m.channel),
                },
                "declined",
            ),
            other => return Err(ReceiptError::BadReply(other.to_owned())),
        };
        let cmd = Command::Crew {
            unit: m.unit,
            incident: m.incident,
            action,
        };
        match self.inner.desk.submit(cmd).await {
            Ok(_) => Ok(ReceiptResult::Acknowledged { action: word }),
            Err(DeskError::Rejected(r)) => match self.page_state(m).await {
                // The same answer again (a provider redelivering the reply, or the crew page
                // got there first): the page already says it.
                Some(state) if answered_by(&state) == Some(word) => {
                    Ok(ReceiptResult::Repeated { status: state })
                }
                _ => Err(ReceiptError::Rejected(r)),
            },
            Err(_) => Err(ReceiptError::Stopped),
        }
    }

    /// Where the page `m` belongs to stands on the desk (`pending`, `accepted`, `en_route`,
    /// `declined` …), if the desk holds its incident.
    pub(super) async fn page_state(&self, m: &Message) -> Option<String> {
        let view = self.inner.desk.view(m.incident).await.ok()??;
        let step = view.steps.into_iter().find(|s| s.step == m.step)?;
        let page = step.pages.into_iter().rev().find(|p| p.unit == m.unit)?;
        Some(page.state)
    }
}

/// The reply a page in the desk's view `state` has had: `accepted` for a page accepted and
/// perhaps moved on since (any crew status), `declined`; `None` for one with no answer.
pub(super) fn answered_by(state: &str) -> Option<&'static str> {
    use crate::domain::CrewStatus::{Accepted, EnRoute, OnScene, Released};
    if [Accepted, EnRoute, OnScene, Released]
        .iter()
        .any(|s| s.as_str() == state)
    {
        Some("accepted")
    } else {
        (state == "declined").then_some("declined")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn receipt_statuses_are_the_four_a_gateway_may_send() {
        let p = ReceiptStatus::parse;
        assert_eq!(p("delivered", "", ""), Ok(ReceiptStatus::Delivered));
        assert_eq!(p("read", "", ""), Ok(ReceiptStatus::Read));
        assert_eq!(
            p("failed", "", ""),
            Ok(ReceiptStatus::Failed(
                "the gateway reported a failure".into()
            ))
        );
        let long = "x".repeat(900);
        assert_eq!(
            p("failed", &long, ""),
            Ok(ReceiptStatus::Failed("x".repeat(500)))
        );
        assert_eq!(p("reply", "", "1"), Ok(ReceiptStatus::Reply("1".into())));
        assert!(p("bounced", "", "").unwrap_err().contains("bounced"));
    }
}
