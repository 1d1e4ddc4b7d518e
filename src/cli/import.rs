//! `liftrescue import lifts|units`: a register into the store; with `[[regions]]` and no
//! `--region`, each lift into the region covering its registration code's district.

use super::ConfigArg;
use crate::config::Settings;
use crate::domain::Lift;
use anyhow::Context;
use std::collections::BTreeMap;
use std::process::ExitCode;

/// Imports the register in `file` (lifts, else units).
pub async fn import(
    c: &ConfigArg,
    file: &std::path::Path,
    lifts: bool,
) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("read {}", file.display()))?;
    let all = c.load_all()?;
    if lifts && c.region.is_none() && !all.regions.is_empty() {
        return by_region(&all, file, &text).await;
    }
    let store = super::service::open(c).await?;
    let what = if lifts { "lifts" } else { "units" };
    let result = if lifts {
        crate::registry::import::import_lifts(store.as_ref(), &text).await
    } else {
        crate::registry::import::import_units(store.as_ref(), &text).await
    };
    match result {
        Ok(n) => {
            println!("imported {n} {what} from {}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(crate::registry::import::ImportError::Invalid(rows)) => Ok(refused(file, &rows)),
        Err(e) => Err(e.into()),
    }
}

/// Imports a province's lift register into its regions by the district of each registration
/// code (`[[regions]] admin_codes`; the key alarms are routed by):
/// every row is checked and placed first, so a bad row or a lift in no region imports nothing.
async fn by_region(
    settings: &Settings,
    file: &std::path::Path,
    text: &str,
) -> anyhow::Result<ExitCode> {
    let lifts = match crate::registry::import::parse_lifts(text) {
        Ok(lifts) => lifts,
        Err(rows) => {
            return Ok(refused(file, &rows));
        }
    };
    let mut into: BTreeMap<String, Vec<Lift>> = BTreeMap::new();
    let mut nowhere = Vec::new();
    for lift in lifts {
        // The key alarms are routed by (`inbox::Routes`): the registration code's district.
        let district = lift.registration_code.admin_code().as_string();
        match settings.region_of_district(&district) {
            Some(r) => into.entry(r.name.clone()).or_default().push(lift),
            None => nowhere.push(format!("{} (district {district})", lift.registration_code)),
        }
    }
    if !nowhere.is_empty() {
        for l in nowhere.iter().take(10) {
            eprintln!("{}: lift {l} is in no region's admin_codes", file.display());
        }
        eprintln!(
            "{} lift(s) in no region: nothing imported (add their districts to [[regions]] admin_codes, or import with --region NAME)",
            nowhere.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    let regions: Vec<_> = settings
        .regions
        .iter()
        .filter(|r| into.contains_key(&r.name))
        .cloned()
        .collect();
    crate::config::regions::create_schemas(&settings.database_url, &regions).await?;
    for r in &regions {
        let url = crate::config::regions::in_schema(&settings.database_url, &r.schema());
        let store = crate::store::open(&url).await?;
        let lifts = &into[&r.name];
        store
            .put_lifts(lifts)
            .await
            .with_context(|| format!("write region {}'s lifts", r.name))?;
        println!("imported {} lifts into region {}", lifts.len(), r.name);
    }
    Ok(ExitCode::SUCCESS)
}

/// Lists every bad value of a register; nothing was imported.
fn refused(file: &std::path::Path, rows: &[crate::registry::import::RowError]) -> ExitCode {
    for r in rows {
        eprintln!("{}: {r}", file.display());
    }
    eprintln!("{} bad value(s): nothing imported", rows.len());
    ExitCode::FAILURE
}
