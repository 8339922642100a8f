//! The diffusion pipeline on candle.

pub mod layers;
pub mod noise;
pub mod scheduler;
