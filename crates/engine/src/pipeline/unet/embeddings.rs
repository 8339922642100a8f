//! Timestep embeddings: the sinusoidal projection (diffusers' `Timesteps`) and the two-layer
//! MLP that follows it (`TimestepEmbedding`, also used for SDXL's `add_embedding`).

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

/// `linear_1 -> act -> linear_2`: diffusers' `TimestepEmbedding` without its optional
/// condition projection and post-activation (rejected at load when a config asks for them).
#[derive(Debug, Clone)]
pub struct TimestepEmbedding {
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
        Ok(Self {
            linear_1: Linear::load(vb.pp("linear_1"), ctx, in_dim, out_dim)?,
            act,
            linear_2: Linear::load(vb.pp("linear_2"), ctx, out_dim, out_dim)?,
            isa: ctx.isa,
        })
    }
}

impl Module for TimestepEmbedding {
    /// x: `[b, in_dim]` -> `[b, out_dim]`
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let h = self.act.apply(self.isa, &self.linear_1.forward(x)?)?;
        self.linear_2.forward(&h)
    }
}
