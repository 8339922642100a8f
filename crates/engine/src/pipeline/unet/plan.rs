//! Turns a `unet/config.json` into the exact shape of every block, the way diffusers'
//! `UNet2DConditionModel.__init__` does, and refuses whatever we do not implement.

use super::blocks::{AttentionSpec, BlockSpec};
use super::resnet::Activation;
use super::UNetError;
use crate::model::config::{PerBlock, UNetConfig};

/// SDXL's `text_time` added conditioning.
#[derive(Debug, Clone, Copy)]
pub struct TextTimeSpec {
    /// Channels of each time id's sinusoidal embedding (`addition_time_embed_dim`).
    pub time_embed_dim: usize,
    /// Width of the concatenated `[text_embeds, embedded time ids]`.
    pub input_dim: usize,
}

/// Everything needed to build the network, resolved and checked.
#[derive(Debug, Clone)]
pub struct Plan {
    pub act: Activation,
    pub time_embed_dim: usize,
    pub added: Option<TextTimeSpec>,
    /// Width of the guidance-scale embedding an LCM-distilled UNet adds to its timestep
    /// embedding (`time_cond_proj_dim`).
    pub time_cond_proj_dim: Option<usize>,
    pub down: Vec<BlockSpec>,
    pub mid: Option<AttentionSpec>,
    pub up: Vec<BlockSpec>,
    pub downsample_padding: usize,
}

fn unsupported(field: &'static str, value: impl serde::Serialize) -> UNetError {
    // Shown as it is written in config.json.
    let value = serde_json::to_string(&value).unwrap_or_else(|_| "?".into());
    UNetError::Unsupported { field, value }
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "?".into())
}

fn invalid(message: String) -> UNetError {
    UNetError::InvalidConfig { message }
}

/// One value per down block, or an error naming the field when a list has the wrong length.
fn per_block<T: Clone>(v: &PerBlock<T>, n: usize, field: &str) -> Result<Vec<T>, UNetError> {
    v.expand(n).map_err(|len| {
        invalid(format!(
            "`{field}` has {len} values but there are {n} down blocks; give one value per block"
        ))
    })
}

/// Rejects every option that changes the network in a way this implementation does not
/// reproduce, naming the field and its value. Options diffusers ignores for the supported
/// block types (`resnet_out_scale_factor`, `cross_attention_norm`,
/// `mid_block_only_cross_attention`, `addition_embed_type_num_heads`, `dropout`) are ignored.
fn reject_unsupported(cfg: &UNetConfig) -> Result<(), UNetError> {
    if cfg.time_embedding_type != "positional" {
        return Err(unsupported("time_embedding_type", &cfg.time_embedding_type));
    }
    let checks: [(&'static str, bool, String); 11] = [
        (
            "class_embed_type",
            cfg.class_embed_type.is_some(),
            json(&cfg.class_embed_type),
        ),
        (
            "num_class_embeds",
            cfg.num_class_embeds.is_some(),
            json(&cfg.num_class_embeds),
        ),
        (
            "class_embeddings_concat",
            cfg.class_embeddings_concat,
            "true".to_string(),
        ),
        (
            "encoder_hid_dim",
            cfg.encoder_hid_dim.is_some(),
            json(&cfg.encoder_hid_dim),
        ),
        (
            "encoder_hid_dim_type",
            cfg.encoder_hid_dim_type.is_some(),
            json(&cfg.encoder_hid_dim_type),
        ),
        (
            "time_embedding_dim",
            cfg.time_embedding_dim.is_some(),
            json(&cfg.time_embedding_dim),
        ),
        (
            "time_embedding_act_fn",
            cfg.time_embedding_act_fn.is_some(),
            json(&cfg.time_embedding_act_fn),
        ),
        (
            "timestep_post_act",
            cfg.timestep_post_act.is_some(),
            json(&cfg.timestep_post_act),
        ),
        (
            "dual_cross_attention",
            cfg.dual_cross_attention,
            "true".to_string(),
        ),
        (
            "resnet_skip_time_act",
            cfg.resnet_skip_time_act,
            "true".to_string(),
        ),
        (
            "resnet_time_scale_shift",
            cfg.resnet_time_scale_shift != "default",
            json(&cfg.resnet_time_scale_shift),
        ),
    ];
    for (field, bad, value) in checks {
        if bad {
            return Err(UNetError::Unsupported { field, value });
        }
    }
    if let Some(t) = &cfg.attention_type {
        if t != "default" {
            return Err(unsupported("attention_type", t));
        }
    }
    if cfg.num_attention_heads.is_some() {
        // diffusers 0.42 itself refuses this field for UNet2DConditionModel.
        return Err(unsupported("num_attention_heads", &cfg.num_attention_heads));
    }
    match cfg.addition_embed_type.as_deref() {
        None | Some("text_time") => {}
        Some(other) => return Err(unsupported("addition_embed_type", other)),
    }
    Ok(())
}

impl Plan {
    pub fn new(cfg: &UNetConfig) -> Result<Self, UNetError> {
        reject_unsupported(cfg)?;
        let act =
            Activation::from_name(&cfg.act_fn).ok_or_else(|| unsupported("act_fn", &cfg.act_fn))?;
        let n = cfg.down_block_types.len();
        if n == 0 || cfg.up_block_types.len() != n || cfg.block_out_channels.len() != n {
            return Err(invalid(format!(
                "`down_block_types` ({}), `up_block_types` ({}) and `block_out_channels` ({}) \
                 must have the same, non-zero length",
                n,
                cfg.up_block_types.len(),
                cfg.block_out_channels.len()
            )));
        }
        let channels = &cfg.block_out_channels;
        let heads = per_block(&cfg.attention_head_dim, n, "attention_head_dim")?;
        let cross_dims = per_block(&cfg.cross_attention_dim, n, "cross_attention_dim")?;
        let layers = per_block(&cfg.layers_per_block, n, "layers_per_block")?;
        let tlayers = per_block(
            &cfg.transformer_layers_per_block,
            n,
            "transformer_layers_per_block",
        )?;
        let only_cross = per_block(&cfg.only_cross_attention, n, "only_cross_attention")?;
        let groups = cfg.norm_num_groups;
        for &c in channels {
            if groups == 0 || c % groups != 0 {
                return Err(invalid(format!(
                    "`block_out_channels` value {c} is not divisible by `norm_num_groups` {groups}"
                )));
            }
        }
        let pad = cfg.downsample_padding;
        if pad < 0.0 || pad.fract() != 0.0 {
            return Err(invalid(format!(
                "`downsample_padding` must be a whole number, not {pad}"
            )));
        }
        for (field, k) in [
            ("conv_in_kernel", cfg.conv_in_kernel),
            ("conv_out_kernel", cfg.conv_out_kernel),
        ] {
            if k % 2 == 0 {
                // diffusers pads by (k - 1) / 2, which only keeps the size for odd kernels.
                return Err(unsupported(field, k));
            }
        }

        let attention = |kind: &str, i: usize, ch: usize, t_layers: usize, only: bool| {
            if kind.starts_with("CrossAttn") || kind == "UNetMidBlock2DCrossAttn" {
                let h = heads[i];
                if h == 0 || !ch.is_multiple_of(h) {
                    return Err(invalid(format!(
                        "block {i} has {ch} channels, which do not split into {h} attention heads \
                         (`attention_head_dim` is the number of heads in this config)"
                    )));
                }
                Ok(Some(AttentionSpec {
                    heads: h,
                    transformer_layers: t_layers,
                    cross_attention_dim: cross_dims[i],
                    use_linear_projection: cfg.use_linear_projection,
                    only_cross_attention: only,
                }))
            } else {
                Ok(None)
            }
        };

        let mut down = Vec::with_capacity(n);
        for (i, kind) in cfg.down_block_types.iter().enumerate() {
            if kind != "CrossAttnDownBlock2D" && kind != "DownBlock2D" {
                return Err(unsupported("down_block_types", kind));
            }
            let in_channels = if i == 0 { channels[0] } else { channels[i - 1] };
            down.push(BlockSpec {
                in_channels,
                out_channels: channels[i],
                prev_output_channels: in_channels,
                num_layers: layers[i],
                attention: attention(kind, i, channels[i], tlayers[i], only_cross[i])?,
                resample: i + 1 < n,
            });
        }

        let mid = match cfg.mid_block_type.as_deref() {
            None => None,
            Some("UNetMidBlock2DCrossAttn") => attention(
                "UNetMidBlock2DCrossAttn",
                n - 1,
                channels[n - 1],
                tlayers[n - 1],
                false,
            )?,
            Some(other) => return Err(unsupported("mid_block_type", other)),
        };

        let rev = |v: &[usize]| v.iter().rev().copied().collect::<Vec<_>>();
        let rev_channels = rev(channels);
        let rev_layers = rev(&layers);
        let rev_tlayers = match &cfg.reverse_transformer_layers_per_block {
            None => rev(&tlayers),
            Some(v) if v.len() == n => v.clone(),
            Some(v) => {
                return Err(invalid(format!(
                "`reverse_transformer_layers_per_block` has {} values but there are {n} up blocks",
                v.len()
            )))
            }
        };
        let mut up = Vec::with_capacity(n);
        for (i, kind) in cfg.up_block_types.iter().enumerate() {
            if kind != "CrossAttnUpBlock2D" && kind != "UpBlock2D" {
                return Err(unsupported("up_block_types", kind));
            }
            // Per-block lists (heads, cross dims, only_cross) are read reversed for up blocks.
            let j = n - 1 - i;
            let out_channels = rev_channels[i];
            up.push(BlockSpec {
                in_channels: rev_channels[(i + 1).min(n - 1)],
                out_channels,
                prev_output_channels: if i == 0 {
                    rev_channels[0]
                } else {
                    rev_channels[i - 1]
                },
                num_layers: rev_layers[i] + 1,
                attention: attention(kind, j, out_channels, rev_tlayers[i], only_cross[j])?,
                resample: i + 1 < n,
            });
        }

        let time_embed_dim = channels[0] * 4;
        let added = match cfg.addition_embed_type.as_deref() {
            Some("text_time") => {
                let time_embed_dim = cfg.addition_time_embed_dim.ok_or_else(|| {
                    invalid("`addition_embed_type` is \"text_time\" but `addition_time_embed_dim` is not set".into())
                })?;
                let input_dim = cfg.projection_class_embeddings_input_dim.ok_or_else(|| {
                    invalid("`addition_embed_type` is \"text_time\" but `projection_class_embeddings_input_dim` is not set".into())
                })?;
                Some(TextTimeSpec {
                    time_embed_dim,
                    input_dim,
                })
            }
            _ => None,
        };

        if let Some(d) = cfg.time_cond_proj_dim {
            if d < 4 {
                // diffusers' guidance embedding divides by `d / 2 - 1`: NaN below 4.
                return Err(invalid(format!(
                    "`time_cond_proj_dim` is {d}; the guidance-scale embedding needs at least 4"
                )));
            }
        }

        Ok(Self {
            act,
            time_embed_dim,
            added,
            time_cond_proj_dim: cfg.time_cond_proj_dim,
            down,
            mid,
            up,
            downsample_padding: pad as usize,
        })
    }
}
