//! The app's and the engine's typed errors as [`Message`]s, so the binary can show them in
//! the user's language. The engine knows no languages and no command-line flags; its errors
//! are mapped here by variant. An error without a mapping yet keeps its English text
//! (`untranslated`), which is better than no text at all.

use std::error::Error;

use crate::batch::{BatchError, ShardError, ShardProblem};
use crate::commands::BadInput;
use crate::i18n::{Lang, Message};
use crate::lora::LoraSpecError;
use crate::model::bundle::BundleError;
use crate::model::source::SourceError;
use crate::msg;
use crate::os_reason::OsReason;
use crate::outline::OutlineError;
use crate::page::SizeError;
use crate::style::import::ImportError;
use crate::style::StyleError;
use crate::title::TitleError;
use reportfig_engine::model::config::ConfigError;
use reportfig_engine::model::single_file::{ArchProblem, SingleFileError, Unsupported};
use reportfig_engine::pipeline::lora::{LoraError, LoraTarget};
use reportfig_engine::pipeline::scheduler::{SamplerKind, SchedulerError};
use reportfig_engine::pipeline::text::TextError;
use reportfig_engine::pipeline::tiny_vae::TinyVaeError;
use reportfig_engine::pipeline::{
    plain_message, IsaError, NumericStage, PipelineError, RequestError, StartPart,
};
use reportfig_engine::translate::pickle::PickleError;
use reportfig_engine::translate::tokenizer::TokenizerError;
use reportfig_engine::translate::TranslateError;

/// The message for one error (not its causes).
pub fn message(e: &(dyn Error + 'static)) -> Message {
    if let Some(b) = e.downcast_ref::<BadInput>() {
        return b.0.clone();
    }
    if let Some(m) = e.downcast_ref::<Message>() {
        return m.clone();
    }
    if let Some(s) = e.downcast_ref::<StyleError>() {
        return style_error(s);
    }
    if let Some(s) = e.downcast_ref::<SizeError>() {
        return size_error(s);
    }
    if let Some(s) = e.downcast_ref::<ShardError>() {
        return shard_error(s);
    }
    if let Some(t) = e.downcast_ref::<TitleError>() {
        return title_error(t);
    }
    if let Some(crate::model::tiny_decoder::TinyDecoderNameError::Unknown { name, presets }) =
        e.downcast_ref()
    {
        return msg!("tiny-decoder-unknown", name = name, presets = presets);
    }
    if let Some(u) = e.downcast_ref::<crate::model::upscaler::UnknownUpscaler>() {
        return msg!(
            "upscaler-unknown",
            name = u.name.as_str(),
            presets = u.presets.as_str()
        );
    }
    if let Some(i) = e.downcast_ref::<crate::init_image::InitImageError>() {
        return i.message();
    }
    // A translator's download fails as a model's does (`#[error(transparent)]`).
    let source =
        e.downcast_ref::<SourceError>().or_else(|| match e
            .downcast_ref::<crate::translate::source::TranslatorError>()
        {
            Some(crate::translate::source::TranslatorError::Source(s)) => Some(s),
            _ => None,
        });
    if let Some(m) = source.and_then(source_error) {
        return m;
    }
    if let Some(b) = e.downcast_ref::<BundleError>() {
        if let Some(m) = bundle_error(b) {
            return m;
        }
    }
    if let Some(o) = e.downcast_ref::<OutlineError>() {
        return outline_error(o);
    }
    if let Some(BatchError::BadFigure {
        path,
        line,
        message,
    }) = e.downcast_ref::<BatchError>()
    {
        return msg!(
            "batch-bad-figure",
            path = path.display().to_string(),
            line = *line,
            text = message
        );
    }
    if let Some(reportfig_engine::model::config::ConfigError::TooLarge { path, what, bytes }) =
        e.downcast_ref()
    {
        return msg!(
            "config-too-large",
            path = path.display().to_string(),
            what = *what,
            size = format!("{:.1} MB", *bytes as f64 / 1e6)
        );
    }
    if let Some(BatchError::Write { path, problem }) = e.downcast_ref::<BatchError>() {
        return msg!(
            "batch-write-failed",
            file = file_name(path),
            folder = folder_of(path),
            why = problem.key(),
            detail = problem.detail()
        );
    }
    if let Some(o) = e.downcast_ref::<crate::output::OutputError>() {
        if let (crate::output::OutputError::Write { path, .. }, Some((folder, problem))) =
            (o, o.folder_problem())
        {
            return msg!(
                "output-write-failed",
                file = file_name(path),
                folder = folder.display().to_string(),
                why = problem.key(),
                detail = problem.detail()
            );
        }
        return output_error(o);
    }
    if let Some(BatchError::DuplicateFile {
        path,
        first,
        second,
        file,
    }) = e.downcast_ref::<BatchError>()
    {
        return msg!(
            "batch-duplicate-file",
            path = path.display().to_string(),
            first = *first,
            second = *second,
            file = file
        );
    }
    if let Some(BatchError::Read { path, reason }) = e.downcast_ref::<BatchError>() {
        return msg!(
            "file-cannot-read",
            path = path.display().to_string(),
            reason = reason
        );
    }
    if let Some(BatchError::Busy { folder }) = e.downcast_ref::<BatchError>() {
        return msg!("batch-busy", folder = folder.display().to_string());
    }
    if let Some(BatchError::NotOurs { path, what }) = e.downcast_ref::<BatchError>() {
        if *what == crate::batch::DOCUMENT_NOT_OURS {
            return msg!("batch-docx-not-ours", path = path.display().to_string());
        }
        let reason = match *what {
            "it is not a reportfig manifest" => "manifest",
            "there is no reportfig manifest.json beside it" => "page",
            _ => "picture",
        };
        return msg!(
            "batch-not-ours",
            path = path.display().to_string(),
            reason = reason
        );
    }
    if let Some(ImportError::BadField {
        file,
        entry,
        field,
        found,
    }) = e.downcast_ref::<ImportError>()
    {
        let kind = match *found {
            "a number" => "number",
            "true or false" => "bool",
            "a list" => "list",
            _ => "object",
        };
        return msg!(
            "style-import-bad-field",
            file = file,
            entry = *entry,
            field = *field,
            found = kind
        );
    }
    if let Some(i) = e.downcast_ref::<ImportError>() {
        if let Some(m) = import_error(i) {
            return m;
        }
    }
    let checkpoint = match e.downcast_ref::<PipelineError>() {
        Some(PipelineError::Checkpoint(c)) => Some(&**c),
        _ => match e.downcast_ref::<SourceError>() {
            Some(SourceError::Checkpoint(c)) => Some(&**c),
            _ => e.downcast_ref::<SingleFileError>(),
        },
    };
    if let Some(c) = checkpoint {
        return checkpoint_error(c);
    }
    // The engine names no flags; which one picks a sampler is said here.
    let unknown_class = match e.downcast_ref::<PipelineError>() {
        Some(PipelineError::Scheduler(SchedulerError::UnknownClass(c))) => Some(c),
        _ => match e.downcast_ref::<SchedulerError>() {
            Some(SchedulerError::UnknownClass(c)) => Some(c),
            _ => None,
        },
    };
    if let Some(class) = unknown_class {
        return msg!(
            "scheduler-unknown-class",
            class = class,
            samplers = SamplerKind::ALL
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let lora = match e.downcast_ref::<PipelineError>() {
        Some(PipelineError::Lora(l)) => Some(l),
        _ => e.downcast_ref::<LoraError>(),
    };
    if let Some(l) = lora {
        return lora_error(l);
    }
    if let Some(s) = e.downcast_ref::<LoraSpecError>() {
        return lora_spec_error(s);
    }
    if let Some(PipelineError::DraftDecoderMismatch { decoder, model }) =
        e.downcast_ref::<PipelineError>()
    {
        return msg!("draft-decoder-mismatch", decoder = *decoder, model = *model);
    }
    if let Some(PipelineError::InpaintingModelNeedsMask) = e.downcast_ref::<PipelineError>() {
        return msg!("inpainting-model-needs-mask");
    }
    if let Some(PipelineError::NotFinite { stage }) = e.downcast_ref::<PipelineError>() {
        let (stage, step, total) = match *stage {
            NumericStage::TextEncoder => ("text-encoder", 0, 0),
            NumericStage::UNet { step, total } => ("unet", step, total),
            NumericStage::Vae => ("vae", 0, 0),
        };
        return msg!(
            "pipeline-not-finite",
            stage = stage,
            step = step,
            total = total
        );
    }
    if let Some(m) = translator_error(e) {
        return m;
    }
    if let Some(m) = e.downcast_ref::<TranslateError>().and_then(translate_error) {
        return m;
    }
    let config = match e.downcast_ref::<PipelineError>() {
        Some(PipelineError::Config(c)) => Some(c),
        _ => match e.downcast_ref::<TranslateError>() {
            Some(TranslateError::Config(c)) => Some(c),
            _ => e.downcast_ref::<ConfigError>(),
        },
    };
    if let Some(m) = config.and_then(config_error) {
        return m;
    }
    if let Some(p) = e.downcast_ref::<PipelineError>() {
        if let Some(m) = load_error(p) {
            return m;
        }
    }
    if let Some(m) = engine_error(e) {
        return m;
    }
    if let Some(g) = e.downcast_ref::<crate::translate::glossary::GlossaryError>() {
        return glossary_error(g);
    }
    // A cause below an error already said: the system's reason, or candle's words, as the
    // sentence above quoted them (so the line is recognised as said and left out).
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return crate::os_reason::message(io);
    }
    if let Some(c) = e.downcast_ref::<candle_core::Error>() {
        return msg!("untranslated", text = plain_message(c));
    }
    msg!("untranslated", text = e.to_string())
}

/// A picture file that cannot be written or read back (a write that failed part-way into a
/// folder is said with the folder, above).
fn output_error(e: &crate::output::OutputError) -> Message {
    use crate::output::OutputError;
    let shown = |p: &std::path::Path| p.display().to_string();
    match e {
        OutputError::AlreadyExists { path } => msg!("file-exists", path = shown(path)),
        OutputError::IsDirectory { path } => msg!(
            "output-is-folder",
            path = shown(path),
            example = shown(&path.join("figure.png"))
        ),
        OutputError::MissingFolder { dir } => msg!("output-missing-folder", dir = shown(dir)),
        OutputError::ParentNotFolder { dir } => {
            msg!("output-parent-not-folder", dir = shown(dir))
        }
        OutputError::UnwritableFolder { dir, source } => msg!(
            "output-unwritable-folder",
            dir = shown(dir),
            reason = OsReason::of(source)
        ),
        OutputError::Write { path, source } => msg!(
            "output-write",
            path = shown(path),
            reason = OsReason::of(source)
        ),
        OutputError::Encode { message } => msg!("output-encode", detail = message),
        OutputError::EmptyImage { width, height } => {
            msg!("output-empty-image", width = *width, height = *height)
        }
        // A program's mistake (a chunk name), not the user's.
        OutputError::BadKeyword { .. } => msg!("internal-error", detail = e.to_string()),
        OutputError::Read { path, source } => msg!(
            "output-read",
            path = shown(path),
            reason = OsReason::of(source)
        ),
        OutputError::NotPng { path, message } => {
            msg!(
                "output-unreadable-png",
                path = shown(path),
                detail = message
            )
        }
        OutputError::BadMetadata { path, message } => {
            msg!("output-bad-metadata", path = shown(path), detail = message)
        }
        OutputError::NewerFormat {
            path,
            found,
            supported,
        } => msg!(
            "output-newer-format",
            path = shown(path),
            found = *found,
            supported = *supported
        ),
    }
}

/// A file `styles import` cannot read or convert (a wrong field is mapped with its kind
/// where it is met); the CSV and JSON readers' own words stay inside the sentence.
fn import_error(e: &ImportError) -> Option<Message> {
    let shown = |p: &std::path::Path| p.display().to_string();
    Some(match e {
        ImportError::Read { path, source } => msg!(
            "file-cannot-read",
            path = shown(path),
            reason = OsReason::of(source)
        ),
        ImportError::Csv {
            file,
            line,
            message,
        } => msg!(
            "style-import-csv",
            file = file,
            line = line.to_string(),
            detail = message
        ),
        ImportError::Json {
            file,
            line,
            message,
        } => msg!(
            "style-import-json",
            file = file,
            line = *line,
            detail = message
        ),
        ImportError::CsvHeader { file, found } => {
            msg!("style-import-csv-header", file = file, found = found)
        }
        ImportError::Empty { file } => msg!("style-import-empty", file = file),
        ImportError::UnknownFormat { file } => msg!("style-import-unknown-format", file = file),
        ImportError::Exists { paths } => msg!(
            "style-import-exists",
            paths = paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            count = paths.len()
        ),
        ImportError::Write { path, source } => msg!(
            "file-cannot-write",
            path = shown(path),
            reason = OsReason::of(source)
        ),
        ImportError::BadField { .. } => return None,
    })
}

/// The translator named wrongly or its folder incomplete; its download fails as a model's
/// does (mapped with the model-source errors).
fn translator_error(e: &(dyn Error + 'static)) -> Option<Message> {
    use crate::translate::source::TranslatorError;
    Some(match e.downcast_ref::<TranslatorError>()? {
        TranslatorError::Empty { presets } => msg!("translator-empty", presets = presets),
        TranslatorError::Unknown { name, presets } => {
            msg!("translator-unknown", name = name, presets = presets)
        }
        TranslatorError::FolderNotFound { path, presets } => msg!(
            "translator-folder-not-found",
            path = path.display().to_string(),
            presets = presets
        ),
        TranslatorError::Files { source, .. } | TranslatorError::Load { source, .. } => {
            translate_error(source)?
        }
        TranslatorError::Source(_) => return None,
    })
}

/// The engine's translator errors a user can act on. Mapped on their own too: they are the
/// cause below a [`TranslatorError`], and a cause left in English would repeat it.
fn translate_error(e: &TranslateError) -> Option<Message> {
    Some(match e {
        TranslateError::MissingFile { dir, name } => msg!(
            "translator-incomplete",
            dir = dir.display().to_string(),
            file = *name
        ),
        TranslateError::Config(c) => return config_error(c),
        TranslateError::Tokenizer(t) => tokenizer_error(t),
        TranslateError::Pickle(p) => pickle_error(p),
        TranslateError::Weights { path, message } => msg!(
            "translator-weights",
            path = path.display().to_string(),
            detail = message
        ),
        TranslateError::Compute(detail) => msg!("translator-compute", detail = detail),
    })
}

/// The translator's tokenizer files (SentencePiece models, vocab.json) unreadable or wrong.
fn tokenizer_error(e: &TokenizerError) -> Message {
    let shown = |p: &std::path::Path| p.display().to_string();
    match e {
        TokenizerError::Read { path, source } => msg!(
            "translator-file-unreadable",
            path = shown(path),
            reason = OsReason::of(source)
        ),
        TokenizerError::BadSpm { path, message } => {
            msg!("translator-bad-spm", path = shown(path), detail = message)
        }
        TokenizerError::UnsupportedSpm { path, message } => msg!(
            "translator-unsupported-spm",
            path = shown(path),
            detail = message
        ),
        TokenizerError::BadJson {
            path,
            what,
            message,
        } => msg!(
            "translator-bad-json",
            path = shown(path),
            what = *what,
            detail = message
        ),
        TokenizerError::MissingSpecial { path, token } => msg!(
            "translator-missing-special",
            path = shown(path),
            token = token
        ),
    }
}

/// A translator's `pytorch_model.bin`, read without running it, refused or not convertible.
pub(crate) fn pickle_error(e: &PickleError) -> Message {
    let shown = |p: &std::path::Path| p.display().to_string();
    match e {
        PickleError::Io { path, source } => msg!(
            "file-cannot-read",
            path = shown(path),
            reason = OsReason::of(source)
        ),
        PickleError::RefusedGlobal { path, global } => {
            msg!("pickle-refused", path = shown(path), what = global)
        }
        PickleError::RefusedOpcode { path, opcode, at } => msg!(
            "pickle-refused",
            path = shown(path),
            what = format!("opcode 0x{opcode:02x} @ {at}")
        ),
        PickleError::Malformed { path, reason } => {
            msg!("pickle-malformed", path = shown(path), detail = reason)
        }
        PickleError::Write { path, out, reason } => msg!(
            "pickle-write",
            path = shown(path),
            out = shown(out),
            detail = reason
        ),
    }
}

/// A glossary file (`--glossary` or the user's own) that cannot be read or has a bad line.
fn glossary_error(e: &crate::translate::glossary::GlossaryError) -> Message {
    use crate::translate::glossary::{GlossaryError, GlossaryProblem};
    match e {
        GlossaryError::Unreadable { path, reason } => msg!(
            "glossary-unreadable",
            path = path.display().to_string(),
            reason = reason
        ),
        GlossaryError::Bad {
            path,
            line,
            problem,
        } => {
            let (kind, term, english, detail) = match problem {
                GlossaryProblem::Toml(text) => ("toml", "", "", text.as_str()),
                GlossaryProblem::NoKorean { term } => ("no-korean", term.as_str(), "", ""),
                GlossaryProblem::NoEnglish { term } => ("no-english", term.as_str(), "", ""),
                GlossaryProblem::StillKorean { term, english } => {
                    ("still-korean", term.as_str(), english.as_str(), "")
                }
            };
            msg!(
                "glossary-bad",
                path = path.display().to_string(),
                line = *line,
                problem = kind,
                term = term,
                english = english,
                detail = detail
            )
        }
    }
}

/// The engine's errors below the model's networks: the request checked against the model,
/// the text encoder and its tokenizer, the scheduler config, the tiny draft decoder, a
/// computation that failed, the CPU kernels asked for.
fn engine_error(e: &(dyn Error + 'static)) -> Option<Message> {
    if let Some(p) = e.downcast_ref::<PipelineError>() {
        return match p {
            PipelineError::Request(r) => Some(request_error(r)),
            PipelineError::Text(t) => Some(text_error(t)),
            PipelineError::TinyVae(t) => Some(tiny_vae_error(t)),
            PipelineError::Scheduler(s) => scheduler_error(s),
            PipelineError::Compute(c) => Some(msg!("pipeline-compute", detail = plain_message(c))),
            PipelineError::Stopped => Some(msg!("pipeline-stopped")),
            _ => None,
        };
    }
    if let Some(r) = e.downcast_ref::<RequestError>() {
        return Some(request_error(r));
    }
    if let Some(t) = e.downcast_ref::<TextError>() {
        return Some(text_error(t));
    }
    if let Some(t) = e.downcast_ref::<TinyVaeError>() {
        return Some(tiny_vae_error(t));
    }
    if let Some(s) = e.downcast_ref::<SchedulerError>() {
        return scheduler_error(s);
    }
    if let Some(t) = e.downcast_ref::<TokenizerError>() {
        return Some(tokenizer_error(t));
    }
    if let Some(p) = e.downcast_ref::<PickleError>() {
        return Some(pickle_error(p));
    }
    if let Some(i) = e.downcast_ref::<IsaError>() {
        return Some(isa_error(i));
    }
    if let Some(reportfig_engine::family::UnknownFamily(name)) = e.downcast_ref() {
        return Some(msg!("family-unknown", name = name));
    }
    None
}

/// A request the model cannot make (mostly caught earlier with the flag named; these are
/// what reaches the engine all the same, from an outline, the server or a model with an
/// unusual VAE).
fn request_error(e: &RequestError) -> Message {
    match e {
        RequestError::NotMultiple {
            side,
            value,
            multiple,
            lower,
            upper,
        } => msg!(
            "request-not-multiple",
            side = if *side == "width" {
                msg!("word-width")
            } else {
                msg!("word-height")
            },
            value = *value,
            multiple = *multiple,
            lower = *lower,
            upper = *upper
        ),
        RequestError::NoSteps => msg!("steps-zero"),
        RequestError::Guidance { value, max } => msg!(
            "request-guidance",
            value = value.to_string(),
            max = max.to_string()
        ),
        RequestError::Strength { value } => {
            msg!("request-strength", value = value.to_string())
        }
        RequestError::NoStepLeft {
            steps,
            strength,
            least,
        } => msg!(
            "strength-leaves-no-step",
            steps = *steps,
            strength = strength.to_string(),
            least = format!("{least:.2}")
        ),
        RequestError::PictureSize {
            part,
            width,
            height,
            request_width,
            request_height,
        } => msg!(
            "request-picture-size",
            part = match part {
                StartPart::Picture => "picture",
                StartPart::Mask => "mask",
            },
            size = format!("{width}x{height}"),
            request = format!("{request_width}x{request_height}")
        ),
        // A program's mistake, not the user's: said plainly all the same.
        RequestError::MaskDisagrees
        | RequestError::PixelsMissing
        | RequestError::PixelsUnexpected
        | RequestError::NoImage => msg!("request-internal", detail = e.to_string()),
    }
}

/// The text encoder's files (tokenizer, weights) missing, unreadable or not matching.
fn text_error(e: &TextError) -> Message {
    let shown = |p: &std::path::Path| p.display().to_string();
    match e {
        TextError::Read { path, source } => msg!(
            "file-cannot-read",
            path = shown(path),
            reason = OsReason::of(source)
        ),
        TextError::MissingTokenizerFile { path } => {
            msg!("text-missing-tokenizer-file", path = shown(path))
        }
        TextError::BadTokenizerFile { path, message } => msg!(
            "text-bad-tokenizer-file",
            path = shown(path),
            detail = message
        ),
        TextError::Tokenize { text, message } => msg!(
            "text-tokenize",
            start = text.chars().take(40).collect::<String>(),
            detail = message
        ),
        TextError::Config(c) => {
            config_error(c).unwrap_or_else(|| msg!("untranslated", text = c.to_string()))
        }
        TextError::MissingWeights { dir } => msg!("text-missing-weights", dir = shown(dir)),
        TextError::Weights {
            path,
            config,
            message,
        } => msg!(
            "text-weights",
            path = shown(path),
            config = shown(config),
            detail = message
        ),
        TextError::MissingComponent { dir, what, .. } => msg!(
            "text-missing-component",
            dir = shown(dir),
            what = if *what == "text encoder" {
                "encoder"
            } else {
                "set"
            }
        ),
        TextError::Model(c) => msg!("text-model", detail = plain_message(c)),
    }
}

/// A tiny draft decoder (diffusers' AutoencoderTiny) folder that cannot be used.
fn tiny_vae_error(e: &TinyVaeError) -> Message {
    let shown = |p: &std::path::Path| p.display().to_string();
    match e {
        TinyVaeError::NoWeights { dir } => msg!("tiny-decoder-no-weights", dir = shown(dir)),
        TinyVaeError::Read { path, source } => msg!(
            "tiny-decoder-file",
            path = shown(path),
            detail = OsReason::of(source)
        ),
        TinyVaeError::File { path, message } => {
            msg!("tiny-decoder-file", path = shown(path), detail = message)
        }
        // The reason follows from the field, whose name is config.json's own.
        TinyVaeError::Unsupported {
            path, field, value, ..
        } => msg!(
            "tiny-decoder-unsupported",
            path = shown(path),
            field = *field,
            value = value
        ),
        TinyVaeError::Weights { path, source } => msg!(
            "tiny-decoder-weights",
            path = shown(path),
            detail = plain_message(source)
        ),
    }
}

/// A scheduler config that cannot be read or used (an unknown class is said with the
/// samplers to choose instead, above).
fn scheduler_error(e: &SchedulerError) -> Option<Message> {
    Some(match e {
        SchedulerError::Read { path, source } => msg!(
            "file-cannot-read",
            path = path.display().to_string(),
            reason = OsReason::of(source)
        ),
        SchedulerError::Parse { path, message } => msg!(
            "scheduler-parse",
            path = path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "scheduler_config.json".to_string()),
            detail = message
        ),
        SchedulerError::UnknownSampler(name) => msg!(
            "sampler-unknown",
            name = name,
            samplers = SamplerKind::ALL
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        SchedulerError::Unsupported { field, value, hint } => msg!(
            "scheduler-unsupported",
            field = *field,
            value = value,
            detail = hint
        ),
        SchedulerError::Steps { steps, reason } => {
            msg!("scheduler-steps", steps = *steps, detail = reason)
        }
        SchedulerError::Schedule(detail) => msg!("scheduler-schedule", detail = detail),
        SchedulerError::UnknownClass(_) => return None,
    })
}

/// `REPORTFIG_ISA` naming kernels that do not exist or that this CPU cannot run.
pub fn isa_error(e: &IsaError) -> Message {
    match e {
        IsaError::Unknown { name } => msg!("isa-unknown", name = name),
        IsaError::Unsupported {
            isa,
            needs,
            supported,
        } => msg!(
            "isa-unsupported",
            isa = isa.to_string(),
            needs = needs,
            supported = supported
        ),
    }
}

/// A model's JSON config that cannot be read or parsed; serde's own words about the
/// position stay as they are.
fn config_error(e: &ConfigError) -> Option<Message> {
    Some(match e {
        ConfigError::Read { path, source } => msg!(
            "file-cannot-read",
            path = path.display().to_string(),
            reason = OsReason::of(source)
        ),
        ConfigError::Parse {
            path,
            what,
            line,
            column,
            message,
        } => msg!(
            "config-parse",
            path = path.display().to_string(),
            what = *what,
            line = *line,
            column = *column,
            detail = message
        ),
        ConfigError::Unsupported { path, message } => msg!(
            "config-unsupported",
            path = path.display().to_string(),
            detail = message
        ),
        ConfigError::TooLarge { .. } => return None,
    })
}

/// A network whose weights cannot be read or do not fit its config. The detail is candle's or the network's own text, kept as it is; the
/// engine's English hint line is left out of it, since the message has its own.
fn load_error(e: &PipelineError) -> Option<Message> {
    Some(match e {
        PipelineError::Weights {
            component,
            path,
            message,
        } => msg!(
            "pipeline-weights",
            component = component_key(component),
            path = path.display().to_string(),
            detail = message
        ),
        PipelineError::MissingWeight {
            component,
            path,
            name,
        } => msg!(
            "pipeline-missing-weight",
            component = component_key(component),
            path = path.display().to_string(),
            name = name.as_str()
        ),
        PipelineError::WeightShape {
            component,
            path,
            name,
            config_dir,
            expected,
            got,
        } => msg!(
            "pipeline-weight-shape",
            component = component_key(component),
            path = path.display().to_string(),
            name = name.as_str(),
            config = config_dir.display().to_string(),
            expected = shape_text(expected),
            got = shape_text(got)
        ),
        PipelineError::Build {
            component,
            path,
            message,
        } => {
            let (detail, engine_hint) = match message.split_once("\nhint: ") {
                Some((d, _)) => (d, true),
                None => (message.as_str(), false),
            };
            let path = path.display().to_string();
            let component = component_key(component);
            if engine_hint {
                msg!(
                    "pipeline-build-mismatch",
                    component = component,
                    path = path,
                    detail = detail
                )
            } else {
                msg!(
                    "pipeline-build",
                    component = component,
                    path = path,
                    detail = detail
                )
            }
        }
        _ => return None,
    })
}

/// A tensor's shape as `[320, 4, 3, 3]`.
fn shape_text(d: &[usize]) -> String {
    let d: Vec<_> = d.iter().map(usize::to_string).collect();
    format!("[{}]", d.join(", "))
}

/// The catalogue's key for a network the engine names in English.
fn component_key(name: &str) -> &'static str {
    match name {
        "UNet" => "unet",
        "VAE" => "vae",
        "second text encoder" => "text-encoder-2",
        _ => "text-encoder",
    }
}

/// The last part of `path` (a file name), for messages that name its folder apart.
fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The folder `path` is in, as shown in messages (`.` for a bare name).
fn folder_of(path: &std::path::Path) -> String {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
        _ => ".".to_string(),
    }
}

fn lora_error(e: &LoraError) -> Message {
    let shown = |d: &[usize]| {
        let parts: Vec<String> = d.iter().map(|x| x.to_string()).collect();
        format!("[{}]", parts.join(", "))
    };
    match e {
        LoraError::Read { path, message } => msg!(
            "lora-read",
            path = path.display().to_string(),
            reason = message
        ),
        LoraError::Empty { path } => msg!("lora-empty", path = path.display().to_string()),
        LoraError::UnknownKeys { path, keys, count } => msg!(
            "lora-unknown-keys",
            path = path.display().to_string(),
            count = *count,
            keys = keys.join("`, `")
        ),
        LoraError::Incomplete { path, key, .. } => msg!(
            "lora-incomplete",
            path = path.display().to_string(),
            key = key
        ),
        LoraError::BadPair {
            path,
            key,
            down,
            up,
        } => msg!(
            "lora-bad-pair",
            path = path.display().to_string(),
            key = key,
            down = shown(down),
            up = shown(up)
        ),
        LoraError::Unmatched {
            path,
            target,
            keys,
            count,
        } => msg!(
            "lora-unmatched",
            path = path.display().to_string(),
            target = match target {
                LoraTarget::Unet => "unet",
                LoraTarget::TextEncoder => "text-encoder",
                LoraTarget::TextEncoder2 => "text-encoder-2",
            },
            count = *count,
            keys = keys.join("`, `")
        ),
        LoraError::Shape {
            path,
            key,
            model,
            lora,
        } => msg!(
            "lora-shape",
            path = path.display().to_string(),
            key = key,
            model = shown(model),
            lora = shown(lora)
        ),
        LoraError::WrongFamily { path, lora, model } => msg!(
            "lora-wrong-family",
            path = path.display().to_string(),
            lora = lora.display_name(),
            model = model.display_name()
        ),
        // The reason is the file's own JSON or field names, kept as they are.
        LoraError::BadMetadata { path, what } => msg!(
            "lora-bad-metadata",
            path = path.display().to_string(),
            what = what
        ),
    }
}

fn lora_spec_error(e: &LoraSpecError) -> Message {
    match e {
        LoraSpecError::Empty => msg!("lora-spec-empty"),
        LoraSpecError::BadWeight { spec, weight } => msg!(
            "lora-spec-bad-weight",
            spec = spec,
            weight = weight,
            max = crate::lora::MAX_WEIGHT
        ),
        LoraSpecError::NotFound { path } => {
            msg!("lora-spec-not-found", path = path.display().to_string())
        }
        LoraSpecError::NotSafetensors { path } => {
            msg!(
                "lora-spec-not-safetensors",
                path = path.display().to_string()
            )
        }
        LoraSpecError::HubMissingFile { repo, file } => {
            msg!("lora-spec-hub-missing-file", repo = repo, file = file)
        }
        LoraSpecError::Ambiguous { path, count } => msg!(
            "lora-spec-ambiguous",
            path = path.display().to_string(),
            count = *count
        ),
    }
}

fn title_error(e: &TitleError) -> Message {
    match e {
        TitleError::Empty => msg!("title-empty"),
        TitleError::TooLong {
            part,
            text,
            max_lines,
            width,
            min_px,
            chars_per_line,
        } => msg!(
            "title-too-long",
            part = part.name(),
            text = text.as_str(),
            lines = *max_lines,
            width = *width,
            px = *min_px,
            chars = *chars_per_line
        ),
        TitleError::MissingGlyphs { font, missing } => msg!(
            "title-missing-glyphs",
            font = font.name(),
            chars = missing
                .iter()
                .map(|c| format!("'{c}' (U+{:04X})", *c as u32))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TitleError::TooSmall { width, height } => {
            msg!("title-too-small", width = *width, height = *height)
        }
    }
}

fn style_error(e: &StyleError) -> Message {
    match e {
        StyleError::UnknownStyle { name, near } if near.is_empty() => {
            msg!("style-not-found", name = name)
        }
        StyleError::UnknownStyle { name, near } => msg!(
            "style-not-found-near",
            name = name,
            // The Korean title beside the name: people know 수채화 도시 풍경, not the slug.
            near = near
                .iter()
                .map(|(n, ko)| match ko {
                    Some(t) => format!("`{n}` ({t})"),
                    None => format!("`{n}`"),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        StyleError::Ambiguous { name, candidates } => msg!(
            "style-ambiguous",
            name = name,
            candidates = candidates
                .iter()
                .map(|(n, t)| format!("{n} ({t})"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        StyleError::EmptyStack { spec } => msg!("style-empty-stack", spec = spec),
        StyleError::ReadDir { path, source } => msg!(
            "style-read-dir",
            path = path.display().to_string(),
            reason = OsReason::of(source)
        ),
        StyleError::ReadFile { path, source } => msg!(
            "file-cannot-read",
            path = path.display().to_string(),
            reason = OsReason::of(source)
        ),
    }
}

fn shard_error(e: &ShardError) -> Message {
    let problem = match &e.problem {
        ShardProblem::NotTwoNumbers => msg!("shard-not-two-numbers"),
        ShardProblem::NotANumber(s) => msg!("shard-not-a-number", given = s),
        ShardProblem::NoShards => msg!("shard-no-shards"),
        ShardProblem::NumberedFromZero => msg!("shard-from-zero"),
        ShardProblem::NoSuchShard { index, count } => {
            msg!("shard-no-such", index = *index, count = *count)
        }
        ShardProblem::NoScheduler => msg!("shard-no-scheduler"),
        ShardProblem::TwoSchedulers => msg!("shard-two-schedulers"),
        ShardProblem::SlurmIncomplete => msg!("shard-slurm-incomplete"),
        ShardProblem::SlurmNotARange => msg!("shard-slurm-list"),
        ShardProblem::KubernetesNeedsCount => msg!("shard-kubernetes-count"),
        ShardProblem::BadVariable { variable, value } => {
            msg!("shard-bad-variable", variable = *variable, value = value)
        }
        ShardProblem::IndexOutOfRange {
            variable,
            index,
            count,
        } => msg!(
            "shard-index-out-of-range",
            variable = *variable,
            index = *index,
            count = *count
        ),
        ShardProblem::CountDisagrees { given, scheduler } => msg!(
            "shard-count-disagrees",
            given = *given,
            scheduler = *scheduler
        ),
    };
    if e.problem.is_auto() {
        msg!("shard-auto-bad", value = &e.value, problem = problem)
    } else {
        msg!("shard-bad", value = &e.value, problem = problem)
    }
}

fn size_error(e: &SizeError) -> Message {
    let side = |side: &str| match side {
        "width" => msg!("word-width"),
        _ => msg!("word-height"),
    };
    match e {
        SizeError::Unknown { given, near: None } => msg!("size-unknown", given = given),
        SizeError::Unknown {
            given,
            near: Some(near),
        } => msg!("size-unknown-near", given = given, near = near),
        SizeError::NotMultipleOf8 {
            side: s,
            value,
            lower,
            upper,
        } => msg!(
            "size-not-multiple-of-8",
            side = side(s),
            value = *value,
            lower = *lower,
            upper = *upper
        ),
        SizeError::TooSmall { side: s, value } => {
            msg!("size-too-small", side = side(s), value = *value)
        }
        SizeError::TooLarge {
            side: s,
            value,
            max,
        } => msg!("size-too-large", side = side(s), value = *value, max = *max),
    }
}

/// The network library's words for a failure, with a plain sentence first where the
/// language has one (English keeps them as they are).
fn network_detail(cause: crate::model::source::NetworkCause, detail: &str) -> Message {
    use crate::model::source::NetworkCause as C;
    match cause {
        C::NameNotFound => msg!("network-name-not-found", detail = detail),
        C::NoConnection => msg!("network-no-connection", detail = detail),
        C::Proxy => msg!("network-proxy", detail = detail),
        C::Interrupted => msg!("network-interrupted", detail = detail),
        C::Other => msg!("network-other", detail = detail),
    }
}

/// What was asked of the hub, in the reader's words (a file keeps its name).
fn hub_request(what: &crate::model::source::HubRequest) -> Message {
    use crate::model::source::HubRequest;
    match what {
        HubRequest::Connection => msg!("hub-request-connection"),
        HubRequest::FileList => msg!("hub-request-file-list"),
        HubRequest::RevisionRef => msg!("hub-request-revision-ref"),
        HubRequest::File(name) => msg!("hub-request-file", file = name),
    }
}

/// The model-source errors a new user meets first; the rarer ones keep their English.
fn source_error(e: &SourceError) -> Option<Message> {
    Some(match e {
        SourceError::Empty { presets } => msg!("model-empty", presets = presets),
        SourceError::UnknownModel { name, presets } => {
            msg!("model-unknown", name = name, presets = presets)
        }
        SourceError::FolderNotFound { path, presets } => msg!(
            "model-folder-not-found",
            path = path.display().to_string(),
            presets = presets
        ),
        SourceError::NotInCache {
            repo,
            revision,
            file,
            cache_dir,
            fetch_name,
        } => msg!(
            "model-not-in-cache",
            repo = repo,
            revision = revision,
            file = file,
            cache = cache_dir.display().to_string(),
            fetch = fetch_name,
            size = crate::model::presets::find(fetch_name)
                .map(|p| crate::commands::models::human_bytes(p.download_mb as u64 * 1024 * 1024))
                .unwrap_or_else(|| "unknown".to_string())
        ),
        SourceError::RepoNotFound {
            repo,
            revision,
            token_sent,
        } => msg!(
            "model-repo-not-found",
            repo = repo,
            revision = revision,
            token = if *token_sent { "sent" } else { "none" }
        ),
        SourceError::Network {
            endpoint,
            what,
            detail,
            cause,
        } => msg!(
            "model-network",
            endpoint = endpoint,
            what = hub_request(what),
            detail = network_detail(*cause, detail)
        ),
        SourceError::FetchOffline => msg!("model-fetch-offline"),
        SourceError::NotAFolder { path } => {
            msg!("model-not-a-folder", path = path.display().to_string())
        }
        SourceError::ConfigNotAFolder { value, presets } => msg!(
            "model-config-not-a-folder",
            value = value,
            presets = presets
        ),
        SourceError::CheckpointConfigNotCached {
            path,
            arch,
            preset,
            repo,
        } => msg!(
            "checkpoint-config-not-cached",
            path = path.display().to_string(),
            arch = *arch,
            preset = preset,
            repo = repo
        ),
        SourceError::ConfigWithoutCheckpoint { model } => {
            msg!("model-config-without-checkpoint", model = model)
        }
        // The reason is which rule of repo ids was broken, kept in the hub's own terms.
        SourceError::BadRepoId { value, reason } => {
            msg!("model-bad-repo-id", value = value, reason = *reason)
        }
        SourceError::MissingInFolder { folder, file } => msg!(
            "model-folder-missing-file",
            folder = folder.display().to_string(),
            file = file
        ),
        SourceError::BadModelIndex { file, detail } => msg!(
            "model-bad-model-index",
            file = file.display().to_string(),
            detail = detail
        ),
        SourceError::UnsupportedWeights { model, file } => {
            msg!("model-pickle-weights", model = model, file = file)
        }
        SourceError::BadShardIndex { file, detail } => msg!(
            "model-bad-shard-index",
            file = file.display().to_string(),
            detail = detail
        ),
        SourceError::Gated { repo, token_sent } => msg!(
            "model-gated",
            repo = repo,
            token = if *token_sent { "sent" } else { "none" }
        ),
        SourceError::RepoMissingFile { repo, file } => {
            msg!("model-repo-missing-file", repo = repo, file = file)
        }
        SourceError::HubAnswer {
            endpoint,
            what,
            detail,
        } => msg!(
            "model-hub-answer",
            endpoint = endpoint,
            what = hub_request(what),
            detail = detail
        ),
        SourceError::HubLied { endpoint, detail } => {
            msg!("model-hub-lied", endpoint = endpoint, detail = detail)
        }
        SourceError::Locked { file, lock } => msg!(
            "model-download-locked",
            file = hub_request(file),
            lock = lock.display().to_string()
        ),
        SourceError::FetchLocal { path, presets } => msg!(
            "model-fetch-local",
            path = path.display().to_string(),
            presets = presets
        ),
        SourceError::NoCacheDir => msg!("model-no-cache-dir"),
        // The action is one of a few English words, which the Korean message chooses by.
        SourceError::Io {
            action,
            path,
            source,
        } => msg!(
            "model-io",
            action = *action,
            path = path.display().to_string(),
            reason = OsReason::of(source)
        ),
        SourceError::Checkpoint(_) => return None,
    })
}

/// A bundle that is not one, arrived damaged, or could not be read or written.
fn bundle_error(e: &BundleError) -> Option<Message> {
    let shown = |p: &std::path::Path| p.display().to_string();
    Some(match e {
        BundleError::NotABundle { dir } => msg!("bundle-not-a-bundle", dir = shown(dir)),
        BundleError::NotEmpty { dir } => msg!("bundle-not-empty", dir = shown(dir)),
        BundleError::BadManifest { file, detail } => {
            msg!("bundle-bad-manifest", file = shown(file), detail = detail)
        }
        BundleError::Missing { file } => msg!("bundle-missing", file = shown(file)),
        BundleError::WrongSize {
            file,
            expected,
            found,
        } => msg!(
            "bundle-wrong-size",
            file = shown(file),
            expected = expected.to_string(),
            found = found.to_string()
        ),
        BundleError::WrongHash { file } => msg!("bundle-wrong-hash", file = shown(file)),
        // The action is one of a few English words, which the Korean message chooses by.
        BundleError::Io {
            action,
            path,
            source,
        } => msg!(
            "model-io",
            action = *action,
            path = shown(path),
            reason = OsReason::of(source)
        ),
    })
}

fn checkpoint_error(e: &SingleFileError) -> Message {
    let shown = |p: &std::path::Path| p.display().to_string();
    let component = component_key;
    let dims = shape_text;
    match e {
        SingleFileError::Read { path, source } => msg!(
            "checkpoint-unreadable",
            path = shown(path),
            reason = OsReason::of(source)
        ),
        SingleFileError::Truncated { path, needed, len } => msg!(
            "checkpoint-truncated",
            path = shown(path),
            needed = needed.to_string(),
            len = len.to_string()
        ),
        SingleFileError::NotSafetensors { path, detail } => msg!(
            "checkpoint-not-safetensors",
            path = shown(path),
            detail = detail
        ),
        SingleFileError::UnknownArchitecture {
            path,
            problem,
            keys,
        } => msg!(
            "checkpoint-unknown-arch",
            path = shown(path),
            problem = match problem {
                ArchProblem::Empty => "empty",
                ArchProblem::DiffusersNetwork => "diffusers-network",
                ArchProblem::NoUnet => "no-unet",
                ArchProblem::NoTextEncoder => "no-text-encoder",
                ArchProblem::NoVae => "no-vae",
                ArchProblem::LoneSecondEncoder => "lone-second-encoder",
            },
            keys = keys
        ),
        SingleFileError::Unsupported { path, what } => msg!(
            "checkpoint-unsupported",
            path = shown(path),
            what = match what {
                Unsupported::Inpainting => "inpainting",
                Unsupported::SdxlRefiner => "refiner",
            }
        ),
        SingleFileError::ConfigMismatch {
            path,
            arch,
            config_dir,
            config,
        } => msg!(
            "checkpoint-config-mismatch",
            path = shown(path),
            arch = *arch,
            config = shown(config_dir),
            kind = *config
        ),
        SingleFileError::MissingTensor {
            path,
            component: c,
            key,
            ..
        } => msg!(
            "checkpoint-missing-tensor",
            path = shown(path),
            key = key,
            component = component(c)
        ),
        SingleFileError::ShapeMismatch {
            path,
            component: c,
            key,
            config_dir,
            expected,
            got,
        } => msg!(
            "checkpoint-shape-mismatch",
            path = shown(path),
            key = key,
            component = component(c),
            config = shown(config_dir),
            expected = dims(expected),
            got = dims(got)
        ),
    }
}

/// An outline that cannot be read or has a mistake on a line.
fn outline_error(e: &OutlineError) -> Message {
    let shown = |p: &std::path::Path| p.display().to_string();
    match e {
        OutlineError::Unreadable { path, reason } => {
            msg!("outline-unreadable", path = shown(path), reason = reason)
        }
        OutlineError::NotUtf8 { path, line } => {
            msg!("outline-not-utf8", path = shown(path), line = *line)
        }
        OutlineError::CaptionTooLong {
            path,
            line,
            chars,
            max,
            start,
        } => msg!(
            "outline-caption-too-long",
            path = shown(path),
            line = *line,
            chars = *chars,
            max = *max,
            start = start
        ),
        OutlineError::BadEnglish { path, line, value } => msg!(
            "outline-bad-english",
            path = shown(path),
            line = *line,
            value = value
        ),
        OutlineError::BadSeed { path, line, value } => msg!(
            "outline-bad-seed",
            path = shown(path),
            line = *line,
            value = value
        ),
        OutlineError::UnknownSetting {
            path,
            line,
            key,
            known,
        } => msg!(
            "outline-unknown-setting",
            path = shown(path),
            line = *line,
            key = key,
            known = known
        ),
        OutlineError::WordProcessor { path, kind } => {
            msg!("outline-word-processor", path = shown(path), kind = *kind)
        }
        OutlineError::TooLarge { path, limit_mb } => {
            msg!("outline-too-large", path = shown(path), limit = *limit_mb)
        }
        OutlineError::TooManyFigures { path, line, limit } => msg!(
            "outline-too-many-figures",
            path = shown(path),
            line = *line,
            limit = *limit
        ),
        OutlineError::ControlCharacter { path, line, code } => msg!(
            "outline-control-character",
            path = shown(path),
            line = *line,
            code = code
        ),
        OutlineError::BadImagePath {
            path,
            line,
            value,
            problem,
        } => Message::new(
            problem.message_id(),
            vec![
                ("path", shown(path).into()),
                ("line", (*line).into()),
                ("value", value.as_str().into()),
            ],
        ),
        OutlineError::BadStrength { path, line, value } => msg!(
            "outline-bad-strength",
            path = shown(path),
            line = *line,
            value = value
        ),
        OutlineError::ImageInUpload { path, line, value } => msg!(
            "outline-image-in-upload",
            path = shown(path),
            line = *line,
            value = value
        ),
        OutlineError::StrengthWithoutImage { path, line } => msg!(
            "outline-strength-without-image",
            path = shown(path),
            line = *line
        ),
        OutlineError::BadLayout { path, line, value } => msg!(
            "outline-bad-layout",
            path = shown(path),
            line = *line,
            value = value
        ),
        OutlineError::LayoutWithoutCover { path, line } => msg!(
            "outline-layout-without-cover",
            path = shown(path),
            line = *line
        ),
        OutlineError::UnknownColumn { path, column } => msg!(
            "outline-csv-unknown-column",
            path = shown(path),
            column = column
        ),
        OutlineError::NoCaptionColumn { path } => {
            msg!("outline-csv-no-caption", path = shown(path))
        }
        OutlineError::DuplicateColumn { path, column } => msg!(
            "outline-csv-duplicate-column",
            path = shown(path),
            column = column
        ),
        OutlineError::BadSettings {
            path,
            line,
            block,
            problem,
        } => {
            let (kind, key) = problem.key();
            msg!(
                "outline-bad-settings",
                path = shown(path),
                line = *line,
                block = block,
                problem = kind,
                key = key
            )
        }
        OutlineError::BadFileName {
            path,
            line,
            value,
            problem,
        } => msg!(
            "outline-bad-file-name",
            path = shown(path),
            line = *line,
            value = value,
            problem = problem.key()
        ),
        // The CSV reader's own words about the row stay as they are, inside the sentence.
        OutlineError::Csv {
            path,
            line,
            problem,
        } => msg!(
            "outline-csv-row",
            path = shown(path),
            line = *line,
            problem = problem
        ),
        OutlineError::Empty { path, format } => {
            msg!("outline-empty", path = shown(path), format = format.key())
        }
        OutlineError::EmptyCaption { path, line, place } => msg!(
            "outline-empty-caption",
            path = shown(path),
            line = *line,
            place = place.key()
        ),
        OutlineError::UnknownStyle {
            path,
            line,
            style,
            message,
        } => msg!(
            "outline-unknown-style",
            path = shown(path),
            line = *line,
            style = style,
            reason = message
        ),
    }
}

/// The texts of an error and its causes, outermost first, in `lang`. A context added with
/// a [`Message`] (anyhow's `context`) is found by downcasting the whole error.
pub fn error_chain(err: &anyhow::Error, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    let mut causes = err.chain();
    let first = causes.next().expect("an error has itself in its chain");
    out.push(match err.downcast_ref::<Message>() {
        Some(m) => m.render(lang),
        None => message(first).render(lang),
    });
    let mut said_why = is_classified_write(first);
    for cause in causes {
        // The system's own words below a write failure already said in the user's language
        // ("File too large (os error 27)") would only repeat it in English.
        if said_why {
            break;
        }
        out.push(message(cause).render(lang));
        said_why = is_classified_write(cause);
    }
    out
}

fn is_classified_write(e: &(dyn Error + 'static)) -> bool {
    e.downcast_ref::<crate::output::OutputError>()
        .is_some_and(|o| {
            matches!(o, crate::output::OutputError::Write { .. }) && o.folder_problem().is_some()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::source::TranslatorError;
    use std::path::PathBuf;

    /// The catalogue's English for the errors mapped here is their own English, word for
    /// word: translating them changed nothing for English users. (Where the catalogue adds a
    /// hint the error did not have, the first line is compared.)
    #[test]
    fn the_catalogue_english_is_the_errors_own() {
        let p = || PathBuf::from("m/unet/config.json");
        let errors: Vec<Box<dyn Error>> = vec![
            Box::new(SourceError::MissingInFolder {
                folder: "m".into(),
                file: "unet/config.json".into(),
            }),
            Box::new(SourceError::BadRepoId {
                value: "a//b".into(),
                reason: "it has an empty part",
            }),
            Box::new(SourceError::UnsupportedWeights {
                model: "org/m".into(),
                file: "unet/diffusion_pytorch_model.bin".into(),
            }),
            Box::new(SourceError::Gated {
                repo: "org/m".into(),
                token_sent: true,
            }),
            Box::new(SourceError::RepoMissingFile {
                repo: "org/m".into(),
                file: "model_index.json".into(),
            }),
            Box::new(SourceError::Locked {
                file: crate::model::source::HubRequest::File("x".into()),
                lock: "x.lock".into(),
            }),
            Box::new(SourceError::NoCacheDir),
            Box::new(SourceError::Io {
                action: "download into the cache",
                path: "hub/x".into(),
                source: std::io::Error::other("disk full"),
            }),
            Box::new(PipelineError::Weights {
                component: "second text encoder",
                path: p(),
                message: "invalid header length".into(),
            }),
            Box::new(PipelineError::MissingWeight {
                component: "second text encoder",
                path: "m/text_encoder_2/model.safetensors".into(),
                name: "text_model.final_layer_norm.weight".into(),
            }),
            Box::new(PipelineError::WeightShape {
                component: "UNet",
                path: "m/unet/diffusion_pytorch_model.safetensors".into(),
                name: "conv_in.weight".into(),
                config_dir: "m/unet".into(),
                expected: vec![320, 4, 3, 3].into(),
                got: vec![320, 9, 3, 3].into(),
            }),
            Box::new(PipelineError::Build {
                component: "UNet",
                path: "m/unet".into(),
                message: "shape mismatch\nhint: the weights do not match config.json; check that both come from the same model and that the download is complete".into(),
            }),
            Box::new(PipelineError::Build {
                component: "VAE",
                path: "m/vae".into(),
                message: "the VAE weights do not fit".into(),
            }),
            Box::new(ConfigError::Parse {
                path: p(),
                what: "UNet config",
                line: 1,
                column: 2,
                message: "key must be a string".into(),
            }),
            Box::new(TranslatorError::Unknown {
                name: "x".into(),
                presets: "opus-mt-ko-en".into(),
            }),
            Box::new(TranslateError::MissingFile {
                dir: "t".into(),
                name: "config.json",
            }),
            Box::new(OutlineError::NoCaptionColumn { path: "o.csv".into() }),
            Box::new(BatchError::DuplicateFile {
                path: "o.md".into(),
                first: 2,
                second: 5,
                file: "bus.png".into(),
            }),
            Box::new(OutlineError::Csv {
                path: "o.csv".into(),
                line: 2,
                problem: msg!("untranslated", text = "this row has 1 cells"),
            }),
        ];
        // The rarer ones: outlines with nothing in them, a line's settings or file name, a
        // bad glossary line.
        use crate::outline::{CaptionPlace, FileNameProblem, OutlineFormat, SettingsProblem};
        let mut errors = errors;
        for format in [
            OutlineFormat::Markdown,
            OutlineFormat::Text,
            OutlineFormat::Csv,
        ] {
            errors.push(Box::new(OutlineError::Empty {
                path: "o.md".into(),
                format,
            }));
        }
        for place in [
            CaptionPlace::TextLine,
            CaptionPlace::CsvRow,
            CaptionPlace::MarkdownHeading,
            CaptionPlace::FigureLine,
        ] {
            errors.push(Box::new(OutlineError::EmptyCaption {
                path: "o.md".into(),
                line: 3,
                place,
            }));
        }
        for problem in [
            SettingsProblem::NotClosed,
            SettingsProblem::TwoBlocks,
            SettingsProblem::GivenTwice("seed".into()),
            SettingsProblem::NoValue("seed".into()),
            SettingsProblem::QuoteNotClosed("negative".into()),
            SettingsProblem::EmptyValue("style".into()),
        ] {
            errors.push(Box::new(OutlineError::BadSettings {
                path: "o.txt".into(),
                line: 1,
                block: "{seed}".into(),
                problem,
            }));
        }
        for problem in [
            FileNameProblem::Empty,
            FileNameProblem::HasFolder,
            FileNameProblem::BadCharacters,
            FileNameProblem::WindowsDevice,
            FileNameProblem::NotPng,
        ] {
            errors.push(Box::new(OutlineError::BadFileName {
                path: "o.txt".into(),
                line: 1,
                value: "x".into(),
                problem,
            }));
        }
        errors.push(Box::new(crate::translate::glossary::GlossaryError::Bad {
            path: "g.toml".into(),
            line: 2,
            problem: crate::translate::glossary::GlossaryProblem::NoEnglish {
                term: "공원".into(),
            },
        }));
        for e in errors {
            let m = message(e.as_ref());
            assert_ne!(m.id(), "untranslated", "{e}");
            let english = m.render(Lang::En);
            let own = e.to_string();
            if english.lines().count() > own.lines().count() {
                assert_eq!(english.lines().next(), own.lines().next());
            } else {
                assert_eq!(english, own);
            }
            assert_ne!(m.render(Lang::Ko), english, "{e}");
        }
        let read = SourceError::Io {
            action: "read",
            path: "hub/x".into(),
            source: std::io::Error::other("gone"),
        };
        assert_eq!(
            message(&read).render(Lang::Ko),
            "hub/x을(를) 읽지 못했습니다: gone"
        );
    }

    /// What was asked of the hub is named in the reader's language: the Korean network
    /// message said "the file list을(를) 받으려 했지만" on a PC without internet.
    #[test]
    fn a_hub_request_is_named_in_the_readers_words() {
        use crate::model::source::HubRequest;
        let network = |what| SourceError::Network {
            endpoint: "https://huggingface.co".into(),
            what,
            detail: "Dns Failed".into(),
            cause: crate::model::source::NetworkCause::NameNotFound,
        };
        for (what, ko) in [
            (HubRequest::FileList, "파일 목록을(를) 받으려"),
            (HubRequest::Connection, "모델 저장소 정보을(를) 받으려"),
            (HubRequest::RevisionRef, "버전(revision) 정보을(를) 받으려"),
            (
                HubRequest::File("unet/config.json".into()),
                "unet/config.json을(를) 받으려",
            ),
        ] {
            let e = network(what.clone());
            let m = message(&e);
            let (en, own) = (m.render(Lang::En), e.to_string());
            assert_eq!(en.lines().next(), own.lines().next());
            assert!(m.render(Lang::Ko).starts_with(ko), "{}", m.render(Lang::Ko));
        }
        let answer = SourceError::HubAnswer {
            endpoint: "https://huggingface.co".into(),
            what: HubRequest::FileList,
            detail: "HTTP 500".into(),
        };
        assert!(message(&answer).render(Lang::Ko).contains("파일 목록 요청"));
        // The library's English stays for whoever reads it, after a plain Korean reason.
        let ko = message(&network(HubRequest::FileList)).render(Lang::Ko);
        assert!(
            ko.contains("서버 주소를 찾지 못했습니다 (Dns Failed)"),
            "{ko}"
        );
        let locked = SourceError::Locked {
            file: HubRequest::FileList,
            lock: "x.lock".into(),
        };
        assert!(!message(&locked).render(Lang::Ko).contains("file list"));
    }
}
