//! Where weights come from and what they are.

pub mod config;
