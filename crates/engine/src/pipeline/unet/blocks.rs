//! The UNet's levels: `CrossAttnDownBlock2D` / `DownBlock2D`, `UNetMidBlock2DCrossAttn`,
//! `CrossAttnUpBlock2D` / `UpBlock2D`. A block with cross-attention is the plain block with a
//! transformer after each resnet, so one struct serves both.

use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;

use super::resnet::{Downsample2D, ResnetBlock2D, ResnetSettings, Upsample2D};
use super::transformer::{Transformer2DModel, TransformerSettings};

/// What one down or up block is built from (resolved from the config by `plan`).
#[derive(Debug, Clone)]
pub struct BlockSpec {
    pub in_channels: usize,
    pub out_channels: usize,
    /// Up blocks: the channels coming from the level below.
    pub prev_output_channels: usize,
    pub num_layers: usize,
    /// `None` for `DownBlock2D` / `UpBlock2D`.
    pub attention: Option<AttentionSpec>,
    /// Whether the block ends with a downsampler (down) or an upsampler (up).
    pub resample: bool,
}

/// The transformer settings of a cross-attention block, per resnet layer.
#[derive(Debug, Clone)]
pub struct AttentionSpec {
    pub heads: usize,
    pub transformer_layers: usize,
    pub cross_attention_dim: usize,
    pub use_linear_projection: bool,
    pub only_cross_attention: bool,
}

fn load_transformer(
    vb: VarBuilder,
    spec: &AttentionSpec,
    channels: usize,
    rs: &ResnetSettings,
) -> Result<Transformer2DModel> {
    Transformer2DModel::load(
        vb,
        &TransformerSettings {
            channels,
            heads: spec.heads,
            layers: spec.transformer_layers,
            cross_attention_dim: spec.cross_attention_dim,
            norm_groups: rs.groups,
            use_linear_projection: spec.use_linear_projection,
            only_cross_attention: spec.only_cross_attention,
            ctx: rs.ctx,
        },
    )
}

/// The `resnets.i` (each followed by `attentions.i` in a cross-attention block) of a down or
/// up block; the two differ only in what each resnet takes in.
#[derive(Debug, Clone)]
struct Layers {
    resnets: Vec<ResnetBlock2D>,
    attentions: Vec<Transformer2DModel>,
}

impl Layers {
    /// `in_channels(i)`: the channels resnet `i` takes in; every resnet outputs
    /// `spec.out_channels`.
    fn load(
        vb: &VarBuilder,
        spec: &BlockSpec,
        rs: &ResnetSettings,
        in_channels: impl Fn(usize) -> usize,
    ) -> Result<Self> {
        let mut resnets = Vec::with_capacity(spec.num_layers);
        let mut attentions = Vec::new();
        for i in 0..spec.num_layers {
            resnets.push(ResnetBlock2D::load(
                vb.pp("resnets").pp(i),
                in_channels(i),
                spec.out_channels,
                rs,
            )?);
            if let Some(a) = &spec.attention {
                attentions.push(load_transformer(
                    vb.pp("attentions").pp(i),
                    a,
                    spec.out_channels,
                    rs,
                )?);
            }
        }
        Ok(Self {
            resnets,
            attentions,
        })
    }

    /// Layer `i`: h `[b, in_channels(i), h, w]` -> `[b, out, h, w]`.
    fn forward(&self, i: usize, h: &Tensor, temb: &Tensor, text: &Tensor) -> Result<Tensor> {
        let h = self.resnets[i].forward(h, temb)?;
        match self.attentions.get(i) {
            Some(attn) => attn.forward(&h, text),
            None => Ok(h),
        }
    }
}

#[derive(Debug, Clone)]
pub struct DownBlock {
    layers: Layers,
    downsampler: Option<Downsample2D>,
}

impl DownBlock {
    pub fn load(
        vb: VarBuilder,
        spec: &BlockSpec,
        rs: &ResnetSettings,
        downsample_padding: usize,
    ) -> Result<Self> {
        let layers = Layers::load(&vb, spec, rs, |i| {
            if i == 0 {
                spec.in_channels
            } else {
                spec.out_channels
            }
        })?;
        let downsampler = if spec.resample {
            Some(Downsample2D::load(
                vb.pp("downsamplers").pp("0"),
                &rs.ctx,
                spec.out_channels,
                downsample_padding,
            )?)
        } else {
            None
        };
        Ok(Self {
            layers,
            downsampler,
        })
    }

    /// x: `[b, in, h, w]` -> the block's output and, appended to `skips`, every intermediate
    /// state the up blocks will concatenate (one per resnet, plus the downsampled output).
    pub fn forward(
        &self,
        x: &Tensor,
        temb: &Tensor,
        text: &Tensor,
        skips: &mut Vec<Tensor>,
    ) -> Result<Tensor> {
        let mut h = x.clone();
        for i in 0..self.layers.resnets.len() {
            h = self.layers.forward(i, &h, temb, text)?;
            skips.push(h.clone());
        }
        if let Some(down) = &self.downsampler {
            h = down.forward(&h)?;
            skips.push(h.clone());
        }
        Ok(h)
    }
}

/// `resnets.0 -> attentions.0 -> resnets.1` (diffusers builds it with one attention layer).
#[derive(Debug, Clone)]
pub struct MidBlock {
    resnet_0: ResnetBlock2D,
    attention: Transformer2DModel,
    resnet_1: ResnetBlock2D,
}

impl MidBlock {
    pub fn load(
        vb: VarBuilder,
        channels: usize,
        attention: &AttentionSpec,
        rs: &ResnetSettings,
    ) -> Result<Self> {
        Ok(Self {
            resnet_0: ResnetBlock2D::load(vb.pp("resnets").pp("0"), channels, channels, rs)?,
            attention: load_transformer(vb.pp("attentions").pp("0"), attention, channels, rs)?,
            resnet_1: ResnetBlock2D::load(vb.pp("resnets").pp("1"), channels, channels, rs)?,
        })
    }

    /// x: `[b, c, h, w]` -> `[b, c, h, w]`
    pub fn forward(&self, x: &Tensor, temb: &Tensor, text: &Tensor) -> Result<Tensor> {
        let h = self.resnet_0.forward(x, temb)?;
        let h = self.attention.forward(&h, text)?;
        self.resnet_1.forward(&h, temb)
    }
}

#[derive(Debug, Clone)]
pub struct UpBlock {
    layers: Layers,
    upsampler: Option<Upsample2D>,
}

impl UpBlock {
    pub fn load(vb: VarBuilder, spec: &BlockSpec, rs: &ResnetSettings) -> Result<Self> {
        let layers = Layers::load(&vb, spec, rs, |i| {
            // The last resnet takes the skip from before the down block's first resnet.
            let skip_ch = if i + 1 == spec.num_layers {
                spec.in_channels
            } else {
                spec.out_channels
            };
            let from_below = if i == 0 {
                spec.prev_output_channels
            } else {
                spec.out_channels
            };
            from_below + skip_ch
        })?;
        let upsampler = if spec.resample {
            Some(Upsample2D::load(
                vb.pp("upsamplers").pp("0"),
                &rs.ctx.upsampled(),
                spec.out_channels,
            )?)
        } else {
            None
        };
        Ok(Self { layers, upsampler })
    }

    /// How many skip connections this block consumes.
    pub fn num_skips(&self) -> usize {
        self.layers.resnets.len()
    }

    /// x: `[b, prev, h, w]`; `skips`: this block's skip connections, consumed from the end;
    /// `upsample_size`: the spatial size to upsample to when it is not simply twice `h, w`.
    pub fn forward(
        &self,
        x: &Tensor,
        temb: &Tensor,
        text: &Tensor,
        skips: &mut Vec<Tensor>,
        upsample_size: Option<(usize, usize)>,
    ) -> Result<Tensor> {
        let mut h = x.clone();
        for i in 0..self.layers.resnets.len() {
            let skip = skips
                .pop()
                .ok_or_else(|| candle_core::Error::Msg("UNet up block ran out of skips".into()))?;
            h = Tensor::cat(&[&h, &skip], 1)?;
            h = self.layers.forward(i, &h, temb, text)?;
        }
        if let Some(up) = &self.upsampler {
            h = up.forward(&h, upsample_size)?;
        }
        Ok(h)
    }
}
