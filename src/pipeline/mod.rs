//! The diffusion pipeline on candle.

pub mod layers;
pub mod text;
pub mod unet;
pub mod vae;
