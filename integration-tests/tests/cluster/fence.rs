//! The fence: a node process appends to the log only while it holds its region's lease. At the
//! store, and as processes: a holder paused (SIGSTOP) until a standby took over finds its next
//! append refused when it wakes (SIGCONT), stands down, and nothing fires twice.

use super::{Scene, fired_once, log_verifies, metric, role, wait_role};
use crate::support::{Api, eventually, token};
use liftrescue::cluster::Node;
use liftrescue::cluster::lease::Lease;
use liftrescue::domain::{Actor, Event, EventKind, IncidentId};
use liftrescue::store::postgres::PgStore;
use liftrescue::store::{Role, Store};
use serde_json::json;
use std::time::Duration;

fn note(text: &str) -> Event {
    Event {
        incident: None::<IncidentId>,
        at: chrono::Utc::now(),
        actor: Actor::System,
        step: None,
        rules_version: None,
        reason: text.into(),
        kind: EventKind::Note { text: text.into() },
    }
}

fn node(name: &str) -> Node {
    Node::new(&liftrescue::config::ClusterSettings {
        node: name.into(),
        ..Default::default()
    })
}

/// A node process `name` as the store sees it: its fenced store and its lease (a minute long,
/// so only the test makes it lapse), on `pool`.
async fn contender(url: &str, pool: &sqlx::PgPool, name: &str) -> (PgStore, Lease) {
    let n = node(name);
    let store = PgStore::connect_node(url, &n).await.unwrap();
    (store, Lease::new(pool.clone(), n, Duration::from_secs(60)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_lease_holder_appends_and_a_takeover_fences_the_old_one() {
    let Some(scene) = Scene::new().await else {
        return;
    };
    let pool = sqlx::PgPool::connect(&scene.url).await.unwrap();
    let (sa, la) = contender(&scene.url, &pool, "a").await;
    let (sb, lb) = contender(&scene.url, &pool, "b").await;

    // Nobody holds the lease: a node may not append.
    let e = sa.append(&[note("before any lease")]).await.unwrap_err();
    assert!(e.fenced(), "{e}");
    assert_eq!(la.try_acquire().await.unwrap(), Some(1));
    assert_eq!(lb.try_acquire().await.unwrap(), None, "held and not lapsed");
    sa.append(&[note("a holds")]).await.unwrap();
    let e = sb.append(&[note("b does not")]).await.unwrap_err();
    assert!(e.fenced(), "{e}");

    // a's lease lapses (as it would while a is paused); b takes it; a is fenced from then on.
    sqlx::query("UPDATE desk_leases SET expires_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(lb.try_acquire().await.unwrap(), Some(2));
    assert!(
        !la.renew().await.unwrap(),
        "a's renewal finds the lease gone"
    );
    sb.writer_changed();
    sb.append(&[note("b holds")]).await.unwrap();
    let e = sa.append(&[note("a woke up")]).await.unwrap_err();
    assert!(e.fenced(), "{e}");
    // A second process under b's name does not take the lease from the live one.
    let (_, lb2) = contender(&scene.url, &pool, "b").await;
    assert_eq!(lb2.try_acquire().await.unwrap(), None);
    assert_eq!(
        lb.try_acquire().await.unwrap(),
        Some(3),
        "asking again for one's own lease is answered yes"
    );
    // A connection that names no node (the command line's loaders) is not fenced.
    let plain = PgStore::connect(&scene.url).await.unwrap();
    plain.writer_changed();
    plain.append(&[note("a loader")]).await.unwrap();
    let texts: Vec<String> = scene
        .events()
        .await
        .into_iter()
        .map(|e| e.event.reason)
        .collect();
    assert_eq!(texts, ["a holds", "b holds", "a loader"]);
    log_verifies(&scene);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_holder_is_fenced_when_it_wakes_and_stands_down() {
    let Some(scene) = Scene::new().await else {
        return;
    };
    let a = scene.node("a", &[]);
    wait_role(&a.base, "holder", 10).await;
    let b = scene.node("b", &[]);
    wait_role(&b.base, "standby", 10).await;
    let store = scene.store.as_ref();
    scene.alarms(&a.base, "p", 5, "entrapment_at_landing").await;
    // Pages are out with 2-second acknowledgement deadlines; a stops before they fall due.
    scene
        .until(10, |k| matches!(k, EventKind::UnitPaged { .. }))
        .await;
    a.signal("STOP");
    wait_role(&b.base, "holder", 15).await;
    // b fires the deadlines that fell due meanwhile; then a wakes up with the same deadlines
    // overdue in its memory.
    scene
        .until(10, |k| matches!(k, EventKind::AckMissed { .. }))
        .await;
    a.signal("CONT");
    wait_role(&a.base, "standby", 10).await;
    assert_eq!(role(&b.base).await, "holder");
    // An operator's note on a (now a standby) is decided by b.
    let operator = token(store, Role::Operator, None).await;
    let incident = scene
        .events()
        .await
        .iter()
        .find_map(|e| e.event.incident)
        .unwrap();
    let (status, body) = Api::new(&a.base, &operator)
        .post(
            &format!("/api/v1/incidents/{}/notes", incident.0),
            json!({"text": "after the pause"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // A crew's position reported to a (a standby) reaches b's desk, which pages from it.
    let unit = store.units().await.unwrap()[0].id.0;
    let crew = token(store, Role::Crew, Some(unit)).await;
    let at = json!({"lat": 29.5571, "lon": 106.5712});
    let (status, body) = Api::new(&a.base, &crew)
        .post("/api/v1/crew/position", at.clone())
        .await;
    assert_eq!(status, 202, "{body}");
    let on_b = Api::new(&b.base, &crew);
    eventually(10, || async {
        let (_, me) = on_b.get("/api/v1/crew/me").await;
        (me["fix"]["at"] == at).then_some(())
    })
    .await;
    assert_eq!(
        metric(&a.base, "liftrescue_lease_lost_total").await,
        Some(1.0)
    );
    fired_once(&scene.events().await);
    drop((a, b));
    log_verifies(&scene);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_command_is_answered_in_the_transaction_of_its_events() {
    let Some(scene) = Scene::new().await else {
        return;
    };
    let pool = sqlx::PgPool::connect(&scene.url).await.unwrap();
    let (sa, la) = contender(&scene.url, &pool, "a").await;
    assert_eq!(la.try_acquire().await.unwrap(), Some(1));
    let forwarded = || async {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO desk_commands (region, from_node, request) VALUES ('default', 'b', '{}') RETURNING id",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        id
    };
    let answer = |id: i64| {
        let pool = pool.clone();
        async move {
            let a: Option<serde_json::Value> =
                sqlx::query_scalar("SELECT answer FROM desk_commands WHERE id = $1")
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            a
        }
    };
    let first = forwarded().await;
    sa.append_answering(&[note("decided")], &[], first)
        .await
        .unwrap();
    let written = answer(first).await.expect("answered with its events");
    assert_eq!(written["events"][0]["reason"], "decided", "{written}");

    // A takeover fences a: its append fails, and the command stays unanswered for b to take.
    let second = forwarded().await;
    sqlx::query("UPDATE desk_leases SET expires_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    let (_, lb) = contender(&scene.url, &pool, "b").await;
    assert_eq!(lb.try_acquire().await.unwrap(), Some(2));
    let e = sa
        .append_answering(&[note("too late")], &[], second)
        .await
        .unwrap_err();
    assert!(e.fenced(), "{e}");
    assert_eq!(answer(second).await, None, "nothing answered");
    let texts: Vec<String> = scene
        .events()
        .await
        .into_iter()
        .map(|e| e.event.reason)
        .collect();
    assert_eq!(texts, ["decided"]);
}
