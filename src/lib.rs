//! reportfig: illustrations for reports from short captions, with Stable Diffusion on candle.
//!
//! The binary (`src/main.rs`) only parses arguments and prints; everything else lives here so
//! it can be tested. See `DESIGN.md`-style overview in the README.

pub mod batch;
pub mod commands;
pub mod compare;
pub mod family;
pub mod fixtures;
pub mod model;
pub mod outline;
pub mod output;
pub mod page;
pub mod pipeline;
pub mod request;
pub mod style;

pub use request::GenerationRequest;
