//! Which rules a server runs and replacing them while it runs: the built-in rules in an empty
//! folder, `SIGHUP` on a changed folder, `POST /api/v1/rules/reload` refusing a bad one.

use crate::support::process::ServeProcess;
use crate::support::{
    Api, Server, engines, eventually, fresh_database, lift_where, seeded, settings, token,
};
use liftrescue::domain::{EventKind, IncidentId, Lift};
use liftrescue::rules::{RuleSet, RulesVersion};
use liftrescue::store::{Role, Store};
use serde_json::json;
use std::path::{Path, PathBuf};

/// A new, empty folder under Cargo's scratch directory.
fn empty_folder(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}

/// A rules folder of one's own: the built-in rules exported.
fn exported_rules(name: &str) -> PathBuf {
    let dir = empty_folder(name).join("rules");
    liftrescue::rules::export_built_in(&dir).expect("export the built-in rules");
    dir
}

/// Changes a number in every rules file of `dir` (acknowledge within 4 minutes, not 3): a new
/// version.
fn edit_rules(dir: &Path) {
    for name in ["districted-city.toml", "other-areas.toml"] {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = text.replace("acknowledge = \"3m\"", "acknowledge = \"4m\"");
        assert_ne!(
            text, edited,
            "{name} has a 3-minute acknowledgement to change"
        );
        std::fs::write(&path, edited).unwrap();
    }
}

fn built_in_version() -> String {
    RuleSet::built_in().unwrap().version.0
}

/// Two lifts of the region with a contracted maintainer.
async fn two_lifts(store: &dyn Store) -> (Lift, Lift) {
    let a = lift_where(store, |l| l.maintainer.is_some()).await;
    let b = lift_where(store, |l| l.maintainer.is_some() && l.id != a.id).await;
    (a, b)
}

/// Posts an entrapment alarm for `lift` and waits for the incident it opens.
async fn alarm(api: &Api, store: &dyn Store, lift: &Lift, n: &str) -> IncidentId {
    let body =
        json!({"source_alarm_id": n, "lift": {"id": lift.id.0}, "kind": "entrapment_at_landing"});
    let (status, answer) = api.post("/api/v1/alarms", body).await;
    assert_eq!(status, 202, "{answer}");
    let id = liftrescue::domain::AlarmId(answer["alarm_id"].as_i64().unwrap());
    eventually(15, || async { store.alarm_incident(id).await.unwrap() }).await
}

/// The rules version an incident opened with, from the log.
async fn opened_with(store: &dyn Store, id: IncidentId) -> String {
    let timeline = store.timeline(id).await.unwrap();
    match &timeline[0].event.kind {
        EventKind::IncidentOpened { chain, .. } => chain.rules_version.0.clone(),
        other => panic!("{id} starts with {}", other.name()),
    }
}

/// Every `rules_reloaded` event on the log: (from, to, source, by).
async fn reloads(store: &dyn Store) -> Vec<(RulesVersion, RulesVersion, String, String)> {
    let rows = store.log_page(0, 100_000).await.unwrap();
    rows.into_iter()
        .filter_map(|r| match r.event.kind {
            EventKind::RulesReloaded {
                from,
                to,
                source,
                by,
            } => Some((from, to, source, by)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn serve_in_an_empty_folder_runs_on_the_built_in_rules_and_pages_an_alarm() {
    for engine in engines() {
        let folder = empty_folder("serve-built-in");
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let env = [
            ("LIFTRESCUE_DATABASE_URL", url.as_str()),
            ("LIFTRESCUE_SEED_DEMO", "false"),
        ];
        let server = ServeProcess::start_in(&folder, &env);
        assert!(
            server.announced.contains("the built-in rules"),
            "{}",
            server.announced
        );
        let api = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Operator, None).await,
        );
        let (lift, _) = two_lifts(store.as_ref()).await;
        let id = alarm(&api, store.as_ref(), &lift, "built-in-1").await;
        assert_eq!(opened_with(store.as_ref(), id).await, built_in_version());
        eventually(10, || async {
            let timeline = store.timeline(id).await.unwrap();
            let paged = timeline
                .iter()
                .any(|r| matches!(r.event.kind, EventKind::UnitPaged { .. }));
            paged.then_some(())
        })
        .await;

        // With the built-in rules there is nothing to read again: 200 unchanged, no event.
        let admin = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Admin, None).await,
        );
        let (status, body) = admin.post("/api/v1/rules/reload", json!({})).await;
        assert_eq!(status, 200, "{engine}: {body}");
        assert_eq!(body["status"], "unchanged", "{body}");
        assert_eq!(body["source"], "built-in", "{body}");
        assert_eq!(body["to"], built_in_version().as_str(), "{body}");
        assert!(reloads(store.as_ref()).await.is_empty());
        assert_eq!(server.terminate(), Some(0), "{engine}");
    }
}

#[tokio::test]
async fn sighup_reloads_a_changed_folder_for_new_incidents_while_open_ones_keep_theirs() {
    for engine in engines() {
        let rules = exported_rules("sighup");
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let env = [
            ("LIFTRESCUE_DATABASE_URL", url.as_str()),
            ("LIFTRESCUE_SEED_DEMO", "false"),
            ("LIFTRESCUE_RULES_DIR", rules.to_str().unwrap()),
        ];
        let mut server = ServeProcess::start(&env);
        let api = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Operator, None).await,
        );
        let (first_lift, second_lift) = two_lifts(store.as_ref()).await;
        let old = built_in_version();
        let first = alarm(&api, store.as_ref(), &first_lift, "hup-1").await;
        assert_eq!(opened_with(store.as_ref(), first).await, old);

        edit_rules(&rules);
        let new = RuleSet::load_dir(&rules).unwrap().version;
        assert_ne!(new.0, old);
        server.hangup();
        let reload = eventually(10, || async { reloads(store.as_ref()).await.pop() }).await;
        assert_eq!(reload.0.0, old, "from");
        assert_eq!(reload.1, new, "to");
        assert_eq!(reload.2, rules.display().to_string(), "source");
        assert_eq!(reload.3, "signal", "by");

        let second = alarm(&api, store.as_ref(), &second_lift, "hup-2").await;
        assert_eq!(opened_with(store.as_ref(), second).await, new.0);
        // The open incident keeps the rules it opened with, on the record and on the desk.
        let (status, detail) = api.get(&format!("/api/v1/incidents/{}", first.0)).await;
        assert_eq!(status, 200, "{detail}");
        assert_eq!(detail["live"]["rules_version"], old.as_str(), "{detail}");
        assert!(server.running(), "{engine}: SIGHUP must not end the server");
        let (status, _) = api.get("/readyz").await;
        assert_eq!(status, 200);
        assert_eq!(server.terminate(), Some(0), "{engine}");
    }
}

#[tokio::test]
async fn a_reload_of_a_bad_folder_is_refused_listing_every_error_and_the_running_rules_stay() {
    for engine in engines() {
        let rules = exported_rules("reload-api");
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let mut s = settings(&url, "dispatch-rules");
        s.rules_dir = Some(rules.clone());
        let server = Server::start(s).await;
        let admin = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Admin, None).await,
        );
        let operator = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Operator, None).await,
        );
        let old = built_in_version();

        // Two mistakes in two files.
        let city = rules.join("districted-city.toml");
        let text = std::fs::read_to_string(&city).unwrap();
        std::fs::write(
            &city,
            text.replacen("acknowledge = \"3m\"", "acknowledge = \"soon\"", 1),
        )
        .unwrap();
        std::fs::write(rules.join("extra.toml"), "descripton = \"typo\"\n").unwrap();
        let (status, body) = admin.post("/api/v1/rules/reload", json!({})).await;
        assert_eq!(status, 422, "{engine}: {body}");
        assert_eq!(body["error"]["code"], "bad_rules", "{body}");
        let errors = body["error"]["errors"]
            .as_array()
            .expect("every error listed");
        let files: Vec<&str> = errors.iter().map(|e| e["file"].as_str().unwrap()).collect();
        assert!(files.contains(&"districted-city.toml"), "{body}");
        assert!(files.contains(&"extra.toml"), "{body}");
        let bad_duration = errors
            .iter()
            .find(|e| e["file"] == "districted-city.toml")
            .unwrap();
        assert!(bad_duration["line"].as_u64().unwrap() > 0, "{body}");
        assert!(
            bad_duration["key"]
                .as_str()
                .unwrap()
                .ends_with("acknowledge"),
            "{body}"
        );
        // Nothing changed: no event, and a new incident still opens on the running rules.
        assert!(reloads(store.as_ref()).await.is_empty());
        let (lift, other) = two_lifts(store.as_ref()).await;
        let id = alarm(&operator, store.as_ref(), &lift, "api-1").await;
        assert_eq!(opened_with(store.as_ref(), id).await, old);

        // The document lists every answer of the route.
        let (_, doc) = admin.get("/api/v1/openapi.json").await;
        let answers = &doc["paths"]["/api/v1/rules/reload"]["post"]["responses"];
        for code in ["200", "401", "403", "422", "503"] {
            assert!(answers.get(code).is_some(), "{code} missing: {answers}");
        }

        // Only an admin may reload.
        let (status, body) = operator.post("/api/v1/rules/reload", json!({})).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error"]["code"], "forbidden");

        // Fixed: reloaded once, then unchanged.
        std::fs::write(
            &city,
            text.replace("acknowledge = \"3m\"", "acknowledge = \"4m\""),
        )
        .unwrap();
        std::fs::remove_file(rules.join("extra.toml")).unwrap();
        let new = RuleSet::load_dir(&rules).unwrap().version.0;
        let (status, body) = admin.post("/api/v1/rules/reload", json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "reloaded", "{body}");
        assert_eq!(
            (body["from"].as_str(), body["to"].as_str()),
            (Some(old.as_str()), Some(new.as_str()))
        );
        let (status, body) = admin.post("/api/v1/rules/reload", json!({})).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("unchanged")),
            "{body}"
        );
        let logged = reloads(store.as_ref()).await;
        assert_eq!(logged.len(), 1, "{engine}");
        assert_eq!(logged[0].3, "test", "the admin token's label");
        let id = alarm(&operator, store.as_ref(), &other, "api-2").await;
        assert_eq!(opened_with(store.as_ref(), id).await, new);
        server.stop().await;
    }
}
