//! `GET /api/v1/incidents/{id}/report` against the real server, on SQLite and PostgreSQL.

use super::Setup;
use crate::support::engines;
use serde_json::Value;

async fn fetch(base: &str, token: &str, path: &str) -> (u16, String, String) {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, r.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_incident_report_comes_as_json_html_and_csv_with_every_rows_hash() {
    for engine in engines() {
        let s = Setup::start(engine).await;
        let id = s.closed_incident("report-1").await;
        let inv = &s.investigator;
        let (status, timeline) = inv.get(&format!("/api/v1/incidents/{id}/timeline")).await;
        assert_eq!(status, 200);
        let timeline = timeline.as_array().unwrap().clone();
        let hashes: Vec<&str> = timeline
            .iter()
            .map(|e| e["hash"].as_str().unwrap())
            .collect();

        let (status, r) = inv
            .get(&format!("/api/v1/incidents/{id}/report?format=json"))
            .await;
        assert_eq!(status, 200, "{engine}: {r}");
        assert_eq!(r["facts"]["outcome"], "released", "{engine}");
        assert_eq!(
            r["lift"]["lift"]["rescue_code"],
            s.lift.rescue_code.as_str()
        );
        assert!(!r["parties"][0]["name"].as_str().unwrap().is_empty(), "{r}");
        assert_eq!(r["alarms"][0]["floor"], "7");
        let decisions: Vec<&str> = r["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["kind"].as_str().unwrap())
            .collect();
        assert!(decisions.contains(&"step_started") && decisions.contains(&"unit_paged"));
        assert!(
            r["crew"].as_array().unwrap().len() >= 4,
            "{engine}: {}",
            r["crew"]
        );
        assert!(
            r["sla"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["clock"] == "acknowledge" && m["met"] == true)
        );
        assert_eq!(r["notes"].as_array().unwrap().len(), 1);
        assert_eq!(r["fault_cause"]["kind"], "fault_cause_filed");
        assert!(
            r["rules"]["version"]
                .as_str()
                .unwrap()
                .starts_with("sha256:")
        );
        let report_hashes: Vec<&str> = r["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["hash"].as_str().unwrap())
            .collect();
        assert_eq!(report_hashes, hashes, "{engine}");
        assert_eq!(r["footer"]["last_hash"].as_str(), hashes.last().copied());
        assert!(
            r["footer"]["log_head_seq"].as_i64().unwrap()
                >= timeline.last().unwrap()["seq"].as_i64().unwrap()
        );

        let (status, kind, csv) = fetch(
            &s.server.base,
            &inv.token,
            &format!("/api/v1/incidents/{id}/report?format=csv"),
        )
        .await;
        assert_eq!((status, kind.starts_with("text/csv")), (200, true), "{csv}");
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let csv_hashes: Vec<&str> = rows.iter().map(|r| &r[7]).collect();
        assert_eq!(csv_hashes, hashes, "{engine}");

        for (lang, title) in [
            ("", "电梯困人事件报告"),
            ("&lang=en", "Lift incident report"),
        ] {
            let path = format!("/api/v1/incidents/{id}/report?format=html{lang}");
            let (status, kind, html) = fetch(&s.server.base, &inv.token, &path).await;
            assert_eq!((status, kind.starts_with("text/html")), (200, true));
            assert!(html.contains(title), "{engine} {lang}");
            assert!(html.contains(s.lift.rescue_code.as_str()));
            assert!(!html.contains("<script>x</script>") && !html.contains("<b>inside</b>"));
            assert!(hashes.iter().all(|h| html.contains(h)));
        }
        // The operator reads it too.
        assert_eq!(
            s.op.get(&format!("/api/v1/incidents/{id}/report?format=json"))
                .await
                .0,
            200
        );
        s.server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_of_no_incident_is_404_and_a_format_it_does_not_have_is_400() {
    let s = Setup::start("sqlite").await;
    let id = s.closed_incident("report-2").await;
    let inv = &s.investigator;
    let code = |v: &Value| v["error"]["code"].as_str().unwrap_or_default().to_owned();
    let (status, body) = inv.get("/api/v1/incidents/999999/report").await;
    assert_eq!(
        (status, code(&body)),
        (404, "not_found".to_owned()),
        "{body}"
    );
    for q in ["format=pdf", "lang=fr", "colour=red"] {
        let (status, body) = inv.get(&format!("/api/v1/incidents/{id}/report?{q}")).await;
        assert_eq!(status, 400, "{q}: {body}");
    }
    s.server.stop().await;
}
