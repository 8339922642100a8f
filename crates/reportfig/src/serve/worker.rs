//! The one thread that owns the model: it takes the next job in fair order, translates the
//! caption if it is Korean, makes the picture and writes it, one job at a time (a CPU or a
//! GPU makes one image at a time; two at once would only make both slower).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::store::{JobId, JobState, Texts};
use super::{lock, JobInput, Shared};
use crate::commands::compare::{self, Grid};
use crate::commands::generate::{render, Rendered};
use crate::commands::session::{self, ModelOptions, ResolvedModel};
use crate::commands::{Event, Reporter};
use crate::compare::SheetFont;
use crate::i18n::Message;
use crate::msg;
use crate::output;
use crate::print::Finisher;
use crate::translate::CaptionTranslator;
use reportfig_engine::pipeline::{Pipeline, PipelineError, Progress};
use reportfig_engine::request::AppliedLora;

pub(crate) struct Worker {
    pub shared: Arc<Shared>,
    pub pipeline: Pipeline,
    /// The LoRAs merged into `pipeline`.
    pub loras: Vec<AppliedLora>,
    pub translator: CaptionTranslator,
    pub model_opts: ModelOptions,
    pub finisher: Finisher,
    /// What a job abandoned by a stop says.
    pub lost: Message,
}

/// A job taken from the queue.
struct Taken {
    id: JobId,
    input: JobInput,
    cancel: Arc<AtomicBool>,
}

/// What a made job leaves for its record.
struct Made {
    seconds: f64,
    notes: Vec<Texts>,
}

impl Worker {
    pub fn run(mut self) {
        while let Some(job) = self.next() {
            self.run_job(job);
        }
    }

    /// Waits for the next job; `None` once the server stops.
    fn next(&self) -> Option<Taken> {
        let shared = &self.shared;
        let mut state = lock(&shared.state);
        loop {
            if shared.is_stopping() {
                return None;
            }
            if let Some(id) = state.queue.pop() {
                let Some(job) = state.jobs.get_mut(&id) else {
                    continue;
                };
                let Some(input) = job.input.clone() else {
                    continue;
                };
                job.record.state = JobState::Running;
                job.record.waited_seconds = Some(job.accepted.elapsed().as_secs_f64());
                let _ = shared.store.write(&job.record);
                let cancel = job.cancel.clone();
                state.running = Some(id.clone());
                drop(state);
                shared.bump();
                return Some(Taken { id, input, cancel });
            }
            state = shared.work.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn run_job(&mut self, job: Taken) {
        let shared = self.shared.clone();
        let cancel = job.cancel.clone();
        let stop = move || cancel.load(Ordering::SeqCst) || shared.is_stopping();
        let started = Instant::now();
        // A panic in the model code fails this job, not the server: the next job runs.
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.make(&job, &stop)))
                .unwrap_or_else(|panic| {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    Err(anyhow::Error::new(crate::msg!(
                        "internal-error",
                        detail = format!("while making the image: {what}")
                    )))
                });
        let shared = &self.shared;
        let mut state = lock(&shared.state);
        state.running = None;
        let cancelled = job.cancel.load(Ordering::SeqCst);
        let id = job.id.to_string();
        let line;
        match state.jobs.get_mut(&job.id) {
            // Cancelled (DELETE took it out of the jobs): whatever was written goes.
            None => {
                shared.store.remove(&job.id);
                line = Texts::of(&msg!("serve-log-cancelled", id = id));
            }
            Some(_) if cancelled => {
                shared.store.remove(&job.id);
                line = Texts::of(&msg!("serve-log-cancelled", id = id));
            }
            Some(entry) => {
                entry.step = None;
                match result {
                    Ok(made) => {
                        line = Texts::of(&msg!(
                            "serve-log-done",
                            id = id,
                            seconds = format!("{:.1}", made.seconds),
                            waited = format!("{:.1}", entry.record.waited_seconds.unwrap_or(0.0)),
                            caption = entry.record.caption.as_str()
                        ));
                        entry.record.state = JobState::Done;
                        entry.record.seconds = Some(made.seconds);
                        entry.notes = made.notes;
                        let took = started.elapsed().as_secs_f64();
                        state.seconds_per_job = Some(match state.seconds_per_job {
                            Some(s) => 0.7 * s + 0.3 * took,
                            None => took,
                        });
                    }
                    Err(e) => {
                        let stopped = e.chain().any(|c| {
                            matches!(
                                c.downcast_ref::<PipelineError>(),
                                Some(PipelineError::Stopped)
                            )
                        });
                        let error = if stopped {
                            Texts::of(&self.lost)
                        } else {
                            Texts::of_error(&e)
                        };
                        let said = |text: &str| msg!("serve-log-failed", id = &id, error = text);
                        line = Texts {
                            en: said(&error.en).render(crate::i18n::Lang::En),
                            ko: said(&error.ko).render(crate::i18n::Lang::Ko),
                        };
                        entry.record.state = JobState::Failed;
                        entry.record.error = Some(error);
                    }
                }
                let entry = state.jobs.get(&job.id).expect("present above");
                if shared.store.write(&entry.record).is_err() {
                    // Without its record the picture would be lost on a restart anyway.
                    shared.store.remove(&job.id);
                }
            }
        }
        drop(state);
        // After the record: another instance reading in between sees the job still running.
        shared.live.clear(&job.id);
        shared.bump();
        (shared.log)(&line);
    }

    /// Loads the model again when a request's styles bring other LoRAs than those merged.
    fn use_loras(&mut self, loras: &[AppliedLora]) -> anyhow::Result<()> {
        if loras != self.loras.as_slice() {
            let model = lock(&self.shared.model);
            self.pipeline = model.load(&self.model_opts, loras, &mut Quiet)?;
            self.loras = loras.to_vec();
        }
        Ok(())
    }

    /// A comparison: every cell made in turn as `compare` makes them (its progress counting
    /// the cells), then the labelled sheet written as the job's PNG.
    fn make_compare(
        &mut self,
        job: &Taken,
        grid: &Grid,
        stop: &dyn Fn() -> bool,
    ) -> anyhow::Result<Made> {
        let mut quiet = Quiet;
        self.translator.prepare(&grid.cell_captions(), &mut quiet)?;
        let font = SheetFont::bundled();
        let plan = {
            let guard = lock(&self.shared.model);
            let model: &ResolvedModel = &guard;
            let translator = &self.translator;
            compare::plan(
                grid,
                &self.shared.styles,
                &font,
                &|c: &str| translator.english(c),
                &|_: &str| model,
            )?
        };
        let total = grid.rows() * grid.columns();
        let shared = self.shared.clone();
        let set_cells = |made: usize| {
            if let Some(j) = lock(&shared.state).jobs.get_mut(&job.id) {
                j.cells = Some((made, total));
                j.step = None;
            }
            shared.publish_progress(&job.id);
            shared.bump();
        };
        set_cells(0);
        let mut progress = JobProgress {
            shared: &shared,
            id: &job.id,
            notes: plan.notes.iter().map(Texts::of).collect(),
        };
        let mut seconds = 0.0;
        let mut images = Vec::with_capacity(grid.rows());
        for (r, row) in plan.requests.iter().enumerate() {
            let mut out = Vec::with_capacity(row.len());
            for (c, request) in row.iter().enumerate() {
                self.use_loras(&request.loras)?;
                let start = grid
                    .cell_image(r, c)
                    .init
                    .as_ref()
                    .map(|init| init.fitted(request.width, request.height));
                let made = self.pipeline.generate_until(
                    request,
                    start.as_ref().map(|s| s.start()),
                    &mut |p| progress.event(Event::Pipeline(p)),
                    stop,
                )?;
                if !made.dropped_words.is_empty() {
                    progress.event(Event::Warning(session::dropped_words_warning(
                        &made.dropped_words,
                    )));
                }
                seconds += made.seconds;
                out.push(made.image);
                set_cells(r * row.len() + c + 1);
            }
            images.push(out);
        }
        if stop() {
            return Err(PipelineError::Stopped.into());
        }
        let sheet = compare::contact_sheet(grid, &plan, images, None)?;
        let picture = crate::compare::render_sheet(&sheet, &font)?;
        let path = self.shared.store.png_path(&job.id);
        output::save_png(&path, &picture, &crate::compare::sheet_chunks(&sheet), true)?;
        Ok(Made {
            seconds,
            notes: progress.notes,
        })
    }

    /// Translates, builds the request, makes the picture and writes the PNG.
    fn make(&mut self, job: &Taken, stop: &dyn Fn() -> bool) -> anyhow::Result<Made> {
        if let Some(grid) = job.input.compare.clone() {
            return self.make_compare(job, &grid, stop);
        }
        let input = &job.input;
        let mut quiet = Quiet;
        let english = match &input.english {
            Some(given) => Some(given.clone()),
            None => {
                self.translator
                    .prepare(&[input.caption.trim()], &mut quiet)?;
                self.translator.english(&input.caption)
            }
        };
        let (request, notes) = {
            let model = lock(&self.shared.model);
            session::build_request(
                &input.caption,
                english.as_ref(),
                &input.image,
                input.seed,
                &model,
                &self.shared.styles,
            )?
        };
        // A style with its own LoRAs: the model is loaded again with them merged in.
        self.use_loras(&request.loras)?;
        let mut progress = JobProgress {
            shared: &self.shared,
            id: &job.id,
            notes: notes.iter().map(Texts::of).collect(),
        };
        // Kept at the request's size when it was checked: fitting it again is a copy.
        let start = input
            .image
            .init
            .as_ref()
            .map(|init| init.fitted(request.width, request.height));
        let Rendered {
            image,
            print,
            seconds,
        } = render(
            &mut self.pipeline,
            &request,
            start.as_ref().map(|s| s.start()),
            &self.finisher,
            stop,
            &mut progress,
        )?;
        if stop() {
            return Err(PipelineError::Stopped.into());
        }
        let path = self.shared.store.png_path(&job.id);
        output::save_finished(&path, &image, &request, print.as_ref(), true)?;
        Ok(Made {
            seconds,
            notes: progress.notes,
        })
    }
}

/// Notes nobody reads (a model load after a style's LoRAs, the translator's lines).
struct Quiet;

impl Reporter for Quiet {
    fn event(&mut self, _: Event) {}
}

/// Carries a running job's progress to its status and its event stream.
struct JobProgress<'a> {
    shared: &'a Shared,
    id: &'a JobId,
    notes: Vec<Texts>,
}

impl Reporter for JobProgress<'_> {
    fn event(&mut self, event: Event) {
        match event {
            Event::Pipeline(Progress::Step { done, total }) => {
                if let Some(job) = lock(&self.shared.state).jobs.get_mut(self.id) {
                    job.step = Some((done, total));
                }
                self.shared.publish_progress(self.id);
                self.shared.bump();
            }
            Event::Warning(m) => self.notes.push(Texts::of(&m)),
            _ => {}
        }
    }
}
