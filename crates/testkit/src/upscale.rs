//! A tiny Real-ESRGAN compact upscaler (`SRVGGNetCompact`, 8 features, 2 body convolutions,
//! ×4) with weights invented from a fixed seed, in the folder layout
//! `reportfig_engine::pipeline::upscale` reads: `config.json` and `model.safetensors`.

use std::path::Path;

use anyhow::Context;
use reportfig_engine::pipeline::upscale::{
    SrVggNetCompact, UpscalerConfig, CONFIG_FILE, WEIGHTS_FILE,
};
use reportfig_engine::pipeline::LoadContext;

use crate::recording::RecordingBackend;

/// The tiny upscaler's seed; a change is a new fixture (rerun `upscaler_goldens.py`).
pub const UPSCALER_SEED: u64 = 0x0005_e56a;

pub fn tiny_upscaler_config() -> UpscalerConfig {
    UpscalerConfig {
        num_feat: 8,
        num_conv: 2,
        ..UpscalerConfig::default()
    }
}

/// Writes an upscaler folder for `cfg` with weights from `seed`. Same inputs, same bytes.
pub fn write_upscaler(dir: &Path, cfg: &UpscalerConfig, seed: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let backend = RecordingBackend::new(seed);
    SrVggNetCompact::load(backend.var_builder(), &LoadContext::default(), cfg, 64)?;
    let json = serde_json::json!({
        "num_in_ch": cfg.num_in_ch,
        "num_out_ch": cfg.num_out_ch,
        "num_feat": cfg.num_feat,
        "num_conv": cfg.num_conv,
        "upscale": cfg.upscale,
    });
    std::fs::write(dir.join(CONFIG_FILE), serde_json::to_string_pretty(&json)?)?;
    backend
        .save(&dir.join(WEIGHTS_FILE))
        .with_context(|| format!("writing {}", dir.join(WEIGHTS_FILE).display()))?;
    Ok(())
}

/// [`write_upscaler`] of the tiny config and seed.
pub fn write_tiny_upscaler(dir: &Path) -> anyhow::Result<()> {
    write_upscaler(dir, &tiny_upscaler_config(), UPSCALER_SEED)
}
