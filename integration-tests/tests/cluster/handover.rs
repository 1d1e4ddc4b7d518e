//! A planned stop (SIGTERM) of the holder hands the desk over: it drains, then releases the
//! lease, so a standby takes it at its next try instead of waiting for the lease to lapse.

use super::{Scene, log_verifies, wait_role};
use crate::support::{Api, eventually, token};
use liftrescue::domain::AlarmId;
use liftrescue::store::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_of_the_holder_hands_the_desk_over_without_waiting_for_the_lease() {
    let Some(scene) = Scene::new().await else {
        return;
    };
    // A lease of a minute: a standby that had to wait for it to lapse would fail this test.
    let ttl = [("LIFTRESCUE_CLUSTER__LEASE_TTL", "60s")];
    let a = scene.node("a", &ttl);
    wait_role(&a.base, "holder", 10).await;
    let b = scene.node("b", &ttl);
    wait_role(&b.base, "standby", 10).await;
    let intake = token(scene.store.as_ref(), Role::Integration, None).await;
    let lift = scene.store.lifts(None, 1).await.unwrap().remove(0);
    let post = |base: String, id: &'static str| {
        let intake = intake.clone();
        async move {
            let (status, body) = Api::new(&base, &intake)
                .post("/api/v1/alarms", json!({"source_alarm_id": id, "lift": {"id": lift.id.0}, "kind": "entrapment_at_landing"}))
                .await;
            assert_eq!(status, 202, "{body}");
            AlarmId(body["alarm_id"].as_i64().unwrap())
        }
    };
    let first = post(a.base.clone(), "h1").await;
    assert_eq!(a.terminate(), Some(0), "the holder drains and exits 0");
    wait_role(&b.base, "holder", 10).await;
    let second = post(b.base.clone(), "h2").await;
    // `liftrescue status` shows b holding the desk and b as the holder among the nodes.
    let (code, out, err) = crate::support::process::run(&["status"], &scene.cli_env());
    assert_eq!(code, Some(0), "{out}{err}");
    let holds = out
        .lines()
        .find(|l| l.contains("held by"))
        .unwrap_or_default();
    assert!(
        holds.contains("default") && holds.contains("held by b/"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("b/") && l.contains("holder")),
        "{out}"
    );
    let (code, out, _) = crate::support::process::run(&["status", "--json"], &scene.cli_env());
    assert_eq!(code, Some(0));
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["leases"][0]["node"], "b", "{out}");
    assert_eq!(status["leases"][0]["expired"], false, "{out}");
    for id in [first, second] {
        eventually(10, || async {
            scene.store.alarm_incident(id).await.unwrap()
        })
        .await;
    }
    drop(b);
    log_verifies(&scene);
}
