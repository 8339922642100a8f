//! Residual blocks and the down/up-sampling convolutions between UNet levels
//! (diffusers' `ResnetBlock2D`, `Downsample2D`, `Upsample2D`).

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;

use crate::pipeline::kernels::Isa;
use crate::pipeline::layers::{gelu_exact, silu, Conv2d, GroupNorm, Linear, LoadContext};

/// The activations diffusers' `get_activation` knows, less `mish` (not used by any
/// Stable Diffusion checkpoint, rejected at load).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Silu,
    Gelu,
    Relu,
}

impl Activation {
    /// `None` for a name diffusers would not accept or that is not supported yet.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "silu" | "swish" => Some(Self::Silu),
            "gelu" => Some(Self::Gelu),
            "relu" => Some(Self::Relu),
            _ => None,
        }
    }

    /// `isa`: the kernels to run (the network's [`LoadContext`]).
    pub fn apply(self, isa: Isa, x: &Tensor) -> Result<Tensor> {
        match self {
            Self::Silu => silu(isa, x),
            Self::Gelu => gelu_exact(isa, x),
            Self::Relu => x.relu(),
        }
    }

    /// `act(norm(x))`, in one pass over memory when the activation is SiLU.
    pub fn after_norm(self, norm: &GroupNorm, x: &Tensor) -> Result<Tensor> {
        match self {
            Self::Silu => norm.forward_silu(x),
            other => other.apply(norm.isa(), &norm.forward(x)?),
        }
    }
}

/// The settings every resnet of one UNet shares.
#[derive(Debug, Clone, Copy)]
pub struct ResnetSettings {
    pub groups: usize,
    pub eps: f64,
    pub act: Activation,
    pub temb_channels: usize,
    pub output_scale_factor: f64,
    /// What the layers are built with, the feature map's size at native size included.
    pub ctx: LoadContext,
}

impl ResnetSettings {
    /// The same settings for layers whose inputs are `side × side` maps at native size.
    pub fn at_map(&self, side: usize) -> Self {
        Self {
            ctx: self.ctx.at_map(side, side),
            ..*self
        }
    }
}

/// `norm1 -> act -> conv1 -> + time_emb_proj(act(temb)) -> norm2 -> act -> conv2`, plus the
/// input (through a 1×1 `conv_shortcut` when the channel count changes).
#[derive(Debug, Clone)]
pub struct ResnetBlock2D {
    norm1: GroupNorm,
    conv1: Conv2d,
    time_emb_proj: Linear,
    norm2: GroupNorm,
    conv2: Conv2d,
    conv_shortcut: Option<Conv2d>,
    act: Activation,
    output_scale_factor: f64,
}

impl ResnetBlock2D {
    pub fn load(vb: VarBuilder, in_ch: usize, out_ch: usize, s: &ResnetSettings) -> Result<Self> {
        let ctx = &s.ctx;
        let conv_shortcut = if in_ch != out_ch {
            Some(Conv2d::load(
                vb.pp("conv_shortcut"),
                ctx,
                in_ch,
                out_ch,
                1,
                1,
                0,
            )?)
        } else {
            None
        };
        Ok(Self {
            norm1: GroupNorm::load(vb.pp("norm1"), ctx, s.groups, in_ch, s.eps)?,
            conv1: Conv2d::load(vb.pp("conv1"), ctx, in_ch, out_ch, 3, 1, 1)?,
            time_emb_proj: Linear::load(vb.pp("time_emb_proj"), ctx, s.temb_channels, out_ch)?,
            norm2: GroupNorm::load(vb.pp("norm2"), ctx, s.groups, out_ch, s.eps)?,
            conv2: Conv2d::load(vb.pp("conv2"), ctx, out_ch, out_ch, 3, 1, 1)?,
            conv_shortcut,
            act: s.act,
            output_scale_factor: s.output_scale_factor,
        })
    }

    /// x: `[b, in, h, w]`, temb: `[b, temb_channels]` -> `[b, out, h, w]`
    pub fn forward(&self, x: &Tensor, temb: &Tensor) -> Result<Tensor> {
        let h = self.act.after_norm(&self.norm1, x)?;
        let h = self.conv1.forward(&h)?;
        let t = self
            .time_emb_proj
            .forward(&self.act.apply(self.norm1.isa(), temb)?)?;
        let h = h.broadcast_add(&t.unsqueeze(2)?.unsqueeze(3)?)?;
        let h = self.act.after_norm(&self.norm2, &h)?;
        let skip = match &self.conv_shortcut {
            Some(c) => c.forward(x)?,
            None => x.clone(),
        };
        let out = self.conv2.forward_add(&h, &skip)?;
        if self.output_scale_factor == 1.0 {
            Ok(out)
        } else {
            out / self.output_scale_factor
        }
    }
}

/// A stride-2 3×3 convolution (`downsamplers.0.conv`). With padding 0, diffusers pads one
/// zero row and column at the bottom and right first.
#[derive(Debug, Clone)]
pub struct Downsample2D {
    conv: Conv2d,
    pad_bottom_right: bool,
}

impl Downsample2D {
    pub fn load(
        vb: VarBuilder,
        ctx: &LoadContext,
        channels: usize,
        padding: usize,
    ) -> Result<Self> {
        Ok(Self {
            conv: Conv2d::load(vb.pp("conv"), ctx, channels, channels, 3, 2, padding)?,
            pad_bottom_right: padding == 0,
        })
    }

    /// x: `[b, c, h, w]` -> `[b, c, ⌊(h + 2p - 3) / 2⌋ + 1, …]`
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if self.pad_bottom_right {
            let x = x.pad_with_zeros(2, 0, 1)?.pad_with_zeros(3, 0, 1)?;
            self.conv.forward(&x)
        } else {
            self.conv.forward(x)
        }
    }
}

/// Nearest-neighbour upsampling followed by a 3×3 convolution (`upsamplers.0.conv`).
#[derive(Debug, Clone)]
pub struct Upsample2D {
    conv: Conv2d,
}

impl Upsample2D {
    /// `ctx`: for the convolution, which runs on the upsampled map.
    pub fn load(vb: VarBuilder, ctx: &LoadContext, channels: usize) -> Result<Self> {
        Ok(Self {
            conv: Conv2d::load(vb.pp("conv"), ctx, channels, channels, 3, 1, 1)?,
        })
    }

    /// x: `[b, c, h, w]` -> `[b, c, H, W]` with `(H, W) = size`, or `(2h, 2w)` when `size` is
    /// `None`. An explicit size is how odd latent sizes get back to their skip connection's
    /// size: torch's "nearest" picks source row `⌊i · h / H⌋`, as candle's does.
    pub fn forward(&self, x: &Tensor, size: Option<(usize, usize)>) -> Result<Tensor> {
        let (_, _, h, w) = x.dims4()?;
        let (th, tw) = size.unwrap_or((2 * h, 2 * w));
        let up = if (th, tw) == (2 * h, 2 * w) {
            crate::pipeline::layers::upsample_nearest2x(x)?
        } else {
            x.upsample_nearest2d(th, tw)?
        };
        self.conv.forward(&up)
    }
}
