//! A tiny model rewritten as one original-layout (LDM / A1111) `.safetensors` checkpoint, with
//! the engine's own [`KeyMap`] run backwards: each diffusers tensor goes to the key the map
//! names, with the transform undone (q/k/v fused into `in_proj`, linears written as 1×1 convs
//! when asked, `text_projection` transposed). `tools/reference/single_file_goldens.py`
//! writes the same file with an independent Python inverse that diffusers' `from_single_file`
//! confirms, and the parity test compares the two tensor by tensor.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{bail, Context};
use candle_core::{Device, Tensor};

use super::TinyFamily;
use reportfig_engine::model::config::{read_json, UNetConfig, VaeConfig};
use reportfig_engine::model::single_file::{CheckpointArch, ComponentKind, KeyMap, Transform};

/// The architecture a tiny family's checkpoint is (SD-Turbo has no single-file form here).
pub fn checkpoint_arch(family: TinyFamily) -> Option<CheckpointArch> {
    match family {
        TinyFamily::Sd15 => Some(CheckpointArch::Sd1),
        TinyFamily::Sd21 => Some(CheckpointArch::Sd2 { v_prediction: true }),
        TinyFamily::Sdxl => Some(CheckpointArch::SdxlBase),
        TinyFamily::Turbo => None,
    }
}

/// Writes the tiny model that [`crate::write_tiny_model`] wrote into `dir` as one checkpoint
/// at `out`. The VAE's attention weights are 1×1 convs when `conv_attention`, else linears
/// (real files have both).
pub fn write_single_file(
    dir: &Path,
    family: TinyFamily,
    out: &Path,
    conv_attention: bool,
) -> anyhow::Result<()> {
    let tensors = single_file_tensors(dir, family, conv_attention)?;
    candle_core::safetensors::save(&tensors.into_iter().collect::<HashMap<_, _>>(), out)
        .with_context(|| format!("writing {}", out.display()))
}

/// Each network of a checkpoint of `arch` and its weights file in the diffusers folder.
pub fn component_files(arch: CheckpointArch) -> Vec<(ComponentKind, &'static str)> {
    let mut parts = vec![
        (
            ComponentKind::Unet,
            "unet/diffusion_pytorch_model.safetensors",
        ),
        (
            ComponentKind::Vae,
            "vae/diffusion_pytorch_model.safetensors",
        ),
        (ComponentKind::TextEncoder, "text_encoder/model.safetensors"),
    ];
    if arch == CheckpointArch::SdxlBase {
        parts.push((
            ComponentKind::TextEncoder2,
            "text_encoder_2/model.safetensors",
        ));
    }
    parts
}

/// The tensors [`write_single_file`] writes, by key.
pub fn single_file_tensors(
    dir: &Path,
    family: TinyFamily,
    conv_attention: bool,
) -> anyhow::Result<BTreeMap<String, Tensor>> {
    let arch = checkpoint_arch(family).context("no single-file form for this family")?;
    let unet: UNetConfig = read_json(&dir.join("unet/config.json"), "UNet config")?;
    let vae: VaeConfig = read_json(&dir.join("vae/config.json"), "VAE config")?;
    let parts = component_files(arch);
    let mut out = BTreeMap::new();
    let mut fused: BTreeMap<String, [Option<Tensor>; 3]> = BTreeMap::new();
    for (kind, file) in parts {
        let part = arch.part(kind).context("no checkpoint part")?;
        let map = KeyMap::for_part(&part, Some(&unet), Some(&vae)).context("no key map")?;
        let text = matches!(
            kind,
            ComponentKind::TextEncoder | ComponentKind::TextEncoder2
        );
        for (name, t) in candle_core::safetensors::load(dir.join(file), &Device::Cpu)? {
            if name.ends_with("position_ids") {
                continue;
            }
            // transformers >= 5.6 saves CLIPTextModel without its `text_model.` level; the
            // networks ask for the nested names.
            let name =
                if text && !name.starts_with("text_model.") && name != "text_projection.weight" {
                    format!("text_model.{name}")
                } else {
                    name
                };
            let Some((key, transform)) = map.resolve(&name) else {
                bail!("{file}: {name} has no place in the checkpoint layout");
            };
            let stored = match transform {
                Transform::AsIs => t,
                Transform::SqueezeConv if conv_attention => {
                    let (o, i) = t.dims2()?;
                    t.reshape((o, i, 1, 1))?
                }
                Transform::SqueezeConv => t,
                Transform::Transpose => t.t()?.contiguous()?,
                Transform::Third(i) => {
                    fused.entry(key).or_default()[i as usize] = Some(t);
                    continue;
                }
            };
            if out.insert(key.clone(), stored).is_some() {
                bail!("{key} written twice");
            }
        }
    }
    for (key, qkv) in fused {
        let [Some(q), Some(k), Some(v)] = qkv else {
            bail!("{key}: q, k and v are not all there");
        };
        out.insert(key, Tensor::cat(&[q, k, v], 0)?);
    }
    if let CheckpointArch::Sd2 { .. } = arch {
        // Real SD 2 files carry OpenCLIP's projection, which the pipeline does not use.
        let h = out["cond_stage_model.model.token_embedding.weight"].dim(1)?;
        let eye = (Tensor::eye(h, candle_core::DType::F32, &Device::Cpu)? * 0.5)?;
        out.insert("cond_stage_model.model.text_projection".into(), eye);
    }
    Ok(out)
}
