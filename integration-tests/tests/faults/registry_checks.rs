//! The admin API refuses what the register import refuses, with the same message, and stores
//! a GCJ-02 position where the import stores it.

use crate::support::{Api, Server, engines, fresh_database, seeded, settings, token};
use liftrescue::domain::{Lift, LiftId, LiftRef};
use liftrescue::store::{Role, Store};
use serde_json::{Value, json};

/// A new lift `id` like `template`, with codes of its own and no phone or terminal.
fn new_lift(template: &Lift, id: i64, rescue: &str) -> Value {
    let mut v = serde_json::to_value(template).unwrap();
    let registration = template.registration_code.as_str();
    v["id"] = json!(id);
    v["rescue_code"] = json!(rescue);
    v["registration_code"] = json!(format!("{}{:04}", &registration[..16], 9_000 + id % 1_000));
    v["cabin_phone"] = Value::Null;
    v["device_id"] = Value::Null;
    v
}

/// The same lift as a one-row register.
fn as_csv(v: &Value, coord_system: &str, no_maintenance_unit: bool) -> String {
    format!(
        "id,rescue_code,registration_code,address,lat,lon,coord_system,maintainer,no_maintenance_unit\n\
         {},{},{},\"{}\",{},{},{coord_system},{},{no_maintenance_unit}\n",
        v["id"],
        v["rescue_code"].as_str().unwrap(),
        v["registration_code"].as_str().unwrap(),
        v["address"].as_str().unwrap(),
        v["position"]["lat"],
        v["position"]["lon"],
        v["maintainer"],
    )
}

async fn stored(store: &dyn Store, id: i64) -> Option<Lift> {
    store.find_lift(&LiftRef::Id(LiftId(id))).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lift_api_refuses_what_the_import_refuses_and_converts_gcj02_alike() {
    for engine in engines() {
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let template = store.lifts(None, 500).await.unwrap();
        let template = template
            .into_iter()
            .find(|l| l.maintainer.is_some())
            .unwrap();
        let server = Server::start(settings(&url, "dispatch-rules")).await;
        let admin = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Admin, None).await,
        );

        // A maintainer and "no maintenance unit": refused by both, in the same words.
        let before = stored(store.as_ref(), template.id.0).await;
        let mut conflicting = serde_json::to_value(&template).unwrap();
        conflicting["flags"]["no_maintenance_unit"] = json!(true);
        let (status, body) = admin.put("/api/v1/lifts", json!([conflicting])).await;
        assert_eq!(status, 422, "{engine}: {body}");
        assert_eq!(body["error"]["code"], "conflicting_fields", "{body}");
        assert_eq!(
            body["error"]["field"], "[0].flags.no_maintenance_unit",
            "{body}"
        );
        assert_eq!(
            stored(store.as_ref(), template.id.0).await,
            before,
            "{engine}: changed"
        );
        let csv = as_csv(&conflicting, "wgs84", true);
        let refused = liftrescue::registry::parse_lifts(&csv).unwrap_err();
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(refused[0].field, "no_maintenance_unit");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.ends_with(&refused[0].why),
            "{message} / {}",
            refused[0].why
        );

        // A GCJ-02 position: the API stores it where the import does, in WGS-84.
        let by_api = new_lift(&template, 90_001, "880001");
        let mut put = by_api.clone();
        put["coord_system"] = json!("gcj02");
        let (status, body) = admin.put("/api/v1/lifts", json!([put])).await;
        assert_eq!(status, 200, "{engine}: {body}");
        let by_import = new_lift(&template, 90_002, "880002");
        let n =
            liftrescue::registry::import_lifts(store.as_ref(), &as_csv(&by_import, "gcj02", false))
                .await
                .unwrap();
        assert_eq!(n, 1);
        let api = stored(store.as_ref(), 90_001).await.unwrap().position;
        let import = stored(store.as_ref(), 90_002).await.unwrap().position;
        assert!(
            api.distance_m(import) < 0.01,
            "{engine}: {api:?} vs {import:?}"
        );
        let off = api.distance_m(template.position);
        assert!(
            (300.0..700.0).contains(&off),
            "{engine}: moved {off} m from the GCJ-02 point"
        );
        server.stop().await;
    }
}
