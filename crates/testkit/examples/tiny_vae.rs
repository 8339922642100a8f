//! Writes the tiny VAE of every family for `tools/reference/vae_goldens.py`:
//! `DIR/<family>/vae/…`, plus `DIR/sd15-legacy/vae/…` with the old attention names and
//! `DIR/variant/vae/…` (see `variant_vae_config`).
//!
//! Usage: `cargo run --example tiny_vae -- DIR`

use std::path::PathBuf;

use anyhow::Context;
use reportfig_testkit::vae::{
    variant_vae_config, write_tiny_vae, write_tiny_vae_legacy, write_vae_with_config, VARIANT_SEED,
};
use reportfig_testkit::TinyFamily;

fn main() -> anyhow::Result<()> {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .context("usage: tiny_vae DIR")?
        .into();
    for family in TinyFamily::ALL {
        write_tiny_vae(&dir.join(family.name()), family)?;
    }
    write_tiny_vae_legacy(&dir.join("sd15-legacy"), TinyFamily::Sd15)?;
    write_vae_with_config(&dir.join("variant"), &variant_vae_config(), VARIANT_SEED)?;
    println!("{}", dir.display());
    Ok(())
}
