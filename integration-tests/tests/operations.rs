//! The operations commands, run as an operator of the service would: import, verify-log,
//! token create, seed-demo.

use crate::support::fresh_database;
use crate::support::process::run;
use liftrescue::store::Role;

fn scratch_file(name: &str, text: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-{name}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, text).expect("write a scratch file");
    path.display().to_string()
}

#[tokio::test]
async fn importing_a_register_with_bad_rows_imports_nothing_and_lists_every_problem() {
    let url = fresh_database("sqlite").await;
    let env = [("LIFTRESCUE_DATABASE_URL", url.as_str())];
    let bad = scratch_file(
        "lifts.csv",
        "id,rescue_code,registration_code,address,lat,lon\n1,035302,31105001032019060001,1 Minzu Road,29.556,106.568\n2,03530x,31105001032019060002,2 Minzu Road,91,106.5\n",
    );
    let (code, _, err) = run(&["import", "lifts", &bad], &env);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("line 3, field rescue_code") && err.contains("line 3, field lat"),
        "{err}"
    );
    let store = liftrescue::store::open(&url).await.unwrap();
    assert_eq!(
        store.lift_count().await.unwrap(),
        0,
        "the good row was not imported either"
    );

    let good = scratch_file(
        "lifts.csv",
        "id,rescue_code,registration_code,address,lat,lon,coord_system\n1,035302,31105001032019060001,1 Minzu Road,29.556,106.568,gcj02\n",
    );
    let (code, out, err) = run(&["import", "lifts", &good], &env);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("imported 1 lifts"), "{out}");
    let lift = store.lifts(None, 10).await.unwrap().remove(0);
    let gcj = liftrescue::domain::LatLon::parse(29.556, 106.568).unwrap();
    let wgs = liftrescue::domain::LatLon::from_gcj02(gcj);
    assert!(
        lift.position.distance_m(wgs) < 0.01,
        "stored as WGS-84: {:?}",
        lift.position
    );
    assert!(
        lift.position.distance_m(gcj) > 100.0,
        "not stored as given: {:?}",
        lift.position
    );
}

/// The dispatch core's events for alarms on three lifts of the stored region.
async fn three_decisions(
    store: &dyn liftrescue::store::Store,
) -> Vec<Vec<liftrescue::domain::Event>> {
    use liftrescue::dispatch::{Command, DeskState, apply, decide};
    use liftrescue::domain::*;
    let rules = liftrescue::rules::RuleSet::load_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dispatch-rules"
    ))
    .unwrap();
    let mut state = DeskState::new(std::sync::Arc::new(rules), liftrescue::demo::YUZHONG);
    for unit in store.units().await.unwrap() {
        state.add_unit(unit);
    }
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    for lift in store.lifts(None, 3).await.unwrap() {
        let alarm = Alarm {
            id: AlarmId(lift.id.0),
            channel: AlarmSource::Iot,
            source_alarm_id: format!("ops-{}", lift.id.0),
            lift_ref: LiftRef::Id(lift.id),
            kind: AlarmKind::EntrapmentAtLanding,
            status: AlarmStatus::New,
            flags: AlarmFlags::default(),
            trapped: None,
            floor: None,
            description: String::new(),
            occurred_at: now,
            received_at: now,
        };
        let events = decide(
            &state,
            Command::Alarm {
                alarm,
                lift: Some(Box::new(lift)),
            },
            now,
        )
        .unwrap();
        for e in &events {
            apply(&mut state, e);
        }
        out.push(events);
    }
    out
}

#[tokio::test]
async fn verify_log_passes_on_an_intact_log_and_names_the_row_changed_behind_its_back() {
    let url = fresh_database("sqlite").await;
    let env = [("LIFTRESCUE_DATABASE_URL", url.as_str())];
    let (code, _, err) = run(&["seed-demo", "--lifts", "200"], &env);
    assert_eq!(code, Some(0), "{err}");
    // Some real history: the dispatch core's events for three alarms, through the store.
    let store = liftrescue::store::open(&url).await.unwrap();
    for events in three_decisions(store.as_ref()).await {
        store.append(&events).await.unwrap();
    }
    let (code, out, err) = run(&["verify-log"], &env);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("intact"), "{out}");

    // Someone with the database file edits the reason of row 4, going around the trigger.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("DROP TRIGGER IF EXISTS events_no_update")
        .execute(&pool)
        .await
        .ok();
    let triggers: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (name,) in triggers {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER {name}")))
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE events SET reason = 'nothing happened' WHERE seq = 4")
        .execute(&pool)
        .await
        .unwrap();
    let (code, out, err) = run(&["verify-log"], &env);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("seq 4"), "{err}");
}

#[tokio::test]
async fn token_create_prints_a_token_that_authenticates_and_crew_tokens_need_a_unit() {
    let url = fresh_database("sqlite").await;
    let env = [("LIFTRESCUE_DATABASE_URL", url.as_str())];
    let (code, _, err) = run(&["token", "create", "--role", "crew"], &env);
    assert_eq!(code, Some(1));
    assert!(err.contains("--unit"), "{err}");
    let (code, _, err) = run(&["token", "create", "--role", "pilot"], &env);
    assert_eq!(code, Some(2), "clap refuses an unknown role: {err}");
    let (code, out, err) = run(
        &[
            "token",
            "create",
            "--role",
            "investigator",
            "--label",
            "bureau",
        ],
        &env,
    );
    assert_eq!(code, Some(0), "{err}");
    let secret = out.trim();
    assert_eq!(secret.len(), 64, "{out}");
    let store = liftrescue::store::open(&url).await.unwrap();
    let row = store
        .token(&liftrescue::http::auth::token_hash(secret))
        .await
        .unwrap()
        .expect("stored by hash");
    assert_eq!(
        (row.role, row.label.as_str()),
        (Role::Investigator, "bureau")
    );
    let raw: Option<(String,)> = sqlx::query_as("SELECT hash FROM tokens WHERE hash = ?1")
        .bind(secret)
        .fetch_optional(&sqlx::SqlitePool::connect(&url).await.unwrap())
        .await
        .unwrap();
    assert!(raw.is_none(), "the secret itself is not stored");
}

#[test]
fn vapid_keys_prints_a_pair_the_push_gateway_accepts() {
    let (code, out, err) = run(&["vapid-keys"], &[]);
    assert_eq!(code, Some(0), "{err}");
    let private = out
        .lines()
        .find_map(|l| l.strip_prefix("vapid_private_key = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no private key in {out}"));
    let public = out
        .lines()
        .find_map(|l| l.strip_prefix("# public key (applicationServerKey): "))
        .unwrap_or_else(|| panic!("no public key in {out}"));
    let vapid = liftrescue::paging::push::Vapid::new(private, "mailto:ops@example.cn").unwrap();
    assert_eq!(vapid.public_key(), public);
    let (_, again, _) = run(&["vapid-keys"], &[]);
    assert_ne!(again, out, "a new pair each time");
}

#[test]
fn serve_with_a_missing_rules_folder_fails_before_it_says_it_listens() {
    let db = scratch_file("serve.db", "");
    let url = format!("sqlite:{db}");
    let (code, out, err) = run(
        &["serve"],
        &[
            ("LIFTRESCUE_LISTEN", "127.0.0.1:0"),
            ("LIFTRESCUE_DATABASE_URL", url.as_str()),
            ("LIFTRESCUE_SEED_DEMO", "false"),
            ("LIFTRESCUE_RULES_DIR", "no-such-rules-folder"),
        ],
    );
    assert_ne!(code, Some(0), "{out}{err}");
    assert!(
        !out.contains("listening"),
        "a server that is not up says it listens: {out}"
    );
    assert!(
        err.contains("the rules folder `no-such-rules-folder` does not exist"),
        "{err}"
    );
}

#[test]
fn serve_with_a_bad_gateway_or_broker_setting_fails_before_it_writes_a_database() {
    let sms = [
        (
            "LIFTRESCUE_NOTIFY__SMS__URL",
            "http://{{to}}.sms.example.cn/send?p=s3cret",
        ),
        ("LIFTRESCUE_NOTIFY__SMS__METHOD", "GET"),
    ];
    let mqtt = [("LIFTRESCUE_INTAKE__MQTT_URL", "ftp://broker.internal")];
    for (bad, says) in [
        (&sms[..], "only in its query"),
        (&mqtt[..], "must start with mqtt://"),
    ] {
        let db = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{}-serve.db", uuid::Uuid::new_v4().simple()));
        let url = format!("sqlite:{}", db.display());
        let mut env = vec![
            ("LIFTRESCUE_LISTEN", "127.0.0.1:0"),
            ("LIFTRESCUE_DATABASE_URL", url.as_str()),
        ];
        env.extend_from_slice(bad);
        let (code, out, err) = run(&["serve"], &env);
        assert_ne!(code, Some(0), "{out}{err}");
        assert!(err.contains(says), "{err}");
        assert!(!err.contains("s3cret"), "credentials shown: {err}");
        assert!(!db.exists(), "a database was created: {}", db.display());
    }
}

#[test]
fn the_log_is_plain_text_when_standard_error_is_not_a_terminal() {
    let db = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-plain-log.db", uuid::Uuid::new_v4().simple()));
    let log = db.with_extension("log");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cli-under-test"))
        .arg("serve")
        .env("LIFTRESCUE_LISTEN", "127.0.0.1:0")
        .env(
            "LIFTRESCUE_DATABASE_URL",
            format!("sqlite:{}", db.display()),
        )
        .env("LIFTRESCUE_SEED_DEMO", "false")
        .env_remove("NO_COLOR")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // The listening line comes after the start-up lines are logged.
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    assert!(first.contains("listening"), "{first}");
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("desk rebuilt from the log"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "terminal colour codes in a log file: {text:?}"
    );
}
