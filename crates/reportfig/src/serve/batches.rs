//! Outlines uploaded to the server: parsed by the same validated parsers as `batch`, planned
//! by the same [`batch::plan_jobs`] (so figures get the file names `batch` would write), and
//! run as ordinary jobs in the fair queue. A batch is a folder `<data>/batches/<id>/` with
//! the outline as uploaded and `batch.json` naming each figure's job; its ZIP (figures,
//! `manifest.json`, the gallery `index.html`) is made from the finished jobs' PNGs.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::outline_zip;
use super::store::{self, JobId, JobRecord, JobState};
use super::{lock, Cancel, Job, JobInput, QueueFull, Shared};
use crate::batch::{self, Action, FigureJob, FigureSpec, GalleryOptions, Plan, PlannedFigure};
use crate::commands::batch::{figure_image_options, given_english, OutputStore, PictureFiles};
use crate::commands::session;
use crate::commands::BadInput;
use crate::i18n::Lang;
use crate::init_image::{InitPicture, DEFAULT_STRENGTH};
use crate::msg;
use crate::outline::{self, OutlineFormat};
use crate::output::{self, Naming, OutputError};
use crate::settings::ImageOptions;
use reportfig_engine::request::GenerationRequest;

/// Largest outline upload, in bytes: a long report's outline is a few kilobytes.
pub const MAX_OUTLINE_UPLOAD_BYTES: usize = 256 * 1024;
/// A batch's record in its folder.
pub const BATCH_FILE: &str = "batch.json";
/// The download, kept in the batch folder.
pub const ZIP_FILE: &str = "figures.zip";
/// Longest uploaded file name kept (it only appears in messages and the manifest).
const MAX_NAME_CHARS: usize = 100;

/// `batch.json`: what a batch is made of.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchRecord {
    pub id: String,
    /// The name the outline was uploaded under (messages, the manifest); never a path used.
    pub outline: String,
    /// `md`, `txt` or `csv`: the outline's format, and the extension of its copy here.
    pub format: String,
    /// Seconds since 1970 when it was accepted, to the millisecond (as a job's).
    pub created: f64,
    #[serde(default)]
    pub cancelled: bool,
    pub figures: Vec<BatchFigure>,
    /// Whose history it is in: the SHA-256 of the browser's cookie, as for a job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The instance making its figures (`None` in records from before instances: this
    /// one's), which alone rewrites this record, so two instances never race on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// One figure of a batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchFigure {
    /// The file name `batch` would write (`01-slug.png`, or the figure's `file=`).
    pub file: String,
    pub caption: String,
    /// The job that makes it.
    pub job: String,
    /// The request as planned when it was accepted (before any translation).
    pub request: GenerationRequest,
}

fn format_ext(format: OutlineFormat) -> &'static str {
    match format {
        OutlineFormat::Markdown => "md",
        OutlineFormat::Text => "txt",
        OutlineFormat::Csv => "csv",
    }
}

fn format_of_ext(ext: &str) -> OutlineFormat {
    match ext {
        "md" => OutlineFormat::Markdown,
        "csv" => OutlineFormat::Csv,
        _ => OutlineFormat::Text,
    }
}

/// The batches folder of a server's data folder.
#[derive(Debug, Clone)]
pub struct Batches {
    dir: PathBuf,
}

impl Batches {
    /// `<data>/batches`, created when the first batch is written.
    pub fn new(data: &Path) -> Batches {
        Batches {
            dir: data.join("batches"),
        }
    }

    /// Only an id that passed [`JobId::parse`] names a folder.
    pub fn folder(&self, id: &JobId) -> PathBuf {
        self.dir.join(id.as_str())
    }

    fn source_path(&self, id: &JobId, format: &str) -> PathBuf {
        self.folder(id).join(format!("outline.{format}"))
    }

    /// Writes (or replaces) a batch's record, with the outline's text the first time.
    pub fn write(&self, record: &BatchRecord, source: Option<&str>) -> Result<(), OutputError> {
        let id = JobId::parse(&record.id).ok_or_else(|| OutputError::Encode {
            message: format!("internal error: bad batch id {:?}", record.id),
        })?;
        let dir = self.folder(&id);
        std::fs::create_dir_all(&dir).map_err(|source| OutputError::UnwritableFolder {
            dir: dir.clone(),
            source,
        })?;
        if let Some(text) = source {
            output::write_atomic(
                &self.source_path(&id, &record.format),
                text.as_bytes(),
                true,
            )?;
        }
        store::write_record(&dir.join(BATCH_FILE), record)
    }

    /// Batch `id`'s record as it is on disk now (another instance sharing the data folder
    /// may have written it).
    pub fn read(&self, id: &JobId) -> Option<BatchRecord> {
        store::read_record(&self.folder(id).join(BATCH_FILE), id, |r: &BatchRecord| {
            &r.id
        })
    }

    /// The ids of every batch folder, by their names alone.
    pub fn ids(&self) -> Vec<JobId> {
        store::ids_in(&self.dir, |name: &str| Some(name))
    }

    /// Every batch found on disk (after a restart); folders that are not ours are ignored.
    pub fn load(&self) -> Vec<BatchRecord> {
        self.ids().iter().filter_map(|id| self.read(id)).collect()
    }
}

/// `POST /api/batches` as received: the outline's bytes and the query's settings.
#[derive(Debug, Default)]
pub(crate) struct Upload {
    /// `name=`: the file's name, whose extension gives the format.
    pub name: Option<String>,
    /// `format=`: `md`/`markdown`, `txt`/`text` or `csv`; wins over the name.
    pub format: Option<String>,
    /// The body's `Content-Type`, the last clue (`text/markdown`, `text/csv`).
    pub content_type: Option<String>,
    /// Batch-wide settings, as `batch --style/--size/--seed`.
    pub style: Option<String>,
    pub size: Option<String>,
    pub seed: Option<u64>,
    pub bytes: Vec<u8>,
}

/// An upload that passed every check, ready to queue.
pub(crate) struct CheckedBatch {
    outline: String,
    format: OutlineFormat,
    source: String,
    figures: Vec<(BatchFigure, JobInput)>,
}

/// A plain file name from what the client sent: its last component, without control
/// characters, not too long; `None` when nothing is left.
pub(crate) fn clean_name(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let clean = clean.trim().to_string();
    (!clean.is_empty() && clean != "." && clean != "..").then_some(clean)
}

/// What `GET /api/batches/{id}.zip` finds.
pub(crate) enum ZipOutcome {
    NoSuchBatch,
    NotReady,
    Ready { bytes: Vec<u8>, file_name: String },
}

/// A figure's state as the API shows it: a job's, or `cancelled` once its job is gone.
fn figure_state(job: Option<&Job>) -> &'static str {
    match job.map(|j| j.record.state) {
        Some(JobState::Queued) => "queued",
        Some(JobState::Running) => "running",
        Some(JobState::Done) => "done",
        Some(JobState::Failed) => "failed",
        None => "cancelled",
    }
}

impl Shared {
    /// Checks an upload as `batch` checks an outline file, without writing anything. A ZIP
    /// holds the outline with its starting pictures ([`outline_zip`]); they are read from
    /// it in memory and kept at each figure's size.
    pub(crate) fn check_upload(&self, mut up: Upload) -> Result<CheckedBatch, BadInput> {
        let zipped = if outline_zip::is_zip(&up.bytes) {
            let zip_name = up
                .name
                .as_deref()
                .and_then(clean_name)
                .unwrap_or_else(|| "upload.zip".to_string());
            let z = outline_zip::read(&zip_name, &up.bytes)?;
            up.name = Some(z.outline_name.clone());
            up.bytes = z.outline.clone();
            // `format=zip` says what the upload is, not the outline's format.
            if up.format.as_deref().map(str::trim) == Some("zip") {
                up.format = None;
            }
            Some(z)
        } else {
            None
        };
        if up.bytes.len() > MAX_OUTLINE_UPLOAD_BYTES {
            return Err(BadInput(msg!(
                "serve-outline-too-large",
                max = MAX_OUTLINE_UPLOAD_BYTES / 1024
            )));
        }
        let given = up.name.as_deref().and_then(clean_name);
        let format = match up.format.as_deref().map(|f| f.trim().to_ascii_lowercase()) {
            Some(f) => match f.as_str() {
                "md" | "markdown" => OutlineFormat::Markdown,
                "txt" | "text" => OutlineFormat::Text,
                "csv" => OutlineFormat::Csv,
                _ => return Err(BadInput(msg!("serve-bad-outline-format", format = f))),
            },
            None => match &given {
                Some(n) if Path::new(n).extension().is_some() => {
                    OutlineFormat::from_path(Path::new(n))
                }
                _ => match up.content_type.as_deref().unwrap_or("") {
                    t if t.starts_with("text/markdown") => OutlineFormat::Markdown,
                    t if t.starts_with("text/csv") => OutlineFormat::Csv,
                    _ => OutlineFormat::Text,
                },
            },
        };
        let name = given.unwrap_or_else(|| format!("outline.{}", format_ext(format)));
        let style_check = |name: &str| {
            self.styles
                .resolve_stack(name)
                .map(|_| ())
                .map_err(|e| crate::explain::message(&e))
        };
        let names = zipped.as_ref().map(|z| z.names());
        let pictures = match &names {
            Some(n) => outline::UploadedPictures::Listed(n),
            None => outline::UploadedPictures::None,
        };
        let outline = outline::parse_uploaded_outline(
            Path::new(&name),
            format,
            up.bytes,
            &style_check,
            pictures,
        )
        .map_err(|e| BadInput::from_error(&e))?;
        if let Some(item) = outline.items.iter().find(|i| i.overrides.cover) {
            return Err(BadInput(msg!(
                "serve-outline-cover",
                path = name.as_str(),
                line = item.line
            )));
        }
        let defaults = ImageOptions {
            style: up.style.filter(|s| !s.trim().is_empty()),
            size: up.size.filter(|s| !s.trim().is_empty()),
            ..ImageOptions::default()
        };
        if let Some(spec) = &defaults.style {
            self.styles
                .resolve_stack(spec)
                .map_err(|e| BadInput::from_error(&e))?;
        }
        let base_seed = up.seed.unwrap_or_else(session::fresh_seed);
        // Each picture of the ZIP is decoded once, however many figures start from it.
        let decoded: RefCell<HashMap<PictureFiles, Arc<InitPicture>>> =
            RefCell::new(HashMap::new());
        let starting_picture =
            |o: &outline::Overrides| -> Result<Option<InitPicture>, crate::i18n::Message> {
                let (Some(z), Some(path)) = (&zipped, &o.image) else {
                    return Ok(None);
                };
                let key = (path.clone(), o.mask.clone());
                let found = decoded.borrow().get(&key).cloned();
                let picture = match found {
                    Some(p) => p,
                    None => {
                        let bytes = |p: &Path| {
                            z.files
                                .get(&p.to_string_lossy().into_owned())
                                .map(Vec::as_slice)
                                .unwrap_or_default()
                        };
                        let _one_at_a_time = lock(&self.decoding);
                        let mut p = InitPicture::from_bytes(path, bytes(path), DEFAULT_STRENGTH)
                            .map_err(|e| e.message())?;
                        if let Some(mask) = &o.mask {
                            p = p
                                .with_mask_bytes(mask, bytes(mask))
                                .map_err(|e| e.message())?;
                        }
                        let p = Arc::new(p);
                        decoded.borrow_mut().insert(key, p.clone());
                        p
                    }
                };
                Ok(Some(
                    picture.with_strength(o.strength.unwrap_or(DEFAULT_STRENGTH)),
                ))
            };
        let jobs = {
            let model = lock(&self.model);
            // The request `batch` would build, before translation (the worker translates).
            let build = |spec: &FigureSpec<'_>| {
                let mut image = figure_image_options(&defaults, spec);
                image.init = starting_picture(spec.overrides)?.map(Arc::new);
                let english = given_english(spec.overrides);
                session::build_request(
                    spec.caption,
                    english.as_ref(),
                    &image,
                    spec.seed,
                    &model,
                    &self.styles,
                )
                .map(|(request, _)| request)
                .map_err(|e| e.0)
            };
            batch::plan_jobs(&outline, base_seed, Naming::default(), &build)
                .map_err(|e| BadInput::from_error(&e))?
        };
        let mut figures = Vec::with_capacity(jobs.len());
        for job in jobs {
            let spec = FigureSpec {
                caption: &job.caption,
                overrides: &job.overrides,
                seed: job.request.seed,
            };
            let mut image = figure_image_options(&defaults, &spec);
            // Kept at the figure's size only (as a single picture's upload is), so a queue
            // of figures does not hold every photo at full size.
            let (w, h) = (job.request.width, job.request.height);
            if let Some(init) = starting_picture(&job.overrides).map_err(BadInput)? {
                image.init = Some(Arc::new(init.fitted_to(w, h)));
                image.size = Some(format!("{w}x{h}"));
            }
            let input = JobInput {
                caption: job.caption.clone(),
                image,
                seed: job.request.seed,
                english: given_english(&job.overrides),
                compare: None,
            };
            let figure = BatchFigure {
                file: job.file_name,
                caption: job.caption,
                job: String::new(),
                request: job.request,
            };
            figures.push((figure, input));
        }
        Ok(CheckedBatch {
            outline: name,
            format,
            source: outline.source,
            figures,
        })
    }

    /// Queues every figure of a checked batch for `client`, or none when they do not all
    /// fit in the queue.
    pub(crate) fn enqueue_batch(
        &self,
        client: &str,
        owner: Option<String>,
        checked: CheckedBatch,
    ) -> anyhow::Result<Result<JobId, QueueFull>> {
        let mut state = lock(&self.state);
        let n = checked.figures.len();
        if n > self.config.queue_limit {
            // Waiting would never help: said as the outline's problem.
            return Err(BadInput(msg!(
                "serve-batch-too-many",
                count = n,
                max = self.config.queue_limit
            ))
            .into());
        }
        if n > self.config.per_client {
            return Err(BadInput(msg!(
                "serve-batch-over-share",
                count = n,
                max = self.config.per_client
            ))
            .into());
        }
        if let Some(full) = self.refusal(&state, client, n) {
            return Ok(Err(full));
        }
        let fresh = |state: &super::State| loop {
            let id = JobId::random()?;
            if !state.jobs.contains_key(&id) && !state.batches.contains_key(&id) {
                return Ok::<_, std::io::Error>(id);
            }
        };
        let batch_id = fresh(&state)?;
        let mut record = BatchRecord {
            id: batch_id.to_string(),
            outline: checked.outline,
            format: format_ext(checked.format).to_string(),
            created: store::now_seconds(),
            cancelled: false,
            figures: Vec::with_capacity(n),
            owner,
            instance: Some(self.config.instance.clone()),
        };
        let mut jobs = Vec::with_capacity(n);
        for (mut figure, input) in checked.figures {
            let id = loop {
                let id = fresh(&state)?;
                if !jobs.iter().any(|(j, _): &(JobId, Job)| *j == id) {
                    break id;
                }
            };
            let job_record = JobRecord {
                id: id.to_string(),
                kind: store::JobKind::Image,
                state: JobState::Queued,
                caption: input.caption.trim().to_string(),
                seed: input.seed,
                created: record.created,
                waited_seconds: None,
                seconds: None,
                error: None,
                owner: None,
                instance: Some(self.config.instance.clone()),
            };
            self.store.write(&job_record)?;
            figure.job = id.to_string();
            record.figures.push(figure);
            jobs.push((
                id,
                Job {
                    record: job_record,
                    input: Some(input),
                    accepted: std::time::Instant::now(),
                    step: None,
                    cells: None,
                    cancel: Default::default(),
                    notes: Vec::new(),
                },
            ));
        }
        self.batches.write(&record, Some(&checked.source))?;
        for (id, job) in jobs {
            state.jobs.insert(id.clone(), job);
            state.queue.push(client, id);
        }
        state.batches.insert(batch_id.clone(), record);
        self.work.notify_all();
        drop(state);
        self.bump();
        Ok(Ok(batch_id))
    }

    /// `{state, figures: [{file, caption, state, progress}], done, total}`; `None` when
    /// there is no such batch.
    pub(crate) fn batch_status(&self, id: &JobId, lang: Lang) -> Option<serde_json::Value> {
        let elsewhere = self.batch_jobs(id)?;
        let state = lock(&self.state);
        let record = state.batches.get(id)?;
        let mut figures = Vec::with_capacity(record.figures.len());
        let (mut done, mut waiting, mut started) = (0, 0, 0);
        for f in &record.figures {
            let job =
                JobId::parse(&f.job).and_then(|j| state.jobs.get(&j).or_else(|| elsewhere.get(&j)));
            let s = figure_state(job);
            match s {
                "done" => done += 1,
                "queued" => waiting += 1,
                "running" => started += 1,
                _ => {}
            }
            let mut v = json!({
                "file": f.file,
                "caption": f.caption,
                "state": s,
                "progress": job.map_or(0.0, |j| (j.progress() * 1000.0).round() / 1000.0),
                "job": f.job,
            });
            if let Some(e) = job.and_then(|j| j.record.error.as_ref()) {
                v["error"] = e.get(lang).into();
            }
            figures.push(v);
        }
        let total = record.figures.len();
        let finished = waiting + started == 0;
        let batch_state = if !finished {
            if started + done > 0 {
                "running"
            } else {
                "queued"
            }
        } else if done == total {
            "done"
        } else if record.cancelled {
            "cancelled"
        } else {
            "failed"
        };
        let mut v = json!({
            "id": record.id,
            "outline": record.outline,
            "state": batch_state,
            "figures": figures,
            "done": done,
            "total": total,
        });
        if finished {
            v["zip"] = format!("/api/batches/{}.zip", record.id).into();
        }
        Some(v)
    }

    /// A batch this instance may not know yet (another instance sharing the data folder
    /// took it), kept once read, with its figures' jobs that are still being made elsewhere,
    /// as their records say now; `None` when there is no such batch.
    fn batch_jobs(&self, id: &JobId) -> Option<std::collections::HashMap<JobId, Job>> {
        let known = lock(&self.state).batches.get(id).cloned();
        let record = match known {
            Some(r) => r,
            None => {
                let r = self.batches.read(id)?;
                lock(&self.state)
                    .batches
                    .entry(id.clone())
                    .or_insert(r)
                    .clone()
            }
        };
        Some(
            record
                .figures
                .iter()
                .filter_map(|f| JobId::parse(&f.job))
                .filter_map(|j| Some((j.clone(), self.elsewhere(&j)?)))
                .collect(),
        )
    }

    /// The batches of `owner` (a cookie's SHA-256) for the history, each as one entry:
    /// `{id, kind: "batch", state, caption: the outline's name, done, total, created, status,
    /// zip?, image?: its first finished figure}`. Batches other instances took are read
    /// from the shared folder.
    pub(crate) fn batch_history(&self, owner: &str, lang: Lang) -> Vec<serde_json::Value> {
        let known: Vec<JobId> = {
            let state = lock(&self.state);
            let mut ids: Vec<JobId> = state.batches.keys().cloned().collect();
            ids.extend(
                self.batches
                    .ids()
                    .into_iter()
                    .filter(|i| !state.batches.contains_key(i)),
            );
            ids
        };
        let mut out = Vec::new();
        for id in known {
            let seen = lock(&self.state)
                .batches
                .get(&id)
                .map(|r| (r.owner.as_deref() == Some(owner), r.created));
            let created = match seen {
                Some((true, created)) => created,
                Some((false, _)) => continue,
                // Taken by another instance since this one looked: read once, kept.
                None => {
                    let Some(r) = self.batches.read(&id) else {
                        continue;
                    };
                    let (mine, created) = (r.owner.as_deref() == Some(owner), r.created);
                    lock(&self.state).batches.entry(id.clone()).or_insert(r);
                    if !mine {
                        continue;
                    }
                    created
                }
            };
            let Some(status) = self.batch_status(&id, lang) else {
                continue;
            };
            let mut v = json!({
                "id": id.as_str(),
                "kind": "batch",
                "state": status["state"],
                "caption": status["outline"],
                "done": status["done"],
                "total": status["total"],
                "created": created,
                "status": format!("/api/batches/{id}"),
            });
            if !status["zip"].is_null() {
                v["zip"] = status["zip"].clone();
            }
            let first = status["figures"]
                .as_array()
                .and_then(|f| f.iter().find(|f| f["state"] == "done"));
            if let Some(f) = first {
                v["image"] = format!("/api/images/{}.png", f["job"].as_str().unwrap_or("")).into();
            }
            out.push(v);
        }
        out
    }

    /// Cancels a batch's waiting and running figures (finished ones are kept for its ZIP);
    /// the number cancelled, or `None` when there is no such batch. The figures of a batch
    /// another instance is making are cancelled through the shared folder as its single
    /// jobs are (every instance answers for them as cancelled at once), and that instance
    /// is asked to mark the batch cancelled in its record; `Err(instance)` when those
    /// requests cannot be written.
    pub(crate) fn cancel_batch(&self, id: &JobId) -> Option<Result<usize, String>> {
        let elsewhere = self.batch_jobs(id)?;
        let running_there: Vec<(JobId, Option<String>)> = elsewhere
            .into_iter()
            .filter(|(_, j)| !j.record.state.is_finished())
            .map(|(job, j)| (job, j.record.instance))
            .collect();
        if !running_there.is_empty() {
            let instance = running_there[0].1.clone().unwrap_or_default();
            if self.live.request_cancel(id, &self.config.instance).is_err() {
                return Some(Err(instance));
            }
            let mut cancelled = 0;
            for (job, _) in running_there {
                match self.cancel(&job) {
                    Some(Cancel::Done(was)) if !was.is_finished() => cancelled += 1,
                    Some(Cancel::Elsewhere(instance)) => return Some(Err(instance)),
                    _ => {}
                }
            }
            // This instance's copy says so too; the making instance writes the file.
            if let Some(record) = lock(&self.state).batches.get_mut(id) {
                record.cancelled = true;
            }
            self.bump();
            return Some(Ok(cancelled));
        }
        let jobs: Vec<JobId> = {
            let mut state = lock(&self.state);
            let record = state.batches.get_mut(id)?;
            record.cancelled = true;
            let _ = self.batches.write(record, None);
            let record = record.clone();
            record
                .figures
                .iter()
                .filter_map(|f| JobId::parse(&f.job))
                .filter(|j| {
                    state
                        .jobs
                        .get(j)
                        .is_some_and(|job| !job.record.state.is_finished())
                })
                .collect()
        };
        let mut cancelled = 0;
        for job in jobs {
            if matches!(self.cancel(&job), Some(Cancel::Done(was)) if !was.is_finished()) {
                cancelled += 1;
            }
        }
        Some(Ok(cancelled))
    }

    /// The batch's finished figures with `manifest.json` and the gallery `index.html`, as
    /// `batch` writes them, in one ZIP (also kept as `figures.zip` in the batch folder).
    pub(crate) fn batch_zip(&self, id: &JobId, lang: Lang) -> anyhow::Result<ZipOutcome> {
        match self.batch_jobs(id) {
            None => return Ok(ZipOutcome::NoSuchBatch),
            Some(elsewhere) if elsewhere.values().any(|j| !j.record.state.is_finished()) => {
                return Ok(ZipOutcome::NotReady)
            }
            Some(_) => {}
        }
        let (record, made) = {
            let state = lock(&self.state);
            let Some(record) = state.batches.get(id) else {
                return Ok(ZipOutcome::NoSuchBatch);
            };
            let mut made = Vec::new();
            for f in &record.figures {
                let job = JobId::parse(&f.job).and_then(|j| state.jobs.get(&j).map(|x| (j, x)));
                match job {
                    Some((_, j)) if !j.record.state.is_finished() => {
                        return Ok(ZipOutcome::NotReady)
                    }
                    Some((j, x)) if x.record.state == JobState::Done => {
                        made.push((f.file.clone(), j, x.record.seconds));
                    }
                    _ => {}
                }
            }
            (record.clone(), made)
        };
        let folder = self.batches.folder(id);
        let out_dir = folder.join("figures");
        std::fs::create_dir_all(&out_dir)?;
        let mut timings = Vec::new();
        let mut copied = Vec::new();
        for (file, job, seconds) in &made {
            // Deleted through /api/images since: left out, like a figure never made.
            let Ok(bytes) = std::fs::read(self.store.png_path(job)) else {
                continue;
            };
            batch::write_atomic(&out_dir.join(file), &bytes)?;
            copied.push(file.clone());
            if let Some(s) = seconds {
                timings.push((file.clone(), *s));
            }
        }
        // A figure copied for an earlier download whose job is gone now is not in this one.
        for f in &record.figures {
            if !copied.contains(&f.file) {
                let _ = std::fs::remove_file(out_dir.join(&f.file));
            }
        }
        // The outline again, for the gallery's title and headings (it passed every check).
        let source = std::fs::read(folder.join(format!("outline.{}", record.format)))?;
        let outline = outline::parse_uploaded_outline(
            Path::new(&record.outline),
            format_of_ext(&record.format),
            source,
            &|_| Ok(()),
            outline::UploadedPictures::Checked,
        )?;
        let figures = record
            .figures
            .iter()
            .zip(&outline.items)
            .enumerate()
            .map(|(index, (f, item))| {
                // What was made (with its translation) when it is there.
                let request = output::read_metadata(&out_dir.join(&f.file))
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| f.request.clone());
                PlannedFigure {
                    job: FigureJob {
                        index,
                        line: item.line,
                        caption: f.caption.clone(),
                        overrides: item.overrides.clone(),
                        file_name: f.file.clone(),
                        request,
                    },
                    action: Action::Skip,
                }
            })
            .collect();
        let plan = Plan {
            outline_path: PathBuf::from(&record.outline),
            out_dir: out_dir.clone(),
            shard: None,
            figures,
            stray: Vec::new(),
            title: outline.title().map(str::to_string),
            headings: outline.headings.clone(),
            gallery: GalleryOptions {
                lang,
                style_titles: self
                    .styles
                    .iter()
                    .map(|l| (l.style.name.clone(), l.style.title.clone()))
                    .collect(),
            },
        };
        let (manifest, gallery) = batch::write_index(&plan, &OutputStore, &timings)?;

        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for file in &copied {
            // PNGs are compressed already.
            zip.start_file(file.as_str(), stored)?;
            zip.write_all(&std::fs::read(out_dir.join(file))?)?;
        }
        for path in [&manifest, &gallery] {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            zip.start_file(name, deflated)?;
            zip.write_all(&std::fs::read(path)?)?;
        }
        let bytes = zip.finish()?.into_inner();
        batch::write_atomic(&folder.join(ZIP_FILE), &bytes)?;
        Ok(ZipOutcome::Ready {
            bytes,
            file_name: format!("figures-{}.zip", &record.id[..8]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_names_are_plain_file_names() {
        assert_eq!(clean_name("report.md").as_deref(), Some("report.md"));
        assert_eq!(clean_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(
            clean_name("C:\\Users\\kim\\개요.csv").as_deref(),
            Some("개요.csv")
        );
        assert_eq!(
            clean_name("a\u{1b}[31mb.txt").as_deref(),
            Some("a[31mb.txt")
        );
        assert_eq!(clean_name(".."), None);
        assert_eq!(clean_name("dir/"), None);
        assert_eq!(clean_name(&"x".repeat(500)).map(|n| n.len()), Some(100));
    }

    #[test]
    fn batch_records_round_trip_and_foreign_folders_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let batches = Batches::new(dir.path());
        assert!(batches.load().is_empty());
        let record = BatchRecord {
            id: format!("{:032x}", 7),
            outline: "report.md".into(),
            format: "md".into(),
            created: 1.0,
            cancelled: false,
            figures: Vec::new(),
            owner: None,
            instance: None,
        };
        batches.write(&record, Some("## A park\n")).unwrap();
        std::fs::create_dir_all(dir.path().join("batches/not-an-id")).unwrap();
        let loaded = batches.load();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].outline, "report.md");
        let folder = batches.folder(&JobId::parse(&record.id).unwrap());
        assert_eq!(
            std::fs::read_to_string(folder.join("outline.md")).unwrap(),
            "## A park\n"
        );
    }
}
