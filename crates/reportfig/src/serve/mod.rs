//! `reportfig serve`: the model loaded once behind a small HTTP API, for staff who do not use
//! a terminal and for a department that shares one strong machine.
//!
//! - [`api`]: the routes, the token check and the JSON the page and scripts read.
//! - [`queue`]: the waiting line, fair between clients.
//! - [`worker`]: the one thread that owns the model and makes one image at a time, so the
//!   HTTP side never waits for the model.
//! - [`batches`]: uploaded outlines, run as jobs of the same queue, and their ZIPs.
//! - [`store`]: finished images as files (PNG with metadata, and a JSON record) in the data
//!   folder, so a restart keeps them.
//! - [`instances`]: several servers sharing one data folder, each answering for the others'
//!   finished jobs from the folder.
//! - [`live`]: a running job's progress and cancel requests, as files in that folder, so any
//!   instance shows another's job moving and can have it cancelled.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use crate::commands::session::{self, ModelOptions, ResolvedModel};
use crate::commands::{BadInput, Reporter};
use crate::i18n::Lang;
use crate::init_image::InitPicture;
use crate::msg;
use crate::settings::ImageOptions;
use crate::style::StyleLibrary;
use crate::translate::{CaptionTranslator, TranslateOptions};

pub mod api;
pub mod batches;
pub mod instances;
pub mod live;
pub mod outline_zip;
pub mod page;
pub mod queue;
pub mod store;
pub mod worker;

use queue::FairQueue;
use store::{JobId, JobRecord, JobState, Store, Texts};

/// Longest caption the server takes, in characters (a caption is a sentence, not a page).
pub const MAX_CAPTION_CHARS: usize = 500;
/// Longest negative prompt, in characters.
pub const MAX_NEGATIVE_CHARS: usize = 1000;
/// Largest request body, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest starting picture or mask uploaded with `POST /api/images`, in bytes of the file
/// (a phone's JPEG is 2 to 8 MiB).
pub const MAX_PICTURE_BYTES: usize = 10 * 1024 * 1024;
/// Largest `POST /api/images` body: room for a picture and a mask in base64 (4 characters
/// for every 3 bytes, 26.7 MiB) and the settings.
pub const MAX_IMAGE_BODY_BYTES: usize = 28 * 1024 * 1024;
const _: () =
    assert!(MAX_IMAGE_BODY_BYTES >= 2 * MAX_PICTURE_BYTES.div_ceil(3) * 4 + MAX_BODY_BYTES);
/// Shortest `--token` accepted: a guessable token is no protection.
pub const MIN_TOKEN_CHARS: usize = 16;

/// `serve`'s checked options.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// `--addr` as typed.
    pub addr: String,
    /// `--token` (or `REPORTFIG_TOKEN`).
    pub token: Option<String>,
    /// `--data`: where images are kept; nothing is written outside it.
    pub data: PathBuf,
    /// `--queue`: how many jobs may wait.
    pub queue_limit: usize,
    /// `--per-client`: how many of them may be one client's (its computer's).
    pub per_client: usize,
    /// `--instance`: this server's name among those sharing `data` (the caller's default is
    /// the host name, which is the pod's name in Kubernetes).
    pub instance: String,
    pub model: ModelOptions,
    pub translate: TranslateOptions,
}

/// What [`run`] says once it listens.
#[derive(Debug, Clone)]
pub struct Listening {
    pub addr: SocketAddr,
    /// A token made up because the address is not loopback and none was given; shown once.
    pub generated_token: Option<String>,
}

/// `--addr`: `HOST:PORT` with an IP address, or `localhost:PORT`.
pub fn parse_addr(text: &str) -> Result<SocketAddr, BadInput> {
    let text = text.trim();
    if let Ok(a) = text.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Some(port) = text.strip_prefix("localhost:") {
        if let Ok(p) = port.parse::<u16>() {
            return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p));
        }
    }
    Err(BadInput(msg!("serve-bad-addr", addr = text)))
}

/// The token every request must carry: `--token`, else none on a loopback address, else a
/// new random one (returned as the second value so it can be shown).
pub fn decide_token(
    addr: &SocketAddr,
    given: Option<&str>,
) -> Result<(Option<String>, bool), BadInput> {
    match given.map(str::trim) {
        Some(t) if t.chars().count() < MIN_TOKEN_CHARS || t.chars().any(char::is_whitespace) => {
            Err(BadInput(msg!(
                "serve-token-too-short",
                min = MIN_TOKEN_CHARS
            )))
        }
        Some(t) => Ok((Some(t.to_string()), false)),
        None if addr.ip().is_loopback() => Ok((None, false)),
        None => {
            let t = store::random_hex(16)
                .map_err(|e| BadInput(msg!("serve-no-randomness", reason = e.to_string())))?;
            Ok((Some(t), true))
        }
    }
}

/// What a job was asked for, kept until the worker runs it.
#[derive(Debug, Clone)]
pub(crate) struct JobInput {
    pub caption: String,
    pub image: ImageOptions,
    pub seed: u64,
    /// An outline figure's own `en=`: used instead of a translation.
    pub english: Option<crate::translate::English>,
    /// Set for a comparison: its checked cells (`image` and `caption` are then unused but
    /// for the record).
    pub compare: Option<Arc<crate::commands::compare::Grid>>,
}

/// One job the server knows.
pub(crate) struct Job {
    pub record: JobRecord,
    /// `None` for a job read back from disk after a restart (it is finished).
    pub input: Option<JobInput>,
    pub accepted: Instant,
    /// Steps done and the total, while running.
    pub step: Option<(usize, usize)>,
    /// A comparison's pictures made and the total, while running.
    pub cells: Option<(usize, usize)>,
    pub cancel: Arc<AtomicBool>,
    /// What the user should hear about the request (ignored negatives, dropped words).
    pub notes: Vec<Texts>,
}

impl Job {
    /// A job known only by its record: finished, or another instance's.
    fn of_record(record: JobRecord) -> Job {
        Job {
            record,
            input: None,
            accepted: Instant::now(),
            step: None,
            cells: None,
            cancel: Arc::new(AtomicBool::new(false)),
            notes: Vec::new(),
        }
    }

    /// 0 to 1.
    pub fn progress(&self) -> f64 {
        match (self.record.state, self.step) {
            (JobState::Done, _) => 1.0,
            (JobState::Running, step) => {
                let within = match step {
                    Some((done, total)) if total > 0 => done as f64 / total as f64,
                    _ => 0.0,
                };
                let overall = match self.cells {
                    Some((made, of)) if of > 0 => (made as f64 + within) / of as f64,
                    _ => within,
                };
                // The VAE and the PNG come after the last step: never 100% before done.
                overall.min(0.99)
            }
            _ => 0.0,
        }
    }
}

pub(crate) struct State {
    pub jobs: HashMap<JobId, Job>,
    /// Uploaded outlines; their figures are among `jobs`.
    pub batches: HashMap<JobId, batches::BatchRecord>,
    pub queue: FairQueue,
    pub running: Option<JobId>,
    /// How long a job has taken lately (for `Retry-After`).
    pub seconds_per_job: Option<f64>,
}

/// Why a request was not queued: bad input (400), or a picture too large (413).
#[derive(Debug)]
pub(crate) enum Refused {
    Bad(BadInput),
    TooLarge(BadInput),
}

impl From<BadInput> for Refused {
    fn from(b: BadInput) -> Self {
        Refused::Bad(b)
    }
}

/// A file uploaded as base64 in JSON: its bytes and the plain name it is known by.
fn decode_upload(up: &api::UploadedPicture, fallback: &str) -> Result<(String, Vec<u8>), Refused> {
    use base64::Engine as _;
    let name = up
        .name
        .as_deref()
        .and_then(batches::clean_name)
        .unwrap_or_else(|| fallback.to_string());
    let too_large = || {
        Refused::TooLarge(BadInput(msg!(
            "serve-picture-too-large",
            file = name.as_str(),
            max = MAX_PICTURE_BYTES / (1024 * 1024)
        )))
    };
    // A data URL (what a browser's FileReader gives) carries its type before the comma.
    let data = match up.data.strip_prefix("data:") {
        Some(rest) => rest.split_once(',').map_or(rest, |(_, d)| d),
        None => up.data.as_str(),
    };
    let data: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if data.len() / 4 * 3 > MAX_PICTURE_BYTES + 3 {
        return Err(too_large());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.as_bytes())
        .map_err(|e| {
            Refused::Bad(BadInput(msg!(
                "serve-picture-bad-data",
                file = name.as_str(),
                reason = e.to_string()
            )))
        })?;
    if bytes.len() > MAX_PICTURE_BYTES {
        return Err(too_large());
    }
    // Without a name, the record says what the file was by its content.
    let name = match up.name.as_deref().and_then(batches::clean_name) {
        Some(n) => n,
        None if bytes.starts_with(b"\x89PNG") => format!("{fallback}.png"),
        None if bytes.starts_with(&[0xFF, 0xD8]) => format!("{fallback}.jpg"),
        None => fallback.to_string(),
    };
    Ok((name, bytes))
}

/// Most pictures on a comparison the server makes: one job holds the worker for all of them.
pub const MAX_COMPARE_CELLS: usize = 16;
/// A comparison's starting picture is kept at most this long a side until it runs (every
/// model's size is smaller; cells are fitted from it).
const MAX_KEPT_SIDE: u32 = 2048;

/// The caption and negative prompt within their lengths, and the sampler's name.
fn check_texts(
    caption: &str,
    negative: Option<&str>,
    sampler: Option<&str>,
) -> Result<Option<crate::style::SamplerChoice>, BadInput> {
    if caption.chars().count() > MAX_CAPTION_CHARS {
        return Err(BadInput(msg!(
            "serve-caption-too-long",
            max = MAX_CAPTION_CHARS
        )));
    }
    if negative.is_some_and(|n| n.chars().count() > MAX_NEGATIVE_CHARS) {
        return Err(BadInput(msg!(
            "serve-negative-too-long",
            max = MAX_NEGATIVE_CHARS
        )));
    }
    sampler
        .map(|s| s.parse::<crate::style::SamplerChoice>())
        .transpose()
        .map_err(|e| BadInput::from_error(&e))
}

/// A full queue, or a client's full share of it: when to try again.
#[derive(Debug)]
pub(crate) struct QueueFull {
    pub retry_after: u64,
    /// Set when it is the client's share (`--per-client`) that is full: how many of its
    /// jobs wait, and the most allowed.
    pub client: Option<(usize, usize)>,
}

/// What [`Shared::cancel`] did.
#[derive(Debug)]
pub(crate) enum Cancel {
    /// The job was in this state and is cancelled or deleted.
    Done(JobState),
    /// Another instance, named here, is making it.
    Elsewhere(String),
}

pub(crate) struct Config {
    pub token: Option<String>,
    pub queue_limit: usize,
    /// `--per-client`: the most jobs one client may have waiting.
    pub per_client: usize,
    pub model_label: String,
    /// This instance's name, in the records of the jobs it makes.
    pub instance: String,
}

/// Everything the HTTP side and the worker share. The model itself is the worker's alone;
/// the resolved model (its files, tokenizer and LoRA records) is here because checking a
/// request needs it, and that takes milliseconds.
pub(crate) struct Shared {
    pub state: Mutex<State>,
    /// Wakes the worker when a job arrives or the server stops.
    pub work: Condvar,
    /// Bumped on every change a client may watch (progress, states), for the event streams.
    pub changed: tokio::sync::watch::Sender<u64>,
    pub stopping: AtomicBool,
    pub model: Mutex<ResolvedModel>,
    /// Held while an uploaded picture is decoded, so several large photos at once do not
    /// each take their full size in memory.
    pub decoding: Mutex<()>,
    pub styles: StyleLibrary,
    pub store: Store,
    pub batches: batches::Batches,
    /// The instances sharing the data folder, to tell whether another's job is still made.
    pub instances: instances::Instances,
    /// Running jobs' progress and cancel requests, shared with the other instances.
    pub live: live::Live,
    /// What a job left behind by a stopped instance says.
    pub lost: crate::i18n::Message,
    pub config: Config,
    /// One line per finished job and on stopping, for the server's log.
    pub log: Log,
}

/// Receives the server's log lines (in both languages; the caller picks one).
pub type Log = Box<dyn Fn(&Texts) + Send + Sync>;

/// A lock that survives a panicked holder: the data is plain records, valid at every step.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Stops taking work: the worker abandons the running job at its next step, event
    /// streams end.
    pub fn begin_stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _guard = lock(&self.state);
        self.work.notify_all();
        drop(_guard);
        self.bump();
    }

    /// The starting picture of a request, read as `generate --init-image` reads a file
    /// (one upload decoded at a time, as a photo may hold many megapixels).
    fn init_picture(
        &self,
        picture: Option<&api::UploadedPicture>,
        mask: Option<&api::UploadedPicture>,
        strength: Option<f64>,
    ) -> Result<Option<Arc<InitPicture>>, Refused> {
        let Some(picture) = picture else {
            if mask.is_some() {
                return Err(BadInput(msg!("serve-mask-needs-picture")).into());
            }
            if strength.is_some() {
                return Err(BadInput(msg!("serve-strength-needs-picture")).into());
            }
            return Ok(None);
        };
        let strength = strength.unwrap_or(crate::init_image::DEFAULT_STRENGTH);
        if !reportfig_engine::request::InitImage::strength_is_valid(strength) {
            return Err(
                BadInput(msg!("serve-bad-strength", strength = strength.to_string())).into(),
            );
        }
        let (name, bytes) = decode_upload(picture, "upload")?;
        let mask = mask.map(|m| decode_upload(m, "mask")).transpose()?;
        let _one_at_a_time = lock(&self.decoding);
        let bad = |e: crate::init_image::InitImageError| BadInput(e.message());
        let mut init =
            InitPicture::from_bytes(std::path::Path::new(&name), &bytes, strength).map_err(bad)?;
        if let Some((mask_name, mask_bytes)) = mask {
            init = init
                .with_mask_bytes(std::path::Path::new(&mask_name), &mask_bytes)
                .map_err(bad)?;
        }
        Ok(Some(Arc::new(init)))
    }

    /// Checks a request as the command line would, before it is queued. A starting picture
    /// is kept at the request's size only, and that size is fixed in the job, so the worker
    /// makes exactly what was checked.
    pub fn check(&self, body: api::NewImage) -> Result<JobInput, Refused> {
        let caption = body.caption;
        let sampler = check_texts(&caption, body.negative.as_deref(), body.sampler.as_deref())?;
        let init =
            self.init_picture(body.init_image.as_ref(), body.mask.as_ref(), body.strength)?;
        let mut image = ImageOptions {
            style: body.style.filter(|s| !s.trim().is_empty()),
            size: body.size.filter(|s| !s.trim().is_empty()),
            steps: body.steps,
            guidance: body.guidance,
            sampler,
            negative: body.negative,
            init,
            ..ImageOptions::default()
        };
        let seed = body.seed.unwrap_or_else(session::fresh_seed);
        // The English is made by the worker (the translator is a model too); everything a
        // user can get wrong is in the settings, which are checked here on the caption.
        let model = lock(&self.model);
        let (request, _) =
            session::build_request(&caption, None, &image, seed, &model, &self.styles)?;
        drop(model);
        if let Some(init) = image.init.take() {
            image.init = Some(Arc::new(init.fitted_to(request.width, request.height)));
            image.size = Some(format!("{}x{}", request.width, request.height));
        }
        Ok(JobInput {
            caption,
            image,
            seed,
            english: None,
            compare: None,
        })
    }

    /// Checks a comparison as `compare` would (one caption, the loaded model), before it is
    /// queued: every cell's request and the sheet's words.
    pub fn check_compare(&self, body: api::NewCompare, lang: Lang) -> Result<JobInput, Refused> {
        use crate::commands::compare::{self, GridSpec};
        let caption = body.caption;
        let sampler = check_texts(&caption, body.negative.as_deref(), body.sampler.as_deref())?;
        for text in &body.vary {
            let axis = compare::parse_vary(text)?;
            if axis.name == "model" {
                return Err(BadInput(msg!("serve-compare-no-model")).into());
            }
            if axis.name == "strength" && body.init_image.is_none() {
                return Err(BadInput(msg!("serve-strength-needs-picture")).into());
            }
        }
        let init = self
            .init_picture(body.init_image.as_ref(), body.mask.as_ref(), body.strength)?
            // Made at each cell's size when it runs: kept no larger than any size needs.
            .map(|p| Arc::new(p.shrunk_to(MAX_KEPT_SIDE)));
        let image = ImageOptions {
            style: body.style.filter(|s| !s.trim().is_empty()),
            size: body.size.filter(|s| !s.trim().is_empty()),
            steps: body.steps,
            guidance: body.guidance,
            sampler,
            negative: body.negative,
            init,
            ..ImageOptions::default()
        };
        let seeds = if body.seeds.is_empty() {
            vec![session::fresh_seed()]
        } else {
            body.seeds
        };
        let spec = GridSpec {
            captions: vec![caption.clone()],
            styles: body.styles,
            seeds: seeds.clone(),
            vary: body.vary,
            image,
            model: self.config.model_label.clone(),
            lang,
        };
        let grid = compare::check_grid(spec, &self.styles, 400)?;
        let images = grid.rows() * grid.columns();
        if images > MAX_COMPARE_CELLS {
            return Err(BadInput(msg!(
                "serve-compare-too-many",
                images = images,
                max = MAX_COMPARE_CELLS
            ))
            .into());
        }
        let guard = lock(&self.model);
        let model: &ResolvedModel = &guard;
        compare::plan(
            &grid,
            &self.styles,
            &crate::compare::SheetFont::bundled(),
            &|_: &str| None,
            &|_: &str| model,
        )?;
        drop(guard);
        Ok(JobInput {
            caption,
            image: ImageOptions::default(),
            seed: seeds[0],
            english: None,
            compare: Some(Arc::new(grid)),
        })
    }

    /// `Retry-After` when the queue is full: the waiting work at the recent pace.
    fn retry_after(state: &State, limit: usize) -> u64 {
        let per_job = state.seconds_per_job.unwrap_or(10.0);
        let over = state.queue.len().saturating_sub(limit) + 1;
        ((per_job * over as f64).ceil() as u64).clamp(1, 3600)
    }

    /// Why `adding` more jobs from `client` would be refused now, if they would: the queue
    /// is full, or the client already has its share waiting.
    pub(crate) fn refusal(&self, state: &State, client: &str, adding: usize) -> Option<QueueFull> {
        if state.queue.len() + adding > self.config.queue_limit {
            return Some(QueueFull {
                retry_after: Self::retry_after(state, self.config.queue_limit),
                client: None,
            });
        }
        let mine = state.queue.waiting_for(client);
        if mine + adding > self.config.per_client {
            // One of the client's jobs must run first, after a turn of everyone else's.
            let per_job = state.seconds_per_job.unwrap_or(10.0);
            let turns = state.queue.clients().max(1) + usize::from(state.running.is_some());
            return Some(QueueFull {
                retry_after: ((per_job * turns as f64).ceil() as u64).clamp(1, 3600),
                client: Some((mine, self.config.per_client)),
            });
        }
        None
    }

    /// Whether a new job from `client` would be refused now.
    pub fn full(&self, client: &str) -> Result<(), QueueFull> {
        let state = lock(&self.state);
        match self.refusal(&state, client, 1) {
            Some(full) => Err(full),
            None => Ok(()),
        }
    }

    /// Queues a checked job for `client`; its record is written first, so a restart knows
    /// it was lost.
    pub fn enqueue(
        &self,
        client: &str,
        owner: Option<String>,
        input: JobInput,
    ) -> Result<Result<JobId, QueueFull>, anyhow::Error> {
        let mut state = lock(&self.state);
        if let Some(full) = self.refusal(&state, client, 1) {
            return Ok(Err(full));
        }
        let id = loop {
            let id = JobId::random()?;
            if !state.jobs.contains_key(&id) {
                break id;
            }
        };
        let record = JobRecord {
            id: id.to_string(),
            kind: if input.compare.is_some() {
                store::JobKind::Compare
            } else {
                store::JobKind::Image
            },
            state: JobState::Queued,
            caption: input.caption.trim().to_string(),
            seed: input.seed,
            created: store::now_seconds(),
            waited_seconds: None,
            seconds: None,
            error: None,
            owner,
            instance: Some(self.config.instance.clone()),
        };
        self.store.write(&record)?;
        state.jobs.insert(
            id.clone(),
            Job {
                record,
                input: Some(input),
                accepted: Instant::now(),
                step: None,
                cells: None,
                cancel: Arc::new(AtomicBool::new(false)),
                notes: Vec::new(),
            },
        );
        state.queue.push(client, id.clone());
        self.work.notify_all();
        drop(state);
        self.bump();
        Ok(Ok(id))
    }

    /// Cancels or deletes a job: a waiting one leaves the line, a running one stops at its
    /// next step (the worker throws away what it made), a finished one's files are removed.
    /// `None` when there is no such job. Another instance's job that it is still making is
    /// cancelled by a request in the shared folder, which that instance carries out within
    /// a fraction of a second (its step, for a running one), as if it had been asked itself;
    /// [`Cancel::Elsewhere`] when the request cannot be written. One left by an instance
    /// that stopped is deleted.
    pub fn cancel(&self, id: &JobId) -> Option<Cancel> {
        if let Some(there) = self.elsewhere(id) {
            if !there.record.state.is_finished() {
                let instance = there.record.instance.unwrap_or_default();
                if self.live.request_cancel(id, &self.config.instance).is_err() {
                    return Some(Cancel::Elsewhere(instance));
                }
                self.bump();
                return Some(Cancel::Done(there.record.state));
            }
            // Left behind by an instance that stopped: only its files remain.
            self.store.remove(id);
            self.bump();
            return Some(Cancel::Done(there.record.state));
        }
        let mut state = lock(&self.state);
        let job = state.jobs.remove(id)?;
        let was = job.record.state;
        match was {
            JobState::Queued => {
                state.queue.remove(id);
                self.store.remove(id);
                self.live.clear(id);
            }
            // The worker removes the files once it has stopped.
            JobState::Running => job.cancel.store(true, Ordering::SeqCst),
            JobState::Done | JobState::Failed => {
                self.store.remove(id);
                self.live.clear(id);
            }
        }
        drop(state);
        self.bump();
        Some(Cancel::Done(was))
    }

    /// A job this instance does not hold, looked for in the shared data folder (another
    /// instance made it, or is making it). A finished one is kept from then on like this
    /// instance's own, and `None` is returned (it is in `jobs` now); an unfinished one is
    /// returned as its record says, and not kept, since its instance will change it. One
    /// whose instance is not running is reported lost, but still read again next time: on a
    /// folder whose locks do not reach this machine the instance may be alive after all.
    ///
    /// A finished job this instance holds whose record is gone was deleted (perhaps through
    /// another instance): it is forgotten here too, so no instance answers for it. A job
    /// whose cancelling was asked for is no longer answered for either, as on the instance
    /// that cancels its own.
    pub(crate) fn elsewhere(&self, id: &JobId) -> Option<Job> {
        let held = lock(&self.state).jobs.get(id).map(|j| j.record.state);
        if let Some(state) = held {
            // A stat, not a read: the instance that deletes a job removes its record.
            if state.is_finished() && !self.store.has_record(id) {
                lock(&self.state).jobs.remove(id);
            }
            return None;
        }
        let mut record = self.store.read(id)?;
        let ours = record
            .instance
            .as_deref()
            .is_none_or(|i| i == self.config.instance);
        if !record.state.is_finished() {
            // This instance knows every job it has: one of its own not in `jobs` was just
            // cancelled, and its worker is removing the files.
            if ours {
                return None;
            }
            let running = record
                .instance
                .as_deref()
                .is_some_and(|i| self.instances.is_running(i));
            if !running {
                record.state = JobState::Failed;
                record.error = Some(Texts::of(&self.lost));
                return Some(Job::of_record(record));
            }
            if self.live.cancel_requested(id) {
                return None;
            }
            let progress = self.live.read_progress(id).unwrap_or_default();
            let mut job = Job::of_record(record);
            job.step = progress.step;
            job.cells = progress.cells;
            return Some(job);
        }
        if record.state == JobState::Done && !self.store.has_png(id) {
            return None;
        }
        lock(&self.state)
            .jobs
            .entry(id.clone())
            .or_insert_with(|| Job::of_record(record));
        None
    }

    /// A job's record, from this instance or the shared folder.
    pub(crate) fn record(&self, id: &JobId) -> Option<JobRecord> {
        if let Some(there) = self.elsewhere(id) {
            return Some(there.record);
        }
        lock(&self.state).jobs.get(id).map(|j| j.record.clone())
    }

    /// Carries out the cancel requests other instances left in the shared folder for this
    /// instance's jobs, and forgets those nobody will carry out (the job is gone, or its
    /// instance stopped). A running job's request stays until its worker has stopped, so
    /// the others read it as cancelled from the moment it was asked.
    pub(crate) fn take_cancel_requests(&self) {
        for id in self.live.cancel_requests() {
            if self.take_batch_cancel_request(&id) {
                continue;
            }
            let ours = lock(&self.state).jobs.contains_key(&id);
            if ours {
                if let Some(Cancel::Done(was)) = self.cancel(&id) {
                    if was != JobState::Running {
                        self.live.clear(&id);
                    }
                }
                continue;
            }
            let Some(record) = self.store.read(&id) else {
                self.live.clear(&id);
                continue;
            };
            let instance = record.instance.as_deref().unwrap_or_default();
            // Our own, not in `jobs`: just cancelled, and the worker clears it as it stops.
            if instance != self.config.instance && !self.instances.is_running(instance) {
                self.live.clear(&id);
            }
        }
    }

    /// A request to cancel a batch (its figures were asked for one by one beside it): the
    /// instance making the batch cancels what is left of it and marks its record cancelled;
    /// a request for a batch whose instance stopped is forgotten. `false` when `id` is no
    /// batch.
    fn take_batch_cancel_request(&self, id: &JobId) -> bool {
        let cached = lock(&self.state).batches.get(id).cloned();
        let Some(record) = cached.or_else(|| self.batches.read(id)) else {
            return false;
        };
        match record.instance.as_deref() {
            Some(i) if i != self.config.instance => {
                if !self.instances.is_running(i) {
                    self.live.clear(id);
                }
            }
            _ => {
                let _ = self.cancel_batch(id);
                self.live.clear(id);
            }
        }
        true
    }

    /// Publishes a running job's progress in the shared folder for the other instances.
    pub(crate) fn publish_progress(&self, id: &JobId) {
        let progress = lock(&self.state).jobs.get(id).map(|j| live::LiveProgress {
            step: j.step,
            cells: j.cells,
        });
        if let Some(p) = progress {
            self.live.write_progress(id, &p);
        }
    }

    /// Learns of the jobs other instances recorded in the shared folder since it last looked,
    /// and forgets finished ones whose files are gone (deleted through another instance);
    /// returns those still being made elsewhere, as their records say now.
    fn refresh(&self) -> Vec<Job> {
        let on_disk: std::collections::HashSet<JobId> = self.store.ids().into_iter().collect();
        {
            let mut state = lock(&self.state);
            // Every job's record is written when it is accepted, so only a deleted one is
            // missing.
            state
                .jobs
                .retain(|id, j| !j.record.state.is_finished() || on_disk.contains(id));
        }
        on_disk.iter().filter_map(|id| self.elsewhere(id)).collect()
    }

    /// The jobs of `owner` (a cookie's SHA-256), newest first, at most `max`: what the
    /// page's history shows.
    pub fn history(&self, owner: &str, max: usize) -> Vec<serde_json::Value> {
        let elsewhere = self.refresh();
        let state = lock(&self.state);
        let mut mine: Vec<&Job> = state
            .jobs
            .values()
            .chain(&elsewhere)
            .filter(|j| j.record.owner.as_deref() == Some(owner))
            .collect();
        mine.sort_by(|a, b| {
            (b.record.created.total_cmp(&a.record.created))
                .then_with(|| b.record.id.cmp(&a.record.id))
        });
        mine.iter()
            .take(max)
            .map(|j| {
                let r = &j.record;
                let under = match r.kind {
                    store::JobKind::Image => "images",
                    store::JobKind::Compare => "compares",
                };
                let mut v = serde_json::json!({
                    "id": r.id,
                    "kind": r.kind,
                    "state": r.state,
                    "caption": r.caption,
                    "seed": r.seed,
                    "created": r.created,
                    "status": format!("/api/{under}/{}", r.id),
                });
                if r.state == JobState::Done {
                    v["image"] = format!("/api/{under}/{}.png", r.id).into();
                }
                v
            })
            .collect()
    }

    /// What a job makes; `None` when unknown.
    pub fn kind(&self, id: &JobId) -> Option<store::JobKind> {
        self.record(id).map(|r| r.kind)
    }

    /// A job's status as the API shows it, and whether it is finished; `None` when unknown.
    pub fn status(&self, id: &JobId, lang: Lang) -> Option<(serde_json::Value, bool)> {
        let elsewhere = self.elsewhere(id);
        let state = lock(&self.state);
        let job = match &elsewhere {
            Some(j) => j,
            None => state.jobs.get(id)?,
        };
        let position = match job.record.state {
            // Another instance's queue is not known here.
            JobState::Queued if elsewhere.is_some() => 0,
            JobState::Queued => {
                let ahead = state
                    .queue
                    .order()
                    .iter()
                    .position(|j| j == id)
                    .unwrap_or(0);
                ahead + usize::from(state.running.is_some())
            }
            _ => 0,
        };
        let r = &job.record;
        let mut v = serde_json::json!({
            "id": r.id,
            "state": r.state,
            "progress": (job.progress() * 1000.0).round() / 1000.0,
            "position": position,
            "caption": r.caption,
            "seed": r.seed,
        });
        let o = v.as_object_mut().expect("an object");
        if let Some((done, total)) = job.step {
            o.insert("step".into(), done.into());
            o.insert("steps".into(), total.into());
        }
        if r.kind == store::JobKind::Compare {
            o.insert("kind".into(), "compare".into());
        }
        if let Some(instance) = &r.instance {
            o.insert("instance".into(), instance.as_str().into());
        }
        if let Some((made, of)) = job.cells {
            // The picture being made, counting from 1.
            o.insert("cell".into(), (made + 1).min(of).into());
            o.insert("cells".into(), of.into());
        }
        if let Some(w) = r.waited_seconds {
            o.insert("waited_seconds".into(), round3(w).into());
        }
        if let Some(s) = r.seconds {
            o.insert("seconds".into(), round3(s).into());
        }
        if r.state == JobState::Done {
            let under = match r.kind {
                store::JobKind::Image => "images",
                store::JobKind::Compare => "compares",
            };
            o.insert("image".into(), format!("/api/{under}/{}.png", r.id).into());
        }
        if let Some(e) = &r.error {
            o.insert("error".into(), e.get(lang).into());
        }
        if !job.notes.is_empty() {
            let notes: Vec<&str> = job.notes.iter().map(|n| n.get(lang)).collect();
            o.insert("notes".into(), notes.into());
        }
        Some((v, r.state.is_finished()))
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Runs the server until Ctrl-C or SIGTERM: loads the model (progress and notes go to
/// `reporter`), then listens and calls `listening` once with the bound address; `log`
/// hears of every finished job. On a stop
/// the running image is abandoned (nothing half-written: files are written atomically) and
/// waiting jobs are recorded as lost.
pub fn run(
    opts: ServeOptions,
    styles: StyleLibrary,
    reporter: &mut dyn Reporter,
    listening: &mut dyn FnMut(&Listening),
    log: Log,
) -> anyhow::Result<()> {
    let addr = parse_addr(&opts.addr)?;
    let (token, generated) = decide_token(&addr, opts.token.as_deref())?;
    if opts.queue_limit == 0 {
        return Err(BadInput(msg!("serve-queue-zero")).into());
    }
    if opts.per_client == 0 {
        return Err(BadInput(msg!("serve-per-client-zero")).into());
    }
    let instance = instances::check_name(&opts.instance)?;
    let store = Store::open(&opts.data)?;
    let instances = instances::Instances::new(&opts.data);
    let live = live::Live::new(&opts.data);
    live.remove_stale_temporaries();
    // Held until the process ends: the other instances on the folder see it running.
    let _claimed = instances.claim(&instance)?;
    let lost = msg!("serve-job-lost");

    let translator = CaptionTranslator::new(opts.translate.clone())?;
    let source = session::parse_model(&opts.model, reporter)?;
    let model = session::resolve_model(source, &opts.model, reporter)?;
    let loras = model.default_loras()?;
    let pipeline = model.load(&opts.model, &loras, reporter)?;
    session::record_licence_notice(&opts.model, &model);
    let finisher = crate::print::Finisher::plain(crate::print::Finish::default());

    // Bound before anything is announced, so a port in use is said plainly.
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        BadInput(msg!(
            "serve-cannot-listen",
            addr = addr.to_string(),
            reason = e.to_string()
        ))
    })?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;

    let mut jobs = HashMap::new();
    let elsewhere = |i: &str| i != instance && instances.is_running(i);
    for record in store.load(&lost, &elsewhere) {
        let Some(id) = JobId::parse(&record.id) else {
            continue;
        };
        jobs.insert(id, Job::of_record(record));
    }
    let batch_store = batches::Batches::new(&opts.data);
    let known_batches = batch_store
        .load()
        .into_iter()
        .filter_map(|b| Some((JobId::parse(&b.id)?, b)))
        .collect();
    let (changed, _) = tokio::sync::watch::channel(0u64);
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            jobs,
            batches: known_batches,
            queue: FairQueue::default(),
            running: None,
            seconds_per_job: None,
        }),
        work: Condvar::new(),
        changed,
        stopping: AtomicBool::new(false),
        config: Config {
            token,
            queue_limit: opts.queue_limit,
            per_client: opts.per_client,
            model_label: model.label(),
            instance,
        },
        model: Mutex::new(model),
        decoding: Mutex::new(()),
        styles,
        store,
        batches: batch_store,
        instances,
        live,
        lost: lost.clone(),
        log,
    });

    let worker = worker::Worker {
        shared: shared.clone(),
        pipeline,
        loras,
        translator,
        model_opts: opts.model.clone(),
        finisher,
        lost: lost.clone(),
    };
    let worker = std::thread::Builder::new()
        .name("reportfig-worker".into())
        .spawn(move || worker.run())?;
    // Cancel requests from the other instances, looked for five times a second: a user who
    // pressed "cancel" sees it take within a step.
    let sweeper = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("reportfig-cancels".into())
            .spawn(move || {
                while !shared.is_stopping() {
                    shared.take_cancel_requests();
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            })?
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        listening(&Listening {
            addr: bound,
            generated_token: generated.then(|| shared.config.token.clone()).flatten(),
        });
        let app = api::router(shared.clone());
        let stop = shared.clone();
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            stop_signal().await;
            (stop.log)(&Texts::of(&msg!("serve-stopping")));
            stop.begin_stop();
        })
        .await
    });
    shared.begin_stop();
    let _ = worker.join();
    let _ = sweeper.join();
    // Jobs still waiting will not be made: say so in their records now.
    let mut state = lock(&shared.state);
    let waiting: Vec<JobId> = state.queue.order();
    for id in waiting {
        if let Some(job) = state.jobs.get_mut(&id) {
            job.record.state = JobState::Failed;
            job.record.error = Some(Texts::of(&lost));
            let _ = shared.store.write(&job.record);
        }
    }
    drop(state);
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    served?;
    Ok(())
}

/// Ctrl-C, or SIGTERM (what service managers and `docker stop` send).
async fn stop_signal() {
    let ctrl_c = Box::pin(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                let term = Box::pin(async move {
                    term.recv().await;
                });
                futures_util::future::select(ctrl_c, term).await;
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
