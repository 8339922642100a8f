//! Everything the binary shows on stderr while it works: progress bars and notes.
//! Hidden with `-q` or when stderr is not a terminal (bars only; notes still print unless -q).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use reportfig::commands::{Event, Reporter};
use reportfig::i18n::Lang;
use reportfig::tr;
use reportfig_engine::pipeline::Progress;

pub struct Terminal {
    lang: Lang,
    quiet: bool,
    bars: bool,
    multi: MultiProgress,
    overall: Option<ProgressBar>,
    steps: Option<ProgressBar>,
}

impl Terminal {
    pub fn new(quiet: bool, lang: Lang) -> Self {
        let bars = !quiet && std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if bars {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Self {
            lang,
            quiet,
            bars,
            multi,
            overall: None,
            steps: None,
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// `-q`: results and errors only.
    pub fn is_quiet(&self) -> bool {
        self.quiet
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
            bar.set_style(self.bar_style("progress-step", "cyan/blue", false));
            self.steps = Some(bar);
        }
        self.steps.as_ref().expect("step bar was just set")
    }
}

impl Reporter for Terminal {
    fn event(&mut self, event: Event) {
        match event {
            Event::Note(m) => self.note(&m.render(self.lang)),
            Event::Warning(m) => {
                if !self.quiet {
                    let label = tr!(self.lang, "label-warning");
                    self.note(&format!("{label} {}", m.render(self.lang)))
                }
            }
            Event::Stage(m) => self.note(&m.render(self.lang)),
            Event::Pipeline(Progress::Step { done, total }) => {
                let with_eta = self.bar_style("progress-step", "cyan/blue", true);
                let bar = self.step_bar(total);
                bar.set_position(done as u64);
                if done == 2 {
                    bar.set_style(with_eta);
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
                    spinner.set_message(tr!(self.lang, "progress-decoding"));
                    spinner.enable_steady_tick(Duration::from_millis(200));
                    self.steps = Some(spinner);
                }
            }
            Event::Pipeline(_) => {}
            Event::FiguresStarted { total } => {
                let bar = self.multi.add(ProgressBar::new(total as u64));
                bar.set_style(self.bar_style("progress-figures", "green/white", false));
                // Drawn now, not at the first finished figure: the user should see from the
                // start how many figures this run makes; the tick keeps the clock moving.
                bar.enable_steady_tick(Duration::from_secs(1));
                self.overall = Some(bar);
            }
            Event::FigureDone { message } => {
                if let Some(bar) = &self.overall {
                    bar.inc(1);
                    if bar.position() == 1 {
                        bar.set_style(self.bar_style("progress-figures", "green/white", true));
                    }
                }
                if let Some(bar) = self.steps.take() {
                    bar.finish_and_clear();
                }
                self.note(&message.render(self.lang));
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

impl Terminal {
    /// A bar's look. The time left is only shown once there is something to estimate it
    /// from (indicatif says "0s left" before the first step, which reads as "almost done").
    /// The catalogue's `{ $pos }`-style variables become indicatif's `{pos}` keys.
    fn bar_style(&self, label_id: &str, colours: &str, with_eta: bool) -> ProgressStyle {
        let m = self.lang.messages();
        let label = m.format(label_id, &[]);
        let id = if with_eta {
            "progress-bar-eta"
        } else {
            "progress-bar"
        };
        let key = |k: &str| fluent_bundle::FluentValue::from(format!("{{{k}}}"));
        let text = m.format(
            id,
            &[
                ("label", label.into()),
                ("pos", key("pos")),
                ("len", key("len")),
                ("bar", key(&format!("bar:30.{colours}"))),
                ("elapsed", key("elapsed")),
                ("eta", key("eta")),
            ],
        );
        ProgressStyle::with_template(&text).unwrap_or_else(|_| ProgressStyle::default_bar())
    }
}
