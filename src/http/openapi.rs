//! The OpenAPI document and the page for people, both built from [`ROUTES`].
//!
//! The document is assembled from the route table rather than from per-handler macros, so a
//! route cannot be served without being documented, nor documented with other roles than it
//! enforces. Roles appear in each operation's description and as `x-roles`. The human page is
//! plain HTML rendered here from the document (no Swagger UI: it would fetch assets at build
//! time, and the console machines may be offline).

use super::error::ErrorBody;
use super::routes::{Answer, Payload, ROUTES, RouteSpec, SchemaRef, schema};
use actix_web::HttpResponse;
use serde_json::Value;
use std::sync::OnceLock;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    ArrayBuilder, ComponentsBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, RefOr, Required,
    ResponseBuilder,
};

type Schemas = Vec<(String, RefOr<Schema>)>;

/// The document, built from the route table.
pub fn document() -> OpenApi {
    let mut schemas: Schemas = Vec::new();
    (schema::<ErrorBody>().collect)(&mut schemas);
    let mut paths = PathsBuilder::new().build();
    for r in ROUTES {
        paths.add_path_operation(r.path, vec![method(r)], operation(r, &mut schemas));
    }
    let bearer = SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("A token issued by POST /api/v1/tokens."))
            .build(),
    );
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .security_scheme("bearer", bearer)
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("liftrescue")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(env!("CARGO_PKG_DESCRIPTION")))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .build()
}

fn method(r: &RouteSpec) -> HttpMethod {
    match r.verb {
        super::routes::Verb::Get => HttpMethod::Get,
        super::routes::Verb::Post => HttpMethod::Post,
        super::routes::Verb::Put => HttpMethod::Put,
    }
}

/// Names of a route's roles, for people and for `x-roles`.
pub fn role_names(r: &RouteSpec) -> Vec<String> {
    r.roles.iter().map(crate::store::enum_name).collect()
}

fn operation(r: &RouteSpec, schemas: &mut Schemas) -> Operation {
    let roles = role_names(r);
    let who = if roles.is_empty() {
        "No token needed.".to_owned()
    } else {
        format!("Roles: {}.", roles.join(", "))
    };
    let mut op = OperationBuilder::new()
        .summary(Some(r.summary))
        .description(Some(who))
        .operation_id(Some(format!("{} {}", r.verb.as_str(), r.path)))
        .tag(r.audience)
        .parameters(Some(parameters(r)));
    if let Some((ty, content)) = content(r.request, schemas) {
        let body = RequestBodyBuilder::new()
            .content(ty, content)
            .required(Some(Required::True));
        op = op.request_body(Some(body.build()));
    }
    op = responses(op, r, schemas);
    if !roles.is_empty() {
        op = op.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
        let ext = utoipa::openapi::extensions::ExtensionsBuilder::new().add("x-roles", roles);
        op = op.extensions(Some(ext.build()));
    }
    op.build()
}

/// Path segments, query parameters and the idempotency and signature headers.
fn parameters(r: &RouteSpec) -> Vec<Parameter> {
    let mut out: Vec<Parameter> = path_params(r.path)
        .into_iter()
        .map(|p| {
            ParameterBuilder::new()
                .name(p)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(path_param_schema(p)))
                .build()
        })
        .collect();
    out.extend(r.query.map(|q| q()).unwrap_or_default());
    if r.idempotent {
        let key = ParameterBuilder::new()
            .name(super::auth::IDEMPOTENCY_KEY)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[!-~]{1,128}$")),
            ))
            .description(Some(
                "1-128 characters; a retry with the same key gets the first answer again",
            ));
        out.push(key.build());
    }
    if r.signed {
        out.extend(super::machine::iot::signature_headers());
    }
    out
}

/// A path parameter's schema, by its name: `{id}` is a database id (an integer from 1),
/// `{channel}` a paging channel that takes receipts, `{list}` a quality list, anything else a
/// name.
fn path_param_schema(name: &str) -> ObjectBuilder {
    match name {
        "id" => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1)),
        "channel" => ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["sms", "voice", "webhook"])),
        "list" => ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(crate::review::quality::lists::ListKind::NAMES)),
        _ => ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[A-Za-z0-9_.-]{1,64}$")),
    }
}

/// The success response and every other status the route can answer.
fn responses(mut op: OperationBuilder, r: &RouteSpec, schemas: &mut Schemas) -> OperationBuilder {
    let success = |why: &str, schemas: &mut Schemas| {
        let mut ok = ResponseBuilder::new().description(why);
        if let Some((ty, c)) = content(r.response, schemas) {
            ok = ok.content(ty, c);
        }
        if matches!(r.response, Payload::Asset) {
            ok = ok.content("text/css", ContentBuilder::new().build());
        }
        if matches!(r.response, Payload::Document) {
            ok = ok.content("text/html", ContentBuilder::new().build());
            ok = ok.content("text/csv", ContentBuilder::new().build());
        }
        if matches!(r.response, Payload::Export) {
            ok = ok.content("application/x-ndjson", ContentBuilder::new().build());
        }
        if matches!(r.response, Payload::OneOrCsv(_)) {
            ok = ok.content("text/csv", ContentBuilder::new().build());
        }
        ok.build()
    };
    op = op.response(r.status.to_string(), success(r.summary, schemas));
    for (status, why) in statuses(r) {
        let response = if status < 300 {
            success(&why, schemas)
        } else {
            let body = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build();
            ResponseBuilder::new()
                .description(why)
                .content("application/json", body)
                .build()
        };
        op = op.response(status.to_string(), response);
    }
    op
}

fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// The statuses a route answers besides its success: those its shape implies (the rules are
/// in [`super::routes`]' module docs) and its own [`Answer`]s, in order, one description per
/// status.
pub fn statuses(r: &RouteSpec) -> Vec<(u16, String)> {
    let body = !matches!(r.request, Payload::Empty);
    let mut implied: Vec<Answer> = Vec::new();
    let mut add = |status, why| implied.push(Answer { status, why });
    if body || r.query.is_some() || r.idempotent {
        add(400, "Bad input; `error.field` names it.");
    }
    if !r.roles.is_empty() {
        add(401, "No token, or an unknown one.");
        add(403, "The token's role may not use this route.");
    }
    if r.signed {
        add(
            401,
            "The signature is missing, does not match, or is stale.",
        );
    }
    if !path_params(r.path).is_empty() {
        add(
            404,
            "Nothing with that id (or not one this caller may see).",
        );
    }
    if body {
        add(413, "The body is too large.");
    }
    if body && !r.signed {
        add(415, "The body is not `application/json`.");
    }
    if body || r.signed || !r.roles.is_empty() {
        add(503, "The store or the desk is unavailable; retry.");
    }
    let mut out: Vec<(u16, String)> = Vec::new();
    for a in implied.iter().chain(r.answers) {
        if a.status == r.status {
            continue;
        }
        match out.iter_mut().find(|(s, _)| *s == a.status) {
            Some((_, why)) => {
                why.push(' ');
                why.push_str(a.why);
            }
            None => out.push((a.status, a.why.to_owned())),
        }
    }
    out.sort_by_key(|(s, _)| *s);
    out
}

fn named(s: SchemaRef, schemas: &mut Schemas) -> Ref {
    (s.collect)(schemas);
    Ref::from_schema_name((s.name)())
}

fn content(p: Payload, schemas: &mut Schemas) -> Option<(&'static str, utoipa::openapi::Content)> {
    let json = |schema: RefOr<Schema>| {
        (
            "application/json",
            ContentBuilder::new().schema(Some(schema)).build(),
        )
    };
    match p {
        Payload::Empty => None,
        Payload::One(s) | Payload::OneOrCsv(s) => Some(json(named(s, schemas).into())),
        Payload::Many(s) => {
            let array = ArrayBuilder::new().items(named(s, schemas)).build();
            Some(json(Schema::Array(array).into()))
        }
        Payload::Json => Some(("application/json", ContentBuilder::new().build())),
        Payload::Text => Some(("text/plain", ContentBuilder::new().build())),
        Payload::Html => Some(("text/html", ContentBuilder::new().build())),
        Payload::EventStream => Some(("text/event-stream", ContentBuilder::new().build())),
        Payload::JavaScript => Some(("text/javascript", ContentBuilder::new().build())),
        // Its other type, `text/css`, is added by `responses`.
        Payload::Asset => Some(("text/javascript", ContentBuilder::new().build())),
        // Its other types, `text/html` and `text/csv`, are added by `responses`.
        Payload::Document => Some(("application/json", ContentBuilder::new().build())),
        // Its other type, `application/x-ndjson`, is added by `responses`.
        Payload::Export => Some(("text/csv", ContentBuilder::new().build())),
    }
}

/// The document as JSON text, built once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| serde_json::to_string_pretty(&document()).unwrap_or_default())
}

/// `GET /api/v1/openapi.json`.
pub async fn json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document_json())
}

/// `GET /api/v1/docs`.
pub async fn page() -> HttpResponse {
    static HTML: OnceLock<String> = OnceLock::new();
    let html = HTML.get_or_init(|| {
        let doc: Value = serde_json::from_str(document_json()).unwrap_or_default();
        super::docs_page::render(&doc)
    });
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html.as_str())
}
