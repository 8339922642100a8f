//! Page sizes: named presets for the shapes reports need, resolved per model family to a
//! pixel size the model renders well, `WxH` parsing, and the exact ratio a page asks for.
//!
//! Models draw best near the area they were trained on; far from it they repeat subjects
//! (too large) or lose detail (too small). So a preset fixes the *shape* and the family fixes
//! the *area*: SD 1.5 and the turbo models near 512², SD 2.x near 768², SDXL on its training
//! buckets near 1024². Sides are multiples of 8 (the VAE's stride), so the ratio is only as
//! close as that allows; `--exact-ratio` crops the result afterwards
//! ([`reportfig_engine::pipeline::crop::exact_ratio_crop`]).

use std::fmt;
use std::str::FromStr;

use reportfig_engine::family::ModelFamily;

/// The shapes a report page needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PagePreset {
    A4Portrait,
    A4Landscape,
    Slide16x9,
    Square,
    /// A wide strip for section headers and web banners, 3:1.
    Banner,
    /// A square for pictograms; same pixels as `square` (small sizes ruin quality), meant to
    /// be scaled down in the document.
    Icon,
}

/// Pixel dimensions, width first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// SDXL's multi-aspect training buckets (width, height), from the SDXL report's appendix:
/// every side a multiple of 64 and an area near 1024².
pub const SDXL_BUCKETS: [(u32, u32); 41] = [
    (512, 2048),
    (512, 1984),
    (512, 1920),
    (512, 1856),
    (576, 1792),
    (576, 1728),
    (576, 1664),
    (640, 1600),
    (640, 1536),
    (704, 1472),
    (704, 1408),
    (704, 1344),
    (768, 1344),
    (768, 1280),
    (832, 1216),
    (832, 1152),
    (896, 1152),
    (896, 1088),
    (960, 1088),
    (960, 1024),
    (1024, 1024),
    (1024, 960),
    (1088, 960),
    (1088, 896),
    (1152, 896),
    (1152, 832),
    (1216, 832),
    (1280, 768),
    (1344, 768),
    (1344, 704),
    (1408, 704),
    (1472, 704),
    (1536, 640),
    (1600, 640),
    (1664, 576),
    (1728, 576),
    (1792, 576),
    (1856, 512),
    (1920, 512),
    (1984, 512),
    (2048, 512),
];

/// The largest side we accept from `--size`; beyond this a CPU run takes hours and every
/// family repeats its subject.
pub const MAX_SIDE: u32 = 4096;

impl PagePreset {
    pub const ALL: [PagePreset; 6] = [
        Self::A4Portrait,
        Self::A4Landscape,
        Self::Slide16x9,
        Self::Square,
        Self::Banner,
        Self::Icon,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::A4Portrait => "a4-portrait",
            Self::A4Landscape => "a4-landscape",
            Self::Slide16x9 => "slide-16x9",
            Self::Square => "square",
            Self::Banner => "banner",
            Self::Icon => "icon",
        }
    }

    /// The page's exact ratio as (width, height) in whole units: A4 is 210 × 297 mm.
    pub fn ratio(self) -> (u32, u32) {
        match self {
            Self::A4Portrait => (210, 297),
            Self::A4Landscape => (297, 210),
            Self::Slide16x9 => (16, 9),
            Self::Square | Self::Icon => (1, 1),
            Self::Banner => (3, 1),
        }
    }

    fn ratio_f64(self) -> f64 {
        let (w, h) = self.ratio();
        w as f64 / h as f64
    }

    /// The pixel size to generate for this page on `family`.
    pub fn size_for(self, family: ModelFamily) -> Size {
        let target = self.ratio_f64();
        match family {
            ModelFamily::Sdxl => nearest_bucket(target),
            _ => near_area(target, family.native_side()),
        }
    }
}

/// The pixel size to generate for an arbitrary `(width, height)` ratio on `family` (a print
/// page such as A5 that has no preset), chosen as the presets are.
pub fn size_for_ratio(ratio: (u32, u32), family: ModelFamily) -> Size {
    let target = ratio.0 as f64 / ratio.1 as f64;
    match family {
        ModelFamily::Sdxl => nearest_bucket(target),
        _ => near_area(target, family.native_side()),
    }
}

impl fmt::Display for PagePreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn ratio_distance(w: u32, h: u32, target: f64) -> f64 {
    ((w as f64 / h as f64) / target).ln().abs()
}

fn nearest_bucket(target: f64) -> Size {
    let mut best = SDXL_BUCKETS[20];
    for &(w, h) in &SDXL_BUCKETS {
        if ratio_distance(w, h, target) < ratio_distance(best.0, best.1, target) {
            best = (w, h);
        }
    }
    Size {
        width: best.0,
        height: best.1,
    }
}

/// The multiple-of-8 size whose ratio is nearest `target` among sizes whose area is within
/// 6% of `side`²; ties go to the area nearer `side`². 6% is enough freedom to land within
/// about 1% of any page ratio at 512² while staying in the model's comfort zone.
fn near_area(target: f64, side: u32) -> Size {
    let area = (side as f64) * (side as f64);
    let mut best: Option<(f64, f64, Size)> = None;
    let mut h = 8;
    while h <= side * 4 {
        // Check the two multiples of 8 either side of the width that gives the exact ratio.
        let exact_w = h as f64 * target;
        for w in [
            ((exact_w / 8.0).floor() as u32) * 8,
            ((exact_w / 8.0).ceil() as u32) * 8,
        ] {
            if w == 0 {
                continue;
            }
            let a = (w as f64) * (h as f64);
            if (a / area - 1.0).abs() > 0.06 {
                continue;
            }
            let rd = ratio_distance(w, h, target);
            let ad = (a / area).ln().abs();
            let size = Size {
                width: w,
                height: h,
            };
            let better = match &best {
                None => true,
                Some((brd, bad, _)) => rd < brd - 1e-12 || ((rd - brd).abs() <= 1e-12 && ad < *bad),
            };
            if better {
                best = Some((rd, ad, size));
            }
        }
        h += 8;
    }
    // A square always qualifies, so `best` is set for any ratio between 1:4 and 4:1.
    best.map(|(_, _, s)| s).unwrap_or(Size {
        width: side,
        height: side,
    })
}

/// What `--size` asked for: a named page or exact pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeSpec {
    Preset(PagePreset),
    Exact(Size),
}

impl SizeSpec {
    /// The pixels to generate on `family`.
    pub fn resolve(self, family: ModelFamily) -> Size {
        match self {
            Self::Preset(p) => p.size_for(family),
            Self::Exact(s) => s,
        }
    }

    /// The ratio `--exact-ratio` crops to: the page's for a preset, the requested one for
    /// exact pixels (which the image already has, so the crop is then empty).
    pub fn ratio(self) -> (u32, u32) {
        match self {
            Self::Preset(p) => p.ratio(),
            Self::Exact(s) => (s.width, s.height),
        }
    }
}

impl fmt::Display for SizeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Preset(p) => p.fmt(f),
            Self::Exact(s) => s.fmt(f),
        }
    }
}

/// Why a size could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    #[error(
        "unknown page size `{given}`{}; use one of a4-portrait, a4-landscape, slide-16x9, \
         square, banner, icon, or WIDTHxHEIGHT in pixels such as 768x512",
        near.as_ref().map(|n| format!(" (did you mean `{n}`?)")).unwrap_or_default()
    )]
    Unknown {
        given: String,
        /// The nearest preset name, if one is close.
        near: Option<String>,
    },
    #[error("{side} {value} is not a multiple of 8; try {lower} or {upper}")]
    NotMultipleOf8 {
        side: &'static str,
        value: u32,
        lower: u32,
        upper: u32,
    },
    #[error("{side} must be at least 64 pixels, not {value}; try 512")]
    TooSmall { side: &'static str, value: u32 },
    #[error("{side} {value} is larger than {max} pixels; models repeat their subject at such sizes, try the model's native size and upscale")]
    TooLarge {
        side: &'static str,
        value: u32,
        max: u32,
    },
}

impl FromStr for PagePreset {
    type Err = SizeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        let found = match norm.as_str() {
            "a4-portrait" | "a4" => Some(Self::A4Portrait),
            "a4-landscape" => Some(Self::A4Landscape),
            "slide-16x9" | "slide" | "16x9" | "16:9" => Some(Self::Slide16x9),
            "square" => Some(Self::Square),
            "banner" => Some(Self::Banner),
            "icon" => Some(Self::Icon),
            _ => None,
        };
        found.ok_or_else(|| {
            let near = PagePreset::ALL
                .iter()
                .map(|p| (edit_distance(&norm, p.name()), p.name()))
                .filter(|(d, _)| *d <= 3)
                .min()
                .map(|(_, n)| n.to_string());
            SizeError::Unknown {
                given: s.to_string(),
                near,
            }
        })
    }
}

impl FromStr for SizeSpec {
    type Err = SizeError;

    /// A preset name or `WIDTHxHEIGHT` (`x`, `X`, `×` or `*` between the numbers).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(p) = s.parse::<PagePreset>() {
            return Ok(Self::Preset(p));
        }
        let t = s.trim();
        let parts: Vec<&str> = t.split(['x', 'X', '×', '*']).collect();
        if let [w, h] = parts.as_slice() {
            if let (Ok(w), Ok(h)) = (w.trim().parse::<u32>(), h.trim().parse::<u32>()) {
                return Ok(Self::Exact(check_size(w, h)?));
            }
        }
        // Not a size: report it as an unknown preset, with a hint if it is close to one.
        s.parse::<PagePreset>().map(Self::Preset)
    }
}

/// Checks pixel sides for generation: multiples of 8, between 64 and [`MAX_SIDE`].
pub fn check_size(width: u32, height: u32) -> Result<Size, SizeError> {
    for (side, value) in [("width", width), ("height", height)] {
        if value < 64 {
            return Err(SizeError::TooSmall { side, value });
        }
        if value > MAX_SIDE {
            return Err(SizeError::TooLarge {
                side,
                value,
                max: MAX_SIDE,
            });
        }
        if value % 8 != 0 {
            let lower = value / 8 * 8;
            return Err(SizeError::NotMultipleOf8 {
                side,
                value,
                lower,
                upper: lower + 8,
            });
        }
    }
    Ok(Size { width, height })
}

/// Levenshtein distance, for "did you mean" hints on short names.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A table of every preset's pixel size on every family, for help texts and documentation.
pub fn render_presets(w: &mut impl std::io::Write) -> std::io::Result<()> {
    write!(w, "{:14}", "preset")?;
    for fam in ModelFamily::ALL {
        write!(w, " {:>11}", fam.name())?;
    }
    writeln!(w)?;
    for p in PagePreset::ALL {
        write!(w, "{:14}", p.name())?;
        for fam in ModelFamily::ALL {
            write!(w, " {:>11}", p.size_for(fam).to_string())?;
        }
        writeln!(w)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_a_multiple_of_8_near_the_native_area() {
        for fam in ModelFamily::ALL {
            let native = (fam.native_side() as f64).powi(2);
            for p in PagePreset::ALL {
                let s = p.size_for(fam);
                assert_eq!(s.width % 8, 0, "{p} on {fam}: {s}");
                assert_eq!(s.height % 8, 0, "{p} on {fam}: {s}");
                let area = s.width as f64 * s.height as f64;
                assert!((area / native - 1.0).abs() < 0.1, "{p} on {fam}: {s}");
                let err = ratio_distance(s.width, s.height, p.ratio_f64());
                // SDXL buckets step in 64 px, so they are coarser than the 8-px grid.
                let tol = if fam == ModelFamily::Sdxl {
                    0.04
                } else {
                    0.015
                };
                assert!(err < tol, "{p} on {fam}: {s} ratio error {err}");
            }
        }
    }

    #[test]
    fn known_sizes() {
        let sz = |p: PagePreset, f| p.size_for(f).to_string();
        assert_eq!(sz(PagePreset::Square, ModelFamily::Sd15), "512x512");
        assert_eq!(sz(PagePreset::Square, ModelFamily::Sd21), "768x768");
        assert_eq!(sz(PagePreset::Square, ModelFamily::Sdxl), "1024x1024");
        assert_eq!(sz(PagePreset::A4Portrait, ModelFamily::Sdxl), "832x1152");
        assert_eq!(sz(PagePreset::Slide16x9, ModelFamily::Sdxl), "1344x768");
        assert_eq!(sz(PagePreset::Banner, ModelFamily::Sdxl), "1728x576");
    }

    #[test]
    fn parses_sizes_and_presets() {
        assert_eq!(
            "a4-portrait".parse::<SizeSpec>().unwrap(),
            SizeSpec::Preset(PagePreset::A4Portrait)
        );
        assert_eq!(
            "768x512".parse::<SizeSpec>().unwrap(),
            SizeSpec::Exact(Size {
                width: 768,
                height: 512
            })
        );
        assert_eq!(
            "500x512".parse::<SizeSpec>().unwrap_err().to_string(),
            "width 500 is not a multiple of 8; try 496 or 504"
        );
        assert_eq!(
            "512x 250".parse::<SizeSpec>().unwrap_err().to_string(),
            "height 250 is not a multiple of 8; try 248 or 256"
        );
        let e = "a4-portait".parse::<SizeSpec>().unwrap_err().to_string();
        assert!(e.contains("did you mean `a4-portrait`?"), "{e}");
        assert!(matches!(
            "8x512".parse::<SizeSpec>(),
            Err(SizeError::TooSmall { .. })
        ));
        assert!(matches!(
            "8192x512".parse::<SizeSpec>(),
            Err(SizeError::TooLarge { .. })
        ));
    }
}
