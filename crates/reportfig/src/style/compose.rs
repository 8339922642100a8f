//! Caption + styles + family -> the prompt the text encoder sees, with the settings the
//! styles recommend.
//!
//! Rules (the A1111 / Fooocus convention, so imported styles behave as their authors meant):
//! - `{prompt}` in a style is replaced by the caption; a style without it gets the caption
//!   in front, joined with ", ".
//! - `a+b` applies `a` to the caption, then `b` to that result; negative prompts are joined
//!   with ", " without repeated phrases; for steps, guidance, sampler and size the first style
//!   that sets a value wins (the first style is the look, later ones are modifiers).
//! - The caption is never cut: when the prompt passes the token window, the styles'
//!   comma-separated phrases are dropped from the end of the prompt, then the words wrapped
//!   around the caption, and everything dropped is reported.

use super::palette::palette_phrase;
use super::{ModelFamily, SamplerChoice, Style, CAPTION_SLOT};
use crate::i18n::Message;
use crate::msg;
use crate::page::SizeSpec;
use reportfig_engine::pipeline::scheduler::SamplerKind;

/// The prompt and settings for one image, before the CLI's own flags override them.
#[derive(Debug, Clone, PartialEq)]
pub struct ComposedPrompt {
    pub prompt: String,
    /// `None` when no style has a negative prompt.
    pub negative_prompt: Option<String>,
    pub steps: Option<u32>,
    pub guidance: Option<f64>,
    /// `None`: the model's own scheduler.
    pub sampler: Option<SamplerKind>,
    pub size: Option<SizeSpec>,
    /// The styles' LoRAs in order (a later style's weight wins for the same file).
    pub loras: Vec<crate::lora::LoraSpec>,
    /// Style phrases removed from the prompt to fit the token window, in the order they were
    /// removed; the CLI warns with them.
    pub dropped: Vec<String>,
    /// Phrases removed from the negative prompt to fit the window.
    pub dropped_negative: Vec<String>,
    /// True when the resolved guidance is at or below 1 (or the family is distilled and no
    /// style set guidance): classifier-free guidance is off, the negative prompt does nothing.
    pub negative_has_no_effect: bool,
    /// Tokens the final prompt uses, by the counter given.
    pub tokens: usize,
}

impl ComposedPrompt {
    /// What the user should hear about how caption and style were fitted to `family`'s token
    /// window: one note per fact, in plain words. Cuts of the negative prompt are told only
    /// when it is used (`negative_used`: guidance on).
    pub fn fitting_notes(&self, family: ModelFamily, negative_used: bool) -> Vec<Message> {
        let window = family.token_window();
        let name = family.display_name();
        let mut notes = Vec::new();
        if !self.dropped.is_empty() {
            notes.push(msg!(
                "warn-style-words-left-out",
                model = name,
                window = window,
                words = self.dropped.join("; ")
            ));
        }
        if self.tokens > window {
            notes.push(msg!("warn-caption-too-long", model = name, window = window));
        }
        if negative_used && !self.dropped_negative.is_empty() {
            notes.push(msg!(
                "warn-negative-cut",
                model = name,
                window = window,
                words = self.dropped_negative.join(", ")
            ));
        }
        notes
    }

    /// Every note for the style's own settings (as `styles show` tells them): the fitting
    /// notes, and that the negative prompt does nothing when the style's guidance is off.
    pub fn notes(&self, family: ModelFamily) -> Vec<Message> {
        let mut notes = self.fitting_notes(family, !self.negative_has_no_effect);
        if self.negative_has_no_effect && self.negative_prompt.is_some() {
            notes.push(msg!("warn-negative-ignored"));
        }
        notes
    }
}

/// Whether a guidance value disables classifier-free guidance (diffusers: `guidance_scale > 1`
/// enables it).
pub fn negative_has_no_effect(guidance: f64) -> bool {
    guidance <= 1.0
}

/// A conservative stand-in for CLIP's tokenizer, for when no model is at hand (`styles
/// check` before anything is downloaded). It never counts fewer tokens than CLIP's BPE would
/// for the same text in practice:
/// - each digit is its own token (CLIP's pre-tokenizer splits digits one by one);
/// - each punctuation character is one token;
/// - an ASCII word counts one token per started 6 letters (common words are one token,
///   long rare words are split);
/// - any other character counts as many tokens as its UTF-8 bytes (Hangul: 3), since CLIP's
///   vocabulary has almost no merges for non-Latin scripts and falls back to bytes.
pub fn estimate_clip_tokens(text: &str) -> usize {
    let mut tokens = 0;
    let mut word_len = 0usize;
    let flush = |n: &mut usize, tokens: &mut usize| {
        if *n > 0 {
            *tokens += n.div_ceil(6);
            *n = 0;
        }
    };
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            word_len += 1;
            continue;
        }
        flush(&mut word_len, &mut tokens);
        if c.is_whitespace() {
            continue;
        }
        tokens += if c.is_ascii() { 1 } else { c.len_utf8() };
    }
    flush(&mut word_len, &mut tokens);
    tokens
}

/// One style's template split around the caption slot.
#[derive(Debug, Clone)]
struct Layer {
    before: Vec<String>,
    prefix: String,
    suffix: String,
    after: Vec<String>,
}

fn phrases(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

impl Layer {
    fn new(template: &str, palette: Option<String>) -> Self {
        let mut layer = match template.split_once(CAPTION_SLOT) {
            Some((left, right)) => {
                // The phrase holding the slot ("flat illustration of {prompt} in blue") is
                // kept whole around the caption; the other phrases can be dropped.
                let (before, prefix) = match left.rsplit_once(',') {
                    Some((b, p)) => (phrases(b), p.trim_start().to_string()),
                    None => (Vec::new(), left.trim_start().to_string()),
                };
                let (suffix, after) = match right.split_once(',') {
                    Some((s, a)) => (s.trim_end().to_string(), phrases(a)),
                    None => (right.trim_end().to_string(), Vec::new()),
                };
                Layer {
                    before,
                    prefix,
                    suffix,
                    after,
                }
            }
            None => Layer {
                before: Vec::new(),
                prefix: String::new(),
                suffix: String::new(),
                after: phrases(template),
            },
        };
        // The palette goes right after the caption's phrase: it matters more than the
        // trailing quality words, so it is dropped after them.
        if let Some(p) = palette {
            layer.after.insert(0, p);
        }
        layer
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Before(usize, usize),
    After(usize, usize),
    Carrier(usize),
}

struct Stack {
    layers: Vec<Layer>,
    keep_before: Vec<Vec<bool>>,
    keep_after: Vec<Vec<bool>>,
    keep_carrier: Vec<bool>,
}

impl Stack {
    fn render(&self, caption: &str) -> String {
        let mut inner = caption.trim().to_string();
        for (i, l) in self.layers.iter().enumerate() {
            let core = if self.keep_carrier[i] {
                format!("{}{}{}", l.prefix, inner, l.suffix)
            } else {
                inner
            };
            let mut parts: Vec<&str> = Vec::new();
            for (j, p) in l.before.iter().enumerate() {
                if self.keep_before[i][j] {
                    parts.push(p);
                }
            }
            let core = core.trim().to_string();
            if !core.is_empty() {
                parts.push(&core);
            }
            for (j, p) in l.after.iter().enumerate() {
                if self.keep_after[i][j] {
                    parts.push(p);
                }
            }
            inner = parts.join(", ");
        }
        inner
    }

    /// Droppable units, last to drop first: phrases in the order they appear in the prompt,
    /// then the words around the caption from the outermost style inwards.
    fn drop_order(&self) -> Vec<Unit> {
        let n = self.layers.len();
        let mut order = Vec::new();
        // Carriers go first in this list because units are dropped from its end.
        for i in 0..n {
            let l = &self.layers[i];
            if !(l.prefix.trim().is_empty() && l.suffix.trim().is_empty()) {
                order.push(Unit::Carrier(i));
            }
        }
        for i in (0..n).rev() {
            for j in 0..self.layers[i].before.len() {
                order.push(Unit::Before(i, j));
            }
        }
        for i in 0..n {
            for j in 0..self.layers[i].after.len() {
                order.push(Unit::After(i, j));
            }
        }
        order
    }

    fn drop_unit(&mut self, u: Unit) -> String {
        match u {
            Unit::Before(i, j) => {
                self.keep_before[i][j] = false;
                self.layers[i].before[j].clone()
            }
            Unit::After(i, j) => {
                self.keep_after[i][j] = false;
                self.layers[i].after[j].clone()
            }
            Unit::Carrier(i) => {
                self.keep_carrier[i] = false;
                let l = &self.layers[i];
                let words = format!("{} … {}", l.prefix.trim(), l.suffix.trim());
                words.trim_matches([' ', '…']).to_string()
            }
        }
    }
}

/// Joins negative prompts, keeping each phrase once (compared without case).
fn join_negatives<'a>(negs: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in negs {
        for p in phrases(n) {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&p)) {
                out.push(p);
            }
        }
    }
    out
}

/// Composes `caption` with `styles` (applied in order) for `family`.
///
/// `count_tokens` counts the content tokens of a text for the family's tokenizer (without
/// start and end tokens); pass [`estimate_clip_tokens`] when no tokenizer is loaded.
/// With no styles, the caption is the prompt.
pub fn compose(
    caption: &str,
    styles: &[&Style],
    family: ModelFamily,
    count_tokens: &dyn Fn(&str) -> usize,
) -> ComposedPrompt {
    let window = family.token_window();
    let resolved: Vec<_> = styles.iter().map(|s| s.for_family(family)).collect();
    let layers: Vec<Layer> = resolved
        .iter()
        .map(|r| Layer::new(r.prompt, palette_phrase(&r.style.palette)))
        .collect();
    let mut stack = Stack {
        keep_before: layers.iter().map(|l| vec![true; l.before.len()]).collect(),
        keep_after: layers.iter().map(|l| vec![true; l.after.len()]).collect(),
        keep_carrier: vec![true; layers.len()],
        layers,
    };
    let mut prompt = stack.render(caption);
    let mut tokens = count_tokens(&prompt);
    let mut dropped = Vec::new();
    if tokens > window {
        let mut order = stack.drop_order();
        while tokens > window {
            let Some(u) = order.pop() else { break };
            dropped.push(stack.drop_unit(u));
            prompt = stack.render(caption);
            tokens = count_tokens(&prompt);
        }
    }

    let mut negative = join_negatives(resolved.iter().map(|r| r.negative_prompt));
    let mut dropped_negative = Vec::new();
    while !negative.is_empty() && count_tokens(&negative.join(", ")) > window {
        if let Some(p) = negative.pop() {
            dropped_negative.push(p);
        }
    }

    let steps = resolved.iter().find_map(|r| r.steps);
    let guidance = resolved.iter().find_map(|r| r.guidance);
    let sampler = resolved
        .iter()
        .find_map(|r| r.sampler)
        .and_then(SamplerChoice::kind);
    let size = resolved.iter().find_map(|r| r.size);
    let mut loras: Vec<crate::lora::LoraSpec> = Vec::new();
    for l in resolved.iter().flat_map(|r| r.loras) {
        match loras.iter_mut().find(|x| x.source == l.source) {
            Some(x) => x.weight = l.weight,
            None => loras.push(l.clone()),
        }
    }
    let negative_has_no_effect = match guidance {
        Some(g) => negative_has_no_effect(g),
        None => family.is_distilled(),
    };
    ComposedPrompt {
        prompt,
        negative_prompt: (!negative.is_empty()).then(|| negative.join(", ")),
        steps,
        guidance,
        sampler,
        size,
        loras,
        dropped,
        dropped_negative,
        negative_has_no_effect,
        tokens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_is_conservative_for_korean_and_digits() {
        assert_eq!(estimate_clip_tokens("a city"), 2);
        assert_eq!(estimate_clip_tokens("2025"), 4);
        assert_eq!(estimate_clip_tokens("예산"), 6);
        assert_eq!(estimate_clip_tokens("flat, clean"), 3);
        assert_eq!(estimate_clip_tokens("illustration"), 2);
    }

    #[test]
    fn layer_split() {
        let l = Layer::new("a, b of {prompt} at night, c, d", None);
        assert_eq!(l.before, vec!["a"]);
        assert_eq!(l.prefix, "b of ");
        assert_eq!(l.suffix, " at night");
        assert_eq!(l.after, vec!["c", "d"]);
    }
}
