//! `reportfig serve` through real HTTP on 127.0.0.1: the binary started as a user would, on
//! the tiny turbo model, driven by a plain HTTP client.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::common;

/// The tiny model's own size (a turbo model's default, 512², would make every job slow).
pub(crate) const SIZE: &str = "64x64";

const TOKEN: &str = "0123456789abcdef-test-token";

/// A running server; killed when dropped if a test did not stop it.
pub(crate) struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, whatever address it was bound to.
    base: String,
    stderr: PathBuf,
}

impl Server {
    /// `reportfig serve` on the tiny model with `data` as its data folder; `extra` adds or
    /// replaces flags (`--addr` defaults to 127.0.0.1:0; without `--translator`, captions
    /// are not translated).
    pub(crate) fn start(home: &Path, data: &Path, extra: &[&str]) -> Server {
        Server::try_start(home, data, extra).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Server::start`], with a server that exits instead of listening as `Err` (its exit
    /// status and stderr).
    pub(crate) fn try_start(home: &Path, data: &Path, extra: &[&str]) -> Result<Server, String> {
        let model = common::tiny_turbo().display().to_string();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_reportfig"));
        cmd.env("HOME", home)
            .env("HF_HOME", home.join("hf"))
            .env_remove("HF_HUB_CACHE")
            .env("HF_HUB_OFFLINE", "1")
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env_remove("REPORTFIG_TOKEN")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", "C.UTF-8")
            .arg("serve")
            .args(["--model", &model])
            .arg("--data")
            .arg(data);
        if !extra.contains(&"--translator") {
            cmd.arg("--no-translate");
        }
        if !extra.contains(&"--addr") {
            cmd.args(["--addr", "127.0.0.1:0"]);
        }
        cmd.args(extra);
        std::fs::create_dir_all(home).unwrap();
        let stderr = home.join(format!("serve-stderr-{}.txt", std::process::id()));
        let stderr = unique(stderr);
        cmd.stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .stdin(Stdio::null());
        let mut child = cmd.spawn().expect("reportfig serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(bound) = line.trim().strip_prefix("http://") else {
            let status = child.wait();
            return Err(format!(
                "no address on stdout ({line:?}), {status:?}; stderr:\n{}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            ));
        };
        let port = bound.rsplit_once(':').unwrap().1;
        Ok(Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            stderr,
        })
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// SIGKILL: the machine or pod gone at once, nothing cleaned up.
    pub(crate) fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, as a service manager stops it; waits for the exit.
    pub(crate) fn stop(mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill(1) runs");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unique(p: PathBuf) -> PathBuf {
    let mut n = 0;
    loop {
        let candidate = p.with_extension(format!("{n}.txt"));
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}

/// One answer: status, headers we look at, body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    retry_after: Option<String>,
    www_authenticate: Option<String>,
    content_type: String,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build()
}

/// A request with optional bearer token, language and body (JSON unless `content_type`).
pub(crate) fn call(
    method: &str,
    url: &str,
    token: Option<&str>,
    lang: Option<&str>,
    body: Option<(&str, &[u8])>,
) -> Reply {
    try_call(method, url, token, lang, body).unwrap_or_else(|e| panic!("{e}"))
}

/// [`call`], with a transport failure (the server closing the connection) as `Err`.
fn try_call(
    method: &str,
    url: &str,
    token: Option<&str>,
    lang: Option<&str>,
    body: Option<(&str, &[u8])>,
) -> Result<Reply, String> {
    let mut req = agent().request(method, url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    if let Some(l) = lang {
        req = req.set("Accept-Language", l);
    }
    let result = match body {
        Some((content_type, bytes)) => req.set("Content-Type", content_type).send_bytes(bytes),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(format!("{method} {url}: {e}")),
    };
    let status = resp.status();
    let retry_after = resp.header("Retry-After").map(str::to_string);
    let www_authenticate = resp.header("WWW-Authenticate").map(str::to_string);
    let content_type = resp.content_type().to_string();
    let mut body = Vec::new();
    resp.into_reader().read_to_end(&mut body).unwrap();
    Ok(Reply {
        status,
        retry_after,
        www_authenticate,
        content_type,
        body,
    })
}

pub(crate) fn get(server: &Server, path: &str) -> Reply {
    call("GET", &server.url(path), None, None, None)
}

pub(crate) fn post(server: &Server, body: &Value) -> Reply {
    let text = body.to_string();
    call(
        "POST",
        &server.url("/api/images"),
        None,
        None,
        Some(("application/json", text.as_bytes())),
    )
}

/// Posts and returns the id, asserting 202.
pub(crate) fn submit(server: &Server, body: &Value) -> String {
    let r = post(server, body);
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    r.json()["id"].as_str().unwrap().to_string()
}

/// Polls `GET path` until its `state` is one of `want`; returns the last status.
pub(crate) fn wait_for_state(server: &Server, path: &str, want: &[&str]) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let r = get(server, path);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let v = r.json();
        let state = v["state"].as_str().unwrap().to_string();
        if want.contains(&state.as_str()) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "{path} still {state}, wanted {want:?}; stderr:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls until the job is finished (or `want` state is reached); returns its last status.
pub(crate) fn wait_for(server: &Server, id: &str, want: &[&str]) -> Value {
    wait_for_state(server, &format!("/api/images/{id}"), want)
}

/// The files in a folder under the server's data folder (none when it does not exist yet).
fn stored_in(data: &Path, folder: &str) -> Vec<String> {
    let dir = data.join(folder);
    if !dir.is_dir() {
        return Vec::new();
    }
    common::files(&dir)
}

/// The files in the server's images folder.
pub(crate) fn stored(data: &Path) -> Vec<String> {
    stored_in(data, "images")
}

/// A job that takes long on the tiny model (many steps), to be running while a test acts.
pub(crate) fn long_job() -> Value {
    serde_json::json!({ "caption": "a long job", "steps": 1000, "seed": 1, "size": SIZE })
}

#[test]
fn serve_round_trip_makes_a_png_with_metadata() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&tmp.path().join("home"), &data, &[]);

    let health = get(&server, "/api/health");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    let styles = get(&server, "/api/styles");
    assert_eq!(styles.status, 200);
    assert!(styles.json().as_array().is_some_and(|a| !a.is_empty()));

    let r = post(
        &server,
        &serde_json::json!({
            "caption": "Smart traffic signals at a busy city intersection",
            "seed": 42,
            "steps": 2,
            "size": SIZE,
        }),
    );
    assert_eq!(r.status, 202);
    let reply = r.json();
    assert_eq!(reply["seed"], 42);
    let id = reply["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);

    // The event stream reports until the job is done, then ends.
    let resp = agent()
        .get(&server.url(&format!("/api/images/{id}/events")))
        .call()
        .unwrap();
    assert_eq!(resp.content_type(), "text/event-stream");
    let mut states = Vec::new();
    for line in BufReader::new(resp.into_reader()).lines() {
        let line = line.unwrap();
        if let Some(data) = line.strip_prefix("data: ") {
            let v: Value = serde_json::from_str(data).unwrap();
            states.push(v["state"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        states.last().map(String::as_str),
        Some("done"),
        "{states:?}"
    );

    let status = get(&server, &format!("/api/images/{id}")).json();
    assert_eq!(status["state"], "done");
    assert_eq!(status["progress"], 1.0);
    assert_eq!(status["position"], 0);
    assert_eq!(status["image"], format!("/api/images/{id}.png"));

    let png = get(&server, &format!("/api/images/{id}.png"));
    assert_eq!(png.status, 200);
    assert_eq!(png.content_type, "image/png");
    assert!(png.body.starts_with(b"\x89PNG\r\n\x1a\n"));
    // The same file, with the same metadata, as `generate` writes.
    let on_disk = data.join("images").join(format!("{id}.png"));
    assert_eq!(std::fs::read(&on_disk).unwrap(), png.body);
    let request = reportfig::output::read_metadata(&on_disk).unwrap().unwrap();
    assert_eq!(
        request.caption,
        "Smart traffic signals at a busy city intersection"
    );
    assert_eq!(request.seed, 42);
    assert_eq!(request.steps, 2);
    assert_eq!(
        stored(&data),
        vec![format!("{id}.json"), format!("{id}.png")]
    );

    // The server's log: one line per finished job, and the stop.
    let log = server.stderr.clone();
    let status = server.stop();
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains(&format!("{id} done in")), "{log}");
    assert!(log.contains("stopping"), "{log}");
}

#[test]
fn serve_on_a_network_address_needs_the_token() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    // Bound to every interface; reached here through loopback, which must not matter: the
    // configured address decides.
    let server = Server::start(
        &tmp.path().join("home"),
        &data,
        &["--addr", "0.0.0.0:0", "--token", TOKEN],
    );
    let health = server.url("/api/health");
    let none = call("GET", &health, None, None, None);
    assert_eq!(none.status, 401);
    assert_eq!(none.www_authenticate.as_deref(), Some("Bearer"));
    assert!(
        none.error().contains("Authorization: Bearer"),
        "{}",
        none.error()
    );
    let korean = call("GET", &health, None, Some("ko-KR,ko;q=0.9"), None);
    assert_eq!(korean.status, 401);
    assert!(korean.error().contains("토큰"), "{}", korean.error());
    let wrong = call(
        "GET",
        &health,
        Some("0123456789abcdef-wrong-token"),
        None,
        None,
    );
    assert_eq!(wrong.status, 401);
    // Nothing is queued without the token.
    let body = serde_json::json!({ "caption": "a park", "size": SIZE }).to_string();
    let refused = call(
        "POST",
        &server.url("/api/images"),
        None,
        None,
        Some(("application/json", body.as_bytes())),
    );
    assert_eq!(refused.status, 401);
    assert!(stored(&data).is_empty());

    let ok = call("GET", &health, Some(TOKEN), None, None);
    assert_eq!(ok.status, 200);
    let made = call(
        "POST",
        &server.url("/api/images"),
        Some(TOKEN),
        None,
        Some(("application/json", body.as_bytes())),
    );
    assert_eq!(made.status, 202);
    drop(server);

    // Without --token on a network address, one is made and shown once on stderr.
    let server = Server::start(&tmp.path().join("home2"), &data, &["--addr", "0.0.0.0:0"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let token = loop {
        let err = server.stderr();
        if let Some(t) = err
            .lines()
            .find(|l| l.contains("needs this token"))
            .and_then(|l| l.rsplit(' ').next())
        {
            break t.to_string();
        }
        assert!(Instant::now() < deadline, "no token on stderr:\n{err}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(token.len(), 32);
    assert_eq!(
        call("GET", &health_of(&server), None, None, None).status,
        401
    );
    assert_eq!(
        call("GET", &health_of(&server), Some(&token), None, None).status,
        200
    );
}

fn health_of(server: &Server) -> String {
    server.url("/api/health")
}

#[test]
fn serve_without_a_token_answers_only_local_host_names() {
    let tmp = TempDir::new().unwrap();
    let server = Server::start(&tmp.path().join("home"), &tmp.path().join("data"), &[]);
    let r = agent()
        .get(&server.url("/api/health"))
        .set("Host", "evil.example:7860")
        .call();
    match r {
        Err(ureq::Error::Status(403, _)) => {}
        other => panic!("expected 403, got {other:?}"),
    }
    assert_eq!(get(&server, "/api/health").status, 200);
}

#[test]
fn serve_full_queue_answers_429_with_retry_after() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&tmp.path().join("home"), &data, &["--queue", "2"]);
    let running = submit(&server, &long_job());
    wait_for(&server, &running, &["running"]);
    let a = submit(
        &server,
        &serde_json::json!({ "caption": "a", "seed": 1, "size": SIZE }),
    );
    let b = submit(
        &server,
        &serde_json::json!({ "caption": "b", "seed": 2, "size": SIZE }),
    );
    let status_b = get(&server, &format!("/api/images/{b}")).json();
    assert_eq!(status_b["state"], "queued");
    assert_eq!(status_b["position"], 2, "{status_b}");

    let full = post(
        &server,
        &serde_json::json!({ "caption": "c", "size": SIZE }),
    );
    assert_eq!(full.status, 429);
    let retry: u64 = full.retry_after.as_deref().unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert!(full.error().contains("try again"), "{}", full.error());

    // Cancelling one waiting job makes room again.
    let cancelled = call(
        "DELETE",
        &server.url(&format!("/api/images/{a}")),
        None,
        None,
        None,
    );
    assert_eq!(cancelled.status, 200);
    assert_eq!(cancelled.json()["was"], "queued");
    assert_eq!(get(&server, &format!("/api/images/{a}")).status, 404);
    let c = submit(
        &server,
        &serde_json::json!({ "caption": "c", "seed": 3, "size": SIZE }),
    );
    for id in [&running, &b, &c] {
        call(
            "DELETE",
            &server.url(&format!("/api/images/{id}")),
            None,
            None,
            None,
        );
    }
}

#[test]
fn serve_cancel_stops_a_running_job_and_leaves_no_file() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&tmp.path().join("home"), &data, &[]);
    let long = submit(&server, &long_job());
    let status = wait_for(&server, &long, &["running"]);
    assert_eq!(status["position"], 0);
    // The pace of this machine, from two looks at the step counter.
    let step = |server: &Server| {
        let v = get(server, &format!("/api/images/{long}")).json();
        (Instant::now(), v["step"].as_u64().unwrap_or(0) as f64)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let (t1, s1) = loop {
        let (t, s) = step(&server);
        if s >= 5.0 {
            break (t, s);
        }
        assert!(Instant::now() < deadline, "the long job makes no steps");
        std::thread::sleep(Duration::from_millis(10));
    };
    std::thread::sleep(Duration::from_millis(300));
    let (t2, s2) = step(&server);
    assert!(s2 > s1 && s2 < 900.0, "steps {s1} then {s2}");
    let rest = (1000.0 - s2) / ((s2 - s1) / (t2 - t1).as_secs_f64());
    let t = Instant::now();
    let r = call(
        "DELETE",
        &server.url(&format!("/api/images/{long}")),
        None,
        None,
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["was"], "running");
    assert_eq!(get(&server, &format!("/api/images/{long}")).status, 404);
    // The worker stops at the next step, long before the job's other steps would be done.
    loop {
        let h = get(&server, "/api/health").json();
        if h["running"] == false {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let stopped = t.elapsed().as_secs_f64();
    eprintln!("serve cancel: stopped in {stopped:.3} s; the rest of the job takes {rest:.2} s");
    assert!(
        stopped < rest / 2.0,
        "stopping took {stopped:.2} s; the rest of the job takes {rest:.2} s"
    );
    let next = submit(
        &server,
        &serde_json::json!({ "caption": "next", "seed": 5, "size": SIZE }),
    );
    let done = wait_for(&server, &next, &["done", "failed"]);
    assert_eq!(done["state"], "done", "{done}");
    let files = stored(&data);
    assert!(
        !files.iter().any(|f| f.starts_with(&long)),
        "the cancelled job left {files:?}"
    );
    // A finished image can be deleted too.
    let r = call(
        "DELETE",
        &server.url(&format!("/api/images/{next}")),
        None,
        None,
        None,
    );
    assert_eq!(r.json()["was"], "done");
    assert!(stored(&data).is_empty(), "{:?}", stored(&data));
}

#[test]
fn serve_restart_keeps_finished_images_and_reports_lost_ones() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    let server = Server::start(&home, &data, &[]);
    let done = submit(
        &server,
        &serde_json::json!({ "caption": "kept", "seed": 7, "size": SIZE }),
    );
    wait_for(&server, &done, &["done"]);
    let png = get(&server, &format!("/api/images/{done}.png")).body;
    let running = submit(&server, &long_job());
    wait_for(&server, &running, &["running"]);
    let waiting = submit(
        &server,
        &serde_json::json!({ "caption": "waiting", "size": SIZE }),
    );
    // A browser watching the running job must not keep the server from stopping: its
    // event stream ends.
    let events = server.url(&format!("/api/images/{running}/events"));
    let watcher = std::thread::spawn(move || {
        let resp = agent().get(&events).call().unwrap();
        BufReader::new(resp.into_reader()).lines().count()
    });
    std::thread::sleep(Duration::from_millis(200));
    let status = server.stop();
    assert!(watcher.join().unwrap() > 0);
    assert!(status.success(), "{status:?}");
    // Nothing half-written.
    let files = stored(&data);
    assert!(!files.iter().any(|f| f.ends_with(".tmp")), "{files:?}");
    assert!(!files.contains(&format!("{running}.png")), "{files:?}");

    let server = Server::start(&home, &data, &[]);
    let kept = get(&server, &format!("/api/images/{done}")).json();
    assert_eq!(kept["state"], "done");
    assert_eq!(get(&server, &format!("/api/images/{done}.png")).body, png);
    for id in [&running, &waiting] {
        let v = get(&server, &format!("/api/images/{id}")).json();
        assert_eq!(v["state"], "failed", "{v}");
        assert!(
            v["error"].as_str().unwrap().contains("stopped before"),
            "{v}"
        );
        let ko = call(
            "GET",
            &server.url(&format!("/api/images/{id}")),
            None,
            Some("ko"),
            None,
        )
        .json();
        assert!(
            ko["error"].as_str().unwrap().contains("서버가 멈췄습니다"),
            "{ko}"
        );
    }
}

#[test]
fn serve_translates_korean_captions_on_the_worker() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let translator = common::tiny_translator().display().to_string();
    let server = Server::start(
        &tmp.path().join("home"),
        &data,
        &["--translator", &translator],
    );
    // The tiny translator's beam search for this caption (see cli_translate.rs).
    let caption = "Smart City 교통 정보";
    let id = submit(
        &server,
        &serde_json::json!({ "caption": caption, "seed": 3, "size": SIZE }),
    );
    let v = wait_for(&server, &id, &["done", "failed"]);
    assert_eq!(v["state"], "done", "{v}");
    let request = reportfig::output::read_metadata(&data.join(format!("images/{id}.png")))
        .unwrap()
        .unwrap();
    assert_eq!(request.caption, caption);
    assert_eq!(request.caption_en.as_deref(), Some("전66666"));
    assert_eq!(
        request.translated_by.as_deref(),
        Some(format!("{translator} + glossary").as_str())
    );
    drop(server);

    // Without the translator (not downloaded, offline) the job fails and says which one.
    let server = Server::start(
        &tmp.path().join("home"),
        &data,
        &["--translator", "opus-mt-ko-en"],
    );
    let id = submit(
        &server,
        &serde_json::json!({ "caption": "포항시 버스 정류장", "size": SIZE }),
    );
    let v = wait_for(&server, &id, &["done", "failed"]);
    assert_eq!(v["state"], "failed", "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("opus-mt-ko-en"),
        "{v}"
    );
    assert!(!data.join(format!("images/{id}.png")).exists());
}

#[test]
fn serve_bad_requests_get_400_in_the_callers_language_and_write_nothing() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&tmp.path().join("home"), &data, &[]);
    let url = server.url("/api/images");
    let send = |body: &str, lang: Option<&str>| {
        call(
            "POST",
            &url,
            None,
            lang,
            Some(("application/json", body.as_bytes())),
        )
    };
    for (body, en, ko) in [
        (
            r#"{"caption": "  "}"#,
            "the caption is empty",
            "설명 문구가 비어 있습니다",
        ),
        (
            r#"{"caption": "a park", "steps": 0}"#,
            "--steps must be at least 1",
            "1 이상",
        ),
        (
            r#"{"caption": "a park", "style": "no-such-style"}"#,
            "no-such-style",
            "no-such-style",
        ),
        (r#"{"caption": "a park", "size": "65x64"}"#, "65", "65"),
        (r#"{"caption": "a park", "guidance": -1}"#, "-1", "-1"),
        (
            r#"{"caption": "a park", "sampler": "nope"}"#,
            "nope",
            "nope",
        ),
        (
            r#"{"caption": "a park", "prompt": "x"}"#,
            "prompt",
            "prompt",
        ),
        (r#"{"caption": 5}"#, "caption", "caption"),
        (
            r#"{"caption": "a park""#,
            "not what the API takes",
            "요청이 아닙니다",
        ),
    ] {
        for (lang, want) in [(None, en), (Some("ko-KR,ko;q=0.9"), ko)] {
            let r = send(body, lang);
            assert_eq!(
                r.status,
                400,
                "{body}: {}",
                String::from_utf8_lossy(&r.body)
            );
            assert!(r.error().contains(want), "{body} ({lang:?}): {}", r.error());
        }
    }
    let long = serde_json::json!({ "caption": "x".repeat(501) }).to_string();
    let r = send(&long, None);
    assert_eq!(r.status, 400);
    assert!(r.error().contains("500 characters"), "{}", r.error());
    // Far more than a caption and two pictures in base64.
    let huge = serde_json::json!({ "caption": "x".repeat(28 * 1024 * 1024) }).to_string();
    match try_call(
        "POST",
        &url,
        None,
        None,
        Some(("application/json", huge.as_bytes())),
    ) {
        Ok(r) => assert_eq!(r.status, 413),
        // The server may close the connection at the limit while the client still sends.
        Err(e) => assert!(!e.is_empty()),
    }
    let form = call("POST", &url, None, None, Some(("text/plain", b"caption=x")));
    assert_eq!(form.status, 415);
    // Ids are checked before any path is made from them.
    for path in [
        "/api/images/..%2F..%2Fetc%2Fpasswd",
        "/api/images/..",
        "/api/images/ABCDEF0123456789ABCDEF0123456789",
        "/api/images/0123456789abcdef0123456789abcdef.png",
        "/api/images/0123456789abcdef0123456789abcdef/events",
    ] {
        assert_eq!(get(&server, path).status, 404, "{path}");
    }
    assert_eq!(get(&server, "/nothing-here").status, 404);
    // A cross-site preflight gets no CORS permission.
    let pre = agent()
        .request("OPTIONS", &url)
        .set("Origin", "https://evil.example")
        .set("Access-Control-Request-Method", "POST")
        .call();
    let allowed = match pre {
        Ok(r) => r.header("Access-Control-Allow-Origin").map(str::to_string),
        Err(ureq::Error::Status(_, r)) => {
            r.header("Access-Control-Allow-Origin").map(str::to_string)
        }
        Err(e) => panic!("{e}"),
    };
    assert_eq!(allowed, None);
    assert!(stored(&data).is_empty(), "{:?}", stored(&data));
}

/// 100 requests from 10 clients at once: every job is made, none is lost, and the time
/// jobs waited in the queue is printed.
#[test]
fn serve_load_100_requests_from_10_threads() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(
        &tmp.path().join("home"),
        &data,
        &["--queue", "200", "--per-client", "200"],
    );
    let base = server.base.clone();
    let started = Instant::now();
    let threads: Vec<_> = (0..10)
        .map(|t| {
            let base = base.clone();
            std::thread::spawn(move || {
                let mut ids = Vec::new();
                for i in 0..10 {
                    let body = serde_json::json!({
                        "caption": format!("figure {t}-{i}"),
                        "seed": t * 100 + i,
                        "size": SIZE,
                    })
                    .to_string();
                    let r = call(
                        "POST",
                        &format!("{base}/api/images"),
                        None,
                        None,
                        Some(("application/json", body.as_bytes())),
                    );
                    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
                    ids.push((r.json()["id"].as_str().unwrap().to_string(), Instant::now()));
                }
                let mut out = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(300);
                for (id, sent) in ids {
                    loop {
                        let r = call("GET", &format!("{base}/api/images/{id}"), None, None, None);
                        assert_eq!(r.status, 200);
                        let v = r.json();
                        if v["state"] == "done" || v["state"] == "failed" {
                            out.push((v, sent.elapsed().as_secs_f64()));
                            break;
                        }
                        assert!(Instant::now() < deadline, "{id} never finished");
                        std::thread::sleep(Duration::from_millis(25));
                    }
                }
                out
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in threads {
        results.extend(t.join().unwrap());
    }
    let total = started.elapsed().as_secs_f64();
    assert_eq!(results.len(), 100);
    let failed: Vec<_> = results
        .iter()
        .filter(|(v, _)| v["state"] != "done")
        .collect();
    assert!(failed.is_empty(), "failed jobs: {failed:?}");
    let mut waited: Vec<f64> = results
        .iter()
        .map(|(v, _)| v["waited_seconds"].as_f64().unwrap())
        .collect();
    waited.sort_by(f64::total_cmp);
    let pct = |p: f64| waited[((waited.len() - 1) as f64 * p).round() as usize];
    eprintln!(
        "serve load: 100 jobs from 10 clients in {total:.2} s; queue wait p50 {:.3} s, p95 {:.3} s, max {:.3} s",
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
    // Every job left its PNG and record: nothing lost.
    assert_eq!(stored(&data).len(), 200);
    let status = server.stop();
    assert!(status.success(), "{status:?}");
}

#[test]
fn serve_page_is_served_in_the_browsers_language_without_the_token() {
    let tmp = TempDir::new().unwrap();
    let server = Server::start(
        &tmp.path().join("home"),
        &tmp.path().join("data"),
        &["--addr", "0.0.0.0:0", "--token", TOKEN],
    );
    let ko = call("GET", &server.url("/"), None, Some("ko-KR,ko;q=0.9"), None);
    assert_eq!(ko.status, 200);
    assert_eq!(ko.content_type, "text/html");
    let html = String::from_utf8(ko.body).unwrap();
    assert!(html.contains("<html lang=\"ko\">"), "{html}");
    assert!(html.contains("보고서 삽화 만들기"), "{html}");
    let en = String::from_utf8(call("GET", &server.url("/"), None, None, None).body).unwrap();
    assert!(en.contains("Illustrations for reports"), "{en}");
    for (path, kind) in [
        ("/page.js", "text/javascript"),
        ("/page.css", "text/css"),
        ("/hangul.ttf", "font/ttf"),
    ] {
        let r = call("GET", &server.url(path), None, None, None);
        assert_eq!((r.status, r.content_type.as_str()), (200, kind), "{path}");
    }
    // Everything else still needs the token.
    assert_eq!(
        call("GET", &server.url("/api/styles"), None, None, None).status,
        401
    );
}

/// Headless Chromium driven over the DevTools protocol (a WebSocket), as a person would use
/// the page: type a caption, choose a style, make the picture, download it.
pub(crate) struct Browser {
    child: Child,
    socket: tungstenite::WebSocket<std::net::TcpStream>,
    next_id: u64,
    session: Option<String>,
    _profile: TempDir,
}

impl Browser {
    pub(crate) fn start(chromium: &str) -> Browser {
        let profile = TempDir::new().unwrap();
        let mut child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--remote-debugging-port=0",
                "--accept-lang=ko-KR,ko",
                "--lang=ko-KR",
                "--window-size=900,1100",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID" on stderr.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("chromium prints its DevTools address");
        let host = url
            .strip_prefix("ws://")
            .and_then(|r| r.split('/').next())
            .unwrap()
            .to_string();
        let stream = std::net::TcpStream::connect(&host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let (socket, _) = tungstenite::client(url.as_str(), stream).unwrap();
        Browser {
            child,
            socket,
            next_id: 0,
            session: None,
            _profile: profile,
        }
    }

    /// Sends one command (to the attached page, once there is one) and returns its result.
    pub(crate) fn send(&mut self, method: &str, params: Value) -> Value {
        match self.try_send(method, params) {
            Ok(result) => result,
            Err(reply) => panic!("{method}: {reply}"),
        }
    }

    /// The reply's result, or the whole reply when DevTools answered with an error.
    fn try_send(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = serde_json::json!({ "id": id, "method": method, "params": params });
        if let Some(s) = &self.session {
            message["sessionId"] = Value::from(s.clone());
        }
        self.socket
            .send(tungstenite::Message::text(message.to_string()))
            .unwrap();
        loop {
            let reply = self.socket.read().unwrap();
            let Ok(text) = reply.to_text() else { continue };
            let v: Value = serde_json::from_str(text).unwrap();
            if v["id"] == id {
                return match v.get("error") {
                    None => Ok(v["result"].clone()),
                    Some(_) => Err(v),
                };
            }
        }
    }

    pub(crate) fn open(&mut self, url: &str) {
        let target = self.send("Target.createTarget", serde_json::json!({ "url": url }));
        let attached = self.send(
            "Target.attachToTarget",
            serde_json::json!({ "targetId": target["targetId"], "flatten": true }),
        );
        self.session = Some(attached["sessionId"].as_str().unwrap().to_string());
    }

    /// The value of a JavaScript expression in the page (promises awaited).
    pub(crate) fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .try_evaluate(expression)
            .unwrap_or_else(|reply| panic!("{expression}: {reply}"));
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// DevTools' `Runtime.evaluate` reply for `expression`, or its error reply.
    fn try_evaluate(&mut self, expression: &str) -> Result<Value, Value> {
        self.try_send(
            "Runtime.evaluate",
            serde_json::json!({
                "expression": expression,
                "awaitPromise": true,
                "returnByValue": true,
            }),
        )
    }

    /// A screenshot of the whole page, kept as `name` when `REPORTFIG_SCREENSHOT_DIR` names
    /// a folder (to be looked at); the PNG's bytes either way.
    pub(crate) fn screenshot(&mut self, name: &str) -> Vec<u8> {
        use base64::Engine;
        let shot = self.send(
            "Page.captureScreenshot",
            serde_json::json!({ "format": "png", "captureBeyondViewport": true }),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        if let Ok(dir) = std::env::var("REPORTFIG_SCREENSHOT_DIR") {
            std::fs::write(Path::new(&dir).join(name), &png).unwrap();
        }
        png
    }

    /// Waits until `expression` is true in the page.
    pub(crate) fn wait_until(&mut self, expression: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            // While a page is being replaced (a reload) there is no document to evaluate in:
            // DevTools answers with an error ("execution context was destroyed") or the
            // expression throws on a half-built page. Both mean "not yet", not a failure.
            let last = match self.try_evaluate(expression) {
                Ok(r) if r.get("exceptionDetails").is_none() => {
                    if r["result"]["value"] == Value::Bool(true) {
                        return;
                    }
                    r
                }
                Ok(r) | Err(r) => r,
            };
            assert!(Instant::now() < deadline, "{what} (last reply: {last})");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_page_in_headless_chromium_makes_and_downloads_a_picture() {
    let Some(chromium) =
        common::chromium("serve_page_in_headless_chromium_makes_and_downloads_a_picture")
    else {
        return;
    };
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&tmp.path().join("home"), &data, &[]);
    let mut browser = Browser::start(chromium);
    browser.open(&server.url("/"));
    browser.wait_until(
        "document.readyState === 'complete' && document.querySelectorAll('#style option').length > 1",
        "the page did not load the styles",
    );
    // The browser asked for Korean, so the page is in Korean.
    assert_eq!(browser.eval("document.documentElement.lang"), "ko");
    assert_eq!(
        browser.eval("document.querySelector('h1').textContent"),
        "보고서 삽화 만들기"
    );

    browser.eval(
        "document.getElementById('caption').value = 'Riverside park at dawn';
         document.getElementById('style').value = 'isometric-city';
         document.getElementById('seed').value = '11';
         document.getElementById('make').click(); true",
    );
    browser.wait_until(
        "!document.getElementById('result').hidden && document.getElementById('image').naturalWidth > 0",
        "the picture never appeared",
    );
    assert_eq!(
        browser.eval("document.getElementById('error').hidden"),
        true
    );
    assert_eq!(
        browser.eval("document.getElementById('bar').value"),
        Value::from(1)
    );
    // The download link gives the PNG the server made.
    let head = browser.eval(
        "fetch(document.getElementById('download').href)
           .then(r => r.arrayBuffer())
           .then(b => Array.from(new Uint8Array(b).slice(0, 8)))",
    );
    assert_eq!(head, serde_json::json!([137, 80, 78, 71, 13, 10, 26, 10]));
    let name = browser.eval("document.getElementById('download').download");
    assert_eq!(name, "reportfig-11.png");
    let pngs: Vec<String> = stored(&data)
        .into_iter()
        .filter(|f| f.ends_with(".png"))
        .collect();
    assert_eq!(pngs.len(), 1, "{pngs:?}");
    let request = reportfig::output::read_metadata(&data.join("images").join(&pngs[0]))
        .unwrap()
        .unwrap();
    assert_eq!(request.caption, "Riverside park at dawn");
    assert_eq!(request.styles, vec!["isometric-city".to_string()]);
    assert_eq!(request.seed, 11);

    // Hangul shows even where the machine has no Korean font: the page's own font loads.
    browser.wait_until(
        "document.fonts.ready.then(() => [...document.fonts].some(f => f.family.includes('Reportfig Hangul') && f.status === 'loaded'))",
        "the page's Hangul font did not load",
    );
    // A screenshot to look at (kept when REPORTFIG_SCREENSHOT_DIR names a folder).
    browser.screenshot("serve-page-result.png");

    // An outline through the upload box: every figure listed as it is made, then the ZIP.
    browser.eval(
        "const size = document.getElementById('size');
         size.add(new Option('64x64', '64x64'));
         size.value = '64x64';
         document.getElementById('style').value = '';
         const files = new DataTransfer();
         files.items.add(new File(['그림: A park by the river\\n그림: A new bridge\\n'], 'report.md', { type: 'text/markdown' }));
         document.getElementById('outline').files = files.files;
         document.getElementById('upload').click(); true",
    );
    browser.wait_until(
        "!document.getElementById('zip').hidden",
        "the batch's ZIP was never offered",
    );
    assert_eq!(
        browser.eval("document.getElementById('batch-error').hidden"),
        true
    );
    assert_eq!(
        browser.eval("[...document.querySelectorAll('#figures li.done')].length"),
        2
    );
    assert_eq!(
        browser.eval("document.getElementById('batch-state').textContent"),
        "그림 2개 가운데 2개 완료"
    );
    let head = browser.eval(
        "fetch(document.getElementById('zip').href)
           .then(r => r.arrayBuffer())
           .then(b => Array.from(new Uint8Array(b).slice(0, 2)))",
    );
    assert_eq!(head, serde_json::json!([80, 75]), "a ZIP starts with PK");
    // The outline is in this browser's history, newest first, shown by its first figure,
    // and gives its ZIP when clicked.
    browser.wait_until(
        "document.querySelectorAll('#history li').length === 2 && document.querySelector('#history li img').naturalWidth > 0",
        "the outline is not in the history",
    );
    assert_eq!(
        browser.eval("document.querySelector('#history li').textContent"),
        "개요 · report.md · 그림 2개 가운데 2개 완료"
    );
    browser.eval("document.querySelector('#history li a.zip').click(); true");
    browser.wait_until(
        "document.querySelector('#history li a.zip').dataset.downloaded === 'true'",
        "the history's outline did not give its ZIP",
    );
    browser.screenshot("serve-page-batch.png");

    // An outline whose figure starts from a photo goes up through the same box as one ZIP
    // of the report's folder, and its figure starts from that photo.
    let photo = photo_bytes(96, 64, image::ImageFormat::Png);
    let packed = zip_of(&[
        (
            "보고서/outline.md".to_string(),
            "그림: The harbour {image=photos/harbour.png}\n".as_bytes(),
        ),
        ("보고서/photos/harbour.png".to_string(), photo.as_slice()),
    ]);
    browser.eval(&format!(
        "{{ const bytes = Uint8Array.from(atob('{}'), c => c.charCodeAt(0));
           const zipped = new DataTransfer();
           zipped.items.add(new File([bytes], '보고서.zip', {{ type: 'application/zip' }}));
           document.getElementById('outline').files = zipped.files;
           document.getElementById('upload').click(); }} true",
        b64(&packed)
    ));
    browser.wait_until(
        "!document.getElementById('zip').hidden || !document.getElementById('batch-error').hidden",
        "the ZIP upload never finished",
    );
    assert_eq!(
        browser.eval("document.getElementById('batch-error').hidden"),
        true,
        "{}",
        browser.eval("document.getElementById('batch-error').textContent")
    );
    assert_eq!(
        browser.eval("document.getElementById('batch-state').textContent"),
        "그림 1개 가운데 1개 완료"
    );
    let started: Vec<_> = stored(&data)
        .into_iter()
        .filter(|f| f.ends_with(".png"))
        .filter_map(|f| {
            reportfig::output::read_metadata(&data.join("images").join(f))
                .unwrap()
                .unwrap()
                .init_image
        })
        .collect();
    assert!(
        started
            .iter()
            .any(|i| i.file == "harbour.png" && i.sha256 == common::sha256_hex(&photo)),
        "{started:?}"
    );
    browser.screenshot("serve-page-batch-zip.png");
}

/// Uploads an outline to `/api/batches` with `query` (e.g. `name=report.md&size=64x64`).
pub(crate) fn upload(server: &Server, query: &str, outline: &str, lang: Option<&str>) -> Reply {
    call(
        "POST",
        &server.url(&format!("/api/batches?{query}")),
        None,
        lang,
        Some(("application/octet-stream", outline.as_bytes())),
    )
}

/// [`upload`], which must be accepted: the batch's id.
pub(crate) fn upload_accepted(server: &Server, query: &str, outline: &str) -> String {
    let r = upload(server, query, outline, None);
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    r.json()["id"].as_str().unwrap().to_string()
}

/// A ZIP (an outline with its pictures) sent to `/api/batches` as a browser sends it.
fn upload_zip(server: &Server, lang: Option<&str>, zip: &[u8]) -> Reply {
    call(
        "POST",
        &server.url("/api/batches?name=report.zip"),
        None,
        lang,
        Some(("application/zip", zip)),
    )
}

/// Polls a batch until its state is one of `want`; returns its last status.
pub(crate) fn wait_for_batch(server: &Server, id: &str, want: &[&str]) -> Value {
    wait_for_state(server, &format!("/api/batches/{id}"), want)
}

/// The files in the server's batches folder.
fn batch_folders(data: &Path) -> Vec<String> {
    stored_in(data, "batches")
}

#[test]
fn serve_batch_upload_runs_the_outline_and_downloads_a_zip() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&tmp.path().join("home"), &data, &[]);
    let outline = "# 교통 계획\n\n그림: Smart traffic signals at a busy intersection\n\n그림: A new bus lane {file=bus-lane.png}\n";
    let r = upload(&server, "name=report.md&size=64x64&seed=7", outline, None);
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let reply = r.json();
    let id = reply["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(reply["total"], 2);
    // The names `batch` writes: numbered slugs, or the figure's own file=.
    let files: Vec<&str> = reply["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "01-smart-traffic-signals-at-a-busy-intersection.png",
            "bus-lane.png"
        ]
    );

    let status = wait_for_batch(&server, &id, &["done", "failed", "cancelled"]);
    assert_eq!(status["state"], "done", "{status}");
    assert_eq!(status["done"], 2);
    assert_eq!(status["total"], 2);
    for f in status["figures"].as_array().unwrap() {
        assert_eq!(f["state"], "done", "{f}");
        assert_eq!(f["progress"], 1.0);
    }
    assert_eq!(status["zip"], format!("/api/batches/{id}.zip"));

    let zip = get(&server, &format!("/api/batches/{id}.zip"));
    assert_eq!(zip.status, 200, "{}", String::from_utf8_lossy(&zip.body));
    assert_eq!(zip.content_type, "application/zip");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body.clone())).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "01-smart-traffic-signals-at-a-busy-intersection.png",
            "bus-lane.png",
            "index.html",
            "manifest.json"
        ]
    );
    let unzipped = tmp.path().join("unzipped");
    archive.extract(&unzipped).unwrap();
    let made = reportfig::output::read_metadata(&unzipped.join("bus-lane.png"))
        .unwrap()
        .expect("reportfig metadata");
    assert_eq!(made.caption, "A new bus lane");
    // Figure 2 of a batch with base seed 7, as `batch --seed 7` numbers them.
    assert_eq!(made.seed, 8);
    assert_eq!((made.width, made.height), (64, 64));
    let first = reportfig::output::read_metadata(
        &unzipped.join("01-smart-traffic-signals-at-a-busy-intersection.png"),
    )
    .unwrap()
    .unwrap();
    assert_eq!(first.seed, 7);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(unzipped.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["outline"], "report.md");
    let entries = manifest["figures"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["file"], "bus-lane.png");
    assert_eq!(entries[1]["up_to_date"], true);
    let page = std::fs::read_to_string(unzipped.join("index.html")).unwrap();
    assert!(
        page.contains("교통 계획"),
        "the gallery has the outline's title"
    );
    // Kept in the batch's folder inside the data folder, and nowhere else.
    assert_eq!(batch_folders(&data), vec![id.clone()]);
    let folder = data.join("batches").join(&id);
    assert_eq!(std::fs::read(folder.join("figures.zip")).unwrap(), zip.body);
    // `live/` holds a running job's progress for the other instances; a finished job
    // leaves nothing in it.
    assert_eq!(
        std::fs::read_dir(data.join("live")).unwrap().count(),
        0,
        "a finished batch leaves no progress behind"
    );
    assert_eq!(
        common::files(&data),
        ["batches", "images", "instances", "live"].map(String::from)
    );

    // After a restart the batch and its download are still there.
    let status = server.stop();
    assert!(status.success(), "{status:?}");
    let server = Server::start(&tmp.path().join("home"), &data, &[]);
    let again = get(&server, &format!("/api/batches/{id}")).json();
    assert_eq!(again["state"], "done", "{again}");
    assert_eq!(get(&server, &format!("/api/batches/{id}.zip")).status, 200);
    assert_eq!(
        get(&server, &format!("/api/batches/{}", "0".repeat(32))).status,
        404
    );
    assert_eq!(get(&server, "/api/batches/../../etc").status, 404);
}

#[test]
fn serve_batch_bad_outlines_get_400_in_the_callers_language_and_write_nothing() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&tmp.path().join("home"), &data, &[]);
    let ko = Some("ko-KR,ko;q=0.9");
    for (query, outline, en, korean) in [
        (
            "name=report.md",
            "# Plan\n\n## A park {seed=abc}\n",
            "report.md:3: seed \"abc\" is not a whole number",
            "report.md 3번째 줄: 시드 \"abc\"",
        ),
        (
            "name=report.md",
            "\n\n",
            "report.md: the outline has no figures",
            "report.md",
        ),
        (
            "name=list.csv",
            "caption,seed\nA park,abc\n",
            "list.csv:2: seed \"abc\"",
            "list.csv 2번째 줄",
        ),
        (
            "format=txt",
            "A park {style=no-such-style}\n",
            "no-such-style",
            "no-such-style",
        ),
        ("name=report.docx", "A park\n", "Word document", "Word"),
        (
            "format=pdf",
            "A park\n",
            "format \"pdf\"",
            "개요 형식이 아닙니다",
        ),
        (
            "colour=red",
            "A park\n",
            "colour",
            "설정을 API가 받을 수 없습니다",
        ),
        // An outline alone cannot bring its starting pictures: said plainly, with the ZIP
        // that can, not "file not found".
        (
            "name=report.md",
            "## The harbour {image=photos/harbour.jpg}\n",
            "uploaded without its pictures",
            "ZIP 파일 하나로 묶어",
        ),
        (
            "name=report.md",
            "# Plan\n\n## Cover {cover}\n",
            "{cover} is not available",
            "{cover}(표지)를 쓸 수 없습니다",
        ),
    ] {
        let r = upload(&server, query, outline, None);
        assert_eq!(r.status, 400, "{query} {outline:?}: {}", r.error());
        assert!(
            r.error().contains(en),
            "{query}: {:?} lacks {en:?}",
            r.error()
        );
        let r = upload(&server, query, outline, ko);
        assert_eq!(r.status, 400);
        assert!(
            r.error().contains(korean),
            "{query}: {:?} lacks {korean:?}",
            r.error()
        );
        // Where the command line has the message in Korean, so does the server (an unknown
        // style's message is English-only in both so far).
        let hangul = |t: &str| t.chars().any(|c| ('가'..='힣').contains(&c));
        assert!(
            !hangul(korean) || hangul(&r.error()),
            "{query}: not Korean: {:?}",
            r.error()
        );
    }
    // The server answers 413 as soon as the body passes the limit and closes the
    // connection; a client still sending may see that close instead of the answer. Either
    // way the upload is refused and nothing is written.
    let big = "A park\n".repeat(40_000);
    let sent = try_call(
        "POST",
        &server.url("/api/batches?format=txt"),
        None,
        None,
        Some(("application/octet-stream", big.as_bytes())),
    );
    match sent {
        Ok(r) => {
            assert_eq!(r.status, 413, "{}", r.error());
            assert!(r.error().contains("256 KiB"), "{}", r.error());
        }
        Err(e) => assert!(
            e.contains("Broken pipe") || e.contains("reset") || e.contains("closed"),
            "{e}"
        ),
    }
    assert!(
        batch_folders(&data).is_empty(),
        "{:?}",
        batch_folders(&data)
    );
    assert!(stored(&data).is_empty(), "{:?}", stored(&data));
    assert_eq!(get(&server, "/api/health").json()["queued"], 0);
}

#[test]
fn serve_batch_cancel_stops_its_figures() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&tmp.path().join("home"), &data, &[]);
    // A long job first, so the batch's figures are still waiting when it is cancelled.
    let long = submit(&server, &long_job());
    wait_for(&server, &long, &["running"]);
    let r = upload(
        &server,
        "format=txt&size=64x64",
        "A park\nA bridge\nA school\n",
        None,
    );
    assert_eq!(r.status, 202, "{}", r.error());
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        get(&server, &format!("/api/batches/{id}")).json()["state"],
        "queued"
    );
    // Not finished: no ZIP yet.
    assert_eq!(get(&server, &format!("/api/batches/{id}.zip")).status, 409);
    let r = call(
        "DELETE",
        &server.url(&format!("/api/batches/{id}")),
        None,
        None,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.error());
    assert_eq!(r.json()["cancelled"], 3);
    let status = get(&server, &format!("/api/batches/{id}")).json();
    assert_eq!(status["state"], "cancelled", "{status}");
    assert_eq!(status["done"], 0);
    for f in status["figures"].as_array().unwrap() {
        assert_eq!(f["state"], "cancelled", "{f}");
    }
    assert_eq!(get(&server, "/api/health").json()["queued"], 0);
    // Only the long job's files are left in the images folder.
    assert!(
        stored(&data).iter().all(|f| f.starts_with(&long)),
        "{:?}",
        stored(&data)
    );
    // The ZIP of a cancelled batch holds what was finished: here only the index.
    let zip = get(&server, &format!("/api/batches/{id}.zip"));
    assert_eq!(zip.status, 200, "{}", String::from_utf8_lossy(&zip.body));
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body)).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["index.html", "manifest.json"]);
    call(
        "DELETE",
        &server.url(&format!("/api/images/{long}")),
        None,
        None,
        None,
    );
}

#[test]
fn serve_batch_that_cannot_fit_in_the_queue_is_refused() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&tmp.path().join("home"), &data, &["--queue", "2"]);
    let long = submit(&server, &long_job());
    wait_for(&server, &long, &["running"]);
    // More figures than the queue ever holds: the outline's problem, not a wait.
    let r = upload(&server, "format=txt", "A park\nA bridge\nA school\n", None);
    assert_eq!(r.status, 400, "{}", r.error());
    assert!(r.error().contains("3 figures"), "{}", r.error());
    let r = upload(
        &server,
        "format=txt",
        "A park\nA bridge\nA school\n",
        Some("ko"),
    );
    assert!(r.error().contains("개요의 그림이 3개"), "{}", r.error());
    assert!(batch_folders(&data).is_empty());
    // Two fit; then the queue is full and a third waits its turn with 429.
    let r = upload(&server, "format=txt&size=64x64", "A park\nA bridge\n", None);
    assert_eq!(r.status, 202, "{}", r.error());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = upload(&server, "format=txt", "A school\n", None);
    assert_eq!(r.status, 429, "{}", r.error());
    assert!(r.retry_after.is_some());
    assert_eq!(batch_folders(&data), vec![id.clone()]);
    let r = call(
        "DELETE",
        &server.url(&format!("/api/batches/{id}")),
        None,
        None,
        None,
    );
    assert_eq!(r.json()["cancelled"], 2);
    call(
        "DELETE",
        &server.url(&format!("/api/images/{long}")),
        None,
        None,
        None,
    );
}

/// A picture with a clear layout (a bright disc left of centre on a dark field), as PNG or
/// JPEG bytes.
pub(crate) fn photo_bytes(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        let (dx, dy) = (
            x as f64 - width as f64 * 0.3,
            y as f64 - height as f64 * 0.5,
        );
        if (dx * dx + dy * dy).sqrt() < height as f64 * 0.3 {
            image::Rgb([250, 230, 40])
        } else {
            image::Rgb([20, 40, 90])
        }
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), format)
        .unwrap();
    out
}

/// A mask whose right half is white (repainted).
fn mask_bytes(width: u32, height: u32) -> Vec<u8> {
    let img = image::GrayImage::from_fn(width, height, |x, _| {
        image::Luma([if x >= width / 2 { 255 } else { 0 }])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A starting picture and a mask sent with the request: the job starts from them, and the
/// PNG records them exactly as `generate --init-image --mask --strength` does, with the same
/// pixels as the command line makes from the same files.
#[test]
fn serve_starts_from_an_uploaded_picture_as_generate_does() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    let server = Server::start(&home, &data, &[]);
    let photo = photo_bytes(96, 64, image::ImageFormat::Png);
    let mask = mask_bytes(96, 64);
    let settings = serde_json::json!({
        "caption": "Bus stop", "seed": 7, "steps": 4, "size": SIZE,
    });
    let with = |extra: Value| {
        let mut body = settings.clone();
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    // The name is a path on the user's computer: only its last part is kept.
    let id = submit(
        &server,
        &with(serde_json::json!({
            "init_image": { "name": "C:\\Users\\kim\\시청 사진.png", "data": b64(&photo) },
            "mask": { "name": "mask.png", "data": format!("data:image/png;base64,{}", b64(&mask)) },
            "strength": 0.5,
        })),
    );
    let plain = submit(&server, &settings);
    // A JPEG without a name is recorded by what it is.
    let jpeg = photo_bytes(96, 64, image::ImageFormat::Jpeg);
    let unnamed = submit(
        &server,
        &with(serde_json::json!({ "init_image": { "data": b64(&jpeg) } })),
    );
    for job in [&id, &plain, &unnamed] {
        let s = wait_for(&server, job, &["done", "failed"]);
        assert_eq!(s["state"], "done", "{s}");
    }
    let served = data.join("images").join(format!("{id}.png"));
    let meta = reportfig::output::read_metadata(&served).unwrap().unwrap();
    let init = meta
        .init_image
        .clone()
        .expect("the PNG records its picture");
    assert_eq!(init.file, "시청 사진.png");
    assert_eq!(init.sha256, common::sha256_hex(&photo));
    assert_eq!(init.strength, 0.5);
    let recorded_mask = init.mask.clone().expect("and its mask");
    assert_eq!(recorded_mask.file, "mask.png");
    assert_eq!(recorded_mask.sha256, common::sha256_hex(&mask));
    let unnamed_meta =
        reportfig::output::read_metadata(&data.join("images").join(format!("{unnamed}.png")))
            .unwrap()
            .unwrap();
    let unnamed_init = unnamed_meta.init_image.unwrap();
    assert_eq!(unnamed_init.file, "upload.jpg");
    assert_eq!(unnamed_init.strength, 0.6, "the CLI's default strength");
    assert_eq!(unnamed_init.sha256, common::sha256_hex(&jpeg));

    // The command line, from the same files, makes the same picture and the same record.
    let files = tmp.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let photo_path = files.join("시청 사진.png");
    std::fs::write(&photo_path, &photo).unwrap();
    let mask_path = files.join("mask.png");
    std::fs::write(&mask_path, &mask).unwrap();
    let out = files.join("cli.png");
    let mut cmd = common::reportfig_offline(&home);
    cmd.args(["generate", "Bus stop", "--no-translate", "--model"])
        .arg(common::tiny_turbo())
        .args([
            "--steps",
            "4",
            "--seed",
            "7",
            "--size",
            SIZE,
            "--strength",
            "0.5",
        ])
        .arg("--init-image")
        .arg(&photo_path)
        .arg("--mask")
        .arg(&mask_path)
        .arg("-o")
        .arg(&out);
    common::ok(cmd);
    let cli = reportfig::output::read_metadata(&out).unwrap().unwrap();
    assert_eq!(cli.init_image, meta.init_image);
    assert_eq!(cli.steps, meta.steps);
    assert_eq!((cli.width, cli.height), (meta.width, meta.height));
    let pixels = |p: &Path| image::open(p).unwrap().to_rgb8();
    assert_eq!(
        pixels(&out),
        pixels(&served),
        "the same picture as the CLI's"
    );
    let plain_pixels = pixels(&data.join("images").join(format!("{plain}.png")));
    assert_ne!(
        pixels(&served),
        plain_pixels,
        "the picture changed the result"
    );
}

/// Starting pictures the server cannot use: 400 (413 when too large) in the caller's
/// language, naming the file, and nothing written.
#[test]
fn serve_bad_starting_pictures_are_refused_and_write_nothing() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&tmp.path().join("home"), &data, &[]);
    let url = server.url("/api/images");
    let send = |body: &Value, lang: Option<&str>| {
        let text = body.to_string();
        call(
            "POST",
            &url,
            None,
            lang,
            Some(("application/json", text.as_bytes())),
        )
    };
    let photo = b64(&photo_bytes(96, 64, image::ImageFormat::Png));
    let picture = |name: &str, data: &str| serde_json::json!({ "name": name, "data": data });
    let body = |extra: Value| {
        let mut b = serde_json::json!({ "caption": "Bus stop", "size": SIZE, "steps": 2 });
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let gif = b64(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;");
    for (extra, en, ko) in [
        (
            serde_json::json!({ "init_image": picture("notes.png", &b64(b"not a picture")) }),
            "notes.png is not a PNG or JPEG picture",
            "notes.png",
        ),
        (
            serde_json::json!({ "init_image": picture("logo.gif", &gif) }),
            "logo.gif is not a PNG or JPEG",
            "logo.gif",
        ),
        (
            serde_json::json!({ "init_image": picture("icon.png",
                &b64(&photo_bytes(32, 100, image::ImageFormat::Png))) }),
            "32x100",
            "32x100",
        ),
        (
            serde_json::json!({ "init_image": picture("hall.png", "%%% not base64") }),
            "hall.png is not base64",
            "base64",
        ),
        (
            serde_json::json!({ "init_image": picture("hall.png", &photo), "strength": 1.5 }),
            "strength 1.5 must be above 0 and at most 1",
            "1.5",
        ),
        (
            serde_json::json!({ "init_image": picture("hall.png", &photo), "strength": 0 }),
            "strength 0 must be",
            "strength 0",
        ),
        (
            serde_json::json!({ "strength": 0.5 }),
            "strength only applies to a starting picture",
            "시작 그림",
        ),
        (
            serde_json::json!({ "mask": picture("mask.png", &b64(&mask_bytes(96, 64))) }),
            "a mask only applies to a starting picture",
            "가림 그림",
        ),
        (
            serde_json::json!({ "init_image": picture("hall.png", &photo),
                "mask": picture("mask.png", &b64(&mask_bytes(64, 64))) }),
            "the mask mask.png is 64x64 but the starting picture is 96x64",
            "mask.png",
        ),
        (
            serde_json::json!({ "init_image": { "name": "hall.png", "data": photo, "path": "/etc/passwd" } }),
            "path",
            "path",
        ),
    ] {
        let b = body(extra);
        for (lang, want) in [(None, en), (Some("ko-KR,ko;q=0.9"), ko)] {
            let r = send(&b, lang);
            assert_eq!(
                r.status,
                400,
                "{want}: {}",
                String::from_utf8_lossy(&r.body)
            );
            assert!(r.error().contains(want), "{lang:?}: {}", r.error());
        }
    }
    // A file over the limit, though the request as a whole is not: 413 naming it.
    let big = vec![0u8; 10 * 1024 * 1024 + 1];
    for (lang, want) in [
        (None, "the picture big.png is larger than 10 MiB"),
        (Some("ko"), "big.png"),
    ] {
        let r = send(
            &body(serde_json::json!({ "init_image": picture("big.png", &b64(&big)) })),
            lang,
        );
        assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
        assert!(r.error().contains(want), "{}", r.error());
    }
    // A request over the whole limit: refused before it is read (413, or the connection
    // closed while the client is still sending).
    let huge = body(serde_json::json!({
        "init_image": picture("a.png", &"A".repeat(14 * 1024 * 1024)),
        "mask": picture("b.png", &"A".repeat(14 * 1024 * 1024)),
    }))
    .to_string();
    match try_call(
        "POST",
        &url,
        None,
        None,
        Some(("application/json", huge.as_bytes())),
    ) {
        Ok(r) => {
            assert_eq!(r.status, 413);
            assert!(r.error().contains("MiB"), "{}", r.error());
        }
        Err(e) => assert!(!e.is_empty()),
    }
    // A long caption is still a caption too long, not a body too large.
    let long = serde_json::json!({ "caption": "x".repeat(70 * 1024) });
    let r = send(&long, None);
    assert_eq!(r.status, 400);
    assert!(r.error().contains("500 characters"), "{}", r.error());
    assert!(stored(&data).is_empty(), "{:?}", stored(&data));
}

/// A comparison over the API: one job whose progress counts its pictures, whose result is
/// the labelled sheet `compare` makes (its cells' requests in the PNG), cancellable like an
/// image, and refused with clear words for what the server cannot do.
#[test]
fn serve_compare_makes_the_labelled_sheet_of_compare() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    let server = Server::start(&home, &data, &[]);
    let styles: Vec<String> = get(&server, "/api/styles").json().as_array().unwrap()[..2]
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    let body = serde_json::json!({
        "caption": "Bus stop", "styles": styles, "seeds": [1, 2], "steps": 2, "size": SIZE,
    });
    let text = body.to_string();
    let r = call(
        "POST",
        &server.url("/api/compares"),
        None,
        None,
        Some(("application/json", text.as_bytes())),
    );
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["seed"], 1);
    let id = r.json()["id"].as_str().unwrap().to_string();
    // Progress goes by pictures: seen while running, never past 1.
    let mut seen_cells = false;
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        let s = get(&server, &format!("/api/compares/{id}")).json();
        assert_eq!(s["kind"], "compare", "{s}");
        if s["state"] == "running" && s["cells"] == 4 {
            seen_cells = true;
            let cell = s["cell"].as_u64().unwrap();
            assert!((1..=4).contains(&cell), "{s}");
        }
        if s["state"] == "done" || s["state"] == "failed" {
            break s;
        }
        assert!(Instant::now() < deadline, "{s}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status["state"], "done", "{status}");
    assert!(
        seen_cells,
        "a running comparison says which picture it is on"
    );
    assert_eq!(status["image"], format!("/api/compares/{id}.png"));
    let png = get(&server, &format!("/api/compares/{id}.png"));
    assert_eq!(png.status, 200);
    assert_eq!(png.content_type, "image/png");
    let sheet = image::load_from_memory(&png.body).unwrap().to_rgb8();
    // Two columns and two rows of 64-pixel pictures with labels: larger than the cells.
    assert!(
        sheet.width() > 2 * 64 && sheet.height() > 2 * 64,
        "{:?}",
        sheet.dimensions()
    );
    let on_disk = data.join("images").join(format!("{id}.png"));
    let meta = reportfig::output::read_text_chunk(&on_disk, reportfig::compare::SHEET_KEYWORD)
        .unwrap()
        .expect("the sheet records its cells as compare's does");
    let meta: Value = serde_json::from_str(&meta).unwrap();
    let text = meta.to_string();
    for want in [styles[0].as_str(), styles[1].as_str(), "Bus stop"] {
        assert!(text.contains(want), "{want}: {text}");
    }
    // It is not an image, and an image is not a comparison.
    let plain = submit(
        &server,
        &serde_json::json!({ "caption": "a", "steps": 1, "size": SIZE }),
    );
    assert_eq!(get(&server, &format!("/api/compares/{plain}")).status, 404);

    // Cancel: a long comparison stops and leaves nothing.
    let long = serde_json::json!({
        "caption": "a long comparison", "seeds": [1, 2], "steps": 1000, "size": SIZE,
    })
    .to_string();
    let r = call(
        "POST",
        &server.url("/api/compares"),
        None,
        None,
        Some(("application/json", long.as_bytes())),
    );
    assert_eq!(r.status, 202);
    let long_id = r.json()["id"].as_str().unwrap().to_string();
    wait_for_state(&server, &format!("/api/compares/{long_id}"), &["running"]);
    let d = call(
        "DELETE",
        &server.url(&format!("/api/compares/{long_id}")),
        None,
        None,
        None,
    );
    assert_eq!(d.status, 200);
    assert_eq!(d.json()["was"], "running");
    let deadline = Instant::now() + Duration::from_secs(60);
    while stored(&data).iter().any(|f| f.starts_with(&long_id)) {
        assert!(Instant::now() < deadline, "{:?}", stored(&data));
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_for(&server, &plain, &["done"]);

    // What the server refuses, in both languages, before anything is queued.
    let send = |body: Value, lang: Option<&str>| {
        let text = body.to_string();
        call(
            "POST",
            &server.url("/api/compares"),
            None,
            lang,
            Some(("application/json", text.as_bytes())),
        )
    };
    for (body, en, ko) in [
        (
            serde_json::json!({ "caption": "a", "vary": ["model=sd-turbo,sdxl-turbo"] }),
            "cannot vary the model",
            "모델",
        ),
        (
            serde_json::json!({ "caption": "a", "vary": ["colour=red"] }),
            "there is no axis \"colour\"",
            "colour",
        ),
        (
            serde_json::json!({ "caption": "a", "vary": ["strength=0.4,0.8"] }),
            "strength only applies to a starting picture",
            "시작 그림",
        ),
        (
            serde_json::json!({ "caption": "a", "seeds": (1..=17).collect::<Vec<u64>>() }),
            "17 pictures; this server makes at most 16",
            "16",
        ),
        (
            serde_json::json!({ "caption": "a", "styles": ["no-such-style"] }),
            "no-such-style",
            "no-such-style",
        ),
        (
            serde_json::json!({ "caption": " " }),
            "caption is empty",
            "비어",
        ),
        (
            serde_json::json!({ "caption": "a", "seed": 1 }),
            "the comparison is not what the API takes",
            "비교 요청",
        ),
    ] {
        for (lang, want) in [(None, en), (Some("ko"), ko)] {
            let r = send(body.clone(), lang);
            assert_eq!(
                r.status,
                400,
                "{body}: {}",
                String::from_utf8_lossy(&r.body)
            );
            assert!(r.error().contains(want), "{body} {lang:?}: {}", r.error());
        }
    }
    let files = stored(&data);
    assert_eq!(
        files.len(),
        4,
        "the sheet and the image, each with its record: {files:?}"
    );
}

/// A comparison of strengths from an uploaded picture, as `compare --init-image --vary
/// strength=…` makes it: every cell records the picture at its strength.
#[test]
fn serve_compare_varies_the_strength_of_an_uploaded_picture() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&tmp.path().join("home"), &data, &[]);
    let photo = photo_bytes(96, 64, image::ImageFormat::Png);
    let body = serde_json::json!({
        "caption": "Bus stop", "seeds": [3], "steps": 4, "size": SIZE,
        "vary": ["strength=0.5,1"],
        "init_image": { "name": "hall.png", "data": b64(&photo) },
    })
    .to_string();
    let r = call(
        "POST",
        &server.url("/api/compares"),
        None,
        None,
        Some(("application/json", body.as_bytes())),
    );
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_str().unwrap().to_string();
    let s = wait_for_state(&server, &format!("/api/compares/{id}"), &["done", "failed"]);
    assert_eq!(s["state"], "done", "{s}");
    let meta = reportfig::output::read_text_chunk(
        &data.join("images").join(format!("{id}.png")),
        reportfig::compare::SHEET_KEYWORD,
    )
    .unwrap()
    .unwrap();
    let text: Value = serde_json::from_str(&meta).unwrap();
    let mut strengths = Vec::new();
    let sha = common::sha256_hex(&photo);
    walk_json(&text, &mut |v| {
        if let Some(init) = v.get("init_image").filter(|i| i.is_object()) {
            assert_eq!(init["file"], "hall.png");
            assert_eq!(init["sha256"], sha.as_str());
            strengths.push(init["strength"].as_f64().unwrap());
        }
    });
    assert_eq!(strengths, vec![0.5, 1.0], "{text}");
}

/// Calls `f` on every value of a JSON tree.
fn walk_json(v: &Value, f: &mut dyn FnMut(&Value)) {
    f(v);
    match v {
        Value::Array(a) => a.iter().for_each(|x| walk_json(x, f)),
        Value::Object(o) => o.values().for_each(|x| walk_json(x, f)),
        _ => {}
    }
}

/// A request from another computer behind the proxy on this machine (as `X-Forwarded-For`
/// names it), with optional cookie.
pub(crate) fn post_as(
    server: &Server,
    path: &str,
    body: &Value,
    from: Option<&str>,
    cookie: Option<&str>,
    lang: Option<&str>,
) -> (Reply, Option<String>) {
    let mut req = agent()
        .post(&server.url(path))
        .set("Content-Type", "application/json");
    if let Some(ip) = from {
        req = req.set("X-Forwarded-For", ip);
    }
    if let Some(c) = cookie {
        req = req.set("Cookie", c);
    }
    if let Some(l) = lang {
        req = req.set("Accept-Language", l);
    }
    let resp = match req.send_string(&body.to_string()) {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let set_cookie = resp.header("Set-Cookie").map(str::to_string);
    let status = resp.status();
    let retry_after = resp.header("Retry-After").map(str::to_string);
    let content_type = resp.content_type().to_string();
    let mut bytes = Vec::new();
    resp.into_reader().read_to_end(&mut bytes).unwrap();
    (
        Reply {
            status,
            retry_after,
            www_authenticate: None,
            content_type,
            body: bytes,
        },
        set_cookie,
    )
}

/// `--per-client`: one computer may have only so many jobs waiting (a clear 429 in both
/// languages, with Retry-After); another computer still gets in, and a place frees when one
/// of the first computer's jobs leaves the line.
#[test]
fn serve_per_client_cap_answers_429_and_leaves_room_for_others() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(
        &tmp.path().join("home"),
        &data,
        &["--queue", "10", "--per-client", "2"],
    );
    assert_eq!(get(&server, "/api/health").json()["per_client"], 2);
    let running = submit(&server, &long_job());
    wait_for(&server, &running, &["running"]);
    let job = |c: &str| serde_json::json!({ "caption": c, "seed": 1, "size": SIZE });
    let a1 = submit(&server, &job("a1"));
    let a2 = submit(&server, &job("a2"));
    for (lang, want) in [
        (
            None,
            "2 of your images are already waiting, the most one computer may have at once (2)",
        ),
        (Some("ko-KR"), "이미 2개"),
    ] {
        let (r, _) = post_as(&server, "/api/images", &job("a3"), None, None, lang);
        assert_eq!(r.status, 429, "{}", String::from_utf8_lossy(&r.body));
        assert!(r.retry_after.as_deref().unwrap().parse::<u64>().unwrap() >= 1);
        assert!(r.error().contains(want), "{}", r.error());
    }
    // A comparison is one job, and counts like one.
    let compare = serde_json::json!({ "caption": "a3", "seeds": [1], "size": SIZE });
    let (r, _) = post_as(&server, "/api/compares", &compare, None, None, None);
    assert_eq!(r.status, 429, "{}", String::from_utf8_lossy(&r.body));
    // An outline of one figure does not fit either; one larger than the share never will.
    let outline = upload(&server, "name=a.txt", "one figure\n", None);
    assert_eq!(
        outline.status,
        429,
        "{}",
        String::from_utf8_lossy(&outline.body)
    );
    let other = agent()
        .post(&server.url("/api/batches?name=b.txt"))
        .set("X-Forwarded-For", "10.0.0.7")
        .send_string("one\ntwo\nthree\n");
    let other = match other {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(other.status(), 400);
    let text = other.into_string().unwrap();
    assert!(
        text.contains("more than one computer may have waiting on this server (2)"),
        "{text}"
    );
    // Another computer is not held back by the first one's share.
    let (b1, _) = post_as(
        &server,
        "/api/images",
        &job("b1"),
        Some("10.0.0.7"),
        None,
        None,
    );
    assert_eq!(b1.status, 202, "{}", String::from_utf8_lossy(&b1.body));
    let b1 = b1.json()["id"].as_str().unwrap().to_string();
    // One of the first computer's jobs leaves the line: it has a place again.
    let d = call(
        "DELETE",
        &server.url(&format!("/api/images/{a1}")),
        None,
        None,
        None,
    );
    assert_eq!(d.status, 200);
    let a3 = submit(&server, &job("a3"));
    for id in [&running, &a2, &a3, &b1] {
        call(
            "DELETE",
            &server.url(&format!("/api/images/{id}")),
            None,
            None,
            None,
        );
    }
}

/// The page's history: every browser gets its own cookie, its images and comparisons are
/// listed for it newest first and for nobody else, and the list survives a restart.
#[test]
fn serve_history_lists_this_browsers_images_only() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    let server = Server::start(&home, &data, &[]);
    // The page gives a browser its cookie on the first visit.
    let page = agent().get(&server.url("/")).call().unwrap();
    let set = page.header("Set-Cookie").unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let mine = set.split(';').next().unwrap().to_string();
    assert!(
        mine.starts_with("reportfig-owner=") && mine.len() == 16 + 32,
        "{mine}"
    );
    let list = |cookie: Option<&str>| {
        let mut req = agent().get(&server.url("/api/images?mine"));
        if let Some(c) = cookie {
            req = req.set("Cookie", c);
        }
        let v: Value = serde_json::from_str(&req.call().unwrap().into_string().unwrap()).unwrap();
        v["images"].as_array().unwrap().clone()
    };
    assert!(list(Some(&mine)).is_empty());
    let job = |c: &str, seed: u64| serde_json::json!({ "caption": c, "seed": seed, "steps": 1, "size": SIZE });
    let (first, none) = post_as(
        &server,
        "/api/images",
        &job("first", 1),
        None,
        Some(&mine),
        None,
    );
    assert_eq!(first.status, 202);
    assert_eq!(none, None, "a browser with a cookie keeps it");
    let first = first.json()["id"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(1100));
    let (second, _) = post_as(
        &server,
        "/api/compares",
        &serde_json::json!({ "caption": "second", "seeds": [2], "steps": 1, "size": SIZE }),
        None,
        Some(&mine),
        None,
    );
    assert_eq!(
        second.status,
        202,
        "{}",
        String::from_utf8_lossy(&second.body)
    );
    let second = second.json()["id"].as_str().unwrap().to_string();
    // Someone else (another cookie, or none: a script is given one it may ignore).
    let (theirs, their_cookie) =
        post_as(&server, "/api/images", &job("theirs", 3), None, None, None);
    assert_eq!(theirs.status, 202);
    let their_cookie = their_cookie.expect("a request without a cookie is given one");
    let theirs = theirs.json()["id"].as_str().unwrap().to_string();
    wait_for(&server, &first, &["done"]);
    wait_for_state(&server, &format!("/api/compares/{second}"), &["done"]);
    wait_for(&server, &theirs, &["done"]);

    let listed = list(Some(&mine));
    let ids: Vec<&str> = listed.iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        vec![second.as_str(), first.as_str()],
        "newest first, mine only"
    );
    assert_eq!(listed[0]["kind"], "compare");
    assert_eq!(listed[0]["image"], format!("/api/compares/{second}.png"));
    assert_eq!(listed[1]["kind"], "image");
    assert_eq!(listed[1]["caption"], "first");
    assert_eq!(listed[1]["image"], format!("/api/images/{first}.png"));
    let their_list = list(Some(their_cookie.split(';').next().unwrap()));
    assert_eq!(their_list.len(), 1);
    assert_eq!(their_list[0]["id"], theirs.as_str());
    assert!(list(None).is_empty(), "without a cookie nothing is listed");
    assert!(list(Some("reportfig-owner=../../x")).is_empty());
    // The records keep the cookie's hash, not the cookie.
    let value = mine.split('=').nth(1).unwrap();
    for f in stored(&data).iter().filter(|f| f.ends_with(".json")) {
        let text = std::fs::read_to_string(data.join("images").join(f)).unwrap();
        assert!(!text.contains(value), "{f}: {text}");
    }
    // A restart keeps the history.
    assert!(server.stop().success());
    let server = Server::start(&home, &data, &[]);
    let again: Vec<String> = {
        let mut req = agent().get(&server.url("/api/images?mine"));
        req = req.set("Cookie", &mine);
        let v: Value = serde_json::from_str(&req.call().unwrap().into_string().unwrap()).unwrap();
        v["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(again, vec![second, first]);
}

/// A ZIP of `files` (path, bytes), as a file manager's "compress" makes it.
fn zip_of(files: &[(String, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// An outline whose figures start from photos, uploaded as one ZIP of the report's folder:
/// each figure starts from its picture (and mask) exactly as `batch` does from the same
/// folder, with the same pixels and the same records; what the ZIP lacks or holds wrongly is
/// a 400 naming the file, in the caller's language, and nothing is written.
#[test]
fn serve_batch_zip_brings_the_outlines_pictures() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    let server = Server::start(&home, &data, &[]);
    let report = tmp.path().join("report");
    std::fs::create_dir_all(report.join("photos")).unwrap();
    let harbour = photo_bytes(96, 64, image::ImageFormat::Png);
    let park = photo_bytes(64, 64, image::ImageFormat::Jpeg);
    let mask = mask_bytes(96, 64);
    let outline = "# Harbour plan\n\n그림: Harbour {image=photos/harbour.png mask=photos/harbour-mask.png strength=0.5}\n\n그림: Park {image=./photos/park.jpg}\n\n그림: Bus stop\n";
    let files: [(&str, &[u8]); 4] = [
        ("outline.md", outline.as_bytes()),
        ("photos/harbour.png", &harbour),
        ("photos/harbour-mask.png", &mask),
        ("photos/park.jpg", &park),
    ];
    for (name, bytes) in files {
        std::fs::write(report.join(name), bytes).unwrap();
    }
    // Packed under the folder's own name, as "compress" on a folder does.
    let packed: Vec<(String, &[u8])> = files
        .iter()
        .map(|(n, b)| (format!("report/{n}"), *b))
        .collect();
    let r = call(
        "POST",
        &server.url("/api/batches?name=report.zip&size=64x64&seed=7"),
        None,
        None,
        Some(("application/zip", &zip_of(&packed))),
    );
    assert_eq!(r.status, 202, "{}", r.error());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let status = wait_for_batch(&server, &id, &["done", "failed", "cancelled"]);
    assert_eq!(status["state"], "done", "{status}");
    let zip = get(&server, &format!("/api/batches/{id}.zip"));
    assert_eq!(zip.status, 200);
    let served = tmp.path().join("served");
    zip::ZipArchive::new(std::io::Cursor::new(zip.body))
        .unwrap()
        .extract(&served)
        .unwrap();
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(served.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["outline"], "outline.md");

    // `batch` on the folder itself, with the same settings.
    let mut cmd = common::reportfig_offline(&home);
    cmd.arg("batch")
        .arg(report.join("outline.md"))
        .arg("--model")
        .arg(common::tiny_turbo())
        .args(["--size", "64x64", "--seed", "7", "--no-translate"]);
    common::ok(cmd);
    let names = ["01-harbour.png", "02-park.png", "03-bus-stop.png"];
    for name in names {
        let ours = served.join(name);
        let cli = report.join("figures").join(name);
        let (a, b) = (
            reportfig::output::read_metadata(&ours).unwrap().unwrap(),
            reportfig::output::read_metadata(&cli).unwrap().unwrap(),
        );
        assert_eq!(a.init_image, b.init_image, "{name}");
        assert_eq!((a.seed, a.steps), (b.seed, b.steps), "{name}");
        let pixels = |p: &Path| image::open(p).unwrap().to_rgb8();
        assert_eq!(
            pixels(&ours),
            pixels(&cli),
            "{name}: the same picture as batch's"
        );
    }
    let meta = |name: &str| {
        reportfig::output::read_metadata(&served.join(name))
            .unwrap()
            .unwrap()
            .init_image
    };
    let h = meta(names[0]).expect("the harbour starts from its photo");
    assert_eq!((h.file.as_str(), h.strength), ("harbour.png", 0.5));
    assert_eq!(h.sha256, common::sha256_hex(&harbour));
    assert_eq!(h.mask.unwrap().sha256, common::sha256_hex(&mask));
    let p = meta(names[1]).expect("the park too");
    assert_eq!((p.file.as_str(), p.strength), ("park.jpg", 0.6));
    assert_eq!(meta(names[2]), None);

    // What a ZIP can get wrong: 400 naming the file, in English and Korean; nothing written.
    let one =
        |name: &str, bytes: &[u8]| -> (String, Vec<u8>) { (name.to_string(), bytes.to_vec()) };
    // (the ZIP's files, the English and the Korean the refusal must hold)
    type Case<'a> = (Vec<(String, Vec<u8>)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![
                one("outline.md", b"## Harbour {image=photos/harbor.png}\n"),
                one("photos/harbour.png", &harbour),
            ],
            "image \"photos/harbor.png\" is not in the uploaded ZIP",
            "올린 ZIP 파일 안",
        ),
        (
            vec![one("photos/harbour.png", &harbour)],
            "report.zip holds no outline",
            "개요 파일(.md, .txt 또는 .csv)이 없습니다",
        ),
        (
            vec![one("a.md", b"A park\n"), one("b.txt", b"A bridge\n")],
            "several outlines: a.md, b.txt",
            "개요 파일이 여러 개",
        ),
        (
            vec![
                one("outline.md", b"## Harbour {image=photos/harbour.png}\n"),
                one("photos/harbour.png", b"not a picture"),
            ],
            "harbour.png",
            "harbour.png",
        ),
    ];
    for (entries, en, ko) in cases {
        let entries: Vec<(String, &[u8])> = entries
            .iter()
            .map(|(n, b)| (n.clone(), b.as_slice()))
            .collect();
        let body = zip_of(&entries);
        for (lang, want) in [(None, en), (Some("ko-KR,ko;q=0.9"), ko)] {
            let r = upload_zip(&server, lang, &body);
            assert_eq!(r.status, 400, "{}", r.error());
            assert!(r.error().contains(want), "{:?} lacks {want:?}", r.error());
        }
    }
    let mut cut = zip_of(&packed);
    cut.truncate(cut.len() - 30);
    let r = upload_zip(&server, None, &cut);
    assert_eq!(r.status, 400, "{}", r.error());
    assert!(
        r.error().contains("cannot be read as a ZIP"),
        "{}",
        r.error()
    );
    assert_eq!(
        batch_folders(&data),
        vec![id],
        "only the good upload was kept"
    );
}
