//! The daily seal end to end: written by the running service's desk (late, at start, after
//! "downtime"), listed for the bureau, kept in a file, and checked by `verify-log --seal`
//! against a chain rewritten whole.

use super::rewrite::{edit_one_row, rewrite_whole_chain};
use super::{history, scratch};
use crate::support::process::run;
use crate::support::{Api, Server, engines, eventually, fresh_database, seeded, settings, token};
use chrono::{TimeDelta, Utc};
use liftrescue::store::Role;
use serde_json::{Value, json};

fn verify(url: &str, seal: Option<&std::path::Path>) -> (Option<i32>, String, String) {
    let mut args = vec!["verify-log".to_owned()];
    if let Some(seal) = seal {
        args.extend(["--seal".to_owned(), seal.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(
        &args,
        &[("LIFTRESCUE_DATABASE_URL", url), ("LIFTRESCUE_LOG", "warn")],
    )
}

/// A server whose seal time (in UTC) fell an hour ago, on a log begun two hours ago: the node
/// "was down" at the seal time, so it seals at start, late.
async fn sealed_log(engine: &str) -> (String, Value, liftrescue::config::Settings) {
    let url = fresh_database(engine).await;
    let store = seeded(&url).await;
    let began = Utc::now() - TimeDelta::hours(2);
    history(store.as_ref(), began, 3).await;
    let mut s = settings(&url, "dispatch-rules");
    s.review.seal_at = (Utc::now() - TimeDelta::hours(1)).time();
    s.review.seal_utc_offset = chrono::FixedOffset::east_opt(0).unwrap();
    let server = Server::start(s.clone()).await;
    let bureau = Api::new(
        &server.base,
        &token(store.as_ref(), Role::Investigator, None).await,
    );
    let seals = eventually(10, || async {
        let (status, body) = bureau.get("/api/v1/log/seals").await;
        assert_eq!(status, 200, "{body}");
        (body.as_array().unwrap().len() == 1).then_some(body)
    })
    .await;
    // Later rows: an alarm after the seal.
    let lift = store.lifts(None, 10).await.unwrap().remove(9);
    let gateway = Api::new(
        &server.base,
        &token(store.as_ref(), Role::Integration, None).await,
    );
    let alarm = json!({"source_alarm_id": "after-seal", "lift": {"rescue_code": lift.rescue_code.as_str()}, "kind": "entrapment_between_floors"});
    let (status, body) = gateway.post("/api/v1/alarms", alarm).await;
    assert_eq!(status, 202, "{body}");
    let (status, verdict) = bureau.get("/api/v1/log/verify").await;
    assert_eq!(status, 200, "{verdict}");
    assert_eq!(verdict["ok"], true, "{verdict}");
    assert!(verdict["head_seq"].as_i64().unwrap() > seals[0]["seal_seq"].as_i64().unwrap());
    // Paged newest first: nothing before the first seal; bad paging is refused.
    let before = seals[0]["seal_seq"].as_i64().unwrap();
    let (status, older) = bureau
        .get(&format!("/api/v1/log/seals?before={before}"))
        .await;
    assert_eq!((status, older), (200, json!([])));
    for bad in ["before=0", "limit=0", "limit=1001", "after=3"] {
        let (status, body) = bureau.get(&format!("/api/v1/log/seals?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    // Others may not read proof.
    let operator = Api::new(
        &server.base,
        &token(store.as_ref(), Role::Operator, None).await,
    );
    assert_eq!(operator.get("/api/v1/log/seals").await.0, 403);
    assert_eq!(
        Api::new(&server.base, "nope")
            .get("/api/v1/log/verify")
            .await
            .0,
        401
    );
    server.stop().await;
    (url, seals, s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_rewritten_whole_passes_plain_verify_but_not_the_kept_seal_on_both_engines() {
    for engine in engines() {
        let (url, seals, _) = sealed_log(engine).await;
        let seal = &seals[0];
        let sealed_seq = seal["sealed_seq"].as_i64().unwrap();
        assert_eq!(seal["seal_seq"].as_i64().unwrap(), sealed_seq + 1, "{seal}");
        assert!(seal["late_secs"].as_i64().unwrap() >= 3599, "{seal}");
        assert_eq!(seal["sealed_hash"].as_str().unwrap().len(), 64);
        // The bureau keeps the answer in a file.
        let kept = scratch("seals.json");
        std::fs::write(&kept, seals.to_string()).unwrap();
        let (code, out, err) = verify(&url, Some(&kept));
        assert_eq!(code, Some(0), "{engine}: {out}{err}");
        assert!(out.contains("holds against 1 kept seal"), "{out}");

        // Someone with database rights rewrites row 2 and every hash after it, seals included.
        rewrite_whole_chain(&url, 2, "the lift was fine").await;
        let (code, out, err) = verify(&url, None);
        assert_eq!(
            code,
            Some(0),
            "{engine}: the rewrite verifies on its own: {out}{err}"
        );
        assert!(out.contains("intact"), "{out}");
        let (code, out, err) = verify(&url, Some(&kept));
        assert_eq!(code, Some(1), "{engine}: {out}{err}");
        let day = seal["day"].as_str().unwrap();
        assert!(
            err.contains(&format!("the seal of {day} (row {sealed_seq})"))
                && err.contains(&format!("row {sealed_seq} now has hash")),
            "{engine}: {err}"
        );

        // One seal object alone works too; a file that is no seal is a usage error.
        let one = scratch("seal.json");
        std::fs::write(&one, seal.to_string()).unwrap();
        assert_eq!(verify(&url, Some(&one)).0, Some(1));
        std::fs::write(&one, "{\"day\": \"2026-12-01\"}").unwrap();
        let (code, _, err) = verify(&url, Some(&one));
        assert_eq!(code, Some(2), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_the_first_bad_row_over_http_and_on_the_command_line_on_both_engines() {
    for engine in engines() {
        let (url, _, same) = sealed_log(engine).await;
        edit_one_row(&url, 3).await;
        let (code, out, err) = verify(&url, None);
        assert_eq!(code, Some(1), "{engine}: {out}{err}");
        assert!(err.contains("BROKEN at seq 3"), "{err}");
        let server = Server::start(same).await;
        let store = liftrescue::store::open(&url).await.unwrap();
        let admin = Api::new(
            &server.base,
            &token(store.as_ref(), Role::Admin, None).await,
        );
        let (status, verdict) = admin.get("/api/v1/log/verify").await;
        assert_eq!(status, 200, "{verdict}");
        assert_eq!(verdict["ok"], false, "{verdict}");
        assert_eq!(verdict["broken"]["seq"], 3, "{verdict}");
        assert_eq!(verdict["verified_seq"], 2, "{verdict}");
        assert!(
            verdict["broken"]["why"]
                .as_str()
                .unwrap()
                .contains("disagree"),
            "{verdict}"
        );
        // The service restarted on the same day: no second seal.
        let (_, seals) = admin.get("/api/v1/log/seals").await;
        assert_eq!(seals.as_array().unwrap().len(), 1, "{seals}");
        server.stop().await;
    }
}
