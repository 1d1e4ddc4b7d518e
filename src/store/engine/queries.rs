//! The inbox insert and the incidents search, for one engine (see `engine` for why a macro).

/// Inherent inbox and search methods on `$store`.
macro_rules! query_ops {
    ($store:ty, $db:ty, $begin:literal) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use $crate::store::rows::{AlarmRow, IncidentDbRow, enum_name, stored_alarm, to_json};
            use $crate::store::types::Ts;
            use $crate::store::{
                InboxReceipt, IncidentFilter, IncidentRow, NewAlarm, StoreError, sql,
            };

            impl $store {
                /// Commits a new alarm, or finds the first copy of the same (channel, source id).
                ///
                /// One statement on its own (its own commit, one round trip): the row holds the
                /// alarm as intake gave it, and the id and time received are its columns.
                pub(crate) async fn insert_alarm_row(
                    &self,
                    a: &NewAlarm,
                    received_at: DateTime<Utc>,
                ) -> Result<InboxReceipt, StoreError> {
                    // The column keeps microseconds: the receipt says what a reader will see.
                    let received_at = $crate::store::types::micros(received_at);
                    let channel = enum_name(&a.channel);
                    let gate = self.write_gate().await;
                    let id: Option<i64> = sqlx::query_scalar(sql::INSERT_ALARM)
                        .bind(&channel)
                        .bind(&a.source_alarm_id)
                        .bind(to_json(a)?)
                        .bind(Ts(received_at))
                        .fetch_optional(&self.pool)
                        .await?;
                    drop(gate);
                    self.inbox_receipt(a, id, received_at).await
                }

                /// The receipt of an insert that gave the new row's `id`, or none (the same
                /// channel and source id were there: the first copy is read).
                pub(crate) async fn inbox_receipt(
                    &self,
                    a: &NewAlarm,
                    id: Option<i64>,
                    received_at: DateTime<Utc>,
                ) -> Result<InboxReceipt, StoreError> {
                    let Some(id) = id else {
                        let first: AlarmRow = sqlx::query_as(sql::FIND_ALARM)
                            .bind(enum_name(&a.channel))
                            .bind(&a.source_alarm_id)
                            .fetch_one(&self.pool)
                            .await?;
                        let (alarm, incident) = first.decode()?;
                        return Ok(InboxReceipt {
                            alarm,
                            duplicate: true,
                            incident,
                        });
                    };
                    Ok(InboxReceipt {
                        alarm: stored_alarm($crate::domain::AlarmId(id), a, received_at),
                        duplicate: false,
                        incident: None,
                    })
                }

                /// The incidents projection filtered (default 100, at most 1000): open incidents
                /// with an unresolved lift first, then newest first.
                pub(crate) async fn incidents_filtered(
                    &self,
                    f: &IncidentFilter,
                ) -> Result<Vec<IncidentRow>, StoreError> {
                    if f.status.as_ref().is_some_and(|s| s.is_empty()) {
                        return Ok(Vec::new());
                    }
                    let mut qb = sqlx::QueryBuilder::<$db>::new(sql::SELECT_INCIDENTS);
                    qb.push(" WHERE 1 = 1");
                    Self::push_filter(&mut qb, f);
                    let limit = f.limit.unwrap_or(100).clamp(0, 1000);
                    qb.push(sql::ATTENTION_FIRST)
                        .push(" LIMIT ")
                        .push_bind(limit);
                    let rows: Vec<IncidentDbRow> =
                        qb.build_query_as().fetch_all(&self.pool).await?;
                    rows.into_iter().map(IncidentDbRow::decode).collect()
                }

                fn push_filter(qb: &mut sqlx::QueryBuilder<$db>, f: &IncidentFilter) {
                    if let Some(statuses) = &f.status {
                        qb.push(" AND status IN (");
                        let mut list = qb.separated(", ");
                        for s in statuses {
                            list.push_bind(enum_name(s));
                        }
                        qb.push(")");
                    }
                    // ended_at is set exactly when an incident ends (projection::apply).
                    match f.open {
                        Some(true) => qb.push(" AND ended_at IS NULL"),
                        Some(false) => qb.push(" AND ended_at IS NOT NULL"),
                        None => qb,
                    };
                    if let Some(lift) = f.lift {
                        qb.push(" AND lift_id = ").push_bind(lift.0);
                    }
                    if let Some(company) = f.company {
                        qb.push(" AND company_id = ").push_bind(company.0);
                    }
                    if let Some(from) = f.from {
                        qb.push(" AND opened_at >= ").push_bind(Ts(from));
                    }
                    if let Some(to) = f.to {
                        qb.push(" AND opened_at < ").push_bind(Ts(to));
                    }
                    if let Some(breached) = f.breached {
                        qb.push(" AND breached = ").push_bind(breached);
                    }
                }
            }
        };
    };
}
pub(crate) use query_ops;
