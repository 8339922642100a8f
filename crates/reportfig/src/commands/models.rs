//! `reportfig models list`, `fetch`, `export` and `import`.

use std::path::Path;

use serde::Serialize;

use crate::commands::{BadInput, Event, Reporter};
use crate::i18n::Lang;
use crate::model::bundle::{self, BundleReport, Kind, SnapshotFiles};
use crate::model::presets;
use crate::model::source::{
    self, DownloadEvent, FetchReport, HubOptions, ModelFiles, ModelSource, ModelsList, SourceError,
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

/// The presets and what is in the cache, as text in `lang` (or JSON with `json`). Never uses
/// the network.
pub fn list(hub: &HubOptions, json: bool, lang: Lang) -> Result<String, serde_json::Error> {
    let list = source::list_models(hub);
    let translators = list_translators(hub);
    if json {
        serde_json::to_string_pretty(&Listing {
            models: list,
            translators,
        })
    } else {
        let mut text = render_models_list(&list, lang);
        text.push('\n');
        text.push_str(&tr!(lang, "models-list-translators"));
        text.push('\n');
        let yes_no = |b: bool| {
            if b {
                tr!(lang, "word-yes")
            } else {
                tr!(lang, "word-no")
            }
        };
        let rows: Vec<Vec<String>> = translators
            .iter()
            .map(|t| {
                vec![
                    if t.default {
                        tr!(lang, "models-list-default", name = t.name.as_str())
                    } else {
                        t.name.clone()
                    },
                    t.repo.clone(),
                    t.licence.clone(),
                    yes_no(t.in_cache),
                ]
            })
            .collect();
        let header = [
            "models-col-translator",
            "models-col-repo",
            "models-col-licence",
            "models-col-cached",
        ]
        .map(|id| lang.messages().format(id, &[]))
        .to_vec();
        text.push_str(&table(&header, &rows));
        Ok(text)
    }
}

/// Terminal columns a text takes: Hangul and other wide characters take two.
fn columns(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if ('\u{1100}'..='\u{ffdc}').contains(&c) && !c.is_ascii() {
                2
            } else {
                1
            }
        })
        .sum()
}

/// Rows under a header, columns padded to their widest cell, two spaces apart.
fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| columns(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(columns(cell));
        }
    }
    let mut out = String::new();
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let mut line = String::new();
        for (cell, w) in row.iter().zip(&widths) {
            line.push_str(cell);
            line.push_str(&" ".repeat(w - columns(cell) + 2));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `models list` as a table for the terminal, in `lang`.
pub fn render_models_list(list: &ModelsList, lang: Lang) -> String {
    let yes_no = |b: bool| {
        if b {
            tr!(lang, "word-yes")
        } else {
            tr!(lang, "word-no")
        }
    };
    let rows: Vec<Vec<String>> = list
        .models
        .iter()
        .map(|m| {
            vec![
                if m.default {
                    tr!(lang, "models-list-default", name = m.name.as_str())
                } else {
                    m.name.clone()
                },
                m.repo.clone(),
                m.licence.clone(),
                format!("{}x{}", m.width, m.height),
                format!("{:.1} GB", m.download_mb as f64 / 1024.0),
                yes_no(m.in_cache),
            ]
        })
        .collect();
    let header = [
        "models-col-model",
        "models-col-repo",
        "models-col-licence",
        "models-col-size",
        "models-col-download",
        "models-col-cached",
    ]
    .map(|id| lang.messages().format(id, &[]))
    .to_vec();
    let mut out = table(&header, &rows);
    let (nc, licences): (Vec<&str>, std::collections::BTreeSet<&str>) = list
        .models
        .iter()
        .filter(|m| m.non_commercial)
        .map(|m| (m.name.as_str(), m.licence.as_str()))
        .unzip();
    if !nc.is_empty() {
        out.push('\n');
        out.push_str(&tr!(
            lang,
            "models-list-non-commercial",
            names = nc.join(", "),
            licences = licences.into_iter().collect::<Vec<_>>().join(", ")
        ));
        out.push('\n');
    }
    out.push_str(&tr!(
        lang,
        "models-list-footer",
        cache = list.cache_dir.display().to_string()
    ));
    out.push('\n');
    out
}

/// `models fetch` result for the terminal, in `lang`.
pub fn render_fetch_report(r: &FetchReport, lang: Lang) -> String {
    let commit = r
        .commit
        .as_deref()
        .map(|c| c[..c.len().min(12)].to_string())
        .unwrap_or_else(|| "-".to_string());
    format!(
        "{}\n{}\n",
        tr!(
            lang,
            "models-fetched",
            model = r.model.as_str(),
            repo = r.repo.as_str(),
            revision = r.revision.as_str(),
            commit = commit,
            files = r.files,
            size = human_bytes(r.bytes)
        ),
        r.folder.display()
    )
}

/// Downloads every file a model, translator or tiny decoder needs into the cache, so it can later run
/// offline.
pub fn fetch(
    name: &str,
    hub: &HubOptions,
    reporter: &mut dyn Reporter,
    lang: Lang,
) -> anyhow::Result<String> {
    if let Some(t) = presets::find_translator(name.trim()) {
        return fetch_translator(TranslatorSource::Preset(t), hub, reporter, lang);
    }
    if let Some(t) = presets::find_tiny_decoder(name.trim()) {
        if hub.offline {
            return Err(SourceError::FetchOffline.into());
        }
        reporter.event(Event::Stage(msg!(
            "stage-downloading-tiny-decoder",
            name = t.name.as_str(),
            megabytes = t.size_mb as f64
        )));
        let src = crate::model::tiny_decoder::TinyDecoderSource::Preset(t);
        let dir = src.resolve(hub, &mut download_reporter(reporter))?;
        return Ok(format!(
            "{}\n{}\n",
            tr!(lang, "models-translator-fetched", name = t.name.as_str()),
            dir.display()
        ));
    }
    if let Some(u) = presets::find_upscaler(name.trim()) {
        if hub.offline {
            return Err(SourceError::FetchOffline.into());
        }
        reporter.event(Event::Stage(msg!(
            "stage-downloading-upscaler",
            name = u.name.as_str(),
            megabytes = u.size_mb as f64
        )));
        // Into the hub cache, whatever the data folder holds: this is what export copies.
        let src = crate::model::upscaler::UpscalerSource::Preset(u);
        let file = src.resolve(None, hub, &mut download_reporter(reporter))?;
        return Ok(format!(
            "{}\n{}\n",
            tr!(lang, "models-translator-fetched", name = u.name.as_str()),
            file.display()
        ));
    }
    let src = ModelSource::parse(name)?;
    reporter.event(Event::Stage(msg!(
        "stage-downloading",
        name = src.display_name()
    )));
    let report = source::fetch(&src, hub, &mut download_reporter(reporter))?;
    let mut out = render_fetch_report(&report, lang);
    // A preset's LoRA (the default's LCM-LoRA) is part of the model: without it an offline
    // machine could not run what it fetched.
    for spec in src
        .preset()
        .map(presets::Preset::lora_specs)
        .unwrap_or_default()
    {
        if let Some(l) = crate::lora::hub_lora(&spec, hub, &mut download_reporter(reporter))? {
            out.push_str(&tr!(
                lang,
                "models-lora-fetched",
                repo = l.repo.as_str(),
                file = l.file.as_str()
            ));
            out.push('\n');
            out.push_str(&format!("{}\n", l.snapshot.join(&l.file).display()));
        }
    }
    Ok(out)
}

fn fetch_translator(
    src: TranslatorSource,
    hub: &HubOptions,
    reporter: &mut dyn Reporter,
    lang: Lang,
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
        "{}\n{}\n",
        tr!(lang, "models-translator-fetched", name = src.display_name()),
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
        if let Some(t) = presets::find_tiny_decoder(name.trim()) {
            reporter.event(Event::Stage(msg!(
                "stage-preparing-export",
                name = t.name.as_str()
            )));
            let src = crate::model::tiny_decoder::TinyDecoderSource::Preset(t);
            let dir = src.resolve(hub, &mut download_reporter(reporter))?;
            wanted.push(SnapshotFiles {
                name: t.name.clone(),
                kind: Kind::TinyDecoder,
                repo: t.repo.clone(),
                revision: t.revision.clone(),
                commit: folder_name(&dir),
                snapshot: dir,
                files: crate::model::tiny_decoder::FILES_AND_WEIGHTS
                    .iter()
                    .map(|f| f.to_string())
                    .collect(),
            });
            continue;
        }
        if let Some(u) = presets::find_upscaler(name.trim()) {
            reporter.event(Event::Stage(msg!(
                "stage-preparing-export",
                name = u.name.as_str()
            )));
            let src = crate::model::upscaler::UpscalerSource::Preset(u);
            let file = src.resolve(None, hub, &mut download_reporter(reporter))?;
            let snapshot = file.parent().map(Path::to_path_buf).unwrap_or_default();
            wanted.push(SnapshotFiles {
                name: u.name.clone(),
                kind: Kind::Upscaler,
                repo: u.repo.clone(),
                revision: u.revision.clone(),
                commit: folder_name(&snapshot),
                snapshot,
                files: vec![u.file.clone()],
            });
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
        // A preset's LoRA (the default's LCM-LoRA) is part of the model.
        for spec in src
            .preset()
            .map(presets::Preset::lora_specs)
            .unwrap_or_default()
        {
            let found = crate::lora::hub_lora(&spec, hub, &mut download_reporter(reporter))?;
            if let Some(l) = found {
                let commit = folder_name(&l.snapshot);
                wanted.push(SnapshotFiles {
                    name: spec.source.clone(),
                    kind: Kind::Lora,
                    repo: l.repo,
                    revision: l.revision,
                    commit,
                    snapshot: l.snapshot,
                    files: vec![l.file],
                });
            }
        }
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
pub fn render_bundle_report(r: &BundleReport, exported: bool, lang: Lang) -> String {
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
