//! Everything the binary shows on stderr while it works: progress bars and notes.
//! Hidden with `-q` or when stderr is not a terminal (bars only; notes still print unless -q).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use reportfig::commands::{Event, Reporter};
use reportfig::pipeline::Progress;

pub struct Terminal {
    quiet: bool,
    bars: bool,
    multi: MultiProgress,
    overall: Option<ProgressBar>,
    steps: Option<ProgressBar>,
}

impl Terminal {
    pub fn new(quiet: bool) -> Self {
        let bars = !quiet && std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if bars {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Self {
            quiet,
            bars,
            multi,
            overall: None,
            steps: None,
        }
    }

    fn note(&self, text: &str) {
        if self.quiet {
            return;
        }
        if self.bars {
            let _ = self.multi.println(text);
        } else {
            eprintln!("{text}");
        }
    }

    fn step_bar(&mut self, total: usize) -> &ProgressBar {
        if self.steps.as_ref().map(|b| b.length()) != Some(Some(total as u64)) {
            if let Some(old) = self.steps.take() {
                old.finish_and_clear();
                self.multi.remove(&old);
            }
            let bar = self.multi.add(ProgressBar::new(total as u64));
            bar.set_style(
                ProgressStyle::with_template(
                    "  steps {bar:30.cyan/blue} {pos}/{len}  {per_sec}  eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            self.steps = Some(bar);
        }
        self.steps.as_ref().expect("step bar was just set")
    }
}

impl Reporter for Terminal {
    fn event(&mut self, event: Event) {
        match event {
            Event::Note(text) => self.note(&text),
            Event::Warning(text) => {
                if !self.quiet {
                    self.note(&format!("warning: {text}"))
                }
            }
            Event::Stage(text) => self.note(&text),
            Event::Pipeline(Progress::Step { done, total }) => {
                let bar = self.step_bar(total);
                bar.set_position(done as u64);
                if done == total {
                    bar.finish_and_clear();
                }
            }
            Event::Pipeline(Progress::Decoding) => {
                if let Some(bar) = self.steps.take() {
                    bar.finish_and_clear();
                }
                if self.bars {
                    let spinner = self.multi.add(ProgressBar::new_spinner());
                    spinner.set_message("decoding the image");
                    spinner.enable_steady_tick(Duration::from_millis(200));
                    self.steps = Some(spinner);
                }
            }
            Event::Pipeline(_) => {}
            Event::FiguresStarted { total } => {
                let bar = self.multi.add(ProgressBar::new(total as u64));
                bar.set_style(
                    ProgressStyle::with_template(
                        "figures {bar:30.green/white} {pos}/{len}  eta {eta}  {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                self.overall = Some(bar);
            }
            Event::FigureDone { message } => {
                if let Some(bar) = &self.overall {
                    bar.inc(1);
                }
                if let Some(bar) = self.steps.take() {
                    bar.finish_and_clear();
                }
                self.note(&message);
            }
            Event::Finished => {
                if let Some(bar) = self.steps.take() {
                    bar.finish_and_clear();
                }
                if let Some(bar) = self.overall.take() {
                    bar.finish_and_clear();
                }
            }
        }
    }
}
