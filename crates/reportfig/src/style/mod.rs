//! The style library: named looks that turn a plain caption into a prompt a given model family
//! renders well as a report figure, plus recommended size, steps, guidance and sampler.
//!
//! - [`parse`]: one style file (TOML) into a [`Style`], with diagnostics that name file, line
//!   and field.
//! - [`library`]: built-in styles (embedded) plus user folders; user styles override built-ins.
//! - [`compose()`](mod@compose): caption + stacked styles + family -> [`ComposedPrompt`], within the token
//!   window, trimming the style's words before the caption's.
//! - [`palette`]: hex colours -> colour words models understand.
//! - [`import`]: A1111 `styles.csv` and Fooocus/InvokeAI JSON -> our TOML.
//! - [`render`]: the text of `styles list`, `styles show` and `styles check`, written to any
//!   `impl Write`.
//!
//! ## Style file format
//!
//! ```toml
//! name = "flat-vector-infographic"          # kebab-case, used with --style (a+b stacks)
//! title = { en = "Flat vector infographic", ko = "플랫 벡터 인포그래픽" }
//! category = "infographic"                  # groups `styles list`
//! description = "One line: when to use it."
//! prompt = "flat vector illustration of {prompt}, clean lines"   # {prompt} = the caption
//! negative_prompt = "text, letters, watermark, logo"
//! size = "slide-16x9"                       # a page preset or WxH
//! steps = 30
//! guidance = 7.0
//! sampler = "dpmpp-2m-karras"               # or "default": the model's own scheduler
//! palette = ["#1f4e79", "#f4b183"]          # becomes "navy blue and peach color palette"
//!
//! [turbo]                                   # also [sd15], [sd21], [sdxl]
//! prompt = "flat illustration of {prompt}"
//! steps = 2
//! guidance = 0.0
//! sampler = "default"
//!
//! [sd15]
//! loras = ["/shared/loras/city-flat.safetensors:0.8", "latent-consistency/lcm-lora-sdv1-5"]
//! ```
//!
//! SDXL-Turbo applies `[sdxl]` then `[turbo]` (see [`ModelFamily::override_keys`]).
//!
//! `loras` (top level or in a family table, where it replaces the top-level list) names
//! LoRAs as `--lora` does: a `.safetensors` path (relative paths are taken from the folder
//! reportfig runs in, so shared styles should use absolute paths or hub repos) or a Hugging
//! Face repo id (`org/name`, `org/name/file.safetensors`), each with an optional `:WEIGHT`
//! (default 1.0). LoRAs are made for one family, so they usually belong in a family table.
//! Stacked styles apply the LoRAs of each in order; `--lora` comes last and replaces a
//! style's weight for the same file.

pub mod builtin;
pub mod compose;
pub mod import;
pub mod library;
pub mod palette;
pub mod parse;
pub mod render;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::i18n::Message;
use crate::lora::LoraSpec;
use crate::msg;
use crate::page::SizeSpec;
pub use compose::{compose, estimate_clip_tokens, ComposedPrompt};
pub use library::{default_user_styles_dir, LoadedStyle, StyleLibrary};
pub use parse::parse_style;
pub use reportfig_engine::family::ModelFamily;
use reportfig_engine::pipeline::scheduler::{SamplerKind, SchedulerError};

/// The placeholder a style's prompt uses for the caption (A1111 and Fooocus convention).
pub const CAPTION_SLOT: &str = "{prompt}";

/// A sampler as a style or `--sampler` names it: one of the engine's samplers, or `default`,
/// the model's own `scheduler_config.json` (which also overrides a preset's sampler).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplerChoice {
    ModelDefault,
    Kind(SamplerKind),
}

impl SamplerChoice {
    /// The word for the model's own scheduler.
    pub const DEFAULT: &'static str = "default";

    /// The sampler to ask for; `None` lets the model's config decide.
    pub fn kind(self) -> Option<SamplerKind> {
        match self {
            SamplerChoice::ModelDefault => None,
            SamplerChoice::Kind(k) => Some(k),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SamplerChoice::ModelDefault => Self::DEFAULT,
            SamplerChoice::Kind(k) => k.name(),
        }
    }

    /// Every name a style may use, `default` first.
    pub fn names() -> impl Iterator<Item = &'static str> {
        std::iter::once(Self::DEFAULT).chain(SamplerKind::ALL.iter().map(|k| k.name()))
    }
}

impl fmt::Display for SamplerChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SamplerChoice {
    type Err = SchedulerError;

    /// `default`, or a sampler name with the engine's aliases (`--sampler`).
    fn from_str(s: &str) -> Result<Self, SchedulerError> {
        if s == Self::DEFAULT {
            Ok(SamplerChoice::ModelDefault)
        } else {
            s.parse().map(SamplerChoice::Kind)
        }
    }
}

/// A style's name in English and Korean.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Title {
    pub en: String,
    /// `None` for imported or hand-written styles that have no Korean title yet.
    pub ko: Option<String>,
}

/// Values a family table (`[sd15]`, `[sd21]`, `[sdxl]`, `[turbo]`) replaces.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FamilyOverride {
    pub prompt: Option<String>,
    pub negative_prompt: Option<String>,
    pub steps: Option<u32>,
    pub guidance: Option<f64>,
    pub sampler: Option<SamplerChoice>,
    pub size: Option<SizeSpec>,
    /// Replaces the style's `loras` for this family.
    pub loras: Option<Vec<LoraSpec>>,
}

/// One style as written in its file, after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    /// Kebab-case id used with `--style` (`flat-vector-infographic`).
    pub name: String,
    pub title: Title,
    pub category: String,
    /// One line: when to use this style.
    pub description: String,
    /// Template with [`CAPTION_SLOT`] where the caption goes.
    pub prompt: String,
    pub negative_prompt: String,
    pub size: Option<SizeSpec>,
    pub steps: Option<u32>,
    pub guidance: Option<f64>,
    pub sampler: Option<SamplerChoice>,
    /// `#rrggbb` colours, turned into colour words in the prompt.
    pub palette: Vec<String>,
    /// LoRAs merged into the model for this style.
    pub loras: Vec<LoraSpec>,
    /// Keyed by `sd15`, `sd21`, `sdxl`, `turbo`.
    pub overrides: BTreeMap<String, FamilyOverride>,
}

/// The override tables a style file may have.
pub const OVERRIDE_KEYS: [&str; 4] = ["sd15", "sd21", "sdxl", "turbo"];

/// Style values after the family's override tables are applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedStyle<'a> {
    pub style: &'a Style,
    pub prompt: &'a str,
    pub negative_prompt: &'a str,
    pub steps: Option<u32>,
    pub guidance: Option<f64>,
    pub sampler: Option<SamplerChoice>,
    pub size: Option<SizeSpec>,
    pub loras: &'a [LoraSpec],
}

impl Style {
    /// The style as `family` sees it: base values, then each of the family's override tables
    /// in order ([`ModelFamily::override_keys`]).
    pub fn for_family(&self, family: ModelFamily) -> ResolvedStyle<'_> {
        let mut r = ResolvedStyle {
            style: self,
            prompt: &self.prompt,
            negative_prompt: &self.negative_prompt,
            steps: self.steps,
            guidance: self.guidance,
            sampler: self.sampler,
            size: self.size,
            loras: &self.loras,
        };
        for key in family.override_keys() {
            if let Some(o) = self.overrides.get(*key) {
                if let Some(p) = &o.prompt {
                    r.prompt = p;
                }
                if let Some(n) = &o.negative_prompt {
                    r.negative_prompt = n;
                }
                r.steps = o.steps.or(r.steps);
                r.guidance = o.guidance.or(r.guidance);
                r.sampler = o.sampler.or(r.sampler);
                r.size = o.size.or(r.size);
                if let Some(l) = &o.loras {
                    r.loras = l;
                }
            }
        }
        r
    }
}

/// Where a style came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Embedded in the binary; the file name under `configs/styles/`.
    Builtin(&'static str),
    File(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin(name) => write!(f, "built-in {name}"),
            Self::File(p) => write!(f, "{}", p.display()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// What kind of problem, so `styles check` can be stricter than loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiagnosticKind {
    /// Not TOML at all.
    Syntax,
    /// A key we do not know (a typo, usually): a warning on load, an error in `styles check`.
    UnknownKey,
    /// A required field is missing.
    Missing,
    /// A field has the wrong type or an impossible value.
    Invalid,
    /// Legal but probably not what the author wanted (no Korean title, no `{prompt}`, ...).
    Advice,
    /// The composed prompt does not fit the model's token window.
    TokenBudget,
    /// Another style with the same name was replaced.
    Shadowed,
}

/// One problem found in a style file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub kind: DiagnosticKind,
    /// Path as given, or `built-in name.toml`.
    pub file: String,
    /// 1-based line, when the problem has a place.
    pub line: Option<usize>,
    /// Dotted field path (`sdxl.steps`), when the problem is about one field.
    pub field: Option<String>,
    pub message: Message,
}

impl Diagnostic {
    /// File, line, field and message, without the severity: for a reporter that labels
    /// warnings itself.
    pub fn detail(&self) -> Message {
        let mut place = self.file.clone();
        if let Some(line) = self.line {
            place.push_str(&format!(":{line}"));
        }
        match &self.field {
            Some(field) => msg!(
                "style-diag-detail-field",
                place = place,
                field = field,
                text = &self.message
            ),
            None => msg!("style-diag-detail", place = place, text = &self.message),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}", self.detail().render(crate::i18n::Lang::En))
    }
}

/// Errors of the style library that stop an operation (bad diagnostics are collected, not
/// raised; see [`Diagnostic`]).
#[derive(Debug, thiserror::Error)]
pub enum StyleError {
    #[error(
        "no style named `{name}`{}; run `reportfig styles list` to see them all",
        did_you_mean(near)
    )]
    UnknownStyle {
        name: String,
        /// The nearest names with their Korean titles, best first (at most three).
        near: Vec<(String, Option<String>)>,
    },
    /// A Korean (or English) title that several styles' titles contain.
    #[error("`{name}` could mean several styles: {}; write the name of one", candidates.iter().map(|(n, t)| format!("{n} ({t})")).collect::<Vec<_>>().join(", "))]
    Ambiguous {
        name: String,
        /// Each style's name and its Korean title.
        candidates: Vec<(String, String)>,
    },
    #[error("`{spec}` names no style; write one name, or several joined with `+` such as flat-vector-infographic+night-city")]
    EmptyStack { spec: String },
    #[error("cannot read the styles folder {}: {source}; check the path given to --styles-dir", path.display())]
    ReadDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {}: {source}", path.display())]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn did_you_mean(near: &[(String, Option<String>)]) -> String {
    if near.is_empty() {
        return String::new();
    }
    let names: Vec<String> = near
        .iter()
        .map(|(n, ko)| match ko {
            Some(t) => format!("`{n}` ({t})"),
            None => format!("`{n}`"),
        })
        .collect();
    format!(" (did you mean {}?)", names.join(" or "))
}
