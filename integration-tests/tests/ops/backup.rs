//! `liftrescue backup FILE`, through the real binary: an online copy of a running server's
//! SQLite database that `verify-log` passes, never written over an existing file; refused on
//! PostgreSQL with the way to do it there. A server started on the copy has the incidents.

use crate::support::process::{ServeProcess, run};
use crate::support::{Api, eventually, fresh_database, seeded, token};
use liftrescue::domain::AlarmId;
use liftrescue::store::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_server_writes_verifies_and_is_never_overwritten() {
    let url = fresh_database("sqlite").await;
    let store = seeded(&url).await;
    let lifts = store.lifts(None, 20).await.unwrap();
    let secret = token(store.as_ref(), Role::Integration, None).await;
    let env = [
        ("LIFTRESCUE_DATABASE_URL", url.as_str()),
        ("LIFTRESCUE_SEED_DEMO", "false"),
    ];
    let mut server = ServeProcess::start(&env);
    let api = Api::new(&server.base, &secret);
    let mut alarms = Vec::new();
    for (n, lift) in lifts.iter().take(3).enumerate() {
        let alarm = json!({"source_alarm_id": format!("b{n}"), "lift": {"id": lift.id.0}, "kind": "entrapment_at_landing"});
        let (status, body) = api.post("/api/v1/alarms", alarm).await;
        assert_eq!(status, 202, "{body}");
        alarms.push(AlarmId(body["alarm_id"].as_i64().unwrap()));
    }
    for id in &alarms {
        eventually(10, || async { store.alarm_incident(*id).await.unwrap() }).await;
    }

    // Back up while alarms keep coming in: the writer runs until the backup is done.
    // The backup starts once the writer is under way, so the two overlap whatever the machine's
    // speed; how many alarms land during the copy is the machine's business, not the test's.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (started, under_way) = tokio::sync::oneshot::channel();
    let writer = {
        let api = Api::new(&server.base, &secret);
        let (lifts, done) = (lifts.clone(), done.clone());
        tokio::spawn(async move {
            let mut started = Some(started);
            let mut n = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let lift = &lifts[3 + n % (lifts.len() - 3)];
                let alarm = json!({"source_alarm_id": format!("w{n}"), "lift": {"id": lift.id.0}, "kind": "passenger_alarm"});
                let (status, body) = api.post("/api/v1/alarms", alarm).await;
                assert_eq!(status, 202, "{body}");
                n += 1;
                if n == 2
                    && let Some(started) = started.take()
                {
                    let _ = started.send(());
                }
            }
            n
        })
    };
    under_way.await.expect("the writer posts alarms");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let copy = dir.join(format!("{}-backup.db", uuid::Uuid::new_v4().simple()));
    let copy_text = copy.display().to_string();
    let (code, out, err) = tokio::task::block_in_place(|| run(&["backup", &copy_text], &env));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("events"), "{out}");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    // Every alarm the writer posted was accepted (its asserts run in the task).
    writer.await.unwrap();
    assert!(server.running(), "the server kept running");

    let copy_url = format!("sqlite:{copy_text}");
    let copy_env = [("LIFTRESCUE_DATABASE_URL", copy_url.as_str())];
    let (code, out, err) = tokio::task::block_in_place(|| run(&["verify-log"], &copy_env));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("intact"), "{out}");
    let restored = liftrescue::store::open_read_only(&copy_url).await.unwrap();
    for id in &alarms {
        assert!(
            restored.alarm_incident(*id).await.unwrap().is_some(),
            "{id:?}'s incident is in the backup"
        );
    }

    // A second backup to the same file is refused and changes nothing.
    let before = std::fs::read(&copy).unwrap();
    let (code, _, err) = tokio::task::block_in_place(|| run(&["backup", &copy_text], &env));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("exists"), "{err}");
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        before,
        "the backup was not touched"
    );
    server.terminate();

    // Restored: a server started on the copy recovers the incidents from its log.
    let restored = liftrescue::store::open(&copy_url).await.unwrap();
    let operator = token(restored.as_ref(), Role::Operator, None).await;
    let copy_env = [
        ("LIFTRESCUE_DATABASE_URL", copy_url.as_str()),
        ("LIFTRESCUE_SEED_DEMO", "false"),
    ];
    let server = ServeProcess::start(&copy_env);
    let api = Api::new(&server.base, &operator);
    for id in &alarms {
        let incident = restored.alarm_incident(*id).await.unwrap().unwrap();
        let (status, body) = api.get(&format!("/api/v1/incidents/{}", incident.0)).await;
        assert_eq!(status, 200, "{body}");
    }
    server.terminate();
}

#[test]
fn a_backup_of_postgresql_is_refused_naming_pg_dump() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-pg.db", uuid::Uuid::new_v4().simple()));
    let out = out.display().to_string();
    let env = [(
        "LIFTRESCUE_DATABASE_URL",
        "postgres://liftrescue@db.invalid/liftrescue",
    )];
    let (code, _, err) = run(&["backup", &out], &env);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("pg_dump -Fc") && err.contains("verify-log"),
        "{err}"
    );
    assert!(!std::path::Path::new(&out).exists(), "nothing written");
}
