//! diffusers' `AutoencoderKL`: the encoder (image -> latent distribution) and the decoder
//! (latents -> image), built from `vae/config.json`.
//!
//! The structs mirror the checkpoint's module tree (`decoder.up_blocks.1.resnets.2.conv1`), so
//! weights load by name. All heavy math goes through [`crate::pipeline::layers`].

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarBuilder;

use crate::model::config::{read_json, ConfigError, VaeConfig};
use crate::pipeline::kernels::Isa;
use crate::pipeline::layers::{self, Conv2d, ConvAlgorithm, GroupNorm, Linear, LoadContext};

/// diffusers hard-codes this epsilon for every norm in the VAE (`resnet_eps=1e-6`).
const NORM_EPS: f64 = 1e-6;

/// The file names of a diffusers `vae/` folder.
pub const CONFIG_FILE: &str = "config.json";
pub const WEIGHTS_FILE: &str = "diffusion_pytorch_model.safetensors";

/// Why a VAE could not be built.
#[derive(Debug, thiserror::Error)]
pub enum VaeError {
    #[error("`{field}` is {value} in the VAE's config.json, which reportfig cannot use: {reason}")]
    Unsupported {
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "the VAE weights for `{module}` do not fit its config.json: {source}. The weights file \
         and config.json probably come from different models; download the model again"
    )]
    Weights {
        /// The module whose tensors failed, e.g. `decoder.up_blocks.0.resnets.1.conv1`.
        module: String,
        source: candle_core::Error,
    },
    #[error(
        "cannot read the VAE weights {path}: {source}. The file is damaged or incomplete \
         (an interrupted download?); delete it and download the model again"
    )]
    File {
        path: PathBuf,
        source: candle_core::Error,
    },
    #[error(
        "{dir} has no {WEIGHTS_FILE}; reportfig reads only safetensors weights (a .bin file \
         can be converted with diffusers' `save_pretrained(..., safe_serialization=True)`)"
    )]
    NoWeights { dir: PathBuf },
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Any of the above, with the file it concerns (see [`VaeError::in_file`]).
    #[error("{path}: {inner}")]
    InFile {
        path: PathBuf,
        #[source]
        inner: Box<VaeError>,
    },
}

impl VaeError {
    /// Names the file an error concerns: the weights file for weight errors, otherwise
    /// the config. For callers that build the `VarBuilder` themselves (the pipeline's
    /// memory-mapped load) and then call [`AutoencoderKL::load`].
    pub fn in_file(self, vae_dir: &Path) -> VaeError {
        let path = match &self {
            VaeError::Weights { .. } => vae_dir.join(WEIGHTS_FILE),
            VaeError::Unsupported { .. } => vae_dir.join(CONFIG_FILE),
            _ => return self,
        };
        VaeError::InFile {
            path,
            inner: Box::new(self),
        }
    }
}

/// Attaches the module path to a loading error so the message names the tensor.
trait AtModule<T> {
    fn at(self, vb: &VarBuilder) -> Result<T, VaeError>;
}

impl<T> AtModule<T> for candle_core::Result<T> {
    fn at(self, vb: &VarBuilder) -> Result<T, VaeError> {
        self.map_err(|source| VaeError::Weights {
            module: vb.prefix(),
            source: without_backtrace(source),
        })
    }
}

/// candle appends a backtrace to its errors when `RUST_BACKTRACE` is set; a user's message
/// must not carry one.
fn without_backtrace(e: candle_core::Error) -> candle_core::Error {
    match e {
        candle_core::Error::WithBacktrace { inner, .. } => without_backtrace(*inner),
        e => e,
    }
}

fn unsupported(field: &'static str, value: impl std::fmt::Debug, reason: &str) -> VaeError {
    VaeError::Unsupported {
        field,
        value: format!("{value:?}"),
        reason: reason.to_string(),
    }
}

/// The resnets' non-linearity (`act_fn`); the blocks' final `conv_act` is always SiLU.
#[derive(Debug, Clone, Copy)]
enum Activation {
    Silu,
    Gelu,
    Relu,
}

impl Activation {
    fn from_config(name: &str) -> Result<Self, VaeError> {
        match name {
            "silu" | "swish" => Ok(Self::Silu),
            // torch.nn.GELU() with its default approximate="none": the erf form.
            "gelu" => Ok(Self::Gelu),
            "relu" => Ok(Self::Relu),
            other => Err(unsupported(
                "act_fn",
                other,
                "reportfig's VAE supports \"silu\" (also called \"swish\"), \"gelu\" and \"relu\"",
            )),
        }
    }

    fn forward(self, isa: Isa, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::Silu => layers::silu(isa, x),
            Self::Gelu => layers::gelu_exact(isa, x),
            Self::Relu => layers::relu(x),
        }
    }

    /// `act(norm(x))`, in one pass over memory when the activation is SiLU.
    fn after_norm(self, norm: &GroupNorm, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::Silu => norm.forward_silu(x),
            other => other.forward(norm.isa(), &norm.forward(x)?),
        }
    }
}

/// Checks everything in the config that this implementation cannot honour, before any
/// weight is read, so the message names the config field rather than a tensor.
fn validate(cfg: &VaeConfig) -> Result<Activation, VaeError> {
    let n = cfg.block_out_channels.len();
    if n == 0 {
        return Err(unsupported(
            "block_out_channels",
            &cfg.block_out_channels,
            "it must list at least one channel count",
        ));
    }
    for (field, types, allowed) in [
        (
            "down_block_types",
            &cfg.down_block_types,
            "DownEncoderBlock2D",
        ),
        ("up_block_types", &cfg.up_block_types, "UpDecoderBlock2D"),
    ] {
        if types.len() != n {
            return Err(unsupported(
                field,
                types,
                &format!(
                    "it must have one entry per `block_out_channels` entry ({n}); \
                     this config.json is inconsistent"
                ),
            ));
        }
        // diffusers drops a leading "UNetRes" from block type names.
        if let Some(t) = types
            .iter()
            .find(|t| t.strip_prefix("UNetRes").unwrap_or(t.as_str()) != allowed)
        {
            return Err(unsupported(
                field,
                t,
                &format!("reportfig's VAE supports only \"{allowed}\" blocks"),
            ));
        }
    }
    if cfg.layers_per_block == 0 {
        return Err(unsupported(
            "layers_per_block",
            cfg.layers_per_block,
            "it must be at least 1",
        ));
    }
    let groups = cfg.norm_num_groups;
    if let Some(c) = cfg
        .block_out_channels
        .iter()
        .find(|&&c| groups == 0 || c % groups != 0)
    {
        return Err(unsupported(
            "norm_num_groups",
            groups,
            &format!(
                "it must divide every entry of `block_out_channels`, and {c} is not a multiple of {groups}"
            ),
        ));
    }
    for (field, value) in [
        ("in_channels", cfg.in_channels),
        ("out_channels", cfg.out_channels),
        ("latent_channels", cfg.latent_channels),
    ] {
        if value == 0 {
            return Err(unsupported(field, value, "it must be at least 1"));
        }
    }
    Activation::from_config(&cfg.act_fn)
}

fn conv(
    vb: VarBuilder,
    ctx: &LoadContext,
    c_in: usize,
    c_out: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
) -> Result<Conv2d, VaeError> {
    Conv2d::load(vb.clone(), ctx, c_in, c_out, kernel, stride, padding).at(&vb)
}

fn group_norm(
    vb: VarBuilder,
    ctx: &LoadContext,
    groups: usize,
    channels: usize,
) -> Result<GroupNorm, VaeError> {
    GroupNorm::load(vb.clone(), ctx, groups, channels, NORM_EPS).at(&vb)
}

/// `ResnetBlock2D` without a time embedding: two norm-act-conv steps plus a skip connection
/// (a 1×1 convolution when the channel count changes). `output_scale_factor` is 1 in the VAE.
#[derive(Debug, Clone)]
struct ResnetBlock {
    norm1: GroupNorm,
    conv1: Conv2d,
    norm2: GroupNorm,
    conv2: Conv2d,
    conv_shortcut: Option<Conv2d>,
    act: Activation,
}

impl ResnetBlock {
    fn load(
        vb: VarBuilder,
        ctx: &LoadContext,
        (c_in, c_out): (usize, usize),
        groups: usize,
        act: Activation,
    ) -> Result<Self, VaeError> {
        Ok(Self {
            norm1: group_norm(vb.pp("norm1"), ctx, groups, c_in)?,
            conv1: conv(vb.pp("conv1"), ctx, c_in, c_out, 3, 1, 1)?,
            norm2: group_norm(vb.pp("norm2"), ctx, groups, c_out)?,
            conv2: conv(vb.pp("conv2"), ctx, c_out, c_out, 3, 1, 1)?,
            conv_shortcut: if c_in != c_out {
                Some(conv(vb.pp("conv_shortcut"), ctx, c_in, c_out, 1, 1, 0)?)
            } else {
                None
            },
            act,
        })
    }

    /// How many of its convolutions were built in their Winograd form.
    fn winograd_layers(&self) -> usize {
        [
            Some(&self.conv1),
            Some(&self.conv2),
            self.conv_shortcut.as_ref(),
        ]
        .into_iter()
        .flatten()
        .filter(|c| c.is_winograd())
        .count()
    }

    /// x: `[batch, c_in, h, w]` -> `[batch, c_out, h, w]`
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let h = self.act.after_norm(&self.norm1, x)?;
        let h = self.conv1.forward(&h)?;
        let h = self.act.after_norm(&self.norm2, &h)?;
        match &self.conv_shortcut {
            Some(s) => self.conv2.forward_add(&h, &s.forward(x)?),
            None => self.conv2.forward_add(&h, x),
        }
    }
}

/// The mid-block's self-attention: one head spanning all channels, over every spatial
/// position, with a residual connection (`Attention(..., _from_deprecated_attn_block=True)`).
#[derive(Debug, Clone)]
struct MidAttention {
    group_norm: GroupNorm,
    to_q: Linear,
    to_k: Linear,
    to_v: Linear,
    to_out: Linear,
    scale: f64,
    isa: Isa,
}

impl MidAttention {
    fn load(
        vb: VarBuilder,
        ctx: &LoadContext,
        channels: usize,
        groups: usize,
    ) -> Result<Self, VaeError> {
        // Older checkpoints use the names of diffusers' former `AttentionBlock`; diffusers
        // renames them on load, one tensor at a time, so a file may mix both. The current
        // name is asked first because the fixture backend claims to hold every name.
        let linear = |new: &str, old: &str| -> Result<Linear, VaeError> {
            let name = if vb.contains_tensor(&format!("{new}.weight")) {
                new
            } else if vb.contains_tensor(&format!("{old}.weight")) {
                old
            } else {
                new
            };
            let vb = vb.pp(name);
            Linear::load(vb.clone(), ctx, channels, channels).at(&vb)
        };
        Ok(Self {
            group_norm: group_norm(vb.pp("group_norm"), ctx, groups, channels)?,
            to_q: linear("to_q", "query")?,
            to_k: linear("to_k", "key")?,
            to_v: linear("to_v", "value")?,
            to_out: linear("to_out.0", "proj_attn")?,
            scale: 1.0 / (channels as f64).sqrt(),
            isa: ctx.isa,
        })
    }

    /// x: `[batch, c, h, w]` -> `[batch, c, h, w]`
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, c, h, w) = x.dims4()?;
        let hs = self.group_norm.forward(x)?;
        // [b, c, h, w] -> [b, h*w, c]: positions are the sequence, channels the features.
        let hs = hs.reshape((b, c, h * w))?.transpose(1, 2)?.contiguous()?;
        let q = self.to_q.forward(&hs)?.unsqueeze(1)?;
        let k = self.to_k.forward(&hs)?.unsqueeze(1)?;
        let v = self.to_v.forward(&hs)?.unsqueeze(1)?;
        let a = layers::attention(self.isa, &q, &k, &v, self.scale)?.squeeze(1)?;
        let out = self.to_out.forward(&a)?;
        let out = out.transpose(1, 2)?.reshape((b, c, h, w))?;
        // rescale_output_factor is 1 in the VAE.
        out + x
    }
}

/// `UNetMidBlock2D` with one layer: resnet, optional attention, resnet.
#[derive(Debug, Clone)]
struct MidBlock {
    resnet0: ResnetBlock,
    attention: Option<MidAttention>,
    resnet1: ResnetBlock,
}

impl MidBlock {
    fn load(
        vb: VarBuilder,
        ctx: &LoadContext,
        cfg: &VaeConfig,
        channels: usize,
        act: Activation,
    ) -> Result<Self, VaeError> {
        let groups = cfg.norm_num_groups;
        let resnets = vb.pp("resnets");
        let c = (channels, channels);
        Ok(Self {
            resnet0: ResnetBlock::load(resnets.pp(0), ctx, c, groups, act)?,
            attention: if cfg.mid_block_add_attention {
                Some(MidAttention::load(
                    vb.pp("attentions").pp(0),
                    ctx,
                    channels,
                    groups,
                )?)
            } else {
                None
            },
            resnet1: ResnetBlock::load(resnets.pp(1), ctx, c, groups, act)?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = self.resnet0.forward(x)?;
        if let Some(a) = &self.attention {
            h = a.forward(&h)?;
        }
        self.resnet1.forward(&h)
    }
}

/// `DownEncoderBlock2D`: resnets, then (except in the last block) a stride-2 convolution
/// after padding one row and column at the bottom right.
#[derive(Debug, Clone)]
struct DownBlock {
    resnets: Vec<ResnetBlock>,
    downsampler: Option<Conv2d>,
}

impl DownBlock {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        for r in &self.resnets {
            h = r.forward(&h)?;
        }
        match &self.downsampler {
            Some(d) => d.forward(&layers::pad_bottom_right(&h)?),
            None => Ok(h),
        }
    }
}

/// `UpDecoderBlock2D`: `layers_per_block + 1` resnets, then (except in the last block) a
/// nearest-neighbour ×2 upsample and a 3×3 convolution.
#[derive(Debug, Clone)]
struct UpBlock {
    resnets: Vec<ResnetBlock>,
    upsampler: Option<Conv2d>,
}

impl UpBlock {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        for r in &self.resnets {
            h = r.forward(&h)?;
        }
        match &self.upsampler {
            Some(u) => u.forward(&layers::upsample_nearest2x(&h)?),
            None => Ok(h),
        }
    }
}

/// The encoder: image `[b, in_channels, H, W]` -> `[b, 2 * latent_channels, H/f, W/f]`.
#[derive(Debug, Clone)]
struct Encoder {
    conv_in: Conv2d,
    down_blocks: Vec<DownBlock>,
    mid_block: MidBlock,
    conv_norm_out: GroupNorm,
    conv_out: Conv2d,
}

impl Encoder {
    /// `at(level)`: the context for maps `level` halvings below the image.
    fn load(
        vb: VarBuilder,
        at: impl Fn(usize) -> LoadContext,
        cfg: &VaeConfig,
        act: Activation,
    ) -> Result<Self, VaeError> {
        let ch = &cfg.block_out_channels;
        let groups = cfg.norm_num_groups;
        let last = ch.len() - 1;
        let conv_in = conv(vb.pp("conv_in"), &at(0), cfg.in_channels, ch[0], 3, 1, 1)?;
        let mut down_blocks = Vec::with_capacity(ch.len());
        for (i, &c_out) in ch.iter().enumerate() {
            let vb = vb.pp("down_blocks").pp(i);
            let c_in = if i == 0 { ch[0] } else { ch[i - 1] };
            let ctx = at(i);
            let resnets = (0..cfg.layers_per_block)
                .map(|j| {
                    let c = if j == 0 { c_in } else { c_out };
                    ResnetBlock::load(vb.pp("resnets").pp(j), &ctx, (c, c_out), groups, act)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let downsampler = if i < last {
                Some(conv(
                    vb.pp("downsamplers.0.conv"),
                    &ctx,
                    c_out,
                    c_out,
                    3,
                    2,
                    0,
                )?)
            } else {
                None
            };
            down_blocks.push(DownBlock {
                resnets,
                downsampler,
            });
        }
        Ok(Self {
            conv_in,
            down_blocks,
            mid_block: MidBlock::load(vb.pp("mid_block"), &at(last), cfg, ch[last], act)?,
            conv_norm_out: group_norm(vb.pp("conv_norm_out"), &at(last), groups, ch[last])?,
            conv_out: conv(
                vb.pp("conv_out"),
                &at(last),
                ch[last],
                2 * cfg.latent_channels,
                3,
                1,
                1,
            )?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = self.conv_in.forward(x)?;
        for b in &self.down_blocks {
            h = b.forward(&h)?;
        }
        let h = self.mid_block.forward(&h)?;
        let h = self.conv_norm_out.forward_silu(&h)?;
        self.conv_out.forward(&h)
    }
}

/// The decoder: latents `[b, latent_channels, h, w]` -> image `[b, out_channels, h*f, w*f]`.
#[derive(Debug, Clone)]
struct Decoder {
    conv_in: Conv2d,
    mid_block: MidBlock,
    up_blocks: Vec<UpBlock>,
    conv_norm_out: GroupNorm,
    conv_out: Conv2d,
}

impl Decoder {
    /// `at(level)`: the context for maps `level` halvings below the image.
    fn load(
        vb: VarBuilder,
        at: impl Fn(usize) -> LoadContext,
        cfg: &VaeConfig,
        act: Activation,
    ) -> Result<Self, VaeError> {
        let rev: Vec<usize> = cfg.block_out_channels.iter().rev().copied().collect();
        let groups = cfg.norm_num_groups;
        let last = rev.len() - 1;
        let latent = at(last);
        let conv_in = conv(
            vb.pp("conv_in"),
            &latent,
            cfg.latent_channels,
            rev[0],
            3,
            1,
            1,
        )?;
        let mid_block = MidBlock::load(vb.pp("mid_block"), &latent, cfg, rev[0], act)?;
        let mut up_blocks = Vec::with_capacity(rev.len());
        for (i, &c_out) in rev.iter().enumerate() {
            let vb = vb.pp("up_blocks").pp(i);
            let c_in = if i == 0 { rev[0] } else { rev[i - 1] };
            let ctx = at(last - i);
            let resnets = (0..=cfg.layers_per_block)
                .map(|j| {
                    let c = if j == 0 { c_in } else { c_out };
                    ResnetBlock::load(vb.pp("resnets").pp(j), &ctx, (c, c_out), groups, act)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let upsampler = if i < last {
                let ctx = at(last - i - 1);
                Some(conv(
                    vb.pp("upsamplers.0.conv"),
                    &ctx,
                    c_out,
                    c_out,
                    3,
                    1,
                    1,
                )?)
            } else {
                None
            };
            up_blocks.push(UpBlock { resnets, upsampler });
        }
        Ok(Self {
            conv_in,
            mid_block,
            up_blocks,
            conv_norm_out: group_norm(vb.pp("conv_norm_out"), &at(0), groups, rev[last])?,
            conv_out: conv(
                vb.pp("conv_out"),
                &at(0),
                rev[last],
                cfg.out_channels,
                3,
                1,
                1,
            )?,
        })
    }

    fn forward(&self, z: &Tensor) -> candle_core::Result<Tensor> {
        let h = self.conv_in.forward(z)?;
        let mut h = self.mid_block.forward(&h)?;
        for b in &self.up_blocks {
            h = b.forward(&h)?;
        }
        let h = self.conv_norm_out.forward_silu(&h)?;
        self.conv_out.forward(&h)
    }
}

/// What a VAE is loaded for, which decides the form its encoder's weights take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VaeUse {
    /// Text to image: only the decoder runs.
    #[default]
    Decode,
    /// Image to image too: pictures are encoded, with the decoder's fast convolutions.
    EncodeToo,
}

/// diffusers' `AutoencoderKL`, in the dtype and on the device of the `VarBuilder` it was
/// loaded from.
#[derive(Debug, Clone)]
pub struct AutoencoderKL {
    encoder: Encoder,
    decoder: Decoder,
    quant_conv: Option<Conv2d>,
    post_quant_conv: Option<Conv2d>,
    config: VaeConfig,
    dtype: DType,
}

impl AutoencoderKL {
    /// Builds the whole model (encoder too, as diffusers loads it) from `vb`, whose names
    /// are those of a diffusers `vae/diffusion_pytorch_model.safetensors`.
    ///
    /// `ctx`: the kernels, weight storage and convolution algorithm the layers are built with;
    /// the convolution algorithm is chosen for the feature maps of an image of the config's
    /// `sample_size` (the size the model was trained at).
    pub fn load(vb: VarBuilder, cfg: &VaeConfig, ctx: &LoadContext) -> Result<Self, VaeError> {
        Self::load_for(vb, cfg, ctx, VaeUse::Decode)
    }

    /// [`AutoencoderKL::load`] for `usage`: with [`VaeUse::EncodeToo`] the encoder's
    /// convolutions take the same fast forms as the decoder's (Winograd where it pays).
    pub fn load_for(
        vb: VarBuilder,
        cfg: &VaeConfig,
        ctx: &LoadContext,
        usage: VaeUse,
    ) -> Result<Self, VaeError> {
        let act = validate(cfg)?;
        let l = cfg.latent_channels;
        // Level i: maps of the image's side halved i times (the encoder's stride-2
        // convolutions pad to round up, like `div_ceil`).
        let at = |level: usize| match cfg.sample_size {
            Some(side) => {
                let s = (0..level).fold(side, |s, _| s.div_ceil(2));
                ctx.at_map(s, s)
            }
            None => *ctx,
        };
        // Unless images are encoded, the encoder keeps the direct convolution: text-to-image
        // never runs it, and the Winograd form of its large convolutions (4× their weights)
        // would be held for nothing.
        let encoder = match usage {
            VaeUse::Decode => {
                let direct = |level: usize| at(level).with_conv(ConvAlgorithm::Direct);
                Encoder::load(vb.pp("encoder"), direct, cfg, act)?
            }
            VaeUse::EncodeToo => Encoder::load(vb.pp("encoder"), at, cfg, act)?,
        };
        let decoder = Decoder::load(vb.pp("decoder"), at, cfg, act)?;
        let latent = at(cfg.block_out_channels.len() - 1);
        // Each weight was copied into its packed form and freed: return those holes.
        crate::pipeline::memory::release_free_memory();
        Ok(Self {
            encoder,
            decoder,
            quant_conv: if cfg.use_quant_conv {
                Some(conv(vb.pp("quant_conv"), &latent, 2 * l, 2 * l, 1, 1, 0)?)
            } else {
                None
            },
            post_quant_conv: if cfg.use_post_quant_conv {
                Some(conv(vb.pp("post_quant_conv"), &latent, l, l, 1, 1, 0)?)
            } else {
                None
            },
            config: cfg.clone(),
            dtype: vb.dtype(),
        })
    }

    /// Loads a diffusers `vae/` folder (`config.json` and
    /// `diffusion_pytorch_model.safetensors`), reading the weights into memory.
    ///
    /// The pipeline, which memory-maps every component, calls [`AutoencoderKL::load`] with its
    /// own `VarBuilder` instead; this is for tests, examples and tools.
    pub fn load_dir(
        dir: &Path,
        dtype: DType,
        device: &Device,
        ctx: &LoadContext,
    ) -> Result<Self, VaeError> {
        let cfg: VaeConfig = read_json(&dir.join(CONFIG_FILE), "VAE config")?;
        let path = dir.join(WEIGHTS_FILE);
        if !path.is_file() {
            return Err(VaeError::NoWeights {
                dir: dir.to_path_buf(),
            });
        }
        let bytes = std::fs::read(&path).map_err(|e| VaeError::File {
            path: path.clone(),
            source: e.into(),
        })?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, dtype, device).map_err(|source| {
            VaeError::File {
                path: path.clone(),
                source: without_backtrace(source),
            }
        })?;
        Self::load(vb, &cfg, ctx).map_err(|e| e.in_file(dir))
    }

    pub fn config(&self) -> &VaeConfig {
        &self.config
    }

    /// How many of the encoder's convolutions were built in their Winograd form.
    pub fn encoder_winograd_layers(&self) -> usize {
        let e = &self.encoder;
        let resnet = ResnetBlock::winograd_layers;
        let blocks: usize = e
            .down_blocks
            .iter()
            .map(|b| b.resnets.iter().map(resnet).sum::<usize>())
            .sum();
        blocks + resnet(&e.mid_block.resnet0) + resnet(&e.mid_block.resnet1)
    }

    /// How many of the decoder's convolutions were built in their Winograd form (see
    /// [`crate::pipeline::ConvAlgorithm`]).
    pub fn winograd_layers(&self) -> usize {
        let d = &self.decoder;
        let resnet = ResnetBlock::winograd_layers;
        let blocks: usize = d
            .up_blocks
            .iter()
            .map(|b| {
                b.resnets.iter().map(resnet).sum::<usize>()
                    + b.upsampler.iter().filter(|c| c.is_winograd()).count()
            })
            .sum();
        let mid = resnet(&d.mid_block.resnet0) + resnet(&d.mid_block.resnet1);
        let ends = [&d.conv_in, &d.conv_out]
            .into_iter()
            .filter(|c| c.is_winograd())
            .count();
        blocks + mid + ends
    }

    /// z: `[b, latent_channels, h, w]`, already divided by `scaling_factor` (and shifted) as
    /// the pipeline does -> image `[b, out_channels, h * f, w * f]`, nominally in [-1, 1] but
    /// unclamped, as diffusers returns it. `f` is [`VaeConfig::downscale`].
    pub fn decode(&self, z: &Tensor) -> candle_core::Result<Tensor> {
        let (_, c, _, _) = z.dims4()?;
        if c != self.config.latent_channels {
            candle_core::bail!(
                "the VAE decodes latents with {} channels, got a tensor of shape {:?}",
                self.config.latent_channels,
                z.dims()
            )
        }
        let z = z.to_dtype(self.dtype)?;
        let z = match &self.post_quant_conv {
            Some(p) => p.forward(&z)?,
            None => z,
        };
        self.decoder.forward(&z)
    }

    /// x: `[b, in_channels, H, W]` in [-1, 1] -> the latent distribution the encoder
    /// predicts, `[b, latent_channels, floor(H/f), floor(W/f)]` (for H, W multiples of f,
    /// exactly H/f and W/f), not yet multiplied by `scaling_factor`.
    pub fn encode(&self, x: &Tensor) -> candle_core::Result<LatentDistribution> {
        let (_, c, _, _) = x.dims4()?;
        if c != self.config.in_channels {
            candle_core::bail!(
                "the VAE encodes images with {} channels, got a tensor of shape {:?}",
                self.config.in_channels,
                x.dims()
            )
        }
        let h = self.encoder.forward(&x.to_dtype(self.dtype)?)?;
        let h = match &self.quant_conv {
            Some(q) => q.forward(&h)?,
            None => h,
        };
        // The moments are [mean, log-variance] stacked along the channels, as diffusers'
        // `DiagonalGaussianDistribution` splits them; its arithmetic is float32 here.
        let h = h.to_dtype(DType::F32)?;
        let l = self.config.latent_channels;
        Ok(LatentDistribution {
            mean: h.narrow(1, 0, l)?,
            logvar: h.narrow(1, l, l)?.clamp(-30f32, 20f32)?,
        })
    }

    /// The mean of [`AutoencoderKL::encode`]'s distribution.
    pub fn encode_mean(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        Ok(self.encode(x)?.mean)
    }
}

/// The encoder's diagonal Gaussian over latents (diffusers' `DiagonalGaussianDistribution`),
/// float32, log-variance clamped to [-30, 20] as diffusers clamps it.
#[derive(Debug, Clone)]
pub struct LatentDistribution {
    pub mean: Tensor,
    pub logvar: Tensor,
}

impl LatentDistribution {
    /// One sample, `mean + exp(logvar / 2) * randn`, the noise drawn on the CPU from `rng`
    /// as one `torch.randn` of the mean's shape (diffusers' `latent_dist.sample(generator)`).
    pub fn sample(
        &self,
        rng: &mut crate::pipeline::noise::TorchGenerator,
    ) -> candle_core::Result<Tensor> {
        let std = (&self.logvar * 0.5)?.exp()?;
        let eps = rng
            .randn_tensor(self.mean.dims(), &Device::Cpu)?
            .to_device(self.mean.device())?;
        &self.mean + (std * eps)?
    }
}

/// The pipeline's last step: image `[b, 3, H, W]`, nominally in [-1, 1] -> 8-bit RGB, as
/// diffusers' `VaeImageProcessor.postprocess(output_type="pil")` computes it:
/// `(x * 0.5 + 0.5).clamp(0, 1)` in f32, times 255, rounded half to even (numpy's `round`).
pub fn to_rgb8(image: &Tensor) -> candle_core::Result<Vec<image::RgbImage>> {
    let (b, c, h, w) = image.dims4()?;
    if c != 3 {
        candle_core::bail!(
            "an RGB image needs 3 channels, got shape {:?}",
            image.dims()
        )
    }
    let pixels = image
        .to_device(&Device::Cpu)?
        .to_dtype(DType::F32)?
        .permute((0, 2, 3, 1))?
        .flatten_all()?
        .to_vec1::<f32>()?;
    let per_image = h * w * 3;
    pixels
        .chunks_exact(per_image)
        .take(b)
        .map(|px| {
            let bytes: Vec<u8> = px
                .iter()
                // Two separately rounded f32 operations, as torch does them; NaN becomes 0
                // as in numpy's cast.
                .map(|&x| {
                    let v = (x * 0.5 + 0.5).clamp(0.0, 1.0);
                    (v * 255.0).round_ties_even() as u8
                })
                .collect();
            image::RgbImage::from_raw(w as u32, h as u32, bytes)
                .ok_or_else(|| candle_core::Error::Msg(format!("cannot make a {w}x{h} RGB image")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgb8_clamps_and_rounds_like_numpy() {
        let x = Tensor::from_vec(
            vec![-1.0f32, 1.0, 0.0, 5.0, -5.0, f32::NAN],
            (1, 3, 1, 2),
            &Device::Cpu,
        )
        .unwrap();
        let img = &to_rgb8(&x).unwrap()[0];
        // Channel-major in, pixel-major out: pixel 0 is (-1, 0, -5), pixel 1 is (1, 5, NaN).
        assert_eq!(img.get_pixel(0, 0).0, [0, 128, 0]);
        assert_eq!(img.get_pixel(1, 0).0, [255, 255, 0]);
    }

    #[test]
    fn unsupported_settings_are_named() {
        let base: VaeConfig = serde_json::from_str("{}").unwrap();
        let err = validate(&VaeConfig {
            layers_per_block: 0,
            ..base.clone()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("`layers_per_block` is 0"), "{err}");
        let err = validate(&VaeConfig {
            block_out_channels: vec![64, 128],
            ..base
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("`down_block_types`"), "{err}");
    }
}
