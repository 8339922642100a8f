//! Multi-head attention with diffusers' parameter names (`to_q`, `to_k`, `to_v`, `to_out.0`).

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;

use crate::pipeline::kernels::Isa;
use crate::pipeline::layers::{attention, Linear, LoadContext};

/// diffusers' `Attention` as the UNet uses it: no q/k/v bias, a biased output projection,
/// scale `1/√head_dim`, no residual or rescaling inside.
#[derive(Debug, Clone)]
pub struct Attention {
    to_q: Linear,
    to_k: Linear,
    to_v: Linear,
    to_out: Linear,
    heads: usize,
    head_dim: usize,
    isa: Isa,
}

impl Attention {
    /// `kv_dim` is the width of what is attended to: `query_dim` for self-attention, the text
    /// encoder's width for cross-attention.
    pub fn load(
        vb: VarBuilder,
        ctx: &LoadContext,
        query_dim: usize,
        kv_dim: usize,
        heads: usize,
        head_dim: usize,
    ) -> Result<Self> {
        let inner = heads * head_dim;
        Ok(Self {
            to_q: Linear::load_no_bias(vb.pp("to_q"), ctx, query_dim, inner)?,
            to_k: Linear::load_no_bias(vb.pp("to_k"), ctx, kv_dim, inner)?,
            to_v: Linear::load_no_bias(vb.pp("to_v"), ctx, kv_dim, inner)?,
            to_out: Linear::load(vb.pp("to_out").pp("0"), ctx, inner, query_dim)?,
            heads,
            head_dim,
            isa: ctx.isa,
        })
    }

    /// `[b, n, c]` -> `[b, heads, n, head_dim]`
    fn split_heads(&self, x: &Tensor) -> Result<Tensor> {
        let (b, n, _) = x.dims3()?;
        x.reshape((b, n, self.heads, self.head_dim))?
            .transpose(1, 2)
    }

    /// x: `[b, n, query_dim]`; context: `[b, m, kv_dim]`, or `None` to attend to `x` itself.
    /// Returns `[b, n, query_dim]`.
    pub fn forward(&self, x: &Tensor, context: Option<&Tensor>) -> Result<Tensor> {
        let context = context.unwrap_or(x);
        let q = self.split_heads(&self.to_q.forward(x)?)?;
        let k = self.split_heads(&self.to_k.forward(context)?)?;
        let v = self.split_heads(&self.to_v.forward(context)?)?;
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        let out = attention(self.isa, &q, &k, &v, scale)?;
        let (b, _, n, _) = out.dims4()?;
        let out = out
            .transpose(1, 2)?
            .reshape((b, n, self.heads * self.head_dim))?;
        self.to_out.forward(&out)
    }
}
