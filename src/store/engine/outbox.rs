//! The delivery side of the outbox for one engine (see `engine` for why a macro): ringing pages,
//! creating and claiming messages, finishing them, receipts and push subscriptions.

/// Inherent outbox methods on `$store`.
macro_rules! outbox_ops {
    ($store:ty, $db:ty, $engine:literal, $begin:literal) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use std::collections::BTreeMap;
            use $crate::domain::{IncidentId, UnitId};
            use $crate::store::StoreError;
            use $crate::store::outbox::{
                Channel, Message, MessageChange, MessageRow, MessageStatus, NewMessage,
                PageMessageRow, PageRow, RingingPage, sql,
            };
            use $crate::store::rows::from_json;
            use $crate::store::types::Ts;

            fn decode(rows: Vec<MessageRow>) -> Result<Vec<Message>, StoreError> {
                rows.into_iter().map(MessageRow::decode).collect()
            }

            impl $store {
                pub(crate) async fn ringing_pages_q(
                    &self,
                    after: i64,
                    limit: i64,
                ) -> Result<Vec<RingingPage>, StoreError> {
                    let pages: Vec<PageRow> = sqlx::query_as(sql::RINGING_PAGES)
                        .bind(after)
                        .bind(limit.max(0))
                        .fetch_all(&self.pool)
                        .await?;
                    let Some(last) = pages.last().map(|p| p.id) else {
                        return Ok(Vec::new());
                    };
                    let messages: Vec<PageMessageRow> = sqlx::query_as(sql::RINGING_PAGE_MESSAGES)
                        .bind(after)
                        .bind(last)
                        .fetch_all(&self.pool)
                        .await?;
                    let mut by_page: BTreeMap<i64, Vec<_>> = BTreeMap::new();
                    for m in messages {
                        let (page, message) = m.decode()?;
                        by_page.entry(page).or_default().push(message);
                    }
                    pages
                        .into_iter()
                        .map(|p| {
                            Ok(RingingPage {
                                id: p.id,
                                incident: IncidentId(p.incident_id),
                                step: p.step,
                                unit: UnitId(p.unit_id),
                                page_no: p.page_no,
                                paged_at: p.created_at.0,
                                payload: from_json("page payload", &p.payload)?,
                                messages: by_page.remove(&p.id).unwrap_or_default(),
                            })
                        })
                        .collect()
                }

                pub(crate) async fn insert_messages_tx(
                    &self,
                    new: &[NewMessage],
                ) -> Result<Vec<Message>, StoreError> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin_with($begin).await?;
                    let mut made = Vec::new();
                    for m in new {
                        let (status, attempts) = match m.claim_until {
                            Some(_) => (MessageStatus::Sending, 1),
                            None => (MessageStatus::Pending, 0),
                        };
                        let insert = if $engine == "postgres" {
                            sql::INSERT_MESSAGE_POSTGRES
                        } else {
                            sql::INSERT_MESSAGE_SQLITE
                        };
                        let row: Option<MessageRow> = sqlx::query_as(insert)
                            .bind(m.page_id)
                            .bind(m.incident.0)
                            .bind(&m.step)
                            .bind(m.unit.0)
                            .bind(m.channel.as_str())
                            .bind(m.n)
                            .bind(&m.dedupe_key)
                            .bind(status.as_str())
                            .bind(attempts)
                            .bind(Ts(m.at))
                            .bind(m.claim_until.map(Ts))
                            .bind(&m.recipient)
                            .bind(&m.body)
                            .fetch_optional(&mut *tx)
                            .await?;
                        made.extend(row);
                    }
                    tx.commit().await?;
                    decode(made)
                }

                pub(crate) async fn claim_messages_tx(
                    &self,
                    channel: Channel,
                    now: DateTime<Utc>,
                    lease_until: DateTime<Utc>,
                    limit: i64,
                ) -> Result<Vec<Message>, StoreError> {
                    let claim = if $engine == "postgres" {
                        sql::CLAIM_POSTGRES
                    } else {
                        sql::CLAIM_SQLITE
                    };
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin_with($begin).await?;
                    let rows: Vec<MessageRow> = sqlx::query_as(claim)
                        .bind(Ts(now))
                        .bind(Ts(lease_until))
                        .bind(channel.as_str())
                        .bind(limit.max(0))
                        .fetch_all(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    decode(rows)
                }

                pub(crate) async fn change_message_tx(
                    &self,
                    c: &MessageChange,
                    reached_by: Option<(i64, Channel)>,
                ) -> Result<bool, StoreError> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin_with($begin).await?;
                    let done = sqlx::query(sql::CHANGE_MESSAGE)
                        .bind(c.id)
                        .bind(c.from.as_str())
                        .bind(c.to.as_str())
                        .bind(c.next_attempt_at.map(Ts))
                        .bind(c.error.as_deref())
                        .bind(c.gateway_ref.as_deref())
                        .bind(Ts(c.at))
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                        == 1;
                    if let (true, Some((page, channel))) = (done, reached_by) {
                        sqlx::query(sql::PAGE_REACHED_BY)
                            .bind(page)
                            .bind(channel.as_str())
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(done)
                }

                pub(crate) async fn due_count_q(
                    &self,
                    channel: Channel,
                    now: DateTime<Utc>,
                ) -> Result<i64, StoreError> {
                    Ok(sqlx::query_scalar(sql::DUE_COUNT)
                        .bind(Ts(now))
                        .bind(channel.as_str())
                        .fetch_one(&self.pool)
                        .await?)
                }

                pub(crate) async fn expire_sends_tx(
                    &self,
                    now: DateTime<Utc>,
                    why: &str,
                ) -> Result<Vec<Message>, StoreError> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin_with($begin).await?;
                    let rows: Vec<MessageRow> = sqlx::query_as(sql::EXPIRE_SENDS)
                        .bind(Ts(now))
                        .bind(why)
                        .fetch_all(&mut *tx)
                        .await?;
                    sqlx::query(sql::CANCEL_ORPHANS)
                        .bind(Ts(now))
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    decode(rows)
                }

                pub(crate) async fn find_message_q(
                    &self,
                    channel: Channel,
                    key_or_ref: &str,
                ) -> Result<Option<Message>, StoreError> {
                    for q in [sql::MESSAGE_BY_KEY, sql::MESSAGE_BY_REF] {
                        let row: Option<MessageRow> = sqlx::query_as(q)
                            .bind(channel.as_str())
                            .bind(key_or_ref)
                            .fetch_optional(&self.pool)
                            .await?;
                        if let Some(r) = row {
                            return r.decode().map(Some);
                        }
                    }
                    Ok(None)
                }

                pub(crate) async fn incident_messages_q(
                    &self,
                    id: IncidentId,
                ) -> Result<Vec<Message>, StoreError> {
                    let rows: Vec<MessageRow> = sqlx::query_as(sql::MESSAGES_OF_INCIDENT)
                        .bind(id.0)
                        .fetch_all(&self.pool)
                        .await?;
                    decode(rows)
                }

                pub(crate) async fn put_push_subscription_tx(
                    &self,
                    unit: UnitId,
                    endpoint: &str,
                    p256dh: &str,
                    auth: &str,
                    at: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    sqlx::query(sql::PUT_PUSH_SUBSCRIPTION)
                        .bind(endpoint)
                        .bind(unit.0)
                        .bind(p256dh)
                        .bind(auth)
                        .bind(Ts(at))
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                pub(crate) async fn push_subscriptions_q(
                    &self,
                    unit: UnitId,
                ) -> Result<Vec<String>, StoreError> {
                    Ok(sqlx::query_scalar(sql::PUSH_SUBSCRIPTIONS)
                        .bind(unit.0)
                        .fetch_all(&self.pool)
                        .await?)
                }

                pub(crate) async fn delete_push_subscription_tx(
                    &self,
                    endpoint: &str,
                ) -> Result<(), StoreError> {
                    sqlx::query(sql::DELETE_PUSH_SUBSCRIPTION)
                        .bind(endpoint)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }
            }
        };
    };
}
pub(crate) use outbox_ops;
