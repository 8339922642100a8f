//! `reportfig models list` and `reportfig models fetch`.

use crate::commands::{Event, Reporter};
use crate::model::source::{self, DownloadEvent, HubOptions, ModelSource, SourceError};

/// The presets and what is in the cache, as text (or JSON with `json`). Never uses the network.
pub fn list(hub: &HubOptions, json: bool) -> Result<String, serde_json::Error> {
    let list = source::list_models(hub);
    if json {
        serde_json::to_string_pretty(&list)
    } else {
        Ok(source::render_models_list(&list))
    }
}

/// Downloads every file a model needs into the cache, so it can later run offline.
pub fn fetch(
    name: &str,
    hub: &HubOptions,
    reporter: &mut dyn Reporter,
) -> Result<String, SourceError> {
    let src = ModelSource::parse(name)?;
    reporter.event(Event::Stage(format!(
        "downloading {} (this can take a while the first time)",
        src.display_name()
    )));
    let report = source::fetch(&src, hub, &mut download_reporter(reporter))?;
    Ok(source::render_fetch_report(&report))
}

/// Turns download events into notes: one line per file as it starts and finishes.
pub fn download_reporter(reporter: &mut dyn Reporter) -> impl FnMut(DownloadEvent) + '_ {
    move |ev| match ev {
        DownloadEvent::Start { file, bytes } => reporter.event(Event::Note(format!(
            "  downloading {file} ({})",
            human_bytes(bytes)
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
