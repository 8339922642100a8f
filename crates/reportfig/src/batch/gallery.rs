//! `index.html`: the review page of a batch, for the person who puts the figures into the
//! report. It shows the report's title and sections as the outline has them, every figure
//! with its caption, the English the model read, the style's Korean title and the settings in
//! plain words, buttons to copy or download the picture, and the `{seed=… style=…}` snippet
//! that keeps a figure as it is. PNGs in the folder that the outline no longer makes are
//! listed apart as outdated, so an old picture is not pasted into a report by mistake.
//!
//! The page opens from disk with no network. The figures are embedded as `data:` URLs:
//! browsers treat every `file://` page as its own origin, so a script may neither read a
//! neighbouring PNG nor copy it to the clipboard, and "copy image" would only work through
//! the right-click menu. Rendering is pure and deterministic: same input, same bytes.

use std::collections::BTreeMap;
use std::fmt::Write;

use base64::Engine as _;

use super::{Manifest, ManifestEntry};
use crate::i18n::Lang;
use crate::outline::Heading;
use crate::style::Title;
use crate::text::{escape_html as escape, js_string, url_path};
use crate::tr;

/// How the page is presented: its language and what the styles are called.
#[derive(Debug, Clone, Default)]
pub struct GalleryOptions {
    pub lang: Lang,
    /// Style name -> its titles, so the page says "수채화 도시 풍경", not a slug.
    pub style_titles: BTreeMap<String, Title>,
}

/// A PNG in the figures folder that no figure of the outline writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutdatedFile {
    pub file: String,
    /// The caption recorded in it, when it has reportfig metadata.
    pub caption: Option<String>,
}

/// Everything the page shows.
#[derive(Debug, Clone)]
pub struct GalleryPage<'a> {
    pub manifest: &'a Manifest,
    /// The outline's first heading; the outline's file name when it has none.
    pub title: Option<&'a str>,
    /// Every heading of the outline (Markdown), in order.
    pub headings: &'a [Heading],
    /// Line of each outline figure, by position (figure `n` is `figure_lines[n - 1]`).
    pub figure_lines: &'a [usize],
    pub outdated: &'a [OutdatedFile],
    /// PNG bytes of each manifest file, to embed; a file missing here is linked instead.
    pub images: &'a BTreeMap<String, Vec<u8>>,
    pub options: &'a GalleryOptions,
}

/// What goes down the page, in outline order.
enum Block<'a> {
    Section(&'a Heading),
    Figure(&'a ManifestEntry),
}

/// Renders the gallery. Deterministic: same page, same bytes.
pub fn render_gallery(page: &GalleryPage<'_>) -> String {
    let lang = page.options.lang;
    let m = page.manifest;
    let title = page.title.map_or_else(|| m.outline.clone(), str::to_string);
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"reportfig\">\n\
         <title>{t}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<header>\n\
         <p class=\"kicker\">{kicker}</p>\n<h1>{t}</h1>\n<p class=\"summary\">{summary}</p>\n",
        code = lang.code(),
        t = escape(&title),
        kicker = escape(&tr!(lang, "gallery-kicker", outline = m.outline.as_str())),
        summary = escape(&tr!(
            lang,
            "gallery-summary",
            count = m.figures.len(),
            outdated = page.outdated.len()
        )),
    );
    let _ = write!(
        s,
        "<details class=\"legend\"><summary>{}</summary>\n<dl>\n",
        escape(&tr!(lang, "gallery-legend-title"))
    );
    for (term, text) in [
        ("gallery-term-seed", "gallery-legend-seed"),
        ("gallery-term-steps", "gallery-legend-steps"),
        ("gallery-term-guidance", "gallery-legend-guidance"),
        ("gallery-term-sampler", "gallery-legend-sampler"),
        ("gallery-term-snippet", "gallery-legend-snippet"),
    ] {
        let _ = writeln!(
            s,
            "<dt>{}</dt><dd>{}</dd>",
            escape(&lang.messages().format(term, &[])),
            escape(&lang.messages().format(text, &[]))
        );
    }
    s.push_str("</dl>\n</details>\n</header>\n<main>\n");

    for block in blocks(page) {
        match block {
            Block::Section(h) => {
                let tag = if h.level <= 2 { "h2" } else { "h3" };
                let _ = writeln!(
                    s,
                    "<{tag} class=\"section\" id=\"line-{}\">{}</{tag}>",
                    h.line,
                    escape(&h.text)
                );
            }
            Block::Figure(f) => figure(&mut s, f, page),
        }
    }
    s.push_str("</main>\n");

    if !m.missing.is_empty() {
        let _ = writeln!(
            s,
            "<section class=\"missing\"><h2>{}</h2><p>{}</p></section>",
            escape(&tr!(lang, "gallery-missing-title", count = m.missing.len())),
            escape(&m.missing.join(", "))
        );
    }
    if !page.outdated.is_empty() {
        let _ = write!(
            s,
            "<section class=\"outdated\" id=\"outdated\">\n<h2>{}</h2>\n<p>{}</p>\n<ul>\n",
            escape(&tr!(
                lang,
                "gallery-outdated-title",
                count = page.outdated.len()
            )),
            escape(&tr!(lang, "gallery-outdated-explain"))
        );
        for o in page.outdated {
            let src = escape(&url_path(&o.file));
            let caption = o
                .caption
                .as_deref()
                .map(|c| format!("<span class=\"old-caption\">{}</span>", escape(c)))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "<li><img src=\"{src}\" width=\"96\" alt=\"\" loading=\"lazy\">\
                 <span class=\"old-file\">{}</span>{caption}</li>",
                escape(&o.file)
            );
        }
        s.push_str("</ul>\n</section>\n");
    }
    let _ = write!(
        s,
        "<p id=\"status\" role=\"status\" aria-live=\"polite\"></p>\n<script>\n\
         const MESSAGES = {{ copied: \"{}\", copiedText: \"{}\", failed: \"{}\", failedText: \"{}\" }};\n\
         {SCRIPT}</script>\n</body>\n</html>\n",
        js_string(&tr!(lang, "gallery-status-copied")),
        js_string(&tr!(lang, "gallery-status-copied-text")),
        js_string(&tr!(lang, "gallery-status-copy-failed")),
        js_string(&tr!(lang, "gallery-status-copy-text-failed")),
    );
    s
}

/// Sections and figures in the order of their lines. The first heading is the page title, so
/// it is not repeated as a section; headings that are figures themselves (an outline whose
/// every heading is a figure) are shown as figures only.
fn blocks<'a>(page: &GalleryPage<'a>) -> Vec<Block<'a>> {
    let line_of = |f: &ManifestEntry| page.figure_lines.get(f.figure - 1).copied();
    let figure_lines: Vec<usize> = page.figure_lines.to_vec();
    let mut out: Vec<(usize, u8, Block<'a>)> = Vec::new();
    for (i, h) in page.headings.iter().enumerate() {
        if figure_lines.contains(&h.line) || (i == 0 && page.title == Some(h.text.as_str())) {
            continue;
        }
        out.push((h.line, 0, Block::Section(h)));
    }
    for f in &page.manifest.figures {
        out.push((line_of(f).unwrap_or(usize::MAX), 1, Block::Figure(f)));
    }
    // Stable: figures without a known line keep manifest order at the end.
    out.sort_by_key(|(line, kind, _)| (*line, *kind));
    out.into_iter().map(|(_, _, b)| b).collect()
}

fn figure(s: &mut String, f: &ManifestEntry, page: &GalleryPage<'_>) {
    let lang = page.options.lang;
    let file = escape(&url_path(&f.file));
    let (w, h) = f.size.split_once('x').unwrap_or(("", ""));
    let src = match page.images.get(&f.file) {
        Some(bytes) => format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ),
        None => file.clone(),
    };
    let _ = write!(
        s,
        "<article class=\"figure{stale_class}\" id=\"figure-{n}\" data-file=\"{name}\">\n\
         <a class=\"pic\" href=\"{file}\"><img src=\"{src}\" width=\"{w}\" height=\"{h}\" alt=\"{alt}\"></a>\n\
         <div class=\"info\">\n<h3 class=\"caption\"><span class=\"n\">{label}</span> {cap}</h3>\n",
        stale_class = if f.up_to_date { "" } else { " stale" },
        n = f.figure,
        name = escape(&f.file),
        alt = escape(&f.caption),
        label = escape(&tr!(lang, "gallery-figure-number", n = f.figure)),
        cap = escape(&f.caption),
    );
    if !f.up_to_date {
        let _ = writeln!(
            s,
            "<p class=\"badge\">{}</p>",
            escape(&tr!(lang, "gallery-figure-stale"))
        );
    }
    s.push_str("<dl>\n");
    let mut row = |key: &str, value: String| {
        let _ = writeln!(s, "<dt>{}</dt><dd>{value}</dd>", escape(key));
    };
    if let Some(en) = &f.caption_en {
        let by = match f.translated_by.as_deref() {
            Some("given") => tr!(lang, "gallery-english-given"),
            Some(by) => tr!(lang, "gallery-english-translated", by = by),
            None => String::new(),
        };
        let by = if by.is_empty() {
            String::new()
        } else {
            format!(" <span class=\"by\">({})</span>", escape(&by))
        };
        row(
            &tr!(lang, "gallery-field-english"),
            format!("{}{by}", escape(en)),
        );
    }
    let style = match &f.style {
        Some(spec) => spec
            .split('+')
            .map(|name| style_title(name, lang, &page.options.style_titles))
            .collect::<Vec<_>>()
            .join(" + "),
        None => escape(&tr!(lang, "gallery-no-style")),
    };
    row(&tr!(lang, "gallery-field-style"), style);
    row(
        &tr!(lang, "gallery-field-settings"),
        escape(&settings_in_words(f, lang)),
    );
    row(
        &tr!(lang, "gallery-field-file"),
        format!("<a href=\"{file}\">{}</a>", escape(&f.file)),
    );
    s.push_str("</dl>\n");
    let snippet = snippet(f);
    let _ = write!(
        s,
        "<div class=\"buttons\">\
         <button type=\"button\" class=\"copy-image\">{copy}</button>\
         <button type=\"button\" class=\"download\">{download}</button></div>\n\
         <div class=\"snippet\"><code>{code}</code>\
         <button type=\"button\" class=\"copy-text\" data-text=\"{code}\">{use_this}</button></div>\n\
         <p class=\"hint\">{hint}</p>\n\
         <details><summary>{full}</summary>\n<dl class=\"full\">\n",
        copy = escape(&tr!(lang, "gallery-button-copy")),
        download = escape(&tr!(lang, "gallery-button-download")),
        code = escape(&snippet),
        use_this = escape(&tr!(lang, "gallery-button-use-this")),
        hint = escape(&tr!(lang, "gallery-snippet-hint")),
        full = escape(&tr!(lang, "gallery-details")),
    );
    let _ = writeln!(
        s,
        "<dt>{}</dt><dd>{}</dd>",
        escape(&tr!(lang, "gallery-field-prompt")),
        escape(&f.prompt)
    );
    if let Some(neg) = f.negative_prompt.as_deref().filter(|n| !n.is_empty()) {
        let _ = writeln!(
            s,
            "<dt>{}</dt><dd>{}</dd>",
            escape(&tr!(lang, "gallery-field-negative")),
            escape(neg)
        );
    }
    let model = match &f.model_revision {
        Some(rev) => format!("{} @ {}", f.model, rev),
        None => f.model.clone(),
    };
    let _ = writeln!(
        s,
        "<dt>{}</dt><dd>{}</dd>",
        escape(&tr!(lang, "gallery-field-model")),
        escape(&model)
    );
    s.push_str("</dl>\n</details>\n</div>\n</article>\n");
}

/// `수채화 도시 풍경` with the name beside it for the outline; the name alone for a style the
/// library does not know (any more).
fn style_title(name: &str, lang: Lang, titles: &BTreeMap<String, Title>) -> String {
    let shown = titles.get(name).map(|t| match (lang, &t.ko) {
        (Lang::Ko, Some(ko)) if !ko.trim().is_empty() => ko.clone(),
        _ => t.en.clone(),
    });
    match shown {
        Some(title) if title != name => format!(
            "{} <span class=\"slug\">{}</span>",
            escape(&title),
            escape(name)
        ),
        _ => escape(name),
    }
}

/// `512×512 픽셀 · 시드 7 · 단계 4 · 지침 강도 7.5 · 샘플러 Euler`.
pub fn settings_in_words(f: &ManifestEntry, lang: Lang) -> String {
    let size = f.size.replace('x', "×");
    let sampler = match f.sampler {
        Some(k) => tr!(lang, "gallery-sampler", name = k.a1111_name()),
        None => tr!(lang, "gallery-sampler-model"),
    };
    [
        tr!(lang, "gallery-size", size = size),
        tr!(lang, "gallery-seed", seed = f.seed.to_string()),
        tr!(lang, "gallery-steps", steps = f.steps),
        tr!(lang, "gallery-guidance", guidance = f.guidance.to_string()),
        sampler,
    ]
    .into_iter()
    .chain(f.init_image.as_ref().map(|i| {
        tr!(
            lang,
            "gallery-init-image",
            file = i.file.as_str(),
            strength = i.strength.to_string()
        )
    }))
    .collect::<Vec<_>>()
    .join(" · ")
}

/// The outline settings block that keeps this figure as it is: its seed (otherwise derived
/// from its position, so moving a line would change the picture) and its style.
pub fn snippet(f: &ManifestEntry) -> String {
    let mut parts = vec![format!("seed={}", f.seed)];
    if let Some(style) = &f.style {
        parts.push(format!("style={style}"));
    }
    // Quoted when the path has spaces, as the outline's settings block reads it.
    let setting = |key: &str, path: &str| match path.contains(char::is_whitespace) {
        true => format!("{key}=\"{path}\""),
        false => format!("{key}={path}"),
    };
    if let (Some(image), Some(init)) = (&f.image, &f.init_image) {
        parts.push(setting("image", image));
        parts.push(format!("strength={}", init.strength));
        if let Some(mask) = &f.mask {
            parts.push(setting("mask", mask));
        }
    }
    format!("{{{}}}", parts.join(" "))
}

const CSS: &str = "body { font-family: 'Malgun Gothic', 'Apple SD Gothic Neo', 'Noto Sans KR', 'Nanum Gothic', system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1.5rem 2rem 4rem; color: #1d1d1f; background: #fff; line-height: 1.5; }
header { border-bottom: 2px solid #1d1d1f; margin-bottom: 1.5rem; }
.kicker { color: #666; margin: 0; font-size: 0.9rem; }
h1 { margin: 0.2rem 0 0.4rem; font-size: 1.8rem; }
.summary { margin: 0 0 0.8rem; }
.legend { margin: 0 0 1rem; font-size: 0.9rem; }
.legend summary { cursor: pointer; color: #0b57d0; }
.legend dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0.6rem 0; }
.legend dt { font-weight: 600; }
.legend dd { margin: 0; }
h2.section { font-size: 1.35rem; margin: 2rem 0 0.8rem; padding-bottom: 0.2rem; border-bottom: 1px solid #ccc; }
h3.section { font-size: 1.15rem; margin: 1.5rem 0 0.6rem; }
.figure { display: grid; grid-template-columns: minmax(200px, 400px) 1fr; gap: 1.2rem; padding: 1rem; margin: 0 0 1rem; border: 1px solid #ddd; border-radius: 8px; background: #fafafa; }
.figure .pic img { width: 100%; height: auto; display: block; border: 1px solid #ccc; background: #fff; }
.caption { margin: 0 0 0.5rem; font-size: 1.1rem; }
.n { color: #666; font-weight: normal; margin-right: 0.2rem; }
.info dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 0.8rem; margin: 0 0 0.7rem; font-size: 0.92rem; }
.info dt { color: #666; }
.info dd { margin: 0; overflow-wrap: anywhere; }
.by, .slug { color: #777; font-size: 0.85em; }
.slug { font-family: Consolas, monospace; }
.buttons, .snippet { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; margin: 0.4rem 0; }
button { font: inherit; font-size: 0.9rem; padding: 0.3rem 0.8rem; border: 1px solid #0b57d0; border-radius: 4px; background: #fff; color: #0b57d0; cursor: pointer; }
button.copy-image { background: #0b57d0; color: #fff; }
.snippet code { font-family: Consolas, monospace; background: #eef2f8; padding: 0.2rem 0.5rem; border-radius: 4px; }
.hint { color: #666; font-size: 0.85rem; margin: 0.2rem 0 0.5rem; }
details.full, .info details { font-size: 0.85rem; }
.info details dl { grid-template-columns: max-content 1fr; }
.stale { border-color: #c60; background: #fff7ef; }
.badge { display: inline-block; margin: 0 0 0.5rem; padding: 0.1rem 0.5rem; border-radius: 4px; background: #c60; color: #fff; font-size: 0.85rem; }
.missing { margin-top: 2rem; color: #a40; }
.outdated { margin-top: 2.5rem; padding: 1rem; border: 2px dashed #b00; border-radius: 8px; background: #fff4f4; }
.outdated h2 { margin-top: 0; color: #b00; font-size: 1.2rem; }
.outdated ul { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 1rem; }
.outdated li { display: flex; flex-direction: column; width: 200px; font-size: 0.85rem; }
.outdated img { width: 96px; height: auto; opacity: 0.45; filter: grayscale(100%); border: 1px solid #ccc; }
.old-file { font-family: Consolas, monospace; overflow-wrap: anywhere; }
.old-caption { color: #555; }
#status { position: fixed; bottom: 1rem; left: 50%; transform: translateX(-50%); margin: 0; padding: 0.5rem 1rem; border-radius: 4px; background: #1d1d1f; color: #fff; opacity: 0; transition: opacity 0.2s; }
#status.show { opacity: 0.92; }
@media (max-width: 700px) { .figure { grid-template-columns: 1fr; } }
@media print { .buttons, .snippet, .hint, .legend, #status, details { display: none; } .figure { break-inside: avoid; } }
";

/// Copy and download from the embedded image; a copy that the browser refuses says what to
/// do instead (right-click, "copy image"), rather than failing silently.
const SCRIPT: &str = r#"function say(text) {
  const s = document.getElementById('status');
  s.textContent = text;
  s.classList.add('show');
  clearTimeout(say.timer);
  say.timer = setTimeout(() => s.classList.remove('show'), 4000);
}
function pictureOf(button) {
  return button.closest('article').querySelector('img');
}
async function copyImage(button) {
  const img = pictureOf(button);
  try {
    const blob = await (await fetch(img.src)).blob();
    await navigator.clipboard.write([new ClipboardItem({ 'image/png': blob })]);
    say(MESSAGES.copied);
    return true;
  } catch (e) {
    say(MESSAGES.failed);
    return false;
  }
}
function download(button) {
  const article = button.closest('article');
  const a = document.createElement('a');
  a.href = pictureOf(button).src;
  a.download = article.dataset.file;
  document.body.appendChild(a);
  a.click();
  a.remove();
}
async function copyText(button) {
  const text = button.dataset.text;
  try {
    await navigator.clipboard.writeText(text);
    say(MESSAGES.copiedText.replace('{text}', text));
    return true;
  } catch (e) {
    const code = button.parentElement.querySelector('code');
    const range = document.createRange();
    range.selectNodeContents(code);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    const ok = document.execCommand && document.execCommand('copy');
    say(ok ? MESSAGES.copiedText.replace('{text}', text) : MESSAGES.failedText);
    return ok;
  }
}
document.addEventListener('click', (event) => {
  const button = event.target.closest('button');
  if (!button) return;
  if (button.classList.contains('copy-image')) copyImage(button);
  else if (button.classList.contains('download')) download(button);
  else if (button.classList.contains('copy-text')) copyText(button);
});
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(figure: usize, file: &str, caption: &str, style: Option<&str>) -> ManifestEntry {
        ManifestEntry {
            figure,
            file: file.to_string(),
            caption: caption.to_string(),
            caption_en: Some(format!("{caption} in English")),
            translated_by: Some("opus-mt-ko-en".to_string()),
            style: style.map(str::to_string),
            prompt: format!("watercolor painting of {caption}"),
            negative_prompt: Some("text, watermark".to_string()),
            model: "sd-turbo".to_string(),
            model_revision: None,
            seed: 41 + figure as u64,
            size: "512x384".to_string(),
            steps: 4,
            guidance: 0.0,
            sampler: None,
            loras: Vec::new(),
            image: None,
            mask: None,
            init_image: None,
            sha256: String::new(),
            seconds: None,
            up_to_date: true,
        }
    }

    fn heading(level: u8, text: &str, line: usize) -> Heading {
        Heading {
            level,
            text: text.to_string(),
            line,
        }
    }

    struct Fixture {
        manifest: Manifest,
        headings: Vec<Heading>,
        lines: Vec<usize>,
        outdated: Vec<OutdatedFile>,
        images: BTreeMap<String, Vec<u8>>,
        options: GalleryOptions,
    }

    fn fixture(lang: Lang) -> Fixture {
        let mut style_titles = BTreeMap::new();
        style_titles.insert(
            "watercolor-cityscape".to_string(),
            Title {
                en: "Watercolour cityscape".to_string(),
                ko: Some("수채화 도시 풍경".to_string()),
            },
        );
        let mut images = BTreeMap::new();
        images.insert("01-버스-전용차로.png".to_string(), b"\x89PNG one".to_vec());
        Fixture {
            manifest: Manifest {
                outline: "outline.md".to_string(),
                figures: vec![
                    entry(
                        1,
                        "01-버스-전용차로.png",
                        "버스 전용차로",
                        Some("watercolor-cityscape"),
                    ),
                    entry(2, "02-공원.png", "공원 <산책로>", None),
                ],
                missing: vec!["03-자전거.png".to_string()],
            },
            headings: vec![
                heading(1, "2026 교통 보고서", 1),
                heading(2, "1. 대중교통", 3),
                heading(2, "2. 녹지", 7),
            ],
            lines: vec![5, 9, 11],
            outdated: vec![OutdatedFile {
                file: "03-옛-문구.png".to_string(),
                caption: Some("옛 문구".to_string()),
            }],
            images,
            options: GalleryOptions { lang, style_titles },
        }
    }

    fn render(f: &Fixture) -> String {
        render_gallery(&GalleryPage {
            manifest: &f.manifest,
            title: f.headings.first().map(|h| h.text.as_str()),
            headings: &f.headings,
            figure_lines: &f.lines,
            outdated: &f.outdated,
            images: &f.images,
            options: &f.options,
        })
    }

    #[test]
    fn title_sections_and_figures_in_outline_order() {
        let html = render(&fixture(Lang::Ko));
        assert!(html.contains("<html lang=\"ko\">"));
        assert!(html.contains("<h1>2026 교통 보고서</h1>"), "{html}");
        // The title is not repeated as a section.
        assert_eq!(
            html.matches("2026 교통 보고서").count(),
            2,
            "title and <h1>"
        );
        let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle}"));
        assert!(at("1. 대중교통") < at("id=\"figure-1\""));
        assert!(at("id=\"figure-1\"") < at("2. 녹지"));
        assert!(at("2. 녹지") < at("id=\"figure-2\""));
        assert!(at("id=\"figure-2\"") < at("id=\"outdated\""));
    }

    #[test]
    fn figures_show_korean_title_plain_settings_and_snippet() {
        let html = render(&fixture(Lang::Ko));
        assert!(html.contains("수채화 도시 풍경 <span class=\"slug\">watercolor-cityscape</span>"));
        assert!(
            html.contains("<code>{seed=42 style=watercolor-cityscape}</code>"),
            "{html}"
        );
        assert!(html.contains("<code>{seed=43}</code>"));
        assert!(html.contains("버스 전용차로 in English"));
        assert!(html.contains("512×384 픽셀 · 시드 42 · 단계 4"), "{html}");
        // Embedded when the bytes are known, linked otherwise.
        assert!(html.contains("src=\"data:image/png;base64,iVBORyBvbmU=\""));
        assert!(html.contains("src=\"02-%EA%B3%B5%EC%9B%90.png\""));
        assert!(html.contains("공원 &lt;산책로&gt;"));
        assert!(!html.contains("<산책로>"));
        assert!(html.contains("그림 복사") && html.contains("내려받기"));
    }

    #[test]
    fn outdated_files_are_listed_apart_and_missing_ones_named() {
        let html = render(&fixture(Lang::Ko));
        let outdated = &html[html.find("id=\"outdated\"").unwrap()..];
        assert!(outdated.contains("03-옛-문구.png"));
        assert!(outdated.contains("옛 문구"));
        // No copy or download button for an outdated picture.
        assert!(!outdated.contains("<button"));
        assert!(html.contains("03-자전거.png"));
    }

    #[test]
    fn headings_that_are_figures_are_not_sections_and_stale_figures_say_so() {
        let mut f = fixture(Lang::Ko);
        // An outline whose every heading is a figure: figures 1 and 2 are lines 3 and 7.
        f.lines = vec![3, 7];
        f.manifest.figures[1].up_to_date = false;
        let html = render(&f);
        assert!(!html.contains("class=\"section\""), "{html}");
        let second = &html[html.find("id=\"figure-2\"").unwrap()..];
        assert!(html.contains("<article class=\"figure stale\" id=\"figure-2\""));
        assert!(second.contains("예전 설정으로 만든 그림입니다"));
        assert!(!html[..html.find("id=\"figure-2\"").unwrap()].contains("예전 설정"));
    }

    /// The page's content (not its style sheet and script) in both languages, pinned so a
    /// change of wording or structure is reviewed.
    #[test]
    fn page_content_snapshots() {
        for lang in Lang::ALL {
            let html = render(&fixture(lang));
            let start = html.find("<body>").unwrap();
            let end = html.find("<p id=\"status\"").unwrap();
            insta::assert_snapshot!(format!("gallery_body_{lang}"), &html[start..end]);
        }
    }

    #[test]
    fn english_page_and_determinism() {
        let f = fixture(Lang::En);
        let html = render(&f);
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("Watercolour cityscape <span class=\"slug\">"));
        assert!(html.contains("seed 42 · steps 4"), "{html}");
        assert!(html.contains("Copy image"));
        assert_eq!(html, render(&f));
    }

    #[test]
    fn without_headings_the_outline_name_is_the_title() {
        let mut f = fixture(Lang::En);
        f.headings.clear();
        let html = render_gallery(&GalleryPage {
            manifest: &f.manifest,
            title: None,
            headings: &f.headings,
            figure_lines: &f.lines,
            outdated: &[],
            images: &f.images,
            options: &f.options,
        });
        assert!(html.contains("<h1>outline.md</h1>"));
        assert!(!html.contains("class=\"section\""));
        assert!(!html.contains("id=\"outdated\""));
    }
}
