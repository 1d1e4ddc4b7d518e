//! The OpenAPI document and the page for people, both built from [`ROUTES`].
//!
//! The document is assembled from the route table rather than from per-handler macros, so a
//! route cannot be served without being documented, nor documented with other roles than it
//! enforces. Roles appear in each operation's description and as `x-roles`. The human page is
//! plain HTML rendered here from the document (no Swagger UI: it would fetch assets at build
//! time, and the console machines may be offline).

use super::error::ErrorBody;
use super::routes::{Payload, ROUTES, RouteSpec, SchemaRef, schema};
use actix_web::HttpResponse;
use serde_json::Value;
use std::sync::OnceLock;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ComponentsBuilder, Schema, Type};
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

/// Path segments, query parameters and the idempotency header.
fn parameters(r: &RouteSpec) -> Vec<Parameter> {
    let mut out: Vec<Parameter> = path_params(r.path)
        .into_iter()
        .map(|p| {
            ParameterBuilder::new()
                .name(p)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(
                    utoipa::openapi::ObjectBuilder::new().schema_type(Type::Integer),
                ))
                .build()
        })
        .collect();
    out.extend(r.query.map(|q| q()).unwrap_or_default());
    if r.idempotent {
        let key = ParameterBuilder::new()
            .name(super::auth::IDEMPOTENCY_KEY)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(
                "1-128 characters; a retry with the same key gets the first answer again",
            ));
        out.push(key.build());
    }
    out
}

/// The success response and the errors the route can answer.
fn responses(mut op: OperationBuilder, r: &RouteSpec, schemas: &mut Schemas) -> OperationBuilder {
    let mut ok = ResponseBuilder::new().description(r.summary);
    if let Some((ty, c)) = content(r.response, schemas) {
        ok = ok.content(ty, c);
    }
    op = op.response(r.status.to_string(), ok.build());
    for (status, what) in errors(r) {
        let body = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build();
        let response = ResponseBuilder::new()
            .description(what)
            .content("application/json", body);
        op = op.response(status, response.build());
    }
    op
}

fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

fn errors(r: &RouteSpec) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if !matches!(r.request, Payload::Empty) || r.query.is_some() || r.idempotent {
        out.push(("400", "Bad input; `error.field` names it."));
    }
    if !r.roles.is_empty() {
        out.push(("401", "No token, or an unknown one."));
        out.push(("403", "The token's role may not use this route."));
    }
    if r.path.contains('{') {
        out.push(("404", "No such incident (or not one of this crew's)."));
    }
    if r.path.contains("/incidents/{id}/") && r.verb == super::routes::Verb::Post {
        out.push((
            "409",
            "The action does not follow from where the incident stands.",
        ));
        out.push((
            "422",
            "A required text is empty, or the lift named is not registered.",
        ));
    }
    if !matches!(r.request, Payload::Empty) {
        out.push(("413", "The body is too large."));
    }
    out.extend(r.fails.iter().copied());
    out.push(("503", "The store or the desk is unavailable; retry."));
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
        Payload::One(s) => Some(json(named(s, schemas).into())),
        Payload::Many(s) => {
            let array = ArrayBuilder::new().items(named(s, schemas)).build();
            Some(json(Schema::Array(array).into()))
        }
        Payload::Json => Some(("application/json", ContentBuilder::new().build())),
        Payload::Text => Some(("text/plain", ContentBuilder::new().build())),
        Payload::Html => Some(("text/html", ContentBuilder::new().build())),
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
