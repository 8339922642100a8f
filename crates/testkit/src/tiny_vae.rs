//! A tiny random-weight `AutoencoderTiny` (TAESD) folder in the exact diffusers layout
//! (`config.json` and `diffusion_pytorch_model.safetensors` at its root, as
//! `madebyollin/taesd` has them). Only the decoder's weights are invented: reportfig's drafts
//! only decode, and the reference script checks that diffusers finds every decoder weight.

use std::path::Path;

use anyhow::Context;

use super::recording::RecordingBackend;
use reportfig_engine::pipeline::tiny_vae::{TinyDecoder, TinyVaeConfig, CONFIG_FILE, WEIGHTS_FILE};
use reportfig_engine::pipeline::LoadContext;

/// The fixtures `tools/reference/tiny_vae_goldens.py` decodes: name, config, weight seed.
pub fn fixtures() -> Vec<(&'static str, String, u64)> {
    vec![
        // TAESD's own shape (four blocks, relu, 8× upsampling), narrow.
        (
            "taesd",
            config(&[8, 8, 8, 8], &[1, 1, 1, 1], "relu", 1.0),
            0x7AE5D,
        ),
        // The other branches: two residual blocks in one stage, silu, a scaling factor.
        (
            "variant",
            config(&[6, 6, 6], &[2, 1, 1], "silu", 0.5),
            0x7AE5E,
        ),
    ]
}

/// An `AutoencoderTiny` config.json with the given decoder (the encoder mirrors it, so
/// diffusers can build the model).
pub fn config(channels: &[usize], blocks: &[usize], act: &str, scaling_factor: f64) -> String {
    serde_json::json!({
        "_class_name": "AutoencoderTiny",
        "act_fn": act,
        "decoder_block_out_channels": channels,
        "encoder_block_out_channels": channels,
        "num_decoder_blocks": blocks,
        "num_encoder_blocks": blocks,
        "in_channels": 3,
        "out_channels": 3,
        "latent_channels": 4,
        "latent_magnitude": 3,
        "latent_shift": 0.5,
        "force_upcast": false,
        "scaling_factor": scaling_factor,
        "shift_factor": 0.0,
        "upsample_fn": "nearest",
        "upsampling_scaling_factor": 2
    })
    .to_string()
}

/// Writes `dir/config.json` and `dir/diffusion_pytorch_model.safetensors`; the same
/// arguments always give the same bytes.
pub fn write_tiny_decoder(dir: &Path, config_json: &str, seed: u64) -> anyhow::Result<()> {
    let cfg: TinyVaeConfig = serde_json::from_str(config_json).context("tiny decoder config")?;
    let backend = RecordingBackend::new(seed);
    TinyDecoder::load(backend.var_builder(), &cfg, &LoadContext::default(), (8, 8))?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join(CONFIG_FILE), config_json)
        .with_context(|| format!("writing {}", dir.join(CONFIG_FILE).display()))?;
    let path = dir.join(WEIGHTS_FILE);
    let tensors: std::collections::HashMap<_, _> = backend.tensors().into_iter().collect();
    candle_core::safetensors::save(&tensors, &path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
