//! Everything the binary shows on stderr while it works: progress bars and notes.
//! Hidden with `-q` or when stderr is not a terminal (bars only; notes still print unless -q).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use reportfig::commands::{Event, Reporter};
use reportfig_engine::pipeline::Progress;

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
            // A closed stderr (`2>&1 | head`) must not stop a batch half-way: notes are
            // best-effort, results go to stdout.
            use std::io::Write;
            let _ = writeln!(std::io::stderr().lock(), "{text}");
        }
    }

    fn step_bar(&mut self, total: usize) -> &ProgressBar {
        if self.steps.as_ref().map(|b| b.length()) != Some(Some(total as u64)) {
            if let Some(old) = self.steps.take() {
                old.finish_and_clear();
                self.multi.remove(&old);
            }
            let bar = self.multi.add(ProgressBar::new(total as u64));
            bar.set_style(bar_style("  step", "cyan/blue", false));
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
                if done == 2 {
                    bar.set_style(bar_style("  step", "cyan/blue", true));
                }
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
                bar.set_style(bar_style("figures", "green/white", false));
                // Drawn now, not at the first finished figure: the user should see from the
                // start how many figures this run makes; the tick keeps the clock moving.
                bar.enable_steady_tick(Duration::from_secs(1));
                self.overall = Some(bar);
            }
            Event::FigureDone { message } => {
                if let Some(bar) = &self.overall {
                    bar.inc(1);
                    if bar.position() == 1 {
                        bar.set_style(bar_style("figures", "green/white", true));
                    }
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

/// A bar's look. The time left is only shown once there is something to estimate it from
/// (indicatif says "0s left" before the first step, which reads as "almost done").
fn bar_style(label: &str, colours: &str, with_eta: bool) -> ProgressStyle {
    let eta = if with_eta { ", about {eta} left" } else { "" };
    ProgressStyle::with_template(&format!(
        "{label} {{pos}}/{{len}} {{bar:30.{colours}}} {{elapsed}} so far{eta}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
}
