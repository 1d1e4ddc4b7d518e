//! The registry (lifts, units, companies) and token administration.
//!
//! Reads are for operators, investigators and admins (the lookup by code is the console's);
//! writes are for admins. Lift and unit bodies are decoded through the domain's `parse`
//! constructors (a bad code is a 400 naming `[i].rescue_code`), then pass the checks the CSV
//! import makes (`registry::check`: coordinates in range, a GCJ-02 position converted,
//! `no_maintenance_unit` not with a maintainer, a contact plan that parses), with the same
//! messages, before anything is stored.

use super::auth::{new_secret, token_hash};
use super::body::JsonBody;
use super::error::ApiError;
use super::intake::LiftRefIn;
use super::query::{limit, value};
use crate::domain::{Fix, Lift, LiftId, Unit, UnitId};
use crate::http::AppState;
use crate::registry::check::{self, CoordSystem, Problem};
use crate::store::{Company, Role};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A page of lifts.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LiftsQuery {
    /// Only lifts with a larger id (the last id of the previous page).
    #[param(value_type = Option<i64>, minimum = 0)]
    pub after: Option<String>,
    /// At most this many (1-1000, default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// Exactly one identifier of a lift.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// The rescue code on the sign in the car.
    #[param(pattern = "^[0-9]{5,6}$")]
    pub rescue_code: Option<String>,
    /// The 20-digit registration code.
    #[param(
        pattern = "^3[123][0-9]{2}(1[1-9]|[2-7][0-9]|8[0-2])[0-9]{4}(199[0-9]|20[0-9]{2})(0[1-9]|1[0-2])[0-9]{4}$"
    )]
    pub registration_code: Option<String>,
    /// The cabin phone's caller id.
    #[param(pattern = "^\\+?[0-9]{3,20}$")]
    pub phone: Option<String>,
    /// The IoT terminal's id.
    #[param(pattern = "^[A-Za-z0-9_.:-]{1,64}$")]
    pub device_id: Option<String>,
}

/// How many records a write stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stored {
    /// The count.
    pub stored: usize,
}

/// A token to issue.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    /// Its role.
    pub role: Role,
    /// The unit it speaks for: required for `crew`, refused otherwise.
    #[schema(minimum = 1)]
    pub unit: Option<i64>,
    /// Who holds it ("operator Li, console 3"; 1-200 characters, not blank); operator actions
    /// are recorded under it.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub label: String,
}

/// An issued token. The secret is shown only here; the store keeps its SHA-256.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenOut {
    /// Its id.
    pub id: i64,
    /// The bearer secret (64 hex digits).
    pub token: String,
    /// Its role.
    pub role: Role,
    /// The unit, for crew tokens.
    pub unit: Option<UnitId>,
    /// The label.
    pub label: String,
}

/// `GET /api/v1/lifts?after=&limit=`.
pub async fn lifts(
    state: web::Data<AppState>,
    query: web::Query<LiftsQuery>,
) -> Result<HttpResponse, ApiError> {
    let after = value("after", &query.after, "a lift id")?.map(LiftId);
    let limit = limit(&query.limit)?.unwrap_or(100);
    Ok(HttpResponse::Ok().json(state.store.lifts(after, limit).await?))
}

/// `GET /api/v1/lifts/lookup?rescue_code=…`: the lift, or 404.
pub async fn lookup(
    state: web::Data<AppState>,
    query: web::Query<LookupQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let given = LiftRefIn {
        id: None,
        rescue_code: q.rescue_code,
        registration_code: q.registration_code,
        phone: q.phone,
        device_id: q.device_id,
    };
    let (r, field, value) = given.parse("")?;
    match state.store.find_lift(&r).await? {
        Some(lift) => Ok(HttpResponse::Ok().json(lift)),
        None => Err(ApiError::NotFound(format!(
            "a lift with {} {value}",
            field.replace('_', " ")
        ))),
    }
}

/// A unit as the registry holds it, with the position the desk pages from (the newer of the
/// registry's fix and the last one the crew reported) and how old that fix is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnitOut {
    /// The unit; its `fix` is the newest known.
    #[serde(flatten)]
    pub unit: Unit,
    /// Seconds since the fix was taken, when the answer was made; absent without a fix.
    pub fix_age_s: Option<i64>,
}

impl UnitOut {
    /// `unit` with `live` (the desk's fix) if that is newer, aged at `now`.
    pub fn new(mut unit: Unit, live: Option<Fix>, now: DateTime<Utc>) -> Self {
        if live.map(|f| f.taken) > unit.fix.map(|f| f.taken) {
            unit.fix = live;
        }
        let fix_age_s = unit.fix.map(|f| (now - f.taken).num_seconds());
        UnitOut { unit, fix_age_s }
    }
}

/// `GET /api/v1/units`: the registry, with the live fixes the desk holds.
pub async fn units(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let units = state.store.units().await?;
    let live: HashMap<UnitId, Fix> = state.desk.fixes(None).await?.into_iter().collect();
    let now = state.clock.now();
    let out: Vec<UnitOut> = units
        .into_iter()
        .map(|u| {
            let fix = live.get(&u.id).copied();
            UnitOut::new(u, fix, now)
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// `GET /api/v1/companies`.
pub async fn companies(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.store.companies().await?))
}

/// A registry id a write gives: the database's sequences start at 1, so 0 or less is a mistake.
fn check_id(field: impl FnOnce() -> String, id: i64) -> Result<(), ApiError> {
    if id < 1 {
        return Err(ApiError::invalid(
            field(),
            format!("{id} is not an id (ids start at 1)"),
        ));
    }
    Ok(())
}

/// A name shown to operators and crews: not blank.
fn check_name(field: impl FnOnce() -> String, name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::invalid(field(), "must not be blank"));
    }
    Ok(())
}

/// A lift as `PUT /api/v1/lifts` takes it: the lift's fields, and the coordinate system its
/// position is written in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LiftIn {
    /// The lift.
    #[serde(flatten)]
    pub lift: Lift,
    /// `wgs84` (default) or `gcj02` (converted to WGS-84 before it is stored, as the import
    /// does).
    #[serde(default)]
    pub coord_system: CoordSystem,
}

/// A problem the shared record checks found in `[i]`, named by its place in the body
/// (`where_` maps the register's column to the JSON path within the record).
fn refused(i: usize, p: Problem, where_: fn(&'static str) -> &'static str) -> ApiError {
    let field = format!("[{i}].{}", where_(p.field));
    if p.conflict {
        ApiError::Conflicting {
            field,
            message: p.why,
        }
    } else {
        ApiError::invalid(field, p.why)
    }
}

/// Where a lift register's column is in a `LiftIn`.
fn lift_path(column: &'static str) -> &'static str {
    match column {
        "lat" => "position.lat",
        "lon" => "position.lon",
        "no_maintenance_unit" => "flags.no_maintenance_unit",
        other => other,
    }
}

/// Where a unit register's column is in a `Unit`.
fn unit_path(column: &'static str) -> &'static str {
    match column {
        "lat" => "fix.at.lat",
        "lon" => "fix.at.lon",
        other => other,
    }
}

/// `PUT /api/v1/lifts`: insert or replace, after the checks the import makes
/// (`registry::check`), so nothing is stored that the import would refuse.
pub async fn put_lifts(
    state: web::Data<AppState>,
    body: JsonBody<Vec<LiftIn>>,
) -> Result<HttpResponse, ApiError> {
    let lifts = (body.0.into_iter().enumerate())
        .map(|(i, l)| check::lift(l.lift, l.coord_system).map_err(|p| refused(i, p, lift_path)))
        .collect::<Result<Vec<Lift>, ApiError>>()?;
    state.store.put_lifts(&lifts).await?;
    Ok(HttpResponse::Ok().json(Stored {
        stored: lifts.len(),
    }))
}

/// `PUT /api/v1/units`: insert or replace, in the registry and in the running desk. A unit
/// the desk knows keeps its live duty state and newer position there (duty changes go through
/// `POST /api/v1/crew/duty`, on the record); new units join as given.
pub async fn put_units(
    state: web::Data<AppState>,
    body: JsonBody<Vec<Unit>>,
) -> Result<HttpResponse, ApiError> {
    for (i, unit) in body.0.iter().enumerate() {
        check::unit(unit).map_err(|p| refused(i, p, unit_path))?;
    }
    state.store.put_units(&body.0).await?;
    state.paging.units_changed();
    let stored = body.0.len();
    state.desk.register_units(body.0).await?;
    Ok(HttpResponse::Ok().json(Stored { stored }))
}

/// `PUT /api/v1/companies`: insert or replace.
pub async fn put_companies(
    state: web::Data<AppState>,
    body: JsonBody<Vec<Company>>,
) -> Result<HttpResponse, ApiError> {
    for (i, company) in body.0.iter().enumerate() {
        check_id(|| format!("[{i}].id"), company.id.0)?;
        check_name(|| format!("[{i}].name"), &company.name)?;
    }
    state.store.put_companies(&body.0).await?;
    Ok(HttpResponse::Ok().json(Stored {
        stored: body.0.len(),
    }))
}

/// Checks the unit a token names: required (and existing) for crew tokens, refused for others.
async fn token_unit(state: &AppState, input: &TokenIn) -> Result<Option<UnitId>, ApiError> {
    match (input.role, input.unit) {
        (Role::Crew, None) => Err(ApiError::MissingField("unit".into())),
        (Role::Crew, Some(id)) => {
            let unit = UnitId(id);
            let known = state.store.units().await?.iter().any(|u| u.id == unit);
            known
                .then_some(Some(unit))
                .ok_or(ApiError::UnknownUnit(unit.to_string()))
        }
        (_, Some(_)) => Err(ApiError::invalid("unit", "only crew tokens name a unit")),
        (_, None) => Ok(None),
    }
}

/// `POST /api/v1/tokens`: 201 with the new secret (shown once).
pub async fn create_token(
    state: web::Data<AppState>,
    body: JsonBody<TokenIn>,
) -> Result<HttpResponse, ApiError> {
    let input = body.0;
    let label = input.label.trim().to_owned();
    if label.is_empty() || label.chars().count() > 200 {
        return Err(ApiError::invalid("label", "must be 1 to 200 characters"));
    }
    let unit = token_unit(&state, &input).await?;
    let token = new_secret();
    let id = state
        .store
        .put_token(&token_hash(&token), input.role, unit, &label)
        .await?;
    Ok(HttpResponse::Created().json(TokenOut {
        id,
        token,
        role: input.role,
        unit,
        label,
    }))
}
