//! The investigators' incident search and period: what may be asked, checked before any query.
//!
//! Periods are in China time (UTC+8): a bare date `2026-11-01` is that day from 00:00 +08:00;
//! as `to` it includes the whole day (to the next day's 00:00). Full RFC 3339 times are taken as
//! given; `to` is exclusive.

use super::facts::{BreachKind, Outcome};
use crate::domain::{CompanyId, LiftId, UnitId};
use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveTime, Utc};
use serde::Serialize;

/// China time, UTC+8: days, months and seal times are counted in it.
pub fn china() -> FixedOffset {
    // 8 hours is within ±24 h: `east_opt` cannot fail here.
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!())
}

/// A bad search or period parameter: which and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct BadParam {
    /// The parameter.
    pub field: &'static str,
    /// What is wrong, in words.
    pub why: String,
}

fn bad(field: &'static str, why: impl Into<String>) -> BadParam {
    BadParam {
        field,
        why: why.into(),
    }
}

/// Parses a period bound: RFC 3339, or a date (China time); `end` makes a date include its day.
pub fn parse_bound(field: &'static str, s: &str, end: bool) -> Result<DateTime<Utc>, BadParam> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        bad(
            field,
            format!("{s:?} is neither a date (2026-11-01) nor an RFC 3339 time"),
        )
    })?;
    let date = if end {
        date.checked_add_days(Days::new(1))
            .ok_or_else(|| bad(field, "date out of range"))?
    } else {
        date
    };
    date.and_time(NaiveTime::MIN)
        .and_local_timezone(china())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| bad(field, "date out of range"))
}

/// A period `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    /// Start, inclusive.
    pub from: DateTime<Utc>,
    /// End, exclusive.
    pub to: DateTime<Utc>,
}

impl Period {
    /// Parses `from` and `to`; `default_from` / `default_to` stand in for missing ones. `to` must
    /// be after `from`, and a period is at most 10 years.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        default_from: DateTime<Utc>,
        default_to: DateTime<Utc>,
    ) -> Result<Self, BadParam> {
        let from = from.map_or(Ok(default_from), |s| parse_bound("from", s, false))?;
        let to = to.map_or(Ok(default_to), |s| parse_bound("to", s, true))?;
        if to <= from {
            return Err(bad("to", "must be after from"));
        }
        if to - from > chrono::TimeDelta::days(3660) {
            return Err(bad("to", "a period is at most 10 years"));
        }
        Ok(Period { from, to })
    }
}

/// What a search is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// When opened (the default, newest first).
    OpenedAt,
    /// Response time.
    Response,
    /// Arrival time.
    Arrival,
    /// Rescue time.
    Rescue,
    /// Response level.
    Level,
    /// Incident id.
    Id,
}

impl SortKey {
    /// The sort's name in the query.
    pub const NAMES: [&'static str; 6] =
        ["opened_at", "response", "arrival", "rescue", "level", "id"];

    fn parse(s: &str) -> Option<Self> {
        use SortKey::*;
        let all = [OpenedAt, Response, Arrival, Rescue, Level, Id];
        Self::NAMES.iter().position(|n| *n == s).map(|i| all[i])
    }

    /// Whether its column may be empty (a time not yet known).
    pub fn nullable(self) -> bool {
        matches!(self, Self::Response | Self::Arrival | Self::Rescue)
    }

    /// The column sorted on.
    pub fn column(self) -> &'static str {
        match self {
            Self::OpenedAt => "opened_at",
            Self::Response => "response_secs",
            Self::Arrival => "arrival_secs",
            Self::Rescue => "rescue_secs",
            Self::Level => "level",
            Self::Id => "id",
        }
    }
}

/// Which lift: its registry id (the handler resolves codes through the registry; a code no
/// lift has gives [`LiftFilter::None`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiftFilter {
    /// Any lift.
    Any,
    /// This lift.
    Id(LiftId),
    /// A code no lift has: nothing matches.
    None,
}

/// A checked incident search.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// Opened in this period.
    pub period: Period,
    /// District code.
    pub district: Option<String>,
    /// Street name (exact).
    pub street: Option<String>,
    /// Maintenance company at the time.
    pub company: Option<CompanyId>,
    /// The lift.
    pub lift: LiftFilter,
    /// A unit paged for it.
    pub unit: Option<UnitId>,
    /// Highest level reached.
    pub level: Option<u8>,
    /// How it ended.
    pub outcome: Option<Outcome>,
    /// A deadline of this kind breached (`Some(None)`: any).
    pub breached: Option<Option<BreachKind>>,
    /// The first alarm's channel.
    pub channel: Option<String>,
    /// Entrapments only (or none of them).
    pub entrapment: Option<bool>,
    /// Sort key.
    pub sort: SortKey,
    /// Descending?
    pub desc: bool,
    /// Page, from 1.
    pub page: u32,
    /// Rows per page (1 to 200).
    pub per_page: u32,
}

/// The search as asked (query strings), before checking.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Start (a date, China time, or RFC 3339); default a year before `to`.
    pub from: Option<String>,
    /// End (a date includes its whole day); default now.
    pub to: Option<String>,
    /// District (6-digit GB/T 2260 code).
    #[param(pattern = "^[0-9]{6}$")]
    pub district: Option<String>,
    /// Street, as the registry names it.
    #[param(max_length = 64)]
    pub street: Option<String>,
    /// Maintenance company id.
    #[param(minimum = 1)]
    pub company: Option<i64>,
    /// The lift by any code: rescue code, registration code, cabin phone, terminal id, or
    /// `id:N` for its registry id.
    #[param(max_length = 64)]
    pub lift: Option<String>,
    /// A unit paged for it.
    #[param(minimum = 1)]
    pub unit: Option<i64>,
    /// Highest response level reached (1 to 3).
    #[param(minimum = 1, maximum = 3)]
    pub level: Option<u8>,
    /// `open`, `released`, `closed`, `false_alarm` or `cancelled`.
    #[param(pattern = "^(open|released|closed|false_alarm|cancelled)$")]
    pub outcome: Option<String>,
    /// A breached deadline: `any`, `acknowledge`, `arrive`, `release` or `confirm`.
    #[param(pattern = "^(any|acknowledge|arrive|release|confirm)$")]
    pub breached: Option<String>,
    /// The first alarm's channel: `cabin_phone`, `iot`, `hotline`, `operator` or `app`.
    #[param(pattern = "^(cabin_phone|iot|hotline|operator|app)$")]
    pub channel: Option<String>,
    /// Only entrapments (`true`) or only other incidents (`false`).
    pub entrapment: Option<bool>,
    /// `opened_at` (default), `response`, `arrival`, `rescue`, `level` or `id`.
    #[param(pattern = "^(opened_at|response|arrival|rescue|level|id)$")]
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    #[param(pattern = "^(asc|desc)$")]
    pub order: Option<String>,
    /// Page, from 1 (default 1).
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<u32>,
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

const CHANNELS: [&str; 5] = ["cabin_phone", "iot", "hotline", "operator", "app"];

impl SearchParams {
    /// Checks everything; the lift, if asked, is passed in already resolved.
    pub fn check(&self, now: DateTime<Utc>, lift: LiftFilter) -> Result<Search, BadParam> {
        let default_to = self
            .to
            .as_deref()
            .map_or(Ok(now), |s| parse_bound("to", s, true))?;
        let period = Period::parse(
            self.from.as_deref(),
            self.to.as_deref(),
            default_to - chrono::TimeDelta::days(366),
            now,
        )?;
        if let Some(d) = &self.district
            && (d.len() != 6 || !d.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad("district", "a 6-digit GB/T 2260 code"));
        }
        if self.street.as_ref().is_some_and(|s| s.chars().count() > 64) {
            return Err(bad("street", "at most 64 characters"));
        }
        let positive = |field, v: Option<i64>| match v {
            Some(n) if n < 1 => Err(bad(field, "a positive id")),
            _ => Ok(v),
        };
        let company = positive("company", self.company)?.map(CompanyId);
        let unit = positive("unit", self.unit)?.map(UnitId);
        if self.level.is_some_and(|l| !(1..=3).contains(&l)) {
            return Err(bad("level", "1, 2 or 3"));
        }
        let outcome = self
            .outcome
            .as_deref()
            .map(|s| {
                Outcome::parse(s).ok_or_else(|| {
                    bad(
                        "outcome",
                        "open, released, closed, false_alarm or cancelled",
                    )
                })
            })
            .transpose()?;
        let breached = match self.breached.as_deref() {
            None => None,
            Some("any") => Some(None),
            Some(s) => Some(Some(BreachKind::parse(s).ok_or_else(|| {
                bad("breached", "any, acknowledge, arrive, release or confirm")
            })?)),
        };
        if let Some(c) = &self.channel
            && !CHANNELS.contains(&c.as_str())
        {
            return Err(bad("channel", CHANNELS.join(", ")));
        }
        let sort = self
            .sort
            .as_deref()
            .map_or(Some(SortKey::OpenedAt), SortKey::parse)
            .ok_or_else(|| bad("sort", SortKey::NAMES.join(", ")))?;
        let desc = match self.order.as_deref() {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(_) => return Err(bad("order", "asc or desc")),
        };
        let page = self.page.unwrap_or(1);
        if !(1..=100_000).contains(&page) {
            return Err(bad("page", "from 1 to 100000"));
        }
        let per_page = self.per_page.unwrap_or(50);
        if !(1..=200).contains(&per_page) {
            return Err(bad("per_page", "from 1 to 200"));
        }
        Ok(Search {
            period,
            district: self.district.clone(),
            street: self.street.clone().filter(|s| !s.is_empty()),
            company,
            lift,
            unit,
            level: self.level,
            outcome,
            breached,
            channel: self.channel.clone(),
            entrapment: self.entrapment,
            sort,
            desc,
            page,
            per_page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_date_is_a_china_day_and_as_to_it_includes_the_whole_day() {
        let p = Period::parse(Some("2026-11-01"), Some("2026-11-30"), now(), now()).unwrap();
        assert_eq!(p.from.to_rfc3339(), "2026-10-31T16:00:00+00:00");
        assert_eq!(p.to.to_rfc3339(), "2026-11-30T16:00:00+00:00");
    }

    #[test]
    fn bad_parameters_name_the_field() {
        let cases = [
            (
                SearchParams {
                    from: Some("yesterday".into()),
                    ..Default::default()
                },
                "from",
            ),
            (
                SearchParams {
                    from: Some("2026-11-02".into()),
                    to: Some("2026-11-01".into()),
                    ..Default::default()
                },
                "to",
            ),
            (
                SearchParams {
                    district: Some("5001".into()),
                    ..Default::default()
                },
                "district",
            ),
            (
                SearchParams {
                    level: Some(4),
                    ..Default::default()
                },
                "level",
            ),
            (
                SearchParams {
                    outcome: Some("saved".into()),
                    ..Default::default()
                },
                "outcome",
            ),
            (
                SearchParams {
                    breached: Some("late".into()),
                    ..Default::default()
                },
                "breached",
            ),
            (
                SearchParams {
                    sort: Some("name".into()),
                    ..Default::default()
                },
                "sort",
            ),
            (
                SearchParams {
                    per_page: Some(500),
                    ..Default::default()
                },
                "per_page",
            ),
            (
                SearchParams {
                    company: Some(0),
                    ..Default::default()
                },
                "company",
            ),
        ];
        for (params, field) in cases {
            let e = params.check(now(), LiftFilter::Any).unwrap_err();
            assert_eq!(e.field, field, "{e}");
        }
    }

    #[test]
    fn the_default_is_the_last_year_newest_first_fifty_a_page() {
        let s = SearchParams::default()
            .check(now(), LiftFilter::Any)
            .unwrap();
        assert_eq!(s.period.to, now());
        assert_eq!((s.period.to - s.period.from).num_days(), 366);
        assert_eq!(
            (s.sort, s.desc, s.page, s.per_page),
            (SortKey::OpenedAt, true, 1, 50)
        );
    }
}
