//! Contact sheets: one caption in several styles or settings, laid out as a labelled grid that
//! can be sent to a colleague as a single picture, plus an `index.html` showing the same grid
//! at full resolution.
//!
//! This module is a pure renderer: it receives finished cell images and their labels and
//! returns an image, a JSON description and an HTML page. Generating the cells (model loading,
//! `--vary` axes) and writing files happen elsewhere, so tests can feed plain pictures.
//!
//! Labels are typeset with `ab_glyph` in the bundled sans the titles use (a subset of
//! NanumGothic Bold, SIL OFL 1.1: every Hangul syllable, ASCII and KS X 1001's symbols), so
//! the binary carries one Korean font rather than a second 4.5 MB one; `--font PATH` picks
//! another font (one with Hanja, say). Text the font cannot draw is reported as an error
//! before anything is drawn, instead of appearing as empty boxes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ab_glyph::{point, Font, FontArc, GlyphId, PxScale, ScaleFont};
use image::{Rgb, RgbImage};
use serde_json::{json, Value};
use thiserror::Error;

use crate::i18n::Lang;
use crate::output::TextChunk;
use crate::text::{escape_html, js_string, url_path};
use crate::tr;

/// `iTXt` keyword under which a sheet PNG stores [`sheet_metadata`].
pub const SHEET_KEYWORD: &str = "reportfig-sheet";
/// Version of the JSON layout of [`sheet_metadata`].
pub const SHEET_FORMAT_VERSION: u32 = 1;

/// Largest sheet drawn, so a mistyped `--seeds 1-1000` fails with advice instead of trying to
/// allocate tens of gigabytes.
const MAX_SHEET_SIDE: u32 = 32_000;
const MAX_SHEET_PIXELS: u64 = 256 * 1024 * 1024;

const BACKGROUND: Rgb<u8> = Rgb([255, 255, 255]);
const HEADER_COLOUR: Rgb<u8> = Rgb([17, 17, 17]);
const TITLE_COLOUR: Rgb<u8> = Rgb([26, 26, 26]);
const DETAIL_COLOUR: Rgb<u8> = Rgb([85, 85, 85]);
const FRAME_COLOUR: Rgb<u8> = Rgb([210, 210, 210]);

#[derive(Debug, Error)]
pub enum CompareError {
    #[error("cannot read the font file {}: {source}; check the path given to --font", .path.display())]
    FontRead {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{} is not a font reportfig can read (a TrueType or OpenType .ttf/.otf file is needed); check the path given to --font", .path.display())]
    FontParse { path: PathBuf },

    #[error("the font {font} has no glyphs for {}; they would show as empty boxes. Remove them from the caption and labels, or pass --font with a font that covers them", describe_chars(.missing))]
    MissingGlyphs { font: String, missing: Vec<char> },

    #[error("the contact sheet has no cells; give at least one style or setting to compare")]
    Empty,

    #[error("row {row} of the contact sheet has {found} cells but row 1 has {expected}; every row needs one cell per column")]
    RaggedRows {
        row: usize,
        expected: usize,
        found: usize,
    },

    #[error("cell in row {row}, column {column} is {found_width}x{found_height} but the others are {width}x{height}; all cells of a sheet must have the same size")]
    CellSize {
        row: usize,
        column: usize,
        found_width: u32,
        found_height: u32,
        width: u32,
        height: u32,
    },

    #[error("the contact sheet has {expected} {axis} but {found} {axis} labels; give one label per {axis_one} or none")]
    LabelCount {
        axis: &'static str,
        axis_one: &'static str,
        expected: usize,
        found: usize,
    },

    #[error("the contact sheet would be {width}x{height} pixels, too large to draw; compare fewer styles or seeds at once, or use a smaller --size")]
    TooLarge { width: u64, height: u64 },
}

fn describe_chars(chars: &[char]) -> String {
    chars
        .iter()
        .map(|c| format!("'{c}' (U+{:04X})", *c as u32))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Fonts

/// The font labels are set in.
#[derive(Clone)]
pub struct SheetFont {
    font: FontArc,
    name: String,
}

impl std::fmt::Debug for SheetFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SheetFont")
            .field("name", &self.name)
            .finish()
    }
}

impl SheetFont {
    /// The titles' bundled sans, embedded in the binary.
    pub fn bundled() -> Self {
        crate::title::TitleFont::Sans.face()
    }

    /// A font embedded in the binary (the title fonts), named `name` in messages.
    pub(crate) fn from_static(data: &'static [u8], name: &str) -> Self {
        let font = FontArc::try_from_slice(data).expect("a bundled font is a valid font");
        Self {
            font,
            name: name.to_string(),
        }
    }

    /// A TrueType/OpenType font file (the first face of a collection).
    pub fn from_file(path: &Path) -> Result<Self, CompareError> {
        let data = std::fs::read(path).map_err(|source| CompareError::FontRead {
            path: path.to_path_buf(),
            source,
        })?;
        let font = FontArc::try_from_vec(data).map_err(|_| CompareError::FontParse {
            path: path.to_path_buf(),
        })?;
        Ok(Self {
            font,
            name: path.display().to_string(),
        })
    }

    /// The font for `--font PATH`, or the bundled one when no path is given.
    pub fn load(path: Option<&Path>) -> Result<Self, CompareError> {
        match path {
            Some(p) => Self::from_file(p),
            None => Ok(Self::bundled()),
        }
    }

    /// How the font is named in messages: the bundled name or the file path.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Characters of `text` this font has no glyph for, each once, in order of appearance.
    /// Spaces, line breaks and invisible formatting characters need no glyph and are skipped.
    pub fn missing_glyphs(&self, text: &str) -> Vec<char> {
        let mut missing = Vec::new();
        for c in text.chars() {
            if needs_no_glyph(c) || missing.contains(&c) {
                continue;
            }
            if self.font.glyph_id(c) == GlyphId(0) {
                missing.push(c);
            }
        }
        missing
    }

    /// An error naming every character of `text` the font cannot draw.
    pub fn check_coverage(&self, text: &str) -> Result<(), CompareError> {
        let missing = self.missing_glyphs(text);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(CompareError::MissingGlyphs {
                font: self.name.clone(),
                missing,
            })
        }
    }

    pub(crate) fn line_height(&self, px: f32) -> f32 {
        let scaled = self.font.as_scaled(PxScale::from(px));
        (scaled.ascent() - scaled.descent() + scaled.line_gap()).ceil()
    }

    pub(crate) fn ascent(&self, px: f32) -> f32 {
        self.font.as_scaled(PxScale::from(px)).ascent()
    }

    /// Advance width of one line of text, in pixels.
    pub(crate) fn text_width(&self, px: f32, text: &str) -> f32 {
        let scaled = self.font.as_scaled(PxScale::from(px));
        let mut width = 0.0;
        let mut previous: Option<GlyphId> = None;
        for c in text.chars().filter(|&c| !needs_no_glyph(c) || c == ' ') {
            let id = self.font.glyph_id(c);
            if let Some(prev) = previous {
                width += scaled.kern(prev, id);
            }
            width += scaled.h_advance(id);
            previous = Some(id);
        }
        width
    }

    /// Break `text` into lines no wider than `max_width`: at spaces where possible, inside a
    /// word only when the word alone is too wide. Explicit line breaks are kept.
    fn wrap(&self, px: f32, text: &str, max_width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut current = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if current.is_empty() {
                    word.to_string()
                } else {
                    format!("{current} {word}")
                };
                if self.text_width(px, &candidate) <= max_width {
                    current = candidate;
                    continue;
                }
                if !current.is_empty() {
                    lines.push(std::mem::take(&mut current));
                }
                if self.text_width(px, word) <= max_width {
                    current = word.to_string();
                    continue;
                }
                for c in word.chars() {
                    let mut next = current.clone();
                    next.push(c);
                    if !current.is_empty() && self.text_width(px, &next) > max_width {
                        lines.push(std::mem::take(&mut current));
                        current.push(c);
                    } else {
                        current = next;
                    }
                }
            }
            lines.push(current);
        }
        lines
    }

    /// Draw one line with its left end at `x` and its baseline at `baseline`.
    fn draw_line(
        &self,
        canvas: &mut RgbImage,
        px: f32,
        origin: (f32, f32),
        text: &str,
        colour: Rgb<u8>,
    ) {
        let (width, height) = (i64::from(canvas.width()), i64::from(canvas.height()));
        self.rasterize_line(px, origin, text, &mut |px_x, px_y, a| {
            if px_x < 0 || px_y < 0 || px_x >= width || px_y >= height {
                return;
            }
            let pixel = canvas.get_pixel_mut(px_x as u32, px_y as u32);
            for (channel, target) in pixel.0.iter_mut().zip(colour.0) {
                let mixed = f32::from(*channel) * (1.0 - a) + f32::from(target) * a;
                *channel = mixed.round() as u8;
            }
        });
    }

    /// Rasterise one line with its left end at `x` and its baseline at `baseline`, calling
    /// `plot(x, y, coverage)` for every pixel a glyph touches (coverage in 0..=1; coordinates
    /// may fall outside any canvas, the caller clips). Labels paint with it directly; titles
    /// collect it into a mask first, for shadows.
    pub(crate) fn rasterize_line(
        &self,
        px: f32,
        (x, baseline): (f32, f32),
        text: &str,
        plot: &mut dyn FnMut(i64, i64, f32),
    ) {
        let scale = PxScale::from(px);
        let scaled = self.font.as_scaled(scale);
        let mut caret = x;
        let mut previous: Option<GlyphId> = None;
        for c in text.chars().filter(|&c| !needs_no_glyph(c) || c == ' ') {
            let id = self.font.glyph_id(c);
            if let Some(prev) = previous {
                caret += scaled.kern(prev, id);
            }
            let glyph = id.with_scale_and_position(scale, point(caret, baseline));
            caret += scaled.h_advance(id);
            previous = Some(id);
            let Some(outlined) = self.font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, coverage| {
                let px_x = bounds.min.x as i64 + i64::from(gx);
                let px_y = bounds.min.y as i64 + i64::from(gy);
                plot(px_x, px_y, coverage.clamp(0.0, 1.0));
            });
        }
    }
}

/// Whitespace, control and zero-width formatting characters (joiners, variation selectors,
/// byte-order mark): drawn as nothing, so a font need not have them.
fn needs_no_glyph(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}')
}

// ---------------------------------------------------------------------------------------------
// The sheet

/// One picture of the grid with what to print under it.
#[derive(Debug, Clone)]
pub struct SheetCell {
    pub image: RgbImage,
    /// Lines under the picture, first line emphasised: typically the style title in Korean
    /// and English, then the settings that differ from the other cells. Long lines wrap.
    pub label_lines: Vec<String>,
    /// Everything needed to make this cell again (usually the `GenerationRequest` as JSON).
    pub params_json: Value,
    /// The single image's file, relative to the folder of `index.html`, when it was written.
    pub file: Option<String>,
    /// The outline settings block that makes this picture again in a batch
    /// (`{seed=2 style=watercolor-cityscape}`), shown on the page with a copy button.
    pub snippet: Option<String>,
    /// What else a batch needs for this picture that an outline line cannot say
    /// (`--steps 2`), shown under the snippet.
    pub snippet_note: Option<String>,
}

/// A contact sheet to draw: `rows[r][c]` is the cell in row `r`, column `c`.
#[derive(Debug, Clone, Default)]
pub struct ContactSheet {
    /// Printed above the grid, usually the caption.
    pub header: String,
    /// One per column (e.g. style titles), or empty for none.
    pub column_labels: Vec<String>,
    /// One per row (e.g. `seed 1`), or empty for none.
    pub row_labels: Vec<String>,
    pub rows: Vec<Vec<SheetCell>>,
    /// Printed under the grid: what the words in the labels mean ("steps: how many times
    /// the picture is refined"), one line each.
    pub legend: Vec<String>,
}

/// A rectangle on the sheet, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// Where everything went on a rendered sheet (for tests and for image maps).
#[derive(Debug, Clone, PartialEq)]
pub struct SheetLayout {
    pub width: u32,
    pub height: u32,
    /// Font sizes in pixels: labels and header.
    pub label_px: f32,
    pub header_px: f32,
    pub header: Option<Rect>,
    /// The legend under the grid.
    pub legend: Option<Rect>,
    /// `[row][column]`: the picture and the label band under it.
    pub images: Vec<Vec<Rect>>,
    pub labels: Vec<Vec<Rect>>,
}

impl ContactSheet {
    /// Number of rows and columns, after checking the grid is complete and consistent.
    pub fn dimensions(&self) -> Result<(usize, usize), CompareError> {
        let rows = self.rows.len();
        let columns = self.rows.first().map_or(0, Vec::len);
        if rows == 0 || columns == 0 {
            return Err(CompareError::Empty);
        }
        for (r, row) in self.rows.iter().enumerate() {
            if row.len() != columns {
                return Err(CompareError::RaggedRows {
                    row: r + 1,
                    expected: columns,
                    found: row.len(),
                });
            }
        }
        if !self.column_labels.is_empty() && self.column_labels.len() != columns {
            return Err(CompareError::LabelCount {
                axis: "columns",
                axis_one: "column",
                expected: columns,
                found: self.column_labels.len(),
            });
        }
        if !self.row_labels.is_empty() && self.row_labels.len() != rows {
            return Err(CompareError::LabelCount {
                axis: "rows",
                axis_one: "row",
                expected: rows,
                found: self.row_labels.len(),
            });
        }
        Ok((rows, columns))
    }

    /// The size every cell image has, after checking they agree.
    pub fn cell_size(&self) -> Result<(u32, u32), CompareError> {
        self.dimensions()?;
        let (width, height) = self.rows[0][0].image.dimensions();
        for (r, row) in self.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (w, h) = cell.image.dimensions();
                if (w, h) != (width, height) || w == 0 || h == 0 {
                    return Err(CompareError::CellSize {
                        row: r + 1,
                        column: c + 1,
                        found_width: w,
                        found_height: h,
                        width,
                        height,
                    });
                }
            }
        }
        Ok((width, height))
    }

    /// Every piece of text the sheet prints, one per line.
    pub fn all_text(&self) -> String {
        let mut text = self.header.clone();
        for label in self
            .column_labels
            .iter()
            .chain(&self.row_labels)
            .chain(&self.legend)
        {
            text.push('\n');
            text.push_str(label);
        }
        for cell in self.rows.iter().flatten() {
            for line in &cell.label_lines {
                text.push('\n');
                text.push_str(line);
            }
        }
        text
    }

    /// Characters on the sheet the font cannot draw.
    pub fn missing_glyphs(&self, font: &SheetFont) -> Vec<char> {
        font.missing_glyphs(&self.all_text())
    }
}

/// Pixel sizes of everything. A sheet is usually scaled to the width of a report page, so text
/// grows with the grid width (about 7 pt when the sheet is printed 17 cm wide), but never past
/// an eighth of a cell, where labels would start to crowd out the pictures.
struct Typography {
    label_px: f32,
    header_px: f32,
    margin: u32,
    gap: u32,
    label_pad: u32,
}

impl Typography {
    fn for_grid(cell_width: u32, columns: usize) -> Self {
        let cell = cell_width as f32;
        let page_legible = cell * columns as f32 / 80.0;
        let ceiling = (cell / 8.0).clamp(13.0, 48.0);
        let label_px = (cell / 24.0).max(page_legible).clamp(13.0, ceiling).round();
        Self {
            label_px,
            header_px: (label_px * 1.5).round(),
            margin: label_px as u32,
            gap: (label_px * 0.75).round() as u32,
            label_pad: (label_px * 0.5).round() as u32,
        }
    }
}

/// Text already broken into lines, with what is needed to draw it.
struct Block {
    lines: Vec<String>,
    px: f32,
}

impl Block {
    fn height(&self, font: &SheetFont) -> u32 {
        (self.lines.len() as f32 * font.line_height(self.px)) as u32
    }
}

fn to_u32(value: u64, width: u64, height: u64) -> Result<u32, CompareError> {
    u32::try_from(value).map_err(|_| CompareError::TooLarge { width, height })
}

struct Plan {
    layout: SheetLayout,
    header: Option<Block>,
    legend: Option<Block>,
    column_labels: Vec<(Rect, Block)>,
    row_labels: Vec<(Rect, Block)>,
    cell_labels: Vec<Vec<Block>>,
}

fn plan(sheet: &ContactSheet, font: &SheetFont) -> Result<Plan, CompareError> {
    let (rows, columns) = sheet.dimensions()?;
    let (cell_w, cell_h) = sheet.cell_size()?;
    let t = Typography::for_grid(cell_w, columns);
    let line_h = font.line_height(t.label_px) as u32;

    // Row labels take as much room as their longest line, within half a cell.
    let row_label_w = if sheet.row_labels.is_empty() {
        0
    } else {
        let natural = sheet
            .row_labels
            .iter()
            .flat_map(|l| l.lines())
            .map(|l| font.text_width(t.label_px, l))
            .fold(0.0f32, f32::max);
        let cap = (cell_w as f32 * 0.5).max(t.label_px * 6.0);
        natural.min(cap).ceil() as u32
    };
    let row_labels: Vec<Block> = sheet
        .row_labels
        .iter()
        .map(|l| Block {
            lines: font.wrap(t.label_px, l, row_label_w as f32),
            px: t.label_px,
        })
        .collect();
    let column_blocks: Vec<Block> = sheet
        .column_labels
        .iter()
        .map(|l| Block {
            lines: font.wrap(t.label_px, l, cell_w as f32),
            px: t.label_px,
        })
        .collect();
    let cell_labels: Vec<Vec<Block>> = sheet
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| Block {
                    lines: cell
                        .label_lines
                        .iter()
                        .flat_map(|l| font.wrap(t.label_px, l, cell_w as f32))
                        .collect(),
                    px: t.label_px,
                })
                .collect()
        })
        .collect();
    let label_band_h = cell_labels
        .iter()
        .flatten()
        .map(|b| b.height(font))
        .max()
        .unwrap_or(0)
        .max(line_h);
    let column_band_h = column_blocks
        .iter()
        .map(|b| b.height(font))
        .max()
        .unwrap_or(0);

    let (u_rows, u_cols) = (rows as u64, columns as u64);
    let (cw, ch, gap, margin) = (
        u64::from(cell_w),
        u64::from(cell_h),
        u64::from(t.gap),
        u64::from(t.margin),
    );
    let grid_x = margin
        + if row_label_w > 0 {
            u64::from(row_label_w) + gap
        } else {
            0
        };
    let width = grid_x + u_cols * cw + (u_cols - 1) * gap + margin;

    let header = if sheet.header.trim().is_empty() {
        None
    } else {
        let content_w = width.saturating_sub(2 * margin) as f32;
        Some(Block {
            lines: font.wrap(t.header_px, sheet.header.trim(), content_w),
            px: t.header_px,
        })
    };
    let header_h = header.as_ref().map_or(0, |b| u64::from(b.height(font)));
    let mut y = margin;
    let header_rect = if header_h > 0 {
        let rect = (margin, y, width - 2 * margin, header_h);
        y += header_h + gap;
        Some(rect)
    } else {
        None
    };
    let column_y = y;
    if column_band_h > 0 {
        y += u64::from(column_band_h) + u64::from(t.label_pad);
    }
    let grid_y = y;
    let row_pitch = ch + u64::from(t.label_pad) + u64::from(label_band_h) + gap;
    let grid_end = grid_y + u_rows * row_pitch - gap;
    let legend = if sheet.legend.is_empty() {
        None
    } else {
        let content_w = width.saturating_sub(2 * margin) as f32;
        Some(Block {
            lines: sheet
                .legend
                .iter()
                .flat_map(|l| font.wrap(t.label_px, l, content_w))
                .collect(),
            px: t.label_px,
        })
    };
    let legend_h = legend.as_ref().map_or(0, |b| u64::from(b.height(font)));
    let legend_y = grid_end + 2 * gap;
    let height = if legend_h > 0 {
        legend_y + legend_h + margin
    } else {
        grid_end + margin
    };

    if width > u64::from(MAX_SHEET_SIDE)
        || height > u64::from(MAX_SHEET_SIDE)
        || width * height > MAX_SHEET_PIXELS
    {
        return Err(CompareError::TooLarge { width, height });
    }
    let r = |x: u64, y: u64, w: u64, h: u64| -> Result<Rect, CompareError> {
        Ok(Rect {
            x: to_u32(x, width, height)?,
            y: to_u32(y, width, height)?,
            width: to_u32(w, width, height)?,
            height: to_u32(h, width, height)?,
        })
    };

    let mut images = Vec::with_capacity(rows);
    let mut labels = Vec::with_capacity(rows);
    for row in 0..u_rows {
        let top = grid_y + row * row_pitch;
        let mut image_row = Vec::with_capacity(columns);
        let mut label_row = Vec::with_capacity(columns);
        for column in 0..u_cols {
            let left = grid_x + column * (cw + gap);
            image_row.push(r(left, top, cw, ch)?);
            label_row.push(r(
                left,
                top + ch + u64::from(t.label_pad),
                cw,
                u64::from(label_band_h),
            )?);
        }
        images.push(image_row);
        labels.push(label_row);
    }

    let column_labels = column_blocks
        .into_iter()
        .enumerate()
        .map(|(c, block)| {
            let rect = r(
                grid_x + c as u64 * (cw + gap),
                column_y,
                cw,
                u64::from(column_band_h),
            )?;
            Ok((rect, block))
        })
        .collect::<Result<Vec<_>, CompareError>>()?;
    let row_labels = row_labels
        .into_iter()
        .enumerate()
        .map(|(row, block)| {
            let rect = r(
                margin,
                grid_y + row as u64 * row_pitch,
                u64::from(row_label_w),
                ch,
            )?;
            Ok((rect, block))
        })
        .collect::<Result<Vec<_>, CompareError>>()?;

    let header_rect = match header_rect {
        Some((x, y, w, h)) => Some(r(x, y, w, h)?),
        None => None,
    };
    let legend_rect = if legend_h > 0 {
        Some(r(margin, legend_y, width - 2 * margin, legend_h)?)
    } else {
        None
    };
    Ok(Plan {
        layout: SheetLayout {
            width: to_u32(width, width, height)?,
            height: to_u32(height, width, height)?,
            label_px: t.label_px,
            header_px: t.header_px,
            header: header_rect,
            legend: legend_rect,
            images,
            labels,
        },
        header,
        legend,
        column_labels,
        row_labels,
        cell_labels,
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Centre,
}

/// Draw a block's lines from the top of `rect`, each line aligned within the rect's width.
fn draw_block(
    canvas: &mut RgbImage,
    font: &SheetFont,
    block: &Block,
    rect: Rect,
    align: Align,
    colours: (Rgb<u8>, Rgb<u8>),
) {
    let line_h = font.line_height(block.px);
    let ascent = font.ascent(block.px);
    for (i, line) in block.lines.iter().enumerate() {
        let width = font.text_width(block.px, line);
        let x = match align {
            Align::Left => rect.x as f32,
            Align::Centre => rect.x as f32 + ((rect.width as f32 - width) / 2.0).max(0.0),
        };
        let baseline = rect.y as f32 + i as f32 * line_h + ascent;
        let colour = if i == 0 { colours.0 } else { colours.1 };
        font.draw_line(
            canvas,
            block.px,
            (x.round(), baseline.round()),
            line,
            colour,
        );
    }
}

/// Where everything would go, without drawing (same checks as [`render_sheet`]).
pub fn layout_sheet(sheet: &ContactSheet, font: &SheetFont) -> Result<SheetLayout, CompareError> {
    Ok(plan(sheet, font)?.layout)
}

/// Draw the contact sheet: header, column labels, row labels, and each picture with its label
/// band beneath. Fails before drawing if the font lacks a glyph used anywhere on the sheet.
pub fn render_sheet(sheet: &ContactSheet, font: &SheetFont) -> Result<RgbImage, CompareError> {
    Ok(render_sheet_with_layout(sheet, font)?.0)
}

/// [`render_sheet`], also returning where everything went.
pub fn render_sheet_with_layout(
    sheet: &ContactSheet,
    font: &SheetFont,
) -> Result<(RgbImage, SheetLayout), CompareError> {
    font.check_coverage(&sheet.all_text())?;
    let plan = plan(sheet, font)?;
    let layout = plan.layout;
    let mut canvas = RgbImage::from_pixel(layout.width, layout.height, BACKGROUND);

    if let (Some(block), Some(rect)) = (&plan.header, layout.header) {
        draw_block(
            &mut canvas,
            font,
            block,
            rect,
            Align::Centre,
            (HEADER_COLOUR, HEADER_COLOUR),
        );
    }
    if let (Some(block), Some(rect)) = (&plan.legend, layout.legend) {
        draw_block(
            &mut canvas,
            font,
            block,
            rect,
            Align::Left,
            (DETAIL_COLOUR, DETAIL_COLOUR),
        );
    }
    for (rect, block) in &plan.column_labels {
        draw_block(
            &mut canvas,
            font,
            block,
            *rect,
            Align::Centre,
            (TITLE_COLOUR, TITLE_COLOUR),
        );
    }
    for (rect, block) in &plan.row_labels {
        // Centred vertically beside the picture.
        let text_h = block.height(font);
        let rect = Rect {
            y: rect.y + rect.height.saturating_sub(text_h) / 2,
            ..*rect
        };
        draw_block(
            &mut canvas,
            font,
            block,
            rect,
            Align::Left,
            (TITLE_COLOUR, DETAIL_COLOUR),
        );
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let rect = layout.images[r][c];
            draw_frame(&mut canvas, rect);
            image::imageops::replace(
                &mut canvas,
                &cell.image,
                i64::from(rect.x),
                i64::from(rect.y),
            );
            draw_block(
                &mut canvas,
                font,
                &plan.cell_labels[r][c],
                layout.labels[r][c],
                Align::Centre,
                (TITLE_COLOUR, DETAIL_COLOUR),
            );
        }
    }
    Ok((canvas, layout))
}

/// A one-pixel frame just outside a picture, so white-background pictures keep their edge.
fn draw_frame(canvas: &mut RgbImage, rect: Rect) {
    let (x0, y0) = (i64::from(rect.x) - 1, i64::from(rect.y) - 1);
    let (x1, y1) = (
        i64::from(rect.x) + i64::from(rect.width),
        i64::from(rect.y) + i64::from(rect.height),
    );
    let mut put = |x: i64, y: i64| {
        if x >= 0 && y >= 0 && x < i64::from(canvas.width()) && y < i64::from(canvas.height()) {
            canvas.put_pixel(x as u32, y as u32, FRAME_COLOUR);
        }
    };
    for x in x0..=x1 {
        put(x, y0);
        put(x, y1);
    }
    for y in y0..=y1 {
        put(x0, y);
        put(x1, y);
    }
}

// ---------------------------------------------------------------------------------------------
// Metadata and HTML

/// A JSON description of the sheet: header, axis labels, cell size, and for every cell its
/// position, label, file and parameters. Key order is fixed, so equal sheets give equal text.
pub fn sheet_metadata(sheet: &ContactSheet) -> Value {
    let (cell_width, cell_height) = sheet
        .rows
        .first()
        .and_then(|r| r.first())
        .map_or((0, 0), |c| c.image.dimensions());
    let cells: Vec<Value> = sheet
        .rows
        .iter()
        .enumerate()
        .flat_map(|(r, row)| {
            row.iter().enumerate().map(move |(c, cell)| {
                json!({
                    "row": r,
                    "column": c,
                    "label": cell.label_lines,
                    "file": cell.file,
                    "snippet": cell.snippet,
                    "parameters": cell.params_json,
                })
            })
        })
        .collect();
    json!({
        "format_version": SHEET_FORMAT_VERSION,
        "kind": "contact-sheet",
        "header": sheet.header,
        "columns": sheet.column_labels,
        "rows": sheet.row_labels,
        "legend": sheet.legend,
        "cell_width": cell_width,
        "cell_height": cell_height,
        "cells": cells,
    })
}

/// The `iTXt` chunk that carries [`sheet_metadata`] in the sheet PNG; pass it to
/// `output::save_png`.
pub fn sheet_chunks(sheet: &ContactSheet) -> Vec<TextChunk> {
    vec![TextChunk::new(
        SHEET_KEYWORD,
        sheet_metadata(sheet).to_string(),
    )]
}

/// A self-contained `index.html` showing the grid at full resolution: header, column and row
/// labels, each single image (by relative path) with its label, file name, the outline
/// snippet that makes it again (with a copy button) and its parameters, and the legend.
/// `sheet_file` is the contact sheet PNG's path relative to the page, linked at the top when
/// given. Text around the grid is in `lang`.
pub fn render_index_html(sheet: &ContactSheet, sheet_file: Option<&str>, lang: Lang) -> String {
    let mut html = String::new();
    let title = if sheet.header.trim().is_empty() {
        escape_html(&tr!(lang, "compare-page-title"))
    } else {
        escape_html(sheet.header.trim())
    };
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"generator\" content=\"reportfig\">\n<title>{title}</title>\n<style>\n\
         body {{ font-family: \"Malgun Gothic\", \"Nanum Gothic\", \"Noto Sans KR\", sans-serif; \
         margin: 24px; color: #111; background: #fff; }}\n\
         .grid {{ overflow-x: auto; }}\n\
         table {{ border-collapse: separate; border-spacing: 16px; }}\n\
         th {{ font-weight: 600; vertical-align: middle; }}\n\
         th[scope=row] {{ white-space: nowrap; text-align: left; }}\n\
         td {{ vertical-align: top; text-align: center; }}\n\
         img {{ display: block; max-width: none; border: 1px solid #d2d2d2; }}\n\
         .label {{ margin-top: 8px; line-height: 1.4; }}\n\
         .label span:first-child {{ font-weight: 600; }}\n\
         .label span + span {{ color: #555; }}\n\
         .file {{ font-family: Consolas, monospace; font-size: 0.8em; color: #555; word-break: break-all; }}\n\
         .snippet {{ margin-top: 6px; font-size: 0.85em; }}\n\
         .snippet code {{ background: #eef2f8; padding: 2px 6px; border-radius: 4px; }}\n\
         .snippet button {{ font: inherit; margin-left: 4px; }}\n\
         .note {{ font-size: 0.8em; color: #555; }}\n\
         .legend {{ max-width: 60em; color: #333; }}\n\
         details {{ text-align: left; font-size: 0.85em; }}\n\
         pre {{ white-space: pre-wrap; word-break: break-all; }}\n\
         </style>\n</head>\n<body>\n<h1>{title}</h1>\n",
        code = lang.code(),
    );
    if let Some(file) = sheet_file {
        let _ = writeln!(
            html,
            "<p><a href=\"{}\">{}</a></p>",
            escape_html(&url_path(file)),
            escape_html(&tr!(lang, "compare-sheet-link"))
        );
    }
    if !sheet.legend.is_empty() {
        let _ = write!(
            html,
            "<div class=\"legend\"><p><strong>{}</strong></p>\n<ul>\n",
            escape_html(&tr!(lang, "compare-legend-title"))
        );
        for line in &sheet.legend {
            let _ = writeln!(html, "<li>{}</li>", escape_html(line));
        }
        let _ = writeln!(
            html,
            "</ul>\n<p>{}</p></div>",
            escape_html(&tr!(lang, "compare-snippet-explain"))
        );
    }
    html.push_str("<div class=\"grid\">\n<table>\n");
    if !sheet.column_labels.is_empty() {
        html.push_str("<thead>\n<tr>");
        if !sheet.row_labels.is_empty() {
            html.push_str("<th></th>");
        }
        for label in &sheet.column_labels {
            let _ = write!(html, "<th scope=\"col\">{}</th>", multiline(label));
        }
        html.push_str("</tr>\n</thead>\n");
    }
    html.push_str("<tbody>\n");
    for (r, row) in sheet.rows.iter().enumerate() {
        html.push_str("<tr>");
        if let Some(label) = sheet.row_labels.get(r) {
            let _ = write!(html, "<th scope=\"row\">{}</th>", multiline(label));
        }
        for cell in row {
            html.push_str("<td>");
            let alt = escape_html(&cell.label_lines.join(" / "));
            let (w, h) = cell.image.dimensions();
            match &cell.file {
                Some(file) => {
                    let href = escape_html(&url_path(file));
                    let _ = write!(
                        html,
                        "<a href=\"{href}\"><img src=\"{href}\" width=\"{w}\" height=\"{h}\" \
                         alt=\"{alt}\" loading=\"lazy\"></a>"
                    );
                }
                None => {
                    let _ = write!(html, "<div style=\"width:{w}px\"></div>");
                }
            }
            html.push_str("<div class=\"label\">");
            let lines: Vec<String> = cell
                .label_lines
                .iter()
                .map(|l| format!("<span>{}</span>", escape_html(l)))
                .collect();
            html.push_str(&lines.join("<br>"));
            html.push_str("</div>");
            if let Some(file) = &cell.file {
                let _ = write!(html, "<div class=\"file\">{}</div>", escape_html(file));
            }
            if let Some(snippet) = &cell.snippet {
                let code = escape_html(snippet);
                let _ = write!(
                    html,
                    "<div class=\"snippet\"><code>{code}</code><button type=\"button\" \
                     data-text=\"{code}\">{}</button></div>",
                    escape_html(&tr!(lang, "compare-button-use-this"))
                );
            }
            if let Some(note) = &cell.snippet_note {
                let _ = write!(html, "<div class=\"note\">{}</div>", escape_html(note));
            }
            if !cell.params_json.is_null() {
                let pretty = serde_json::to_string_pretty(&cell.params_json).unwrap_or_default();
                let _ = write!(
                    html,
                    "<details><summary>{}</summary><pre>{}</pre></details>",
                    escape_html(&tr!(lang, "compare-settings")),
                    escape_html(&pretty)
                );
            }
            html.push_str("</td>");
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n</div>\n");
    if sheet.rows.iter().flatten().any(|c| c.snippet.is_some()) {
        let _ = write!(
            html,
            "<script>\nconst COPIED = \"{}\";\n{COPY_SCRIPT}</script>\n",
            js_string(&tr!(lang, "compare-copied"))
        );
    }
    html.push_str("</body>\n</html>\n");
    html
}

/// Copies a snippet, falling back to selecting it where the clipboard API is refused.
const COPY_SCRIPT: &str = r#"document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-text]');
  if (!button) return;
  try {
    await navigator.clipboard.writeText(button.dataset.text);
  } catch (e) {
    const range = document.createRange();
    range.selectNodeContents(button.parentElement.querySelector('code'));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    document.execCommand && document.execCommand('copy');
  }
  button.textContent = COPIED;
});
"#;

fn multiline(text: &str) -> String {
    text.lines()
        .map(escape_html)
        .collect::<Vec<_>>()
        .join("<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_inside_long_words() {
        let font = SheetFont::bundled();
        let lines = font.wrap(16.0, "one two three four five six", 60.0);
        assert!(lines.len() > 1, "{lines:?}");
        for line in &lines {
            assert!(font.text_width(16.0, line) <= 60.0, "{line}");
        }
        assert_eq!(lines.join(" "), "one two three four five six");
        let long = font.wrap(16.0, &"w".repeat(40), 60.0);
        assert!(long.len() > 1);
        assert_eq!(long.concat(), "w".repeat(40));
        assert_eq!(font.wrap(16.0, "a\n\nb", 500.0), ["a", "", "b"]);
    }
}
