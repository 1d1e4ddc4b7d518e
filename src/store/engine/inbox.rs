//! Group commit of the inbox, for one engine (see `engine` for why a macro).
//!
//! In a burst, a commit per alarm makes the database flush its log once per alarm (SQLite's
//! one writer does them one after another) and costs a statement's overhead each. Here a
//! batch is one transaction of a handful of statements whatever its size: the lifts its
//! references name, one query per kind of reference; one multi-row INSERT of the alarms
//! (`ON CONFLICT DO NOTHING RETURNING`, so a repeat of an earlier alarm writes nothing); and a
//! read of the first copy of each repeat.

/// Inherent batch-insert methods on `$store`.
macro_rules! inbox_ops {
    ($store:ty, $db:ty, $begin:literal) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use std::collections::HashMap;
            use $crate::domain::{AlarmId, AlarmSource, Lift, LiftRef};
            use $crate::store::rows::{AlarmRow, LiftRow, enum_name, stored_alarm, to_json};
            use $crate::store::types::{Ts, micros};
            use $crate::store::{InboxReceipt, NewAlarm, StoreError, sql};

            type Tx = sqlx::Transaction<'static, $db>;
            type Committed = Option<(InboxReceipt, Option<Lift>)>;

            impl $store {
                /// Commits a batch of alarms in one transaction (see the module docs); for
                /// each, in order, its receipt and lift, or `None` (nothing written) when it
                /// must name a registered lift and does not.
                pub(crate) async fn insert_alarms_tx(
                    &self,
                    batch: &[(&NewAlarm, DateTime<Utc>, bool)],
                ) -> Result<Vec<Committed>, StoreError> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin_with($begin).await?;
                    let lifts =
                        Self::lifts_of(&mut tx, batch.iter().map(|b| &b.0.lift_ref)).await?;
                    // What to write: each (channel, source id) once, the first copy in the batch.
                    let mut first: HashMap<(AlarmSource, &str), usize> = HashMap::new();
                    let mut rows = Vec::new();
                    for (i, (a, _, required)) in batch.iter().enumerate() {
                        if *required && !lifts.contains_key(&a.lift_ref) {
                            continue;
                        }
                        if let std::collections::hash_map::Entry::Vacant(v) =
                            first.entry((a.channel, a.source_alarm_id.as_str()))
                        {
                            v.insert(i);
                            rows.push(i);
                        }
                    }
                    let mut ids: HashMap<(String, String), i64> = HashMap::new();
                    for chunk in rows.chunks($crate::store::engine::CHUNK) {
                        let mut q = sqlx::QueryBuilder::<$db>::new(sql::INSERT_ALARMS);
                        let mut bodies = Vec::with_capacity(chunk.len());
                        for &i in chunk {
                            bodies.push(to_json(batch[i].0)?);
                        }
                        q.push_values(chunk.iter().zip(bodies), |mut b, (&i, body)| {
                            let (a, at, _) = batch[i];
                            b.push_bind(enum_name(&a.channel))
                                .push_bind(a.source_alarm_id.clone())
                                .push_bind(body)
                                .push_bind(Ts(micros(at)));
                        });
                        q.push(sql::ON_ALARM_CONFLICT);
                        let made: Vec<(i64, String, String)> =
                            q.build_query_as().fetch_all(&mut *tx).await?;
                        ids.extend(made.into_iter().map(|(id, c, s)| ((c, s), id)));
                    }
                    let mut out = Vec::with_capacity(batch.len());
                    for (i, (a, at, required)) in batch.iter().enumerate() {
                        let lift = lifts.get(&a.lift_ref).cloned();
                        if *required && lift.is_none() {
                            out.push(None);
                            continue;
                        }
                        let key = (enum_name(&a.channel), a.source_alarm_id.clone());
                        let receipt = match ids.get(&key) {
                            Some(&id)
                                if first.get(&(a.channel, a.source_alarm_id.as_str()))
                                    == Some(&i) =>
                            {
                                InboxReceipt {
                                    alarm: stored_alarm(AlarmId(id), a, micros(*at)),
                                    duplicate: false,
                                    incident: None,
                                }
                            }
                            _ => Self::first_copy(&mut tx, a).await?,
                        };
                        out.push(Some((receipt, lift)));
                    }
                    tx.commit().await?;
                    Ok(out)
                }

                /// The first copy of a repeated alarm, as the inbox holds it.
                async fn first_copy(tx: &mut Tx, a: &NewAlarm) -> Result<InboxReceipt, StoreError> {
                    let row: AlarmRow = sqlx::query_as(sql::FIND_ALARM)
                        .bind(enum_name(&a.channel))
                        .bind(&a.source_alarm_id)
                        .fetch_one(&mut **tx)
                        .await?;
                    let (alarm, incident) = row.decode()?;
                    Ok(InboxReceipt {
                        alarm,
                        duplicate: true,
                        incident,
                    })
                }

                /// The lifts these references name, one query per kind of reference (an
                /// unparsed one names none; a shared phone or terminal, the lowest id).
                async fn lifts_of<'r>(
                    tx: &mut Tx,
                    refs: impl Iterator<Item = &'r LiftRef>,
                ) -> Result<HashMap<LiftRef, Lift>, StoreError> {
                    let mut by: [Vec<&'r LiftRef>; 5] = Default::default();
                    for r in refs {
                        let kind = match r {
                            LiftRef::Id(_) => 0,
                            LiftRef::RescueCode(_) => 1,
                            LiftRef::RegistrationCode(_) => 2,
                            LiftRef::Phone(_) => 3,
                            LiftRef::Device(_) => 4,
                            LiftRef::Unparsed(_) => continue,
                        };
                        if !by[kind].contains(&r) {
                            by[kind].push(r);
                        }
                    }
                    let mut found = HashMap::new();
                    for (kind, refs) in by.iter().enumerate() {
                        for chunk in refs.chunks($crate::store::engine::CHUNK) {
                            let mut q = sqlx::QueryBuilder::<$db>::new(sql::LIFTS_WHERE[kind]);
                            q.push_tuples(chunk, |mut b, r| {
                                match r {
                                    LiftRef::Id(id) => b.push_bind(id.0),
                                    LiftRef::RescueCode(c) => b.push_bind(c.as_str().to_owned()),
                                    LiftRef::RegistrationCode(c) => {
                                        b.push_bind(c.as_str().to_owned())
                                    }
                                    LiftRef::Phone(p) => b.push_bind(p.as_str().to_owned()),
                                    LiftRef::Device(d) => b.push_bind(d.as_str().to_owned()),
                                    LiftRef::Unparsed(_) => b.push_bind(String::new()),
                                };
                            });
                            q.push(" ORDER BY id");
                            let rows: Vec<LiftRow> =
                                q.build_query_as().fetch_all(&mut **tx).await?;
                            for row in rows {
                                let lift = row.decode()?;
                                let named = match kind {
                                    0 => Some(LiftRef::Id(lift.id)),
                                    1 => Some(LiftRef::RescueCode(lift.rescue_code.clone())),
                                    2 => Some(LiftRef::RegistrationCode(
                                        lift.registration_code.clone(),
                                    )),
                                    3 => lift.cabin_phone.clone().map(LiftRef::Phone),
                                    _ => lift.device_id.clone().map(LiftRef::Device),
                                };
                                // Rows come lowest id first: the first of a shared one stays.
                                if let Some(named) = named {
                                    found.entry(named).or_insert(lift);
                                }
                            }
                        }
                    }
                    Ok(found)
                }
            }
        };
    };
}
pub(crate) use inbox_ops;
