//! The message catalogue: every sentence a user reads, in Korean and English.
//!
//! Messages live in Fluent files under `crates/reportfig/locales/<lang>/`, compiled into the
//! binary so an offline office PC needs nothing beside the executable. Fluent (Mozilla's
//! localisation system) rather than our own table because translators can read and edit its
//! files, and it handles plurals and variables without code.
//!
//! The language is a value passed to whatever renders text ([`Lang`]); nothing reads it from a
//! global. The binary decides it once: `--lang`, else the locale variables, else English.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// The languages the interface speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// The BCP 47 code, as `--lang` and HTML `lang` attributes spell it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The language a POSIX locale value names (`ko_KR.UTF-8`, `ko`, `en_US`), or `None` for
    /// one we have no catalogue for and for `C`/`POSIX`.
    pub fn from_locale(value: &str) -> Option<Lang> {
        let language = value
            .split(['_', '.', '@', '-'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match language.as_str() {
            "ko" => Some(Lang::Ko),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of the locale environment, in POSIX order of precedence: the first of
    /// `LC_ALL`, `LC_MESSAGES` and `LANG` that is set and not empty decides; a language without
    /// a catalogue (or none set) gives English. `var` reads one variable, so tests need not
    /// touch the process environment.
    pub fn from_locale_vars(var: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| var(name))
            .find(|v| !v.is_empty())
            .and_then(|v| Lang::from_locale(&v))
            .unwrap_or_default()
    }

    /// The language of this process's locale environment.
    pub fn from_env() -> Lang {
        Lang::from_locale_vars(|name| std::env::var(name).ok())
    }

    /// This language's catalogue.
    pub fn messages(self) -> &'static Messages {
        static CATALOGUES: OnceLock<HashMap<Lang, Messages>> = OnceLock::new();
        &CATALOGUES.get_or_init(|| {
            Lang::ALL
                .iter()
                .map(|&lang| (lang, Messages::load(lang)))
                .collect()
        })[&self]
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// `--lang` could not be understood.
#[derive(Debug, thiserror::Error)]
#[error("unknown language '{0}'; use ko (한국어) or en (English)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "ko" | "kor" | "korean" | "한국어" => Ok(Lang::Ko),
            "en" | "eng" | "english" | "영어" => Ok(Lang::En),
            other => Lang::from_locale(other).ok_or_else(|| UnknownLang(s.to_string())),
        }
    }
}

/// The Fluent files of each language, compiled in. A new area of the interface adds its file
/// here for both languages; the completeness test then holds it to the same ids.
const SOURCES: &[(Lang, &str, &str)] = &[
    (Lang::En, "main.ftl", include_str!("../locales/en/main.ftl")),
    (Lang::Ko, "main.ftl", include_str!("../locales/ko/main.ftl")),
    (
        Lang::En,
        "gallery.ftl",
        include_str!("../locales/en/gallery.ftl"),
    ),
    (
        Lang::Ko,
        "gallery.ftl",
        include_str!("../locales/ko/gallery.ftl"),
    ),
    (
        Lang::En,
        "compare.ftl",
        include_str!("../locales/en/compare.ftl"),
    ),
    (
        Lang::Ko,
        "compare.ftl",
        include_str!("../locales/ko/compare.ftl"),
    ),
    (Lang::En, "cli.ftl", include_str!("../locales/en/cli.ftl")),
    (Lang::Ko, "cli.ftl", include_str!("../locales/ko/cli.ftl")),
    (
        Lang::En,
        "errors.ftl",
        include_str!("../locales/en/errors.ftl"),
    ),
    (
        Lang::Ko,
        "errors.ftl",
        include_str!("../locales/ko/errors.ftl"),
    ),
    (
        Lang::En,
        "errors-rare.ftl",
        include_str!("../locales/en/errors-rare.ftl"),
    ),
    (
        Lang::Ko,
        "errors-rare.ftl",
        include_str!("../locales/ko/errors-rare.ftl"),
    ),
    (
        Lang::En,
        "progress.ftl",
        include_str!("../locales/en/progress.ftl"),
    ),
    (
        Lang::Ko,
        "progress.ftl",
        include_str!("../locales/ko/progress.ftl"),
    ),
    (
        Lang::En,
        "serve.ftl",
        include_str!("../locales/en/serve.ftl"),
    ),
    (
        Lang::Ko,
        "serve.ftl",
        include_str!("../locales/ko/serve.ftl"),
    ),
];

/// One language's messages.
pub struct Messages {
    lang: Lang,
    bundle: FluentBundle<FluentResource>,
}

impl Messages {
    fn load(lang: Lang) -> Messages {
        let id: LanguageIdentifier = lang.code().parse().expect("static language code");
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // Unicode isolation marks around every variable would show as boxes in many
        // terminals and end up inside copied file names.
        bundle.set_use_isolating(false);
        for (file_lang, name, text) in SOURCES {
            if *file_lang != lang {
                continue;
            }
            let resource = FluentResource::try_new(text.to_string()).unwrap_or_else(|(_, e)| {
                panic!("locales/{}/{name} does not parse: {e:?}", lang.code())
            });
            bundle.add_resource(resource).unwrap_or_else(|e| {
                panic!("locales/{}/{name} repeats a message id: {e:?}", lang.code())
            });
        }
        Messages { lang, bundle }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The message `id` (or `id.attribute`) with `args` filled in. An id missing from the
    /// catalogue comes back as itself, so a gap shows instead of crashing a user's run; the
    /// catalogue tests make sure no such gap ships.
    pub fn format(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let (message_id, attribute) = match id.split_once('.') {
            Some((m, a)) => (m, Some(a)),
            None => (id, None),
        };
        let Some(message) = self.bundle.get_message(message_id) else {
            return id.to_string();
        };
        let pattern = match attribute {
            Some(a) => message.get_attribute(a).map(|a| a.value()),
            None => message.value(),
        };
        let Some(pattern) = pattern else {
            return id.to_string();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        let mut errors = Vec::new();
        self.bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }

    /// Whether the catalogue has `id` (or `id.attribute`).
    pub fn has(&self, id: &str) -> bool {
        let (message_id, attribute) = match id.split_once('.') {
            Some((m, a)) => (m, Some(a)),
            None => (id, None),
        };
        match (self.bundle.get_message(message_id), attribute) {
            (Some(m), Some(a)) => m.get_attribute(a).is_some(),
            (Some(m), None) => m.value().is_some(),
            (None, _) => false,
        }
    }
}

/// A message from `lang`'s catalogue: `tr!(lang, "style-not-found", name = name)`.
/// Values are anything Fluent takes: strings, numbers.
#[macro_export]
macro_rules! tr {
    ($lang:expr, $id:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::Lang::messages($lang).format(
            $id,
            &[$((stringify!($name), ::fluent_bundle::FluentValue::from($value))),*],
        )
    };
}

/// A value in a [`Message`]. Numbers are kept as numbers so Fluent can choose plural forms;
/// seeds and other 64-bit values travel as text, since Fluent's numbers are `f64`.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Number(f64),
    /// A sentence inside a sentence ("01-cover.png: <warning>"), rendered in the same language.
    Message(Box<Message>),
}

impl From<Message> for Arg {
    fn from(v: Message) -> Self {
        Arg::Message(Box::new(v))
    }
}
impl From<&Message> for Arg {
    fn from(v: &Message) -> Self {
        Arg::Message(Box::new(v.clone()))
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<u64> for Arg {
    fn from(v: u64) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<f64> for Arg {
    fn from(v: f64) -> Self {
        Arg::Number(v)
    }
}
macro_rules! number_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Self {
                Arg::Number(v as f64)
            }
        }
    )*};
}
number_arg!(u32, i32, usize, u16, u8);

/// A sentence for the user, not yet in any language: a catalogue id and its values. Library
/// code returns these (in errors and events) and the binary renders them in the user's
/// language, so nothing below the binary needs to know which language that is.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    id: &'static str,
    args: Vec<(&'static str, Arg)>,
}

impl Message {
    pub fn new(id: &'static str, args: Vec<(&'static str, Arg)>) -> Self {
        Message { id, args }
    }

    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The value of one argument, for tests and for callers that act on it.
    pub fn arg(&self, name: &str) -> Option<&Arg> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The message in `lang`: its text, then its `.hint` attribute (if it has one) on a line
    /// of its own after the language's word for "hint:".
    pub fn render(&self, lang: Lang) -> String {
        let args: Vec<(&str, FluentValue<'_>)> = self
            .args
            .iter()
            .map(|(n, v)| {
                let value = match v {
                    Arg::Text(t) => FluentValue::from(t.as_str()),
                    Arg::Number(x) => FluentValue::from(*x),
                    Arg::Message(m) => FluentValue::from(m.render(lang)),
                };
                (*n, value)
            })
            .collect();
        let messages = lang.messages();
        let mut text = messages.format(self.id, &args);
        let hint_id = format!("{}.hint", self.id);
        if messages.has(&hint_id) {
            text.push('\n');
            text.push_str(&messages.format("label-hint", &[]));
            text.push(' ');
            text.push_str(&messages.format(&hint_id, &args));
        }
        text
    }
}

/// English, for logs, `Debug`-like uses and tests that read errors without a language.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// A message is an error in its own right where a library check fails with nothing more to
/// say (a bad `--seed` value) and a caller needs an `Error`.
impl std::error::Error for Message {}

/// A [`Message`]: `msg!("style-not-found", name = name)`. Values are anything [`Arg`] takes.
#[macro_export]
macro_rules! msg {
    ($id:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::Message::new(
            $id,
            vec![$((stringify!($name), $crate::i18n::Arg::from($value))),*],
        )
    };
}

/// Every message id and attribute a Fluent source defines, with the variables each uses, for
/// the completeness tests.
#[cfg(test)]
fn ids_and_variables(text: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    use fluent_syntax::ast;
    let resource = fluent_syntax::parser::parse(text).expect("catalogue parses");
    let mut out = std::collections::BTreeMap::new();
    fn variables(pattern: &ast::Pattern<&str>, out: &mut Vec<String>) {
        for element in &pattern.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                expression_variables(expression, out);
            }
        }
    }
    fn expression_variables(expression: &ast::Expression<&str>, out: &mut Vec<String>) {
        match expression {
            ast::Expression::Inline(inline) => inline_variables(inline, out),
            ast::Expression::Select { selector, variants } => {
                inline_variables(selector, out);
                for v in variants {
                    variables(&v.value, out);
                }
            }
        }
    }
    fn inline_variables(inline: &ast::InlineExpression<&str>, out: &mut Vec<String>) {
        match inline {
            ast::InlineExpression::VariableReference { id } => out.push(id.name.to_string()),
            ast::InlineExpression::Placeable { expression } => {
                expression_variables(expression, out)
            }
            ast::InlineExpression::FunctionReference { arguments, .. } => {
                for a in &arguments.positional {
                    inline_variables(a, out);
                }
            }
            _ => {}
        }
    }
    for entry in &resource.body {
        if let ast::Entry::Message(m) = entry {
            if let Some(value) = &m.value {
                let mut vars = Vec::new();
                variables(value, &mut vars);
                vars.sort();
                vars.dedup();
                out.insert(m.id.name.to_string(), vars);
            }
            for a in &m.attributes {
                let mut vars = Vec::new();
                variables(&a.value, &mut vars);
                vars.sort();
                vars.dedup();
                out.insert(format!("{}.{}", m.id.name, a.id.name), vars);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue(lang: Lang) -> std::collections::BTreeMap<String, Vec<String>> {
        let mut all = std::collections::BTreeMap::new();
        for (file_lang, _, text) in SOURCES {
            if *file_lang == lang {
                all.extend(ids_and_variables(text));
            }
        }
        all
    }

    #[test]
    fn both_languages_have_the_same_messages_with_the_same_variables() {
        let en = catalogue(Lang::En);
        let ko = catalogue(Lang::Ko);
        let only_en: Vec<_> = en.keys().filter(|k| !ko.contains_key(*k)).collect();
        let only_ko: Vec<_> = ko.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(only_en.is_empty(), "missing in Korean: {only_en:?}");
        assert!(only_ko.is_empty(), "missing in English: {only_ko:?}");
        for (id, vars) in &en {
            assert_eq!(vars, &ko[id], "{id} uses different variables in ko");
        }
    }

    /// Every `tr!(…, "id"` in the app's source names a message that exists, so no user ever
    /// sees a bare id.
    #[test]
    fn every_id_the_code_asks_for_exists() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        let mut seen = 0;
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                // Comments may show example ids that are not real messages.
                let text: String = std::fs::read_to_string(&path)
                    .unwrap()
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n");
                for id in requested_ids(&text) {
                    seen += 1;
                    for lang in Lang::ALL {
                        if !lang.messages().has(&id) {
                            missing.push(format!("{} in {}: {id}", lang, path.display()));
                        }
                    }
                }
            }
        }
        assert!(seen > 0, "found no tr! calls: the scan is broken");
        assert!(missing.is_empty(), "ids with no message: {missing:#?}");
    }

    /// The literal ids of `tr!(lang, "id"` and `.format("id"` calls.
    fn requested_ids(text: &str) -> Vec<String> {
        let mut ids = Vec::new();
        for marker in ["tr!(", "msg!(", ".format(\""] {
            for (at, _) in text.match_indices(marker) {
                let rest = &text[at + marker.len()..];
                let Some(open) = rest.find('"') else { continue };
                // Only the first argument list of this call: stop at the closing quote.
                if marker != ".format(\"" && rest[..open].contains(')') {
                    continue;
                }
                let rest = &rest[open + 1..];
                if let Some(close) = rest.find('"') {
                    let id = &rest[..close];
                    if !id.is_empty()
                        && id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                    {
                        ids.push(id.to_string());
                    }
                }
            }
        }
        ids
    }

    #[test]
    fn locale_variables_in_posix_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            Lang::from_locale_vars(env(&[("LANG", "ko_KR.UTF-8")])),
            Lang::Ko
        );
        assert_eq!(
            Lang::from_locale_vars(env(&[("LANG", "ko_KR.UTF-8"), ("LC_ALL", "en_US.UTF-8")])),
            Lang::En
        );
        assert_eq!(
            Lang::from_locale_vars(env(&[("LC_MESSAGES", "ko_KR"), ("LANG", "en_US")])),
            Lang::Ko
        );
        // An empty variable does not count; an unknown language or C gives English.
        assert_eq!(
            Lang::from_locale_vars(env(&[("LC_ALL", ""), ("LANG", "ko")])),
            Lang::Ko
        );
        assert_eq!(
            Lang::from_locale_vars(env(&[("LANG", "C.UTF-8")])),
            Lang::En
        );
        assert_eq!(Lang::from_locale_vars(env(&[("LANG", "ja_JP")])), Lang::En);
        assert_eq!(Lang::from_locale_vars(env(&[])), Lang::En);
    }

    #[test]
    fn lang_flag_values() {
        assert_eq!("ko".parse::<Lang>().unwrap(), Lang::Ko);
        assert_eq!("한국어".parse::<Lang>().unwrap(), Lang::Ko);
        assert_eq!("EN".parse::<Lang>().unwrap(), Lang::En);
        assert_eq!("ko_KR.UTF-8".parse::<Lang>().unwrap(), Lang::Ko);
        assert!("fr".parse::<Lang>().is_err());
    }

    #[test]
    fn messages_fill_variables_without_isolation_marks() {
        let text = tr!(Lang::Ko, "lang-unknown", value = "fr");
        assert!(text.contains("fr"), "{text}");
        assert!(!text.contains('\u{2068}'), "{text:?}");
        assert_ne!(text, tr!(Lang::En, "lang-unknown", value = "fr"));
        // A missing id shows itself rather than crashing.
        assert_eq!(Lang::En.messages().format("no-such-id", &[]), "no-such-id");
    }
}
