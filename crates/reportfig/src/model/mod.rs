//! Where a model comes from (a preset, a Hugging Face repo, a local folder) and the presets.

pub(crate) mod hub_cache;
pub mod presets;
pub mod source;
