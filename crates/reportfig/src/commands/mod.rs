//! One function per subcommand. The binary parses arguments into the option types here and
//! shows what these functions report; all the work, and so all the testing, is here.

use crate::i18n::Message;
use reportfig_engine::pipeline::Progress;

pub mod batch;
pub mod compare;
pub mod generate;
pub mod models;
pub mod retitle;
pub mod session;
pub mod styles;
pub mod translate;

/// Something the user should hear about while a command runs. The library never prints;
/// the binary decides how (progress bars, plain lines, nothing with `-q`).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A plain note ("loading sd-turbo from the cache").
    Note(Message),
    /// Something that may not be what the user wanted (dropped words, ignored negatives).
    Warning(Message),
    /// A longer piece of work starts.
    Stage(Message),
    Pipeline(Progress),
    /// A batch or comparison of `total` figures starts.
    FiguresStarted {
        total: usize,
    },
    /// One figure is finished (written, skipped or failed), with a line to show.
    FigureDone {
        message: Message,
    },
    Finished,
}

/// Receives events while a command runs.
pub trait Reporter {
    fn event(&mut self, event: Event);
}

/// A reporter that keeps everything, for tests and for `--json` runs.
#[derive(Debug, Default)]
pub struct Recorder {
    pub events: Vec<Event>,
}

impl Reporter for Recorder {
    fn event(&mut self, event: Event) {
        self.events.push(event);
    }
}

/// The user gave something that cannot work (exit code 2); the message says what and how to
/// fix it. Everything else that fails is a run-time failure (exit code 1). The message is
/// rendered in the user's language by the binary; `Display` gives the English.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub Message);

impl BadInput {
    /// Bad input whose words are those of a typed error (a size, a model name, a style).
    pub fn from_error(e: &(dyn std::error::Error + 'static)) -> Self {
        BadInput(crate::explain::message(e))
    }
}
