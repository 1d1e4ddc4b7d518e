//! The lift quality evaluation for the bureaus (operators and investigators read; the admin
//! reads the formula in force too): the evaluations worst first, the lists (JSON or CSV), a
//! lift's whole-life history, and the formula. Every answer reads the review tables after
//! catching the indexer up, and the formula from `quality.toml` in the rules folder (else the
//! built-in one) as it is at the request: an admin's edit counts from the next request, and a
//! file with errors is answered 422 `bad_rules` with every error (file, line, key).

use super::error::ApiError;
use super::review::indexed;
use crate::domain::{CompanyId, Lift, LiftId, LiftRef};
use crate::http::AppState;
use crate::review::IncidentFacts;
use crate::review::quality::lists::{self, CsvRow, ListKind};
use crate::review::quality::{self, Evaluation, Grade, history};
use crate::review::search::Period;
use crate::rules::quality::QualityConfig;
use crate::store::Store;
use crate::store::review::{FactsFilter, LiftEvent};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The formula in force, or 422 with every error of the file.
fn config(state: &AppState) -> Result<QualityConfig, ApiError> {
    QualityConfig::load(&state.rules).map_err(|errors| ApiError::BadRules {
        source: state.rules.to_string(),
        errors,
    })
}

/// The period asked for; default the last 365 days.
fn period(state: &AppState, from: Option<&str>, to: Option<&str>) -> Result<Period, ApiError> {
    let now = state.clock.now();
    Period::parse(from, to, now - chrono::TimeDelta::days(365), now)
        .map_err(|e| ApiError::invalid(e.field, e.why))
}

/// Every lift of the registry.
async fn all_lifts(store: &dyn Store) -> Result<Vec<Lift>, ApiError> {
    let mut out: Vec<Lift> = Vec::new();
    loop {
        let page = store.lifts(out.last().map(|l| l.id), 2_000).await?;
        let done = page.len() < 2_000;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

/// Company names by id.
async fn names(store: &dyn Store) -> Result<HashMap<CompanyId, String>, ApiError> {
    Ok(store
        .companies()
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

/// What an evaluation of a period reads.
struct Read {
    cfg: QualityConfig,
    period: Period,
    indexed_to: i64,
    lifts: Vec<Lift>,
    facts: Vec<IncidentFacts>,
    faults: Vec<LiftEvent>,
    names: HashMap<CompanyId, String>,
    evals: Vec<Evaluation>,
}

/// Reads a period and evaluates every lift over it.
async fn read(state: &AppState, from: Option<&str>, to: Option<&str>) -> Result<Read, ApiError> {
    let cfg = config(state)?;
    let period = period(state, from, to)?;
    let store = state.store.as_ref();
    let indexed_to = indexed(store).await?;
    let lifts = all_lifts(store).await?;
    let review = store.review();
    let facts = review.facts_in(period, &FactsFilter::default()).await?;
    // The suspicious-report rule looks for support around each alarm, past the period's ends.
    let window = chrono::TimeDelta::seconds((cfg.suspicious.support_window_hours * 3600.0) as i64);
    let wide = Period {
        from: period.from - window,
        to: period.to + window,
    };
    let faults = review.equipment_faults_in(wide).await?;
    let evals = quality::evaluate_all(&cfg, &lifts, &facts, &faults, period, state.clock.now());
    Ok(Read {
        names: names(store).await?,
        cfg,
        period,
        indexed_to,
        lifts,
        facts,
        faults,
        evals,
    })
}

/// `GET /api/v1/quality/config`: the formula in force.
pub async fn get_config(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(config(&state)?))
}

/// The evaluations query.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LiftsQuery {
    /// Start (a date, China time, or RFC 3339); default 365 days ago.
    pub from: Option<String>,
    /// End (a date includes its whole day); default now.
    pub to: Option<String>,
    /// Only this grade.
    #[param(pattern = "^[A-Da-d]$")]
    pub grade: Option<String>,
    /// Page, from 1.
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<u32>,
    /// Rows a page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<u32>,
}

/// A page of evaluations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LiftsOut {
    /// The period.
    pub period: Period,
    /// The last log row the answer covers.
    pub indexed_to: i64,
    /// Where the formula came from (`built-in` or the file).
    pub formula: String,
    /// Lifts matching in all.
    pub total: usize,
    /// This page.
    pub page: u32,
    /// Rows a page.
    pub per_page: u32,
    /// The evaluations, worst first.
    pub items: Vec<Evaluation>,
}

/// `GET /api/v1/quality/lifts`: every lift's evaluation, worst first.
pub async fn lifts(
    state: web::Data<AppState>,
    query: web::Query<LiftsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let grade = match q.grade.as_deref() {
        None => None,
        Some(g) => Some(Grade::parse(g).ok_or_else(|| ApiError::invalid("grade", "A, B, C or D"))?),
    };
    let page = q.page.unwrap_or(1);
    if !(1..=100_000).contains(&page) {
        return Err(ApiError::invalid("page", "from 1 to 100000"));
    }
    let per_page = q.per_page.unwrap_or(50);
    if !(1..=500).contains(&per_page) {
        return Err(ApiError::invalid("per_page", "from 1 to 500"));
    }
    let r = read(&state, q.from.as_deref(), q.to.as_deref()).await?;
    let matching: Vec<Evaluation> = r
        .evals
        .into_iter()
        .filter(|e| grade.is_none_or(|g| e.grade == g))
        .collect();
    let total = matching.len();
    let skip = (page as usize - 1) * per_page as usize;
    Ok(HttpResponse::Ok().json(LiftsOut {
        period: r.period,
        indexed_to: r.indexed_to,
        formula: r.cfg.source,
        total,
        page,
        per_page,
        items: matching
            .into_iter()
            .skip(skip)
            .take(per_page as usize)
            .collect(),
    }))
}

/// A list's query.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Start (a date, China time, or RFC 3339); default 365 days ago.
    pub from: Option<String>,
    /// End (a date includes its whole day); default now.
    pub to: Option<String>,
    /// `json` (default) or `csv` (UTF-8 with a byte-order mark, a header row).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// A list, as JSON.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListOut {
    /// `safety_assessment`, `sanwu`, `disclosure`, `companies` or `suspicious`.
    pub list: String,
    /// The period.
    pub period: Period,
    /// The last log row the answer covers.
    pub indexed_to: i64,
    /// The rule that made the list, in words.
    pub rule: String,
    /// Rows: lifts, companies or reports, by the list.
    #[schema(value_type = Vec<Object>)]
    pub rows: serde_json::Value,
}

/// Rows as the asked format.
fn answer<R: CsvRow + Serialize>(
    csv: bool,
    name: &str,
    head: (Period, i64, String),
    rows: &[R],
) -> Result<HttpResponse, ApiError> {
    if csv {
        let text = lists::to_csv(rows).map_err(|e| {
            tracing::error!(error = %e, "write a quality list as CSV");
            ApiError::Unavailable
        })?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"{name}.csv\""),
            ))
            .body(text));
    }
    let rows = serde_json::to_value(rows).map_err(|e| {
        tracing::error!(error = %e, "write a quality list as JSON");
        ApiError::Unavailable
    })?;
    Ok(HttpResponse::Ok().json(ListOut {
        list: name.to_owned(),
        period: head.0,
        indexed_to: head.1,
        rule: head.2,
        rows,
    }))
}

/// `GET /api/v1/quality/lists/{list}`: one of the bureaus' lists, as JSON or CSV.
pub async fn list(
    state: web::Data<AppState>,
    name: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let name = name.into_inner();
    let Some(kind) = ListKind::parse(&name) else {
        return Err(ApiError::NotFound(format!(
            "list {name:?} (the lists: {})",
            ListKind::NAMES.join(", ")
        )));
    };
    let q = query.into_inner();
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::invalid("format", "json or csv")),
    };
    let r = read(&state, q.from.as_deref(), q.to.as_deref()).await?;
    let c = &r.cfg;
    let head = |rule: String| (r.period, r.indexed_to, rule);
    match kind {
        ListKind::SafetyAssessment => {
            let rows = lists::safety_assessment(
                &r.evals,
                &r.names,
                c.assessment_age_years,
                c.assessment_failures_per_year,
            );
            let rule = format!(
                "in use ≥ {} years, or ≥ {} failures a year (§六.2)",
                c.assessment_age_years, c.assessment_failures_per_year
            );
            answer(csv, &name, head(rule), &rows)
        }
        ListKind::Sanwu => {
            let rows = lists::sanwu(&r.evals, &r.names);
            let rule = "no property management, no maintenance unit or no repair fund (§二.1)";
            answer(csv, &name, head(rule.into()), &rows)
        }
        ListKind::Disclosure => {
            let rows = lists::disclosure(&r.evals, &r.names);
            let rule = format!(
                "≥ {} failures a year (§十二)",
                c.disclosure_failures_per_year
            );
            answer(csv, &name, head(rule), &rows)
        }
        ListKind::Companies => {
            let rows = lists::companies(&r.lifts, &r.facts, &r.names);
            let rule = "entrapments in the period per lift maintained, most first (§十二)";
            answer(csv, &name, head(rule.into()), &rows)
        }
        ListKind::Suspicious => {
            let mut rows = lists::suspicious(&r.facts, &r.faults, &c.suspicious, &r.names);
            evidence(state.store.as_ref(), &mut rows).await?;
            let rule = format!(
                "a major cause with no IoT or cabin-phone alarm and no equipment fault within {} h; \
                 a company whose major share is ≥ {} × its peers' (§十二)",
                c.suspicious.support_window_hours, c.suspicious.company_share_factor
            );
            answer(csv, &name, head(rule), &rows)
        }
    }
}

/// Reports read at most this many timelines for their evidence rows.
const EVIDENCE_TIMELINES: usize = 200;

/// Puts the log rows of each unsupported cause's alarms and filing into its evidence.
async fn evidence(store: &dyn Store, rows: &mut [lists::Suspicious]) -> Result<(), ApiError> {
    for row in rows.iter_mut().take(EVIDENCE_TIMELINES) {
        let Some(id) = row.incident_id else { continue };
        let timeline = store.timeline(crate::domain::IncidentId(id)).await?;
        let seqs: Vec<i64> = timeline
            .iter()
            .filter(|e| {
                matches!(
                    e.event.kind.name(),
                    "incident_opened" | "alarm_joined" | "fault_cause_filed"
                )
            })
            .map(|e| e.seq)
            .collect();
        if !seqs.is_empty() {
            row.evidence_seqs = seqs;
        }
    }
    Ok(())
}

/// `GET /api/v1/lifts/{id}/history`: the lift's whole-life history.
pub async fn lift_history(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = LiftId(id.into_inner());
    let store = state.store.as_ref();
    let Some(lift) = store.find_lift(&LiftRef::Id(id)).await? else {
        return Err(ApiError::NotFound(format!("lift {}", id.0)));
    };
    indexed(store).await?;
    let all = Period {
        from: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        to: state.clock.now() + chrono::TimeDelta::days(1),
    };
    let review = store.review();
    let filter = FactsFilter {
        lift: Some(id),
        ..Default::default()
    };
    let facts = review.facts_in(all, &filter).await?;
    let events = review.lift_events(id, all).await?;
    let names = names(store).await?;
    Ok(HttpResponse::Ok().json(history::history(lift, facts, events, &names)))
}
