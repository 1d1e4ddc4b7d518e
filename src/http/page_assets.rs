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

/// The files `texts` name under `folder` (`/crew/assets/`) or import as modules
/// (`from "./x.js"`) that `assets` does not serve: empty when the page is whole.
pub fn unserved(assets: &[Asset], texts: &[&str], folder: &str) -> Vec<String> {
    let bodies = || {
        texts
            .iter()
            .copied()
            .chain(assets.iter().map(|(_, _, b)| *b))
    };
    let named = bodies()
        .flat_map(|text| text.split(folder).skip(1))
        .map(|rest| rest.split(['"', '\'', '`', ')']).next().unwrap_or_default());
    let imported = bodies()
        .flat_map(|text| text.split("from \"./").skip(1))
        .map(|rest| rest.split('"').next().unwrap_or_default());
    named
        .chain(imported)
        .filter(|name| !assets.iter().any(|(n, _, _)| n == name))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_file_named_or_imported_but_not_served_is_listed() {
        let assets = [("a.js", super::JS, "import { x } from \"./b.js\";")];
        let page = "<script src=\"/p/assets/a.js\"></script><link href=\"/p/assets/c.css\">";
        assert_eq!(
            super::unserved(&assets, &[page], "/p/assets/"),
            ["c.css", "b.js"]
        );
        let whole = [("a.js", super::JS, ""), ("c.css", super::CSS, "")];
        assert!(super::unserved(&whole, &[page], "/p/assets/").is_empty());
    }
}
