//! The diffusion pipeline on candle.

pub mod crop;
mod generate;
pub mod kernels;
pub mod layers;
pub mod lora;
pub mod memory;
pub mod noise;
pub mod scheduler;
pub mod text;
pub mod tiny_vae;
pub mod unet;
pub mod upscale;
pub mod vae;
pub mod weights;

pub use kernels::{Isa, IsaError};
pub use layers::{ConvAlgorithm, LoadContext, WeightStorage};

pub use generate::{
    lora_targets, plain_message, Conditioning, GeneratedImage, LoadOptions, NumericStage, Pipeline,
    PipelineError, Progress, RequestError, StartPart, StartPicture, StepState,
};
