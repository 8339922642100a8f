//! A tiny random-weight `AutoencoderKL` in the exact diffusers layout.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;

use super::recording::RecordingBackend;
use super::TinyFamily;
use reportfig_engine::model::config::VaeConfig;
use reportfig_engine::pipeline::vae::{AutoencoderKL, CONFIG_FILE, WEIGHTS_FILE};
use reportfig_engine::pipeline::LoadContext;

/// The weight seed of each family's tiny VAE: distinct, so the families' goldens differ.
pub fn vae_seed(family: TinyFamily) -> u64 {
    match family {
        TinyFamily::Sd15 => 0x5A_0015,
        TinyFamily::Sd21 => 0x5A_0021,
        TinyFamily::Turbo => 0x5A_7B0,
        TinyFamily::Sdxl => 0x5A_0C1,
    }
}

/// The seed of [`variant_vae_config`]'s weights.
pub const VARIANT_SEED: u64 = 0x5A_0BAD;

fn family_json(family: TinyFamily) -> anyhow::Result<&'static str> {
    family
        .config_json("vae")
        .with_context(|| format!("no tiny VAE config for {}", family.name()))
}

/// Every tensor of the VAE `config_json` describes, invented from `seed`.
fn vae_tensors(
    config_json: &str,
    seed: u64,
) -> anyhow::Result<HashMap<String, candle_core::Tensor>> {
    let cfg: VaeConfig = serde_json::from_str(config_json).context("tiny VAE config")?;
    let backend = RecordingBackend::new(seed);
    AutoencoderKL::load(backend.var_builder(), &cfg, &LoadContext::default())?;
    Ok(backend.tensors().into_iter().collect())
}

/// A tiny VAE that takes the other branches of the architecture: no mid-block attention,
/// no quant convolutions, two resnets per encoder block (three per decoder block, with
/// 1×1 shortcuts where channels change), exact GELU, three blocks.
pub fn variant_vae_config() -> String {
    serde_json::json!({
        "_class_name": "AutoencoderKL",
        "act_fn": "gelu",
        "block_out_channels": [8, 16, 24],
        "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
        "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
        "in_channels": 3,
        "out_channels": 3,
        "latent_channels": 4,
        "layers_per_block": 2,
        "norm_num_groups": 4,
        "sample_size": 32,
        "mid_block_add_attention": false,
        "use_quant_conv": false,
        "use_post_quant_conv": false
    })
    .to_string()
}

/// Writes `<dir>/vae/` for the VAE `config_json` describes, with weights invented from `seed`.
pub fn write_vae_with_config(dir: &Path, config_json: &str, seed: u64) -> anyhow::Result<()> {
    write(dir, config_json, &vae_tensors(config_json, seed)?)
}

fn write(
    dir: &Path,
    json: &str,
    tensors: &HashMap<String, candle_core::Tensor>,
) -> anyhow::Result<()> {
    let vae = dir.join("vae");
    std::fs::create_dir_all(&vae).with_context(|| format!("creating {}", vae.display()))?;
    std::fs::write(vae.join(CONFIG_FILE), json)
        .with_context(|| format!("writing {}", vae.join(CONFIG_FILE).display()))?;
    let path = vae.join(WEIGHTS_FILE);
    candle_core::safetensors::save(tensors, &path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Writes `<dir>/vae/config.json` and `<dir>/vae/diffusion_pytorch_model.safetensors` for
/// `family`'s tiny VAE. The same family always gives the same bytes.
pub fn write_tiny_vae(dir: &Path, family: TinyFamily) -> anyhow::Result<()> {
    let json = family_json(family)?;
    write(dir, json, &vae_tensors(json, vae_seed(family))?)
}

/// The same VAE with the mid-block attention weights under the names of diffusers' old
/// `AttentionBlock` (`query`, `key`, `value`, `proj_attn`), as older checkpoints have them.
pub fn write_tiny_vae_legacy(dir: &Path, family: TinyFamily) -> anyhow::Result<()> {
    let json = family_json(family)?;
    let renamed = vae_tensors(json, vae_seed(family))?
        .into_iter()
        .map(|(name, t)| (legacy_attention_name(&name), t))
        .collect();
    write(dir, json, &renamed)
}

/// `encoder.mid_block.attentions.0.to_q.weight` -> `encoder.mid_block.attentions.0.query.weight`.
fn legacy_attention_name(name: &str) -> String {
    const RENAMES: [(&str, &str); 4] = [
        (".to_q.", ".query."),
        (".to_k.", ".key."),
        (".to_v.", ".value."),
        (".to_out.0.", ".proj_attn."),
    ];
    if !name.contains(".attentions.") {
        return name.to_string();
    }
    RENAMES
        .iter()
        .find(|(new, _)| name.contains(new))
        .map(|(new, old)| name.replacen(new, old, 1))
        .unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::legacy_attention_name;

    #[test]
    fn legacy_names() {
        for (new, old) in [
            (
                "decoder.mid_block.attentions.0.to_out.0.bias",
                "decoder.mid_block.attentions.0.proj_attn.bias",
            ),
            (
                "encoder.mid_block.attentions.0.to_q.weight",
                "encoder.mid_block.attentions.0.query.weight",
            ),
            (
                "encoder.mid_block.attentions.0.group_norm.weight",
                "encoder.mid_block.attentions.0.group_norm.weight",
            ),
            ("decoder.conv_in.weight", "decoder.conv_in.weight"),
        ] {
            assert_eq!(legacy_attention_name(new), old);
        }
    }
}
