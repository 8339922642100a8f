//! `--dpi` and `--print`: finishing a generated image for paper or a slide.
//!
//! A model draws well only near its training area (about 512² for SD 1.5), so a print page
//! is generated at the model's native scale with the page's ratio and enlarged afterwards to
//! the pixels that fill the page at the chosen DPI. The DPI goes into the PNG's `pHYs` chunk,
//! so Word and HWP place the figure at its physical size.

use std::fmt;

use image::imageops::{self, FilterType};
use image::RgbImage;

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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Finish {
    pub dpi: Option<u32>,
    pub page: Option<PrintPage>,
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
        let Some(dpi) = self.effective_dpi() else {
            return (image, None);
        };
        let (image, upscaled_by) = match self.target() {
            Some((w, h)) if image.dimensions() != (w, h) => (
                imageops::resize(&image, w, h, FilterType::Lanczos3),
                Some("lanczos3".to_string()),
            ),
            _ => (image, None),
        };
        let record = PrintRecord {
            dpi,
            page: self.page.map(|p| p.name().to_string()),
            upscaled_by,
        };
        (image, Some(record))
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
            page: None,
        }
        .apply(img.clone());
        assert_eq!(out, img);
        assert_eq!(rec.unwrap().dpi, 96);
    }
}
