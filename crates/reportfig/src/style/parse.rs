//! One style file (TOML) into a [`Style`], collecting every problem with its line and field
//! instead of stopping at the first, so `styles check` can list them all and the library can
//! skip one bad file and load the rest.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::palette::parse_hex;
use super::{
    Diagnostic, DiagnosticKind, FamilyOverride, SamplerChoice, Severity, Style, Title,
    CAPTION_SLOT, OVERRIDE_KEYS,
};
use crate::i18n::Message;
use crate::lora::LoraSpec;
use crate::msg;
use crate::page::SizeSpec;
use reportfig_engine::pipeline::scheduler::SamplerKind;
use reportfig_engine::request::MAX_GUIDANCE;

const TOP_KEYS: [&str; 16] = [
    "name",
    "title",
    "category",
    "description",
    "prompt",
    "negative_prompt",
    "size",
    "steps",
    "guidance",
    "sampler",
    "palette",
    "sd15",
    "sd21",
    "sdxl",
    "turbo",
    "loras",
];
const FAMILY_KEYS: [&str; 7] = [
    "prompt",
    "negative_prompt",
    "steps",
    "guidance",
    "sampler",
    "size",
    "loras",
];
const MAX_STEPS: i64 = 150;

/// Parses one style file.
///
/// `file` names the file in diagnostics; `file_stem` is used as the name when the file has
/// no `name` (and a different `name` gets a warning, since users look for the file). Returns
/// the style when it is usable (no error-level diagnostics) and every diagnostic found.
pub fn parse_style(
    text: &str,
    file: &str,
    file_stem: Option<&str>,
) -> (Option<Style>, Vec<Diagnostic>) {
    let mut p = Parser {
        text,
        file,
        diags: Vec::new(),
    };
    let style = p.style(file_stem);
    // The TOML map is sorted by key; report in file order, with placeless findings last.
    p.diags.sort_by_key(|d| d.line.unwrap_or(usize::MAX));
    let has_error = p.diags.iter().any(|d| d.severity == Severity::Error);
    (style.filter(|_| !has_error), p.diags)
}

struct Parser<'t> {
    text: &'t str,
    file: &'t str,
    diags: Vec<Diagnostic>,
}

fn type_name(v: &DeValue<'_>) -> Message {
    match v {
        DeValue::String(_) => msg!("toml-type-text"),
        DeValue::Integer(_) => msg!("toml-type-integer"),
        DeValue::Float(_) => msg!("toml-type-float"),
        DeValue::Boolean(_) => msg!("toml-type-bool"),
        DeValue::Datetime(_) => msg!("toml-type-date"),
        DeValue::Array(_) => msg!("toml-type-list"),
        DeValue::Table(_) => msg!("toml-type-table"),
    }
}

fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// `My Style_2` -> `my-style-2`: how imported names and file stems become style names.
pub fn to_kebab(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

impl<'t> Parser<'t> {
    fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    fn push(
        &mut self,
        severity: Severity,
        kind: DiagnosticKind,
        span: Option<Range<usize>>,
        field: Option<&str>,
        message: Message,
    ) {
        let line = span.map(|s| self.line(&s));
        self.diags.push(Diagnostic {
            severity,
            kind,
            file: self.file.to_string(),
            line,
            field: field.map(str::to_string),
            message,
        });
    }

    fn invalid(&mut self, span: Range<usize>, field: &str, message: Message) {
        self.push(
            Severity::Error,
            DiagnosticKind::Invalid,
            Some(span),
            Some(field),
            message,
        );
    }

    fn advise(&mut self, span: Option<Range<usize>>, field: &str, message: Message) {
        self.push(
            Severity::Warning,
            DiagnosticKind::Advice,
            span,
            Some(field),
            message,
        );
    }

    fn string(&mut self, field: &str, v: &Spanned<DeValue<'_>>) -> Option<String> {
        match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                let t = type_name(other);
                self.invalid(v.span(), field, msg!("style-diag-expected-text", found = t));
                None
            }
        }
    }

    fn steps(&mut self, field: &str, v: &Spanned<DeValue<'_>>) -> Option<u32> {
        match v.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()).ok() {
                Some(n) if (1..=MAX_STEPS).contains(&n) => Some(n as u32),
                _ => {
                    self.invalid(
                        v.span(),
                        field,
                        msg!(
                            "style-diag-steps-range",
                            max = MAX_STEPS.to_string(),
                            value = i.to_string()
                        ),
                    );
                    None
                }
            },
            other => {
                let t = type_name(other);
                self.invalid(v.span(), field, msg!("style-diag-steps-type", found = t));
                None
            }
        }
    }

    fn guidance(&mut self, field: &str, v: &Spanned<DeValue<'_>>) -> Option<f64> {
        let g = match v.get_ref() {
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            other => {
                let t = type_name(other);
                self.invalid(v.span(), field, msg!("style-diag-guidance-type", found = t));
                return None;
            }
        };
        match g {
            Some(g) if g.is_finite() && (0.0..=MAX_GUIDANCE).contains(&g) => Some(g),
            _ => {
                self.invalid(
                    v.span(),
                    field,
                    msg!("style-diag-guidance-range", max = MAX_GUIDANCE.to_string()),
                );
                None
            }
        }
    }

    fn sampler(&mut self, field: &str, v: &Spanned<DeValue<'_>>) -> Option<SamplerChoice> {
        let s = self.string(field, v)?;
        let norm = s.trim().to_ascii_lowercase();
        // Exact names only (no aliases): a style file is a document others read, so it says
        // one thing one way.
        if norm == SamplerChoice::DEFAULT {
            Some(SamplerChoice::ModelDefault)
        } else if let Some(kind) = SamplerKind::from_exact_name(&norm) {
            Some(SamplerChoice::Kind(kind))
        } else {
            self.invalid(
                v.span(),
                field,
                msg!(
                    "style-diag-sampler",
                    given = &s,
                    names = SamplerChoice::names().collect::<Vec<_>>().join(", ")
                ),
            );
            None
        }
    }

    /// `loras = ["file.safetensors:0.8", "org/name"]`, each as `--lora` takes it.
    fn loras(&mut self, field: &str, v: &Spanned<DeValue<'_>>) -> Vec<LoraSpec> {
        let DeValue::Array(items) = v.get_ref() else {
            let t = type_name(v.get_ref());
            self.invalid(v.span(), field, msg!("style-diag-loras-type", found = t));
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let Some(s) = self.string(field, item) else {
                continue;
            };
            match s.parse::<LoraSpec>() {
                Ok(spec) => out.push(spec),
                Err(e) => {
                    let problem = crate::explain::message(&e);
                    self.invalid(
                        item.span(),
                        field,
                        msg!("style-diag-lora", problem = problem),
                    )
                }
            }
        }
        out
    }

    fn size(&mut self, field: &str, v: &Spanned<DeValue<'_>>) -> Option<SizeSpec> {
        let s = self.string(field, v)?;
        match s.parse::<SizeSpec>() {
            Ok(spec) => Some(spec),
            Err(e) => {
                self.invalid(v.span(), field, crate::explain::message(&e));
                None
            }
        }
    }

    fn prompt(&mut self, field: &str, v: &Spanned<DeValue<'_>>) -> Option<String> {
        let s = self.string(field, v)?;
        let slots = s.matches(CAPTION_SLOT).count();
        if slots > 1 {
            self.invalid(
                v.span(),
                field,
                msg!("style-diag-slot-twice", slot = CAPTION_SLOT, times = slots),
            );
            return None;
        }
        if s.trim().is_empty() {
            self.invalid(
                v.span(),
                field,
                msg!("style-diag-prompt-empty", slot = CAPTION_SLOT),
            );
            return None;
        }
        if slots == 0 {
            self.advise(
                Some(v.span()),
                field,
                msg!("style-diag-no-slot", slot = CAPTION_SLOT),
            );
        }
        Some(s)
    }

    fn unknown_key(
        &mut self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        table: Option<&str>,
        known: &[&str],
    ) {
        let name = key.get_ref().as_ref();
        let near = known
            .iter()
            .map(|k| (crate::page::edit_distance(name, k), *k))
            .filter(|(d, _)| *d <= 3)
            .min()
            .map(|(_, k)| k);
        let field = match table {
            Some(t) => format!("{t}.{name}"),
            None => name.to_string(),
        };
        let allowed = known.join(", ");
        self.push(
            Severity::Warning,
            DiagnosticKind::UnknownKey,
            Some(key.span()),
            Some(&field),
            match near {
                Some(near) => msg!(
                    "style-diag-unknown-key-near",
                    near = near,
                    allowed = allowed
                ),
                None => msg!("style-diag-unknown-key", allowed = allowed),
            },
        );
    }

    fn family_table(&mut self, key: &str, v: &Spanned<DeValue<'_>>) -> Option<FamilyOverride> {
        let DeValue::Table(t) = v.get_ref() else {
            let t = type_name(v.get_ref());
            self.invalid(
                v.span(),
                key,
                msg!("style-diag-family-table", key = key, found = t),
            );
            return None;
        };
        let mut o = FamilyOverride::default();
        for (k, v) in t.iter() {
            let field = format!("{key}.{}", k.get_ref());
            match k.get_ref().as_ref() {
                "prompt" => o.prompt = self.prompt(&field, v),
                "negative_prompt" => o.negative_prompt = self.string(&field, v),
                "steps" => o.steps = self.steps(&field, v),
                "guidance" => o.guidance = self.guidance(&field, v),
                "sampler" => o.sampler = self.sampler(&field, v),
                "size" => o.size = self.size(&field, v),
                "loras" => o.loras = Some(self.loras(&field, v)),
                _ => self.unknown_key(k, Some(key), &FAMILY_KEYS),
            }
        }
        Some(o)
    }

    fn title(&mut self, v: &Spanned<DeValue<'_>>) -> Option<Title> {
        match v.get_ref() {
            DeValue::String(s) => Some(Title {
                en: s.to_string(),
                ko: None,
            }),
            DeValue::Table(t) => {
                let mut title = Title::default();
                for (k, v) in t.iter() {
                    match k.get_ref().as_ref() {
                        "en" => title.en = self.string("title.en", v).unwrap_or_default(),
                        "ko" => title.ko = self.string("title.ko", v),
                        _ => self.unknown_key(k, Some("title"), &["en", "ko"]),
                    }
                }
                if title.en.trim().is_empty() {
                    self.push(
                        Severity::Error,
                        DiagnosticKind::Missing,
                        Some(v.span()),
                        Some("title.en"),
                        msg!("style-diag-title-en-missing"),
                    );
                    return None;
                }
                Some(title)
            }
            other => {
                let t = type_name(other);
                self.invalid(v.span(), "title", msg!("style-diag-title-type", found = t));
                None
            }
        }
    }

    fn palette(&mut self, v: &Spanned<DeValue<'_>>) -> Vec<String> {
        let DeValue::Array(items) = v.get_ref() else {
            let t = type_name(v.get_ref());
            self.invalid(
                v.span(),
                "palette",
                msg!("style-diag-palette-type", found = t),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            if let Some(s) = self.string("palette", item) {
                match parse_hex(&s) {
                    Some(_) => out.push(s.trim().to_ascii_lowercase()),
                    None => self.invalid(
                        item.span(),
                        "palette",
                        msg!("style-diag-palette-hex", given = &s),
                    ),
                }
            }
        }
        out
    }

    fn style(&mut self, file_stem: Option<&str>) -> Option<Style> {
        let doc = match DeTable::parse(self.text) {
            Ok(doc) => doc,
            Err(e) => {
                self.push(
                    Severity::Error,
                    DiagnosticKind::Syntax,
                    e.span(),
                    None,
                    msg!("style-diag-toml", detail = e.message().trim_end()),
                );
                return None;
            }
        };
        let mut name = None;
        let mut title = None;
        let mut category = None;
        let mut description = None;
        let mut prompt = None;
        let mut prompt_seen = false;
        let mut negative = None;
        let mut size = None;
        let mut steps = None;
        let mut guidance = None;
        let mut sampler = None;
        let mut palette = Vec::new();
        let mut loras = Vec::new();
        let mut overrides = BTreeMap::new();
        let mut name_span = None;
        for (k, v) in doc.get_ref().iter() {
            let key = k.get_ref().as_ref();
            match key {
                "name" => {
                    name_span = Some(v.span());
                    if let Some(n) = self.string("name", v) {
                        if is_kebab(&n) {
                            name = Some(n);
                        } else {
                            let suggestion = to_kebab(&n);
                            self.invalid(
                                v.span(),
                                "name",
                                msg!("style-diag-name-kebab", given = &n, suggestion = suggestion),
                            );
                        }
                    }
                }
                "title" => title = self.title(v),
                "category" => category = self.string("category", v),
                "description" => description = self.string("description", v),
                "prompt" => {
                    prompt_seen = true;
                    prompt = self.prompt("prompt", v);
                }
                "negative_prompt" => negative = self.string("negative_prompt", v),
                "size" => size = self.size("size", v),
                "steps" => steps = self.steps("steps", v),
                "guidance" => guidance = self.guidance("guidance", v),
                "sampler" => sampler = self.sampler("sampler", v),
                "palette" => palette = self.palette(v),
                "loras" => loras = self.loras("loras", v),
                k2 if OVERRIDE_KEYS.contains(&k2) => {
                    if let Some(o) = self.family_table(k2, v) {
                        overrides.insert(k2.to_string(), o);
                    }
                }
                _ => self.unknown_key(k, None, &TOP_KEYS),
            }
        }

        if !prompt_seen {
            self.push(
                Severity::Error,
                DiagnosticKind::Missing,
                None,
                Some("prompt"),
                msg!("style-diag-no-prompt", slot = CAPTION_SLOT),
            );
        }
        let name = match (name, file_stem) {
            (Some(n), Some(stem)) => {
                if n != stem {
                    self.advise(
                        name_span,
                        "name",
                        msg!("style-diag-name-file", name = &n, stem = stem),
                    );
                }
                Some(n)
            }
            (Some(n), None) => Some(n),
            // An invalid `name` was already reported.
            (None, _) if name_span.is_some() => None,
            (None, stem) => {
                let derived = stem.map(to_kebab).filter(|s| is_kebab(s));
                match &derived {
                    Some(d) => {
                        self.advise(None, "name", msg!("style-diag-name-from-file", name = d))
                    }
                    None => self.push(
                        Severity::Error,
                        DiagnosticKind::Missing,
                        None,
                        Some("name"),
                        msg!("style-diag-no-name"),
                    ),
                }
                derived
            }
        };
        let name = name?;
        let title = match title {
            Some(t) => t,
            None => {
                self.advise(None, "title", msg!("style-diag-no-title", name = &name));
                Title {
                    en: name.clone(),
                    ko: None,
                }
            }
        };
        if title.ko.as_deref().is_none_or(|k| k.trim().is_empty()) {
            self.advise(None, "title.ko", msg!("style-diag-no-ko-title"));
        }
        let category = category.unwrap_or_else(|| {
            self.advise(None, "category", msg!("style-diag-no-category"));
            "other".into()
        });
        let description = description.unwrap_or_else(|| {
            self.advise(None, "description", msg!("style-diag-no-description"));
            String::new()
        });
        let negative_prompt = negative.unwrap_or_default();
        let lower = negative_prompt.to_ascii_lowercase();
        if !(lower.contains("text") && lower.contains("watermark")) {
            self.advise(None, "negative_prompt", msg!("style-diag-negative-text"));
        }
        Some(Style {
            name,
            title,
            category,
            description,
            prompt: prompt?,
            negative_prompt,
            size,
            steps,
            guidance,
            sampler,
            palette,
            loras,
            overrides,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab() {
        assert!(is_kebab("flat-vector-2"));
        assert!(!is_kebab("Flat"));
        assert!(!is_kebab("a--b"));
        assert!(!is_kebab("a+b"));
        assert_eq!(to_kebab("Cinematic Photo (SDXL)"), "cinematic-photo-sdxl");
    }
}
