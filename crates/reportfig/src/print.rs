//! `--dpi` and `--print`: finishing a generated image for paper or a slide.
//!
//! A model draws well only near its training area (about 512² for SD 1.5), so a print page
//! is generated at the model's native scale with the page's ratio and enlarged afterwards to
//! the pixels that fill the page at the chosen DPI. The DPI goes into the PNG's `pHYs` chunk,
//! so Word and HWP place the figure at its physical size.

use std::fmt;
use std::path::Path;

use image::imageops::{self, FilterType};
use image::RgbImage;
use reportfig_engine::pipeline::upscale::{SrVggNetCompact, UpscaleError};
use reportfig_engine::pipeline::LoadContext;

use crate::commands::{BadInput, Reporter};
use crate::i18n::Message;
use crate::model::source::HubOptions;
use crate::model::upscaler::UpscalerSource;
use crate::msg;
use crate::output::PrintRecord;

/// The pages `--print` fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrintPage {
    /// A4 portrait, 210 × 297 mm.
    A4,
    /// A5 portrait, 148 × 210 mm.
    A5,
    /// A 16:9 slide, 13.33 × 7.5 in (PowerPoint's and Hancom Show's widescreen page).
    Slide,
}

impl PrintPage {
    pub fn name(self) -> &'static str {
        match self {
            Self::A4 => "a4",
            Self::A5 => "a5",
            Self::Slide => "slide",
        }
    }

    /// The page's exact ratio (width, height) in whole units.
    pub fn ratio(self) -> (u32, u32) {
        match self {
            Self::A4 => (210, 297),
            Self::A5 => (148, 210),
            Self::Slide => (16, 9),
        }
    }

    /// The page's size in inches (width, height).
    pub fn inches(self) -> (f64, f64) {
        match self {
            Self::A4 => (210.0 / 25.4, 297.0 / 25.4),
            Self::A5 => (148.0 / 25.4, 210.0 / 25.4),
            Self::Slide => (40.0 / 3.0, 7.5),
        }
    }

    /// Print pages want 300 dpi; a projected slide gains nothing past 150 (2000 × 1125).
    pub fn default_dpi(self) -> u32 {
        match self {
            Self::A4 | Self::A5 => 300,
            Self::Slide => 150,
        }
    }

    /// The pixels that fill the page at `dpi`: A4 at 300 dpi is 2480 × 3508.
    pub fn pixels(self, dpi: u32) -> (u32, u32) {
        let (w, h) = self.inches();
        let d = f64::from(dpi);
        ((w * d).round() as u32, (h * d).round() as u32)
    }
}

impl fmt::Display for PrintPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The largest side `--print` makes; past it a PNG is hundreds of MB in memory for no gain
/// on paper (A4 at 600 dpi is 4961 × 7016).
pub const MAX_PRINT_SIDE: u32 = 8192;

/// What to do to every image after generation: nothing, record a DPI, or fill a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finish {
    pub dpi: Option<u32>,
    pub page: Option<PrintPage>,
    /// `--upscaler NAME|DIR|FILE`: a Real-ESRGAN compact upscaler (a preset, a folder, a
    /// `.pth`) that enlarges before the final resize; without it Lanczos3 alone.
    pub upscaler: Option<UpscalerSource>,
}

/// Where `--upscaler NAME` is looked for: the user's data folder, then the hub.
pub struct UpscalerLookup<'a> {
    pub data_dir: Option<&'a Path>,
    pub hub: &'a HubOptions,
}

impl Finish {
    /// The DPI that will be recorded: `--dpi`, else the page's default.
    pub fn effective_dpi(&self) -> Option<u32> {
        self.dpi.or(self.page.map(PrintPage::default_dpi))
    }

    /// The finished pixel size, when a page is to be filled.
    pub fn target(&self) -> Option<(u32, u32)> {
        let page = self.page?;
        Some(page.pixels(self.effective_dpi()?))
    }

    /// Enlarges `image` to the page (Lanczos3) and returns the record to store; `None` for
    /// the record when neither `--dpi` nor `--print` was given (the image is then untouched).
    pub fn apply(&self, image: RgbImage) -> (RgbImage, Option<PrintRecord>) {
        finish(self, None, image).unwrap_or_else(|_| unreachable!("no upscaler, no failure"))
    }
}

use reportfig_engine::pipeline::upscale::TILE;

/// [`Finish`] with its upscaler loaded once, for every image of a run.
pub struct Finisher {
    finish: Finish,
    upscaler: Option<(SrVggNetCompact, String)>,
}

impl Finisher {
    /// Finds (a preset: downloads, unless offline) and loads `finish.upscaler` when
    /// `--print` will use it; a missing or wrong upscaler is the user's to fix, so it is
    /// refused before anything slow.
    pub fn new(
        finish: Finish,
        ctx: &LoadContext,
        lookup: &UpscalerLookup<'_>,
        reporter: &mut dyn Reporter,
    ) -> anyhow::Result<Self> {
        let upscaler = match (&finish.upscaler, finish.page) {
            (Some(source), Some(_)) => {
                let path = source.resolve(
                    lookup.data_dir,
                    lookup.hub,
                    &mut crate::commands::models::download_reporter(reporter),
                )?;
                let net = if path.is_dir() {
                    SrVggNetCompact::load_dir(&path, ctx, TILE)
                } else {
                    SrVggNetCompact::load_pth(&path, ctx, TILE)
                };
                let net = net.map_err(|e| BadInput(upscaler_error(&path, &e)))?;
                Some((net, source.label()))
            }
            _ => None,
        };
        Ok(Self { finish, upscaler })
    }

    /// [`Finisher::new`] for a [`Finish`] that names no upscaler (nothing to look up).
    pub fn plain(finish: Finish) -> Self {
        Self {
            finish: Finish {
                upscaler: None,
                ..finish
            },
            upscaler: None,
        }
    }

    /// The note for the user: which enlargement `--print` uses (none without `--print`).
    /// Given the picture's size, a page no larger than it is said to be a plain reduction,
    /// not an enlargement through an upscaler that will not run.
    pub fn note(&self, picture: Option<(u32, u32)>) -> Option<Message> {
        let (w, h) = self.finish.target()?;
        if let (Some((pw, ph)), Some(dpi)) = (picture, self.finish.effective_dpi()) {
            if w <= pw && h <= ph {
                return Some(msg!("note-print-reduced", width = w, height = h, dpi = dpi));
            }
        }
        Some(match &self.upscaler {
            Some((net, name)) => msg!(
                "note-print-upscaler",
                name = name.as_str(),
                scale = net.config().upscale
            ),
            None => msg!("note-print-lanczos"),
        })
    }

    /// [`Finish::apply`], through the learned upscaler when one was loaded.
    pub fn apply(&self, image: RgbImage) -> Result<(RgbImage, Option<PrintRecord>), UpscaleError> {
        finish(&self.finish, self.upscaler.as_ref(), image)
    }
}

fn finish(
    f: &Finish,
    upscaler: Option<&(SrVggNetCompact, String)>,
    image: RgbImage,
) -> Result<(RgbImage, Option<PrintRecord>), UpscaleError> {
    let Some(dpi) = f.effective_dpi() else {
        return Ok((image, None));
    };
    let (image, upscaled_by) = match f.target() {
        Some((w, h)) if image.dimensions() != (w, h) => {
            let larger = w > image.width() || h > image.height();
            match upscaler {
                // The network enlarges ×4; Lanczos3 then makes the exact page pixels (mostly
                // a small reduction).
                Some((net, name)) if larger => {
                    let overlap = net.config().num_conv + 2;
                    let up = net.upscale_image(&image, TILE, overlap)?;
                    let by = format!("{name} x{} + lanczos3", net.config().upscale);
                    (imageops::resize(&up, w, h, FilterType::Lanczos3), Some(by))
                }
                _ => (
                    imageops::resize(&image, w, h, FilterType::Lanczos3),
                    Some("lanczos3".to_string()),
                ),
            }
        }
        _ => (image, None),
    };
    let record = PrintRecord {
        dpi,
        page: f.page.map(|p| p.name().to_string()),
        upscaled_by,
    };
    Ok((image, Some(record)))
}

fn upscaler_error(dir: &Path, e: &UpscaleError) -> Message {
    match e {
        UpscaleError::NoWeights { .. } => {
            msg!("upscaler-no-weights", dir = dir.display().to_string())
        }
        other => {
            let reason = match other {
                UpscaleError::File { path, message } => msg!(
                    "upscaler-file",
                    path = path.display().to_string(),
                    detail = message
                ),
                UpscaleError::BadConfig {
                    path,
                    field,
                    value,
                    min,
                    max,
                } => msg!(
                    "upscaler-bad-config",
                    path = path.display().to_string(),
                    field = *field,
                    value = *value,
                    min = *min,
                    max = *max
                ),
                UpscaleError::Weights {
                    path,
                    num_feat,
                    num_conv,
                    source,
                } => msg!(
                    "upscaler-weights",
                    path = path.display().to_string(),
                    features = *num_feat,
                    convolutions = *num_conv,
                    detail = reportfig_engine::pipeline::plain_message(source)
                ),
                UpscaleError::Run(source) => msg!(
                    "upscaler-run",
                    detail = reportfig_engine::pipeline::plain_message(source)
                ),
                UpscaleError::SeveralPth { dir, count } => msg!(
                    "upscaler-several-pth",
                    dir = dir.display().to_string(),
                    count = *count
                ),
                UpscaleError::Pickle(p) => crate::explain::pickle_error(p),
                UpscaleError::NotCompact { path, reason } => msg!(
                    "upscaler-not-compact",
                    path = path.display().to_string(),
                    detail = reason
                ),
                UpscaleError::NoWeights { .. } => unreachable!("matched above"),
            };
            msg!(
                "upscaler-unusable",
                dir = dir.display().to_string(),
                reason = reason
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_pixels_at_common_dpis() {
        assert_eq!(PrintPage::A4.pixels(300), (2480, 3508));
        assert_eq!(PrintPage::A5.pixels(300), (1748, 2480));
        assert_eq!(PrintPage::Slide.pixels(150), (2000, 1125));
        assert_eq!(PrintPage::A4.pixels(150), (1240, 1754));
    }

    #[test]
    fn no_flags_leave_the_image_alone() {
        let img = RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3]));
        let (out, rec) = Finish::default().apply(img.clone());
        assert_eq!(out, img);
        assert!(rec.is_none());
        let (out, rec) = Finish {
            dpi: Some(96),
            ..Finish::default()
        }
        .apply(img.clone());
        assert_eq!(out, img);
        assert_eq!(rec.unwrap().dpi, 96);
    }
}
