//! The review tables for one engine (see `engine` for why a macro, `store::review` for what).

/// `impl ReviewStore for $store`.
macro_rules! review_ops {
    ($store:ty, $db:ty, $begin:literal) => {
        const _: () = {
            use $crate::domain::{IncidentId, LiftId};
            use $crate::review::IncidentFacts;
            use $crate::review::search::{LiftFilter, Period, Search};
            use $crate::store::StoreError;
            use $crate::store::review::{FactsFilter, LiftEvent, ReviewStore, SearchPage};
            use $crate::store::rows::corrupt;
            use $crate::store::types::Ts;

            const FACTS_COLUMNS: &str = "id, opened_at, lift_id, rescue_code, district, street, \
                 company_id, channel, level, outcome, entrapment, breach_mask, response_secs, \
                 arrival_secs, rescue_secs, last_seq";

            fn decode(bodies: Vec<(String,)>) -> Result<Vec<IncidentFacts>, StoreError> {
                bodies
                    .into_iter()
                    .map(|(b,)| {
                        serde_json::from_str(&b)
                            .map_err(|e| corrupt(format!("incident_facts body: {e}")))
                    })
                    .collect()
            }

            #[derive(sqlx::FromRow)]
            struct LiftEventRow {
                seq: i64,
                lift_id: i64,
                at: Ts,
                kind: String,
                equipment: String,
                detail: String,
            }

            impl LiftEventRow {
                fn event(self) -> LiftEvent {
                    LiftEvent {
                        seq: self.seq,
                        lift: LiftId(self.lift_id),
                        at: self.at.0,
                        kind: self.kind,
                        equipment: self.equipment,
                        detail: self.detail,
                    }
                }
            }

            impl $store {
                /// Adds the search's conditions (not its order or page) to `qb`.
                fn push_search(qb: &mut sqlx::QueryBuilder<$db>, s: &Search) {
                    qb.push(" WHERE opened_at >= ")
                        .push_bind(Ts(s.period.from))
                        .push(" AND opened_at < ")
                        .push_bind(Ts(s.period.to));
                    if let Some(d) = &s.district {
                        qb.push(" AND district = ").push_bind(d.clone());
                    }
                    if let Some(st) = &s.street {
                        qb.push(" AND street = ").push_bind(st.clone());
                    }
                    if let Some(c) = s.company {
                        qb.push(" AND company_id = ").push_bind(c.0);
                    }
                    match s.lift {
                        LiftFilter::Any => {}
                        LiftFilter::Id(l) => {
                            qb.push(" AND lift_id = ").push_bind(l.0);
                        }
                        LiftFilter::None => {
                            qb.push(" AND 1 = 0");
                        }
                    }
                    if let Some(u) = s.unit {
                        qb.push(
                            " AND id IN (SELECT incident_id FROM incident_units WHERE unit_id = ",
                        )
                        .push_bind(u.0)
                        .push(")");
                    }
                    if let Some(l) = s.level {
                        qb.push(" AND level = ").push_bind(i32::from(l));
                    }
                    if let Some(o) = s.outcome {
                        qb.push(" AND outcome = ").push_bind(o.as_str());
                    }
                    match s.breached {
                        None => {}
                        Some(None) => {
                            qb.push(" AND breach_mask <> 0");
                        }
                        Some(Some(k)) => {
                            qb.push(" AND (breach_mask & ")
                                .push_bind(k.bit() as i32)
                                .push(") <> 0");
                        }
                    }
                    if let Some(c) = &s.channel {
                        qb.push(" AND channel = ").push_bind(c.clone());
                    }
                    if let Some(e) = s.entrapment {
                        qb.push(" AND entrapment = ").push_bind(e);
                    }
                }
            }

            #[async_trait::async_trait]
            impl ReviewStore for $store {
                async fn review_cursor(&self) -> Result<i64, StoreError> {
                    Ok(sqlx::query_scalar("SELECT seq FROM review_cursor WHERE id = 1")
                        .fetch_one(&self.pool)
                        .await?)
                }

                async fn stored_facts(
                    &self,
                    ids: &[IncidentId],
                ) -> Result<Vec<IncidentFacts>, StoreError> {
                    let mut out = Vec::with_capacity(ids.len());
                    for chunk in ids.chunks(500) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "SELECT body FROM incident_fact_bodies WHERE id IN (",
                        );
                        let mut list = qb.separated(", ");
                        for id in chunk {
                            list.push_bind(id.0);
                        }
                        qb.push(")");
                        let rows: Vec<(String,)> =
                            qb.build_query_as().fetch_all(&self.pool).await?;
                        out.extend(decode(rows)?);
                    }
                    Ok(out)
                }

                async fn put_review(
                    &self,
                    facts: &[IncidentFacts],
                    lift_events: &[LiftEvent],
                    from: i64,
                    cursor: i64,
                ) -> Result<(), StoreError> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin_with($begin).await?;
                    let moved = sqlx::query(
                        "UPDATE review_cursor SET seq = $1 WHERE id = 1 AND seq = $2",
                    )
                    .bind(cursor)
                    .bind(from)
                    .execute(&mut *tx)
                    .await?;
                    if moved.rows_affected() != 1 {
                        return Err(StoreError::Conflict(format!(
                            "the review cursor is no longer at {from}"
                        )));
                    }
                    for chunk in facts.chunks(200) {
                        let mut del = sqlx::QueryBuilder::<$db>::new(
                            "DELETE FROM incident_units WHERE incident_id IN (",
                        );
                        let mut list = del.separated(", ");
                        for f in chunk {
                            list.push_bind(f.id.0);
                        }
                        del.push(")");
                        del.build().execute(&mut *tx).await?;
                        let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                            "INSERT INTO incident_facts ({FACTS_COLUMNS}) "
                        ));
                        let mut bodies = Vec::with_capacity(chunk.len());
                        for f in chunk {
                            bodies.push(
                                serde_json::to_string(f)
                                    .map_err(|e| corrupt(format!("facts: {e}")))?,
                            );
                        }
                        qb.push_values(chunk, |mut b, f| {
                            b.push_bind(f.id.0)
                                .push_bind(Ts(f.opened_at))
                                .push_bind(f.lift.map(|l| l.0))
                                .push_bind(f.rescue_code.clone())
                                .push_bind(f.district.clone())
                                .push_bind(f.street.clone())
                                .push_bind(f.company.map(|c| c.0))
                                .push_bind(f.channel.clone())
                                .push_bind(i32::from(f.level))
                                .push_bind(f.outcome.as_str())
                                .push_bind(f.entrapment)
                                .push_bind(f.breach_mask() as i32)
                                .push_bind(f.response_secs)
                                .push_bind(f.arrival_secs)
                                .push_bind(f.rescue_secs)
                                .push_bind(f.last_seq);
                        });
                        qb.push(
                            " ON CONFLICT (id) DO UPDATE SET opened_at = excluded.opened_at, \
                             lift_id = excluded.lift_id, rescue_code = excluded.rescue_code, \
                             district = excluded.district, street = excluded.street, \
                             company_id = excluded.company_id, channel = excluded.channel, \
                             level = excluded.level, outcome = excluded.outcome, \
                             entrapment = excluded.entrapment, \
                             breach_mask = excluded.breach_mask, \
                             response_secs = excluded.response_secs, \
                             arrival_secs = excluded.arrival_secs, \
                             rescue_secs = excluded.rescue_secs, \
                             last_seq = excluded.last_seq",
                        );
                        qb.build().execute(&mut *tx).await?;
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO incident_fact_bodies (id, body) ",
                        );
                        qb.push_values(chunk.iter().zip(bodies), |mut b, (f, body)| {
                            b.push_bind(f.id.0).push_bind(body);
                        });
                        qb.push(" ON CONFLICT (id) DO UPDATE SET body = excluded.body");
                        qb.build().execute(&mut *tx).await?;
                        let units: Vec<(i64, i64)> = chunk
                            .iter()
                            .flat_map(|f| f.units.iter().map(move |u| (u.unit.0, f.id.0)))
                            .collect();
                        if !units.is_empty() {
                            let mut qb = sqlx::QueryBuilder::<$db>::new(
                                "INSERT INTO incident_units (unit_id, incident_id) ",
                            );
                            qb.push_values(&units, |mut b, (u, i)| {
                                b.push_bind(*u).push_bind(*i);
                            });
                            qb.push(" ON CONFLICT DO NOTHING");
                            qb.build().execute(&mut *tx).await?;
                        }
                    }
                    for chunk in lift_events.chunks(1000) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO lift_events (seq, lift_id, at, kind, equipment, detail) ",
                        );
                        qb.push_values(chunk, |mut b, e| {
                            b.push_bind(e.seq)
                                .push_bind(e.lift.0)
                                .push_bind(Ts(e.at))
                                .push_bind(e.kind.clone())
                                .push_bind(e.equipment.clone())
                                .push_bind(e.detail.clone());
                        });
                        qb.push(" ON CONFLICT (seq) DO NOTHING");
                        qb.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn search_facts(&self, s: &Search) -> Result<SearchPage, StoreError> {
                    let mut count =
                        sqlx::QueryBuilder::<$db>::new("SELECT COUNT(*) FROM incident_facts");
                    Self::push_search(&mut count, s);
                    let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
                    // The page's ids from the narrow rows (an index walk for the default
                    // order), then only their bodies.
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT id FROM incident_facts");
                    Self::push_search(&mut qb, s);
                    let dir = if s.desc { "DESC" } else { "ASC" };
                    let col = s.sort.column();
                    // Times not yet known (not accepted, arrived, released) sort last.
                    let nulls = if s.sort.nullable() { " NULLS LAST" } else { "" };
                    qb.push(format!(" ORDER BY {col} {dir}{nulls}, id {dir} LIMIT "))
                        .push_bind(i64::from(s.per_page))
                        .push(" OFFSET ")
                        .push_bind(i64::from(s.page - 1) * i64::from(s.per_page));
                    let ids: Vec<i64> = qb.build_query_scalar().fetch_all(&self.pool).await?;
                    let ids: Vec<IncidentId> = ids.into_iter().map(IncidentId).collect();
                    let mut bodies: std::collections::HashMap<IncidentId, IncidentFacts> = self
                        .stored_facts(&ids)
                        .await?
                        .into_iter()
                        .map(|f| (f.id, f))
                        .collect();
                    Ok(SearchPage {
                        total,
                        items: ids.iter().filter_map(|id| bodies.remove(id)).collect(),
                    })
                }

                async fn facts_in(
                    &self,
                    period: Period,
                    f: &FactsFilter,
                ) -> Result<Vec<IncidentFacts>, StoreError> {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT b.body FROM incident_facts f \
                         JOIN incident_fact_bodies b ON b.id = f.id WHERE f.opened_at >= ",
                    );
                    qb.push_bind(Ts(period.from))
                        .push(" AND f.opened_at < ")
                        .push_bind(Ts(period.to));
                    if let Some(c) = f.company {
                        qb.push(" AND f.company_id = ").push_bind(c);
                    }
                    if let Some(l) = f.lift {
                        qb.push(" AND f.lift_id = ").push_bind(l.0);
                    }
                    if let Some(s) = &f.street {
                        qb.push(" AND f.street = ").push_bind(s.clone());
                    }
                    qb.push(" ORDER BY f.opened_at, f.id");
                    let rows: Vec<(String,)> = qb.build_query_as().fetch_all(&self.pool).await?;
                    decode(rows)
                }

                async fn lift_events(
                    &self,
                    lift: LiftId,
                    period: Period,
                ) -> Result<Vec<LiftEvent>, StoreError> {
                    let rows: Vec<LiftEventRow> = sqlx::query_as(
                        "SELECT seq, lift_id, at, kind, equipment, detail FROM lift_events \
                         WHERE lift_id = $1 AND at >= $2 AND at < $3 ORDER BY seq",
                    )
                    .bind(lift.0)
                    .bind(Ts(period.from))
                    .bind(Ts(period.to))
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map(LiftEventRow::event).collect())
                }

                async fn equipment_faults_in(
                    &self,
                    period: Period,
                ) -> Result<Vec<LiftEvent>, StoreError> {
                    let rows: Vec<LiftEventRow> = sqlx::query_as(
                        "SELECT seq, lift_id, at, kind, equipment, detail FROM lift_events \
                         WHERE kind = 'equipment_fault' AND at >= $1 AND at < $2 ORDER BY seq",
                    )
                    .bind(Ts(period.from))
                    .bind(Ts(period.to))
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map(LiftEventRow::event).collect())
                }

                async fn fault_counts(
                    &self,
                    period: Period,
                ) -> Result<Vec<(LiftId, i64)>, StoreError> {
                    let rows: Vec<(i64, i64)> = sqlx::query_as(
                        "SELECT lift_id, COUNT(*) FROM lift_events \
                         WHERE kind = 'equipment_fault' AND at >= $1 AND at < $2 \
                         GROUP BY lift_id",
                    )
                    .bind(Ts(period.from))
                    .bind(Ts(period.to))
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map(|(l, n)| (LiftId(l), n)).collect())
                }
            }
        };
    };
}
pub(crate) use review_ops;
