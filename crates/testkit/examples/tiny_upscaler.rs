//! Writes the tiny upscaler for `tools/reference/upscaler_goldens.py`: `DIR/config.json`
//! and `DIR/model.safetensors`.
//!
//! Usage: `cargo run --example tiny_upscaler -- DIR`

use std::path::PathBuf;

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .context("usage: tiny_upscaler DIR")?
        .into();
    reportfig_testkit::upscale::write_tiny_upscaler(&dir)?;
    println!("{}", dir.display());
    Ok(())
}
