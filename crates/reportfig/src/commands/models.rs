//! `reportfig models list` and `reportfig models fetch`.

use serde::Serialize;

use crate::commands::{Event, Reporter};
use crate::model::presets;
use crate::model::source::{self, DownloadEvent, HubOptions, ModelSource, ModelsList, SourceError};
use crate::msg;
use crate::translate::source::{self as translator_source, TranslatorError, TranslatorSource};

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
