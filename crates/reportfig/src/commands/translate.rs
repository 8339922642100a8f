//! `reportfig translate`: the English prompt each caption becomes, so a user can check a
//! batch's wording before spending minutes on images.

use serde::Serialize;

use crate::commands::{session, Reporter};
use crate::translate::{CaptionTranslator, Outcome, TranslateOptions};

/// One caption and the English the image model would read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranslatedCaption {
    pub caption: String,
    pub english: String,
    /// What made `english`: the translator (and glossary), `glossary` alone, or `as typed`
    /// for a caption without Korean or with translation off.
    pub translated_by: String,
    /// Why the caption is used as typed although it has Korean, when it is. In English:
    /// JSON is read by programs, which should not depend on the user's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Translates every caption in order (the translator loads once), one result per caption.
pub fn run(
    captions: &[String],
    opts: TranslateOptions,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<Vec<TranslatedCaption>> {
    for c in captions {
        session::check_caption(c)?;
    }
    let mut translator = CaptionTranslator::new(opts)?;
    let texts: Vec<&str> = captions.iter().map(|c| c.trim()).collect();
    translator.prepare(&texts, reporter)?;
    Ok(texts
        .iter()
        .map(|c| {
            let (english, translated_by, warning) = match translator.outcome(c) {
                Outcome::English(e) => (e.text, e.translated_by, None),
                Outcome::AsTyped => (c.to_string(), "as typed".to_string(), None),
                Outcome::Failed { warning } => (
                    c.to_string(),
                    "as typed".to_string(),
                    Some(warning.to_string()),
                ),
            };
            TranslatedCaption {
                caption: c.to_string(),
                english,
                translated_by,
                warning,
            }
        })
        .collect())
}
