//! Typeset titles on covers: Stable Diffusion cannot draw Hangul, so the title of a cover is
//! set by reportfig on top of the finished picture, in bundled OFL fonts (subsets of
//! NanumGothic Bold and NanumMyeongjo Bold, see `assets/fonts/README.md`).
//!
//! A pure renderer: [`render`] takes the untitled picture and a [`TitleSpec`] and returns the
//! titled picture and the box it drew in. Every pixel outside that box is the untitled
//! picture's, so the same seed gives the same picture with or without a title, and a title
//! can be changed later from the untitled file (`reportfig retitle`).
//!
//! Korean is broken into lines at spaces only (word boundaries, as Korean typesetting does for
//! titles: 띄어쓰기 단위), never inside a word; the font size is the largest at which the
//! title fits in at most [`MAX_TITLE_LINES`] lines between safe margins. Contrast comes from
//! the picture under the title: a quiet area gets a soft shadow, a busy one a semi-opaque band.

use std::fmt;
use std::str::FromStr;

use image::{Rgb, RgbImage};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::compare::SheetFont;
use crate::style::palette::parse_hex;

/// Also served by `reportfig serve` for its page (see `serve::page::font`).
pub(crate) static SANS: &[u8] = include_bytes!("../../../assets/fonts/TitleSans.ttf");
static SERIF: &[u8] = include_bytes!("../../../assets/fonts/TitleSerif.ttf");

/// Most lines a title may take; a title needing more at the smallest size is refused.
pub const MAX_TITLE_LINES: usize = 3;
/// Most lines of a subtitle.
pub const MAX_SUBTITLE_LINES: usize = 2;
/// Safe margin on each side, as a fraction of the picture's width (print and slide crops
/// stay clear of it).
pub const MARGIN: f32 = 0.06;
/// Smallest title size, in pixels: below this a cover title cannot be read on a printed page.
pub const MIN_TITLE_PX: f32 = 12.0;

#[derive(Debug, Error, PartialEq)]
pub enum TitleError {
    #[error("the title is empty; give some text after --title")]
    Empty,

    #[error("the {part} {text:?} does not fit in {max_lines} lines of a {width}-pixel-wide picture even at the smallest size ({min_px} px); shorten it (about {chars_per_line} characters a line fit), or move details to --subtitle")]
    TooLong {
        part: TitlePart,
        text: String,
        max_lines: usize,
        width: u32,
        min_px: u32,
        chars_per_line: usize,
    },

    #[error("the {font} title font has no glyphs for {}; remove them from the title, or use --title-font sans (it has every Hangul syllable)", describe(.missing))]
    MissingGlyphs { font: TitleFont, missing: Vec<char> },

    #[error("the picture ({width}x{height}) is too small for a title; titles need at least 64x64 pixels")]
    TooSmall { width: u32, height: u32 },
}

fn describe(chars: &[char]) -> String {
    chars
        .iter()
        .map(|c| format!("'{c}' (U+{:04X})", *c as u32))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which text did not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TitlePart {
    Title,
    Subtitle,
}

impl TitlePart {
    pub fn name(self) -> &'static str {
        match self {
            TitlePart::Title => "title",
            TitlePart::Subtitle => "subtitle",
        }
    }
}

impl fmt::Display for TitlePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the title goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TitleLayout {
    /// Near the top edge, inside the margins.
    #[default]
    Top,
    /// Near the bottom edge.
    Bottom,
    /// In the middle.
    Center,
    /// A full-width semi-opaque band over the bottom third.
    Band,
}

impl TitleLayout {
    pub const ALL: [TitleLayout; 4] = [
        TitleLayout::Top,
        TitleLayout::Bottom,
        TitleLayout::Center,
        TitleLayout::Band,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TitleLayout::Top => "top",
            TitleLayout::Bottom => "bottom",
            TitleLayout::Center => "center",
            TitleLayout::Band => "band",
        }
    }
}

impl fmt::Display for TitleLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TitleLayout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        TitleLayout::ALL
            .into_iter()
            .find(|l| l.name() == t || (t == "centre" && *l == TitleLayout::Center))
            .ok_or_else(|| format!("unknown title layout {s:?}; use top, bottom, center or band"))
    }
}

/// The typeface of a title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TitleFont {
    /// Gothic (돋움 style), bold: the usual face of Korean report covers.
    #[default]
    Sans,
    /// Myeongjo (바탕 style), bold.
    Serif,
}

impl TitleFont {
    pub fn name(self) -> &'static str {
        match self {
            TitleFont::Sans => "sans",
            TitleFont::Serif => "serif",
        }
    }

    /// The bundled face.
    pub fn face(self) -> SheetFont {
        match self {
            TitleFont::Sans => SheetFont::from_static(SANS, "TitleSans (bundled)"),
            TitleFont::Serif => SheetFont::from_static(SERIF, "TitleSerif (bundled)"),
        }
    }
}

impl fmt::Display for TitleFont {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TitleFont {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sans" | "gothic" => Ok(TitleFont::Sans),
            "serif" | "myeongjo" => Ok(TitleFont::Serif),
            _ => Err(format!("unknown title font {s:?}; use sans or serif")),
        }
    }
}

/// What to typeset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitleSpec {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    #[serde(default)]
    pub layout: TitleLayout,
    #[serde(default)]
    pub font: TitleFont,
}

impl TitleSpec {
    /// Checks the text before anything slow runs: not empty, every character drawable.
    pub fn check(&self) -> Result<(), TitleError> {
        if self.title.trim().is_empty() {
            return Err(TitleError::Empty);
        }
        let face = self.font.face();
        let mut all = self.title.clone();
        if let Some(s) = &self.subtitle {
            all.push(' ');
            all.push_str(s);
        }
        let missing = face.missing_glyphs(&all);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(TitleError::MissingGlyphs {
                font: self.font,
                missing,
            })
        }
    }
}

/// A rectangle in pixels; the only area [`render`] changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitleBox {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl TitleBox {
    pub fn contains(&self, x: u32, y: u32) -> bool {
        x >= self.x && y >= self.y && x < self.x + self.width && y < self.y + self.height
    }
}

/// How the title was set, recorded in the titled PNG's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TitleRecord {
    #[serde(flatten)]
    pub spec: TitleSpec,
    /// The area the title changed; every other pixel is the untitled picture's.
    #[serde(rename = "box")]
    pub area: TitleBox,
    /// Title size in pixels.
    pub px: f32,
    pub lines: Vec<String>,
    /// `band` or `shadow`.
    pub backdrop: String,
    /// File name (same folder) of the untitled picture this was set on.
    pub untitled: String,
}

/// Breaks `text` into lines no wider than `max_width` at `px`, at spaces only. `None` when a
/// single word is wider than the line: Korean words are never split.
pub fn break_lines(font: &SheetFont, px: f32, text: &str, max_width: f32) -> Option<Vec<String>> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut current = String::new();
        for word in paragraph.split_whitespace() {
            if font.text_width(px, word) > max_width {
                return None;
            }
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            if font.text_width(px, &candidate) <= max_width {
                current = candidate;
            } else {
                lines.push(std::mem::replace(&mut current, word.to_string()));
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
    }
    Some(lines)
}

/// Chosen sizes and lines, before drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct Typeset {
    pub px: f32,
    pub lines: Vec<String>,
    pub sub_px: f32,
    pub sub_lines: Vec<String>,
    pub area: TitleBox,
}

fn block_height(font: &SheetFont, px: f32, lines: usize, sub_px: f32, sub_lines: usize) -> f32 {
    let gap = if sub_lines > 0 { px * 0.35 } else { 0.0 };
    font.line_height(px) * lines as f32 + gap + font.line_height(sub_px) * sub_lines as f32
}

/// The largest size at which `text` fits in `max_lines` lines of `width`, from `max_px` down
/// to `min_px`.
fn fit(
    font: &SheetFont,
    text: &str,
    width: f32,
    max_lines: usize,
    (min_px, max_px): (f32, f32),
) -> Option<(f32, Vec<String>)> {
    let mut px = max_px.floor();
    while px >= min_px {
        if let Some(lines) = break_lines(font, px, text, width) {
            if !lines.is_empty() && lines.len() <= max_lines {
                return Some((px, lines));
            }
        }
        px -= 1.0;
    }
    None
}

/// Chooses the font size, the lines and the box for `spec` on a `width` x `height` picture.
pub fn typeset(spec: &TitleSpec, width: u32, height: u32) -> Result<Typeset, TitleError> {
    spec.check()?;
    if width < 64 || height < 64 {
        return Err(TitleError::TooSmall { width, height });
    }
    let font = spec.font.face();
    let (w, h) = (width as f32, height as f32);
    let margin_x = (w * MARGIN).round();
    let text_width = w - 2.0 * margin_x;
    // A title stays within a third of the picture, so the picture stays the cover's subject.
    let max_block = h / 3.0;
    let max_px = (w / 11.0).min(h / 7.0).max(MIN_TITLE_PX);
    let too_long = |part: TitlePart, text: &str, max_lines: usize, min_px: f32| {
        let hangul = font.text_width(min_px, "가").max(1.0);
        TitleError::TooLong {
            part,
            text: text.to_string(),
            max_lines,
            width,
            min_px: min_px as u32,
            chars_per_line: (text_width / hangul).floor() as usize,
        }
    };
    let title = spec.title.trim();
    let subtitle = spec
        .subtitle
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    // Try sizes from the largest down; the first whose block (title + subtitle) fits the
    // height wins. The subtitle is set at a fixed fraction of the title's size.
    let mut px_cap = max_px;
    loop {
        let (px, lines) = fit(
            &font,
            title,
            text_width,
            MAX_TITLE_LINES,
            (MIN_TITLE_PX, px_cap),
        )
        .ok_or_else(|| too_long(TitlePart::Title, title, MAX_TITLE_LINES, MIN_TITLE_PX))?;
        let sub_min = (MIN_TITLE_PX * 0.8).floor();
        let (sub_px, sub_lines) = match subtitle {
            None => (0.0, Vec::new()),
            Some(s) => {
                let cap = (px * 0.55).max(sub_min);
                fit(&font, s, text_width, MAX_SUBTITLE_LINES, (sub_min, cap))
                    .ok_or_else(|| too_long(TitlePart::Subtitle, s, MAX_SUBTITLE_LINES, sub_min))?
            }
        };
        let block = block_height(&font, px, lines.len(), sub_px, sub_lines.len());
        if block <= max_block || px <= MIN_TITLE_PX {
            if block > h * 0.6 {
                return Err(too_long(
                    TitlePart::Title,
                    title,
                    MAX_TITLE_LINES,
                    MIN_TITLE_PX,
                ));
            }
            let pad = (px * 0.45).ceil();
            let area = place(spec.layout, width, height, block, pad);
            return Ok(Typeset {
                px,
                lines,
                sub_px,
                sub_lines,
                area,
            });
        }
        px_cap = px - 1.0;
    }
}

/// The box for a text block of height `block` with padding `pad` around it.
fn place(layout: TitleLayout, width: u32, height: u32, block: f32, pad: f32) -> TitleBox {
    let h = height as f32;
    if layout == TitleLayout::Band {
        let top = (h * 2.0 / 3.0).floor().min(h - block - 2.0 * pad).max(0.0) as u32;
        return TitleBox {
            x: 0,
            y: top,
            width,
            height: height - top,
        };
    }
    let margin_x = (width as f32 * MARGIN / 2.0).round() as u32;
    let box_h = ((block + 2.0 * pad).ceil() as u32).min(height);
    let margin_y = (h * MARGIN).round() as u32;
    let y = match layout {
        TitleLayout::Top => margin_y,
        TitleLayout::Bottom => height.saturating_sub(margin_y + box_h),
        _ => (height - box_h) / 2,
    }
    .min(height - box_h);
    TitleBox {
        x: margin_x,
        y,
        width: width - 2 * margin_x,
        height: box_h,
    }
}

/// Relative luminance (WCAG) of an sRGB colour, 0..=1.
pub fn luminance(c: [u8; 3]) -> f32 {
    let lin = |v: u8| {
        let v = f32::from(v) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

/// WCAG contrast ratio of two luminances (1..=21).
pub fn contrast(a: f32, b: f32) -> f32 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    (hi + 0.05) / (lo + 0.05)
}

/// Colours and backdrop chosen for one title.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    pub text: [u8; 3],
    /// `Some`: a semi-opaque band of this colour behind the text; `None`: a soft shadow.
    pub band: Option<[u8; 3]>,
    pub shadow: [u8; 3],
}

const WHITE: [u8; 3] = [255, 255, 255];
const INK: [u8; 3] = [20, 20, 24];
const BAND_ALPHA: f32 = 0.72;

/// Picks the text colour and backdrop from the picture under `area` and the style's palette
/// (`#rrggbb` strings; empty for none). A quiet area (little spread in luminance) that the
/// text contrasts with is read well with a soft shadow; a busy or mid-tone one gets a band.
pub fn choose_look(
    image: &RgbImage,
    area: TitleBox,
    layout: TitleLayout,
    palette: &[String],
) -> Look {
    let mut sum = 0.0f64;
    let mut sum_sq = 0.0f64;
    let mut n = 0.0f64;
    for y in area.y..area.y + area.height {
        for x in area.x..area.x + area.width {
            let l = f64::from(luminance(image.get_pixel(x, y).0));
            sum += l;
            sum_sq += l * l;
            n += 1.0;
        }
    }
    let mean = (sum / n.max(1.0)) as f32;
    let spread = ((sum_sq / n.max(1.0)) - f64::from(mean).powi(2))
        .max(0.0)
        .sqrt() as f32;
    let colours: Vec<[u8; 3]> = palette.iter().filter_map(|c| parse_hex(c)).collect();
    let best_text_on = |background: f32| -> [u8; 3] {
        // A palette colour when it reads well (WCAG AA for large text is 3:1; ask 4.5),
        // else white or ink.
        let mut best =
            if contrast(luminance(WHITE), background) >= contrast(luminance(INK), background) {
                WHITE
            } else {
                INK
            };
        let mut best_ratio = 0.0;
        for &c in &colours {
            let r = contrast(luminance(c), background);
            if r >= 4.5 && r > best_ratio {
                best = c;
                best_ratio = r;
            }
        }
        best
    };
    // A shadow only carries text on a quiet area that the text already contrasts with
    // (WCAG 4.5:1 against its mean); a busy or mid-tone area gets a band.
    let plain_text = best_text_on(mean);
    let busy =
        spread > 0.1 || contrast(luminance(plain_text), mean) < 4.5 || layout == TitleLayout::Band;
    if busy {
        // The band: the palette's first colour (a style's main colour), else dark or light
        // after the picture, so the band belongs to it.
        let band = colours
            .first()
            .copied()
            .unwrap_or(if mean > 0.45 { WHITE } else { INK });
        // What the text sits on is the band mixed over the picture.
        let under = luminance(band) * BAND_ALPHA + mean * (1.0 - BAND_ALPHA);
        let text = best_text_on(under);
        let shadow = if luminance(text) > 0.5 { INK } else { WHITE };
        Look {
            text,
            band: Some(band),
            shadow,
        }
    } else {
        let text = plain_text;
        let shadow = if luminance(text) > 0.5 { INK } else { WHITE };
        Look {
            text,
            band: None,
            shadow,
        }
    }
}

/// The titled picture and how it was set. Pixels outside the returned box are untouched.
pub fn render(
    image: &RgbImage,
    spec: &TitleSpec,
    palette: &[String],
) -> Result<(RgbImage, Typeset, Look), TitleError> {
    let set = typeset(spec, image.width(), image.height())?;
    let look = choose_look(image, set.area, spec.layout, palette);
    let font = spec.font.face();
    let area = set.area;
    let (bw, bh) = (area.width as usize, area.height as usize);
    // Text coverage over the box, in box coordinates.
    let mut mask = vec![0.0f32; bw * bh];
    let block = block_height(
        &font,
        set.px,
        set.lines.len(),
        set.sub_px,
        set.sub_lines.len(),
    );
    let mut top = area.y as f32 + (area.height as f32 - block) / 2.0;
    let centre = image.width() as f32 / 2.0;
    let draw = |px: f32, line: &str, top: f32, mask: &mut [f32]| {
        let x = centre - font.text_width(px, line) / 2.0;
        let baseline = top + font.ascent(px);
        font.rasterize_line(px, (x, baseline), line, &mut |gx, gy, a| {
            let (lx, ly) = (gx - i64::from(area.x), gy - i64::from(area.y));
            if lx >= 0 && ly >= 0 && (lx as usize) < bw && (ly as usize) < bh {
                let m = &mut mask[ly as usize * bw + lx as usize];
                *m = m.max(a);
            }
        });
    };
    for line in &set.lines {
        draw(set.px, line, top, &mut mask);
        top += font.line_height(set.px);
    }
    if !set.sub_lines.is_empty() {
        top += set.px * 0.35;
    }
    for line in &set.sub_lines {
        draw(set.sub_px, line, top, &mut mask);
        top += font.line_height(set.sub_px);
    }
    let shadow = match look.band {
        Some(_) => None,
        None => {
            let offset = (set.px / 18.0).round().max(1.0) as usize;
            let radius = (set.px / 10.0).round().max(1.0) as usize;
            Some(soft_shadow(&mask, bw, bh, offset, radius))
        }
    };
    let mut out = image.clone();
    for ly in 0..bh {
        for lx in 0..bw {
            let pixel = out.get_pixel_mut(area.x + lx as u32, area.y + ly as u32);
            let mut c = pixel.0.map(f32::from);
            if let Some(band) = look.band {
                mix(&mut c, band, BAND_ALPHA);
            }
            if let Some(s) = &shadow {
                mix(&mut c, look.shadow, 0.65 * s[ly * bw + lx]);
            }
            mix(&mut c, look.text, mask[ly * bw + lx]);
            *pixel = Rgb(c.map(|v| v.round().clamp(0.0, 255.0) as u8));
        }
    }
    Ok((out, set, look))
}

fn mix(c: &mut [f32; 3], target: [u8; 3], a: f32) {
    for (channel, t) in c.iter_mut().zip(target) {
        *channel = *channel * (1.0 - a) + f32::from(t) * a;
    }
}

/// The mask moved down-right by `offset` and blurred (two box blurs of `radius`), clipped to
/// the box, so the shadow never leaves it.
fn soft_shadow(mask: &[f32], w: usize, h: usize, offset: usize, radius: usize) -> Vec<f32> {
    let mut moved = vec![0.0f32; w * h];
    for y in offset..h {
        for x in offset..w {
            moved[y * w + x] = mask[(y - offset) * w + (x - offset)];
        }
    }
    let mut a = moved;
    for _ in 0..2 {
        a = box_blur(&a, w, h, radius, true);
        a = box_blur(&a, w, h, radius, false);
    }
    a
}

fn box_blur(src: &[f32], w: usize, h: usize, r: usize, horizontal: bool) -> Vec<f32> {
    let mut out = vec![0.0f32; w * h];
    let (outer, inner) = if horizontal { (h, w) } else { (w, h) };
    let at = |o: usize, i: usize| if horizontal { o * w + i } else { i * w + o };
    for o in 0..outer {
        for i in 0..inner {
            let lo = i.saturating_sub(r);
            let hi = (i + r).min(inner - 1);
            let mut sum = 0.0;
            for k in lo..=hi {
                sum += src[at(o, k)];
            }
            out[at(o, i)] = sum / (2 * r + 1) as f32;
        }
    }
    out
}

/// `cover.png` -> `cover.untitled.png`: where the plain picture is kept beside a titled one.
pub fn untitled_path(titled: &std::path::Path) -> std::path::PathBuf {
    let stem = titled
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "figure".to_string());
    titled.with_file_name(format!("{stem}.untitled.png"))
}

/// `cover.untitled.png` -> `cover.png`; `None` for a name without `.untitled`.
pub fn titled_path_of_untitled(untitled: &std::path::Path) -> Option<std::path::PathBuf> {
    let name = untitled.file_name()?.to_str()?;
    let stem = name
        .strip_suffix(".untitled.png")
        .or_else(|| name.strip_suffix(".untitled.PNG"))?;
    (!stem.is_empty()).then(|| untitled.with_file_name(format!("{stem}.png")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(title: &str) -> TitleSpec {
        TitleSpec {
            title: title.to_string(),
            subtitle: None,
            layout: TitleLayout::Top,
            font: TitleFont::Sans,
        }
    }

    #[test]
    fn lines_break_at_spaces_never_inside_a_word() {
        let font = TitleFont::Sans.face();
        let title = "2026년 시민 참여 예산 사업 추진 계획 보고";
        let width = font.text_width(40.0, "2026년 시민 참여");
        let lines = break_lines(&font, 40.0, title, width + 1.0).unwrap();
        assert!(lines.len() >= 2, "{lines:?}");
        assert_eq!(lines[0], "2026년 시민 참여");
        // Every line is made of whole words of the title, in order.
        let words: Vec<&str> = title.split(' ').collect();
        let rejoined: Vec<&str> = lines.iter().flat_map(|l| l.split(' ')).collect();
        assert_eq!(rejoined, words);
        for l in &lines {
            assert!(font.text_width(40.0, l) <= width + 1.0, "{l}");
        }
        // A word wider than the line is not split: no break exists.
        assert_eq!(break_lines(&font, 40.0, "지속가능발전목표이행", 50.0), None);
    }

    #[test]
    fn a_long_title_wraps_to_several_lines_at_a_smaller_size() {
        let short = typeset(&spec("교통 계획"), 512, 512).unwrap();
        let long = typeset(
            &spec("2026년 시민 참여 예산 사업 추진 계획과 주요 성과 보고"),
            512,
            512,
        )
        .unwrap();
        assert_eq!(short.lines, vec!["교통 계획"]);
        assert!(long.lines.len() >= 2, "{:?}", long.lines);
        assert!(long.px <= short.px);
        let margin = 512.0 * MARGIN;
        let font = TitleFont::Sans.face();
        for l in &long.lines {
            assert!(font.text_width(long.px, l) <= 512.0 - 2.0 * margin);
        }
    }

    #[test]
    fn a_title_that_cannot_fit_is_refused_with_the_width_it_has() {
        let title = "아주 긴 제목 ".repeat(40);
        let err = typeset(&spec(&title), 256, 256).unwrap_err();
        match err {
            TitleError::TooLong {
                part,
                max_lines,
                chars_per_line,
                ..
            } => {
                assert_eq!(part, TitlePart::Title);
                assert_eq!(max_lines, MAX_TITLE_LINES);
                assert!(chars_per_line > 5, "{chars_per_line}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            typeset(&spec("  "), 256, 256),
            Err(TitleError::Empty)
        ));
    }

    #[test]
    fn the_serif_refuses_syllables_outside_ks_x_1001() {
        // 똠 (U+B620) is not among the 2,350 common syllables; the sans has it.
        let mut s = spec("똠방각하");
        s.font = TitleFont::Serif;
        assert!(matches!(s.check(), Err(TitleError::MissingGlyphs { .. })));
        s.font = TitleFont::Sans;
        assert_eq!(s.check(), Ok(()));
    }

    #[test]
    fn only_the_box_changes_and_contrast_follows_the_picture() {
        let mut image = RgbImage::new(300, 200);
        for (x, y, p) in image.enumerate_pixels_mut() {
            *p = Rgb([(x % 256) as u8, (y % 256) as u8, 90]);
        }
        for layout in TitleLayout::ALL {
            let mut s = spec("시민 참여 예산");
            s.layout = layout;
            s.subtitle = Some("2026년 보고".to_string());
            let (out, set, _) = render(&image, &s, &[]).unwrap();
            let mut changed = 0;
            for (x, y, p) in out.enumerate_pixels() {
                if set.area.contains(x, y) {
                    changed += usize::from(p != image.get_pixel(x, y));
                } else {
                    assert_eq!(p, image.get_pixel(x, y), "{layout} ({x}, {y})");
                }
            }
            assert!(changed > 200, "{layout}: {changed}");
        }
        // Plain white: a shadow and dark text; plain black: light text.
        let white = RgbImage::from_pixel(300, 200, Rgb([250, 250, 250]));
        let look = choose_look(
            &white,
            typeset(&spec("제목"), 300, 200).unwrap().area,
            TitleLayout::Top,
            &[],
        );
        assert_eq!(look.band, None);
        assert!(luminance(look.text) < 0.2);
        let black = RgbImage::from_pixel(300, 200, Rgb([5, 5, 5]));
        let look = choose_look(
            &black,
            typeset(&spec("제목"), 300, 200).unwrap().area,
            TitleLayout::Top,
            &["#1f4e79".into()],
        );
        assert!(luminance(look.text) > 0.5);
        // A band takes the palette's first colour.
        let look = choose_look(
            &black,
            typeset(&spec("제목"), 300, 200).unwrap().area,
            TitleLayout::Band,
            &["#1f4e79".into()],
        );
        assert_eq!(look.band, Some([0x1f, 0x4e, 0x79]));
    }

    #[test]
    fn untitled_names() {
        let p = std::path::Path::new("out/cover.png");
        assert_eq!(
            untitled_path(p),
            std::path::Path::new("out/cover.untitled.png")
        );
        assert_eq!(
            titled_path_of_untitled(&untitled_path(p)).as_deref(),
            Some(p)
        );
        assert_eq!(titled_path_of_untitled(p), None);
    }
}
