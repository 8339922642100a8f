//! The HTTP side: routes, the token check, and JSON in the caller's language. Nothing here
//! waits for the model: requests are checked, queued and answered at once; the picture is
//! made by the worker thread.
//!
//! | method and path                | what                                                  |
//! |--------------------------------|-------------------------------------------------------|
//! | `POST /api/images`             | queue a picture (from a starting one too): `202 {"id", "seed"}` |
//! | `GET /api/images?mine`         | this browser's images and comparisons (its cookie)    |
//! | `GET /api/images/{id}`         | `{state, progress, position, error?, ...}`            |
//! | `GET /api/images/{id}.png`     | the PNG with its metadata, once done                  |
//! | `GET /api/images/{id}/events`  | the same status as server-sent events, until finished |
//! | `DELETE /api/images/{id}`      | cancel (waiting or running) or delete (finished)      |
//! | `POST /api/compares`           | queue a labelled sheet: `202 {"id", "seed"}`          |
//! | `GET /api/compares/{id}`       | as an image's status, with `cell` and `cells`         |
//! | `GET /api/compares/{id}.png`   | the sheet PNG, once done                              |
//! | `DELETE /api/compares/{id}`    | cancel or delete, as an image                         |
//! | `POST /api/batches`            | queue an outline's figures: `202 {"id", "total"}`     |
//! | `GET /api/batches/{id}`        | `{state, figures: [{file, caption, state, progress}]}`|
//! | `GET /api/batches/{id}.zip`    | the figures, manifest.json and index.html, once done  |
//! | `DELETE /api/batches/{id}`     | cancel its waiting and running figures                |
//! | `GET /api/styles`              | the style library                                     |
//! | `GET /api/health`              | liveness, queue length, model                         |

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::batches::{Upload, ZipOutcome, MAX_OUTLINE_UPLOAD_BYTES};
use super::outline_zip::{self, MAX_ZIP_UPLOAD_BYTES};
use super::store::{JobId, JobKind};
use super::{
    lock, Cancel, Refused, Shared, MAX_BODY_BYTES, MAX_IMAGE_BODY_BYTES, MAX_PICTURE_BYTES,
};
use crate::i18n::{Lang, Message};
use crate::msg;

/// `POST /api/images`: the settings of `generate`, by the same names. Unknown fields are
/// refused, so a misspelt setting is not silently ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewImage {
    pub caption: String,
    #[serde(default)]
    pub style: Option<String>,
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub steps: Option<u32>,
    #[serde(default)]
    pub guidance: Option<f64>,
    #[serde(default)]
    pub sampler: Option<String>,
    #[serde(default)]
    pub negative: Option<String>,
    /// The picture to start from (`generate --init-image`), PNG or JPEG.
    #[serde(default)]
    pub init_image: Option<UploadedPicture>,
    /// `--mask`: white is repainted; the picture's size.
    #[serde(default)]
    pub mask: Option<UploadedPicture>,
    /// `--strength`, with `init_image`: above 0, at most 1; 0.6 when left out.
    #[serde(default)]
    pub strength: Option<f64>,
}

/// `POST /api/compares`: `compare`'s settings for one caption, by the same names
/// (`styles` one column each, `seeds` one row each, `vary` as `--vary NAME=V1,V2`), and the
/// settings every cell shares as in [`NewImage`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCompare {
    pub caption: String,
    #[serde(default)]
    pub styles: Vec<String>,
    #[serde(default)]
    pub seeds: Vec<u64>,
    #[serde(default)]
    pub vary: Vec<String>,
    #[serde(default)]
    pub style: Option<String>,
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub steps: Option<u32>,
    #[serde(default)]
    pub guidance: Option<f64>,
    #[serde(default)]
    pub sampler: Option<String>,
    #[serde(default)]
    pub negative: Option<String>,
    #[serde(default)]
    pub init_image: Option<UploadedPicture>,
    #[serde(default)]
    pub mask: Option<UploadedPicture>,
    #[serde(default)]
    pub strength: Option<f64>,
}

/// A file sent inside the JSON: `{"name": "hall.jpg", "data": BASE64}`; `data` may also be
/// a data URL (`data:image/jpeg;base64,...`), as a browser's `FileReader` makes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadedPicture {
    /// The file's name as the user knows it: recorded in the image's metadata (its last
    /// component only), never used as a path.
    #[serde(default)]
    pub name: Option<String>,
    pub data: String,
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/api/images",
            post(create)
                .layer(DefaultBodyLimit::max(MAX_IMAGE_BODY_BYTES))
                .get(history),
        )
        .route("/api/images/{id}", get(status_or_png).delete(cancel))
        .route("/api/images/{id}/events", get(events))
        .route(
            "/api/compares",
            post(create_compare).layer(DefaultBodyLimit::max(MAX_IMAGE_BODY_BYTES)),
        )
        .route(
            "/api/compares/{id}",
            get(compare_status_or_png).delete(cancel_compare),
        )
        .route("/api/compares/{id}/events", get(events))
        .route(
            "/api/batches",
            post(create_batch).layer(DefaultBodyLimit::max(MAX_ZIP_UPLOAD_BYTES)),
        )
        .route(
            "/api/batches/{id}",
            get(batch_status_or_zip).delete(cancel_batch),
        )
        .route("/api/styles", get(styles))
        .route("/api/health", get(health))
        .route("/", get(super::page::index))
        .route("/page.js", get(super::page::script))
        .route("/page.css", get(super::page::style))
        .route("/hangul.ttf", get(super::page::font))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

/// The language of a request: the first of `Accept-Language` (by its weights) that has a
/// catalogue, else English.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    let Some(value) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Lang::En;
    };
    let mut best: Option<(f32, Lang)> = None;
    for item in value.split(',').take(20) {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if let Some(lang) = Lang::from_locale(tag) {
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
    }
    best.map(|(_, l)| l).unwrap_or(Lang::En)
}

/// `{"error": "..."}` with `status`.
fn error(status: StatusCode, text: String) -> Response {
    (status, Json(serde_json::json!({ "error": text }))).into_response()
}

fn error_msg(status: StatusCode, message: &Message, lang: Lang) -> Response {
    error(status, message.render(lang))
}

/// Whether a `Host` header names this machine (a name or address on loopback), which is
/// what a browser sends to a server on 127.0.0.1. Anything else reaching a server without a
/// token is another site's page using DNS rebinding, or a proxy that should pass `--token`.
fn host_is_local(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.to_ascii_lowercase().ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Compares without stopping at the first difference, so the time taken says nothing about
/// how much of a guess was right.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Every request: the token (when the server has one), else a local `Host`; then headers
/// that keep browsers from sniffing, framing or caching answers.
async fn guard(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let lang = lang_of(req.headers());
    match &shared.config.token {
        // The page holds no data; it asks for the token when the API wants it.
        Some(_) if super::page::is_page(req.uri().path()) => {}
        Some(token) => {
            let given = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            let ok = given.is_some_and(|g| same_secret(g.as_bytes(), token.as_bytes()));
            if !ok {
                let mut r = error_msg(StatusCode::UNAUTHORIZED, &msg!("serve-unauthorized"), lang);
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return r;
            }
        }
        None => {
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok());
            if host.is_some_and(|h| !host_is_local(h)) {
                return error_msg(StatusCode::FORBIDDEN, &msg!("serve-host-not-local"), lang);
            }
        }
    }
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    r
}

/// A body that is not the JSON we take, in the caller's language.
fn rejection(rej: JsonRejection, lang: Lang) -> Response {
    rejection_as(rej, lang, "serve-bad-json")
}

/// [`rejection`], with `bad_json` for a body that is JSON of the wrong shape (its hint names
/// the fields the route takes).
fn rejection_as(rej: JsonRejection, lang: Lang, bad_json: &'static str) -> Response {
    match rej {
        JsonRejection::MissingJsonContentType(_) => error_msg(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &msg!("serve-needs-json"),
            lang,
        ),
        JsonRejection::BytesRejection(_) => error_msg(
            StatusCode::PAYLOAD_TOO_LARGE,
            &msg!(
                "serve-pictures-too-large",
                max = MAX_IMAGE_BODY_BYTES / (1024 * 1024),
                each = MAX_PICTURE_BYTES / (1024 * 1024)
            ),
            lang,
        ),
        other => error_msg(
            StatusCode::BAD_REQUEST,
            &Message::new(
                bad_json,
                vec![("reason", crate::i18n::Arg::from(other.body_text()))],
            ),
            lang,
        ),
    }
}

fn queue_full(full: super::QueueFull, lang: Lang) -> Response {
    let retry_after = full.retry_after;
    let message = match full.client {
        None => msg!("serve-queue-full", seconds = retry_after),
        Some((waiting, max)) => msg!(
            "serve-client-full",
            waiting = waiting,
            max = max,
            seconds = retry_after
        ),
    };
    let mut r = error_msg(StatusCode::TOO_MANY_REQUESTS, &message, lang);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    r
}

/// The cookie that keeps a browser's history: 32 random hex digits, made by the server.
pub(crate) const OWNER_COOKIE: &str = "reportfig-owner";
/// The most jobs a history lists.
const HISTORY_MAX: usize = 100;

/// The request's well-formed `reportfig-owner` cookie, if it has one.
pub(crate) fn owner_cookie(headers: &HeaderMap) -> Option<JobId> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().strip_prefix(OWNER_COOKIE)?.strip_prefix('='))
        .find_map(JobId::parse)
}

/// What the records keep of an owner cookie: its SHA-256, so the data folder holds nothing
/// that would show another browser's history.
fn owner_of(cookie: &JobId) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(cookie.as_str().as_bytes()))
}

/// Gives `r` a new owner cookie when the request had none; the owner either way.
pub(crate) fn with_owner_cookie(headers: &HeaderMap, r: &mut Response) -> Option<JobId> {
    if let Some(c) = owner_cookie(headers) {
        return Some(c);
    }
    let fresh = JobId::random().ok()?;
    // Scripts have no use for it; the page's own requests carry it back. HttpOnly: the
    // page's script never needs to read it.
    let cookie =
        format!("{OWNER_COOKIE}={fresh}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Some(fresh)
}

/// `GET /api/images?mine`: this browser's images and comparisons (by its cookie), newest
/// first: `{"images": [{id, kind, state, caption, seed, created, status, image?}]}`. Nobody
/// else's are ever listed; without the cookie the list is empty.
async fn history(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    let Some(cookie) = owner_cookie(&headers) else {
        return Json(serde_json::json!({ "images": [] })).into_response();
    };
    let owner = owner_of(&cookie);
    // Reads the shared folder for other instances' jobs: not on an async thread.
    let listed = tokio::task::spawn_blocking(move || {
        let mut all = shared.history(&owner, HISTORY_MAX);
        all.extend(shared.batch_history(&owner, lang));
        all.sort_by(|a, b| {
            let created = |v: &serde_json::Value| v["created"].as_f64().unwrap_or(0.0);
            let id = |v: &serde_json::Value| v["id"].as_str().map(String::from);
            created(b)
                .total_cmp(&created(a))
                .then_with(|| id(b).cmp(&id(a)))
        });
        all.truncate(HISTORY_MAX);
        all
    })
    .await
    .unwrap_or_default();
    Json(serde_json::json!({ "images": listed })).into_response()
}

async fn create(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<NewImage>, JsonRejection>,
) -> Response {
    let lang = lang_of(&headers);
    let body = match body {
        Ok(Json(b)) => b,
        Err(rej) => return rejection(rej, lang),
    };
    let client = client_key(peer.ip(), &headers);
    checked_and_queued(shared, client, &headers, "images", move |s| s.check(body)).await
}

async fn create_compare(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<NewCompare>, JsonRejection>,
) -> Response {
    let lang = lang_of(&headers);
    let body = match body {
        Ok(Json(b)) => b,
        Err(rej) => return rejection_as(rej, lang, "serve-bad-compare-json"),
    };
    let client = client_key(peer.ip(), &headers);
    checked_and_queued(shared, client, &headers, "compares", move |s| {
        s.check_compare(body, lang)
    })
    .await
}

/// Checks a request with `check` and queues it for `client`, in the history of the
/// browser's cookie (given one if it has none): `202 {"id", "seed"}` with
/// `Location: /api/{under}/ID`.
async fn checked_and_queued(
    shared: Arc<Shared>,
    client: String,
    headers: &HeaderMap,
    under: &'static str,
    check: impl FnOnce(&Shared) -> Result<super::JobInput, Refused> + Send + 'static,
) -> Response {
    let lang = lang_of(headers);
    if let Err(full) = shared.full(&client) {
        return queue_full(full, lang);
    }
    // Checking composes the style and counts tokens (and may read a style's LoRA file or
    // decode a photo): quick, but not for an async thread.
    let s = shared.clone();
    let checked = tokio::task::spawn_blocking(move || check(&s)).await;
    let input = match checked {
        Ok(Ok(input)) => input,
        Ok(Err(Refused::Bad(bad))) => return error_msg(StatusCode::BAD_REQUEST, &bad.0, lang),
        Ok(Err(Refused::TooLarge(bad))) => {
            return error_msg(StatusCode::PAYLOAD_TOO_LARGE, &bad.0, lang)
        }
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let seed = input.seed;
    let mut r = StatusCode::ACCEPTED.into_response();
    let owner = with_owner_cookie(headers, &mut r).map(|c| owner_of(&c));
    match shared.enqueue(&client, owner, input) {
        Ok(Ok(id)) => {
            let location = format!("/api/{under}/{id}");
            let body = Json(serde_json::json!({ "id": id.as_str(), "seed": seed }));
            let (parts, _) = r.into_parts();
            let mut r = (parts, body).into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Ok(Err(full)) => queue_full(full, lang),
        Err(e) => {
            let texts = super::store::Texts::of_error(&e);
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                texts.get(lang).to_string(),
            )
        }
    }
}

/// Who a job is from, for taking turns: the computer it came from, since people share the
/// token, not their computers. Behind a reverse proxy on this machine every request comes
/// from loopback, so there the address the proxy appended to `X-Forwarded-For` (its last
/// entry, which a client cannot forge) names the computer. It only decides turns, never
/// access.
fn client_key(peer: IpAddr, headers: &HeaderMap) -> String {
    if peer.is_loopback() {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|v| v.trim().parse::<IpAddr>().ok())
            .next_back();
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    peer.to_string()
}

/// `{id}` or `{id}{suffix}` from a path segment: the checked id, and whether the suffix
/// (the file rather than the status) was asked for.
fn id_with_suffix(raw: &str, suffix: &str) -> Option<(JobId, bool)> {
    let (text, file) = match raw.strip_suffix(suffix) {
        Some(stem) => (stem, true),
        None => (raw, false),
    };
    JobId::parse(text).map(|id| (id, file))
}

/// A stored file as a response of `mime`, named by `disposition` (left out if it is not a
/// valid header value).
fn file_response(bytes: Vec<u8>, mime: &'static str, disposition: &str) -> Response {
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// `409`: another instance sharing the data folder is making the job, and only it can stop
/// it.
fn elsewhere(instance: &str, lang: Lang) -> Response {
    error_msg(
        StatusCode::CONFLICT,
        &msg!("serve-job-elsewhere", instance = instance),
        lang,
    )
}

fn no_such_image(lang: Lang) -> Response {
    error_msg(StatusCode::NOT_FOUND, &msg!("serve-no-such-image"), lang)
}

async fn status_or_png(
    State(shared): State<Arc<Shared>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    let Some((id, png)) = id_with_suffix(&raw, ".png") else {
        return no_such_image(lang);
    };
    if !png {
        return match shared.status(&id, lang) {
            Some((v, _)) => Json(v).into_response(),
            None => no_such_image(lang),
        };
    }
    // From this instance, or from the shared folder when another instance made it.
    let s = shared.clone();
    let found = {
        let id = id.clone();
        tokio::task::spawn_blocking(move || s.record(&id))
            .await
            .ok()
            .flatten()
    };
    let (done, name) = match found {
        Some(record) => {
            let name = crate::output::default_file_name(
                &record.caption,
                record.seed,
                crate::output::Naming::Roman,
            );
            let name = match record.kind {
                JobKind::Image => name,
                JobKind::Compare => format!("compare-{name}"),
            };
            (record.state == super::store::JobState::Done, name)
        }
        None => return no_such_image(lang),
    };
    if !done {
        return error_msg(StatusCode::CONFLICT, &msg!("serve-image-not-ready"), lang);
    }
    let path = shared.store.png_path(&id);
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            // The name is made of ASCII letters, digits and dashes (romanised caption, seed).
            let mut r = file_response(bytes, "image/png", &format!("inline; filename=\"{name}\""));
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400, immutable"),
            );
            r
        }
        Err(_) => no_such_image(lang),
    }
}

fn no_such_compare(lang: Lang) -> Response {
    error_msg(StatusCode::NOT_FOUND, &msg!("serve-no-such-compare"), lang)
}

/// `GET /api/compares/{id}` (the status) and `{id}.png` (the sheet): a job's, when it is a
/// comparison.
async fn compare_status_or_png(
    State(shared): State<Arc<Shared>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    match id_with_suffix(&raw, ".png") {
        Some((id, _)) if shared.kind(&id) == Some(JobKind::Compare) => {
            status_or_png(State(shared), Path(raw), headers).await
        }
        _ => no_such_compare(lang),
    }
}

async fn cancel_compare(
    State(shared): State<Arc<Shared>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    match JobId::parse(&raw) {
        Some(id) if shared.kind(&id) == Some(JobKind::Compare) => {
            cancel(State(shared), Path(raw), headers).await
        }
        _ => no_such_compare(lang),
    }
}

async fn cancel(
    State(shared): State<Arc<Shared>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    let Some(id) = JobId::parse(&raw) else {
        return no_such_image(lang);
    };
    match shared.cancel(&id) {
        Some(Cancel::Done(was)) => {
            Json(serde_json::json!({ "id": id.as_str(), "deleted": true, "was": was }))
                .into_response()
        }
        Some(Cancel::Elsewhere(instance)) => elsewhere(&instance, lang),
        None => no_such_image(lang),
    }
}

/// The job's status whenever it changes, as `event: status`; the stream ends once the job
/// is finished (or gone: `event: gone`), or when the server stops.
async fn events(
    State(shared): State<Arc<Shared>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    let Some(id) = JobId::parse(&raw) else {
        return no_such_image(lang);
    };
    if shared.status(&id, lang).is_none() {
        return no_such_image(lang);
    }
    let rx = shared.changed.subscribe();
    struct Watch {
        shared: Arc<Shared>,
        id: JobId,
        lang: Lang,
        rx: tokio::sync::watch::Receiver<u64>,
        last: Option<String>,
        ended: bool,
    }
    let start = Watch {
        shared,
        id,
        lang,
        rx,
        last: None,
        ended: false,
    };
    let stream = futures_util::stream::unfold(start, |mut w| async move {
        if w.ended {
            return None;
        }
        loop {
            match w.shared.status(&w.id, w.lang) {
                None => {
                    w.ended = true;
                    let text = msg!("serve-no-such-image").render(w.lang);
                    let data = serde_json::json!({ "error": text }).to_string();
                    let ev = SseEvent::default().event("gone").data(data);
                    return Some((Ok::<_, Infallible>(ev), w));
                }
                Some((v, finished)) => {
                    let text = v.to_string();
                    if w.last.as_deref() != Some(text.as_str()) {
                        w.ended = finished;
                        w.last = Some(text.clone());
                        let ev = SseEvent::default().event("status").data(text);
                        return Some((Ok(ev), w));
                    }
                }
            }
            if w.shared.is_stopping() {
                return None;
            }
            // Another instance's job changes in the shared folder, not here: look again
            // every second as well.
            let changed = tokio::time::timeout(Duration::from_secs(1), w.rx.changed()).await;
            if matches!(changed, Ok(Err(_))) {
                return None;
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// `POST /api/batches?name=…&format=…&style=…&size=…&seed=…`: the query's settings, all
/// optional; the body is the outline file itself.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub style: Option<String>,
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub seed: Option<u64>,
}

async fn create_batch(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<BatchQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let lang = lang_of(&headers);
    let query = match query {
        Ok(Query(q)) => q,
        Err(rej) => {
            return error_msg(
                StatusCode::BAD_REQUEST,
                &msg!("serve-bad-batch-query", reason = rej.body_text()),
                lang,
            )
        }
    };
    let bytes = match body {
        Ok(b) => b,
        Err(rej) if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error_msg(
                StatusCode::PAYLOAD_TOO_LARGE,
                &msg!(
                    "serve-zip-too-large",
                    max = MAX_ZIP_UPLOAD_BYTES / (1024 * 1024)
                ),
                lang,
            )
        }
        Err(rej) => return error(rej.status(), rej.body_text()),
    };
    // Only a ZIP (the outline with its pictures) may be larger than an outline alone.
    if !outline_zip::is_zip(&bytes) && bytes.len() > MAX_OUTLINE_UPLOAD_BYTES {
        return error_msg(
            StatusCode::PAYLOAD_TOO_LARGE,
            &msg!(
                "serve-outline-too-large",
                max = MAX_OUTLINE_UPLOAD_BYTES / 1024
            ),
            lang,
        );
    }
    let client = client_key(peer.ip(), &headers);
    if let Err(full) = shared.full(&client) {
        return queue_full(full, lang);
    }
    let upload = Upload {
        name: query.name,
        format: query.format,
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.to_ascii_lowercase()),
        style: query.style,
        size: query.size,
        seed: query.seed,
        bytes: bytes.to_vec(),
    };
    let s = shared.clone();
    let checked = tokio::task::spawn_blocking(move || s.check_upload(upload)).await;
    let checked = match checked {
        Ok(Ok(c)) => c,
        Ok(Err(bad)) => return error_msg(StatusCode::BAD_REQUEST, &bad.0, lang),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    // In the history of the browser's cookie, as a picture is.
    let mut cookie = StatusCode::ACCEPTED.into_response();
    let owner = with_owner_cookie(&headers, &mut cookie).map(|c| owner_of(&c));
    let s = shared.clone();
    let queued =
        tokio::task::spawn_blocking(move || s.enqueue_batch(&client, owner, checked)).await;
    match queued {
        Ok(Ok(Ok(id))) => {
            let status = shared.batch_status(&id, lang).unwrap_or_default();
            let body = Json(serde_json::json!({
                "id": id.as_str(),
                "total": status["total"],
                "figures": status["figures"],
            }));
            let (parts, _) = cookie.into_parts();
            let mut r = (parts, body).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/api/batches/{id}")) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Ok(Ok(Err(full))) => queue_full(full, lang),
        Ok(Err(e)) if e.is::<crate::commands::BadInput>() => error(
            StatusCode::BAD_REQUEST,
            super::store::Texts::of_error(&e).get(lang).to_string(),
        ),
        Ok(Err(e)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            super::store::Texts::of_error(&e).get(lang).to_string(),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn no_such_batch(lang: Lang) -> Response {
    error_msg(StatusCode::NOT_FOUND, &msg!("serve-no-such-batch"), lang)
}

async fn batch_status_or_zip(
    State(shared): State<Arc<Shared>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    let Some((id, zip)) = id_with_suffix(&raw, ".zip") else {
        return no_such_batch(lang);
    };
    if !zip {
        return match shared.batch_status(&id, lang) {
            Some(v) => Json(v).into_response(),
            None => no_such_batch(lang),
        };
    }
    let s = shared.clone();
    let made = tokio::task::spawn_blocking(move || s.batch_zip(&id, lang)).await;
    match made {
        // The name is ASCII: "figures-" and hex digits.
        Ok(Ok(ZipOutcome::Ready { bytes, file_name })) => file_response(
            bytes,
            "application/zip",
            &format!("attachment; filename=\"{file_name}\""),
        ),
        Ok(Ok(ZipOutcome::NotReady)) => {
            error_msg(StatusCode::CONFLICT, &msg!("serve-batch-not-ready"), lang)
        }
        Ok(Ok(ZipOutcome::NoSuchBatch)) => no_such_batch(lang),
        Ok(Err(e)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            super::store::Texts::of_error(&e).get(lang).to_string(),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn cancel_batch(
    State(shared): State<Arc<Shared>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    let Some(id) = JobId::parse(&raw) else {
        return no_such_batch(lang);
    };
    match shared.cancel_batch(&id) {
        Some(Ok(n)) => {
            Json(serde_json::json!({ "id": id.as_str(), "cancelled": n })).into_response()
        }
        Some(Err(instance)) => elsewhere(&instance, lang),
        None => no_such_batch(lang),
    }
}

async fn styles(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    match crate::commands::styles::list(&shared.styles, true, lang) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            text,
        )
            .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn health(State(shared): State<Arc<Shared>>) -> Response {
    let (queued, running) = {
        let state = lock(&shared.state);
        (state.queue.len(), state.running.is_some())
    };
    Json(serde_json::json!({
        "status": if shared.is_stopping() { "stopping" } else { "ok" },
        "model": shared.config.model_label,
        "queued": queued,
        "running": running,
        "queue_limit": shared.config.queue_limit,
        "per_client": shared.config.per_client,
        "instance": shared.config.instance,
        "version": env!("CARGO_PKG_VERSION"),
    }))
    .into_response()
}

async fn not_found(headers: HeaderMap) -> Response {
    error_msg(
        StatusCode::NOT_FOUND,
        &msg!("serve-not-found"),
        lang_of(&headers),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_follows_accept_language_weights() {
        let lang = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(v).unwrap());
            lang_of(&h)
        };
        assert_eq!(lang("ko-KR,ko;q=0.9,en-US;q=0.8"), Lang::Ko);
        assert_eq!(lang("en-US,en;q=0.9,ko;q=0.8"), Lang::En);
        assert_eq!(lang("fr-FR, ko;q=0.5"), Lang::Ko);
        assert_eq!(lang("en;q=0.2, ko;q=0.7"), Lang::Ko);
        assert_eq!(lang("fr"), Lang::En);
        assert_eq!(lang_of(&HeaderMap::new()), Lang::En);
    }

    #[test]
    fn only_loopback_hosts_are_local() {
        for h in [
            "127.0.0.1:7860",
            "localhost:7860",
            "localhost",
            "[::1]:7860",
            "127.1.2.3",
            "app.localhost:80",
        ] {
            assert!(host_is_local(h), "{h}");
        }
        for h in [
            "example.org",
            "evil.example:7860",
            "192.168.0.10:7860",
            "[2001:db8::1]:7860",
            "localhost.example.org",
        ] {
            assert!(!host_is_local(h), "{h}");
        }
    }

    #[test]
    fn turns_go_by_computer_and_a_local_proxy_names_it() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let remote: IpAddr = "10.1.2.3".parse().unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(client_key(local, &h), "127.0.0.1");
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.1.1.1, 192.168.0.7"),
        );
        // The proxy's own entry (the last) counts; what the client sent before it does not.
        assert_eq!(client_key(local, &h), "192.168.0.7");
        // Only a proxy on this machine is believed.
        assert_eq!(client_key(remote, &h), "10.1.2.3");
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abcdef", b"abcdef"));
        assert!(!same_secret(b"abcdef", b"abcdeg"));
        assert!(!same_secret(b"abc", b"abcdef"));
    }
}
