//! `reportfig generate`: one caption, one PNG.

use std::path::PathBuf;

use serde::Serialize;

use crate::commands::session::{self, ImageOptions, ModelOptions};
use crate::commands::{BadInput, Event, Reporter};
use crate::output;
use crate::request::GenerationRequest;
use crate::style::StyleLibrary;

/// `generate`'s checked options.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub caption: String,
    pub image: ImageOptions,
    pub seed: Option<u64>,
    pub output: Option<PathBuf>,
    /// Replace an existing output file.
    pub force: bool,
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
    let source = session::parse_model(&opts.model, reporter)?;
    let seed = match opts.seed {
        Some(s) => s,
        None => {
            let s = session::fresh_seed();
            reporter.event(Event::Note(format!(
                "seed {s} (pass --seed {s} to make this image again)"
            )));
            s
        }
    };
    let model = session::resolve_model(source, &opts.model, reporter)?;
    let (request, notes) =
        session::build_request(&opts.caption, &opts.image, seed, &model, styles)?;
    for n in notes {
        reporter.event(Event::Warning(n));
    }

    // Everything a user can get wrong is checked before the model loads: a wrong path must
    // not cost minutes of computation.
    let path = opts
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(output::default_file_name(&request.caption, seed)));
    session::check_output_folder(&path)?;
    if path.exists() && !opts.force {
        return Err(BadInput(format!(
            "{} already exists\nhint: pass --force to replace it, or choose another name with -o",
            path.display()
        ))
        .into());
    }

    let mut pipeline = model.load(&opts.model, reporter)?;
    let made = pipeline.generate(&request, &mut |p| reporter.event(Event::Pipeline(p)))?;
    if !made.dropped_words.is_empty() {
        reporter.event(Event::Warning(format!(
            "the prompt is longer than the model reads (77 tokens); left out: {}",
            made.dropped_words.join(" ")
        )));
    }
    let image = session::apply_crop(made.image, &request);
    output::save_generated(&path, &image, &request, opts.force)?;
    reporter.event(Event::Finished);
    Ok(GenerateOutcome {
        path,
        request,
        seconds: made.seconds,
    })
}
