//! The diffusion pipeline on candle.

pub mod kernels;
pub mod layers;
