//! The building blocks every network here is made of: convolution, linear layers, norms,
//! attention and activations.
//!
//! The networks (text encoder, UNet, VAE) call only these, never candle-nn's layers directly,
//! so that the CPU hot paths can be replaced in one place without touching the model code.

use std::sync::Arc;

use candle_core::{DType, Module, Result, Tensor, D};
use candle_nn::VarBuilder;

use super::kernels;

/// Weights either as loaded, or (f32 on the CPU) packed once at load time into the layout the
/// matrix product reads, replacing the loaded tensor so only one copy stays resident.
enum Weight<P> {
    Plain(Tensor),
    Packed(Arc<P>),
}

// By hand: the derive would ask `P: Clone`, but clones share the packed weight.
impl<P> Clone for Weight<P> {
    fn clone(&self) -> Self {
        match self {
            Weight::Plain(t) => Weight::Plain(t.clone()),
            Weight::Packed(p) => Weight::Packed(Arc::clone(p)),
        }
    }
}

impl<P> std::fmt::Debug for Weight<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Weight::Plain(t) => write!(f, "Plain({:?})", t.shape()),
            Weight::Packed(_) => write!(f, "Packed"),
        }
    }
}

/// How the packed weights of f32 CPU layers are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightStorage {
    /// As loaded.
    #[default]
    F32,
    /// In f16: half the memory, widened back to f32 block by block inside the matrix product,
    /// so activations and sums stay f32 (biases, norms and embeddings stay f32 too). This is
    /// what f16 means on the CPU.
    F16,
}

/// The algorithm of 3×3 stride-1 convolutions on the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConvAlgorithm {
    /// The implicit GEMM everywhere.
    Direct,
    /// Winograd F(4,3) (F(2,3) for f16 weights) for the convolutions where
    /// [`kernels::winograd_pays`] says it does at the model's native size, the direct
    /// convolution elsewhere.
    #[default]
    Auto,
}

/// What every layer of a network is built with: chosen once, when the model loads, and passed
/// down by the network builders, so no layer reads global state and none changes form in
/// `forward`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadContext {
    /// The instruction set of the CPU kernels; weights are packed for it.
    pub isa: kernels::Isa,
    pub weights: WeightStorage,
    pub conv: ConvAlgorithm,
    /// The size of the feature maps the layers being built see at the model's native image
    /// size, set by the builders of spatial networks as they descend (`None`: not known, as
    /// in a text encoder); it is what the Winograd rule is applied to.
    map: Option<(usize, usize)>,
}

impl Default for LoadContext {
    /// The widest kernels the CPU has, f32 weights, Winograd where it pays.
    fn default() -> Self {
        Self::new(kernels::Isa::detect())
    }
}

impl LoadContext {
    /// f32 weights and Winograd where it pays, on `isa`'s kernels.
    pub fn new(isa: kernels::Isa) -> Self {
        Self {
            isa,
            weights: WeightStorage::F32,
            conv: ConvAlgorithm::Auto,
            map: None,
        }
    }

    pub fn with_weights(self, weights: WeightStorage) -> Self {
        Self { weights, ..self }
    }

    pub fn with_conv(self, conv: ConvAlgorithm) -> Self {
        Self { conv, ..self }
    }

    /// The same context for layers whose inputs are `(height, width)` maps at the model's
    /// native size.
    pub fn at_map(self, height: usize, width: usize) -> Self {
        Self {
            map: Some((height, width)),
            ..self
        }
    }

    /// The same context for layers after a ×2 upsampling (an unknown size stays unknown).
    pub fn upsampled(self) -> Self {
        Self {
            map: self.map.map(|(h, w)| (2 * h, 2 * w)),
            ..self
        }
    }

    /// Whether a convolution with this geometry is built in its Winograd form.
    fn winograd(&self, in_channels: usize, kernel: usize, stride: usize, padding: usize) -> bool {
        self.conv == ConvAlgorithm::Auto
            && self.map.is_some_and(|map| {
                kernels::winograd_pays(in_channels, map, kernel, stride, padding)
            })
    }
}

/// Runs an f32-only kernel on an input of another dtype (converting there and back), for the
/// rare caller that feeds f16 activations into f32 weights.
fn in_f32(x: &Tensor, f: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    if kernels::applies(&[x]) {
        return f(x);
    }
    f(&x.to_device(&candle_core::Device::Cpu)?
        .to_dtype(DType::F32)?)?
    .to_dtype(x.dtype())?
    .to_device(x.device())
}

/// A packed convolution weight, in the form chosen at load.
#[derive(Debug)]
enum ConvForm {
    /// For the implicit GEMM (`[out, in·k·k]`).
    Direct(kernels::PackedA),
    /// Winograd's transformed matrices, for the 3×3 convolutions that see large maps (the
    /// VAE decoder's from 128²), chosen by [`LoadContext`]. Never both forms: the Winograd one
    /// alone is 4× the weight. It is exact for inputs of any size, just not faster on small
    /// maps.
    Winograd(kernels::WinogradWeights),
}

/// A 2-D convolution with diffusers' parameter names (`weight` `[out, in, k, k]`, `bias`).
#[derive(Debug, Clone)]
pub struct Conv2d {
    weight: Weight<ConvForm>,
    bias: Option<Tensor>,
    out_channels: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    isa: kernels::Isa,
}

impl Conv2d {
    pub fn load(
        vb: VarBuilder,
        ctx: &LoadContext,
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    ) -> Result<Self> {
        Self::load_with_bias(
            vb,
            ctx,
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            true,
        )
    }

    /// A convolution with only a `weight` (PyTorch's `bias=False`), as TAESD's upsampling
    /// convolutions are.
    pub fn load_no_bias(
        vb: VarBuilder,
        ctx: &LoadContext,
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    ) -> Result<Self> {
        Self::load_with_bias(
            vb,
            ctx,
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            false,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn load_with_bias(
        vb: VarBuilder,
        ctx: &LoadContext,
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        has_bias: bool,
    ) -> Result<Self> {
        let weight = vb.get_with_hints(
            (out_channels, in_channels, kernel, kernel),
            "weight",
            candle_nn::init::DEFAULT_KAIMING_NORMAL,
        )?;
        let bias = if has_bias {
            Some(vb.get_with_hints(out_channels, "bias", candle_nn::Init::Const(0.))?)
        } else {
            None
        };
        Self::from_weight(ctx, weight, bias, in_channels, kernel, stride, padding)
    }

    fn from_weight(
        ctx: &LoadContext,
        weight: Tensor,
        bias: Option<Tensor>,
        in_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    ) -> Result<Self> {
        let out_channels = weight.dim(0)?;
        let weight = if kernels::products_apply(&[&weight]) {
            let p = kernels::pack_conv_weight(ctx.isa, &weight)?;
            let p = match ctx.weights {
                WeightStorage::F16 => p.into_half(),
                WeightStorage::F32 => p,
            };
            let form = if ctx.winograd(in_channels, kernel, stride, padding) {
                ConvForm::Winograd(kernels::winograd_from_packed(&p)?)
            } else {
                ConvForm::Direct(p)
            };
            Weight::Packed(Arc::new(form))
        } else {
            Weight::Plain(weight)
        };
        Ok(Self {
            weight,
            bias,
            out_channels,
            kernel,
            stride,
            padding,
            isa: ctx.isa,
        })
    }

    pub fn out_channels(&self) -> usize {
        self.out_channels
    }

    /// Whether this convolution was built in its Winograd form.
    pub fn is_winograd(&self) -> bool {
        matches!(&self.weight, Weight::Packed(f) if matches!(**f, ConvForm::Winograd(_)))
    }
}

impl Conv2d {
    /// `conv(x) + residual`, with the add folded into the convolution where our kernels run
    /// (the output starts from the residual): one pass and one map fewer per ResNet block.
    ///
    /// x: `[batch, in, h, w]`, residual: `[batch, out, h', w']` -> `[batch, out, h', w']`.
    pub fn forward_add(&self, x: &Tensor, residual: &Tensor) -> Result<Tensor> {
        if !kernels::applies(&[x, residual]) {
            return self.forward(x)? + residual;
        }
        self.run(x, Some(residual))
    }

    fn run(&self, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let b = self.bias.as_ref();
        let (s, p) = (self.stride, self.padding);
        let weight = match &self.weight {
            // With a residual, `forward_add` has checked that x is f32 already.
            Weight::Packed(form) => {
                return match &**form {
                    ConvForm::Winograd(ww) => {
                        in_f32(x, |x| kernels::conv3x3_winograd(x, ww, b, p, residual))
                    }
                    ConvForm::Direct(pw) => in_f32(x, |x| {
                        let k = (self.kernel, self.kernel);
                        kernels::conv2d_prepacked(x, pw, k, b, s, p, residual)
                    }),
                };
            }
            Weight::Plain(w) => w,
        };
        let y = if kernels::products_apply(&[x, weight]) {
            kernels::conv2d(self.isa, x, weight, b, s, p)?
        } else {
            let y = x.conv2d(weight, p, s, 1, 1)?;
            match b {
                Some(b) => y.broadcast_add(&b.reshape((1, b.dim(0)?, 1, 1))?)?,
                None => y,
            }
        };
        match residual {
            Some(r) => y + r,
            None => Ok(y),
        }
    }
}

impl Module for Conv2d {
    /// x: `[batch, in, h, w]` -> `[batch, out, h', w']`
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.run(x, None)
    }
}

/// A dense layer, `y = x Wᵀ + b`, applied over the last dimension.
#[derive(Debug, Clone)]
pub struct Linear {
    weight: Weight<kernels::PackedB>,
    bias: Option<Tensor>,
    out_dim: usize,
    isa: kernels::Isa,
}

impl Linear {
    pub fn load(vb: VarBuilder, ctx: &LoadContext, in_dim: usize, out_dim: usize) -> Result<Self> {
        let lin = candle_nn::linear(in_dim, out_dim, vb)?;
        Self::new(ctx, lin.weight().clone(), lin.bias().cloned(), out_dim)
    }

    pub fn load_no_bias(
        vb: VarBuilder,
        ctx: &LoadContext,
        in_dim: usize,
        out_dim: usize,
    ) -> Result<Self> {
        let lin = candle_nn::linear_no_bias(in_dim, out_dim, vb)?;
        Self::new(ctx, lin.weight().clone(), None, out_dim)
    }

    /// A layer from a weight `[out, in]` and bias `[out]` already in memory (tied or fused
    /// weights), packed as a loaded one is.
    pub fn from_parts(ctx: &LoadContext, weight: Tensor, bias: Option<Tensor>) -> Result<Self> {
        let out_dim = weight.dim(0)?;
        Self::new(ctx, weight, bias, out_dim)
    }

    fn new(
        ctx: &LoadContext,
        weight: Tensor,
        bias: Option<Tensor>,
        out_dim: usize,
    ) -> Result<Self> {
        let weight = if kernels::products_apply(&[&weight]) {
            let p = kernels::pack_linear_weight(ctx.isa, &weight)?;
            Weight::Packed(Arc::new(match ctx.weights {
                WeightStorage::F16 => p.into_half(),
                WeightStorage::F32 => p,
            }))
        } else {
            Weight::Plain(weight)
        };
        Ok(Self {
            weight,
            bias,
            out_dim,
            isa: ctx.isa,
        })
    }
}

impl Module for Linear {
    /// x: `[..., in]` -> `[..., out]`
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let weight = match &self.weight {
            Weight::Packed(p) => {
                let b = self.bias.as_ref();
                return in_f32(x, |x| kernels::linear_prepacked(x, p, b));
            }
            Weight::Plain(w) => w,
        };
        if kernels::products_apply(&[x, weight]) {
            return kernels::linear(self.isa, x, weight, self.bias.as_ref());
        }
        let dims = x.dims().to_vec();
        let in_dim = *dims.last().unwrap_or(&0);
        let rows = x.elem_count() / in_dim.max(1);
        let y = x.reshape((rows, in_dim))?.matmul(&weight.t()?)?;
        let y = match &self.bias {
            Some(b) => y.broadcast_add(b)?,
            None => y,
        };
        let mut out = dims;
        *out.last_mut().unwrap() = self.out_dim;
        y.reshape(out)
    }
}

/// Group normalisation over `[batch, channels, ...]`, statistics in f32.
#[derive(Debug, Clone)]
pub struct GroupNorm {
    inner: candle_nn::GroupNorm,
    weight: Tensor,
    bias: Tensor,
    groups: usize,
    eps: f64,
    isa: kernels::Isa,
}

impl GroupNorm {
    pub fn load(
        vb: VarBuilder,
        ctx: &LoadContext,
        groups: usize,
        channels: usize,
        eps: f64,
    ) -> Result<Self> {
        // The same names and initial values as `candle_nn::group_norm`.
        let weight = vb.get_with_hints(channels, "weight", candle_nn::Init::Const(1.))?;
        let bias = vb.get_with_hints(channels, "bias", candle_nn::Init::Const(0.))?;
        Ok(Self {
            inner: candle_nn::GroupNorm::new(weight.clone(), bias.clone(), channels, groups, eps)?,
            weight,
            bias,
            groups,
            eps,
            isa: ctx.isa,
        })
    }

    /// `silu(group_norm(x))` in one pass over memory, as every diffusers ResNet block does.
    pub fn forward_silu(&self, x: &Tensor) -> Result<Tensor> {
        if kernels::applies(&[x, &self.weight, &self.bias]) {
            let (w, b) = (&self.weight, &self.bias);
            return kernels::group_norm(self.isa, x, w, b, self.groups, self.eps, true);
        }
        silu(self.isa, &self.forward(x)?)
    }

    /// The instruction set this layer was built for (for the activations applied after it).
    pub fn isa(&self) -> kernels::Isa {
        self.isa
    }
}

impl Module for GroupNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if kernels::applies(&[x, &self.weight, &self.bias]) {
            let (w, b) = (&self.weight, &self.bias);
            return kernels::group_norm(self.isa, x, w, b, self.groups, self.eps, false);
        }
        self.inner.forward(x)
    }
}

/// Layer normalisation over the last dimension, with weight and bias.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    inner: candle_nn::LayerNorm,
}

impl LayerNorm {
    pub fn load(vb: VarBuilder, size: usize, eps: f64) -> Result<Self> {
        Ok(Self {
            inner: candle_nn::layer_norm(size, eps, vb)?,
        })
    }
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.inner.forward(x)
    }
}

/// Scaled dot-product attention.
///
/// q: `[batch, heads, n_q, d]`, k and v: `[batch, heads, n_kv, d]` -> `[batch, heads, n_q, d]`.
/// `scale` is usually `1/sqrt(d)`; `isa`: the kernels to run (the network's [`LoadContext`]).
pub fn attention(
    isa: kernels::Isa,
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    scale: f64,
) -> Result<Tensor> {
    if kernels::products_apply(&[q, k, v]) && scale >= 0.0 {
        return kernels::attention(isa, q, k, v, scale);
    }
    let in_dtype = q.dtype();
    let (q, k, v) = (
        q.to_dtype(DType::F32)?,
        k.to_dtype(DType::F32)?,
        v.to_dtype(DType::F32)?,
    );
    let scores = (q.contiguous()?.matmul(&k.t()?.contiguous()?)? * scale)?;
    let probs = candle_nn::ops::softmax_last_dim(&scores)?;
    probs.matmul(&v.contiguous()?)?.to_dtype(in_dtype)
}

/// The exact GELU, `x Φ(x)` with the error function: what PyTorch's `gelu` and
/// transformers' `"gelu"` compute (candle's `gelu` is the tanh approximation).
pub fn gelu_exact(isa: kernels::Isa, x: &Tensor) -> Result<Tensor> {
    if kernels::applies(&[x]) {
        return kernels::gelu_erf(isa, x);
    }
    x.gelu_erf()
}

/// CLIP's `quick_gelu`, `x σ(1.702 x)`.
pub fn quick_gelu(x: &Tensor) -> Result<Tensor> {
    x * candle_nn::ops::sigmoid(&(x * 1.702)?)?
}

pub fn silu(isa: kernels::Isa, x: &Tensor) -> Result<Tensor> {
    if kernels::applies(&[x]) {
        return kernels::silu(isa, x);
    }
    x.silu()
}

/// Softmax over the last dimension.
pub fn softmax_last(isa: kernels::Isa, x: &Tensor) -> Result<Tensor> {
    if kernels::applies(&[x]) {
        return kernels::softmax_last(isa, x);
    }
    candle_nn::ops::softmax(x, D::Minus1)
}

pub fn relu(x: &Tensor) -> Result<Tensor> {
    x.relu()
}

/// Nearest-neighbour upsampling by two, as `F.interpolate(x, scale_factor=2.0, mode="nearest")`.
///
/// x: `[batch, channels, h, w]` -> `[batch, channels, 2h, 2w]`
pub fn upsample_nearest2x(x: &Tensor) -> Result<Tensor> {
    if kernels::applies(&[x]) {
        return kernels::upsample_nearest2x(x);
    }
    let (_, _, h, w) = x.dims4()?;
    x.upsample_nearest2d(2 * h, 2 * w)
}

/// One row of zeros below and one column of zeros to the right, as `F.pad(x, (0, 1, 0, 1))`:
/// the asymmetric padding diffusers' VAE encoder applies before its stride-2 convolutions.
///
/// x: `[batch, channels, h, w]` -> `[batch, channels, h + 1, w + 1]`
pub fn pad_bottom_right(x: &Tensor) -> Result<Tensor> {
    x.pad_with_zeros(3, 0, 1)?.pad_with_zeros(2, 0, 1)
}

/// Scaled dot-product attention with an additive bias on the scores, such as a causal mask
/// of 0 and -inf.
///
/// q: `[batch, heads, n_q, d]`, k and v: `[batch, heads, n_kv, d]`, bias: broadcastable to
/// `[batch, heads, n_q, n_kv]` -> `[batch, heads, n_q, d]`.
pub fn attention_with_bias(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    scale: f64,
    bias: &Tensor,
) -> Result<Tensor> {
    let in_dtype = q.dtype();
    let (q, k, v) = (
        q.to_dtype(DType::F32)?,
        k.to_dtype(DType::F32)?,
        v.to_dtype(DType::F32)?,
    );
    let scores = (q.contiguous()?.matmul(&k.t()?.contiguous()?)? * scale)?;
    let scores = scores.broadcast_add(&bias.to_dtype(DType::F32)?)?;
    let probs = candle_nn::ops::softmax_last_dim(&scores)?;
    probs.matmul(&v.contiguous()?)?.to_dtype(in_dtype)
}
