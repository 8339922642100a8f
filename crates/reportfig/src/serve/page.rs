//! The page at `/`: a caption box, a style, a size, a progress bar and the picture, in plain
//! HTML, CSS and a little JavaScript compiled into the binary (no CDN, no build step). Its
//! words come from the message catalogue in the browser's language; the page holds no data,
//! so it is served without the token, which the page asks for when the API wants it.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::api::lang_of;
use crate::i18n::Lang;
use crate::text::escape_html;

const HTML: &str = include_str!("page/index.html");
const JS: &str = include_str!("page/page.js");
const CSS: &str = include_str!("page/page.css");

/// The catalogue texts the HTML names as `{{id}}`.
const HTML_TEXTS: &[&str] = &[
    "serve-page-title",
    "serve-page-lead",
    "serve-page-caption",
    "serve-page-caption-example",
    "serve-page-style",
    "serve-page-style-none",
    "serve-page-size",
    "serve-page-size-default",
    "serve-page-seed",
    "serve-page-seed-random",
    "serve-page-token",
    "serve-page-make",
    "serve-page-download",
    "serve-page-outline-title",
    "serve-page-outline-lead",
    "serve-page-outline",
    "serve-page-upload",
    "serve-page-zip",
    "serve-page-picture",
    "serve-page-mask",
    "serve-page-strength",
    "serve-page-strength-hint",
    "serve-page-picture-clear",
    "serve-page-compare-title",
    "serve-page-compare-lead",
    "serve-page-compare-styles",
    "serve-page-compare-styles-hint",
    "serve-page-compare-seeds",
    "serve-page-compare-seeds-hint",
    "serve-page-compare-vary",
    "serve-page-compare-vary-hint",
    "serve-page-compare-make",
    "serve-page-compare-download",
    "serve-page-history-title",
    "serve-page-history-lead",
];

/// The page in `lang`.
pub fn render(lang: Lang) -> String {
    let m = lang.messages();
    let mut out = HTML.replace("{{lang}}", lang.code());
    for id in HTML_TEXTS {
        out = out.replace(&format!("{{{{{id}}}}}"), &escape_html(&m.format(id, &[])));
    }
    // The script fills in `{name}` itself.
    let keep = |name: &'static str| (name, format!("{{{name}}}").into());
    let texts = serde_json::json!({
        "state-queued": m.format("serve-page-queued", &[keep("position")]),
        "state-running": m.format("serve-page-running", &[keep("step"), keep("steps")]),
        "state-done": m.format("serve-page-done", &[]),
        "state-failed": m.format("serve-page-failed", &[]),
        "state-cancelled": m.format("serve-page-cancelled", &[]),
        "batch": m.format("serve-page-batch-progress", &[keep("done"), keep("total")]),
        "seed": m.format("serve-page-seed-shown", &[keep("seed")]),
        "cell": m.format("serve-page-compare-progress", &[keep("cell"), keep("cells")]),
        "compare-label": m.format("serve-page-history-compare", &[]),
        "batch-label": m.format("serve-page-history-batch", &[]),
        "seed-short": m.format("serve-page-history-seed", &[keep("seed")]),
        // The server's own refusal, shown before sending: a browser that is still sending
        // when the server closes the connection shows a network error instead of the answer.
        "too-large": m.format(
            "serve-outline-too-large",
            &[("max", (super::batches::MAX_OUTLINE_UPLOAD_BYTES / 1024).into())]
        ),
        "max-bytes": super::batches::MAX_OUTLINE_UPLOAD_BYTES,
        "zip-too-large": m.format(
            "serve-zip-too-large",
            &[("max", (super::outline_zip::MAX_ZIP_UPLOAD_BYTES / (1024 * 1024)).into())]
        ),
        "zip-max-bytes": super::outline_zip::MAX_ZIP_UPLOAD_BYTES,
        // Likewise for a starting picture or mask; the script fills in the file's name.
        "picture-too-large": m.format(
            "serve-picture-too-large",
            &[
                keep("file"),
                ("max", (super::MAX_PICTURE_BYTES / (1024 * 1024)).into()),
            ]
        ),
        "picture-max-bytes": super::MAX_PICTURE_BYTES,
    })
    .to_string()
    // Inside <script>, "</" could end the block.
    .replace("</", "<\\/");
    out.replace("{{texts}}", &texts)
}

fn with_type(body: String, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

pub(crate) async fn index(headers: HeaderMap) -> Response {
    let mut r = with_type(render(lang_of(&headers)), "text/html; charset=utf-8");
    // The browser's history is kept under this cookie from its first visit.
    super::api::with_owner_cookie(&headers, &mut r);
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' blob:; connect-src 'self' blob:; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    r
}

pub(crate) async fn script() -> Response {
    with_type(JS.to_string(), "text/javascript; charset=utf-8")
}

pub(crate) async fn style() -> Response {
    with_type(CSS.to_string(), "text/css; charset=utf-8")
}

/// The Hangul font for browsers on a machine without a Korean one: the titles' sans (a
/// subset of NanumGothic Bold with every Hangul syllable, SIL OFL 1.1, already in the
/// binary, where it also sets the contact sheets' labels). Chromium refuses the full
/// NanumGothic.ttf (its font sanitiser rejects the file), so the clean subset is served; the
/// style sheet asks for it only for Hangul.
pub(crate) async fn font() -> Response {
    let mut r = crate::title::SANS.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("font/ttf"));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=604800"),
    );
    r
}

/// The paths of the page, which need no token.
pub(crate) fn is_page(path: &str) -> bool {
    matches!(path, "/" | "/page.js" | "/page.css" | "/hangul.ttf")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled_in_both_languages() {
        for lang in Lang::ALL {
            let page = render(lang);
            assert!(!page.contains("{{"), "{lang}: {page}");
            assert!(!page.contains("serve-page-"), "{lang}: an id without text");
            assert!(page.contains(&format!("<html lang=\"{}\">", lang.code())));
        }
        assert!(render(Lang::Ko).contains("보고서"));
    }

    /// The page refuses an outline over the server's limit before sending it, with the
    /// server's own words for it.
    #[test]
    fn the_page_knows_the_upload_limit() {
        let page = render(Lang::En);
        let limit = super::super::batches::MAX_OUTLINE_UPLOAD_BYTES;
        assert!(page.contains(&format!("\"max-bytes\":{limit}")), "{page}");
        let words = Lang::En
            .messages()
            .format("serve-outline-too-large", &[("max", (limit / 1024).into())]);
        assert!(page.contains(&words.replace("</", "<\\/")), "{words}");
        let limit = super::super::outline_zip::MAX_ZIP_UPLOAD_BYTES;
        assert!(
            page.contains(&format!("\"zip-max-bytes\":{limit}")),
            "{page}"
        );
        let words = Lang::En
            .messages()
            .format("serve-zip-too-large", &[("max", (limit >> 20).into())]);
        assert!(words.contains("64 MB"), "{words}");
        assert!(page.contains(&words.replace("</", "<\\/")), "{words}");
    }

    /// Likewise a starting picture over the server's limit, named in the words the server
    /// itself would answer with.
    #[test]
    fn the_page_knows_the_picture_limit() {
        for lang in Lang::ALL {
            let page = render(lang);
            let limit = super::super::MAX_PICTURE_BYTES;
            assert!(
                page.contains(&format!("\"picture-max-bytes\":{limit}")),
                "{page}"
            );
            let words = lang.messages().format(
                "serve-picture-too-large",
                &[
                    ("file", "{file}".into()),
                    ("max", (limit / (1024 * 1024)).into()),
                ],
            );
            assert!(words.contains("{file}") && words.contains("10"), "{words}");
            assert!(page.contains(&words.replace("</", "<\\/")), "{words}");
        }
    }
}
