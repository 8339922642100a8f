//! `index.html`: a gallery page that opens from disk with no network and no scripts; the
//! thumbnails are the PNGs themselves, scaled by the browser.

use std::fmt::Write;

use super::Manifest;
use crate::text::{escape_html as escape, has_hangul, url_path};

/// Renders the gallery for a manifest. Deterministic: same manifest, same bytes.
pub fn render_gallery(manifest: &Manifest) -> String {
    let korean = manifest.figures.iter().any(|f| has_hangul(&f.caption));
    let lang = if korean { "ko" } else { "en" };
    let title = format!("Figures: {}", manifest.outline);
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n\
         <p class=\"summary\">{} figures. Click an image to open it at full size.</p>\n\
         <main class=\"grid\">\n",
        escape(&title),
        escape(&title),
        manifest.figures.len()
    );
    for f in &manifest.figures {
        let src = escape(&url_path(&f.file));
        let _ = write!(
            s,
            "<figure id=\"figure-{n}\">\n<a href=\"{src}\"><img src=\"{src}\" width=\"320\" \
             alt=\"{alt}\" loading=\"lazy\"></a>\n<figcaption><span class=\"n\">{n}.</span> {cap}{stale}</figcaption>\n\
             <table>\n",
            n = f.figure,
            alt = escape(&f.caption),
            cap = escape(&f.caption),
            stale = if f.up_to_date {
                ""
            } else {
                " <span class=\"stale\">(outdated: the outline changed since this image was made)</span>"
            },
        );
        let mut row = |k: &str, v: &str| {
            let _ = writeln!(s, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v));
        };
        row("file", &f.file);
        if let Some(en) = &f.caption_en {
            let by = f.translated_by.as_deref().unwrap_or("translator");
            row("English", &format!("{en} ({by})"));
        }
        if let Some(style) = &f.style {
            row("style", style);
        }
        row("prompt", &f.prompt);
        if let Some(neg) = &f.negative_prompt {
            row("negative", neg);
        }
        row(
            "settings",
            &format!(
                "{} · seed {} · {} steps · guidance {} · {}",
                f.size,
                f.seed,
                f.steps,
                f.guidance,
                f.sampler.map_or("model's sampler", |k| k.name())
            ),
        );
        let model = match &f.model_revision {
            Some(rev) => format!("{} @ {}", f.model, rev),
            None => f.model.clone(),
        };
        row("model", &model);
        if let Some(sec) = f.seconds {
            row("time", &format!("{sec:.1} s"));
        }
        s.push_str("</table>\n</figure>\n");
    }
    s.push_str("</main>\n");
    if !manifest.missing.is_empty() {
        let _ = writeln!(
            s,
            "<p class=\"missing\">Not made yet: {}</p>",
            escape(&manifest.missing.join(", "))
        );
    }
    s.push_str("</body>\n</html>\n");
    s
}

const CSS: &str = "body { font-family: system-ui, 'Malgun Gothic', 'Apple SD Gothic Neo', sans-serif; margin: 2rem; color: #222; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 1.5rem; }
figure { margin: 0; padding: 10px; border: 1px solid #ddd; border-radius: 6px; background: #fafafa; }
img { max-width: 100%; height: auto; display: block; border: 1px solid #ccc; }
figcaption { font-weight: 600; margin: 0.6rem 0; }
.n { color: #777; }
.stale, .missing { color: #a40; font-weight: normal; }
table { font-size: 0.8rem; border-collapse: collapse; }
th { text-align: left; vertical-align: top; padding-right: 0.6rem; color: #666; font-weight: normal; }
td { word-break: break-word; }
";
