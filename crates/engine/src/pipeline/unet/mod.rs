//! The denoising network, `UNet2DConditionModel`, built from its `unet/config.json`.
//!
//! The struct tree mirrors diffusers' module tree (`down_blocks.1.attentions.0
//! .transformer_blocks.0.attn1.to_q`, `mid_block.resnets.0.conv1`, …) so a diffusers
//! checkpoint loads by name. Supported: the block types of SD 1.x, SD 2.x, SD-Turbo and SDXL
//! (including SDXL's `text_time` added conditioning) and LCM-distilled UNets
//! (`time_cond_proj_dim`: a guidance-scale embedding added to the timestep's); every other option a config can ask for
//! is refused at load with an error naming the field.

mod attention;
mod blocks;
mod embeddings;
mod plan;
mod resnet;
mod transformer;

use candle_core::{DType, Module, Result, Tensor};
use candle_nn::VarBuilder;

use crate::model::config::UNetConfig;
use crate::pipeline::layers::{Conv2d, GroupNorm, LoadContext};
use blocks::{DownBlock, MidBlock, UpBlock};
pub use embeddings::guidance_scale_embedding;
use embeddings::{TimestepEmbedding, Timesteps};
use plan::Plan;
use resnet::{Activation, ResnetSettings};

/// Why a UNet could not be built.
#[derive(Debug, thiserror::Error)]
pub enum UNetError {
    #[error(
        "unet/config.json asks for `{field}` = {value}, which is not supported yet; \
         this model cannot be used with reportfig (use a Stable Diffusion 1.x, 2.x, Turbo or \
         SDXL checkpoint)"
    )]
    Unsupported { field: &'static str, value: String },
    #[error("unet/config.json is not a valid UNet configuration: {message}")]
    InvalidConfig { message: String },
    #[error(
        "the UNet weights do not match unet/config.json: {source}. Check that \
         diffusion_pytorch_model.safetensors and config.json come from the same model and that \
         the download is complete"
    )]
    Weights {
        #[source]
        source: candle_core::Error,
    },
}

/// candle attaches a backtrace when RUST_BACKTRACE is set; a user needs only the message
/// (which names the tensor).
fn without_backtrace(mut e: candle_core::Error) -> candle_core::Error {
    while let candle_core::Error::WithBacktrace { inner, .. } = e {
        e = *inner;
    }
    e
}

/// SDXL's added conditioning (`added_cond_kwargs` in diffusers).
#[derive(Debug, Clone)]
pub struct AddedConditioning {
    /// The pooled, projected output of the second text encoder: `[b, P]`.
    pub text_embeds: Tensor,
    /// Original size, crop top-left and target size, as `(h, w, top, left, h, w)`: `[b, 6]`.
    pub time_ids: Tensor,
}

/// `add_time_proj` + `add_embedding` for `addition_embed_type: "text_time"`.
#[derive(Debug, Clone)]
struct TextTimeEmbedding {
    add_time_proj: Timesteps,
    add_embedding: TimestepEmbedding,
}

#[derive(Debug, Clone)]
pub struct UNet2DConditionModel {
    center_input_sample: bool,
    conv_in: Conv2d,
    time_proj: Timesteps,
    time_embedding: TimestepEmbedding,
    time_cond_proj_dim: Option<usize>,
    added: Option<TextTimeEmbedding>,
    down_blocks: Vec<DownBlock>,
    mid_block: Option<MidBlock>,
    up_blocks: Vec<UpBlock>,
    conv_norm_out: GroupNorm,
    act: Activation,
    conv_out: Conv2d,
    dtype: DType,
}

impl UNet2DConditionModel {
    /// Builds the network described by `cfg`, taking its weights from `vb` (the root of the
    /// UNet's checkpoint).
    ///
    /// `ctx`: the kernels, weight storage and convolution algorithm the layers are built with;
    /// the convolution algorithm is chosen for the feature maps of the config's `sample_size`
    /// (the latent size the model was trained at).
    pub fn load(
        vb: VarBuilder,
        cfg: &UNetConfig,
        ctx: &LoadContext,
    ) -> std::result::Result<Self, UNetError> {
        let plan = Plan::new(cfg)?;
        Self::build(vb, cfg, &plan, ctx).map_err(|e| UNetError::Weights {
            source: without_backtrace(e),
        })
    }

    fn build(vb: VarBuilder, cfg: &UNetConfig, plan: &Plan, ctx: &LoadContext) -> Result<Self> {
        let ch = &cfg.block_out_channels;
        let temb = plan.time_embed_dim;
        let rs = ResnetSettings {
            groups: cfg.norm_num_groups,
            eps: cfg.norm_eps,
            act: plan.act,
            temb_channels: temb,
            output_scale_factor: 1.0,
            ctx: *ctx,
        };
        // The side of each level's maps at the native latent size, when the config gives one:
        // halved by each downsampler (rounding up, as a padded stride-2 convolution does).
        let mut side = cfg.sample_size;
        let at = |rs: &ResnetSettings, side: Option<usize>| match side {
            Some(s) => rs.at_map(s),
            None => *rs,
        };
        let ctx_in = at(&rs, side).ctx;
        let conv_in = Conv2d::load(
            vb.pp("conv_in"),
            &ctx_in,
            cfg.in_channels,
            ch[0],
            cfg.conv_in_kernel,
            1,
            (cfg.conv_in_kernel - 1) / 2,
        )?;
        let time_proj = Timesteps::new(ch[0], cfg.flip_sin_to_cos, cfg.freq_shift);
        let time_embedding = TimestepEmbedding::load_with_condition(
            vb.pp("time_embedding"),
            ctx,
            ch[0],
            temb,
            plan.act,
            plan.time_cond_proj_dim,
        )?;
        let added = match plan.added {
            Some(spec) => Some(TextTimeEmbedding {
                add_time_proj: Timesteps::new(
                    spec.time_embed_dim,
                    cfg.flip_sin_to_cos,
                    cfg.freq_shift,
                ),
                // diffusers builds this one with its default activation, whatever `act_fn` is.
                add_embedding: TimestepEmbedding::load(
                    vb.pp("add_embedding"),
                    ctx,
                    spec.input_dim,
                    temb,
                    Activation::Silu,
                )?,
            }),
            None => None,
        };
        let down_blocks = plan
            .down
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let block = DownBlock::load(
                    vb.pp("down_blocks").pp(i),
                    spec,
                    &at(&rs, side),
                    plan.downsample_padding,
                );
                if spec.resample {
                    side = side.map(|s| s.div_ceil(2));
                }
                block
            })
            .collect::<Result<Vec<_>>>()?;
        let mid_block = match &plan.mid {
            Some(attn) => {
                let mid_rs = ResnetSettings {
                    output_scale_factor: cfg.mid_block_scale_factor,
                    ..at(&rs, side)
                };
                Some(MidBlock::load(
                    vb.pp("mid_block"),
                    ch[ch.len() - 1],
                    attn,
                    &mid_rs,
                )?)
            }
            None => None,
        };
        let up_blocks = plan
            .up
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let block = UpBlock::load(vb.pp("up_blocks").pp(i), spec, &at(&rs, side));
                if spec.resample {
                    side = side.map(|s| 2 * s);
                }
                block
            })
            .collect::<Result<Vec<_>>>()?;
        let conv_norm_out = GroupNorm::load(
            vb.pp("conv_norm_out"),
            ctx,
            cfg.norm_num_groups,
            ch[0],
            cfg.norm_eps,
        )?;
        let conv_out = Conv2d::load(
            vb.pp("conv_out"),
            &at(&rs, side).ctx,
            ch[0],
            cfg.out_channels,
            cfg.conv_out_kernel,
            1,
            (cfg.conv_out_kernel - 1) / 2,
        )?;
        // Each weight was copied into its packed form and freed: return those holes.
        crate::pipeline::memory::release_free_memory();
        Ok(Self {
            center_input_sample: cfg.center_input_sample,
            conv_in,
            time_proj,
            time_embedding,
            time_cond_proj_dim: plan.time_cond_proj_dim,
            added,
            down_blocks,
            mid_block,
            up_blocks,
            conv_norm_out,
            act: plan.act,
            conv_out,
            dtype: vb.dtype(),
        })
    }

    /// Whether `forward` needs `AddedConditioning` (SDXL).
    pub fn needs_added_conditioning(&self) -> bool {
        self.added.is_some()
    }

    /// The width of the guidance-scale embedding this UNet takes as `timestep_cond`
    /// (LCM-distilled models), `None` for others.
    pub fn time_cond_proj_dim(&self) -> Option<usize> {
        self.time_cond_proj_dim
    }

    /// One denoising prediction, without a `timestep_cond` (see
    /// [`UNet2DConditionModel::forward_with_timestep_cond`]).
    ///
    /// sample: `[b, in_channels, h, w]` latents (any h, w); timestep: the scheduler's timestep,
    /// the same for the whole batch; encoder_hidden_states: `[b, seq, cross_attention_dim]`;
    /// added: SDXL's pooled text embedding and time ids, `None` for other models.
    /// Returns `[b, out_channels, h, w]`.
    pub fn forward(
        &self,
        sample: &Tensor,
        timestep: f64,
        encoder_hidden_states: &Tensor,
        added: Option<&AddedConditioning>,
    ) -> Result<Tensor> {
        self.forward_with_timestep_cond(sample, timestep, encoder_hidden_states, None, added)
    }

    /// One denoising prediction, as diffusers' `forward(..., timestep_cond=...)`.
    ///
    /// timestep_cond: `[b, time_cond_proj_dim]`, the guidance-scale embedding of
    /// [`guidance_scale_embedding`], added to the timestep embedding through
    /// `time_embedding.cond_proj`; ignored by a UNet without `time_cond_proj_dim`, and, as in
    /// diffusers, an LCM UNet given none runs without it. Other arguments as
    /// [`UNet2DConditionModel::forward`].
    pub fn forward_with_timestep_cond(
        &self,
        sample: &Tensor,
        timestep: f64,
        encoder_hidden_states: &Tensor,
        timestep_cond: Option<&Tensor>,
        added: Option<&AddedConditioning>,
    ) -> Result<Tensor> {
        let (b, _, h, w) = sample.dims4()?;
        let device = sample.device();
        let sample = sample.to_dtype(self.dtype)?;
        let text = encoder_hidden_states.to_dtype(self.dtype)?;
        let sample = if self.center_input_sample {
            ((sample * 2.0)? - 1.0)?
        } else {
            sample
        };

        // diffusers turns the timestep into float32 before embedding it.
        let t_emb = self
            .time_proj
            .embed(&[timestep as f32], device)?
            .to_dtype(self.dtype)?
            .broadcast_as((b, self.time_proj_channels()))?
            .contiguous()?;
        let mut emb = self
            .time_embedding
            .forward_with_condition(&t_emb, timestep_cond)?;
        match (&self.added, added) {
            (Some(tt), Some(a)) => {
                let time = tt
                    .add_time_proj
                    .embed_tensor(&a.time_ids)?
                    .reshape((b, ()))?;
                let add = Tensor::cat(&[&a.text_embeds.to_dtype(DType::F32)?, &time], 1)?
                    .to_dtype(self.dtype)?;
                emb = (emb + tt.add_embedding.forward(&add)?)?;
            }
            (Some(_), None) => candle_core::bail!(
                "this UNet (addition_embed_type \"text_time\", SDXL) needs the pooled text \
                 embedding and time ids; pass AddedConditioning"
            ),
            (None, _) => {}
        }

        // Odd latent sizes: each upsampler must land exactly on its skip connection's size.
        let up_factor = 1usize << self.up_blocks.len().saturating_sub(1);
        let forward_upsample_size = h % up_factor != 0 || w % up_factor != 0;

        let mut x = self.conv_in.forward(&sample)?;
        let mut skips = vec![x.clone()];
        for block in &self.down_blocks {
            x = block.forward(&x, &emb, &text, &mut skips)?;
        }
        if let Some(mid) = &self.mid_block {
            x = mid.forward(&x, &emb, &text)?;
        }
        let last = self.up_blocks.len().saturating_sub(1);
        let mut upsample_size = None;
        for (i, block) in self.up_blocks.iter().enumerate() {
            let keep = skips.len().checked_sub(block.num_skips()).ok_or_else(|| {
                candle_core::Error::Msg("UNet down and up blocks do not pair up".into())
            })?;
            let mut own = skips.split_off(keep);
            if i != last && forward_upsample_size {
                if let Some(next) = skips.last() {
                    let (_, _, sh, sw) = next.dims4()?;
                    upsample_size = Some((sh, sw));
                }
            }
            x = block.forward(&x, &emb, &text, &mut own, upsample_size)?;
        }
        let x = self.act.after_norm(&self.conv_norm_out, &x)?;
        self.conv_out.forward(&x)
    }

    fn time_proj_channels(&self) -> usize {
        self.time_proj.channels()
    }
}
