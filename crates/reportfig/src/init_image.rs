//! The picture an image-to-image request starts from (`--init-image`): a staff photo or the
//! city's logo, read once, turned upright, flattened onto white, and fitted to each size it
//! is asked for.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use image::{DynamicImage, GrayImage, ImageDecoder, ImageReader, RgbImage};
use sha2::{Digest, Sha256};

use crate::i18n::Message;
use crate::msg;
use reportfig_engine::pipeline::StartPicture;
use reportfig_engine::request::{InitImage, RecordedFile};

/// The repaint strength when none is given: the layout and the main shapes of the photo
/// survive, its surface takes the style.
pub const DEFAULT_STRENGTH: f64 = 0.6;

/// Below this on either side a picture holds too little to start from (the latents of a
/// 64-pixel side are 8 wide).
pub const MIN_SIDE: u32 = 64;

/// Photos from phones run to 50 megapixels; more than this is not a photo of a place.
const MAX_PIXELS: u64 = 100_000_000;

/// Why a starting picture cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum InitImageError {
    #[error("cannot read the starting picture {path}: {reason}")]
    Unreadable { path: PathBuf, reason: Message },
    #[error("{path} is not a PNG or JPEG picture ({reason})")]
    NotAnImage { path: PathBuf, reason: String },
    #[error("the starting picture {path} is {width}x{height}; it needs at least {MIN_SIDE} pixels on each side")]
    TooSmall {
        path: PathBuf,
        width: u32,
        height: u32,
    },
    #[error("--strength {0} must be above 0 and at most 1 (0.6 is usual)")]
    Strength(f64),
    #[error("the mask {path} is {mask_width}x{mask_height} but the starting picture is {width}x{height}; they must be the same size")]
    MaskSize {
        path: PathBuf,
        mask_width: u32,
        mask_height: u32,
        width: u32,
        height: u32,
    },
}

impl InitImageError {
    /// The message the user reads, in their language.
    pub fn message(&self) -> Message {
        match self {
            InitImageError::Unreadable { path, reason } => msg!(
                "init-image-unreadable",
                path = path.display().to_string(),
                reason = reason
            ),
            InitImageError::NotAnImage { path, reason } => msg!(
                "init-image-not-image",
                path = path.display().to_string(),
                reason = reason.clone()
            ),
            InitImageError::TooSmall {
                path,
                width,
                height,
            } => msg!(
                "init-image-too-small",
                path = path.display().to_string(),
                width = *width,
                height = *height,
                min = MIN_SIDE
            ),
            InitImageError::Strength(s) => msg!("strength-out-of-range", strength = s.to_string()),
            InitImageError::MaskSize {
                path,
                mask_width,
                mask_height,
                width,
                height,
            } => msg!(
                "mask-size-differs",
                path = path.display().to_string(),
                mask = format!("{mask_width}x{mask_height}"),
                picture = format!("{width}x{height}")
            ),
        }
    }
}

/// A starting picture ready for any size: upright, RGB on white, with what the PNG records.
#[derive(Clone)]
pub struct InitPicture {
    /// What the finished image records: file name, SHA-256, strength.
    pub record: InitImage,
    /// Upright, alpha flattened on white, at the file's own size. Shared, so the same photo
    /// at several strengths (figures, compare cells) is held once.
    pub picture: Arc<RgbImage>,
    /// `--mask`: upright, grey, the picture's size; white is repainted.
    pub mask: Option<Arc<GrayImage>>,
}

/// A starting picture at one request's size, ready for the pipeline.
#[derive(Debug, Clone)]
pub struct FittedPicture {
    pub image: RgbImage,
    pub mask: Option<GrayImage>,
}

impl FittedPicture {
    /// The pixels as the engine takes them.
    pub fn start(&self) -> StartPicture<'_> {
        StartPicture {
            image: &self.image,
            mask: self.mask.as_ref(),
        }
    }
}

// Not derived: the pixels would print as millions of numbers.
impl std::fmt::Debug for InitPicture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitPicture")
            .field("record", &self.record)
            .field("size", &self.picture.dimensions())
            .finish()
    }
}

/// Checks a strength typed by the user.
pub fn check_strength(strength: f64) -> Result<f64, InitImageError> {
    if InitImage::strength_is_valid(strength) {
        Ok(strength)
    } else {
        Err(InitImageError::Strength(strength))
    }
}

impl InitPicture {
    /// Reads `path` (PNG or JPEG, by content rather than extension), applies its EXIF
    /// orientation (phones store photos sideways and say so there) and flattens transparency
    /// onto white (a logo on a transparent background is meant to sit on paper).
    pub fn open(path: &Path, strength: f64) -> Result<Self, InitImageError> {
        let bytes = read_file(path)?;
        Self::from_bytes(path, &bytes, strength)
    }

    /// [`InitPicture::open`] on a file's bytes already in memory (an upload to the server):
    /// `name` is what messages name and what the metadata records as the file (its last
    /// component only).
    pub fn from_bytes(name: &Path, bytes: &[u8], strength: f64) -> Result<Self, InitImageError> {
        let strength = check_strength(strength)?;
        let (decoded, record) = decode_upright(name, bytes)?;
        Ok(InitPicture {
            record: InitImage {
                file: record.file,
                sha256: record.sha256,
                strength,
                mask: None,
            },
            picture: Arc::new(flatten_on_white(decoded)),
            mask: None,
        })
    }

    /// Adds `--mask FILE`: white is repainted, black kept (transparency counts as black, so
    /// a mask painted on a transparent layer works). It must be the picture's size.
    pub fn with_mask(self, path: &Path) -> Result<Self, InitImageError> {
        let bytes = read_file(path)?;
        self.with_mask_bytes(path, &bytes)
    }

    /// [`InitPicture::with_mask`] on a file's bytes already in memory, named `name`.
    pub fn with_mask_bytes(mut self, path: &Path, bytes: &[u8]) -> Result<Self, InitImageError> {
        let (decoded, record) = decode_upright(path, bytes)?;
        if (decoded.width(), decoded.height()) != self.picture.dimensions() {
            return Err(InitImageError::MaskSize {
                path: path.to_path_buf(),
                mask_width: decoded.width(),
                mask_height: decoded.height(),
                width: self.picture.width(),
                height: self.picture.height(),
            });
        }
        let rgba = decoded.into_rgba8();
        let mask = GrayImage::from_fn(rgba.width(), rgba.height(), |x, y| {
            let p = rgba.get_pixel(x, y);
            let luma = pil_luma(p[0], p[1], p[2]) as u32;
            image::Luma([((luma * p[3] as u32 + 127) / 255) as u8])
        });
        self.record.mask = Some(record);
        self.mask = Some(Arc::new(mask));
        Ok(self)
    }

    /// The same picture repainted by another amount (`compare --vary strength`).
    pub fn with_strength(&self, strength: f64) -> Self {
        InitPicture {
            record: InitImage {
                strength,
                ..self.record.clone()
            },
            picture: self.picture.clone(),
            mask: self.mask.clone(),
        }
    }

    /// The same picture (and record) holding only its pixels at `width`×`height`, as
    /// [`InitPicture::fitted`] makes them: what a job waiting in the server's queue keeps,
    /// instead of a photo of many megapixels. Fitting it again to that size changes nothing.
    pub fn fitted_to(&self, width: u32, height: u32) -> Self {
        let fitted = self.fitted(width, height);
        InitPicture {
            record: self.record.clone(),
            picture: Arc::new(fitted.image),
            mask: fitted.mask.map(Arc::new),
        }
    }

    /// The same picture no longer than `max_side` on either side, its shape kept (Lanczos3):
    /// for a photo held until it is fitted to sizes that are all smaller.
    pub fn shrunk_to(&self, max_side: u32) -> Self {
        let (w, h) = self.ratio();
        if w.max(h) <= max_side {
            return self.clone();
        }
        let scale = max_side as f64 / w.max(h) as f64;
        let (sw, sh) = (
            ((w as f64 * scale).round() as u32).max(1),
            ((h as f64 * scale).round() as u32).max(1),
        );
        let filter = image::imageops::FilterType::Lanczos3;
        InitPicture {
            record: self.record.clone(),
            picture: Arc::new(image::imageops::resize(&*self.picture, sw, sh, filter)),
            mask: self
                .mask
                .as_deref()
                .map(|m| Arc::new(image::imageops::resize(m, sw, sh, filter))),
        }
    }

    /// `(width, height)` of the picture as stored, upright.
    pub fn ratio(&self) -> (u32, u32) {
        (self.picture.width(), self.picture.height())
    }

    /// The picture (and mask) scaled to cover `width`×`height` and centre-cropped to it, so
    /// nothing is stretched; Lanczos3, as diffusers' image processor resizes.
    pub fn fitted(&self, width: u32, height: u32) -> FittedPicture {
        FittedPicture {
            image: cover_crop(&self.picture, width, height),
            mask: self.mask.as_deref().map(|m| cover_crop(m, width, height)),
        }
    }
}

fn cover_crop<P: image::Pixel<Subpixel = u8> + 'static>(
    img: &image::ImageBuffer<P, Vec<u8>>,
    width: u32,
    height: u32,
) -> image::ImageBuffer<P, Vec<u8>> {
    let (w, h) = img.dimensions();
    if (w, h) == (width, height) {
        return img.clone();
    }
    let scale = f64::max(width as f64 / w as f64, height as f64 / h as f64);
    let sw = ((w as f64 * scale).round() as u32).max(width);
    let sh = ((h as f64 * scale).round() as u32).max(height);
    let scaled = image::imageops::resize(img, sw, sh, image::imageops::FilterType::Lanczos3);
    image::imageops::crop_imm(&scaled, (sw - width) / 2, (sh - height) / 2, width, height)
        .to_image()
}

fn read_file(path: &Path) -> Result<Vec<u8>, InitImageError> {
    std::fs::read(path).map_err(|e| InitImageError::Unreadable {
        path: path.to_path_buf(),
        reason: crate::os_reason::message(&e),
    })
}

/// Decodes a PNG or JPEG (by content rather than extension; `path` names it in messages and
/// records) and turns it upright from its EXIF orientation (phones store photos sideways and
/// say so there).
fn decode_upright(
    path: &Path,
    bytes: &[u8],
) -> Result<(DynamicImage, RecordedFile), InitImageError> {
    // The image library's words about the bytes, kept as they are.
    let unreadable = |e: &dyn std::fmt::Display| InitImageError::Unreadable {
        path: path.to_path_buf(),
        reason: crate::msg!("untranslated", text = e.to_string()),
    };
    let not_image = |e: &dyn std::fmt::Display| InitImageError::NotAnImage {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| unreadable(&e))?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| not_image(&e))?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(|e| not_image(&e))?;
    decoded.apply_orientation(orientation);
    let (width, height) = (decoded.width(), decoded.height());
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(InitImageError::TooSmall {
            path: path.to_path_buf(),
            width,
            height,
        });
    }
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let record = RecordedFile {
        file,
        sha256: format!("{:x}", Sha256::digest(bytes)),
    };
    Ok((decoded, record))
}

/// Grey from RGB as PIL's `convert("L")` computes it (ITU-R 601-2 luma, rounded), the way
/// diffusers' mask processor reads a colour mask.
fn pil_luma(r: u8, g: u8, b: u8) -> u8 {
    ((r as u32 * 19595 + g as u32 * 38470 + b as u32 * 7471 + 0x8000) >> 16) as u8
}

fn flatten_on_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = p[3] as u32;
        for c in 0..3 {
            // Round to nearest: colour * a + white * (255 - a), over 255.
            o[c] = ((p[c] as u32 * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    fn write_png(dir: &Path, name: &str, img: &DynamicImage) -> PathBuf {
        let path = dir.join(name);
        img.save(&path).unwrap();
        path
    }

    #[test]
    fn transparency_sits_on_white() {
        let dir = tempfile::tempdir().unwrap();
        let mut img = RgbaImage::from_pixel(80, 64, Rgba([0, 0, 0, 0]));
        img.put_pixel(1, 1, Rgba([0, 0, 255, 255]));
        img.put_pixel(2, 1, Rgba([0, 0, 0, 128]));
        let path = write_png(dir.path(), "logo.png", &DynamicImage::ImageRgba8(img));
        let pic = InitPicture::open(&path, 0.5).unwrap();
        assert_eq!(pic.picture.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(pic.picture.get_pixel(1, 1).0, [0, 0, 255]);
        assert_eq!(pic.picture.get_pixel(2, 1).0, [127, 127, 127]);
        assert_eq!(pic.record.file, "logo.png");
        assert_eq!(pic.record.strength, 0.5);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(pic.record.sha256, format!("{:x}", Sha256::digest(&bytes)));
    }

    #[test]
    fn fitting_covers_and_crops_the_centre() {
        // A 200x100 picture, left half red, right half blue, with a green middle column
        // band: fitted to 64x64 it keeps the middle (both colours, green in the centre).
        let mut img = RgbImage::new(200, 100);
        for (x, _, p) in img.enumerate_pixels_mut() {
            p.0 = if (90..110).contains(&x) {
                [0, 255, 0]
            } else if x < 100 {
                [255, 0, 0]
            } else {
                [0, 0, 255]
            };
        }
        let pic = InitPicture {
            record: InitImage {
                file: "x.png".into(),
                sha256: String::new(),
                strength: 0.6,
                mask: None,
            },
            picture: Arc::new(img),
            mask: None,
        };
        let fitted = pic.fitted(64, 64).image;
        assert_eq!(fitted.dimensions(), (64, 64));
        assert_eq!(fitted.get_pixel(32, 32).0[1], 255);
        assert!(fitted.get_pixel(2, 32).0[0] > 200, "left edge is red");
        assert!(fitted.get_pixel(61, 32).0[2] > 200, "right edge is blue");
        assert_eq!(pic.fitted(200, 100).image, *pic.picture);
    }

    /// What the server keeps of an upload: from bytes the record is the file's, as from
    /// the file; fitted to a size it holds only that size (and fitting again is a copy);
    /// shrunk it keeps its shape and record.
    #[test]
    fn uploads_read_like_files_and_are_kept_small() {
        let dir = tempfile::tempdir().unwrap();
        let img = RgbImage::from_fn(300, 200, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let path = write_png(dir.path(), "hall.png", &DynamicImage::ImageRgb8(img));
        let bytes = std::fs::read(&path).unwrap();
        let from_file = InitPicture::open(&path, 0.4).unwrap();
        let from_bytes = InitPicture::from_bytes(Path::new("hall.png"), &bytes, 0.4).unwrap();
        assert_eq!(from_bytes.record, from_file.record);
        assert_eq!(*from_bytes.picture, *from_file.picture);

        let fitted = from_bytes.fitted_to(64, 96);
        assert_eq!(fitted.ratio(), (64, 96));
        assert_eq!(fitted.record, from_bytes.record);
        assert_eq!(fitted.fitted(64, 96).image, from_bytes.fitted(64, 96).image);

        let shrunk = from_bytes.shrunk_to(150);
        assert_eq!(shrunk.ratio(), (150, 100));
        assert_eq!(shrunk.record, from_bytes.record);
        assert_eq!(
            from_bytes.shrunk_to(300).ratio(),
            (300, 200),
            "small enough already"
        );
    }

    #[test]
    fn bad_pictures_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.png");
        std::fs::write(&text, "not a picture").unwrap();
        let err = InitPicture::open(&text, 0.6).unwrap_err();
        assert!(matches!(err, InitImageError::NotAnImage { .. }), "{err}");
        let small = write_png(
            dir.path(),
            "icon.png",
            &DynamicImage::ImageRgb8(RgbImage::new(32, 100)),
        );
        let err = InitPicture::open(&small, 0.6).unwrap_err();
        assert!(err.to_string().contains("32x100"), "{err}");
        let missing = InitPicture::open(&dir.path().join("none.jpg"), 0.6).unwrap_err();
        assert!(matches!(missing, InitImageError::Unreadable { .. }));
        for s in [0.0, -0.1, 1.01, f64::NAN] {
            assert!(check_strength(s).is_err(), "{s}");
        }
        assert_eq!(check_strength(1.0).unwrap(), 1.0);
    }

    /// EXIF orientation 6 ("rotate 90° clockwise to view"), as phones write portrait
    /// photos: a JPEG stored 96x64 landscape reads as 64x96 portrait.
    #[test]
    fn exif_orientation_turns_photos_upright() {
        let dir = tempfile::tempdir().unwrap();
        let stored = RgbImage::from_fn(96, 64, |x, _| {
            if x < 48 {
                image::Rgb([250, 10, 10])
            } else {
                image::Rgb([10, 10, 250])
            }
        });
        let mut jpeg = Vec::new();
        DynamicImage::ImageRgb8(stored)
            .write_to(
                &mut std::io::Cursor::new(&mut jpeg),
                image::ImageFormat::Jpeg,
            )
            .unwrap();
        let path = dir.path().join("photo.jpg");
        std::fs::write(&path, with_exif_orientation(&jpeg, 6)).unwrap();
        let pic = InitPicture::open(&path, 0.6).unwrap();
        assert_eq!(pic.ratio(), (64, 96));
        // Rotated clockwise: the stored left (red) half is now the top.
        assert!(pic.picture.get_pixel(32, 10).0[0] > 200);
        assert!(pic.picture.get_pixel(32, 85).0[2] > 200);
    }

    /// A JPEG with an APP1 Exif segment holding only the Orientation tag, inserted after SOI.
    fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big-endian, IFD at 8
        tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
        tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
        tiff.extend_from_slice(&1u32.to_be_bytes()); // count
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]);
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }
}
