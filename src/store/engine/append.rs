//! The append transaction and deadlines, for one engine (see `engine` for why a macro).
//!
//! An append that the engine cannot take in one statement (`append_opening`: on PostgreSQL, a
//! batch that opens incidents or moves on ones this store last wrote, see `store::opening`)
//! holds the log (`begin_append`), reads the head, loads the projection rows the events touch,
//! lets `projection::plan` decide every write, then writes in an order SQLite's foreign keys
//! accept: incidents, then events (which reference them), then alarms, units and outbox rows
//! (which reference both). (PostgreSQL has no keys among these rows since its migration 0008;
//! the order is the same for both.) Nothing is written
//! to `events` but these INSERTs: no UPDATE or DELETE of the log exists in this code, and the
//! schema refuses them anyway.

/// Inherent append and deadline methods on `$store`.
macro_rules! append_ops {
    ($store:ty, $db:ty, $begin:literal, $begin_append:literal) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use $crate::domain::{Event, IncidentId};
            use $crate::store::engine::classify;
            use $crate::store::log_row::LogRow;
            use $crate::store::outbox::sql as outbox_sql;
            use $crate::store::outbox::{Message, MessageRow, PageMessage};
            use $crate::store::projection::{self, Context, Writes};
            use $crate::store::rows::IncidentDbRow;
            use $crate::store::sql;
            use $crate::store::types::Ts;
            use $crate::store::{StoreError, StoredEvent};

            type Tx = sqlx::Transaction<'static, $db>;

            impl $store {
                /// Appends `events`, with the first messages of their pages, in one
                /// transaction, holding the log while it does.
                pub(crate) async fn append_events(
                    &self,
                    events: &[Event],
                    first: &[PageMessage],
                    answering: Option<i64>,
                ) -> Result<(Vec<StoredEvent>, Vec<Message>), StoreError> {
                    if events.is_empty() {
                        return Ok((Vec::new(), Vec::new()));
                    }
                    if answering.is_none()
                        && let Some(done) = self.append_opening(events, first).await?
                    {
                        return Ok(done);
                    }
                    // Until this commits, the head is not known (it may not commit).
                    self.forget_head();
                    // SQLite: queued behind this process's other writers (see `write_gate`).
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin_with($begin_append).await?;
                    let head: Option<(i64, String)> = sqlx::query_as(sql::LOG_HEAD)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let ctx = Self::load_context(&mut tx, head.clone(), events).await?;
                    let writes = projection::plan_paging(ctx, events, first)?;
                    let made = Self::write(&mut tx, &writes).await?;
                    if let Some(command) = answering {
                        Self::answer(&mut tx, command, &writes.rows).await?;
                    }
                    tx.commit().await.map_err(classify)?;
                    self.remember_append(head, &writes);
                    Ok((writes.rows, made))
                }

                /// Marks a command forwarded by a standby (`desk_commands`, PostgreSQL) answered
                /// with the events it produced, in the append's transaction: once they count, so
                /// does the answer, and a holder taking over never decides it again.
                async fn answer(
                    tx: &mut Tx,
                    command: i64,
                    rows: &[StoredEvent],
                ) -> Result<(), StoreError> {
                    let events: Vec<&Event> = rows.iter().map(|r| &r.event).collect();
                    let answer = serde_json::json!({ "events": events }).to_string();
                    sqlx::query(sql::ANSWER_COMMAND)
                        .bind(command)
                        .bind(answer)
                        .execute(&mut **tx)
                        .await?;
                    Ok(())
                }

                /// Appends `events` after the given head inside `tx`: what a second writer
                /// that skipped the lock would do (tests simulate one).
                #[cfg(test)]
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
                    // One query each for every incident and page touched, however many (in
                    // chunks, for the engines' bind limits): a batch of alarms is a handful of
                    // round trips, not three per incident.
                    let ids: Vec<i64> = needs.incidents.iter().map(|i| i.0).collect();
                    for chunk in ids.chunks($crate::store::engine::CHUNK) {
                        let mut q = sqlx::QueryBuilder::<$db>::new(sql::INCIDENTS_IN);
                        q.push_tuples(chunk, |mut b, id| {
                            b.push_bind(*id);
                        });
                        let rows: Vec<IncidentDbRow> =
                            q.build_query_as().fetch_all(&mut **tx).await?;
                        for row in rows {
                            let row = row.decode()?;
                            ctx.incidents.insert(row.id, row);
                        }
                        let mut q = sqlx::QueryBuilder::<$db>::new(sql::LAST_INCIDENT_SEQS_IN);
                        q.push_tuples(chunk, |mut b, id| {
                            b.push_bind(*id);
                        });
                        q.push(sql::GROUP_BY_INCIDENT);
                        let seqs: Vec<(i64, Option<i64>)> =
                            q.build_query_as().fetch_all(&mut **tx).await?;
                        for (id, last) in seqs {
                            ctx.incident_seqs
                                .extend(last.map(|n| ($crate::domain::IncidentId(id), n)));
                        }
                    }
                    let paged: Vec<i64> = needs
                        .pages
                        .iter()
                        .map(|k| k.0.0)
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    for chunk in paged.chunks($crate::store::engine::CHUNK) {
                        let mut q = sqlx::QueryBuilder::<$db>::new(sql::LAST_PAGE_NOS_IN);
                        q.push_tuples(chunk, |mut b, id| {
                            b.push_bind(*id);
                        });
                        q.push(sql::GROUP_BY_PAGE);
                        let rows: Vec<(i64, String, i64, Option<i64>)> =
                            q.build_query_as().fetch_all(&mut **tx).await?;
                        for (incident, step, unit, last) in rows {
                            let key = (
                                $crate::domain::IncidentId(incident),
                                step,
                                $crate::domain::UnitId(unit),
                            );
                            if let (Some(n), true) = (last, needs.pages.contains(&key)) {
                                ctx.pages.insert(key, n);
                            }
                        }
                    }
                    Ok(ctx)
                }

                /// Writes in the order the foreign keys accept (see the module docs); returns
                /// the messages made.
                async fn write(tx: &mut Tx, w: &Writes) -> Result<Vec<Message>, StoreError> {
                    Self::write_incidents(tx, w).await?;
                    Self::write_log(tx, w).await?;
                    Self::write_side_effects(tx, w).await?;
                    Self::write_messages(tx, w).await
                }

                /// The pages' first messages, each with its page's id looked up by dedupe key
                /// (15 columns a row: CHUNK rows stay under both engines' bind limits).
                async fn write_messages(
                    tx: &mut Tx,
                    w: &Writes,
                ) -> Result<Vec<Message>, StoreError> {
                    let mut made = Vec::new();
                    for chunk in w.messages.chunks($crate::store::engine::CHUNK) {
                        let mut q =
                            sqlx::QueryBuilder::<$db>::new(outbox_sql::INSERT_PAGE_MESSAGES);
                        q.push_values(chunk, |mut b, (page, m)| {
                            let (status, attempts) =
                                $crate::store::opening::status_of(m.claim_until);
                            b.push("(SELECT id FROM outbox WHERE dedupe_key = ")
                                .push_bind_unseparated(page.clone())
                                .push_unseparated(")")
                                .push_bind(m.incident.0)
                                .push_bind(m.step.clone())
                                .push_bind(m.unit.0)
                                .push_bind(m.channel.as_str())
                                .push_bind(m.n)
                                .push_bind(m.dedupe_key.clone())
                                .push_bind(status)
                                .push_bind(attempts)
                                .push_bind(Ts(m.at))
                                .push_bind(m.claim_until.map(Ts))
                                .push_bind(m.recipient.clone())
                                .push_bind(m.body.clone())
                                .push_bind(Ts(m.at))
                                .push_bind(Ts(m.at));
                        });
                        q.push(outbox_sql::PAGE_MESSAGES_RETURNING);
                        let rows: Vec<MessageRow> = q.build_query_as().fetch_all(&mut **tx).await?;
                        for row in rows {
                            made.push(row.decode()?);
                        }
                    }
                    Ok(made)
                }

                async fn write_incidents(tx: &mut Tx, w: &Writes) -> Result<(), StoreError> {
                    let (new, known): (Vec<_>, Vec<_>) =
                        w.incidents.iter().partition(|r| w.opened.contains(&r.id));
                    // 13 columns: CHUNK rows stay under both engines' bind limits.
                    for (rows, opening) in [(new, true), (known, false)] {
                        for chunk in rows.chunks($crate::store::engine::CHUNK) {
                            let mut q = sqlx::QueryBuilder::<$db>::new(sql::UPSERT_INCIDENTS);
                            q.push_values(chunk, |mut b, r| {
                                let r = IncidentDbRow::of(r);
                                b.push_bind(r.id)
                                    .push_bind(r.status)
                                    .push_bind(r.lift_id)
                                    .push_bind(r.rescue_code)
                                    .push_bind(r.company_id)
                                    .push_bind(r.chain)
                                    .push_bind(r.rules_version)
                                    .push_bind(r.opened_at)
                                    .push_bind(r.ended_at)
                                    .push_bind(r.breached)
                                    .push_bind(r.needs_operator)
                                    .push_bind(r.lift_unresolved)
                                    .push_bind(r.updated_at);
                            });
                            if !opening {
                                q.push(sql::ON_INCIDENT_CONFLICT);
                                q.build().execute(&mut **tx).await?;
                                continue;
                            }
                            q.push(sql::ON_INCIDENT_OPENED);
                            let made: std::collections::BTreeSet<i64> = q
                                .build_query_scalar()
                                .fetch_all(&mut **tx)
                                .await?
                                .into_iter()
                                .collect();
                            if let Some(r) = chunk.iter().find(|r| !made.contains(&r.id.0)) {
                                return Err(StoreError::Conflict(format!(
                                    "{} is already open",
                                    r.id
                                )));
                            }
                        }
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
                    // Alarms marked processed, one statement per decision time (a decision's
                    // events share it) and chunk: `incident_id = CASE id WHEN … THEN … END`.
                    let mut i = 0;
                    while i < w.alarms.len() {
                        let at = w.alarms[i].2;
                        let mut j = i;
                        while j < w.alarms.len() && w.alarms[j].2 == at && j - i < 500 {
                            j += 1;
                        }
                        let group = &w.alarms[i..j];
                        let mut q = sqlx::QueryBuilder::<$db>::new(sql::MARK_ALARMS);
                        q.push_bind(Ts(at));
                        q.push(", incident_id = CASE id");
                        for (alarm, incident, _) in group {
                            q.push(" WHEN ");
                            q.push_bind(alarm.0);
                            q.push(" THEN ");
                            q.push_bind(incident.0);
                        }
                        q.push(" END WHERE processed_at IS NULL AND id IN ");
                        q.push_tuples(group, |mut b, (alarm, _, _)| {
                            b.push_bind(alarm.0);
                        });
                        q.build().execute(&mut **tx).await?;
                        i = j;
                    }
                    for (unit, on_duty) in &w.duty {
                        sqlx::query(sql::SET_DUTY)
                            .bind(*on_duty)
                            .bind(unit.0)
                            .execute(&mut **tx)
                            .await?;
                    }
                    for chunk in w.outbox.chunks($crate::store::engine::CHUNK) {
                        let mut q = sqlx::QueryBuilder::<$db>::new(sql::INSERT_OUTBOX_ROWS);
                        q.push_values(chunk, |mut b, o| {
                            b.push_bind(o.incident.0)
                                .push_bind(o.event_seq)
                                .push_bind(&o.step)
                                .push_bind(o.unit.0)
                                .push_bind(o.page_no)
                                .push_bind(&o.dedupe_key)
                                .push_bind(Ts(o.at))
                                .push_bind(Ts(o.at))
                                .push_bind(&o.payload);
                        });
                        q.push(sql::ON_OUTBOX_CONFLICT);
                        q.build().execute(&mut **tx).await?;
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
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin_with($begin).await?;
                    // An incident appears once (its latest value wins), then one statement
                    // per chunk for the set ones and one for the cleared ones.
                    let mut latest = std::collections::BTreeMap::new();
                    for (id, at) in due {
                        latest.insert(id.0, *at);
                    }
                    let set: Vec<(i64, DateTime<Utc>)> = latest
                        .iter()
                        .filter_map(|(id, at)| at.map(|at| (*id, at)))
                        .collect();
                    let cleared: Vec<i64> = latest
                        .iter()
                        .filter(|(_, at)| at.is_none())
                        .map(|(id, _)| *id)
                        .collect();
                    for chunk in set.chunks($crate::store::engine::CHUNK) {
                        let mut q = sqlx::QueryBuilder::<$db>::new(sql::SET_DEADLINES);
                        q.push_values(chunk, |mut b, (id, at)| {
                            b.push_bind(*id).push_bind(Ts(*at));
                        });
                        q.push(sql::ON_DEADLINE_CONFLICT);
                        q.build().execute(&mut *tx).await?;
                    }
                    for chunk in cleared.chunks($crate::store::engine::CHUNK) {
                        let mut q = sqlx::QueryBuilder::<$db>::new(sql::CLEAR_DEADLINES_IN);
                        q.push_tuples(chunk, |mut b, id| {
                            b.push_bind(*id);
                        });
                        q.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }
            }
        };
    };
}
pub(crate) use append_ops;
