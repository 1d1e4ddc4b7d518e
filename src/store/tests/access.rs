//! Tokens, idempotency keys and deadlines.

use super::conformance;
use super::log::replay;
use super::scenarios::district;
use crate::domain::{IncidentId, UnitId};
use crate::store::{Role, StoreError, TokenRow};
use chrono::TimeDelta;

conformance!(
    tokens_are_found_by_their_hash_and_a_hash_is_stored_once,
    |db| {
        let s = db.store();
        let id = s
            .put_token("ab12", Role::Crew, Some(UnitId(4)), "Wang's phone")
            .await
            .unwrap();
        let admin = s.put_token("cd34", Role::Admin, None, "ops").await.unwrap();
        assert_ne!(id, admin);
        let expected = TokenRow {
            id,
            role: Role::Crew,
            unit: Some(UnitId(4)),
            label: "Wang's phone".into(),
        };
        assert_eq!(s.token("ab12").await.unwrap(), Some(expected));
        assert_eq!(s.token("cd34").await.unwrap().unwrap().role, Role::Admin);
        assert_eq!(s.token("ef56").await.unwrap(), None);
        let again = s.put_token("ab12", Role::Operator, None, "again").await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    }
);

conformance!(the_first_response_to_an_idempotency_key_wins, |db| {
    let s = db.store();
    assert_eq!(s.idempotent_response("unit:4", "k1").await.unwrap(), None);
    s.remember_response("unit:4", "k1", 201, r#"{"ok":true}"#)
        .await
        .unwrap();
    s.remember_response("unit:4", "k1", 409, r#"{"ok":false}"#)
        .await
        .unwrap();
    let first = Some((201, r#"{"ok":true}"#.to_owned()));
    assert_eq!(s.idempotent_response("unit:4", "k1").await.unwrap(), first);
    assert_eq!(
        s.idempotent_response("unit:5", "k1").await.unwrap(),
        None,
        "keys are per actor"
    );
});

conformance!(deadlines_are_set_replaced_and_cleared, |db| {
    let s = db.store();
    replay(s, &district()).await;
    let t0 = crate::dispatch::tests::t0();
    let (one, two) = (IncidentId(1), IncidentId(2));
    s.set_deadlines(&[(one, Some(t0 + TimeDelta::minutes(5))), (two, Some(t0))])
        .await
        .unwrap();
    let due = s.pending_deadlines().await.unwrap();
    assert_eq!(
        due,
        vec![(two, t0), (one, t0 + TimeDelta::minutes(5))],
        "earliest first"
    );
    let late = t0 + TimeDelta::milliseconds(3_600_001);
    s.set_deadlines(&[(one, Some(t0 - TimeDelta::seconds(1))), (two, Some(late))])
        .await
        .unwrap();
    let due = s.pending_deadlines().await.unwrap();
    assert_eq!(due, vec![(one, t0 - TimeDelta::seconds(1)), (two, late)]);
    s.set_deadlines(&[(one, None), (IncidentId(3), None)])
        .await
        .unwrap();
    assert_eq!(s.pending_deadlines().await.unwrap(), vec![(two, late)]);
    s.set_deadlines(&[]).await.unwrap();
});
