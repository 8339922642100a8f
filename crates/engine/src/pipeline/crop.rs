//! `crop_to_ratio`: sizes are multiples of the VAE's stride, so a page ratio such as A4's
//! 210:297 is only approximated by the generated size; the finished image is then cropped,
//! centred, to the exact ratio.

use image::RgbImage;

/// A rectangle inside an image, in pixels from the top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CropRect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The largest centred rectangle of a `width`×`height` image whose ratio is `ratio` (width,
/// height) as closely as whole pixels allow: one side keeps the image's full length and the
/// other is rounded to the nearest pixel, so the ratio is off by less than one pixel's worth.
/// Odd leftovers go to the right and bottom edges.
pub fn exact_ratio_crop(width: u32, height: u32, ratio: (u32, u32)) -> CropRect {
    let (rw, rh) = (ratio.0.max(1) as u64, ratio.1.max(1) as u64);
    let (w, h) = (width as u64, height as u64);
    // Compare w/h with rw/rh without floating point.
    let (cw, ch) = if w * rh > h * rw {
        // Too wide: keep the height.
        (((h * rw * 2 + rh) / (rh * 2)).clamp(1, w), h)
    } else {
        // Too tall (or exact): keep the width.
        (w, ((w * rh * 2 + rw) / (rw * 2)).clamp(1, h))
    };
    CropRect {
        x: ((w - cw) / 2) as u32,
        y: ((h - ch) / 2) as u32,
        width: cw as u32,
        height: ch as u32,
    }
}

/// `image` cropped to [`exact_ratio_crop`]'s rectangle.
pub fn crop_to_ratio(image: RgbImage, ratio: (u32, u32)) -> RgbImage {
    let r = exact_ratio_crop(image.width(), image.height(), ratio);
    if (r.width, r.height) == image.dimensions() {
        return image;
    }
    image::imageops::crop_imm(&image, r.x, r.y, r.width, r.height).to_image()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_to_the_exact_ratio() {
        let r = exact_ratio_crop(432, 608, (210, 297));
        // 608 * 210 / 297 = 429.9 -> 430, centred in 432.
        assert_eq!(
            r,
            CropRect {
                x: 1,
                y: 0,
                width: 430,
                height: 608
            }
        );
        let r = exact_ratio_crop(1344, 768, (16, 9));
        assert_eq!((r.width, r.height, r.x, r.y), (1344, 756, 0, 6));
        let r = exact_ratio_crop(512, 512, (1, 1));
        assert_eq!((r.width, r.height, r.x, r.y), (512, 512, 0, 0));
    }

    #[test]
    fn cropping_keeps_the_centre_pixels() {
        let image = RgbImage::from_fn(8, 4, |x, y| image::Rgb([x as u8, y as u8, 0]));
        let out = crop_to_ratio(image, (1, 1));
        assert_eq!(out.dimensions(), (4, 4));
        assert_eq!(out.get_pixel(0, 0), &image::Rgb([2, 0, 0]));
        assert_eq!(out.get_pixel(3, 3), &image::Rgb([5, 3, 0]));
    }
}
