//! The spatial transformer inside cross-attention blocks (diffusers' `Transformer2DModel`
//! with continuous input, and its `BasicTransformerBlock`s).

use candle_core::{Module, Result, Tensor, D};
use candle_nn::VarBuilder;

use super::attention::Attention;
use crate::pipeline::kernels::Isa;
use crate::pipeline::layers::{gelu_exact, Conv2d, GroupNorm, LayerNorm, Linear, LoadContext};

/// What one `Transformer2DModel` is built from.
#[derive(Debug, Clone, Copy)]
pub struct TransformerSettings {
    pub channels: usize,
    pub heads: usize,
    pub layers: usize,
    pub cross_attention_dim: usize,
    pub norm_groups: usize,
    pub use_linear_projection: bool,
    pub only_cross_attention: bool,
    /// What the layers are built with, the feature map's size at native size included.
    pub ctx: LoadContext,
}

/// The GEGLU feed-forward: `proj` to twice the inner width, `value * gelu(gate)` with the
/// exact (erf) GELU, then the output projection `net.2`.
#[derive(Debug, Clone)]
struct FeedForward {
    proj: Linear,
    out: Linear,
    inner: usize,
    isa: Isa,
}

impl FeedForward {
    fn load(vb: VarBuilder, ctx: &LoadContext, dim: usize) -> Result<Self> {
        let inner = 4 * dim;
        Ok(Self {
            proj: Linear::load(vb.pp("net").pp("0").pp("proj"), ctx, dim, 2 * inner)?,
            out: Linear::load(vb.pp("net").pp("2"), ctx, inner, dim)?,
            inner,
            isa: ctx.isa,
        })
    }
}

impl Module for FeedForward {
    /// x: `[b, n, dim]` -> `[b, n, dim]`
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let h = self.proj.forward(x)?;
        let value = h.narrow(D::Minus1, 0, self.inner)?;
        let gate = h.narrow(D::Minus1, self.inner, self.inner)?;
        self.out.forward(&(value * gelu_exact(self.isa, &gate)?)?)
    }
}

/// `x + attn1(norm1(x))`, `x + attn2(norm2(x), text)`, `x + ff(norm3(x))`.
#[derive(Debug, Clone)]
struct BasicTransformerBlock {
    norm1: LayerNorm,
    attn1: Attention,
    norm2: LayerNorm,
    attn2: Attention,
    norm3: LayerNorm,
    ff: FeedForward,
    only_cross_attention: bool,
}

/// diffusers builds these layer norms with its default eps, whatever the UNet's `norm_eps`.
const LAYER_NORM_EPS: f64 = 1e-5;

impl BasicTransformerBlock {
    fn load(vb: VarBuilder, s: &TransformerSettings) -> Result<Self> {
        let dim = s.channels;
        let head_dim = dim / s.heads;
        // With only_cross_attention the first attention also reads the text, not the image.
        let attn1_kv = if s.only_cross_attention {
            s.cross_attention_dim
        } else {
            dim
        };
        Ok(Self {
            norm1: LayerNorm::load(vb.pp("norm1"), dim, LAYER_NORM_EPS)?,
            attn1: Attention::load(vb.pp("attn1"), &s.ctx, dim, attn1_kv, s.heads, head_dim)?,
            norm2: LayerNorm::load(vb.pp("norm2"), dim, LAYER_NORM_EPS)?,
            attn2: Attention::load(
                vb.pp("attn2"),
                &s.ctx,
                dim,
                s.cross_attention_dim,
                s.heads,
                head_dim,
            )?,
            norm3: LayerNorm::load(vb.pp("norm3"), dim, LAYER_NORM_EPS)?,
            ff: FeedForward::load(vb.pp("ff"), &s.ctx, dim)?,
            only_cross_attention: s.only_cross_attention,
        })
    }

    /// x: `[b, n, dim]`, text: `[b, seq, cross_dim]` -> `[b, n, dim]`
    fn forward(&self, x: &Tensor, text: &Tensor) -> Result<Tensor> {
        let ctx1 = self.only_cross_attention.then_some(text);
        let x = (self.attn1.forward(&self.norm1.forward(x)?, ctx1)? + x)?;
        let x = (self.attn2.forward(&self.norm2.forward(&x)?, Some(text))? + &x)?;
        self.ff.forward(&self.norm3.forward(&x)?)? + &x
    }
}

/// The input and output projections: 1×1 convolutions, or linear layers applied after
/// flattening when the config has `use_linear_projection`.
#[derive(Debug, Clone)]
enum Projection {
    Conv(Conv2d),
    Linear(Linear),
}

/// `norm -> proj_in -> transformer_blocks -> proj_out`, plus the input.
#[derive(Debug, Clone)]
pub struct Transformer2DModel {
    norm: GroupNorm,
    proj_in: Projection,
    blocks: Vec<BasicTransformerBlock>,
    proj_out: Projection,
}

/// The group norm in front of the transformer has a fixed eps in diffusers.
const TRANSFORMER_GROUP_NORM_EPS: f64 = 1e-6;

impl Transformer2DModel {
    pub fn load(vb: VarBuilder, s: &TransformerSettings) -> Result<Self> {
        let c = s.channels;
        let (proj_in, proj_out) = if s.use_linear_projection {
            (
                Projection::Linear(Linear::load(vb.pp("proj_in"), &s.ctx, c, c)?),
                Projection::Linear(Linear::load(vb.pp("proj_out"), &s.ctx, c, c)?),
            )
        } else {
            (
                Projection::Conv(Conv2d::load(vb.pp("proj_in"), &s.ctx, c, c, 1, 1, 0)?),
                Projection::Conv(Conv2d::load(vb.pp("proj_out"), &s.ctx, c, c, 1, 1, 0)?),
            )
        };
        let vbb = vb.pp("transformer_blocks");
        let blocks = (0..s.layers)
            .map(|i| BasicTransformerBlock::load(vbb.pp(i), s))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            norm: GroupNorm::load(
                vb.pp("norm"),
                &s.ctx,
                s.norm_groups,
                c,
                TRANSFORMER_GROUP_NORM_EPS,
            )?,
            proj_in,
            blocks,
            proj_out,
        })
    }

    /// x: `[b, c, h, w]`, text: `[b, seq, cross_dim]` -> `[b, c, h, w]`
    pub fn forward(&self, x: &Tensor, text: &Tensor) -> Result<Tensor> {
        let (b, c, h, w) = x.dims4()?;
        let normed = self.norm.forward(x)?;
        // [b, c, h, w] <-> [b, h*w, c]
        let to_tokens = |t: &Tensor| t.permute((0, 2, 3, 1))?.reshape((b, h * w, c));
        let to_image = |t: &Tensor| t.reshape((b, h, w, c))?.permute((0, 3, 1, 2));
        let mut tokens = match &self.proj_in {
            Projection::Conv(conv) => to_tokens(&conv.forward(&normed)?)?,
            Projection::Linear(lin) => lin.forward(&to_tokens(&normed)?)?,
        };
        for block in &self.blocks {
            tokens = block.forward(&tokens, text)?;
        }
        let out = match &self.proj_out {
            Projection::Conv(conv) => conv.forward(&to_image(&tokens)?.contiguous()?)?,
            Projection::Linear(lin) => to_image(&lin.forward(&tokens)?)?,
        };
        out + x
    }
}
