//! Contact plans by unit kind, and a unit's own from its record.

use super::NotifySettings;
use super::policy::ContactPlan;
use crate::domain::{Unit, UnitKind};
use anyhow::Context;
use std::collections::HashMap;

/// Contact plans by unit kind.
#[derive(Debug, Clone)]
pub(super) struct Plans {
    default: ContactPlan,
    by_kind: HashMap<UnitKind, ContactPlan>,
}

impl Plans {
    pub(super) fn new(s: &NotifySettings) -> anyhow::Result<Self> {
        let default = ContactPlan::parse(&s.plan).context("notify.plan")?;
        let mut by_kind = HashMap::new();
        for (kind, plan) in &s.plans {
            let k = UnitKind::ALL
                .into_iter()
                .find(|k| k.as_str() == kind)
                .with_context(|| {
                    format!("notify.plans.{kind}: not a unit kind (maintainer, property_staff, fire_rescue)")
                })?;
            by_kind.insert(
                k,
                ContactPlan::parse(plan).with_context(|| format!("notify.plans.{kind}"))?,
            );
        }
        Ok(Plans { default, by_kind })
    }

    pub(super) fn of(&self, kind: UnitKind) -> &ContactPlan {
        self.by_kind.get(&kind).unwrap_or(&self.default)
    }

    /// The unit's own plan from its record, else its kind's. The registry checks a plan when it
    /// is stored, so one that does not parse here was written around it: it is logged and the
    /// kind's is used.
    pub(super) fn of_unit(&self, unit: &Unit) -> std::borrow::Cow<'_, ContactPlan> {
        if let Some(text) = &unit.contact_plan {
            match ContactPlan::parse(text) {
                Ok(plan) => return std::borrow::Cow::Owned(plan),
                Err(e) => tracing::warn!(
                    unit = unit.id.0,
                    error = %e,
                    "the unit's contact plan does not parse; its kind's is used"
                ),
            }
        }
        std::borrow::Cow::Borrowed(self.of(unit.kind))
    }
}
