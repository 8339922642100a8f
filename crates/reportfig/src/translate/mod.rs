//! Korean captions into English prompts, before any style is composed around them.
//!
//! The text encoders of every Stable Diffusion model read Korean as byte fragments, which
//! both miss the meaning and fill the 77-token window that the style's words need. So every
//! caption with Hangul goes through the glossary and then the translator (a Marian model run
//! by the engine), once per caption per process, and in a batch once per caption at all
//! (cached in the figures folder). The user sees `caption → English` before any image work.

pub mod cache;
pub mod glossary;
pub mod source;

use std::collections::BTreeMap;
use std::path::PathBuf;

use candle_core::Device;
use reportfig_engine::pipeline::{Isa, LoadContext};
use reportfig_engine::translate::Translator;

use crate::commands::{BadInput, Event, Reporter};
use crate::i18n::Message;
use crate::model::source::HubOptions;
use crate::msg;
pub use glossary::Glossary;
pub use source::TranslatorSource;

pub use crate::text::{has_hangul, is_hangul};

/// How captions become English, as the user chose.
#[derive(Debug, Clone)]
pub struct TranslateOptions {
    /// False with `--no-translate`: captions go to the model as typed.
    pub enabled: bool,
    /// `--translator` as typed (a preset, a repo id or a folder).
    pub translator: String,
    /// `None` with `--no-glossary`.
    pub glossary: Option<Glossary>,
    pub hub: HubOptions,
    pub device: Device,
    /// The CPU kernels the translator is built for (`REPORTFIG_ISA`, read by the binary).
    pub isa: Isa,
    /// Where a translator shipped as `pytorch_model.bin` is kept once converted to
    /// safetensors (the user data folder); `None` converts in memory on every load.
    pub converted_dir: Option<PathBuf>,
}

/// A caption's English and how it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct English {
    pub text: String,
    /// Recorded in the request's `translated_by`.
    pub translated_by: String,
}

/// What became of one caption.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// No Hangul, or translation is off: the caption is the prompt's text as typed.
    AsTyped,
    English(English),
    /// The translator gave nothing usable; the caption is used as typed and the warning says
    /// why.
    Failed {
        warning: Message,
    },
}

/// Translates captions for one command run: loads the translator at most once, remembers
/// every caption it has seen, and says `caption → English` for each new one.
pub struct CaptionTranslator {
    opts: TranslateOptions,
    source: Option<TranslatorSource>,
    loaded: Option<Translator>,
    results: BTreeMap<String, Outcome>,
    /// Warnings per caption (lost glossary terms), shown with the caption's note.
    warnings: BTreeMap<String, Vec<Message>>,
}

impl CaptionTranslator {
    /// Checks the options before anything slow: a translator named by the user must parse.
    pub fn new(opts: TranslateOptions) -> Result<Self, BadInput> {
        let source = if opts.enabled {
            Some(TranslatorSource::parse(&opts.translator).map_err(|e| BadInput::from_error(&e))?)
        } else {
            None
        };
        Ok(Self {
            opts,
            source,
            loaded: None,
            results: BTreeMap::new(),
            warnings: BTreeMap::new(),
        })
    }

    /// The key that tells cached translations apart: translator and glossary.
    pub fn cache_key(&self) -> String {
        let glossary = match &self.opts.glossary {
            Some(g) => g.fingerprint(),
            None => "none".into(),
        };
        format!("{} glossary:{glossary}", self.opts.translator)
    }

    /// What `translated_by` says for a translated caption.
    fn translator_label(&self) -> String {
        match &self.opts.glossary {
            Some(g) if !g.is_empty() => format!("{} + glossary", self.opts.translator),
            _ => self.opts.translator.clone(),
        }
    }

    /// Seeds the memory with outcomes from earlier runs (the batch cache), so they are not
    /// made again.
    pub fn remember(&mut self, caption: &str, outcome: Outcome) {
        self.results.insert(caption.to_string(), outcome);
    }

    /// Every caption's outcome known so far, in caption order.
    pub fn known(&self) -> impl Iterator<Item = (&str, &Outcome)> {
        self.results.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Translates every caption not yet known; the translator is resolved and loaded only if
    /// one of them needs it. Reports `caption → English` for each.
    pub fn prepare(
        &mut self,
        captions: &[&str],
        reporter: &mut dyn Reporter,
    ) -> anyhow::Result<()> {
        if !self.opts.enabled {
            return Ok(());
        }
        let mut todo: Vec<String> = Vec::new();
        for c in captions {
            let c = c.trim();
            if has_hangul(c) && !self.results.contains_key(c) && !todo.iter().any(|t| t == c) {
                todo.push(c.to_string());
            }
        }
        if todo.is_empty() {
            return Ok(());
        }
        // The glossary first: a caption it fully turns into English needs no network.
        let mut for_network: Vec<(String, String, Vec<glossary::Match>)> = Vec::new();
        for caption in todo {
            let (text, matches) = match &self.opts.glossary {
                Some(g) => g.apply(&caption),
                None => (caption.clone(), Vec::new()),
            };
            if has_hangul(&text) {
                for_network.push((caption, text, matches));
            } else {
                let english = English {
                    text: text.trim().to_string(),
                    translated_by: "glossary".into(),
                };
                reporter.event(Event::Note(msg!(
                    "note-translated",
                    caption = &caption,
                    english = &english.text
                )));
                self.results.insert(caption, Outcome::English(english));
            }
        }
        if for_network.is_empty() {
            return Ok(());
        }
        self.load(reporter)?;
        let translator = self.loaded.as_ref().expect("loaded above");
        let max = translator.max_input_tokens();
        let inputs: Vec<&str> = for_network.iter().map(|(_, t, _)| t.as_str()).collect();
        let out = translator.translate_many(&inputs)?;
        let label = self.translator_label();
        for ((caption, _, matches), t) in for_network.into_iter().zip(out) {
            if t.truncated_input {
                return Err(BadInput(msg!(
                    "translate-caption-too-long",
                    caption = caption,
                    max = max
                ))
                .into());
            }
            let text = t.text.trim().to_string();
            let outcome = if text.is_empty() {
                Outcome::Failed {
                    warning: msg!("warn-translation-empty", caption = &caption),
                }
            } else if t.hit_max_length {
                Outcome::Failed {
                    warning: msg!("warn-translation-cut", caption = &caption, text = &text),
                }
            } else {
                let lost: Vec<String> = Glossary::lost_terms(&text, &matches)
                    .into_iter()
                    .map(|m| format!("{} ({})", m.korean, m.english))
                    .collect();
                if !lost.is_empty() {
                    self.warnings.entry(caption.clone()).or_default().push(msg!(
                        "warn-translation-lost-terms",
                        caption = &caption,
                        terms = lost.join(", ")
                    ));
                }
                Outcome::English(English {
                    text,
                    translated_by: label.clone(),
                })
            };
            match &outcome {
                Outcome::English(e) => {
                    reporter.event(Event::Note(msg!(
                        "note-translated",
                        caption = &caption,
                        english = &e.text
                    )));
                    for w in self.warnings.get(&caption).into_iter().flatten() {
                        reporter.event(Event::Warning(w.clone()));
                    }
                }
                Outcome::Failed { warning } => reporter.event(Event::Warning(warning.clone())),
                Outcome::AsTyped => {}
            }
            self.results.insert(caption, outcome);
        }
        Ok(())
    }

    /// The outcome for a caption [`prepare`](Self::prepare) has seen (or as typed).
    pub fn outcome(&self, caption: &str) -> Outcome {
        let caption = caption.trim();
        if !self.opts.enabled || !has_hangul(caption) {
            return Outcome::AsTyped;
        }
        self.results
            .get(caption)
            .cloned()
            .unwrap_or(Outcome::AsTyped)
    }

    /// The English of a caption, when it has one.
    pub fn english(&self, caption: &str) -> Option<English> {
        match self.outcome(caption) {
            Outcome::English(e) => Some(e),
            _ => None,
        }
    }

    /// Frees the translator's memory before the image model loads; known captions stay.
    pub fn unload(&mut self) {
        self.loaded = None;
    }

    fn load(&mut self, reporter: &mut dyn Reporter) -> anyhow::Result<()> {
        if self.loaded.is_some() {
            return Ok(());
        }
        let source = self
            .source
            .as_ref()
            .expect("a source is parsed whenever translation is enabled");
        let files = source::resolve(
            source,
            &self.opts.hub,
            &mut crate::commands::models::download_reporter(reporter),
        )
        .map_err(|e| {
            anyhow::Error::new(e).context(msg!("translator-unusable", name = source.display_name()))
        })?;
        reporter.event(Event::Stage(msg!(
            "stage-loading-translator",
            name = source.display_name()
        )));
        let t = std::time::Instant::now();
        let converted = self
            .opts
            .converted_dir
            .as_ref()
            .map(|d| d.join(source.cache_name()).join("model.safetensors"));
        if let Some(c) = converted.as_ref().and_then(|c| c.parent()) {
            // A conversion that cannot be stored is made again next time; not an error.
            let _ = std::fs::create_dir_all(c);
        }
        let translator = Translator::load(
            &files,
            &self.opts.device,
            &LoadContext::new(self.opts.isa),
            converted.as_deref(),
        )
        .map_err(|e| {
            anyhow::Error::new(source::TranslatorError::Load {
                name: source.display_name(),
                source: e,
            })
        })?;
        reporter.event(Event::Note(msg!(
            "note-translator-loaded",
            seconds = format!("{:.1}", t.elapsed().as_secs_f64())
        )));
        self.loaded = Some(translator);
        Ok(())
    }
}
