//! Timestep embeddings: the sinusoidal projection (diffusers' `Timesteps`), the two-layer
//! MLP that follows it (`TimestepEmbedding`, also used for SDXL's `add_embedding`), and the
//! guidance-scale embedding LCM-distilled UNets are conditioned on.

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::VarBuilder;

use super::resnet::Activation;
use crate::pipeline::kernels::Isa;
use crate::pipeline::layers::{Linear, LoadContext};

/// Sinusoidal embedding of scalar values (timesteps or SDXL's size/crop ids).
///
/// Mirrors diffusers' `get_timestep_embedding` with `max_period = 10000` and `scale = 1`,
/// including its float32 arithmetic, so float timesteps such as 451.5 embed identically.
#[derive(Debug, Clone, Copy)]
pub struct Timesteps {
    channels: usize,
    flip_sin_to_cos: bool,
    freq_shift: f64,
}

impl Timesteps {
    pub fn new(channels: usize, flip_sin_to_cos: bool, freq_shift: f64) -> Self {
        Self {
            channels,
            flip_sin_to_cos,
            freq_shift,
        }
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    /// values: n scalars -> `[n, channels]` in f32.
    pub fn embed(&self, values: &[f32], device: &Device) -> Result<Tensor> {
        let half = self.channels / 2;
        // torch computes `exp(-ln(10000) * i / (half - shift))` in float32; rounding each step
        // to f32 here keeps the arguments of sin/cos identical for large timesteps.
        let neg_log = -(10000f64.ln()) as f32;
        let denom = (half as f64 - self.freq_shift) as f32;
        let freqs: Vec<f32> = (0..half)
            .map(|i| {
                let exponent = (neg_log * i as f32) / denom;
                (exponent as f64).exp() as f32
            })
            .collect();
        let mut out = Vec::with_capacity(values.len() * self.channels);
        for &t in values {
            let args = freqs.iter().map(|&f| (t * f) as f64);
            let sin: Vec<f32> = args.clone().map(|a| a.sin() as f32).collect();
            let cos: Vec<f32> = args.map(|a| a.cos() as f32).collect();
            let (first, second) = if self.flip_sin_to_cos {
                (cos, sin)
            } else {
                (sin, cos)
            };
            out.extend_from_slice(&first);
            out.extend_from_slice(&second);
            if self.channels % 2 == 1 {
                out.push(0.0);
            }
        }
        Tensor::from_vec(out, (values.len(), self.channels), device)
    }

    /// values: any shape with n elements -> `[n, channels]` in f32.
    pub fn embed_tensor(&self, values: &Tensor) -> Result<Tensor> {
        let host: Vec<f32> = values.flatten_all()?.to_dtype(DType::F32)?.to_vec1()?;
        self.embed(&host, values.device())
    }
}

/// `[cond_proj(condition) +] sample -> linear_1 -> act -> linear_2`: diffusers'
/// `TimestepEmbedding` without its optional post-activation (rejected at load when a config
/// asks for it). `cond_proj` (a bias-free linear layer) exists when the UNet config has
/// `time_cond_proj_dim`, as LCM-distilled UNets do.
#[derive(Debug, Clone)]
pub struct TimestepEmbedding {
    cond_proj: Option<Linear>,
    linear_1: Linear,
    act: Activation,
    linear_2: Linear,
    isa: Isa,
}

impl TimestepEmbedding {
    pub fn load(
        vb: VarBuilder,
        ctx: &LoadContext,
        in_dim: usize,
        out_dim: usize,
        act: Activation,
    ) -> Result<Self> {
        Self::load_with_condition(vb, ctx, in_dim, out_dim, act, None)
    }

    /// As [`TimestepEmbedding::load`], with `cond_proj: [in_dim, cond_dim]` when `cond_dim`
    /// is given.
    pub fn load_with_condition(
        vb: VarBuilder,
        ctx: &LoadContext,
        in_dim: usize,
        out_dim: usize,
        act: Activation,
        cond_dim: Option<usize>,
    ) -> Result<Self> {
        let cond_proj = match cond_dim {
            Some(d) => Some(Linear::load_no_bias(vb.pp("cond_proj"), ctx, d, in_dim)?),
            None => None,
        };
        Ok(Self {
            cond_proj,
            linear_1: Linear::load(vb.pp("linear_1"), ctx, in_dim, out_dim)?,
            act,
            linear_2: Linear::load(vb.pp("linear_2"), ctx, out_dim, out_dim)?,
            isa: ctx.isa,
        })
    }

    /// x: `[b, in_dim]`, condition: `[b, cond_dim]` -> `[b, out_dim]`. As in diffusers, a
    /// condition is only used when the layer has `cond_proj`, and a layer with one runs
    /// without it when no condition is given.
    pub fn forward_with_condition(&self, x: &Tensor, condition: Option<&Tensor>) -> Result<Tensor> {
        let x = match (&self.cond_proj, condition) {
            (Some(proj), Some(c)) => (x + proj.forward(&c.to_dtype(x.dtype())?)?)?,
            _ => x.clone(),
        };
        let h = self.act.apply(self.isa, &self.linear_1.forward(&x)?)?;
        self.linear_2.forward(&h)
    }
}

impl Module for TimestepEmbedding {
    /// x: `[b, in_dim]` -> `[b, out_dim]`
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_with_condition(x, None)
    }
}

/// The embedding of a guidance scale that LCM-distilled UNets take as `timestep_cond`
/// (diffusers' `get_guidance_scale_embedding`, VDM's formula): `w` is scaled by 1000 and
/// embedded sin-first with frequencies `exp(-ln(10000) * i / (dim / 2 - 1))`, zero-padded to
/// an odd `dim`. Pipelines pass `w = guidance_scale - 1`.
///
/// Arithmetic is float32 step for step as torch does it. Returns `[batch, dim]` f32 (the same
/// row repeated); `dim` must be at least 4 (smaller ones divide by zero in diffusers too).
pub fn guidance_scale_embedding(
    w: f64,
    dim: usize,
    batch: usize,
    device: &Device,
) -> Result<Tensor> {
    let half = dim / 2;
    if half < 2 {
        candle_core::bail!("a guidance-scale embedding needs at least 4 channels, not {dim}");
    }
    let w = (w as f32) * 1000.0;
    let step = 10000f32.ln() / (half - 1) as f32;
    let mut row = Vec::with_capacity(dim);
    let args: Vec<f32> = (0..half)
        .map(|i| w * ((i as f32 * -step) as f64).exp() as f32)
        .collect();
    row.extend(args.iter().map(|&a| (a as f64).sin() as f32));
    row.extend(args.iter().map(|&a| (a as f64).cos() as f32));
    if dim % 2 == 1 {
        row.push(0.0);
    }
    Tensor::from_vec(row, (1, dim), device)?
        .broadcast_as((batch, dim))?
        .contiguous()
}
