//! `liftrescue seed-demo --history`: a history played through the dispatch desk on a simulated
//! clock, into a real log that `verify-log` accepts, with the published shapes.

use crate::support::process::run;
use crate::support::{engines, fresh_database};
use liftrescue::domain::{CrewStatus, EventKind, IncidentId, UnitId};
use liftrescue::store::{Store, StoredEvent};
use std::collections::HashMap;

const UNTIL: &str = "2026-11-30T16:00:00Z";

fn args(seed: &str) -> Vec<&str> {
    vec![
        "seed-demo",
        "--lifts",
        "2000",
        "--history",
        "30",
        "--rate",
        "12",
        "--seed",
        seed,
        "--until",
        UNTIL,
    ]
}

async fn whole_log(store: &dyn Store) -> Vec<StoredEvent> {
    let mut rows = Vec::new();
    loop {
        let after = rows.last().map(|r: &StoredEvent| r.seq).unwrap_or(0);
        let page = store.log_page(after, 5_000).await.expect("read the log");
        if page.is_empty() {
            return rows;
        }
        rows.extend(page);
    }
}

/// Per incident: opened, first acceptance, first on scene, release, and how it ended.
#[derive(Default, Debug)]
struct Times {
    opened: Option<i64>,
    accepted: Option<i64>,
    on_scene: Option<i64>,
    released: Option<i64>,
    confirmed: Option<i64>,
    closed: Option<i64>,
    lift: Option<liftrescue::domain::Lift>,
}

fn timelines(rows: &[StoredEvent]) -> HashMap<IncidentId, Times> {
    let mut out: HashMap<IncidentId, Times> = HashMap::new();
    // Only maintainers and fire/rescue rescue; property staff calm the passengers.
    let mut rescuers: HashMap<(IncidentId, UnitId), bool> = HashMap::new();
    for r in rows {
        let (Some(id), at) = (r.event.incident, r.event.at.timestamp()) else {
            continue;
        };
        let t = out.entry(id).or_default();
        match &r.event.kind {
            EventKind::IncidentOpened { lift, .. } => {
                t.opened = Some(at);
                t.lift = lift.as_deref().cloned();
            }
            EventKind::UnitPaged { candidate, .. } => {
                let step = r.event.step.as_deref().unwrap_or("");
                rescuers.insert((id, candidate.unit), step != "property");
            }
            EventKind::Accepted { unit, .. } if rescuers.get(&(id, *unit)) == Some(&true) => {
                t.accepted = t.accepted.or(Some(at));
            }
            EventKind::CrewProgress {
                unit,
                status: CrewStatus::OnScene,
            } if rescuers.get(&(id, *unit)) == Some(&true) => {
                t.on_scene = t.on_scene.or(Some(at));
            }
            EventKind::CrewProgress {
                status: CrewStatus::Released,
                ..
            } => t.released = Some(at),
            EventKind::ReleaseConfirmed => t.confirmed = Some(at),
            EventKind::Closed { .. } => t.closed = Some(at),
            _ => {}
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_of_history_goes_through_the_desk_into_a_log_that_verifies_with_the_published_shapes()
 {
    for engine in engines() {
        let url = fresh_database(engine).await;
        let env = [("LIFTRESCUE_DATABASE_URL", url.as_str())];
        let (code, out, err) = run(&args("7"), &env);
        assert_eq!(code, Some(0), "{engine}: {out}{err}");
        assert!(err.contains("history: day 30/30"), "{engine}: {err}");
        assert!(out.contains("played 30 days of history"), "{engine}: {out}");
        let (code, out, err) = run(&["verify-log"], &env);
        assert_eq!(code, Some(0), "{engine}: {out}{err}");
        assert!(out.contains("intact"), "{out}");

        let store = liftrescue::store::open(&url).await.unwrap();
        let rows = whole_log(store.as_ref()).await;
        let names: std::collections::HashSet<&str> =
            rows.iter().map(|r| r.event.kind.name()).collect();
        for kind in [
            "incident_opened",
            "unit_paged",
            "accepted",
            "crew_progress",
            "release_confirmed",
            "fault_cause_filed",
            "closed",
            "false_alarm",
            "cancelled",
            "ack_missed",
            "equipment_fault",
        ] {
            assert!(names.contains(kind), "{engine}: no {kind} in {names:?}");
        }
        crate::review::agree::stats_agree_with_the_log(engine, &url, store.as_ref(), &rows).await;
        let incidents = timelines(&rows);
        let closed: Vec<&Times> = incidents.values().filter(|t| t.closed.is_some()).collect();
        // 12 a day for 30 days (less the quiet last hours), Poisson noise included.
        assert!(
            (250..=470).contains(&closed.len()),
            "{engine}: {} closed",
            closed.len()
        );
        for t in &closed {
            let o = t.opened.unwrap();
            let (a, s, r) = (
                t.accepted.unwrap(),
                t.on_scene.unwrap(),
                t.released.unwrap(),
            );
            let (c, x) = (t.confirmed.unwrap(), t.closed.unwrap());
            assert!(
                o <= a && a < s && s < r && r < c && c <= x,
                "{engine}: {t:?}"
            );
        }
        let n = closed.len() as f64;
        let arrive: Vec<f64> = closed
            .iter()
            .map(|t| (t.on_scene.unwrap() - t.opened.unwrap()) as f64 / 60.0)
            .collect();
        let mean_arrive = arrive.iter().sum::<f64>() / n;
        assert!(
            (10.0..14.5).contains(&mean_arrive),
            "{engine}: mean arrival {mean_arrive} min"
        );
        assert!(
            arrive.iter().any(|m| *m > 30.0),
            "{engine}: no late arrival at all"
        );
        let within_3 = closed
            .iter()
            .filter(|t| t.accepted.unwrap() - t.opened.unwrap() <= 180)
            .count() as f64
            / n;
        assert!(
            within_3 > 0.85,
            "{engine}: {within_3} accepted within 3 min"
        );
        let rescue = closed
            .iter()
            .map(|t| (t.released.unwrap() - t.on_scene.unwrap()) as f64 / 60.0)
            .sum::<f64>()
            / n;
        assert!(
            (3.5..7.0).contains(&rescue),
            "{engine}: mean rescue {rescue} min"
        );

        // Older lifts trap more people per lift than newer ones.
        let lifts = store.lifts(None, 10_000).await.unwrap();
        let until = chrono::DateTime::parse_from_rfc3339(UNTIL)
            .unwrap()
            .date_naive();
        let age = |l: &liftrescue::domain::Lift| {
            l.commissioned
                .map(|c| until.years_since(c).unwrap_or(0))
                .unwrap_or(0)
        };
        let per_lift = |old: bool| {
            let keep = |l: &liftrescue::domain::Lift| if old { age(l) >= 15 } else { age(l) < 10 };
            let n = lifts.iter().filter(|l| keep(l)).count() as f64;
            let hits = incidents
                .values()
                .filter(|t| t.lift.as_ref().is_some_and(keep))
                .count();
            hits as f64 / n
        };
        assert!(
            per_lift(true) > 1.8 * per_lift(false),
            "{engine}: old {} new {}",
            per_lift(true),
            per_lift(false)
        );

        // Again on the same log: refused, nothing written.
        let head = store.log_head().await.unwrap();
        let (code, _, err) = run(&args("7"), &env);
        assert_eq!(code, Some(2), "{engine}: {err}");
        assert!(err.contains("empty log"), "{err}");
        assert_eq!(store.log_head().await.unwrap(), head);
    }
}

#[tokio::test]
async fn the_same_seed_plays_the_same_log_hash_for_hash_and_another_seed_another() {
    let mut heads = Vec::new();
    for seed in ["3", "3", "4"] {
        let url = fresh_database("sqlite").await;
        let env = [("LIFTRESCUE_DATABASE_URL", url.as_str())];
        let mut a = args(seed);
        a[4] = "5";
        let (code, out, err) = run(&a, &env);
        assert_eq!(code, Some(0), "{out}{err}");
        let store = liftrescue::store::open(&url).await.unwrap();
        let rows = whole_log(store.as_ref()).await;
        heads.push((rows.len(), rows.last().map(|r| r.hash.clone())));
    }
    assert_eq!(heads[0], heads[1]);
    assert_ne!(heads[0], heads[2]);
}
