//! The API page for people: one table of operations and one of schemas, rendered from the
//! OpenAPI document (as JSON) with no scripts and no external assets.

use serde_json::Value;
use std::fmt::Write;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `#/components/schemas/Lift` → `Lift`, an array of it → `[Lift]`.
fn schema_name(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    if let Some(items) = schema.get("items") {
        return format!("[{}]", schema_name(items));
    }
    String::new()
}

/// The schema names (or media type) of a `content` map.
fn content_names(content: Option<&Value>) -> String {
    let Some(map) = content.and_then(Value::as_object) else {
        return String::new();
    };
    map.iter()
        .map(|(ty, c)| match c.get("schema").map(schema_name) {
            Some(name) if !name.is_empty() => name,
            _ => ty.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn operation_row(out: &mut String, path: &str, method: &str, op: &Value) {
    let text = |k: &str| op.get(k).and_then(Value::as_str).unwrap_or("");
    let roles = op
        .get("x-roles")
        .and_then(Value::as_array)
        .map(|r| {
            let names: Vec<&str> = r.iter().filter_map(Value::as_str).collect();
            names.join(", ")
        })
        .unwrap_or_else(|| "none (public)".to_owned());
    let request = content_names(op.pointer("/requestBody/content"));
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(status, _)| status.starts_with('2'))
                .map(|(status, r)| format!("{status} {}", content_names(r.get("content"))))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td>\
         <td>{}</td><td>{}</td></tr>",
        escape(&method.to_ascii_uppercase()),
        escape(path),
        escape(text("summary")),
        escape(&roles),
        escape(&request),
        escape(responses.trim()),
    );
}

fn schema_row(out: &mut String, name: &str, schema: &Value) {
    let description = schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("");
    let fields = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<tr id=\"{0}\"><td><code>{0}</code></td><td>{1}</td><td>{2}</td></tr>",
        escape(name),
        escape(description),
        escape(&fields),
    );
}

/// The whole page.
pub fn render(doc: &Value) -> String {
    let title = doc
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("API");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{0} API</title><style>body{{font-family:sans-serif;margin:2em}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;\
         text-align:left;vertical-align:top}}</style></head><body>\n<h1>{0} API</h1>\n\
         <p>Send <code>Authorization: Bearer &lt;token&gt;</code>. Errors are \
         <code>{{\"error\": {{\"status\", \"code\", \"message\", \"field\"}}}}</code>. \
         The machine-readable document is <a href=\"/api/v1/openapi.json\">openapi.json</a>.</p>\n\
         <h2>Operations</h2>\n<table><tr><th>Method</th><th>Path</th><th>Summary</th>\
         <th>Roles</th><th>Request</th><th>Response</th></tr>",
        escape(title)
    );
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in ["get", "post", "put", "delete", "patch"] {
                if let Some(op) = item.get(method) {
                    operation_row(&mut out, path, method, op);
                }
            }
        }
    }
    out.push_str("</table>\n<h2>Schemas</h2>\n<table><tr><th>Name</th><th>Description</th><th>Fields</th></tr>\n");
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            schema_row(&mut out, name, schema);
        }
    }
    out.push_str("</table>\n</body></html>\n");
    out
}
