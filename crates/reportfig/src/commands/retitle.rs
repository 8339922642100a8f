//! Titles on finished pictures: what `generate --title` does after generating, and
//! `reportfig retitle`, which sets a new title on the kept untitled picture without generating
//! again.
//!
//! A titled `cover.png` always has its plain picture beside it as `cover.untitled.png`; the
//! titled file's `reportfig` metadata names it. `retitle` only replaces a titled file that
//! records that same untitled file (one it made), never another picture of the same name.

use std::path::{Path, PathBuf};

use image::RgbImage;
use serde::Serialize;

use crate::commands::BadInput;
use crate::msg;
use crate::output::{self, PrintRecord};
use crate::style::StyleLibrary;
use crate::title::{self, TitleRecord, TitleSpec};
use reportfig_engine::request::GenerationRequest;

/// The palette of the first style of `request` that has one (`#rrggbb` strings).
pub fn palette_of(request: &GenerationRequest, styles: &StyleLibrary) -> Vec<String> {
    request
        .styles
        .iter()
        .filter_map(|name| styles.get(name).ok())
        .map(|s| s.style.palette.clone())
        .find(|p| !p.is_empty())
        .unwrap_or_default()
}

/// The plain picture a title is set on, and what its file records.
pub struct Plain<'a> {
    /// The untitled file, which the titled one names.
    pub path: &'a Path,
    pub image: &'a RgbImage,
    pub request: &'a GenerationRequest,
    /// How the picture was finished for print: the titled file keeps the same `pHYs` and
    /// record, so Word and HWP place a cover at the size the plain picture has.
    pub print: Option<&'a PrintRecord>,
}

/// Typesets `spec` on `plain` and writes the titled PNG to `titled` (atomically), recording
/// the title, the untitled file's name and the print record. Returns the record and the
/// titled picture.
pub fn write_titled(
    titled: &Path,
    plain: &Plain<'_>,
    spec: &TitleSpec,
    palette: &[String],
    overwrite: bool,
) -> anyhow::Result<(TitleRecord, RgbImage)> {
    let (picture, set, look) =
        title::render(plain.image, spec, palette).map_err(|e| BadInput::from_error(&e))?;
    let record = TitleRecord {
        spec: spec.clone(),
        area: set.area,
        px: set.px,
        lines: set.lines,
        backdrop: if look.band.is_some() {
            "band"
        } else {
            "shadow"
        }
        .to_string(),
        untitled: plain
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let chunks = output::titled_chunks(plain.request, Some(&record), plain.print);
    let bytes = output::encode_png_at(&picture, &chunks, plain.print.map(|p| p.dpi))?;
    output::write_atomic(titled, &bytes, overwrite)?;
    Ok((record, picture))
}

/// `retitle`'s checked options.
#[derive(Debug, Clone)]
pub struct RetitleOptions {
    /// The titled picture or its untitled one.
    pub file: PathBuf,
    pub title: TitleSpec,
    /// Where the titled picture goes; default: the titled file of `file`.
    pub output: Option<PathBuf>,
    /// Replace an output file reportfig did not make from this picture.
    pub force: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetitleOutcome {
    pub path: PathBuf,
    pub untitled: PathBuf,
    pub title: TitleRecord,
}

fn bad_file(path: &Path, reason: &'static str) -> anyhow::Error {
    BadInput(msg!(
        "retitle-not-ours",
        path = path.display().to_string(),
        reason = reason
    ))
    .into()
}

/// Finds the untitled picture behind `file` and the titled file to write.
fn locate(file: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    if !file.is_file() {
        return Err(BadInput(msg!("retitle-missing", path = file.display().to_string())).into());
    }
    let (_, record) =
        output::read_titled_metadata(file)?.ok_or_else(|| bad_file(file, "no-metadata"))?;
    match record {
        // A titled file: its untitled picture is named in it.
        Some(r) => {
            let untitled = file.with_file_name(&r.untitled);
            if r.untitled.is_empty() || !untitled.is_file() {
                return Err(BadInput(msg!(
                    "retitle-untitled-missing",
                    path = file.display().to_string(),
                    untitled = untitled.display().to_string()
                ))
                .into());
            }
            Ok((untitled, file.to_path_buf()))
        }
        // A plain picture: `cover.untitled.png` titles into `cover.png`; any other plain
        // picture is kept as it is and titled into `NAME.titled.png`.
        None => {
            let titled = title::titled_path_of_untitled(file).unwrap_or_else(|| {
                let stem = file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "figure".to_string());
                file.with_file_name(format!("{stem}.titled.png"))
            });
            Ok((file.to_path_buf(), titled))
        }
    }
}

/// Whether `target` is a titled picture reportfig made from `untitled` (then replacing it is
/// what the user asked for).
fn made_from(target: &Path, untitled: &Path) -> bool {
    let Ok(Some((_, Some(record)))) = output::read_titled_metadata(target) else {
        return false;
    };
    let recorded = target.with_file_name(&record.untitled);
    match (recorded.canonicalize(), untitled.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

pub fn run(opts: &RetitleOptions, styles: &StyleLibrary) -> anyhow::Result<RetitleOutcome> {
    opts.title.check().map_err(|e| BadInput::from_error(&e))?;
    let (untitled, default_titled) = locate(&opts.file)?;
    let titled = opts.output.clone().unwrap_or(default_titled);
    if titled == untitled {
        return Err(BadInput(msg!(
            "retitle-same-file",
            path = titled.display().to_string()
        ))
        .into());
    }
    // The titled file names its plain picture by file name, so they share a folder.
    let folder = |p: &Path| {
        let dir = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        dir.canonicalize().ok()
    };
    if folder(&titled).is_none() || folder(&titled) != folder(&untitled) {
        return Err(BadInput(msg!(
            "retitle-other-folder",
            path = titled.display().to_string(),
            untitled = untitled.display().to_string()
        ))
        .into());
    }
    let request =
        output::read_metadata(&untitled)?.ok_or_else(|| bad_file(&untitled, "no-metadata"))?;
    let overwrite = if titled.symlink_metadata().is_ok() {
        if made_from(&titled, &untitled) || opts.force {
            true
        } else {
            return Err(BadInput(msg!(
                "retitle-would-replace",
                path = titled.display().to_string()
            ))
            .into());
        }
    } else {
        false
    };
    let image = image::open(&untitled)
        .map_err(|e| {
            BadInput(msg!(
                "file-cannot-read",
                path = untitled.display().to_string(),
                reason = e.to_string()
            ))
        })?
        .to_rgb8();
    // The DPI and page the plain picture was finished for stay with every new title.
    let print = output::read_print_record(&untitled)?;
    let palette = palette_of(&request, styles);
    let plain = Plain {
        path: &untitled,
        image: &image,
        request: &request,
        print: print.as_ref(),
    };
    let (record, _) = write_titled(&titled, &plain, &opts.title, &palette, overwrite)?;
    Ok(RetitleOutcome {
        path: titled,
        untitled,
        title: record,
    })
}
