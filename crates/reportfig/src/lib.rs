//! reportfig: illustrations for reports from short captions, with Stable Diffusion on candle.
//!
//! The app around [`reportfig_engine`]: styles, report outlines, batches, comparisons, output
//! files, model sources (presets, the Hugging Face hub, local folders) and the commands. The
//! binary (`src/main.rs`) only parses arguments and prints; everything else lives here so it
//! can be tested.

pub mod batch;
pub mod commands;
pub mod compare;
pub mod explain;
pub mod i18n;
pub mod init_image;
pub mod lora;
pub mod model;
pub mod os_reason;
pub mod outline;
pub mod output;
pub mod page;
pub mod print;
pub mod serve;
pub mod settings;
pub mod style;
pub mod text;
pub mod title;
pub mod translate;

pub use reportfig_engine::GenerationRequest;
