//! reportfig's engine: everything that computes, knowing nothing of users.
//!
//! - [`model`]: diffusers `config.json` mirrors and the files a model folder holds.
//! - [`pipeline`]: the text encoders, UNet, VAE, schedulers, torch-compatible noise, our CPU
//!   kernels, and [`pipeline::Pipeline`], which turns a [`GenerationRequest`] into an image.
//! - [`family`]: which architecture a model is (SD 1.x, 2.x, SDXL, turbo), from its configs.
//! - [`translate`]: Korean → English translation with a Marian model (its tokenizer so far).
//!
//! Errors are typed and say what was wrong with which file; they never name a front end's
//! flags. Front ends (the `reportfig` app) map them to messages and exit codes.

pub mod family;
pub mod model;
pub mod pipeline;
pub mod request;
pub mod translate;

pub use request::GenerationRequest;
