//! `reportfig models list`, `fetch`, `export` and `import`.

use std::path::Path;

use serde::Serialize;

use crate::commands::{BadInput, Event, Reporter};
use crate::model::bundle::{self, BundleReport, Kind, SnapshotFiles};
use crate::model::presets;
use crate::model::source::{
    self, DownloadEvent, HubOptions, ModelFiles, ModelSource, ModelsList, SourceError,
};
use crate::translate::source::{self as translator_source, TranslatorError, TranslatorSource};
use crate::{msg, tr};
use reportfig_engine::translate::WeightsFile;

/// One translator preset in `models list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranslatorEntry {
    pub name: String,
    pub repo: String,
    pub revision: String,
    pub licence: String,
    pub licence_note: String,
    /// The translator used for Korean captions without `--translator`.
    pub default: bool,
    pub in_cache: bool,
}

#[derive(Serialize)]
struct Listing {
    #[serde(flatten)]
    models: ModelsList,
    translators: Vec<TranslatorEntry>,
}

/// The translator presets and whether each is in the cache (checked without the network).
pub fn list_translators(hub: &HubOptions) -> Vec<TranslatorEntry> {
    let offline = HubOptions {
        offline: true,
        ..hub.clone()
    };
    let default = presets::default_translator().name.as_str();
    presets::translators()
        .iter()
        .map(|t| TranslatorEntry {
            name: t.name.clone(),
            repo: t.repo.clone(),
            revision: t.revision.clone(),
            licence: t.licence.clone(),
            licence_note: t.licence_note.clone(),
            default: t.name == default,
            in_cache: translator_source::resolve(
                &TranslatorSource::Preset(t),
                &offline,
                &mut |_| {},
            )
            .is_ok(),
        })
        .collect()
}

/// The presets and what is in the cache, as text (or JSON with `json`). Never uses the network.
pub fn list(hub: &HubOptions, json: bool) -> Result<String, serde_json::Error> {
    let list = source::list_models(hub);
    let translators = list_translators(hub);
    if json {
        serde_json::to_string_pretty(&Listing {
            models: list,
            translators,
        })
    } else {
        let mut text = source::render_models_list(&list);
        text.push_str("\nTranslators (Korean captions into English prompts):\n");
        for t in &translators {
            text.push_str(&format!(
                "  {}{}  {}  {}  cached: {}\n",
                t.name,
                if t.default { " (default)" } else { "" },
                t.repo,
                t.licence,
                if t.in_cache { "yes" } else { "no" }
            ));
        }
        Ok(text)
    }
}

/// Downloads every file a model or translator needs into the cache, so it can later run
/// offline.
pub fn fetch(name: &str, hub: &HubOptions, reporter: &mut dyn Reporter) -> anyhow::Result<String> {
    if let Some(t) = presets::find_translator(name.trim()) {
        return fetch_translator(TranslatorSource::Preset(t), hub, reporter);
    }
    let src = ModelSource::parse(name)?;
    reporter.event(Event::Stage(msg!(
        "stage-downloading",
        name = src.display_name()
    )));
    let report = source::fetch(&src, hub, &mut download_reporter(reporter))?;
    Ok(source::render_fetch_report(&report))
}

fn fetch_translator(
    src: TranslatorSource,
    hub: &HubOptions,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<String> {
    if hub.offline {
        return Err(TranslatorError::Source(SourceError::FetchOffline).into());
    }
    let megabytes = match &src {
        TranslatorSource::Preset(p) => p.size_mb,
        _ => 300,
    };
    reporter.event(Event::Stage(msg!(
        "stage-downloading-translator",
        name = src.display_name(),
        megabytes = megabytes as f64
    )));
    let files = translator_source::resolve(&src, hub, &mut download_reporter(reporter))?;
    Ok(format!(
        "{} is in the cache\n{}\n",
        src.display_name(),
        files.dir.display()
    ))
}

/// Turns download events into notes: one line per file as it starts and finishes.
pub fn download_reporter(reporter: &mut dyn Reporter) -> impl FnMut(DownloadEvent) + '_ {
    move |ev| match ev {
        DownloadEvent::Start { file, bytes } => reporter.event(Event::Note(msg!(
            "note-downloading-file",
            file = file,
            size = human_bytes(bytes)
        ))),
        DownloadEvent::Advance { .. } => {}
        DownloadEvent::Finish { .. } => {}
    }
}

pub fn human_bytes(b: u64) -> String {
    const GB: f64 = 1024.0 * 1024.0 * 1024.0;
    const MB: f64 = 1024.0 * 1024.0;
    let b = b as f64;
    if b >= GB {
        format!("{:.1} GB", b / GB)
    } else if b >= MB {
        format!("{:.0} MB", b / MB)
    } else {
        format!("{:.0} kB", b / 1024.0)
    }
}

/// `models export NAME... DIR`: the named models and translators (downloading what is
/// missing unless offline), and the default translator unless `with_translator` is false,
/// copied into a bundle folder to carry to PCs without internet.
pub fn export(
    names: &[String],
    dir: &std::path::Path,
    with_translator: bool,
    hub: &HubOptions,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<BundleReport> {
    let mut wanted: Vec<SnapshotFiles> = Vec::new();
    let mut translator_named = false;
    for name in names {
        if let Some(t) = presets::find_translator(name.trim()) {
            translator_named = true;
            wanted.push(translator_snapshot(
                &TranslatorSource::Preset(t),
                hub,
                reporter,
            )?);
            continue;
        }
        let src = ModelSource::parse(name)?;
        if let Err(path) = src.hub() {
            return Err(BadInput(msg!(
                "export-local-folder",
                path = path.display().to_string()
            ))
            .into());
        }
        reporter.event(Event::Stage(msg!(
            "stage-preparing-export",
            name = src.display_name()
        )));
        let files = source::resolve(&src, hub, &mut download_reporter(reporter))?;
        wanted.push(model_snapshot(&src, &files)?);
    }
    if with_translator && !translator_named {
        let t = presets::default_translator();
        wanted.push(translator_snapshot(
            &TranslatorSource::Preset(t),
            hub,
            reporter,
        )?);
    }
    let bytes: u64 = wanted
        .iter()
        .flat_map(|w| w.files.iter().map(|f| w.snapshot.join(f)))
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    reporter.event(Event::Stage(msg!(
        "stage-writing-bundle",
        dir = dir.display().to_string(),
        size = human_bytes(bytes)
    )));
    Ok(bundle::export(&wanted, dir, &mut |_| {})?)
}

/// `models import DIR`: checks the bundle and installs it into the hub cache.
pub fn import(
    dir: &std::path::Path,
    hub: &HubOptions,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<BundleReport> {
    reporter.event(Event::Stage(msg!(
        "stage-checking-bundle",
        dir = dir.display().to_string()
    )));
    Ok(bundle::import(dir, &hub.cache_dir, &mut |_| {})?)
}

/// The report of an export or import, one line per repo.
pub fn render_bundle_report(r: &BundleReport, exported: bool, lang: crate::i18n::Lang) -> String {
    let mut out = String::new();
    for repo in &r.repos {
        out.push_str(&tr!(
            lang,
            "bundle-repo-line",
            name = repo.name.as_str(),
            repo = repo.repo.as_str(),
            files = repo.files,
            size = human_bytes(repo.bytes)
        ));
        out.push('\n');
    }
    let dir = r.dir.display().to_string();
    out.push_str(&if exported {
        tr!(
            lang,
            "bundle-exported",
            dir = dir.as_str(),
            size = human_bytes(r.total_bytes)
        )
    } else {
        tr!(lang, "bundle-imported", dir = dir.as_str())
    });
    out.push('\n');
    out
}

fn model_snapshot(src: &ModelSource, files: &ModelFiles) -> anyhow::Result<SnapshotFiles> {
    let (repo, revision) = src.hub().expect("only hub models are exported");
    let commit = files
        .revision
        .clone()
        .unwrap_or_else(|| folder_name(&files.root));
    let rel = files
        .files
        .iter()
        .map(|f| relative(&files.root, f))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(SnapshotFiles {
        name: src.display_name(),
        kind: Kind::Model,
        repo: repo.to_string(),
        revision: revision.to_string(),
        commit,
        snapshot: files.root.clone(),
        files: rel,
    })
}

fn translator_snapshot(
    src: &TranslatorSource,
    hub: &HubOptions,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<SnapshotFiles> {
    reporter.event(Event::Stage(msg!(
        "stage-preparing-export",
        name = src.display_name()
    )));
    let files = translator_source::resolve(src, hub, &mut download_reporter(reporter))?;
    let (repo, revisions) = match src {
        TranslatorSource::Preset(p) => (
            p.repo.clone(),
            std::iter::once(p.revision.clone())
                .chain(p.fallback_revision.clone())
                .collect::<Vec<_>>(),
        ),
        TranslatorSource::Hub { repo, revision } => (repo.clone(), vec![revision.clone()]),
        TranslatorSource::Folder(path) => {
            return Err(BadInput(msg!(
                "export-local-folder",
                path = path.display().to_string()
            ))
            .into())
        }
    };
    let commit = folder_name(&files.dir);
    // The revision whose ref the cache recorded for this snapshot (a fallback, perhaps).
    let repo_dir = files.dir.parent().and_then(Path::parent);
    let revision = revisions
        .iter()
        .find(|rev| {
            *rev == &commit
                || repo_dir.is_some_and(|d| {
                    std::fs::read_to_string(d.join("refs").join(rev))
                        .is_ok_and(|c| c.trim() == commit)
                })
        })
        .cloned()
        .unwrap_or_else(|| commit.clone());
    let weights = match &files.weights {
        WeightsFile::Safetensors(p) | WeightsFile::PytorchBin(p) => p,
    };
    let rel = [
        &files.config,
        &files.generation_config,
        weights,
        &files.source_spm,
        &files.target_spm,
        &files.vocab,
        &files.tokenizer_config,
    ]
    .into_iter()
    .map(|p| relative(&files.dir, p))
    .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(SnapshotFiles {
        name: src.display_name(),
        kind: Kind::Translator,
        repo,
        revision,
        commit,
        snapshot: files.dir.clone(),
        files: rel,
    })
}

fn folder_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn relative(root: &Path, file: &Path) -> anyhow::Result<String> {
    let rel = file.strip_prefix(root).map_err(|_| {
        anyhow::anyhow!(
            "{} is not inside the snapshot {}",
            file.display(),
            root.display()
        )
    })?;
    Ok(rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/"))
}
