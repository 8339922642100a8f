//! Plain-text outlines: one caption per non-empty line; lines starting with `#` are comments.

use super::{split_settings, CaptionPlace, Ctx, OutlineError, OutlineItem};

pub(crate) fn parse(ctx: &Ctx<'_>, text: &str) -> Result<Vec<OutlineItem>, OutlineError> {
    let mut items = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (caption, settings) = split_settings(ctx, line, trimmed)?;
        if caption.trim().is_empty() {
            return Err(ctx.empty_caption(line, CaptionPlace::TextLine));
        }
        items.push(ctx.item(line, &caption, settings, None)?);
    }
    Ok(items)
}
