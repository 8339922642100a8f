//! Illustrating a whole outline: plan the figures, skip the ones already made, render the
//! rest, and rebuild `manifest.json` and `index.html` from what is on disk.
//!
//! The model, the PNG writer and the request builder come in through small seams
//! ([`FigureRenderer`], [`FigureStore`], [`RequestBuilder`]) so all of this runs in tests with
//! fakes, and the binary plugs in the real pipeline.
//!
//! Seeds: figure `i` (0-based position in the whole outline) gets `base_seed + i` (wrapping),
//! unless its line sets `seed=`. So figure 1 of a batch with `--seed 42` is the same image as
//! `reportfig generate … --seed 42`, and a shard computes the same seeds as a whole run.
//!
//! Shards: `--shard I/N` makes the figures with `i % N == I - 1`; the N parts are disjoint and
//! together the whole outline. Every run, whatever its shard, rebuilds the manifest and the
//! gallery from the PNGs' metadata, so the last shard to finish leaves them complete.

mod docx_out;
mod gallery;
mod manifest;
mod markdown_out;
mod shard;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use thiserror::Error;

use crate::i18n::{Lang, Message};
use crate::msg;
use crate::outline::{Heading, Outline, Overrides};
use crate::output::Naming;
use reportfig_engine::request::GenerationRequest;

pub use docx_out::{build_docx, check_replaceable, write_docx, Block, DOCUMENT_NOT_OURS};
pub use gallery::{render_gallery, GalleryOptions, GalleryPage, OutdatedFile};
pub use manifest::{build_manifest, Manifest, ManifestEntry, MANIFEST_FILE};
pub use markdown_out::{illustrate_markdown, illustrated_path, write_illustrated_markdown};
pub use shard::{Shard, ShardError, ShardProblem};

/// Name of the gallery page written next to the figures.
pub const GALLERY_FILE: &str = "index.html";

/// Name of the file in the figures folder that shards lock while they rebuild what is made
/// from the whole folder (manifest, gallery, documents).
pub const SHARD_LOCK_FILE: &str = ".reportfig-shards.lock";

/// Held by a run that is not a shard for as long as it makes figures, so a second run into
/// the same folder (the same batch started twice, from two PCs on a shared drive) stops at
/// once instead of making every figure a second time beside it.
pub const RUN_LOCK_FILE: &str = ".reportfig-batch.lock";

/// Held while a shard rebuilds the manifest, gallery or documents from the figures on disk.
/// Shards finishing at the same time each read the folder and then write; without the lock
/// a shard that read before another's last figure landed could write after it, and the
/// folder would keep an index missing that figure. With it, reads and writes happen in turn,
/// so the last shard to finish writes an index that has every figure. Unsharded runs take
/// no lock (and leave no lock file): one process owns its folder.
pub struct ShardLock {
    _file: Option<std::fs::File>,
}

/// Locks `out_dir` against other shards of the same outline (waiting for them), or does
/// nothing when this run is not a shard.
pub fn lock_for_shards(plan: &Plan) -> Result<ShardLock, BatchError> {
    if plan.shard.is_none() {
        return Ok(ShardLock { _file: None });
    }
    let (file, path) = open_lock_file(plan, SHARD_LOCK_FILE)?;
    // Released when the file is closed, also when the process dies.
    file.lock().map_err(|e| lock_error(&path, e))?;
    Ok(ShardLock { _file: Some(file) })
}

/// Opens (creating) the lock file `name` in the figures folder.
fn open_lock_file(plan: &Plan, name: &str) -> Result<(std::fs::File, PathBuf), BatchError> {
    let path = plan.out_dir.join(name);
    // A link under the lock's name (planted in a shared folder, or copied in) is not
    // followed: opening it would create or hold a file outside the figures folder. The
    // name is ours, so the link is replaced by a plain lock file.
    if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        let _ = std::fs::remove_file(&path);
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        // And one made between the check and the open is refused, not followed.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(&path).map_err(|e| lock_error(&path, e))?;
    Ok((file, path))
}

fn lock_error(path: &Path, e: std::io::Error) -> BatchError {
    BatchError::Write {
        path: path.to_path_buf(),
        problem: crate::output::WriteProblem::of(&e),
    }
}

/// The folder held by one run ([`lock_run`]).
pub struct RunLock {
    held: Option<(std::fs::File, PathBuf)>,
}

impl Drop for RunLock {
    // The file goes when the run ends, so the folder a user opens holds only figures and
    // pages (a dot-file is not hidden on Windows). Removed while still locked: a run that
    // opened it just before may then lock the removed file and go ahead beside a newer one,
    // which costs duplicate work, never a broken file (every write is atomic).
    fn drop(&mut self) {
        if let Some((file, path)) = self.held.take() {
            let _ = std::fs::remove_file(&path);
            drop(file);
        }
    }
}

/// Takes the folder for this run when it is not a shard (shards share the folder by design);
/// another run holding it is [`BatchError::Busy`]. Released when dropped or the process dies.
/// Either way a folder that takes no new files is found here, before the model loads and
/// the first figure is computed only to fail.
pub fn lock_run(plan: &Plan) -> Result<RunLock, BatchError> {
    if plan.shard.is_some() {
        // Shards lock this file only while writing the index; creating it now (it stays, as
        // after any sharded run) is the check that the folder takes files.
        open_lock_file(plan, SHARD_LOCK_FILE)?;
        return Ok(RunLock { held: None });
    }
    let (file, path) = open_lock_file(plan, RUN_LOCK_FILE)?;
    match file.try_lock() {
        Ok(()) => Ok(RunLock {
            held: Some((file, path)),
        }),
        Err(std::fs::TryLockError::WouldBlock) => Err(BatchError::Busy {
            folder: plan.out_dir.clone(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(lock_error(&path, e)),
    }
}

#[derive(Debug, Error)]
pub enum BatchError {
    /// Another run (not a shard) is making figures into the same folder right now.
    #[error("another batch is making figures into {folder} right now\nhint: wait for it to finish (or stop it) and run again; to split one batch over several processes use --shard")]
    Busy { folder: PathBuf },
    #[error("{path}:{line}: {message}")]
    BadFigure {
        path: PathBuf,
        line: usize,
        /// What is wrong, in the user's language when shown (`Display` is English).
        message: Message,
    },
    #[error("{path}: lines {first} and {second} both write {file}\nhint: give one of them a different file= name")]
    DuplicateFile {
        path: PathBuf,
        first: usize,
        second: usize,
        file: String,
    },
    /// Writing into the figures folder failed part-way (the disk filled up, the folder
    /// vanished): the run stops there, since every later figure would fail the same way.
    #[error("cannot write {}: {problem}\nhint: the figures already made and the manifest are kept, and the next run makes only what is missing; free some space, reconnect the drive or choose another folder with --out", path.display())]
    Write {
        path: PathBuf,
        problem: crate::output::WriteProblem,
    },
    #[error("cannot read {path}: {reason}")]
    Read {
        path: PathBuf,
        reason: crate::os_reason::OsReason,
    },
    /// A file under a name the batch writes that reportfig did not make: replacing it would
    /// lose the user's work.
    #[error("{path} was not made by reportfig ({what}), so the batch will not replace it\nhint: move or rename that file, choose another folder with --out, or add --force to replace it")]
    NotOurs { path: PathBuf, what: &'static str },
}

/// What the request builder gets for one figure.
#[derive(Debug, Clone, Copy)]
pub struct FigureSpec<'a> {
    pub caption: &'a str,
    pub overrides: &'a Overrides,
    /// The figure's seed, already derived (or taken from its `seed=` override).
    pub seed: u64,
}

/// Turns one outline figure into a checked request (style composed, size resolved, batch
/// defaults applied). The error says what is wrong; the batch adds file and line.
pub type RequestBuilder<'a> = &'a dyn Fn(&FigureSpec<'_>) -> Result<GenerationRequest, Message>;

/// One figure of the outline, ready to make.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureJob {
    /// 0-based position in the whole outline (not in the shard).
    pub index: usize,
    /// Line of the outline it came from.
    pub line: usize,
    pub caption: String,
    pub overrides: Overrides,
    /// `NN-slug.png`, or the `file=` override; always a plain name inside the figures folder.
    pub file_name: String,
    pub request: GenerationRequest,
}

/// The seed of figure `index` (0-based) in a batch with base seed `base`.
pub fn figure_seed(base: u64, index: usize) -> u64 {
    base.wrapping_add(index as u64)
}

/// Builds every figure's job in outline order.
pub fn plan_jobs(
    outline: &Outline,
    base_seed: u64,
    naming: Naming,
    build: RequestBuilder<'_>,
) -> Result<Vec<FigureJob>, BatchError> {
    let width = outline.items.len().to_string().len().max(2);
    let mut jobs: Vec<FigureJob> = Vec::with_capacity(outline.items.len());
    // File name (lower case: Windows and macOS folders ignore case) -> its line, so that
    // checking for clashes stays linear in the length of the outline.
    let mut taken: std::collections::HashMap<String, usize> =
        std::collections::HashMap::with_capacity(outline.items.len());
    for (index, item) in outline.items.iter().enumerate() {
        let seed = item
            .overrides
            .seed
            .unwrap_or_else(|| figure_seed(base_seed, index));
        let spec = FigureSpec {
            caption: &item.caption,
            overrides: &item.overrides,
            seed,
        };
        let request = build(&spec).map_err(|message| BatchError::BadFigure {
            path: outline.path.clone(),
            line: item.line,
            message,
        })?;
        let file_name = match &item.overrides.file {
            Some(f) => f.clone(),
            None => format!("{:0width$}-{}.png", index + 1, slug(&item.caption, naming)),
        };
        if let Some(&first) = taken.get(&file_name.to_lowercase()) {
            return Err(BatchError::DuplicateFile {
                path: outline.path.clone(),
                first,
                second: item.line,
                file: file_name,
            });
        }
        taken.insert(file_name.to_lowercase(), item.line);
        jobs.push(FigureJob {
            index,
            line: item.line,
            caption: item.caption.clone(),
            overrides: item.overrides.clone(),
            file_name,
            request,
        });
    }
    Ok(jobs)
}

/// Longest slug in a batch file name (`NN-slug.png`): shorter than `generate`'s so names stay
/// readable in a gallery and well under Windows path limits inside report folders.
pub const BATCH_SLUG_LEN: usize = 48;

/// A file-name-safe slug of a caption (see [`crate::output::name_slug`]).
fn slug(caption: &str, naming: Naming) -> String {
    crate::output::name_slug(caption, BATCH_SLUG_LEN, naming)
}

/// What is under a figure's file name before a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Existing {
    Missing,
    /// A complete picture reportfig made, from this request.
    Made(Box<GenerationRequest>),
    /// A file of ours that cannot be trusted (it no longer decodes, its metadata is damaged or
    /// from a newer version): made again.
    Unusable {
        reason: Message,
    },
    /// Not ours (no reportfig metadata): never replaced without `--force`.
    Foreign,
}

/// Reads and writes finished figures. The real one is `output.rs` (PNG with metadata); tests
/// use a fake.
pub trait FigureStore {
    /// What is at `path`. A file only counts as [`Existing::Made`] when it decodes completely:
    /// metadata alone survives a truncated or bit-flipped image.
    fn existing(&self, path: &Path) -> Existing;
    /// Writes the PNG with its metadata atomically (temporary file in the same folder, then
    /// rename), so an interrupted run never leaves a partial file under the final name.
    fn write_png(
        &self,
        path: &Path,
        image: &image::RgbImage,
        request: &GenerationRequest,
    ) -> Result<(), StoreError>;
}

/// Why a figure was not stored.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    /// Only this figure failed (finishing it for print, typesetting its title): the run goes
    /// on with the next.
    Figure(Message),
    /// The folder takes no more files (the disk filled up, it vanished): the run stops here,
    /// since every later figure would fail the same way after minutes of work.
    Folder(crate::output::WriteProblem),
}

impl From<crate::output::OutputError> for StoreError {
    fn from(e: crate::output::OutputError) -> Self {
        match e.folder_problem() {
            Some((_, problem)) => Self::Folder(problem),
            None => Self::Figure(crate::explain::message(&e)),
        }
    }
}

/// Progress of the current image's denoising loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepProgress {
    /// 1-based step just finished.
    pub step: u32,
    pub total: u32,
}

/// Makes one image; the real one wraps the loaded `Pipeline`, so the model loads once.
pub trait FigureRenderer {
    fn render(
        &mut self,
        request: &GenerationRequest,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<image::RgbImage, Message>;
}

/// Why a figure is (re)made or left alone.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Its PNG exists and records exactly this request.
    Skip,
    /// No PNG yet.
    New,
    /// A PNG exists but was made from a different request; lists what changed.
    Changed(Vec<&'static str>),
    /// A file of ours is there but cannot be used (damaged, truncated, changed since it was
    /// written, or from a newer version); says why.
    Unusable(Message),
    /// `--force`.
    Forced,
    /// Belongs to another shard; not checked and not made by this run.
    OtherShard,
}

impl Action {
    pub fn generates(&self) -> bool {
        matches!(
            self,
            Action::New | Action::Changed(_) | Action::Unusable(_) | Action::Forced
        )
    }

    /// Short words for the plan and the progress messages.
    /// In English, for `--json` output (read by programs).
    pub fn describe(&self) -> String {
        self.message().render(Lang::En)
    }

    pub fn message(&self) -> Message {
        match self {
            Action::Skip => msg!("plan-action-skip"),
            Action::New => msg!("plan-action-new"),
            Action::Changed(fields) => msg!("plan-action-changed", fields = field_list(fields)),
            Action::Unusable(reason) => msg!("plan-action-unusable", reason = reason),
            Action::Forced => msg!("plan-action-forced"),
            Action::OtherShard => msg!("plan-action-other-shard"),
        }
    }
}

/// The settings [`changed_fields`] names, as one phrase in the user's language.
fn field_list(fields: &[&'static str]) -> Message {
    let word = |f: &str| {
        let key = match f {
            "negative prompt" => "negative-prompt",
            "starting picture" => "starting-picture",
            "LoRA" => "lora",
            other => other,
        };
        msg!("request-field", field = key)
    };
    let mut words = fields.iter().rev();
    let Some(last) = words.next() else {
        return msg!("untranslated", text = "");
    };
    words.fold(word(last), |rest, f| {
        msg!("list-more", first = word(f), rest = rest)
    })
}

#[derive(Debug, Clone)]
pub struct PlannedFigure {
    pub job: FigureJob,
    pub action: Action,
}

/// What a run will do, computed without touching anything (the `--dry-run` output).
#[derive(Debug, Clone)]
pub struct Plan {
    pub outline_path: PathBuf,
    pub out_dir: PathBuf,
    pub shard: Option<Shard>,
    pub figures: Vec<PlannedFigure>,
    /// PNGs in the folder that no figure of the outline writes (e.g. removed captions). They
    /// are left alone and reported.
    pub stray: Vec<PathBuf>,
    /// The outline's title and headings, for the gallery.
    pub title: Option<String>,
    pub headings: Vec<Heading>,
    pub gallery: GalleryOptions,
}

impl Plan {
    pub fn to_generate(&self) -> usize {
        self.figures.iter().filter(|f| f.action.generates()).count()
    }
    pub fn to_skip(&self) -> usize {
        self.figures
            .iter()
            .filter(|f| f.action == Action::Skip)
            .count()
    }
}

/// Batch-wide settings of one run.
#[derive(Debug, Clone)]
pub struct BatchSettings {
    pub out_dir: PathBuf,
    pub base_seed: u64,
    pub force: bool,
    pub shard: Option<Shard>,
    /// How figure file names write Korean words.
    pub naming: Naming,
    /// The gallery's language and style titles.
    pub gallery: GalleryOptions,
}

/// `<report dir>/figures`, the default output folder.
pub fn default_out_dir(outline_path: &Path) -> PathBuf {
    outline_path
        .parent()
        .unwrap_or_else(|| Path::new(""))
        .join("figures")
}

/// Plans a run: builds every job, decides skip or generate from the PNGs already there, and
/// lists stray PNGs. Reads only.
pub fn plan(
    outline: &Outline,
    settings: &BatchSettings,
    build: RequestBuilder<'_>,
    store: &dyn FigureStore,
) -> Result<Plan, BatchError> {
    let jobs = plan_jobs(outline, settings.base_seed, settings.naming, build)?;
    if !settings.force {
        refuse_foreign_index(&settings.out_dir)?;
    }
    let previous = manifest::read_previous(&settings.out_dir.join(MANIFEST_FILE));
    let mut figures = Vec::with_capacity(jobs.len());
    for job in jobs {
        let path = settings.out_dir.join(&job.file_name);
        let action = if settings.shard.is_some_and(|s| !s.contains(job.index)) {
            Action::OtherShard
        } else if settings.force {
            Action::Forced
        } else {
            match store.existing(&path) {
                Existing::Made(old) => {
                    let changed = changed_fields(&old, &job.request);
                    if !changed.is_empty() {
                        Action::Changed(changed)
                    } else if let Some(reason) =
                        changed_since_recorded(&path, &old, previous.as_ref())?
                    {
                        Action::Unusable(reason)
                    } else {
                        Action::Skip
                    }
                }
                Existing::Unusable { reason } => Action::Unusable(reason),
                Existing::Foreign => {
                    return Err(BatchError::NotOurs {
                        path,
                        what: "it has no reportfig metadata",
                    })
                }
                Existing::Missing => Action::New,
            }
        };
        figures.push(PlannedFigure { job, action });
    }
    let stray = stray_pngs(&settings.out_dir, &figures)?;
    Ok(Plan {
        outline_path: outline.path.clone(),
        out_dir: settings.out_dir.clone(),
        shard: settings.shard,
        figures,
        stray,
        title: outline.title().map(str::to_string),
        headings: outline.headings.clone(),
        gallery: settings.gallery.clone(),
    })
}

/// `manifest.json` and `index.html` are rewritten by every run; refuse when they are the
/// user's own. A manifest is ours when it parses as one; an `index.html` is ours only beside a
/// manifest of ours, since every run writes the manifest before the page.
fn refuse_foreign_index(out_dir: &Path) -> Result<(), BatchError> {
    let manifest_path = out_dir.join(MANIFEST_FILE);
    let ours = manifest::read_previous(&manifest_path).is_some();
    if !ours && manifest_path.exists() {
        return Err(BatchError::NotOurs {
            path: manifest_path,
            what: "it is not a reportfig manifest",
        });
    }
    let gallery_path = out_dir.join(GALLERY_FILE);
    if !ours && gallery_path.exists() {
        return Err(BatchError::NotOurs {
            path: gallery_path,
            what: "there is no reportfig manifest.json beside it",
        });
    }
    Ok(())
}

/// Why a decodable figure of ours is not the file the last run recorded, if it is not: the
/// manifest keeps each file's SHA-256, so a change that still decodes (an edit, a flipped bit
/// in a filtered row) is found too. Only an entry for the same request counts, since a run
/// that remade a figure may have been stopped before it rewrote the manifest.
fn changed_since_recorded(
    path: &Path,
    made: &GenerationRequest,
    previous: Option<&Manifest>,
) -> Result<Option<Message>, BatchError> {
    let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(None);
    };
    let Some(entry) = previous.and_then(|m| {
        m.figures.iter().find(|e| {
            e.file == file_name
                && e.prompt == made.prompt
                && e.seed == made.seed
                && e.steps == made.steps
                && e.model == made.model
                && e.size == format!("{}x{}", made.width, made.height)
        })
    }) else {
        return Ok(None);
    };
    let bytes = std::fs::read(path).map_err(|e| BatchError::Read {
        path: path.to_path_buf(),
        reason: (&e).into(),
    })?;
    Ok((manifest::sha256_hex(&bytes) != entry.sha256)
        .then(|| msg!("unusable-changed-since-recorded")))
}

/// The request fields that differ, in words a user recognises. Guidance is compared with a
/// tolerance because it went through JSON text in the PNG.
pub fn changed_fields(old: &GenerationRequest, new: &GenerationRequest) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |same: bool, name: &'static str| {
        if !same {
            out.push(name);
        }
    };
    check(old.caption == new.caption, "caption");
    check(old.styles == new.styles, "style");
    check(old.prompt == new.prompt, "prompt");
    check(
        old.negative_prompt == new.negative_prompt,
        "negative prompt",
    );
    check(old.width == new.width && old.height == new.height, "size");
    check(old.steps == new.steps, "steps");
    check(
        (old.guidance - new.guidance).abs() <= 1e-9 * old.guidance.abs().max(1.0),
        "guidance",
    );
    check(old.seed == new.seed, "seed");
    check(old.sampler == new.sampler, "sampler");
    check(old.loras == new.loras, "LoRA");
    // A draft is made again in full quality when the batch runs without --decoder tiny.
    check(old.draft_decoder == new.draft_decoder, "decoder");
    // The starting picture by content: the same photo renamed is the same figure.
    let start = |r: &GenerationRequest| {
        r.init_image.as_ref().map(|i| {
            (
                i.sha256.clone(),
                i.strength,
                i.mask.as_ref().map(|m| m.sha256.clone()),
            )
        })
    };
    check(start(old) == start(new), "starting picture");
    check(
        old.model == new.model && old.model_revision == new.model_revision,
        "model",
    );
    out
}

fn stray_pngs(out_dir: &Path, figures: &[PlannedFigure]) -> Result<Vec<PathBuf>, BatchError> {
    let entries = match std::fs::read_dir(out_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(BatchError::Read {
                path: out_dir.to_path_buf(),
                reason: (&e).into(),
            })
        }
    };
    let ours: BTreeSet<String> = figures
        .iter()
        .map(|f| f.job.file_name.to_lowercase())
        .collect();
    let mut stray = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        // Dot files include temporaries of a writer that is still running (another shard).
        if name.starts_with('.') || !name.to_lowercase().ends_with(".png") {
            continue;
        }
        // The plain picture kept beside a titled cover (`01-cover.untitled.png`).
        let titled = name
            .to_lowercase()
            .strip_suffix(".untitled.png")
            .map(|stem| format!("{stem}.png"));
        if titled.is_some_and(|t| ours.contains(&t)) {
            continue;
        }
        if !ours.contains(&name.to_lowercase()) {
            stray.push(entry.path());
        }
    }
    stray.sort();
    Ok(stray)
}

/// The plan as text for `--dry-run`: one block per figure.
pub fn render_plan(plan: &Plan) -> String {
    render_lines(&plan_lines(plan), Lang::En)
}

/// The `--dry-run` listing: a header, then each figure with what the run will do and the
/// request it will make, then the files in the folder the outline no longer writes.
pub fn plan_lines(plan: &Plan) -> Vec<Message> {
    let blank = || msg!("untranslated", text = "");
    let header = match plan.shard {
        Some(shard) => msg!(
            "plan-header-shard",
            outline = plan.outline_path.display().to_string(),
            figures = plan.figures.len(),
            shard = shard.to_string(),
            generate = plan.to_generate(),
            skip = plan.to_skip(),
            out = plan.out_dir.display().to_string()
        ),
        None => msg!(
            "plan-header",
            outline = plan.outline_path.display().to_string(),
            figures = plan.figures.len(),
            generate = plan.to_generate(),
            skip = plan.to_skip(),
            out = plan.out_dir.display().to_string()
        ),
    };
    let mut lines = vec![header];
    for f in &plan.figures {
        let r = &f.job.request;
        lines.push(blank());
        lines.push(msg!(
            "plan-figure",
            file = &f.job.file_name,
            action = f.action.message()
        ));
        lines.push(msg!("plan-caption", text = &f.job.caption));
        lines.push(if r.styles.is_empty() {
            msg!("plan-no-style")
        } else {
            msg!("plan-style", styles = r.styles.join("+"))
        });
        lines.push(msg!("plan-prompt", text = &r.prompt));
        if let Some(neg) = &r.negative_prompt {
            lines.push(msg!("plan-negative", text = neg));
        }
        let sampler = match r.sampler {
            Some(k) => msg!("untranslated", text = k.name()),
            None => msg!("plan-model-default"),
        };
        lines.push(msg!(
            "plan-settings",
            width = r.width.to_string(),
            height = r.height.to_string(),
            seed = r.seed.to_string(),
            steps = r.steps.to_string(),
            guidance = r.guidance.to_string(),
            sampler = sampler,
            model = &r.model
        ));
    }
    if !plan.stray.is_empty() {
        lines.push(blank());
        lines.push(msg!(
            "plan-stray",
            files = plan
                .stray
                .iter()
                .map(|p| file_name_of(p))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    lines
}

fn file_name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// Something happened during a run; the binary turns these into progress bars and messages.
#[derive(Debug)]
pub enum BatchEvent<'a> {
    /// Before the first figure.
    Planned {
        to_generate: usize,
        to_skip: usize,
        total: usize,
    },
    Skipped {
        job: &'a FigureJob,
    },
    /// `position` counts from 1 among the figures this run generates, out of `of`.
    Started {
        job: &'a FigureJob,
        action: &'a Action,
        position: usize,
        of: usize,
    },
    Step {
        job: &'a FigureJob,
        progress: StepProgress,
    },
    Finished {
        job: &'a FigureJob,
        path: &'a Path,
        seconds: f64,
    },
    Failed {
        job: &'a FigureJob,
        error: &'a Message,
    },
    /// The cancel flag was seen; `remaining` figures were not started.
    Cancelled {
        remaining: usize,
    },
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub generated: Vec<PathBuf>,
    pub skipped: usize,
    pub other_shard: usize,
    /// File name and error of each figure that failed.
    pub failed: Vec<(String, Message)>,
    pub cancelled: bool,
    /// Figures not started because of the cancel flag.
    pub not_started: usize,
    pub stray: Vec<PathBuf>,
    pub manifest: PathBuf,
    pub gallery: PathBuf,
}

impl RunSummary {
    /// True when every figure this run was responsible for is on disk and up to date.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && !self.cancelled
    }

    /// A few lines for the end of the run, in no language yet.
    pub fn lines(&self) -> Vec<Message> {
        let mut lines = Vec::new();
        let counts = msg!(
            "summary-counts",
            generated = self.generated.len(),
            skipped = self.skipped,
            failed = self.failed.len()
        );
        lines.push(if self.other_shard > 0 {
            msg!(
                "summary-counts-shards",
                counts = counts,
                other = self.other_shard
            )
        } else {
            counts
        });
        for (file, error) in &self.failed {
            // The error is kept as text in the manifest and summary JSON; English for now.
            lines.push(msg!("summary-failed", file = file, error = error));
        }
        if self.cancelled {
            lines.push(msg!("summary-stopped", not_started = self.not_started));
        }
        if !self.stray.is_empty() {
            let files: Vec<String> = self.stray.iter().map(|p| file_name_of(p)).collect();
            lines.push(msg!("summary-stray", files = files.join(", ")));
        }
        lines.push(msg!(
            "summary-manifest",
            path = self.manifest.display().to_string()
        ));
        lines.push(msg!(
            "summary-gallery",
            path = self.gallery.display().to_string()
        ));
        lines
    }

    /// The lines in English, one per line.
    pub fn render(&self) -> String {
        render_lines(&self.lines(), Lang::En)
    }
}

/// Runs a plan: renders the figures marked to generate in order, one at a time, then rebuilds
/// the manifest and gallery. A failing figure is reported and the run goes on. `cancel` is
/// checked between figures: once set, the run stops after the current image is written.
pub fn run(
    plan: &Plan,
    renderer: &mut dyn FigureRenderer,
    store: &dyn FigureStore,
    cancel: &AtomicBool,
    events: &mut dyn FnMut(BatchEvent<'_>),
) -> Result<RunSummary, BatchError> {
    std::fs::create_dir_all(&plan.out_dir).map_err(|e| BatchError::Write {
        path: plan.out_dir.clone(),
        problem: crate::output::WriteProblem::of(&e),
    })?;
    // A run killed mid-write (kill -9, power loss) leaves its temporary file; nobody else
    // ever removes it.
    crate::output::remove_stale_temporaries(&plan.out_dir, crate::output::STALE_TEMPORARY_AGE);
    let to_generate = plan.to_generate();
    events(BatchEvent::Planned {
        to_generate,
        to_skip: plan.to_skip(),
        total: plan.figures.len(),
    });
    let mut summary = RunSummary {
        stray: plan.stray.clone(),
        ..RunSummary::default()
    };
    let mut timings: Vec<(String, f64)> = Vec::new();
    let mut position = 0;
    for f in &plan.figures {
        match &f.action {
            Action::Skip => {
                summary.skipped += 1;
                events(BatchEvent::Skipped { job: &f.job });
                continue;
            }
            Action::OtherShard => {
                summary.other_shard += 1;
                continue;
            }
            _ => {}
        }
        if cancel.load(Ordering::SeqCst) {
            summary.cancelled = true;
            summary.not_started = to_generate - position;
            events(BatchEvent::Cancelled {
                remaining: summary.not_started,
            });
            break;
        }
        position += 1;
        let job = &f.job;
        events(BatchEvent::Started {
            job,
            action: &f.action,
            position,
            of: to_generate,
        });
        let start = Instant::now();
        let rendered = renderer.render(&job.request, &mut |progress| {
            events(BatchEvent::Step { job, progress })
        });
        let path = plan.out_dir.join(&job.file_name);
        let written = rendered
            .map_err(StoreError::Figure)
            .and_then(|image| store.write_png(&path, &image, &job.request));
        match written {
            Ok(()) => {
                let seconds = start.elapsed().as_secs_f64();
                timings.push((job.file_name.clone(), seconds));
                events(BatchEvent::Finished {
                    job,
                    path: &path,
                    seconds,
                });
                summary.generated.push(path);
            }
            Err(StoreError::Figure(error)) => {
                events(BatchEvent::Failed { job, error: &error });
                summary.failed.push((job.file_name.clone(), error));
            }
            Err(StoreError::Folder(problem)) => {
                // The figures made so far are listed (best effort: the manifest's own write
                // may fail the same way, and the previous one then stays as it was).
                let _ = write_index(plan, store, &timings);
                return Err(BatchError::Write { path, problem });
            }
        }
    }
    let (manifest_path, gallery_path) = write_index(plan, store, &timings)?;
    summary.manifest = manifest_path;
    summary.gallery = gallery_path;
    Ok(summary)
}

/// Rebuilds `manifest.json` and `index.html` from the PNGs on disk. `timings` are this run's
/// seconds per file; other files keep the seconds of the previous manifest when their sha256
/// is unchanged (timing is not stored in the PNG so the same request gives the same bytes).
pub fn write_index(
    plan: &Plan,
    store: &dyn FigureStore,
    timings: &[(String, f64)],
) -> Result<(PathBuf, PathBuf), BatchError> {
    let _lock = lock_for_shards(plan)?;
    let manifest_path = plan.out_dir.join(MANIFEST_FILE);
    let previous = manifest::read_previous(&manifest_path);
    let manifest = build_manifest(plan, store, timings, previous.as_ref())?;
    let json = manifest.to_json();
    write_atomic(&manifest_path, json.as_bytes())?;
    let gallery_path = plan.out_dir.join(GALLERY_FILE);
    let mut images = std::collections::BTreeMap::new();
    for f in &manifest.figures {
        // Unreadable now means it vanished since the manifest was built: linked, not embedded.
        if let Ok(bytes) = std::fs::read(plan.out_dir.join(&f.file)) {
            images.insert(f.file.clone(), bytes);
        }
    }
    let outdated: Vec<OutdatedFile> = plan
        .stray
        .iter()
        .map(|p| OutdatedFile {
            file: file_name_of(p),
            caption: match store.existing(p) {
                Existing::Made(r) => Some(r.caption),
                _ => None,
            },
        })
        .collect();
    let figure_lines: Vec<usize> = plan.figures.iter().map(|f| f.job.line).collect();
    let page = GalleryPage {
        manifest: &manifest,
        title: plan.title.as_deref(),
        headings: &plan.headings,
        figure_lines: &figure_lines,
        outdated: &outdated,
        images: &images,
        options: &plan.gallery,
    };
    write_atomic(&gallery_path, render_gallery(&page).as_bytes())?;
    Ok((manifest_path, gallery_path))
}

/// Writes a manifest, gallery or illustrated outline through the app's one atomic writer
/// ([`crate::output::write_atomic`]): readers (and other shards) see the old file or the new
/// one, never half of one. These files are ours to replace, so an existing one is overwritten.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BatchError> {
    crate::output::write_atomic(path, bytes, true).map_err(|e| BatchError::Write {
        path: path.to_path_buf(),
        problem: write_problem(e),
    })
}

/// The cause of a failed write without the writer's own hints, which name `generate`'s flags;
/// [`BatchError::Write`] brings its own.
pub(crate) fn write_problem(err: crate::output::OutputError) -> crate::output::WriteProblem {
    use crate::output::{OutputError, WriteProblem};
    if let Some((_, problem)) = err.folder_problem() {
        return problem;
    }
    match err {
        OutputError::ParentNotFolder { dir } => WriteProblem::ParentIsFile(dir),
        OutputError::IsDirectory { .. } => WriteProblem::FolderInTheWay,
        other => WriteProblem::Other(other.to_string()),
    }
}

/// Summary lines as text in `lang`, each ending in a newline.
pub fn render_lines(lines: &[Message], lang: Lang) -> String {
    lines.iter().map(|l| l.render(lang) + "\n").collect()
}
