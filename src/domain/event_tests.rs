//! The event vocabulary's JSON.

use super::*;

#[test]
fn kind_names_are_the_json_type_tags() {
    let kinds = [
        EventKind::ReleaseConfirmed,
        EventKind::Cancelled,
        EventKind::Note { text: "x".into() },
        EventKind::Declined { unit: UnitId(1) },
        EventKind::Closed {
            fault_cause_filed: false,
        },
    ];
    for k in kinds {
        let json = serde_json::to_value(&k).unwrap();
        assert_eq!(json["type"], k.name());
    }
}

/// The hash chain verifier re-serializes stored bodies: a body written before decisions
/// kept their inputs must come back byte for byte.
#[test]
fn bodies_written_before_inputs_were_kept_re_serialize_byte_identically() {
    let old = [
        r#"{"type":"unit_paged","candidate":{"unit":3,"distance_m":512.25,"eta_secs":120,"fix_taken":"2026-11-29T08:00:00Z","why":"nearest"},"passed_over":[],"ack_due":"2026-11-29T08:03:00Z"}"#,
        r#"{"type":"no_candidate","why":"nobody"}"#,
        r#"{"type":"step_exhausted","next":null}"#,
    ];
    for text in old {
        let kind: EventKind = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&kind).unwrap(), text);
    }
    let seen = EventKind::NoCandidate {
        why: "nobody".into(),
        seen: Some(Box::default()),
    };
    assert_eq!(
        serde_json::to_string(&seen).unwrap(),
        r#"{"type":"no_candidate","why":"nobody","seen":{"units":[]}}"#
    );
}
