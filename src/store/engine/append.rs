//! The append transaction and deadlines, for one engine (see `engine` for why a macro).
//!
//! An append holds the log (`lock_log`), reads the head, loads the projection rows the events
//! touch, lets `projection::plan` decide every write, then writes in an order the foreign keys
//! accept: incidents, then events (which reference them), then alarms, units and outbox rows
//! (which reference both). Nothing is written to `events` but these INSERTs: no UPDATE or DELETE
//! of the log exists in this code, and the schema refuses them anyway.

/// Inherent append and deadline methods on `$store`.
macro_rules! append_ops {
    ($store:ty, $db:ty, $begin:literal, $lock:expr) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use $crate::domain::{Event, IncidentId};
            use $crate::store::engine::classify;
            use $crate::store::log_row::LogRow;
            use $crate::store::projection::{self, Context, Writes};
            use $crate::store::rows::IncidentDbRow;
            use $crate::store::sql;
            use $crate::store::types::Ts;
            use $crate::store::{StoreError, StoredEvent};

            type Tx = sqlx::Transaction<'static, $db>;

            impl $store {
                /// Appends `events` in one transaction, holding the log while it does.
                pub(crate) async fn append_events(
                    &self,
                    events: &[Event],
                ) -> Result<Vec<StoredEvent>, StoreError> {
                    if events.is_empty() {
                        return Ok(Vec::new());
                    }
                    let mut tx = self.pool.begin_with($begin).await?;
                    let lock: Option<&'static str> = $lock;
                    if let Some(lock) = lock {
                        sqlx::query(lock).execute(&mut *tx).await?;
                    }
                    let head: Option<(i64, String)> = sqlx::query_as(sql::LOG_HEAD)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let rows = Self::append_after(&mut tx, head, events).await?;
                    tx.commit().await.map_err(classify)?;
                    Ok(rows)
                }

                /// Appends `events` after the given head inside `tx`. Only `append_events`
                /// (and tests simulating a second writer) call this.
                pub(crate) async fn append_after(
                    tx: &mut Tx,
                    head: Option<(i64, String)>,
                    events: &[Event],
                ) -> Result<Vec<StoredEvent>, StoreError> {
                    let ctx = Self::load_context(tx, head, events).await?;
                    let writes = projection::plan(ctx, events)?;
                    Self::write(tx, &writes).await?;
                    Ok(writes.rows)
                }

                async fn load_context(
                    tx: &mut Tx,
                    head: Option<(i64, String)>,
                    events: &[Event],
                ) -> Result<Context, StoreError> {
                    let needs = projection::needs(events);
                    let mut ctx = Context {
                        head,
                        ..Context::default()
                    };
                    for id in needs.incidents {
                        let row: Option<IncidentDbRow> = sqlx::query_as(sql::INCIDENT)
                            .bind(id.0)
                            .fetch_optional(&mut **tx)
                            .await?;
                        if let Some(row) = row {
                            ctx.incidents.insert(id, row.decode()?);
                        }
                        let last: Option<i64> = sqlx::query_scalar(sql::LAST_INCIDENT_SEQ)
                            .bind(id.0)
                            .fetch_one(&mut **tx)
                            .await?;
                        ctx.incident_seqs.extend(last.map(|n| (id, n)));
                    }
                    for key in needs.pages {
                        let last: Option<i64> = sqlx::query_scalar(sql::LAST_PAGE_NO)
                            .bind(key.0.0)
                            .bind(&key.1)
                            .bind(key.2.0)
                            .fetch_one(&mut **tx)
                            .await?;
                        ctx.pages.extend(last.map(|n| (key, n)));
                    }
                    Ok(ctx)
                }

                /// Writes in the order the foreign keys accept (see the module docs).
                async fn write(tx: &mut Tx, w: &Writes) -> Result<(), StoreError> {
                    Self::write_incidents(tx, w).await?;
                    Self::write_log(tx, w).await?;
                    Self::write_side_effects(tx, w).await
                }

                async fn write_incidents(tx: &mut Tx, w: &Writes) -> Result<(), StoreError> {
                    for r in &w.incidents {
                        let r = IncidentDbRow::of(r);
                        sqlx::query(sql::UPSERT_INCIDENT)
                            .bind(r.id)
                            .bind(r.status)
                            .bind(r.lift_id)
                            .bind(r.rescue_code)
                            .bind(r.company_id)
                            .bind(r.chain)
                            .bind(r.rules_version)
                            .bind(r.opened_at)
                            .bind(r.ended_at)
                            .bind(r.breached)
                            .bind(r.needs_operator)
                            .bind(r.lift_unresolved)
                            .bind(r.updated_at)
                            .execute(&mut **tx)
                            .await?;
                    }
                    Ok(())
                }

                /// The only statement that writes to `events`: an INSERT, of up to
                /// [`CHUNK`](super::CHUNK) rows at a time (one round trip per chunk, not per
                /// event: a decision's events are one statement).
                async fn write_log(tx: &mut Tx, w: &Writes) -> Result<(), StoreError> {
                    for chunk in w.rows.chunks($crate::store::engine::CHUNK) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(sql::INSERT_EVENTS);
                        qb.push_values(chunk, |mut b, s| {
                            let r = LogRow::of(s);
                            b.push_bind(r.seq)
                                .push_bind(r.incident_id)
                                .push_bind(r.incident_seq)
                                .push_bind(r.at)
                                .push_bind(r.kind)
                                .push_bind(r.actor)
                                .push_bind(r.step)
                                .push_bind(r.rules_version)
                                .push_bind(r.reason)
                                .push_bind(r.body)
                                .push_bind(r.prev_hash)
                                .push_bind(r.hash);
                        });
                        qb.build().execute(&mut **tx).await.map_err(classify)?;
                    }
                    Ok(())
                }

                async fn write_side_effects(tx: &mut Tx, w: &Writes) -> Result<(), StoreError> {
                    for (alarm, incident, at) in &w.alarms {
                        sqlx::query(sql::MARK_ALARM)
                            .bind(Ts(*at))
                            .bind(incident.0)
                            .bind(alarm.0)
                            .execute(&mut **tx)
                            .await?;
                    }
                    for (unit, on_duty) in &w.duty {
                        sqlx::query(sql::SET_DUTY)
                            .bind(*on_duty)
                            .bind(unit.0)
                            .execute(&mut **tx)
                            .await?;
                    }
                    for o in &w.outbox {
                        sqlx::query(sql::INSERT_OUTBOX)
                            .bind(o.incident.0)
                            .bind(o.event_seq)
                            .bind(&o.step)
                            .bind(o.unit.0)
                            .bind(o.page_no)
                            .bind(&o.dedupe_key)
                            .bind(Ts(o.at))
                            .bind(&o.payload)
                            .execute(&mut **tx)
                            .await?;
                    }
                    for end in &w.page_ends {
                        let why = format!("page {}: not sent", end.status);
                        let (messages, pages) = match end.unit {
                            Some(unit) => (
                                sqlx::query(sql::CANCEL_MESSAGES_OF_UNIT)
                                    .bind(Ts(end.at))
                                    .bind(why)
                                    .bind(end.incident.0)
                                    .bind(end.before_seq)
                                    .bind(unit.0),
                                sqlx::query(sql::END_PAGES_OF_UNIT)
                                    .bind(end.status)
                                    .bind(end.incident.0)
                                    .bind(end.before_seq)
                                    .bind(unit.0),
                            ),
                            None => (
                                sqlx::query(sql::CANCEL_MESSAGES_OF_INCIDENT)
                                    .bind(Ts(end.at))
                                    .bind(why)
                                    .bind(end.incident.0)
                                    .bind(end.before_seq),
                                sqlx::query(sql::END_PAGES_OF_INCIDENT)
                                    .bind(end.status)
                                    .bind(end.incident.0)
                                    .bind(end.before_seq),
                            ),
                        };
                        messages.execute(&mut **tx).await?;
                        pages.execute(&mut **tx).await?;
                    }
                    Ok(())
                }

                /// Replaces the pending deadlines of these incidents in one transaction.
                pub(crate) async fn set_deadlines_tx(
                    &self,
                    due: &[(IncidentId, Option<DateTime<Utc>>)],
                ) -> Result<(), StoreError> {
                    let mut tx = self.pool.begin_with($begin).await?;
                    for (id, at) in due {
                        let q = match at {
                            Some(at) => sqlx::query(sql::SET_DEADLINE).bind(id.0).bind(Ts(*at)),
                            None => sqlx::query(sql::CLEAR_DEADLINE).bind(id.0),
                        };
                        q.execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }
            }
        };
    };
}
pub(crate) use append_ops;
