//! Tiny random-weight UNets in the exact diffusers layout.

use std::path::Path;

use anyhow::{anyhow, Context};

use super::recording::RecordingBackend;
use super::TinyFamily;
use reportfig_engine::model::config::UNetConfig;
use reportfig_engine::pipeline::unet::UNet2DConditionModel;
use reportfig_engine::pipeline::LoadContext;

/// The fixed seed of each family's tiny UNet; changing one changes the golden files.
fn seed(family: TinyFamily) -> u64 {
    match family {
        TinyFamily::Sd15 => 0x5d15_0001,
        TinyFamily::Sd21 => 0x5d21_0001,
        TinyFamily::Turbo => 0x7b0_0001,
        TinyFamily::Sdxl => 0x0005_d0a1_0001,
    }
}

/// Writes `<dir>/unet/config.json` and `<dir>/unet/diffusion_pytorch_model.safetensors` for
/// the tiny UNet of `family`. The same family always gives the same bytes.
pub fn write_tiny_unet(dir: &Path, family: TinyFamily) -> anyhow::Result<()> {
    let config = family
        .config_json("unet")
        .ok_or_else(|| anyhow!("no tiny unet config for {}", family.name()))?;
    write_unet(dir, config, seed(family))
}

/// Tiny UNet configs beyond the four families, exercising the options the families leave at
/// their defaults (per-block lists, kernels, padding, centring, frequency settings, no mid
/// block, LCM's guidance-scale projection, …): `(name, seed, config.json)`. Each has golden
/// outputs like the families.
pub const VARIANTS: [(&str, u64, &str); 4] = [
    (
        "options_a",
        0xa11_0001,
        r#"{
  "_class_name": "UNet2DConditionModel",
  "act_fn": "gelu",
  "attention_head_dim": [2, 3, 4],
  "block_out_channels": [16, 24, 32],
  "center_input_sample": true,
  "conv_in_kernel": 5,
  "conv_out_kernel": 1,
  "cross_attention_dim": [24, 24, 24],
  "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  "downsample_padding": 0,
  "flip_sin_to_cos": false,
  "freq_shift": 1,
  "in_channels": 4,
  "layers_per_block": [1, 2, 2],
  "mid_block_scale_factor": 1.414,
  "norm_eps": 1e-06,
  "norm_num_groups": 8,
  "only_cross_attention": [true, false, false],
  "out_channels": 3,
  "reverse_transformer_layers_per_block": [1, 3, 1],
  "transformer_layers_per_block": [2, 1, 1],
  "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
  "upcast_attention": true,
  "use_linear_projection": false
}
"#,
    ),
    (
        "options_b",
        0xb11_0001,
        r#"{
  "_class_name": "UNet2DConditionModel",
  "act_fn": "swish",
  "addition_embed_type": "text_time",
  "addition_time_embed_dim": 4,
  "attention_head_dim": 4,
  "block_out_channels": [16, 32],
  "cross_attention_dim": 16,
  "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
  "in_channels": 4,
  "layers_per_block": 1,
  "mid_block_type": null,
  "norm_num_groups": 4,
  "only_cross_attention": true,
  "out_channels": 4,
  "projection_class_embeddings_input_dim": 40,
  "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
  "use_linear_projection": true
}
"#,
    ),
    (
        // An LCM-distilled SD 1.5 UNet (as SimianLuo/LCM_Dreamshaper_v7, whose config adds
        // `time_cond_proj_dim: 256` to SD 1.5's).
        "lcm",
        0x1c3_0001,
        r#"{
  "_class_name": "UNet2DConditionModel",
  "act_fn": "silu",
  "attention_head_dim": 4,
  "block_out_channels": [32, 64],
  "cross_attention_dim": 32,
  "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
  "in_channels": 4,
  "layers_per_block": 1,
  "norm_num_groups": 8,
  "out_channels": 4,
  "time_cond_proj_dim": 12,
  "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"]
}
"#,
    ),
    (
        // An LCM-distilled SDXL UNet (latent-consistency/lcm-sdxl): text_time conditioning
        // and an odd-width guidance projection.
        "lcm_xl",
        0x1c3_0002,
        r#"{
  "_class_name": "UNet2DConditionModel",
  "addition_embed_type": "text_time",
  "addition_time_embed_dim": 4,
  "attention_head_dim": [2, 4],
  "block_out_channels": [16, 32],
  "cross_attention_dim": 24,
  "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
  "in_channels": 4,
  "layers_per_block": 1,
  "norm_num_groups": 8,
  "out_channels": 4,
  "projection_class_embeddings_input_dim": 40,
  "time_cond_proj_dim": 9,
  "transformer_layers_per_block": [1, 2],
  "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"],
  "use_linear_projection": true
}
"#,
    ),
];

/// Writes the tiny UNet variant `name` (one of `VARIANTS`) to `<dir>/unet/…`.
pub fn write_unet_variant(dir: &Path, name: &str) -> anyhow::Result<()> {
    let (_, seed, config) = VARIANTS
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| anyhow!("no tiny unet variant {name}"))?;
    write_unet(dir, config, *seed)
}

/// Writes a UNet folder (`<dir>/unet/…`) for any config JSON, with weights invented from
/// `seed` by building our network on a `RecordingBackend`.
pub fn write_unet(dir: &Path, config_json: &str, seed: u64) -> anyhow::Result<()> {
    let cfg: UNetConfig = serde_json::from_str(config_json).context("parsing the unet config")?;
    let backend = RecordingBackend::new(seed);
    UNet2DConditionModel::load(backend.var_builder(), &cfg, &LoadContext::default())?;
    let unet_dir = dir.join("unet");
    std::fs::create_dir_all(&unet_dir)
        .with_context(|| format!("creating {}", unet_dir.display()))?;
    std::fs::write(unet_dir.join("config.json"), config_json)
        .with_context(|| format!("writing {}/config.json", unet_dir.display()))?;
    let weights = unet_dir.join("diffusion_pytorch_model.safetensors");
    backend
        .save(&weights)
        .with_context(|| format!("writing {}", weights.display()))?;
    Ok(())
}
