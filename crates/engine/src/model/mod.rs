//! What a model is made of: its configs, the files of each component, and how a single-file
//! checkpoint names them.

pub mod config;
pub mod files;
pub mod single_file;
