//! The diffusion pipeline on candle.

pub mod kernels;
pub mod layers;
pub mod unet;
pub mod vae;
