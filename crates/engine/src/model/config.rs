//! Serde mirrors of the diffusers / transformers `config.json` files.
//!
//! Field names are the ones the files use; every `#[serde(default = …)]` is the default of the
//! Python class's `__init__` (diffusers 0.42, transformers 5.23), so a config that omits a field
//! means what it means to diffusers. Unknown fields are ignored, as diffusers ignores them.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid {what} (line {line}, column {column}): {message}")]
    Parse {
        path: PathBuf,
        what: &'static str,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Unsupported { path: PathBuf, message: String },
    /// Far larger than any config (a few KB): a wrong file, or a link to one.
    #[error("{} is too large for a {what} ({bytes} bytes; a config is a few KB)", path.display())]
    TooLarge {
        path: PathBuf,
        what: &'static str,
        bytes: u64,
    },
}

/// The most a JSON config may hold. Real ones are a few KB; the limit only stops a wrong
/// file (or a link to one) from being read whole into memory.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// Reads and parses one JSON config file, naming the file and the position on failure.
pub fn read_json<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<T, ConfigError> {
    let read_error = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::metadata(path).map_err(read_error)?.len();
    if bytes > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge {
            path: path.to_path_buf(),
            what,
            bytes,
        });
    }
    let text = std::fs::read_to_string(path).map_err(read_error)?;
    serde_json::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        what,
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// A config value that diffusers accepts either once for every block or once per block
/// (`attention_head_dim: 8` or `attention_head_dim: [5, 10, 20, 20]`).
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum PerBlock<T> {
    One(T),
    Each(Vec<T>),
}

impl<T: Clone> PerBlock<T> {
    /// The value for block `i` of `n` blocks; `None` when a list has the wrong length.
    pub fn get(&self, i: usize) -> Option<T> {
        match self {
            PerBlock::One(v) => Some(v.clone()),
            PerBlock::Each(vs) => vs.get(i).cloned(),
        }
    }

    /// Expands to one value per block, or says how many values the list has.
    pub fn expand(&self, n: usize) -> Result<Vec<T>, usize> {
        match self {
            PerBlock::One(v) => Ok(vec![v.clone(); n]),
            PerBlock::Each(vs) if vs.len() == n => Ok(vs.clone()),
            PerBlock::Each(vs) => Err(vs.len()),
        }
    }
}

/// `model_index.json`: which pipeline class and which component classes a repo holds.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelIndex {
    #[serde(rename = "_class_name")]
    pub class_name: String,
    /// SDXL: with no negative prompt the negative conditioning is zeros, not the encoded "".
    #[serde(default)]
    pub force_zeros_for_empty_prompt: Option<bool>,
    #[serde(default)]
    pub text_encoder: Option<(Option<String>, Option<String>)>,
    #[serde(default)]
    pub text_encoder_2: Option<(Option<String>, Option<String>)>,
    #[serde(default)]
    pub tokenizer_2: Option<(Option<String>, Option<String>)>,
    #[serde(default)]
    pub scheduler: Option<(Option<String>, Option<String>)>,
}

impl ModelIndex {
    /// Whether the repo declares a second text encoder (SDXL and SDXL-Turbo).
    pub fn has_text_encoder_2(&self) -> bool {
        matches!(&self.text_encoder_2, Some((Some(_), Some(_))))
    }
}

fn d_4() -> usize {
    4
}
fn d_3() -> usize {
    3
}
fn d_true() -> bool {
    true
}
fn d_32() -> usize {
    32
}
fn d_1e5() -> f64 {
    1e-5
}
fn d_silu() -> String {
    "silu".into()
}
fn d_1f() -> f64 {
    1.0
}
fn d_64() -> usize {
    64
}
fn d_positional() -> String {
    "positional".into()
}
fn d_default() -> String {
    "default".into()
}
fn d_unet_down() -> Vec<String> {
    vec![
        "CrossAttnDownBlock2D".into(),
        "CrossAttnDownBlock2D".into(),
        "CrossAttnDownBlock2D".into(),
        "DownBlock2D".into(),
    ]
}
fn d_unet_up() -> Vec<String> {
    vec![
        "UpBlock2D".into(),
        "CrossAttnUpBlock2D".into(),
        "CrossAttnUpBlock2D".into(),
        "CrossAttnUpBlock2D".into(),
    ]
}
fn d_unet_channels() -> Vec<usize> {
    vec![320, 640, 1280, 1280]
}
fn d_mid_block() -> Option<String> {
    Some("UNetMidBlock2DCrossAttn".into())
}
fn d_per_block_2() -> PerBlock<usize> {
    PerBlock::One(2)
}
fn d_per_block_1() -> PerBlock<usize> {
    PerBlock::One(1)
}
fn d_head_dim() -> PerBlock<usize> {
    PerBlock::One(8)
}
fn d_cross_dim() -> PerBlock<usize> {
    PerBlock::One(1280)
}
fn d_only_cross() -> PerBlock<bool> {
    PerBlock::One(false)
}

/// `unet/config.json` of a `UNet2DConditionModel`.
#[derive(Debug, Clone, Deserialize)]
pub struct UNetConfig {
    #[serde(default)]
    pub sample_size: Option<usize>,
    #[serde(default = "d_4")]
    pub in_channels: usize,
    #[serde(default = "d_4")]
    pub out_channels: usize,
    #[serde(default)]
    pub center_input_sample: bool,
    #[serde(default = "d_true")]
    pub flip_sin_to_cos: bool,
    #[serde(default)]
    pub freq_shift: f64,
    #[serde(default = "d_unet_down")]
    pub down_block_types: Vec<String>,
    #[serde(default = "d_mid_block")]
    pub mid_block_type: Option<String>,
    #[serde(default = "d_unet_up")]
    pub up_block_types: Vec<String>,
    #[serde(default = "d_only_cross")]
    pub only_cross_attention: PerBlock<bool>,
    #[serde(default = "d_unet_channels")]
    pub block_out_channels: Vec<usize>,
    #[serde(default = "d_per_block_2")]
    pub layers_per_block: PerBlock<usize>,
    #[serde(default = "d_1f")]
    pub downsample_padding: f64,
    #[serde(default = "d_1f")]
    pub mid_block_scale_factor: f64,
    #[serde(default = "d_silu")]
    pub act_fn: String,
    #[serde(default = "d_32")]
    pub norm_num_groups: usize,
    #[serde(default = "d_1e5")]
    pub norm_eps: f64,
    #[serde(default = "d_cross_dim")]
    pub cross_attention_dim: PerBlock<usize>,
    #[serde(default = "d_per_block_1")]
    pub transformer_layers_per_block: PerBlock<usize>,
    #[serde(default)]
    pub reverse_transformer_layers_per_block: Option<Vec<usize>>,
    #[serde(default)]
    pub encoder_hid_dim: Option<usize>,
    #[serde(default)]
    pub encoder_hid_dim_type: Option<String>,
    /// For historical reasons this is the number of heads when `num_attention_heads` is unset.
    #[serde(default = "d_head_dim")]
    pub attention_head_dim: PerBlock<usize>,
    #[serde(default)]
    pub num_attention_heads: Option<PerBlock<usize>>,
    #[serde(default)]
    pub dual_cross_attention: bool,
    #[serde(default)]
    pub use_linear_projection: bool,
    #[serde(default)]
    pub class_embed_type: Option<String>,
    #[serde(default)]
    pub addition_embed_type: Option<String>,
    #[serde(default)]
    pub addition_time_embed_dim: Option<usize>,
    #[serde(default = "d_64")]
    pub addition_embed_type_num_heads: usize,
    #[serde(default)]
    pub num_class_embeds: Option<usize>,
    #[serde(default)]
    pub upcast_attention: Option<bool>,
    #[serde(default = "d_default")]
    pub resnet_time_scale_shift: String,
    #[serde(default)]
    pub resnet_skip_time_act: bool,
    #[serde(default = "d_1f")]
    pub resnet_out_scale_factor: f64,
    #[serde(default = "d_positional")]
    pub time_embedding_type: String,
    #[serde(default)]
    pub time_embedding_dim: Option<usize>,
    #[serde(default)]
    pub time_embedding_act_fn: Option<String>,
    #[serde(default)]
    pub timestep_post_act: Option<String>,
    #[serde(default)]
    pub time_cond_proj_dim: Option<usize>,
    #[serde(default = "d_3")]
    pub conv_in_kernel: usize,
    #[serde(default = "d_3")]
    pub conv_out_kernel: usize,
    #[serde(default)]
    pub projection_class_embeddings_input_dim: Option<usize>,
    #[serde(default)]
    pub attention_type: Option<String>,
    #[serde(default)]
    pub class_embeddings_concat: bool,
    #[serde(default)]
    pub mid_block_only_cross_attention: Option<bool>,
    #[serde(default)]
    pub cross_attention_norm: Option<String>,
}

fn d_vae_down() -> Vec<String> {
    vec!["DownEncoderBlock2D".into()]
}
fn d_vae_up() -> Vec<String> {
    vec!["UpDecoderBlock2D".into()]
}
fn d_vae_channels() -> Vec<usize> {
    vec![64]
}
fn d_1() -> usize {
    1
}
fn d_scaling() -> f64 {
    0.18215
}

/// `vae/config.json` of an `AutoencoderKL`.
#[derive(Debug, Clone, Deserialize)]
pub struct VaeConfig {
    #[serde(default = "d_3")]
    pub in_channels: usize,
    #[serde(default = "d_3")]
    pub out_channels: usize,
    #[serde(default = "d_vae_down")]
    pub down_block_types: Vec<String>,
    #[serde(default = "d_vae_up")]
    pub up_block_types: Vec<String>,
    #[serde(default = "d_vae_channels")]
    pub block_out_channels: Vec<usize>,
    #[serde(default = "d_1")]
    pub layers_per_block: usize,
    #[serde(default = "d_silu")]
    pub act_fn: String,
    #[serde(default = "d_4")]
    pub latent_channels: usize,
    #[serde(default = "d_32")]
    pub norm_num_groups: usize,
    #[serde(default)]
    pub sample_size: Option<usize>,
    #[serde(default = "d_scaling")]
    pub scaling_factor: f64,
    #[serde(default)]
    pub shift_factor: Option<f64>,
    #[serde(default = "d_true")]
    pub force_upcast: bool,
    #[serde(default = "d_true")]
    pub use_quant_conv: bool,
    #[serde(default = "d_true")]
    pub use_post_quant_conv: bool,
    #[serde(default = "d_true")]
    pub mid_block_add_attention: bool,
}

impl VaeConfig {
    /// How many pixels one latent cell covers along each side: 2^(number of blocks - 1).
    pub fn downscale(&self) -> usize {
        1 << self.block_out_channels.len().saturating_sub(1)
    }
}

fn d_clip_vocab() -> usize {
    49408
}
fn d_clip_hidden() -> usize {
    512
}
fn d_clip_inter() -> usize {
    2048
}
fn d_clip_layers() -> usize {
    12
}
fn d_clip_heads() -> usize {
    8
}
fn d_77() -> usize {
    77
}
fn d_quick_gelu() -> String {
    "quick_gelu".into()
}
fn d_eos() -> u32 {
    49407
}
fn d_bos() -> u32 {
    49406
}
fn d_pad() -> u32 {
    1
}

/// `text_encoder/config.json` (and `text_encoder_2`): a transformers `CLIPTextConfig`.
#[derive(Debug, Clone, Deserialize)]
pub struct ClipTextConfig {
    /// `CLIPTextModel` or `CLIPTextModelWithProjection` (the latter has `text_projection`).
    #[serde(default)]
    pub architectures: Option<Vec<String>>,
    #[serde(default = "d_clip_vocab")]
    pub vocab_size: usize,
    #[serde(default = "d_clip_hidden")]
    pub hidden_size: usize,
    #[serde(default = "d_clip_inter")]
    pub intermediate_size: usize,
    #[serde(default = "d_clip_hidden")]
    pub projection_dim: usize,
    #[serde(default = "d_clip_layers")]
    pub num_hidden_layers: usize,
    #[serde(default = "d_clip_heads")]
    pub num_attention_heads: usize,
    #[serde(default = "d_77")]
    pub max_position_embeddings: usize,
    #[serde(default = "d_quick_gelu")]
    pub hidden_act: String,
    #[serde(default = "d_1e5")]
    pub layer_norm_eps: f64,
    #[serde(default = "d_pad")]
    pub pad_token_id: u32,
    #[serde(default = "d_bos")]
    pub bos_token_id: u32,
    /// transformers pools at the first `eos_token_id`, except that the legacy value 2 means
    /// "the position of the highest token id" (the end-of-text token in CLIP's vocabulary).
    #[serde(default = "d_eos")]
    pub eos_token_id: u32,
}

impl ClipTextConfig {
    pub fn with_projection(&self) -> bool {
        self.architectures
            .as_ref()
            .is_some_and(|a| a.iter().any(|s| s == "CLIPTextModelWithProjection"))
    }
}

/// The one scheduler field that tells distilled (turbo) models apart; the scheduler module
/// reads the whole file itself.
#[derive(Debug, Clone, Deserialize)]
pub struct SchedulerSpacing {
    #[serde(default)]
    pub timestep_spacing: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const REF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../configs/reference");

    fn parse<T: DeserializeOwned>(rel: &str) -> T {
        read_json(&Path::new(REF).join(rel), "config").unwrap()
    }

    #[test]
    fn published_configs_parse() {
        for repo in [
            "runwayml--stable-diffusion-v1-5",
            "stabilityai--stable-diffusion-2-1",
            "stabilityai--sd-turbo",
            "stabilityai--stable-diffusion-xl-base-1.0",
        ] {
            let u: UNetConfig = parse(&format!("{repo}/unet/config.json"));
            assert_eq!(u.down_block_types.len(), u.block_out_channels.len());
            let v: VaeConfig = parse(&format!("{repo}/vae/config.json"));
            assert_eq!(v.downscale(), 8);
            let _t: ClipTextConfig = parse(&format!("{repo}/text_encoder/config.json"));
            let _i: ModelIndex = parse(&format!("{repo}/model_index.json"));
        }
        let u: UNetConfig = parse("stabilityai--stable-diffusion-xl-base-1.0/unet/config.json");
        assert_eq!(
            u.transformer_layers_per_block,
            PerBlock::Each(vec![1, 2, 10])
        );
        assert_eq!(u.addition_embed_type.as_deref(), Some("text_time"));
        let t: ClipTextConfig =
            parse("stabilityai--stable-diffusion-xl-base-1.0/text_encoder_2/config.json");
        assert!(t.with_projection());
        assert_eq!(t.hidden_act, "gelu");
        let i: ModelIndex = parse("stabilityai--stable-diffusion-xl-base-1.0/model_index.json");
        assert!(i.has_text_encoder_2());
    }
}
