//! Bundles: models carried on a USB stick or a shared drive to PCs that cannot reach the
//! internet, as most PCs on a government network cannot.
//!
//! A bundle is a folder laid out as a Hugging Face hub cache, with plain files where the cache
//! has symlinks (FAT and exFAT sticks have none), plus `reportfig-bundle.json`, the manifest:
//!
//! ```text
//! reportfig-bundle.json
//! models--stabilityai--sd-turbo/refs/main                     the commit `main` was
//! models--stabilityai--sd-turbo/snapshots/<commit>/unet/...   every file the model needs
//! ```
//!
//! The manifest names each repo with its revision and commit, and each file with its size and
//! SHA-256. `import` checks every file against it before anything is installed, so a stick
//! pulled out mid-copy or a damaged file installs nothing. The manifest is written last, so an
//! export that was interrupted is not mistaken for a bundle.
//!
//! Every name in a manifest becomes a path, and a manifest comes from another machine: every
//! value is checked (repo ids as the hub allows them, 40-hex commits, git ref rules for
//! revisions, plain relative file paths) before it is joined to a folder.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::hub_cache::{check_revision, is_commit, write_ref};
use super::source::check_repo_id;
use crate::output::{write_atomic_with, OutputError};

/// The manifest's file name inside a bundle folder.
pub const MANIFEST: &str = "reportfig-bundle.json";
const FORMAT: &str = "reportfig-bundle";
const VERSION: u32 = 1;

/// What a repo in a bundle is for (shown to the user; the files are handled alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Model,
    Translator,
    Lora,
    /// A tiny preview decoder for drafts (taesd).
    #[serde(rename = "tiny-decoder")]
    TinyDecoder,
    /// A learned upscaler for `--print` (realesr-general-x4v3).
    Upscaler,
}

/// One repo's snapshot to put into a bundle: where its files are now and which they are.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotFiles {
    /// The name the user gave (a preset or repo id), for messages.
    pub name: String,
    pub kind: Kind,
    pub repo: String,
    /// The branch or tag the commit was resolved from (`main`), or the commit itself.
    pub revision: String,
    pub commit: String,
    /// The snapshot folder the files are in (`…/snapshots/<commit>`).
    pub snapshot: PathBuf,
    /// Paths relative to `snapshot`, `/`-separated.
    pub files: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    version: u32,
    repos: Vec<RepoEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RepoEntry {
    name: String,
    kind: Kind,
    repo: String,
    revision: String,
    commit: String,
    files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    path: String,
    bytes: u64,
    sha256: String,
}

impl RepoEntry {
    fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

/// Why a bundle could not be written or installed.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{} is not a reportfig bundle: it has no {MANIFEST}\nhint: give the folder `reportfig models export` wrote; if the export was interrupted, run it again", dir.display())]
    NotABundle { dir: PathBuf },
    #[error("{} already holds other files and is not a reportfig bundle\nhint: export into a new or empty folder (or into an earlier bundle, which is then added to)", dir.display())]
    NotEmpty { dir: PathBuf },
    #[error("{}: {detail}\nhint: the bundle was damaged or not written by reportfig; export it again", file.display())]
    BadManifest { file: PathBuf, detail: String },
    #[error("{} is missing from the bundle\nhint: the bundle is incomplete (copying stopped early?); copy the whole folder again or export it again; nothing was installed", file.display())]
    Missing { file: PathBuf },
    #[error("{} is {found} bytes but the bundle's manifest says {expected}\nhint: the file was cut short or changed (copying stopped early?); copy the bundle again or export it again; nothing was installed", file.display())]
    WrongSize {
        file: PathBuf,
        expected: u64,
        found: u64,
    },
    #[error("{} does not match the SHA-256 in the bundle's manifest\nhint: the file is damaged; copy the bundle again or export it again; nothing was installed", file.display())]
    WrongHash { file: PathBuf },
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

impl BundleError {
    /// A full or unwritable drive is not bad input; everything else is about the bundle the
    /// user gave (exit 2).
    pub fn is_user_input(&self) -> bool {
        !matches!(self, BundleError::Io { .. })
    }
}

fn io_error<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> BundleError + 'a {
    move |source| BundleError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

fn output_error(e: OutputError, path: &Path) -> BundleError {
    let source = match e {
        OutputError::Write { source, .. } | OutputError::UnwritableFolder { source, .. } => source,
        other => io::Error::other(other.to_string()),
    };
    BundleError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    }
}

/// The cache's folder name for a model repo (`models--org--name`), as huggingface_hub names it.
fn repo_folder(repo: &str) -> String {
    format!("models--{}", repo.replace('/', "--"))
}

/// Why `rel` cannot name a file inside a snapshot: it must be a plain relative path, so that
/// a manifest from elsewhere cannot reach outside the folder it is joined to, on any system.
fn check_file_path(rel: &str) -> Result<(), &'static str> {
    if rel.is_empty() || rel.len() > 1024 {
        return Err("a file path is empty or too long");
    }
    if rel
        .chars()
        .any(|c| c.is_control() || matches!(c, '\\' | ':'))
    {
        return Err("a file path has a backslash, a colon or a control character");
    }
    if rel.starts_with('/') {
        return Err("a file path is absolute");
    }
    if rel
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err("a file path has an empty, . or .. part");
    }
    Ok(())
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn check_entry(repo: &RepoEntry) -> Result<(), String> {
    check_repo_id(&repo.repo).map_err(|r| format!("repo {:?}: {r}", repo.repo))?;
    check_revision(&repo.revision).map_err(|r| format!("revision {:?}: {r}", repo.revision))?;
    if !is_commit(&repo.commit) {
        return Err(format!(
            "commit {:?} is not 40 lowercase hex digits",
            repo.commit
        ));
    }
    for f in &repo.files {
        check_file_path(&f.path).map_err(|r| format!("{r}: {:?}", f.path))?;
        if !is_sha256(&f.sha256) {
            return Err(format!("the SHA-256 of {:?} is not 64 hex digits", f.path));
        }
    }
    Ok(())
}

fn read_manifest(dir: &Path) -> Result<Manifest, BundleError> {
    let file = dir.join(MANIFEST);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(BundleError::NotABundle {
                dir: dir.to_path_buf(),
            })
        }
        Err(e) => return Err(io_error("read", &file)(e)),
    };
    let bad = |detail: String| BundleError::BadManifest {
        file: file.clone(),
        detail,
    };
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| bad(format!("not a valid manifest ({e})")))?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(bad(format!(
            "format {:?} version {} is not one this reportfig reads ({FORMAT} version {VERSION})",
            manifest.format, manifest.version
        )));
    }
    for repo in &manifest.repos {
        check_entry(repo).map_err(bad)?;
    }
    Ok(manifest)
}

/// Copies `from` into `to` (created atomically, replacing what is there), returning the
/// SHA-256 of what was copied.
fn copy_hashing(
    from: &Path,
    to: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<String, BundleError> {
    let mut src = File::open(from).map_err(io_error("read", from))?;
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(io_error("create", dir))?;
    }
    let mut hasher = Sha256::new();
    let mut read_failed = None;
    let written = write_atomic_with(to, true, |out| {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = match src.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) => {
                    read_failed = Some(e.kind());
                    return Err(e);
                }
            };
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            progress(n as u64);
        }
    });
    match (written, read_failed) {
        (Ok(()), _) => Ok(hex(&hasher.finalize())),
        (Err(_), Some(kind)) => Err(io_error("read", from)(kind.into())),
        (Err(e), None) => Err(output_error(e, to)),
    }
}

fn hash_file(path: &Path, progress: &mut dyn FnMut(u64)) -> Result<String, BundleError> {
    let mut f = File::open(path).map_err(io_error("read", path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io_error("read", path))?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buf[..n]);
        progress(n as u64);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Progress of an export or import: `done` of `total` bytes copied or checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleProgress {
    pub done: u64,
    pub total: u64,
}

/// What one repo in a bundle holds, for the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundledRepo {
    pub name: String,
    pub kind: Kind,
    pub repo: String,
    pub revision: String,
    pub commit: String,
    pub files: usize,
    pub bytes: u64,
}

impl From<&RepoEntry> for BundledRepo {
    fn from(e: &RepoEntry) -> Self {
        BundledRepo {
            name: e.name.clone(),
            kind: e.kind,
            repo: e.repo.clone(),
            revision: e.revision.clone(),
            commit: e.commit.clone(),
            files: e.files.len(),
            bytes: e.bytes(),
        }
    }
}

/// What `export` or `import` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleReport {
    /// The bundle folder.
    pub dir: PathBuf,
    /// The repos written (export) or installed (import).
    pub repos: Vec<BundledRepo>,
    /// Every repo the bundle holds after an export (earlier exports into it included).
    pub total_bytes: u64,
}

/// Writes `repos` into the bundle folder `dir` (created if needed; an earlier bundle there is
/// added to). Files already in the bundle with the same hash are not copied again, so a
/// second export after an interruption only copies what is missing.
pub fn export(
    repos: &[SnapshotFiles],
    dir: &Path,
    progress: &mut dyn FnMut(BundleProgress),
) -> Result<BundleReport, BundleError> {
    let mut manifest = match read_manifest(dir) {
        Ok(m) => m,
        Err(BundleError::NotABundle { .. }) => {
            if dir.exists() && !is_empty_or_only_ours(dir)? {
                return Err(BundleError::NotEmpty {
                    dir: dir.to_path_buf(),
                });
            }
            Manifest {
                format: FORMAT.to_string(),
                version: VERSION,
                repos: Vec::new(),
            }
        }
        Err(e) => return Err(e),
    };
    std::fs::create_dir_all(dir).map_err(io_error("create", dir))?;
    let known: BTreeMap<(String, String), String> = manifest
        .repos
        .iter()
        .flat_map(|r| {
            r.files
                .iter()
                .map(|f| ((r.commit.clone(), f.path.clone()), f.sha256.clone()))
        })
        .collect();

    let total: u64 = repos
        .iter()
        .flat_map(|r| r.files.iter().map(|f| r.snapshot.join(f)))
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mut done = 0u64;
    let mut written = Vec::new();
    for r in repos {
        let folder = dir.join(repo_folder(&r.repo));
        let snapshot = folder.join("snapshots").join(&r.commit);
        let mut files = Vec::with_capacity(r.files.len());
        for rel in &r.files {
            let from = r.snapshot.join(rel);
            let to = snapshot.join(rel);
            let bytes = std::fs::metadata(&from)
                .map_err(io_error("read", &from))?
                .len();
            let mut tick = |n: u64| {
                done += n;
                progress(BundleProgress { done, total });
            };
            let already = known.get(&(r.commit.clone(), rel.clone()));
            let same_size = std::fs::metadata(&to).is_ok_and(|m| m.len() == bytes);
            let sha256 = match already {
                Some(sha) if same_size && hash_file(&to, &mut |_| {})? == *sha => {
                    tick(bytes);
                    sha.clone()
                }
                _ => copy_hashing(&from, &to, &mut tick)?,
            };
            files.push(FileEntry {
                path: rel.clone(),
                bytes,
                sha256,
            });
        }
        record_revision(&folder, &r.revision, &r.commit)?;
        let entry = RepoEntry {
            name: r.name.clone(),
            kind: r.kind,
            repo: r.repo.clone(),
            revision: r.revision.clone(),
            commit: r.commit.clone(),
            files,
        };
        written.push(BundledRepo::from(&entry));
        manifest
            .repos
            .retain(|e| !(e.repo == entry.repo && e.revision == entry.revision));
        manifest.repos.push(entry);
    }
    let text = serde_json::to_string_pretty(&manifest).expect("the manifest serialises");
    let path = dir.join(MANIFEST);
    write_atomic_with(&path, true, |out| out.write_all(text.as_bytes()))
        .map_err(|e| output_error(e, &path))?;
    Ok(BundleReport {
        dir: dir.to_path_buf(),
        repos: written,
        total_bytes: manifest.repos.iter().map(RepoEntry::bytes).sum(),
    })
}

/// `refs/<revision>` holding `commit` in the repo folder, as the hub cache has it (nothing
/// when the revision is the commit itself).
fn record_revision(folder: &Path, revision: &str, commit: &str) -> Result<(), BundleError> {
    if revision == commit {
        return Ok(());
    }
    write_ref(folder, revision, commit).map_err(|_| BundleError::Io {
        action: "write",
        path: folder.join("refs").join(revision),
        source: io::Error::other("the ref file could not be written"),
    })
}

/// Whether `dir` is empty, or holds only what an interrupted export of ours left (repo
/// folders and temporary files), which a new export may complete.
fn is_empty_or_only_ours(dir: &Path) -> Result<bool, BundleError> {
    let entries = std::fs::read_dir(dir).map_err(io_error("read", dir))?;
    for entry in entries {
        let entry = entry.map_err(io_error("read", dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = (name.starts_with("models--") && entry.path().is_dir())
            || (name.starts_with('.') && name.ends_with(".tmp"));
        if !ours {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Checks every file of the bundle in `dir` against its manifest, then installs it into the
/// hub cache `cache_dir`, so runs with `--offline` find the models. Nothing is installed
/// unless every file checks out.
pub fn import(
    dir: &Path,
    cache_dir: &Path,
    progress: &mut dyn FnMut(BundleProgress),
) -> Result<BundleReport, BundleError> {
    let manifest = read_manifest(dir)?;
    let total: u64 = manifest.repos.iter().map(RepoEntry::bytes).sum();
    // Checking reads everything once and installing once more: progress counts both.
    let total = total * 2;
    let mut done = 0u64;
    let in_bundle = |r: &RepoEntry, f: &FileEntry| {
        dir.join(repo_folder(&r.repo))
            .join("snapshots")
            .join(&r.commit)
            .join(&f.path)
    };

    for r in &manifest.repos {
        for f in &r.files {
            let path = in_bundle(r, f);
            let found = match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => m.len(),
                _ => return Err(BundleError::Missing { file: path }),
            };
            if found != f.bytes {
                return Err(BundleError::WrongSize {
                    file: path,
                    expected: f.bytes,
                    found,
                });
            }
            let sha = hash_file(&path, &mut |n| {
                done += n;
                progress(BundleProgress { done, total });
            })?;
            if sha != f.sha256 {
                return Err(BundleError::WrongHash { file: path });
            }
        }
    }

    for r in &manifest.repos {
        let folder = cache_dir.join(repo_folder(&r.repo));
        for f in &r.files {
            let from = in_bundle(r, f);
            let blob = folder.join("blobs").join(&f.sha256);
            let mut tick = |n: u64| {
                done += n;
                progress(BundleProgress { done, total });
            };
            let have = std::fs::metadata(&blob).is_ok_and(|m| m.len() == f.bytes)
                && hash_file(&blob, &mut |_| {})? == f.sha256;
            if have {
                tick(f.bytes);
            } else if copy_hashing(&from, &blob, &mut tick)? != f.sha256 {
                // Changed since it was checked a moment ago: take nothing from it.
                let _ = std::fs::remove_file(&blob);
                return Err(BundleError::WrongHash { file: from });
            }
            let link = folder.join("snapshots").join(&r.commit).join(&f.path);
            link_snapshot_file(&blob, &link, &f.path)?;
        }
        record_revision(&folder, &r.revision, &r.commit)?;
    }
    Ok(BundleReport {
        dir: dir.to_path_buf(),
        repos: manifest.repos.iter().map(BundledRepo::from).collect(),
        total_bytes: total / 2,
    })
}

/// Makes the snapshot's `rel` point at `blob` as huggingface_hub does (a relative symlink),
/// or, where symlinks cannot be made, a copy. A file already there is replaced.
fn link_snapshot_file(blob: &Path, link: &Path, rel: &str) -> Result<(), BundleError> {
    if let Some(dir) = link.parent() {
        std::fs::create_dir_all(dir).map_err(io_error("create", dir))?;
    }
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(link).map_err(io_error("replace", link))?;
    }
    #[cfg(unix)]
    {
        // From snapshots/<commit>/<rel>'s folder up to the repo folder.
        let ups = rel.split('/').count() + 1;
        let target = format!("{}blobs/{}", "../".repeat(ups), blob_name(blob));
        if std::os::unix::fs::symlink(&target, link).is_ok() {
            return Ok(());
        }
    }
    let _ = rel;
    std::fs::copy(blob, link)
        .map(|_| ())
        .map_err(io_error("write", link))
}

#[cfg(unix)]
fn blob_name(blob: &Path) -> String {
    blob.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    fn snapshot(root: &Path) -> SnapshotFiles {
        let snap = root.join("snap");
        for (rel, text) in [
            ("model_index.json", "{}"),
            ("unet/config.json", "{\"a\": 1}"),
            ("unet/diffusion_pytorch_model.safetensors", "weights"),
        ] {
            let p = snap.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        SnapshotFiles {
            name: "tiny".into(),
            kind: Kind::Model,
            repo: "org/tiny".into(),
            revision: "main".into(),
            commit: COMMIT.into(),
            snapshot: snap,
            files: vec![
                "model_index.json".into(),
                "unet/config.json".into(),
                "unet/diffusion_pytorch_model.safetensors".into(),
            ],
        }
    }

    #[test]
    fn export_then_import_installs_the_cache_layout() {
        let tmp = tempfile::tempdir().unwrap();
        let bundle = tmp.path().join("stick");
        let report = export(&[snapshot(tmp.path())], &bundle, &mut |_| {}).unwrap();
        assert_eq!(report.repos[0].files, 3);
        assert!(bundle.join(MANIFEST).is_file());
        let cache = tmp.path().join("cache");
        import(&bundle, &cache, &mut |_| {}).unwrap();
        let repo = cache.join("models--org--tiny");
        assert_eq!(
            std::fs::read_to_string(repo.join("refs/main")).unwrap(),
            COMMIT
        );
        let file = repo.join("snapshots").join(COMMIT).join("unet/config.json");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "{\"a\": 1}");
        #[cfg(unix)]
        assert!(file.symlink_metadata().unwrap().file_type().is_symlink());
        // Importing twice changes nothing and fails nothing.
        import(&bundle, &cache, &mut |_| {}).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "{\"a\": 1}");
    }

    #[test]
    fn a_damaged_bundle_installs_nothing_and_names_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let bundle = tmp.path().join("stick");
        export(&[snapshot(tmp.path())], &bundle, &mut |_| {}).unwrap();
        let weights = bundle
            .join("models--org--tiny/snapshots")
            .join(COMMIT)
            .join("unet/diffusion_pytorch_model.safetensors");
        let cache = tmp.path().join("cache");

        std::fs::write(&weights, "weightz").unwrap();
        let err = import(&bundle, &cache, &mut |_| {}).unwrap_err();
        assert!(
            matches!(&err, BundleError::WrongHash { file } if *file == weights),
            "{err}"
        );
        std::fs::write(&weights, "wei").unwrap();
        let err = import(&bundle, &cache, &mut |_| {}).unwrap_err();
        assert!(
            matches!(
                &err,
                BundleError::WrongSize {
                    expected: 7,
                    found: 3,
                    ..
                }
            ),
            "{err}"
        );
        std::fs::remove_file(&weights).unwrap();
        let err = import(&bundle, &cache, &mut |_| {}).unwrap_err();
        assert!(matches!(&err, BundleError::Missing { .. }), "{err}");
        assert!(
            !cache.exists(),
            "nothing may be installed from a damaged bundle"
        );
    }

    #[test]
    fn manifests_that_would_write_outside_the_cache_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let bundle = tmp.path().join("stick");
        export(&[snapshot(tmp.path())], &bundle, &mut |_| {}).unwrap();
        let text = std::fs::read_to_string(bundle.join(MANIFEST)).unwrap();
        for (from, to) in [
            ("\"unet/config.json\"", "\"../../../../x\""),
            ("\"unet/config.json\"", "\"/etc/x\""),
            ("\"unet/config.json\"", "\"unet\\\\..\\\\..\\\\x\""),
            (COMMIT, "../../../../0123456789abcdef0123456789ab"),
            ("\"org/tiny\"", "\"../x\""),
            ("\"main\"", "\"../../x\""),
        ] {
            std::fs::write(bundle.join(MANIFEST), text.replacen(from, to, 1)).unwrap();
            let err = import(&bundle, &tmp.path().join("cache"), &mut |_| {}).unwrap_err();
            assert!(
                matches!(err, BundleError::BadManifest { .. }),
                "{to}: {err}"
            );
        }
        assert!(!tmp.path().join("cache").exists() && !tmp.path().join("x").exists());
    }

    #[test]
    fn export_refuses_a_folder_of_other_files_and_adds_to_a_bundle() {
        let tmp = tempfile::tempdir().unwrap();
        let docs = tmp.path().join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("report.hwp"), "x").unwrap();
        let err = export(&[snapshot(tmp.path())], &docs, &mut |_| {}).unwrap_err();
        assert!(matches!(err, BundleError::NotEmpty { .. }), "{err}");

        let bundle = tmp.path().join("stick");
        export(&[snapshot(tmp.path())], &bundle, &mut |_| {}).unwrap();
        let mut other = snapshot(tmp.path());
        other.repo = "org/other".into();
        other.name = "other".into();
        let report = export(&[other], &bundle, &mut |_| {}).unwrap();
        let manifest = read_manifest(&bundle).unwrap();
        assert_eq!(manifest.repos.len(), 2);
        assert_eq!(report.total_bytes, 2 * (2 + 8 + 7));
    }

    #[test]
    fn an_interrupted_export_is_not_a_bundle() {
        let tmp = tempfile::tempdir().unwrap();
        let bundle = tmp.path().join("stick");
        export(&[snapshot(tmp.path())], &bundle, &mut |_| {}).unwrap();
        std::fs::remove_file(bundle.join(MANIFEST)).unwrap();
        let err = import(&bundle, &tmp.path().join("cache"), &mut |_| {}).unwrap_err();
        assert!(matches!(err, BundleError::NotABundle { .. }), "{err}");
        // Exporting again into the leftovers completes it.
        export(&[snapshot(tmp.path())], &bundle, &mut |_| {}).unwrap();
        import(&bundle, &tmp.path().join("cache"), &mut |_| {}).unwrap();
    }
}
