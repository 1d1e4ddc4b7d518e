//! The [`Store`](crate::store::Store) trait implemented for one engine (see `engine` for why a
//! macro). Reads are single statements against the pool; every write is one transaction.

/// `impl Store for $store`.
macro_rules! store_trait {
    ($store:ty, $db:ty, $engine:literal, $begin:literal) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use $crate::domain::{
                Alarm, AlarmId, Event, IncidentId, Lift, LiftId, LiftRef, Unit, UnitId,
            };
            use $crate::store::log_row::LogRow;
            use $crate::store::rows::{
                AlarmRow, CompanyRow, IncidentDbRow, LiftRow, TokenDbRow, UnitRow, corrupt,
                enum_name,
            };
            use $crate::store::types::{Ts, micros};
            use $crate::store::{
                Company, InboxReceipt, IncidentFilter, IncidentRow, NewAlarm, Role, Store,
                StoreError, StoredEvent, TokenRow, sql,
            };

            fn decode_all<R, T>(
                rows: Vec<R>,
                f: impl Fn(R) -> Result<T, StoreError>,
            ) -> Result<Vec<T>, StoreError> {
                rows.into_iter().map(f).collect()
            }

            #[async_trait::async_trait]
            impl Store for $store {
                fn engine(&self) -> &'static str {
                    $engine
                }

                fn review(&self) -> &dyn $crate::store::review::ReviewStore {
                    self
                }

                fn writer_changed(&self) {
                    self.forget_writes();
                }

                async fn ping(&self) -> Result<(), StoreError> {
                    sqlx::query(sql::PING).execute(&self.pool).await?;
                    Ok(())
                }

                async fn insert_alarm(
                    &self,
                    alarm: &NewAlarm,
                    received_at: DateTime<Utc>,
                ) -> Result<InboxReceipt, StoreError> {
                    let at = micros(received_at);
                    $crate::store::engine::again_if_connection_lost(
                        $crate::store::engine::INBOX_ATTEMPTS,
                        || self.insert_alarm_row(alarm, at),
                    )
                    .await
                }

                async fn insert_alarm_for_lift(
                    &self,
                    alarm: &NewAlarm,
                    received_at: DateTime<Utc>,
                ) -> Result<Option<(InboxReceipt, Lift)>, StoreError> {
                    let at = micros(received_at);
                    $crate::store::engine::again_if_connection_lost(
                        $crate::store::engine::INBOX_ATTEMPTS,
                        || self.insert_resolved(alarm, at),
                    )
                    .await
                }

                async fn insert_alarms(
                    &self,
                    batch: &[(&NewAlarm, DateTime<Utc>, bool)],
                ) -> Result<Vec<Option<(InboxReceipt, Option<Lift>)>>, StoreError> {
                    $crate::store::engine::again_if_connection_lost(
                        $crate::store::engine::INBOX_ATTEMPTS,
                        || self.insert_alarms_tx(batch),
                    )
                    .await
                }

                async fn pending_alarms(&self, limit: i64) -> Result<Vec<Alarm>, StoreError> {
                    let rows: Vec<AlarmRow> = sqlx::query_as(sql::PENDING_ALARMS)
                        .bind(limit.max(0))
                        .fetch_all(&self.pool)
                        .await?;
                    decode_all(rows, |r| r.decode().map(|(a, _)| a))
                }

                async fn inbox_depth(&self) -> Result<i64, StoreError> {
                    Ok(sqlx::query_scalar(sql::INBOX_DEPTH)
                        .fetch_one(&self.pool)
                        .await?)
                }

                async fn alarm_incident(
                    &self,
                    id: AlarmId,
                ) -> Result<Option<IncidentId>, StoreError> {
                    let found: Option<Option<i64>> = sqlx::query_scalar(sql::ALARM_INCIDENT)
                        .bind(id.0)
                        .fetch_optional(&self.pool)
                        .await?;
                    Ok(found.flatten().map(IncidentId))
                }

                async fn append(&self, events: &[Event]) -> Result<Vec<StoredEvent>, StoreError> {
                    Ok(self.append_events(events, &[], None).await?.0)
                }

                async fn append_answering(
                    &self,
                    events: &[Event],
                    first: &[$crate::store::outbox::PageMessage],
                    command: i64,
                ) -> Result<(Vec<StoredEvent>, Vec<$crate::store::outbox::Message>), StoreError>
                {
                    self.append_events(events, first, Some(command)).await
                }

                async fn append_paging(
                    &self,
                    events: &[Event],
                    first: &[$crate::store::outbox::PageMessage],
                ) -> Result<(Vec<StoredEvent>, Vec<$crate::store::outbox::Message>), StoreError>
                {
                    self.append_events(events, first, None).await
                }

                async fn set_deadlines(
                    &self,
                    due: &[(IncidentId, Option<DateTime<Utc>>)],
                ) -> Result<(), StoreError> {
                    self.set_deadlines_tx(due).await
                }

                async fn pending_deadlines(
                    &self,
                ) -> Result<Vec<(IncidentId, DateTime<Utc>)>, StoreError> {
                    let rows: Vec<(i64, Ts)> = sqlx::query_as(sql::PENDING_DEADLINES)
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(rows
                        .into_iter()
                        .map(|(id, t)| (IncidentId(id), t.0))
                        .collect())
                }

                async fn open_incident_events(&self) -> Result<Vec<Event>, StoreError> {
                    let rows: Vec<LogRow> = sqlx::query_as(sql::OPEN_INCIDENT_EVENTS)
                        .fetch_all(&self.pool)
                        .await?;
                    decode_all(rows, |r| r.decode().map(|s| s.event))
                }

                async fn equipment_events(&self) -> Result<Vec<Event>, StoreError> {
                    let rows: Vec<LogRow> = sqlx::query_as(sql::EQUIPMENT_EVENTS)
                        .fetch_all(&self.pool)
                        .await?;
                    decode_all(rows, |r| r.decode().map(|s| s.event))
                }

                async fn timeline(&self, id: IncidentId) -> Result<Vec<StoredEvent>, StoreError> {
                    let rows: Vec<LogRow> = sqlx::query_as(sql::TIMELINE)
                        .bind(id.0)
                        .fetch_all(&self.pool)
                        .await?;
                    decode_all(rows, LogRow::decode)
                }

                async fn log_page(
                    &self,
                    after: i64,
                    limit: i64,
                ) -> Result<Vec<StoredEvent>, StoreError> {
                    let rows: Vec<LogRow> = sqlx::query_as(sql::LOG_PAGE)
                        .bind(after)
                        .bind(limit.max(0))
                        .fetch_all(&self.pool)
                        .await?;
                    decode_all(rows, LogRow::decode)
                }

                async fn seals(
                    &self,
                    before: i64,
                    limit: i64,
                ) -> Result<Vec<StoredEvent>, StoreError> {
                    self.seal_rows(before, limit).await
                }

                async fn log_period(
                    &self,
                    from: DateTime<Utc>,
                    to: DateTime<Utc>,
                    after: i64,
                    limit: i64,
                ) -> Result<Vec<StoredEvent>, StoreError> {
                    self.log_period_rows(from, to, after, limit).await
                }

                async fn incidents_opened(
                    &self,
                    from: DateTime<Utc>,
                    to: DateTime<Utc>,
                    after: i64,
                    limit: i64,
                ) -> Result<Vec<IncidentRow>, StoreError> {
                    self.incidents_opened_rows(from, to, after, limit).await
                }

                async fn incident_heads(
                    &self,
                    ids: &[IncidentId],
                ) -> Result<Vec<(IncidentId, i64, String)>, StoreError> {
                    self.incident_head_rows(ids).await
                }

                async fn duty_events(
                    &self,
                    after: i64,
                    before: i64,
                ) -> Result<Vec<StoredEvent>, StoreError> {
                    let rows: Vec<LogRow> = sqlx::query_as(sql::DUTY_EVENTS)
                        .bind(after)
                        .bind(before)
                        .fetch_all(&self.pool)
                        .await?;
                    decode_all(rows, LogRow::decode)
                }

                async fn log_head(&self) -> Result<i64, StoreError> {
                    let head: Option<(i64, String)> = sqlx::query_as(sql::LOG_HEAD)
                        .fetch_optional(&self.pool)
                        .await?;
                    Ok(head.map_or(0, |(seq, _)| seq))
                }

                async fn incidents(
                    &self,
                    filter: &IncidentFilter,
                ) -> Result<Vec<IncidentRow>, StoreError> {
                    self.incidents_filtered(filter).await
                }

                async fn incident(
                    &self,
                    id: IncidentId,
                ) -> Result<Option<IncidentRow>, StoreError> {
                    let row: Option<IncidentDbRow> = sqlx::query_as(sql::INCIDENT)
                        .bind(id.0)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.map(IncidentDbRow::decode).transpose()
                }

                async fn put_companies(&self, companies: &[Company]) -> Result<(), StoreError> {
                    self.put_companies_tx(companies).await
                }

                async fn put_lifts(&self, lifts: &[Lift]) -> Result<(), StoreError> {
                    self.put_lifts_tx(lifts).await
                }

                async fn put_units(&self, units: &[Unit]) -> Result<(), StoreError> {
                    self.put_units_tx(units).await
                }

                async fn find_lift(&self, r: &LiftRef) -> Result<Option<Lift>, StoreError> {
                    self.find_lift_row(r).await
                }

                async fn lifts(
                    &self,
                    after: Option<LiftId>,
                    limit: i64,
                ) -> Result<Vec<Lift>, StoreError> {
                    let rows: Vec<LiftRow> = sqlx::query_as(sql::LIFTS_PAGE)
                        .bind(after.map_or(i64::MIN, |l| l.0))
                        .bind(limit.max(0))
                        .fetch_all(&self.pool)
                        .await?;
                    decode_all(rows, LiftRow::decode)
                }

                async fn units(&self) -> Result<Vec<Unit>, StoreError> {
                    let rows: Vec<UnitRow> =
                        sqlx::query_as(sql::UNITS).fetch_all(&self.pool).await?;
                    decode_all(rows, UnitRow::decode)
                }

                async fn put_fixes(
                    &self,
                    fixes: &[(UnitId, $crate::domain::Fix)],
                ) -> Result<(), StoreError> {
                    self.put_fixes_tx(fixes).await
                }

                async fn fixes(&self) -> Result<Vec<(UnitId, $crate::domain::Fix)>, StoreError> {
                    let rows: Vec<(i64, f64, f64, Ts)> =
                        sqlx::query_as(sql::FIXES).fetch_all(&self.pool).await?;
                    rows.into_iter()
                        .map(|(id, lat, lon, taken)| {
                            let at = $crate::domain::LatLon::parse(lat, lon).map_err(corrupt)?;
                            Ok((UnitId(id), $crate::domain::Fix { at, taken: taken.0 }))
                        })
                        .collect()
                }

                async fn companies(&self) -> Result<Vec<Company>, StoreError> {
                    let rows: Vec<CompanyRow> =
                        sqlx::query_as(sql::COMPANIES).fetch_all(&self.pool).await?;
                    decode_all(rows, CompanyRow::decode)
                }

                async fn lift_count(&self) -> Result<i64, StoreError> {
                    Ok(sqlx::query_scalar(sql::LIFT_COUNT)
                        .fetch_one(&self.pool)
                        .await?)
                }

                async fn put_token(
                    &self,
                    hash: &str,
                    role: Role,
                    unit: Option<UnitId>,
                    label: &str,
                ) -> Result<i64, StoreError> {
                    sqlx::query_scalar(sql::INSERT_TOKEN)
                        .bind(hash)
                        .bind(enum_name(&role))
                        .bind(unit.map(|u| u.0))
                        .bind(label)
                        .bind(Ts(Utc::now()))
                        .fetch_one(&self.pool)
                        .await
                        .map_err(|e| match $crate::store::engine::unique_violation(&e) {
                            Some(_) => StoreError::Conflict("a token with this hash exists".into()),
                            None => StoreError::Database(e),
                        })
                }

                async fn token(&self, hash: &str) -> Result<Option<TokenRow>, StoreError> {
                    if let Some(token) = self.tokens.get(hash) {
                        return Ok(Some(token));
                    }
                    self.token_afresh(hash).await
                }

                async fn token_afresh(&self, hash: &str) -> Result<Option<TokenRow>, StoreError> {
                    let row: Option<TokenDbRow> = sqlx::query_as(sql::TOKEN)
                        .bind(hash)
                        .fetch_optional(&self.pool)
                        .await?;
                    let found = row.map(TokenDbRow::decode).transpose()?;
                    match &found {
                        Some(token) => self.tokens.keep(hash, token),
                        None => self.tokens.forget(hash),
                    }
                    Ok(found)
                }

                async fn idempotent_response(
                    &self,
                    actor: &str,
                    key: &str,
                ) -> Result<Option<(u16, String)>, StoreError> {
                    let row: Option<(i32, String)> = sqlx::query_as(sql::IDEMPOTENT_RESPONSE)
                        .bind(actor)
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.map(|(s, body)| Ok((u16::try_from(s).map_err(corrupt)?, body)))
                        .transpose()
                }

                async fn ringing_pages(
                    &self,
                    after: i64,
                    limit: i64,
                ) -> Result<Vec<$crate::store::outbox::RingingPage>, StoreError> {
                    self.ringing_pages_q(after, limit).await
                }

                async fn insert_messages(
                    &self,
                    new: &[$crate::store::outbox::NewMessage],
                ) -> Result<Vec<$crate::store::outbox::Message>, StoreError> {
                    self.insert_messages_tx(new).await
                }

                async fn claim_messages(
                    &self,
                    channel: $crate::store::outbox::Channel,
                    now: DateTime<Utc>,
                    lease_until: DateTime<Utc>,
                    limit: i64,
                ) -> Result<Vec<$crate::store::outbox::Message>, StoreError> {
                    self.claim_messages_tx(channel, now, lease_until, limit)
                        .await
                }

                async fn change_message(
                    &self,
                    change: &$crate::store::outbox::MessageChange,
                    reached_by: Option<(i64, $crate::store::outbox::Channel)>,
                ) -> Result<bool, StoreError> {
                    self.change_message_tx(change, reached_by).await
                }

                async fn due_count(
                    &self,
                    channel: $crate::store::outbox::Channel,
                    now: DateTime<Utc>,
                ) -> Result<i64, StoreError> {
                    self.due_count_q(channel, now).await
                }

                async fn expire_sends(
                    &self,
                    now: DateTime<Utc>,
                    why: &str,
                ) -> Result<Vec<$crate::store::outbox::Message>, StoreError> {
                    self.expire_sends_tx(now, why).await
                }

                async fn find_message(
                    &self,
                    channel: $crate::store::outbox::Channel,
                    key_or_ref: &str,
                ) -> Result<Option<$crate::store::outbox::Message>, StoreError> {
                    self.find_message_q(channel, key_or_ref).await
                }

                async fn incident_messages(
                    &self,
                    id: IncidentId,
                ) -> Result<Vec<$crate::store::outbox::Message>, StoreError> {
                    self.incident_messages_q(id).await
                }

                async fn put_push_subscription(
                    &self,
                    unit: UnitId,
                    endpoint: &str,
                    p256dh: &str,
                    auth: &str,
                    at: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    self.put_push_subscription_tx(unit, endpoint, p256dh, auth, at)
                        .await
                }

                async fn push_subscriptions(
                    &self,
                    unit: UnitId,
                ) -> Result<Vec<String>, StoreError> {
                    self.push_subscriptions_q(unit).await
                }

                async fn delete_push_subscription(&self, endpoint: &str) -> Result<(), StoreError> {
                    self.delete_push_subscription_tx(endpoint).await
                }

                async fn remember_response(
                    &self,
                    actor: &str,
                    key: &str,
                    status: u16,
                    body: &str,
                ) -> Result<(), StoreError> {
                    sqlx::query(sql::REMEMBER_RESPONSE)
                        .bind(actor)
                        .bind(key)
                        .bind(i32::from(status))
                        .bind(body)
                        .bind(Ts(Utc::now()))
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }
            }
        };
    };
}
pub(crate) use store_trait;
