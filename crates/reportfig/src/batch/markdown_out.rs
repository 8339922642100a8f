//! `--markdown`: a copy of a Markdown outline with each figure's image inserted under the
//! heading (or figure line) it illustrates. The original outline is never modified.

use std::path::{Component, Path, PathBuf};

use super::{write_atomic, BatchError, Plan};
use crate::outline::{Outline, OutlineFormat};
use crate::text::url_path;

/// `outline.md` -> `outline.illustrated.md`, next to the outline.
pub fn illustrated_path(outline_path: &Path) -> PathBuf {
    let stem = outline_path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "outline".to_string());
    outline_path.with_file_name(format!("{stem}.illustrated.md"))
}

/// Inserts `![alt](url)` blocks at byte offsets of `source` (each the start of the line after
/// the figure's line). `images`: (offset, alt text, url), in any order.
pub fn illustrate_markdown(source: &str, images: &[(usize, String, String)]) -> String {
    let mut sorted: Vec<&(usize, String, String)> = images.iter().collect();
    sorted.sort_by_key(|(offset, _, _)| *offset);
    let mut out = String::with_capacity(source.len() + 64 * images.len());
    let mut at = 0;
    for (offset, alt, url) in sorted {
        let offset = (*offset).min(source.len());
        if offset < at || !source.is_char_boundary(offset) {
            continue;
        }
        out.push_str(&source[at..offset]);
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&format!("![{}]({})\n\n", escape_alt(alt), url));
        at = offset;
    }
    out.push_str(&source[at..]);
    out
}

/// Writes the illustrated copy of a Markdown outline, linking every figure whose PNG exists.
/// Returns its path. Other outline formats have no place to put images: an error says so.
pub fn write_illustrated_markdown(outline: &Outline, plan: &Plan) -> Result<PathBuf, BatchError> {
    if outline.format != OutlineFormat::Markdown {
        return Err(BatchError::BadFigure {
            path: outline.path.clone(),
            line: 1,
            message: crate::msg!(
                "batch-markdown-needs-markdown",
                format = outline.format.to_string()
            ),
        });
    }
    let report_dir = outline.path.parent().unwrap_or_else(|| Path::new(""));
    let prefix = link_prefix(report_dir, &plan.out_dir);
    let mut images = Vec::new();
    for (item, f) in outline.items.iter().zip(&plan.figures) {
        let Some(offset) = item.insert_at else {
            continue;
        };
        if plan.out_dir.join(&f.job.file_name).is_file() {
            images.push((
                offset,
                item.caption.clone(),
                format!("{prefix}{}", url_path(&f.job.file_name)),
            ));
        }
    }
    let lines: Vec<usize> = outline
        .items
        .iter()
        .filter(|item| !item.overrides.is_empty())
        .map(|item| item.line)
        .collect();
    let (source, shift) = without_settings(&outline.source, &lines);
    for image in &mut images {
        image.0 = shift(image.0);
    }
    let text = illustrate_markdown(&source, &images);
    let path = illustrated_path(&outline.path);
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// `source` without the settings blocks (`{size=… seed=…}`) of the given 1-based lines: the
/// illustrated copy is for reading, and the settings are in each PNG already. Returns the text
/// and the map from an offset in `source` to the same place in the text.
fn without_settings(source: &str, lines: &[usize]) -> (String, impl Fn(usize) -> usize) {
    let mut cut: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for (i, line) in source.split_inclusive('\n').enumerate() {
        if lines.contains(&(i + 1)) {
            let body = line.trim_end_matches(['\n', '\r']);
            if let Some(open) = crate::outline::settings_block_start(body) {
                let from = body[..open].trim_end().len();
                cut.push((start + from, start + body.trim_end().len()));
            }
        }
        start += line.len();
    }
    let mut out = String::with_capacity(source.len());
    let mut at = 0;
    for &(a, b) in &cut {
        out.push_str(&source[at..a]);
        at = b;
    }
    out.push_str(&source[at..]);
    let shift = move |offset: usize| {
        offset
            - cut
                .iter()
                .filter(|(_, b)| *b <= offset)
                .map(|(a, b)| b - a)
                .sum::<usize>()
    };
    (out, shift)
}

/// URL prefix (ending in `/`) from the report's folder to the figures folder: relative when
/// the figures are inside the report folder (the default), else absolute.
fn link_prefix(report_dir: &Path, out_dir: &Path) -> String {
    let relative = out_dir
        .strip_prefix(report_dir)
        .ok()
        .filter(|r| r.components().all(|c| matches!(c, Component::Normal(_))));
    let path = match relative {
        Some(r) => r.to_path_buf(),
        None => std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_path_buf()),
    };
    let mut prefix = String::new();
    for c in path.components() {
        match c {
            Component::RootDir => prefix.push('/'),
            Component::Normal(part) => {
                prefix.push_str(&url_path(&part.to_string_lossy()));
                prefix.push('/');
            }
            Component::Prefix(p) => {
                prefix.push_str(&p.as_os_str().to_string_lossy().replace('\\', "/"));
            }
            Component::CurDir | Component::ParentDir => {}
        }
    }
    prefix
}

fn escape_alt(alt: &str) -> String {
    let mut out = String::with_capacity(alt.len());
    for c in alt.chars() {
        if matches!(c, '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_under_lines() {
        let src = "# A\ntext\n## B";
        let out = illustrate_markdown(
            src,
            &[
                (4, "A".into(), "figures/01-a.png".into()),
                (src.len(), "B [x]".into(), "figures/02-b.png".into()),
            ],
        );
        assert_eq!(
            out,
            "# A\n\n![A](figures/01-a.png)\n\ntext\n## B\n\n![B \\[x\\]](figures/02-b.png)\n\n"
        );
    }

    #[test]
    fn settings_blocks_are_left_out_and_offsets_follow() {
        let src = "# Cover {size=a4-portrait seed=3}\ntext {not settings}\n## B {style=x}\n";
        let (out, shift) = without_settings(src, &[1, 2, 3]);
        assert_eq!(out, "# Cover\ntext {not settings}\n## B\n");
        let after_first = src.find('\n').unwrap() + 1;
        assert_eq!(&out[shift(after_first)..], "text {not settings}\n## B\n");
        assert_eq!(shift(src.len()), out.len());
    }

    #[test]
    fn link_prefixes() {
        assert_eq!(
            link_prefix(Path::new("reports/t"), Path::new("reports/t/figures")),
            "figures/"
        );
        assert_eq!(link_prefix(Path::new(""), Path::new("figures")), "figures/");
        assert_eq!(
            link_prefix(Path::new("/r"), Path::new("/other/그림 폴더")),
            "/other/%EA%B7%B8%EB%A6%BC%20%ED%8F%B4%EB%8D%94/"
        );
    }
}
