//! Writes the tiny `AutoencoderTiny` fixtures for `tools/reference/tiny_vae_goldens.py`:
//! `DIR/<name>/{config.json, diffusion_pytorch_model.safetensors}`.
//!
//! Usage: `cargo run -p reportfig-testkit --example tiny_taesd -- DIR`

use std::path::PathBuf;

use anyhow::Context;
use reportfig_testkit::tiny_vae::{fixtures, write_tiny_decoder};

fn main() -> anyhow::Result<()> {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .context("usage: tiny_taesd DIR")?
        .into();
    for (name, config, seed) in fixtures() {
        write_tiny_decoder(&dir.join(name), &config, seed)?;
    }
    println!("{}", dir.display());
    Ok(())
}
