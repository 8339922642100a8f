//! `--docx FILE`: the outline as a Word document, each figure under its heading at the width
//! of the page with a numbered caption, so a report writer starts from a document that HWP and
//! Word both open instead of pasting figures one by one.
//!
//! Built with `docx-rs` rather than our own WordprocessingML: the package (relationships,
//! content types, drawing markup) has many parts that must agree, and the crate keeps them so.

use std::path::{Path, PathBuf};

use docx_rs::{AlignmentType, Docx, PageMargin, Paragraph, Pic, Run, RunFonts, Style, StyleType};

use super::{BatchError, Plan};
use crate::i18n::Lang;
use crate::outline::Outline;
use crate::tr;

/// A4 portrait in twentieths of a point, with 2.5 cm margins, as Korean public documents use.
const PAGE_WIDTH_TWIPS: u32 = 11906;
const PAGE_HEIGHT_TWIPS: u32 = 16838;
const MARGIN_TWIPS: i32 = 1417;
/// English Metric Units per twip (914400 per inch, 1440 twips per inch).
const EMU_PER_TWIP: u64 = 635;
/// The tallest a figure may be: most of the page, so a portrait figure and its caption fit
/// on one page below a heading.
const MAX_FIGURE_HEIGHT_TWIPS: u64 = 11500;
/// Hangul text in the document's default font. Malgun Gothic ships with every Korean Windows
/// and HWP substitutes its own; a missing font falls back, the text stays.
const KOREAN_FONT: &str = "맑은 고딕";

/// One thing in the document, in outline order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading { level: u8, text: String },
    Figure { file: PathBuf, caption: String },
}

/// The document's blocks: the outline's headings and figures in the order of their lines
/// (a heading that is itself a figure comes first, its picture right under it).
pub fn blocks(outline: &Outline, plan: &Plan) -> Vec<Block> {
    let mut keyed: Vec<(usize, u8, Block)> = Vec::new();
    for h in &outline.headings {
        keyed.push((
            h.line,
            0,
            Block::Heading {
                level: h.level,
                text: h.text.clone(),
            },
        ));
    }
    for f in &plan.figures {
        keyed.push((
            f.job.line,
            1,
            Block::Figure {
                file: plan.out_dir.join(&f.job.file_name),
                caption: f.job.caption.clone(),
            },
        ));
    }
    keyed.sort_by_key(|(line, order, _)| (*line, *order));
    keyed.into_iter().map(|(_, _, b)| b).collect()
}

/// The `.docx` bytes for `blocks`. A figure whose PNG is missing (it failed, or this shard
/// does not make it) keeps its caption and a line saying so, so the numbering still matches
/// the outline.
pub fn build_docx(
    title: Option<&str>,
    blocks: &[Block],
    lang: Lang,
) -> Result<Vec<u8>, BatchError> {
    let text_width = PAGE_WIDTH_TWIPS as u64 - 2 * MARGIN_TWIPS as u64;
    let mut doc = Docx::new()
        .page_size(PAGE_WIDTH_TWIPS, PAGE_HEIGHT_TWIPS)
        .page_margin(
            PageMargin::new()
                .top(MARGIN_TWIPS)
                .bottom(MARGIN_TWIPS)
                .left(MARGIN_TWIPS)
                .right(MARGIN_TWIPS),
        )
        .default_fonts(RunFonts::new().east_asia(KOREAN_FONT))
        .add_style(
            Style::new("Title", StyleType::Paragraph)
                .name("Title")
                .size(40)
                .bold(),
        )
        .add_style(
            Style::new("Caption", StyleType::Paragraph)
                .name("caption")
                .size(20)
                .align(AlignmentType::Center),
        );
    for level in 1..=6u8 {
        // Word and HWP take "heading N" styles with an outline level as headings (navigation
        // pane, table of contents).
        doc = doc.add_style(
            Style::new(format!("Heading{level}"), StyleType::Paragraph)
                .name(format!("heading {level}"))
                .size(match level {
                    1 => 32,
                    2 => 28,
                    3 => 24,
                    _ => 22,
                })
                .bold()
                .outline_lvl(level as usize - 1),
        );
    }
    // The outline's first heading is its title when it is the only level-1 heading.
    let mut skip_first_heading = false;
    if let Some(t) = title {
        let level_one = blocks
            .iter()
            .filter(|b| matches!(b, Block::Heading { level: 1, .. }))
            .count();
        skip_first_heading = level_one == 1
            && matches!(blocks.first(), Some(Block::Heading { level: 1, text }) if text == t);
        doc = doc.add_paragraph(
            Paragraph::new()
                .style("Title")
                .add_run(Run::new().add_text(t)),
        );
    }
    let mut number = 0;
    for (i, block) in blocks.iter().enumerate() {
        match block {
            Block::Heading { level, text } => {
                if i == 0 && skip_first_heading {
                    continue;
                }
                doc = doc.add_paragraph(
                    Paragraph::new()
                        .style(&format!("Heading{}", (*level).clamp(1, 6)))
                        .add_run(Run::new().add_text(text)),
                );
            }
            Block::Figure { file, caption } => {
                number += 1;
                let picture = match std::fs::read(file) {
                    Ok(bytes) => match png_size(&bytes) {
                        Some((w, h)) => {
                            let (w_emu, h_emu) = fitted(w, h, text_width);
                            Run::new()
                                .add_image(Pic::new_with_dimensions(bytes, w, h).size(w_emu, h_emu))
                        }
                        None => missing(file, lang),
                    },
                    Err(_) => missing(file, lang),
                };
                doc = doc
                    .add_paragraph(
                        Paragraph::new()
                            .align(AlignmentType::Center)
                            .add_run(picture),
                    )
                    .add_paragraph(
                        Paragraph::new()
                            .style("Caption")
                            .add_run(Run::new().add_text(tr!(
                                lang,
                                "docx-caption",
                                number = number,
                                caption = caption.as_str()
                            ))),
                    );
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(|e| BatchError::Write {
        path: PathBuf::from("(document)"),
        problem: crate::output::WriteProblem::Other(e.to_string()),
    })?;
    Ok(out.into_inner())
}

fn missing(file: &Path, lang: Lang) -> Run {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Run::new().add_text(tr!(lang, "docx-figure-missing", file = name))
}

/// The page width, or less for a tall figure so it fits on a page; the aspect ratio is kept.
fn fitted(width_px: u32, height_px: u32, text_width_twips: u64) -> (u32, u32) {
    let (w, h) = (width_px.max(1) as u64, height_px.max(1) as u64);
    let mut width = text_width_twips;
    if width * h / w > MAX_FIGURE_HEIGHT_TWIPS {
        width = MAX_FIGURE_HEIGHT_TWIPS * w / h;
    }
    let height = width * h / w;
    (
        (width * EMU_PER_TWIP) as u32,
        (height * EMU_PER_TWIP) as u32,
    )
}

/// Width and height from a PNG's IHDR, without decoding it.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || &bytes[..8] != SIGNATURE || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&bytes[16..20]), be(&bytes[20..24])))
}

/// Where the batch records the SHA-256 of each document it wrote, in the figures folder, so a
/// rerun replaces its own document but never one the user has edited since (Word keeps every
/// part of the package we could mark, so only the bytes tell).
const RECORD: &str = ".documents.sha256";

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn record_key(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn recorded(figures_dir: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(figures_dir.join(RECORD))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(sha, name)| (sha.to_string(), name.to_string()))
        .collect()
}

/// Refuses to replace `path` when it exists and is not the document this batch last wrote
/// there, unchanged, unless `force`. Checked before the figures are made, so nobody waits for
/// a whole batch to learn that its document cannot be written.
pub fn check_replaceable(path: &Path, figures_dir: &Path, force: bool) -> Result<(), BatchError> {
    if force {
        return Ok(());
    }
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(());
    };
    let sha = sha256_hex(&bytes);
    let key = record_key(path);
    if recorded(figures_dir)
        .iter()
        .any(|(s, n)| *s == sha && *n == key)
    {
        Ok(())
    } else {
        Err(BatchError::NotOurs {
            path: path.to_path_buf(),
            what: DOCUMENT_NOT_OURS,
        })
    }
}

/// [`BatchError::NotOurs`]'s reason for a document.
pub const DOCUMENT_NOT_OURS: &str =
    "it was changed after the batch wrote it, or the batch did not write it";

/// Writes the document for a finished batch to `path` (atomically: a document open in Word
/// is either the old one or the new one) and records its hash in the figures folder.
pub fn write_docx(
    outline: &Outline,
    plan: &Plan,
    path: &Path,
    force: bool,
    lang: Lang,
) -> Result<(), BatchError> {
    check_replaceable(path, &plan.out_dir, force)?;
    let title = outline.title().map(str::to_string).or_else(|| {
        outline
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
    });
    let bytes =
        build_docx(title.as_deref(), &blocks(outline, plan), lang).map_err(|e| match e {
            BatchError::Write { problem, .. } => BatchError::Write {
                path: path.to_path_buf(),
                problem,
            },
            other => other,
        })?;
    super::write_atomic(path, &bytes)?;
    let key = record_key(path);
    let mut lines: Vec<String> = recorded(&plan.out_dir)
        .into_iter()
        .filter(|(_, n)| *n != key)
        .map(|(s, n)| format!("{s}  {n}"))
        .collect();
    lines.push(format!("{}  {key}", sha256_hex(&bytes)));
    super::write_atomic(
        &plan.out_dir.join(RECORD),
        (lines.join("\n") + "\n").as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_fill_the_text_width_unless_too_tall() {
        let text = (PAGE_WIDTH_TWIPS - 2 * MARGIN_TWIPS as u32) as u64;
        let (w, h) = fitted(512, 512, text);
        assert_eq!(w as u64, text * EMU_PER_TWIP);
        assert_eq!(w, h);
        let (w, h) = fitted(424, 600, text);
        assert!(h as u64 <= MAX_FIGURE_HEIGHT_TWIPS * EMU_PER_TWIP);
        assert!((w as f64 / h as f64 - 424.0 / 600.0).abs() < 0.01);
    }

    #[test]
    fn png_size_reads_the_header_only() {
        let img = image::RgbImage::new(24, 16);
        let bytes = crate::output::encode_png(&img, &[]).unwrap();
        assert_eq!(png_size(&bytes), Some((24, 16)));
        assert_eq!(png_size(b"not a png at all, not at all"), None);
    }
}
