//! The investigators' review page at `/review`: incident search and reports, statistics with
//! charts, the lift quality evaluation and the bureaus' lists, log proof and seals, exports and
//! replay. Plain HTML, CSS and JavaScript modules in `review_assets/`, on the console's
//! stylesheet, with uPlot 1.6.32 vendored beside them (`review_assets/vendor/`, MIT), all
//! embedded in the binary at build time. The page is public; everything it shows comes from
//! the API with the token it asks for and keeps in the browser. It only reads.

use super::error::ApiError;
use super::page_assets::{Asset, CSS, HTML, JS, fresh, serve};
use actix_web::{HttpResponse, web};

/// The page shell, for `/review`.
const PAGE: &str = include_str!("review_assets/index.html");

/// The page's assets by file name: content type and body.
const ASSETS: &[Asset] = &[
    ("review.css", CSS, include_str!("review_assets/review.css")),
    ("review.js", JS, include_str!("review_assets/review.js")),
    ("api.js", JS, include_str!("review_assets/api.js")),
    ("i18n.js", JS, include_str!("review_assets/i18n.js")),
    ("search.js", JS, include_str!("review_assets/search.js")),
    ("stats.js", JS, include_str!("review_assets/stats.js")),
    ("more.js", JS, include_str!("review_assets/more.js")),
    ("quality.js", JS, include_str!("review_assets/quality.js")),
    (
        "uplot-1.6.32.js",
        JS,
        include_str!("review_assets/vendor/uplot-1.6.32/uPlot.iife.min.js"),
    ),
    (
        "uplot-1.6.32.css",
        CSS,
        include_str!("review_assets/vendor/uplot-1.6.32/uPlot.min.css"),
    ),
];

/// `GET /review`: the review page.
pub async fn page() -> HttpResponse {
    fresh(HTML, PAGE)
}

/// `GET /review/assets/{file}`: a stylesheet or script of the page.
pub async fn asset(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    serve(ASSETS, "review", &file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::page_assets::unserved;

    #[test]
    fn every_file_the_page_names_or_imports_is_served() {
        assert!(unserved(ASSETS, &[PAGE], "/review/assets/").is_empty());
    }

    #[test]
    fn every_text_key_the_page_uses_has_both_languages() {
        let i18n = include_str!("review_assets/i18n.js");
        let (zh, en) = i18n.split_once("  en: {").unwrap_or((i18n, ""));
        let keys = PAGE
            .split("data-t=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default());
        for key in keys {
            let quoted = format!("\"{key}\":");
            let bare = format!("    {key}:");
            for (name, table) in [("zh", zh), ("en", en)] {
                assert!(
                    table.contains(&quoted) || table.contains(&bare),
                    "{key} in {name}"
                );
            }
        }
    }
}
