//! A learned ×4 upscaler for print sizes: Real-ESRGAN's compact `SRVGGNetCompact`
//! (`realesr-general-x4v3`, BSD-3), a plain stack of 3×3 convolutions with PReLU that
//! predicts the residual over a nearest-neighbour enlargement, and ends in a pixel shuffle.
//!
//! Parameter names follow the original `body` list, so its weights load by name: `body.0`
//! is the first convolution, `body.1` its PReLU, then
//! `num_conv` pairs (`body.2`/`body.3`, …), and the last convolution
//! (`body.{2·num_conv + 2}`) makes `3·upscale²` channels for the shuffle. A PReLU's one
//! tensor is also called `weight` (`[num_feat]`).
//!
//! Weights come as `model.safetensors` (with an optional `config.json`) or as Real-ESRGAN's
//! own `.pth`, read by the tensor-only unpickler of [`crate::translate::pickle`], which runs
//! nothing; the network's shape is then read from the tensors' shapes.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarBuilder;
use image::RgbImage;
use serde::Deserialize;

use super::layers::{Conv2d, LoadContext};

/// The weights file an upscaler folder holds.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Its optional config; without it the folder is `realesr-general-x4v3`.
pub const CONFIG_FILE: &str = "config.json";
/// The input tile side [`SrVggNetCompact::upscale_image`] is meant to run with. Every SD 1.x
/// and 2.x picture reportfig makes (512², and the page shapes at the same area: A4's
/// 424×600, a slide's 16:9) fits one tile, so no context is computed twice: with 384 px
/// tiles a 512² picture was four patches with 34 px of context each, 28% more pixels
/// (6.9 s on 2 cores, 5.2 s as one tile). A 64-channel map of 768² is 151 MB; at 512² the
/// network peaks near 0.3 GB.
pub const TILE: usize = 768;
/// The keys Real-ESRGAN's `.pth` files keep the state dict under, in the order its own
/// inference script prefers them.
const PTH_KEYS: [&str; 2] = ["params_ema", "params"];

/// The network's shape, with the field names of `SRVGGNetCompact.__init__`; the defaults are
/// `realesr-general-x4v3`'s (the class's own defaults are num_conv 16, upscale 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct UpscalerConfig {
    #[serde(default = "three")]
    pub num_in_ch: usize,
    #[serde(default = "three")]
    pub num_out_ch: usize,
    #[serde(default = "feat")]
    pub num_feat: usize,
    #[serde(default = "convs")]
    pub num_conv: usize,
    #[serde(default = "four")]
    pub upscale: usize,
}

fn three() -> usize {
    3
}
fn feat() -> usize {
    64
}
fn convs() -> usize {
    32
}
fn four() -> usize {
    4
}

impl Default for UpscalerConfig {
    /// `realesr-general-x4v3`: 64 features, 32 body convolutions, ×4.
    fn default() -> Self {
        Self {
            num_in_ch: 3,
            num_out_ch: 3,
            num_feat: 64,
            num_conv: 32,
            upscale: 4,
        }
    }
}

/// Why an upscaler could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum UpscaleError {
    #[error(
        "{dir} has no {WEIGHTS_FILE} and no .pth; an upscaler folder holds Real-ESRGAN compact \
         weights (realesr-general-x4v3.pth as released, or converted to safetensors)"
    )]
    NoWeights { dir: PathBuf },
    #[error("{dir} holds {count} .pth files; keep the one upscaler to use")]
    SeveralPth { dir: PathBuf, count: usize },
    #[error(transparent)]
    Pickle(#[from] crate::translate::pickle::PickleError),
    #[error("{path} is not a Real-ESRGAN compact (SRVGGNetCompact) checkpoint: {reason}")]
    NotCompact { path: PathBuf, reason: String },
    #[error("cannot read {path}: {message}; fix or delete the file")]
    File { path: PathBuf, message: String },
    #[error("`{field}` is {value} in {path}; it must be between {min} and {max}")]
    BadConfig {
        path: PathBuf,
        field: &'static str,
        value: usize,
        min: usize,
        max: usize,
    },
    #[error(
        "the upscaler weights in {path} do not fit an SRVGGNetCompact with {num_feat} features \
         and {num_conv} convolutions ({source}); give the matching config.json beside them"
    )]
    Weights {
        path: PathBuf,
        num_feat: usize,
        num_conv: usize,
        source: Box<candle_core::Error>,
    },
    #[error("the upscaler failed: {0}")]
    Run(Box<candle_core::Error>),
}

// Boxed: candle's error is large, and this one is returned per image.
impl From<candle_core::Error> for UpscaleError {
    fn from(e: candle_core::Error) -> Self {
        Self::Run(Box::new(e))
    }
}

/// `SRVGGNetCompact` with PReLU activations.
#[derive(Debug, Clone)]
pub struct SrVggNetCompact {
    /// `num_conv + 2` convolutions, the last one without an activation after it.
    convs: Vec<Conv2d>,
    /// One PReLU slope per channel, `[1, num_feat, 1, 1]`, after every convolution but the last.
    prelus: Vec<Tensor>,
    config: UpscalerConfig,
}

impl SrVggNetCompact {
    /// Builds the network from `vb` (names `body.N.weight`/`body.N.bias`). `tile` is the side
    /// of the input maps it will see, for the choice of convolution algorithm.
    pub fn load(
        vb: VarBuilder,
        ctx: &LoadContext,
        cfg: &UpscalerConfig,
        tile: usize,
    ) -> candle_core::Result<Self> {
        let ctx = ctx.at_map(tile, tile);
        let body = vb.pp("body");
        let f = cfg.num_feat;
        let mut convs = Vec::with_capacity(cfg.num_conv + 2);
        let mut prelus = Vec::with_capacity(cfg.num_conv + 1);
        let slope = |i: usize| -> candle_core::Result<Tensor> {
            // PyTorch initialises PReLU slopes to 0.25.
            body.pp(i)
                .get_with_hints(f, "weight", candle_nn::Init::Const(0.25))?
                .reshape((1, f, 1, 1))
        };
        convs.push(Conv2d::load(body.pp(0), &ctx, cfg.num_in_ch, f, 3, 1, 1)?);
        prelus.push(slope(1)?);
        for k in 0..cfg.num_conv {
            let i = 2 + 2 * k;
            convs.push(Conv2d::load(body.pp(i), &ctx, f, f, 3, 1, 1)?);
            prelus.push(slope(i + 1)?);
        }
        let out = cfg.num_out_ch * cfg.upscale * cfg.upscale;
        let last = 2 + 2 * cfg.num_conv;
        convs.push(Conv2d::load(body.pp(last), &ctx, f, out, 3, 1, 1)?);
        Ok(Self {
            convs,
            prelus,
            config: *cfg,
        })
    }

    /// Loads `dir/model.safetensors` (f32) with `dir/config.json` if present; a folder with
    /// only one `.pth` (as downloaded) is read with [`SrVggNetCompact::load_pth`].
    pub fn load_dir(dir: &Path, ctx: &LoadContext, tile: usize) -> Result<Self, UpscaleError> {
        if !dir.join(WEIGHTS_FILE).is_file() {
            let pths = pth_files(dir);
            match pths.as_slice() {
                [one] => return Self::load_pth(one, ctx, tile),
                [] => {}
                many => {
                    return Err(UpscaleError::SeveralPth {
                        dir: dir.to_path_buf(),
                        count: many.len(),
                    })
                }
            }
        }
        let cfg_path = dir.join(CONFIG_FILE);
        let cfg: UpscalerConfig = if cfg_path.is_file() {
            let text = std::fs::read_to_string(&cfg_path).map_err(|e| UpscaleError::File {
                path: cfg_path.clone(),
                message: e.to_string(),
            })?;
            serde_json::from_str(&text).map_err(|e| UpscaleError::File {
                path: cfg_path.clone(),
                message: e.to_string(),
            })?
        } else {
            UpscalerConfig::default()
        };
        // Images are RGB in and out; the rest is bounded so a typo cannot ask for gigabytes.
        for (field, value, min, max) in [
            ("num_feat", cfg.num_feat, 1, 1024),
            ("num_conv", cfg.num_conv, 0, 256),
            ("upscale", cfg.upscale, 1, 8),
            ("num_in_ch", cfg.num_in_ch, 3, 3),
            ("num_out_ch", cfg.num_out_ch, 3, 3),
        ] {
            if value < min || value > max {
                return Err(UpscaleError::BadConfig {
                    path: cfg_path,
                    field,
                    value,
                    min,
                    max,
                });
            }
        }
        let path = dir.join(WEIGHTS_FILE);
        if !path.is_file() {
            return Err(UpscaleError::NoWeights {
                dir: dir.to_path_buf(),
            });
        }
        let bytes = std::fs::read(&path).map_err(|e| UpscaleError::File {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu).map_err(
            |e| UpscaleError::File {
                path: path.clone(),
                message: e.to_string(),
            },
        )?;
        Self::load(vb, ctx, &cfg, tile).map_err(|source| UpscaleError::Weights {
            path,
            num_feat: cfg.num_feat,
            num_conv: cfg.num_conv,
            source: Box::new(source),
        })
    }

    /// Loads a Real-ESRGAN `.pth` (`realesr-general-x4v3.pth`) without executing anything
    /// in it: the state dict under `params_ema` or `params`, the shape read from the tensors
    /// (features from `body.0`, convolutions from how many there are, the scale from the last
    /// one's `3·upscale²` channels).
    pub fn load_pth(path: &Path, ctx: &LoadContext, tile: usize) -> Result<Self, UpscaleError> {
        let dict = crate::translate::pickle::read_state_dict_under(path, &PTH_KEYS)?;
        let not_compact = |reason: String| UpscaleError::NotCompact {
            path: path.to_path_buf(),
            reason,
        };
        let mut tensors = std::collections::HashMap::new();
        for (name, raw) in &dict.tensors {
            let dtype = match raw.dtype {
                safetensors::Dtype::F32 => DType::F32,
                safetensors::Dtype::F16 => DType::F16,
                safetensors::Dtype::BF16 => DType::BF16,
                other => return Err(not_compact(format!("{name} holds {other:?} values"))),
            };
            let t = Tensor::from_raw_buffer(&raw.data, dtype, &raw.shape, &Device::Cpu)
                .and_then(|t| t.to_dtype(DType::F32))
                .map_err(|e| not_compact(format!("{name}: {e}")))?;
            tensors.insert(name.clone(), t);
        }
        let cfg = config_from_shapes(&dict).map_err(not_compact)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        Self::load(vb, ctx, &cfg, tile).map_err(|source| UpscaleError::Weights {
            path: path.to_path_buf(),
            num_feat: cfg.num_feat,
            num_conv: cfg.num_conv,
            source: Box::new(source),
        })
    }

    pub fn config(&self) -> &UpscalerConfig {
        &self.config
    }

    /// x: `[batch, 3, h, w]` in 0..1 -> `[batch, 3, h·upscale, w·upscale]` (not clamped).
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let r = self.config.upscale;
        let (b, _, h, w) = x.dims4()?;
        let mut y = x.clone();
        for (i, conv) in self.convs.iter().enumerate() {
            y = conv.forward(&y)?;
            if let Some(a) = self.prelus.get(i) {
                y = prelu(&y, a)?;
            }
        }
        let c = self.config.num_out_ch;
        // Pixel shuffle: channel c·r² + i·r + j goes to row h·r + i, column w·r + j.
        let y = y
            .reshape((b, c, r, r, h, w))?
            .permute((0, 1, 4, 2, 5, 3))?
            .reshape((b, c, h * r, w * r))?;
        let base = x.upsample_nearest2d(h * r, w * r)?;
        y + base
    }

    /// Enlarges `image` ×upscale in tiles of `tile` input pixels with `overlap` pixels of
    /// context each side (cut away afterwards), so memory stays bounded on large pages.
    pub fn upscale_image(
        &self,
        image: &RgbImage,
        tile: usize,
        overlap: usize,
    ) -> Result<RgbImage, UpscaleError> {
        let r = self.config.upscale;
        let (w, h) = (image.width() as usize, image.height() as usize);
        let pixels: Vec<f32> = image
            .as_raw()
            .iter()
            .map(|&v| f32::from(v) / 255.0)
            .collect();
        // [h, w, 3] -> [1, 3, h, w]
        let x = Tensor::from_vec(pixels, (h, w, 3), &Device::Cpu)?
            .permute((2, 0, 1))?
            .unsqueeze(0)?
            .contiguous()?;
        let tile = tile.max(8);
        let mut out = RgbImage::new((w * r) as u32, (h * r) as u32);
        let mut y0 = 0;
        while y0 < h {
            let y1 = (y0 + tile).min(h);
            let mut x0 = 0;
            while x0 < w {
                let x1 = (x0 + tile).min(w);
                let (py0, py1) = (y0.saturating_sub(overlap), (y1 + overlap).min(h));
                let (px0, px1) = (x0.saturating_sub(overlap), (x1 + overlap).min(w));
                let patch = x
                    .narrow(2, py0, py1 - py0)?
                    .narrow(3, px0, px1 - px0)?
                    .contiguous()?;
                let up = self.forward(&patch)?;
                let up = up
                    .narrow(2, (y0 - py0) * r, (y1 - y0) * r)?
                    .narrow(3, (x0 - px0) * r, (x1 - x0) * r)?
                    .clamp(0f32, 1f32)?
                    .squeeze(0)?
                    .permute((1, 2, 0))?
                    .contiguous()?;
                let (th, tw) = ((y1 - y0) * r, (x1 - x0) * r);
                let values = up.flatten_all()?.to_vec1::<f32>()?;
                for row in 0..th {
                    for col in 0..tw {
                        let at = (row * tw + col) * 3;
                        let px = image::Rgb([
                            to_u8(values[at]),
                            to_u8(values[at + 1]),
                            to_u8(values[at + 2]),
                        ]);
                        out.put_pixel((x0 * r + col) as u32, (y0 * r + row) as u32, px);
                    }
                }
                x0 = x1;
            }
            y0 = y1;
        }
        Ok(out)
    }
}

/// The `.pth` files directly in `dir`, sorted.
fn pth_files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("pth")))
        .collect();
    found.sort();
    found
}

/// The network a compact state dict is: `body.{2k}` are the convolutions (`[out, in, 3, 3]`),
/// the first reads RGB, the last makes `3·upscale²` channels.
fn config_from_shapes(
    dict: &crate::translate::pickle::StateDict,
) -> Result<UpscalerConfig, String> {
    let mut convs: Vec<(usize, &[usize])> = dict
        .tensors
        .iter()
        .filter_map(|(name, t)| {
            let i = name.strip_prefix("body.")?.strip_suffix(".weight")?;
            (t.shape.len() == 4).then(|| i.parse().ok().map(|i| (i, t.shape.as_slice())))?
        })
        .collect();
    convs.sort_by_key(|(i, _)| *i);
    let expected: Vec<usize> = (0..convs.len()).map(|k| 2 * k).collect();
    let found: Vec<usize> = convs.iter().map(|(i, _)| *i).collect();
    if convs.len() < 2 || found != expected {
        return Err(format!(
            "its convolutions are body.{found:?}, not body.0, body.2, … (at least two)"
        ));
    }
    let (first, last) = (convs[0].1, convs[convs.len() - 1].1);
    if first[1] != 3 {
        return Err(format!(
            "its first convolution reads {} channels, not RGB",
            first[1]
        ));
    }
    let out = last[0];
    let upscale = (1..=8).find(|r| 3 * r * r == out).ok_or_else(|| {
        format!("its last convolution makes {out} channels, not 3·r² for a scale r of 1 to 8")
    })?;
    Ok(UpscalerConfig {
        num_in_ch: first[1],
        num_out_ch: 3,
        num_feat: first[0],
        num_conv: convs.len() - 2,
        upscale,
    })
}

fn to_u8(v: f32) -> u8 {
    (v * 255.0).round().clamp(0.0, 255.0) as u8
}

/// PReLU with one slope per channel: `max(x, 0) + a·min(x, 0)`.
/// x: `[batch, c, h, w]`, a: `[1, c, 1, 1]`.
fn prelu(x: &Tensor, a: &Tensor) -> candle_core::Result<Tensor> {
    let neg = x.minimum(0f32)?.broadcast_mul(a)?;
    x.relu()? + neg
}
