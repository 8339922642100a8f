//! `reportfig batch`: illustrate every figure of an outline with the real pipeline.
//!
//! The planning, resume, shard, manifest and gallery logic lives in [`crate::batch`] behind
//! small traits; this module plugs in the real pieces: requests from
//! [`session::build_request`], PNGs from [`crate::output`], images from one loaded
//! [`Pipeline`] (loaded once, and only when something needs making).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::batch::{
    self, Action, BatchError, BatchEvent, BatchSettings, Existing, FigureRenderer, FigureSpec,
    FigureStore, Plan, Shard, StepProgress, StoreError,
};
use crate::commands::session::{self, ModelOptions, ResolvedModel};
use crate::commands::{retitle, BadInput, Event, Reporter};
use crate::i18n::Message;
use crate::init_image::{InitPicture, DEFAULT_STRENGTH};
use crate::model::source::ModelSource;
use crate::model::tiny_decoder::DraftDecoder;
use crate::msg;
use crate::outline::{self, OutlineFormat};
use crate::output::{self, OutputError};
use crate::settings::ImageOptions;
use crate::style::StyleLibrary;
use crate::title::{self, TitleSpec};
use crate::translate::{self, CaptionTranslator, English, TranslateOptions};
use reportfig_engine::pipeline::tiny_vae::TinyDecoder;
use reportfig_engine::pipeline::vae::VaeUse;
use reportfig_engine::pipeline::{Pipeline, Progress};
use reportfig_engine::request::{AppliedLora, GenerationRequest};

/// `batch`'s checked options.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub outline: PathBuf,
    /// Batch-wide settings; a figure's own `{style=… size=… negative=…}` wins.
    pub image: ImageOptions,
    pub base_seed: u64,
    /// Figures folder; `None` is `figures/` next to the outline.
    pub out: Option<PathBuf>,
    pub force: bool,
    /// `I/N` as typed.
    pub shard: Option<String>,
    pub dry_run: bool,
    /// Also write `outline.illustrated.md` (Markdown outlines only).
    pub markdown: bool,
    /// Also write a Word document with the headings, figures and numbered captions.
    pub docx: Option<PathBuf>,
    /// `--cover`: the outline's first figure is its cover, as if it had `{cover}`.
    pub cover: bool,
    /// `--title`, `--subtitle`, `--title-layout`, `--title-font`: how covers are titled.
    pub cover_title: CoverTitle,
    /// `--decoder tiny`: the `AutoencoderTiny` folder that decodes every figure as a draft.
    pub draft_decoder: Option<DraftDecoder>,
    /// How figure file names write Korean words.
    pub naming: output::Naming,
    /// The gallery's language.
    pub lang: crate::i18n::Lang,
    pub translate: TranslateOptions,
    pub model: ModelOptions,
}

/// How a batch titles its covers. A title or subtitle given here makes the first figure the
/// cover when the outline marks none, so `batch captions.txt --title …` needs no `{cover}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoverTitle {
    /// `--title`; `None` is the outline's first heading.
    pub title: Option<String>,
    pub subtitle: Option<String>,
    /// Where the title goes, unless a cover's own `{cover layout=…}` says otherwise.
    pub layout: title::TitleLayout,
    pub font: title::TitleFont,
}

impl CoverTitle {
    fn asks_for_a_cover(&self) -> bool {
        self.title.is_some() || self.subtitle.is_some()
    }
}

/// What the run did: `lines` for the terminal (rendered by the caller in the user's
/// language), `json` for `--json`, and whether every figure
/// this run was responsible for is now on disk (false: a figure failed or the run was
/// stopped; exit code 1).
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    pub lines: Vec<Message>,
    pub json: Value,
    pub success: bool,
    /// The run stopped early because `cancel` was set (Ctrl-C).
    pub cancelled: bool,
}

/// PNGs with reportfig metadata, written atomically ([`crate::output`]).
pub struct OutputStore;

impl FigureStore for OutputStore {
    fn existing(&self, path: &std::path::Path) -> Existing {
        if std::fs::symlink_metadata(path).is_err() {
            return Existing::Missing;
        }
        match output::read_metadata(path) {
            // Our chunk sits before the pixels, so it outlives a truncation: decode it all.
            Ok(Some(request)) => match image::open(path) {
                Ok(_) => Existing::Made(Box::new(request)),
                Err(e) => Existing::Unusable {
                    reason: msg!("unusable-damaged", detail = e.to_string()),
                },
            },
            Ok(None) => Existing::Foreign,
            Err(e @ (OutputError::BadMetadata { .. } | OutputError::NewerFormat { .. })) => {
                Existing::Unusable {
                    reason: crate::explain::message(&e),
                }
            }
            // Not a PNG at all, or unreadable: nothing says it is ours.
            Err(_) => Existing::Foreign,
        }
    }

    fn write_png(
        &self,
        path: &std::path::Path,
        image: &image::RgbImage,
        request: &GenerationRequest,
    ) -> Result<(), StoreError> {
        output::save_generated(path, image, request, true)?;
        Ok(())
    }
}

/// The store of a batch: each image is first finished for `--dpi`/`--print`; figures whose
/// caption is a cover's (`{cover}` in the outline) are then written titled, with the plain
/// picture beside them (`NN-slug.untitled.png`), as `generate --title` does; everything else
/// as [`OutputStore`] writes it, with the print record.
pub struct CoverStore<'a> {
    /// Caption of each cover figure -> its title.
    pub covers: BTreeMap<String, TitleSpec>,
    pub styles: &'a StyleLibrary,
    pub finisher: crate::print::Finisher,
}

impl CoverStore<'_> {
    fn title_for(&self, request: &GenerationRequest) -> Option<&TitleSpec> {
        self.covers.get(&request.caption)
    }
}

impl FigureStore for CoverStore<'_> {
    fn existing(&self, path: &std::path::Path) -> Existing {
        let found = OutputStore.existing(path);
        let Existing::Made(request) = &found else {
            return found;
        };
        let Some(spec) = self.title_for(request) else {
            return found;
        };
        // A cover is up to date only with its plain picture beside it and the same title.
        match output::read_titled_metadata(path) {
            Ok(Some((_, Some(record)))) if record.spec == *spec => {
                if path.with_file_name(&record.untitled).is_file() {
                    found
                } else {
                    Existing::Unusable {
                        reason: msg!("unusable-untitled-missing", file = record.untitled.as_str()),
                    }
                }
            }
            _ => Existing::Unusable {
                reason: msg!("unusable-no-title"),
            },
        }
    }

    fn write_png(
        &self,
        path: &std::path::Path,
        image: &image::RgbImage,
        request: &GenerationRequest,
    ) -> Result<(), StoreError> {
        let (image, print) = self
            .finisher
            .apply(image.clone())
            .map_err(|e| StoreError::Figure(crate::explain::message(&e)))?;
        let Some(spec) = self.title_for(request) else {
            output::save_finished(path, &image, request, print.as_ref(), true)?;
            return Ok(());
        };
        let untitled = title::untitled_path(path);
        output::save_finished(&untitled, &image, request, print.as_ref(), true)?;
        let palette = retitle::palette_of(request, self.styles);
        let plain = retitle::Plain {
            path: &untitled,
            image: &image,
            request,
            print: print.as_ref(),
        };
        retitle::write_titled(path, &plain, spec, &palette, true)
            .map(|_| ())
            .map_err(|e| {
                match e
                    .downcast_ref::<OutputError>()
                    .and_then(|o| o.folder_problem())
                {
                    Some((_, problem)) => StoreError::Folder(problem),
                    None => StoreError::Figure(crate::explain::message(&*e)),
                }
            })
    }
}

/// The loaded pipeline as a batch renderer: the model loads once for the whole run.
pub struct PipelineRenderer<'a> {
    pipeline: Pipeline,
    /// Decodes every figure instead of the model's VAE (`--decoder tiny`), also after a reload.
    draft: Option<TinyDecoder>,
    /// The LoRAs merged into `pipeline`.
    loras: Vec<AppliedLora>,
    /// Loads the model again with other LoRAs (figures whose styles name different ones).
    reload: Option<LoraReload<'a>>,
    /// Prompt words the text encoder could not read, per file, reported after the run.
    pub dropped: Vec<(String, Vec<String>)>,
    /// The figures' starting pictures by SHA-256, as their requests record them.
    pictures: HashMap<String, Arc<InitPicture>>,
}

/// Loads the model with the given LoRAs merged in.
pub type LoraReload<'a> = Box<dyn FnMut(&[AppliedLora]) -> anyhow::Result<Pipeline> + 'a>;

impl<'a> PipelineRenderer<'a> {
    /// A renderer for requests without LoRAs.
    pub fn new(pipeline: Pipeline) -> Self {
        Self {
            pipeline,
            draft: None,
            loras: Vec::new(),
            reload: None,
            dropped: Vec::new(),
            pictures: HashMap::new(),
        }
    }

    /// The starting pictures the figures' requests name (`image=` in the outline).
    pub fn with_pictures(mut self, pictures: impl IntoIterator<Item = Arc<InitPicture>>) -> Self {
        self.pictures = pictures
            .into_iter()
            .map(|p| (picture_key(&p.record), p))
            .collect();
        self
    }

    /// A renderer whose `pipeline` has `loras` merged in, loading the model again through
    /// `reload` when a request asks for other LoRAs.
    pub fn with_loras(pipeline: Pipeline, loras: Vec<AppliedLora>, reload: LoraReload<'a>) -> Self {
        Self {
            loras,
            reload: Some(reload),
            ..Self::new(pipeline)
        }
    }

    /// Decode with the draft decoder from now on.
    pub fn use_draft_decoder(&mut self, decoder: TinyDecoder) -> anyhow::Result<()> {
        self.pipeline
            .use_draft_decoder(decoder.clone())
            .map_err(|e| BadInput::from_error(&e))?;
        self.draft = Some(decoder);
        Ok(())
    }
}

impl FigureRenderer for PipelineRenderer<'_> {
    fn render(
        &mut self,
        request: &GenerationRequest,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<image::RgbImage, Message> {
        if request.loras != self.loras {
            let Some(reload) = self.reload.as_mut() else {
                return Err(msg!(
                    "internal-error",
                    detail = "the model was loaded without this figure's LoRAs"
                ));
            };
            self.pipeline = reload(&request.loras).map_err(|e| first_message(&e))?;
            if let Some(d) = &self.draft {
                self.pipeline
                    .use_draft_decoder(d.clone())
                    .map_err(|e| crate::explain::message(&e))?;
            }
            self.loras = request.loras.clone();
        }
        let start = match &request.init_image {
            Some(init) => Some(
                self.pictures
                    .get(&picture_key(init))
                    .ok_or_else(|| {
                        msg!(
                            "internal-error",
                            detail = format!("the starting picture {} was not read", init.file)
                        )
                    })?
                    .fitted(request.width, request.height),
            ),
            None => None,
        };
        let made = self
            .pipeline
            .generate_from(request, start.as_ref().map(|s| s.start()), &mut |p| {
                if let Progress::Step { done, total } = p {
                    progress(StepProgress {
                        step: done as u32,
                        total: total as u32,
                    })
                }
            })
            .map_err(|e| crate::explain::message(&e))?;
        if !made.dropped_words.is_empty() {
            self.dropped
                .push((request.caption.clone(), made.dropped_words.clone()));
        }
        Ok(made.image)
    }
}

/// A figure's starting picture and its mask, as the outline names them.
pub(crate) type PictureFiles = (PathBuf, Option<PathBuf>);

/// A starting picture by content: the photo's hash, and its mask's when it has one (the same
/// photo with two masks is two pictures to start from).
fn picture_key(record: &reportfig_engine::request::InitImage) -> String {
    match &record.mask {
        Some(mask) => format!("{}+{}", record.sha256, mask.sha256),
        None => record.sha256.clone(),
    }
}

/// The words of an error from reloading the model: its outermost message (a context
/// given as a [`Message`] included).
fn first_message(e: &anyhow::Error) -> Message {
    match e.downcast_ref::<Message>() {
        Some(m) => m.clone(),
        None => crate::explain::message(&**e),
    }
}

/// Stands in when nothing needs making, so an up-to-date run never loads the model.
struct NoRenderer;

impl FigureRenderer for NoRenderer {
    fn render(
        &mut self,
        _: &GenerationRequest,
        _: &mut dyn FnMut(StepProgress),
    ) -> Result<image::RgbImage, Message> {
        Err(msg!(
            "internal-error",
            detail = "no model was loaded because nothing needed making"
        ))
    }
}

/// The image settings of one figure: the batch's, with the figure's own overrides on top. A
/// figure's `negative=` replaces the style's negative prompt (and `--negative`).
pub fn figure_image_options(batch: &ImageOptions, spec: &FigureSpec<'_>) -> ImageOptions {
    let mut image = batch.clone();
    let o = spec.overrides;
    if let Some(s) = &o.style {
        image.style = Some(s.clone());
    }
    if let Some(s) = &o.size {
        image.size = Some(s.clone());
    }
    if let Some(n) = &o.negative {
        image.negative = Some(n.clone());
    }
    image
}

/// A figure's own `en=`, which the model reads instead of a translation.
pub fn given_english(overrides: &outline::Overrides) -> Option<English> {
    overrides.en.as_ref().map(|en| English {
        text: en.clone(),
        translated_by: "given".into(),
    })
}

pub fn run(
    opts: &BatchOptions,
    styles: &StyleLibrary,
    cancel: &AtomicBool,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<BatchOutcome> {
    let shard = opts
        .shard
        .as_deref()
        .map(|v| Shard::resolve(v, &|name| std::env::var(name).ok()))
        .transpose()
        .map_err(|e| BadInput::from_error(&e))?;
    crate::settings::check_given(&opts.image, styles).map_err(BadInput)?;
    // A dry run downloads nothing and loads no network, the upscaler's included.
    let finisher = if opts.dry_run {
        crate::print::Finisher::plain(opts.image.finish.clone())
    } else {
        session::finisher(&opts.image.finish, &opts.model, reporter)?
    };
    let style_check = |name: &str| {
        styles
            .resolve_stack(name)
            .map(|_| ())
            .map_err(|e| crate::explain::message(&e))
    };
    let mut outline = outline::read_outline(&opts.outline, &style_check)?;
    let no_cover = !outline.items.iter().any(|i| i.overrides.cover);
    if opts.cover || (opts.cover_title.asks_for_a_cover() && no_cover) {
        if let Some(first) = outline.items.first_mut() {
            first.overrides.cover = true;
        }
    }
    if opts.markdown && outline.format != OutlineFormat::Markdown {
        return Err(BadInput(msg!(
            "batch-markdown-needs-md",
            path = outline.path.display().to_string(),
            format = outline.format.to_string()
        ))
        .into());
    }

    let settings = BatchSettings {
        out_dir: opts
            .out
            .clone()
            .unwrap_or_else(|| batch::default_out_dir(&outline.path)),
        base_seed: opts.base_seed,
        force: opts.force,
        shard,
        naming: opts.naming,
        gallery: batch::GalleryOptions {
            lang: opts.lang,
            style_titles: styles
                .iter()
                .map(|l| (l.style.name.clone(), l.style.title.clone()))
                .collect(),
        },
    };
    // A document the user edited since the last run must not be lost at the end of a long
    // batch: refused now, before any work.
    if let Some(docx) = &opts.docx {
        if !opts.dry_run {
            batch::check_replaceable(docx, &settings.out_dir, opts.force).map_err(plan_error)?;
        }
    }
    // Found before any translation or model work, and said in the words of the flag.
    if settings.out_dir.exists() && !settings.out_dir.is_dir() {
        return Err(BadInput(msg!(
            "batch-out-not-folder",
            path = settings.out_dir.display().to_string()
        ))
        .into());
    }
    let source = session::parse_model(&opts.model, reporter)?;
    let translator = translate_captions(opts, &outline, &settings.out_dir, reporter)?;
    let model = if opts.dry_run {
        model_for_plan(source, &opts.model, reporter)?
    } else {
        session::resolve_model(source, &opts.model, reporter)?
    };
    // The draft decoder reads this family's latents unless one was named; one that cannot
    // load is found before any figure is planned. A dry run only names it.
    let draft = match &opts.draft_decoder {
        Some(choice) if opts.dry_run => Some((choice.source(model.family).label(), None)),
        Some(choice) => {
            let (label, decoder) =
                session::load_draft_decoder(choice, model.family, &opts.model, (64, 64), reporter)?;
            Some((label, Some(decoder)))
        }
        None => None,
    };

    // Notes are kept per figure (caption and seed identify it here) and shown with its file
    // name, and only for figures this run makes: a re-run of an up-to-date outline is quiet.
    let covers = cover_titles(&outline, &opts.cover_title)?;
    let notes: RefCell<Vec<(String, u64, Message)>> = RefCell::new(Vec::new());
    // Each starting picture is read once, however many figures start from it, and before
    // any figure is made, so a bad one stops the batch at once.
    let pictures: RefCell<HashMap<PictureFiles, Arc<InitPicture>>> = RefCell::new(HashMap::new());
    let build = |spec: &FigureSpec<'_>| -> Result<GenerationRequest, Message> {
        let mut image = figure_image_options(&opts.image, spec);
        if let Some(path) = &spec.overrides.image {
            let key = (path.clone(), spec.overrides.mask.clone());
            let found = pictures.borrow().get(&key).cloned();
            let picture = match found {
                Some(p) => p,
                None => {
                    let p = InitPicture::open(path, DEFAULT_STRENGTH);
                    let p = match &spec.overrides.mask {
                        Some(mask) => p.and_then(|p| p.with_mask(mask)),
                        None => p,
                    };
                    Arc::new(p.map_err(|e| e.message())?)
                }
            };
            pictures.borrow_mut().insert(key, picture.clone());
            let strength = spec.overrides.strength.unwrap_or(DEFAULT_STRENGTH);
            image.init = Some(Arc::new(picture.with_strength(strength)));
        }
        let english = given_english(spec.overrides).or_else(|| translator.english(spec.caption));
        let (request, figure_notes) = session::build_request(
            spec.caption,
            english.as_ref(),
            &image,
            spec.seed,
            &model,
            styles,
        )
        .map_err(|e| e.0)?;
        let mut request = request;
        request.draft_decoder = draft.as_ref().map(|(label, _)| label.clone());
        // A cover title too long for the figure's size is refused now, not after generating.
        if let Some(title) = covers.get(spec.caption) {
            title::typeset(title, request.width, request.height)
                .map_err(|e| crate::explain::message(&e))?;
        }
        let mut all = notes.borrow_mut();
        for n in figure_notes {
            all.push((spec.caption.to_string(), spec.seed, n));
        }
        Ok(request)
    };
    let store = CoverStore {
        covers: covers.clone(),
        styles,
        finisher,
    };
    let plan = batch::plan(&outline, &settings, &build, &store).map_err(plan_error)?;
    let notes = notes.take();
    for f in &plan.figures {
        if !(opts.dry_run || f.action.generates()) {
            continue;
        }
        for (caption, seed, note) in &notes {
            if *caption == f.job.caption && *seed == f.job.request.seed {
                reporter.event(Event::Warning(msg!(
                    "warn-for-figure",
                    file = &f.job.file_name,
                    text = note
                )));
            }
        }
    }

    if opts.dry_run {
        return Ok(BatchOutcome {
            lines: batch::plan_lines(&plan),
            json: plan_json(&plan),
            success: true,
            cancelled: false,
        });
    }
    // Nothing is loaded or made while another run fills the same folder.
    std::fs::create_dir_all(&plan.out_dir).map_err(|e| {
        anyhow::anyhow!(batch::BatchError::Write {
            path: plan.out_dir.clone(),
            problem: output::WriteProblem::of(&e),
        })
    })?;
    let _run_lock = batch::lock_run(&plan).map_err(|e| anyhow::anyhow!(e))?;

    // Figures that start from a picture encode it: the VAE's encoder gets the fast
    // convolutions only then.
    let mut model_opts = opts.model.clone();
    if outline.items.iter().any(|i| i.overrides.image.is_some()) {
        model_opts.load.vae_use = VaeUse::EncodeToo;
    }
    let model_opts = &model_opts;
    let mut pipeline_renderer = if plan.to_generate() > 0 {
        // Loaded with the LoRAs of the first figure to make; others load it again.
        let first = plan
            .figures
            .iter()
            .find(|f| f.action.generates())
            .map(|f| f.job.request.loras.clone())
            .unwrap_or_default();
        let pipeline = model.load(model_opts, &first, reporter)?;
        let reload = |loras: &[AppliedLora]| {
            model.load(model_opts, loras, &mut crate::commands::Recorder::default())
        };
        let mut renderer = PipelineRenderer::with_loras(pipeline, first, Box::new(reload))
            .with_pictures(pictures.borrow().values().cloned());
        if let Some((_, Some(decoder))) = &draft {
            renderer.use_draft_decoder(decoder.clone())?;
        }
        Some(renderer)
    } else {
        None
    };
    let mut no_renderer = NoRenderer;
    let renderer: &mut dyn FigureRenderer = match pipeline_renderer.as_mut() {
        Some(r) => r,
        None => &mut no_renderer,
    };
    if let Some(n) = store.finisher.note(None) {
        reporter.event(Event::Note(n));
    }
    let summary = batch::run(&plan, renderer, &store, cancel, &mut |e| {
        reporter.event(batch_event(e));
    })
    .map_err(|e| anyhow::anyhow!(e))?;
    if !summary.generated.is_empty() {
        session::record_licence_notice(&opts.model, &model);
    }
    if let Some(r) = &pipeline_renderer {
        for (caption, words) in &r.dropped {
            let file = plan
                .figures
                .iter()
                .find(|f| f.job.caption == *caption)
                .map_or_else(|| format!("\"{caption}\""), |f| f.job.file_name.clone());
            reporter.event(Event::Warning(msg!(
                "warn-for-figure",
                file = file,
                text = session::dropped_words_warning(words)
            )));
        }
    }
    reporter.event(Event::Finished);
    if draft.is_some() && !summary.generated.is_empty() {
        reporter.event(Event::Note(msg!("note-draft-batch")));
    }

    let mut lines = summary.lines();
    let mut illustrated = None;
    // Other shards may be writing the same documents from the same folder right now.
    let _lock = batch::lock_for_shards(&plan).map_err(|e| anyhow::anyhow!(e))?;
    if opts.markdown {
        let path =
            batch::write_illustrated_markdown(&outline, &plan).map_err(|e| anyhow::anyhow!(e))?;
        lines.push(msg!(
            "summary-illustrated",
            path = path.display().to_string()
        ));
        illustrated = Some(path);
    }
    if let Some(path) = &opts.docx {
        batch::write_docx(&outline, &plan, path, opts.force, opts.lang).map_err(plan_error)?;
        lines.push(msg!("summary-docx", path = path.display().to_string()));
    }
    let json = json!({
        "docx": opts.docx,
        "outline": plan.outline_path,
        "out_dir": plan.out_dir,
        "shard": plan.shard.map(|s| s.to_string()),
        "generated": summary.generated,
        "skipped": summary.skipped,
        "other_shard": summary.other_shard,
        "failed": summary.failed.iter().map(|(file, error)| json!({"file": file, "error": error.render(crate::i18n::Lang::En)})).collect::<Vec<_>>(),
        "cancelled": summary.cancelled,
        "not_started": summary.not_started,
        "stray": summary.stray,
        "manifest": summary.manifest,
        "gallery": summary.gallery,
        "illustrated_markdown": illustrated,
        "success": summary.is_success(),
    });
    Ok(BatchOutcome {
        lines,
        json,
        success: summary.is_success(),
        cancelled: summary.cancelled,
    })
}

/// The model for `--dry-run`: whatever is already on this machine (cache or folder), never a
/// download; a preset that is not downloaded is planned from its own defaults and family.
/// `{cover}` figures and their title: `--title`, else the outline's first heading, set where
/// the figure's `{cover layout=…}` says, else where `--title-layout` does. Checked before any
/// work (a cover needs a title, and the title must be drawable).
fn cover_titles(
    outline: &outline::Outline,
    given: &CoverTitle,
) -> anyhow::Result<BTreeMap<String, TitleSpec>> {
    let mut covers = BTreeMap::new();
    for item in outline.items.iter().filter(|i| i.overrides.cover) {
        let heading = outline.headings.first().map(|h| h.text.clone());
        let Some(text) = given.title.clone().or(heading) else {
            return Err(BadInput(msg!(
                "batch-cover-no-heading",
                path = outline.path.display().to_string(),
                line = item.line
            ))
            .into());
        };
        let spec = TitleSpec {
            title: text,
            subtitle: given.subtitle.clone(),
            layout: item.overrides.layout.unwrap_or(given.layout),
            font: given.font,
        };
        spec.check().map_err(|e| BadInput::from_error(&e))?;
        covers.insert(item.caption.clone(), spec);
    }
    Ok(covers)
}

fn model_for_plan(
    source: ModelSource,
    opts: &ModelOptions,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ResolvedModel> {
    let mut offline = opts.clone();
    offline.hub.offline = true;
    match session::resolve_model(source.clone(), &offline, reporter) {
        Ok(m) => Ok(m),
        Err(e) => match (&source, source.preset()) {
            (ModelSource::Local(_), _) => Err(e),
            (_, Some(p)) => {
                reporter.event(Event::Note(msg!(
                    "note-plan-model-not-downloaded",
                    name = source.display_name()
                )));
                let m = ResolvedModel::unresolved_with(source, p.family, opts);
                // The preset's LoRA (sd15-lcm's LCM-LoRA) is no more downloaded than the
                // model; read now so the note comes once, before the figures.
                m.default_loras()?;
                let unfetched = m.unfetched_loras();
                if !unfetched.is_empty() {
                    reporter.event(Event::Note(msg!(
                        "note-plan-lora-not-downloaded",
                        names = unfetched.join(", ")
                    )));
                }
                Ok(m)
            }
            (_, None) => Err(BadInput(msg!(
                "batch-dry-run-not-in-cache",
                name = source.display_name(),
                reason = crate::explain::message(&*e)
            ))
            .into()),
        },
    }
}

/// The English of every Korean caption of the outline that has no `en=` of its own: first
/// from `translations.json` in the figures folder, then from the translator, which is loaded
/// only when a caption is new, and freed again before the image model loads. A dry run never
/// downloads: it translates only when the translator is already on disk.
fn translate_captions(
    opts: &BatchOptions,
    outline: &outline::Outline,
    out_dir: &std::path::Path,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<CaptionTranslator> {
    let mut topts = opts.translate.clone();
    if opts.dry_run {
        topts.hub.offline = true;
    }
    let mut translator = CaptionTranslator::new(topts)?;
    let cache_path = out_dir.join(translate::cache::CACHE_FILE);
    let key = translator.cache_key();
    for (caption, outcome) in translate::cache::read(&cache_path, &key) {
        translator.remember(&caption, outcome);
    }
    let captions: Vec<&str> = outline
        .items
        .iter()
        .filter(|i| i.overrides.en.is_none())
        .map(|i| i.caption.as_str())
        .collect();
    let result = translator.prepare(&captions, reporter);
    match result {
        Ok(()) => {}
        Err(e) if opts.dry_run && is_not_downloaded(&e) => {
            reporter.event(Event::Note(msg!(
                "note-plan-translator-not-downloaded",
                name = &opts.translate.translator
            )));
            return Ok(translator);
        }
        Err(e) => return Err(e),
    }
    translator.unload();
    if !opts.dry_run {
        let made: Vec<(&str, &translate::Outcome)> = translator.known().collect();
        // Only saves time on the next run: a failure here is not worth stopping for.
        if !made.is_empty() && std::fs::create_dir_all(out_dir).is_ok() {
            if let Err(e) = translate::cache::write(&cache_path, &key, made) {
                reporter.event(Event::Warning(msg!(
                    "warn-translation-cache",
                    reason = crate::explain::message(&e)
                )));
            }
        }
    }
    Ok(translator)
}

fn is_not_downloaded(e: &anyhow::Error) -> bool {
    use crate::model::source::SourceError;
    use crate::translate::source::TranslatorError;
    crate::model::source::is_not_in_cache(e)
        || e.chain().any(|c| {
            matches!(
                c.downcast_ref::<TranslatorError>(),
                Some(TranslatorError::Source(SourceError::NotInCache { .. }))
            )
        })
}

/// Outline mistakes and files in the way, found while planning, are the user's to fix
/// (exit 2).
fn plan_error(e: BatchError) -> anyhow::Error {
    match e {
        BatchError::BadFigure { .. }
        | BatchError::DuplicateFile { .. }
        | BatchError::NotOurs { .. } => BadInput::from_error(&e).into(),
        other => anyhow::anyhow!(other),
    }
}

fn batch_event(e: BatchEvent<'_>) -> Event {
    match e {
        // The bar counts the figures this run makes; skips are one line each.
        BatchEvent::Planned { to_generate, .. } => Event::FiguresStarted { total: to_generate },
        BatchEvent::Skipped { job } => Event::Note(msg!("note-up-to-date", file = &job.file_name)),
        BatchEvent::Started {
            job,
            action,
            position,
            of,
        } => {
            let why = match action {
                Action::Changed(fields) => msg!("stage-figure-changed", fields = fields.join(", ")),
                Action::Unusable(reason) => msg!("stage-figure-unusable", reason = reason),
                _ => msg!("stage-figure-new"),
            };
            Event::Stage(msg!(
                "stage-figure",
                position = position,
                of = of,
                file = &job.file_name,
                why = why,
                caption = &job.caption
            ))
        }
        BatchEvent::Step { progress, .. } => Event::Pipeline(Progress::Step {
            done: progress.step as usize,
            total: progress.total as usize,
        }),
        BatchEvent::Finished { path, seconds, .. } => Event::FigureDone {
            message: msg!(
                "note-wrote",
                path = path.display().to_string(),
                seconds = format!("{seconds:.1}")
            ),
        },
        BatchEvent::Failed { job, error } => Event::FigureDone {
            message: msg!("note-figure-failed", file = &job.file_name, error = error),
        },
        // The summary on stdout says how many are left and how to continue.
        BatchEvent::Cancelled { .. } => Event::Note(msg!("note-batch-stopped")),
    }
}

/// The plan for `--dry-run --json`.
fn plan_json(plan: &Plan) -> Value {
    json!({
        "outline": plan.outline_path,
        "out_dir": plan.out_dir,
        "shard": plan.shard.map(|s| s.to_string()),
        "to_generate": plan.to_generate(),
        "up_to_date": plan.to_skip(),
        "figures": plan.figures.iter().map(|f| json!({
            "file": f.job.file_name,
            "line": f.job.line,
            "action": f.action.describe(),
            "generate": f.action.generates(),
            "request": f.job.request,
        })).collect::<Vec<_>>(),
        "stray": plan.stray,
    })
}
