//! LoRA files merged into a model's weights as they are read, before our kernels pack them, so
//! a LoRA costs nothing per step: `W' = W + weight × (alpha / rank) × up · down`, as diffusers'
//! `fuse_lora(lora_scale=weight)` leaves the weights (conv LoRAs: `up [out, r, 1, 1]` ·
//! `down [r, in, kh, kw]`, reshaped to the convolution's weight).
//!
//! Layouts read:
//! - kohya-ss / A1111: `lora_unet_<module>`, `lora_te_<module>` (SD 1.x/2.x), `lora_te1_` and
//!   `lora_te2_` (SDXL), each with `.lora_down.weight`, `.lora_up.weight` and an optional
//!   `.alpha`; `<module>` is the diffusers module path with `_` for `.`
//!   (`down_blocks_0_attentions_0_proj_in`) or the LDM path kohya-ss uses for SDXL
//!   (`input_blocks_4_1_transformer_blocks_0_attn1_to_k`, mapped by
//!   [`crate::model::single_file::UNetNames`]).
//! - diffusers / peft: `unet.<module>.lora_A.weight` / `.lora_B.weight`, the older
//!   `.lora.down.weight` / `.lora.up.weight` and `.lora_linear_layer.down.weight`,
//!   attention-processor names (`attn1.processor.to_q_lora.down.weight`), under `unet.`,
//!   `text_encoder.` and `text_encoder_2.`. Without an alpha, peft's scale is 1 (alpha is the
//!   rank); a `lora_adapter_metadata` header (diffusers' `save_lora_weights` with adapter
//!   metadata) gives `lora_alpha`, `alpha_pattern` and `use_rslora` as peft's `LoraConfig`.
//!
//! Every key must be understood and every module must name a weight of the model with a
//! matching shape: a LoRA that half applies is refused, never silently cut. A LoRA whose keys
//! and shapes show it was trained for another family is reported as such.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use sha2::{Digest, Sha256};

/// One LoRA a request asks for: the file and how strongly it applies (1.0 = as trained).
#[derive(Debug, Clone, PartialEq)]
pub struct LoraFile {
    pub path: PathBuf,
    pub weight: f64,
}

/// The network of a model a LoRA module changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LoraTarget {
    Unet,
    TextEncoder,
    TextEncoder2,
}

impl LoraTarget {
    pub const ALL: [LoraTarget; 3] = [Self::Unet, Self::TextEncoder, Self::TextEncoder2];

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for LoraTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unet => "UNet",
            Self::TextEncoder => "text encoder",
            Self::TextEncoder2 => "second text encoder",
        })
    }
}

/// The family a LoRA (or a model) was built for, as far as its weights tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoraFamily {
    /// SD 1.x: 768-wide CLIP ViT-L text.
    Sd1,
    /// SD 2.x: 1024-wide OpenCLIP-H text.
    Sd2,
    /// SD 1.x or 2.x: one text encoder, one transformer per block, width unknown.
    Sd1Or2,
    /// SDXL: two text encoders, several transformers per block, 2048-wide context.
    Sdxl,
}

impl LoraFamily {
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Sd1 => "SD 1.x",
            Self::Sd2 => "SD 2.x",
            Self::Sd1Or2 => "SD 1.x/2.x",
            Self::Sdxl => "SDXL",
        }
    }

    /// Whether weights of family `self` can belong to a model of family `other`.
    fn fits(self, other: LoraFamily) -> bool {
        use LoraFamily::*;
        match (self, other) {
            (Sdxl, o) | (o, Sdxl) => o == Sdxl,
            (Sd1Or2, _) | (_, Sd1Or2) => true,
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for LoraFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// Why a LoRA cannot be applied. Each names the file, what was wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoraError {
    #[error("cannot read the LoRA {}: {message}\nhint: check the path; a LoRA is one .safetensors file (download it again if it may be incomplete)", path.display())]
    Read { path: PathBuf, message: String },
    #[error("{} holds no LoRA weights (no lora_down/lora_up or lora_A/lora_B tensors)\nhint: check that it is a LoRA, not a model checkpoint or an embedding", path.display())]
    Empty { path: PathBuf },
    #[error("{} has {count} key(s) that are not LoRA weights reportfig can merge, such as `{}`\nhint: reportfig reads kohya/A1111 LoRAs (lora_unet_…, lora_te_…) and diffusers/peft LoRAs (unet.….lora_A.weight); LoHa, LoKr and DoRA files are not supported", path.display(), keys.join("`, `"))]
    UnknownKeys {
        path: PathBuf,
        /// The first few of them.
        keys: Vec<String>,
        count: usize,
    },
    #[error("{}: `{key}` has no matching {missing} weight, so the LoRA is incomplete\nhint: the file may be damaged; download it again", path.display())]
    Incomplete {
        path: PathBuf,
        key: String,
        missing: &'static str,
    },
    #[error("{}: `{key}` has a down weight of shape {} and an up weight of shape {}, which do not form a low-rank pair\nhint: the file may be damaged; download it again", path.display(), dims(down), dims(up))]
    BadPair {
        path: PathBuf,
        key: String,
        down: Vec<usize>,
        up: Vec<usize>,
    },
    #[error("{} has {count} module(s) that the model's {target} does not have, such as `{}`\nhint: the LoRA was made for a different model; use a LoRA made for this model's family", path.display(), keys.join("`, `"))]
    Unmatched {
        path: PathBuf,
        target: LoraTarget,
        keys: Vec<String>,
        count: usize,
    },
    #[error("{}: `{key}` changes a weight of shape {} with a LoRA of shape {}\nhint: the LoRA was made for a model of another size; use one made for this model", path.display(), dims(model), dims(lora))]
    Shape {
        path: PathBuf,
        key: String,
        model: Vec<usize>,
        lora: Vec<usize>,
    },
    #[error("{} is a LoRA for {lora}, but the model is {model}\nhint: use a LoRA made for {model}, or a {lora} model with this LoRA", path.display())]
    WrongFamily {
        path: PathBuf,
        lora: LoraFamily,
        model: LoraFamily,
    },
    #[error("{}: {what}\nhint: the file's header does not describe a LoRA reportfig can merge", path.display())]
    BadMetadata { path: PathBuf, what: String },
}

fn dims(d: &[usize]) -> String {
    let parts: Vec<String> = d.iter().map(|x| x.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// How a module is named in the file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum ModuleName {
    /// The diffusers/transformers module path (`down_blocks.0.attentions.0.proj_in`).
    Dotted(String),
    /// kohya's: the same path with `_` for `.` (`down_blocks_0_attentions_0_proj_in`).
    Underscored(String),
}

impl ModuleName {
    fn text(&self) -> &str {
        match self {
            Self::Dotted(s) | Self::Underscored(s) => s,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Down,
    Up,
    Alpha,
}

struct Classified {
    target: LoraTarget,
    name: ModuleName,
    part: Part,
    /// `lora_te1_`: kohya's SDXL naming of the first text encoder.
    sdxl_name: bool,
}

/// Top-level modules of diffusers' UNet, for peft files saved without the `unet.` prefix
/// (`UNet2DConditionModel.save_lora_adapter`).
const UNET_ROOTS: [&str; 7] = [
    "down_blocks.",
    "up_blocks.",
    "mid_block.",
    "conv_in",
    "conv_out",
    "time_embedding.",
    "add_embedding.",
];

fn classify(key: &str) -> Option<Classified> {
    const KOHYA: [(&str, LoraTarget); 4] = [
        ("lora_unet_", LoraTarget::Unet),
        ("lora_te_", LoraTarget::TextEncoder),
        ("lora_te1_", LoraTarget::TextEncoder),
        ("lora_te2_", LoraTarget::TextEncoder2),
    ];
    for (prefix, target) in KOHYA {
        if let Some(rest) = key.strip_prefix(prefix) {
            let (module, suffix) = rest.split_once('.')?;
            let part = match suffix {
                "lora_down.weight" => Part::Down,
                "lora_up.weight" => Part::Up,
                "alpha" => Part::Alpha,
                _ => return None,
            };
            return Some(Classified {
                target,
                name: ModuleName::Underscored(module.to_string()),
                part,
                sdxl_name: prefix == "lora_te1_",
            });
        }
    }
    let (target, rest) = if let Some(r) = key.strip_prefix("unet.") {
        (LoraTarget::Unet, r)
    } else if let Some(r) = key.strip_prefix("text_encoder_2.") {
        (LoraTarget::TextEncoder2, r)
    } else if let Some(r) = key.strip_prefix("text_encoder.") {
        (LoraTarget::TextEncoder, r)
    } else if UNET_ROOTS.iter().any(|p| key.starts_with(p)) {
        (LoraTarget::Unet, key)
    } else {
        return None;
    };
    const SUFFIXES: [(&str, Part); 9] = [
        (".lora_A.weight", Part::Down),
        (".lora_B.weight", Part::Up),
        (".lora.down.weight", Part::Down),
        (".lora.up.weight", Part::Up),
        (".lora_linear_layer.down.weight", Part::Down),
        (".lora_linear_layer.up.weight", Part::Up),
        (".down.weight", Part::Down),
        (".up.weight", Part::Up),
        (".alpha", Part::Alpha),
    ];
    let (module, part, generic) = SUFFIXES.iter().find_map(|(s, p)| {
        let generic = matches!(*s, ".down.weight" | ".up.weight");
        rest.strip_suffix(s).map(|m| (m, *p, generic))
    })?;
    // Attention-processor names: `attn1.processor.to_q_lora` is `attn1.to_q`.
    let processor = module.contains(".processor.");
    let mut module = module.replace(".processor.", ".");
    if let Some(stem) = module.strip_suffix("_lora") {
        module = match stem.strip_suffix("to_out") {
            Some(head) => format!("{head}to_out.0"),
            None => stem.to_string(),
        };
    } else if processor || generic {
        // `.down.weight` without `_lora`: a plain weight, not a LoRA layer.
        return None;
    }
    Some(Classified {
        target,
        name: ModuleName::Dotted(module),
        part,
        sdxl_name: false,
    })
}

/// One low-rank update: `up [out, r(, 1, 1)]` and `down [r, in(, kh, kw)]`, f32 on the CPU.
#[derive(Debug, Clone)]
struct Module {
    target: LoraTarget,
    name: ModuleName,
    /// The file's key stem, for messages.
    key: String,
    down: Tensor,
    up: Tensor,
    /// `alpha / rank` from the file (kohya `.alpha`, peft metadata); 1 when it has none.
    scale: f64,
}

/// The parts of peft's `LoraConfig` that set the scale, per network.
#[derive(Debug, Default)]
struct PeftScale {
    lora_alpha: Option<f64>,
    alpha_pattern: Vec<(String, f64)>,
    rslora: bool,
}

impl PeftScale {
    fn scale(&self, module: &str, rank: usize) -> f64 {
        let alpha = self
            .alpha_pattern
            .iter()
            .find(|(p, _)| module == p || module.ends_with(&format!(".{p}")))
            .map(|(_, a)| *a)
            .or(self.lora_alpha);
        match alpha {
            Some(a) if self.rslora => a / (rank as f64).sqrt(),
            Some(a) => a / rank as f64,
            None => 1.0,
        }
    }
}

fn peft_metadata(
    path: &Path,
    meta: Option<&HashMap<String, String>>,
) -> Result<HashMap<LoraTarget, PeftScale>, LoraError> {
    let mut out = HashMap::new();
    let Some(text) = meta.and_then(|m| m.get("lora_adapter_metadata")) else {
        return Ok(out);
    };
    let bad = |what: String| LoraError::BadMetadata {
        path: path.to_path_buf(),
        what,
    };
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| bad(format!("its lora_adapter_metadata is not JSON ({e})")))?;
    let Some(map) = value.as_object() else {
        return Err(bad("its lora_adapter_metadata is not a JSON object".into()));
    };
    for (key, v) in map {
        let (prefix, field) = key.rsplit_once('.').unwrap_or(("unet", key.as_str()));
        let target = match prefix {
            "unet" => LoraTarget::Unet,
            "text_encoder" => LoraTarget::TextEncoder,
            "text_encoder_2" => LoraTarget::TextEncoder2,
            _ => continue,
        };
        let entry: &mut PeftScale = out.entry(target).or_default();
        match field {
            "lora_alpha" => entry.lora_alpha = v.as_f64(),
            "use_rslora" => entry.rslora = v.as_bool().unwrap_or(false),
            "alpha_pattern" => {
                for (m, a) in v.as_object().into_iter().flatten() {
                    let a = a
                        .as_f64()
                        .ok_or_else(|| bad(format!("alpha_pattern `{m}` is not a number")))?;
                    entry.alpha_pattern.push((m.clone(), a));
                }
            }
            "use_dora" if v.as_bool() == Some(true) => {
                return Err(bad(
                    "it is a DoRA (use_dora), which reportfig cannot merge".into()
                ))
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A LoRA file read and checked on its own: its modules in the file's own names.
#[derive(Debug, Clone)]
pub struct Lora {
    pub path: PathBuf,
    pub weight: f64,
    /// SHA-256 of the file, hex, for the records.
    pub sha256: String,
    modules: Vec<Module>,
    /// Named with kohya's SDXL prefixes (`lora_te1_`).
    sdxl_names: bool,
}

impl Lora {
    /// Reads and parses `file`. Fails on anything that is not a LoRA weight we can merge.
    pub fn open(file: &LoraFile) -> Result<Self, LoraError> {
        let path = &file.path;
        let read_err = |message: String| LoraError::Read {
            path: path.clone(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| read_err(e.to_string()))?;
        let sha256 = format!("{:x}", Sha256::digest(&bytes));
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
            .map_err(|e| read_err(format!("not a safetensors file ({e})")))?;
        let peft = peft_metadata(path, header.metadata().as_ref())?;
        let tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)
            .map_err(|e| read_err(crate::pipeline::plain_message(&e)))?;

        #[derive(Default)]
        struct Parts {
            down: Option<Tensor>,
            up: Option<Tensor>,
            alpha: Option<f64>,
            key: String,
        }
        let mut groups: BTreeMap<(LoraTarget, ModuleName), Parts> = BTreeMap::new();
        let mut unknown = Vec::new();
        let mut sdxl_names = false;
        let mut keys: Vec<&String> = tensors.keys().collect();
        keys.sort();
        for key in keys {
            let t = &tensors[key];
            let Some(c) = classify(key) else {
                unknown.push(key.clone());
                continue;
            };
            sdxl_names |= c.sdxl_name;
            let parts = groups.entry((c.target, c.name)).or_default();
            if parts.key.is_empty() {
                parts.key = key.clone();
            }
            let f32 = || t.to_dtype(DType::F32).map_err(|e| read_err(e.to_string()));
            match c.part {
                Part::Down => parts.down = Some(f32()?),
                Part::Up => parts.up = Some(f32()?),
                Part::Alpha => {
                    let v = f32()?
                        .flatten_all()
                        .and_then(|v| v.to_vec1::<f32>())
                        .map_err(|e| read_err(e.to_string()))?;
                    match v.as_slice() {
                        [a] => parts.alpha = Some(*a as f64),
                        _ => unknown.push(key.clone()),
                    }
                }
            }
        }
        if !unknown.is_empty() {
            return Err(LoraError::UnknownKeys {
                path: path.clone(),
                count: unknown.len(),
                keys: unknown.into_iter().take(3).collect(),
            });
        }
        let mut modules = Vec::new();
        for ((target, name), p) in groups {
            let stem = |k: &str| k.split_once(".lora").map_or(k, |s| s.0).to_string();
            let (down, up) = match (p.down, p.up) {
                (Some(d), Some(u)) => (d, u),
                (None, Some(_)) => {
                    return Err(LoraError::Incomplete {
                        path: path.clone(),
                        key: p.key,
                        missing: "down (lora_A)",
                    })
                }
                (_, None) => {
                    return Err(LoraError::Incomplete {
                        path: path.clone(),
                        key: p.key,
                        missing: "up (lora_B)",
                    })
                }
            };
            let rank = down.dims().first().copied().unwrap_or(0);
            let shape_ok = rank > 0
                && matches!(down.rank(), 2 | 4)
                && up.rank() == down.rank()
                && up.dims()[1] == rank
                && up.dims()[2..].iter().all(|&d| d == 1);
            if !shape_ok {
                return Err(LoraError::BadPair {
                    path: path.clone(),
                    key: stem(&p.key),
                    down: down.dims().to_vec(),
                    up: up.dims().to_vec(),
                });
            }
            let scale = match p.alpha {
                Some(a) => a / rank as f64,
                None => peft
                    .get(&target)
                    .map_or(1.0, |s| s.scale(name.text(), rank)),
            };
            modules.push(Module {
                target,
                name,
                key: stem(&p.key),
                down,
                up,
                scale,
            });
        }
        if modules.is_empty() {
            return Err(LoraError::Empty { path: path.clone() });
        }
        Ok(Self {
            path: path.clone(),
            weight: file.weight,
            sha256,
            modules,
            sdxl_names,
        })
    }

    /// The family the LoRA's own keys and shapes point to, when they do.
    pub fn family(&self) -> Option<LoraFamily> {
        if self.sdxl_names
            || self
                .modules
                .iter()
                .any(|m| m.target == LoraTarget::TextEncoder2)
        {
            return Some(LoraFamily::Sdxl);
        }
        let unet: Vec<(&str, usize)> = self
            .modules
            .iter()
            .filter(|m| m.target == LoraTarget::Unet)
            .map(|m| (m.name.text(), m.down.dims()[1]))
            .collect();
        let text: Vec<(&str, usize)> = self
            .modules
            .iter()
            .filter(|m| m.target == LoraTarget::TextEncoder)
            .map(|m| (m.name.text(), m.down.dims()[1]))
            .collect();
        guess_family(&unet, &text)
    }
}

/// The family shown by module names (`.` or `_` separated) and the input width of each:
/// the cross-attention context width (768 / 1024 / 2048), the text encoder's width, then the
/// block structure (SDXL stacks transformers inside a block and has no attention in its first
/// down block; SD 1.x/2.x have one transformer per block and attention in the first).
fn guess_family(unet: &[(&str, usize)], text: &[(&str, usize)]) -> Option<LoraFamily> {
    let norm = |s: &str| s.replace('_', ".");
    for (name, width) in unet {
        let n = norm(name);
        if n.contains("attn2") && (n.ends_with("to.k") || n.ends_with("to.v")) {
            match width {
                768 => return Some(LoraFamily::Sd1),
                1024 => return Some(LoraFamily::Sd2),
                2048 => return Some(LoraFamily::Sdxl),
                _ => {}
            }
        }
    }
    for (name, width) in text {
        let n = norm(name);
        if n.ends_with("q.proj") || n.ends_with("k.proj") || n.ends_with("v.proj") {
            match width {
                768 => return Some(LoraFamily::Sd1),
                1024 => return Some(LoraFamily::Sd2),
                _ => {}
            }
        }
    }
    let mut sd12 = false;
    for (name, _) in unet {
        let n = norm(name);
        if let Some(i) = n.find("transformer.blocks.") {
            let idx: String = n[i + "transformer.blocks.".len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if idx.parse::<usize>().is_ok_and(|i| i >= 1) {
                return Some(LoraFamily::Sdxl);
            }
        }
        // Attention in the first down block: SD 1.x/2.x (LDM: input blocks 1 and 2).
        sd12 |= n.starts_with("down.blocks.0.attentions")
            || n.starts_with("input.blocks.1.1")
            || n.starts_with("input.blocks.2.1");
    }
    sd12.then_some(LoraFamily::Sd1Or2)
}

/// The names and shapes of one network's weights, which LoRA modules are matched against.
#[derive(Debug, Clone, Default)]
pub struct NetworkWeights {
    shapes: HashMap<String, Vec<usize>>,
    /// kohya's module name (`_` for `.`) -> the module path.
    underscored: HashMap<String, String>,
}

impl NetworkWeights {
    pub fn new(shapes: impl IntoIterator<Item = (String, Vec<usize>)>) -> Self {
        let shapes: HashMap<String, Vec<usize>> = shapes.into_iter().collect();
        let underscored = shapes
            .keys()
            .filter_map(|k| k.strip_suffix(".weight"))
            .map(|m| (m.replace('.', "_"), m.to_string()))
            .collect();
        Self {
            shapes,
            underscored,
        }
    }

    /// Adds other names of the network's modules for kohya keys: `alias(module)` gives one
    /// (the LDM name `input_blocks.4.1.proj_in` of `down_blocks.1.attentions.0.proj_in`, as
    /// kohya-ss names SDXL LoRAs), matched with `_` for `.` as kohya writes it.
    pub fn with_aliases(mut self, alias: impl Fn(&str) -> Option<String>) -> Self {
        let modules: Vec<String> = self
            .shapes
            .keys()
            .filter_map(|k| k.strip_suffix(".weight"))
            .map(str::to_string)
            .collect();
        for m in modules {
            if let Some(a) = alias(&m) {
                self.underscored.entry(a.replace('.', "_")).or_insert(m);
            }
        }
        self
    }

    /// The weight a module changes, when the network has it.
    /// CLIP's modules are `text_model.encoder.…` in checkpoints but `encoder.…` in
    /// transformers 5, so peft files saved with it lack the `text_model.` prefix.
    fn weight_of(&self, name: &ModuleName) -> Option<(String, &Vec<usize>)> {
        let modules = match name {
            ModuleName::Dotted(m) => vec![m.clone(), format!("text_model.{m}")],
            ModuleName::Underscored(u) => [u.clone(), format!("text_model_{u}")]
                .iter()
                .filter_map(|u| self.underscored.get(u).cloned())
                .collect(),
        };
        modules.into_iter().find_map(|m| {
            let key = format!("{m}.weight");
            let shape = self.shapes.get(&key)?;
            Some((key, shape))
        })
    }

    fn widths(&self) -> Vec<(&str, usize)> {
        self.shapes
            .iter()
            .filter(|(_, s)| s.len() >= 2)
            .filter_map(|(k, s)| Some((k.strip_suffix(".weight")?, s[1])))
            .collect()
    }
}

/// The networks of the model a LoRA is merged into (`None`: the model has no such network).
#[derive(Debug, Clone, Default)]
pub struct ModelWeights {
    pub unet: NetworkWeights,
    pub text_encoder: NetworkWeights,
    pub text_encoder_2: Option<NetworkWeights>,
}

impl ModelWeights {
    fn network(&self, t: LoraTarget) -> Option<&NetworkWeights> {
        match t {
            LoraTarget::Unet => Some(&self.unet),
            LoraTarget::TextEncoder => Some(&self.text_encoder),
            LoraTarget::TextEncoder2 => self.text_encoder_2.as_ref(),
        }
    }

    /// The family the model's weights point to.
    pub fn family(&self) -> Option<LoraFamily> {
        if self.text_encoder_2.is_some() {
            return Some(LoraFamily::Sdxl);
        }
        guess_family(&self.unet.widths(), &self.text_encoder.widths())
    }
}

/// One low-rank update of one weight, ready to add.
#[derive(Debug, Clone)]
struct Delta {
    up: Tensor,
    down: Tensor,
    /// weight × alpha / rank.
    scale: f64,
}

/// The updates of one network: weight name -> what to add to it when it is read.
#[derive(Debug, Clone, Default)]
pub struct LoraPatch {
    deltas: HashMap<String, Vec<Delta>>,
}

impl LoraPatch {
    pub fn is_empty(&self) -> bool {
        self.deltas.is_empty()
    }

    /// How many weights the patch changes.
    pub fn len(&self) -> usize {
        self.deltas.len()
    }

    /// `weight` with the updates of `name` added (computed in f32), in `dtype`; `weight`
    /// converted to `dtype` when `name` has none.
    pub fn apply(&self, name: &str, weight: Tensor, dtype: DType) -> candle_core::Result<Tensor> {
        let Some(deltas) = self.deltas.get(name) else {
            return weight.to_dtype(dtype);
        };
        let shape = weight.shape().clone();
        let mut w = weight.to_dtype(DType::F32)?;
        for d in deltas {
            let up = d.up.flatten_from(1)?;
            let down = d.down.flatten_from(1)?;
            let product = (up.matmul(&down)? * d.scale)?.reshape(&shape)?;
            let product = product.to_device(w.device())?;
            w = (w + product)?;
        }
        w.to_dtype(dtype)
    }
}

/// The patches of every network of a model, one per [`LoraTarget`].
#[derive(Debug, Clone, Default)]
pub struct LoraPatches {
    patches: [LoraPatch; 3],
}

impl LoraPatches {
    pub fn get(&self, target: LoraTarget) -> &LoraPatch {
        &self.patches[target.index()]
    }

    pub fn take(&mut self, target: LoraTarget) -> LoraPatch {
        std::mem::take(&mut self.patches[target.index()])
    }
}

/// Matches every module of every LoRA to a weight of `model` and checks its shape. A LoRA
/// that does not fit is reported as one for another family when its keys say so (and the
/// model's say otherwise), else by the first module that does not fit.
pub fn plan(loras: &[Lora], model: &ModelWeights) -> Result<LoraPatches, LoraError> {
    let mut out = LoraPatches::default();
    for lora in loras {
        let wrong_family = || {
            let (l, m) = (lora.family()?, model.family()?);
            (!l.fits(m)).then(|| LoraError::WrongFamily {
                path: lora.path.clone(),
                lora: l,
                model: m,
            })
        };
        let mut unmatched: BTreeMap<LoraTarget, Vec<String>> = BTreeMap::new();
        let mut planned = Vec::new();
        for m in &lora.modules {
            let Some((key, shape)) = model.network(m.target).and_then(|n| n.weight_of(&m.name))
            else {
                unmatched.entry(m.target).or_default().push(m.key.clone());
                continue;
            };
            let (down, up) = (m.down.dims(), m.up.dims());
            let fits = up[0] == shape[0]
                && down[1..].iter().product::<usize>() == shape[1..].iter().product::<usize>()
                && (down.len() == 2 || shape.len() == 4 && down[2..] == shape[2..]);
            if !fits {
                if let Some(e) = wrong_family() {
                    return Err(e);
                }
                let mut lora_shape = vec![up[0]];
                lora_shape.extend_from_slice(&down[1..]);
                return Err(LoraError::Shape {
                    path: lora.path.clone(),
                    key: m.key.clone(),
                    model: shape.clone(),
                    lora: lora_shape,
                });
            }
            planned.push((m.target, key, m));
        }
        if let Some((target, keys)) = unmatched.into_iter().next() {
            if let Some(e) = wrong_family() {
                return Err(e);
            }
            if target == LoraTarget::TextEncoder2 && model.text_encoder_2.is_none() {
                return Err(LoraError::WrongFamily {
                    path: lora.path.clone(),
                    lora: LoraFamily::Sdxl,
                    model: model.family().unwrap_or(LoraFamily::Sd1Or2),
                });
            }
            return Err(LoraError::Unmatched {
                path: lora.path.clone(),
                target,
                count: keys.len(),
                keys: keys.into_iter().take(3).collect(),
            });
        }
        for (target, key, m) in planned {
            out.patches[target.index()]
                .deltas
                .entry(key)
                .or_default()
                .push(Delta {
                    up: m.up.clone(),
                    down: m.down.clone(),
                    scale: lora.weight * m.scale,
                });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dotted(key: &str) -> (LoraTarget, String, Part) {
        let c = classify(key).unwrap_or_else(|| panic!("{key} not classified"));
        (c.target, c.name.text().to_string(), c.part)
    }

    #[test]
    fn every_layout_names_its_module() {
        use LoraTarget::*;
        let cases = [
            (
                "lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight",
                Unet,
                "down_blocks_0_attentions_0_proj_in",
                Part::Down,
            ),
            (
                "lora_te2_text_model_encoder_layers_0_mlp_fc1.alpha",
                TextEncoder2,
                "text_model_encoder_layers_0_mlp_fc1",
                Part::Alpha,
            ),
            (
                "unet.mid_block.attentions.0.proj_in.lora_B.weight",
                Unet,
                "mid_block.attentions.0.proj_in",
                Part::Up,
            ),
            (
                "text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_linear_layer.down.weight",
                TextEncoder,
                "text_model.encoder.layers.0.self_attn.q_proj",
                Part::Down,
            ),
            (
                "unet.up_blocks.1.resnets.0.conv1.lora.up.weight",
                Unet,
                "up_blocks.1.resnets.0.conv1",
                Part::Up,
            ),
            (
                "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_out_lora.down.weight",
                Unet,
                "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0",
                Part::Down,
            ),
            (
                "down_blocks.1.attentions.0.proj_in.lora_A.weight",
                Unet,
                "down_blocks.1.attentions.0.proj_in",
                Part::Down,
            ),
        ];
        for (key, target, module, part) in cases {
            assert_eq!(dotted(key), (target, module.to_string(), part), "{key}");
        }
        for bad in [
            "lora_unet_down_blocks_0_resnets_0_conv1.hada_w1_a",
            "lora_unet_x.dora_scale",
            "unet.conv_in.weight",
            "unet.down_blocks.0.lora_B.bias",
            "emb_params",
            "text_encoder.text_model.down.weight",
        ] {
            assert!(classify(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn peft_alpha_pattern_and_rslora_set_the_scale() {
        let s = PeftScale {
            lora_alpha: Some(8.0),
            alpha_pattern: vec![("mid_block.attentions.0.proj_in".into(), 3.0)],
            rslora: false,
        };
        assert_eq!(s.scale("down_blocks.0.x", 2), 4.0);
        assert_eq!(s.scale("mid_block.attentions.0.proj_in", 2), 1.5);
        let r = PeftScale {
            lora_alpha: Some(8.0),
            rslora: true,
            ..Default::default()
        };
        assert_eq!(r.scale("a", 4), 4.0);
        assert_eq!(PeftScale::default().scale("a", 4), 1.0);
    }

    #[test]
    fn families_from_names_and_widths() {
        assert_eq!(
            guess_family(
                &[(
                    "down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k",
                    768
                )],
                &[]
            ),
            Some(LoraFamily::Sd1)
        );
        assert_eq!(
            guess_family(
                &[("input_blocks_4_1_transformer_blocks_1_attn1_to_q", 640)],
                &[]
            ),
            Some(LoraFamily::Sdxl)
        );
        assert_eq!(
            guess_family(&[("down_blocks.0.attentions.0.proj_in", 32)], &[]),
            Some(LoraFamily::Sd1Or2)
        );
        assert_eq!(
            guess_family(&[("up_blocks.1.resnets.0.conv1", 32)], &[]),
            None
        );
        assert!(!LoraFamily::Sdxl.fits(LoraFamily::Sd1Or2));
        assert!(LoraFamily::Sd1Or2.fits(LoraFamily::Sd2));
        assert!(!LoraFamily::Sd1.fits(LoraFamily::Sd2));
    }

    #[test]
    fn a_patch_adds_scaled_products_and_reshapes_conv_updates() {
        let dev = Device::Cpu;
        let up = Tensor::new(&[[1f32], [2.]], &dev)
            .unwrap()
            .reshape((2, 1, 1, 1))
            .unwrap();
        let down = Tensor::new(&[1f32, 0., 0., 1.], &dev)
            .unwrap()
            .reshape((1, 1, 2, 2))
            .unwrap();
        let mut patch = LoraPatch::default();
        patch.deltas.insert(
            "c.weight".into(),
            vec![Delta {
                up,
                down,
                scale: 0.5,
            }],
        );
        let w = Tensor::zeros((2, 1, 2, 2), DType::F32, &dev).unwrap();
        let out = patch.apply("c.weight", w.clone(), DType::F32).unwrap();
        let v = out.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(v, [0.5, 0., 0., 0.5, 1., 0., 0., 1.]);
        let same = patch.apply("other.weight", w, DType::F16).unwrap();
        assert_eq!(same.dtype(), DType::F16);
    }
}
