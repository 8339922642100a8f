//! Where weights come from and what they are.

pub mod config;
pub mod presets;
pub mod source;
