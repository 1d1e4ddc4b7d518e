//! The bulk export over HTTP and from the real binary: every row carries the hashes it came
//! from (recomputed here from the canonical text), the manifest's file hashes match, and bad
//! arguments are refused with nothing written.

use super::{history, scratch};
use crate::support::process::run;
use crate::support::{Server, engines, fresh_database, seeded, settings, token};
use chrono::{TimeDelta, Utc};
use liftrescue::store::Role;
use liftrescue::store::chain::row_hash;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn rfc(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Checks an exported event line's hash from its own fields.
fn hash_holds(line: &Value) -> bool {
    let body = line["canonical"].as_str().unwrap();
    let event: liftrescue::domain::Event = serde_json::from_str(body).unwrap();
    let hash = row_hash(
        line["prev_hash"].as_str().unwrap(),
        line["seq"].as_i64().unwrap(),
        event.incident,
        event.at,
        body,
    );
    line["hash"] == hash
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_period_exports_with_its_hashes_over_http_and_from_the_command_line_on_both_engines() {
    for engine in engines() {
        let url = fresh_database(engine).await;
        let store = seeded(&url).await;
        let day_before = Utc::now() - TimeDelta::days(2);
        let old = history(store.as_ref(), day_before, 2).await;
        let (from, to) = (
            day_before - TimeDelta::minutes(1),
            day_before + TimeDelta::minutes(1),
        );
        let mut s = settings(&url, "dispatch-rules");
        s.review.seal = false;
        let server = Server::start(s).await;
        let bureau = token(store.as_ref(), Role::Investigator, None).await;
        let get = |q: String| {
            let (base, bureau) = (server.base.clone(), bureau.clone());
            async move {
                reqwest::Client::new()
                    .get(format!("{base}/api/v1/export?{q}"))
                    .bearer_auth(bureau)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let r = get(format!(
            "from={}&to={}&format=jsonl&what=events",
            rfc(from),
            rfc(to)
        ))
        .await;
        assert_eq!(r.status(), 200);
        let disposition = r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            disposition.starts_with("attachment; filename=\"liftrescue-events-"),
            "{disposition}"
        );
        let text = r.text().await.unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), old.len(), "{engine}: only the period's rows");
        assert!(lines.iter().all(hash_holds), "{engine}: {text}");
        let r = get(format!("from={}&to={}&what=incidents", rfc(from), rfc(to))).await;
        assert_eq!(r.status(), 200);
        let csv = r.text().await.unwrap();
        assert_eq!(
            csv.lines().count(),
            3,
            "{engine}: header and two incidents: {csv}"
        );
        assert!(csv.starts_with("id,opened_at,ended_at,status,"), "{csv}");
        for bad in [
            "from=yesterday&to=2026-12-01",
            "from=2026-12-02&to=2026-12-01",
            "from=2026-12-01&to=2026-12-02&format=xml",
        ] {
            let r = get(bad.to_owned()).await;
            assert_eq!(r.status(), 400, "{bad}");
        }
        server.stop().await;

        let env = [
            ("LIFTRESCUE_DATABASE_URL", url.as_str()),
            ("LIFTRESCUE_LOG", "warn"),
        ];
        let out = scratch("export");
        let path = out.display().to_string();
        let (code, stdout, err) = run(
            &[
                "export",
                "--from",
                &rfc(from),
                "--to",
                &rfc(to),
                "--format",
                "csv",
                &path,
            ],
            &env,
        );
        assert_eq!(code, Some(0), "{engine}: {stdout}{err}");
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        for (part, file) in [("incidents", "incidents.csv"), ("events", "events.csv")] {
            let bytes = std::fs::read(out.join(file)).unwrap();
            assert_eq!(manifest[part]["sha256"], sha_hex(&bytes), "{file}");
        }
        assert_eq!(manifest["incidents"]["rows"], 2, "{manifest}");
        assert_eq!(manifest["events"]["rows"], old.len(), "{manifest}");
        assert_eq!(manifest["events"]["first_seq"], 1, "{manifest}");
        // Each incident row carries its last log row, as the timeline has it.
        let incidents = std::fs::read_to_string(out.join("incidents.csv")).unwrap();
        let first = incidents.lines().nth(1).unwrap();
        let id: i64 = first.split(',').next().unwrap().parse().unwrap();
        let timeline = store
            .timeline(liftrescue::domain::IncidentId(id))
            .await
            .unwrap();
        assert!(first.ends_with(&timeline.last().unwrap().hash), "{first}");

        let jsonl = scratch("export.jsonl");
        let path = jsonl.display().to_string();
        let (code, stdout, err) = run(
            &[
                "export",
                "--from",
                &rfc(from),
                "--to",
                &rfc(to),
                "--format",
                "jsonl",
                &path,
            ],
            &env,
        );
        assert_eq!(code, Some(0), "{stdout}{err}");
        let text = std::fs::read_to_string(&jsonl).unwrap();
        let (body, last) = text.trim_end().rsplit_once('\n').unwrap();
        let manifest: Value = serde_json::from_str(last).unwrap();
        assert_eq!(manifest["type"], "manifest");
        assert_eq!(manifest["sha256"], sha_hex(format!("{body}\n").as_bytes()));
        let tags: Vec<Value> = body
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["type"].clone())
            .collect();
        assert_eq!(tags.iter().filter(|t| *t == "incident").count(), 2);
        assert_eq!(tags.iter().filter(|t| *t == "event").count(), old.len());

        // Bad arguments: exit 2, nothing written; an existing OUT is never overwritten.
        let never = scratch("never");
        let p = never.display().to_string();
        for args in [
            vec!["export", "--from", "2026-13-01", "--to", "2026-12-02", &p],
            vec!["export", "--from", "2026-12-03", "--to", "2026-12-02", &p],
            vec![
                "export",
                "--from",
                "2026-12-01",
                "--to",
                "2026-12-02",
                "--format",
                "xml",
                &p,
            ],
        ] {
            let (code, _, err) = run(&args, &env);
            assert_eq!(code, Some(2), "{args:?}: {err}");
            assert!(err.contains("nothing written"), "{err}");
            assert!(!never.exists());
        }
        let (code, _, err) = run(
            &[
                "export",
                "--from",
                "2026-12-01",
                "--to",
                "2026-12-02",
                &jsonl.display().to_string(),
            ],
            &env,
        );
        assert_eq!(code, Some(2), "{err}");
    }
}
