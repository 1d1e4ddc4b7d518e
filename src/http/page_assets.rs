//! The files of the pages for people (the crew page, the console), embedded in the binary at
//! build time and served as they are: one table of (file name, content type, text) a page.

use super::error::ApiError;
use actix_web::HttpResponse;

/// A page's file: its name under the page's `assets/`, its content type and its text.
pub type Asset = (&'static str, &'static str, &'static str);

/// A script module.
pub const JS: &str = "text/javascript; charset=utf-8";
/// A stylesheet.
pub const CSS: &str = "text/css; charset=utf-8";
/// A page.
pub const HTML: &str = "text/html; charset=utf-8";

/// The file `name` of `assets`, or 404 naming `page`'s asset.
pub fn serve(assets: &[Asset], page: &str, name: &str) -> Result<HttpResponse, ApiError> {
    let (_, kind, body) = assets
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| ApiError::NotFound(format!("{page} asset {name}")))?;
    Ok(fresh(kind, body))
}

/// Revalidated on every load, so a new release reaches the screens and phones with their next
/// load (the crew page's service worker serves its copy when offline).
pub fn fresh(kind: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(kind.to_owned())
        .insert_header(("Cache-Control", "no-cache"))
        .body(body)
}
