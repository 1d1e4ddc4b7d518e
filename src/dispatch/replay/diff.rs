//! How a replayed event differs from the recorded one, field by field and in words.

use super::{Difference, Logged};
use crate::domain::Event;
use serde::Serialize;
use serde_json::Value;

/// The most fields a difference lists.
const MAX_FIELDS: usize = 12;

/// One field that differs: its JSON path in the event and both values.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldDiff {
    /// The path, e.g. `kind.candidate.unit` (array items by index: `kind.seen.units.0.fix`).
    pub field: String,
    /// As recorded (`null`: absent).
    #[schema(value_type = Object)]
    pub recorded: Value,
    /// As replayed (`null`: absent).
    #[schema(value_type = Object)]
    pub replayed: Value,
}

/// The recorded event `here` (or the end of the record) against the replayed `made`.
pub(super) fn differ(here: Option<&Logged>, made: &Event, input: &str) -> Difference {
    let replayed_kind = Some(made.kind.name().to_owned());
    let Some(here) = here else {
        return Difference {
            seq: None,
            kind: None,
            replayed_kind,
            input: input.to_owned(),
            summary: format!(
                "the record ends here, but the replay made a `{}` ({})",
                made.kind.name(),
                made.reason
            ),
            fields: vec![],
        };
    };
    let fields = fields(&here.event, made);
    let summary = if here.event.kind.name() != made.kind.name() {
        format!(
            "the record has a `{}` here ({}), the replay made a `{}` ({})",
            here.event.kind.name(),
            here.event.reason,
            made.kind.name(),
            made.reason
        )
    } else {
        fields
            .iter()
            .map(|f| {
                format!(
                    "{}: recorded {}, replayed {}",
                    f.field, f.recorded, f.replayed
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    Difference {
        seq: Some(here.seq),
        kind: Some(here.event.kind.name().to_owned()),
        replayed_kind,
        input: input.to_owned(),
        summary,
        fields,
    }
}

/// The recorded event `here` that the replay did not make.
pub(super) fn missing(here: Option<&Logged>, input: &str) -> Difference {
    let (seq, kind, summary) = match here {
        Some(h) => (
            Some(h.seq),
            Some(h.event.kind.name().to_owned()),
            format!(
                "the record has a `{}` here ({}), but replaying the inputs before it made no \
                 such event, and it is not an input",
                h.event.kind.name(),
                h.event.reason
            ),
        ),
        None => (None, None, "the record ends here".to_owned()),
    };
    Difference {
        seq,
        kind,
        replayed_kind: None,
        input: input.to_owned(),
        summary,
        fields: vec![],
    }
}

/// The core refused the input the recorded event `here` stands for.
pub(super) fn refused(here: Option<&Logged>, input: &str, why: &str) -> Difference {
    let mut d = missing(here, input);
    d.summary = format!("the core refused this input: {why}");
    d
}

/// The fields of two events that differ, at most [`MAX_FIELDS`].
pub(super) fn fields(recorded: &Event, replayed: &Event) -> Vec<FieldDiff> {
    let (Ok(a), Ok(b)) = (
        serde_json::to_value(recorded),
        serde_json::to_value(replayed),
    ) else {
        return vec![];
    };
    let mut out = Vec::new();
    walk(String::new(), &a, &b, &mut out);
    out
}

fn walk(path: String, a: &Value, b: &Value, out: &mut Vec<FieldDiff>) {
    if out.len() >= MAX_FIELDS || a == b {
        return;
    }
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let (u, v) = (x.get(k), y.get(k));
                walk(
                    join(k),
                    u.unwrap_or(&Value::Null),
                    v.unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let (u, v) = (x.get(i), y.get(i));
                let k = i.to_string();
                walk(
                    join(&k),
                    u.unwrap_or(&Value::Null),
                    v.unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ => out.push(FieldDiff {
            field: path,
            recorded: a.clone(),
            replayed: b.clone(),
        }),
    }
}
