//! Live fixes kept behind the desk, and units' bases in the registry.

use super::conformance;
use super::registry::units;
use crate::domain::{Fix, LatLon, UnitId};
use chrono::TimeDelta;

fn fix(lat: f64, secs: i64) -> Fix {
    Fix {
        at: LatLon::parse(lat, 106.571_234_567_891).unwrap(),
        // Microseconds survive on both engines.
        taken: crate::dispatch::tests::t0()
            + TimeDelta::seconds(secs)
            + TimeDelta::microseconds(123_456),
    }
}

conformance!(
    the_newest_fix_of_each_unit_is_kept_and_an_older_one_changes_nothing,
    |db| {
        let s = db.store();
        assert_eq!(s.fixes().await.unwrap(), vec![]);
        // One batch with two fixes of unit 12 (the older last) and one of unit 3.
        let batch = [
            (UnitId(12), fix(29.551, 20)),
            (UnitId(3), fix(29.553, 5)),
            (UnitId(12), fix(29.550, 10)),
        ];
        s.put_fixes(&batch).await.unwrap();
        let kept = vec![(UnitId(3), fix(29.553, 5)), (UnitId(12), fix(29.551, 20))];
        assert_eq!(s.fixes().await.unwrap(), kept);
        // A late, older fix (a phone replaying its queue) changes nothing.
        s.put_fixes(&[(UnitId(12), fix(29.559, 15))]).await.unwrap();
        assert_eq!(s.fixes().await.unwrap(), kept);
        // A newer one replaces it.
        s.put_fixes(&[(UnitId(12), fix(29.560, 30))]).await.unwrap();
        assert_eq!(
            s.fixes().await.unwrap(),
            vec![(UnitId(3), fix(29.553, 5)), (UnitId(12), fix(29.560, 30))]
        );
        s.put_fixes(&[]).await.unwrap();
        assert_eq!(s.fixes().await.unwrap().len(), 2);
    }
);

conformance!(
    a_registry_put_sets_and_clears_a_base_and_leaves_live_fixes_alone,
    |db| {
        let s = db.store();
        let mut given = units();
        s.put_units(&given).await.unwrap();
        s.put_fixes(&[(UnitId(3), fix(29.553, 5))]).await.unwrap();
        let station = s
            .units()
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.id == UnitId(3));
        assert_eq!(station.and_then(|u| u.base), given[1].base);
        assert!(given[1].base.is_some());
        // The registry is replaced without a base: the base goes, the live fix stays.
        given[1].base = None;
        s.put_units(&given).await.unwrap();
        let station = s
            .units()
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.id == UnitId(3));
        assert_eq!(station.map(|u| (u.base, u.fix)), Some((None, None)));
        assert_eq!(s.fixes().await.unwrap(), vec![(UnitId(3), fix(29.553, 5))]);
    }
);
