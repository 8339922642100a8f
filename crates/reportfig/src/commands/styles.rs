//! `reportfig styles list | show | check | import`.
//!
//! These run without a model, so prompt lengths are counted with the style library's careful
//! estimate of CLIP tokens (it counts high, so a style that passes here fits the real window).

use std::path::Path;

use crate::commands::BadInput;
use crate::model::presets;
use crate::msg;
use crate::style::{estimate_clip_tokens, import, render, StyleLibrary};
use reportfig_engine::family::ModelFamily;

/// The list as text in `lang`, or as JSON (which is the same in every language).
pub fn list(lib: &StyleLibrary, json: bool, lang: crate::i18n::Lang) -> anyhow::Result<String> {
    if json {
        let rows: Vec<_> = lib
            .iter()
            .map(|s| {
                serde_json::json!({
                    "name": s.style.name,
                    "title_en": s.style.title.en,
                    "title_ko": s.style.title.ko,
                    "category": s.style.category,
                    "description": s.style.description,
                })
            })
            .collect();
        return Ok(serde_json::to_string_pretty(&rows)?);
    }
    let mut out = Vec::new();
    render::render_list(lib, lang, &mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The family a `--model` value stands for: a preset's, or a family name itself.
fn family_of(model: &str) -> Result<ModelFamily, BadInput> {
    if let Some(p) = presets::find(model) {
        return Ok(p.family);
    }
    model.parse::<ModelFamily>().map_err(|_| {
        BadInput(msg!(
            "styles-show-unknown-model",
            model = model,
            presets = presets::names()
        ))
    })
}

pub fn show(
    lib: &StyleLibrary,
    name: &str,
    caption: &str,
    model: &str,
    lang: crate::i18n::Lang,
) -> anyhow::Result<String> {
    let family = family_of(model)?;
    let loaded = lib.get(name)?;
    let mut out = Vec::new();
    render::render_show(
        loaded,
        caption,
        family,
        &estimate_clip_tokens,
        lang,
        &mut out,
    )?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Returns the report and whether the file passed.
pub fn check(file: &Path, lang: crate::i18n::Lang) -> anyhow::Result<(String, bool)> {
    let (_, diags) = render::check_file(file, &estimate_clip_tokens)?;
    let mut out = Vec::new();
    let ok = render::render_check(&file.display().to_string(), &diags, lang, &mut out)?;
    Ok((String::from_utf8_lossy(&out).into_owned(), ok))
}

pub fn import(
    file: &Path,
    dir: &Path,
    force: bool,
    lang: crate::i18n::Lang,
) -> anyhow::Result<String> {
    let styles = import::import_file(file)?;
    std::fs::create_dir_all(dir).map_err(|e| {
        BadInput(msg!(
            "folder-cannot-create",
            path = dir.display().to_string(),
            reason = crate::os_reason::message(&e)
        ))
    })?;
    let written = import::write_imported(&styles, dir, force)?;
    let mut text = msg!(
        "style-import-done",
        count = written.len(),
        folder = dir.display().to_string()
    )
    .render(lang);
    text.push('\n');
    for p in &written {
        text.push_str(&format!("  {}\n", p.display()));
    }
    Ok(text)
}
