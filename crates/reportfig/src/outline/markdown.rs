//! Markdown outlines, read with pulldown-cmark.
//!
//! Two ways to mark figures:
//! - every heading is a figure, its text the caption; or
//! - if any line starts with a figure marker (`Figure:`, `Figure 3.`, `그림:`, `그림 3.`), only
//!   those lines are figures and headings are just the report's structure.
//!
//! Either may end with a `{style=… size=… seed=… file=… negative="…"}` settings block.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::{split_settings, CaptionPlace, Ctx, Heading, OutlineError, OutlineItem};

/// One candidate figure as found in the source, before its settings are read.
struct Found {
    text: String,
    /// Byte offset where its text starts (for the line number).
    start: usize,
    /// Byte offset of the end of its last source line (where `--markdown` inserts).
    end: usize,
}

/// The figures, and every heading (for the gallery's title and sections).
pub(crate) fn parse(
    ctx: &Ctx<'_>,
    src: &str,
) -> Result<(Vec<OutlineItem>, Vec<Heading>), OutlineError> {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(src.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| line_starts.partition_point(|&s| s <= offset);

    let mut headings: Vec<Found> = Vec::new();
    let mut figure_lines: Vec<Found> = Vec::new();
    let mut heading: Option<Found> = None;
    let mut levels: Vec<u8> = Vec::new();
    let mut lines: Vec<Found> = Vec::new();
    let mut in_code = false;

    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for (event, range) in Parser::new_ext(src, options).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut lines, &mut figure_lines);
                levels.push(level as u8);
                heading = Some(Found {
                    text: String::new(),
                    start: range.start,
                    end: line_end(src, range.end.saturating_sub(1)),
                });
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(h) = heading.take() {
                    headings.push(h);
                }
            }
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Start(tag) if is_block(&tag) => flush(&mut lines, &mut figure_lines),
            Event::End(tag) if is_block_end(&tag) => flush(&mut lines, &mut figure_lines),
            // Inline HTML is kept as the words it was written with: in a caption `a<b and c>d`
            // is a comparison, not a tag, and dropping it changed the caption silently.
            Event::Text(t) | Event::Code(t) | Event::InlineHtml(t) if !in_code => {
                match heading.as_mut() {
                    Some(h) => h.text.push_str(&t),
                    None => {
                        if lines.is_empty() {
                            lines.push(new_line(src, &range));
                        }
                        let last = lines.len() - 1;
                        lines[last].text.push_str(&t);
                        lines[last].end = line_end(src, range.end.saturating_sub(1));
                    }
                }
            }
            Event::SoftBreak | Event::HardBreak => match heading.as_mut() {
                Some(h) => h.text.push(' '),
                None => lines.push(Found {
                    text: String::new(),
                    start: range.end,
                    end: line_end(src, range.end),
                }),
            },
            _ => {}
        }
    }
    flush(&mut lines, &mut figure_lines);

    let heading_list: Vec<Heading> = headings
        .iter()
        .zip(&levels)
        .map(|(h, &level)| {
            let line = line_of(h.start);
            // A section heading may carry Pandoc attributes of its own; they are not shown.
            let text = split_settings(ctx, line, &h.text)
                .map(|(t, _)| t)
                .unwrap_or_else(|_| h.text.clone());
            Heading {
                level,
                text: text.split_whitespace().collect::<Vec<_>>().join(" "),
                line,
            }
        })
        .filter(|h| !h.text.is_empty())
        .collect();
    let mut items = Vec::new();
    if figure_lines.is_empty() {
        for h in headings {
            let line = line_of(h.start);
            let (caption, settings) = split_settings(ctx, line, &h.text)?;
            if caption.trim().is_empty() {
                return Err(ctx.empty_caption(line, CaptionPlace::MarkdownHeading));
            }
            items.push(ctx.item(line, &caption, settings, Some(h.end))?);
        }
    } else {
        for f in figure_lines {
            let line = line_of(f.start);
            let (caption, settings) = split_settings(ctx, line, &f.text)?;
            if caption.trim().is_empty() {
                return Err(ctx.empty_caption(line, CaptionPlace::FigureLine));
            }
            items.push(ctx.item(line, &caption, settings, Some(f.end))?);
        }
    }
    Ok((items, heading_list))
}

fn new_line(src: &str, range: &Range<usize>) -> Found {
    Found {
        text: String::new(),
        start: range.start,
        end: line_end(src, range.start),
    }
}

/// Keeps the collected lines of a finished block that start with a figure marker.
fn flush(lines: &mut Vec<Found>, figures: &mut Vec<Found>) {
    for mut l in lines.drain(..) {
        if let Some(rest) = strip_marker(&l.text) {
            l.text = rest.to_string();
            figures.push(l);
        }
    }
}

/// Offset just past the newline ending the line that contains `pos`.
fn line_end(src: &str, pos: usize) -> usize {
    match src
        .as_bytes()
        .get(pos..)
        .and_then(|s| s.iter().position(|&b| b == b'\n'))
    {
        Some(i) => pos + i + 1,
        None => src.len(),
    }
}

fn is_block(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Paragraph
            | Tag::Item
            | Tag::List(_)
            | Tag::BlockQuote(_)
            | Tag::Table(_)
            | Tag::TableHead
            | Tag::TableRow
            | Tag::TableCell
            | Tag::HtmlBlock
    )
}

fn is_block_end(tag: &TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Paragraph
            | TagEnd::Item
            | TagEnd::List(_)
            | TagEnd::BlockQuote(_)
            | TagEnd::Table
            | TagEnd::TableHead
            | TagEnd::TableRow
            | TagEnd::TableCell
            | TagEnd::HtmlBlock
    )
}

/// `Figure: x`, `Figure 3: x`, `Figure 3. x`, `Fig. 2) x`, `그림: x`, `그림 3. x` -> `x`.
/// A number needs a separator after it so "Figure 3 shows…" in running text is not a figure.
pub(crate) fn strip_marker(line: &str) -> Option<&str> {
    let s = line.trim_start();
    let lower_prefix: String = s.chars().take(7).collect::<String>().to_lowercase();
    let word_len = ["figure", "fig.", "그림"]
        .iter()
        .find(|w| lower_prefix.starts_with(*w))
        .map(|w| {
            // Byte length in the original: same chars count as the lowercased prefix word.
            s.char_indices()
                .nth(w.chars().count())
                .map(|(i, _)| i)
                .unwrap_or(s.len())
        })?;
    let rest = &s[word_len..];
    let after_space = rest.trim_start();
    let digits_len = after_space
        .char_indices()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == '-' || *c == '.')
        .last()
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let (number, tail) = after_space.split_at(digits_len);
    let has_number = number.chars().any(|c| c.is_ascii_digit());
    if !has_number && !number.is_empty() {
        // "Fig.." or "Figure-": not a marker we understand.
        return None;
    }
    // "Figure 3." : the trailing dot of the number is the separator.
    if has_number
        && number.ends_with('.')
        && (tail.is_empty() || tail.starts_with(char::is_whitespace))
    {
        return Some(tail.trim_start());
    }
    let tail = tail.trim_start();
    let mut chars = tail.chars();
    let sep = chars.next()?;
    let ok = match sep {
        ':' | '：' => true,
        '.' | ')' => has_number,
        _ => false,
    };
    ok.then(|| chars.as_str().trim_start())
}

#[cfg(test)]
mod tests {
    use super::strip_marker;

    #[test]
    fn figure_markers() {
        assert_eq!(strip_marker("Figure: Bus lanes"), Some("Bus lanes"));
        assert_eq!(strip_marker("figure 3: Bus lanes"), Some("Bus lanes"));
        assert_eq!(strip_marker("Figure 3. Bus lanes"), Some("Bus lanes"));
        assert_eq!(strip_marker("Fig. 2) Bus"), Some("Bus"));
        assert_eq!(strip_marker("그림: 버스 전용차로"), Some("버스 전용차로"));
        assert_eq!(strip_marker("그림 1. 버스 전용차로"), Some("버스 전용차로"));
        assert_eq!(strip_marker("그림 2-1: 노선도"), Some("노선도"));
        assert_eq!(strip_marker("그림：노선도"), Some("노선도"));
        assert_eq!(strip_marker("Figure 3 shows the trend."), None);
        assert_eq!(strip_marker("Figures are below"), None);
        assert_eq!(strip_marker("그림자 효과"), None);
        assert_eq!(strip_marker("Bus lanes"), None);
    }
}
