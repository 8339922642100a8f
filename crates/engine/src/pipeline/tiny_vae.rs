//! The decoder of diffusers' `AutoencoderTiny` (TAESD, TAESDXL): a plain stack of 3×3
//! convolutions with small residual blocks, a fraction of `AutoencoderKL`'s decoder, for
//! drafts.
//!
//! The parameter names mirror the checkpoint (`decoder.layers.N…`), where `layers` is one
//! `nn.Sequential`: index 0 the input convolution, 1 its activation, then per block
//! `num_decoder_blocks[i]` residual blocks (`conv.0`, `conv.2`, `conv.4`; the 1×1 `skip`
//! is an identity because the decoder's blocks keep their width), an upsampling (no weights)
//! unless it is the last block, and a convolution (biased only in the last block). The
//! encoder's weights in the same file are never read: drafts only decode.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarBuilder;
use serde::Deserialize;

use super::kernels::Isa;
use super::layers::{self, Conv2d, LoadContext};

/// The file names of an `AutoencoderTiny` folder, as diffusers saves it.
pub const CONFIG_FILE: &str = "config.json";
pub const WEIGHTS_FILE: &str = "diffusion_pytorch_model.safetensors";

/// The config fields the decoder reads, with `AutoencoderTiny.__init__`'s defaults.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TinyVaeConfig {
    #[serde(default = "four")]
    pub latent_channels: usize,
    #[serde(default = "three")]
    pub out_channels: usize,
    #[serde(default = "two")]
    pub upsampling_scaling_factor: usize,
    #[serde(default = "channels")]
    pub decoder_block_out_channels: Vec<usize>,
    #[serde(default = "blocks")]
    pub num_decoder_blocks: Vec<usize>,
    #[serde(default = "relu_name")]
    pub act_fn: String,
    #[serde(default = "nearest")]
    pub upsample_fn: String,
    /// Latents are divided by it before decoding, as diffusers' pipelines do (1.0 for TAESD).
    #[serde(default = "one")]
    pub scaling_factor: f64,
    /// `latent_magnitude` and `latent_shift` only map latents to bytes and back
    /// (`scale_latents`); `decode` does not use them. Kept so the config round-trips.
    #[serde(default = "three_f")]
    pub latent_magnitude: f64,
    #[serde(default = "half")]
    pub latent_shift: f64,
}

fn four() -> usize {
    4
}
fn three() -> usize {
    3
}
fn two() -> usize {
    2
}
fn channels() -> Vec<usize> {
    vec![64; 4]
}
fn blocks() -> Vec<usize> {
    vec![3, 3, 3, 1]
}
fn relu_name() -> String {
    "relu".to_string()
}
fn nearest() -> String {
    "nearest".to_string()
}
fn one() -> f64 {
    1.0
}
fn three_f() -> f64 {
    3.0
}
fn half() -> f64 {
    0.5
}

impl Default for TinyVaeConfig {
    /// `madebyollin/taesd`'s config (the class defaults).
    fn default() -> Self {
        Self {
            latent_channels: 4,
            out_channels: 3,
            upsampling_scaling_factor: 2,
            decoder_block_out_channels: channels(),
            num_decoder_blocks: blocks(),
            act_fn: relu_name(),
            upsample_fn: nearest(),
            scaling_factor: 1.0,
            latent_magnitude: 3.0,
            latent_shift: 0.5,
        }
    }
}

impl TinyVaeConfig {
    /// How many image pixels one latent covers along a side.
    pub fn downscale(&self) -> usize {
        let ups = self.num_decoder_blocks.len().saturating_sub(1) as u32;
        self.upsampling_scaling_factor.pow(ups)
    }
}

/// Why a tiny decoder could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TinyVaeError {
    #[error(
        "{dir} has no {WEIGHTS_FILE}; a tiny decoder folder holds diffusers' AutoencoderTiny \
         (config.json and {WEIGHTS_FILE}, as madebyollin/taesd has them)"
    )]
    NoWeights { dir: PathBuf },
    /// The system could not read the file (kept apart from [`TinyVaeError::File`] so its
    /// reason can be told in the user's words).
    #[error("cannot read {path}: {source}; fix the file or download it again")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {message}; fix the file or download it again")]
    File { path: PathBuf, message: String },
    #[error("`{field}` is {value} in {path}, which reportfig cannot use: {reason}")]
    Unsupported {
        path: PathBuf,
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error(
        "the tiny decoder weights in {path} do not fit its config.json ({source}); the \
         weights and config.json probably come from different models"
    )]
    Weights {
        path: PathBuf,
        source: Box<candle_core::Error>,
    },
}

/// The activations `get_activation` knows that TAESD-style checkpoints use.
#[derive(Debug, Clone, Copy)]
enum Activation {
    Relu,
    Silu,
    Gelu,
}

impl Activation {
    fn apply(self, isa: Isa, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::Relu => layers::relu(x),
            Self::Silu => layers::silu(isa, x),
            Self::Gelu => layers::gelu_exact(isa, x),
        }
    }
}

/// `AutoencoderTinyBlock` with equal widths: `relu(conv(x) + x)`.
#[derive(Debug, Clone)]
struct Block {
    convs: [Conv2d; 3],
}

impl Block {
    fn forward(&self, x: &Tensor, act: Activation, isa: Isa) -> candle_core::Result<Tensor> {
        let h = act.apply(isa, &self.convs[0].forward(x)?)?;
        let h = act.apply(isa, &self.convs[1].forward(&h)?)?;
        // The skip is folded into the last convolution.
        layers::relu(&self.convs[2].forward_add(&h, x)?)
    }
}

#[derive(Debug, Clone)]
enum Layer {
    Conv(Conv2d),
    Act,
    Block(Block),
    Upsample,
}

/// `DecoderTiny`, in the dtype and on the device of the `VarBuilder` it was loaded from.
#[derive(Debug, Clone)]
pub struct TinyDecoder {
    layers: Vec<Layer>,
    act: Activation,
    isa: Isa,
    config: TinyVaeConfig,
}

impl TinyDecoder {
    /// Checks `cfg` against what the decoder can run; `path` names the config in errors.
    fn validate(cfg: &TinyVaeConfig, path: &Path) -> Result<Activation, TinyVaeError> {
        let bad = |field, value: String, reason| TinyVaeError::Unsupported {
            path: path.to_path_buf(),
            field,
            value,
            reason,
        };
        let act = match cfg.act_fn.as_str() {
            "relu" => Activation::Relu,
            "silu" | "swish" => Activation::Silu,
            "gelu" => Activation::Gelu,
            other => {
                return Err(bad(
                    "act_fn",
                    format!("{other:?}"),
                    "only relu, silu/swish and gelu are supported",
                ))
            }
        };
        if cfg.upsample_fn != "nearest" {
            return Err(bad(
                "upsample_fn",
                format!("{:?}", cfg.upsample_fn),
                "only nearest upsampling is supported",
            ));
        }
        let n = cfg.decoder_block_out_channels.len();
        let c0 = cfg.decoder_block_out_channels.first().copied().unwrap_or(0);
        if n == 0 || n != cfg.num_decoder_blocks.len() {
            return Err(bad(
                "num_decoder_blocks",
                format!("{:?}", cfg.num_decoder_blocks),
                "it must be as long as decoder_block_out_channels, and not empty",
            ));
        }
        // Bounds so a typo cannot ask for gigabytes.
        for (field, value, min, max) in [
            ("latent_channels", cfg.latent_channels, 1, 64),
            ("out_channels", cfg.out_channels, 3, 3),
            (
                "upsampling_scaling_factor",
                cfg.upsampling_scaling_factor,
                1,
                4,
            ),
        ] {
            if value < min || value > max {
                return Err(bad(field, value.to_string(), "it is out of range"));
            }
        }
        // Each block's closing convolution keeps its own width (`conv_out_channel =
        // num_channels`), so diffusers' decoder only runs when every width is the same.
        if cfg.decoder_block_out_channels.iter().any(|&c| c != c0)
            || c0 == 0
            || c0 > 1024
            || cfg.num_decoder_blocks.iter().any(|&b| b > 64)
        {
            return Err(bad(
                "decoder_block_out_channels",
                format!("{:?}", cfg.decoder_block_out_channels),
                "the widths must all be the same, 1..=1024, and block counts at most 64",
            ));
        }
        if !(cfg.scaling_factor.is_finite() && cfg.scaling_factor > 0.0) {
            return Err(bad(
                "scaling_factor",
                cfg.scaling_factor.to_string(),
                "it must be a positive number",
            ));
        }
        Ok(act)
    }

    /// Builds the decoder from `vb`, whose names are those of an `AutoencoderTiny` checkpoint
    /// (`decoder.layers.…`). `latent_hw` is the latent size it will mostly see, for the
    /// choice of convolution algorithm.
    pub fn load(
        vb: VarBuilder,
        cfg: &TinyVaeConfig,
        ctx: &LoadContext,
        latent_hw: (usize, usize),
    ) -> Result<Self, TinyVaeError> {
        Self::load_named(
            vb,
            cfg,
            ctx,
            latent_hw,
            Path::new(CONFIG_FILE),
            Path::new(WEIGHTS_FILE),
        )
    }

    fn load_named(
        vb: VarBuilder,
        cfg: &TinyVaeConfig,
        ctx: &LoadContext,
        latent_hw: (usize, usize),
        cfg_path: &Path,
        weights_path: &Path,
    ) -> Result<Self, TinyVaeError> {
        let act = Self::validate(cfg, cfg_path)?;
        let weights = |source: candle_core::Error| TinyVaeError::Weights {
            path: weights_path.to_path_buf(),
            source: Box::new(source),
        };
        let vb = vb.pp("decoder").pp("layers");
        let f = cfg.upsampling_scaling_factor;
        let mut map = latent_hw;
        let mut i = 0;
        let mut layers = Vec::new();
        let c0 = cfg.decoder_block_out_channels[0];
        let at = |map: (usize, usize)| ctx.at_map(map.0, map.1);
        layers.push(Layer::Conv(
            Conv2d::load(vb.pp(i), &at(map), cfg.latent_channels, c0, 3, 1, 1).map_err(weights)?,
        ));
        layers.push(Layer::Act);
        i += 2;
        let last = cfg.num_decoder_blocks.len() - 1;
        for (b, (&n, &c)) in cfg
            .num_decoder_blocks
            .iter()
            .zip(&cfg.decoder_block_out_channels)
            .enumerate()
        {
            for _ in 0..n {
                let p = vb.pp(i).pp("conv");
                let conv = |k: usize| Conv2d::load(p.pp(k), &at(map), c, c, 3, 1, 1);
                let convs = [conv(0), conv(2), conv(4)];
                let [a, b2, c2] = convs;
                layers.push(Layer::Block(Block {
                    convs: [
                        a.map_err(weights)?,
                        b2.map_err(weights)?,
                        c2.map_err(weights)?,
                    ],
                }));
                i += 1;
            }
            if b != last {
                layers.push(Layer::Upsample);
                map = (map.0 * f, map.1 * f);
                i += 1;
                layers.push(Layer::Conv(
                    Conv2d::load_no_bias(vb.pp(i), &at(map), c, c, 3, 1, 1).map_err(weights)?,
                ));
            } else {
                layers.push(Layer::Conv(
                    Conv2d::load(vb.pp(i), &at(map), c, cfg.out_channels, 3, 1, 1)
                        .map_err(weights)?,
                ));
            }
            i += 1;
        }
        crate::pipeline::memory::release_free_memory();
        Ok(Self {
            layers,
            act,
            isa: ctx.isa,
            config: cfg.clone(),
        })
    }

    /// Loads an `AutoencoderTiny` folder (`config.json` and
    /// `diffusion_pytorch_model.safetensors`) in f32 on the CPU.
    pub fn load_dir(
        dir: &Path,
        ctx: &LoadContext,
        latent_hw: (usize, usize),
    ) -> Result<Self, TinyVaeError> {
        let cfg_path = dir.join(CONFIG_FILE);
        let cfg = read_config(&cfg_path)?;
        let path = dir.join(WEIGHTS_FILE);
        if !path.is_file() {
            return Err(TinyVaeError::NoWeights {
                dir: dir.to_path_buf(),
            });
        }
        let file = |e: &dyn std::fmt::Display| TinyVaeError::File {
            path: path.clone(),
            message: e.to_string(),
        };
        let bytes = std::fs::read(&path).map_err(|source| TinyVaeError::Read {
            path: path.clone(),
            source,
        })?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu)
            .map_err(|e| file(&e))?;
        Self::load_named(vb, &cfg, ctx, latent_hw, &cfg_path, &path)
    }

    pub fn config(&self) -> &TinyVaeConfig {
        &self.config
    }

    /// `DecoderTiny.forward`: latents `[b, latent_channels, h, w]` (already divided by the
    /// scaling factor) -> image `[b, 3, h·s, w·s]` in about -1..1.
    pub fn decode(&self, z: &Tensor) -> candle_core::Result<Tensor> {
        // diffusers' soft clamp of the latents to ±3.
        let mut x = ((z / 3.0)?.tanh()? * 3.0)?;
        let f = self.config.upsampling_scaling_factor;
        for layer in &self.layers {
            x = match layer {
                Layer::Conv(c) => c.forward(&x)?,
                Layer::Act => self.act.apply(self.isa, &x)?,
                Layer::Block(b) => b.forward(&x, self.act, self.isa)?,
                Layer::Upsample if f == 2 => layers::upsample_nearest2x(&x)?,
                Layer::Upsample => {
                    let (_, _, h, w) = x.dims4()?;
                    x.upsample_nearest2d(h * f, w * f)?
                }
            };
        }
        // TAESD works in 0..1; diffusers' convention is -1..1.
        (x * 2.0)? - 1.0
    }
}

/// Reads an `AutoencoderTiny` `config.json`.
pub fn read_config(path: &Path) -> Result<TinyVaeConfig, TinyVaeError> {
    let file = |e: &dyn std::fmt::Display| TinyVaeError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let text = std::fs::read_to_string(path).map_err(|source| TinyVaeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| file(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taesd_defaults_and_downscale() {
        let cfg: TinyVaeConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(cfg, TinyVaeConfig::default());
        assert_eq!(cfg.downscale(), 8);
    }

    #[test]
    fn unsupported_configs_are_named() {
        let mut cfg = TinyVaeConfig {
            act_fn: "mish".into(),
            ..Default::default()
        };
        let err = TinyDecoder::validate(&cfg, Path::new("x/config.json")).unwrap_err();
        assert!(err.to_string().contains("act_fn"), "{err}");
        cfg.act_fn = "relu".into();
        cfg.num_decoder_blocks = vec![1];
        let err = TinyDecoder::validate(&cfg, Path::new("x/config.json")).unwrap_err();
        assert!(err.to_string().contains("num_decoder_blocks"), "{err}");
    }
}
