//! A crew's live feed on a standby: the standby follows what the holder commits (here over the
//! log, without Redis) and tells the crew of its own page, as the holder would.

use super::{Scene, wait_role};
use crate::support::sse::Feed;
use crate::support::{Api, eventually, token};
use liftrescue::domain::AlarmId;
use liftrescue::store::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crew_following_a_standby_hears_of_its_page_from_the_holder() {
    let Some(scene) = Scene::new().await else {
        return;
    };
    let a = scene.node("a", &[]);
    wait_role(&a.base, "holder", 10).await;
    let b = scene.node("b", &[]);
    wait_role(&b.base, "standby", 10).await;
    let store = scene.store.as_ref();
    let alarm = scene
        .alarms(&a.base, "crew-", 1, "entrapment_at_landing")
        .await[0];
    let incident = eventually(10, || async {
        store.alarm_incident(AlarmId(alarm)).await.unwrap()
    })
    .await;
    let op = Api::new(&a.base, &token(store, Role::Operator, None).await);
    let (_, detail) = op.get(&format!("/api/v1/incidents/{}", incident.0)).await;
    let paged = crate::support::paged_units(&detail);
    let unit = store
        .units()
        .await
        .unwrap()
        .iter()
        .map(|u| u.id.0)
        .find(|id| !paged.contains(id))
        .expect("a unit the incident did not page");
    let crew = token(store, Role::Crew, Some(unit)).await;

    let mut feed = Feed::open_at(&b.base, "/api/v1/crew/feed", &crew, None)
        .await
        .unwrap_or_else(|(status, body)| panic!("{status}: {body}"));
    assert_eq!(feed.next(10).await.event, "hello");
    let assign = json!({"unit": unit, "reason": "by hand, on the holder"});
    let path = format!("/api/v1/incidents/{}/assign", incident.0);
    let (status, body) = op.post(&path, assign).await;
    assert_eq!(status, 200, "{body}");
    let news = feed.next(10).await;
    assert_eq!(news.event, "crew", "{news:?}");
    assert_eq!(news.data["type"], "unit_paged", "{news:?}");
    assert_eq!(news.data["incident"], incident.0, "{news:?}");
    // And the standby's assignments, which the page then reads, show it.
    let (status, list) = Api::new(&b.base, &crew)
        .get("/api/v1/crew/assignments")
        .await;
    assert_eq!(status, 200, "{list}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|v| v["id"] == incident.0),
        "{list}"
    );
}
