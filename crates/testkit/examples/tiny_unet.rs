//! Writes the tiny UNet of every fixture family, for `tools/reference/unet_goldens.py`:
//! `cargo run --example tiny_unet -- DIR` creates `DIR/<family>/unet/{config.json,
//! diffusion_pytorch_model.safetensors}`, and likewise `DIR/<variant>/unet` for each of
//! `reportfig_testkit::unet::VARIANTS`.

use std::path::PathBuf;

use anyhow::Context;
use reportfig_testkit::unet::{write_tiny_unet, write_unet_variant, VARIANTS};
use reportfig_testkit::TinyFamily;

fn main() -> anyhow::Result<()> {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .context("usage: tiny_unet DIR")?;
    for family in TinyFamily::ALL {
        let out = dir.join(family.name());
        write_tiny_unet(&out, family)?;
        println!("{}", out.display());
    }
    for (name, _, _) in VARIANTS {
        let out = dir.join(name);
        write_unet_variant(&out, name)?;
        println!("{}", out.display());
    }
    Ok(())
}
