//! Review routes for investigators (and operators, for their own centre): the incident search
//! and the 96333 statistics. Both read the review tables after catching the indexer up, so an
//! answer covers the log as it stood when asked (`indexed_to`).

use super::error::ApiError;
use crate::domain::{LiftId, LiftRef};
use crate::http::AppState;
use crate::review::search::{LiftFilter, Period, SearchParams};
use crate::review::stats::{self, GroupBy, Measures};
use crate::review::{IncidentFacts, indexer};
use crate::store::Store;
use crate::store::review::FactsFilter;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Catches the indexer up and answers how far it has read.
pub async fn indexed(store: &dyn Store) -> Result<i64, ApiError> {
    Ok(indexer::catch_up(store).await?)
}

/// Resolves "any code" of a lift: `id:N`, a registration code (20 digits), a rescue code (5–6
/// digits), a cabin phone, or a terminal id. A code no lift has matches nothing.
pub async fn resolve_lift(store: &dyn Store, code: Option<&str>) -> Result<LiftFilter, ApiError> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(LiftFilter::Any);
    };
    if code.chars().count() > 64 {
        return Err(ApiError::invalid("lift", "at most 64 characters"));
    }
    if let Some(id) = code.strip_prefix("id:") {
        let id: i64 = id
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| ApiError::invalid("lift", "id:N takes a positive registry id"))?;
        return Ok(LiftFilter::Id(LiftId(id)));
    }
    let refs = [
        crate::domain::RegistrationCode::parse(code)
            .ok()
            .map(LiftRef::RegistrationCode),
        crate::domain::RescueCode::parse(code)
            .ok()
            .map(LiftRef::RescueCode),
        crate::domain::PhoneNumber::parse(code)
            .ok()
            .map(LiftRef::Phone),
        crate::domain::DeviceId::parse(code)
            .ok()
            .map(LiftRef::Device),
    ];
    for r in refs.into_iter().flatten() {
        if let Some(lift) = store.find_lift(&r).await? {
            return Ok(LiftFilter::Id(lift.id));
        }
    }
    Ok(LiftFilter::None)
}

/// A page of the incident search.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchOut {
    /// Matches in all.
    pub total: i64,
    /// This page (from 1).
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
    /// The period searched.
    pub period: Period,
    /// The last log row the answer covers.
    pub indexed_to: i64,
    /// The incidents' facts.
    pub items: Vec<IncidentFacts>,
}

/// `GET /api/v1/review/incidents`: the investigators' incident search.
pub async fn search(
    state: web::Data<AppState>,
    query: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.as_ref();
    let lift = resolve_lift(store, query.lift.as_deref()).await?;
    let s = query
        .check(state.clock.now(), lift)
        .map_err(|e| ApiError::invalid(e.field, e.why))?;
    let indexed_to = indexed(store).await?;
    let page = store.review().search_facts(&s).await?;
    Ok(HttpResponse::Ok().json(SearchOut {
        total: page.total,
        page: s.page,
        per_page: s.per_page,
        period: s.period,
        indexed_to,
        items: page.items,
    }))
}

/// The statistics query.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Start (a date, China time, or RFC 3339); default the start of this month.
    pub from: Option<String>,
    /// End (a date includes its whole day); default now.
    pub to: Option<String>,
    /// `none` (default), `company`, `lift`, `street`, `unit_kind` or `month`.
    #[param(pattern = "^(none|company|lift|street|unit_kind|month)$")]
    pub group_by: Option<String>,
    /// Only this maintenance company's incidents.
    #[param(minimum = 1)]
    pub company: Option<i64>,
}

/// One measure's definition.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Definition {
    /// The measure's field name.
    pub name: &'static str,
    /// In Chinese.
    pub zh: &'static str,
    /// In English.
    pub en: &'static str,
}

/// The statistics of a period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatsOut {
    /// The period.
    pub period: Period,
    /// How the groups are made.
    pub group_by: GroupBy,
    /// The last log row the answer covers.
    pub indexed_to: i64,
    /// The whole period.
    pub total: Measures,
    /// Each group, by key.
    pub groups: Vec<Measures>,
    /// What every measure means.
    pub definitions: Vec<Definition>,
}

/// The start of the current month, China time.
fn month_start(now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::{Datelike, TimeZone};
    let local = now.with_timezone(&crate::review::search::china());
    crate::review::search::china()
        .with_ymd_and_hms(local.year(), local.month(), 1, 0, 0, 0)
        .single()
        .map_or(now, |t| t.with_timezone(&chrono::Utc))
}

/// `GET /api/v1/stats`: the 96333 measures over a period, grouped.
pub async fn stats(
    state: web::Data<AppState>,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let now = state.clock.now();
    let period = Period::parse(q.from.as_deref(), q.to.as_deref(), month_start(now), now)
        .map_err(|e| ApiError::invalid(e.field, e.why))?;
    let by = match q.group_by.as_deref() {
        None => GroupBy::None,
        Some(s) => GroupBy::parse(s)
            .ok_or_else(|| ApiError::invalid("group_by", GroupBy::NAMES.join(", ")))?,
    };
    if q.company.is_some_and(|c| c < 1) {
        return Err(ApiError::invalid("company", "a positive id"));
    }
    let store = state.store.as_ref();
    let indexed_to = indexed(store).await?;
    let filter = FactsFilter {
        company: q.company,
        ..Default::default()
    };
    let facts = store.review().facts_in(period, &filter).await?;
    let (mut groups, total) = stats::compute(&facts, by);
    label(store, by, &mut groups, &facts).await?;
    Ok(HttpResponse::Ok().json(StatsOut {
        period,
        group_by: by,
        indexed_to,
        total,
        groups,
        definitions: stats::DEFINITIONS
            .iter()
            .map(|(name, zh, en)| Definition { name, zh, en })
            .collect(),
    }))
}

/// Names groups for people: companies by name, lifts by rescue code and address.
async fn label(
    store: &dyn Store,
    by: GroupBy,
    groups: &mut [Measures],
    facts: &[IncidentFacts],
) -> Result<(), ApiError> {
    let names: HashMap<String, String> = match by {
        GroupBy::Company => store
            .companies()
            .await?
            .into_iter()
            .map(|c| (c.id.0.to_string(), c.name))
            .collect(),
        GroupBy::Lift => facts
            .iter()
            .filter_map(|f| {
                let lift = f.lift?;
                let code = f.rescue_code.clone().unwrap_or_default();
                let addr = f.address.clone().unwrap_or_default();
                Some((
                    lift.0.to_string(),
                    format!("{code} {addr}").trim().to_owned(),
                ))
            })
            .collect(),
        _ => HashMap::new(),
    };
    for g in groups {
        if let Some(n) = names.get(&g.key) {
            g.label = n.clone();
        }
    }
    Ok(())
}
