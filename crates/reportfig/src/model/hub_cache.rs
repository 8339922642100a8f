//! Downloads from a Hugging Face hub into its cache layout, with every name checked.
//!
//! hf-hub 0.4's `download` files a reply under names taken from the reply's headers as they
//! come (`blobs/<ETag>`, `snapshots/<X-Repo-Commit>/`, `refs/<commit>`), so a hub that lies
//! (an untrusted mirror in HF_ENDPOINT, a man in the middle) can make it write outside the
//! cache, and then trip an assertion in hf-hub. This module writes the layout huggingface_hub
//! and hf-hub read (`blobs/<etag>`, `snapshots/<commit>/<file>` as a relative symlink to the
//! blob, `refs/<revision>` holding the commit), but every name comes from a checked value,
//! decided once from the hub's one answer about the file. The bytes, which may come from a
//! second request (the CDN, or a resumed range), are held to the announced size and, when
//! the ETag is a content hash as the hub's are, to that hash before the blob gets its name:
//! a hub that answers differently the second time gets an error, not a file.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::Digest as _;

use super::source::DownloadEvent;

/// Redirects followed within the hub (a renamed repo) before giving up.
const MAX_REDIRECTS: usize = 5;

/// A commit id as the hub writes it: 40 lowercase hex digits.
pub fn is_commit(s: &str) -> bool {
    s.len() == 40 && is_lower_hex(s)
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Why `rev` cannot name a branch, tag or commit: git's rules for ref names
/// (`git check-ref-format`) as far as they keep `refs/<rev>` inside the cache on every
/// system, since the revision names that file.
pub fn check_revision(rev: &str) -> Result<(), &'static str> {
    if rev.is_empty() {
        return Err("the revision after @ is empty");
    }
    if rev.len() > 255 {
        return Err("the revision after @ is longer than 255 characters");
    }
    if rev.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the revision after @ has spaces or control characters");
    }
    if rev.contains('\\') {
        return Err("the revision after @ cannot have a backslash");
    }
    if rev.contains([':', '?', '*', '[', '~', '^']) || rev.contains("@{") {
        return Err("the revision after @ cannot have any of : ? * [ ~ ^ or @{");
    }
    if rev.starts_with('/') {
        return Err("the revision after @ cannot start with / (it is not a path)");
    }
    for part in rev.split('/') {
        if part.is_empty() {
            return Err("the revision after @ has an empty part between slashes");
        }
        if part.starts_with('.') {
            return Err("no part of the revision after @ can be '..' or start with '.'");
        }
    }
    Ok(())
}

/// How a blob's bytes are held to its ETag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The ETag is the sha256 of the bytes (the hub's LFS files).
    Sha256,
    /// The ETag is git's id of the bytes (the hub's other files).
    GitBlob,
    /// An opaque tag: only the announced size holds.
    Size,
}

/// The name an ETag gives a file in `blobs/`, and how its bytes are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub name: String,
    pub check: Check,
}

/// The blob for an ETag header value. The hub's ETags are content hashes in hex and name the
/// blob as they are, as huggingface_hub and hf-hub name it; another server's opaque tag (an
/// nginx `"5f3c-1a2b"`) is hashed into a name; a tag with a slash, a backslash or a control
/// character, or one longer than any server sends, is a lie and refused.
pub fn blob_for_etag(raw: &str) -> Result<Blob, &'static str> {
    let tag = raw.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"');
    if tag.is_empty() {
        return Err("is empty");
    }
    if tag.len() > 256 {
        return Err("is longer than 256 characters");
    }
    if tag.contains(['/', '\\']) || tag.chars().any(char::is_control) {
        return Err("has a slash, backslash or control character, as no file's tag does");
    }
    if is_lower_hex(tag) && tag.len() <= 128 {
        let check = match tag.len() {
            64 => Check::Sha256,
            40 => Check::GitBlob,
            _ => Check::Size,
        };
        return Ok(Blob {
            name: tag.to_string(),
            check,
        });
    }
    Ok(Blob {
        name: hex(&sha2::Sha256::digest(tag.as_bytes())),
        check: Check::Size,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file path inside a repo that stays inside `snapshots/<commit>/`: `/`-separated plain
/// names, none empty, none starting with `.`.
pub(crate) fn is_repo_file(file: &str) -> bool {
    !file.is_empty()
        && file.len() < 1024
        && !file.contains(['\\', ':'])
        && !file.chars().any(char::is_control)
        && file
            .split('/')
            .all(|part| !part.is_empty() && !part.starts_with('.'))
}

/// Why a file could not be had.
#[derive(Debug)]
pub enum Failure {
    /// The request failed, or the hub refused it.
    Request(Box<ureq::Error>),
    /// The hub sent something that cannot be true; the text says what, with the value.
    Lied(String),
    /// The connection ended before all the bytes came.
    Short { got: u64, want: u64 },
    /// Another download of the same blob holds this lock.
    Locked(PathBuf),
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Failure + 'a {
    move |source| Failure::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// `text` from the hub with the token taken out: a hub that was sent the token could send
/// it back, and it must never be printed. Done before anything cuts the text short, so no
/// part of the token survives either.
pub fn redact(text: &str, token: Option<&str>) -> String {
    match token.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => text.replace(t, "(token hidden)"),
        None => text.to_string(),
    }
}

/// Text a server chose (a status line), as it goes into a message: printable characters
/// only, cut short when long.
pub fn plain(text: &str) -> String {
    let kept: String = text.chars().filter(|c| !c.is_control()).take(80).collect();
    if kept.len() < text.len() && text.chars().count() > 80 {
        format!("{kept}…")
    } else {
        kept
    }
}

/// The value as it goes into a message: quoted, escaped, and cut short when long.
pub fn shown(value: &str) -> String {
    const MAX: usize = 80;
    let n = value.chars().count();
    if n <= MAX {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("{head:?}… ({n} characters)")
    }
}

/// One repo at one commit, on the hub and in the cache.
pub struct HubFiles<'a> {
    /// Hub base URL, without a trailing slash.
    pub endpoint: &'a str,
    pub token: Option<&'a str>,
    /// `org/name`, already checked.
    pub repo: &'a str,
    /// Already checked with [`is_commit`].
    pub commit: &'a str,
    /// `<cache>/models--org--name`.
    pub repo_dir: PathBuf,
}

/// Where the bytes of a file are, after the hub's answer about it.
enum Body {
    /// In this response (the hub's files that are not in LFS).
    Here(Box<ureq::Response>),
    /// At this URL (the CDN the hub redirected to).
    At(url::Url),
}

/// The hub's one answer about a file; the names it holds are checked before use.
struct Answer {
    etag: String,
    commit: Option<String>,
    size: Option<u64>,
    body: Body,
}

fn agent(redirects: u32) -> ureq::Agent {
    ureq::AgentBuilder::new()
        .try_proxy_from_env(true)
        .timeout_connect(Duration::from_secs(30))
        .timeout_read(Duration::from_secs(120))
        .redirects(redirects)
        // The token never goes to another host, such as the CDN.
        .redirect_auth_headers(ureq::RedirectAuthHeaders::SameHost)
        .user_agent(concat!("reportfig/", env!("CARGO_PKG_VERSION")))
        .build()
}

fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Percent-encodes what is not a plain URL path character, keeping `/`.
fn url_path(file: &str) -> String {
    let mut out = String::with_capacity(file.len());
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl HubFiles<'_> {
    /// A value the hub sent, for a message.
    fn show(&self, value: &str) -> String {
        shown(&redact(value, self.token))
    }

    fn snapshot(&self) -> PathBuf {
        self.repo_dir.join("snapshots").join(self.commit)
    }

    fn request(&self, agent: &ureq::Agent, url: &url::Url) -> ureq::Request {
        let req = agent.get(url.as_str());
        let hub = url::Url::parse(self.endpoint);
        match self.token {
            Some(token) if hub.is_ok_and(|hub| same_origin(&hub, url)) => {
                req.set("Authorization", &format!("Bearer {token}"))
            }
            _ => req,
        }
    }

    /// Makes `file` (a path in the repo) available in the snapshot and returns its path
    /// there: downloaded into `blobs/` unless its blob is there, then linked.
    pub fn fetch(
        &self,
        file: &str,
        progress: &mut dyn FnMut(DownloadEvent),
    ) -> Result<PathBuf, Failure> {
        if !is_repo_file(file) {
            return Err(Failure::Lied(format!(
                "the file name {}, which is not a plain path inside the repo",
                self.show(file)
            )));
        }
        let answer = self.ask(file)?;
        if let Some(commit) = answer.commit.as_deref().filter(|c| *c != self.commit) {
            return Err(Failure::Lied(format!(
                "X-Repo-Commit {} for {file}, which is not the commit its file list named ({})",
                self.show(commit),
                self.commit
            )));
        }
        let blob = blob_for_etag(&answer.etag).map_err(|why| {
            Failure::Lied(format!(
                "the ETag {} for {file}, which {why}",
                self.show(&answer.etag)
            ))
        })?;
        let blobs = self.repo_dir.join("blobs");
        let blob_path = blobs.join(&blob.name);
        if !blob_path.is_file() {
            std::fs::create_dir_all(&blobs).map_err(io("create", &blobs))?;
            let _lock = lock(&blobs.join(format!("{}.lock", blob.name)))?;
            // Another process may have finished it while we waited for the lock.
            if !blob_path.is_file() {
                self.download(file, answer, &blob, &blob_path, progress)?;
            }
        }
        let link = self.snapshot().join(file);
        link_to_blob(&link, file, &blob.name)?;
        Ok(link)
    }

    /// Asks the hub for `file` without following redirects off the hub, so the headers that
    /// name the blob are the hub's own, as huggingface_hub reads them.
    fn ask(&self, file: &str) -> Result<Answer, Failure> {
        let start = format!(
            "{}/{}/resolve/{}/{}",
            self.endpoint,
            self.repo,
            self.commit,
            url_path(file)
        );
        let mut url = url::Url::parse(&start)
            .map_err(|e| Failure::Lied(format!("an address {} ({e})", self.show(&start))))?;
        let agent = agent(0);
        for _ in 0..=MAX_REDIRECTS {
            let resp = self
                .request(&agent, &url)
                .call()
                .map_err(|e| Failure::Request(Box::new(e)))?;
            let header = |name: &str| resp.header(name).map(str::to_string);
            let status = resp.status();
            let location = header("location");
            let redirect = matches!(status, 301 | 302 | 303 | 307 | 308);
            if redirect {
                let Some(location) = location else {
                    return Err(Failure::Lied(format!(
                        "a redirect (HTTP {status}) without a Location for {file}"
                    )));
                };
                let target = url.join(&location).map_err(|_| {
                    Failure::Lied(format!(
                        "a redirect to {}, which is not an address, for {file}",
                        self.show(&location)
                    ))
                })?;
                // A relative redirect stays on the hub (a renamed repo); an absolute one
                // points at where the bytes are, and this answer describes them.
                if url::Url::parse(&location).is_err() && !location.starts_with("//") {
                    url = target;
                    continue;
                }
                let answer = Answer {
                    etag: self.etag(&resp, file)?,
                    commit: header("x-repo-commit"),
                    size: self.size_header(&resp, "x-linked-size", file)?,
                    body: Body::At(target),
                };
                return Ok(answer);
            }
            if !(200..300).contains(&status) {
                return Err(Failure::Lied(format!(
                    "HTTP {status} {} for {file}",
                    plain(&redact(resp.status_text(), self.token))
                )));
            }
            let size = match self.size_header(&resp, "x-linked-size", file)? {
                Some(s) => Some(s),
                None => self.size_header(&resp, "content-length", file)?,
            };
            return Ok(Answer {
                etag: self.etag(&resp, file)?,
                commit: header("x-repo-commit"),
                size,
                body: Body::Here(Box::new(resp)),
            });
        }
        Err(Failure::Lied(format!(
            "more than {MAX_REDIRECTS} redirects for {file}"
        )))
    }

    fn etag(&self, resp: &ureq::Response, file: &str) -> Result<String, Failure> {
        resp.header("x-linked-etag")
            .or_else(|| resp.header("etag"))
            .map(str::to_string)
            .ok_or_else(|| Failure::Lied(format!("no ETag for {file}")))
    }

    /// Downloads into `<blob>.part` (resuming it when the ETag lets the result be checked)
    /// and renames it to the blob once size and hash hold; a failed check removes it.
    fn download(
        &self,
        file: &str,
        answer: Answer,
        blob: &Blob,
        blob_path: &Path,
        progress: &mut dyn FnMut(DownloadEvent),
    ) -> Result<(), Failure> {
        let part = blob_path.with_file_name(format!("{}.part", blob.name));
        let mut body = Some(answer.body);
        let mut started = false;
        // A second try from the first byte, when the first resumed a part file that turned
        // out not to match: the part may be from an interrupted run of another tool.
        for attempt in 0..2 {
            let resume = attempt == 0
                && blob.check != Check::Size
                && matches!(body, Some(Body::At(_)))
                && answer.size.is_some();
            let have = match std::fs::metadata(&part) {
                Ok(m) if resume && Some(m.len()) <= answer.size => m.len(),
                _ => 0,
            };
            let resp = match body.take() {
                Some(Body::Here(resp)) => *resp,
                Some(Body::At(url)) => self.fetch_bytes(&url, have)?,
                None => {
                    let again = self.ask(file)?;
                    match again.body {
                        Body::Here(resp) => *resp,
                        Body::At(url) => self.fetch_bytes(&url, 0)?,
                    }
                }
            };
            let (from, total) = self.body_range(&resp, have, file, answer.size)?;
            // Opened only now, so a refused request leaves no empty part file behind.
            let mut out = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&part)
                .map_err(io("create", &part))?;
            let mut hasher = sha2::Sha256::new();
            if from == 0 {
                // Nothing to resume, or the server sent the whole file after all.
                out.set_len(0).map_err(io("write", &part))?;
            } else if blob.check == Check::Sha256 {
                let mut f = File::open(&part).map_err(io("read", &part))?;
                std::io::copy(&mut f, &mut hasher).map_err(io("read", &part))?;
            }
            if !started {
                started = true;
                progress(DownloadEvent::Start {
                    file,
                    bytes: total.unwrap_or(0),
                });
            }
            let got = copy_limited(
                resp.into_reader(),
                &mut out,
                &mut hasher,
                from,
                total,
                &part,
                &mut |done| {
                    progress(DownloadEvent::Advance {
                        file,
                        done,
                        total: total.unwrap_or(done),
                    })
                },
            );
            let got = match got {
                Ok(n) => n,
                Err(Failure::Lied(what)) => {
                    let _ = std::fs::remove_file(&part);
                    return Err(Failure::Lied(format!("{file} with {what}")));
                }
                Err(e) => {
                    if !matches!(e, Failure::Request(_) | Failure::Short { .. })
                        || blob.check == Check::Size
                    {
                        let _ = std::fs::remove_file(&part);
                    }
                    return Err(e);
                }
            };
            if let Some(want) = total.filter(|w| got < *w) {
                if blob.check == Check::Size {
                    let _ = std::fs::remove_file(&part);
                }
                return Err(Failure::Short { got, want });
            }
            out.sync_all().map_err(io("write", &part))?;
            drop(out);
            let actual = match blob.check {
                Check::Sha256 => Some(hex(&hasher.finalize())),
                Check::GitBlob => Some(git_blob_id(&part, got)?),
                Check::Size => None,
            };
            if let Some(actual) = actual.filter(|a| *a != blob.name) {
                let _ = std::fs::remove_file(&part);
                if from > 0 {
                    continue;
                }
                let kind = if blob.check == Check::Sha256 {
                    "sha256"
                } else {
                    "git blob id"
                };
                return Err(Failure::Lied(format!(
                    "{file} with contents that do not match its ETag {} ({kind} {actual})",
                    self.show(&answer.etag)
                )));
            }
            std::fs::rename(&part, blob_path).map_err(io("write", blob_path))?;
            progress(DownloadEvent::Finish { file });
            return Ok(());
        }
        Err(Failure::Lied(format!(
            "{file} with contents that do not match its ETag {}",
            self.show(&answer.etag)
        )))
    }

    /// The bytes at `url` (the CDN), from byte `from` on. The token goes only to the hub.
    fn fetch_bytes(&self, url: &url::Url, from: u64) -> Result<ureq::Response, Failure> {
        let mut req = self.request(&agent(MAX_REDIRECTS as u32), url);
        if from > 0 {
            req = req.set("Range", &format!("bytes={from}-"));
        }
        req.call().map_err(|e| Failure::Request(Box::new(e)))
    }

    fn size_header(
        &self,
        resp: &ureq::Response,
        name: &str,
        file: &str,
    ) -> Result<Option<u64>, Failure> {
        match resp.header(name) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                Failure::Lied(format!(
                    "{name} {} for {file}, which is not a size",
                    self.show(v)
                ))
            }),
        }
    }

    /// Where the body starts in the file and how long the file is, from the response
    /// headers, held to what the hub announced.
    fn body_range(
        &self,
        resp: &ureq::Response,
        asked_from: u64,
        file: &str,
        announced: Option<u64>,
    ) -> Result<(u64, Option<u64>), Failure> {
        let (from, total) = if resp.status() == 206 {
            let range = resp.header("content-range").unwrap_or("");
            let parsed = range
                .strip_prefix("bytes ")
                .and_then(|r| r.split_once('-'))
                .and_then(|(start, rest)| {
                    let (_, total) = rest.split_once('/')?;
                    Some((start.parse::<u64>().ok()?, total.parse::<u64>().ok()))
                });
            match parsed {
                Some((start, total)) if start == asked_from => (start, total),
                _ => {
                    return Err(Failure::Lied(format!(
                        "Content-Range {} for {file} when bytes {asked_from}- were asked for",
                        self.show(range)
                    )))
                }
            }
        } else {
            (0, self.size_header(resp, "content-length", file)?)
        };
        match (announced, total) {
            (Some(a), Some(t)) if a != t => Err(Failure::Lied(format!(
                "{file} as {t} bytes after announcing {a}"
            ))),
            (Some(a), _) => Ok((from, Some(a))),
            (None, t) => Ok((from, t)),
        }
    }
}

/// Appends `reader` to `out` and `hasher`, never past `total` bytes of file; returns the
/// file's length so far.
fn copy_limited(
    mut reader: impl Read,
    out: &mut File,
    hasher: &mut sha2::Sha256,
    from: u64,
    total: Option<u64>,
    part: &Path,
    advance: &mut dyn FnMut(u64),
) -> Result<u64, Failure> {
    let mut buf = vec![0u8; 1 << 16];
    let mut done = from;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(done),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Request(Box::new(ureq::Error::from(e)))),
        };
        if let Some(total) = total.filter(|t| done + n as u64 > *t) {
            return Err(Failure::Lied(format!(
                "more than the {total} bytes it announced"
            )));
        }
        out.write_all(&buf[..n]).map_err(io("write", part))?;
        hasher.update(&buf[..n]);
        done += n as u64;
        advance(done);
    }
}

/// Git's id of a file's contents: sha1 of `blob <length>\0` and the bytes.
fn git_blob_id(path: &Path, len: u64) -> Result<String, Failure> {
    use sha1::Digest as _;
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {len}\0").as_bytes());
    let mut f = File::open(path).map_err(io("read", path))?;
    std::io::copy(&mut f, &mut h).map_err(io("read", path))?;
    Ok(hex(&h.finalize()))
}

/// An exclusive lock on `path`, the lock file hf-hub also takes for the blob; waits up to
/// five seconds for another download to let go.
fn lock(path: &Path) -> Result<File, Failure> {
    let file = File::create(path).map_err(io("create", path))?;
    for _ in 0..5 {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => std::thread::sleep(Duration::from_secs(1)),
            Err(std::fs::TryLockError::Error(e)) => return Err(io("lock", path)(e)),
        }
    }
    Err(Failure::Locked(path.to_path_buf()))
}

/// Points `snapshots/<commit>/<file>` at `blobs/<name>` with a relative symlink, as
/// huggingface_hub does, replacing a dangling one in a single rename.
fn link_to_blob(link: &Path, file: &str, name: &str) -> Result<(), Failure> {
    if link.is_file() {
        return Ok(());
    }
    let dir = link.parent().expect("a snapshot path has a parent");
    std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    // From snapshots/<commit>/<folders of file>/ up to the repo folder.
    let ups = "../".repeat(file.matches('/').count() + 2);
    let target = PathBuf::from(format!("{ups}blobs/{name}"));
    let base = link
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{base}.{}.link", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    place_link(&target, &tmp, &dir.join(&target)).map_err(io("create", &tmp))?;
    std::fs::rename(&tmp, link).map_err(io("create", link))
}

#[cfg(unix)]
fn place_link(target: &Path, at: &Path, _blob: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, at)
}

/// Windows allows symlinks only with developer mode or admin rights; without them the
/// snapshot holds a copy, as huggingface_hub's does there.
#[cfg(windows)]
fn place_link(target: &Path, at: &Path, blob: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_file(target, at).or_else(|_| std::fs::copy(blob, at).map(drop))
}

#[cfg(not(any(unix, windows)))]
fn place_link(_target: &Path, at: &Path, blob: &Path) -> std::io::Result<()> {
    std::fs::copy(blob, at).map(drop)
}

/// Writes `refs/<revision>` (a checked revision) holding `commit`, in a single rename so
/// another reader never sees half of it.
pub fn write_ref(repo_dir: &Path, revision: &str, commit: &str) -> Result<(), Failure> {
    let path = repo_dir.join("refs").join(revision);
    let dir = path.parent().expect("a ref path has a parent");
    std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    let tmp = dir.join(format!(".ref.{}.tmp", std::process::id()));
    std::fs::write(&tmp, commit).map_err(io("write", &tmp))?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io("write", &path)(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_are_forty_lowercase_hex_digits() {
        assert!(is_commit("0123456789abcdef0123456789abcdef01234567"));
        for bad in [
            "",
            "0123456789ABCDEF0123456789abcdef01234567",
            "0123456789abcdef0123456789abcdef0123456",
            "../../../../0123456789abcdef0123456789ab",
            "0123456789abcdef0123456789abcdef01234567/..",
        ] {
            assert!(!is_commit(bad), "{bad}");
        }
    }

    #[test]
    fn revisions_follow_git_ref_rules() {
        for good in ["main", "v1.0", "refs/pr/3", "release/2024-01", "fp16"] {
            assert_eq!(check_revision(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "../../x",
            "..",
            ".",
            "refs/../../x",
            "/etc/x",
            "a//b",
            "a/",
            ".hidden",
            "a\\..\\b",
            "C:x",
            "a b",
            "a\0b",
            "main@{1}",
            "a~1",
        ] {
            assert!(check_revision(bad).is_err(), "{bad:?}");
        }
        assert!(check_revision(&"a".repeat(256)).is_err());
    }

    #[test]
    fn etags_name_blobs_only_as_hashes() {
        let sha256 = "a".repeat(64);
        let git = "b".repeat(40);
        assert_eq!(
            blob_for_etag(&format!("\"{sha256}\"")),
            Ok(Blob {
                name: sha256.clone(),
                check: Check::Sha256
            })
        );
        assert_eq!(
            blob_for_etag(&format!("W/\"{git}\"")).map(|b| b.check),
            Ok(Check::GitBlob)
        );
        // An opaque tag is hashed into a hex name, the same one each time.
        let nginx = blob_for_etag("\"5f3c-1a2b\"").unwrap();
        assert_eq!(nginx.check, Check::Size);
        assert!(nginx.name.len() == 64 && is_lower_hex(&nginx.name));
        assert_eq!(blob_for_etag("\"5f3c-1a2b\"").unwrap(), nginx);
        assert!(blob_for_etag("\"..\"").unwrap().name != "..");
        for bad in [
            "\"../../../../x\"",
            "/etc/passwd",
            "\"..\\\\x\"",
            "\"\"",
            "W/\"\"",
            "a\u{7}b",
        ] {
            assert!(blob_for_etag(bad).is_err(), "{bad:?}");
        }
        assert!(blob_for_etag(&"a".repeat(300)).is_err());
    }

    #[test]
    fn repo_files_stay_in_the_snapshot() {
        assert!(is_repo_file(
            "unet/diffusion_pytorch_model.fp16.safetensors"
        ));
        for bad in [
            "",
            "../x",
            "a/../../x",
            "/etc/x",
            "a//b",
            "a\\b",
            "C:x",
            ".git/x",
        ] {
            assert!(!is_repo_file(bad), "{bad}");
        }
    }

    #[test]
    fn long_values_are_cut_short_in_messages() {
        assert_eq!(shown("../x"), "\"../x\"");
        let long = shown(&"a/".repeat(5000));
        assert!(
            long.len() < 120 && long.ends_with("(10000 characters)"),
            "{long}"
        );
        assert_eq!(shown("a\nb"), "\"a\\nb\"");
    }
}
