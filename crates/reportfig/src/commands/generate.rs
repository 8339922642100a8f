//! `reportfig generate`: one caption, one PNG.

use std::path::PathBuf;

use serde::Serialize;

use crate::commands::session::{self, ModelOptions};
use crate::commands::{retitle, BadInput, Event, Reporter};
use crate::model::tiny_decoder::DraftDecoder;
use crate::msg;
use crate::output::{self, PrintRecord};
use crate::print::Finisher;
use crate::settings::ImageOptions;
use crate::style::StyleLibrary;
use crate::title::{self, TitleRecord, TitleSpec};
use crate::translate::{CaptionTranslator, TranslateOptions};
use reportfig_engine::pipeline::{Pipeline, StartPicture};
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
    /// `--title`: the picture is written titled to the output path and plain beside it
    /// (`NAME.untitled.png`).
    pub title: Option<TitleSpec>,
    /// `--decoder tiny`: the `AutoencoderTiny` folder that makes a draft instead of the
    /// model's VAE.
    pub draft_decoder: Option<DraftDecoder>,
}

/// What was made, for stdout (`--json` prints all of it).
#[derive(Debug, Clone, Serialize)]
pub struct GenerateOutcome {
    pub path: PathBuf,
    pub request: GenerationRequest,
    pub seconds: f64,
    /// With `--title`: the plain picture kept beside the titled one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untitled: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<TitleRecord>,
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
    session::remove_stale_temporaries_beside(&path);
    if path.exists() && !opts.force {
        return Err(BadInput(msg!("file-exists", path = path.display().to_string())).into());
    }
    let untitled = opts.title.as_ref().map(|_| title::untitled_path(&path));
    if let Some(u) = &untitled {
        if u.exists() && !opts.force {
            return Err(BadInput(msg!("file-exists", path = u.display().to_string())).into());
        }
    }
    if let Some(spec) = &opts.title {
        spec.check().map_err(|e| BadInput::from_error(&e))?;
    }
    crate::settings::check_given(&opts.image, styles).map_err(BadInput)?;
    let finisher = session::finisher(&opts.image.finish, &opts.model, reporter)?;
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
    if let Some(spec) = &opts.title {
        // A title too long for this size is refused before minutes of generating.
        title::typeset(spec, request.width, request.height)
            .map_err(|e| BadInput::from_error(&e))?;
    }
    if opts.seed.is_none() {
        reporter.event(Event::Note(msg!("note-random-seed", seed = seed)));
    }
    for n in notes {
        reporter.event(Event::Warning(n));
    }
    if let Some(n) = finisher.note(Some((request.width, request.height))) {
        reporter.event(Event::Note(n));
    }

    // A draft decoder that cannot load is found before the model loads and the UNet runs.
    let draft = match &opts.draft_decoder {
        Some(choice) => {
            let latent = (request.height as usize / 8, request.width as usize / 8);
            Some(session::load_draft_decoder(
                choice,
                model.family,
                &opts.model,
                latent,
                reporter,
            )?)
        }
        None => None,
    };
    let mut request = request;
    let mut pipeline = model.load(&opts.model, &request.loras, reporter)?;
    if let Some((label, decoder)) = draft {
        pipeline
            .use_draft_decoder(decoder)
            .map_err(|e| BadInput::from_error(&e))?;
        request.draft_decoder = Some(label);
    }
    let start = opts
        .image
        .init
        .as_ref()
        .map(|init| init.fitted(request.width, request.height));
    let Rendered {
        image,
        print,
        seconds,
    } = render(
        &mut pipeline,
        &request,
        start.as_ref().map(|s| s.start()),
        &finisher,
        &|| false,
        reporter,
    )?;
    let mut record = None;
    match (&opts.title, &untitled) {
        (Some(spec), Some(untitled)) => {
            // The plain picture first: the titled one names it, and retitle starts from it.
            output::save_finished(untitled, &image, &request, print.as_ref(), opts.force)?;
            let palette = retitle::palette_of(&request, styles);
            let plain = retitle::Plain {
                path: untitled,
                image: &image,
                request: &request,
                print: print.as_ref(),
            };
            let (made, _) = retitle::write_titled(&path, &plain, spec, &palette, opts.force)?;
            record = Some(made);
        }
        _ => {
            output::save_finished(&path, &image, &request, print.as_ref(), opts.force)?;
        }
    }
    session::record_licence_notice(&opts.model, &model);
    reporter.event(Event::Finished);
    Ok(GenerateOutcome {
        path,
        request,
        seconds,
        untitled,
        title: record,
    })
}

/// One request's finished picture, ready for [`output::save_finished`].
pub struct Rendered {
    pub image: image::RgbImage,
    /// Set when the picture was enlarged for print.
    pub print: Option<PrintRecord>,
    /// Generation time (model work, not the finishing).
    pub seconds: f64,
}

/// Makes one request's picture on a loaded pipeline (from `start`, the pixels of
/// `request.init_image`, for image to image), as `generate` and `serve` both do: the
/// pipeline's progress and the notes a user should hear go to `reporter`, and the picture is
/// finished (enlarged for print) so that [`output::save_finished`] writes it with its
/// metadata. `should_stop` is asked before every step; once it says yes the result is
/// [`reportfig_engine::pipeline::PipelineError::Stopped`] and nothing is finished.
pub fn render(
    pipeline: &mut Pipeline,
    request: &GenerationRequest,
    start: Option<StartPicture<'_>>,
    finisher: &Finisher,
    should_stop: &dyn Fn() -> bool,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<Rendered> {
    let made = pipeline.generate_until(
        request,
        start,
        &mut |p| reporter.event(Event::Pipeline(p)),
        should_stop,
    )?;
    if request.draft_decoder.is_some() {
        reporter.event(Event::Note(msg!(
            "note-draft-made",
            seed = request.seed.to_string()
        )));
    }
    if !made.dropped_words.is_empty() {
        reporter.event(Event::Warning(session::dropped_words_warning(
            &made.dropped_words,
        )));
    }
    // Enlarged for print first, so a title is typeset at the size it will be printed.
    let (image, print) = finisher.apply(made.image)?;
    Ok(Rendered {
        image,
        print,
        seconds: made.seconds,
    })
}
