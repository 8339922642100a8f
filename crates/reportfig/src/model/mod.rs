//! Where a model comes from (a preset, a Hugging Face repo, a local folder) and the presets.

pub mod bundle;
pub(crate) mod hub_cache;
pub mod licence;
pub mod presets;
pub mod source;
pub mod tiny_decoder;
pub mod upscaler;
