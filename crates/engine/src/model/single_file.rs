//! Single-file checkpoints: the original (LDM / A1111 / civitai) `.safetensors` layout, where
//! one file holds every network under its own prefix and the LDM names:
//!
//! | prefix | network |
//! |---|---|
//! | `model.diffusion_model.` | UNet (`input_blocks.4.1.transformer_blocks.0.attn1.to_k`) |
//! | `first_stage_model.` | VAE (`encoder.down.0.block.1.nin_shortcut`, attention as 1×1 convs or linears) |
//! | `cond_stage_model.transformer.` | CLIP ViT-L (SD 1.x), transformers names |
//! | `cond_stage_model.model.` | OpenCLIP ViT-H (SD 2.x): fused `attn.in_proj_*`, `text_projection` |
//! | `conditioner.embedders.0.transformer.` / `conditioner.embedders.1.model.` | SDXL's two text encoders |
//!
//! Nothing is converted or copied on disk: [`inspect`] reads the header (the key list), tells
//! the architecture apart, and [`KeyMap`] turns every diffusers parameter name the networks
//! ask for into (key in the file, [`Transform`]), with the semantics of diffusers 0.42's
//! `convert_ldm_unet_checkpoint`, `convert_ldm_vae_checkpoint`, `convert_ldm_clip_checkpoint`
//! and `convert_open_clip_checkpoint` (`diffusers/loaders/single_file_utils.py`). The
//! architecture's configs come from elsewhere (a diffusers folder or preset), as with
//! diffusers' `from_single_file(path, config=...)`.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::model::config::{UNetConfig, VaeConfig};

/// Why a single-file checkpoint cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SingleFileError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is truncated: its header says {needed} bytes but the file has {len}\nhint: the download stopped early; download the file again", path.display())]
    Truncated {
        path: PathBuf,
        needed: u64,
        len: u64,
    },
    #[error("{} is not a safetensors file: {detail}\nhint: only .safetensors checkpoints are read; convert a .ckpt with a trusted tool first", path.display())]
    NotSafetensors { path: PathBuf, detail: String },
    #[error("{} matches no architecture reportfig knows (SD 1.x, SD 2.x, SDXL base): {problem}{}\nhint: use an SD 1.x, SD 2.x or SDXL base checkpoint in the original single-file layout, or a diffusers-layout folder", path.display(), if keys.is_empty() { String::new() } else { format!(" (its keys start with {keys})") })]
    UnknownArchitecture {
        path: PathBuf,
        problem: ArchProblem,
        /// The first few top-level key names, to recognise what the file is.
        keys: String,
    },
    #[error("{} is {what}, which is not supported\nhint: use an SD 1.x, SD 2.x or SDXL base text-to-image checkpoint", path.display())]
    Unsupported { path: PathBuf, what: Unsupported },
    #[error("{} is {arch} but the architecture config in {} is {config}\nhint: name a config of the same family as the checkpoint", path.display(), config_dir.display())]
    ConfigMismatch {
        path: PathBuf,
        arch: &'static str,
        config_dir: PathBuf,
        config: &'static str,
    },
    #[error("{} has no tensor {key}, which the {component} needs ({name})\nhint: the file is incomplete, or its architecture differs from the config; download it again or name the matching config", path.display())]
    MissingTensor {
        path: PathBuf,
        component: &'static str,
        key: String,
        name: String,
    },
    #[error("{}: tensor {key} has shape {got:?} but the {component} config in {} needs {expected:?}\nhint: the checkpoint's architecture differs from the config; name the config of the model the checkpoint was made from", path.display(), config_dir.display())]
    ShapeMismatch {
        path: PathBuf,
        component: &'static str,
        key: String,
        config_dir: PathBuf,
        expected: Box<[usize]>,
        got: Box<[usize]>,
    },
}

/// Why a file's keys are not a checkpoint of a known architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchProblem {
    Empty,
    /// One network saved by diffusers (`down_blocks.*`), not a whole checkpoint.
    DiffusersNetwork,
    NoUnet,
    NoTextEncoder,
    NoVae,
    /// `conditioner.embedders.1.model.*` without `conditioner.embedders.0.transformer.*`.
    LoneSecondEncoder,
}

impl std::fmt::Display for ArchProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Empty => "it holds no tensors",
            Self::DiffusersNetwork => "it holds one diffusers network, not a whole checkpoint",
            Self::NoUnet => "it has no model.diffusion_model.* UNet",
            Self::NoTextEncoder => {
                "it has a UNet but no text encoder (cond_stage_model.* or conditioner.embedders.*)"
            }
            Self::NoVae => "it has no first_stage_model.* VAE",
            Self::LoneSecondEncoder => "it has SDXL's second text encoder but not the first",
        })
    }
}

/// Checkpoints of a known kind that cannot make pictures from text here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsupported {
    Inpainting,
    SdxlRefiner,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Inpainting => "an inpainting checkpoint (9 input channels)",
            Self::SdxlRefiner => "an SDXL refiner checkpoint",
        })
    }
}

/// What a single file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointArch {
    /// SD 1.x: CLIP ViT-L under `cond_stage_model.transformer.`.
    Sd1,
    /// SD 2.x: OpenCLIP ViT-H under `cond_stage_model.model.`. `v_prediction` as diffusers'
    /// legacy loader decides: v-prediction, unless the file's `global_step` is 875000 (the
    /// 512-pixel epsilon base model).
    Sd2 { v_prediction: bool },
    /// SDXL base: CLIP ViT-L and OpenCLIP bigG under `conditioner.embedders.{0,1}.`.
    SdxlBase,
}

impl CheckpointArch {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sd1 => "SD 1.x",
            Self::Sd2 { .. } => "SD 2.x",
            Self::SdxlBase => "SDXL base",
        }
    }

    /// The prediction type the scheduler must use when no architecture config is given.
    pub fn prediction_type(self) -> &'static str {
        match self {
            Self::Sd2 { v_prediction: true } => "v_prediction",
            _ => "epsilon",
        }
    }

    /// Where each network's weights sit in the file.
    pub fn part(self, component: ComponentKind) -> Option<CheckpointPart> {
        use ComponentKind as C;
        Some(match (self, component) {
            (_, C::Unet) => CheckpointPart::Unet,
            (_, C::Vae) => CheckpointPart::Vae,
            (Self::Sd1, C::TextEncoder) => CheckpointPart::Clip {
                prefix: "cond_stage_model.transformer.".into(),
            },
            (Self::Sd2 { .. }, C::TextEncoder) => CheckpointPart::OpenClip {
                prefix: "cond_stage_model.model.".into(),
            },
            (Self::SdxlBase, C::TextEncoder) => CheckpointPart::Clip {
                prefix: "conditioner.embedders.0.transformer.".into(),
            },
            (Self::SdxlBase, C::TextEncoder2) => CheckpointPart::OpenClip {
                prefix: "conditioner.embedders.1.model.".into(),
            },
            (_, C::TextEncoder2) => return None,
        })
    }
}

/// The networks of a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentKind {
    Unet,
    Vae,
    TextEncoder,
    TextEncoder2,
}

/// One network's share of a single-file checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointPart {
    /// `model.diffusion_model.*`, LDM names.
    Unet,
    /// `first_stage_model.*`, LDM names.
    Vae,
    /// A transformers CLIP text model under `prefix` (names as they are after it).
    Clip { prefix: String },
    /// An OpenCLIP text tower under `prefix`.
    OpenClip { prefix: String },
}

pub const UNET_PREFIX: &str = "model.diffusion_model.";
pub const VAE_PREFIX: &str = "first_stage_model.";

/// One tensor's entry in a safetensors header.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorEntry {
    pub dtype: String,
    pub shape: Vec<usize>,
    /// Byte range within the data section.
    pub offsets: (u64, u64),
}

/// A checkpoint file as its header describes it.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub path: PathBuf,
    pub arch: CheckpointArch,
    pub tensors: BTreeMap<String, TensorEntry>,
}

/// Reads the header of a `.safetensors` file: every tensor's name, dtype, shape and place.
/// Refuses a file shorter than its header says (a cut-off download).
pub fn read_header(path: &Path) -> Result<BTreeMap<String, TensorEntry>, SingleFileError> {
    let (tensors, _) = read_header_and_start(path)?;
    Ok(tensors)
}

fn read_header_and_start(
    path: &Path,
) -> Result<(BTreeMap<String, TensorEntry>, u64), SingleFileError> {
    let io = |source| SingleFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let not = |detail: String| SingleFileError::NotSafetensors {
        path: path.to_path_buf(),
        detail,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let mut n = [0u8; 8];
    if len < 8 {
        return Err(SingleFileError::Truncated {
            path: path.to_path_buf(),
            needed: 8,
            len,
        });
    }
    f.read_exact(&mut n).map_err(io)?;
    let header_len = u64::from_le_bytes(n);
    let start = header_len
        .checked_add(8)
        .ok_or_else(|| not(format!("its header length {header_len} is not a real size")))?;
    if start > len {
        return Err(SingleFileError::Truncated {
            path: path.to_path_buf(),
            needed: start,
            len,
        });
    }
    if header_len > 100_000_000 {
        return Err(not(format!("its header would be {header_len} bytes")));
    }
    let mut buf = vec![0u8; header_len as usize];
    f.read_exact(&mut buf).map_err(io)?;
    let json: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&buf).map_err(|e| not(format!("its header is not JSON ({e})")))?;
    let mut tensors = BTreeMap::new();
    let mut end = 0u64;
    for (name, v) in json {
        if name == "__metadata__" {
            continue;
        }
        let bad = || not(format!("the header entry of {name} is malformed"));
        let dtype = v.get("dtype").and_then(|d| d.as_str()).ok_or_else(bad)?;
        let shape = v
            .get("shape")
            .and_then(|s| s.as_array())
            .ok_or_else(bad)?
            .iter()
            .map(|d| d.as_u64().map(|d| d as usize))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(bad)?;
        let offs = v
            .get("data_offsets")
            .and_then(|s| s.as_array())
            .ok_or_else(bad)?;
        let (Some(a), Some(b)) = (
            offs.first().and_then(|x| x.as_u64()),
            offs.get(1).and_then(|x| x.as_u64()),
        ) else {
            return Err(bad());
        };
        end = end.max(b);
        tensors.insert(
            name,
            TensorEntry {
                dtype: dtype.to_string(),
                shape,
                offsets: (a, b),
            },
        );
    }
    if start + end > len {
        return Err(SingleFileError::Truncated {
            path: path.to_path_buf(),
            needed: start + end,
            len,
        });
    }
    Ok((tensors, start))
}

/// Reads the header and tells the architecture apart by the keys, as diffusers'
/// `infer_diffusers_model_type` does for these three families: which text encoder the file
/// holds (CLIP-L, OpenCLIP ViT-H, or SDXL's pair) under which prefix. diffusers tells SD 2
/// by its 1024-wide cross-attention, which is the OpenCLIP ViT-H width, so the text encoder's
/// kind is the same evidence and holds for narrow test models too.
pub fn inspect(path: &Path) -> Result<Checkpoint, SingleFileError> {
    let (tensors, start) = read_header_and_start(path)?;
    let has = |prefix: &str| tensors.keys().any(|k| k.starts_with(prefix));
    let unsupported = |what| SingleFileError::Unsupported {
        path: path.to_path_buf(),
        what,
    };
    let unknown = |problem| {
        let mut seen: Vec<&str> = tensors
            .keys()
            .map(|k| k.split('.').next().unwrap_or(k))
            .collect();
        seen.dedup();
        seen.truncate(6);
        SingleFileError::UnknownArchitecture {
            path: path.to_path_buf(),
            problem,
            keys: seen.join(", "),
        }
    };
    if !has(UNET_PREFIX) {
        return Err(unknown(if tensors.is_empty() {
            ArchProblem::Empty
        } else if has("down_blocks.") {
            ArchProblem::DiffusersNetwork
        } else {
            ArchProblem::NoUnet
        }));
    }
    if let Some(t) = tensors.get("model.diffusion_model.input_blocks.0.0.weight") {
        if t.shape.get(1) == Some(&9) {
            return Err(unsupported(Unsupported::Inpainting));
        }
    }
    let arch = if has("conditioner.embedders.1.model.") {
        if !has("conditioner.embedders.0.transformer.") {
            return Err(unknown(ArchProblem::LoneSecondEncoder));
        }
        CheckpointArch::SdxlBase
    } else if has("conditioner.embedders.0.model.") {
        return Err(unsupported(Unsupported::SdxlRefiner));
    } else if has("cond_stage_model.model.") {
        // diffusers: "epsilon" if global_step == 875000 else "v_prediction".
        let step = tensors
            .get("global_step")
            .and_then(|t| read_scalar(path, start, t));
        CheckpointArch::Sd2 {
            v_prediction: step != Some(875_000),
        }
    } else if has("cond_stage_model.transformer.") {
        CheckpointArch::Sd1
    } else {
        return Err(unknown(ArchProblem::NoTextEncoder));
    };
    if !has(VAE_PREFIX) {
        return Err(unknown(ArchProblem::NoVae));
    }
    Ok(Checkpoint {
        path: path.to_path_buf(),
        arch,
        tensors,
    })
}

/// The value of a one-element integer tensor (`global_step`), if it is one.
fn read_scalar(path: &Path, start: u64, t: &TensorEntry) -> Option<i64> {
    let width = match t.dtype.as_str() {
        "I64" | "U64" => 8,
        "I32" | "U32" => 4,
        _ => return None,
    };
    if t.shape.iter().product::<usize>() != 1 || t.offsets.1 - t.offsets.0 != width {
        return None;
    }
    let mut f = std::fs::File::open(path).ok()?;
    f.seek(SeekFrom::Start(start + t.offsets.0)).ok()?;
    let mut b = [0u8; 8];
    f.read_exact(&mut b[..width as usize]).ok()?;
    Some(if width == 8 {
        i64::from_le_bytes(b)
    } else {
        i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64
    })
}

/// What to do with a tensor read from the file to get the diffusers parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    AsIs,
    /// Part `0`, `1` or `2` (q, k, v) of a fused `in_proj` along the first dimension.
    Third(u8),
    /// A 1×1 conv (or 1-wide conv1d) weight used as a linear one: `[o, i, 1, 1]` -> `[o, i]`;
    /// a weight that already is 2-D stays as it is.
    SqueezeConv,
    /// OpenCLIP's `text_projection` is applied as `x @ P`; a linear layer holds `Pᵀ`.
    Transpose,
}

impl Transform {
    /// Applies the transform to the tensor as stored in the file.
    pub fn apply(self, t: candle_core::Tensor) -> candle_core::Result<candle_core::Tensor> {
        match self {
            Self::AsIs => Ok(t),
            Self::Third(i) => {
                let n = t.dim(0)?;
                if n % 3 != 0 {
                    candle_core::bail!("a fused in_proj of {n} rows does not split into three")
                }
                t.narrow(0, i as usize * n / 3, n / 3)?.contiguous()
            }
            Self::SqueezeConv => match t.dims() {
                [o, i, rest @ ..] if rest.iter().all(|&d| d == 1) => t.reshape((*o, *i)),
                _ => Ok(t),
            },
            Self::Transpose => t.t()?.contiguous(),
        }
    }

    /// The shape the transform gives a stored tensor of shape `stored`.
    pub fn shape(self, stored: &[usize]) -> Vec<usize> {
        match (self, stored) {
            (Self::Third(_), [n, rest @ ..]) => {
                let mut v = vec![n / 3];
                v.extend_from_slice(rest);
                v
            }
            (Self::SqueezeConv, [o, i, rest @ ..]) if rest.iter().all(|&d| d == 1) => {
                vec![*o, *i]
            }
            (Self::Transpose, [a, b]) => vec![*b, *a],
            _ => stored.to_vec(),
        }
    }
}

/// Renames a network's diffusers parameter names to the keys of one checkpoint part.
#[derive(Debug, Clone)]
pub enum KeyMap {
    Unet(UNetNames),
    Vae { up_blocks: usize },
    Clip { prefix: String },
    OpenClip { prefix: String },
}

impl KeyMap {
    pub fn unet(cfg: &UNetConfig) -> Self {
        Self::Unet(UNetNames::new(cfg))
    }

    pub fn vae(cfg: &VaeConfig) -> Self {
        Self::Vae {
            up_blocks: cfg.up_block_types.len(),
        }
    }

    /// The map for `part`; `unet` / `vae` are needed for those parts (block counts).
    pub fn for_part(
        part: &CheckpointPart,
        unet: Option<&UNetConfig>,
        vae: Option<&VaeConfig>,
    ) -> Option<Self> {
        Some(match part {
            CheckpointPart::Unet => Self::unet(unet?),
            CheckpointPart::Vae => Self::vae(vae?),
            CheckpointPart::Clip { prefix } => Self::Clip {
                prefix: prefix.clone(),
            },
            CheckpointPart::OpenClip { prefix } => Self::OpenClip {
                prefix: prefix.clone(),
            },
        })
    }

    /// The key in the file and the transform for the diffusers parameter `name`
    /// (`down_blocks.1.attentions.0.proj_in.weight`), or `None` when the layout has no place
    /// for it.
    pub fn resolve(&self, name: &str) -> Option<(String, Transform)> {
        match self {
            Self::Unet(names) => names
                .to_ldm(name)
                .map(|k| (format!("{UNET_PREFIX}{k}"), Transform::AsIs)),
            Self::Vae { up_blocks } => {
                vae_to_ldm(name, *up_blocks).map(|(k, t)| (format!("{VAE_PREFIX}{k}"), t))
            }
            Self::Clip { prefix } => Some((format!("{prefix}{name}"), Transform::AsIs)),
            Self::OpenClip { prefix } => {
                open_clip_to_ldm(name).map(|(k, t)| (format!("{prefix}{k}"), t))
            }
        }
    }

    /// The diffusers parameter names the file's key `key` provides, each with the transform
    /// that gives its value: the inverse of [`KeyMap::resolve`], for matching LoRA modules
    /// (named by diffusers' modules) against a checkpoint's header. Every name returned
    /// resolves back to `key`. Empty for a key of another part, and for the VAE, which no
    /// LoRA changes.
    pub fn names_of(&self, key: &str) -> Vec<(String, Transform)> {
        let candidates: Vec<(String, Transform)> = match self {
            Self::Unet(names) => key
                .strip_prefix(UNET_PREFIX)
                .and_then(|k| names.to_diffusers(k))
                .map(|n| (n, Transform::AsIs))
                .into_iter()
                .collect(),
            Self::Vae { .. } => Vec::new(),
            Self::Clip { prefix } => key
                .strip_prefix(prefix.as_str())
                .map(|n| (n.to_string(), Transform::AsIs))
                .into_iter()
                .collect(),
            Self::OpenClip { prefix } => key
                .strip_prefix(prefix.as_str())
                .map(ldm_to_open_clip_candidates)
                .unwrap_or_default(),
        };
        // The forward map is the one the networks load through; keeping only names it sends
        // back to `key` means the two directions cannot disagree.
        candidates
            .into_iter()
            .filter(|(n, t)| self.resolve(n).as_ref() == Some(&(key.to_string(), *t)))
            .collect()
    }
}

/// `(ldm, diffusers)` prefix pairs of one UNet, with whether the module is a resnet (whose
/// inner names differ too). Built from the config's block structure the way diffusers'
/// `convert_ldm_unet_checkpoint` walks `input_blocks` / `middle_block` / `output_blocks`.
#[derive(Debug, Clone)]
pub struct UNetNames {
    pairs: Vec<(String, String, bool)>,
}

/// LDM `ResBlock` inner names and diffusers' `ResnetBlock2D` ones.
const RESNET_INNER: [(&str, &str); 6] = [
    ("in_layers.0", "norm1"),
    ("in_layers.2", "conv1"),
    ("out_layers.0", "norm2"),
    ("out_layers.3", "conv2"),
    ("emb_layers.1", "time_emb_proj"),
    ("skip_connection", "conv_shortcut"),
];

impl UNetNames {
    pub fn new(cfg: &UNetConfig) -> Self {
        let mut pairs: Vec<(String, String, bool)> = Vec::new();
        let mut add = |l: String, d: String, resnet: bool| pairs.push((l, d, resnet));
        for (l, d) in [
            ("time_embed.0", "time_embedding.linear_1"),
            ("time_embed.2", "time_embedding.linear_2"),
            ("input_blocks.0.0", "conv_in"),
            ("out.0", "conv_norm_out"),
            ("out.2", "conv_out"),
        ] {
            add(l.into(), d.into(), false);
        }
        let label = |add: &mut dyn FnMut(String, String, bool), d: &str| {
            add("label_emb.0.0".into(), format!("{d}.linear_1"), false);
            add("label_emb.0.2".into(), format!("{d}.linear_2"), false);
        };
        if matches!(
            cfg.class_embed_type.as_deref(),
            Some("timestep" | "projection")
        ) {
            label(&mut add, "class_embedding");
        }
        if cfg.addition_embed_type.as_deref() == Some("text_time") {
            label(&mut add, "add_embedding");
        }
        let n = cfg.down_block_types.len();
        let layers: Vec<usize> = (0..n)
            .map(|b| cfg.layers_per_block.get(b).unwrap_or(0))
            .collect();
        let mut i = 1;
        for (b, kind) in cfg.down_block_types.iter().enumerate() {
            let attn = kind.starts_with("CrossAttn");
            for l in 0..layers[b] {
                add(
                    format!("input_blocks.{i}.0"),
                    format!("down_blocks.{b}.resnets.{l}"),
                    true,
                );
                if attn {
                    add(
                        format!("input_blocks.{i}.1"),
                        format!("down_blocks.{b}.attentions.{l}"),
                        false,
                    );
                }
                i += 1;
            }
            if b + 1 < n {
                add(
                    format!("input_blocks.{i}.0.op"),
                    format!("down_blocks.{b}.downsamplers.0.conv"),
                    false,
                );
                i += 1;
            }
        }
        if cfg.mid_block_type.as_deref() == Some("UNetMidBlock2DCrossAttn") {
            add("middle_block.0".into(), "mid_block.resnets.0".into(), true);
            add(
                "middle_block.1".into(),
                "mid_block.attentions.0".into(),
                false,
            );
            add("middle_block.2".into(), "mid_block.resnets.1".into(), true);
        }
        let mut i = 0;
        for (b, kind) in cfg.up_block_types.iter().enumerate() {
            let attn = kind.starts_with("CrossAttn");
            let count = layers.get(n - 1 - b).copied().unwrap_or(0) + 1;
            for l in 0..count {
                add(
                    format!("output_blocks.{i}.0"),
                    format!("up_blocks.{b}.resnets.{l}"),
                    true,
                );
                if attn {
                    add(
                        format!("output_blocks.{i}.1"),
                        format!("up_blocks.{b}.attentions.{l}"),
                        false,
                    );
                }
                if l + 1 == count && b + 1 < n {
                    let at = if attn { 2 } else { 1 };
                    add(
                        format!("output_blocks.{i}.{at}.conv"),
                        format!("up_blocks.{b}.upsamplers.0.conv"),
                        false,
                    );
                }
                i += 1;
            }
        }
        Self { pairs }
    }

    /// An LDM UNet name (without `model.diffusion_model.`), of a parameter
    /// (`input_blocks.4.1.transformer_blocks.0.attn1.to_k.weight`) or a module
    /// (`input_blocks.1.0.in_layers.2`), as diffusers names it
    /// (`down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k.weight`,
    /// `down_blocks.0.resnets.0.conv1`); `None` for a name this UNet does not have.
    pub fn to_diffusers(&self, ldm: &str) -> Option<String> {
        self.convert(ldm, true)
    }

    /// The inverse of [`UNetNames::to_diffusers`].
    pub fn to_ldm(&self, diffusers: &str) -> Option<String> {
        self.convert(diffusers, false)
    }

    fn convert(&self, name: &str, from_ldm: bool) -> Option<String> {
        // The longest matching prefix: `output_blocks.2.1` and `output_blocks.2.1.conv` both
        // exist in a block with attention and an upsampler.
        let (_, to, resnet, rest) = self
            .pairs
            .iter()
            .filter_map(|(l, d, resnet)| {
                let (from, to) = if from_ldm { (l, d) } else { (d, l) };
                let rest = strip_module(name, from)?;
                Some((from, to, *resnet, rest))
            })
            .max_by_key(|(from, ..)| from.len())?;
        if !resnet || rest.is_empty() {
            return Some(format!("{to}{rest}"));
        }
        // `rest` starts with '.': rename the resnet's own layer.
        let inner = &rest[1..];
        for (l, d) in RESNET_INNER {
            let (f, t) = if from_ldm { (l, d) } else { (d, l) };
            if let Some(tail) = strip_module(inner, f) {
                return Some(format!("{to}.{t}{tail}"));
            }
        }
        None
    }
}

/// `name` without the module path `prefix` (what follows it, empty or starting with '.').
fn strip_module<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = name.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('.')).then_some(rest)
}

/// An LDM UNet name (without `model.diffusion_model.`) as diffusers names it, for the UNet
/// `cfg` describes: `input_blocks.4.1.transformer_blocks.0.attn1.to_k` ->
/// `down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k` (SD / SDXL). Works on
/// parameter and module names alike. Build [`UNetNames`] once to convert many names.
pub fn ldm_unet_to_diffusers(name: &str, cfg: &UNetConfig) -> Option<String> {
    UNetNames::new(cfg).to_diffusers(name)
}

/// The inverse of [`ldm_unet_to_diffusers`].
pub fn diffusers_unet_to_ldm(name: &str, cfg: &UNetConfig) -> Option<String> {
    UNetNames::new(cfg).to_ldm(name)
}

/// A diffusers VAE parameter name -> (LDM name after `first_stage_model.`, transform), as
/// diffusers' `convert_ldm_vae_checkpoint` maps them (reversed).
fn vae_to_ldm(name: &str, up_blocks: usize) -> Option<(String, Transform)> {
    let (side, rest) = name.split_once('.')?;
    if matches!(side, "quant_conv" | "post_quant_conv") {
        return Some((name.to_string(), Transform::AsIs));
    }
    if side != "encoder" && side != "decoder" {
        return None;
    }
    let parts: Vec<&str> = rest.split('.').collect();
    let resnet_inner = |p: &[&str]| -> Option<String> {
        let first = match *p.first()? {
            "conv_shortcut" => "nin_shortcut",
            x @ ("norm1" | "conv1" | "norm2" | "conv2") => x,
            _ => return None,
        };
        Some(
            std::iter::once(first)
                .chain(p[1..].iter().copied())
                .collect::<Vec<_>>()
                .join("."),
        )
    };
    let ldm = match parts.as_slice() {
        ["conv_in" | "conv_out", ..] => rest.to_string(),
        ["conv_norm_out", tail @ ..] => format!("norm_out.{}", tail.join(".")),
        ["down_blocks", i, "resnets", j, inner @ ..] if side == "encoder" => {
            format!("down.{i}.block.{j}.{}", resnet_inner(inner)?)
        }
        ["down_blocks", i, "downsamplers", "0", "conv", tail @ ..] if side == "encoder" => {
            format!("down.{i}.downsample.conv.{}", tail.join("."))
        }
        ["up_blocks", i, "resnets", j, inner @ ..] if side == "decoder" => {
            let b = up_blocks.checked_sub(1 + i.parse::<usize>().ok()?)?;
            format!("up.{b}.block.{j}.{}", resnet_inner(inner)?)
        }
        ["up_blocks", i, "upsamplers", "0", "conv", tail @ ..] if side == "decoder" => {
            let b = up_blocks.checked_sub(1 + i.parse::<usize>().ok()?)?;
            format!("up.{b}.upsample.conv.{}", tail.join("."))
        }
        ["mid_block", "resnets", j @ ("0" | "1"), inner @ ..] => {
            let k = if *j == "0" { 1 } else { 2 };
            format!("mid.block_{k}.{}", resnet_inner(inner)?)
        }
        ["mid_block", "attentions", "0", module @ .., param] => {
            let m = match module {
                ["group_norm"] => "norm",
                ["to_q"] => "q",
                ["to_k"] => "k",
                ["to_v"] => "v",
                ["to_out", "0"] => "proj_out",
                _ => return None,
            };
            let t = if m != "norm" && *param == "weight" {
                Transform::SqueezeConv
            } else {
                Transform::AsIs
            };
            return Some((format!("{side}.mid.attn_1.{m}.{param}"), t));
        }
        _ => return None,
    };
    Some((format!("{side}.{ldm}"), Transform::AsIs))
}

/// A transformers CLIP text-model parameter name -> (OpenCLIP name after the prefix,
/// transform), as diffusers' `convert_open_clip_checkpoint` maps them (reversed).
fn open_clip_to_ldm(name: &str) -> Option<(String, Transform)> {
    use Transform::AsIs;
    let fixed = match name {
        "text_model.embeddings.position_embedding.weight" => Some("positional_embedding"),
        "text_model.embeddings.token_embedding.weight" => Some("token_embedding.weight"),
        "text_model.final_layer_norm.weight" => Some("ln_final.weight"),
        "text_model.final_layer_norm.bias" => Some("ln_final.bias"),
        _ => None,
    };
    if let Some(f) = fixed {
        return Some((f.to_string(), AsIs));
    }
    if name == "text_projection.weight" {
        return Some(("text_projection".into(), Transform::Transpose));
    }
    let rest = name.strip_prefix("text_model.encoder.layers.")?;
    let (layer, inner) = rest.split_once('.')?;
    layer.parse::<usize>().ok()?;
    let block = format!("transformer.resblocks.{layer}");
    let (module, param) = inner.rsplit_once('.')?;
    if !matches!(param, "weight" | "bias") {
        return None;
    }
    Some(match module {
        "self_attn.q_proj" | "self_attn.k_proj" | "self_attn.v_proj" => {
            let i = match module {
                "self_attn.q_proj" => 0,
                "self_attn.k_proj" => 1,
                _ => 2,
            };
            (format!("{block}.attn.in_proj_{param}"), Transform::Third(i))
        }
        "self_attn.out_proj" => (format!("{block}.attn.out_proj.{param}"), AsIs),
        "layer_norm1" => (format!("{block}.ln_1.{param}"), AsIs),
        "layer_norm2" => (format!("{block}.ln_2.{param}"), AsIs),
        "mlp.fc1" => (format!("{block}.mlp.c_fc.{param}"), AsIs),
        "mlp.fc2" => (format!("{block}.mlp.c_proj.{param}"), AsIs),
        _ => return None,
    })
}

/// The transformers CLIP names an OpenCLIP key (after the prefix) may stand for, with their
/// transforms; [`KeyMap::names_of`] keeps those [`open_clip_to_ldm`] maps back to the key.
fn ldm_to_open_clip_candidates(key: &str) -> Vec<(String, Transform)> {
    use Transform::AsIs;
    let fixed = match key {
        "positional_embedding" => Some("text_model.embeddings.position_embedding.weight"),
        "token_embedding.weight" => Some("text_model.embeddings.token_embedding.weight"),
        "ln_final.weight" => Some("text_model.final_layer_norm.weight"),
        "ln_final.bias" => Some("text_model.final_layer_norm.bias"),
        _ => None,
    };
    if let Some(f) = fixed {
        return vec![(f.to_string(), AsIs)];
    }
    if key == "text_projection" {
        return vec![("text_projection.weight".into(), Transform::Transpose)];
    }
    let Some(rest) = key.strip_prefix("transformer.resblocks.") else {
        return Vec::new();
    };
    let Some((layer, inner)) = rest.split_once('.') else {
        return Vec::new();
    };
    let block = format!("text_model.encoder.layers.{layer}");
    if let Some(param) = inner.strip_prefix("attn.in_proj_") {
        return ["q_proj", "k_proj", "v_proj"]
            .iter()
            .enumerate()
            .map(|(i, m)| {
                (
                    format!("{block}.self_attn.{m}.{param}"),
                    Transform::Third(i as u8),
                )
            })
            .collect();
    }
    let Some((module, param)) = inner.rsplit_once('.') else {
        return Vec::new();
    };
    let diffusers = match module {
        "attn.out_proj" => "self_attn.out_proj",
        "ln_1" => "layer_norm1",
        "ln_2" => "layer_norm2",
        "mlp.c_fc" => "mlp.fc1",
        "mlp.c_proj" => "mlp.fc2",
        _ => return Vec::new(),
    };
    vec![(format!("{block}.{diffusers}.{param}"), AsIs)]
}

#[cfg(test)]
mod tests {
    use super::*;

    const REF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../configs/reference");

    fn unet(repo: &str) -> UNetConfig {
        crate::model::config::read_json(
            &Path::new(REF).join(repo).join("unet/config.json"),
            "UNet config",
        )
        .unwrap()
    }

    /// The names kohya's SDXL LoRAs and A1111 files use, against the real SDXL and SD 1.5
    /// configs, both ways; and a name either UNet lacks is refused.
    #[test]
    fn ldm_unet_names() {
        let xl = unet("stabilityai--stable-diffusion-xl-base-1.0");
        let sd = unet("runwayml--stable-diffusion-v1-5");
        let cases_xl = [
            (
                "input_blocks.4.1.transformer_blocks.0.attn1.to_k",
                "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k",
            ),
            (
                "input_blocks.8.1.transformer_blocks.9.ff.net.2.weight",
                "down_blocks.2.attentions.1.transformer_blocks.9.ff.net.2.weight",
            ),
            (
                "input_blocks.1.0.in_layers.2.weight",
                "down_blocks.0.resnets.0.conv1.weight",
            ),
            (
                "input_blocks.3.0.op.bias",
                "down_blocks.0.downsamplers.0.conv.bias",
            ),
            (
                "input_blocks.4.0.skip_connection.weight",
                "down_blocks.1.resnets.0.conv_shortcut.weight",
            ),
            (
                "middle_block.1.proj_in.weight",
                "mid_block.attentions.0.proj_in.weight",
            ),
            (
                "middle_block.2.emb_layers.1.bias",
                "mid_block.resnets.1.time_emb_proj.bias",
            ),
            (
                "output_blocks.2.1.transformer_blocks.3.attn2.to_v",
                "up_blocks.0.attentions.2.transformer_blocks.3.attn2.to_v",
            ),
            (
                "output_blocks.2.2.conv.weight",
                "up_blocks.0.upsamplers.0.conv.weight",
            ),
            (
                "output_blocks.8.0.out_layers.3.weight",
                "up_blocks.2.resnets.2.conv2.weight",
            ),
            ("label_emb.0.2.weight", "add_embedding.linear_2.weight"),
            ("time_embed.0.bias", "time_embedding.linear_1.bias"),
            ("out.2.weight", "conv_out.weight"),
            ("input_blocks.0.0.weight", "conv_in.weight"),
        ];
        let names = UNetNames::new(&xl);
        for (l, d) in cases_xl {
            assert_eq!(names.to_diffusers(l).as_deref(), Some(d), "{l}");
            assert_eq!(names.to_ldm(d).as_deref(), Some(l), "{d}");
            assert_eq!(ldm_unet_to_diffusers(l, &xl).as_deref(), Some(d));
        }
        let cases_sd = [
            (
                "input_blocks.1.1.proj_in.weight",
                "down_blocks.0.attentions.0.proj_in.weight",
            ),
            (
                "input_blocks.11.0.in_layers.0.weight",
                "down_blocks.3.resnets.1.norm1.weight",
            ),
            (
                "output_blocks.2.1.conv.bias",
                "up_blocks.0.upsamplers.0.conv.bias",
            ),
            (
                "output_blocks.5.2.conv.weight",
                "up_blocks.1.upsamplers.0.conv.weight",
            ),
            (
                "output_blocks.11.1.transformer_blocks.0.norm3.weight",
                "up_blocks.3.attentions.2.transformer_blocks.0.norm3.weight",
            ),
            (
                "output_blocks.11.0.skip_connection.weight",
                "up_blocks.3.resnets.2.conv_shortcut.weight",
            ),
        ];
        let names = UNetNames::new(&sd);
        for (l, d) in cases_sd {
            assert_eq!(names.to_diffusers(l).as_deref(), Some(d), "{l}");
            assert_eq!(diffusers_unet_to_ldm(d, &sd).as_deref(), Some(l), "{d}");
        }
        // SD 1.5 has no added conditioning and twelve input blocks; SDXL has nine.
        assert_eq!(names.to_diffusers("label_emb.0.0.weight"), None);
        assert_eq!(
            names.to_diffusers("input_blocks.12.0.in_layers.0.weight"),
            None
        );
        assert_eq!(
            ldm_unet_to_diffusers("input_blocks.9.0.in_layers.0.weight", &xl),
            None
        );
        assert_eq!(names.to_diffusers("input_blocks.1.0.bogus.weight"), None);
        assert_eq!(names.to_ldm("down_blocks.10.resnets.0.conv1.weight"), None);
    }

    #[test]
    fn vae_and_open_clip_names() {
        let t = |n: &str| vae_to_ldm(n, 4);
        assert_eq!(
            t("decoder.up_blocks.0.resnets.2.conv_shortcut.bias"),
            Some((
                "decoder.up.3.block.2.nin_shortcut.bias".into(),
                Transform::AsIs
            ))
        );
        assert_eq!(
            t("decoder.up_blocks.1.upsamplers.0.conv.weight"),
            Some(("decoder.up.2.upsample.conv.weight".into(), Transform::AsIs))
        );
        assert_eq!(
            t("encoder.mid_block.attentions.0.to_out.0.weight"),
            Some((
                "encoder.mid.attn_1.proj_out.weight".into(),
                Transform::SqueezeConv
            ))
        );
        assert_eq!(
            t("encoder.mid_block.attentions.0.group_norm.bias"),
            Some(("encoder.mid.attn_1.norm.bias".into(), Transform::AsIs))
        );
        assert_eq!(
            t("encoder.conv_norm_out.weight"),
            Some(("encoder.norm_out.weight".into(), Transform::AsIs))
        );
        assert_eq!(
            t("encoder.mid_block.resnets.1.norm1.weight").unwrap().0,
            "encoder.mid.block_2.norm1.weight"
        );
        assert_eq!(t("decoder.up_blocks.4.resnets.0.conv1.weight"), None);
        assert_eq!(
            open_clip_to_ldm("text_model.encoder.layers.3.self_attn.k_proj.bias"),
            Some((
                "transformer.resblocks.3.attn.in_proj_bias".into(),
                Transform::Third(1)
            ))
        );
        assert_eq!(
            open_clip_to_ldm("text_model.encoder.layers.0.mlp.fc2.weight")
                .unwrap()
                .0,
            "transformer.resblocks.0.mlp.c_proj.weight"
        );
        assert_eq!(
            open_clip_to_ldm("text_projection.weight"),
            Some(("text_projection".into(), Transform::Transpose))
        );
    }

    #[test]
    fn transforms_cut_squeeze_and_transpose() {
        use candle_core::{Device, Tensor};
        let t = Tensor::arange(0f32, 12., &Device::Cpu)
            .unwrap()
            .reshape((6, 2))
            .unwrap();
        let k = Transform::Third(1).apply(t.clone()).unwrap();
        assert_eq!(
            k.to_vec2::<f32>().unwrap(),
            vec![vec![4., 5.], vec![6., 7.]]
        );
        assert_eq!(Transform::Third(1).shape(&[6, 2]), vec![2, 2]);
        let c = t.reshape((6, 2, 1, 1)).unwrap();
        assert_eq!(Transform::SqueezeConv.apply(c).unwrap().dims(), &[6, 2]);
        assert_eq!(
            Transform::SqueezeConv.apply(t.clone()).unwrap().dims(),
            &[6, 2]
        );
        let tr = Transform::Transpose.apply(t).unwrap();
        assert_eq!(tr.dims(), &[2, 6]);
        assert_eq!(tr.to_vec2::<f32>().unwrap()[1][0], 1.);
    }
}
