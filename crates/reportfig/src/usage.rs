//! Mistakes on the command line, in the user's language. clap words its errors in English
//! only, so for other languages the common kinds are rendered from the catalogue with the
//! values clap found; rarer kinds keep clap's English. In every language, a caption the shell
//! split into words (no quotes around it) gets the command line to type instead.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use reportfig::i18n::Lang;
use reportfig::{msg, tr};

/// The whole text to print on stderr for a usage error.
pub fn render(e: &clap::Error, lang: Lang, args: &[OsString]) -> String {
    let mut text = match lang {
        Lang::En => e.render().to_string(),
        _ => translated(e, lang).unwrap_or_else(|| e.render().to_string()),
    };
    if let Some(hint) = split_caption_hint(e, args) {
        let m = hint.render(lang);
        let (first, rest) = m.split_once('\n').unwrap_or((&m, ""));
        text.push_str(&format!("\n{} {first}\n", tr!(lang, "label-hint")));
        // The command line on its own line, indented, so it can be copied as it is.
        for line in rest.lines() {
            let line = line.split_once(' ').map_or(line, |(_, l)| l);
            text.push_str(&format!("  {line}\n"));
        }
    }
    text
}

fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join(", ")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => Some(
            v.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ContextValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The error in `lang`, or `None` for a kind we leave to clap.
fn translated(e: &clap::Error, lang: Lang) -> Option<String> {
    let arg = || context(e, ContextKind::InvalidArg).unwrap_or_default();
    let value = || context(e, ContextKind::InvalidValue).unwrap_or_default();
    let message = match e.kind() {
        ErrorKind::UnknownArgument => msg!("usage-unknown-argument", arg = arg()),
        ErrorKind::InvalidSubcommand => msg!(
            "usage-unknown-command",
            command = context(e, ContextKind::InvalidSubcommand).unwrap_or_default()
        ),
        ErrorKind::MissingRequiredArgument => msg!("usage-missing", args = arg()),
        ErrorKind::ArgumentConflict => {
            let other = context(e, ContextKind::PriorArg).unwrap_or_default();
            // clap reports an option given twice (`--steps 1 --steps 2`) as a conflict of
            // the option with itself.
            if other == arg() {
                msg!("usage-given-twice", arg = arg())
            } else {
                msg!("usage-conflict", arg = arg(), other = other)
            }
        }
        // `--steps` at the end with nothing after it: clap says "a value is required", as
        // an invalid empty value with an empty list of choices.
        ErrorKind::InvalidValue if value().is_empty() => {
            msg!("usage-value-required", arg = arg())
        }
        ErrorKind::InvalidValue => match context(e, ContextKind::ValidValue) {
            Some(choices) => msg!(
                "usage-invalid-value-choices",
                arg = arg(),
                value = value(),
                choices = choices
            ),
            None => msg!("usage-invalid-value", arg = arg(), value = value()),
        },
        ErrorKind::ValueValidation => {
            // Our own value parsers fail with a catalogue message; render it in `lang`.
            let reason = std::error::Error::source(e)
                .map(|s| match s.downcast_ref::<reportfig::i18n::Message>() {
                    Some(m) => m.render(lang),
                    None => s.to_string(),
                })
                .unwrap_or_default();
            let head = msg!("usage-invalid-value", arg = arg(), value = value()).render(lang);
            return Some(with_usage(e, lang, format!("{head}: {reason}")));
        }
        _ => return None,
    };
    Some(with_usage(e, lang, message.render(lang)))
}

fn with_usage(e: &clap::Error, lang: Lang, text: String) -> String {
    let mut out = format!("{} {text}\n", tr!(lang, "label-error"));
    if let Some(usage) = context(e, ContextKind::Usage) {
        let usage = usage.trim();
        let usage = usage.strip_prefix("Usage:").unwrap_or(usage).trim();
        out.push_str(&format!("\n{} {usage}\n", tr!(lang, "help-heading-usage")));
    }
    out.push_str(&format!("\n{}\n", tr!(lang, "usage-more-help")));
    out
}

/// `reportfig generate 스마트 교통 신호` reaches clap as three words, and clap says
/// "unexpected argument '교통'". The words that follow the first one without a dash in
/// between are the rest of the caption: the hint gives the command with them in quotes.
fn split_caption_hint(e: &clap::Error, args: &[OsString]) -> Option<reportfig::i18n::Message> {
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let stray = context(e, ContextKind::InvalidArg)?;
    if stray.starts_with('-') {
        return None;
    }
    let words: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let at = words.iter().position(|w| *w == stray)?;
    // The caption began at the word before the stray one, and went on while no option
    // came; the word before must not itself be an option (then it was that option's value).
    let start = at.checked_sub(1)?;
    if words[start].starts_with('-') || is_command(&words[start]) {
        return None;
    }
    let end = words[at..]
        .iter()
        .position(|w| w.starts_with('-'))
        .map_or(words.len(), |n| at + n);
    let caption = words[start..end].join(" ");
    let mut line = vec!["reportfig".to_string()];
    for w in &words[..start] {
        line.push(quoted(w));
    }
    line.push(format!("\"{}\"", caption.replace('"', "\\\"")));
    for w in &words[end..] {
        line.push(quoted(w));
    }
    Some(msg!(
        "usage-split-caption",
        first = &words[start],
        command = line.join(" ")
    ))
}

fn is_command(word: &str) -> bool {
    matches!(
        word,
        "generate" | "batch" | "compare" | "translate" | "styles" | "models" | "show"
    )
}

fn quoted(word: &str) -> String {
    if word.contains([' ', '"', '\'']) {
        format!("\"{}\"", word.replace('"', "\\\""))
    } else {
        word.to_string()
    }
}
