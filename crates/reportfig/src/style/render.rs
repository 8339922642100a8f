//! The text of `styles list`, `styles show` and `styles check`, written to any `impl Write`
//! so the CLI prints it and tests snapshot it.

use std::io::{self, Write};
use std::path::Path;

use crate::i18n::{Lang, Message};
use crate::msg;

use super::compose::compose;
use super::palette::palette_words;
use super::parse::parse_style;
use super::{
    Diagnostic, DiagnosticKind, LoadedStyle, ModelFamily, Origin, Severity, Style, StyleError,
    StyleLibrary,
};

/// The caption `styles show` and `styles check` compose with when none is given.
pub const SAMPLE_CAPTION_EN: &str = "opening of the new elderly welfare centre";
/// A Korean caption of typical length; Hangul costs CLIP about three tokens a syllable.
pub const SAMPLE_CAPTION_KO: &str = "노인 복지관 개관식";

/// `styles list`: styles grouped by category, with English and Korean titles; the category
/// headings and marks in `lang` (a user's own category is shown as written).
pub fn render_list(lib: &StyleLibrary, lang: Lang, w: &mut impl Write) -> io::Result<()> {
    let m = lang.messages();
    let width = lib.iter().map(|s| s.style.name.len()).max().unwrap_or(0);
    let mut first = true;
    for (category, styles) in lib.by_category() {
        if !first {
            writeln!(w)?;
        }
        first = false;
        let id = format!("style-category-{category}");
        if m.has(&id) {
            writeln!(w, "{}", m.format(&id, &[]))?;
        } else {
            writeln!(w, "{category}")?;
        }
        for s in styles {
            let ko = s.style.title.ko.as_deref().unwrap_or("-");
            let mark = match (&s.origin, &s.replaces) {
                (Origin::Builtin(_), _) => String::new(),
                (Origin::File(_), Some(Origin::Builtin(_))) => {
                    format!("  {}", m.format("style-mark-user-replaces", &[]))
                }
                (Origin::File(_), _) => format!("  {}", m.format("style-mark-user", &[])),
            };
            writeln!(
                w,
                "  {:width$}  {} · {ko}{mark}",
                s.style.name, s.style.title.en
            )?;
        }
    }
    Ok(())
}

/// `styles show NAME`: the style's fields, where it came from, and the prompt it composes for
/// `caption` on `family`, labelled in `lang`.
pub fn render_show(
    loaded: &LoadedStyle,
    caption: &str,
    family: ModelFamily,
    count_tokens: &dyn Fn(&str) -> usize,
    lang: Lang,
    w: &mut impl Write,
) -> io::Result<()> {
    let m = lang.messages();
    let line = |w: &mut dyn Write, msg: Message| writeln!(w, "{}", msg.render(lang));
    let model_default = || msg!("plan-model-default").render(lang);
    let s = &loaded.style;
    writeln!(w, "{}", s.name)?;
    line(w, msg!("style-show-title", title = &s.title.en))?;
    if let Some(ko) = &s.title.ko {
        line(w, msg!("style-show-title-ko", title = ko))?;
    }
    let category = format!("style-category-{}", s.category);
    let category = if m.has(&category) {
        m.format(&category, &[])
    } else {
        s.category.clone()
    };
    line(w, msg!("style-show-category", category = category))?;
    line(w, msg!("style-show-description", text = &s.description))?;
    let origin = |o: &Origin| match o {
        Origin::Builtin(file) => msg!("style-origin-builtin", file = *file),
        Origin::File(p) => msg!("untranslated", text = p.display().to_string()),
    };
    line(
        w,
        msg!("style-show-source", origin = origin(&loaded.origin)),
    )?;
    if let Some(old) = &loaded.replaces {
        line(w, msg!("style-show-replaces", origin = origin(old)))?;
    }
    if !s.palette.is_empty() {
        line(
            w,
            msg!(
                "style-show-palette",
                colours = s.palette.join(" "),
                words = palette_words(&s.palette).join(", ")
            ),
        )?;
    }
    if !s.overrides.is_empty() {
        let keys: Vec<&str> = s.overrides.keys().map(String::as_str).collect();
        line(w, msg!("style-show-overrides", families = keys.join(", ")))?;
    }
    let c = compose(caption, &[s], family, count_tokens);
    writeln!(w)?;
    line(
        w,
        msg!(
            "style-show-for",
            family = family.display_name(),
            caption = caption
        ),
    )?;
    line(w, msg!("style-show-prompt", text = &c.prompt))?;
    line(
        w,
        match c.negative_prompt.as_deref() {
            Some(n) => msg!("style-show-negative", text = n),
            None => msg!("style-show-no-negative"),
        },
    )?;
    let size = c
        .size
        .map(|spec| format!("{spec} = {}", spec.resolve(family)))
        .unwrap_or_else(model_default);
    let or_default = |v: Option<String>| v.unwrap_or_else(model_default);
    line(
        w,
        msg!(
            "style-show-settings",
            size = size,
            steps = or_default(c.steps.map(|s| s.to_string())),
            guidance = or_default(c.guidance.map(|g| format!("{g:?}"))),
            sampler = or_default(c.sampler.map(|k| k.name().to_string()))
        ),
    )?;
    if !c.loras.is_empty() {
        let loras: Vec<String> = c
            .loras
            .iter()
            .map(|l| format!("{}:{}", l.source, l.weight))
            .collect();
        line(w, msg!("style-show-loras", loras = loras.join(", ")))?;
    }
    line(
        w,
        msg!(
            "style-show-tokens",
            tokens = c.tokens,
            window = family.token_window()
        ),
    )?;
    for note in c.notes(family) {
        line(w, msg!("style-show-note", text = note))?;
    }
    Ok(())
}

/// Validates one style text as `styles check` does: unknown keys are errors, and the style
/// is composed with an English and a Korean sample caption on every family to check the
/// token budget.
pub fn check_style_text(
    text: &str,
    file: &str,
    file_stem: Option<&str>,
    count_tokens: &dyn Fn(&str) -> usize,
) -> (Option<Style>, Vec<Diagnostic>) {
    let (style, mut diags) = parse_style(text, file, file_stem);
    for d in &mut diags {
        if d.kind == DiagnosticKind::UnknownKey {
            d.severity = Severity::Error;
        }
    }
    if let Some(style) = &style {
        diags.extend(budget_diagnostics(style, file, count_tokens));
    }
    let ok = !diags.iter().any(|d| d.severity == Severity::Error);
    (style.filter(|_| ok), diags)
}

fn budget_diagnostics(
    style: &Style,
    file: &str,
    count_tokens: &dyn Fn(&str) -> usize,
) -> Vec<Diagnostic> {
    // (field, caption or None for "the style alone", dropped phrases, families): families
    // with the same finding share one message.
    type Finding = (String, Option<&'static str>, Vec<String>, Vec<ModelFamily>);
    let mut findings: Vec<Finding> = Vec::new();
    let mut note = |field: &str, caption, dropped: Vec<String>, family| match findings
        .iter_mut()
        .find(|f| f.0 == field && f.1 == caption && f.2 == dropped)
    {
        Some(f) => f.3.push(family),
        None => findings.push((field.to_string(), caption, dropped, vec![family])),
    };
    for family in ModelFamily::ALL {
        // Point at the prompt that family actually uses.
        let field = family
            .override_keys()
            .iter()
            .rev()
            .find(|k| style.overrides.get(**k).is_some_and(|o| o.prompt.is_some()))
            .map(|k| format!("{k}.prompt"))
            .unwrap_or_else(|| "prompt".into());
        // A one-word caption shows what the style alone costs.
        let alone = compose("x", &[style], family, count_tokens);
        if !alone.dropped.is_empty() {
            note(&field, None, alone.dropped, family);
            continue;
        }
        for caption in [SAMPLE_CAPTION_EN, SAMPLE_CAPTION_KO] {
            let c = compose(caption, &[style], family, count_tokens);
            if !c.dropped.is_empty() {
                note(&field, Some(caption), c.dropped, family);
            }
        }
    }
    findings
        .into_iter()
        .map(|(field, caption, dropped, families)| {
            let on = families
                .iter()
                .map(|f| f.display_name())
                .collect::<Vec<_>>()
                .join(", ");
            let window = families[0].token_window();
            let dropped = dropped.join("; ");
            let (severity, message) = match caption {
                None => (
                    Severity::Error,
                    msg!(
                        "style-diag-budget-alone",
                        families = on,
                        window = window,
                        dropped = dropped
                    ),
                ),
                Some(caption) => (
                    Severity::Warning,
                    msg!(
                        "style-diag-budget-caption",
                        families = on,
                        caption = caption,
                        dropped = dropped
                    ),
                ),
            };
            Diagnostic {
                severity,
                kind: DiagnosticKind::TokenBudget,
                file: file.to_string(),
                line: None,
                field: Some(field),
                message,
            }
        })
        .collect()
}

/// Reads and checks one file (see [`check_style_text`]).
pub fn check_file(
    path: &Path,
    count_tokens: &dyn Fn(&str) -> usize,
) -> Result<(Option<Style>, Vec<Diagnostic>), StyleError> {
    let text = std::fs::read_to_string(path).map_err(|source| StyleError::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    let stem = path.file_stem().and_then(|s| s.to_str());
    Ok(check_style_text(
        &text,
        &path.display().to_string(),
        stem,
        count_tokens,
    ))
}

/// `styles check`'s report: every diagnostic, then a one-line verdict, labelled in `lang`
/// (the diagnostics' own sentences are still English). Returns whether the file passed (no
/// errors), for the exit code.
pub fn render_check(
    file: &str,
    diags: &[Diagnostic],
    lang: Lang,
    w: &mut impl Write,
) -> io::Result<bool> {
    for d in diags {
        let label = match d.severity {
            Severity::Error => msg!("style-check-error", text = d.detail()),
            Severity::Warning => msg!("style-check-warning", text = d.detail()),
        };
        writeln!(w, "{}", label.render(lang))?;
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    let verdict = if errors == 0 {
        msg!("style-check-ok", file = file, warnings = warnings)
    } else {
        msg!(
            "style-check-failed",
            file = file,
            errors = errors,
            warnings = warnings
        )
    };
    writeln!(w, "{}", verdict.render(lang))?;
    Ok(errors == 0)
}

/// Loading diagnostics for the CLI to print on stderr (one per line).
pub fn render_diagnostics(diags: &[Diagnostic], w: &mut impl Write) -> io::Result<()> {
    for d in diags {
        writeln!(w, "{d}")?;
    }
    Ok(())
}
