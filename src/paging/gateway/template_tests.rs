//! The template gateways' filling, URL checks and refusals.

use super::*;

fn vals() -> Vec<(&'static str, String)> {
    vec![
        ("to", "+8613800000000".into()),
        ("text", "困人 \"3号楼\" & 50%\n回复1".into()),
    ]
}

#[test]
fn json_templates_get_json_escaped_values_and_stay_valid_json() {
    let body = fill(
        r#"{"to":"{{to}}","msg":"{{ text }}"}"#,
        "application/json",
        &vals(),
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["to"], "+8613800000000");
    assert_eq!(v["msg"], "困人 \"3号楼\" & 50%\n回复1");
}

#[test]
fn form_templates_get_percent_encoded_values_and_unknown_placeholders_stay() {
    let body = fill(
        "mobile={{to}}&content={{text}}&sign={{sig}}&tail={{",
        "application/x-www-form-urlencoded; charset=utf-8",
        &vals(),
    );
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(pairs[0], ("mobile".into(), "+8613800000000".into()));
    assert_eq!(
        pairs[1],
        ("content".into(), "困人 \"3号楼\" & 50%\n回复1".into())
    );
    assert_eq!(pairs[2], ("sign".into(), "{{sig}}".into()));
    assert!(body.ends_with("tail={{"));
}

fn get_gateway(url: &str) -> HttpGatewaySettings {
    HttpGatewaySettings {
        method: "get".into(),
        ..HttpGatewaySettings::new(url)
    }
}

#[test]
fn url_templates_get_percent_encoded_values_that_read_back_the_same() {
    let url = fill_url(
        "https://sms.example.cn/send?u=centre&m={{to}}&c={{text}}&x={{sig}}",
        &vals(),
    );
    let u = url::Url::parse(&url).unwrap();
    assert_eq!(u.host_str(), Some("sms.example.cn"));
    let q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    assert_eq!(q[0], ("u".into(), "centre".into()));
    assert_eq!(q[1], ("m".into(), "+8613800000000".into()));
    assert_eq!(q[2], ("c".into(), "困人 \"3号楼\" & 50%\n回复1".into()));
    assert_eq!(q[3], ("x".into(), "{{sig}}".into()), "unknown ones stay");
    assert_eq!(q.len(), 4, "a value's & and # stay inside it");
}

#[test]
fn a_get_gateway_takes_known_placeholders_in_its_query_only() {
    let ok = templated(
        "sms",
        &get_gateway("http://sms.example.cn/s?m={{to}}&c={{text}}&code={{ rescue_code }}"),
    );
    assert!(ok.unwrap().url.is_none(), "filled for each message");
    let fixed = templated("sms", &get_gateway("http://sms.example.cn/s")).unwrap();
    assert_eq!(fixed.url.unwrap().as_str(), "http://sms.example.cn/s");
    for (url, want) in [
        ("http://{{to}}.example.cn/s", "only in its query"),
        ("http://sms.example.cn:{{unit}}/s", "only in its query"),
        (
            "http://sms.example.cn/send/{{floor}}?c={{text}}",
            "only in its query",
        ),
        ("{{ack_url}}", "only in its query"),
        (
            "http://sms.example.cn/s?p=s3cret&m={{mobile}}",
            "unknown placeholder {{mobile}}",
        ),
        ("http://sms.example.cn/s?p=s3cret&m={{to", "without its"),
        ("ftp://sms.example.cn/s?p=s3cret&m={{to}}", "http(s)"),
    ] {
        let e = templated("sms", &get_gateway(url)).unwrap_err().to_string();
        assert!(e.contains(want) && !e.contains("s3cret"), "{url}: {e}");
    }
    for url in [
        "http://sms.example.cn/s?p=s3cret",
        "http://centre:s3cret@sms.example.cn/s",
    ] {
        let shown = format!("{:?}", get_gateway(url));
        assert!(
            !shown.contains("s3cret") && shown.contains("sms.example.cn/s"),
            "{shown}"
        );
    }
    let mut g = get_gateway("http://sms.example.cn/s?m={{to}}");
    g.body = "m={{to}}".into();
    let e = templated("sms", &g).unwrap_err().to_string();
    assert!(e.contains("notify.sms.body") && e.contains("GET"), "{e}");
    g.method = "DELETE".into();
    let e = templated("sms", &g).unwrap_err().to_string();
    assert!(e.contains("POST, PUT or GET"), "{e}");
    let mut g = get_gateway("http://sms.example.cn/s?m={{to}}");
    g.ok_pointer = "Code".into();
    g.ok_value = "OK".into();
    let e = templated("sms", &g).unwrap_err().to_string();
    assert!(
        e.contains("notify.sms.ok_pointer") && e.contains("`/`"),
        "{e}"
    );
    g.ok_pointer = "/Code".into();
    g.ok_value = String::new();
    let e = templated("sms", &g).unwrap_err().to_string();
    assert!(e.contains("without ok_value"), "{e}");
}

#[test]
fn a_2xx_answer_that_does_not_say_ok_is_a_refusal() {
    let mut g = get_gateway("http://sms.example.cn/s");
    assert_eq!(refusal(&g, b"anything"), None, "no ok_value: any 2xx");
    g.ok_value = "0".into();
    assert_eq!(refusal(&g, b" 0\n"), None);
    let e = refusal(&g, b"30").unwrap();
    assert!(e.contains("refused") && e.contains("30"), "{e}");
    g.ok_pointer = "/Code".into();
    g.ok_value = "OK".into();
    assert_eq!(refusal(&g, br#"{"Code":"OK","BizId":"1"}"#), None);
    let e = refusal(&g, br#"{"Code":"isv.BUSINESS_LIMIT_CONTROL"}"#).unwrap();
    assert!(
        e.contains("/Code") && e.contains("BUSINESS_LIMIT_CONTROL"),
        "{e}"
    );
    assert!(refusal(&g, b"<html>502</html>").is_some(), "not JSON");
    assert!(refusal(&g, b"").is_some(), "an empty answer says nothing");
    g.ok_pointer = "/code".into();
    g.ok_value = "0".into();
    assert_eq!(
        refusal(&g, br#"{"code":0}"#),
        None,
        "a number reads as text"
    );
    assert_eq!(
        refusal(&g, br#"{"code":0.0}"#),
        None,
        "and compares as a number"
    );
    assert!(refusal(&g, br#"{"code":"0a"}"#).is_some());
}
