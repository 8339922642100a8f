//! What a model is made of: its configs and the files of each component.

pub mod config;
pub mod files;
