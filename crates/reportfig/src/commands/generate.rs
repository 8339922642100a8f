//! `reportfig generate`: one caption, one PNG.

use std::path::PathBuf;

use serde::Serialize;

use crate::commands::session::{self, ImageOptions, ModelOptions};
use crate::commands::{BadInput, Event, Reporter};
use crate::msg;
use crate::output;
use crate::print::Finisher;
use crate::style::StyleLibrary;
use crate::translate::{CaptionTranslator, TranslateOptions};
use reportfig_engine::request::GenerationRequest;

/// `generate`'s checked options.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub caption: String,
    pub image: ImageOptions,
    pub seed: Option<u64>,
    pub output: Option<PathBuf>,
    /// Replace an existing output file.
    pub force: bool,
    /// How the default file name writes Korean words.
    pub naming: output::Naming,
    pub translate: TranslateOptions,
    pub model: ModelOptions,
}

/// What was made, for stdout (`--json` prints all of it).
#[derive(Debug, Clone, Serialize)]
pub struct GenerateOutcome {
    pub path: PathBuf,
    pub request: GenerationRequest,
    pub seconds: f64,
}

pub fn run(
    opts: &GenerateOptions,
    styles: &StyleLibrary,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<GenerateOutcome> {
    // Everything a user can get wrong is checked before anything slow (a download, the model
    // load): a wrong path must not cost minutes. The seed is only announced once the request
    // is known to be good, so an error is never preceded by a misleading "seed …" line.
    session::check_caption(&opts.caption)?;
    let seed = opts.seed.unwrap_or_else(session::fresh_seed);
    let default_name = output::default_file_name(opts.caption.trim(), seed, opts.naming);
    let path = session::png_output_path(opts.output.as_deref(), &default_name)?;
    session::check_output_folder(&path)?;
    if path.exists() && !opts.force {
        return Err(BadInput(msg!("file-exists", path = path.display().to_string())).into());
    }
    let finisher = Finisher::new(
        opts.image.finish.clone(),
        &reportfig_engine::pipeline::LoadContext::new(opts.model.load.isa),
    )?;
    let mut translator = CaptionTranslator::new(opts.translate.clone())?;
    let source = session::parse_model(&opts.model, reporter)?;
    // Translate first and free the translator, so its memory is not held beside the image
    // model's.
    translator.prepare(&[opts.caption.trim()], reporter)?;
    translator.unload();
    let english = translator.english(&opts.caption);
    let model = session::resolve_model(source, &opts.model, reporter)?;
    let (request, notes) = session::build_request(
        &opts.caption,
        english.as_ref(),
        &opts.image,
        seed,
        &model,
        styles,
    )?;
    if opts.seed.is_none() {
        reporter.event(Event::Note(msg!("note-random-seed", seed = seed)));
    }
    for n in notes {
        reporter.event(Event::Warning(n));
    }
    if let Some(n) = finisher.note() {
        reporter.event(Event::Note(n));
    }

    let mut pipeline = model.load(&opts.model, reporter)?;
    let made = pipeline.generate(&request, &mut |p| reporter.event(Event::Pipeline(p)))?;
    if !made.dropped_words.is_empty() {
        reporter.event(Event::Warning(session::dropped_words_warning(
            &made.dropped_words,
        )));
    }
    let (image, record) = finisher.apply(made.image)?;
    output::save_finished(&path, &image, &request, record.as_ref(), opts.force)?;
    session::record_licence_notice(&opts.model, &model);
    reporter.event(Event::Finished);
    Ok(GenerateOutcome {
        path,
        request,
        seconds: made.seconds,
    })
}
